"""The naming rule of a spec's SymPy symbols: ``h`` is h_t, ``h[t-1]`` the previous step,
``h[t+1]`` the next -- so every stage can tell a delayed reference from the current one by
its name alone (docs/architecture.md).

:func:`ref_name` and :func:`make_symbol` were in ``spec/model.py``; they sit below it so that
the scope that types expressions (:mod:`.scope`) can build symbols without the model.
"""

from __future__ import annotations

import sympy as sp

from .grammar import sympy_shape

__all__ = ["ref_name", "make_symbol"]


def ref_name(name: str, offset: int = 0) -> str:
    """The SymPy symbol name of ``name`` at step ``t + offset``: ``h``, ``h[t-1]``, ``h[t+2]``.

    >>> # the previous step of the hidden state
    >>> ref_name("h", -1)
    'h[t-1]'
    """
    if offset == 0:
        return name
    return f"{name}[t{offset:+d}]"


def make_symbol(name: str, shape: tuple, offset: int = 0):
    """The SymPy symbol of a declared name: a ``Symbol`` for a scalar, else a ``MatrixSymbol``.

    Arguments:
        name: the spec's name (``"h"``).
        shape: NumPy-style shape (``()``, ``(n,)`` or ``(n, m)``).
        offset: time offset (``-1`` for ``h[t-1]``).
    """
    label = ref_name(name, offset)
    if len(shape) == 0:
        return sp.Symbol(label, real=True)
    return sp.MatrixSymbol(label, *sympy_shape(shape))
