"""Argument checks shared by the echo state network's functions (and :mod:`..tasks`).

Each raises a :class:`~seqcheck.SeqcheckError` that names the argument, the range it
must be in and the value it got.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from ...errors import SeqcheckError

__all__ = ["check_int", "check_real"]


def check_int(name: str, value, lowest: int) -> None:
    """``value`` must be an int (not a bool) ``>= lowest``.

    >>> try:
    ...     check_int("washout", -1, 0)
    ... except SeqcheckError as e:
    ...     print(e)
    washout must be an int >= 0, got -1
    """
    if not isinstance(value, Integral) or isinstance(value, bool) or value < lowest:
        raise SeqcheckError(f"{name} must be an int >= {lowest}, got {value!r}")


def check_real(name: str, value, low: float, high: float, low_open: bool = False) -> None:
    """``value`` must be a finite real (not a bool) in [low, high], or (low, high] if ``low_open``.

    >>> try:
    ...     check_real("sparsity", 0.0, 0.0, 1.0, low_open=True)
    ... except SeqcheckError as e:
    ...     print(e)
    sparsity must be a finite number in (0, 1], got 0.0
    """
    ok = (isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if low_open else value >= low) and value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{']' if high < math.inf else ')'}"
        raise SeqcheckError(f"{name} must be a finite number in {interval}, got {value!r}")
