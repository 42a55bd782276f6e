"""Drawing arrays on a grid: one Hypothesis byte per entry, scaled onto a range.

Every value of a case comes from these draws, never from a drawn seed fed to a random
generator, so a failing case shrinks to small magnitudes. Grid values are binary
fractions of few bits, exact in float32 at the default sizes; with ``distinct`` every
entry of a group differs from every other (the witness weights and distinct inputs of
:mod:`seqcheck.strategies`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from hypothesis import strategies as st

from .arguments import SCALES

__all__ = ["draw_scale", "draw_values"]


def draw_scale(draw, scale: float | None, label: str) -> float:
    """``scale``, or one drawn from :data:`~seqcheck.strategies.arguments.SCALES`."""
    return float(scale) if scale is not None else draw(st.sampled_from(SCALES), label=label)


def _lattice(draw, count: int, distinct: bool, label: str) -> tuple[np.ndarray, int]:
    """``count`` integers m in [-M, M), and M.

    One draw in eight is plain: the ramp m = 2 i + 1 - N over N (distinct; N >= count a
    power of two) or zeros, which shrinking reaches in one step. Otherwise one byte per
    entry, read as k in [-128, 127] (zigzag: bytes 0, 1, 2, 3 are k = 0, -1, 1, -2, so
    shrinking a byte shrinks |k|); distinct entries are m = 2 (k N + i) + 1, which differ
    whatever the k and are never 0. A single ``binary`` draw per group keeps generation
    quick; ``arrays(..., unique=True)`` shrank hundreds of times slower.
    """
    N = max(2, 1 << max(count - 1, 0).bit_length())
    i = np.arange(count)
    if count == 0 or draw(st.integers(0, 7), label=f"{label}: random") == 0:
        return (2 * i + 1 - N, N) if distinct else (np.zeros(count, dtype=np.int64), 1)
    raw = draw(st.binary(min_size=count, max_size=count), label=label)
    u = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    k = (u >> 1) ^ -(u & 1)
    return (2 * (k * N + i) + 1, 256 * N) if distinct else (k, 128)


def _split(flat: np.ndarray, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        out[name] = flat[start:start + n].reshape(shape)
        start += n
    return out


def draw_values(draw, shapes: Mapping[str, tuple[int, ...]], ranges: Mapping[str, tuple],
                distinct: bool, label: str) -> dict[str, np.ndarray]:
    """Float64 arrays of the given shapes on a grid of each one's ``(low, high)`` range.

    The entries lie in [low, high] and shrink towards its middle; with ``distinct``, the
    entries of all the arrays together are distinct lattice points, none in the middle.

    Arguments:
        draw: the ``draw`` of a :func:`hypothesis.strategies.composite` function.
        shapes: ``{name: shape}``, in the order the entries are laid out.
        ranges: ``{name: (low, high)}`` for every name in ``shapes``.
        distinct: every entry distinct (witness weights, inputs), or each on its own.
        label: the Hypothesis label of the draw.
    Returns:
        ``{name: float64 array of shape shapes[name]}``.
    """
    count = sum(math.prod(s) for s in shapes.values())
    m, M = _lattice(draw, count, distinct, label)
    out = _split(m, shapes)
    for name, ints in out.items():
        low, high = ranges[name]
        out[name] = (low + high) / 2 + (high - low) / 2 * (ints / M)
    return out
