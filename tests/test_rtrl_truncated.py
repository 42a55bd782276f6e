"""Real-time recurrent learning, truncated BPTT and state Jacobians against independent oracles.

Over every catalogue spec whose recurrences run forward in time (all but birnn):
- RTRL (seed 003, Williams & Zipser) against BPTT, the compiled backward pass: two
  algorithms, accumulated in opposite directions, must give one gradient;
- truncated BPTT with k ≥ T against BPTT; with k < T against a truncation written here
  with torch autograd on compile_torch's forward pass (no derived backward pass involved);
- the state Jacobians ∂s_t/∂s_{t-1} against torch.autograd.functional.jacobian of one
  step, and their product against the Jacobian of the whole sequence (seed 002's
  recursive product);
- the LSTM's cell block against diag(f_t) (seed 002, "Cell state").
birnn's backward chain is rejected with a message naming it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import ShapeError, compile_numpy, load_spec, loads_spec
from seqcheck.backends.torch_backend import compile_torch
from seqcheck.catalogue import spec_names
from seqcheck.derive import DerivationError, rtrl, state_jacobians, truncated_bptt
from seqcheck.spec.schedule import make_schedule

# Forward-in-time only: RTRL and truncation run forward, and refuse a chain over [t+1].
CAUSAL = [n for n in spec_names()
          if all((s.direction or 1) > 0 for s in make_schedule(load_spec(n)).sweeps)]
#: float64 throughout. RTRL and truncated BPTT reorder the sums of the references, and the
#: Jacobians compare derived code with autograd: differences seen are below 1e-14 (dims 3,
#: T = 4, weights ±2), far inside these tolerances.
TOL = dict(rtol=1e-10, atol=1e-10)
JAC_TOL = dict(rtol=1e-8, atol=1e-10)


@functools.cache
def _numpy(name: str, seeded: tuple[str, ...] | None = None):
    return compile_numpy(load_spec(name), gradients=True, seeded=seeded)


@functools.cache
def _torch(name: str):
    return compile_torch(load_spec(name))


@dataclass(frozen=True)
class Problem:
    """Arrays for one run: params, inputs, optional initial states, and loss seeds."""

    name: str
    params: dict
    inputs: dict
    initial: dict | None
    seeds: dict
    T: int
    B: int


def make_problem(name: str, dims: dict, T: int, B: int, scale: float, seed: int,
                 initial_given: bool) -> Problem:
    """Weights in ±scale, leak weights (scalar parameters) in [0, 1], inputs in ±2,
    initial states in ±1 when given, standard normal seeds on every seeded variable."""
    c = _numpy(name)
    spec = c.spec
    rng = np.random.default_rng(seed)
    sub = {d.symbol: dims[d.name] for d in spec.dims}

    def shape(decl):
        return tuple(int(sp.sympify(e).subs(sub)) for e in decl.shape)

    params = {p: (rng.uniform(-scale, scale, size=shape(d)) if d.shape
                  else np.asarray(rng.uniform(0, 1))) for p, d in spec.params.items()}
    inputs = {x: rng.uniform(-2, 2, size=((B,) if d.static else (T, B)) + shape(d))
              for x, d in spec.inputs.items()}
    initial = None
    if initial_given:
        initial = {s: rng.uniform(-1, 1, size=(B,) + shape(d)) for s, d in spec.states.items()}
    traj = c(params, inputs, initial, steps=T)
    seeds = {v: rng.normal(size=tuple(traj.values[v].shape)) for v in c.seeded}
    return Problem(name, params, inputs, initial, seeds, T, B)


@st.composite
def problems(draw, name: str, min_steps: int = 1) -> Problem:
    """Dims 1..3, T min_steps..5, B 1..3, weights up to ±0.5 or ±2 (gates saturate)."""
    dims = {d.name: draw(st.integers(1, 3), label=d.name) for d in _numpy(name).spec.dims}
    return make_problem(
        name, dims,
        T=draw(st.integers(min_steps, 5), label="T"),
        B=draw(st.integers(1, 3), label="B"),
        scale=draw(st.sampled_from((0.5, 2.0)), label="scale"),
        seed=draw(st.integers(0, 2**32 - 1), label="seed"),
        initial_given=draw(st.booleans(), label="initial given"))


def _rnn(T: int = 3, B: int = 2) -> Problem:
    """A fixed seed 000 RNN problem (D = 2, H = 3, C = 4) for the error tests."""
    return make_problem("rnn", {"D": 2, "H": 3, "C": 4}, T, B, 1.0, 2024, False)


def _allclose(got, want, what: str, **tol) -> None:
    for k in want:
        np.testing.assert_allclose(got[k], want[k], **(tol or TOL), err_msg=f"{what} {k!r}")


# -- RTRL -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CAUSAL)
@settings(max_examples=6)
@given(data=st.data())
def test_rtrl_equals_bptt(name, data):
    # seed 003: RTRL computes "the exact gradients" forward in time; BPTT backward.
    pb = data.draw(problems(name))
    c = _numpy(name)
    bptt = c.backward(c(pb.params, pb.inputs, pb.initial, steps=pb.T), pb.seeds).params
    got = rtrl(c, pb.params, pb.inputs, pb.seeds, initial=pb.initial, steps=pb.T)
    assert set(got) == set(pb.params)
    _allclose(got, bptt, f"{name}: RTRL vs BPTT, parameter")


def test_rtrl_seeds_the_states_itself():
    # A compilation that seeds only the prediction y still gives RTRL its unit seeds on
    # the states [h; c]; the result must not change.
    pb = make_problem("lstm", {"D": 2, "H": 3}, T=4, B=2, scale=2.0, seed=5,
                      initial_given=True)
    c = _numpy("lstm", ("y",))
    seeds = {"y": pb.seeds["y"]}
    bptt = c.backward(c(pb.params, pb.inputs, pb.initial, steps=pb.T), seeds).params
    _allclose(rtrl(c, pb.params, pb.inputs, seeds, initial=pb.initial), bptt, "lstm seeding y:")


# -- truncated BPTT ---------------------------------------------------------------------
@pytest.mark.parametrize("name", CAUSAL)
@settings(max_examples=5)
@given(data=st.data())
def test_truncated_bptt_with_the_whole_window_is_bptt(name, data):
    pb = data.draw(problems(name))
    k = data.draw(st.integers(pb.T, pb.T + 2), label="k")
    c = _numpy(name)
    full = c.backward(c(pb.params, pb.inputs, pb.initial, steps=pb.T), pb.seeds)
    got = truncated_bptt(c, pb.params, pb.inputs, pb.seeds, k, initial=pb.initial,
                         steps=pb.T)
    _allclose(got.params, full.params, f"{name}, k={k} >= T: parameter")
    _allclose(got.inputs, full.inputs, f"{name}, k={k} >= T: input")
    _allclose(got.initial, full.initial, f"{name}, k={k} >= T: initial state")


def _torch_truncated(pb: Problem, k: int) -> tuple[dict, dict, dict]:
    """Truncated BPTT by torch autograd: for each t, rerun the forward pass from the
    detached true state before step t-k+1 through steps t-k+1..t and backpropagate ℓ_t."""
    tc = _torch(pb.name)
    spec = tc.spec
    with torch.no_grad():
        truth = tc(pb.params, pb.inputs, pb.initial, steps=pb.T)
    P = {n: torch.tensor(a, requires_grad=True) for n, a in pb.params.items()}
    X = {n: torch.tensor(a, requires_grad=True) for n, a in pb.inputs.items()}
    S0 = {s: torch.tensor(a, requires_grad=True) for s, a in (pb.initial or {}).items()}
    loss = torch.zeros((), dtype=torch.float64)
    for t in range(pb.T):
        start = max(0, t - k + 1)
        init = S0 if start == 0 else {s: truth.values[s][start - 1].detach()
                                      for s in spec.states}
        window = tc(P, {n: (x if spec.inputs[n].static else x[start:t + 1])
                        for n, x in X.items()}, init, steps=t + 1 - start)
        for v, seed in pb.seeds.items():
            loss = loss + (torch.as_tensor(seed[t]) * window.values[v][-1]).sum()
    leaves = [*P.values(), *X.values(), *S0.values()]
    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
    grads = [np.zeros(tuple(leaf.shape)) if g is None else g.numpy()
             for leaf, g in zip(leaves, grads)]
    names = [*P, *X, *S0]
    out = dict(zip(names, grads))
    return ({n: out[n] for n in P}, {n: out[n] for n in X}, {s: out[s] for s in S0})


@pytest.mark.parametrize("name", CAUSAL)
@settings(max_examples=5)
@given(data=st.data())
def test_truncated_bptt_matches_torch_autograd(name, data):
    # seed 003: "with truncation backpropagate loss within a limited window of time".
    pb = data.draw(problems(name, min_steps=2))
    k = data.draw(st.integers(1, pb.T - 1), label="k")
    got = truncated_bptt(_numpy(name), pb.params, pb.inputs, pb.seeds, k, initial=pb.initial,
                         steps=pb.T)
    params, inputs, initial = _torch_truncated(pb, k)
    _allclose(got.params, params, f"{name}, k={k} < T={pb.T}: parameter")
    _allclose(got.inputs, inputs, f"{name}, k={k} < T={pb.T}: input")
    _allclose(got.initial, initial, f"{name}, k={k} < T={pb.T}: initial state")


def test_truncation_drops_the_memory_beyond_the_window():
    # seed 003: "beyond the truncation there is no memory effect" -- with k = 2 the loss at
    # the last step reaches x_{T-1} and x_T and no earlier input.
    pb = make_problem("gru", {"D": 2, "H": 3}, T=5, B=2, scale=1.0, seed=6,
                      initial_given=False)
    seeds = {"h": np.zeros_like(pb.seeds["h"])}
    seeds["h"][-1] = 1.0
    g = truncated_bptt(_numpy("gru"), pb.params, pb.inputs, seeds, k=2, initial=pb.initial)
    np.testing.assert_array_equal(g.inputs["x"][:-2], 0.0)
    assert np.all(np.any(g.inputs["x"][-2:] != 0.0, axis=-1))


# -- state Jacobians --------------------------------------------------------------------
def _states_before(pb: Problem, traj, t: int) -> dict:
    if t > 0:
        return {s: traj.values[s][t - 1] for s in traj.final}
    if pb.initial is not None:
        return pb.initial
    spec = _numpy(pb.name).spec
    assert all(d.init_text == "0" for d in spec.states.values()), "oracle assumes init 0"
    return {s: np.zeros(tuple(traj.values[s].shape)[1:]) for s in spec.states}


def _torch_jacobian(pb: Problem, start: int, stop: int, before: dict, blocks) -> np.ndarray:
    """∂s_stop/∂s_start (0-based steps start..stop-1) per batch row, by torch autograd."""
    tc = _torch(pb.name)
    spec = tc.spec

    def run(flat):
        init = {s: flat[:, sl].reshape(pb.B, *np.shape(before[s])[1:]) for s, sl in blocks}
        out = tc(pb.params, {n: (x if spec.inputs[n].static else x[start:stop])
                             for n, x in pb.inputs.items()}, init, steps=stop - start)
        return torch.cat([out.values[s][-1].reshape(pb.B, -1) for s, _ in blocks], dim=1)

    flat = torch.cat([torch.as_tensor(before[s]).reshape(pb.B, -1) for s, _ in blocks], dim=1)
    jac = torch.autograd.functional.jacobian(run, flat).numpy()  # (B, n, B, n)
    return np.stack([jac[b, :, b, :] for b in range(pb.B)])


@pytest.mark.parametrize("name", CAUSAL)
@settings(max_examples=4)
@given(data=st.data())
def test_state_jacobians_match_torch_autograd(name, data):
    pb = data.draw(problems(name))
    c = _numpy(name)
    traj = c(pb.params, pb.inputs, pb.initial, steps=pb.T)
    J = state_jacobians(c, traj)
    n = sum(sl.stop - sl.start for _, sl in J.blocks)
    assert [s for s, _ in J.blocks] == list(c.spec.states)
    assert J.jacobians.shape == (pb.T, pb.B, n, n)
    for t in range(pb.T):
        want = _torch_jacobian(pb, t, t + 1, _states_before(pb, traj, t), J.blocks)
        np.testing.assert_allclose(J.jacobians[t], want, **JAC_TOL,
                                   err_msg=f"{name}: ∂s_t/∂s_(t-1) at t={t + 1}")
    # seed 002: ∂s_T/∂s_0 is the recursive product J_T ... J_1 (seed 000 eq. 27 for linear h)
    product = np.broadcast_to(np.eye(n), (pb.B, n, n))
    for t in range(pb.T):
        product = J.jacobians[t] @ product
    want = _torch_jacobian(pb, 0, pb.T, _states_before(pb, traj, 0), J.blocks)
    np.testing.assert_allclose(product, want, **JAC_TOL, err_msg=f"{name}: ∂s_T/∂s_0")


def _lstm_problem(data, recurrent: bool) -> Problem:
    pb = data.draw(problems("lstm"))
    if not recurrent:
        for w in ("W_hi", "W_hf", "W_hc", "W_ho"):
            pb.params[w][:] = 0.0
    return pb


@settings(max_examples=10)
@given(data=st.data(), recurrent=st.booleans())
def test_lstm_cell_block_is_the_forget_gate(data, recurrent):
    # seed 002 ("Cell state"): c_{t-1} reaches c_t through no nonlinearity, only rescaled by
    # the forget gate, so the direct term ∂c_t/∂c_{t-1} is diag(f_t) whatever the weights.
    pb = _lstm_problem(data, recurrent)
    c = _numpy("lstm")
    traj = c(pb.params, pb.inputs, pb.initial, steps=pb.T)
    J = state_jacobians(c, traj)
    f = traj["f"]
    diag = np.einsum("tbi,ij->tbij", f, np.eye(f.shape[-1]))
    np.testing.assert_allclose(J.block("c", "c"), diag, rtol=1e-14, atol=0)
    # The paths through h: h_{t-1} = o_{t-1} tanh(c_{t-1}) feeds every gate at t, so along
    # the trajectory dc_t/dc_{t-1} = diag(f_t) + ∂c_t/∂h_{t-1} diag(o_{t-1} (1 - tanh² c_{t-1})).
    o, cell = traj["o"], traj["c"]
    for t in range(1, pb.T):
        via_h = J.block("c", "h")[t] * (o[t - 1] * (1 - np.tanh(cell[t - 1]) ** 2))[:, None, :]
        want = _torch_total_cell_derivative(pb, traj, t)
        np.testing.assert_allclose(diag[t] + via_h, want, **JAC_TOL,
                                   err_msg=f"lstm: dc_t/dc_(t-1) at t={t + 1}")
    if not recurrent:
        # W_h* = 0: no path through h, so dc_t/dc_{t-1} = diag(f_t) exactly -- the
        # constant error carousel when f_t = 1.
        np.testing.assert_array_equal(J.block("c", "h"), 0.0)


def _torch_total_cell_derivative(pb: Problem, traj, t: int) -> np.ndarray:
    """dc_t/dc_{t-1} with h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1}) recomputed (o_{t-1} held)."""
    tc = _torch("lstm")
    o_prev = torch.as_tensor(traj["o"][t - 1])

    def step(c_prev):
        h_prev = o_prev * torch.tanh(c_prev)
        out = tc(pb.params, {"x": pb.inputs["x"][t:t + 1]}, {"h": h_prev, "c": c_prev}, steps=1)
        return out.values["c"][0]

    jac = torch.autograd.functional.jacobian(step, torch.as_tensor(traj["c"][t - 1])).numpy()
    return np.stack([jac[b, :, b, :] for b in range(pb.B)])


# -- what the causal algorithms reject --------------------------------------------------
def _birnn_call(which: str):
    c = _numpy("birnn")
    rng = np.random.default_rng(0)
    dims = {"D": 2, "H": 3, "C": 2}
    params = {"W_fwd": (3, 2), "V_fwd": (3, 3), "b_fwd": (3,), "W_bwd": (3, 2),
              "V_bwd": (3, 3), "b_bwd": (3,), "U": (2, 6), "c": (2,)}
    params = {k: rng.normal(size=s) for k, s in params.items()}
    inputs = {"x": rng.normal(size=(3, 1, dims["D"]))}
    seeds = {"y": rng.normal(size=(3, 1, 2))}
    if which == "rtrl":
        return rtrl(c, params, inputs, seeds)
    if which == "truncated":
        return truncated_bptt(c, params, inputs, seeds, k=2)
    return state_jacobians(c, c(params, inputs))


@pytest.mark.parametrize("which, algorithm", [
    ("rtrl", "real-time recurrent learning"),
    ("truncated", "truncated BPTT"),
    ("jacobians", "the state Jacobian"),
], ids=["rtrl", "truncated", "jacobians"])
def test_birnn_backward_chain_is_rejected(which, algorithm):
    with pytest.raises(DerivationError) as info:
        _birnn_call(which)
    assert str(info.value).splitlines() == [
        f"{algorithm} needs every recurrence to run forward in time, but spec 'birnn' has a "
        "backward-in-time chain: h_bwd reads h_bwd[t+1] (so h_bwd runs t = T..1)",
        f"  {algorithm} is causal (seed 003): the gradient at step t may use only steps 1..t, "
        "and this chain carries step t+1 back into step t",
        "  hint: use the full BPTT of the compiled backward pass for this spec",
    ]


_TWO_BACK = """
name = "two_back"
outputs = ["h"]
[dims]
H = "hidden size"
[inputs]
x = { shape = ["H"] }
[states]
h = { shape = ["H"], init = "0" }
[params]
W = { shape = ["H", "H"] }
[equations]
h = "tanh(W @ h[t-2] + x)"
"""


def test_reads_further_back_than_one_step_are_rejected():
    c = compile_numpy(loads_spec(_TWO_BACK), gradients=True)
    x = np.ones((3, 1, 2))
    with pytest.raises(DerivationError) as info:
        rtrl(c, {"W": np.eye(2)}, {"x": x}, {"h": x})
    assert str(info.value).splitlines() == [
        "real-time recurrent learning carries the state s_t = f(s_{t-1}, x_t) one step at a "
        "time, but spec 'two_back' reads a state at h[t-2]",
        "  hint: introduce a state holding the older value (e.g. h_prev = h[t-1]) so that "
        "every delayed read is a state at [t-1]",
    ]


@pytest.mark.parametrize("k, shown", [(0, "0"), (-1, "-1"), (1.5, "1.5"), (True, "True")],
                         ids=["zero", "negative", "float", "bool"])
def test_truncation_window_must_be_a_positive_integer(k, shown):
    pb = _rnn()
    with pytest.raises(DerivationError) as info:
        truncated_bptt(_numpy("rnn"), pb.params, pb.inputs, pb.seeds, k)
    assert str(info.value) == ("the truncation window k must be a positive integer number of "
                               f"steps, got k={shown}")


def test_forward_only_compilation_is_rejected():
    pb = _rnn()
    c = compile_numpy(load_spec("rnn"))
    with pytest.raises(DerivationError) as info:
        rtrl(c, pb.params, pb.inputs, pb.seeds)
    assert str(info.value) == ("real-time recurrent learning runs the derived backward pass, "
                               "but spec 'rnn' was compiled without it: pass gradients=True")


@pytest.mark.parametrize("seeds, message", [
    ({"a": np.zeros((3, 2, 3))}, "seeds for a, but this compilation seeds only h, o"),
    ({"o": np.zeros((1, 2, 4))},
     "seed for 'o' has shape (1, 2, 4), expected (3, 2, 4) (T, B, *shape)"),
], ids=["unseeded-variable", "wrong-shape"])
def test_bad_seeds_are_rejected(seeds, message):
    pb = _rnn(T=3, B=2)
    for algorithm in (rtrl, functools.partial(truncated_bptt, k=1)):
        with pytest.raises(ShapeError) as info:
            algorithm(_numpy("rnn"), pb.params, pb.inputs, seeds)
        assert str(info.value) == message
