"""The parser: expression text -> a whitelist-checked :class:`ParsedExpr`, and the names it
references.

Expressions are parsed with :func:`ast.parse` and walked node by node against a
whitelist; nothing is ever evaluated. The grammar (docs/spec-language.md):

* ``+ - * /`` element-wise, with scalars broadcasting; ``@`` matrix product where a
  1-D vector follows NumPy semantics (``W @ x`` and ``x @ W`` both work, ``u @ v``
  is the inner product); unary ``-``; ``.T``;
* numbers, kept exact (``0.5`` becomes ``1/2``);
* ``v[t-1]``, ``v[t+1]`` (any ``t-k``/``t+k``): the variable ``k`` steps earlier/later;
* calls of the fixed function table (:mod:`seqcheck.spec.functions`), including
  ``concat(a, b, ...)``.

The walk is iterative, with the size and depth limits of :data:`.tables.LIMITS`. The
typechecker (:mod:`.typecheck`) reuses its positions and time offsets.
"""

from __future__ import annotations

import ast
import math
import re
import warnings

from ..functions import FUNCTIONS
from ..suggest import did_you_mean
from .tables import (
    BINOPS,
    FORBIDDEN_CONSTRUCTS,
    GRAMMAR_HINT,
    LIMITS,
    NUMBER_HINT,
    REFUSED_OPERATORS,
    SPLIT_HINT,
    STATEMENTS,
)
from .values import ExprError, ParsedExpr, Reference

__all__ = ["parse_expression", "references", "time_offset", "position", "segment", "char_col"]


# -- positions ------------------------------------------------------------------
def char_col(text: str, lineno: int, byte_col: int) -> int:
    """Convert ast's UTF-8 byte column to a character column."""
    lines = text.split("\n")
    if not 1 <= lineno <= len(lines):
        return byte_col
    return len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))


def position(text: str, node: ast.AST) -> dict:
    """The ``lineno``, ``col`` and ``span`` of ``node`` in the expression text, as keywords of
    :class:`ExprError` and :class:`Reference`."""
    # The text is parsed as "(\n" + text + "\n)", so ast line 2 is text line 1.
    lineno = getattr(node, "lineno", 2) - 1
    col = char_col(text, lineno, getattr(node, "col_offset", 0))
    end_line = getattr(node, "end_lineno", None)
    end = getattr(node, "end_col_offset", None)
    span = 1
    if end is not None and end_line is not None and end_line - 1 == lineno:
        span = max(1, char_col(text, lineno, end) - col)
    return {"lineno": lineno, "col": col, "span": span}


def segment(text: str, node: ast.AST) -> str:
    """The source text of ``node``, on one line (``"?"`` where there is none)."""
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
            hint=SPLIT_HINT,
        )
    try:
        with warnings.catch_warnings():  # "invalid decimal literal": reported as an error
            warnings.simplefilter("ignore", SyntaxWarning)
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
            hint=GRAMMAR_HINT,
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
                    hint=NUMBER_HINT,
                )


def _raise_statement_error(text: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            module = ast.parse(text.strip(), mode="exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return
    for stmt in module.body:
        what = STATEMENTS.get(type(stmt))
        if what:
            raise ExprError(
                "forbidden-construct",
                f"{what} is not allowed in an expression",
                lineno=stmt.lineno,
                col=char_col(text.strip(), stmt.lineno, stmt.col_offset),
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
                **position(text, node),
                hint=SPLIT_HINT,
                details=details,
            )
        _check_node(text, node)
        link = chain + 1 if isinstance(node, ast.BinOp) else chain
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr_context, ast.operator, ast.unaryop)):
                continue
            stack.append((child, depth + 1, link))


def _check_node(text: str, node: ast.AST) -> None:
    pos = position(text, node)
    if type(node) in FORBIDDEN_CONSTRUCTS:
        raise ExprError(
            "forbidden-construct",
            f"{FORBIDDEN_CONSTRUCTS[type(node)]} is not allowed in an expression",
            **pos,
            hint=GRAMMAR_HINT,
        )
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ExprError(
                "forbidden-construct",
                f"the literal {segment(text, node)} is not a number",
                **pos,
                hint="only integer and decimal numbers may appear in expressions",
            )
        seg = segment(text, node).lower()
        if seg[:2] in ("0x", "0o", "0b"):  # 0x + 40 hex digits would be a 49-digit integer
            digits = sum(ch in "0123456789abcdef" for ch in seg[2:])
        else:
            digits = sum(ch.isdigit() for ch in seg)
        if digits > LIMITS["digits"]:
            raise ExprError(
                "too-large",
                f"the number has {digits} digits; the limit is {LIMITS['digits']}",
                **pos,
                hint=NUMBER_HINT,
            )
        if isinstance(v, float) and not math.isfinite(v):
            raise ExprError(
                "forbidden-construct",
                f"the number {segment(text, node)} is not finite",
                **pos,
                hint="use a finite number",
            )
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in BINOPS:
            sym = REFUSED_OPERATORS.get(type(node.op), "this")
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
        time_offset(text, node)
    elif not isinstance(node, ast.Name):
        raise ExprError(
            "forbidden-construct",
            f"'{segment(text, node)}' ({type(node).__name__}) is not part of the grammar",
            **pos,
            hint=GRAMMAR_HINT,
        )


def _check_call(text: str, node: ast.Call, pos: dict) -> None:
    if isinstance(node.func, ast.Lambda):
        raise ExprError(
            "forbidden-construct",
            "a lambda is not allowed in an expression",
            **position(text, node.func),
            hint=GRAMMAR_HINT,
        )
    if not isinstance(node.func, ast.Name):
        raise ExprError(
            "forbidden-construct",
            f"only functions of the table can be called, not '{segment(text, node.func)}'",
            **position(text, node.func),
            hint="available functions: " + ", ".join(FUNCTIONS),
        )
    name = node.func.id
    if name not in FUNCTIONS:
        close = did_you_mean(name, FUNCTIONS)
        hint = f"did you mean '{close}'? " if close else ""
        raise ExprError(
            "unknown-function",
            f"'{name}' is not in the function table",
            **position(text, node.func),
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


def time_offset(text: str, node: ast.Subscript) -> int:
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
            f"the subscript '{segment(text, node)}' is not allowed; only a time index "
            "v[t-k] or v[t+k] with a positive integer k is",
            **position(text, node),
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
            name = node.value.id  # checked by time_offset
            offset = time_offset(parsed.text, node)
            refs.append(Reference(name, offset, **position(parsed.text, node)))
            continue
        if isinstance(node, ast.Name):
            refs.append(Reference(node.id, 0, **position(parsed.text, node)))
            continue
        if isinstance(node, ast.Call):
            stack.extend(reversed(node.args))
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return refs
