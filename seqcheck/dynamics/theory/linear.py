"""Seed 000 eq. (26)-(28): the linear recurrence h_t = Wᵀ h_{t-1}, its eigen-forms, its bounds.

Seed 000 (after eq. 28) and seed 003 ("Long-term dependencies problem") read the growth
of h_t off the eigenvalues of W: :func:`eq28_forms` sets eq. (27) beside eq. (28) as
printed and as corrected, and :func:`linear_norm_bounds` shows the rate is the spectral
radius ρ, not each λ_i. The tests compare them with ``numpy.linalg``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...errors import SeqcheckError, ShapeError

__all__ = ["EigenForms", "NormBounds", "eq28_forms", "linear_norm_bounds", "linear_recurrence"]


def linear_recurrence(W, h0, steps: int) -> np.ndarray:
    """Iterate seed 000 eq. (26), h_t = Wᵀ h_{t-1}, from h_0.

    Arguments:
        W: ``(n, n)``.
        h0: ``(n,)``.
        steps: the last t.
    Returns:
        ``(steps + 1, n)``: h_0, h_1, ..., h_steps.

    >>> # a diagonal W scales each coordinate by its eigenvalue at every step
    >>> linear_recurrence(np.diag([0.5, 2.0]), np.ones(2), 3)[-1]
    array([0.125, 8.   ])
    """
    W, h = np.asarray(W, dtype=float), np.asarray(h0, dtype=float)
    out = [h]
    for _ in range(steps):
        h = W.T @ h
        out.append(h)
    return np.stack(out)


class EigenForms(NamedTuple):
    """h_t of seed 000 eq. (27) and (28), for W = V diag(λ) V⁻¹; each ``(n,)``.

    Arguments:
        W: ``(n, n)``, V diag(λ) V⁻¹.
        eq27: (W^t)ᵀ h_0, eq. (27), with W^t a product of t factors.
        printed: Vᵀ Λ^t V h_0, eq. (28) as printed (Q := V).
        corrected: V⁻ᵀ Λ^t Vᵀ h_0; Q Λ^t Qᵀ h_0 for an orthogonal V = Q.
    """

    W: np.ndarray
    eq27: np.ndarray
    printed: np.ndarray
    corrected: np.ndarray


def eq28_forms(V, lam, h0, t: int) -> EigenForms:
    """Seed 000 eq. (27) and (28) side by side, for W = V diag(λ) V⁻¹.

    Seed 003 ("Long-term dependencies problem") prints the premise seed 000 leaves out:
    W = Q Λ Qᵀ (Q orthogonal, its columns the eigenvectors) ⇒ h(t) = Qᵀ Λ^t Q h(0).
    But W^t = Q Λ^t Qᵀ, which is symmetric, so (W^t)ᵀ h_0 = Q Λ^t Qᵀ h_0. The printed
    form swaps Q and Qᵀ: it is the recurrence of Qᵀ Λ Q, another matrix with the same
    eigenvalues, and it changes when one eigenvector's sign is flipped. For a general
    diagonalisable W = V Λ V⁻¹, (W^t)ᵀ = V⁻ᵀ Λ^t Vᵀ.

    Arguments:
        V: ``(n, n)`` invertible, real; the lecture's Q when orthogonal.
        lam: ``(n,)`` real eigenvalues.
        h0: ``(n,)``.
        t: the power, ``t >= 0``.
    Returns:
        :class:`EigenForms`.

    >>> # W = Q diag(2, 1/2) Qᵀ with Q a rotation by 45°: the printed form is wrong
    >>> c = np.sqrt(0.5)
    >>> f = eq28_forms([[c, -c], [c, c]], [2.0, 0.5], [1.0, 0.0], 3)
    >>> f.eq27.round(4), f.corrected.round(4), f.printed.round(4)
    (array([4.0625, 3.9375]), array([4.0625, 3.9375]), array([ 4.0625, -3.9375]))
    """
    V = np.asarray(V)
    lam, h0 = np.asarray(lam), np.asarray(h0, dtype=float)
    n = h0.shape[0]
    if V.shape != (n, n) or lam.shape != (n,):
        raise ShapeError(f"eq28_forms: V must be ({n}, {n}) and lam ({n},) for h0 of shape "
                         f"({n},), got V {V.shape} and lam {lam.shape}")
    if np.iscomplexobj(V) or np.iscomplexobj(lam):
        raise SeqcheckError("eq28_forms: eq. (28) is about a real Λ; for complex eigenvalues "
                            "use linear_norm_bounds, which takes W itself")
    if t < 0:
        raise SeqcheckError(f"eq28_forms: t must be >= 0, got {t}")
    V, lam = V.astype(float), lam.astype(float)
    W = V @ np.diag(lam) @ np.linalg.inv(V)
    Wt = np.eye(n)
    for _ in range(t):
        Wt = Wt @ W
    power = lam ** t
    return EigenForms(
        W=W,
        eq27=Wt.T @ h0,
        printed=V.T @ (power * (V @ h0)),
        corrected=np.linalg.solve(V.T, power * (V.T @ h0)),
    )


class NormBounds(NamedTuple):
    """Bounds on ‖h_t‖₂ for h_t = (W^t)ᵀ h_0, from W = V Λ V⁻¹ (floats).

    Arguments:
        rho: the spectral radius max |λ_i|.
        lower: ρ^t ‖c_top‖ / ‖V‖₂, where c = Vᵀ h_0 and c_top keeps its entries with
            |λ_i| = ρ: it grows like ρ^t unless h_0 has no component there.
        upper: κ₂(V) ρ^t ‖h_0‖: it vanishes like ρ^t when ρ < 1.
    """

    rho: float
    lower: float
    upper: float


def linear_norm_bounds(W, h0, t: int, *, top_rtol: float = 1e-9) -> NormBounds:
    """How fast ‖h_t‖ vanishes or grows under seed 000 eq. (26): rate ρ, not λ_i.

    Seed 000 (after eq. 28) says "λ_i < 1: decay to zero, λ_i > 1: exploding". The
    moduli decide: h_t = V⁻ᵀ Λ^t Vᵀ h_0 gives ρ^t ‖c_top‖/‖V‖ ≤ ‖h_t‖ ≤ κ(V) ρ^t ‖h_0‖, so
    an eigenvalue −2 (< 1) explodes. W must be diagonalisable (κ₂(V) ≤ 10¹²); a
    defective W, such as a Jordan block, is refused.

    Arguments:
        W: ``(n, n)`` real.
        h0: ``(n,)``.
        t: the step, ``t >= 0``.
        top_rtol: eigenvalues with |λ_i| ≥ ρ (1 − top_rtol) count as top ones.
    Returns:
        :class:`NormBounds`.
    Raises:
        SeqcheckError: W is not diagonalisable to working precision.

    >>> # an eigenvalue -2 is below 1, and the state still doubles at every step
    >>> b = linear_norm_bounds(np.diag([-2.0, 0.5]), [1.0, 1.0], 10)
    >>> b.rho, b.lower, round(b.upper, 2)
    (2.0, 1024.0, 1448.15)
    """
    W, h0 = np.asarray(W, dtype=float), np.asarray(h0, dtype=float)
    lam, V = np.linalg.eig(W)
    rho = float(np.max(np.abs(lam)))
    c = V.T @ h0
    top = np.abs(lam) >= rho * (1.0 - top_rtol)
    sv = np.linalg.svd(V, compute_uv=False)
    if not sv[-1] > sv[0] * 1e-12:  # a defective W: W = V Λ V⁻¹ does not exist
        kappa = sv[0] / sv[-1] if sv[-1] > 0 else np.inf
        raise SeqcheckError(f"linear_norm_bounds: W is not diagonalisable to working "
                            f"precision: its eigenvectors have κ₂(V) = {kappa:.3g} > 1e12, "
                            "and the bounds need W = V Λ V⁻¹")
    return NormBounds(
        rho=rho,
        lower=float(rho ** t * np.linalg.norm(c[top]) / sv[0]),
        upper=float(sv[0] / sv[-1] * rho ** t * np.linalg.norm(h0)),
    )
