"""Seed 002's recursive product ∂s_t/∂s_τ = J_t J_{t-1} ⋯ J_{τ+1}, three ways.

:func:`jacobian_product` multiplies the derived state Jacobians
(:func:`seqcheck.derive.state_jacobians`), :func:`product_norms` takes the norm of every
product from T back (with :func:`~seqcheck.dynamics.measure.jacobian_products`' log
scale), :func:`alternative_product` writes the product by formula for seed 002's
"Alternative formulation" (with the slide's index range as printed or corrected), and
:func:`carousel_gain` is the LSTM cell path's share (seed 002 "LSTM", the constant error
carousel). Orientation as in :mod:`seqcheck.dynamics.theory`.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError, ShapeError
from ..measure import jacobian_products

__all__ = ["alternative_product", "carousel_gain", "jacobian_product", "product_norms"]


def _jacobians(jacobians) -> np.ndarray:
    J = np.asarray(jacobians)
    if J.ndim != 4 or J.shape[2] != J.shape[3]:
        raise ShapeError(f"state Jacobians must have shape (T, B, n, n), got {J.shape}")
    return J


def jacobian_product(jacobians, t: int, tau: int) -> np.ndarray:
    """∂s_t/∂s_τ = J_t J_{t-1} ⋯ J_{τ+1}: seed 002's recursive product, t ≥ k > τ.

    Arguments:
        jacobians: ``(T, B, n, n)``; ``jacobians[k - 1]`` is J_k = ∂s_k/∂s_{k-1}
            (``StateJacobians.jacobians``).
        t, tau: steps with ``0 <= tau <= t <= T``.
    Returns:
        ``(B, n, n)``; the identity when ``t == tau``.

    >>> # two steps of J = 2 I give 4 I
    >>> J = np.broadcast_to(2 * np.eye(2), (3, 1, 2, 2))
    >>> jacobian_product(J, 3, 1)[0]
    array([[4., 0.],
           [0., 4.]])
    """
    J = _jacobians(jacobians)
    T, B, n = J.shape[0], J.shape[1], J.shape[-1]
    if not 0 <= tau <= t <= T:
        raise SeqcheckError(f"jacobian_product: need 0 <= tau <= t <= T = {T}, "
                            f"got t = {t}, tau = {tau}")
    out = np.broadcast_to(np.eye(n), (B, n, n)).copy()
    with np.errstate(under="ignore"):  # a vanishing product flushing to zero is the finding
        for k in range(t, tau, -1):
            out = out @ J[k - 1]
    return out


def product_norms(jacobians) -> np.ndarray:
    """‖∂s_T/∂s_τ‖₂ for τ = 0..T: how much of the gradient at T reaches step τ.

    Arguments:
        jacobians: ``(T, B, n, n)``, as for :func:`jacobian_product`.
    Returns:
        ``(T + 1, B)``; row τ is ‖J_T ⋯ J_{τ+1}‖₂ (row T is 1).

    >>> J = np.broadcast_to(0.5 * np.eye(2), (3, 1, 2, 2))
    >>> product_norms(J)[:, 0]
    array([0.125, 0.25 , 0.5  , 1.   ])
    """
    J = _jacobians(jacobians)
    T, B = J.shape[0], J.shape[1]
    out = np.empty((T + 1, B))
    with np.errstate(under="ignore"):  # a vanishing product flushing to zero is the finding
        for k, (log_scale, Q) in enumerate(jacobian_products(J, to_initial=True)):
            out[T - k] = np.exp(log_scale) * np.linalg.norm(Q, ord=2, axis=(-2, -1))
    return out


def alternative_product(W, c, t: int, tau: int, *, as_printed: bool = False) -> np.ndarray:
    """Seed 002 "Vanishing gradients": ∂c_t/∂c_τ = Π_k W · ∂tanh(c_{k-1}), by formula.

    The slide writes the product over t ≥ k ≥ τ; ∂c_t/∂c_τ has the t − τ factors
    t ≥ k > τ. With ``as_printed=True`` the extra factor k = τ is included, which gives
    ∂c_t/∂c_{τ-1} instead.

    Arguments:
        W: ``(H, H)``.
        c: ``(T + 1, B, H)``: c_0, c_1, ..., c_T (the initial state, then the trajectory).
        t, tau: steps with ``0 <= tau <= t <= T`` (``1 <= tau`` when ``as_printed``).
        as_printed: use the slide's bounds t ≥ k ≥ τ.
    Returns:
        ``(B, H, H)``: W diag(1 − tanh²(c_{t-1})) ⋯ W diag(1 − tanh²(c_{first-1})).

    >>> # at c = 0 every factor is W: three factors as printed, two as it should be
    >>> c = np.zeros((4, 1, 1))
    >>> alternative_product([[2.0]], c, 3, 1)[0], alternative_product([[2.0]], c, 3, 1,
    ...     as_printed=True)[0]
    (array([[4.]]), array([[8.]]))
    """
    W, c = np.asarray(W, dtype=float), np.asarray(c, dtype=float)
    T, B, H = c.shape[0] - 1, c.shape[1], c.shape[2]
    first = tau if as_printed else tau + 1
    if not (0 <= tau <= t <= T and first >= 1):
        raise SeqcheckError(f"alternative_product: need 0 <= tau <= t <= T = {T} (tau >= 1 as "
                            f"printed), got t = {t}, tau = {tau}")
    out = np.broadcast_to(np.eye(H), (B, H, H)).copy()
    for k in range(t, first - 1, -1):
        out = out @ (W[None] * (1.0 - np.tanh(c[k - 1]) ** 2)[:, None, :])
    return out


def carousel_gain(f, t: int, tau: int) -> np.ndarray:
    """Π_{t≥k>τ} f_k: the cell path's share of ∂c_t/∂c_τ in an LSTM.

    Seed 002 ("LSTM"): "the previous state c_{t-1} is connected to new c_t with no
    nonlinearity ... the only other factor is the forget gate f". The block ∂c_t/∂c_{t-1}
    of the state Jacobian is diag(f_t) exactly (docs/derivation.md); when the gates do not
    read h_{t-1} (W_h* = 0), ∂c_t/∂c_τ = diag(Π f_k), which stays near I when f ≈ 1.

    Arguments:
        f: ``(T, B, H)`` the forget gate along a trajectory (``traj["f"]``).
        t, tau: steps with ``0 <= tau <= t <= T``.
    Returns:
        ``(B, H)`` the diagonal of the cell path's ∂c_t/∂c_τ.

    >>> carousel_gain(np.full((4, 1, 2), 0.5), 4, 1)
    array([[0.125, 0.125]])
    """
    f = np.asarray(f, dtype=float)
    T = f.shape[0]
    if not 0 <= tau <= t <= T:
        raise SeqcheckError(f"carousel_gain: need 0 <= tau <= t <= T = {T}, got t = {t}, "
                            f"tau = {tau}")
    return np.prod(f[tau:t], axis=0)
