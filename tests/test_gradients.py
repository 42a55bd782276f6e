"""The derived backward pass against three independent gradient oracles, for every spec.

``seqcheck.derive`` differentiates one step symbolically with its rule table and the
generated ``backward`` runs BPTT over it. Each test below computes the gradient of
``L = Σ_v Σ_t <seed_v,t, v_t>`` w.r.t. every parameter, input and initial state another
way, sharing nothing with the derivation but the forward equations:

(a) torch autograd through the same generated forward run on torch tensors (Hypothesis:
    dims, T, B, values, seeds);
(b) central finite differences of the NumPy forward pass alone (Hypothesis, a few
    entries of each array);
(c) exact SymPy differentiation of the spec unrolled into scalar expressions
    (``oracles/unrolled.py``), at fixed small sizes, evaluated at exact rational points.

Plus: float32 agrees with float64, and ``backward`` modifies nothing it is given.
No catalogue spec has a static input; the helpers lay out a static input as ``(B, n)``
so that one added later is covered by (a) and (b) as it stands.
"""

from __future__ import annotations

import copy
import functools
import random

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles.unrolled import unroll

from seqcheck import catalogue, compile_numpy, load_spec
from seqcheck.backends.torch_backend import compile_torch

NAMES = catalogue.spec_names()


# -- problems: sizes, arrays, seeds --------------------------------------------------------
@functools.cache
def _spec(name):
    return load_spec(name)


@functools.cache
def _compiled(name: str, dtype=np.float64, seeded: str = "all"):
    spec = _spec(name)
    return compile_numpy(spec, dtype=dtype, gradients=True,
                         seeded=spec.variables if seeded == "all" else None)


def _shape(spec, declared: tuple, sizes: dict) -> tuple[int, ...]:
    dims = {d.symbol: sizes[d.name] for d in spec.dims}
    return tuple(int(sp.sympify(n).xreplace(dims)) for n in declared)


def _arrays(spec, sizes: dict, T: int, B: int, rng, scale: float):
    """Random params (scalar parameters -- the catalogue's leak rates -- in [0, 1]), inputs
    ``(T, B, n)`` (static: ``(B, n)``) and an initial value ``(B, n)`` for every state."""
    params = {}
    for name, d in spec.params.items():
        shape = _shape(spec, d.shape, sizes)
        params[name] = rng.uniform(0, 1, shape) if not shape else rng.uniform(-scale, scale, shape)
    inputs = {name: rng.uniform(-scale, scale, ((B,) if d.static else (T, B))
                                + _shape(spec, d.shape, sizes))
              for name, d in spec.inputs.items()}
    initial = {name: rng.uniform(-1, 1, (B, *_shape(spec, d.shape, sizes)))
               for name, d in spec.states.items()}
    return params, inputs, initial


def _loss(traj, seeds) -> float:
    return sum(float(np.sum(seeds[v] * np.asarray(traj.raw[v], dtype=np.float64)))
               for v in seeds)


@st.composite
def problems(draw, spec):
    """Dims 1..4 (sometimes all different), T 1..4, B 1..3, a value scale, a RNG seed."""
    if draw(st.booleans()) and len(spec.dims) <= 4:
        sizes = dict(zip([d.name for d in spec.dims], draw(st.permutations([1, 2, 3, 4]))))
    else:
        sizes = {d.name: draw(st.integers(1, 4), label=d.name) for d in spec.dims}
    T = draw(st.integers(1, 4), label="T")
    B = draw(st.integers(1, 3), label="B")
    scale = draw(st.sampled_from([0.5, 1.0, 2.0]), label="scale")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    return sizes, T, B, scale, seed


def _assert_close(derived, reference, label, oracle: str, rtol: float, atol: float):
    """Every entry within ``atol + rtol·|reference|``; the message names the worst entry.

    ``label(index)`` names an entry: ``W_hh[0, 1]``, ``x[1, 0] at t=3``.
    """
    derived = np.asarray(derived, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    assert derived.shape == reference.shape, \
        f"∂L/∂{label(())}: shape {derived.shape}, {oracle} {reference.shape}"
    if derived.size == 0:
        return
    excess = np.abs(derived - reference) - (atol + rtol * np.abs(reference))
    k = np.unravel_index(np.argmax(excess), excess.shape)
    if excess[k] > 0:
        d, r = derived[k], reference[k]
        raise AssertionError(
            f"∂L/∂{label(tuple(int(i) for i in k))}: derived {d:.12g}, {oracle} {r:.12g}, "
            f"|Δ| {abs(d - r):.3g} > {atol:.3g} + {rtol:.3g}·|ref|")


def _label(spec, kind: str, name: str):
    """How a failure names an entry of a parameter, an input or an initial state."""
    def label(k: tuple) -> str:
        if kind == "inputs" and not spec.inputs[name].static and k:
            return f"{name}{list(k[1:])} at t={k[0] + 1}"
        index = str(list(k)) if k else ""
        return f"{name}{index}" + (" (initial value)" if kind == "initial" else "")
    return label


def _assert_gradients(spec, grads, reference, oracle, rtol, atol):
    """``reference``: ``{"params"|"inputs"|"initial": {name: array}}``."""
    for kind, names in (("params", spec.params), ("inputs", spec.inputs),
                        ("initial", spec.states)):
        for name in names:
            _assert_close(getattr(grads, kind)[name], reference[kind][name],
                          _label(spec, kind, name), oracle, rtol, atol)


# -- (a) torch autograd --------------------------------------------------------------------
@functools.cache
def _torch_forward(name: str):
    return compile_torch(_spec(name), dtype=torch.float64)


def _autograd(spec, params, inputs, initial, seeds, steps):
    """The gradients of L through the generated forward run on torch, by autograd."""
    fwd = _torch_forward(spec.name)
    leaves = {kind: {n: torch.tensor(a, dtype=torch.float64, requires_grad=True)
                     for n, a in arrays.items()}
              for kind, arrays in (("params", params), ("inputs", inputs),
                                   ("initial", initial))}
    traj = fwd.forward(leaves["params"], leaves["inputs"], initial=leaves["initial"],
                       steps=steps)
    loss = sum((torch.as_tensor(s) * traj.raw[v]).sum() for v, s in seeds.items())
    flat = [(kind, n, t) for kind, d in leaves.items() for n, t in d.items()]
    grads = torch.autograd.grad(loss, [t for _, _, t in flat], allow_unused=True)
    out = {"params": {}, "inputs": {}, "initial": {}}
    for (kind, n, t), g in zip(flat, grads):
        out[kind][n] = np.zeros(tuple(t.shape)) if g is None else g.numpy()
    return out


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_derived_gradients_equal_torch_autograd(name, data):
    spec = _spec(name)
    sizes, T, B, scale, seed = data.draw(problems(spec), label="problem")
    # Outputs only (the default) or every variable seeded, some seeds left out (= zero).
    seeded = data.draw(st.sampled_from(["outputs", "all"]), label="seeded")
    compiled = _compiled(name, seeded=seeded)
    rng = np.random.default_rng(seed)
    params, inputs, initial = _arrays(spec, sizes, T, B, rng, scale)
    traj = compiled.forward(params, inputs, initial=initial, steps=T)
    keep = data.draw(st.sets(st.sampled_from(compiled.seeded), min_size=1), label="seeds")
    seeds = {v: rng.normal(size=traj.raw[v].shape) for v in compiled.seeded if v in keep}
    grads = compiled.backward(traj, seeds)
    reference = _autograd(spec, params, inputs, initial, seeds, T)
    _assert_gradients(spec, grads, reference, "autograd", rtol=1e-10, atol=1e-10)


# -- (b) central finite differences ---------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_derived_gradients_equal_finite_differences(name, data):
    spec = _spec(name)
    sizes, T, B, scale, seed = data.draw(problems(spec), label="problem")
    compiled = _compiled(name)
    rng = np.random.default_rng(seed)
    params, inputs, initial = _arrays(spec, sizes, T, B, rng, scale)
    traj = compiled.forward(params, inputs, initial=initial, steps=T)
    seeds = {v: rng.normal(size=traj.raw[v].shape) for v in spec.variables}
    grads = compiled.backward(traj, seeds)
    eps = 1e-6
    arrays = {"params": params, "inputs": inputs, "initial": initial}
    for kind, table in arrays.items():
        for name_, array in table.items():
            derived = getattr(grads, kind)[name_]
            for _ in range(2):  # two random entries of every array
                k = tuple(int(rng.integers(n)) for n in array.shape)
                values = []
                for step in (eps, -eps):
                    moved = {key: dict(t) for key, t in arrays.items()}
                    moved[kind][name_] = array.copy()
                    moved[kind][name_][k] += step
                    t = compiled.forward(moved["params"], moved["inputs"],
                                         initial=moved["initial"], steps=T)
                    values.append(_loss(t, seeds))
                fd = (values[0] - values[1]) / (2 * eps)
                label = _label(spec, kind, name_)
                _assert_close(derived[k], fd, lambda _, k=k, label=label: label(k),
                              "finite differences", rtol=1e-6, atol=1e-6)


# -- (c) exact SymPy differentiation of the unrolled spec --------------------------------
def _exact_problem(spec, sizes: dict, T: int, B: int, seed: int):
    """The unrolled spec, an exact rational point and exact rational seeds.

    Values are multiples of 1/16 (seeds of 1/8), exact in float64, so that the derived
    pass runs on exactly the point the oracle differentiates at.
    """
    u = unroll(spec, sizes, steps=T, batch=B)
    rnd = random.Random(seed)
    point = {}
    for leaf in u.leaves():
        leak = any(leaf is p for n, p in u.params.items() if not spec.params[n].shape)
        point[leaf] = sp.Rational(rnd.randint(0, 16) if leak else rnd.randint(-20, 20), 16)
    seeds = {}
    for v in spec.variables:
        n = int(np.prod(u.shape(spec.equation(v).shape) or (1,)))
        seeds[v] = np.array([[[sp.Rational(rnd.randint(-12, 12), 8) for _ in range(n)]
                              for _ in range(B)] for _ in range(T)], dtype=object)
    return u, point, seeds


def _layout(spec, u, values: dict):
    """``{leaf: number}`` as the backend's arrays: params as declared, inputs ``(T, B, n)``,
    initial states ``(B, n)``."""
    def arr(m, declared):
        flat = [float(values[x]) for x in (list(m) if getattr(m, "is_Matrix", False) else [m])]
        return np.array(flat).reshape(_shape(spec, declared, u.sizes))

    params = {n: arr(m, spec.params[n].shape) for n, m in u.params.items()}
    inputs = {}
    for n, d in spec.inputs.items():
        per = u.inputs[n]
        inputs[n] = (np.stack([arr(m, d.shape) for m in per]) if d.static else
                     np.stack([np.stack([arr(m, d.shape) for m in row]) for row in per]))
    initial = {n: np.stack([arr(m, spec.states[n].shape) for m in u.initial[n]])
               for n in spec.states}
    return {"params": params, "inputs": inputs, "initial": initial}


def _derived(spec, u, point, seeds):
    arrays = _layout(spec, u, point)
    compiled = _compiled(spec.name)
    traj = compiled.forward(arrays["params"], arrays["inputs"], initial=arrays["initial"],
                            steps=u.steps)
    float_seeds = {v: np.array(s, dtype=np.float64).reshape(traj.raw[v].shape)
                   for v, s in seeds.items()}
    return compiled.backward(traj, float_seeds)


EXACT_CASES = [
    # (id, size of the k-th dim, T, B): the smallest recurrent case, then dims that
    # differ (H != D), a longer sequence and two batch rows.
    ("dims2-T2-B1", lambda k: 2, 2, 1),
    ("dims3,2,..-T3-B2", lambda k: 3 - k % 2, 3, 2),
]


@pytest.mark.parametrize("case", EXACT_CASES, ids=[c[0] for c in EXACT_CASES])
@pytest.mark.parametrize("name", NAMES)
def test_derived_gradients_equal_exact_unrolled_derivative(name, case):
    _, size, T, B = case
    spec = _spec(name)
    sizes = {d.name: size(k) for k, d in enumerate(spec.dims)}
    u, point, seeds = _exact_problem(spec, sizes, T, B, seed=len(name) + T)
    exact = _layout(spec, u, u.gradient(seeds, point))
    _assert_gradients(spec, _derived(spec, u, point, seeds), exact, "exact SymPy",
                      rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["rnn", "jordan", "leaky_rnn", "esn"])
def test_plain_sympy_diff_of_the_whole_unrolled_loss(name):
    # L as one expression in the leaves, differentiated by sympy.diff leaf by leaf: the
    # oracle without even its chain rule (small specs: the expression grows fast).
    spec = _spec(name)
    u, point, seeds = _exact_problem(spec, {d.name: 2 for d in spec.dims}, 2, 1, seed=7)
    loss = u.loss(seeds)
    exact = {leaf: sp.N(sp.diff(loss, leaf).xreplace(point), 30) for leaf in u.leaves()}
    chain = u.gradient(seeds, point)
    assert max(abs(exact[x] - chain[x]) for x in exact) < 1e-25  # the oracle's chain rule
    _assert_gradients(spec, _derived(spec, u, point, seeds), _layout(spec, u, exact),
                      "sympy.diff", rtol=1e-9, atol=1e-9)


def test_exact_oracle_can_fail():
    # A gradient that is wrong in one entry (W_hh[0, 1] of the RNN) is reported by name.
    spec = _spec("rnn")
    u, point, seeds = _exact_problem(spec, {"D": 2, "H": 2, "C": 2}, 2, 1, seed=3)
    exact = _layout(spec, u, u.gradient(seeds, point))
    grads = _derived(spec, u, point, seeds)
    wrong = copy.deepcopy(dict(grads.params))
    wrong["W_hh"][0, 1] += 1e-6
    with pytest.raises(AssertionError, match=r"∂L/∂W_hh\[0, 1\]: derived"):
        _assert_gradients(spec, type(grads)(wrong, grads.inputs, grads.initial), exact,
                          "exact SymPy", rtol=1e-9, atol=1e-9)


# -- float32, and nothing modified ---------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_float32_backward_agrees_with_float64(name, data):
    spec = _spec(name)
    sizes, T, B, scale, seed = data.draw(problems(spec), label="problem")
    rng = np.random.default_rng(seed)
    params, inputs, initial = _arrays(spec, sizes, T, B, rng, scale)
    # Both runs start from the same float32-representable arrays.
    params, inputs, initial = ({k: v.astype(np.float32) for k, v in d.items()}
                               for d in (params, inputs, initial))
    c64, c32 = _compiled(name), _compiled(name, np.float32)
    t64 = c64.forward(params, inputs, initial=initial, steps=T)
    t32 = c32.forward(params, inputs, initial=initial, steps=T)
    seeds = {v: rng.normal(size=t64.raw[v].shape).astype(np.float32) for v in spec.variables}
    g64 = c64.backward(t64, seeds)
    g32 = c32.backward(t32, seeds)
    for kind in ("params", "inputs", "initial"):
        for n, g in getattr(g32, kind).items():
            assert g.dtype == np.float32, f"{n} ({kind}) is {g.dtype}"
    ref = {kind: dict(getattr(g64, kind)) for kind in ("params", "inputs", "initial")}
    # float32 rounding grows over T steps and the seeds' sums; over 680 random draws the
    # worst entry used a tenth of this tolerance.
    _assert_gradients(spec, g32, ref, "float64", rtol=3e-5, atol=3e-5)


@pytest.mark.parametrize("name", NAMES)
def test_backward_modifies_neither_trajectory_nor_arrays(name):
    spec = _spec(name)
    rng = np.random.default_rng(5)
    sizes = {d.name: 2 + k % 2 for k, d in enumerate(spec.dims)}
    params, inputs, initial = _arrays(spec, sizes, 3, 2, rng, 1.0)
    given_ = copy.deepcopy((params, inputs, initial))
    compiled = _compiled(name)
    traj = compiled.forward(params, inputs, initial=initial, steps=3)
    seeds = {v: rng.normal(size=traj.raw[v].shape) for v in spec.variables}
    before = copy.deepcopy((dict(traj.raw), dict(traj.values), dict(traj.final),
                            {k: dict(v) for k, v in traj.arrays.items()}, seeds))
    first = compiled.backward(traj, seeds)
    after = (dict(traj.raw), dict(traj.values), dict(traj.final),
             {k: dict(v) for k, v in traj.arrays.items()}, seeds)
    for what, b, a in zip(("raw", "values", "final", "arrays", "seeds"), before, after):
        _assert_nested_equal(b, a, what)
    for what, b, a in zip(("params", "inputs", "initial"), given_, (params, inputs, initial)):
        _assert_nested_equal(b, a, what)
    # ... and a second backward on the same trajectory gives the same gradients.
    second = compiled.backward(traj, seeds)
    for kind in ("params", "inputs", "initial"):
        _assert_nested_equal(dict(getattr(first, kind)), dict(getattr(second, kind)), kind)


def _assert_nested_equal(before, after, what: str):
    if isinstance(before, dict):
        assert before.keys() == after.keys(), what
        for k in before:
            _assert_nested_equal(before[k], after[k], f"{what}[{k!r}]")
    else:
        np.testing.assert_array_equal(after, before, err_msg=f"{what} was modified")
