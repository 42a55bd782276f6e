"""The gated cells of the catalogue (LSTMs, GRUs) against independent oracles.

Two oracles, neither generated from a spec:
- tests/oracles/gated.py, plain NumPy written by hand from the printed equations, for every
  gated spec (float64 and float32);
- torch.nn.LSTM and torch.nn.GRU in float64, for the specs that claim PyTorch's equations
  (lstm: seed 004; gru: torch.nn.GRU's documentation; lstm_proj: torch.nn.LSTM with
  proj_size > 0).

Every parameter entry is drawn distinct from every other (one ``unique`` draw split into the
parameters), so no two gate blocks are ever equal: uniform weights cannot see a permutation
of gates. Scales up to 6 saturate the gates.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from oracles import gated

from seqcheck import compile_numpy, load_spec

GATED = list(gated.ORACLES)
GRID = 4096  # values are k * scale / GRID: exact in float32, never subnormal
SCALES = (0.5, 2.0, 6.0)
EPS32 = float(np.finfo(np.float32).eps)


@functools.cache
def _forward(name: str, dtype: type) -> object:
    return compile_numpy(load_spec(name), dtype=dtype)


def _input_name(name: str) -> str:
    (x,) = _forward(name, np.float64).spec.inputs
    return x


@st.composite
def cases(draw, name: str) -> dict:
    """Sizes, parameters, an input sequence and (sometimes) initial states for cell ``name``."""
    D, H = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    P = draw(st.integers(1, 5)) if "P" in gated.STATE_DIMS.get(name, {}).values() else 1
    T, B = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    scale = draw(st.sampled_from(SCALES))
    shapes = gated.param_shapes(name, D, H, P)
    sizes = [int(np.prod(s)) for s in shapes.values()]
    flat = draw(arrays(np.int64, sum(sizes), elements=st.integers(-GRID, GRID), unique=True))
    flat = flat * (scale / GRID)
    params, start = {}, 0
    for (p, shape), n in zip(shapes.items(), sizes):
        params[p] = flat[start:start + n].reshape(shape)
        start += n
    x = draw(arrays(np.int64, (T, B, D), elements=st.integers(-GRID, GRID))) * (scale / GRID)
    initial = None
    if draw(st.booleans()):
        initial = {s: draw(arrays(np.int64, (B, gated.state_size(name, s, H, P)),
                                  elements=st.integers(-GRID, GRID)))
                   * (2.0 / GRID) for s in gated.STATES[name]}
    return dict(D=D, H=H, P=P, T=T, B=B, scale=scale, params=params, x=x, initial=initial)


def _compare(name: str, traj, ref: gated.Run, rtol: float, atol: float) -> None:
    assert set(traj.values) == set(ref.values), f"{name}: variables differ from the oracle's"
    assert set(traj.final) == set(ref.final), f"{name}: states differ from the oracle's"
    for v, want in ref.values.items():
        np.testing.assert_allclose(traj.values[v], want, rtol=rtol, atol=atol,
                                   err_msg=f"spec {name!r}, variable {v!r} (T, B, n)")
    for s, want in ref.final.items():
        np.testing.assert_allclose(traj.final[s], want, rtol=rtol, atol=atol,
                                   err_msg=f"spec {name!r}, final state {s!r}")


def _run_both(name: str, case: dict, dtype: type):
    fwd = _forward(name, dtype)
    traj = fwd(case["params"], {_input_name(name): case["x"]}, initial=case["initial"])
    ref = gated.ORACLES[name](case["params"], case["x"], initial=case["initial"])
    return traj, ref


# -- the NumPy oracles --------------------------------------------------------------
@pytest.mark.parametrize("name", GATED)
@settings(max_examples=25)
@given(data=st.data())
def test_gated_spec_matches_numpy_oracle_float64(name, data):
    case = data.draw(cases(name))
    traj, ref = _run_both(name, case, np.float64)
    _compare(name, traj, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", GATED)
@settings(max_examples=25)
@given(data=st.data())
def test_gated_spec_matches_numpy_oracle_float32(name, data):
    case = data.draw(cases(name))
    traj, ref = _run_both(name, case, np.float32)
    assert all(v.dtype == np.float32 for v in traj.values.values())
    # A pre-activation sums at most 1 + D + H terms of size <= scale * max(scale, |state|);
    # float32 rounding of such sums, carried through T steps, measured at most about
    # 0.05 * eps * K * T over thousands of random cases (0.25 leaves a margin of five).
    K = case["scale"] * (1 + case["scale"] * case["D"] + 2 * case["H"])
    atol = 1e-6 + 0.25 * EPS32 * K * case["T"]
    _compare(name, traj, ref, rtol=1e-5, atol=atol)


# -- torch.nn.LSTM and torch.nn.GRU as a second oracle (one torch thread: conftest) ------
def _stack(params: dict, names: str) -> torch.Tensor:
    """torch's stacked layout: the named blocks one below the other, in that order."""
    return torch.from_numpy(np.concatenate([params[n] for n in names.split()], axis=0))


def _torch_initial(case: dict, state: str) -> torch.Tensor:
    if case["initial"] is None:
        return torch.zeros(1, case["B"], case["H"], dtype=torch.float64)
    return torch.from_numpy(case["initial"][state]).unsqueeze(0)


@settings(max_examples=25)
@given(data=st.data())
def test_lstm_spec_matches_torch_lstm(torch_one_thread, data):
    case = data.draw(cases("lstm"))
    P = case["params"]
    with torch.random.fork_rng(devices=[]):  # the module's own init draws from torch's RNG
        net = torch.nn.LSTM(case["D"], case["H"], dtype=torch.float64)
    with torch.no_grad():
        # torch's gate order is i, f, g, o; g is seed 004's new memory c~ (W_ic, W_hc).
        net.weight_ih_l0.copy_(_stack(P, "W_ii W_if W_ic W_io"))
        net.weight_hh_l0.copy_(_stack(P, "W_hi W_hf W_hc W_ho"))
        net.bias_ih_l0.copy_(_stack(P, "b_ii b_if b_ic b_io"))
        net.bias_hh_l0.copy_(_stack(P, "b_hi b_hf b_hc b_ho"))
        out, (h_n, c_n) = net(torch.from_numpy(case["x"]),
                              (_torch_initial(case, "h"), _torch_initial(case, "c")))
        y = torch.softmax(out, dim=-1)
    traj = _forward("lstm", np.float64)(P, {"x": case["x"]}, initial=case["initial"])
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.values["h"], out.numpy(), **tol, err_msg="h_t")
    np.testing.assert_allclose(traj.values["y"], y.numpy(), **tol, err_msg="y_t")
    np.testing.assert_allclose(traj.final["h"], h_n[0].numpy(), **tol, err_msg="h_n")
    np.testing.assert_allclose(traj.final["c"], c_n[0].numpy(), **tol, err_msg="c_n")


@settings(max_examples=25)
@given(data=st.data())
def test_gru_spec_matches_torch_gru(torch_one_thread, data):
    case = data.draw(cases("gru"))
    P = case["params"]
    with torch.random.fork_rng(devices=[]):
        net = torch.nn.GRU(case["D"], case["H"], dtype=torch.float64)
    with torch.no_grad():
        # torch's gate order is r, z, n.
        net.weight_ih_l0.copy_(_stack(P, "W_ir W_iz W_in"))
        net.weight_hh_l0.copy_(_stack(P, "W_hr W_hz W_hn"))
        net.bias_ih_l0.copy_(_stack(P, "b_ir b_iz b_in"))
        net.bias_hh_l0.copy_(_stack(P, "b_hr b_hz b_hn"))
        out, h_n = net(torch.from_numpy(case["x"]), _torch_initial(case, "h"))
    traj = _forward("gru", np.float64)(P, {"x": case["x"]}, initial=case["initial"])
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.values["h"], out.numpy(), **tol, err_msg="h_t")
    np.testing.assert_allclose(traj.final["h"], h_n[0].numpy(), **tol, err_msg="h_n")


@settings(max_examples=25)
@given(data=st.data())
def test_lstm_proj_spec_matches_torch_lstm_with_projection(torch_one_thread, data):
    case = data.draw(cases("lstm_proj"))
    assume(case["P"] < case["H"])  # torch requires proj_size < hidden_size
    P = case["params"]
    with torch.random.fork_rng(devices=[]):
        net = torch.nn.LSTM(case["D"], case["H"], proj_size=case["P"], dtype=torch.float64)
    with torch.no_grad():
        net.weight_ih_l0.copy_(_stack(P, "W_ii W_if W_ic W_io"))
        net.weight_hh_l0.copy_(_stack(P, "W_hi W_hf W_hc W_ho"))  # (4H, P)
        net.bias_ih_l0.copy_(_stack(P, "b_ii b_if b_ic b_io"))
        net.bias_hh_l0.copy_(_stack(P, "b_hi b_hf b_hc b_ho"))
        net.weight_hr_l0.copy_(_stack(P, "W_hr"))  # (P, H)
        if case["initial"] is None:
            hx = (torch.zeros(1, case["B"], case["P"], dtype=torch.float64),
                  torch.zeros(1, case["B"], case["H"], dtype=torch.float64))
        else:
            hx = (_torch_initial(case, "h"), _torch_initial(case, "c"))
        out, (h_n, c_n) = net(torch.from_numpy(case["x"]), hx)
    traj = _forward("lstm_proj", np.float64)(P, {"x": case["x"]}, initial=case["initial"])
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.values["h"], out.numpy(), **tol, err_msg="h_t")
    np.testing.assert_allclose(traj.final["h"], h_n[0].numpy(), **tol, err_msg="h_n")
    np.testing.assert_allclose(traj.final["c"], c_n[0].numpy(), **tol, err_msg="c_n")


# -- the two reset placements are different cells -------------------------------------
def _gru_pair(W_hn: np.ndarray) -> tuple[dict, dict]:
    """gru parameters at H = 2, D = 1 (b_hn = 0), and the same weights named as gru_cho's."""
    gru = {
        "W_ir": np.array([[2.0], [-2.0]]), "W_hr": np.array([[0.5, -0.3], [0.2, 0.4]]),
        "b_ir": np.array([0.0, 0.1]), "b_hr": np.array([0.1, -0.1]),
        "W_iz": np.array([[0.3], [-0.6]]), "W_hz": np.array([[0.1, 0.2], [-0.2, 0.3]]),
        "b_iz": np.array([0.05, -0.05]), "b_hz": np.array([0.0, 0.2]),
        "W_in": np.array([[1.0], [0.5]]), "W_hn": W_hn,
        "b_in": np.array([0.1, 0.2]), "b_hn": np.zeros(2),
    }
    cho = {
        "W_r": gru["W_ir"], "U_r": gru["W_hr"], "b_r": gru["b_ir"] + gru["b_hr"],
        "W_z": gru["W_iz"], "U_z": gru["W_hz"], "b_z": gru["b_iz"] + gru["b_hz"],
        "W": gru["W_in"], "U": gru["W_hn"], "b": gru["b_in"] + gru["b_hn"],
    }
    return gru, cho


def test_gru_and_gru_cho_differ_by_the_reset_placement():
    x = np.array([[[1.0]], [[-1.0]], [[0.5]]])  # (T, B, D) = (3, 1, 1)
    gru, cho = _gru_pair(W_hn=np.array([[0.0, 1.5], [-1.2, 0.0]]))
    h = _forward("gru", np.float64)(gru, {"x": x}).values["h"]
    h_cho = _forward("gru_cho", np.float64)(cho, {"x": x}).values["h"]
    # t = 1: h_0 = 0, so r (.) (U h_0) = U (r (.) h_0) = 0 and the two agree.
    np.testing.assert_allclose(h[0], h_cho[0], rtol=0, atol=1e-15)
    # t >= 2: r differs between the units and U mixes them, so r (.) (U h) != U (r (.) h).
    assert np.max(np.abs(h[1:] - h_cho[1:])) > 1e-2, (h, h_cho)


def test_gru_and_gru_cho_agree_when_the_recurrent_candidate_weight_is_diagonal():
    # r (.) (U h) = U (r (.) h) for a diagonal U: the reset placement is the only difference.
    x = np.array([[[1.0]], [[-1.0]], [[0.5]]])
    gru, cho = _gru_pair(W_hn=np.diag([1.5, -1.2]))
    h = _forward("gru", np.float64)(gru, {"x": x}).values["h"]
    h_cho = _forward("gru_cho", np.float64)(cho, {"x": x}).values["h"]
    np.testing.assert_allclose(h, h_cho, rtol=1e-14, atol=1e-15)
