"""The timing harness of ``seqcheck bench``: medians of alternated runs, thread counts.

:func:`time_once` times one call after a garbage collection; :func:`alternate` takes the
median of each of several functions over rounds that run all of them in a rotating
order, after a warm-up, so that drifts of the machine fall on candidate and baseline
alike. :class:`Threads` pins torch's and NumPy's OpenBLAS thread counts for a run and
restores both.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence

__all__ = ["time_once", "alternate", "Threads"]


def time_once(fn: Callable[[], object]) -> float:
    """Seconds of one call of ``fn``, after a garbage collection."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def alternate(fns: Sequence[Callable[[], object]], repeats: int,
              warmup: int = 1) -> list[float]:
    """Median seconds of each function; every round runs all of them, in a rotating order."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeats):
        for k in range(len(fns)):
            j = (k + r) % len(fns)
            times[j].append(time_once(fns[j]))
    return [statistics.median(ts) for ts in times]


class Threads:
    """Set torch's and NumPy's OpenBLAS thread counts; restore both on exit.

    OpenBLAS's count is otherwise fixed at import time by OPENBLAS_NUM_THREADS; it is set
    through the library's own functions (:func:`seqcheck.blas.openblas_functions`)."""

    def __init__(self, n: int):
        from ..blas import openblas_functions

        self.n = n
        self._torch_before = None
        self._blas = openblas_functions()
        self._blas_before = None

    def __enter__(self):
        try:
            import torch
        except ImportError:  # pragma: no cover - torch is an optional dependency
            torch = None
        if torch is not None:
            self._torch_before = torch.get_num_threads()
            torch.set_num_threads(self.n)
        if self._blas is not None:
            self._blas_before = self.blas_threads
            self._blas["set_num_threads"](self.n)
        return self

    @property
    def blas_threads(self):
        return int(self._blas["get_num_threads"]()) if self._blas is not None else None

    def __exit__(self, *exc):
        if self._torch_before is not None:
            import torch

            torch.set_num_threads(self._torch_before)
        if self._blas is not None and self._blas_before is not None:
            self._blas["set_num_threads"](self._blas_before)
        return False
