"""The pytest plugin (seqcheck.campaign): conformance rows and declared checks as pytest
items, run in inner pytest sessions (the pytester fixture), in-process or, for xdist and
the inert default, in a fresh interpreter.

Oracles: the conformance rows' verdicts and details against ``run_conformance`` on the
same rows (the ``seqcheck conformance`` command's library call); the declared checks
against a NumPy Elman unit written from torch's documented equation, once faithful and
once without its recurrent bias; the located error against the malformed file's own
lines; the shards against the unsharded collection.
"""

import re
import textwrap

import pytest

pytest_plugins = ["pytester"]

FAST = ("--seqcheck-engine", "onnx", "--seqcheck-cases", "3", "-p", "no:cacheprovider")

#: A user's cells: a NumPy Elman unit from torch's documented equation
#: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), and the same without b_hh.
USER_CELLS = '''
import numpy as np

from seqcheck import load_spec
from seqcheck.adapters.base import Observed, Target


class NumpyElman(Target):
    states = outputs = ("h",)
    dtypes = ("float64",)
    has_gradients = False

    def __init__(self, recurrent_bias=True):
        self.recurrent_bias = recurrent_bias
        self.name = "NumpyElman" + ("" if recurrent_bias else "(no b_hh)")
        self.description = "a NumPy Elman unit"

    def default_spec(self):
        return load_spec("rnn_torch")

    def run(self, case, dtype, gradients):
        p = case.params
        h, out = case.initial["h"], []
        for x in case.inputs["x"]:
            a = x @ p["W_ih"].T + p["b_ih"] + h @ p["W_hh"].T
            h = np.tanh(a + p["b_hh"] if self.recurrent_bias else a)
            out.append(h)
        return Observed({"h": np.stack(out)}, {"h": h})


FAITHFUL = NumpyElman()
NO_RECURRENT_BIAS = NumpyElman(recurrent_bias=False)
'''

CHECKS = '''
[[checks]]
name = "elman"
target = "usercells_{tag}:FAITHFUL"
spec = "rnn_torch"
cases = 10

[[checks]]
name = "elman-defect"
target = "usercells_{tag}:{defect}"
cases = 10
dtype = ["float64"]
'''


@pytest.fixture(autouse=True, scope="module")
def _loaded_here_first():
    """What the inner sessions load, loaded in this process first: pytester removes the
    modules an in-process session imported, and onnx's extension cannot be loaded twice."""
    import onnx.reference  # noqa: F401
    import onnxruntime  # noqa: F401

    import seqcheck.adapters.onnx  # noqa: F401
    import seqcheck.checks.conformance  # noqa: F401


#: -k of the RNN rows with one direction or clip: defaults, reverse, bidirectional, clip
SIMPLE_RNN = "RNN and not layout and not activation and not sequence_lens"


def _onnx_rows() -> int:
    """How many rows the matrix has for onnx.reference."""
    from seqcheck.checks import conformance

    return len(conformance.entries(["onnx"]))


def _rows(reprec) -> dict:
    """nodeid -> the seqcheck_row property of its call report."""
    return {r.nodeid: dict(r.user_properties)["seqcheck_row"]
            for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"}


def test_conformance_rows_are_items_with_the_commands_verdicts(pytester, monkeypatch):
    from seqcheck.checks import conformance

    reprec = pytester.inline_run(*FAST, "--seqcheck-dtype", "float32", "-k", SIMPLE_RNN)
    rows = _rows(reprec)
    assert list(rows) == [f"seqcheck-conformance::onnx::RNN[{a}float32]" for a in (
        "", "direction=reverse-", "direction=bidirectional-", "clip=0.5-")]
    passed, skipped, failed = reprec.listoutcomes()
    assert (len(passed), len(skipped), len(failed)) == (3, 1, 0)
    assert all(hasattr(r, "wasxfail") for r in skipped)
    # the oracle: the command's own run of the same rows, in the same dtype and seed
    every = conformance.entries
    monkeypatch.setattr(conformance, "entries", lambda engines: [
        e for e in every(engines)
        if e.unit == "RNN" and set(e.attributes) <= {"direction", "clip"}
        and len(e.attributes) < 2])
    expected = conformance.run_conformance(["onnx"], max_examples=3, seed=0, dtype="float32")
    got = [(r["attributes"], r["verdict"], r["detail"], r["spec"]) for r in rows.values()]
    assert got == [(r.attributes, r.verdict, r.detail, r.spec) for r in expected]
    assert [r["verdict"] for r in rows.values()] == ["conforms"] * 3 + ["ignores"]
    reasons = [r.wasxfail for r in skipped]
    assert reasons[0] == "ignores: accepts clip=0.5 and computes the equations without it"


def test_strict_fails_a_row_with_its_verdict_and_counterexample(pytester):
    result = pytester.runpytest(*FAST, "--seqcheck-strict", "--seqcheck-dtype", "float32",
                                "-k", "RNN and clip")
    result.assert_outcomes(failed=1, deselected=_onnx_rows() - 1)
    assert result.ret == 1
    out = result.stdout.str()
    failure = out[out.index("ignores: accepts"):out.index("seqcheck conformance matrix")]
    lines = failure.splitlines()
    assert lines[0] == "ignores: accepts clip=0.5 and computes the equations without it"
    assert lines[1].startswith("does not conform: onnx:RNN against spec 'rnn_torch_clip'")
    assert re.match(r"  counterexample \(3 cases searched, seed 0; replay with --seed 0\): "
                    r"D=\d+, H=\d+", lines[2])
    assert re.match(r"  output h at t = 1\[.*\]: expected .*> tolerance", lines[3])
    assert "Traceback" not in out and "seqcheck/campaign" not in failure
    result.stdout.fnmatch_lines(["FAILED seqcheck-conformance::onnx::RNN[clip=0.5-float32]*"])


def test_lf_reruns_the_failed_row_and_deselect_drops_one_by_its_node_id(pytester):
    args = ("--seqcheck-engine", "onnx", "--seqcheck-cases", "3", "--seqcheck-dtype",
            "float32", "--seqcheck-strict")
    n = _onnx_rows()
    pytester.runpytest(*args, "-k", "RNN and (clip or reverse) and not sequence_lens"
                       ).assert_outcomes(passed=1, failed=1, deselected=n - 2)
    rerun = pytester.runpytest(*args, "--lf")
    rerun.assert_outcomes(failed=1, deselected=n - 1)
    rerun.stdout.fnmatch_lines(["FAILED seqcheck-conformance::onnx::RNN[[]clip=0.5-float32[]]*"])
    dropped = pytester.runpytest(*args, "-k", "RNN and clip", "--deselect",
                                 "seqcheck-conformance::onnx::RNN[clip=0.5-float32]")
    dropped.assert_outcomes(deselected=n)


def test_a_dtype_an_engine_does_not_run_in_is_unavailable_not_failed(pytester):
    reprec = pytester.inline_run("--seqcheck-engine", "onnxruntime", "--seqcheck-dtype",
                                 "float64", "--seqcheck-strict", "-k", "GRU and clip",
                                 "-p", "no:cacheprovider")
    [skipped] = reprec.listoutcomes()[1]
    assert skipped.nodeid == "seqcheck-conformance::onnxruntime::GRU[clip=0.5-float64]"
    assert skipped.longrepr[2] == "Skipped: unavailable: runs in float32 only"
    assert _rows(reprec)[skipped.nodeid]["verdict"] == "unavailable"


def test_an_unknown_engine_is_a_collection_error_without_traceback(pytester):
    result = pytester.runpytest("--seqcheck-engine", "onnxrt", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["unknown engine onnxrt; choose from *onnxruntime*",
                                 "*Interrupted: 1 error during collection*"])
    assert "Traceback" not in result.stdout.str()


def test_declared_checks_pass_and_fail_with_the_counterexample(pytester):
    pytester.makepyfile(usercells_a=USER_CELLS)
    pytester.makefile(".toml", seqcheck_checks=CHECKS.format(tag="a", defect="NO_RECURRENT_BIAS"))
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "seqcheck_checks.toml::elman PASSED*",
        "seqcheck_checks.toml::elman-defect[[]float64[]] FAILED*",
    ])
    out = result.stdout.str()
    text = out[out.index("does not conform: NumpyElman(no b_hh)"):]
    assert text.startswith("does not conform: NumpyElman(no b_hh) against spec 'rnn_torch' "
                           "(a NumPy Elman unit, float64, outputs and states)")
    assert re.search(r"\n  counterexample \(10 cases searched, seed 0; replay with --seed 0\)",
                     text)
    assert re.search(r"\n  output h at t = 1\[0, 0\]: expected -?\d\.\d+, actual", text)
    assert "b_hh" in text.split("explained by:")[1].splitlines()[0]


def test_a_malformed_checks_file_is_one_located_error_per_problem(pytester):
    pytester.makefile(".toml", seqcheck_checks=textwrap.dedent('''\
        [[checks]]
        target = "torch.nn.GRUCell"
        spce = "gru"
        dtype = "float16"
        [[checks]]
        cases = 0
        '''))
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "seqcheck_checks.toml:3:1: error[unknown-key]: unknown key 'spce' in a check",
        '     3 | spce = "gru"',
        "       | ^^^^",
        "  hint: did you mean 'spec'? allowed keys: target, name, spec, cases, seed, dtype, "
        "gradients, mapping, attributes",
        'seqcheck_checks.toml:4:9: error[type-error]: \'dtype\' must be "float32", "float64" '
        "or a list of them, each once",
        '     4 | dtype = "float16"',
        "       |         ^^^^^^^^^",
        "seqcheck_checks.toml:5:3: error[missing-key]: the check has no 'target'",
        "seqcheck_checks.toml:6:9: error[type-error]: 'cases' must be an integer of at least 1",
        "4 errors in checks file seqcheck_checks.toml",
        "*Interrupted: 1 error during collection*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_a_pyproject_declares_checks_under_tool_seqcheck(pytester):
    pytester.makepyfile(usercells_b=USER_CELLS)
    pytester.makepyprojecttoml('[[tool.seqcheck.checks]]\ntarget = "usercells_b:FAITHFUL"\n'
                               "cases = 5\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", "pyproject.toml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["pyproject.toml::usercells_b:FAITHFUL PASSED*"])


def test_a_kept_counterexample_is_replayed_then_dropped_once_fixed(pytester):
    pytester.makepyfile(usercells_c=USER_CELLS)
    db = pytester.path / "db"
    args = ("-p", "no:cacheprovider", "--seqcheck-db", str(db), "-k", "defect")
    pytester.makefile(".toml", seqcheck_checks=CHECKS.format(tag="c", defect="NO_RECURRENT_BIAS"))
    first = pytester.runpytest(*args)
    first.assert_outcomes(failed=1, deselected=1)
    assert "counterexample (10 cases searched" in first.stdout.str()
    [kept] = db.iterdir()
    again = pytester.runpytest(*args)
    again.assert_outcomes(failed=1, deselected=1)
    assert f"counterexample replayed from the case saved in {kept} (seed 0)" in \
        again.stdout.str()
    pytester.makefile(".toml", seqcheck_checks=CHECKS.format(tag="c", defect="FAITHFUL"))
    fixed = pytester.runpytest(*args)
    fixed.assert_outcomes(passed=1, deselected=1)
    assert list(db.iterdir()) == []


def _selected(pytester, *args) -> list[str]:
    """The node ids an inner session selects to run (collection only)."""
    reprec = pytester.inline_run("--co", *args)
    [call] = reprec.getcalls("pytest_collection_finish")
    return [item.nodeid for item in call.session.items]


def test_shards_are_disjoint_and_cover_the_campaign(pytester):
    pytester.makefile(".toml", seqcheck_checks=textwrap.dedent('''\
        [[checks]]
        target = "torch.nn.GRUCell"
        [[checks]]
        target = "torch.nn.LSTMCell"
        '''))
    every = _selected(pytester, *FAST)
    # each ONNX row in float32 and float64, and the two checks
    assert len(every) == 2 * _onnx_rows() + 2
    assert "seqcheck_checks.toml::torch.nn.GRUCell" in every
    shards = [_selected(pytester, *FAST, "--seqcheck-shard", f"{k}/3") for k in (1, 2, 3)]
    assert sorted(sum(shards, [])) == sorted(every)
    assert all(shards)
    result = pytester.runpytest(*FAST, "--seqcheck-shard", "4/3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--seqcheck-shard takes K/N with 1 <= K <= N, e.g. 1/4; "
                                 "got '4/3'"])


def test_n_2_spreads_the_rows_over_two_workers(pytester):
    # (Hypothesis's own pytest plugin is not needed by verify, and costs seconds per process)
    result = pytester.runpytest_subprocess(*FAST, "-n", "2", "-v", "-k",
                                           f"{SIMPLE_RNN} and direction",
                                           "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["2 workers [[]4 items[]]"])
    passed = [line for line in result.outlines if " PASSED " in line]
    workers = {re.match(r"\[(gw\d)\]", line).group(1) for line in passed}
    assert workers == {"gw0", "gw1"}
    assert len(passed) == 4
    # the controller prints the matrix from the workers' reports
    result.stdout.fnmatch_lines(["*seqcheck conformance matrix*",
                                 "onnx * RNN * direction=reverse * float32 * rnn_torch_reverse "
                                 "* conforms (outputs only)"])


def test_the_plugin_is_inert_without_its_options(pytester):
    pytester.makepyprojecttoml('[project]\nname = "unrelated"\n')
    pytester.makepyfile(test_plain='''
        import sys

        def test_plain(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("seqcheck")
            light = ("seqcheck", "seqcheck._lazy", "seqcheck._version", "seqcheck.display",
                     "seqcheck.errors")
            ours = [m for m in sys.modules if m.startswith("seqcheck")]
            assert [m for m in ours if m not in light and
                    not m.startswith("seqcheck.campaign")] == []
            assert [m for m in ("torch", "sympy", "onnx") if m in sys.modules] == []
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1)
    assert [line.split()[0] for line in result.outlines if " PASSED" in line] == [
        "test_plain.py::test_plain"]
    result.stdout.fnmatch_lines(["*collected 1 item"])
    assert "seqcheck conformance matrix" not in result.stdout.str()
