"""Per-step losses as spec variants: L = Σ_t ℓ_t, differentiated like any other equation.

A loss adds a target input ``d`` (the lectures' d(n), target_t, l_t) and one scalar
equation ``loss`` to a spec, written in the spec grammar itself:

=================  ========================================  =================================
kind               ℓ_t                                       lecture
=================  ========================================  =================================
``squared``        Σᵢ (y_t − d_t)ᵢ²                          seed 003 BPTT: E = Σ_n (d(n) − y(n))²
``cross_entropy``  −Σᵢ d_ti log softmax(o_t)ᵢ (logits o)     seed 001 L^(t); seed 000 eq. 49
``nll``            −Σᵢ d_ti log ŷ_ti (probabilities ŷ)        seed 002 ℒ = −Σ_t l_t log y_t
=================  ========================================  =================================

(seed 002 also divides by T; scale the seed by 1/T for that.) The gradient of
L = Σ_t ℓ_t is the backward pass with the seed 1 on ``loss`` at every step.
"""

from __future__ import annotations

from ..errors import SeqcheckError
from ..spec import Spec, variant

__all__ = ["LOSSES", "with_loss"]

LOSSES = {
    "squared": "sum(({on} - {target}) * ({on} - {target}))",
    "cross_entropy": "-sum({target} * log_softmax({on}))",
    "nll": "-sum({target} * log({on}))",
}


def with_loss(spec: Spec, kind: str, on: str, target: str = "d") -> Spec:
    """``spec`` with a target input and a per-step scalar ``loss`` equation.

    Arguments:
        spec: a catalogue or file spec (it must have a path: the variant extends it).
        kind: ``"squared"``, ``"cross_entropy"`` (on logits) or ``"nll"`` (on probabilities).
        on: the variable the loss compares with the target (a vector).
        target: the name of the new target input (default ``d``).
    Returns:
        The variant spec; its outputs are the base's plus ``loss``.

    >>> # seed 001's Elman RNN with the cross-entropy of its logits o_t
    >>> from seqcheck import load_spec
    >>> trained = with_loss(load_spec("elman"), "cross_entropy", on="o")
    >>> trained.equation("loss").text, trained.inputs["d"].shape_str()
    ('-sum(d * log_softmax(o))', '(C,)')
    """
    if kind not in LOSSES:
        raise SeqcheckError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")
    if spec.path is None:
        raise SeqcheckError(f"spec {spec.name!r} has no file to extend; load it from a file")
    if on not in spec.variables:
        raise SeqcheckError(f"{on!r} is not a variable of spec {spec.name!r}")
    shape = spec.shape_of(on)
    if len(shape) != 1:
        raise SeqcheckError(f"a {kind} loss compares vectors; {on!r} has shape {shape}")
    if target in spec.inputs or target in spec.variables or target in spec.params:
        raise SeqcheckError(f"the target name {target!r} is taken in spec {spec.name!r}")
    return variant(
        spec, name=f"{spec.name}_{kind}",
        title=f"{spec.title or spec.name}, with the {kind} loss on {on}",
        equations={"loss": LOSSES[kind].format(on=on, target=target)},
        inputs={target: ((shape[0],), f"target for {on}")},
        outputs=(*spec.outputs, "loss"),
    )
