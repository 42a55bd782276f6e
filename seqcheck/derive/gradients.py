"""What a backward pass computes: :class:`Gradients`, the adjoints of a loss with respect
to every parameter, input and initial state.

The derive stage defines the quantity; the compiled BPTT pass
(:mod:`seqcheck.backends.compiled`), truncated BPTT (:mod:`.truncated`) and RTRL return it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Gradients"]


@dataclass(frozen=True)
class Gradients:
    """∂L/∂(everything) for L = Σ_t Σ_v ⟨seed_v,t, v_t⟩.

    Arguments:
        params: ``{name: array of the declared shape}``.
        inputs: sequence inputs ``(T, B, ...)``, static inputs ``(B, ...)``.
        initial: every delayed state's initial value, ``(B, ...)``.
    """

    params: Mapping[str, object]
    inputs: Mapping[str, object]
    initial: Mapping[str, object]
