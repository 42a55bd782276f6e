"""The rules of attention (seed 000 eq. 43–47), each forward with its VJP right below.

These work on checked arrays (see :mod:`.inputs`) and n queries at once: q2 is ``(n, Q)``,
K ``(m, K)``, the scores s and their gradient ds ``(n, m)``. The public functions of
:mod:`.scores` and :mod:`.attend` check their arguments and call these.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dot_scores", "dot_scores_vjp", "sqrt_d", "scaled_dot_scores", "scaled_dot_scores_vjp",
    "additive_scores", "additive_scores_vjp", "softmax_rows", "softmax_rows_vjp",
]


# -- score functions (n queries at once: q2 is (n, Q)) ---------------------------------------

def dot_scores(q2: np.ndarray, K: np.ndarray) -> np.ndarray:
    """s_ni = q_n · k_i (eq. 45), ``(n, m)``."""
    return q2 @ K.T


def dot_scores_vjp(q2: np.ndarray, K: np.ndarray,
                   ds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂q = ds K ``(n, Q)``, ∂L/∂K = dsᵀ q ``(m, K)``)."""
    return ds @ K, ds.T @ q2


def sqrt_d(d: int, dtype) -> np.floating:
    """√d in ``dtype``, the scale of eq. 46."""
    return np.sqrt(np.asarray(d, dtype=dtype))


def scaled_dot_scores(q2: np.ndarray, K: np.ndarray) -> np.ndarray:
    """s_ni = q_n · k_i / √d (eq. 46), ``(n, m)``."""
    return (q2 @ K.T) / sqrt_d(K.shape[1], K.dtype)


def scaled_dot_scores_vjp(q2: np.ndarray, K: np.ndarray,
                          ds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂q, ∂L/∂K): the dot score's, for ds / √d."""
    return dot_scores_vjp(q2, K, ds / sqrt_d(K.shape[1], K.dtype))


def additive_scores(q2, K, w_a, W_q, W_k, b_a) -> tuple[np.ndarray, np.ndarray]:
    """(s ``(n, m)``, h ``(n, m, A)``): s_ni = w_aᵀ h_ni, h_ni = tanh(u_ni) (eq. 47)."""
    # u_ni = W_q q_n + W_k k_i + b_a, (n, m, A)
    h = np.tanh((q2 @ W_q.T)[:, None, :] + (K @ W_k.T)[None, :, :] + b_a)
    return h @ w_a, h


def additive_scores_vjp(q2, K, w_a, W_q, W_k, h, ds):
    """(∂L/∂q ``(n, Q)``, ∂L/∂K ``(m, K)``, the parameters' gradients by name)."""
    # ∂L/∂w_a = Σ_ni ds_ni h_ni;  ∂L/∂u_ni = ds_ni w_a ⊙ (1 − h_ni²)
    du = ds[:, :, None] * w_a * (1 - h * h)
    du_q, du_k = du.sum(axis=1), du.sum(axis=0)       # (n, A), (m, A)
    return du_q @ W_q, du_k @ W_k, {
        "w_a": np.tensordot(ds, h, axes=([0, 1], [0, 1])),
        "W_q": du_q.T @ q2,                           # Σ_n (Σ_i ∂L/∂u_ni) q_nᵀ
        "W_k": du_k.T @ K,                            # Σ_i (Σ_n ∂L/∂u_ni) k_iᵀ
        "b_a": du_q.sum(axis=0),
    }


# -- the softmax (eq. 44); the weighted sum (eq. 43) is α V -----------------------------------

def softmax_rows(s: np.ndarray) -> np.ndarray:
    """α = softmax(s) along the last axis, the row maximum subtracted first."""
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_rows_vjp(alpha: np.ndarray, dalpha: np.ndarray) -> np.ndarray:
    """∂L/∂s = α ⊙ (∂L/∂α − (α·∂L/∂α) 1)."""
    return alpha * (dalpha - (alpha * dalpha).sum(axis=-1, keepdims=True))


# Σ_i α_ni v_i is α V; its VJP: ∂L/∂α = g Vᵀ, ∂L/∂V = αᵀ g.
