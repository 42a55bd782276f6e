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
    """Set torch's and NumPy's OpenBLAS thread counts; restore both on exit."""

    def __init__(self, n: int):
        self.n = n
        self._torch_before = None
        self._blas = _openblas()
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
            get, put = self._blas
            self._blas_before = get()
            put(self.n)
        return self

    @property
    def blas_threads(self):
        return self._blas[0]() if self._blas is not None else None

    def __exit__(self, *exc):
        if self._torch_before is not None:
            import torch

            torch.set_num_threads(self._torch_before)
        if self._blas is not None and self._blas_before is not None:
            self._blas[1](self._blas_before)
        return False


def _openblas():
    """(get, set) for the thread count of NumPy's OpenBLAS, or None if not found
    (:func:`seqcheck.blas.openblas_functions`; its count is otherwise fixed at import
    time by OPENBLAS_NUM_THREADS)."""
    from ..blas import openblas_functions

    found = openblas_functions()
    if found is None:
        return None
    get, put = found["get_num_threads"], found["set_num_threads"]
    return (lambda: int(get())), (lambda n: put(int(n)))
