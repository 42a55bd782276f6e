"""A product through a weight on a concatenation, taken apart into the blocks it feeds.

Seed 003's LSTM multiplies one weight per gate by ``[h(t-1); x(t)]``:
``f = σ(W_f [h(t-1); x(t)] + b_f)``. Its derivation names ``d_f_2 = W_fᵀ d_f`` (a vector
of H + D entries) and sends the slices of it to the blocks: ``d_f_2[0:H]`` to
``h[t-1]``, ``d_f_2[H:H+D]`` to ``x``. As written, each gate's product runs at every
step, and the four slices into ``h[t-1]`` are four products, which no stacking can join
(:mod:`.deltas` joins terms of the form ``Aᵀ d``).

:func:`split_sliced_products` rewrites each slice of such an intermediate as the product
through the matching columns of the weight, ``d_f_2[0:H] = W_f[:, 0:H]ᵀ d_f``, and drops
the intermediate. The terms into ``h[t-1]`` are then of the form ``Aᵀ d`` and become one
product per step with the stacked column blocks; the terms into ``x`` one product after
the loop. The same numbers are multiplied and added: each entry is the same dot product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import sympy as sp
from sympy import MatMul, MatrixSlice, MatrixSymbol, Transpose

from ...spec.model import Spec

__all__ = ["split_sliced_products"]


def _through_weight(expr, spec: Spec):
    """``(W, d)`` for ``expr = Wᵀ d``: W a 2-D parameter, d a column adjoint or delta."""
    if not isinstance(expr, MatMul) or len(expr.args) != 2:
        return None
    w, d = expr.args
    if not (isinstance(w, Transpose) and isinstance(w.arg, MatrixSymbol)
            and w.arg.name in spec.params and len(spec.params[w.arg.name].shape) == 2):
        return None
    if not (isinstance(d, MatrixSymbol) and d.name.startswith(("adj_", "d_"))
            and d.shape[1] == 1):
        return None
    return w.arg, d


def _everything(eqs):
    return [e for eq in eqs for e in [x for _, x in eq.temps] + [c.expr for c in eq.contributions]]


def split_sliced_products(spec: Spec, eqs, stackable: Callable[[object], bool]) -> list:
    """The sweep's derived equations with every intermediate ``t = Wᵀ d`` that is read
    only in row slices ``t[a:b]``, each a contribution ``stackable`` accepts, replaced in
    each slice by ``W[:, a:b]ᵀ d``.

    Arguments:
        spec: the spec (which names are parameters).
        eqs: the sweep's derived equations, in evaluation order.
        stackable: whether a contribution of the form ``Aᵀ d`` joins a stacked product
            (:mod:`.deltas`: into a variable of this sweep at another step, or into a
            sequence input). Elsewhere (a deep stack's layer below) one product and its
            slices beat one product per slice.
    Returns:
        The equations, those intermediates dropped; ``eqs`` itself where none qualifies.
    """
    repl: dict = {}
    dropped: set[str] = set()
    for eq in eqs:
        for sym, expr in eq.temps:
            found = _through_weight(expr, spec)
            if found is None:
                continue
            weight, delta = found
            uses = [(c, n) for e in eqs for c in e.contributions
                    for n in sp.preorder_traversal(c.expr)
                    if isinstance(n, MatrixSlice) and n.parent == sym]
            slices = {n for _, n in uses}
            if not slices or any(n.colslice != (0, 1, 1) or n.rowslice[2] != 1
                                 or c.expr != n or not stackable(c) for c, n in uses):
                continue
            mine = {n: MatMul(Transpose(MatrixSlice(
                weight, (0, weight.shape[0], 1), (n.rowslice[0], n.rowslice[1], 1))), delta)
                for n in slices}
            if any(e.xreplace(mine).has(sym) for e in _everything(eqs)):
                continue  # read whole somewhere: keep it
            repl.update(mine)
            dropped.add(sym.name)
    if not repl:
        return list(eqs)
    out = []
    for eq in eqs:
        temps = tuple((s, e.xreplace(repl)) for s, e in eq.temps if s.name not in dropped)
        contributions = tuple(replace(c, expr=c.expr.xreplace(repl)) for c in eq.contributions)
        out.append(replace(eq, temps=temps, contributions=contributions))
    return out
