"""The whole ONNX operator: every activation and its parameters, layouts, per-direction
activations, sequence_lens, the readings the text leaves open, and the conformance rows
over them -- each engine's deviations pinned.

Oracle: tests/test_onnx.py's :func:`_onnx`, NumPy from the operators' text (opset 22) on
ONNX's own tensors, with sequence_lens and the other readings; it shares no code with
seqcheck's specs, stacking or compiled code. Each finding test checks both that the
documented equations give something else on the case and that the engine gives exactly
the undocumented result.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import SeqcheckError, verify
from seqcheck.adapters.onnx import OnnxTarget, parse_attributes
from seqcheck.adapters.onnx_activations import ACTIVATIONS, bind_parameters
from seqcheck.adapters.onnx_equations import onnx_spec
from seqcheck.backends import compile_numpy
from seqcheck.checks import conformance
from seqcheck.cli import main
from seqcheck.spec.lengths import step_mask, with_lengths
from tests.test_onnx import (
    FORGET_GATE,
    OPS,
    TOL,
    ZERO_DEFAULTS,
    _assert_engine,
    _assert_matches,
    _case,
    _expected,
    _onnx,
    _suffixes,
    _tensors,
    problems,
)


def _fixed(op: str, attrs: dict, scale: float = 3.0, seed: int = 20240611) -> dict:
    return _tensors(op, attrs, D=3, H=2, T=4, B=3, scale=scale, seed=seed)


def _spec_outputs(spec, op: str, attrs: dict, t: dict) -> tuple[dict, dict]:
    """The compiled spec on the ONNX tensors, as (per step, final); a row's padded steps 0."""
    case = _case(op, attrs, t)
    params = {n: v for n, v in case.params.items() if n in spec.params}
    inputs = dict(case.inputs)
    if spec.mask_input:
        inputs[spec.mask_input] = step_mask(t["sequence_lens"], case.steps)
    traj = compile_numpy(spec)(params, inputs, initial=dict(case.initial))
    keep = step_mask(t["sequence_lens"], case.steps)[..., None] if spec.mask_input else 1.0
    per_step = {"h" + s: traj.values["h" + s] * keep for s in _suffixes(attrs)}
    return per_step, {n: traj.final[n] for n in _expected(op, attrs, t)[1]}


# -- the spec against the oracle, for what the engines do not show ------------------------
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("reading", ["consumed", "positional"])
@settings(max_examples=8)
@given(data=st.data())
def test_activation_parameters_reach_the_functions_as_each_reading_says(op, reading, data):
    names = tuple(data.draw(st.lists(st.sampled_from(list(ACTIVATIONS)),
                                     min_size=len(_roles(op)), max_size=len(_roles(op)))))
    alphas = tuple(data.draw(st.lists(st.sampled_from([0.25, 0.5, 1.5]), max_size=3)))
    betas = tuple(data.draw(st.lists(st.sampled_from([0.125, 0.75]), max_size=2)))
    attrs = {"activations": names, "activation_alpha": alphas, "activation_beta": betas}
    t = data.draw(problems(op, attrs))
    bound = bind_parameters(names, alphas, betas, reading)
    # the oracle consumes in order; the positional reading is the consumed one on lists
    # with each value in its function's place, its defaults written out
    given_attrs = {"activations": names, **_consumed_lists(names, bound)}
    want = _expected(op, given_attrs, t)
    got = _spec_outputs(onnx_spec(op, attrs, {"activation_alpha": reading}), op, attrs, t)
    _assert_matches(got[0], want[0], TOL["float64"], f"{reading} per step")
    _assert_matches(got[1], want[1], TOL["float64"], f"{reading} final")


def _roles(op: str) -> tuple:
    return {"RNN": ("f",), "GRU": ("f", "g"), "LSTM": ("f", "g", "h")}[op]


def _consumed_lists(names, bound) -> dict:
    """activation_alpha and activation_beta lists that, consumed in order, give ``bound``."""
    alphas, betas = [], []
    for name, values in zip(names, bound):
        params = [p for p, _ in ACTIVATIONS[name][1]]
        for p, v in zip(params, values):
            (alphas if p == "alpha" else betas).append(v)
    return {"activation_alpha": tuple(alphas), "activation_beta": tuple(betas)}


@pytest.mark.parametrize("attrs, readings", [
    ({"clip": 0.5}, {"clip": "gates and cell"}),
    ({"clip": 0.5, "direction": "bidirectional"}, {"clip": "gates and cell"}),
    ({"input_forget": 1}, {"input_forget": "i = 1 - f"}),
    ({"input_forget": 1, "peepholes": 1}, {"input_forget": "i = 1 - f"}),
])
def test_each_reading_is_the_equations_it_names(attrs, readings):
    t = _fixed("LSTM", attrs)
    spec = onnx_spec("LSTM", attrs, readings)
    want = _onnx("LSTM", attrs, t, readings)
    assert np.max(np.abs(want["Y"] - _onnx("LSTM", attrs, t)["Y"])) > 1e-3  # they differ
    got = _spec_outputs(spec, "LSTM", attrs, t)
    for d, s in enumerate(_suffixes(attrs)):
        np.testing.assert_allclose(got[0]["h" + s], want["Y"][:, d], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@settings(max_examples=8)
@given(data=st.data())
def test_the_lengths_spec_is_the_operator_with_sequence_lens(op, direction, data):
    attrs = {"direction": direction}
    t = data.draw(problems(op, attrs))
    B, T = t["X"].shape[1], t["X"].shape[0]
    t["sequence_lens"] = np.array(data.draw(st.lists(st.integers(0, T), min_size=B,
                                                     max_size=B)))
    spec = with_lengths(onnx_spec(op, attrs))
    got = _spec_outputs(spec, op, attrs, t)
    want = _expected(op, attrs, t)
    _assert_matches(got[0], want[0], TOL["float64"], "per step")
    _assert_matches(got[1], want[1], TOL["float64"], "final")


# -- onnxruntime's deviations -----------------------------------------------------------
@pytest.mark.parametrize("op", OPS)
def test_onnxruntime_raises_for_layout_1(op):
    # Finding: onnxruntime's CPU kernels refuse batch-major nodes when the session is made.
    target = OnnxTarget("onnxruntime", op, {"layout": 1})
    with pytest.raises(Exception, match=r"Batchwise recurrent operations \(layout == 1\) "
                                         "are not supported"):
        target.run(_case(op, {}, _fixed(op, {})), "float32", False)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("name", ZERO_DEFAULTS)
def test_onnxruntime_defaults_these_parameters_to_zero(op, name):
    # Finding: with no activation_alpha (beta), onnxruntime computes Affine, ThresholdedRelu
    # and ScaledTanh with alpha = beta = 0, not their operators' defaults (Affine 1, 0;
    # ThresholdedRelu 1; ScaledTanh 1, 1).
    attrs = {"activations": (*_default(op)[:-1], name)}
    zeros = {**attrs, "activation_alpha": (0.0,), "activation_beta": (0.0,)}
    t = _fixed(op, attrs)
    assert np.max(np.abs(_onnx(op, attrs, t)["Y"] - _onnx(op, zeros, t)["Y"])) > 1e-2
    _assert_engine("onnxruntime", op, attrs, t, "float32", oracle_attrs=zeros)


def _default(op: str) -> tuple:
    return {"RNN": ("Tanh",), "GRU": ("Sigmoid", "Tanh"), "LSTM": ("Sigmoid", "Tanh", "Tanh")}[op]


def test_onnxruntime_softplus_overflows_where_its_value_is_finite():
    # Finding: onnxruntime's float32 Softplus is log(1 + exp(x)) as written: exp overflows
    # for x > 88.7 and the output is inf where softplus(x) = x is finite.
    t = _fixed("RNN", {}, scale=0.5)
    t["B"][:], t["R"][:] = 0.0, 0.0
    t["B"][0, 0] = 95.0  # one unit's pre-activation beyond 88.7, at every step
    out = OnnxTarget("onnxruntime", "RNN", {"activations": "Softplus"}).run(
        _case("RNN", {}, t), "float32", False)
    want = _onnx("RNN", {"activations": ("Softplus",)}, t)["Y"][:, 0]
    assert np.all(np.isfinite(want)) and np.all(want[..., 0] > 90)
    h = out.per_step["h"]
    assert np.all(np.isinf(h[0, :, 0]))  # step 1: inf, where the value is about 95
    np.testing.assert_allclose(h[0, :, 1], want[0, :, 1], rtol=2e-5, atol=2e-5)
    assert not np.any(np.isfinite(h[1:]))  # and 0 * inf spreads it as NaN through R


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_onnxruntime_runs_sequence_lens_but_zeroes_an_empty_rows_state(op, direction):
    # Finding: onnxruntime holds each row's state after its own length, in both directions;
    # a row of length 0 gets Y_h = 0 (and Y_c = 0) where its state never changed.
    attrs = {"direction": direction}
    t = _fixed(op, attrs)
    t["sequence_lens"] = np.array([4, 2, 0])
    out = OnnxTarget("onnxruntime", op, attrs).run(_case(op, attrs, t), "float32", False)
    per_step, final = _expected(op, attrs, t)
    _assert_matches(dict(out.per_step), per_step, TOL["float32"], "per step")
    for name, want in final.items():
        np.testing.assert_allclose(out.final[name][:2], want[:2], rtol=2e-5, atol=2e-5)
        assert np.all(want[2] != 0) and np.all(out.final[name][2] == 0)


@pytest.mark.parametrize("op", OPS)
def test_onnx_reference_ignores_sequence_lens(op):
    # Finding: onnx.reference accepts sequence_lens and runs every row over all T steps.
    t = _fixed(op, {})
    t["sequence_lens"] = np.array([4, 2, 1])
    out = OnnxTarget("onnx", op).run(_case(op, {}, t), "float64", False)
    full = {k: v for k, v in t.items() if k != "sequence_lens"}
    assert np.max(np.abs(_onnx(op, {}, t)["Y_h"] - _onnx(op, {}, full)["Y_h"])) > 1e-3
    per_step, final = _expected(op, {}, full)
    _assert_matches(dict(out.per_step), per_step, TOL["float64"], "per step")
    _assert_matches(dict(out.final), final, TOL["float64"], "final")


def test_onnxruntime_consumes_activation_alpha_in_order():
    # Finding: one alpha for (Sigmoid, LeakyRelu, Tanh) goes to LeakyRelu (the reading
    # "consumed"), not to Sigmoid's place (the reading "positional").
    attrs = {"activations": ("Sigmoid", "LeakyRelu", "Tanh"), "activation_alpha": (0.25,)}
    t = _fixed("LSTM", attrs)
    positional = {"activations": attrs["activations"]}  # LeakyRelu keeps its 0.01
    assert np.max(np.abs(_onnx("LSTM", attrs, t)["Y"] - _onnx("LSTM", positional, t)["Y"])) \
        > 1e-4
    _assert_engine("onnxruntime", "LSTM", attrs, t, "float32")


# -- planted defects: verify finds each -----------------------------------------------------
def test_planted_default_alpha_taken_as_0_is_found():
    # an engine whose LeakyRelu takes alpha = 0 when the node gives none
    engine = OnnxTarget("onnxruntime", "RNN", {"activations": "LeakyRelu",
                                                "activation_alpha": 0.0})
    result = verify(engine, spec=onnx_spec("RNN", {"activations": "LeakyRelu"}),
                    max_examples=50)
    assert not result.ok and result.check.divergences[0].what == "output h"
    assert verify(OnnxTarget("onnxruntime", "RNN", {"activations": "LeakyRelu"}),
                  max_examples=25).ok


def test_planted_reverse_chain_with_the_forward_activations_is_found():
    # per-direction activations: an engine that applies the forward list to both chains
    attrs = {"direction": "bidirectional", "activations": ("Tanh", "Relu")}
    wrong = OnnxTarget("onnxruntime", "RNN", {"direction": "bidirectional",
                                              "activations": ("Tanh", "Tanh")})
    result = verify(wrong, spec=onnx_spec("RNN", attrs), max_examples=50)
    assert not result.ok and result.check.divergences[0].what.endswith("_reverse")


# -- attributes and the matrix --------------------------------------------------------------
def test_the_new_attributes_parse_and_bad_ones_are_named():
    got = parse_attributes(["activations=sigmoid,leakyrelu,tanh", "activation_alpha=0.3",
                            "layout=1"], "LSTM")
    assert got == {"activations": ("Sigmoid", "LeakyRelu", "Tanh"), "activation_alpha": (0.3,),
                   "layout": 1}
    with pytest.raises(SeqcheckError, match="did you mean 'Softplus'"):
        parse_attributes(["activations=Softplu"], "RNN")
    with pytest.raises(SeqcheckError, match="or 2 on a bidirectional node"):
        parse_attributes(["activations=Tanh,Relu"], "RNN")
    with pytest.raises(SeqcheckError, match="activation_alpha must be finite numbers"):
        parse_attributes(["activation_alpha=a"], "GRU")
    with pytest.raises(SeqcheckError, match="sequence_lens is the node's input.*--lengths"):
        parse_attributes(["sequence_lens=2,3"], "LSTM")
    with pytest.raises(SeqcheckError, match="layout must be 0 or 1"):
        parse_attributes(["layout=2"], "GRU")
    with pytest.raises(SeqcheckError, match="is read as 'f = 1 - i' or 'i = 1 - f'"):
        onnx_spec("LSTM", {"input_forget": 1}, {"input_forget": "both"})


def test_a_bidirectional_node_carries_both_directions_activations_and_parameters():
    attrs = {"direction": "bidirectional", "activations": ("Sigmoid", "Elu"),
             "activation_alpha": (0.5,)}
    node = OnnxTarget("onnx", "GRU", attrs).model("float32", 2).graph.node[0]
    values = {a.name: a for a in node.attribute}
    assert [s.decode() for s in values["activations"].strings] == ["Sigmoid", "Elu"] * 2
    assert list(values["activation_alpha"].floats) == [0.5, 0.5]


ROWS = ("onnx", "onnxruntime")


@pytest.fixture(scope="module")
def matrix():
    """The ONNX rows of the matrix, each row once, float32 (8 cases a row)."""
    return conformance.run_conformance(ROWS, max_examples=8, dtype="float32")


def _row(rows, engine, op, **attributes):
    [row] = [r for r in rows if (r.engine, r.unit) == (engine, op)
             and r.attributes == attributes]
    return row


def test_the_matrix_reports_every_attribute_with_its_verdict(matrix):
    for op in OPS:
        assert _row(matrix, "onnxruntime", op, layout=1).verdict == "raises"
        assert _row(matrix, "onnx", op, layout=1).verdict == "conforms"
        assert _row(matrix, "onnx", op, **{"sequence_lens": "1..T"}).verdict == "ignores"
        assert _row(matrix, "onnxruntime", op, **{"sequence_lens": "1..T",
                                                  "direction": "reverse"}).verdict == "conforms"
        empty = _row(matrix, "onnxruntime", op, **{"sequence_lens": "0..T"})
        assert empty.verdict == "diverges" and "final state" in empty.detail
        for name in ZERO_DEFAULTS:
            acts = (*_default(op)[:-1], name)
            assert _row(matrix, "onnxruntime", op, activations=acts).verdict == "diverges"
    forget = _row(matrix, "onnxruntime", "LSTM", input_forget=1)
    assert forget.verdict == "conforms" and forget.extra["reading"] == "input_forget: f = 1 - i"
    clip = _row(matrix, "onnxruntime", "LSTM", clip=0.5)
    assert clip.extra["reading"] == "clip: gates"
    alpha = _row(matrix, "onnxruntime", "LSTM", activations=("Sigmoid", "LeakyRelu", "Tanh"),
                 activation_alpha=(0.25,))
    assert alpha.extra["reading"] == "activation_alpha: consumed"
    assert all("values" in r.extra for r in matrix if r.verdict != "unavailable")


def test_conformance_json_carries_every_rows_attribute_values(capsys):
    assert main(["conformance", "--engine", "onnxruntime", "--max-examples", "3",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    layout = [r for r in rows if r["attributes"] == {"layout": 1} and r["unit"] == "GRU"]
    assert layout[0]["values"] == {"direction": "forward", "clip": None,
                                   "activation_alpha": [], "activation_beta": [], "layout": 1,
                                   "activations": ["Sigmoid", "Tanh"], "linear_before_reset": 0}
    lengths = [r for r in rows if r["attributes"].get("sequence_lens") == "0..T"]
    assert len(lengths) == 3 and all(r["values"]["sequence_lens"] == "0..T" for r in lengths)


def test_spec_without_input_gate_blocks_still_feeds_them():
    # under i = 1 - f the input gate's blocks are the ones the spec lacks: filled, not refused
    attrs = {"input_forget": 1}
    spec = onnx_spec("LSTM", attrs, {"input_forget": "i = 1 - f"})
    assert not {"W_ii", "W_hi", "b_ii", "b_hi"} & set(spec.params)
    assert set(FORGET_GATE[:4]) <= set(spec.params)
    result = verify("onnxruntime:LSTM", spec=spec, attributes=attrs, max_examples=10)
    assert not result.ok and result.check.error is None  # it runs, and follows f = 1 - i
