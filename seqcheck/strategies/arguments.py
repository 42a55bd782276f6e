"""The checks of the strategies' arguments, and the defaults they fall back to.

Every strategy of :mod:`seqcheck.strategies` validates what it is given before it builds
anything, so a wrong size, count, scale or bound is a :class:`~seqcheck.errors.ShapeError`
or :class:`~seqcheck.errors.SeqcheckError` at the call, naming the argument, not a
Hypothesis error at the first draw. :data:`SCALES` and :data:`UNIT` are the defaults of
the magnitudes and of a scalar parameter's bounds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real

from ..errors import SeqcheckError, ShapeError
from ..spec import Spec
from ..spec.suggest import did_you_mean

__all__ = ["SCALES", "UNIT", "is_int", "check_range", "check_count", "check_fixed",
           "check_sizes", "check_scale", "check_bounds"]

SCALES = (0.5, 1.0, 3.0, 6.0)  # first is what shrinking reaches; 6 saturates sigmoid and tanh
UNIT = (0.0, 1.0)  # default bounds of a scalar parameter: a leak rate


def is_int(value) -> bool:
    """An integer that is not a bool.

    >>> is_int(3), is_int(True), is_int(3.0)
    (True, False, False)
    """
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_range(what: str, low, high, lowest: int) -> None:
    """``low`` and ``high`` are ints, at least ``lowest``, with ``low <= high``."""
    for name, v in ((f"smallest {what}", low), (f"largest {what}", high)):
        if not is_int(v):
            raise ShapeError(f"{name} must be an int, got {v!r} (type {type(v).__name__})")
        if v < lowest:
            raise ShapeError(f"{name} must be at least {lowest}, got {v}")
    if low > high:
        raise ShapeError(f"smallest {what} {low} is larger than the largest, {high}")


def check_count(what: str, value) -> None:
    """``value`` is an int >= 1 (a number of steps or a batch size)."""
    if not is_int(value) or value < 1:
        raise ShapeError(f"{what} must be an int >= 1, got {value!r}")


def check_fixed(spec: Spec, fixed) -> dict[str, int]:
    """``fixed`` as ``{dim name: int size}``; every name a dim of ``spec``, every size >= 1."""
    names = [d.name for d in spec.dims]
    out = {}
    for name, size in dict(fixed or {}).items():
        if name not in names:
            close = did_you_mean(name, names)
            raise ShapeError(f"cannot fix the size of '{name}': spec {spec.name!r} has no such "
                             f"dim (dims: {', '.join(names) or 'none'})"
                             + (f"; did you mean '{close}'?" if close else ""))
        if not is_int(size) or size < 1:
            raise ShapeError(f"fixed size of '{name}' must be an int >= 1, got {size!r}")
        out[name] = int(size)
    return out


def check_sizes(spec: Spec, sizes: Mapping[str, int]) -> None:
    """``sizes`` names exactly the dims of ``spec``, each with an int >= 1."""
    names = [d.name for d in spec.dims]
    missing = [n for n in names if n not in sizes]
    unknown = [n for n in sizes if n not in names]
    if missing or unknown:
        problems = ([f"no size for {', '.join(missing)}"] if missing else []) + \
                   ([f"no dim {', '.join(unknown)}"] if unknown else [])
        raise ShapeError(f"sizes {dict(sizes)} do not fit spec {spec.name!r}: "
                         f"{'; '.join(problems)} (dims: {', '.join(names) or 'none'})")
    bad = {n: k for n, k in sizes.items() if not is_int(k) or k < 1}
    if bad:
        raise ShapeError(f"sizes must be ints >= 1, got {bad}")


def check_scale(scale) -> None:
    """``scale`` is None (draw one of :data:`SCALES`) or a finite number > 0."""
    if scale is not None and (not isinstance(scale, Real) or isinstance(scale, bool)
                              or not math.isfinite(scale) or scale <= 0):
        raise SeqcheckError(f"scale must be a finite number > 0 or None (to draw one of "
                            f"{SCALES}), got {scale!r}")


def check_bounds(spec: Spec, bounds) -> dict[str, tuple[float, float]]:
    """The ``(low, high)`` of every bounded parameter: :data:`UNIT` for each scalar
    parameter, overridden (or lifted, by None) per parameter by ``bounds``."""
    limits = {n: UNIT for n, d in spec.params.items() if d.shape == ()}
    for name, lim in dict(bounds or {}).items():
        if name not in spec.params:
            close = did_you_mean(name, list(spec.params))
            raise SeqcheckError(f"bounds for '{name}': spec {spec.name!r} has no such "
                                f"parameter (parameters: {', '.join(spec.params) or 'none'})"
                                + (f"; did you mean '{close}'?" if close else ""))
        if lim is None:
            limits.pop(name, None)
            continue
        try:
            low, high = (float(v) for v in lim)
        except (TypeError, ValueError):
            raise SeqcheckError(f"bounds for '{name}' must be (low, high) or None, "
                                f"got {lim!r}") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise SeqcheckError(f"bounds for '{name}' must be finite with low < high, "
                                f"got ({low}, {high})")
        limits[name] = (low, high)
    return limits
