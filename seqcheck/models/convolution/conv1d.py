"""Discrete 1-D convolution and cross-correlation (seed 001 "Convolution Operation").

(x*w)[n] = Σ_m x[m] w[n−m] and c[k] = Σ_m x[k+m] w[m], on vectors indexed from 0 and
zero outside, in ``numpy.convolve``'s modes.
"""

from __future__ import annotations

import numpy as np

from ...errors import ShapeError
from .conventions import as_float, check_mode

__all__ = ["convolution_1d", "cross_correlation_1d"]

_MODES_1D = ("full", "same", "valid")


def _check_1d(x, w):
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 1 or w.ndim != 1 or x.size == 0 or w.size == 0:
        raise ShapeError(
            f"x and w must be non-empty vectors, got shapes {x.shape} and {w.shape}")
    return as_float(x, w)


def _slice_1d(full, L: int, K: int, mode: str):
    """numpy.convolve's 'same' / 'valid' part of a full result of length L + K − 1."""
    short, long = min(L, K), max(L, K)
    if mode == "same":
        start = (short - 1) // 2
        return full[start:start + long]
    if mode == "valid":
        return full[short - 1:long]
    return full


def _sum_1d(x, w, mode: str, *, correlate: bool):
    """Σ_m w[m] x, each term shifted to where it lands in the full result; then ``mode``."""
    check_mode(mode, _MODES_1D)
    x, w = _check_1d(x, w)
    L, K = x.size, w.size
    full = np.zeros(L + K - 1, dtype=x.dtype)
    for m in range(K):
        # convolution: the term w[m] x[n − m] lands at n = m .. m + L − 1;
        # cross-correlation: x[k + m] w[m] lands at k = −m .. L − 1 − m, index k + K − 1
        start = K - 1 - m if correlate else m
        full[start:start + L] += w[m] * x
    return _slice_1d(full, L, K, mode)


def convolution_1d(x, w, mode: str = "full"):
    """(x*w)[n] = Σ_m x[m] w[n−m], seed 001 "Convolution Operation" (x, w zero outside).

    Arguments:
        x: vector (L,); w: vector (K,), both indexed from 0.
        mode: ``"full"`` (n = 0..L+K−2), ``"same"`` (length max(L, K), centred) or
            ``"valid"`` (length max(L, K) − min(L, K) + 1), as ``numpy.convolve``.

    Returns:
        the convolution, a vector.

    >>> # a moving sum of two neighbours
    >>> convolution_1d(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0])).tolist()
    [1.0, 3.0, 5.0, 3.0]
    """
    return _sum_1d(x, w, mode, correlate=False)


def cross_correlation_1d(x, w, mode: str = "full"):
    """c[k] = Σ_m x[k+m] w[m] (convolution without the flip), k = −(K−1)..L−1 in full mode.

    Arguments:
        x: vector (L,); w: vector (K,).
        mode: as :func:`convolution_1d`; the result is convolution_1d(x, flip(w), mode).
            It is ``numpy.correlate(x, w, mode)`` except in mode ``"same"`` with K > L,
            where numpy swaps the arguments and so centres the window from the other end.

    Returns:
        the cross-correlation, a vector (index 0 is k = −(K−1) in full mode).

    >>> # correlating with [1, 0] reads x one step ahead
    >>> cross_correlation_1d(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0])).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    return _sum_1d(x, w, mode, correlate=True)
