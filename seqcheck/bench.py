"""``seqcheck bench``: speed as ratios against a baseline timed in the same process.

Three benchmarks (benchmarks/README.md explains them and holds measured numbers):

1. **derive** -- load the ``lstm`` spec, derive BPTT symbolically and generate the
   forward/backward source, against naive SymPy: the LSTM's scalar equations at
   H = D = 2 unrolled T steps, ``sympy.diff`` of L = Σ h_T w.r.t. every parameter
   scalar. Our derivation is per step: ``derive(spec)`` never sees T, so the rows at
   T = 10, 100, 1000 time the same work and their ratio stays flat, while the naive
   baseline grows steeply with T (it runs in a child process under a time limit).
2. **lstm** -- the compiled ``lstm`` spec, forward + derived backward, in NumPy and
   in torch, against ``torch.nn.LSTM`` forward + autograd backward, float64 and float32.
3. **linear-T** -- compiled NumPy forward + backward at a long T against a short T:
   time and peak traced memory should both grow linearly (ratio ≈ T ratio), and the
   per-step generated loops never hit a recursion limit.

Every row is ``{"name", "seconds", "baseline", "baseline_seconds", "ratio", "threads",
"params", "note"}`` with ``ratio == seconds / baseline_seconds``; ``threads`` is
``{"torch": n, "openblas": n or None}``, ``params`` the benchmark's sizes and checks.
A baseline that ran past its time limit is reported with ``baseline_seconds`` = the
limit and ``"baseline_timed_out": True`` (so the ratio is an upper bound). Timings are medians
over ``repeats``, after a warm-up, with candidate and baseline alternated; torch and
NumPy's OpenBLAS both run with ``threads`` threads (1 by default), restored afterwards.
Nothing here asserts a speed: tests check the structure only.
"""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

__all__ = ["run", "format_table", "naive_sympy_gradients", "SIZES", "QUICK_SIZES"]

#: (B, D, H, T) for the compiled-LSTM benchmark.
SIZES: tuple[tuple[int, int, int, int], ...] = ((32, 64, 128, 100), (64, 256, 256, 100))
QUICK_SIZES: tuple[tuple[int, int, int, int], ...] = SIZES[:1]
DERIVE_STEPS = (10, 100, 1000)
NAIVE_STEPS = (1, 2)
QUICK_NAIVE_STEPS = (1,)
LINEAR_STEPS = (100, 1000)
DTYPES = ("float64", "float32")


# -- timing helpers -------------------------------------------------------------------
def _time_once(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _alternate(fns: Sequence[Callable[[], object]], repeats: int,
               warmup: int = 1) -> list[float]:
    """Median seconds of each function; every round runs all of them, in a rotating order."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeats):
        for k in range(len(fns)):
            j = (k + r) % len(fns)
            times[j].append(_time_once(fns[j]))
    return [statistics.median(ts) for ts in times]


def _row(name: str, seconds: float, baseline: str, baseline_seconds: float, threads,
         params: dict, **extra) -> dict:
    return {"name": name, "seconds": seconds, "baseline": baseline,
            "baseline_seconds": baseline_seconds, "ratio": seconds / baseline_seconds,
            "threads": threads, "params": params, **extra}


class _Threads:
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
    """(get, set) for the thread count of the OpenBLAS NumPy links, or None if not found.

    NumPy's wheels bundle OpenBLAS (``scipy_openblas``); its thread count is otherwise
    fixed at import time by OPENBLAS_NUM_THREADS. Found through the loaded libraries,
    so no extra dependency (threadpoolctl) is needed.
    """
    import ctypes

    import numpy  # noqa: F401  (loads the BLAS library)

    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                try:
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                    put = getattr(lib, f"{prefix}_set_num_threads{suffix}")
                except AttributeError:
                    continue
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                return (lambda get=get: int(get())), (lambda n, put=put: put(int(n)))
    return None


# -- 1. derivation versus naive SymPy --------------------------------------------------
def naive_sympy_gradients(steps: int, hidden: int = 2, inputs: int = 2) -> list:
    """∂L/∂θ for L = Σ_k h_T[k] by unrolling the LSTM as plain SymPy scalars.

    The ``lstm`` spec's equations (torch.nn.LSTM's) written out entry by entry, sigmoid
    as 1/(1 + exp(-z)), h_0 = c_0 = 0 as the spec declares, inputs x_t symbolic; then
    ``sympy.diff`` with respect to each of the 4(HD + H² + 2H) parameter scalars.

    >>> len(naive_sympy_gradients(1, hidden=1, inputs=1))
    16
    """
    import sympy as sp

    H, D = hidden, inputs
    params: list = []

    def matrix(name, rows, cols):
        m = [[sp.Symbol(f"{name}_{a}{b}") for b in range(cols)] for a in range(rows)]
        params.extend(s for row in m for s in row)
        return m

    def vector(name, rows):
        v = [sp.Symbol(f"{name}_{a}") for a in range(rows)]
        params.extend(v)
        return v

    def sigmoid(z):
        return 1 / (1 + sp.exp(-z))

    gates = "ifco"
    W = {g: matrix(f"W_i{g}", H, D) for g in gates}
    U = {g: matrix(f"W_h{g}", H, H) for g in gates}
    b_i = {g: vector(f"b_i{g}", H) for g in gates}
    b_h = {g: vector(f"b_h{g}", H) for g in gates}
    h = [sp.Integer(0)] * H
    c = [sp.Integer(0)] * H
    for t in range(1, steps + 1):
        x = [sp.Symbol(f"x_{t}_{k}") for k in range(D)]
        z = {g: [sum(W[g][a][k] * x[k] for k in range(D)) + b_i[g][a]
                 + sum(U[g][a][k] * h[k] for k in range(H)) + b_h[g][a] for a in range(H)]
             for g in gates}
        i = [sigmoid(v) for v in z["i"]]
        f = [sigmoid(v) for v in z["f"]]
        o = [sigmoid(v) for v in z["o"]]
        c_tilde = [sp.tanh(v) for v in z["c"]]
        c = [f[a] * c[a] + i[a] * c_tilde[a] for a in range(H)]
        h = [o[a] * sp.tanh(c[a]) for a in range(H)]
    loss = sp.Add(*h)
    return [sp.diff(loss, p) for p in params]


def _naive_child(steps: int) -> None:
    """Entry point of the child process: time the naive baseline, print JSON."""
    t0 = time.perf_counter()
    grads = naive_sympy_gradients(steps)
    print(json.dumps({"seconds": time.perf_counter() - t0, "gradients": len(grads)}))


def _naive_seconds(steps: int, timeout: float) -> tuple[float, bool]:
    """(seconds, timed_out) of the naive baseline in a fresh interpreter (cold caches)."""
    code = f"from seqcheck.bench import _naive_child; _naive_child({int(steps)})"
    # the child imports this very package, installed or not
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=timeout + 15, check=True, env=env)
    except subprocess.TimeoutExpired:
        return float(timeout), True
    seconds = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
    if seconds > timeout:
        return float(timeout), True
    return seconds, False


def _derive_once(spec_name: str) -> None:
    import sympy as sp

    from .backends.codegen import module_source
    from .derive import derive
    from .spec import load_spec

    sp.core.cache.clear_cache()  # no reuse of a previous repeat's SymPy results
    spec = load_spec(spec_name)
    module_source(spec, derive(spec), spec.outputs)


def _bench_derive(steps: Iterable[int], naive_steps: Iterable[int], naive_timeout: float,
                  repeats: int, threads, say) -> list[dict]:
    naive = {}
    for n in naive_steps:
        say(f"derive: naive sympy.diff, H = D = 2, T = {n} (limit {naive_timeout:g} s)")
        naive[n] = _naive_seconds(n, naive_timeout)
    ours = {}
    for T in steps:
        say(f"derive: lstm load + derive + generate source, T = {T}")
        _derive_once("lstm")  # warm-up: imports, first-use costs
        ours[T] = statistics.median(_time_once(lambda: _derive_once("lstm"))
                                    for _ in range(repeats))
    rows = []
    for n, (secs, out) in naive.items():
        for T, mine in ours.items():
            rows.append(_row(
                f"derive lstm, T = {T} (load + derive + codegen)", mine,
                f"naive sympy.diff, H = D = 2, T = {n}", secs, threads,
                {"T": T, "naive_T": n, "naive_timeout_s": naive_timeout},
                baseline_timed_out=out,
                note="derive(spec) is per step: T never enters"))
    ns = sorted(naive)
    for a, b in zip(ns, ns[1:]):
        (sa, _), (sb, out_b) = naive[a], naive[b]
        rows.append(_row(f"naive sympy.diff, H = D = 2, T = {b}", sb,
                         f"naive sympy.diff, H = D = 2, T = {a}", sa, threads,
                         {"T": b, "naive_T": a}, timed_out=out_b,
                         note="growth of the naive baseline with T"))
    return rows


# -- 2. compiled LSTM versus torch.nn.LSTM ---------------------------------------------
def _lstm_case(B: int, D: int, H: int, T: int, dtype: str, seed: int = 0):
    """A torch.nn.LSTM, the same weights as the spec's parameters, an input and a seed."""
    import numpy as np
    import torch

    tdt = getattr(torch, dtype)
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(D, H).to(tdt)
    w_ih, w_hh = lstm.weight_ih_l0.detach(), lstm.weight_hh_l0.detach()
    b_ih, b_hh = lstm.bias_ih_l0.detach(), lstm.bias_hh_l0.detach()
    params = {}
    for k, g in enumerate("ifco"):  # torch's gate order i, f, g, o
        rows = slice(k * H, (k + 1) * H)
        params[f"W_i{g}"] = w_ih[rows].numpy().copy()
        params[f"W_h{g}"] = w_hh[rows].numpy().copy()
        params[f"b_i{g}"] = b_ih[rows].numpy().copy()
        params[f"b_h{g}"] = b_hh[rows].numpy().copy()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    seed_h = rng.standard_normal((T, B, H)).astype(dtype)
    return lstm, params, x, seed_h


def _max_rel(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _lstm_runners(spec, B: int, D: int, H: int, T: int, dtype: str) -> dict:
    """The three sides of benchmark 2 on one case, as zero-argument callables.

    ``numpy`` and ``torch``: the compiled spec, forward + derived backward, seeding h only
    (torch.nn.LSTM returns h_t at every step, c only at T). ``nn``: torch.nn.LSTM forward,
    the spec's y = softmax(h) computed but not seeded, autograd backward to the weights,
    x and the initial states (what the derived backward returns too).
    """
    import numpy as np
    import torch

    from .backends import compile_numpy
    from .backends.torch_backend import compile_torch

    lstm, params, x, seed_h = _lstm_case(B, D, H, T, dtype)
    tdt = getattr(torch, dtype)
    cn = compile_numpy(spec, dtype=np.dtype(dtype), gradients=True, seeded=["h"])
    ct = compile_torch(spec, dtype=tdt, gradients=True, seeded=["h"])
    tparams = {k: torch.from_numpy(v) for k, v in params.items()}
    tx, tseed = torch.from_numpy(x), torch.from_numpy(seed_h)

    def run_numpy():
        traj = cn.forward(params, {"x": x})
        return cn.backward(traj, {"h": seed_h})

    def run_torch():
        with torch.no_grad():
            traj = ct.forward(tparams, {"x": tx})
            return ct.backward(traj, {"h": tseed})

    def run_nn():
        lstm.zero_grad(set_to_none=True)
        xs = tx.detach().requires_grad_(True)
        h0 = torch.zeros((1, B, H), dtype=tdt, requires_grad=True)
        c0 = torch.zeros((1, B, H), dtype=tdt, requires_grad=True)
        out, _ = lstm(xs, (h0, c0))
        torch.softmax(out, dim=-1)
        (out * tseed).sum().backward()
        return xs.grad, lstm.weight_hh_l0.grad[:H]

    return {"numpy": run_numpy, "torch": run_torch, "nn": run_nn, "case": (params, x, seed_h),
            "compiled": (cn, ct)}


def _bench_lstm(sizes, dtypes, repeats: int, threads, say) -> list[dict]:
    from .spec import load_spec

    spec = load_spec("lstm")
    rows = []
    for B, D, H, T in sizes:
        for dtype in dtypes:
            say(f"lstm: (B, D, H, T) = {(B, D, H, T)}, {dtype}")
            r = _lstm_runners(spec, B, D, H, T, dtype)
            # the same computation on both sides: compare gradients once (also a warm-up)
            gx_ref, gw_ref = r["nn"]()
            agree = {}
            for side in ("numpy", "torch"):
                g = r[side]()
                agree[side] = max(_max_rel(g.inputs["x"], gx_ref),
                                  _max_rel(g.params["W_hi"], gw_ref))
            s_np, s_t, s_nn = _alternate([r["numpy"], r["torch"], r["nn"]], repeats)
            base = f"torch.nn.LSTM fwd + autograd bwd, {dtype}"
            shape = {"B": B, "D": D, "H": H, "T": T, "dtype": dtype}
            for side, secs in (("numpy", s_np), ("torch", s_t)):
                rows.append(_row(
                    f"compiled {side} fwd+bwd, {dtype}, (B,D,H,T) = ({B},{D},{H},{T})",
                    secs, base, s_nn, threads, {**shape, "max_rel_diff": agree[side]},
                    note=f"gradients agree to {agree[side]:.0e} (relative)"))
    return rows


# -- 3. linear in T ----------------------------------------------------------------------
def _bench_linear(size, steps: tuple[int, int], repeats: int, threads, say) -> list[dict]:
    import tracemalloc

    import numpy as np

    from .backends import compile_numpy
    from .spec import load_spec

    B, D, H, _ = size
    short, long = steps
    say(f"linear-T: compiled numpy float64 fwd+bwd, T = {short} and T = {long}")
    spec = load_spec("lstm")
    cn = compile_numpy(spec, dtype=np.float64, gradients=True, seeded=["h"])
    rng = np.random.default_rng(0)
    params = {n: rng.uniform(-1, 1, _shape(d.shape, D=D, H=H)) / math.sqrt(H)
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
    s_short, s_long = _alternate(fns, repeats)
    note = (f"peak memory {peaks[1] / 2**20:.3g} MiB vs {peaks[0] / 2**20:.3g} MiB: "
            f"{peaks[1] / peaks[0]:.2f}× for {long / short:.3g}× the steps")
    return [_row(f"compiled numpy fwd+bwd, float64, T = {long} (B,D,H = {B},{D},{H})",
                 s_long, f"the same, T = {short}", s_short, threads,
                 {"B": B, "D": D, "H": H, "T": long, "baseline_T": short,
                  "steps_ratio": long / short, "peak_mib": peaks[1] / 2**20,
                  "baseline_peak_mib": peaks[0] / 2**20,
                  "memory_ratio": peaks[1] / peaks[0]}, note=note)]


def _shape(shape, **dims) -> tuple[int, ...]:
    out = []
    for s in shape:
        free = {sym: dims[sym.name] for sym in getattr(s, "free_symbols", ())}
        out.append(int(s.subs(free)) if free else int(s))
    return tuple(out)


# -- front ----------------------------------------------------------------------------------
def run(quick: bool = False, repeats: int | None = None, *,
        sizes: Sequence[tuple[int, int, int, int]] | None = None,
        naive: bool = True, naive_steps: Sequence[int] | None = None,
        naive_timeout: float = 60.0, derive_steps: Sequence[int] = DERIVE_STEPS,
        linear_steps: tuple[int, int] = LINEAR_STEPS, dtypes: Sequence[str] = DTYPES,
        threads: int = 1, progress: Callable[[str], None] | None = None,
        verify_case: bool = True) -> list[dict]:
    """Run the benchmarks; return one row per comparison (see the module docstring).

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
    """
    import numpy as np

    repeats = repeats if repeats is not None else (3 if quick else 7)
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    sizes = list(sizes if sizes is not None else (QUICK_SIZES if quick else SIZES))
    naive_steps = tuple(naive_steps if naive_steps is not None
                        else (QUICK_NAIVE_STEPS if quick else NAIVE_STEPS))
    say = progress or (lambda line: None)
    rows: list[dict] = []
    with _Threads(threads) as th, np.errstate(under="ignore"):
        recorded = {"torch": threads, "openblas": th.blas_threads}
        if naive:
            rows += _bench_derive(derive_steps, naive_steps, naive_timeout, repeats,
                                  recorded, say)
        try:
            import torch  # noqa: F401
        except ImportError:  # pragma: no cover - torch is an optional dependency
            warnings.warn("torch is not installed: skipping the torch.nn.LSTM comparison",
                          RuntimeWarning, stacklevel=2)
        else:
            rows += _bench_lstm(sizes, dtypes, repeats, recorded, say)
        if sizes and linear_steps:
            rows += _bench_linear(sizes[0], tuple(linear_steps), repeats, recorded, say)
        if verify_case:
            rows += _bench_verify(quick, recorded, say)
    return rows


def _bench_verify(quick: bool, recorded, say) -> list[dict]:
    """seqcheck verify's check of one case against torch.autograd.gradcheck on the same case.

    The case: torch.nn.LSTMCell, D = H = 16, T = 10, B = 1, float64; verify compares the
    outputs, states and the gradients w.r.t. inputs, initial states and all parameters.
    gradcheck checks the same gradients numerically (slow mode: one pair of forward runs
    per input; fast mode: one random direction). Quick mode runs fast mode only.
    """
    import numpy as np
    import torch

    from .adapters.torch_nn import TorchTarget
    from .checks.verify import Checker
    from .spec import load_spec
    from .strategies import Case

    D = H = 16
    T, B = 10, 1
    rng = np.random.default_rng(0)
    spec = load_spec("lstm")
    sizes = {"D": D, "H": H}
    params = {n: rng.uniform(-0.5, 0.5, [sizes[str(k)] for k in d.shape])
              for n, d in spec.params.items()}
    case = Case(sizes, T, B, params, {"x": rng.uniform(-1, 1, (T, B, D))},
                {"h": rng.uniform(-1, 1, (B, H)), "c": rng.uniform(-1, 1, (B, H))},
                {v: rng.uniform(-1, 1, (T, B, H)) for v in ("h", "c")})
    target = TorchTarget(torch.nn.LSTMCell)
    checker = Checker(target, spec, "float64", gradients=True)
    if not checker.check(case).ok:  # pragma: no cover - torch's own cell conforms
        raise RuntimeError("torch.nn.LSTMCell does not conform on the benchmark case")
    cell = target.module(case.sizes, "float64")
    names = [n for n, _ in cell.named_parameters()]

    def unrolled(x, h, c, *weights):
        hs = []
        for t in range(T):
            h, c = torch.func.functional_call(cell, dict(zip(names, weights)), (x[t], (h, c)))
            hs.append(torch.cat([h, c], dim=-1))
        return torch.stack(hs)

    args = (torch.tensor(case.inputs["x"], requires_grad=True),
            torch.tensor(case.initial["h"], requires_grad=True),
            torch.tensor(case.initial["c"], requires_grad=True),
            *[p.detach().clone().requires_grad_(True) for p in cell.parameters()])
    label = (f"verify one case (LSTMCell, D = H = {H}, T = {T}, float64, outputs, states "
             "and all gradients)")
    repeats = 3 if quick else 5
    verify_s = _alternate([lambda: checker.check(case)], repeats)[0]
    rows = []
    modes = (("fast", True),) if quick else (("fast", True), ("slow", False))
    for mode, fast in modes:
        say(f"bench: gradcheck ({mode} mode) on the same case")
        seconds = _time_once(lambda fast=fast: torch.autograd.gradcheck(
            unrolled, args, fast_mode=fast))
        rows.append(_row(label, verify_s, f"torch.autograd.gradcheck ({mode} mode), same case",
                         seconds, recorded, {"D": D, "H": H, "T": T, "B": B},
                         note="verify also compares outputs and states"))
    return rows


def _fmt_seconds(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def format_table(rows: Sequence[dict]) -> str:
    """A plain-text table: name, seconds, baseline, baseline seconds, ratio, threads (note).

    A timed-out baseline shows as "> limit" and its ratio as "< bound".

    >>> print(format_table([{"name": "a", "seconds": 0.002, "baseline": "b",
    ...                      "baseline_seconds": 0.004, "ratio": 0.5, "threads": 1}]))
    name | seconds | baseline | baseline s | ratio | threads
    a    |  2.0 ms | b        |     4.0 ms | 0.50× | 1
    """
    header = ("name", "seconds", "baseline", "baseline s", "ratio", "threads")
    notes = any(r.get("note") for r in rows)
    header += ("note",) if notes else ()
    body = []
    for r in rows:
        out = r.get("baseline_timed_out", False)
        base = _fmt_seconds(r["baseline_seconds"])
        secs = _fmt_seconds(r["seconds"])
        if r.get("timed_out"):
            secs = "> " + secs
        ratio = f"{r['ratio']:.2f}×" if 0.01 <= r["ratio"] < 100 else f"{r['ratio']:.3g}×"
        if r.get("timed_out"):
            ratio = "> " + ratio
        threads = r.get("threads", "")
        if isinstance(threads, dict):
            threads = ", ".join(f"{k} {v}" for k, v in threads.items() if v is not None)
        body.append((r["name"], secs, r["baseline"], ("> " + base) if out else base,
                     ("< " + ratio) if out else ratio, str(threads))
                    + ((r.get("note", ""),) if notes else ()))
    table = [header, *body]
    widths = [max(len(line[k]) for line in table) for k in range(len(header))]
    right = {1, 3, 4}
    lines = []
    for line in table:
        cells = [c.rjust(w) if k in right and line is not header else c.ljust(w)
                 for k, (c, w) in enumerate(zip(line, widths))]
        lines.append(" | ".join(cells).rstrip())
    return "\n".join(lines)
