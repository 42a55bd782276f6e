"""NumPy-style shapes with SymPy dims: ``()`` scalar, ``(n,)`` vector, ``(n, m)`` matrix.

A vector is a SymPy column matrix ``(n, 1)`` (:func:`sympy_shape`); two dims are the same
when they are equal as polynomials.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["format_shape", "sympy_shape", "same_dim", "same_shape"]


def format_shape(shape: tuple) -> str:
    """``(H, D)``, ``(H,)`` or ``()``.

    >>> # a vector keeps NumPy's trailing comma
    >>> format_shape((sp.Symbol("H"),))
    '(H,)'
    """
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def sympy_shape(shape: tuple) -> tuple:
    """The SymPy matrix shape of a NumPy-style shape (a vector is a column)."""
    if len(shape) == 1:
        return (shape[0], 1)
    return tuple(shape)


def same_dim(a, b) -> bool:
    """Whether two dims are equal as polynomials (``2*H`` and ``H + H`` are).

    Equal expressions are equal without the subtraction, whose first call in a process
    costs SymPy's lazy imports (about 0.1 s)."""
    a, b = sp.sympify(a), sp.sympify(b)
    return a == b or sp.expand(a - b) == 0


def same_shape(a: tuple, b: tuple) -> bool:
    """Whether two NumPy-style shapes have the same rank and equal dims."""
    return len(a) == len(b) and all(same_dim(x, y) for x, y in zip(a, b))
