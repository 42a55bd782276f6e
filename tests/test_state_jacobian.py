"""The symbolic state Jacobian ∂s_t/∂s_{t-1}, block by block, against the numeric one.

The numeric Jacobians (seqcheck.derive.state_jacobians, one-step windows of the compiled
backward pass) are themselves checked against torch.autograd.functional.jacobian in
test_rtrl_truncated.py; here each symbolic block is evaluated exactly by SymPy at a
concrete step and compared with them.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import load_spec
from seqcheck.backends import compile_numpy
from seqcheck.derive import DerivationError, state_jacobians
from seqcheck.derive.adjoint import state_jacobian

FORWARD = ["deep_rnn", "elman", "elman_nobias", "esn", "esn_feedback", "gru", "gru_cho",
           "jordan", "leaky_rnn", "lstm", "lstm_concat", "lstm_coupled", "lstm_seed000",
           "lstm_seed001", "lstm_seed002", "rnn"]


def _evaluate(block, dims, values):
    """A SymPy matrix expression at concrete values: exact, then to float."""
    e = block.subs(dims)
    repl = {}
    for s in e.free_symbols:
        if isinstance(s, sp.MatrixSymbol):
            v = np.asarray(values[s.name], dtype=float)
            repl[s] = sp.Matrix(v.reshape(-1, 1) if s.shape[1] == 1 else v)
        elif isinstance(s, sp.Symbol) and not s.is_integer:
            repl[s] = sp.Float(float(values[s.name]))
    # numbers first, then SymPy evaluates every product and function on them exactly as
    # written (sigmoid of a Float evaluates to 1 / (1 + exp(-x)))
    e = e.xreplace(repl).doit()
    e = e.as_explicit() if hasattr(e, "as_explicit") else e
    return np.array(e.evalf(), dtype=float)


@pytest.mark.parametrize("name", FORWARD)
@settings(max_examples=2)
@given(seed=st.integers(0, 2**31), t=st.integers(1, 2))
def test_symbolic_blocks_equal_the_numeric_jacobian(name, seed, t):
    spec = load_spec(name)
    rng = np.random.default_rng(seed)
    sizes = {d.symbol: 2 for d in spec.dims}

    def shape(s):
        return [int(sp.sympify(n).subs(sizes)) for n in s]

    params = {n: rng.uniform(-1, 1, shape(d.shape)) for n, d in spec.params.items()}
    if "alpha" in params:
        params["alpha"] = np.array(rng.uniform(0, 1))
    inputs = {n: rng.uniform(-1, 1, [3, 1, *shape(d.shape)]) for n, d in spec.inputs.items()}
    compiled = compile_numpy(spec, gradients=True, seeded=spec.variables)
    traj = compiled.forward(params, inputs)
    numeric, blocks = state_jacobians(compiled, traj)
    where = dict(blocks)
    values = dict(params)
    for v in spec.variables:
        values[v] = traj.raw[v][t, 0]
        values[f"{v}[t-1]"] = traj.raw[v][t - 1, 0]
    for n in spec.inputs:
        values[n] = inputs[n][t, 0]
    symbolic = state_jacobian(spec)
    for a, ra in where.items():
        for b, rb in where.items():
            got = numeric[t, 0][ra, rb]
            if (a, b) in symbolic:
                want = _evaluate(symbolic[(a, b)], sizes, values)
            else:
                want = np.zeros_like(got)
            np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name}: d{a}_t/d{b}_(t-1)")


def test_the_lstm_cell_path_is_diag_f():
    # Seed 002: the cell state is carried with no nonlinearity, only rescaled by f.
    f = load_spec("lstm").symbol("f")
    assert state_jacobian(load_spec("lstm"))[("c", "c")] == sp.DiagMatrix(f)


def test_the_leaky_unit_jacobian():
    # Seed 000 eq. 29: h_t = α h_{t-1} + (1 − α) h̃_t,
    # so ∂h_t/∂h_{t-1} = α I + (1 − α) ∂h̃_t/∂h_{t-1}.
    spec = load_spec("leaky_rnn")
    alpha = spec.symbol("alpha")
    h_tilde, W_hh = spec.symbol("h_tilde"), spec.symbol("W_hh")
    H = spec.dim("H").symbol
    want = alpha * sp.Identity(H) + (1 - alpha) * sp.DiagMatrix(
        sp.OneMatrix(H, 1) - sp.HadamardPower(h_tilde, 2)) * W_hh
    got = state_jacobian(spec)[("h", "h")]
    assert (got - want).doit().simplify() == sp.ZeroMatrix(H, H)


def test_a_backward_chain_has_no_state_jacobian_here():
    with pytest.raises(DerivationError, match="every state read as \\[t-1\\] only"):
        state_jacobian(load_spec("birnn"))
