"""Max and average pooling of seed 001's "Pooling" slide, with their gradients.

Windows of size (kh, kw) start every (sh, sw) pixels and lie inside x (no padding), as
``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` by default; any leading (batch,
channel) axes are kept.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError, ShapeError
from .conventions import as_float

__all__ = ["max_pooling", "max_pooling_vjp", "average_pooling", "average_pooling_vjp"]


def _pair(name: str, v) -> tuple[int, int]:
    t = (v, v) if isinstance(v, int | np.integer) else tuple(v)
    if len(t) != 2 or not all(isinstance(a, int | np.integer) and a >= 1 for a in t):
        raise SeqcheckError(f"{name} must be a positive integer or a pair of them, got {v!r}")
    return int(t[0]), int(t[1])


def _pool_geometry(x, size, stride):
    x = as_float(x)[0]
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
        x, size, stride: as :func:`max_pooling`, and so is the shape returned.
        weights: non-negative (kh, kw) window weights; default uniform.

    >>> # the 2x2 windows of a 2x4 array: their means
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
