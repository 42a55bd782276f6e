"""The input checks and the dtype rule shared by the feed-forward models of seed 001.

The result's dtype is the floating dtype of the arguments (float32 stays float32), and
float64 for integer input; shapes are checked against the slides' (N, D) data, (K, D)
W1, (D, K) W2 and their biases; rates lie in [0, 1].
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError, ShapeError

__all__ = ["float_dtype", "shape_of", "check_matrix", "check_autoencoder", "check_rate"]


def float_dtype(*arrays) -> np.dtype:
    """The arrays' common dtype if it is floating, else float64 (integer input)."""
    dt = np.result_type(*arrays)
    return dt if np.issubdtype(dt, np.floating) else np.dtype(np.float64)


def shape_of(a) -> tuple[int, ...]:
    """The shape of ``a`` (anything array-like) as a tuple of ints."""
    return tuple(int(s) for s in np.shape(a))


def check_matrix(name: str, a) -> np.ndarray:
    """``a`` as an array, refused unless it is 2-D; ``name`` is for the message."""
    a = np.asarray(a)
    if a.ndim != 2:
        raise ShapeError(f"{name} must be a matrix, got shape {shape_of(a)}")
    return a


def check_autoencoder(X, W1, b1, W2, b2, names, data="X"):
    """Validate (N, D) data, (K, D) W1, (K,) b1, (D, K) W2, (D,) b2; return (N, D, K)."""
    X = check_matrix(data, X)
    W1 = check_matrix(names[0], W1)
    W2 = check_matrix(names[2], W2)
    N, D = X.shape
    K = W1.shape[0]
    expected = {names[0]: (K, D), names[1]: (K,), names[2]: (D, K), names[3]: (D,)}
    got = {names[0]: W1.shape, names[1]: shape_of(b1), names[2]: W2.shape,
           names[3]: shape_of(b2)}
    bad = [n for n in expected if tuple(got[n]) != expected[n]]
    if bad:
        lines = [f"{n}: expected {expected[n]}, got {tuple(got[n])}" for n in expected]
        raise ShapeError(
            f"autoencoder parameters do not fit {data} of shape {(N, D)} (N={N}, D={D}, K={K} "
            f"from {names[0]}): " + "; ".join(lines))
    return N, D, K


def check_rate(name: str, p, *, upper_inclusive: bool) -> None:
    """A scalar rate in [0, 1], or [0, 1) unless ``upper_inclusive``."""
    ok = 0 <= p <= 1 if upper_inclusive else 0 <= p < 1
    if not (np.ndim(p) == 0 and ok):
        interval = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise SeqcheckError(f"{name} must be a number in {interval}, got {p!r}")

