"""The denoising autoencoder of seed 001's "Optimization Problem" slide, with its gradients.

½ Σ_ℓ ‖x^(ℓ) − x̂^(ℓ)‖² + λ(‖W1‖_F² + ‖W2‖_F²) with h = σ(W1 x̃ + w01), x̂ = σ(W2 h + w02):
a sigmoid output layer, the slide's bias names ``w01``, ``w02``, and the corruption x̃ of
:func:`masking_noise`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ShapeError
from .activations import sigmoid
from .inputs import check_autoencoder, check_matrix, check_rate, float_dtype, shape_of

__all__ = [
    "frobenius_norm_squared", "masking_noise", "denoising_autoencoder_reconstruction",
    "denoising_autoencoder_loss", "DenoisingAutoencoderGradients",
    "denoising_autoencoder_gradients",
]


def frobenius_norm_squared(A):
    """‖A‖_F² = Σ_ij a_ij², as printed on seed 001's "Optimization Problem" slide.

    Arguments:
        A: a matrix (m, n).

    Returns:
        the sum of squared entries, a scalar of A's floating dtype. Its gradient is 2A.

    >>> # 1 + 4 + 9 + 16
    >>> float(frobenius_norm_squared(np.array([[1.0, 2.0], [3.0, 4.0]])))
    30.0
    """
    A = check_matrix("A", A)
    A = A.astype(float_dtype(A), copy=False)
    return np.sum(A * A)



def masking_noise(X, nu: float, rng: np.random.Generator):
    """The corrupted input x̃: each entry of X set to 0 independently with probability ν.

    Seed 001 says only that noise is added to the input ("Denoising Autoencoders I");
    masking noise is the corruption of Vincent et al. (2008), whose denoising
    autoencoder the slide's objective is. The entries kept are unchanged.

    Arguments:
        X: data (N, D) (any shape works).
        nu: the corruption rate ν, 0 ≤ ν ≤ 1.
        rng: a ``numpy.random.Generator``; one uniform draw per entry.

    Returns:
        X̃, same shape and floating dtype as X.

    >>> # with ν = 0 nothing is corrupted, with ν = 1 everything is
    >>> rng = np.random.default_rng(0)
    >>> masking_noise(np.ones(3), 0.0, rng).tolist(), masking_noise(np.ones(3), 1.0, rng).tolist()
    ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    """
    check_rate("nu", nu, upper_inclusive=True)
    X = np.asarray(X)
    X = X.astype(float_dtype(X), copy=False)
    keep = rng.random(X.shape) >= nu
    return np.where(keep, X, X.dtype.type(0))


def _check_denoising(X, X_tilde, W1, w01, W2, w02, lam):
    N, D, K = check_autoencoder(X, W1, w01, W2, w02, ("W1", "w01", "W2", "w02"))
    if shape_of(X_tilde) != (N, D):
        raise ShapeError(
            f"X_tilde must have the shape of X {(N, D)}, got {shape_of(X_tilde)}")
    if np.ndim(lam) != 0:
        raise ShapeError(f"lam must be a scalar, got shape {shape_of(lam)}")


def denoising_autoencoder_reconstruction(X_tilde, W1, w01, W2, w02):
    """x̂^(ℓ) = σ(W2 h^(ℓ) + w02), h^(ℓ) = σ(W1 x̃^(ℓ) + w01) ("Optimization Problem").

    Arguments:
        X_tilde: the corrupted input (N, D) (see :func:`masking_noise`).
        W1: (K, D); w01: (K,); W2: (D, K); w02: (D,). The slide names the biases w01, w02
            here (w10, w20 on "Autoencoders II").

    Returns:
        X̂ (N, D), each entry in (0, 1) (a sigmoid output layer).

    >>> # zero weights and biases give σ(0) = 1/2 everywhere
    >>> out = denoising_autoencoder_reconstruction(
    ...     np.ones((1, 2)), np.zeros((3, 2)), np.zeros(3), np.zeros((2, 3)), np.zeros(2))
    >>> out.tolist()
    [[0.5, 0.5]]
    """
    check_autoencoder(X_tilde, W1, w01, W2, w02, ("W1", "w01", "W2", "w02"), "X_tilde")
    dt = float_dtype(X_tilde, W1, w01, W2, w02)
    Xt, W1, w01, W2, w02 = (np.asarray(a, dtype=dt) for a in (X_tilde, W1, w01, W2, w02))
    return sigmoid(sigmoid(Xt @ W1.T + w01) @ W2.T + w02)


def denoising_autoencoder_loss(X, X_tilde, W1, w01, W2, w02, lam):
    """½ Σ_ℓ ‖x^(ℓ) − x̂^(ℓ)‖₂² + λ(‖W1‖_F² + ‖W2‖_F²), seed 001 "Optimization Problem".

    The reconstruction is computed from the corrupted x̃ and compared with the clean x.

    Arguments:
        X: clean data (N, D); X_tilde: its corruption (N, D).
        W1, w01, W2, w02: as :func:`denoising_autoencoder_reconstruction`.
        lam: the regularisation parameter λ (a scalar).

    Returns:
        the objective, a scalar.

    >>> # zero weights: every x̂ entry is 1/2, so each of the 2 entries costs ½·(1/2)²
    >>> float(denoising_autoencoder_loss(np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((3, 2)),
    ...     np.zeros(3), np.zeros((2, 3)), np.zeros(2), 0.1))
    0.25
    """
    _check_denoising(X, X_tilde, W1, w01, W2, w02, lam)
    X_hat = denoising_autoencoder_reconstruction(X_tilde, W1, w01, W2, w02)
    dt = X_hat.dtype
    R = X_hat - np.asarray(X, dtype=dt)
    W1, W2 = np.asarray(W1, dtype=dt), np.asarray(W2, dtype=dt)
    return (dt.type(0.5) * np.sum(R * R)
            + dt.type(lam) * (frobenius_norm_squared(W1) + frobenius_norm_squared(W2)))


@dataclass(frozen=True)
class DenoisingAutoencoderGradients:
    """∂L/∂θ of :func:`denoising_autoencoder_loss`, with the slide's names.

    Attributes:
        loss: L itself, the Frobenius penalty λ(‖W1‖_F² + ‖W2‖_F²) included.
        W1: (K, D) and W2: (D, K), each with its penalty term 2λ W; w01: (K,); w02: (D,).
        The corruption x̃ is an input, not a parameter: it has no gradient here.
    """

    loss: np.floating
    W1: np.ndarray
    w01: np.ndarray
    W2: np.ndarray
    w02: np.ndarray


def denoising_autoencoder_gradients(X, X_tilde, W1, w01, W2, w02, lam):
    """The gradients of :func:`denoising_autoencoder_loss`, derived by hand.

    With H = σ(X̃ W1ᵀ + w01) (N, K), X̂ = σ(H W2ᵀ + w02) and R = X̂ − X (N, D):

        G2      = R ⊙ X̂ ⊙ (1 − X̂)          (N, D)
        ∂L/∂W2  = G2ᵀ H + 2λ W2            (D, K)
        ∂L/∂w02 = Σ_ℓ g2^(ℓ)               (D,)
        G1      = (G2 W2) ⊙ H ⊙ (1 − H)    (N, K)
        ∂L/∂W1  = G1ᵀ X̃ + 2λ W1            (K, D)
        ∂L/∂w01 = Σ_ℓ g1^(ℓ)               (K,)

    The corruption x̃ is an input, not a parameter: no gradient flows into it.

    Arguments: as :func:`denoising_autoencoder_loss`.

    Returns:
        a :class:`DenoisingAutoencoderGradients`.

    >>> # zero weights: ∂L/∂W1 is 2λW1 + 0 (G2 W2 = 0), here zero
    >>> g = denoising_autoencoder_gradients(np.zeros((1, 2)), np.ones((1, 2)),
    ...     np.zeros((3, 2)), np.zeros(3), np.zeros((2, 3)), np.zeros(2), 0.1)
    >>> float(abs(g.W1).max()), g.w02.tolist()
    (0.0, [0.125, 0.125])
    """
    _check_denoising(X, X_tilde, W1, w01, W2, w02, lam)
    dt = float_dtype(X, X_tilde, W1, w01, W2, w02)
    X, Xt, W1, w01, W2, w02 = (
        np.asarray(a, dtype=dt) for a in (X, X_tilde, W1, w01, W2, w02))
    lam = dt.type(lam)
    H = sigmoid(Xt @ W1.T + w01)
    X_hat = sigmoid(H @ W2.T + w02)
    R = X_hat - X
    G2 = R * X_hat * (1 - X_hat)
    G1 = (G2 @ W2) * H * (1 - H)
    two = dt.type(2)
    return DenoisingAutoencoderGradients(
        loss=dt.type(0.5) * np.sum(R * R)
        + lam * (frobenius_norm_squared(W1) + frobenius_norm_squared(W2)),
        W1=G1.T @ Xt + two * lam * W1, w01=G1.sum(axis=0),
        W2=G2.T @ H + two * lam * W2, w02=G2.sum(axis=0))
