"""Per-step rates that bound ‖∂s_T/∂s_τ‖₂, and the check that a trajectory keeps to them.

Seed 002's "≤ η^(t-τ)" ("Another look at the gradients"), made precise by Pascanu et al.
(2013): :func:`pascanu_rate` and :func:`can_explode` for h_t = f(W h_{t-1} + ...),
:func:`leaky_rates` for seed 000 eq. (29)'s leaky units; :func:`check_rate` holds the
products of the derived state Jacobians (:func:`~.products.product_norms`) to such
rates at every τ and batch row, and its :class:`RateCheck` names each place a bound fails.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .products import product_norms

__all__ = ["RateCheck", "can_explode", "check_rate", "leaky_rates", "pascanu_rate"]


class RateCheck(NamedTuple):
    """A bound lower^(T-τ) ≤ ‖∂s_T/∂s_τ‖₂ ≤ upper^(T-τ) checked at every τ and batch row.

    Arguments:
        claim: what is checked, with its lecture place.
        norms: ``(T + 1, B)`` from :func:`~.products.product_norms`.
        upper, lower: ``(T + 1,)`` the bounds at each τ.
        rtol: the relative slack allowed for rounding.
    """

    claim: str
    norms: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    rtol: float

    @property
    def violations(self) -> list[str]:
        """One line per (τ, row) where a bound fails, worst ratio first."""
        T = self.norms.shape[0] - 1
        found = []
        for bound, sign, word in ((self.upper, 1, ">"), (self.lower, -1, "<")):
            b = bound[:, None]
            excess = sign * (self.norms - b) - self.rtol * b
            for tau, row in zip(*np.nonzero(excess > 0)):
                n, lim = self.norms[tau, row], bound[tau]
                ratio = (n / lim if lim > 0 else np.inf) if sign > 0 else \
                    (lim / n if n > 0 else np.inf)
                found.append((ratio, f"‖∂s_T/∂s_τ‖₂ at τ = {tau} (T = {T}), row {row}: "
                              f"{n:.6g} {word} bound {lim:.6g}"))
        return [line for _, line in sorted(found, key=lambda f: -f[0])]

    @property
    def ok(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        bad = self.violations
        head = f"{self.claim}: {'holds' if not bad else f'fails at {len(bad)} places'}"
        return "\n  ".join([head, *bad[:5]])


def check_rate(jacobians, upper_rate: float, lower_rate: float = 0.0, *, claim: str = "",
               rtol: float = 1e-9) -> RateCheck:
    """Check lower_rate^(T-τ) ≤ ‖∂s_T/∂s_τ‖₂ ≤ upper_rate^(T-τ) for every τ.

    The upper bound is seed 002's "≤ η^(t-τ)" ("Another look at the gradients") with
    η ≥ every ‖J_k‖₂ (:func:`pascanu_rate`, :func:`leaky_rates`). The lower bound follows
    from ‖J_T ⋯ J_{τ+1}‖₂ ≥ Π_k σ_min(J_k) ≥ lower_rate^(T-τ).

    Arguments:
        jacobians: ``(T, B, n, n)``, as for :func:`~.products.jacobian_product`.
        upper_rate, lower_rate: per-step rates, ``lower_rate >= 0``.
        claim: a label for the result.
        rtol: relative slack for rounding.
    Returns:
        :class:`RateCheck`; ``.ok`` says whether the bounds hold.

    >>> # three steps of 0.5 I stay within 0.6^(T-τ), and not within 0.4^(T-τ)
    >>> J = np.broadcast_to(0.5 * np.eye(2), (3, 1, 2, 2))
    >>> check_rate(J, 0.6).ok, check_rate(J, 0.4).ok
    (True, False)
    """
    norms = product_norms(jacobians)
    T = norms.shape[0] - 1
    k = T - np.arange(T + 1)
    return RateCheck(claim=claim or f"lower {lower_rate:.6g}, upper {upper_rate:.6g} per step",
                     norms=norms, upper=float(upper_rate) ** k,
                     lower=float(lower_rate) ** k if lower_rate > 0 else np.zeros(T + 1),
                     rtol=rtol)


def pascanu_rate(W, gamma: float) -> float:
    """η = σ_max(W) γ, a bound on every ‖∂h_t/∂h_{t-1}‖₂ of h_t = f(W h_{t-1} + U x_t + b).

    Pascanu et al. (2013), cited by seed 002 ("Regularization on the recurrent weights"):
    ∂h_t/∂h_{t-1} = diag(f'(a_t)) W with |f'| ≤ γ, so ‖∂h_t/∂h_τ‖₂ ≤ η^(t-τ), seed 002's
    "≤ η^(t-τ)". η < 1 is sufficient for vanishing. The same holds for seed 002's
    alternative formulation c_t = W tanh(c_{t-1}) + U x_t + b, whose Jacobian is
    W diag(tanh'(c_{t-1})).

    Arguments:
        W: ``(n, n)`` the recurrent weights.
        gamma: sup |f'| (:data:`~seqcheck.dynamics.recurrence.GAMMA`: 1 for tanh, 1/4 for
            sigmoid).
    Returns:
        η (float).

    >>> from seqcheck.dynamics.recurrence import GAMMA
    >>> pascanu_rate(3.0 * np.eye(2), GAMMA["sigmoid"])
    0.75
    """
    return float(np.linalg.norm(np.asarray(W, dtype=float), ord=2) * gamma)


def can_explode(W, gamma: float) -> bool:
    """Pascanu et al.'s necessary condition for exploding gradients: σ_max(W) > 1/γ.

    If σ_max(W) ≤ 1/γ, then η ≤ 1 and ‖∂h_t/∂h_τ‖₂ ≤ 1 for all t ≥ τ, whatever the
    inputs and biases: the gradient cannot grow. The converse fails: with σ_max(W) > 1/γ
    saturated units still make it vanish.

    Arguments:
        W: ``(n, n)`` the recurrent weights.
        gamma: sup |f'| (:data:`~seqcheck.dynamics.recurrence.GAMMA`).
    Returns:
        ``True`` when σ_max(W) γ > 1.

    >>> # σ_max = 3 < 1/γ = 4: a sigmoid RNN with this W cannot explode
    >>> can_explode(3.0 * np.eye(2), 0.25)
    False
    """
    return pascanu_rate(W, gamma) > 1.0


def leaky_rates(W, alpha: float, gamma: float) -> tuple[float, float]:
    """Per-step bounds on the leaky unit's Jacobian, seed 000 eq. (29).

    Spec ``leaky_rnn`` reads eq. (29) as h_t = α h_{t-1} + (1 − α) h̃_t with
    h̃_t = f(W h_{t-1} + ...), so ∂h_t/∂h_{t-1} = α I + (1 − α) diag(f'(a_t)) W and
    |α| − |1 − α| η ≤ σ_min, σ_max ≤ |α| + |1 − α| η with η = σ_max(W) γ. For α near 1
    the gradient can neither vanish nor explode fast: that is why leaky units help.

    Arguments:
        W: ``(n, n)`` the recurrent weights (``W_hh``).
        alpha: the leak weight of the previous state.
        gamma: sup |f'| (:data:`~seqcheck.dynamics.recurrence.GAMMA`).
    Returns:
        ``(upper, lower)`` per-step rates for :func:`check_rate` (``lower`` clipped at 0).

    >>> # α = 3/4 and η = 1/2: the gradient shrinks by at most 0.625 and at least 0.875 a step
    >>> leaky_rates(0.5 * np.eye(2), 0.75, 1.0)
    (0.875, 0.625)
    """
    eta = pascanu_rate(W, gamma)
    a, b = abs(float(alpha)), abs(1.0 - float(alpha))
    return a + b * eta, max(0.0, a - b * eta)

