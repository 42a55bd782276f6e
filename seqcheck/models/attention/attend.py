"""Attention(q, K, V) = Σ_i α_i v_i (seed 000 eq. 43) for the three scores, and its VJPs.

:func:`attend` is the one forward and backward pass, over checked arrays; the public
functions check their arguments (:mod:`.inputs`) and call it, one pair (forward, VJP) per
score: the dot score (eq. 45), the scaled dot score (eq. 46) and the additive score
(eq. 47).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .inputs import (
    ADDITIVE,
    as_floats,
    check_additive,
    check_dot,
    check_g,
    check_qk,
    check_v,
    checked_scores,
)
from .rules import (
    additive_scores,
    additive_scores_vjp,
    dot_scores,
    dot_scores_vjp,
    scaled_dot_scores,
    scaled_dot_scores_vjp,
    softmax_rows,
    softmax_rows_vjp,
)

__all__ = [
    "AttentionGradients", "attend", "attention_dot", "attention_dot_vjp", "attention_scaled_dot",
    "attention_scaled_dot_vjp", "attention_additive", "attention_additive_vjp",
]


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


def attend(fn: str, kind: str, q, K, V, p, g=None):
    """Forward (and, given g, backward) pass for checked inputs; q is (Q,) or (n, Q).

    Arguments:
        fn: the public function's name, for the messages.
        kind: ``"dot"``, ``"scaled_dot"`` or ``"additive"``.
        q, K, V: checked arrays (:func:`.inputs.as_floats`): ``(Q,)`` or ``(n, Q)``,
            ``(m, K)``, ``(m, v)``.
        p: holds the additive score's parameters (by :data:`.inputs.ADDITIVE` name).
        g: ∂L/∂output, of the output's shape; None for the forward pass only.
    Returns:
        The output ``(v,)`` or ``(n, v)`` without g; with it, :class:`AttentionGradients`.
    """
    single = q.ndim == 1
    q2 = q[None, :] if single else q
    with np.errstate(under="ignore"):
        h = None
        with np.errstate(over="ignore", invalid="ignore"):
            if kind == "additive":
                s, h = additive_scores(q2, K, *(p[k] for k in ADDITIVE))
            else:
                s = (dot_scores if kind == "dot" else scaled_dot_scores)(q2, K)
        alpha = softmax_rows(checked_scores(fn, s))
        out = alpha @ V
        if g is None:
            return out[0] if single else out
        check_g(fn, g, out[0].shape if single else out.shape)
        g2 = g[None, :] if single else g
        ds = softmax_rows_vjp(alpha, g2 @ V.T)
        grads: dict[str, np.ndarray] = {}
        if kind == "additive":
            dq, dK, grads = additive_scores_vjp(q2, K, p["w_a"], p["W_q"], p["W_k"], h, ds)
        else:
            dq, dK = (dot_scores_vjp if kind == "dot" else scaled_dot_scores_vjp)(q2, K, ds)
        return AttentionGradients(dq[0] if single else dq, dK, alpha.T @ g2, grads)


def _prepare(fn, kind, q, K, V, params=None, g=None):
    named = {"q": q, "K": K, "V": V, **(params or {})}
    if g is not None:
        named["g"] = g
    a = as_floats(fn, named)
    check_qk(fn, a["q"], a["K"])
    check_v(fn, a["K"], a["V"])
    if kind == "additive":
        check_additive(fn, a["q"], a["K"], a)
    else:
        check_dot(fn, a["q"], a["K"])
    return a


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
    return attend("attention_dot", "dot", a["q"], a["K"], a["V"], a)


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
    return attend("attention_dot_vjp", "dot", a["q"], a["K"], a["V"], a, a["g"])


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
    return attend("attention_scaled_dot", "scaled_dot", a["q"], a["K"], a["V"], a)


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
    return attend("attention_scaled_dot_vjp", "scaled_dot", a["q"], a["K"], a["V"], a, a["g"])


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
    return attend("attention_additive", "additive", a["q"], a["K"], a["V"], a)


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
    return attend("attention_additive_vjp", "additive", a["q"], a["K"], a["V"], a, a["g"])
