"""The values the grammar hands on: a parsed expression, the references it makes, its typed
SymPy form with a NumPy-style shape (:mod:`.shapes`), the error it raises, and the scope it
types against.

The parser (:mod:`.parse`) produces :class:`ParsedExpr` and :class:`Reference`, the
typechecker (:mod:`.typecheck`) :class:`Typed`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Typed", "ExprError", "ParsedExpr", "Reference", "Scope"]


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
    """What :func:`~seqcheck.spec.grammar.typecheck` needs from its caller."""

    def resolve(self, ref: Reference) -> Typed:
        """Return the typed symbol for ``ref`` or raise :class:`ExprError`."""

    def dim_lines(self) -> tuple[str, ...]:
        """Lines describing every dim and its current binding, for shape errors."""
