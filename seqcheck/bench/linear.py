"""Benchmark 3 of ``seqcheck bench``: linear in T.

Compiled NumPy forward + backward of the ``lstm`` spec at a long T against a short T:
time and peak traced memory should both grow linearly (ratio ≈ T ratio), and the
per-step generated loops never hit a recursion limit.
"""

from __future__ import annotations

import gc
import math

from .table import row
from .timing import alternate

__all__ = ["bench_linear", "spec_shape"]


def bench_linear(size, steps: tuple[int, int], repeats: int, threads, say) -> list[dict]:
    """The one row of benchmark 3: time and peak memory at the long T over the short T.

    Arguments:
        size: (B, D, H, T) of which B, D and H are used; steps: (short T, long T).
        repeats: timed rounds (median); threads: recorded in the row.
        say: called with a line before the measurement.
    """
    import tracemalloc

    import numpy as np

    from ..backends import compile_numpy
    from ..spec import load_spec

    B, D, H, _ = size
    short, long = steps
    say(f"linear-T: compiled numpy float64 fwd+bwd, T = {short} and T = {long}")
    spec = load_spec("lstm")
    cn = compile_numpy(spec, dtype=np.float64, gradients=True, seeded=["h"])
    rng = np.random.default_rng(0)
    params = {n: rng.uniform(-1, 1, spec_shape(d.shape, D=D, H=H)) / math.sqrt(H)
              for n, d in spec.params.items()}
    fns, peaks = [], []
    for T in (short, long):
        x = rng.standard_normal((T, B, D))
        seed_h = rng.standard_normal((T, B, H))

        def fn(x=x, seed_h=seed_h):
            cn.backward(cn.forward(params, {"x": x}), {"h": seed_h})

        fns.append(fn)
        gc.collect()
        tracemalloc.start()
        fn()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    s_short, s_long = alternate(fns, repeats)
    note = (f"peak memory {peaks[1] / 2**20:.3g} MiB vs {peaks[0] / 2**20:.3g} MiB: "
            f"{peaks[1] / peaks[0]:.2f}× for {long / short:.3g}× the steps")
    return [row(f"compiled numpy fwd+bwd, float64, T = {long} (B,D,H = {B},{D},{H})",
                s_long, f"the same, T = {short}", s_short, threads,
                {"B": B, "D": D, "H": H, "T": long, "baseline_T": short,
                 "steps_ratio": long / short, "peak_mib": peaks[1] / 2**20,
                 "baseline_peak_mib": peaks[0] / 2**20,
                 "memory_ratio": peaks[1] / peaks[0]}, note=note)]


def spec_shape(shape, **dims) -> tuple[int, ...]:
    """A declared shape (SymPy dims) at the sizes ``dims``, as ints.

    >>> import sympy as sp
    >>> spec_shape((sp.Symbol("H"), sp.Symbol("D")), D=3, H=2)
    (2, 3)
    """
    out = []
    for s in shape:
        free = {sym: dims[sym.name] for sym in getattr(s, "free_symbols", ())}
        out.append(int(s.subs(free)) if free else int(s))
    return tuple(out)
