"""Benchmark 1 of ``seqcheck bench``: the symbolic derivation against naive SymPy.

Load the ``lstm`` spec, derive BPTT symbolically and generate the forward/backward
source, against naive SymPy: the LSTM's scalar equations at H = D = 2 unrolled T steps,
``sympy.diff`` of L = Σ h_T w.r.t. every parameter scalar
(:func:`naive_sympy_gradients`). Our derivation is per step: ``derive(spec)`` never sees
T, so the rows at T = 10, 100, 1000 time the same work and their ratio stays flat, while
the naive baseline grows steeply with T (it runs in a child process under a time
limit).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from .table import row
from .timing import time_once

__all__ = ["naive_sympy_gradients", "naive_child", "bench_derive"]


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


def naive_child(steps: int) -> None:
    """Entry point of the child process: time the naive baseline, print JSON."""
    t0 = time.perf_counter()
    grads = naive_sympy_gradients(steps)
    print(json.dumps({"seconds": time.perf_counter() - t0, "gradients": len(grads)}))


def _naive_seconds(steps: int, timeout: float) -> tuple[float, bool]:
    """(seconds, timed_out) of the naive baseline in a fresh interpreter (cold caches)."""
    code = f"from seqcheck.bench.derivation import naive_child; naive_child({int(steps)})"
    # the child imports this very package, installed or not
    root = str(Path(__file__).resolve().parents[2])
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

    from ..backends.codegen import module_source
    from ..derive import derive
    from ..spec import load_spec

    sp.core.cache.clear_cache()  # no reuse of a previous repeat's SymPy results
    spec = load_spec(spec_name)
    module_source(spec, derive(spec), spec.outputs)


def bench_derive(steps: Iterable[int], naive_steps: Iterable[int], naive_timeout: float,
                 repeats: int, threads, say) -> list[dict]:
    """The rows of benchmark 1: ours at each T against the naive baseline at each of its T,
    and the naive baseline's growth from one T to the next.

    Arguments:
        steps: the T labels of our rows (the derivation never sees T).
        naive_steps: the T of each naive run; naive_timeout: its limit in seconds.
        repeats: timed repeats of ours (median); threads: recorded in every row.
        say: called with a line before each measurement.
    """
    naive = {}
    for n in naive_steps:
        say(f"derive: naive sympy.diff, H = D = 2, T = {n} (limit {naive_timeout:g} s)")
        naive[n] = _naive_seconds(n, naive_timeout)
    ours = {}
    for T in steps:
        say(f"derive: lstm load + derive + generate source, T = {T}")
        _derive_once("lstm")  # warm-up: imports, first-use costs
        ours[T] = statistics.median(time_once(lambda: _derive_once("lstm"))
                                    for _ in range(repeats))
    rows = []
    for n, (secs, out) in naive.items():
        for T, mine in ours.items():
            rows.append(row(
                f"derive lstm, T = {T} (load + derive + codegen)", mine,
                f"naive sympy.diff, H = D = 2, T = {n}", secs, threads,
                {"T": T, "naive_T": n, "naive_timeout_s": naive_timeout},
                baseline_timed_out=out,
                note="derive(spec) is per step: T never enters"))
    ns = sorted(naive)
    for a, b in zip(ns, ns[1:]):
        (sa, _), (sb, out_b) = naive[a], naive[b]
        rows.append(row(f"naive sympy.diff, H = D = 2, T = {b}", sb,
                        f"naive sympy.diff, H = D = 2, T = {a}", sa, threads,
                        {"T": b, "naive_T": a}, timed_out=out_b,
                        note="growth of the naive baseline with T"))
    return rows
