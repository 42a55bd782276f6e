"""ONNX's activations as spec functions (``leaky_relu(v, 0.2)`` and the rest): grammar,
derivatives, generated code and printers.

Oracles, none of them read from seqcheck:
- the operators' formulas written out below in NumPy (:data:`NUMPY`) and in torch
  (:data:`TORCH`, ``torch.nn.functional`` where torch has the function), with the ONNX
  defaults written out again (:data:`DEFAULTS`);
- torch autograd of those formulas for the derived backward pass, and at the kinks torch's
  own functions' autograd (``leaky_relu``, ``elu``, ``threshold``, ``hardsigmoid``,
  ``softsign``, ``softplus``), the convention the derivatives follow;
- ``sympy.diff`` of each function's elementary formula, at rational points off the kinks.

Drawn values are continuous (never exactly on a kink) unless a test puts them there.
"""

from __future__ import annotations

import random
from xml.dom import minidom

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import SpecError, compile_numpy, loads_spec
from seqcheck.backends.torch_backend import compile_torch
from seqcheck.printing import elementwise_call, latex, text
from seqcheck.report.mathml import mathml
from seqcheck.spec.functions import FUNCTIONS, leaky_relu

#: The ONNX operators' defaults (onnx.ai/onnx/operators: Affine, LeakyRelu, ...).
DEFAULTS = {"affine": (1.0, 0.0), "leaky_relu": (0.01,), "thresholded_relu": (1.0,),
            "scaled_tanh": (1.0, 1.0), "hard_sigmoid": (0.2, 0.5), "elu": (1.0,),
            "softsign": (), "softplus": ()}
NAMES = tuple(DEFAULTS)
ONNX_NAMES = {"affine": "Affine", "leaky_relu": "LeakyRelu", "thresholded_relu": "ThresholdedRelu",
              "scaled_tanh": "ScaledTanh", "hard_sigmoid": "HardSigmoid", "elu": "Elu",
              "softsign": "Softsign", "softplus": "Softplus"}

#: The operators' formulas in NumPy (ThresholdedRelu: x > alpha, the operator's Less).
NUMPY = {
    "affine": lambda v, a, b: a * v + b,
    "leaky_relu": lambda v, a: np.where(v >= 0, v, a * v),
    "thresholded_relu": lambda v, a: np.where(v > a, v, 0.0),
    "scaled_tanh": lambda v, a, b: a * np.tanh(b * v),
    "hard_sigmoid": lambda v, a, b: np.minimum(np.maximum(a * v + b, 0.0), 1.0),
    "elu": lambda v, a: np.where(v >= 0, v, a * (np.exp(np.minimum(v, 0.0)) - 1)),
    "softsign": lambda v: v / (1 + np.abs(v)),
    "softplus": lambda v: np.logaddexp(0.0, v),
}

#: The same in torch, torch's own function where it has one.
TORCH = {
    "affine": lambda v, a, b: a * v + b,
    "leaky_relu": lambda v, a: F.leaky_relu(v, a),
    "thresholded_relu": lambda v, a: F.threshold(v, a, 0.0),
    "scaled_tanh": lambda v, a, b: a * torch.tanh(b * v),
    "hard_sigmoid": lambda v, a, b: torch.clamp(a * v + b, 0.0, 1.0),
    "elu": lambda v, a: F.elu(v, a),
    "softsign": F.softsign,
    "softplus": lambda v: F.softplus(v, beta=1.0, threshold=40.0),
}

CELL = """
name = "activated"
outputs = ["h"]
[dims]
D = "input size"
H = "hidden size"
[inputs]
x = {{ shape = ["D"] }}
[states]
h = {{ shape = ["H"], init = "0" }}
[params]
W = {{ shape = ["H", "D"] }}
U = {{ shape = ["H", "H"] }}
b = {{ shape = ["H"] }}
[equations]
h = "{h}"
"""

TOL = dict(rtol=1e-12, atol=1e-12)


def _call(name: str, arg: str, params: tuple) -> str:
    return f"{name}({', '.join([arg, *params])})"


def _cell(name: str, params: tuple = ()):
    return loads_spec(CELL.format(h=_call(name, "W @ x + U @ h[t-1] + b", params)))


@st.composite
def parameters(draw, name):
    """Parameters as a spec writes them (two decimals, either sign) and as floats."""
    k = draw(st.lists(st.integers(-300, 300), min_size=len(DEFAULTS[name]),
                      max_size=len(DEFAULTS[name])))
    return tuple(str(i / 100) for i in k), tuple(i / 100 for i in k)


def _problem(rng, D, H, T, B):
    params = {"W": rng.uniform(-1.5, 1.5, (H, D)), "U": rng.uniform(-1, 1, (H, H)),
              "b": rng.uniform(-1, 1, H)}
    return params, rng.uniform(-2, 2, (T, B, D)), rng.uniform(-1, 1, (B, H))


def _by_hand(name, values, p: dict, x, h0):
    """The RNN h_t = f(W x_t + U h_{t-1} + b) in torch, f from :data:`TORCH`."""
    h, hs = h0, []
    for t in range(x.shape[0]):
        h = TORCH[name](x[t] @ p["W"].T + h @ p["U"].T + p["b"], *values)
        hs.append(h)
    return torch.stack(hs)


# -- generated code: values and gradients ---------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=30)
@given(data=st.data(), D=st.integers(1, 3), H=st.integers(1, 3), T=st.integers(1, 4),
       B=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_generated_numpy_equals_the_operators_formula(name, data, D, H, T, B, seed):
    written, values = data.draw(parameters(name))
    spec = _cell(name, written)
    params, x, h0 = _problem(np.random.default_rng(seed), D, H, T, B)
    traj = compile_numpy(spec).forward(params, {"x": x}, initial={"h": h0})
    h, expected = h0, []
    for t in range(T):
        h = NUMPY[name](x[t] @ params["W"].T + h @ params["U"].T + params["b"], *values)
        expected.append(h)
    np.testing.assert_allclose(traj.values["h"], np.stack(expected), **TOL)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20)
@given(data=st.data(), D=st.integers(1, 3), H=st.integers(1, 3), T=st.integers(1, 4),
       B=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_derived_gradients_equal_torch_autograd(name, data, D, H, T, B, seed, torch_one_thread):
    written, values = data.draw(parameters(name))
    spec = _cell(name, written)
    rng = np.random.default_rng(seed)
    params, x, h0 = _problem(rng, D, H, T, B)
    seeds = {"h": rng.normal(size=(T, B, H))}
    leaves = {n: torch.tensor(a, requires_grad=True) for n, a in
              {**params, "x": x, "h0": h0}.items()}
    hs = _by_hand(name, values, leaves, leaves["x"], leaves["h0"])
    (hs * torch.from_numpy(seeds["h"])).sum().backward()
    want = {n: leaves[n].grad.numpy() for n in leaves}

    on_numpy = compile_numpy(spec, gradients=True)
    traj = on_numpy.forward(params, {"x": x}, initial={"h": h0})
    np.testing.assert_allclose(traj.values["h"], hs.detach().numpy(), **TOL)
    on_torch = compile_torch(spec, dtype=torch.float64, gradients=True)
    as_tensors = {n: torch.from_numpy(np.asarray(a)) for n, a in params.items()}
    t_traj = on_torch.forward(as_tensors, {"x": torch.from_numpy(x)},
                              initial={"h": torch.from_numpy(h0)})
    np.testing.assert_allclose(t_traj.values["h"].numpy(), hs.detach().numpy(), **TOL)
    for grads, where in ((on_numpy.backward(traj, seeds), "numpy"),
                         (on_torch.backward(t_traj, {"h": torch.from_numpy(seeds["h"])}),
                          "torch")):
        for n in ("W", "U", "b"):
            np.testing.assert_allclose(np.asarray(grads.params[n]), want[n], **TOL,
                                       err_msg=f"{where} {n}")
        np.testing.assert_allclose(np.asarray(grads.inputs["x"]), want["x"], **TOL)
        np.testing.assert_allclose(np.asarray(grads.initial["h"]), want["h0"], **TOL)


# at each kink, (the spec's text, the inputs on it and beside it, torch's own function)
KINKS = {
    "leaky_relu": ("leaky_relu(x, 0.2)", [0.0, -1.0, 1.0], lambda v: F.leaky_relu(v, 0.2)),
    "elu": ("elu(x, 0.7)", [0.0, -1.0, 1.0], lambda v: F.elu(v, 0.7)),
    "thresholded_relu": ("thresholded_relu(x, 0.5)", [0.5, 0.25, 1.0],
                         lambda v: F.threshold(v, 0.5, 0.0)),
    # hard_sigmoid(x, 0.5, 0.5) is F.hardsigmoid(3x): edges at x = -1 and 1
    "hard_sigmoid": ("hard_sigmoid(x, 0.5, 0.5)", [-1.0, 1.0, 0.5, -2.0, 2.0],
                     lambda v: F.hardsigmoid(3 * v)),
    "softsign": ("softsign(x)", [0.0, -1.0], F.softsign),
    "softplus": ("softplus(x)", [0.0, -1.0, 1.0], F.softplus),
}

POINT = """
name = "point"
outputs = ["y"]
[dims]
D = "size"
[inputs]
x = {{ shape = ["D"] }}
[equations]
y = "{y}"
"""


@pytest.mark.parametrize("name", sorted(KINKS))
def test_the_derivative_at_a_kink_is_torchs(name):
    written, points, own = KINKS[name]
    spec = loads_spec(POINT.format(y=written))
    x = np.array([[points]])  # (T, B, D) = (1, 1, points)
    leaf = torch.tensor(x, requires_grad=True)
    y = own(leaf)
    y.sum().backward()
    compiled = compile_numpy(spec, gradients=True)
    traj = compiled.forward({}, {"x": x})
    np.testing.assert_allclose(traj.values["y"], y.detach().numpy(), **TOL)
    grads = compiled.backward(traj, {"y": np.ones_like(x)})
    # (torch's hardsigmoid' is 1/6 in float32; a wrong convention is off by O(1))
    np.testing.assert_allclose(grads.inputs["x"], leaf.grad.numpy(), rtol=1e-7, atol=0)
    # autograd through the torch backend's forward takes the same derivatives
    through = torch.tensor(x, requires_grad=True)
    out = compile_torch(spec, dtype=torch.float64).forward({}, {"x": through})
    out.values["y"].sum().backward()
    np.testing.assert_allclose(through.grad.numpy(), leaf.grad.numpy(), rtol=1e-7, atol=0)


def test_large_arguments_neither_overflow_nor_lose_accuracy():
    # conftest makes every NumPy overflow an error: exp is never taken of a large argument,
    # in the functions (softplus, elu) or in their derivatives (elu', softplus' = sigmoid)
    v = np.array([[[-800.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 800.0]]])
    with np.errstate(under="ignore"):  # exp(-800) is 0 (in the oracles; sigmoid's < 1e-300)
        softplus = np.logaddexp(0.0, v)
        sigmoid = np.exp(-np.logaddexp(0.0, -v))
        elu = np.where(v >= 0, v, 2 * np.expm1(np.minimum(v, 0)))
        elu_slope = np.where(v > 0, 1.0, 2 * np.exp(np.minimum(v, 0)))
    for y, value, slope in (("softplus(x)", softplus, sigmoid), ("elu(x, 2)", elu, elu_slope)):
        compiled = compile_numpy(loads_spec(POINT.format(y=y)), gradients=True)
        traj = compiled.forward({}, {"x": v})
        np.testing.assert_allclose(traj.values["y"], value, rtol=1e-15, atol=0, err_msg=y)
        grads = compiled.backward(traj, {"y": np.ones_like(v)})
        np.testing.assert_allclose(grads.inputs["x"], slope, rtol=1e-14, atol=1e-300, err_msg=y)
        on_torch = compile_torch(loads_spec(POINT.format(y=y)), dtype=torch.float64)
        t = on_torch.forward({}, {"x": torch.from_numpy(v)}).values["y"].numpy()
        np.testing.assert_allclose(t, value, rtol=1e-15, atol=0, err_msg=y)


# -- SymPy: the derivative against the formula -------------------------------------------------
_x = sp.Symbol("x", real=True)


def _kinks(name, values) -> list:
    if name in ("leaky_relu", "elu", "softsign"):
        return [sp.Integer(0)]
    if name == "thresholded_relu":
        return [values[0]]
    if name == "hard_sigmoid" and values[0] != 0:
        return [-values[1] / values[0], (1 - values[1]) / values[0]]
    return []


@pytest.mark.parametrize("name", NAMES)
def test_fdiff_equals_the_derivative_of_the_formula(name):
    cls = FUNCTIONS[name].sympy
    rnd = random.Random(name)
    for _ in range(25):
        values = [sp.Rational(rnd.randint(-30, 30), 10) for _ in DEFAULTS[name]]
        f = cls(_x, *values)
        exact = sp.diff(cls.formula(_x, *values), _x)
        point = sp.Rational(rnd.randint(-60, 60), 7)
        if point in _kinks(name, values):
            continue
        derived = f.fdiff().subs(_x, point)
        assert abs(sp.N(derived - exact.subs(_x, point), 40)) < 1e-35, (name, values, point)
        # numbers evaluate to the formula's value, which the NumPy formula gives too
        assert float(cls(point, *values)) == pytest.approx(
            float(NUMPY[name](float(point), *map(float, values))), rel=1e-14, abs=1e-300)


def test_the_check_can_fail():
    # Meta-test: leaky_relu's slopes swapped (alpha for x > 0) differ from the formula's.
    wrong = sp.Heaviside(-_x, 0) + sp.Rational(1, 5) * sp.Heaviside(_x, 0)
    exact = sp.diff(leaky_relu.formula(_x, sp.Rational(1, 5)), _x)
    assert wrong.subs(_x, 2) != exact.subs(_x, 2)


@pytest.mark.parametrize("name, at, expected", [
    ("leaky_relu", 0, sp.Rational(1, 100)), ("elu", 0, 1), ("thresholded_relu", 1, 0),
    ("hard_sigmoid", sp.Rational(5, 2), 0), ("hard_sigmoid", sp.Rational(-5, 2), 0),
    ("softsign", 0, 1), ("softplus", 0, sp.Rational(1, 2)),
])
def test_fdiff_at_a_kink_follows_torch(name, at, expected):
    assert FUNCTIONS[name].sympy(_x).fdiff().subs(_x, at) == expected


# -- the grammar: defaults, exact numbers, errors ---------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_the_table_holds_the_onnx_defaults(name):
    info = FUNCTIONS[name]
    assert info.kind == "elementwise" and info.sympy.onnx_name == ONNX_NAMES[name]
    assert [p.name for p in info.params] == ["alpha", "beta"][:len(DEFAULTS[name])]
    assert tuple(float(p.default) for p in info.params) == DEFAULTS[name]


@pytest.mark.parametrize("name", [n for n in NAMES if DEFAULTS[n]])
def test_a_parameter_not_written_takes_its_default(name):
    full = tuple(str(d) for d in DEFAULTS[name])
    assert _cell(name).equation("h").expr == _cell(name, full).equation("h").expr
    if len(full) == 2:  # only beta left out
        assert _cell(name, full[:1]).equation("h").expr == _cell(name, full).equation("h").expr
    assert FUNCTIONS[name].sympy(_x) == FUNCTIONS[name].sympy(_x, *map(sp.Rational, full))


def test_parameters_are_kept_exact_and_may_be_negative():
    h = _cell("elu", ("-0.5",)).equation("h").expr
    assert h.function.expr.args[1] == sp.Rational(-1, 2)
    h = _cell("hard_sigmoid", ("0.1", "+6e-1")).equation("h").expr
    assert h.function.expr.args[1:] == (sp.Rational(1, 10), sp.Rational(3, 5))
    assert _cell("affine", ("2",)).equation("h").expr.function.expr.args[1:] == (2, 0)


def test_a_scalar_argument_gives_a_scalar():
    spec = loads_spec(POINT.format(y="x * leaky_relu(s, 0.5)").replace(
        "[equations]", '[params]\ns = { shape = [] }\n[equations]'))
    s = sp.Symbol("s")
    (factor,) = [a for a in spec.equation("y").expr.args if not a.is_Matrix]
    assert factor.func is leaky_relu and factor.args[1] == sp.Rational(1, 2)
    assert leaky_relu(-4, sp.Rational(1, 2)) == -2 and leaky_relu(s).args[1] == sp.Rational(1, 100)
    x = np.array([[[1.0, -2.0]]])
    traj = compile_numpy(spec).forward({"s": np.float64(-3.0)}, {"x": x})
    np.testing.assert_allclose(traj.values["y"], x * -1.5, **TOL)


def _error(h: str):
    with pytest.raises(SpecError) as info:
        loads_spec(CELL.format(h=h))
    return info.value.diagnostics[0]


@pytest.mark.parametrize("h, col, message, hint", [
    ("leaky_relu(W @ x + U @ h[t-1], b)", 37,
     "the parameter alpha of leaky_relu() must be a number, not 'b'",
     "parameters are constants written as numbers, e.g. leaky_relu(v, 0.01) (the default "
     "alpha=0.01)"),
    ("hard_sigmoid(W @ x + U @ h[t-1] + b, 0.1, 2 * 0.3)", 48,
     "the parameter beta of hard_sigmoid() must be a number, not '2 * 0.3'",
     "parameters are constants written as numbers, e.g. hard_sigmoid(v, 0.2, 0.5) (the "
     "defaults alpha=0.2, beta=0.5)"),
], ids=["a name", "an expression"])
def test_a_parameter_that_is_not_a_number_is_a_located_error(h, col, message, hint):
    d = _error(h)
    assert (d.kind, d.message, d.hint, d.equation, d.line, d.col) == (
        "forbidden-construct", message, hint, "h", 16, col)


@pytest.mark.parametrize("h, message, hint", [
    ("leaky_relu(W @ x + U @ h[t-1] + b, 0.1, 0.2)",
     "leaky_relu() takes a vector v and at most 1 parameter (alpha=0.01), got 3 arguments",
     "write leaky_relu(v) for the defaults, or leaky_relu(v, 0.01)"),
    ("affine(W @ x + U @ h[t-1] + b, 1, 2, 3)",
     "affine() takes a vector v and at most 2 parameters (alpha=1, beta=0), got 4 arguments",
     "write affine(v) for the defaults, or affine(v, 1, 0)"),
    ("elu()", "elu() takes a vector v and at most 1 parameter (alpha=1), got 0 arguments",
     "write elu(v) for the defaults, or elu(v, 1)"),
    ("softplus(W @ x + U @ h[t-1] + b, 1)", "softplus() takes exactly one argument, got 2",
     "write softplus(x)"),
], ids=["leaky_relu", "affine", "none", "softplus"])
def test_too_many_arguments_is_an_arity_error(h, message, hint):
    d = _error(h)
    assert (d.kind, d.message, d.hint, d.equation, d.line, d.col) == (
        "arity", message, hint, "h", 16, 6)


# -- printers: text, LaTeX, MathML -------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_elementwise_call_names_the_function_and_its_parameters(name):
    expr = _cell(name).equation("h").expr
    call = elementwise_call(expr)
    assert call[0] == name and call[1][0] == expr.expr
    assert tuple(float(p) for p in call[1][1:]) == DEFAULTS[name]


@pytest.mark.parametrize("name, params, shown, tex, ml", [
    ("leaky_relu", ("0.2",), ("0.2",), r"\operatorname{LeakyRelu}_{0.2}", ["<mn>0.2</mn>"]),
    ("elu", ("-0.5",), ("-0.5",), r"\operatorname{Elu}_{-0.5}", ["<mo>−</mo><mn>0.5</mn>"]),
    ("hard_sigmoid", (), ("0.2", "0.5"), r"\operatorname{HardSigmoid}_{0.2,\,0.5}",
     ["<mn>0.2</mn>", "<mn>0.5</mn>"]),
    ("affine", ("3",), ("3", "0"), r"\operatorname{Affine}_{3,\,0}",
     ["<mn>3</mn>", "<mn>0</mn>"]),
    ("thresholded_relu", ("1e-3",), ("0.001",), r"\operatorname{ThresholdedRelu}_{0.001}",
     ["<mn>0.001</mn>"]),
    ("scaled_tanh", ("1.5", "0.25"), ("1.5", "0.25"), r"\operatorname{ScaledTanh}_{1.5,\,0.25}",
     ["<mn>1.5</mn>", "<mn>0.25</mn>"]),
    ("softsign", (), (), r"\operatorname{Softsign}\left(", []),
    ("softplus", (), (), r"\operatorname{Softplus}\left(", []),
])
def test_latex_and_mathml_show_the_function_and_its_parameters(name, params, shown, tex, ml):
    spec = _cell(name, params)
    timed = {*spec.variables, *spec.inputs, *spec.states}
    h = spec.equation("h").expr
    out = latex(h, timed)
    assert out.startswith(tex) and r"U h_{t-1} + W x_{t} + b" in out
    xml = mathml(h, timed)
    minidom.parseString(xml)  # well-formed
    assert f"<mi>{ONNX_NAMES[name]}</mi>" in xml and all(m in xml for m in ml)
    assert text(h) == _call(name, "U h[t-1] + W x + b", shown)
    from seqcheck.derive import derive  # and the derived equations render, in both forms

    for eq in derive(spec).equations:
        for _, e in eq.temps:
            latex(e, timed)
            minidom.parseString(mathml(e, timed))


def test_a_scalar_activation_prints_with_its_parameters():
    s = sp.Symbol("s", real=True)
    e = leaky_relu(s, sp.Rational(1, 5))
    assert text(e) == "leaky_relu(s, 0.2)" and str(e) == "leaky_relu(s, 0.2)"
    assert latex(e) == r"\operatorname{LeakyRelu}_{0.2}\left(s\right)"
    assert sp.latex(e) == r"\operatorname{LeakyRelu}_{0.2}\left(s\right)"
    xml = mathml(e)
    assert "<mi>LeakyRelu</mi>" in xml and "<mn>0.2</mn>" in xml
