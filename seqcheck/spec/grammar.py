"""The restricted expression grammar: Python ``ast`` in, SymPy matrix expressions out.

Expressions are parsed with :func:`ast.parse` and walked node by node against a
whitelist; nothing is ever evaluated. The grammar (docs/spec-language.md):

* ``+ - * /`` element-wise, with scalars broadcasting; ``@`` matrix product where a
  1-D vector follows NumPy semantics (``W @ x`` and ``x @ W`` both work, ``u @ v``
  is the inner product); unary ``-``; ``.T``;
* numbers, kept exact (``0.5`` becomes ``1/2``);
* ``v[t-1]``, ``v[t+1]`` (any ``t-k``/``t+k``): the variable ``k`` steps earlier/later;
* calls of the fixed function table (:mod:`seqcheck.spec.functions`), including
  ``concat(a, b, ...)``.

Shapes are tracked NumPy-style: ``()`` scalar, ``(n,)`` vector, ``(n, m)`` matrix,
with SymPy dims. A vector is a SymPy column matrix ``(n, 1)``.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Protocol

import sympy as sp
from sympy import BlockMatrix, HadamardPower, OneMatrix, Trace
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .functions import FUNCTIONS

__all__ = [
    "Typed",
    "ExprError",
    "ParsedExpr",
    "Reference",
    "Scope",
    "parse_expression",
    "references",
    "typecheck",
    "format_shape",
    "sympy_shape",
    "same_dim",
    "LIMITS",
]

#: Resource limits for untrusted expression text.
LIMITS = {"chars": 10_000, "depth": 150, "nodes": 2_000, "digits": 40}

_FORBIDDEN_NAMES = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator",
    ast.IfExp: "a conditional expression",
    ast.Dict: "a dict literal",
    ast.Set: "a set literal",
    ast.List: "a list literal",
    ast.Tuple: "a tuple",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "a starred argument",
    ast.Slice: "a slice",
}
_STATEMENT_NAMES = {
    ast.Import: "an import",
    ast.ImportFrom: "an import",
    ast.Assign: "an assignment",
    ast.AugAssign: "an assignment",
    ast.AnnAssign: "an assignment",
    ast.FunctionDef: "a function definition",
    ast.AsyncFunctionDef: "a function definition",
    ast.ClassDef: "a class definition",
    ast.Delete: "a del statement",
    ast.Global: "a global statement",
    ast.Nonlocal: "a nonlocal statement",
    ast.For: "a loop",
    ast.While: "a loop",
    ast.With: "a with statement",
    ast.Raise: "a raise statement",
    ast.Try: "a try statement",
    ast.Assert: "an assert statement",
    ast.If: "an if statement",
    ast.Return: "a return statement",
    ast.Pass: "a pass statement",
}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@"}


@dataclass(frozen=True)
class Typed:
    """A SymPy expression with its NumPy-style shape.

    Arguments:
        expr: SymPy scalar ``Expr`` (shape ``()``) or ``MatrixExpr``.
        shape: ``()``, ``(n,)`` or ``(n, m)`` with SymPy dims.
    """

    expr: object
    shape: tuple

    @property
    def is_scalar(self) -> bool:
        return len(self.shape) == 0


class ExprError(Exception):
    """A problem inside one expression, positioned relative to the expression text.

    The loader turns it into a located :class:`~seqcheck.errors.Diagnostic`.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        lineno: int = 1,
        col: int = 0,
        span: int = 1,
        symbol: str | None = None,
        hint: str | None = None,
        details: tuple[str, ...] = (),
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.lineno = lineno
        self.col = col
        self.span = span
        self.symbol = symbol
        self.hint = hint
        self.details = details


@dataclass(frozen=True)
class ParsedExpr:
    """An expression that passed the syntax and whitelist checks."""

    text: str
    tree: ast.Expression = field(repr=False)


@dataclass(frozen=True)
class Reference:
    """A name used in an expression, with its time offset (``h[t-1]`` -> ``("h", -1)``)."""

    name: str
    offset: int
    lineno: int
    col: int
    span: int


class Scope(Protocol):
    """What :func:`typecheck` needs from its caller."""

    def resolve(self, ref: Reference) -> Typed:
        """Return the typed symbol for ``ref`` or raise :class:`ExprError`."""

    def dim_lines(self) -> tuple[str, ...]:
        """Lines describing every dim and its current binding, for shape errors."""


# -- positions ------------------------------------------------------------------
def _char_col(text: str, lineno: int, byte_col: int) -> int:
    """Convert ast's UTF-8 byte column to a character column."""
    lines = text.split("\n")
    if not 1 <= lineno <= len(lines):
        return byte_col
    return len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))


def _pos(text: str, node: ast.AST) -> dict:
    # The text is parsed as "(\n" + text + "\n)", so ast line 2 is text line 1.
    lineno = getattr(node, "lineno", 2) - 1
    col = _char_col(text, lineno, getattr(node, "col_offset", 0))
    end_line = getattr(node, "end_lineno", None)
    end = getattr(node, "end_col_offset", None)
    span = 1
    if end is not None and end_line is not None and end_line - 1 == lineno:
        span = max(1, _char_col(text, lineno, end) - col)
    return {"lineno": lineno, "col": col, "span": span}


def _segment(text: str, node: ast.AST) -> str:
    seg = ast.get_source_segment("(\n" + text + "\n)", node)
    return " ".join(seg.split()) if seg else "?"


# -- parsing --------------------------------------------------------------------
def parse_expression(text: str) -> ParsedExpr:
    """Parse and whitelist-check one expression.

    Arguments:
        text: expression source, e.g. ``"tanh(W @ h[t-1] + U @ x + b)"``.
    Returns:
        The parsed expression.
    Raises:
        ExprError: syntax errors, forbidden constructs, or text over :data:`LIMITS`.
    """
    if not isinstance(text, str):
        raise ExprError("type-error", f"an expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExprError("syntax-error", "the expression is empty", hint="write the right-hand side")
    if len(text) > LIMITS["chars"]:
        raise ExprError(
            "too-large",
            f"the expression is {len(text)} characters long; the limit is {LIMITS['chars']}",
            hint="split it into several equations with intermediate variables",
        )
    try:
        tree = ast.parse("(\n" + text + "\n)", mode="eval")
    except SyntaxError as e:
        _raise_digit_error(text, e)
        _raise_statement_error(text)
        lineno = max(1, (e.lineno or 2) - 1)
        col = max(0, (e.offset or 1) - 1)
        raise ExprError(
            "syntax-error",
            f"invalid expression syntax: {e.msg}",
            lineno=lineno,
            col=col,
            hint="expressions use + - * / @, .T, v[t-1], numbers and calls of the function table",
        ) from None
    except (RecursionError, MemoryError, ValueError) as e:
        raise ExprError(
            "too-large",
            f"the expression cannot be parsed within the resource limits ({type(e).__name__})",
            hint=f"keep nesting below {LIMITS['depth']} levels",
        ) from None
    _check_tree(text, tree)
    return ParsedExpr(text, tree)


def _raise_digit_error(text: str, e: SyntaxError) -> None:
    """Python refuses decimal literals over ``sys.get_int_max_str_digits()`` digits as a syntax
    error; report them as the number over the digit limit that they are."""
    if "integer string conversion" not in (e.msg or ""):
        return
    lines = text.split("\n")
    for lineno, line in enumerate(lines, 1):
        for m in re.finditer(r"\w+", line):
            digits = sum(ch.isdigit() for ch in m.group())
            if m.group()[0].isdigit() and digits > LIMITS["digits"]:
                raise ExprError(
                    "too-large",
                    f"the number has {digits} digits; the limit is {LIMITS['digits']}",
                    lineno=lineno, col=m.start(), span=m.end() - m.start(),
                    hint="write the number in scientific notation or as a parameter",
                )


def _raise_statement_error(text: str) -> None:
    try:
        module = ast.parse(text.strip(), mode="exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return
    for stmt in module.body:
        what = _STATEMENT_NAMES.get(type(stmt))
        if what:
            raise ExprError(
                "forbidden-construct",
                f"{what} is not allowed in an expression",
                lineno=stmt.lineno,
                col=_char_col(text.strip(), stmt.lineno, stmt.col_offset),
                hint="a spec expression is a single right-hand side, e.g. tanh(W @ x + b)",
            )


def _check_tree(text: str, tree: ast.Expression) -> None:
    """Reject forbidden nodes, and trees over the depth and size limits (iteratively)."""
    stack = [(tree.body, 1, 0)]
    count = 0
    while stack:
        node, depth, chain = stack.pop()
        count += 1
        if depth > LIMITS["depth"] or count > LIMITS["nodes"]:
            deep = depth > LIMITS["depth"]
            details = ()
            if deep and chain > depth // 2:  # a long flat sum reads as one level to a reader
                details = (f"a chain of operators like a + b + c counts one level per operator; "
                           f"{chain} of the {depth} levels here are + - * / @",)
            raise ExprError(
                "too-large",
                f"the expression is {'nested too deeply' if deep else 'too large'} (limits: "
                f"depth {LIMITS['depth']}, {LIMITS['nodes']} nodes)",
                **_pos(text, node),
                hint="split it into several equations with intermediate variables",
                details=details,
            )
        _check_node(text, node)
        link = chain + 1 if isinstance(node, ast.BinOp) else chain
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr_context, ast.operator, ast.unaryop)):
                continue
            stack.append((child, depth + 1, link))


def _check_node(text: str, node: ast.AST) -> None:
    pos = _pos(text, node)
    if type(node) in _FORBIDDEN_NAMES:
        raise ExprError(
            "forbidden-construct",
            f"{_FORBIDDEN_NAMES[type(node)]} is not allowed in an expression",
            **pos,
            hint="expressions use + - * / @, .T, v[t-1], numbers and calls of the function table",
        )
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ExprError(
                "forbidden-construct",
                f"the literal {_segment(text, node)} is not a number",
                **pos,
                hint="only integer and decimal numbers may appear in expressions",
            )
        seg = _segment(text, node).lower()
        if seg[:2] in ("0x", "0o", "0b"):  # 0x + 40 hex digits would be a 49-digit integer
            digits = sum(ch in "0123456789abcdef" for ch in seg[2:])
        else:
            digits = sum(ch.isdigit() for ch in seg)
        if digits > LIMITS["digits"]:
            raise ExprError(
                "too-large",
                f"the number has {digits} digits; the limit is {LIMITS['digits']}",
                **pos,
                hint="write the number in scientific notation or as a parameter",
            )
        if isinstance(v, float) and not math.isfinite(v):
            raise ExprError(
                "forbidden-construct",
                f"the number {_segment(text, node)} is not finite",
                **pos,
                hint="use a finite number",
            )
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            sym = {ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%"}.get(type(node.op), "this")
            raise ExprError(
                "forbidden-construct",
                f"the operator '{sym}' is not part of the grammar",
                **pos,
                hint="use + - * / @ and the functions exp, log, sqrt",
            )
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExprError(
                "forbidden-construct",
                "only unary minus and plus are allowed",
                **pos,
                hint="write 1 - x for a complement",
            )
    elif isinstance(node, ast.Attribute):
        if node.attr != "T":
            raise ExprError(
                "forbidden-construct",
                f"attribute access '.{node.attr}' is not allowed; only '.T' (transpose) is",
                **pos,
                symbol=node.attr,
                hint="write v.T for a transpose; other attributes are never looked up",
            )
    elif isinstance(node, ast.Call):
        _check_call(text, node, pos)
    elif isinstance(node, ast.Subscript):
        _time_offset(text, node)
    elif not isinstance(node, ast.Name):
        raise ExprError(
            "forbidden-construct",
            f"'{_segment(text, node)}' ({type(node).__name__}) is not part of the grammar",
            **pos,
            hint="expressions use + - * / @, .T, v[t-1], numbers and calls of the function table",
        )


def _check_call(text: str, node: ast.Call, pos: dict) -> None:
    if isinstance(node.func, ast.Lambda):
        raise ExprError(
            "forbidden-construct",
            "a lambda is not allowed in an expression",
            **_pos(text, node.func),
            hint="expressions use + - * / @, .T, v[t-1], numbers and calls of the function table",
        )
    if not isinstance(node.func, ast.Name):
        raise ExprError(
            "forbidden-construct",
            f"only functions of the table can be called, not '{_segment(text, node.func)}'",
            **_pos(text, node.func),
            hint="available functions: " + ", ".join(FUNCTIONS),
        )
    name = node.func.id
    if name not in FUNCTIONS:
        close = did_you_mean(name, FUNCTIONS)
        hint = f"did you mean '{close}'? " if close else ""
        raise ExprError(
            "unknown-function",
            f"'{name}' is not in the function table",
            **_pos(text, node.func),
            symbol=name,
            hint=hint + "available functions: " + ", ".join(FUNCTIONS),
        )
    if node.keywords:
        raise ExprError(
            "forbidden-construct",
            f"keyword arguments are not allowed in a call of '{name}'",
            **pos,
            symbol=name,
            hint=f"write {name}(x)",
        )


def _time_offset(text: str, node: ast.Subscript) -> int:
    """The k of ``v[t+k]``; anything else is a forbidden subscript."""
    s = node.slice
    offset = None
    if isinstance(s, ast.Name) and s.id == "t":
        offset = 0
    elif (
        isinstance(s, ast.BinOp)
        and isinstance(s.op, (ast.Add, ast.Sub))
        and isinstance(s.left, ast.Name)
        and s.left.id == "t"
        and isinstance(s.right, ast.Constant)
        and type(s.right.value) is int
        and 0 < s.right.value <= 1000
    ):
        offset = s.right.value if isinstance(s.op, ast.Add) else -s.right.value
    if offset is None or not isinstance(node.value, ast.Name):
        raise ExprError(
            "forbidden-construct",
            f"the subscript '{_segment(text, node)}' is not allowed; only a time index "
            "v[t-k] or v[t+k] with a positive integer k is",
            **_pos(text, node),
            hint="write h[t-1] for the previous step or h[t+1] for the next",
        )
    return offset


# -- references -----------------------------------------------------------------
def references(parsed: ParsedExpr) -> list[Reference]:
    """Every variable name an expression uses, with its time offset, in source order."""
    refs: list[Reference] = []
    stack: list[ast.AST] = [parsed.tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Subscript):
            name = node.value.id  # checked by _time_offset
            refs.append(Reference(name, _time_offset(parsed.text, node), **_pos(parsed.text, node)))
            continue
        if isinstance(node, ast.Name):
            refs.append(Reference(node.id, 0, **_pos(parsed.text, node)))
            continue
        if isinstance(node, ast.Call):
            stack.extend(reversed(node.args))
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return refs


# -- typing -----------------------------------------------------------------------
def format_shape(shape: tuple) -> str:
    """``(H, D)``, ``(H,)`` or ``()``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def sympy_shape(shape: tuple) -> tuple:
    """The SymPy matrix shape of a NumPy-style shape (a vector is a column)."""
    if len(shape) == 1:
        return (shape[0], 1)
    return tuple(shape)


def same_dim(a, b) -> bool:
    return sp.expand(sp.sympify(a) - sp.sympify(b)) == 0


def same_shape(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(same_dim(x, y) for x, y in zip(a, b))


class _Typer:
    def __init__(self, parsed: ParsedExpr, scope: Scope):
        self.text = parsed.text
        self.scope = scope

    def fail(self, node, kind, message, hint=None, details=(), symbol=None):
        raise ExprError(
            kind, message, **_pos(self.text, node), hint=hint, details=details, symbol=symbol
        )

    def seg(self, node) -> str:
        return _segment(self.text, node)

    def shape_error(self, node, what: str, parts: list[tuple[ast.AST, Typed]], hint: str):
        details = tuple(
            f"{self.seg(n)} has shape {format_shape(v.shape)}" for n, v in parts
        ) + tuple(self.scope.dim_lines())
        self.fail(node, "shape-mismatch", what, hint=hint, details=details)

    # dispatch
    def visit(self, node) -> Typed:
        if isinstance(node, ast.Constant):
            seg = self.seg(node)
            value = sp.Integer(node.value) if isinstance(node.value, int) else sp.Rational(seg)
            return Typed(value, ())
        if isinstance(node, ast.Name):
            if node.id == "t":
                self.fail(
                    node,
                    "forbidden-construct",
                    "'t' may only appear inside a time index such as h[t-1]",
                    hint="the current step is implicit: write h for h[t]",
                )
            return self.scope.resolve(Reference(node.id, 0, **_pos(self.text, node)))
        if isinstance(node, ast.Subscript):
            ref = Reference(node.value.id, _time_offset(self.text, node), **_pos(self.text, node))
            return self.scope.resolve(ref)
        if isinstance(node, ast.Attribute):
            return self.transpose(self.visit(node.value))
        if isinstance(node, ast.UnaryOp):
            v = self.visit(node.operand)
            if isinstance(node.op, ast.UAdd):
                return v
            return Typed(-v.expr, v.shape)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        self.fail(node, "forbidden-construct", f"'{self.seg(node)}' is not part of the grammar")

    @staticmethod
    def transpose(v: Typed) -> Typed:
        if len(v.shape) < 2:  # NumPy: .T of a scalar or 1-D vector is itself
            return v
        return Typed(v.expr.T, (v.shape[1], v.shape[0]))

    @staticmethod
    def ones(shape: tuple):
        return OneMatrix(*sympy_shape(shape))

    def binop(self, node: ast.BinOp) -> Typed:
        a, b = self.visit(node.left), self.visit(node.right)
        op = _BINOPS[type(node.op)]
        parts = [(node.left, a), (node.right, b)]
        if op == "@":
            return self.matmul(node, a, b, parts)
        if a.is_scalar and b.is_scalar:
            e = {"+": a.expr + b.expr, "-": a.expr - b.expr, "*": a.expr * b.expr}.get(op)
            return Typed(e if e is not None else a.expr / b.expr, ())
        if op in "+-":
            sign = 1 if op == "+" else -1
            if a.is_scalar:
                return Typed(a.expr * self.ones(b.shape) + sign * b.expr, b.shape)
            if b.is_scalar:
                return Typed(a.expr + sign * b.expr * self.ones(a.shape), a.shape)
            if not same_shape(a.shape, b.shape):
                self.shape_error(
                    node,
                    f"shape mismatch in '{op}': {format_shape(a.shape)} {op} "
                    f"{format_shape(b.shape)}",
                    parts,
                    "element-wise operands need equal shapes (a scalar broadcasts)",
                )
            return Typed(a.expr + sign * b.expr, a.shape)
        if op == "*":
            if a.is_scalar or b.is_scalar:
                return Typed(a.expr * b.expr, b.shape if a.is_scalar else a.shape)
            if not same_shape(a.shape, b.shape):
                self.shape_error(
                    node,
                    f"shape mismatch in '*': {format_shape(a.shape)} * {format_shape(b.shape)}",
                    parts,
                    "'*' is element-wise and needs equal shapes; for a matrix product use '@'",
                )
            return Typed(sp.hadamard_product(a.expr, b.expr), a.shape)
        # division
        if b.is_scalar:
            return Typed(a.expr * (1 / b.expr), a.shape)
        inv = HadamardPower(b.expr, -1)
        if a.is_scalar:
            return Typed(a.expr * inv, b.shape)
        if not same_shape(a.shape, b.shape):
            self.shape_error(
                node,
                f"shape mismatch in '/': {format_shape(a.shape)} / {format_shape(b.shape)}",
                parts,
                "'/' is element-wise and needs equal shapes (a scalar broadcasts)",
            )
        return Typed(sp.hadamard_product(a.expr, inv), a.shape)

    def matmul(self, node, a: Typed, b: Typed, parts) -> Typed:
        if a.is_scalar or b.is_scalar:
            self.shape_error(
                node,
                "'@' needs a vector or matrix on both sides, got a scalar",
                parts,
                "use '*' to scale by a scalar",
            )
        inner_a = a.shape[-1]
        inner_b = b.shape[0]
        if not same_dim(inner_a, inner_b):
            self.shape_error(
                node,
                f"shape mismatch in '@': {format_shape(a.shape)} @ {format_shape(b.shape)}; "
                f"inner dims {inner_a} and {inner_b} differ",
                parts,
                "check the orientation: W @ x needs W of shape (out, in); x @ W needs (in, out)",
            )
        if len(a.shape) == 2 and len(b.shape) == 2:
            return Typed(a.expr * b.expr, (a.shape[0], b.shape[1]))
        if len(a.shape) == 2:  # matrix @ vector
            return Typed(a.expr * b.expr, (a.shape[0],))
        if len(b.shape) == 2:  # vector @ matrix == (matrix.T @ vector), a 1-D result
            return Typed(b.expr.T * a.expr, (b.shape[1],))
        return Typed(Trace(a.expr.T * b.expr), ())  # inner product of two vectors

    def call(self, node: ast.Call) -> Typed:
        name = node.func.id
        info = FUNCTIONS[name]
        args = [self.visit(a) for a in node.args]
        if info.kind == "concat":
            if not args:
                self.fail(node, "arity", "concat() needs at least one argument",
                          hint="concat(a, b)")
            blocks, total = [], sp.Integer(0)
            for arg_node, v in zip(node.args, args):
                if len(v.shape) == 2:
                    self.shape_error(
                        arg_node,
                        f"concat() stacks vectors and scalars, got shape {format_shape(v.shape)}",
                        [(arg_node, v)],
                        "concat takes vectors (1-D) and scalars",
                    )
                if v.is_scalar:
                    blocks.append([v.expr * OneMatrix(1, 1)] if v.expr != 1 else [OneMatrix(1, 1)])
                    total += 1
                else:
                    blocks.append([v.expr])
                    total += v.shape[0]
            if len(blocks) == 1:
                return Typed(blocks[0][0], (total,))
            return Typed(BlockMatrix(blocks), (total,))
        if info.kind == "bounded":
            return self.bounded(node, info, args)
        if len(args) != 1:
            self.fail(
                node,
                "arity",
                f"{name}() takes exactly one argument, got {len(args)}",
                hint=f"write {name}(x)",
            )
        (v,) = args
        if info.kind == "identity":
            return v
        if info.kind == "reduce":
            if len(v.shape) != 1:
                self.shape_error(
                    node,
                    f"{name}() takes a vector, got shape {format_shape(v.shape)}",
                    [(node.args[0], v)],
                    f"apply {name} to a 1-D vector",
                )
            return Typed(info.sympy(v.expr), ())
        if info.kind == "vector":
            if len(v.shape) != 1:
                self.shape_error(
                    node,
                    f"{name}() takes a vector, got shape {format_shape(v.shape)}",
                    [(node.args[0], v)],
                    f"apply {name} to a 1-D vector",
                )
            return Typed(info.sympy(v.expr), v.shape)
        if v.is_scalar:
            return Typed(info.sympy(v.expr), ())
        return Typed(ElementwiseApplyFunction(info.sympy, v.expr), v.shape)

    def bounded(self, node: ast.Call, info, args: list[Typed]) -> Typed:
        """``clip(v, c)``: element-wise in v; c a positive number or a scalar's name."""
        name = info.name
        if len(args) != 2:
            self.fail(node, "arity", f"{name}() takes exactly two arguments, got {len(args)}",
                      hint=f"write {name}(v, 0.5) for v limited to [-0.5, 0.5]")
        (v, c), bound = args, node.args[1]
        number = isinstance(bound, ast.Constant) and bool(c.expr.is_positive)
        if not (number or (isinstance(bound, ast.Name) and c.is_scalar)):
            self.fail(bound, "forbidden-construct",
                      f"the bound of {name}() must be a positive number or the name of a "
                      f"scalar parameter, not '{self.seg(bound)}'",
                      hint=f"write {name}(v, 0.5), or {name}(v, c) with c = {{ shape = [] }} "
                           "under [params]")
        if v.is_scalar:
            return Typed(info.sympy(v.expr, c.expr), ())
        d = sp.Dummy("d")
        return Typed(ElementwiseApplyFunction(sp.Lambda(d, info.sympy(d, c.expr)), v.expr),
                     v.shape)


def typecheck(parsed: ParsedExpr, scope: Scope) -> Typed:
    """Type an expression: resolve names through ``scope``, check shapes, build SymPy.

    Arguments:
        parsed: the output of :func:`parse_expression`.
        scope: resolves names (with time offsets) to typed symbols.
    Returns:
        The SymPy expression and its shape.
    Raises:
        ExprError: unknown symbols (raised by the scope) and shape mismatches.
    """
    return _Typer(parsed, scope).visit(parsed.tree.body)


def did_you_mean(name: str, candidates) -> str | None:
    """The closest candidate to a misspelt ``name``, or None.

    Ties in similarity go to the candidate sharing the longer prefix (``Ux`` -> ``U``).
    """
    best, key = None, None
    for c in candidates:
        ratio = difflib.SequenceMatcher(None, name, c).ratio()
        if ratio < 0.6:
            continue
        prefix = len(_common_prefix(name, c))
        k = (ratio + 0.01 * prefix, -len(c))
        if key is None or k > key:
            best, key = c, k
    return best


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
