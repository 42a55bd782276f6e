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

The package, one module per stage: :mod:`.inputs` checks the arguments, :mod:`.rules`
holds each score and the softmax with its VJP, :mod:`.scores` the public scores and
weights, :mod:`.attend` attention and its VJPs, :mod:`.self_attend` self-attention, and
:mod:`.entries` the catalogue entries.
"""

from __future__ import annotations

from ..._lazy import lazy_exports
from .entries import ENTRIES

# Each name is imported from its module on first use: the catalogue reads ENTRIES alone.
_LAZY = {
    "AttentionGradients": ".attend",
    "attention_additive": ".attend",
    "attention_additive_vjp": ".attend",
    "attention_dot": ".attend",
    "attention_dot_vjp": ".attend",
    "attention_scaled_dot": ".attend",
    "attention_scaled_dot_vjp": ".attend",
    "additive_score": ".scores",
    "attention_weights": ".scores",
    "dot_score": ".scores",
    "scaled_dot_score": ".scores",
    "score_variance": ".scores",
    "softmax_vjp": ".scores",
    "SCORES": ".self_attend",
    "SelfAttentionGradients": ".self_attend",
    "self_attention": ".self_attend",
    "self_attention_vjp": ".self_attend",
}

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

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
