"""Convolution, cross-correlation and pooling of seed 001, with their gradients.

Seed 001 prints discrete convolution in 1-D, (x*w)[n] = Σ_m x[m] w[n−m] ("Convolution
Operation"), and in 2-D with a centred kernel ("Convolution in CNNs"):

    s[i, j] = Σ_{m=−M}^{M} Σ_{n=−N}^{N} x[i−m, j−n] w[m, n],

and cross-correlation, the same sum without the kernel flip ("Convolution with no Kernel
Flipping"), s[i, j] = Σ_m Σ_n x[i+m, j+n] w[m, n]. That slide prints the outer sum as
Σ_{m=−N}^{M}: the lower limit should be −M. The 2-D functions therefore take the summation
ranges as arguments (``m_range``, ``n_range``), defaulting to the correct (−M, M), (−N, N),
and :func:`cross_correlation_2d_as_printed` evaluates the sum with the printed limits.

Conventions:

- 1-D arrays are indexed from 0, as in ``numpy.convolve``; modes ``"full"``, ``"same"``
  and ``"valid"`` are numpy's (the shorter argument slides over the longer).
- A 2-D kernel of shape (2M+1, 2N+1) holds w[m, n] at array index [m + M, n + N], so the
  centre w[0, 0] is ``w[M, N]``; both sizes must be odd. The kernel is zero outside
  −M..M × −N..N, so a range reaching beyond it adds nothing.
- x is zero outside its array ("zero padding"). Mode ``"same"`` returns s[i, j] for every
  i, j of x (shape of x); mode ``"valid"`` only where the whole kernel lies inside x,
  i = M..H−1−M, j = N..W−1−N (shape (H−2M, W−2N)); the result's [0, 0] is s[M, N].
  These are ``torch.nn.functional.conv2d`` with padding (M, N) and 0.
- Pooling windows of size (kh, kw) start every (sh, sw) pixels and lie inside x (no
  padding), as ``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` by default.

Results keep the floating dtype of the arguments (float32 stays float32).

The package, one module per slide: :mod:`.conventions` holds the dtype rule, the mode
check and :func:`flip`, :mod:`.conv1d` the 1-D sums, :mod:`.conv2d` the 2-D sums and
their gradients, :mod:`.pooling` max and average pooling, and :mod:`.entries` the
catalogue entries.
"""

from __future__ import annotations

from ..._lazy import lazy_exports
from .entries import ENTRIES

# Each name is imported from its module on first use: the catalogue reads ENTRIES alone.
_LAZY = {
    "convolution_1d": ".conv1d",
    "cross_correlation_1d": ".conv1d",
    "Convolution2dGradients": ".conv2d",
    "convolution_2d": ".conv2d",
    "convolution_2d_vjp": ".conv2d",
    "cross_correlation_2d": ".conv2d",
    "cross_correlation_2d_as_printed": ".conv2d",
    "cross_correlation_2d_vjp": ".conv2d",
    "kernel_ranges": ".conv2d",
    "printed_cross_correlation_ranges": ".conv2d",
    "flip": ".conventions",
    "average_pooling": ".pooling",
    "average_pooling_vjp": ".pooling",
    "max_pooling": ".pooling",
    "max_pooling_vjp": ".pooling",
}

__all__ = [
    "flip",
    "convolution_1d",
    "cross_correlation_1d",
    "kernel_ranges",
    "printed_cross_correlation_ranges",
    "convolution_2d",
    "cross_correlation_2d",
    "cross_correlation_2d_as_printed",
    "Convolution2dGradients",
    "convolution_2d_vjp",
    "cross_correlation_2d_vjp",
    "max_pooling",
    "max_pooling_vjp",
    "average_pooling",
    "average_pooling_vjp",
    "ENTRIES",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
