"""The spec function ``clip(v, c)`` (ONNX's ``clip`` attribute): grammar, rule, printers.

Oracles, as for every function of the table:
- its reverse-mode rule against exact index-level differentiation of
  ``Σ_i g_i · min(max(v_i, -c), c)`` by ``sympy.diff`` at rational points (as
  tests/test_derive_rules.py does for the other rules), for the argument and the bound;
- the generated NumPy forward and backward passes, and the torch forward, against a
  hand-written torch model using ``torch.clamp`` under autograd.

Points never lie on the band's edges |v| = c, where clip has no derivative.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Lambda, MatrixSymbol
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from seqcheck import SpecError, compile_numpy, loads_spec
from seqcheck.backends.torch_backend import compile_torch
from seqcheck.derive.rules import vjp
from seqcheck.spec.functions import FUNCTIONS, clip

_d = sp.Dummy("d")
v, g = MatrixSymbol("v", 3, 1), MatrixSymbol("g", 3, 1)
c = sp.Symbol("c", real=True)


def _entries(name: str, n: int) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(n, 1, lambda i, j: sp.Symbol(f"{name}[{i}]", real=True))


def _points(rnd: random.Random) -> dict:
    """v_i = k/4 and c = 7/10: never on an edge; inside and outside the band."""
    at = {sp.Symbol(f"v[{i}]", real=True): sp.Rational(rnd.randint(-8, 8), 4) for i in range(3)}
    at.update({sp.Symbol(f"g[{i}]", real=True): sp.Rational(rnd.randint(-9, 9), 3)
               for i in range(3)})
    return {**at, c: sp.Rational(7, 10)}


@pytest.mark.parametrize("bound", [c, sp.Rational(7, 10)], ids=["scalar parameter", "number"])
def test_clip_rule_equals_index_level_derivative(bound):
    node = ElementwiseApplyFunction(Lambda(_d, clip(_d, bound)), v)
    env = {v: _entries("v", 3), g: _entries("g", 3)}
    F = sum(env[g][i] * sp.Min(sp.Max(env[v][i], -bound), bound) for i in range(3))
    adjoints = dict(vjp(node, g))
    assert set(adjoints) == ({v, c} if bound == c else {v})
    rnd = random.Random(1)
    for _ in range(20):
        at = _points(rnd)
        derived = adjoints[v].xreplace(env).doit().as_explicit()
        for i in range(3):
            exact = sp.diff(F, env[v][i]).xreplace(at)
            assert derived[i, 0].xreplace(at).doit() == exact, (i, at)
        if bound == c:
            assert adjoints[c].xreplace(env).doit().xreplace(at) == sp.diff(F, c).xreplace(at)


def test_the_check_can_fail():
    # Meta-test: the mask inverted (1 outside the band) is caught at the first point.
    wrong = Lambda(_d, 1 - sp.Heaviside(c - sp.Abs(_d), 0))
    adjoint = sp.hadamard_product(g, ElementwiseApplyFunction(wrong, v))
    env = {v: _entries("v", 3), g: _entries("g", 3)}
    F = sum(env[g][i] * sp.Min(sp.Max(env[v][i], -c), c) for i in range(3))
    at = _points(random.Random(1))
    derived = adjoint.xreplace(env).doit().as_explicit()
    assert any(derived[i, 0].xreplace(at).doit() != sp.diff(F, env[v][i]).xreplace(at)
               for i in range(3))


def test_clip_rule_with_several_columns_gives_the_bound_none():
    # State Jacobians propagate columns to vectors only, as the product rule does.
    node = ElementwiseApplyFunction(Lambda(_d, clip(_d, c)), v)
    cols = MatrixSymbol("G", 3, 2)
    (kid,) = vjp(node, cols, jac=True)
    assert kid[0] == v
    at = _points(random.Random(2))
    env = {v: _entries("v", 3)}
    G = sp.ImmutableMatrix(3, 2, lambda i, j: sp.Rational(i + 1, j + 2))
    together = kid[1].xreplace({**env, cols: G}).doit().as_explicit().xreplace(at)
    for j in range(2):
        (single,) = [a for child, a in vjp(node, G[:, j]) if child == v]
        np.testing.assert_array_equal(
            np.array(together[:, j], dtype=float),
            np.array(single.xreplace(env).doit().as_explicit().xreplace(at), dtype=float))


# -- the grammar ------------------------------------------------------------------------------
CELL = """
name = "clipped"
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
c = {{ shape = [] }}
[equations]
a = "{a}"
h = "tanh(clip(a, 0.5) + a)"
"""


def test_clip_is_in_the_function_table():
    assert FUNCTIONS["clip"].kind == "bounded" and FUNCTIONS["clip"].sympy is clip
    spec = loads_spec(CELL.format(a="clip(W @ x + U @ h[t-1], c)"))
    assert spec.equation("h").text == "tanh(clip(a, 0.5) + a)"
    assert clip(sp.Rational(3, 2), sp.Rational(1, 2)) == sp.Rational(1, 2)


@pytest.mark.parametrize("a, kind, message", [
    ("clip(W @ x)", "arity", "clip() takes exactly two arguments, got 1"),
    ("clip(W @ x, -0.5)", "forbidden-construct",
     "the bound of clip() must be a positive number or the name of a scalar parameter, "
     "not '-0.5'"),
    ("clip(W @ x, 0)", "forbidden-construct",
     "the bound of clip() must be a positive number or the name of a scalar parameter, not '0'"),
    ("clip(W @ x, W @ x)", "forbidden-construct",
     "the bound of clip() must be a positive number or the name of a scalar parameter, "
     "not 'W @ x'"),
    ("clip(W @ x, x)", "forbidden-construct",
     "the bound of clip() must be a positive number or the name of a scalar parameter, "
     "not 'x'"),
], ids=["one argument", "negative", "zero", "vector expression", "vector name"])
def test_clip_errors(a, kind, message):
    with pytest.raises(SpecError) as info:
        loads_spec(CELL.format(a=a))
    first = info.value.diagnostics[0]
    assert (first.kind, first.message, first.equation) == (kind, message, "a")


# -- the printers: NumPy forward and backward, torch forward, against torch.clamp ---------------
def _clamped(p: dict, x, h0):
    """The cell by hand in torch: a = clamp(W x + U h, -c, c); h = tanh(clamp(a, ±0.5) + a)."""
    h, hs = h0, []
    for t in range(x.shape[0]):
        a = torch.clamp(x[t] @ p["W"].T + h @ p["U"].T, -p["c"], p["c"])
        h = torch.tanh(torch.clamp(a, -0.5, 0.5) + a)
        hs.append(h)
    return torch.stack(hs)


@settings(max_examples=20)
@given(D=st.integers(1, 3), H=st.integers(1, 3), T=st.integers(1, 4), B=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_generated_code_equals_torch_clamp_autograd(D, H, T, B, seed):
    spec = loads_spec(CELL.format(a="clip(W @ x + U @ h[t-1], c)"))
    rng = np.random.default_rng(seed)
    params = {"W": rng.uniform(-2, 2, (H, D)), "U": rng.uniform(-2, 2, (H, H)),
              "c": np.float64(rng.uniform(0.3, 1.5))}
    x, h0 = rng.uniform(-2, 2, (T, B, D)), rng.uniform(-1, 1, (B, H))
    seeds = {"h": rng.normal(size=(T, B, H))}
    compiled = compile_numpy(spec, gradients=True, seeded=("h",))
    traj = compiled.forward(params, {"x": x}, initial={"h": h0})
    grads = compiled.backward(traj, seeds)

    leaves = {n: torch.tensor(a, requires_grad=True) for n, a in
              {**params, "x": x, "h0": h0}.items()}
    hs = _clamped(leaves, leaves["x"], leaves["h0"])
    (hs * torch.from_numpy(seeds["h"])).sum().backward()
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.values["h"], hs.detach().numpy(), **tol)
    for n in ("W", "U", "c"):
        np.testing.assert_allclose(grads.params[n], leaves[n].grad.numpy(), **tol, err_msg=n)
    np.testing.assert_allclose(grads.inputs["x"], leaves["x"].grad.numpy(), **tol)
    np.testing.assert_allclose(grads.initial["h"], leaves["h0"].grad.numpy(), **tol)
    on_torch = compile_torch(spec, dtype=torch.float64).forward(
        {n: torch.from_numpy(np.asarray(a)) for n, a in params.items()},
        {"x": torch.from_numpy(x)}, initial={"h": torch.from_numpy(h0)})
    np.testing.assert_allclose(on_torch.values["h"].numpy(), hs.detach().numpy(), **tol)


# -- text and LaTeX ---------------------------------------------------------------------------
def test_clip_and_its_derivatives_print_in_the_lectures_notation():
    from seqcheck.derive import derive
    from seqcheck.printing import latex, text

    spec = loads_spec(CELL.format(a="clip(W @ x + U @ h[t-1], c)"))
    timed = {*spec.variables, *spec.inputs, *spec.states}
    a = spec.equation("a").expr
    assert text(a) == "clip(U h[t-1] + W x, c)"
    assert latex(a, timed) == r"\operatorname{clip}\left(U h_{t-1} + W x_{t}, c\right)"
    (adjoint,) = [e for e in derive(spec).equations if e.target == "a"]
    (_, d_a), = adjoint.temps
    assert text(d_a) == "Heaviside(c - Abs((U h[t-1] + W x)), 0) ⊙ adj_a"
    assert latex(d_a, timed) == (r"\theta\left(c - \left|{\left(U h_{t-1} + W x_{t}\right)}"
                                 r"\right|, 0\right) \odot \bar{a}_{t}")
