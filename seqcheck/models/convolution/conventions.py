"""The conventions every convolution and pooling function of seed 001 follows.

Results keep the floating dtype of the arguments (float32 stays float32; integers give
float64), modes are checked by name, and a kernel is flipped along every axis to turn a
cross-correlation into a convolution.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError

__all__ = ["as_float", "check_mode", "flip"]


def as_float(*arrays) -> tuple[np.ndarray, ...]:
    """The arrays in their common floating dtype (float64 for integers), in order."""
    dt = np.result_type(*arrays)
    dt = dt if np.issubdtype(dt, np.floating) else np.dtype(np.float64)
    return tuple(np.asarray(a, dtype=dt) for a in arrays)


def check_mode(mode: str, modes: tuple[str, ...]) -> None:
    """Refuse a ``mode`` that is not one of ``modes``, naming them."""
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

