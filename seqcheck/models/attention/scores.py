"""Scores, attention weights and the score's variance (seed 000 eq. 44–47), checked.

The dot score (eq. 45), the scaled dot score (eq. 46) and the additive (Bahdanau) score
(eq. 47) of one query ``(Q,)`` or n queries ``(n, Q)`` against the keys K ``(m, K)``; the
softmax that turns scores into weights (eq. 44) and its VJP; and :func:`score_variance`,
the property behind eq. 46's √d.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError, ShapeError
from .inputs import ADDITIVE, as_floats, check_additive, check_dot, check_qk
from .rules import (
    additive_scores,
    dot_scores,
    scaled_dot_scores,
    softmax_rows,
    softmax_rows_vjp,
    sqrt_d,
)

__all__ = [
    "dot_score", "scaled_dot_score", "additive_score", "attention_weights", "softmax_vjp",
    "score_variance",
]


def _score(fn, kind, q, K, params=None):
    a = as_floats(fn, {"q": q, "K": K, **(params or {})})
    check_qk(fn, a["q"], a["K"])
    if kind == "additive":
        check_additive(fn, a["q"], a["K"], a)
    else:
        check_dot(fn, a["q"], a["K"])
    q2 = a["q"][None, :] if a["q"].ndim == 1 else a["q"]
    with np.errstate(under="ignore"):
        if kind == "additive":
            s = additive_scores(q2, a["K"], *(a[k] for k in ADDITIVE))[0]
        else:
            s = (dot_scores if kind == "dot" else scaled_dot_scores)(q2, a["K"])
    return s[0] if a["q"].ndim == 1 else s


def dot_score(q, K) -> np.ndarray:
    """The dot-product score a(q, k_i) = qᵀ k_i (seed 000 eq. (45)) for every key.

    Arguments:
        q: ``(Q,)`` or ``(n, Q)``.
        K: ``(m, K)`` with K == Q.
    Returns:
        ``(m,)`` or ``(n, m)``.
    Raises:
        ShapeError: q not 1-D or 2-D, K not 2-D or empty, or Q != K.

    >>> # q = (1, 2) against the keys (1, 0) and (0, 1)
    >>> dot_score(np.array([1.0, 2.0]), np.eye(2))
    array([1., 2.])
    """
    return _score("dot_score", "dot", q, K)


def scaled_dot_score(q, K) -> np.ndarray:
    """The scaled dot-product score qᵀ k_i / √d (seed 000 eq. (46)), d = Q = K.

    The lecture divides by √d "to ensure the variance of the score remains 1": for q and k
    with independent zero-mean, unit-variance entries, Var(qᵀk) = d (see
    :func:`score_variance`).

    Arguments, returns and errors: as :func:`dot_score`.

    >>> # d = 4: the dot products 4 and 2 are divided by 2
    >>> scaled_dot_score(np.ones(4), np.array([[1.0, 1, 1, 1], [2, 0, 0, 0]]))
    array([2., 1.])
    """
    return _score("scaled_dot_score", "scaled_dot", q, K)


def additive_score(q, K, w_a, W_q, W_k, b_a) -> np.ndarray:
    """The additive (Bahdanau) score w_aᵀ tanh(W_q q + W_k k_i + b_a) (seed 000 eq. (47)).

    Arguments:
        q: ``(Q,)`` or ``(n, Q)``; K: ``(m, K)``, K may differ from Q.
        w_a: ``(A,)``; W_q: ``(A, Q)``; W_k: ``(A, K)``; b_a: ``(A,)``.
    Returns:
        ``(m,)`` or ``(n, m)``.
    Raises:
        ShapeError: q, K or a parameter of the wrong shape.

    >>> # A = 1, W_q = 0, W_k = 1: the score of key k_i is 2 tanh(k_i), whatever q
    >>> s = additive_score(np.ones(3), np.array([[0.0], [1.0]]), np.array([2.0]),
    ...                    np.zeros((1, 3)), np.ones((1, 1)), np.zeros(1))
    >>> bool(np.allclose(s, [0.0, 2 * np.tanh(1.0)]))
    True
    """
    return _score("additive_score", "additive", q, K,
                  {"w_a": w_a, "W_q": W_q, "W_k": W_k, "b_a": b_a})


def attention_weights(scores) -> np.ndarray:
    """α = softmax of the scores along the last axis (seed 000 eq. (44)), computed stably.

    α_i = exp(a_i − max_j a_j) / Σ_j exp(a_j − max_j a_j): the largest exponent is 0, so
    nothing overflows, and the sum is at least 1.

    Arguments:
        scores: ``(m,)`` or ``(n, m)``, finite, m ≥ 1.
    Returns:
        The shape of ``scores``: non-negative, each row summing to 1.

    >>> # scores of ±1e4 (exp would overflow as printed in eq. (44))
    >>> attention_weights(np.array([1e4, 1e4, -1e4]))
    array([0.5, 0.5, 0. ])
    """
    s = as_floats("attention_weights", {"scores": scores})["scores"]
    if s.ndim not in (1, 2) or s.shape[-1] == 0:
        raise ShapeError(f"attention_weights: scores must have shape (m,) or (n, m) with "
                         f"m >= 1, got {s.shape}")
    with np.errstate(under="ignore"):
        return softmax_rows(s)


def softmax_vjp(weights, g) -> np.ndarray:
    """∂L/∂a of the softmax α = softmax(a), given α and g = ∂L/∂α (both ``(m,)`` or ``(n, m)``).

    The Jacobian is ∂α_i/∂a_j = α_i (δ_ij − α_j), so ∂L/∂a = α ⊙ (g − (α·g) 1).

    >>> # a constant g changes nothing: the weights always sum to 1
    >>> softmax_vjp(np.array([0.25, 0.75]), np.array([3.0, 3.0]))
    array([0., 0.])
    """
    a = as_floats("softmax_vjp", {"weights": weights, "g": g})
    if a["weights"].ndim not in (1, 2) or a["g"].shape != a["weights"].shape:
        raise ShapeError(f"softmax_vjp: weights must be (m,) or (n, m) and g the same shape, "
                         f"got weights {a['weights'].shape} and g {a['g'].shape}")
    with np.errstate(under="ignore"):
        return softmax_rows_vjp(a["weights"], a["g"])


def score_variance(d: int, n: int, rng=None, scaled: bool = True) -> float:
    """The sample variance of n scores qᵀk (or qᵀk/√d) for q, k drawn from N(0, I_d).

    Seed 000 says, above eq. (46), that the dot score is divided by √d "to ensure the
    variance of the score remains 1". For independent entries with mean 0 and variance 1,
    Var(qᵀk) = Σ_j Var(q_j k_j) = d, so the scaled score has variance 1 for every d and
    the unscaled one variance d. Each of the n pairs (q, k) is drawn afresh, so the n
    scores are independent.

    Arguments:
        d: the dimension Q = K ≥ 1.
        n: the number of scores ≥ 2.
        rng: a ``numpy.random.Generator`` or a seed.
        scaled: divide by √d as eq. (46) does (else eq. (45)).
    Returns:
        The unbiased sample variance (float).

    >>> # close to 1 scaled, close to d = 64 not
    >>> abs(score_variance(64, 20_000, rng=0) - 1) < 0.1
    True
    >>> abs(score_variance(64, 20_000, rng=0, scaled=False) / 64 - 1) < 0.1
    True
    """
    for name, v, low in (("d", d, 1), ("n", n, 2)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < low:
            raise SeqcheckError(f"score_variance: {name} must be an int >= {low}, got {v!r}")
    rng = np.random.default_rng(rng)
    q = rng.standard_normal((n, d))
    k = rng.standard_normal((n, d))
    # n independent pairs: the row-wise product, not the (n, n) matrix of dot_score
    s = np.einsum("nd,nd->n", q, k)
    if scaled:
        s = s / sqrt_d(d, s.dtype)
    return float(np.var(s, ddof=1))
