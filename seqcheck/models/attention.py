"""Attention (seed 000, section "Attention", eq. 42–48) as checked NumPy functions.

Attention(q, K, V) = Σ_i α_i v_i (eq. 43), with α the softmax of the scores a(q, k_i)
(eq. 44) for three score functions: the dot product (eq. 45), the dot product divided by
√d (eq. 46) and the additive (Bahdanau) score (eq. 47). Self-attention (eq. 48) uses every
input as query, key and value.

Shapes, named as in the lecture: a query q is ``(Q,)``, or ``(n, Q)`` for n queries at
once; the keys K are ``(m, K)``, key k_i in row i; the values V are ``(m, v)``, value v_i in
row i. Scores and weights are ``(m,)`` or ``(n, m)``; the output is ``(v,)`` or ``(n, v)``.
The additive score's parameters are w_a ``(A,)``, W_q ``(A, Q)``, W_k ``(A, K)`` and
b_a ``(A,)``.

Each ``*_vjp`` function is the hand-derived vector–Jacobian product: given the upstream
gradient g = ∂L/∂output (the output's shape), it returns ∂L/∂q, ∂L/∂K, ∂L/∂V and the
parameters' gradients as :class:`AttentionGradients`. Each rule sits under its forward.

Arrays are computed in the inputs' common floating type: float32 stays float32, float64
and integers give float64. The softmax subtracts the row maximum, so no exponential
overflows; weights that underflow to zero are the correctly rounded answer, so NumPy's
underflow flag is ignored inside these functions (other floating-point errors are not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import SeqcheckError, ShapeError
from ..spec.model import Source
from .registry import Entry

__all__ = [
    "AttentionGradients",
    "SelfAttentionGradients",
    "SCORES",
    "dot_score",
    "scaled_dot_score",
    "additive_score",
    "attention_weights",
    "softmax_vjp",
    "attention_dot",
    "attention_dot_vjp",
    "attention_scaled_dot",
    "attention_scaled_dot_vjp",
    "attention_additive",
    "attention_additive_vjp",
    "self_attention",
    "self_attention_vjp",
    "score_variance",
    "ENTRIES",
]

_SEED000 = "000_bdb039f7b454a225.txt"

#: The score functions :func:`self_attention` accepts.
SCORES = ("dot", "scaled_dot", "additive")

#: The additive score's parameters, in signature order.
_ADDITIVE = ("w_a", "W_q", "W_k", "b_a")


@dataclass(frozen=True)
class AttentionGradients:
    """∂L/∂(inputs) of one attention call, for an upstream gradient g = ∂L/∂output.

    Arguments:
        q: ∂L/∂q, the shape of q: ``(Q,)`` or ``(n, Q)``.
        K: ∂L/∂K, ``(m, K)``.
        V: ∂L/∂V, ``(m, v)``.
        params: ``{"w_a": (A,), "W_q": (A, Q), "W_k": (A, K), "b_a": (A,)}`` for the
            additive score; empty for the dot scores.
    """

    q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class SelfAttentionGradients:
    """∂L/∂(inputs) of :func:`self_attention`.

    Arguments:
        X: ∂L/∂X, ``(n, d)``: the sum of the gradients through the queries, the keys and the
            values, since every x_i is all three (seed 000 eq. (48)).
        params: the additive score's parameter gradients (see :class:`AttentionGradients`);
            empty for the dot scores.
    """

    X: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)


# -- input checks ----------------------------------------------------------------------------

def _floats(fn: str, named: dict[str, object]) -> dict[str, np.ndarray]:
    """The arrays in their common floating type; non-finite entries are refused."""
    arrays = {k: np.asarray(v) for k, v in named.items()}
    dtype = np.result_type(*arrays.values(), np.float32)
    if not np.issubdtype(dtype, np.floating):
        raise SeqcheckError(f"{fn}: attention takes real arrays, got dtype {dtype}")
    out = {k: a.astype(dtype, copy=False) for k, a in arrays.items()}
    for k, a in out.items():
        if not np.all(np.isfinite(a)):
            raise SeqcheckError(f"{fn}: {k} has non-finite entries; attention is defined for "
                                "finite inputs")
    return out


def _check_qk(fn: str, q: np.ndarray, K: np.ndarray) -> None:
    if q.ndim not in (1, 2):
        raise ShapeError(f"{fn}: q must have shape (Q,) or (n, Q), got {q.shape}")
    if K.ndim != 2:
        raise ShapeError(f"{fn}: K must have shape (m, K), got {K.shape}")
    if K.shape[0] == 0:
        raise ShapeError(f"{fn}: attention needs at least one key (m >= 1), got K {K.shape}")


def _check_v(fn: str, K: np.ndarray, V: np.ndarray) -> None:
    if V.ndim != 2:
        raise ShapeError(f"{fn}: V must have shape (m, v), got {V.shape}")
    if V.shape[0] != K.shape[0]:
        raise ShapeError(f"{fn}: K and V must have one row per key, got K {K.shape} "
                         f"(m = {K.shape[0]}) and V {V.shape} (m = {V.shape[0]})")


def _check_dot(fn: str, q: np.ndarray, K: np.ndarray) -> None:
    if q.shape[-1] != K.shape[1]:
        raise ShapeError(f"{fn}: the dot score q^T k_i needs Q == K, got q {q.shape} "
                         f"(Q = {q.shape[-1]}) and K {K.shape} (K = {K.shape[1]}); "
                         "the additive score takes keys of another size")


def _check_additive(fn: str, q: np.ndarray, K: np.ndarray, p: dict[str, np.ndarray]) -> None:
    w_a, W_q, W_k, b_a = (p[k] for k in _ADDITIVE)
    if w_a.ndim != 1:
        raise ShapeError(f"{fn}: w_a must have shape (A,), got {w_a.shape}")
    A, Q, Kd = w_a.shape[0], q.shape[-1], K.shape[1]
    for name, a, want, dims in (("W_q", W_q, (A, Q), "(A, Q)"), ("W_k", W_k, (A, Kd), "(A, K)"),
                                ("b_a", b_a, (A,), "(A,)")):
        if a.shape != want:
            raise ShapeError(f"{fn}: {name} must have shape {dims} = {want} with A = {A} from "
                             f"w_a {w_a.shape}, got {a.shape}")


def _check_g(fn: str, g: np.ndarray, shape: tuple[int, ...]) -> None:
    if g.shape != shape:
        raise ShapeError(f"{fn}: the upstream gradient g must have the output's shape "
                         f"{shape}, got {g.shape}")


def _scores_checked(fn: str, s: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(s)):
        wider = "" if s.dtype == np.float64 else " or compute in float64"
        raise SeqcheckError(f"{fn}: a score overflowed {s.dtype}; scale the inputs down{wider}")
    return s


# -- score functions, each with its VJP right below (n queries at once: q2 is (n, Q)) ------

def _dot(q2, K):
    return q2 @ K.T                                   # s_ni = q_n · k_i  (eq. 45)


def _dot_vjp(q2, K, ds):
    return ds @ K, ds.T @ q2                          # ∂L/∂q = ds K,  ∂L/∂K = dsᵀ q


def _sqrt_d(d: int, dtype) -> np.floating:
    return np.sqrt(np.asarray(d, dtype=dtype))


def _scaled(q2, K):
    return (q2 @ K.T) / _sqrt_d(K.shape[1], K.dtype)  # s_ni = q_n · k_i / √d  (eq. 46)


def _scaled_vjp(q2, K, ds):
    return _dot_vjp(q2, K, ds / _sqrt_d(K.shape[1], K.dtype))


def _additive(q2, K, w_a, W_q, W_k, b_a):
    # u_ni = W_q q_n + W_k k_i + b_a, (n, m, A); s_ni = w_aᵀ tanh(u_ni)  (eq. 47)
    h = np.tanh((q2 @ W_q.T)[:, None, :] + (K @ W_k.T)[None, :, :] + b_a)
    return h @ w_a, h


def _additive_vjp(q2, K, w_a, W_q, W_k, h, ds):
    # ∂L/∂w_a = Σ_ni ds_ni h_ni;  ∂L/∂u_ni = ds_ni w_a ⊙ (1 − h_ni²)
    du = ds[:, :, None] * w_a * (1 - h * h)
    du_q, du_k = du.sum(axis=1), du.sum(axis=0)       # (n, A), (m, A)
    return du_q @ W_q, du_k @ W_k, {
        "w_a": np.tensordot(ds, h, axes=([0, 1], [0, 1])),
        "W_q": du_q.T @ q2,                           # Σ_n (Σ_i ∂L/∂u_ni) q_nᵀ
        "W_k": du_k.T @ K,                            # Σ_i (Σ_n ∂L/∂u_ni) k_iᵀ
        "b_a": du_q.sum(axis=0),
    }


# -- the softmax (eq. 44) and the weighted sum (eq. 43) --------------------------------------

def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_vjp(alpha, dalpha):
    return alpha * (dalpha - (alpha * dalpha).sum(axis=-1, keepdims=True))


# Σ_i α_ni v_i is α V; its VJP: ∂L/∂α = g Vᵀ, ∂L/∂V = αᵀ g.


def _attend(fn, kind, q, K, V, p, g=None):
    """Forward (and, given g, backward) pass for checked inputs; q is (Q,) or (n, Q)."""
    single = q.ndim == 1
    q2 = q[None, :] if single else q
    with np.errstate(under="ignore"):
        h = None
        with np.errstate(over="ignore", invalid="ignore"):
            if kind == "additive":
                s, h = _additive(q2, K, *(p[k] for k in _ADDITIVE))
            else:
                s = (_dot if kind == "dot" else _scaled)(q2, K)
        alpha = _softmax(_scores_checked(fn, s))
        out = alpha @ V
        if g is None:
            return out[0] if single else out
        _check_g(fn, g, out[0].shape if single else out.shape)
        g2 = g[None, :] if single else g
        ds = _softmax_vjp(alpha, g2 @ V.T)
        grads: dict[str, np.ndarray] = {}
        if kind == "additive":
            dq, dK, grads = _additive_vjp(q2, K, p["w_a"], p["W_q"], p["W_k"], h, ds)
        else:
            dq, dK = (_dot_vjp if kind == "dot" else _scaled_vjp)(q2, K, ds)
        return AttentionGradients(dq[0] if single else dq, dK, alpha.T @ g2, grads)


def _prepare(fn, kind, q, K, V, params=None, g=None):
    named = {"q": q, "K": K, "V": V, **(params or {})}
    if g is not None:
        named["g"] = g
    a = _floats(fn, named)
    _check_qk(fn, a["q"], a["K"])
    _check_v(fn, a["K"], a["V"])
    if kind == "additive":
        _check_additive(fn, a["q"], a["K"], a)
    else:
        _check_dot(fn, a["q"], a["K"])
    return a


# -- public: scores and weights --------------------------------------------------------------

def _score(fn, kind, q, K, params=None):
    a = _floats(fn, {"q": q, "K": K, **(params or {})})
    _check_qk(fn, a["q"], a["K"])
    if kind == "additive":
        _check_additive(fn, a["q"], a["K"], a)
    else:
        _check_dot(fn, a["q"], a["K"])
    q2 = a["q"][None, :] if a["q"].ndim == 1 else a["q"]
    with np.errstate(under="ignore"):
        if kind == "additive":
            s = _additive(q2, a["K"], *(a[k] for k in _ADDITIVE))[0]
        else:
            s = (_dot if kind == "dot" else _scaled)(q2, a["K"])
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

    Arguments:
        q: ``(Q,)`` or ``(n, Q)``.
        K: ``(m, K)`` with K == Q.
    Returns:
        ``(m,)`` or ``(n, m)``.
    Raises:
        ShapeError: as :func:`dot_score`.

    >>> # d = 4: the dot products 4 and 2 are divided by 2
    >>> scaled_dot_score(np.ones(4), np.array([[1.0, 1, 1, 1], [2, 0, 0, 0]]))
    array([2., 1.])
    """
    return _score("scaled_dot_score", "scaled_dot", q, K)


def additive_score(q, K, w_a, W_q, W_k, b_a) -> np.ndarray:
    """The additive (Bahdanau) score w_aᵀ tanh(W_q q + W_k k_i + b_a) (seed 000 eq. (47)).

    Arguments:
        q: ``(Q,)`` or ``(n, Q)``.
        K: ``(m, K)``; K may differ from Q.
        w_a: ``(A,)``.
        W_q: ``(A, Q)``.
        W_k: ``(A, K)``.
        b_a: ``(A,)``.
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
    s = _floats("attention_weights", {"scores": scores})["scores"]
    if s.ndim not in (1, 2) or s.shape[-1] == 0:
        raise ShapeError(f"attention_weights: scores must have shape (m,) or (n, m) with "
                         f"m >= 1, got {s.shape}")
    with np.errstate(under="ignore"):
        return _softmax(s)


def softmax_vjp(weights, g) -> np.ndarray:
    """∂L/∂a of the softmax α = softmax(a), given α and g = ∂L/∂α (both ``(m,)`` or ``(n, m)``).

    The Jacobian is ∂α_i/∂a_j = α_i (δ_ij − α_j), so ∂L/∂a = α ⊙ (g − (α·g) 1).

    >>> # a constant g changes nothing: the weights always sum to 1
    >>> softmax_vjp(np.array([0.25, 0.75]), np.array([3.0, 3.0]))
    array([0., 0.])
    """
    a = _floats("softmax_vjp", {"weights": weights, "g": g})
    if a["weights"].ndim not in (1, 2) or a["g"].shape != a["weights"].shape:
        raise ShapeError(f"softmax_vjp: weights must be (m,) or (n, m) and g the same shape, "
                         f"got weights {a['weights'].shape} and g {a['g'].shape}")
    with np.errstate(under="ignore"):
        return _softmax_vjp(a["weights"], a["g"])


# -- public: attention and its VJPs ----------------------------------------------------------

def attention_dot(q, K, V) -> np.ndarray:
    """Attention(q, K, V) = Σ_i α_i v_i with the dot score (seed 000 eq. (43)–(45)).

    Arguments:
        q: ``(Q,)`` or ``(n, Q)``; n queries are attended to independently.
        K: ``(m, K)`` with K == Q.
        V: ``(m, v)``.
    Returns:
        ``(v,)`` or ``(n, v)``.
    Raises:
        ShapeError: q, K, V of the wrong rank, no keys, K and V with different m, Q != K.

    >>> # q is orthogonal to both keys: equal scores, so the mean of the values
    >>> attention_dot(np.array([1.0, 0.0]), np.array([[0.0, 1.0], [0.0, 2.0]]),
    ...               np.array([[1.0], [3.0]]))
    array([2.])
    """
    a = _prepare("attention_dot", "dot", q, K, V)
    return _attend("attention_dot", "dot", a["q"], a["K"], a["V"], a)


def attention_dot_vjp(q, K, V, g) -> AttentionGradients:
    """The vector–Jacobian product of :func:`attention_dot`.

    Arguments:
        q, K, V: as :func:`attention_dot`.
        g: ∂L/∂output, the output's shape ``(v,)`` or ``(n, v)``.
    Returns:
        :class:`AttentionGradients` with ``params`` empty.
    The rules, with α = softmax(s) and one row of g = ∂L/∂output per query:
    ∂L/∂V = αᵀ g;  ∂L/∂α = g Vᵀ;  ∂L/∂s = α ⊙ (∂L/∂α − (α·∂L/∂α) 1) (softmax, eq. (44));
    s = q Kᵀ (eq. (45)), so ∂L/∂q = (∂L/∂s) K and ∂L/∂K = (∂L/∂s)ᵀ q.

    >>> # one key: α = 1 whatever the score, so ∂L/∂q = 0 and ∂L/∂V = g
    >>> grads = attention_dot_vjp(np.array([1.0, 2.0]), np.array([[3.0, 4.0]]),
    ...                           np.array([[5.0, 6.0]]), np.array([1.0, -1.0]))
    >>> grads.q, grads.V
    (array([0., 0.]), array([[ 1., -1.]]))
    """
    a = _prepare("attention_dot_vjp", "dot", q, K, V, g=g)
    return _attend("attention_dot_vjp", "dot", a["q"], a["K"], a["V"], a, a["g"])


def attention_scaled_dot(q, K, V) -> np.ndarray:
    """Attention(q, K, V) with the scaled dot score qᵀk_i/√d (seed 000 eq. (43), (44), (46)).

    This is ``torch.nn.functional.scaled_dot_product_attention`` for one head, no mask.

    Arguments:
        q: ``(Q,)`` or ``(n, Q)``.
        K: ``(m, K)`` with K == Q == d.
        V: ``(m, v)``.
    Returns:
        ``(v,)`` or ``(n, v)``.
    Raises:
        ShapeError: as :func:`attention_dot`.

    >>> # a single key: its value comes back whatever the query
    >>> attention_scaled_dot(np.array([[1.0, 2.0], [-3.0, 0.5]]), np.array([[0.3, 0.1]]),
    ...                      np.array([[4.0, 5.0, 6.0]]))
    array([[4., 5., 6.],
           [4., 5., 6.]])
    """
    a = _prepare("attention_scaled_dot", "scaled_dot", q, K, V)
    return _attend("attention_scaled_dot", "scaled_dot", a["q"], a["K"], a["V"], a)


def attention_scaled_dot_vjp(q, K, V, g) -> AttentionGradients:
    """The vector–Jacobian product of :func:`attention_scaled_dot`.

    Arguments:
        q, K, V: as :func:`attention_scaled_dot`.
        g: ∂L/∂output, ``(v,)`` or ``(n, v)``.
    Returns:
        :class:`AttentionGradients` with ``params`` empty.
    The rules, with α = softmax(s) and one row of g = ∂L/∂output per query:
    ∂L/∂V = αᵀ g;  ∂L/∂α = g Vᵀ;  ∂L/∂s = α ⊙ (∂L/∂α − (α·∂L/∂α) 1) (softmax, eq. (44));
    s = q Kᵀ/√d (eq. (46)), so ∂L/∂q = (∂L/∂s) K/√d and ∂L/∂K = (∂L/∂s)ᵀ q/√d.

    >>> # two equal keys share the weight; ∂L/∂k_i = (∂L/∂s_i) q/√d with d = 4 moves the key
    >>> # of the larger value towards q
    >>> grads = attention_scaled_dot_vjp(np.array([2.0, 0.0, 0.0, 2.0]), np.ones((2, 4)),
    ...                                  np.array([[1.0], [3.0]]), np.array([1.0]))
    >>> grads.K
    array([[-0.5,  0. ,  0. , -0.5],
           [ 0.5,  0. ,  0. ,  0.5]])
    """
    a = _prepare("attention_scaled_dot_vjp", "scaled_dot", q, K, V, g=g)
    return _attend("attention_scaled_dot_vjp", "scaled_dot", a["q"], a["K"], a["V"], a, a["g"])


def attention_additive(q, K, V, w_a, W_q, W_k, b_a) -> np.ndarray:
    """Attention(q, K, V) with the additive (Bahdanau) score (seed 000 eq. (43), (44), (47)).

    Arguments:
        q: ``(Q,)`` or ``(n, Q)``.
        K: ``(m, K)``; K may differ from Q.
        V: ``(m, v)``.
        w_a: ``(A,)``.
        W_q: ``(A, Q)``.
        W_k: ``(A, K)``.
        b_a: ``(A,)``.
    Returns:
        ``(v,)`` or ``(n, v)``.
    Raises:
        ShapeError: an input or parameter of the wrong shape.

    >>> # w_a = 0: every score is 0, so the output is the mean of the values
    >>> attention_additive(np.ones(3), np.ones((2, 4)), np.array([[1.0], [2.0]]), np.zeros(2),
    ...                    np.ones((2, 3)), np.ones((2, 4)), np.ones(2))
    array([1.5])
    """
    p = {"w_a": w_a, "W_q": W_q, "W_k": W_k, "b_a": b_a}
    a = _prepare("attention_additive", "additive", q, K, V, p)
    return _attend("attention_additive", "additive", a["q"], a["K"], a["V"], a)


def attention_additive_vjp(q, K, V, w_a, W_q, W_k, b_a, g) -> AttentionGradients:
    """The vector–Jacobian product of :func:`attention_additive`.

    Arguments:
        q, K, V, w_a, W_q, W_k, b_a: as :func:`attention_additive`.
        g: ∂L/∂output, ``(v,)`` or ``(n, v)``.
    Returns:
        :class:`AttentionGradients`; ``params`` holds ∂L/∂w_a, ∂L/∂W_q, ∂L/∂W_k, ∂L/∂b_a.
    The rules, with α = softmax(s) and one row of g = ∂L/∂output per query:
    ∂L/∂V = αᵀ g;  ∂L/∂α = g Vᵀ;  ∂L/∂s = α ⊙ (∂L/∂α − (α·∂L/∂α) 1) (softmax, eq. (44));
    s_ni = w_aᵀ h_ni with h_ni = tanh(u_ni), u_ni = W_q q_n + W_k k_i + b_a (eq. (47)); with
    δ_ni = (∂L/∂s_ni) w_a ⊙ (1 − h_ni²):
    ∂L/∂w_a = Σ_ni (∂L/∂s_ni) h_ni;  ∂L/∂b_a = Σ_ni δ_ni;
    ∂L/∂W_q = Σ_n (Σ_i δ_ni) q_nᵀ;  ∂L/∂W_k = Σ_i (Σ_n δ_ni) k_iᵀ;
    ∂L/∂q_n = W_qᵀ Σ_i δ_ni;  ∂L/∂k_i = W_kᵀ Σ_n δ_ni.

    >>> # w_a = 0: equal weights, ∂L/∂s = (−0.5, 0.5), h = (tanh 0, tanh 1), so
    >>> # ∂L/∂w_a = 0.5 tanh 1
    >>> grads = attention_additive_vjp(np.ones(1), np.array([[0.0], [1.0]]),
    ...                                np.array([[1.0], [3.0]]), np.zeros(1), np.zeros((1, 1)),
    ...                                np.ones((1, 1)), np.zeros(1), np.ones(1))
    >>> sorted(grads.params), bool(np.isclose(grads.params["w_a"][0], np.tanh(1.0) / 2))
    (['W_k', 'W_q', 'b_a', 'w_a'], True)
    """
    p = {"w_a": w_a, "W_q": W_q, "W_k": W_k, "b_a": b_a}
    a = _prepare("attention_additive_vjp", "additive", q, K, V, p, g)
    return _attend("attention_additive_vjp", "additive", a["q"], a["K"], a["V"], a, a["g"])


# -- public: self-attention (eq. 48) ---------------------------------------------------------

def _self_params(fn: str, score: str, params) -> dict:
    if score not in SCORES:
        raise SeqcheckError(f"{fn}: unknown score {score!r}; choose one of "
                            + ", ".join(map(repr, SCORES)))
    if not isinstance(params, Mapping | None):
        raise SeqcheckError(f"{fn}: params must be a mapping of names to arrays, got "
                            f"{type(params).__name__}")
    given = dict(params) if params is not None else {}
    if score != "additive":
        if given:
            raise SeqcheckError(f"{fn}: the {score} score has no parameters, got "
                                + ", ".join(sorted(given)))
        return {}
    missing = [k for k in _ADDITIVE if k not in given]
    unknown = sorted(k for k in given if k not in _ADDITIVE)
    if missing or unknown:
        raise SeqcheckError(
            f"{fn}: the additive score takes params w_a, W_q, W_k, b_a"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else ""))
    return {k: given[k] for k in _ADDITIVE}


def _self_prepare(fn, X, score, params, g=None):
    p = _self_params(fn, score, params)
    named = {"X": X, **p, **({"g": g} if g is not None else {})}
    a = _floats(fn, named)
    if a["X"].ndim != 2 or a["X"].shape[0] == 0:
        raise ShapeError(f"{fn}: X must have shape (n, d) with n >= 1, one input x_i per "
                         f"row, got {a['X'].shape}")
    if score == "additive":
        _check_additive(fn, a["X"], a["X"], a)
    return a


def self_attention(X, score: str = "scaled_dot", params: Mapping | None = None) -> np.ndarray:
    """Self-attention y_i = Attention(x_i, (x_1, x_1), …, (x_n, x_n)) (seed 000 eq. (48)).

    Every input is a query, a key and a value: Y = Attention(X, X, X). The lecture names no
    score for eq. (48); the default is the scaled dot product of eq. (46).

    Arguments:
        X: ``(n, d)``, input x_i in row i.
        score: ``"dot"`` (eq. (45)), ``"scaled_dot"`` (eq. (46)) or ``"additive"``
            (eq. (47)).
        params: for ``"additive"`` exactly ``{"w_a": (A,), "W_q": (A, d), "W_k": (A, d),
            "b_a": (A,)}``; nothing for the dot scores.
    Returns:
        Y, ``(n, d)``, y_i in row i.
    Raises:
        ShapeError: X not 2-D or empty, or a parameter of the wrong shape.
        SeqcheckError: an unknown score, or missing or unknown parameters.

    >>> # permuting the inputs permutes the outputs
    >>> X = np.array([[1.0, 0.0], [0.5, 2.0], [-1.0, 1.0]])
    >>> bool(np.allclose(self_attention(X[::-1]), self_attention(X)[::-1]))
    True
    """
    a = _self_prepare("self_attention", X, score, params)
    return _attend("self_attention", score, a["X"], a["X"], a["X"], a)


def self_attention_vjp(X, g, score: str = "scaled_dot",
                       params: Mapping | None = None) -> SelfAttentionGradients:
    """The vector–Jacobian product of :func:`self_attention`.

    X enters as the queries, the keys and the values, so ∂L/∂X = ∂L/∂q + ∂L/∂K + ∂L/∂V of
    the attention VJP (:func:`attention_scaled_dot_vjp` and its siblings) at q = K = V = X.

    Arguments:
        X, score, params: as :func:`self_attention`.
        g: ∂L/∂Y, ``(n, d)``.
    Returns:
        :class:`SelfAttentionGradients`.

    >>> # one input: y_1 = x_1, so ∂L/∂X = g
    >>> self_attention_vjp(np.array([[2.0, -1.0]]), np.array([[0.5, 4.0]])).X
    array([[0.5, 4. ]])
    """
    a = _self_prepare("self_attention_vjp", X, score, params, g)
    grads = _attend("self_attention_vjp", score, a["X"], a["X"], a["X"], a, a["g"])
    return SelfAttentionGradients(grads.q + grads.K + grads.V, grads.params)


# -- property helpers ------------------------------------------------------------------------

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
        s = s / _sqrt_d(d, s.dtype)
    return float(np.var(s, ddof=1))


ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="attention_dot", kind="function",
        title="Attention with the dot score q^T k_i (seed 000 eq. 43-45)",
        sources=(Source(_SEED000, ("43", "44", "45"), "Attention scores"),),
        target="seqcheck.models.attention:attention_dot",
        tests=("tests/test_attention.py",)),
    Entry(
        name="attention_scaled_dot", kind="function",
        title="Attention with the scaled dot score q^T k_i / sqrt(d) (seed 000 eq. 43, 44, 46)",
        sources=(Source(_SEED000, ("43", "44", "46"), "Commonly used score functions",
                        "d, not defined on the slide, is the common size Q = K"),),
        target="seqcheck.models.attention:attention_scaled_dot",
        tests=("tests/test_attention.py",)),
    Entry(
        name="attention_additive", kind="function",
        title="Attention with the additive (Bahdanau) score (seed 000 eq. 43, 44, 47)",
        sources=(Source(_SEED000, ("43", "44", "47"), "Commonly used score functions",
                        "the size A of w_a is not given on the slide"),),
        target="seqcheck.models.attention:attention_additive",
        tests=("tests/test_attention.py",)),
    Entry(
        name="self_attention", kind="function",
        title="Self-attention y_i = Attention(x_i, (x_j, x_j)_j) (seed 000 eq. 48)",
        sources=(Source(_SEED000, ("43", "44", "46", "48"), "Transformers",
                        "eq. 48 names no score; the scaled dot score is the default"),),
        target="seqcheck.models.attention:self_attention",
        tests=("tests/test_attention.py",)),
)
