"""``seqcheck bench`` (seqcheck/bench/): row structure, ratios, thread restore, baselines.

Speed is never asserted here (tests/README.md): the benchmarks run at tiny sizes with one
repeat and only their shape and bookkeeping are checked, plus the things a benchmark must
get right to mean anything: both sides compute the same gradients, and the naive SymPy
baseline differentiates the same LSTM.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from seqcheck import bench, compile_numpy, load_spec

KEYS = {"name", "seconds", "baseline", "baseline_seconds", "ratio", "threads", "params"}
TINY = [(2, 3, 4, 5)]  # (B, D, H, T), H != D


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    """The quick mode at tiny sizes; the naive baseline stopped at once (limit 1 ms)."""
    before = torch.get_num_threads()
    out = bench.run(quick=True, repeats=1, sizes=TINY, naive_timeout=0.001,
                    derive_steps=(10, 1000), linear_steps=(2, 6))
    assert torch.get_num_threads() == before
    return out


def _check_row(r: dict) -> None:
    assert KEYS <= set(r), r
    assert isinstance(r["name"], str) and isinstance(r["baseline"], str)
    assert r["seconds"] > 0 and r["baseline_seconds"] > 0
    assert r["ratio"] == r["seconds"] / r["baseline_seconds"]
    assert r["threads"]["torch"] == 1


def test_rows_have_the_structure_and_ratios_are_seconds_over_baseline(rows):
    for r in rows:
        _check_row(r)
    json.dumps(rows)  # what `seqcheck bench --json` prints


def test_every_benchmark_is_present(rows):
    derive = [r for r in rows if r["name"].startswith("derive lstm")]
    assert [r["params"]["T"] for r in derive] == [10, 1000]
    assert all(r["params"]["naive_T"] == 1 and r["baseline_timed_out"] for r in derive)
    for backend in ("numpy", "torch"):
        for dtype in ("float64", "float32"):
            (r,) = [r for r in rows if r["name"].startswith(f"compiled {backend} fwd+bwd")
                    and r["params"].get("dtype") == dtype and r["params"]["T"] == 5]
            assert r["params"]["B"] == 2 and r["params"]["H"] == 4
            assert r["baseline"].startswith("torch.nn.LSTM")
            # the same computation on both sides (gradients of x and W_hi compared once)
            assert r["params"]["max_rel_diff"] < (1e-10 if dtype == "float64" else 1e-4)
    (lin,) = [r for r in rows if "baseline_T" in r["params"]]
    assert (lin["params"]["T"], lin["params"]["baseline_T"]) == (6, 2)
    assert lin["params"]["memory_ratio"] > 0
    # quick mode: verify's check of one case against gradcheck's fast mode only
    (ver,) = [r for r in rows if r["name"].startswith("verify one case")]
    assert ver["baseline"] == "torch.autograd.gradcheck (fast mode), same case"
    assert ver["params"] == {"D": 16, "H": 16, "T": 10, "B": 1}
    # whole-process latency of the commands, each against its baseline, with its target
    latency = {r["name"]: r for r in rows if r["name"].startswith("process: ")}
    assert set(latency) == {'process: python -c "import sympy"', "process: import seqcheck",
                            "process: seqcheck list", "process: seqcheck show lstm",
                            "process: seqcheck derive lstm"}
    assert all("target_met" in r["params"] for n, r in latency.items() if "sympy" not in n)


def test_quick_defaults_and_skipping_the_naive_baseline():
    out = bench.run(quick=True, repeats=1, sizes=TINY, naive=False, dtypes=("float64",),
                    linear_steps=(), verify_case=False, latency=False)
    assert [r["params"]["dtype"] for r in out] == ["float64", "float64"]
    assert not any(r["name"].startswith("derive") for r in out)
    with pytest.raises(ValueError, match="repeats"):
        bench.run(repeats=0, naive=False, sizes=TINY)


def test_format_table_lists_every_row_and_marks_a_timed_out_baseline(rows):
    text = bench.format_table(rows)
    lines = text.splitlines()
    assert len(lines) == len(rows) + 1
    assert lines[0].split(" | ")[0].strip() == "name"
    for r, line in zip(rows, lines[1:]):
        assert line.startswith(r["name"])
    timed_out = [line for r, line in zip(rows, lines[1:]) if r.get("baseline_timed_out")]
    assert timed_out and all("> 1.0 ms" in line and "< " in line for line in timed_out)


def test_the_naive_baseline_differentiates_the_spec():
    """sympy.diff of the unrolled scalar LSTM agrees with the compiled derived backward."""
    import sympy as sp

    T, H, D = 2, 1, 1  # T = 2 reaches the recurrent weights; larger sizes take seconds
    grads = bench.naive_sympy_gradients(T, hidden=H, inputs=D)
    spec = load_spec("lstm")
    rng = np.random.default_rng(3)
    params = {n: rng.uniform(-1, 1, bench.spec_shape(d.shape, D=D, H=H))
              for n, d in spec.params.items()}
    x = rng.uniform(-1, 1, (T, 1, D))
    c = compile_numpy(spec, gradients=True, seeded=["h"])
    seed = np.zeros((T, 1, H))
    seed[-1] = 1.0  # L = Σ h_T
    g = c.backward(c.forward(params, {"x": x}), {"h": seed})
    values = {sp.Symbol(f"x_{t + 1}_{k}"): sp.Float(x[t, 0, k])
              for t in range(T) for k in range(D)}
    for name, p in params.items():
        for idx in np.ndindex(p.shape):
            values[sp.Symbol(name + "_" + "".join(map(str, idx)))] = sp.Float(p[idx])
    expected = [g.params[name][idx] for name, p in _naive_order(params) for idx in
                np.ndindex(p.shape)]
    got = [float(e.xreplace(values)) for e in grads]  # evalf(subs=...) takes minutes
    assert len(got) == len(expected) == sum(p.size for p in params.values())
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(got, expected))


def _naive_order(params: dict):
    """The parameters in naive_sympy_gradients' order: W_i*, W_h*, b_i*, b_h* (i, f, c, o)."""
    for kind in ("W_i", "W_h", "b_i", "b_h"):
        for gate in "ifco":
            yield f"{kind}{gate}", params[f"{kind}{gate}"]


def test_latency_rows_time_whole_processes_against_the_interpreter_start():
    from seqcheck.bench.latency import BASELINES, COMMANDS, bench_latency

    said = []
    out = bench_latency(1, {"torch": 1, "openblas": 1}, said.append,
                        commands=["import seqcheck"])
    assert len(said) == 2  # the warm-up round and one timed round
    names = [r["name"] for r in out]
    assert names == ['process: python -c "import sympy"', "process: import seqcheck"]
    for r in out:
        assert KEYS <= set(r) and r["ratio"] == r["seconds"] / r["baseline_seconds"]
    row = out[-1]
    assert row["baseline"] == "python -c pass"
    assert row["params"]["target_seconds"] == COMMANDS["import seqcheck"][2]
    assert row["params"]["target_met"] == (row["seconds"] <= row["params"]["target_seconds"])
    assert row["params"]["over_python_start"] == pytest.approx(
        row["seconds"] - row["baseline_seconds"])
    assert set(BASELINES) == {"python -c pass", 'python -c "import sympy"'}
    with pytest.raises(ValueError, match="unknown command"):
        bench_latency(1, {}, said.append, commands=["seqcheck nothing"])


def test_latency_commands_run_from_cached_bytecode(tmp_path, monkeypatch):
    """Even under PYTHONDONTWRITEBYTECODE (an editable install then compiles its source at
    every start), the commands' environment caches bytecode in a folder of its own."""
    import subprocess
    import sys

    from seqcheck.bench.latency import _environment

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = _environment(str(tmp_path))
    assert "PYTHONDONTWRITEBYTECODE" not in env
    subprocess.run([sys.executable, "-c", "import seqcheck.cli"], env=env, check=True)
    cached = {p.name.split(".")[0] for p in tmp_path.rglob("*.pyc")}
    assert {"app", "errors"} <= cached


def test_a_command_that_fails_is_an_error_not_a_time(monkeypatch):
    from seqcheck.bench import latency

    monkeypatch.setitem(latency.COMMANDS, "broken", (("-c", "raise SystemExit(3)"),
                                                     "python -c pass", 1.0))
    with pytest.raises(RuntimeError, match="exited 3"):
        latency.bench_latency(1, {}, lambda line: None, commands=["broken"])


def test_import_seqcheck_loads_no_stage():
    """What makes the latency targets reachable: ``import seqcheck`` imports neither SymPy,
    NumPy, networkx nor torch; a stage loads when one of its names is first read."""
    import subprocess
    import sys

    code = ("import sys, seqcheck; heavy = [m for m in ('sympy', 'numpy', 'networkx', "
            "'torch', 'hypothesis') if m in sys.modules]; print(heavy); "
            "seqcheck.load_spec; print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["[]", "True"]


def test_the_production_row_times_verify_at_a_size_against_torchs_own_step():
    """Benchmark 6 at a small size: its row's structure and bookkeeping."""
    from seqcheck.bench.production import bench_production

    said = []
    (r,) = bench_production(2, {"torch": 1, "openblas": 1}, said.append,
                            size="D=4,H=6,T=5,B=2,layers=2,bidirectional=1")
    assert KEYS <= set(r) and r["ratio"] == r["seconds"] / r["baseline_seconds"]
    assert said[:2] == ["bench: verify at size D=4,H=6,T=5,B=2,layers=2,bidirectional=1, "
                        f"case {k} of 2" for k in (1, 2)]
    p = r["params"]
    assert (p["D"], p["H"], p["T"], p["B"], p["num_layers"], p["bidirectional"]) == \
        (4, 6, 5, 2, 2, True)
    assert p["cases"] == 2 and p["peak_memory_bytes"] > 0 and 0 < p["worst_margin"] < 1
    assert r["seconds"] == pytest.approx(p["total_seconds"] / 2)
