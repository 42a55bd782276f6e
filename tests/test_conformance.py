"""The Target protocol and the conformance matrix: any object implementing
seqcheck.adapters.base.Target is verified; a matrix row that does not conform is
told apart as raising, silently ignoring its attribute, or diverging."""

import json

import numpy as np
import pytest

from seqcheck import load_spec
from seqcheck.adapters.base import Observed, Target
from seqcheck.checks import conformance
from seqcheck.checks.conformance import Entry, format_table
from seqcheck.checks.verify import make_target, verify
from seqcheck.cli import main
from seqcheck.errors import SeqcheckError
from seqcheck.spec import variant

RELU = "relu(W_ih @ x + b_ih + W_hh @ h[t-1] + b_hh)"


class NumpyRNN(Target):
    """A tanh/ReLU Elman unit written in NumPy, from torch's documented equation
    h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh); no autograd.

    behaviour: "honours" the activation attribute, "ignores" it (always tanh),
    "raises" when asked for relu, or "off by one" (adds 1e-3 to every h).
    """

    states = ("h",)
    outputs = ("h",)
    dtypes = ("float64",)
    has_gradients = False

    def __init__(self, activation="tanh", behaviour="honours"):
        self.activation, self.behaviour = activation, behaviour
        self.name = f"NumpyRNN({activation}, {behaviour})"
        self.description = "a NumPy Elman unit"

    def default_spec(self):
        base = load_spec("rnn_torch")
        return variant(base, equations={"h": RELU}) if self.activation == "relu" else base

    def run(self, case, dtype, gradients):
        if self.behaviour == "raises" and self.activation == "relu":
            raise ValueError("activation relu is not implemented")
        p = case.params
        relu = self.activation == "relu" and self.behaviour != "ignores"
        h, out = case.initial["h"], []
        for x in case.inputs["x"]:
            a = x @ p["W_ih"].T + p["b_ih"] + h @ p["W_hh"].T + p["b_hh"]
            h = np.maximum(a, 0) if relu else np.tanh(a)
            if self.behaviour == "off by one":
                h = h + 1e-3
            out.append(h)
        return Observed({"h": np.stack(out)}, {"h": h})


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_target_of_ones_own_conforms(activation):
    result = verify(NumpyRNN(activation), max_examples=20)
    assert result.ok and not result.gradients
    assert result.as_dict()["counterexample"] is None


def test_a_wrong_target_of_ones_own_is_shrunk_and_located():
    result = verify(NumpyRNN(behaviour="off by one"), max_examples=20)
    assert not result.ok
    first = result.check.divergences[0]
    assert first.what == "output h" and first.step == 1
    assert first.actual - first.expected == pytest.approx(1e-3, rel=1e-6)
    assert result.counterexample.steps == 1 and result.counterexample.batch == 2


def test_gradients_of_a_target_without_autograd_are_refused():
    with pytest.raises(SeqcheckError, match="(?s)cannot differentiate.*--no-gradients"):
        verify(NumpyRNN(), gradients=True, max_examples=2)


def test_a_dtype_the_target_does_not_run_in_is_refused():
    with pytest.raises(SeqcheckError, match="does not run in float32; it runs in float64"):
        verify(NumpyRNN(), dtype="float32", max_examples=2)


def test_a_spec_without_the_targets_outputs_is_refused():
    with pytest.raises(SeqcheckError, match="spec 'lstm' defines no h_l0"):
        class Stacked(NumpyRNN):
            outputs = ("h_l0",)
        verify(Stacked(), spec="lstm", max_examples=2)


def test_make_target_refuses_mixed_options():
    with pytest.raises(SeqcheckError, match="carries its own layout"):
        make_target(NumpyRNN(), attributes={"clip": 1.0})
    with pytest.raises(SeqcheckError, match="apply to ONNX targets"):
        make_target("torch.nn.LSTM", attributes={"clip": 1.0})


def _entry(behaviour):
    return Entry("numpy", "RNN", {"activation": "relu"},
                 lambda: NumpyRNN("relu", behaviour), lambda: NumpyRNN("tanh"))


@pytest.mark.parametrize("behaviour, verdict, detail", [
    ("honours", "conforms", ""),
    ("ignores", "ignores", "accepts activation=relu and computes the equations without it"),
    ("raises", "raises", "ValueError: activation relu is not implemented"),
    ("off by one", "diverges", "output h at t = 1"),
])
def test_a_row_says_how_it_differs(behaviour, verdict, detail):
    [row] = conformance._run_one(_entry(behaviour), 15, 0, None)
    assert (row.verdict, row.dtype, row.gradients) == (verdict, "float64", False)
    assert row.detail.startswith(detail)
    text = format_table([row])
    assert text.splitlines()[0].split() == ["engine", "unit", "attributes", "dtype", "spec",
                                            "verdict"]
    assert ("findings:" in text) == (verdict != "conforms")


def test_an_engine_that_cannot_be_built_is_listed_unavailable():
    def missing():
        raise SeqcheckError("onnxruntime is not installed: pip install 'seqcheck[onnx]'")

    [row] = conformance._run_one(Entry("onnxruntime", "GRU", {}, missing), 5, 0, None)
    assert row.verdict == "unavailable" and "pip install" in row.detail


def test_unknown_engines_are_refused():
    with pytest.raises(SeqcheckError, match="unknown engine tensorflow"):
        conformance.entries(["tensorflow"])


def test_cli_conformance_torch_json(capsys):
    assert main(["conformance", "--engine", "torch", "--max-examples", "3",
                 "--dtype", "float64", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["rows"]
    units = {(r["unit"], json.dumps(r["attributes"], sort_keys=True)) for r in rows}
    assert ("LSTMCell", "{}") in units and ("GRU", '{"bidirectional": true}') in units
    assert all(r["dtype"] == "float64" and r["gradients"] for r in rows)
    assert all(r["ok"] for r in rows), [r for r in rows if not r["ok"]]


def test_identify_and_conformance_leave_an_instance_exactly_as_it_was():
    import torch

    from seqcheck.adapters.torch_nn import TorchTarget
    from seqcheck.checks.identify import identify

    cell = torch.nn.GRUCell(3, 4).double().eval()
    cell.weight_hh.requires_grad_(False)
    before = {n: p.detach().clone() for n, p in cell.named_parameters()}
    flags = {n: p.requires_grad for n, p in cell.named_parameters()}
    rng = torch.get_rng_state()

    assert identify(cell, max_examples=3).matches
    [row] = conformance._run_one(Entry("torch", "GRUCell", {}, lambda: TorchTarget(cell)),
                                 3, 0, "float64")
    assert row.verdict == "conforms"
    for n, p in cell.named_parameters():
        assert torch.equal(p.detach(), before[n]) and p.requires_grad == flags[n]
        assert p.grad is None
    assert not cell.training and torch.equal(torch.get_rng_state(), rng)


def test_a_new_engine_is_one_module_and_one_row_of_engines(monkeypatch):
    """seqcheck.adapters.engines: a module offering named_target() and a row in ENGINES
    make "<engine>:<unit>" a target verify and make_target accept by name."""
    import sys
    import types

    from seqcheck.adapters import engines

    def named_target(text, attributes):
        unit = text.partition(":")[2]
        if unit != "Elman":
            raise SeqcheckError(f"unknown unit {unit!r}; the numpy engine runs numpy:Elman")
        return NumpyRNN(**(attributes or {}))

    module = types.ModuleType("numpy_engine")
    module.named_target = named_target
    monkeypatch.setitem(sys.modules, "numpy_engine", module)
    monkeypatch.setitem(engines.ENGINES, "numpy", "numpy_engine")

    assert engines.engine_of("numpy:Elman") == "numpy"
    good = verify("numpy:Elman", attributes={"activation": "relu"}, max_examples=10)
    assert good.ok and good.target == "NumpyRNN(relu, honours)"
    bad = verify("numpy:Elman", attributes={"activation": "relu", "behaviour": "ignores"},
                 max_examples=10)
    assert not bad.ok and bad.check.divergences[0].what == "output h"
    with pytest.raises(SeqcheckError, match="unknown unit 'GRU'"):
        make_target("numpy:GRU")
    with pytest.raises(SeqcheckError, match="runs on numpy, in numpy's layout"):
        make_target("numpy:Elman", mapping="cell.toml")


def test_an_object_of_a_new_package_is_one_module_and_one_row_of_packages(monkeypatch):
    """seqcheck.adapters.engines.PACKAGES: objects defined in a package with a row are held
    by its adapter's object_target(), classes and instances alike, by name or by value."""
    import sys
    import types

    from seqcheck.adapters import engines

    cells = types.ModuleType("numpycells")
    elman = type("Elman", (), {"__module__": "numpycells"})  # a class of that package
    cells.Elman = elman
    adapter = types.ModuleType("numpycells_adapter")

    def object_target(obj, name):
        if obj is not elman and not isinstance(obj, elman):
            raise SeqcheckError(f"numpycells has no adapter for {obj!r}")
        return NumpyRNN()

    adapter.object_target = object_target
    monkeypatch.setitem(sys.modules, "numpycells", cells)
    monkeypatch.setitem(sys.modules, "numpycells_adapter", adapter)
    monkeypatch.setitem(engines.PACKAGES, "numpycells", "numpycells_adapter")

    assert engines.package_of(elman) == engines.package_of(elman()) == "numpycells"
    assert engines.package_of(cells) == "numpycells"
    assert isinstance(make_target("numpycells:Elman"), NumpyRNN)
    assert verify(elman(), max_examples=5).ok
    with pytest.raises(SeqcheckError, match="no adapter for"):
        make_target(type("Other", (), {"__module__": "numpycells.sub"}))
    # torch's modules are no PACKAGES row: they go on to torch's own layouts
    import torch

    assert engines.object_target(torch.nn.GRUCell) is None


def test_cli_conformance_torchscript_json(capsys):
    """torch.nn's cells scripted and its sequence modules traced, held to torch's equations
    with gradients (TorchScript modules are copied by save and load)."""
    assert main(["conformance", "--engine", "torchscript", "--max-examples", "3",
                 "--dtype", "float64", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {(r["unit"], r["attributes"]["compiled by"]) for r in rows} == {
        (u, "torch.jit.script") for u in ("RNNCell", "LSTMCell", "GRUCell")} | {
        (u, "torch.jit.trace") for u in ("RNN", "LSTM", "GRU")}
    failed = [(r["unit"], r["detail"]) for r in rows if not r["ok"]]
    assert all(r["gradients"] for r in rows) and not failed, failed


def test_keras_rows_pin_its_float64_matmul():
    """Keras's layers conform in float64 where torch's backend runs the whole sequence
    (LSTM, GRU); its cells multiply through keras.ops.matmul, whose type promotion runs
    float64 in float32 (keras-team/keras#23704): they diverge by ~1e-8, and the row says so."""
    from seqcheck.adapters.keras import before_import

    before_import()  # a backend installed here (torch), as the command line picks it
    pytest.importorskip("keras", reason="the keras rows need keras (pip install 'seqcheck[keras]')")
    rows = {(e.unit, tuple(e.attributes.items())): e for e in conformance.entries(["keras"])}
    [gru] = conformance._run_one(rows[("GRU", ())], 5, 0, "float64")
    assert gru.verdict == "conforms" and gru.gradients, gru
    [cell] = conformance._run_one(rows[("GRUCell", ())], 5, 0, "float64")
    assert cell.verdict == "diverges", cell
    assert "relative" in cell.detail and "> tolerance" in cell.detail
    [cell32] = conformance._run_one(rows[("GRUCell", ())], 5, 0, "float32")
    assert cell32.verdict == "conforms", cell32


def test_onnx_export_rows_hold_each_exporters_graph_to_the_module():
    """torch.onnx.export's graphs of torch.nn's modules, one row per exporter: TorchScript
    writes GRU with linear_before_reset=1 (torch's equations); dynamo unrolls RNN into
    MatMul/Add/Tanh, which is not a graph of recurrent nodes (unavailable, with why)."""
    pytest.importorskip("onnxscript", reason="the dynamo exporter needs onnxscript")
    rows = {(e.unit, tuple(e.attributes.items())): e for e in conformance.entries(["onnx-export"])}
    [gru] = conformance._run_one(rows[("GRU", (("exporter", "torchscript"),))], 5, 0, None)
    assert (gru.verdict, gru.spec, gru.gradients) == ("conforms", "gru", False), gru
    [rnn] = conformance._run_one(rows[("RNN", (("exporter", "dynamo"),))], 5, 0, None)
    assert rnn.verdict == "unavailable" and "unrolled recurrence" in rnn.detail, rnn
