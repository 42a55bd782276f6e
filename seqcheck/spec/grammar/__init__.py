"""The restricted expression grammar: Python ``ast`` in, SymPy matrix expressions out.

One expression is parsed and whitelist-checked (:mod:`.parse`), its references collected,
and typed against a scope (:mod:`.typecheck`) into a :class:`Typed` SymPy expression
(:mod:`.values`) with a NumPy-style shape (:mod:`.shapes`); the limits and the names of
refused constructs are tables (:mod:`.tables`). The language is in docs/spec-language.md.
"""

from .parse import parse_expression, references
from .shapes import format_shape, same_dim, same_shape, sympy_shape
from .tables import LIMITS
from .typecheck import typecheck
from .values import ExprError, ParsedExpr, Reference, Scope, Typed

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
    "same_shape",
    "LIMITS",
]
