"""2-D convolution and cross-correlation with a centred kernel, and their gradients.

s[i, j] = Σ_{m=−M}^{M} Σ_{n=−N}^{N} x[i−m, j−n] w[m, n] (seed 001 "Convolution in CNNs")
and the same sum without the flip, x[i+m, j+n] ("Convolution with no Kernel Flipping"),
whose printed outer limits −N..M are evaluated by :func:`cross_correlation_2d_as_printed`.
Both sums run over one plan of the taps (m, n) and the windows of x they read, so the
forward pass and the VJP read x the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError, ShapeError
from .conventions import as_float, check_mode

__all__ = [
    "kernel_ranges", "printed_cross_correlation_ranges", "convolution_2d", "cross_correlation_2d",
    "cross_correlation_2d_as_printed", "Convolution2dGradients", "convolution_2d_vjp",
    "cross_correlation_2d_vjp",
]

_MODES_2D = ("same", "valid")


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
    check_mode(mode, _MODES_2D)
    x, w = as_float(x, w)
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
