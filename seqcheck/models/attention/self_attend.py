"""Self-attention Y = Attention(X, X, X) (seed 000 eq. 48) and its VJP.

Every input x_i is a query, a key and a value, with any of the three scores of
:mod:`.attend`; the gradient through X sums the three roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ...errors import SeqcheckError, ShapeError
from .attend import attend
from .inputs import ADDITIVE, as_floats, check_additive

__all__ = ["SCORES", "SelfAttentionGradients", "self_attention", "self_attention_vjp"]

#: The score functions :func:`self_attention` accepts.
SCORES = ("dot", "scaled_dot", "additive")


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
    missing = [k for k in ADDITIVE if k not in given]
    unknown = sorted(k for k in given if k not in ADDITIVE)
    if missing or unknown:
        raise SeqcheckError(
            f"{fn}: the additive score takes params w_a, W_q, W_k, b_a"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else ""))
    return {k: given[k] for k in ADDITIVE}


def _self_prepare(fn, X, score, params, g=None):
    p = _self_params(fn, score, params)
    named = {"X": X, **p, **({"g": g} if g is not None else {})}
    a = as_floats(fn, named)
    if a["X"].ndim != 2 or a["X"].shape[0] == 0:
        raise ShapeError(f"{fn}: X must have shape (n, d) with n >= 1, one input x_i per "
                         f"row, got {a['X'].shape}")
    if score == "additive":
        check_additive(fn, a["X"], a["X"], a)
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
    return attend("self_attention", score, a["X"], a["X"], a["X"], a)


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
    grads = attend("self_attention_vjp", score, a["X"], a["X"], a["X"], a, a["g"])
    return SelfAttentionGradients(grads.q + grads.K + grads.V, grads.params)
