"""ONNX targets (seqcheck.adapters.onnx): onnx.reference and onnxruntime against the operators.

Oracle: :func:`_onnx` below, plain NumPy written from the ONNX operator documentation (RNN,
GRU, LSTM, opset 22) on ONNX's own stacked tensors W, R, B, P -- not from seqcheck's
specs, its stacking code or its compiled code. Every test draws ONNX tensors, turns them
into a :class:`~seqcheck.strategies.Case` by the layout table of the adapter's docstring
(written out again here, :func:`_case`) and compares

- what each engine computes through :class:`OnnxTarget` with the oracle, where the engine
  conforms;
- the spec :meth:`OnnxTarget.default_spec` claims, compiled by ``compile_numpy``, with the
  oracle, for every attribute variant (so the spec is right whatever the engines do);
- where an engine deviates from the documented equations, the deviation itself: each such
  test is named for the finding and checks both that the documented equations give
  something else on the case and that the engine gives exactly the undocumented result.

The two points the ONNX documentation leaves open are fixed as onnxruntime computes them
(see the adapter's docstring): input_forget = 1 is f = 1 - i, and clip bounds the gates'
pre-activations, not C_t inside h().
"""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import onnxruntime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqcheck
from seqcheck import SeqcheckError
from seqcheck.adapters import onnx as adapter
from seqcheck.adapters.onnx import (
    ENGINES,
    OPS,
    OnnxTarget,
    attribute_variants,
    parse_attributes,
    parse_onnx_target,
)
from seqcheck.backends import compile_numpy
from seqcheck.strategies import Case

# -- the oracle: the operators' documented equations on ONNX's tensors --------------------
K = {"RNN": 1, "GRU": 3, "LSTM": 4}
DEFAULT_ACTIVATIONS = {"RNN": ("Tanh",), "GRU": ("Sigmoid", "Tanh"),
                       "LSTM": ("Sigmoid", "Tanh", "Tanh")}
#: The operators' activation functions (opset 22 text), with their (alpha, beta) and the
#: defaults of the ONNX operators of the same name (Affine, ScaledTanh: identity, tanh).
FUNCTIONS = {
    "Sigmoid": ((), lambda v: 0.5 * (1.0 + np.tanh(0.5 * v))),
    "Tanh": ((), np.tanh),
    "Relu": ((), lambda v: np.maximum(v, 0.0)),
    "Affine": ((1.0, 0.0), lambda v, a, b: a * v + b),
    "LeakyRelu": ((0.01,), lambda v, a: np.where(v >= 0, v, a * v)),
    # the RNN operators' summary writes x >= alpha; the ThresholdedRelu operator (and
    # onnxruntime) keeps x > alpha only: the two differ where x is alpha exactly
    "ThresholdedRelu": ((1.0,), lambda v, a: np.where(v > a, v, 0.0)),
    "ScaledTanh": ((1.0, 1.0), lambda v, a, b: a * np.tanh(b * v)),
    "HardSigmoid": ((0.2, 0.5), lambda v, a, b: np.minimum(np.maximum(a * v + b, 0.0), 1.0)),
    "Elu": ((1.0,), lambda v, a: np.where(v >= 0, v, a * np.expm1(np.minimum(v, 0.0)))),
    "Softsign": ((), lambda v: v / (1 + np.abs(v))),
    "Softplus": ((), lambda v: np.logaddexp(0.0, v)),
}


def _activations(op: str, attrs: dict, nd: int) -> list:
    """The node's functions, both directions, each with its parameters bound: alpha and
    beta consumed in order by the functions that take them (onnxruntime's reading), float32
    values, the defaults where the lists run out. k names on a bidirectional node are its
    list for both directions (seqcheck's convenience), their alphas and betas too."""
    names = list(attrs.get("activations", DEFAULT_ACTIVATIONS[op]))
    lists = [list(attrs.get("activation_alpha", ())), list(attrs.get("activation_beta", ()))]
    if nd == 2 and len(names) == len(DEFAULT_ACTIVATIONS[op]):
        names, lists = names * 2, [v * 2 for v in lists]
    out = []
    for name in names:
        defaults, fn = FUNCTIONS[name]
        params = [float(np.float32(lists[j].pop(0) if lists[j] else d))  # 32-bit floats
                  for j, d in enumerate(defaults)]
        out.append(lambda v, fn=fn, params=params: fn(v, *params))
    return out


def _onnx(op: str, attrs: dict, t: dict, readings: dict | None = None) -> dict:
    """Y [T, nd, B, H], Y_h [nd, B, H] (and Y_c for LSTM), float64, from the equations.

    ``t`` holds ONNX's inputs: X [T, B, D], W [nd, k*H, D], R [nd, k*H, H], B [nd, 2*k*H],
    initial_h (initial_c) [nd, B, H], P [nd, 3*H] when the LSTM has peepholes, and
    sequence_lens [B] when rows have their own lengths (a row's padded steps leave its
    state as it is and output 0). Gate blocks top to bottom: LSTM i, o, f, c; GRU z, r, h.
    Direction 1 runs backwards. ``readings`` reads the text the other way:
    ``{"clip": "gates and cell"}`` clips h()'s input C_t too, ``{"input_forget": "i = 1 -
    f"}`` couples the gates as i = 1 - f.
    """
    readings = readings or {}
    functions = _activations(op, attrs, t["W"].shape[0])
    c = attrs.get("clip")
    bound = (lambda v: np.clip(v, -c, c)) if c is not None else (lambda v: v)
    bound_cell = bound if readings.get("clip") == "gates and cell" else (lambda v: v)
    X = t["X"]
    nd, (T, Bn, _), H = t["W"].shape[0], X.shape, t["R"].shape[-1]
    Y, Y_h, Y_c = np.zeros((T, nd, Bn, H)), np.zeros((nd, Bn, H)), np.zeros((nd, Bn, H))
    with np.errstate(under="ignore"):
        for d in range(nd):
            backwards = attrs.get("direction") == "reverse" or d == 1
            k3 = len(DEFAULT_ACTIVATIONS[op])
            f, g, h = (*functions[d * k3:(d + 1) * k3], np.tanh, np.tanh)[:3]
            lengths = t.get("sequence_lens", np.full(Bn, T))
            W, R = np.split(t["W"][d], K[op]), np.split(t["R"][d], K[op])
            Wb, Rb = np.split(t["B"][d][:K[op] * H], K[op]), np.split(t["B"][d][K[op] * H:], K[op])
            Ht = t["initial_h"][d]
            Ct = t["initial_c"][d] if op == "LSTM" else None
            P = np.split(t["P"][d], 3) if "P" in t else [np.zeros(H)] * 3
            for step in (range(T - 1, -1, -1) if backwards else range(T)):
                x, real = X[step], (step < lengths)[:, None]  # this row's own step?
                before = (Ht, Ct)
                # X_t W_k^T + H_{t-1} R_k^T + Wb_k + Rb_k for every gate block k
                pre = [x @ W[k].T + Ht @ R[k].T + Wb[k] + Rb[k] for k in range(K[op])]
                if op == "RNN":
                    Ht = f(bound(pre[0]))
                elif op == "GRU":
                    z, r = f(bound(pre[0])), f(bound(pre[1]))
                    if attrs.get("linear_before_reset"):
                        hh = g(bound(x @ W[2].T + r * (Ht @ R[2].T + Rb[2]) + Wb[2]))
                    else:
                        hh = g(bound(x @ W[2].T + (r * Ht) @ R[2].T + Rb[2] + Wb[2]))
                    Ht = (1 - z) * hh + z * Ht
                else:  # blocks i, o, f, c; peepholes P_i, P_o, P_f
                    i = f(bound(pre[0] + P[0] * Ct))
                    ft = 1 - i if attrs.get("input_forget") else f(bound(pre[2] + P[2] * Ct))
                    if attrs.get("input_forget") and readings.get("input_forget") == "i = 1 - f":
                        ft = f(bound(pre[2] + P[2] * Ct))
                        i = 1 - ft
                    Ct = ft * Ct + i * g(bound(pre[3]))
                    o = f(bound(pre[1] + P[1] * Ct))
                    Ht = o * h(bound_cell(Ct))
                Ht = np.where(real, Ht, before[0])
                Ct = np.where(real, Ct, before[1]) if op == "LSTM" else None
                Y[step, d] = np.where(real, Ht, 0.0)
            Y_h[d] = Ht
            if op == "LSTM":
                Y_c[d] = Ct
    return {"Y": Y, "Y_h": Y_h, **({"Y_c": Y_c} if op == "LSTM" else {})}


# -- problems: ONNX tensors, and the same as a seqcheck Case --------------------------------
def _tensors(op: str, attrs: dict, D: int, H: int, T: int, B: int, scale: float,
             seed: int) -> dict:
    """Random ONNX inputs, exact in float32 (a float32 engine gets the oracle's values)."""
    rng = np.random.default_rng(seed)
    nd = 2 if attrs.get("direction") == "bidirectional" else 1
    k = K[op]
    shapes = {"X": (T, B, D), "W": (nd, k * H, D), "R": (nd, k * H, H), "B": (nd, 2 * k * H),
              "initial_h": (nd, B, H)}
    if op == "LSTM":
        shapes["initial_c"] = (nd, B, H)
        if attrs.get("peepholes"):
            shapes["P"] = (nd, 3 * H)
    return {n: rng.uniform(-scale, scale, s).astype(np.float32).astype(np.float64)
            for n, s in shapes.items()}


@st.composite
def problems(draw, op: str, attrs: dict) -> dict:
    """D and H 1..4 (each drawn on its own, so mostly D != H), T 1..4, B 1..3; the scales
    2 and 3 saturate gates and exceed the clip of 0.5 used below."""
    return _tensors(op, attrs, draw(st.integers(1, 4), label="D"),
                    draw(st.integers(1, 4), label="H"), draw(st.integers(1, 4), label="T"),
                    draw(st.integers(1, 3), label="B"),
                    draw(st.sampled_from([0.5, 2.0, 3.0]), label="scale"),
                    draw(st.integers(0, 2**32 - 1), label="seed"))


#: ONNX's gate blocks as spec letters (a gate g is W_i{g}, W_h{g}, b_i{g}, b_h{g}).
GATES = {"RNN": ("h",), "GRU": ("z", "r", "n"), "LSTM": ("i", "o", "f", "c")}


def _suffixes(attrs: dict) -> tuple[str, ...]:
    return ("_l0", "_l0_reverse") if attrs.get("direction") == "bidirectional" else ("",)


def _case(op: str, attrs: dict, t: dict) -> Case:
    """The ONNX tensors as spec parameters, inputs and initial states."""
    params, initial = {}, {}
    T, B, D = t["X"].shape
    H = t["R"].shape[-1]
    for d, s in enumerate(_suffixes(attrs)):
        gates = GATES[op]
        W, R = np.split(t["W"][d], len(gates)), np.split(t["R"][d], len(gates))
        b = np.split(t["B"][d], 2 * len(gates))
        for k, gate in enumerate(gates):
            params[f"W_i{gate}{s}"], params[f"W_h{gate}{s}"] = W[k], R[k]
            params[f"b_i{gate}{s}"], params[f"b_h{gate}{s}"] = b[k], b[len(gates) + k]
        if "P" in t:
            for name, block in zip(("P_i", "P_o", "P_f"), np.split(t["P"][d], 3)):
                params[name + s] = block
        initial["h" + s] = t["initial_h"][d]
        if op == "LSTM":
            initial["c" + s] = t["initial_c"][d]
    return Case({"D": D, "H": H}, T, B, params, {"x": t["X"]}, initial, {},
                lengths=t.get("sequence_lens"))


def _expected(op: str, attrs: dict, t: dict) -> tuple[dict, dict]:
    """The oracle as (per-step, final) by seqcheck's variable names."""
    out = _onnx(op, attrs, t)
    per_step = {"h" + s: out["Y"][:, d] for d, s in enumerate(_suffixes(attrs))}
    final = {"h" + s: out["Y_h"][d] for d, s in enumerate(_suffixes(attrs))}
    if op == "LSTM":
        final.update({"c" + s: out["Y_c"][d] for d, s in enumerate(_suffixes(attrs))})
    return per_step, final


#: float64: the same arithmetic in another order. float32: the engine rounds every step;
#: Relu gates let values grow to ~50 and cancel, so the absolute part scales with the
#: largest value compared (onnxruntime, worst over 1500 draws: 0.2e-5 of it).
TOL = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-5)}


def _assert_matches(got: dict, want: dict, tol: dict, what: str) -> None:
    assert set(got) == set(want), what
    scale = max(1.0, *(float(np.max(np.abs(v))) for v in want.values()))
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=tol["rtol"],
                                   atol=tol["atol"] * scale, err_msg=f"{what}: {name}")


def _assert_engine(engine: str, op: str, attrs: dict, t: dict, dtype: str,
                   oracle_attrs: dict | None = None) -> None:
    """The engine on ``t`` equals the oracle under ``oracle_attrs`` (default: ``attrs``)."""
    observed = OnnxTarget(engine, op, attrs).run(_case(op, attrs, t), dtype, False)
    per_step, final = _expected(op, attrs if oracle_attrs is None else oracle_attrs, t)
    what = f"{engine}:{op} {attrs} {dtype}"
    _assert_matches(dict(observed.per_step), per_step, TOL[dtype], what + " per step")
    _assert_matches(dict(observed.final), final, TOL[dtype], what + " final")
    assert all(v.dtype == np.float64 for v in (*observed.per_step.values(),
                                                *observed.final.values()))


# -- what conforms -------------------------------------------------------------------------
COMBINED = {
    "RNN": [{"activations": ("Relu",), "direction": "bidirectional", "clip": 0.5}],
    "GRU": [{"linear_before_reset": 1, "clip": 0.5, "direction": "reverse"},
            {"activations": ("Relu", "Sigmoid"), "direction": "bidirectional"}],
    "LSTM": [{"clip": 0.5, "input_forget": 1, "peepholes": 1, "direction": "bidirectional"},
             {"peepholes": 1, "direction": "reverse", "activations": ("Sigmoid", "Relu", "Relu")}],
}
#: Every attribute variant, alone and combined.
VARIANTS = [(op, a) for op in OPS for a in attribute_variants(op) + COMBINED[op]]
#: What onnx.reference computes as documented: it ignores clip, input_forget and the
#: activations of LSTM and GRU (their parameters with them), and runs no RNN activation but
#: Tanh (pinned below).
REFERENCE_CONFORMS = [(op, a) for op, a in VARIANTS
                      if not {"clip", "input_forget", "activations", "activation_alpha",
                              "activation_beta"} & set(a)]
#: Activations whose parameters onnxruntime defaults to 0, not to their operators' defaults
#: (tests/test_onnx_operator.py pins it).
ZERO_DEFAULTS = ("Affine", "ThresholdedRelu", "ScaledTanh")


def _onnxruntime_conforms(op: str, a: dict) -> bool:
    """What onnxruntime computes as documented: all but layout = 1 (it raises), the
    defaults of ZERO_DEFAULTS, and Softplus (it overflows in float32 beyond 88.7); each
    pinned in tests/test_onnx_operator.py."""
    names = a.get("activations", ())
    given = {"activation_alpha", "activation_beta"} & set(a)
    return not (a.get("layout") == 1 or "Softplus" in names
                or (not given and set(ZERO_DEFAULTS) & set(names)))


ORT_CONFORMS = [(op, a) for op, a in VARIANTS if _onnxruntime_conforms(op, a)]


def _id(op_attrs) -> str:
    op, attrs = op_attrs
    return f"{op}-" + (",".join(f"{k}={v}" for k, v in attrs.items()) or "defaults")


@pytest.mark.parametrize("op_attrs", ORT_CONFORMS, ids=[_id(v) for v in ORT_CONFORMS])
@settings(max_examples=6)
@given(data=st.data())
def test_onnxruntime_conforms_to_every_variant_in_float32(op_attrs, data):
    op, attrs = op_attrs
    _assert_engine("onnxruntime", op, attrs, data.draw(problems(op, attrs)), "float32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op_attrs", REFERENCE_CONFORMS, ids=[_id(v) for v in REFERENCE_CONFORMS])
@settings(max_examples=6)
@given(data=st.data())
def test_onnx_reference_conforms_without_clip_input_forget_or_activations(op_attrs, dtype,
                                                                          data):
    op, attrs = op_attrs
    _assert_engine("onnx", op, attrs, data.draw(problems(op, attrs)), dtype)


FORGET_GATE = ("W_if", "W_hf", "b_if", "b_hf", "P_f")


@functools.cache
def _compiled(op: str, key: tuple):
    return compile_numpy(OnnxTarget("onnx", op, dict(key)).default_spec())


@pytest.mark.parametrize("op_attrs", VARIANTS, ids=[_id(v) for v in VARIANTS])
@settings(max_examples=6)
@given(data=st.data())
def test_default_spec_is_the_operator_equations(op_attrs, data):
    op, attrs = op_attrs
    t = data.draw(problems(op, attrs))
    case = _case(op, attrs, t)
    if attrs.get("input_forget"):  # the spec of f = 1 - i has no forget-gate weights
        kept = {n: v for n, v in case.params.items() if not n.startswith(FORGET_GATE)}
        case = Case(case.sizes, case.steps, case.batch, kept, case.inputs, case.initial, {})
    traj = _compiled(op, tuple(attrs.items()))(dict(case.params), dict(case.inputs),
                                               initial=dict(case.initial))
    per_step, final = _expected(op, attrs, t)
    _assert_matches({v: traj.values[v] for v in per_step}, per_step, TOL["float64"], "per step")
    _assert_matches({s: traj.final[s] for s in final}, final, TOL["float64"], "final")


def test_default_spec_without_attributes_is_the_bundled_spec():
    # Loaded from its file, so that verify can explain a counterexample by mutating it.
    for op, name in (("RNN", "rnn_torch"), ("GRU", "gru_lbr0"), ("LSTM", "lstm")):
        spec = OnnxTarget("onnx", op).default_spec()
        assert spec.name == name and spec.path is not None
    assert OnnxTarget("onnx", "LSTM", {"peepholes": 1}).default_spec().name == "lstm_peephole"
    assert OnnxTarget("onnx", "GRU", {"linear_before_reset": 1}).default_spec().name == "gru"


# -- what deviates: findings, pinned ---------------------------------------------------------
def _fixed(op: str, attrs: dict) -> dict:
    """One problem at scale 3: pre-activations well beyond a clip of 0.5, saturated gates."""
    return _tensors(op, attrs, D=3, H=2, T=3, B=2, scale=3.0, seed=20240611)


def _differs(op: str, t: dict, a: dict, b: dict) -> None:
    """Meta-check: the two sets of equations give clearly different outputs on ``t``."""
    assert np.max(np.abs(_onnx(op, a, t)["Y"] - _onnx(op, b, t)["Y"])) > 1e-2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", OPS)
def test_onnx_reference_ignores_clip(op, dtype):
    # Finding: onnx.reference accepts clip and computes the equations without it
    # (onnx/reference/ops/op_rnn.py, op_gru.py, op_lstm.py: "TODO: support overridden
    # attributes"); onnxruntime clips (tested above).
    t = _fixed(op, {})
    _differs(op, t, {"clip": 0.5}, {})
    _assert_engine("onnx", op, {"clip": 0.5}, t, dtype, oracle_attrs={})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_onnx_reference_ignores_input_forget(dtype):
    # Finding: onnx.reference computes the LSTM's own forget gate under input_forget = 1;
    # onnxruntime uses f = 1 - i.
    t = _fixed("LSTM", {})
    _differs("LSTM", t, {"input_forget": 1}, {})
    _assert_engine("onnx", "LSTM", {"input_forget": 1}, t, dtype, oracle_attrs={})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op, activations", [("GRU", ("Sigmoid", "Relu")),
                                             ("GRU", ("Tanh", "Tanh")),
                                             ("LSTM", ("Sigmoid", "Relu", "Tanh")),
                                             ("LSTM", ("Sigmoid", "Tanh", "Relu"))])
def test_onnx_reference_ignores_lstm_and_gru_activations(op, activations, dtype):
    # Finding: onnx.reference's LSTM and GRU always use Sigmoid and Tanh.
    t = _fixed(op, {})
    _differs(op, t, {"activations": activations}, {})
    _assert_engine("onnx", op, {"activations": activations}, t, dtype, oracle_attrs={})


@pytest.mark.parametrize("activation", ["Relu", "Sigmoid"])
def test_onnx_reference_rnn_raises_for_activations_but_tanh(activation):
    # Finding: onnx.reference's RNN knows only Tanh (and Affine): it raises, not ignores.
    target = OnnxTarget("onnx", "RNN", {"activations": (activation,)})
    with pytest.raises(RuntimeError, match=rf"^Unknown activation function '{activation}'\.$"):
        target.run(_case("RNN", {}, _fixed("RNN", {})), "float32", False)


@pytest.mark.parametrize("op", OPS)
def test_onnxruntime_has_no_float64_kernels(op):
    # Finding: onnxruntime's CPU provider registers no float64 RNN kernel, and its float64
    # LSTM and GRU kernels raise when run; so OnnxTarget lists float32 only.
    model = OnnxTarget("onnx", op).model("float64", 2).SerializeToString()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    t = _fixed(op, {})
    if op == "RNN":
        with pytest.raises(onnxruntime.capi.onnxruntime_pybind11_state.NotImplemented,
                           match=r"Could not find an implementation for RNN\(22\)"):
            onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    else:
        session = onnxruntime.InferenceSession(model, options,
                                               providers=["CPUExecutionProvider"])
        with pytest.raises(onnxruntime.capi.onnxruntime_pybind11_state.RuntimeException,
                           match=f"{op} operator does not support double yet"):
            session.run(None, t)
    assert OnnxTarget("onnxruntime", op).dtypes == ("float32",)
    assert OnnxTarget("onnx", op).dtypes == ("float32", "float64")


def test_onnxruntime_wants_the_activations_of_both_directions():
    # ONNX lists the activations per direction (3, or 6 when bidirectional, for an LSTM);
    # onnxruntime enforces it, onnx.reference does not. OnnxTarget takes one list and
    # repeats it for the second direction.
    attrs = {"direction": "bidirectional", "activations": ("Sigmoid", "Relu", "Tanh")}
    model = OnnxTarget("onnx", "LSTM", attrs).model("float32", 2)
    (activations,) = [a for a in model.graph.node[0].attribute if a.name == "activations"]
    assert [s.decode() for s in activations.strings] == ["Sigmoid", "Relu", "Tanh"] * 2
    del activations.strings[3:]
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    with pytest.raises(onnxruntime.capi.onnxruntime_pybind11_state.Fail,
                       match=r"activation_func_names.size\(\) == .*num_directions_\) \* 3"):
        onnxruntime.InferenceSession(model.SerializeToString(), options,
                                     providers=["CPUExecutionProvider"])
    from onnx.reference import ReferenceEvaluator

    feeds = {n: v.astype(np.float32) for n, v in _fixed("LSTM", attrs).items()}
    assert ReferenceEvaluator(model).run(None, feeds)[0].shape == (3, 2, 2, 2)


# -- the target's own contract ---------------------------------------------------------------
def test_the_model_takes_every_tensor_as_a_graph_input():
    model = OnnxTarget("onnxruntime", "LSTM", {"peepholes": 1}).model("float32", 3)
    assert not model.graph.initializer
    assert [i.name for i in model.graph.input] == ["X", "W", "R", "B", "initial_h",
                                                   "initial_c", "P"]
    (node,) = model.graph.node
    assert node.op_type == "LSTM" and list(node.input)[4] == ""  # no sequence_lens


def test_one_session_serves_every_case_of_a_size():
    adapter._runner.cache_clear()
    target = OnnxTarget("onnxruntime", "GRU")
    for seed in range(3):
        target.run(_case("GRU", {}, _tensors("GRU", {}, 2, 3, 1 + seed, 2, 1.0, seed)),
                   "float32", False)
    info = adapter._runner.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def test_blocks_the_case_lacks_are_filled_and_used():
    # Peepholes checked against spec lstm (no P): P is filled with non-zero values, so an
    # engine that computes peepholes differs from spec lstm; the filler is fixed.
    t = _fixed("LSTM", {})
    case = _case("LSTM", {}, t)
    target = OnnxTarget("onnxruntime", "LSTM", {"peepholes": 1})
    first, again = (target.run(case, "float32", False) for _ in range(2))
    plain = _expected("LSTM", {}, t)[0]["h"]
    assert np.max(np.abs(first.per_step["h"] - plain)) > 1e-3
    np.testing.assert_array_equal(first.per_step["h"], again.per_step["h"])


def test_run_refuses_gradients_foreign_parameters_and_float64_on_onnxruntime():
    case = _case("LSTM", {"peepholes": 1}, _fixed("LSTM", {"peepholes": 1}))
    target = OnnxTarget("onnxruntime", "LSTM")
    with pytest.raises(SeqcheckError) as info:
        target.run(case, "float32", True)
    assert str(info.value).splitlines() == [
        "onnxruntime:LSTM cannot differentiate: ONNX engines run forward only",
        "  hint: verify outputs and states only (gradients=False)"]
    with pytest.raises(SeqcheckError) as info:
        target.run(case, "float64", False)
    assert str(info.value).splitlines() == [
        "onnxruntime:LSTM runs in float32 only: onnxruntime's float64 LSTM kernel raises "
        "'LSTM operator does not support double yet'",
        "  hint: verify it in float32, or run the node with onnx.reference (onnx:LSTM) for "
        "float64"]
    with pytest.raises(SeqcheckError) as info:
        target.run(case, "float32", False)
    assert str(info.value) == (
        "onnxruntime:LSTM (ONNX LSTM node, opset 22, default attributes; W, R, B stacked in "
        "gate order i, o, f, c) has no place for parameters P_f, P_i, P_o")
    gru = _case("GRU", {}, _fixed("GRU", {}))
    with pytest.raises(SeqcheckError) as info:
        OnnxTarget("onnx", "LSTM").run(
            Case(gru.sizes, gru.steps, gru.batch, {}, gru.inputs, gru.initial, {}), "float32",
            False)
    assert str(info.value) == "onnx:LSTM needs parameter W_ii (a block of W); the case has none"


# -- verify, end to end ----------------------------------------------------------------------
def test_verify_onnxruntime_lstm_conforms():
    result = seqcheck.verify(OnnxTarget("onnxruntime", "LSTM"), gradients=False,
                             max_examples=20)
    assert result.ok, result.format_text()
    assert (result.spec, result.dtype, result.gradients) == ("lstm", "float32", False)


def test_verify_onnxruntime_by_name_with_attributes_conforms():
    result = seqcheck.verify("onnxruntime:GRU", attributes={"direction": "bidirectional",
                                                            "clip": 0.5}, max_examples=10)
    assert result.ok, result.format_text()
    assert result.spec == "gru_lbr0_clip_bidirectional"


def test_verify_finds_that_onnx_reference_ignores_clip():
    target = OnnxTarget("onnx", "LSTM", {"clip": 0.5})
    result = seqcheck.verify(target, max_examples=20, explain=False)
    assert not result.ok and result.spec == "lstm_clip"
    assert result.check.divergences[0].what == "output h"
    # ... and it conforms to the equations without clip: the attribute is ignored.
    assert seqcheck.verify(target, spec="lstm", max_examples=20).ok


def test_verify_reports_the_engine_raising():
    result = seqcheck.verify(OnnxTarget("onnx", "RNN", {"activations": "Relu"}),
                             max_examples=5, shrink=False, explain=False)
    assert not result.ok
    assert result.check.error == "RuntimeError: Unknown activation function 'Relu'."


# -- naming targets and attributes: every message --------------------------------------------
def test_parse_onnx_target():
    assert parse_onnx_target("onnx:LSTM") == ("onnx", "LSTM")
    assert parse_onnx_target("onnxruntime:GRU") == ("onnxruntime", "GRU")
    assert parse_onnx_target("onnx:rnn") == ("onnx", "RNN")
    for other in ("torch.nn.LSTM", "mypackage.cells:MyLSTM", "onnx", "tensorrt:LSTM"):
        assert parse_onnx_target(other) is None


@pytest.mark.parametrize("text, message", [
    ("onnx:LSMT", "unknown ONNX operator 'LSMT' in target 'onnx:LSMT'\n"
                  "  hint: did you mean 'onnx:LSTM'? choose from onnx:RNN, onnx:LSTM, onnx:GRU"),
    ("onnxruntime:", "unknown ONNX operator '' in target 'onnxruntime:'\n  hint: choose from "
                     "onnxruntime:RNN, onnxruntime:LSTM, onnxruntime:GRU"),
], ids=["misspelt", "empty"])
def test_parse_onnx_target_errors(text, message):
    with pytest.raises(SeqcheckError) as info:
        parse_onnx_target(text)
    assert str(info.value) == message


def test_parse_attributes_types_every_value():
    assert parse_attributes(["direction=bidirectional", "clip=0.25",
                             "activations=Relu,sigmoid"], "GRU") == {
        "direction": "bidirectional", "clip": 0.25, "activations": ("Relu", "Sigmoid")}
    assert parse_attributes(["input_forget=1", "peepholes=0"], "LSTM") == {
        "input_forget": 1, "peepholes": 0}
    assert parse_attributes(["linear_before_reset=1"], "GRU") == {"linear_before_reset": 1}
    assert parse_attributes([], "RNN") == {}


ONNX_ACTIVATIONS = ("Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, "
                    "HardSigmoid, Elu, Softsign, Softplus")
ATTRIBUTE_ERRORS = [
    ("no value", ["clip"], "LSTM",
     "attribute 'clip' must be written name=value, e.g. direction=reverse or clip=0.5"),
    ("twice", ["clip=1", "clip=2"], "RNN", "attribute clip is given twice ('1' and '2')"),
    ("unknown", ["dirction=reverse"], "LSTM",
     "unknown attribute 'dirction' for ONNX LSTM; did you mean 'direction'?\n"
     "  hint: LSTM takes direction, clip, activations, activation_alpha, activation_beta, "
     "input_forget, peepholes, layout"),
    ("other op", ["linear_before_reset=1"], "LSTM",
     "attribute linear_before_reset applies to GRU, not to LSTM; LSTM takes direction, clip, "
     "activations, activation_alpha, activation_beta, input_forget, peepholes, layout"),
    ("other op", ["peepholes=1"], "GRU",
     "attribute peepholes applies to LSTM, not to GRU; GRU takes direction, clip, "
     "activations, activation_alpha, activation_beta, linear_before_reset, layout"),
    ("hidden_size", ["hidden_size=4"], "GRU",
     "attribute hidden_size is not supported: hidden_size is set from each case's H; do not "
     "pass it"),
    ("layout", ["layout=2"], "RNN", "layout must be 0 or 1; got '2'"),
    ("alpha", ["activation_alpha=a,b"], "RNN",
     "activation_alpha must be finite numbers separated by commas (float32), one per "
     "parameter of the activations; got 'a,b'"),
    ("direction", ["direction=up"], "GRU",
     "direction must be forward, reverse or bidirectional; got 'up'"),
    ("clip text", ["clip=wide"], "GRU",
     "clip must be a positive number (the bound of every gate's pre-activation); got 'wide'"),
    ("clip negative", ["clip=-1"], "LSTM",
     "clip must be a positive number (the bound of every gate's pre-activation); got '-1'"),
    ("clip beyond float32", ["clip=1e39"], "LSTM",
     "clip must be a positive number (the bound of every gate's pre-activation); got '1e39'"),
    ("switch", ["input_forget=2"], "LSTM", "input_forget must be 0 or 1; got '2'"),
    ("switch", ["linear_before_reset=yes"], "GRU",
     "linear_before_reset must be 0 or 1; got 'yes'"),
    ("activation typo", ["activations=Sigmoid,Softsing,Tanh"], "LSTM",
     "activation 'Softsing' is not an ONNX activation; did you mean 'Softsign'?\n"
     f"  hint: the ONNX activations are {ONNX_ACTIVATIONS}"),
    ("not an activation", ["activations=Swish"], "RNN",
     f"activation 'Swish' is not an ONNX activation\n  hint: the ONNX activations are "
     f"{ONNX_ACTIVATIONS}"),
    ("activation count", ["activations=Sigmoid,Tanh"], "LSTM",
     "activations for LSTM takes 3 names (f, g, h), or 6 on a bidirectional node (the "
     "forward chain's, then the reverse chain's); got 2: Sigmoid, Tanh\n"
     "  hint: e.g. activations=Sigmoid,Tanh,Tanh (the defaults)"),
    ("activation count", ["activations=Relu,Relu"], "RNN",
     "activations for RNN takes 1 name (f), or 2 on a bidirectional node (the forward "
     "chain's, then the reverse chain's); got 2: Relu, Relu\n"
     "  hint: e.g. activations=Tanh (the defaults)"),
    ("op", [], "Conv", "unknown ONNX operator 'Conv'; choose from RNN, LSTM, GRU"),
]


@pytest.mark.parametrize("items, op, message", [e[1:] for e in ATTRIBUTE_ERRORS],
                         ids=[e[0] for e in ATTRIBUTE_ERRORS])
def test_parse_attributes_errors(items, op, message):
    with pytest.raises(SeqcheckError) as info:
        parse_attributes(items, op)
    assert str(info.value) == message


def test_typed_attributes_are_checked_by_the_same_rules():
    assert OnnxTarget("onnx", "LSTM", {"clip": "0.5", "input_forget": "0"}).attributes == {
        "clip": 0.5, "input_forget": 0}
    with pytest.raises(SeqcheckError) as info:
        OnnxTarget("onnx", "LSTM", {"input_forget": True})
    assert str(info.value) == "input_forget must be 0 or 1; got True"
    with pytest.raises(SeqcheckError) as info:
        OnnxTarget("tensorrt", "LSTM")
    assert str(info.value) == "unknown ONNX engine 'tensorrt'; choose from onnx, onnxruntime"
    assert ENGINES == ("onnx", "onnxruntime") and OPS == ("RNN", "LSTM", "GRU")


def test_every_variant_is_valid_and_attribute_variants_start_with_the_defaults():
    for op in OPS:
        variants = attribute_variants(op)
        assert variants[0] == {}
        assert len({tuple(sorted(a.items())) for a in variants}) == len(variants)
        for a in variants:
            assert OnnxTarget("onnx", op, a).attributes == a


# -- optional dependencies -------------------------------------------------------------------
def test_a_missing_engine_is_an_error_naming_the_extra(monkeypatch):
    real = adapter.importlib.import_module

    def without_onnxruntime(name, *args):
        if name == "onnxruntime":
            raise ModuleNotFoundError("No module named 'onnxruntime'", name="onnxruntime")
        return real(name, *args)

    monkeypatch.setattr(adapter.importlib, "import_module", without_onnxruntime)
    with pytest.raises(SeqcheckError) as info:
        OnnxTarget("onnxruntime", "GRU")
    assert str(info.value) == ("ONNX targets (onnxruntime:...) need the onnxruntime package, "
                               "which is not installed: pip install 'seqcheck[onnx]'")


def test_importing_the_adapter_loads_neither_onnx_nor_onnxruntime():
    probe = ("import sys, seqcheck.adapters.onnx\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'onnx', 'onnxruntime'}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
