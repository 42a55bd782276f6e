"""ONNX graphs as targets (seqcheck.adapters.onnx_file): hand-built graphs and torch's exports.

Oracles, none sharing seqcheck's code:

- :func:`_lstm` and :func:`_gru` below: NumPy transcriptions of onnx.reference's
  ``CommonLSTM._run_forward`` (onnx/reference/ops/op_lstm.py) and
  ``CommonGRU._run_forward`` (op_gru.py), onnx 1.23.2, first pinned against onnxruntime
  running the hand-built graphs (whose Transpose, Concat and Squeeze are written out again
  in NumPy here);
- for torch's exports, the torch module itself: the exported graph, run by onnxruntime on
  the module's own weights, against the module's outputs.

Then: seqcheck finds the hand-built graphs conforming to ``lstm`` / ``gru_lbr0``, and finds
each planted defect in the graph's own form (gates permuted in an initializer-feeding
Concat, a wrong linear_before_reset, a dropped or constant-zero bias, a Transpose that
exchanges the wrong axes); what each of torch 2.13's exporters writes is pinned, with the
verdict on it; and the CLI's exit codes and text.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX graphs need onnx (pip install 'seqcheck[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="ONNX graphs run on onnxruntime")
torch = pytest.importorskip("torch", reason="the exports are of torch modules")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import seqcheck  # noqa: E402
from seqcheck import SeqcheckError  # noqa: E402
from seqcheck.adapters.onnx_file import (  # noqa: E402
    OnnxFileTarget,
    export_model,
    export_targets,
)
from seqcheck.adapters.onnx_file.nodes import read_node  # noqa: E402
from seqcheck.adapters.torch_nn import layout_for  # noqa: E402
from seqcheck.cli import main  # noqa: E402

D, H = 3, 2


# -- the oracles: onnx.reference's forward passes, in NumPy ------------------------------
def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _lstm(X, W, R, B, h0, c0):
    """One forward LSTM direction: X [T, B, D], W [4H, D], R [4H, H], B [8H], h0/c0 [B, H];
    returns Y [T, B, H], Y_h, Y_c (op_lstm.py: gates i, o, f, c; Wb + Rb; no peepholes)."""
    h, c, ys = h0, c0, []
    for x in X:
        gates = x @ W.T + h @ R.T + np.add(*np.split(B, 2))
        i, o, f, g = np.split(gates, 4, -1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        ys.append(h)
    return np.stack(ys), h, c


def _gru(X, W, R, B, h0, linear_before_reset):
    """One forward GRU direction (op_gru.py: gates z, r, h; reset before or after R h)."""
    w_z, w_r, w_h = np.split(W, 3)
    r_z, r_r, r_h = np.split(R, 3)
    wb_z, wb_r, wb_h, rb_z, rb_r, rb_h = np.split(B, 6)
    h, ys = h0, []
    for x in X:
        z = _sigmoid(x @ w_z.T + h @ r_z.T + wb_z + rb_z)
        r = _sigmoid(x @ w_r.T + h @ r_r.T + wb_r + rb_r)
        if linear_before_reset:
            n = np.tanh(x @ w_h.T + r * (h @ r_h.T + rb_h) + wb_h)
        else:
            n = np.tanh(x @ w_h.T + (r * h) @ r_h.T + wb_h + rb_h)
        h = (1 - z) * n + z * h
        ys.append(h)
    return np.stack(ys), h


# -- hand-built graphs -------------------------------------------------------------------
def _f32(a):
    return np.asarray(a, dtype=np.float32)


def _lstm_graph(order="iofc", bias="initializers", perm=(1, 0, 2), static=False, seed=0):
    """x [B, T, D] -> Transpose -> LSTM (W, R, B concatenated from one initializer per gate
    block, in ``order``) -> Y squeezed and transposed back to y [B, T, H], Y_h squeezed."""
    rng = np.random.default_rng(seed)
    inits = {f"{w}_{g}": _f32(rng.uniform(-1, 1, (H, D if w == "W" else H) if w in "WR"
                                          else (H,)))
             for w in ("W", "R", "Wb", "Rb") for g in "iofc"}
    tensors = [numpy_helper.from_array(v, k) for k, v in inits.items()]
    tensors += [numpy_helper.from_array(np.array([k], np.int64), f"axis{k}") for k in (0, 1)]
    nodes = [helper.make_node("Transpose", ["x"], ["X"], perm=list(perm))]
    for w in ("W", "R"):
        nodes += [helper.make_node("Concat", [f"{w}_{g}" for g in order], [f"{w}_all"], axis=0),
                  helper.make_node("Unsqueeze", [f"{w}_all", "axis0"], [w])]
    b = "B"
    if bias == "initializers":
        nodes += [helper.make_node("Concat", [f"{w}_{g}" for w in ("Wb", "Rb") for g in order],
                                   ["B_all"], axis=0),
                  helper.make_node("Unsqueeze", ["B_all", "axis0"], ["B"])]
    elif bias == "zeros":  # a Constant node: no initializer holds the biases
        nodes.append(helper.make_node("Constant", [], ["B"], value=numpy_helper.from_array(
            np.zeros((1, 8 * H), np.float32))))
    else:
        b = ""
    nodes += [helper.make_node("LSTM", ["X", "W", "R", b, "", "h0", "c0"], ["Y", "Y_h", "Y_c"],
                               hidden_size=H, name="lstm"),
              helper.make_node("Squeeze", ["Y", "axis1"], ["Y_steps"]),
              helper.make_node("Transpose", ["Y_steps"], ["y"], perm=[1, 0, 2]),
              helper.make_node("Squeeze", ["Y_h", "axis0"], ["h_n"])]
    batch, steps = (2, 4) if static else ("batch", "steps")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, steps, D])]
    inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, batch, H])
               for n in ("h0", "c0")]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
               for n in ("y", "h_n", "Y_c")]
    graph = helper.make_graph(nodes, "lstm_batch_first", inputs, outputs, tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model, inits


def _gru_graph(linear_before_reset: int, seed=1, dtype=np.float32):
    """One time-major GRU node whose outputs are the graph's: x [T, B, D] -> Y, Y_h."""
    rng = np.random.default_rng(seed)
    inits = {"W": rng.uniform(-1, 1, (1, 3 * H, D)).astype(dtype),
             "R": rng.uniform(-1, 1, (1, 3 * H, H)).astype(dtype),
             "B": rng.uniform(-1, 1, (1, 6 * H)).astype(dtype)}
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    node = helper.make_node("GRU", ["x", "W", "R", "B", "", "h0"], ["Y", "Y_h"], hidden_size=H,
                            linear_before_reset=linear_before_reset)
    graph = helper.make_graph(
        [node], "gru",
        [helper.make_tensor_value_info("x", elem, ["T", "B", D]),
         helper.make_tensor_value_info("h0", elem, [1, "B", H])],
        [helper.make_tensor_value_info(n, elem, None) for n in ("Y", "Y_h")],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model, inits


def _session(model):
    options = ort.SessionOptions()
    options.log_severity_level = 4
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def test_the_oracles_are_what_onnxruntime_computes_on_the_hand_built_graphs():
    rng = np.random.default_rng(5)
    T, B = 4, 3
    x, h0, c0 = (_f32(rng.normal(size=s)) for s in ((B, T, D), (1, B, H), (1, B, H)))
    model, w = _lstm_graph()
    y, h_n, c_n = _session(model).run(None, {"x": x, "h0": h0, "c0": c0})
    stack = {k: np.concatenate([w[f"{k}_{g}"] for g in "iofc"]) for k in ("W", "R", "Wb", "Rb")}
    Y, Y_h, Y_c = _lstm(x.transpose(1, 0, 2), stack["W"], stack["R"],
                        np.concatenate([stack["Wb"], stack["Rb"]]), h0[0], c0[0])
    np.testing.assert_allclose(y, Y.transpose(1, 0, 2), atol=1e-5)
    np.testing.assert_allclose(h_n, Y_h, atol=1e-5)
    np.testing.assert_allclose(c_n[0], Y_c, atol=1e-5)
    for lbr in (0, 1):
        model, w = _gru_graph(lbr)
        Y, Y_h = _session(model).run(None, {"x": x.transpose(1, 0, 2), "h0": h0})
        want, want_h = _gru(x.transpose(1, 0, 2), w["W"][0], w["R"][0], w["B"][0], h0[0], lbr)
        np.testing.assert_allclose(Y[:, 0], want, atol=1e-5)
        np.testing.assert_allclose(Y_h[0], want_h, atol=1e-5)
    step = x.transpose(1, 0, 2)[:1]  # and the two reset placements differ on one step
    assert np.abs(_gru(step, w["W"][0], w["R"][0], w["B"][0], h0[0], 0)[0]
                  - _gru(step, w["W"][0], w["R"][0], w["B"][0], h0[0], 1)[0]).max() > 1e-2


@pytest.mark.parametrize("engine", ["onnxruntime", "onnx"])
def test_a_batch_first_lstm_graph_conforms_to_lstm(engine):
    target = OnnxFileTarget(_lstm_graph()[0], engine=engine)
    assert (target.outputs, target.states, target.dtypes) == (("h",), ("h", "c"), ("float32",))
    assert target.default_spec().name == "lstm"
    assert "x: input 'x' [B, T, 3]" in target.description
    assert "W from W_i, W_o, W_f, W_c" in target.description  # in the order W holds them
    result = seqcheck.verify(target, max_examples=15)
    assert result.ok, str(result)


MAPPING = """\
spec = "lstm"
call = "sequence"
states = ["h", "c"]
outputs = ["h"]
batch_first = true

[params]
""" + "".join(f'{w}_{k}{g} = "{t}_{g}"\n' for w, k, t in (("W", "i", "W"), ("W", "h", "R"),
                                                         ("b", "i", "Wb"), ("b", "h", "Rb"))
              for g in "iofc")


def test_gates_permuted_in_an_initializer_concat_fail_against_a_mapping(tmp_path):
    # The graph concatenates its per-gate initializers as i, f, o, c where ONNX reads
    # i, o, f, c. The mapping says which initializer holds which gate.
    path = tmp_path / "gates.toml"
    path.write_text(MAPPING)
    good = OnnxFileTarget(_lstm_graph()[0], mapping=path)
    assert seqcheck.verify(good, max_examples=10).ok
    bad = OnnxFileTarget(_lstm_graph(order="ifoc")[0], mapping=path)
    result = seqcheck.verify(bad, max_examples=20)
    assert not result.ok
    assert result.check.divergences[0].what in ("output h", "final state h", "final state c")
    assert result.explanation.startswith("gates 'f' and 'o' exchange their parameters")
    # Without a mapping the initializers are free: the Concat's order is a renaming of
    # them, which the description shows, and the graph still computes an LSTM.
    free = OnnxFileTarget(_lstm_graph(order="ifoc")[0])
    assert "W from W_i, W_f, W_o, W_c" in free.description
    assert seqcheck.verify(free, max_examples=10).ok


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace('"W_c"', '"W_x"'), "names 'W_x', which is no initializer that "
                                            "ONNX model's W, R, B or P reads; those are W_i, "
                                            "W_o, W_f, W_c, R_i"),
    (lambda t: t.replace('call = "sequence"', 'call = "cell"'), "an ONNX graph is called "
                                                                "once per sequence"),
])
def test_a_mapping_that_does_not_fit_the_graph_is_refused(tmp_path, edit, message):
    path = tmp_path / "gates.toml"
    text = edit(MAPPING)
    if 'call = "cell"' in text:
        text = text.replace('outputs = ["h"]\n', "").replace("batch_first = true\n", "")
    path.write_text(text)
    with pytest.raises(SeqcheckError, match=re.escape(message)):
        OnnxFileTarget(_lstm_graph()[0], mapping=path)


def test_a_state_the_graph_fixes_is_fed_at_the_node(torch_one_thread):
    # torch.onnx.export without h0: the TorchScript exporter builds zeros of x's batch
    import io

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(torch.nn.GRU(3, 5), (torch.randn(4, 2, 3),), buffer, dynamo=False)
    target = OnnxFileTarget(onnx.load_from_string(buffer.getvalue()), spec="gru")
    assert "initial_h of GRU '/GRU': fixed by the graph, fed at the node" in target.description
    assert target.states == ("h",)
    assert seqcheck.verify(target, max_examples=10).ok


def test_a_gru_with_the_reset_before_the_product_is_not_torchs_gru():
    lbr0 = OnnxFileTarget(_gru_graph(0)[0], name="gru.onnx")
    assert lbr0.default_spec().name == "gru_lbr0"
    assert seqcheck.verify(lbr0, max_examples=10).ok
    result = seqcheck.verify(lbr0, spec="gru", max_examples=20)
    assert not result.ok and result.check.divergences[0].what == "output h"
    assert "GRU node 0 (linear_before_reset=0)" in result.layout
    assert "its attributes document spec 'gru_lbr0'" in result.layout
    assert result.explanation.startswith("equation 'n' applies the reset before the recurrent "
                                         "product"), result.explanation
    assert seqcheck.verify(OnnxFileTarget(_gru_graph(1)[0]), spec="gru", max_examples=10).ok
    # and the other way: torch's placement held to ONNX's default equations
    result = seqcheck.verify(OnnxFileTarget(_gru_graph(1)[0]), spec="gru_lbr0", max_examples=20)
    assert not result.ok
    assert result.explanation.startswith("equation 'n' applies the reset after"), result


def test_a_float64_graph_runs_in_float64_on_onnx_reference():
    target = OnnxFileTarget(_gru_graph(1, dtype=np.float64)[0], engine="onnx")
    assert target.dtypes == ("float64",)
    assert seqcheck.verify(target, spec="gru", max_examples=10).ok
    # onnxruntime 1.31 has no float64 GRU kernel: every case raises, and verify says so
    result = seqcheck.verify(OnnxFileTarget(_gru_graph(1, dtype=np.float64)[0]), spec="gru",
                             max_examples=5)
    assert not result.ok and "GRU operator does not support double yet" in result.check.error


def test_a_batch_major_lstm_node_layout_1():
    # layout = 1: X [B, T, D], initial states [B, nd, H], Y [B, T, nd, H] (ONNX opset 14+)
    rng = np.random.default_rng(2)
    tensors = [numpy_helper.from_array(_f32(rng.uniform(-1, 1, shape)), name) for name, shape in
               (("W", (1, 4 * H, D)), ("R", (1, 4 * H, H)), ("B", (1, 8 * H)))]
    node = helper.make_node("LSTM", ["x", "W", "R", "B", "", "h0", "c0"], ["Y", "Y_h", "Y_c"],
                            hidden_size=H, layout=1)
    graph = helper.make_graph(
        [node], "lstm_layout_1",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", "T", D])]
        + [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["B", 1, H]) for n in ("h0", "c0")],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("Y", "Y_h", "Y_c")],
        tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    target = OnnxFileTarget(model, engine="onnx")
    assert "LSTM node 0 (layout=1)" in target.description
    assert "x: input 'x' [B, T, 3]" in target.description
    assert seqcheck.verify(target, max_examples=10).ok
    # onnxruntime 1.31 refuses layout = 1 ("Batchwise recurrent operations ... not supported")
    result = seqcheck.verify(OnnxFileTarget(model), max_examples=3)
    assert not result.ok and "layout" in result.check.error


@pytest.mark.parametrize("bias", ["absent", "zeros"])
def test_a_dropped_or_constant_zero_bias_diverges_and_says_where(bias):
    target = OnnxFileTarget(_lstm_graph(bias=bias)[0])
    result = seqcheck.verify(target, max_examples=20)
    assert not result.ok and result.check.divergences[0].what == "output h"
    assert ("no place in the graph for b_ii, b_if, b_ic, b_io, b_hi, b_hf, b_hc, b_ho"
            in result.layout)
    assert ("B from constants" if bias == "zeros" else "B left out (ONNX: zeros)") in (
        result.layout)


def test_a_transpose_that_exchanges_the_wrong_axes_is_found():
    # Declared sizes (batch 2, 4 steps) contradict what the node reads as its batch axis.
    with pytest.raises(SeqcheckError) as e:
        OnnxFileTarget(_lstm_graph(perm=(0, 1, 2), static=True)[0])
    assert str(e.value) == (
        "the graph's declared sizes contradict its recurrent nodes: input 'c0' axis 1 = 2, "
        "input 'h0' axis 1 = 2, input 'x' axis 1 = 4 are all the batch axis of a node, so "
        "the graph cannot run at the sizes it declares (a Transpose that exchanges the "
        "wrong axes?)")
    # Free sizes: the graph is then a time-major LSTM, which its users' layout contradicts.
    with pytest.raises(SeqcheckError, match=r"reads x from input 'x' as \[T, B, 3\], but its "
                                            r"users feed it \[B, T, D\] \(batch_first=True\)"):
        OnnxFileTarget(_lstm_graph(perm=(0, 1, 2))[0], batch_first=True)
    assert seqcheck.verify(OnnxFileTarget(_lstm_graph(perm=(0, 1, 2))[0]), max_examples=5).ok


def _edited(model, edit):
    model = onnx.ModelProto.FromString(model.SerializeToString())
    edit(model.graph)
    return model


def test_what_is_not_a_recurrent_node_plus_reshapes_is_refused():
    def scale_x(g):  # x * 2 before the node: arithmetic on the data
        g.initializer.append(numpy_helper.from_array(np.array(2, np.float32), "two"))
        g.node.insert(0, helper.make_node("Mul", ["x", "two"], ["x2"]))
        g.node[1].input[0] = "x2"

    with pytest.raises(SeqcheckError, match=r"^the graph computes X of LSTM 'lstm' from its "
                                            r"inputs with arithmetic \(Mul\)"):
        OnnxFileTarget(_edited(_lstm_graph()[0], scale_x))

    def no_node(g):
        del g.node[:]

    with pytest.raises(SeqcheckError, match=r"^the graph has no RNN, LSTM or GRU node \(it "
                                            r"holds no nodes\)"):
        OnnxFileTarget(_edited(_lstm_graph()[0], no_node))
    with pytest.raises(SeqcheckError, match="cannot read .* as an ONNX model"):
        OnnxFileTarget(__file__)


def test_a_missing_engine_names_the_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)
    with pytest.raises(SeqcheckError, match=r"^ONNX graphs run on onnxruntime, which needs the "
                                            r"onnxruntime package, not installed: pip install "
                                            r"'seqcheck\[onnx\]'$"):
        OnnxFileTarget(_lstm_graph()[0])


# -- torch's exporters ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def exports(torch_one_thread):
    """export_targets of four modules, both exporters each (the slow part, done once)."""
    made = {"GRU": torch.nn.GRU, "LSTM batch_first": lambda d, h: torch.nn.LSTM(
        d, h, batch_first=True), "RNN": torch.nn.RNN,
        "GRU 2 layers bidirectional": lambda d, h: torch.nn.GRU(d, h, num_layers=2,
                                                                bidirectional=True)}
    return {k: {e.exporter: e for e in export_targets(f, name=k)} for k, f in made.items()}


def _node_ops(model):
    return [n.op_type for n in model.graph.node if n.op_type in ("RNN", "LSTM", "GRU")]


@pytest.mark.parametrize(("unit", "exporter"), [
    ("GRU", "torchscript"), ("GRU", "dynamo"), ("LSTM", "torchscript"), ("LSTM", "dynamo"),
    ("RNN", "torchscript")])
def test_an_exported_graph_computes_what_the_module_computes(torch_one_thread, unit, exporter):
    torch.manual_seed(3)
    module = getattr(torch.nn, unit)(3, 5, batch_first=True)
    model = export_model(module, exporter)
    assert _node_ops(model) == [unit]
    x = torch.randn(3, 6, 3)  # sizes other than the export's (batch 2, 4 steps) fail there
    h = (torch.randn(1, 3, 5), torch.randn(1, 3, 5)) if unit == "LSTM" else torch.randn(1, 3, 5)
    with torch.no_grad():
        y, state = module(x, h)
    feeds = {"x": x.numpy(), "h0": (h[0] if unit == "LSTM" else h).numpy()}
    if unit == "LSTM":
        feeds["c0"] = h[1].numpy()
    ours = OnnxFileTarget(model).recognised  # sizes freed: any batch and length
    feeds.update({k: _f32(v) for k, v in ours.weights.items()})  # the module's own weights
    got = _session(ours.model).run(None, feeds)
    want = [y, *(state if unit == "LSTM" else (state,))]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b.numpy(), atol=2e-6)


def test_both_exporters_write_torchs_gru_with_the_reset_after_the_product(torch_one_thread):
    # torch 2.13: symbolic_opset9._generic_rnn and onnxscript 0.7.2's aten_gru both write
    # linear_before_reset=1 (onnxscript 0.6.2 wrote none, so the ONNX default 0:
    # microsoft/onnxscript#2852; test_planted_exporter_defects_are_found plants it).
    for exporter in ("torchscript", "dynamo"):
        model = export_model(torch.nn.GRU(3, 5), exporter)
        (gru,) = [n for n in model.graph.node if n.op_type == "GRU"]
        assert {a.name: helper.get_attribute_value(a) for a in gru.attribute}[
            "linear_before_reset"] == 1


def test_every_exported_gru_and_lstm_conforms_to_the_modules_spec(exports):
    for unit, by_exporter in exports.items():
        for exporter, e in by_exporter.items():
            if unit == "RNN" and exporter == "dynamo":
                continue
            assert e.error is None, (unit, exporter, e.error)
            assert e.spec.name == layout_for(_module_of(unit)).spec().name
            result = seqcheck.verify(e.target, max_examples=10)
            assert result.ok, str(result)
            assert result.target == f"{unit} exported by {exporter}"
    bidirectional = exports["GRU 2 layers bidirectional"]["dynamo"].target
    assert bidirectional.outputs == ("h_l1", "h_l1_reverse")
    assert bidirectional.states == ("h_l0", "h_l0_reverse", "h_l1", "h_l1_reverse")
    assert exports["LSTM batch_first"]["torchscript"].target.states == ("h", "c")


def _module_of(unit):
    return {"GRU": torch.nn.GRU(3, 5), "LSTM batch_first": torch.nn.LSTM(3, 5, batch_first=True),
            "RNN": torch.nn.RNN(3, 5),
            "GRU 2 layers bidirectional": torch.nn.GRU(3, 5, num_layers=2,
                                                       bidirectional=True)}[unit]


def test_the_dynamo_exporter_unrolls_torch_nn_rnn(exports):
    assert exports["RNN"]["torchscript"].error is None
    error = exports["RNN"]["dynamo"].error
    assert error.startswith("the graph has no RNN, LSTM or GRU node (it holds Add x9, Concat "
                            "x1, MatMul x5, Slice x5, Squeeze x6, Tanh x4, Unsqueeze x2): an "
                            "unrolled recurrence is not recognised")


def test_the_dynamo_exporter_writes_the_example_length_into_its_graph(torch_one_thread):
    # The dynamo export frees its static sizes (the Reshape of Y holds [4, 2, 5]) ...
    target = export_targets(torch.nn.GRU, ["dynamo"])[0].target
    assert "freed: Reshape " in target.description
    assert "constant shape [4, 2, 5] -> [0, 0, 5]" in target.description
    # ... and with dynamic_shapes T = Dim("T") it still runs at T = 4 only: the input is
    # declared 4 (so it is after an earlier export in the process), or declared "T" while
    # the Reshape of Y still holds the constant 4 (a process's first export), torch 2.13.
    from torch.export import Dim

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(torch.nn.GRU(3, 5), (torch.randn(4, 2, 3),
                                                         torch.randn(1, 2, 5)),
                                    dynamo=True, verbose=False, input_names=["x", "h0"],
                                    dynamic_shapes=({0: Dim("T"), 1: Dim("B")}, {1: Dim("B")}))
    model = program.model_proto
    declared = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert declared[1:] == ["B", 3] and declared[0] in ("T", 4)
    feeds = {"x": np.zeros((6, 2, 3), np.float32), "h0": np.zeros((1, 2, 5), np.float32)}
    with pytest.raises(Exception, match="Reshape" if declared[0] == "T" else "dimensions"):
        _session(model).run(None, feeds)
    result = seqcheck.verify(OnnxFileTarget(model, spec="gru"), max_examples=10)
    if declared[0] == "T":  # declared free but fixed inside: verify reports what it raised
        assert not result.ok and "Reshape" in result.check.error
        assert result.counterexample.steps != 4
    else:  # declared fixed: seqcheck frees it, and the GRU conforms
        assert result.ok, str(result)


def _swap_blocks(first: int, second: int, H_: int = 5):
    """An exporter that writes two gate blocks of W, R and B in each other's place."""
    def export(module):
        model = export_model(module, "torchscript")
        for init in model.graph.initializer:
            if init.name.startswith("onnx::GRU"):
                a = numpy_helper.to_array(init).copy()
                for half in range(a.shape[1] // (3 * H_)):
                    lo = half * 3 * H_
                    rows = np.r_[lo:lo + 3 * H_]
                    rows[[first * H_ + k for k in range(H_)]], rows[
                        [second * H_ + k for k in range(H_)]] = (
                        lo + np.arange(second * H_, second * H_ + H_),
                        lo + np.arange(first * H_, first * H_ + H_))
                    a[:, lo:lo + 3 * H_] = a[:, rows]
                init.CopyFrom(numpy_helper.from_array(a, init.name))
        return model
    return export


def _without_linear_before_reset(module):
    model = export_model(module, "torchscript")
    for node in model.graph.node:
        if node.op_type == "GRU":
            for a in node.attribute:
                if a.name == "linear_before_reset":
                    a.i = 0
    return model


def test_planted_exporter_defects_are_found(torch_one_thread):
    (swapped,) = export_targets(torch.nn.GRU, [("swaps z and r", _swap_blocks(0, 1))])
    result = seqcheck.verify(swapped.target, max_examples=20)
    assert not result.ok
    assert result.explanation.startswith("gates 'r' and 'z' exchange their parameters")
    (lbr0,) = export_targets(torch.nn.GRU, [("no reset after", _without_linear_before_reset)])
    result = seqcheck.verify(lbr0.target, max_examples=20)
    assert not result.ok and result.check.divergences[0].what == "output h"
    assert result.spec == "gru" and "its attributes document spec 'gru_lbr0'" in result.layout
    worst = max(abs(d.expected - d.actual) for d in result.check.divergences)
    assert worst > 1e-2


# -- the command line ----------------------------------------------------------------------
def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_verifies_a_graph_file(capsys, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(_lstm_graph()[0], path)
    code, out, _ = _run(capsys, "verify", str(path), "--spec", "lstm", "--max-examples", "10")
    assert code == 0 and out.startswith("conforms: model.onnx against spec 'lstm' (ONNX graph "
                                        "on onnxruntime: LSTM 'lstm'; x: input 'x' [B, T, 3]")
    code, out, _ = _run(capsys, "verify", str(path), "--engine", "onnx", "--max-examples", "5")
    assert code == 0 and "ONNX graph on onnx:" in out
    gru = tmp_path / "gru.onnx"
    onnx.save(_gru_graph(0)[0], gru)
    code, out, _ = _run(capsys, "verify", str(gru), "--spec", "gru", "--max-examples", "10",
                        "--json")
    result = json.loads(out)
    assert code == 1 and not result["ok"] and result["counterexample"]["first"]["what"] == (
        "output h")


def test_cli_verifies_every_export_of_a_torch_module(capsys):
    code, out, _ = _run(capsys, "verify", "torch.nn.GRU", "--export", "onnx",
                        "--max-examples", "10")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("exporter torchscript: conforms: torch.nn.GRU exported by "
                               "torchscript against spec 'gru'")
    assert [line.split(":")[0] for line in lines if line.startswith("exporter")] == [
        "exporter torchscript", "exporter dynamo"]


def test_cli_export_of_an_rnn_says_what_dynamo_wrote(capsys):
    code, out, _ = _run(capsys, "verify", "torch.nn.RNN", "--export", "onnx:dynamo")
    assert code == 2
    assert out.startswith("exporter dynamo: not verified: the graph has no RNN, LSTM or GRU "
                          "node")
    code, out, _ = _run(capsys, "verify", "torch.nn.RNN", "--export", "onnx:torchscript",
                        "--max-examples", "5", "--json")
    (row,) = json.loads(out)
    assert code == 0 and row["exporter"] == "torchscript" and row["error"] is None
    assert row["result"]["ok"] and row["result"]["spec"] == "rnn_torch"


@pytest.mark.parametrize(("argv", "message"), [
    (["verify", "missing.onnx"], "no ONNX file 'missing.onnx'"),
    (["verify", "torch.nn.LSTM", "--engine", "onnx"], "--engine applies to ONNX graphs"),
    (["verify", "torch.nn.LSTM", "--export", "tflite"], "--export onnx[:EXPORTER]"),
    (["verify", "torch.nn.LSTM", "--export", "onnx:jit"], "unknown ONNX exporter 'jit'"),
])
def test_cli_usage_errors_exit_2(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def _rnn_graph(**attributes):
    """One time-major bidirectional RNN node, its weights initializers: x -> Y, Y_h."""
    rng = np.random.default_rng(3)
    inits = {"W": rng.uniform(-1, 1, (2, H, D)).astype(np.float32),
             "R": rng.uniform(-1, 1, (2, H, H)).astype(np.float32),
             "B": rng.uniform(-1, 1, (2, 2 * H)).astype(np.float32)}
    node = helper.make_node("RNN", ["x", "W", "R", "B", "", "h0"], ["Y", "Y_h"], hidden_size=H,
                            direction="bidirectional", **attributes)
    graph = helper.make_graph(
        [node], "rnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", "B", D]),
         helper.make_tensor_value_info("h0", TensorProto.FLOAT, [2, "B", H])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("Y", "Y_h")],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def test_a_graphs_node_with_per_direction_activations_and_their_alpha_is_read():
    model = _rnn_graph(activations=["LeakyRelu", "Tanh"], activation_alpha=[0.25])
    target = OnnxFileTarget(model)
    spec = target.default_spec()
    assert spec.equation("h_l0").text.startswith("leaky_relu(")
    assert spec.equation("h_l0_reverse").text.startswith("tanh(")
    assert seqcheck.verify(target, max_examples=10).ok  # onnxruntime runs it as read
    wrong = OnnxFileTarget(_rnn_graph(activations=["LeakyRelu", "Tanh"]))  # alpha 0.01
    assert not seqcheck.verify(wrong, spec=spec, max_examples=25).ok


def test_a_graphs_sequence_lens_input_is_refused_with_the_command_that_checks_it():
    node = helper.make_node("GRU", ["x", "W", "R", "B", "lens", "h0"], ["Y"], hidden_size=H)
    with pytest.raises(SeqcheckError, match=r"(?s)reads sequence_lens \(.lens.\).*"
                                            r"seqcheck verify onnxruntime:GRU --lengths"):
        read_node(node, 0)
