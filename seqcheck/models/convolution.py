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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SeqcheckError, ShapeError
from ..spec.model import Source
from .registry import Entry

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

_SEED = "001_ad6a511fc6b6ab34.txt"
_MODES_1D = ("full", "same", "valid")
_MODES_2D = ("same", "valid")


def _float(*arrays):
    dt = np.result_type(*arrays)
    dt = dt if np.issubdtype(dt, np.floating) else np.dtype(np.float64)
    return tuple(np.asarray(a, dtype=dt) for a in arrays)


def _check_mode(mode: str, modes: tuple[str, ...]) -> None:
    if mode not in modes:
        raise SeqcheckError(f"unknown mode '{mode}'; choose one of {', '.join(modes)}")


def flip(w):
    """The kernel reversed along every axis: flip(w)[m] = w[−m] for a centred kernel.

    Arguments:
        w: array of any shape.

    Returns:
        w[::-1, ::-1, ...], same shape.

    >>> # a 2x2 kernel turned by 180 degrees
    >>> flip(np.array([[1, 2], [3, 4]])).tolist()
    [[4, 3], [2, 1]]
    """
    w = np.asarray(w)
    return w[(slice(None, None, -1),) * w.ndim]


# --------------------------------------------------------------------------- 1-D


def _check_1d(x, w):
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim != 1 or w.ndim != 1 or x.size == 0 or w.size == 0:
        raise ShapeError(
            f"x and w must be non-empty vectors, got shapes {x.shape} and {w.shape}")
    return _float(x, w)


def _slice_1d(full, L: int, K: int, mode: str):
    """numpy.convolve's 'same' / 'valid' part of a full result of length L + K − 1."""
    short, long = min(L, K), max(L, K)
    if mode == "same":
        start = (short - 1) // 2
        return full[start:start + long]
    if mode == "valid":
        return full[short - 1:long]
    return full


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
    _check_mode(mode, _MODES_1D)
    x, w = _check_1d(x, w)
    L, K = x.size, w.size
    full = np.zeros(L + K - 1, dtype=x.dtype)
    for m in range(K):  # the term w[m] x[n − m] lands at n = m .. m + L − 1
        full[m:m + L] += w[m] * x
    return _slice_1d(full, L, K, mode)


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
    _check_mode(mode, _MODES_1D)
    x, w = _check_1d(x, w)
    L, K = x.size, w.size
    full = np.zeros(L + K - 1, dtype=x.dtype)
    for m in range(K):  # x[k + m] w[m] lands at k = −m .. L − 1 − m, index k + K − 1
        full[K - 1 - m:K - 1 - m + L] += w[m] * x
    return _slice_1d(full, L, K, mode)


# --------------------------------------------------------------------------- 2-D


def kernel_ranges(w) -> tuple[tuple[int, int], tuple[int, int]]:
    """The correct summation ranges ((−M, M), (−N, N)) of a (2M+1, 2N+1) kernel.

    >>> # a 3x5 kernel has M = 1, N = 2
    >>> kernel_ranges(np.zeros((3, 5)))
    ((-1, 1), (-2, 2))
    """
    M, N = _centre(np.shape(w))
    return (-M, M), (-N, N)


def printed_cross_correlation_ranges(w) -> tuple[tuple[int, int], tuple[int, int]]:
    """The ranges seed 001 prints on "Convolution with no Kernel Flipping": ((−N, M), (−N, N)).

    The outer lower limit −N is a misprint for −M. With the kernel zero outside −M..M,
    the printed sum equals the correct one when N ≥ M, and drops the rows
    m = −M..−N−1 of the kernel when N < M.

    >>> # a 5x3 kernel (M = 2, N = 1): the printed outer sum starts at −1, not −2
    >>> printed_cross_correlation_ranges(np.zeros((5, 3)))
    ((-1, 2), (-1, 1))
    """
    M, N = _centre(np.shape(w))
    return (-N, M), (-N, N)


def _centre(shape) -> tuple[int, int]:
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ShapeError(f"the kernel w must be a non-empty matrix, got shape {shape}")
    if shape[0] % 2 == 0 or shape[1] % 2 == 0:
        raise ShapeError(
            f"the kernel w of shape {shape} has no centre: w[m, n] runs over m = −M..M, "
            "n = −N..N, so its shape must be (2M+1, 2N+1) with both sizes odd")
    return (shape[0] - 1) // 2, (shape[1] - 1) // 2


def _check_range(name: str, r) -> tuple[int, int]:
    if (not isinstance(r, tuple) or len(r) != 2
            or not all(isinstance(v, int | np.integer) for v in r) or r[0] > r[1]):
        raise SeqcheckError(
            f"{name} must be a pair of integers (lo, hi) with lo <= hi, got {r!r}")
    return int(r[0]), int(r[1])


@dataclass(frozen=True)
class _Plan:
    """Where each term of a 2-D sum reads x: the padded x, the output window, the taps."""

    xp: np.ndarray   # x with M rows and N columns of zeros on each side
    w: np.ndarray
    M: int
    N: int
    i0: int          # the output's first row i (0 in "same", M in "valid")
    j0: int
    Ho: int
    Wo: int
    taps: tuple[tuple[int, int], ...]  # the (m, n) summed over, inside the kernel


def _plan(x, w, mode, m_range, n_range) -> _Plan:
    _check_mode(mode, _MODES_2D)
    x, w = _float(x, w)
    if x.ndim != 2 or x.size == 0:
        raise ShapeError(f"x must be a non-empty matrix, got shape {x.shape}")
    M, N = _centre(w.shape)
    (ml, mh) = _check_range("m_range", (-M, M) if m_range is None else m_range)
    (nl, nh) = _check_range("n_range", (-N, N) if n_range is None else n_range)
    H, W = x.shape
    if mode == "same":
        i0, j0, Ho, Wo = 0, 0, H, W
    else:
        i0, j0, Ho, Wo = M, N, H - 2 * M, W - 2 * N
        if Ho < 1 or Wo < 1:
            raise ShapeError(
                f"mode 'valid' needs x at least as large as the kernel: x has shape "
                f"{x.shape}, w has shape {w.shape}")
    xp = np.zeros((H + 2 * M, W + 2 * N), dtype=x.dtype)
    xp[M:M + H, N:N + W] = x
    # Terms with m outside −M..M (or n outside −N..N) meet a zero kernel entry.
    taps = tuple((m, n) for m in range(max(ml, -M), min(mh, M) + 1)
                 for n in range(max(nl, -N), min(nh, N) + 1))
    return _Plan(xp, w, M, N, i0, j0, Ho, Wo, taps)


def _windows(plan: _Plan, sign: int):
    """For each tap (m, n): w[m, n] and the slice of padded x holding x[i ± m, j ± n]."""
    for m, n in plan.taps:
        a = plan.i0 + sign * m + plan.M
        b = plan.j0 + sign * n + plan.N
        yield plan.w[m + plan.M, n + plan.N], (slice(a, a + plan.Ho), slice(b, b + plan.Wo))


def _sum_2d(x, w, mode, m_range, n_range, sign):
    plan = _plan(x, w, mode, m_range, n_range)
    out = np.zeros((plan.Ho, plan.Wo), dtype=plan.xp.dtype)
    for wmn, window in _windows(plan, sign):
        out += wmn * plan.xp[window]
    return out


def convolution_2d(x, w, mode: str = "same", *, m_range=None, n_range=None):
    """s[i, j] = Σ_{m=−M}^{M} Σ_{n=−N}^{N} x[i−m, j−n] w[m, n], seed 001 "Convolution in CNNs".

    Arguments:
        x: the input (H, W), zero outside.
        w: the kernel (2M+1, 2N+1), w[m, n] at index [m + M, n + N].
        mode: ``"same"`` (H, W) or ``"valid"`` (H − 2M, W − 2N), see the module docstring.
        m_range, n_range: the summation limits (lo, hi), inclusive; default (−M, M), (−N, N).

    Returns:
        the feature map s.

    >>> # a kernel that is 1 at m = 1 shifts x down by one row
    >>> w = np.array([[0.0], [0.0], [1.0]])
    >>> convolution_2d(np.array([[1.0], [2.0], [3.0]]), w).tolist()
    [[0.0], [1.0], [2.0]]
    """
    return _sum_2d(x, w, mode, m_range, n_range, -1)


def cross_correlation_2d(x, w, mode: str = "same", *, m_range=None, n_range=None):
    """s[i, j] = Σ_{m=−M}^{M} Σ_{n=−N}^{N} x[i+m, j+n] w[m, n] (no kernel flipping).

    This is what ``torch.nn.functional.conv2d`` computes. The slide "Convolution with no
    Kernel Flipping" prints the outer limits as −N..M; see
    :func:`cross_correlation_2d_as_printed`.

    Arguments: as :func:`convolution_2d`.

    Returns:
        the feature map s; equal to convolution_2d(x, flip(w)).

    >>> # a kernel that is 1 at m = 1 reads the next row
    >>> w = np.array([[0.0], [0.0], [1.0]])
    >>> cross_correlation_2d(np.array([[1.0], [2.0], [3.0]]), w).tolist()
    [[2.0], [3.0], [0.0]]
    """
    return _sum_2d(x, w, mode, m_range, n_range, 1)


def cross_correlation_2d_as_printed(x, w, mode: str = "same"):
    """The cross-correlation with the limits exactly as printed: Σ_{m=−N}^{M} Σ_{n=−N}^{N}.

    Arguments:
        x: (H, W); w: (2M+1, 2N+1); mode: as :func:`convolution_2d`.

    Returns:
        cross_correlation_2d(x, w, mode, m_range=(−N, M), n_range=(−N, N)); it differs from
        the correct sum exactly when N < M and x, w are such that the dropped kernel rows
        m = −M..−N−1 contribute.

    >>> # a 3x1 kernel (M = 1, N = 0): the printed sum misses the row m = −1
    >>> x, w = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [0.0], [0.0]])
    >>> cross_correlation_2d_as_printed(x, w).tolist(), cross_correlation_2d(x, w).tolist()
    ([[0.0], [0.0], [0.0]], [[0.0], [1.0], [2.0]])
    """
    m_range, n_range = printed_cross_correlation_ranges(w)
    return cross_correlation_2d(x, w, mode, m_range=m_range, n_range=n_range)


@dataclass(frozen=True)
class Convolution2dGradients:
    """∂L/∂x and ∂L/∂w of a 2-D convolution or cross-correlation.

    Attributes:
        x: (H, W); w: (2M+1, 2N+1).
    """

    x: np.ndarray
    w: np.ndarray


def _vjp_2d(x, w, grad, mode, m_range, n_range, sign):
    plan = _plan(x, w, mode, m_range, n_range)
    g = np.asarray(grad, dtype=plan.xp.dtype)
    if g.shape != (plan.Ho, plan.Wo):
        raise ShapeError(
            f"grad must have the output's shape {(plan.Ho, plan.Wo)}, got {g.shape}")
    gxp = np.zeros_like(plan.xp)
    gw = np.zeros_like(plan.w)
    for (m, n), (wmn, window) in zip(plan.taps, _windows(plan, sign)):
        gw[m + plan.M, n + plan.N] = np.sum(g * plan.xp[window])
        gxp[window] += wmn * g
    H, W = np.shape(x)
    return Convolution2dGradients(x=gxp[plan.M:plan.M + H, plan.N:plan.N + W], w=gw)


def cross_correlation_2d_vjp(x, w, grad, mode: str = "same", *, m_range=None, n_range=None):
    """The vector-Jacobian products of :func:`cross_correlation_2d` with ``grad`` = ∂L/∂s.

        ∂L/∂w[m, n] = Σ_{i,j} g[i, j] x[i+m, j+n]          (x zero outside)
        ∂L/∂x[a, b] = Σ_{m,n} g[a−m, b−n] w[m, n]          (g zero outside the output)

    The second is a convolution of g with w: backpropagating a cross-correlation flips the
    kernel. Kernel entries outside the summation ranges get a zero gradient.

    Arguments:
        x, w, mode, m_range, n_range: as in the forward pass.
        grad: ∂L/∂s, the output's shape.

    Returns:
        a :class:`Convolution2dGradients`.

    >>> # the gradient of Σ s w.r.t. the centre tap is Σ x
    >>> g = cross_correlation_2d_vjp(np.ones((2, 2)), np.zeros((1, 1)), np.ones((2, 2)))
    >>> g.w.tolist()
    [[4.0]]
    """
    return _vjp_2d(x, w, grad, mode, m_range, n_range, 1)


def convolution_2d_vjp(x, w, grad, mode: str = "same", *, m_range=None, n_range=None):
    """The vector-Jacobian products of :func:`convolution_2d` with ``grad`` = ∂L/∂s.

        ∂L/∂w[m, n] = Σ_{i,j} g[i, j] x[i−m, j−n]
        ∂L/∂x[a, b] = Σ_{m,n} g[a+m, b+n] w[m, n]

    Arguments and returns: as :func:`cross_correlation_2d_vjp`.

    >>> # the gradient of Σ s w.r.t. x counts the taps covering each pixel
    >>> g = convolution_2d_vjp(np.ones((1, 3)), np.ones((1, 3)), np.ones((1, 3)))
    >>> g.x.tolist()
    [[2.0, 3.0, 2.0]]
    """
    return _vjp_2d(x, w, grad, mode, m_range, n_range, -1)


# --------------------------------------------------------------------------- pooling


def _pair(name: str, v) -> tuple[int, int]:
    t = (v, v) if isinstance(v, int | np.integer) else tuple(v)
    if len(t) != 2 or not all(isinstance(a, int | np.integer) and a >= 1 for a in t):
        raise SeqcheckError(f"{name} must be a positive integer or a pair of them, got {v!r}")
    return int(t[0]), int(t[1])


def _pool_geometry(x, size, stride):
    x = _float(x)[0]
    kh, kw = _pair("size", size)
    sh, sw = (kh, kw) if stride is None else _pair("stride", stride)
    if x.ndim < 2 or x.shape[-2] < kh or x.shape[-1] < kw:
        raise ShapeError(
            f"x must be (..., H, W) with H >= {kh} and W >= {kw} (the window), "
            f"got shape {x.shape}")
    Ho = (x.shape[-2] - kh) // sh + 1
    Wo = (x.shape[-1] - kw) // sw + 1
    return x, kh, kw, sh, sw, Ho, Wo


def _offsets(kh, kw, sh, sw, Ho, Wo):
    """For each offset (a, b) inside the window, the x pixels it sees at every output."""
    for a in range(kh):
        for b in range(kw):
            yield a, b, (Ellipsis, slice(a, a + sh * (Ho - 1) + 1, sh),
                         slice(b, b + sw * (Wo - 1) + 1, sw))


def _check_grad(grad, shape, dtype):
    g = np.asarray(grad, dtype=dtype)
    if g.shape != shape:
        raise ShapeError(f"grad must have the output's shape {shape}, got {g.shape}")
    return g


def max_pooling(x, size, stride=None):
    """Max pooling: the maximum of each (kh, kw) window, windows every (sh, sw) pixels.

    Seed 001 "Pooling": a stride k > 1 leaves roughly k times fewer outputs per axis.

    Arguments:
        x: (..., H, W), any leading (batch, channel) axes.
        size: the window (kh, kw) or one int for both.
        stride: (sh, sw) or one int; default the window (non-overlapping windows).

    Returns:
        (..., (H − kh) // sh + 1, (W − kw) // sw + 1).

    >>> # 2x2 windows of a 2x4 array
    >>> max_pooling(np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]]), 2).tolist()
    [[5.0, 7.0]]
    """
    x, kh, kw, sh, sw, Ho, Wo = _pool_geometry(x, size, stride)
    out = np.full((*x.shape[:-2], Ho, Wo), -np.inf, dtype=x.dtype)
    for _, _, view in _offsets(kh, kw, sh, sw, Ho, Wo):
        np.maximum(out, x[view], out=out)
    return out


def max_pooling_vjp(x, grad, size, stride=None):
    """∂L/∂x of :func:`max_pooling`: each output's gradient goes to its window's maximum.

    Ties: the first maximum in row-major order within the window receives the whole
    gradient (torch's CPU max_pool2d does the same). Where windows overlap (stride <
    size), a pixel that is the maximum of several windows sums their gradients.

    Arguments:
        x, size, stride: as :func:`max_pooling`; grad: ∂L/∂output, the output's shape.

    Returns:
        ∂L/∂x, shape of x.

    >>> # the gradient lands on the 5 and the 7
    >>> x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]])
    >>> max_pooling_vjp(x, np.array([[1.0, 2.0]]), 2).tolist()
    [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]]
    """
    x, kh, kw, sh, sw, Ho, Wo = _pool_geometry(x, size, stride)
    lead = x.shape[:-2]
    g = _check_grad(grad, (*lead, Ho, Wo), x.dtype)
    best = np.full(g.shape, -np.inf, dtype=x.dtype)
    where = np.zeros(g.shape, dtype=np.intp)
    for k, (_, _, view) in enumerate(_offsets(kh, kw, sh, sw, Ho, Wo)):
        better = x[view] > best  # strict: an equal later value does not take over
        best = np.where(better, x[view], best)
        where = np.where(better, k, where)
    gx = np.zeros_like(x)
    for k, (_, _, view) in enumerate(_offsets(kh, kw, sh, sw, Ho, Wo)):
        gx[view] += np.where(where == k, g, 0)
    return gx


def _pool_weights(weights, kh, kw, dtype):
    if weights is None:
        return np.full((kh, kw), 1 / (kh * kw), dtype=dtype)
    v = np.asarray(weights, dtype=dtype)
    if v.shape != (kh, kw):
        raise ShapeError(f"weights must have the window's shape {(kh, kw)}, got {v.shape}")
    if np.any(v < 0) or not np.sum(v) > 0:
        raise SeqcheckError("weights must be non-negative with a positive sum")
    return v / np.sum(v)


def average_pooling(x, size, stride=None, *, weights=None):
    """Average pooling: the mean of each (kh, kw) window, windows every (sh, sw) pixels.

    The slide allows the average to be "weighted by the distance from the central
    pixel": ``weights`` (kh, kw) gives any such weighting, normalised to sum to 1.

    Arguments:
        x, size, stride: as :func:`max_pooling`.
        weights: non-negative (kh, kw) window weights; default uniform.

    Returns:
        (..., (H − kh) // sh + 1, (W − kw) // sw + 1).

    >>> # 2x2 windows of a 2x4 array
    >>> average_pooling(np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 3.0, 7.0, 7.0]]), 2).tolist()
    [[3.0, 4.0]]
    """
    x, kh, kw, sh, sw, Ho, Wo = _pool_geometry(x, size, stride)
    v = _pool_weights(weights, kh, kw, x.dtype)
    out = np.zeros((*x.shape[:-2], Ho, Wo), dtype=x.dtype)
    for a, b, view in _offsets(kh, kw, sh, sw, Ho, Wo):
        out += v[a, b] * x[view]
    return out


def average_pooling_vjp(x, grad, size, stride=None, *, weights=None):
    """∂L/∂x of :func:`average_pooling`: each output's gradient spread over its window.

    With uniform weights every pixel of a window gets grad / (kh·kw); with ``weights``
    it gets grad · v[a, b] / Σv. Overlapping windows add up.

    Arguments:
        x, size, stride, weights: as :func:`average_pooling`; grad: the output's shape.

    Returns:
        ∂L/∂x, shape of x.

    >>> # one 2x2 window: a quarter each
    >>> average_pooling_vjp(np.zeros((2, 2)), np.array([[1.0]]), 2).tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """
    x, kh, kw, sh, sw, Ho, Wo = _pool_geometry(x, size, stride)
    g = _check_grad(grad, (*x.shape[:-2], Ho, Wo), x.dtype)
    v = _pool_weights(weights, kh, kw, x.dtype)
    gx = np.zeros_like(x)
    for a, b, view in _offsets(kh, kw, sh, sw, Ho, Wo):
        gx[view] += v[a, b] * g
    return gx


# --------------------------------------------------------------------------- catalogue

_TESTS = ("tests/test_convolution.py",)
_TARGET = "seqcheck.models.convolution:"

ENTRIES: tuple[Entry, ...] = (
    Entry(
        name="convolution_1d", kind="function",
        title="Discrete 1-D convolution (x*w)[n] (seed 001)",
        sources=(Source(file=_SEED, where="Convolution Operation"),),
        target=_TARGET + "convolution_1d", tests=_TESTS),
    Entry(
        name="convolution_2d", kind="function",
        title="2-D convolution with a centred kernel, and its gradients (seed 001)",
        sources=(Source(file=_SEED, where="Convolution in CNNs"),),
        target=_TARGET + "convolution_2d", tests=_TESTS),
    Entry(
        name="cross_correlation_2d", kind="function",
        title="2-D cross-correlation (no kernel flipping), and its gradients (seed 001)",
        sources=(Source(file=_SEED, where="Convolution with no Kernel Flipping",
                        note="printed outer sum Σ_{m=−N}^{M}; the lower limit is −M"),),
        target=_TARGET + "cross_correlation_2d", tests=_TESTS),
    Entry(
        name="max_pooling", kind="function",
        title="Max pooling with a stride, and its gradient (seed 001)",
        sources=(Source(file=_SEED, where="Pooling"),),
        target=_TARGET + "max_pooling", tests=_TESTS),
    Entry(
        name="average_pooling", kind="function",
        title="Average (or weighted) pooling with a stride, and its gradient (seed 001)",
        sources=(Source(file=_SEED, where="Pooling"),),
        target=_TARGET + "average_pooling", tests=_TESTS),
)
