"""Numerical edges: the compiled activations at |x| up to 1e4, non-finite arrays, the
tolerance model at its edges, and a target that returns NaN."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special

from seqcheck import compile_numpy, load_spec, loads_spec
from seqcheck.backends.torch_backend import compile_torch
from seqcheck.checks.verify import compare_values as _compare
from seqcheck.checks.verify import tolerance
from seqcheck.errors import ShapeError

FUNCTIONS = ("sigmoid", "tanh", "softmax", "log_softmax")
DTYPES = (np.float32, np.float64)


def _spec(f):
    return loads_spec(f"""
name = "edge_{f}"
outputs = ["y"]
[dims]
D = "size"
[inputs]
x = {{ shape = ["D"] }}
[equations]
y = "{f}(x)"
""")


def _reference(f, x):
    """float64, written independently of seqcheck: sign-split sigmoid, max-shifted softmax."""
    with np.errstate(under="ignore"):
        return _reference_of(f, np.asarray(x, dtype=np.float64))


def _reference_of(f, x):
    if f == "sigmoid":
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    if f == "tanh":
        return np.tanh(x)
    z = x - x.max(axis=-1, keepdims=True)
    log_sum = np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return np.exp(z - log_sum) if f == "softmax" else z - log_sum


def _run(f, x, dtype, backend):
    """Compiled ``f`` on ``x`` (T, B, D) with every floating-point event an error."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        if backend == "numpy":
            y = compile_numpy(_spec(f), dtype=dtype).forward({}, {"x": x})["y"]
        else:
            tdt = torch.float32 if dtype == np.float32 else torch.float64
            y = compile_torch(_spec(f), dtype=tdt).forward({}, {"x": x})["y"].numpy()
    assert y.dtype == dtype
    return y.astype(np.float64)


def _close(y, ref, dtype):
    """|y − ref| ≤ 8ε·|ref| + 8ε·(1 for probabilities) + the smallest normal (subnormals)."""
    eps, tiny = np.finfo(dtype).eps, np.finfo(dtype).tiny
    with np.errstate(under="ignore"):  # 8ε·|ref| of a subnormal reference
        return np.abs(y - ref) <= 8 * eps * np.abs(ref) + tiny


BIG = st.floats(-1e4, 1e4, allow_nan=False, width=32)
SHAPES = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("f", FUNCTIONS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_activations_are_finite_warning_free_and_accurate(f, dtype, backend, data):
    x = data.draw(SHAPES.flatmap(lambda s: arrays(dtype, s, elements=BIG)), label="x")
    y = _run(f, x, dtype, backend)
    assert np.isfinite(y).all()
    ref = _reference(f, x)  # x is exactly representable in dtype: the same input
    if f in ("softmax", "log_softmax"):  # the log-sum adds an absolute error of a few ε
        assert (np.abs(y - ref) <= 8 * np.finfo(dtype).eps * (1 + np.abs(ref))).all()
    else:
        assert _close(y, ref, dtype).all(), np.max(np.abs(y - ref))


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_extremes_agree_with_scipy(dtype, backend):
    np.seterr(under="ignore")  # scipy's own exp underflows in the tails; restored by conftest
    x = np.array([[[-1e4, -745.0, -88.0, -40.0, -1.0, 0.0, 1.0, 40.0, 88.0, 1e4]]], dtype=dtype)
    assert _close(_run("sigmoid", x, dtype, backend), special.expit(x.astype(np.float64)),
                  dtype).all()
    log_ref = special.log_softmax(x.astype(np.float64), axis=-1)
    assert (np.abs(_run("log_softmax", x, dtype, backend) - log_ref)
            <= 8 * np.finfo(dtype).eps * (1 + np.abs(log_ref))).all()
    soft = _run("softmax", x, dtype, backend)
    assert np.abs(soft - special.softmax(x.astype(np.float64), axis=-1)).max() \
        <= 8 * np.finfo(dtype).eps


def test_the_negative_tail_of_the_sigmoid_keeps_its_relative_accuracy():
    # (1 + tanh(x/2)) / 2 cancels to 0 here; σ(-40) ≈ 4e-18 is representable in float64
    x = np.array([[[-40.0, -30.0]]])
    y = _run("sigmoid", x, np.float64, "numpy")
    np.testing.assert_allclose(y, special.expit(x), rtol=8 * np.finfo(np.float64).eps)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, (3, 5), elements=st.floats(-800, 800)),
       dtype=st.sampled_from([np.float32, np.float64]), fn=st.sampled_from(["sigmoid", "tanh"]))
def test_an_activation_written_into_an_array_is_the_one_returned(x, dtype, fn):
    """``out=``: what generated code uses to write a step's gate straight into its slot of
    the (T, B, H) array. The same values as without it, in the array given, on both
    backends; the oracle is scipy's expit (or NumPy's tanh) in float64."""
    from seqcheck.backends.namespaces import NumpyNamespace, TorchNamespace

    with np.errstate(under="ignore"):  # tiny draws round to 0 in float32, as for a target
        exact = x.astype(dtype).astype(np.float64)
    ref = special.expit(exact) if fn == "sigmoid" else np.tanh(exact)
    tol = 4 * np.finfo(dtype).eps
    for xp in (NumpyNamespace(dtype), TorchNamespace(getattr(torch, np.dtype(dtype).name))):
        z = xp.asarray(exact)
        buf = xp.zeros((2, 3, 5))
        with xp.errstate():
            got = getattr(xp, fn)(z, out=buf[1])
            plain = getattr(xp, fn)(z)
        assert (got.data_ptr() == buf[1].data_ptr() if xp.name == "torch"
                else np.shares_memory(got, buf[1])), xp.name  # the array given, returned
        values = np.asarray(buf[1])
        assert np.array_equal(values, np.asarray(plain)), xp.name
        assert not np.asarray(buf[0]).any()  # nothing outside the slot
        assert np.all(np.abs(values - ref) <= tol * np.maximum(np.abs(ref), 1e-30)
                      + np.finfo(dtype).tiny), xp.name


# -- non-finite arrays ------------------------------------------------------------------
def _elman():
    H, D, C = 2, 3, 1
    params = {"W_1": np.eye(H), "W_2": np.ones((H, D)), "V": np.ones((C, H)),
              "b": np.zeros(H), "c": np.zeros(C)}
    return load_spec("elman"), params, {"x": np.ones((2, 2, D))}


@pytest.mark.parametrize("compile_", [compile_numpy, compile_torch])
@pytest.mark.parametrize(("group", "name", "index", "value"), [
    ("input", "x", (1, 0, 2), np.inf),
    ("parameter", "W_2", (1, 1), np.nan),
    ("initial state", "h", (0, 1), -np.inf),
])
def test_a_non_finite_array_is_refused_with_its_first_index(compile_, group, name, index,
                                                            value):
    spec, params, inputs = _elman()
    initial = {"h": np.zeros((2, 2))}
    target = {"input": inputs, "parameter": params, "initial state": initial}[group]
    target[name] = target[name].copy()
    target[name][index] = value
    compiled = compile_(spec)
    with pytest.raises(ShapeError) as e:
        compiled.forward(params, inputs, initial=initial)
    lines = str(e.value).splitlines()
    assert lines[0] == (f"{group} '{name}' has a non-finite value {value} at index "
                        f"{list(index)} (1 of {target[name].size} entries are NaN or ±inf); "
                        "seqcheck compares finite values only")
    assert lines[1] == ("  hint: replace them (numpy.nan_to_num), or pass "
                        "allow_nonfinite=True to run on them anyway")
    with np.errstate(invalid="ignore", over="ignore"):  # opted in: runs, no ShapeError
        out = compiled.forward(params, inputs, initial=initial, allow_nonfinite=True)
    assert tuple(out["h"].shape) == (2, 2, 2)


# -- the tolerance model at its edges ---------------------------------------------------
PARAMS, SIZES = {"W": np.array([0.5, -2.0])}, {"D": 3, "H": 4}


def test_tolerance_grows_linearly_with_steps_and_sweeps():
    r = {(T, S): tolerance("float64", T, PARAMS, SIZES, sweeps=S)[0]
         for T in (1, 2, 4, 8) for S in (1, 2, 4)}
    base = r[(1, 1)] / 2  # 16ε: rtol = 16ε·(1 + T·S)
    for (T, S), rtol in r.items():
        assert rtol == pytest.approx(base * (1 + T * S), rel=1e-12)
    rtol, atol = tolerance("float64", 3, PARAMS, SIZES)
    g_rtol, g_atol = tolerance("float64", 3, PARAMS, SIZES, gradients=True)
    assert (g_rtol, g_atol) == (16 * rtol, 16 * atol)
    assert atol == pytest.approx(rtol * (1 + 2.0 * 7))


def test_tolerance_follows_the_dtype():
    r32, a32 = tolerance("float32", 5, PARAMS, SIZES)
    r64, a64 = tolerance("float64", 5, PARAMS, SIZES)
    ratio = np.finfo(np.float32).eps / np.finfo(np.float64).eps
    assert r32 / r64 == pytest.approx(ratio) and a32 / a64 == pytest.approx(ratio)


@pytest.mark.parametrize("expected", [0.0, 0.75, -3.0])
def test_a_value_at_the_tolerance_passes_and_one_ulp_beyond_fails(expected):
    rtol, atol = tolerance("float32", 2, PARAMS, SIZES)
    tol = atol + rtol * abs(expected)
    at = expected + tol
    # step down until |at − expected| ≤ tol holds in float64 arithmetic, then one ulp up
    while abs(at - expected) > tol:
        at = np.nextafter(at, -np.inf)
    beyond = np.nextafter(at, np.inf)
    assert _compare("output h", [expected], [at], rtol, atol) == []
    [d] = _compare("output h", [expected], [beyond], rtol, atol)
    assert (d.expected, d.actual, d.tol) == (expected, float(beyond), tol)


def test_nan_from_the_target_is_a_divergence_described_as_nan():
    [d] = _compare("output h", [0.25, 0.5], [0.25, np.nan], 1e-6, 1e-6)
    assert d.index == (1,) and np.isnan(d.actual) and d.expected == 0.5
    assert "expected 0.5, actual nan; |Δ| = nan" in d.describe()
