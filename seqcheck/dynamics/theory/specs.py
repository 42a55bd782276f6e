"""The two small specs the theory runs through the compiled passes.

``linear_rnn`` (``linear_rnn.toml``), seed 000 eq. (26) with an input, whose state
Jacobian is Wᵀ at every step (:mod:`.linear`); and ``rnn_alternative``
(``rnn_alternative.toml``), seed 002's "Alternative formulation for RNNs", whose Jacobian
is W diag(tanh'(c_{t-1})) (:mod:`.products`). They are files of this package, not of the
catalogue, so that the bundled list stays the lectures' models; each is loaded and
validated like any spec.
"""

from __future__ import annotations

from importlib.resources import files

from ...spec import Spec, loads_spec

__all__ = ["ALTERNATIVE_RNN", "LINEAR_RNN", "alternative_rnn", "linear_rnn"]


def _text(name: str) -> str:
    return files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")


LINEAR_RNN = _text("linear_rnn")


def linear_rnn() -> Spec:
    """Seed 000 eq. (26) with an input, h_t = Wᵀ h_{t-1} + U x_t, as a spec.

    Its state Jacobian is Wᵀ at every step, so ∂h_t/∂h_τ = (W^(t-τ))ᵀ: eq. (27).

    Returns:
        The validated :class:`~seqcheck.spec.Spec` ``linear_rnn``.

    >>> linear_rnn().equation("h").shape
    (H,)
    """
    return loads_spec(LINEAR_RNN, file="<seqcheck.dynamics.theory.LINEAR_RNN>")


ALTERNATIVE_RNN = _text("rnn_alternative")


def alternative_rnn() -> Spec:
    """Seed 002's "Alternative formulation for RNNs", c_t = W tanh(c_{t-1}) + U x_t + b.

    Returns:
        The validated :class:`~seqcheck.spec.Spec` ``rnn_alternative``.

    >>> list(alternative_rnn().states)
    ['c']
    """
    return loads_spec(ALTERNATIVE_RNN, file="<seqcheck.dynamics.theory.ALTERNATIVE_RNN>")
