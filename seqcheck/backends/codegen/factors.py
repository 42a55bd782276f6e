"""Factors of the backward step that read only forward values, made for every step at once.

The LSTM's delta ``d_o = (1 - o) ⊙ adj_o ⊙ o`` (seed 003, the output gate's delta)
multiplies the step's adjoint by ``(1 - o) ⊙ o``, which reads nothing but the forward
pass's ``o``. Inside the backward loop that factor costs three element-wise operations
a step, each a dispatched call on a (B, H) slice. Made before the loop for all T steps
at once, one operation over (T, B, H) each, it leaves the step one product:
``d_o = _fwd_d_o * adj_o``.

:func:`hoist_factors` looks at every element-wise product (``HadamardProduct``) of the
expressions a recurrent sweep's backward evaluates per step. The operands that read only
forward values (the spec's variables at any offset, the values the forward pass kept,
inputs and parameters) and at least one value that changes with the step, are one factor
when that saves work: two operands or more, or one that is not a bare name. Each factor
gets a name ``_fwd_<where>``, after the intermediate or contribution it first appears in.
No spec name can start with ``_`` (the spec grammar), so none clashes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy as sp
from sympy import HadamardProduct

from ...printing import split_ref
from ..printer import ident
from .reads import base_names, unused_name

__all__ = ["Factor", "hoist_factors"]


@dataclass(frozen=True)
class Factor:
    """One factor made before a backward loop.

    Arguments:
        name: its identifier inside the loop (a step's slice); the whole sequence,
            (T, B, ...), is ``name + "_seq"``.
        node: the SymPy expression it stands for (a column vector at step t).
    """

    name: str
    node: object

    @property
    def symbol(self):
        return sp.MatrixSymbol(self.name, *self.node.shape)



def hoist_factors(eqs, in_loop, forward: set[str], varying: set[str],
                  taken: set[str]) -> tuple[list, list[Factor]]:
    """The sweep's derived equations with their forward-only factors named.

    Arguments:
        eqs: the sweep's derived equations (:class:`~seqcheck.derive.DerivedEquation`).
        in_loop: ``(label, expr)`` for each expression the backward loop evaluates per step;
            only their products are searched.
        forward: the names of forward values (variables, kept values, inputs, parameters).
        varying: those of them that change with the step (all but parameters and static
            inputs); a factor must read one, or it would not be a sequence.
        taken: identifiers in use; the factors' names join it.
    Returns:
        ``(eqs, factors)``: every temp and contribution of ``eqs`` reads the factors
        (``_fwd_d_o`` for ``(1 - o) ⊙ o``), and the factors in the order found.
    """

    def forward_only(e) -> bool:
        names = base_names(e)
        return bool(names & varying) and names <= forward

    found: dict[tuple, Factor] = {}
    repl: dict = {}
    for label, expr in in_loop:
        for node in sp.postorder_traversal(expr):  # inner products first
            if not isinstance(node, HadamardProduct) or node in repl:
                continue
            fwd = sorted((a for a in node.args if forward_only(a)), key=sp.default_sort_key)
            if len(fwd) < 2 and not (fwd and not isinstance(fwd[0], sp.MatrixSymbol)):
                continue
            key = tuple(fwd)
            if key not in found:
                body = HadamardProduct(*fwd) if len(fwd) > 1 else fwd[0]
                found[key] = Factor(unused_name(f"_fwd_{ident(*split_ref(label))}", taken), body)
            rest = [a.xreplace(repl) for a in node.args if not forward_only(a)]
            repl[node] = HadamardProduct(found[key].symbol, *rest) if rest \
                else found[key].symbol
    if not repl:
        return list(eqs), []
    out = []
    for eq in eqs:
        temps = tuple((s, e.xreplace(repl)) for s, e in eq.temps)
        contributions = tuple(replace(c, expr=c.expr.xreplace(repl)) for c in eq.contributions)
        out.append(replace(eq, temps=temps, contributions=contributions))
    return out, list(found.values())
