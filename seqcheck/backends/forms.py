"""Forms of SymPy matrix expressions the array printer recognises (:mod:`.printer`)."""

from __future__ import annotations

import sympy as sp
from sympy import MatMul
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

__all__ = ["column_of", "lambda_of", "negated"]


def lambda_of(expr: ElementwiseApplyFunction):
    """(body, variable) of the function an element-wise application applies, a Lambda
    or a bare function class (``tanh``, which applies as ``tanh(d)``)."""
    lam = expr.function
    if not isinstance(lam, sp.Lambda):
        d = sp.Dummy("d")
        lam = sp.Lambda(d, lam(d))
    return lam.expr, lam.variables[0]


def column_of(row):
    """The column vector whose transpose is the row ``row`` (shape (1, n)), or None.

    SymPy distributes a transpose into its argument ([a; b]ᵀ = [aᵀ, bᵀ], (a ∘ b)ᵀ =
    aᵀ ∘ bᵀ); transposing again recovers the column.
    """
    if row.shape[0] != 1:
        return None
    return row.T


def negated(term) -> bool:
    """A term of a sum that prints as a subtraction: a product with a negative number first."""
    return isinstance(term, MatMul) and term.args[0].is_Number and term.args[0] < 0
