"""Forward values the backward pass reads: computed once, kept, not recomputed.

The LSTM's ``h = o ⊙ tanh(c)`` computes ``tanh(c)`` in the forward pass, and its
adjoint ``(1 - tanh(c)^2) ⊙ adj_h ⊙ o`` needs it again. :func:`kept_values` finds each
element-wise function application inside an equation (not the equation's whole
right-hand side, which is the variable itself) that some derived expression repeats.
The generated ``forward`` computes it under its own name, stores it over time like a
variable and returns it among the values (``values['_tanh_c']``); the generated
``backward`` reads it instead of recomputing it (:func:`substitute`).

Names start with ``_``, which no spec name can (the spec grammar), so they never clash
with a spec variable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp
from sympy import MatMul
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from ...printing import split_ref
from ...spec.model import Spec
from ...spec.schedule import make_schedule
from ..printer import ident
from .reads import base_names, unused_name

__all__ = ["Kept", "kept_values", "substitute"]


@dataclass(frozen=True)
class Kept:
    """One kept forward value.

    Arguments:
        name: its identifier in the generated code and its key in the forward's values.
        node: the SymPy subexpression it stands for (a column vector at step t).
        owner: the variable whose equation computes it (the first, in schedule order).
    """

    name: str
    node: object
    owner: str

    @property
    def symbol(self):
        return sp.MatrixSymbol(self.name, *self.node.shape)


def _label(node, taken: set[str]) -> str:
    lam = node.function
    fname = lam.expr.func.__name__ if isinstance(lam, sp.Lambda) else getattr(lam, "__name__", "")
    arg = node.expr
    base = f"_{fname or 'keep'}_{ident(*split_ref(arg.name))}" if isinstance(
        arg, sp.MatrixSymbol) and fname.isidentifier() else "_keep"
    return unused_name(base, taken)


def kept_values(spec: Spec, derivation) -> list[Kept]:
    """The forward subexpressions the derivation repeats, in schedule order.

    A candidate is an element-wise function application, strictly inside an equation's
    right-hand side, whose argument holds no matrix product (so that no other pass of
    the generator rewrites it) and which reads some variable or state (a value over
    inputs and parameters alone is cheap to recompute and would be hoisted).
    """
    if derivation is None:
        return []
    derived = [x for eq in derivation.equations
               for x in [e for _, e in eq.temps] + [c.expr for c in eq.contributions]]
    invariant = set(spec.params) | set(spec.inputs)
    out: list[Kept] = []
    seen: set = set()
    taken: set[str] = set()
    for sweep in make_schedule(spec).sweeps:
        for v in sweep.variables:
            body = spec.equation(v).expr
            for node in sp.preorder_traversal(body):
                if (node is body or node in seen or not isinstance(node, ElementwiseApplyFunction)
                        or node.expr.has(MatMul) or base_names(node) <= invariant):
                    continue
                seen.add(node)
                if any(e.has(node) for e in derived):
                    out.append(Kept(_label(node, taken), node, v))
    return out


def _replacements(kept: list[Kept]) -> dict:
    repl = {}
    for k in kept:
        repl[k.node] = k.symbol
        repl[sp.Transpose(k.node).doit()] = sp.Transpose(k.symbol)  # as in u vᵀ terms
    return repl


def substitute(eq, kept: list[Kept]):
    """The derived equation ``eq`` reading the kept values instead of recomputing them."""
    if not kept:
        return eq
    repl = _replacements(kept)
    temps = tuple((s, e.xreplace(repl)) for s, e in eq.temps)
    contributions = tuple(replace(c, expr=c.expr.xreplace(repl)) for c in eq.contributions)
    return replace(eq, temps=temps, contributions=contributions)
