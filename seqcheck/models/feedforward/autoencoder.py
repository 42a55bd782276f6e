"""The autoencoder of seed 001's "Autoencoders II" slide, its loss and its gradients.

½ Σ_ℓ ‖x^(ℓ) − (W2 σ(W1 x^(ℓ) + w10) + w20)‖², a linear output layer, with the slide's
bias names ``w10``, ``w20``. Data are rows: ``X`` is (N, D), W1 (K, D), W2 (D, K).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import activation
from .inputs import check_autoencoder, float_dtype

__all__ = [
    "autoencoder_reconstruction", "autoencoder_loss", "AutoencoderGradients",
    "autoencoder_gradients",
]


def autoencoder_reconstruction(X, W1, w10, W2, w20, *, hidden: str = "sigmoid"):
    """x̂^(ℓ) = W2 σ(W1 x^(ℓ) + w10) + w20 for every row of X ("Autoencoders II").

    Arguments:
        X: data (N, D), one example per row.
        W1: encoder weights (K, D); w10: encoder bias (K,).
        W2: decoder weights (D, K); w20: decoder bias (D,).
        hidden: σ of the hidden units, ``"sigmoid"`` (default), ``"relu"`` or
            ``"linear"`` (the slide's PCA remark).

    Returns:
        X̂ (N, D): the linear output layer's reconstructions.

    >>> # zero weights reconstruct every example as the decoder bias
    >>> X = np.ones((2, 3)); W1 = np.zeros((1, 3)); W2 = np.zeros((3, 1))
    >>> autoencoder_reconstruction(X, W1, np.zeros(1), W2, np.arange(3.0)).tolist()
    [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    """
    check_autoencoder(X, W1, w10, W2, w20, ("W1", "w10", "W2", "w20"))
    act, _ = activation(hidden)
    dt = float_dtype(X, W1, w10, W2, w20)
    X, W1, w10, W2, w20 = (np.asarray(a, dtype=dt) for a in (X, W1, w10, W2, w20))
    return act(X @ W1.T + w10) @ W2.T + w20


def autoencoder_loss(X, W1, w10, W2, w20, *, hidden: str = "sigmoid"):
    """½ Σ_ℓ ‖x^(ℓ) − (W2 σ(W1 x^(ℓ) + w10) + w20)‖₂², seed 001 "Autoencoders II".

    Arguments: as :func:`autoencoder_reconstruction`.

    Returns:
        the reconstruction loss, a scalar (summed, not averaged, over the N examples).

    >>> # a perfect reconstruction costs nothing
    >>> X = np.array([[0.0, 1.0, 2.0]])
    >>> float(autoencoder_loss(X, np.zeros((1, 3)), np.zeros(1), np.zeros((3, 1)), X[0]))
    0.0
    """
    X_hat = autoencoder_reconstruction(X, W1, w10, W2, w20, hidden=hidden)
    R = X_hat - np.asarray(X, dtype=X_hat.dtype)
    return X_hat.dtype.type(0.5) * np.sum(R * R)


@dataclass(frozen=True)
class AutoencoderGradients:
    """∂L/∂θ of :func:`autoencoder_loss`, one array per parameter, each its shape.

    Attributes:
        loss: L itself, the reconstruction loss ½ Σ_ℓ ‖x^(ℓ) − x̂^(ℓ)‖².
        W1: (K, D); w10: (K,); W2: (D, K); w20: (D,).
    """

    loss: np.floating
    W1: np.ndarray
    w10: np.ndarray
    W2: np.ndarray
    w20: np.ndarray


def autoencoder_gradients(X, W1, w10, W2, w20, *, hidden: str = "sigmoid"):
    """The gradients of :func:`autoencoder_loss` w.r.t. W1, w10, W2, w20, derived by hand.

    With rows A = X W1ᵀ + w10, H = σ(A) (N, K), X̂ = H W2ᵀ + w20 and the residual
    R = X̂ − X (N, D):

        ∂L/∂W2  = Rᵀ H                  (D, K)
        ∂L/∂w20 = Σ_ℓ r^(ℓ)             (D,)
        G       = (R W2) ⊙ σ'(A)        (N, K), σ' = H(1 − H) for the sigmoid
        ∂L/∂W1  = Gᵀ X                  (K, D)
        ∂L/∂w10 = Σ_ℓ g^(ℓ)             (K,)

    Arguments: as :func:`autoencoder_reconstruction`.

    Returns:
        an :class:`AutoencoderGradients`.

    >>> # at a perfect reconstruction every gradient vanishes
    >>> X = np.array([[0.0, 1.0, 2.0]])
    >>> g = autoencoder_gradients(X, np.ones((2, 3)), np.zeros(2), np.zeros((3, 2)), X[0])
    >>> float(abs(g.W1).max()), float(abs(g.w20).max())
    (0.0, 0.0)
    """
    check_autoencoder(X, W1, w10, W2, w20, ("W1", "w10", "W2", "w20"))
    act, dact = activation(hidden)
    dt = float_dtype(X, W1, w10, W2, w20)
    X, W1, w10, W2, w20 = (np.asarray(a, dtype=dt) for a in (X, W1, w10, W2, w20))
    A = X @ W1.T + w10
    H = act(A)
    R = H @ W2.T + w20 - X
    G = (R @ W2) * dact(A, H)
    return AutoencoderGradients(
        loss=dt.type(0.5) * np.sum(R * R),
        W1=G.T @ X, w10=G.sum(axis=0), W2=R.T @ H, w20=R.sum(axis=0))
