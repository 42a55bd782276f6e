"""The feed-forward models of seed 001: autoencoders, ReLU and dropout, with gradients.

Seed 001 prints two autoencoder objectives with different parameter names, and each
function here keeps the names of its slide:

- "Autoencoders II": ½ Σ_ℓ ‖x^(ℓ) − (W2 σ(W1 x^(ℓ) + w10) + w20)‖², a linear output layer
  (:func:`autoencoder_loss`, biases ``w10``, ``w20``);
- "Optimization Problem": ½ Σ_ℓ ‖x^(ℓ) − x̂^(ℓ)‖² + λ(‖W1‖_F² + ‖W2‖_F²) with
  h = σ(W1 x̃ + w01), x̂ = σ(W2 h + w02), a sigmoid output layer
  (:func:`denoising_autoencoder_loss`, biases ``w01``, ``w02``).

Data are rows: ``X`` is (N, D), one example x^(ℓ) per row, so W1 x^(ℓ) is ``X @ W1.T``.
W1 is (K, D) and W2 is (D, K) as printed; K is the number of hidden units. The dtype of
the result is the floating dtype of the arguments (float32 stays float32); integer input
is computed in float64. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SeqcheckError, ShapeError
from ..spec.model import Source
from .registry import Entry

__all__ = [
    "sigmoid",
    "relu",
    "relu_derivative",
    "frobenius_norm_squared",
    "autoencoder_reconstruction",
    "autoencoder_loss",
    "AutoencoderGradients",
    "autoencoder_gradients",
    "masking_noise",
    "denoising_autoencoder_reconstruction",
    "denoising_autoencoder_loss",
    "DenoisingAutoencoderGradients",
    "denoising_autoencoder_gradients",
    "dropout_mask",
    "apply_dropout",
    "dropout",
    "dropout_vjp",
    "dropout_expectation",
    "MonteCarloEstimate",
    "dropout_expectation_monte_carlo",
    "ENTRIES",
]

_SEED = "001_ad6a511fc6b6ab34.txt"
_HIDDEN = ("sigmoid", "relu", "linear")


def _dtype(*arrays) -> np.dtype:
    dt = np.result_type(*arrays)
    return dt if np.issubdtype(dt, np.floating) else np.dtype(np.float64)


def _shape(a) -> tuple[int, ...]:
    return tuple(int(s) for s in np.shape(a))


# --------------------------------------------------------------------------- activations


def sigmoid(z):
    """The logistic sigmoid σ(z) = 1 / (1 + e^(−z)), computed stably.

    Never exponentiates a positive number: σ(z) = exp(−log(1 + e^(−z))), and
    ``logaddexp(0, −z)`` is finite for every finite z.

    Arguments:
        z: array of any shape.

    Returns:
        σ(z), same shape and floating dtype.

    >>> # the sigmoid is one half at zero
    >>> float(sigmoid(0.0))
    0.5
    """
    z = np.asarray(z)
    z = z.astype(_dtype(z), copy=False)
    with np.errstate(under="ignore"):
        return np.exp(-np.logaddexp(z.dtype.type(0), -z))


def relu(x):
    """The rectified linear unit σ(x) = x₊ = max(0, x) (seed 001, AlexNet slide).

    Arguments:
        x: array of any shape.

    Returns:
        max(0, x) elementwise, same shape and dtype.

    >>> # negative parts are cut to zero
    >>> relu(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 3.0]
    """
    x = np.asarray(x)
    return np.maximum(x, x.dtype.type(0))


def relu_derivative(x):
    """σ'(x) of the ReLU: 1 where x > 0, else 0 -- in particular σ'(0) = 0.

    ReLU has no derivative at 0; the convention σ'(0) = 0 is torch's (``torch.relu``
    backpropagates ``grad * (x > 0)``), so gradients agree with it everywhere.

    Arguments:
        x: array of any shape (the ReLU's input, not its output).

    Returns:
        the 0/1 derivative, same shape, floating dtype.

    >>> # the derivative at zero is taken to be zero
    >>> relu_derivative(np.array([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    x = np.asarray(x)
    return (x > 0).astype(_dtype(x))


def _activation(name: str):
    """(σ, σ' expressed through the input a and the output h = σ(a))."""
    if name == "sigmoid":
        return sigmoid, lambda a, h: h * (1 - h)
    if name == "relu":
        return relu, lambda a, h: relu_derivative(a)
    if name == "linear":
        return (lambda a: a), (lambda a, h: np.ones_like(a))
    raise SeqcheckError(
        f"unknown hidden activation '{name}'; choose one of {', '.join(_HIDDEN)}")


# --------------------------------------------------------------------------- checks


def _check_matrix(name: str, a) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ShapeError(f"{name} must be a matrix, got shape {_shape(a)}")
    return a


def _check_autoencoder(X, W1, b1, W2, b2, names, data="X"):
    """Validate (N, D) data, (K, D) W1, (K,) b1, (D, K) W2, (D,) b2; return (N, D, K)."""
    X = _check_matrix(data, X)
    W1 = _check_matrix(names[0], W1)
    W2 = _check_matrix(names[2], W2)
    N, D = X.shape
    K = W1.shape[0]
    expected = {names[0]: (K, D), names[1]: (K,), names[2]: (D, K), names[3]: (D,)}
    got = {names[0]: W1.shape, names[1]: _shape(b1), names[2]: W2.shape,
           names[3]: _shape(b2)}
    bad = [n for n in expected if tuple(got[n]) != expected[n]]
    if bad:
        lines = [f"{n}: expected {expected[n]}, got {tuple(got[n])}" for n in expected]
        raise ShapeError(
            f"autoencoder parameters do not fit {data} of shape {(N, D)} (N={N}, D={D}, K={K} "
            f"from {names[0]}): " + "; ".join(lines))
    return N, D, K


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
    A = _check_matrix("A", A)
    A = A.astype(_dtype(A), copy=False)
    return np.sum(A * A)


# --------------------------------------------------------------------------- autoencoder


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
    _check_autoencoder(X, W1, w10, W2, w20, ("W1", "w10", "W2", "w20"))
    act, _ = _activation(hidden)
    dt = _dtype(X, W1, w10, W2, w20)
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
        loss: L itself.
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
    _check_autoencoder(X, W1, w10, W2, w20, ("W1", "w10", "W2", "w20"))
    act, dact = _activation(hidden)
    dt = _dtype(X, W1, w10, W2, w20)
    X, W1, w10, W2, w20 = (np.asarray(a, dtype=dt) for a in (X, W1, w10, W2, w20))
    A = X @ W1.T + w10
    H = act(A)
    R = H @ W2.T + w20 - X
    G = (R @ W2) * dact(A, H)
    return AutoencoderGradients(
        loss=dt.type(0.5) * np.sum(R * R),
        W1=G.T @ X, w10=G.sum(axis=0), W2=R.T @ H, w20=R.sum(axis=0))


# --------------------------------------------------------------------------- denoising


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
    _check_rate("nu", nu, upper_inclusive=True)
    X = np.asarray(X)
    X = X.astype(_dtype(X), copy=False)
    keep = rng.random(X.shape) >= nu
    return np.where(keep, X, X.dtype.type(0))


def _check_denoising(X, X_tilde, W1, w01, W2, w02, lam):
    N, D, K = _check_autoencoder(X, W1, w01, W2, w02, ("W1", "w01", "W2", "w02"))
    if _shape(X_tilde) != (N, D):
        raise ShapeError(
            f"X_tilde must have the shape of X {(N, D)}, got {_shape(X_tilde)}")
    if np.ndim(lam) != 0:
        raise ShapeError(f"lam must be a scalar, got shape {_shape(lam)}")


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
    _check_autoencoder(X_tilde, W1, w01, W2, w02, ("W1", "w01", "W2", "w02"), "X_tilde")
    dt = _dtype(X_tilde, W1, w01, W2, w02)
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
        loss: L itself.
        W1: (K, D); w01: (K,); W2: (D, K); w02: (D,).
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
    dt = _dtype(X, X_tilde, W1, w01, W2, w02)
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


# --------------------------------------------------------------------------- dropout


def _check_rate(name: str, p, *, upper_inclusive: bool) -> None:
    ok = 0 <= p <= 1 if upper_inclusive else 0 <= p < 1
    if not (np.ndim(p) == 0 and ok):
        interval = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise SeqcheckError(f"{name} must be a number in {interval}, got {p!r}")


def dropout_mask(shape, p: float, rng: np.random.Generator, dtype=np.float64):
    """A Bernoulli keep-mask: each entry is 0 ("dropped") with probability p, else 1.

    Arguments:
        shape: the mask's shape (that of the units it applies to).
        p: the dropout rate, 0 ≤ p ≤ 1 (the slide's example is 0.5).
        rng: a ``numpy.random.Generator``; one uniform draw per entry.
        dtype: floating dtype of the mask.

    Returns:
        the 0/1 mask of ``shape``.

    >>> # rate 0 keeps every unit
    >>> dropout_mask((3,), 0.0, np.random.default_rng(0)).tolist()
    [1.0, 1.0, 1.0]
    """
    _check_rate("p", p, upper_inclusive=True)
    return (rng.random(shape) >= p).astype(dtype)


def apply_dropout(x, mask, p: float, *, inverted: bool = False):
    """Dropout with a given mask: mask ⊙ x, or mask ⊙ x / (1 − p) when ``inverted``.

    The plain form is the slide's "multiplying their values by zero"; its expectation
    over masks is (1 − p) x. The inverted form (torch.nn.Dropout in training mode)
    rescales the kept units so the expectation is x itself.

    Arguments:
        x: the units (any shape); mask: 0/1 array of the same shape.
        p: the rate the mask was drawn with; 0 ≤ p < 1 when ``inverted``.
        inverted: scale by 1 / (1 − p).

    Returns:
        the dropped-out units, shape and floating dtype of x.

    >>> # with p = 1/2 the kept units are doubled in the inverted form
    >>> apply_dropout(np.array([1.0, 2.0]), np.array([0.0, 1.0]), 0.5, inverted=True).tolist()
    [0.0, 4.0]
    """
    _check_rate("p", p, upper_inclusive=not inverted)
    x = np.asarray(x)
    x = x.astype(_dtype(x), copy=False)
    mask = np.asarray(mask)
    if mask.shape != x.shape:
        raise ShapeError(f"mask must have the shape of x {x.shape}, got {mask.shape}")
    out = x * mask.astype(x.dtype)
    if inverted:
        out = out / x.dtype.type(1 - p)
    return out


def dropout(x, p: float, rng: np.random.Generator, *, inverted: bool = False):
    """Draw a mask with :func:`dropout_mask` and apply it with :func:`apply_dropout`.

    Arguments:
        x: the units (any shape).
        p, inverted: as :func:`apply_dropout`.
        rng: a ``numpy.random.Generator``.

    Returns:
        (output, mask), both of x's shape; the mask is needed by :func:`dropout_vjp`.

    >>> # every output entry is either dropped or the input itself
    >>> out, mask = dropout(np.arange(4.0), 0.5, np.random.default_rng(1))
    >>> bool(np.all((out == 0) | (out == np.arange(4.0))))
    True
    """
    _check_rate("p", p, upper_inclusive=not inverted)
    x = np.asarray(x)
    mask = dropout_mask(x.shape, p, rng, dtype=_dtype(x))
    return apply_dropout(x, mask, p, inverted=inverted), mask


def dropout_vjp(grad, mask, p: float, *, inverted: bool = False):
    """∂L/∂x of dropout: the upstream gradient masked (and scaled by 1/(1 − p) if inverted).

    Dropout is linear in x with the diagonal Jacobian diag(mask) (/ (1 − p)).

    Arguments:
        grad: ∂L/∂output, shape of x; mask, p, inverted: as in the forward pass.

    Returns:
        ∂L/∂x.

    >>> # dropped units get no gradient
    >>> dropout_vjp(np.ones(2), np.array([1.0, 0.0]), 0.5).tolist()
    [1.0, 0.0]
    """
    return apply_dropout(grad, mask, p, inverted=inverted)


def dropout_expectation(x, p: float, *, inverted: bool = False):
    """The exact expectation over masks: E[mask ⊙ x] = (1 − p) x; x when ``inverted``.

    Arguments:
        x: the units (any shape); p, inverted: as :func:`apply_dropout`.

    Returns:
        E[dropout(x)], shape of x.

    >>> # the plain form shrinks by the keep probability
    >>> dropout_expectation(np.array([2.0, 4.0]), 0.25).tolist()
    [1.5, 3.0]
    """
    _check_rate("p", p, upper_inclusive=not inverted)
    x = np.asarray(x)
    x = x.astype(_dtype(x), copy=False)
    return x.copy() if inverted else x * x.dtype.type(1 - p)


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A sample mean with its standard error.

    Attributes:
        mean: the sample mean, shape of one sample.
        standard_error: sample standard deviation / √samples, per entry.
        samples: the number of samples.
    """

    mean: np.ndarray
    standard_error: np.ndarray
    samples: int


def dropout_expectation_monte_carlo(x, p: float, rng: np.random.Generator, samples: int,
                                    *, inverted: bool = False) -> MonteCarloEstimate:
    """Estimate E[dropout(x)] by averaging ``samples`` independent masks.

    Each entry's estimate has standard error |x|·√(p(1 − p)/samples) (divided by 1 − p
    when inverted); :attr:`MonteCarloEstimate.standard_error` is its sample version.

    Arguments:
        x: the units (any shape); p, inverted: as :func:`apply_dropout`.
        rng: a ``numpy.random.Generator``; samples: the number of masks, at least 2.

    Returns:
        a :class:`MonteCarloEstimate`.

    >>> # with rate 0 every sample is x itself
    >>> est = dropout_expectation_monte_carlo(np.array([3.0]), 0.0, np.random.default_rng(0), 4)
    >>> est.mean.tolist(), est.standard_error.tolist()
    ([3.0], [0.0])
    """
    _check_rate("p", p, upper_inclusive=not inverted)
    if int(samples) != samples or samples < 2:
        raise SeqcheckError(f"samples must be an integer of at least 2, got {samples!r}")
    x = np.asarray(x)
    x = x.astype(_dtype(x), copy=False)
    masks = dropout_mask((int(samples), *x.shape), p, rng, dtype=x.dtype)
    draws = masks * x
    if inverted:
        draws = draws / x.dtype.type(1 - p)
    return MonteCarloEstimate(
        mean=draws.mean(axis=0),
        standard_error=draws.std(axis=0, ddof=1) / np.sqrt(x.dtype.type(samples)),
        samples=int(samples))


# --------------------------------------------------------------------------- catalogue

_TESTS = ("tests/test_feedforward.py",)
_TARGET = "seqcheck.models.feedforward:"

ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="autoencoder", kind="function",
        title="Autoencoder reconstruction loss and its gradients (seed 001)",
        sources=(Source(file=_SEED, where="Autoencoders II",
                        note="biases named w10, w20 as on this slide; linear output"),),
        target=_TARGET + "autoencoder_gradients", tests=_TESTS),
    Entry(
        name="denoising_autoencoder", kind="function",
        title="Denoising autoencoder objective with the Frobenius penalty (seed 001)",
        sources=(Source(file=_SEED, where="Optimization Problem",
                        note="biases named w01, w02 as on this slide; sigmoid output"),),
        target=_TARGET + "denoising_autoencoder_gradients", tests=_TESTS),
    Entry(
        name="relu", kind="function",
        title="Rectified linear unit max(0, x), with ReLU'(0) = 0 (seed 001)",
        sources=(Source(file=_SEED, where="AlexNet: A Winning CNN in ImageNet Challenge 2012"),),
        target=_TARGET + "relu", tests=_TESTS),
    Entry(
        name="dropout", kind="function",
        title="Dropout, plain and inverted, with its exact and sampled expectation (seed 001)",
        sources=(Source(file=_SEED, where="Dropout in CNNs"),),
        target=_TARGET + "dropout", tests=_TESTS),
)
