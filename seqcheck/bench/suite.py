"""``seqcheck bench``'s front: :func:`run` runs the benchmarks and returns their rows.

The default sizes of each benchmark live here (:data:`SIZES`, :data:`QUICK_SIZES`, ...);
:func:`run` pins the thread counts (:class:`~seqcheck.bench.timing.Threads`) and calls
benchmarks 1 to 5 in turn (:mod:`.derivation`, :mod:`.lstm`, :mod:`.linear`,
:mod:`.gradcheck`, :mod:`.latency`, :mod:`.production`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from .derivation import bench_derive
from .gradcheck import bench_verify
from .latency import bench_latency
from .linear import bench_linear
from .lstm import bench_lstm
from .production import bench_production
from .timing import Threads

__all__ = ["run", "SIZES", "QUICK_SIZES", "DERIVE_STEPS", "NAIVE_STEPS", "QUICK_NAIVE_STEPS",
           "LINEAR_STEPS", "DTYPES"]

#: (B, D, H, T) for the compiled-LSTM benchmark.
SIZES: tuple[tuple[int, int, int, int], ...] = ((32, 64, 128, 100), (64, 256, 256, 100))
QUICK_SIZES: tuple[tuple[int, int, int, int], ...] = SIZES[:1]
DERIVE_STEPS = (10, 100, 1000)
NAIVE_STEPS = (1, 2)
QUICK_NAIVE_STEPS = (1,)
LINEAR_STEPS = (100, 1000)
DTYPES = ("float64", "float32")


def run(quick: bool = False, repeats: int | None = None, *,
        sizes: Sequence[tuple[int, int, int, int]] | None = None,
        naive: bool = True, naive_steps: Sequence[int] | None = None,
        naive_timeout: float = 60.0, derive_steps: Sequence[int] = DERIVE_STEPS,
        linear_steps: tuple[int, int] = LINEAR_STEPS, dtypes: Sequence[str] = DTYPES,
        threads: int = 1, progress: Callable[[str], None] | None = None,
        verify_case: bool = True, latency: bool = True,
        production: bool | None = None, production_cases: int = 3,
        production_size: str = "production") -> list[dict]:
    """Run the benchmarks; return one row per comparison (see :mod:`seqcheck.bench`).

    Arguments:
        quick: first size only, naive baseline at T = 1 only, 3 repeats.
        repeats: timed repeats per measurement (median); default 7 (quick: 3).
        sizes: (B, D, H, T) for the compiled-LSTM benchmark (default :data:`SIZES`,
            quick :data:`QUICK_SIZES`); the first size also sets B, D, H of the
            linear-T benchmark.
        naive: run benchmark 1 (the naive SymPy baseline); False skips it.
        naive_steps: T values of the naive baseline (default (1, 2); quick (1,)).
        naive_timeout: seconds after which a naive run is stopped ("> limit").
        derive_steps: T labels of the derivation rows (the derivation ignores T).
        linear_steps: (short T, long T) of the linear-T benchmark.
        dtypes: "float64" and/or "float32".
        threads: torch and OpenBLAS threads during the run (restored afterwards).
        progress: called with a line before each measurement (e.g. print to stderr).
        verify_case: run benchmark 4 (verify against gradcheck); False skips it.
        latency: run benchmark 5 (whole-process latency of the commands); False skips it.
        production: run benchmark 6 (verify at the production size, minutes); default:
            in the full run, not in quick mode.
        production_cases, production_size: its cases and its size (a profile name or
            ``"D=..,H=..,T=..,B=..,layers=..,bidirectional=1"``).
    """
    import numpy as np

    from ..blas import openblas_core

    repeats = repeats if repeats is not None else (3 if quick else 7)
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    sizes = list(sizes if sizes is not None else (QUICK_SIZES if quick else SIZES))
    naive_steps = tuple(naive_steps if naive_steps is not None
                        else (QUICK_NAIVE_STEPS if quick else NAIVE_STEPS))
    say = progress or (lambda line: None)
    rows: list[dict] = []
    with Threads(threads) as th, np.errstate(under="ignore"):
        recorded = {"torch": threads, "openblas": th.blas_threads,
                    "openblas kernels": openblas_core()}
        if naive:
            rows += bench_derive(derive_steps, naive_steps, naive_timeout, repeats,
                                 recorded, say)
        try:
            import torch  # noqa: F401
        except ImportError:  # pragma: no cover - torch is an optional dependency
            warnings.warn("torch is not installed: skipping the torch.nn.LSTM comparison",
                          RuntimeWarning, stacklevel=2)
        else:
            rows += bench_lstm(sizes, dtypes, repeats, recorded, say)
        if sizes and linear_steps:
            rows += bench_linear(sizes[0], tuple(linear_steps), repeats, recorded, say)
        if verify_case:
            rows += bench_verify(quick, recorded, say)
        if latency:
            rows += bench_latency(repeats, recorded, say)
        if (not quick) if production is None else production:
            rows += bench_production(production_cases, recorded, say, production_size)
    return rows
