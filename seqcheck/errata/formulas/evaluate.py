"""Evaluating a checked formula tree (:mod:`.grammar`) on one drawn case, in float64, and
saying why a claim fails.

Element-wise operations need equal shapes or a scalar side: NumPy's broadcasting is not
applied, so a matrix compared with a vector is a :class:`Fault`, not a silent outer
comparison. ``==`` is equality within :data:`RTOL`. A reduction ``sum(e, j, lo, hi)`` is
a loop over ``j = lo..hi``: the brute-force value of the printed range.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np

from .grammar import REDUCTIONS, segment

__all__ = ["Fault", "Case", "Let", "Evaluator", "RTOL", "format_value", "node_texts"]

#: |a - b| <= RTOL (1 + |a| + |b|) counts as equal.
RTOL = 1e-9


class Fault(Exception):
    """The printed formula cannot be evaluated on a case: an entry outside an array's indices,
    shapes that do not match, an index that is not an integer.

    Arguments:
        message: what is wrong, naming the sub-expression.
    """


@dataclass(frozen=True)
class Let:
    """A definition of a formula's ``[formula.let]`` table: ``name = expr`` or, with
    ``params``, ``"name[i, j]" = expr``, evaluated at each index value it is read at."""

    name: str
    params: tuple[str, ...]
    tree: ast.expr
    text: str


@dataclass
class Case:
    """One drawn case: the sizes, the arrays (with the index origin of each axis)."""

    sizes: dict[str, int]
    arrays: dict[str, np.ndarray]
    bases: dict[str, tuple[int, ...]] = field(default_factory=dict)


def node_texts(tree: ast.expr, text: str) -> dict[int, str]:
    """``{id(node): text}`` for every node of a tree parsed from ``text``."""
    return {id(n): text for n in ast.walk(tree)}


def format_value(v) -> str:
    """A value at 4 significant digits, as findings print it."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    a = np.asarray(v)
    if a.ndim == 0:
        x = float(a)
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.4g}"
    return np.array2string(a.astype(float), separator=", ",
                           formatter={"float_kind": lambda x: format_value(float(x))})


def _shape(v) -> tuple:
    return np.shape(v)


class Evaluator:
    """Evaluates formula trees on one :class:`Case`.

    Arguments:
        lets: the definitions, by name.
        case: the drawn case.
        texts: the formula text each node's position refers to, by ``id(node)`` (for
            messages; see :func:`node_texts`).
    """

    def __init__(self, lets: dict[str, Let], case: Case, texts: dict[int, str]):
        self.lets, self.case, self.texts = lets, case, texts
        self.memo: dict[tuple, object] = {}

    def seg(self, node: ast.AST) -> str:
        text = self.texts.get(id(node))
        return segment(text, node) if text is not None else "?"

    # -- values ---------------------------------------------------------------------
    def value(self, node: ast.expr, bound: dict[str, int]):
        try:
            with np.errstate(all="ignore"):  # inf and nan are values; a claim on them fails
                return self._value(node, bound)
        except RecursionError:
            raise Fault(f"{self.seg(node)} recurses too deeply: a [formula.let] definition "
                        "that never reaches its base case?") from None

    def _value(self, node, bound):
        match node:
            case ast.Constant(value=v):
                return v
            case ast.Name(id=name):
                return self._name(name, node, bound)
            case ast.Attribute(value=v):  # .T, the one attribute
                return np.transpose(self._value(v, bound))
            case ast.UnaryOp(op=ast.Not(), operand=v):
                return not self._truth(v, bound)
            case ast.UnaryOp(op=op, operand=v):
                x = self._value(v, bound)
                return -x if isinstance(op, ast.USub) else x
            case ast.BinOp(left=a, op=op, right=b):
                return self._binop(node, op, self._value(a, bound), self._value(b, bound))
            case ast.BoolOp(op=ast.And(), values=vs):
                return all(self._truth(v, bound) for v in vs)
            case ast.BoolOp(values=vs):
                return any(self._truth(v, bound) for v in vs)
            case ast.Compare():
                return self._failed_comparison(node, bound) is None
            case ast.IfExp(test=c, body=a, orelse=b):
                return self._value(a if self._truth(c, bound) else b, bound)
            case ast.Subscript(value=v, slice=s):
                idx = s.elts if isinstance(s, ast.Tuple) else [s]
                return self._entry(node, v, [self.integer(i, bound) for i in idx], bound)
            case ast.Call(func=ast.Name(id=f), args=args):
                return self._call(node, f, args, bound)
        raise Fault(f"{self.seg(node)} cannot be evaluated")

    def _truth(self, node, bound) -> bool:
        v = self._value(node, bound)
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        raise Fault(f"{self.seg(node)} is a number where a statement (a comparison) is needed")

    def _name(self, name, node, bound):
        if name in bound:
            return bound[name]
        if name in self.case.sizes:
            return self.case.sizes[name]
        if name in self.case.arrays:
            return self.case.arrays[name]
        if name in self.lets:
            let = self.lets[name]
            if let.params:
                raise Fault(f"{name} is defined per index ({name}[{', '.join(let.params)}]); "
                            "read one entry")
            return self._let(let, ())
        if name == "pi":
            return math.pi
        raise Fault(f"{name} is a free index: nothing binds it at {self.seg(node)}")

    def _let(self, let: Let, idx: tuple):
        key = (let.name, idx)
        if key not in self.memo:
            self.memo[key] = self._value(let.tree, dict(zip(let.params, idx)))
        return self.memo[key]

    def integer(self, node, bound) -> int:
        """The integer value of an index or size expression."""
        v = self._value(node, bound)
        if isinstance(v, (bool, np.bool_)) or np.ndim(v) or not float(v).is_integer():
            raise Fault(f"the index {self.seg(node)} = {format_value(v)} is not an integer")
        return int(v)

    def _entry(self, node, target, idx, bound):
        if isinstance(target, ast.Name) and target.id in self.lets and target.id not in bound \
                and self.lets[target.id].params:
            let = self.lets[target.id]
            if len(idx) != len(let.params):
                raise Fault(f"{self.seg(node)}: {let.name} takes {len(let.params)} indices")
            return self._let(let, tuple(idx))
        a = np.asarray(self._value(target, bound))
        base = (self.case.bases.get(target.id) if isinstance(target, ast.Name) else None) \
            or (1,) * a.ndim
        if len(idx) != a.ndim:
            raise Fault(f"{self.seg(node)} reads {len(idx)} indices of an array of shape "
                        f"{a.shape}")
        pos = tuple(i - b for i, b in zip(idx, base))
        if any(not 0 <= p < n for p, n in zip(pos, a.shape)):
            ranges = ", ".join(f"{b}..{b + n - 1}" for b, n in zip(base, a.shape))
            raise Fault(f"{self.seg(node)} = {self.seg(target)}[{', '.join(map(str, idx))}] "
                        f"is outside its indices {ranges}")
        return a[pos]

    # -- operators ------------------------------------------------------------------
    def _same(self, node, a, b, what: str):
        if _shape(a) and _shape(b) and _shape(a) != _shape(b):
            raise Fault(f"{self.seg(node)}: {what} of shapes {_shape(a)} and {_shape(b)}")

    def _binop(self, node, op, a, b):
        for v, side in ((a, node.left), (b, node.right)):
            if isinstance(v, (bool, np.bool_)):
                raise Fault(f"{self.seg(side)} is a statement where a number is needed")
        with np.errstate(all="ignore"):
            if isinstance(op, ast.MatMult):
                try:
                    return np.matmul(np.asarray(a, float), np.asarray(b, float))
                except ValueError:
                    raise Fault(f"{self.seg(node)}: a product of shapes {_shape(a)} and "
                                f"{_shape(b)}") from None
            self._same(node, a, b, "element-wise arithmetic")
            a, b = np.asarray(a, float), np.asarray(b, float)
            out = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                   ast.Div: np.divide, ast.Pow: np.power}[type(op)](a, b)
            return out if out.ndim else float(out)

    def _failed_comparison(self, node: ast.Compare, bound):
        """``None`` when the chain holds, else ``(left, op, right, lv, rv)`` of the first
        comparison that fails."""
        left, lv = node.left, self._value(node.left, bound)
        for op, right in zip(node.ops, node.comparators):
            rv = self._value(right, bound)
            self._same(node, lv, rv, "a comparison")
            a, b = np.asarray(lv, float), np.asarray(rv, float)
            with np.errstate(all="ignore"):
                close = (a == b) | (np.isfinite(a) & np.isfinite(b)
                                    & (np.abs(a - b) <= RTOL * (1 + np.abs(a) + np.abs(b))))
                ok = {ast.Eq: close, ast.NotEq: ~close, ast.Lt: a < b, ast.LtE: (a <= b) | close,
                      ast.Gt: a > b, ast.GtE: (a >= b) | close}[type(op)]
            if not np.all(ok):
                return left, op, right, lv, rv
            left, lv = right, rv
        return None

    def _call(self, node, f, args, bound):
        if f in REDUCTIONS and len(args) == 4:
            return self._reduce(f, args, bound)
        if f == "implies":
            return (not self._truth(args[0], bound)) or self._truth(args[1], bound)
        vals = [self._value(a, bound) for a in args]
        with np.errstate(all="ignore"):
            try:
                out = _apply(f, vals)
            except (ValueError, np.linalg.LinAlgError, TypeError) as e:
                raise Fault(f"{self.seg(node)} cannot be computed: {e}") from None
        return out if np.ndim(out) else (out if isinstance(out, (bool, int)) else float(out))

    def _reduce(self, f, args, bound):
        body, index, lo, hi = args
        lo_v, hi_v = self.integer(lo, bound), self.integer(hi, bound)
        total = 0.0 if f == "sum" else 1.0
        for j in range(lo_v, hi_v + 1):
            inner = {**bound, index.id: j}
            if f == "all" and not self._truth(body, inner):
                return False
            if f == "any" and self._truth(body, inner):
                return True
            if f in ("sum", "prod"):
                v = self._value(body, inner)
                self._same(body, total, v, "terms")
                total = total + np.asarray(v, float) if f == "sum" else total * np.asarray(v, float)
        if f in ("all", "any"):
            return f == "all"
        return total if np.ndim(total) else float(total)

    # -- why a claim fails ----------------------------------------------------------
    def why(self, node: ast.expr, bound: dict[str, int]) -> str:
        """What makes ``node`` false here: the first failing part, with its values."""
        match node:
            case ast.BoolOp(op=ast.And(), values=vs):
                bad = next(v for v in vs if not self._truth(v, bound))
                return self.why(bad, bound)
            case ast.Call(func=ast.Name(id="implies"), args=[p, q]):
                return f"{self.seg(p)} holds, but " + self.why(q, bound)
            case ast.Call(func=ast.Name(id="all"), args=[body, index, lo, hi]):
                for j in range(self.integer(lo, bound), self.integer(hi, bound) + 1):
                    inner = {**bound, index.id: j}
                    if not self._truth(body, inner):
                        return f"at {index.id} = {j}: " + self.why(body, inner)
            case ast.Compare():
                left, op, right, lv, rv = self._failed_comparison(node, bound)
                sym = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
                       ast.GtE: ">="}[type(op)]
                return (f"{self.seg(left)} {sym} {self.seg(right)} fails: "
                        f"{format_value(lv)} vs {format_value(rv)}")
        return f"{self.seg(node)} is false"


def _softmax(v):
    e = np.exp(v - np.max(v))
    return e / e.sum()


_ELEMENTWISE = {"exp": np.exp, "log": np.log, "log2": np.log2, "sqrt": np.sqrt, "abs": np.abs,
                "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
                "relu": lambda x: np.maximum(x, 0), "floor": np.floor, "ceil": np.ceil}


def _apply(f: str, vals: list):
    a = [np.asarray(v, float) for v in vals]
    if f in _ELEMENTWISE:
        return _ELEMENTWISE[f](a[0])
    if f in ("max", "min"):
        if len(a) == 1:
            return np.max(a[0]) if f == "max" else np.min(a[0])
        if a[0].shape and a[1].shape and a[0].shape != a[1].shape:
            raise ValueError(f"shapes {a[0].shape} and {a[1].shape}")
        return np.maximum(*a) if f == "max" else np.minimum(*a)
    if f in ("sum", "prod"):
        return np.sum(a[0]) if f == "sum" else np.prod(a[0])
    if f == "norm":
        return np.linalg.norm(a[0])
    if f == "concat":
        return np.concatenate([np.atleast_1d(x) for x in a])
    if f == "eye":
        return np.eye(int(a[0]))
    if f in ("matpow", "outer"):
        return np.linalg.matrix_power(a[0], int(a[1])) if f == "matpow" else np.outer(*a)
    table = {"softmax": _softmax, "opnorm": lambda m: np.linalg.norm(m, 2),
             "spectral_radius": lambda m: np.max(np.abs(np.linalg.eigvals(m))),
             "trace": np.trace, "det": np.linalg.det, "inv": np.linalg.inv, "diag": np.diag}
    return table[f](a[0])
