"""The formula grammar: a printed formula, written in Python syntax, checked node by node
against a whitelist. Nothing is ever evaluated as Python: :mod:`.evaluate` walks the
checked tree.

The grammar (docs/errata.md, "Formula transcriptions") has numbers, ``+ - * / ** @``,
``.T``, entries ``a[i, j]`` with integer index expressions, comparisons (chained),
``and or not``, ``x if c else y``, and calls of :data:`FUNCTIONS`, among them the
reductions ``sum(e, j, lo, hi)``, ``prod``, ``all`` and ``any`` that bind the index ``j``
in ``e`` over the inclusive range ``lo..hi``, as Σ_{j=lo}^{hi} is printed.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from ...spec.grammar import LIMITS, ExprError
from ...spec.grammar.parse import position, segment
from ...spec.suggest import did_you_mean

__all__ = ["FUNCTIONS", "REDUCTIONS", "Use", "parse_formula", "uses", "segment", "position"]

#: name -> (fewest arguments, most arguments, what it computes).
FUNCTIONS: dict[str, tuple[int, int, str]] = {
    "sum": (1, 4, "sum(v): every entry; sum(e, j, lo, hi): Σ_{j=lo}^{hi} e"),
    "prod": (1, 4, "prod(v): every entry; prod(e, j, lo, hi): Π_{j=lo}^{hi} e"),
    "all": (4, 4, "all(e, j, lo, hi): e for every j in lo..hi"),
    "any": (4, 4, "any(e, j, lo, hi): e for some j in lo..hi"),
    "implies": (2, 2, "implies(p, q): q wherever p"),
    "max": (1, 2, "max(v): the largest entry; max(a, b): element-wise"),
    "min": (1, 2, "min(v): the smallest entry; min(a, b): element-wise"),
    **{f: (1, 1, "element-wise") for f in ("exp", "log", "log2", "sqrt", "abs", "tanh",
                                           "sigmoid", "relu", "floor", "ceil")},
    "softmax": (1, 1, "exp(v) / Σ exp(v)"),
    "norm": (1, 1, "Euclidean norm of a vector, Frobenius norm of a matrix"),
    "opnorm": (1, 1, "spectral norm (largest singular value) of a matrix"),
    "spectral_radius": (1, 1, "largest modulus of an eigenvalue"),
    "trace": (1, 1, "trace"),
    "det": (1, 1, "determinant"),
    "inv": (1, 1, "inverse"),
    "diag": (1, 1, "the diagonal matrix of a vector"),
    "eye": (1, 1, "eye(n): the n × n identity"),
    "matpow": (2, 2, "matpow(A, n): A to the integer power n"),
    "outer": (2, 2, "outer(u, v): u vᵀ"),
    "concat": (1, 64, "concat(a, b, ...): the vectors (or scalars) stacked"),
}
#: The calls whose four-argument form binds an index: ``f(e, j, lo, hi)``.
REDUCTIONS = ("sum", "prod", "all", "any")
CONSTANTS = {"pi"}

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult)
_UNARY = (ast.USub, ast.UAdd, ast.Not)
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_ALLOWED = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name,
            ast.Constant, ast.Subscript, ast.Attribute, ast.Tuple, ast.Load, ast.And, ast.Or)
_HINT = ("formulas use numbers, + - * / ** @, .T, a[i, j], comparisons, and, or, not, "
         "x if c else y, and calls such as sum(e, j, 1, N)")


def parse_formula(text: str) -> ast.expr:
    """Parse and whitelist-check one formula.

    Arguments:
        text: e.g. ``"sum(W[i, k] * h[k], k, 1, H) == (W @ h)[i]"``.
    Returns:
        The checked syntax tree of the expression (positions relative to ``text`` as
        :func:`position` reads them).
    Raises:
        ExprError: a syntax error, a construct outside the grammar, a call outside
            :data:`FUNCTIONS`, or text over the limits of the spec language.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("syntax-error", "a formula must be a non-empty string",
                        hint="write the printed formula, e.g. \"sum(p[i], i, 1, K) == 1\"")
    if len(text) > LIMITS["chars"]:
        raise ExprError("too-large", f"the formula is {len(text)} characters long; the limit "
                        f"is {LIMITS['chars']}", hint="split it into [formula.let] definitions")
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like: errors below
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse("(\n" + text + "\n)", mode="eval")
    except SyntaxError as e:
        raise ExprError("syntax-error", f"invalid formula syntax: {e.msg}",
                        lineno=max(1, (e.lineno or 2) - 1), col=max(0, (e.offset or 1) - 1),
                        hint=_HINT) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("too-large", "the formula cannot be parsed within the resource limits",
                        hint=f"keep nesting below {LIMITS['depth']} levels") from None
    stack, count = [(tree.body, 1)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > LIMITS["depth"] or count > LIMITS["nodes"]:
            raise ExprError("too-large", f"the formula is too large (limits: depth "
                            f"{LIMITS['depth']}, {LIMITS['nodes']} nodes)",
                            **position(text, node), hint="split it into [formula.let] definitions")
        _check(text, node)
        stack += [(c, depth + 1) for c in ast.iter_child_nodes(node)
                  if not isinstance(c, (ast.expr_context, ast.operator, ast.unaryop,
                                        ast.cmpop, ast.boolop))]
    return tree.body


def _refuse(text: str, node: ast.AST, message: str, hint: str = _HINT) -> ExprError:
    return ExprError("forbidden-construct", message, **position(text, node), hint=hint)


def _check(text: str, node: ast.AST) -> None:
    if not isinstance(node, _ALLOWED):
        raise _refuse(text, node, f"{type(node).__name__} is not part of the formula grammar")
    if isinstance(node, ast.Constant) and (isinstance(node.value, bool)
                                          or not isinstance(node.value, (int, float))):
        raise _refuse(text, node, f"the literal {segment(text, node)} is not a number")
    if isinstance(node, ast.BinOp) and not isinstance(node.op, _BINOPS):
        raise _refuse(text, node, f"the operator of {segment(text, node)} is not allowed")
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, _UNARY):
        raise _refuse(text, node, f"the operator of {segment(text, node)} is not allowed")
    if isinstance(node, ast.Compare) and not all(isinstance(o, _COMPARE) for o in node.ops):
        raise _refuse(text, node, "only < <= > >= == != compare")
    if isinstance(node, ast.Attribute) and node.attr != "T":
        raise _refuse(text, node, f"attribute .{node.attr} is not allowed",
                      "the one attribute is .T (transpose)")
    if isinstance(node, ast.Subscript) and any(isinstance(n, ast.Slice)
                                               for n in ast.walk(node.slice)):
        raise _refuse(text, node, "a slice is not allowed", "write one entry, e.g. a[i, j]")
    if isinstance(node, ast.Call):
        _check_call(text, node)


def _check_call(text: str, node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        name = node.func.id if isinstance(node.func, ast.Name) else segment(text, node.func)
        close = did_you_mean(name, FUNCTIONS)
        raise ExprError("unknown-function", f"'{name}' is not a function of the formula grammar",
                        **position(text, node.func), symbol=name,
                        hint=f"did you mean '{close}'?" if close else
                        "functions: " + ", ".join(sorted(FUNCTIONS)))
    name = node.func.id
    lo, hi, doc = FUNCTIONS[name]
    if node.keywords or not lo <= len(node.args) <= hi or (name in REDUCTIONS
                                                          and len(node.args) not in (1, 4)):
        raise ExprError("bad-call", f"{segment(text, node)} does not match {doc}",
                        **position(text, node), symbol=name, hint=doc)
    if name in REDUCTIONS and len(node.args) == 4 and not isinstance(node.args[1], ast.Name):
        raise ExprError("bad-call", f"the index of {name}(...) must be a name",
                        **position(text, node.args[1]), symbol=name, hint=doc)


@dataclass(frozen=True)
class Use:
    """One name as a formula uses it.

    Arguments:
        name: the name.
        node: where it occurs.
        bound: the indices bound there by enclosing reductions.
        as_index: inside an entry's subscript or a range's limits, where only an integer
            (an index or a size) makes sense.
        context: the innermost entry ``a[...]`` or call around it (the name itself at the
            top), for messages.
    """

    name: str
    node: ast.Name
    bound: frozenset
    as_index: bool
    context: ast.expr


def uses(tree: ast.expr, bound: frozenset = frozenset()) -> list[Use]:
    """Every name the formula reads, with the reduction indices bound at that place.

    The function names of calls and the index names that reductions bind are not uses.
    """
    out: list[Use] = []
    stack = [(tree, frozenset(bound), False, tree)]
    while stack:
        node, scope, in_index, ctx = stack.pop()
        if isinstance(node, ast.Name):
            out.append(Use(node.id, node, scope, in_index, ctx if ctx is not node else node))
        elif isinstance(node, ast.Call):
            args = node.args
            if node.func.id in REDUCTIONS and len(args) == 4:
                stack.append((args[0], scope | {args[1].id}, in_index, node))
                stack += [(a, scope, True, node) for a in args[2:]]
            else:
                stack += [(a, scope, in_index, node) for a in args]
        elif isinstance(node, ast.Subscript):
            stack.append((node.value, scope, in_index, ctx))
            stack.append((node.slice, scope, True, node))
        else:
            stack += [(c, scope, in_index, ctx) for c in ast.iter_child_nodes(node)
                      if isinstance(c, ast.expr)]
    return sorted(out, key=lambda u: (u.node.lineno, u.node.col_offset))


def reduction_indices(tree: ast.expr) -> list[tuple[str, ast.Call]]:
    """The ``(index, call)`` of every reduction ``f(e, j, lo, hi)`` in the formula."""
    return [(n.args[1].id, n) for n in ast.walk(tree) if isinstance(n, ast.Call)
            and n.func.id in REDUCTIONS and len(n.args) == 4]
