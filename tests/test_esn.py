"""Echo state networks end to end (seed 003): reservoir generation, the echo state
property as contraction, the ridge readout, teacher forcing and one-step-ahead tasks.

Oracles: ``numpy_esn`` below, a naive loop of seed 003's equations with initial states,
teacher forcing and free running (tests/oracles/rnn.py has neither; the two loops are
held to each other where both apply); ``np.linalg.eigvals`` and ``svd`` for radii and
norms; ``np.linalg.lstsq`` on the augmented least-squares system and the normal
equations for the readout; the delay differential equation itself for Mackey-Glass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import rnn as oracles

from seqcheck import load_spec
from seqcheck.dynamics.esn import (
    TEACHER_H_TILDE,
    Reservoir,
    design_matrix,
    echo_state_property,
    fit_readout,
    free_run,
    reservoir,
    ridge_readout,
    run_reservoir,
    teacher_forced,
    teacher_forcing_spec,
)
from seqcheck.dynamics.tasks import esn_task, mackey_glass, nrmse, sine
from seqcheck.errors import SeqcheckError


def numpy_esn(W_in, W, alpha, x, h0, W_out, W_fb=None, y0=None, teacher=None):
    """Seed 003, 'Reservoir computing - fundamentals', one row and one step at a time:
    h~(n) = tanh(W_in [1; x(n)] + W h(n-1) + W_fb y(n-1)), h(n) = (1 - alpha) h(n-1) +
    alpha h~(n), y(n) = W_out [1; h(n); x(n)]. With ``teacher`` (T, B, N_y) the fed-back
    y(n-1) is teacher[n-1] ("teacher forcing: y(n) = y^target(n)"), y(0) = y0.
    Returns h (T, B, N_x), y (T, B, N_y)."""
    T, B, _ = x.shape
    hs, ys = np.zeros((T, B, W.shape[0])), np.zeros((T, B, W_out.shape[0]))
    for b in range(B):
        h = h0[b].copy()
        y = np.zeros(W_out.shape[0]) if y0 is None else y0[b].copy()
        for n in range(T):
            pre = W_in @ np.concatenate(([1.0], x[n, b])) + W @ h
            if W_fb is not None:
                pre = pre + W_fb @ y
            h = (1 - alpha) * h + alpha * np.tanh(pre)
            y = W_out @ np.concatenate(([1.0], h, x[n, b]))
            hs[n, b], ys[n, b] = h, y
            if teacher is not None:
                y = teacher[n, b]
    return hs, ys


def make(size=30, **kw):
    settings_ = dict(sparsity=0.2, spectral_radius=0.9, input_scaling=1.0, leak_rate=0.5,
                     seed=0) | kw
    return reservoir(size, **settings_)


# -- reservoir generation ---------------------------------------------------------------
@settings(max_examples=40)
@given(size=st.integers(1, 24), sparsity=st.floats(0.02, 1.0), rho=st.floats(0.1, 5.0),
       alpha=st.floats(0.05, 1.0), scaling=st.floats(0.0, 3.0), inputs=st.integers(1, 3),
       outputs=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_a_generated_reservoir_has_the_requested_sparsity_radius_and_scaling(
        size, sparsity, rho, alpha, scaling, inputs, outputs, seed):
    kw = dict(sparsity=sparsity, spectral_radius=rho, input_scaling=scaling, leak_rate=alpha,
              seed=seed, inputs=inputs, outputs=outputs, feedback=True)
    k = math.floor(sparsity * size**2 + 0.5)
    try:
        res = reservoir(size, **kw)
    except SeqcheckError as e:  # no nonzero at all, or a pattern without a cycle
        assert ("at least one is needed" if k == 0 else "has no cycle, so W is nilpotent") \
            in str(e)
        return
    assert np.count_nonzero(res.W) == res.nonzeros == k
    radius = np.max(np.abs(np.linalg.eigvals(res.W)))
    assert abs(radius - rho) <= 1e-12 * rho
    assert res.W_in.shape == (size, 1 + inputs) and res.W_fb.shape == (size, outputs)
    assert np.all(np.abs(res.W_in) <= scaling) and np.all(np.abs(res.W_fb) <= 1.0)
    assert res.alpha == alpha and res.params()["W_out"].shape == (outputs, 1 + size + inputs)
    again = reservoir(size, **kw)
    for name in ("W_in", "W", "W_fb"):
        assert np.array_equal(getattr(res, name), getattr(again, name))
        assert not getattr(res, name).flags.writeable


def test_the_nonzeros_are_uniform_and_seeds_differ():
    res = make(200, sparsity=0.1, spectral_radius=2.0)
    values = res.W[res.W != 0]
    u = np.sort(values / np.max(np.abs(values)))  # uniform on [-1, 1] up to one scale
    ks = np.max(np.abs(np.arange(1, u.size + 1) / u.size - (u + 1) / 2))
    assert ks < 1.63 / math.sqrt(u.size)  # Kolmogorov-Smirnov, 1 %
    rows = np.count_nonzero(res.W, axis=1)  # positions uniform: no row empty or full
    assert rows.min() > 0 and rows.max() < 200
    other = make(200, sparsity=0.1, spectral_radius=2.0, seed=1)
    assert not np.array_equal(res.W != 0, other.W != 0)
    assert repr(other) == ("Reservoir(N_x=200, N_u=1, N_y=1, sparsity=0.1, spectral_radius=2.0, "
                           "input_scaling=1.0, alpha=0.5, seed=1)")


def test_a_pattern_without_a_cycle_is_refused():
    # one nonzero in a 2 x 2 W: on the diagonal it is a cycle, off it W is nilpotent
    outcomes = {}
    for seed in range(12):
        try:
            res = make(2, sparsity=0.25, seed=seed)
            outcomes[seed] = np.flatnonzero(res.W.ravel()).tolist()
        except SeqcheckError as e:
            outcomes[seed] = str(e)
    refused = [s for s, o in outcomes.items() if isinstance(o, str)]
    assert refused and len(refused) < 12
    assert all(o in ([0], [3]) for o in outcomes.values() if not isinstance(o, str))
    assert outcomes[refused[0]] == (
        f"W's nonzero pattern (1 of 2 x 2 entries; sparsity 0.25, seed {refused[0]}) has no "
        "cycle, so W is nilpotent: its spectral radius is 0 and cannot be scaled to 0.9; use "
        "another seed or a higher sparsity")


INVALID = [
    ("sparsity-zero", {"sparsity": 0.0}, "sparsity must be a finite number in (0, 1], got 0.0"),
    ("sparsity-above-one", {"sparsity": 1.5},
     "sparsity must be a finite number in (0, 1], got 1.5"),
    ("sparsity-nan", {"sparsity": math.nan}, "sparsity must be a finite number in (0, 1], got nan"),
    ("too-sparse", {"size": 10, "sparsity": 0.004},
     "sparsity 0.004 of a 10 x 10 W gives 0.4 nonzeros; at least one is needed: use "
     "sparsity >= 0.005"),
    ("radius-negative", {"spectral_radius": -1.0},
     "spectral_radius must be a finite number in (0, inf), got -1.0"),
    ("radius-zero", {"spectral_radius": 0},
     "spectral_radius must be a finite number in (0, inf), got 0"),
    ("radius-infinite", {"spectral_radius": math.inf},
     "spectral_radius must be a finite number in (0, inf), got inf"),
    ("leak-zero", {"leak_rate": 0.0}, "leak_rate must be a finite number in (0, 1], got 0.0"),
    ("leak-above-one", {"leak_rate": 1.2}, "leak_rate must be a finite number in (0, 1], got 1.2"),
    ("input-scaling-negative", {"input_scaling": -0.5},
     "input_scaling must be a finite number in [0, inf), got -0.5"),
    ("feedback-scaling-string", {"feedback_scaling": "1"},
     "feedback_scaling must be a finite number in [0, inf), got '1'"),
    ("size-zero", {"size": 0}, "size must be an int >= 1, got 0"),
    ("size-float", {"size": 2.5}, "size must be an int >= 1, got 2.5"),
    ("inputs-bool", {"inputs": True}, "inputs must be an int >= 1, got True"),
    ("seed-negative", {"seed": -1}, "seed must be an int >= 0, got -1"),
]


@pytest.mark.parametrize("changes, message", [case[1:] for case in INVALID],
                         ids=[case[0] for case in INVALID])
def test_impossible_settings_are_refused(changes, message):
    kw = dict(size=10, sparsity=0.1, spectral_radius=0.9, input_scaling=1.0, leak_rate=0.5,
              seed=0) | changes
    with pytest.raises(SeqcheckError) as e:
        reservoir(kw.pop("size"), **kw)
    assert str(e.value) == message


# -- the compiled spec against the loop ---------------------------------------------------
def test_the_numpy_loop_agrees_with_the_catalogue_oracle():
    """The two NumPy copies of seed 003's equations, where both apply (h(0) = y(0) = 0)."""
    rng = np.random.default_rng(0)
    res = make(6, feedback=True, inputs=2, outputs=2)
    p = res.params(rng.uniform(-0.5, 0.5, (2, 9)))
    x = rng.uniform(-1, 1, (5, 3, 2))
    for name, W_fb in (("esn", None), ("esn_feedback", p["W_fb"])):
        run = getattr(oracles, name)(p, x)
        h, y = numpy_esn(p["W_in"], p["W"], res.alpha, x, np.zeros((3, 6)), p["W_out"], W_fb)
        np.testing.assert_allclose(h, run.values["h"], rtol=0, atol=1e-14)
        np.testing.assert_allclose(y, run.values["y"], rtol=0, atol=1e-14)


@settings(max_examples=25)
@given(size=st.integers(1, 12), inputs=st.integers(1, 3), steps=st.integers(1, 8),
       batch=st.integers(1, 3), alpha=st.floats(0.05, 1.0), rho=st.floats(0.1, 4.0),
       seed=st.integers(0, 10**6))
def test_run_reservoir_is_the_loop_of_seed_003(size, inputs, steps, batch, alpha, rho, seed):
    try:
        res = reservoir(size, sparsity=0.5, spectral_radius=rho, input_scaling=1.5,
                        leak_rate=alpha, seed=seed, inputs=inputs, outputs=2)
    except SeqcheckError:
        return
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (steps, batch, inputs))
    h0 = rng.uniform(-1, 1, (batch, size))
    W_out = rng.uniform(-1, 1, (2, 1 + size + inputs))
    traj = run_reservoir(res, x, W_out=W_out, initial={"h": h0})
    h, y = numpy_esn(res.W_in, res.W, alpha, x, h0, W_out)
    np.testing.assert_allclose(traj["h"], h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(traj["y"], y, rtol=1e-12, atol=1e-12)


# -- the echo state property --------------------------------------------------------------
@settings(max_examples=25)
@given(size=st.integers(2, 12), rho=st.floats(0.1, 4.0), alpha=st.floats(0.05, 1.0),
       scaling=st.floats(0.1, 3.0), steps=st.integers(2, 40), seed=st.integers(0, 10**6))
def test_distances_are_two_numpy_runs_and_obey_the_lipschitz_bound(size, rho, alpha, scaling,
                                                                   steps, seed):
    try:
        res = reservoir(size, sparsity=0.4, spectral_radius=rho, input_scaling=scaling,
                        leak_rate=alpha, seed=seed)
    except SeqcheckError:
        return
    rng = np.random.default_rng(seed)
    x, h0 = rng.uniform(-1, 1, (steps, 1)), rng.uniform(-3, 3, (2, size))
    rep = echo_state_property(res, x, washout=steps // 2, initial=h0)
    h, _ = numpy_esn(res.W_in, res.W, alpha, np.repeat(x[:, None], 2, axis=1), h0,
                     np.zeros((1, size + 2)))
    np.testing.assert_allclose(rep.distance, np.linalg.norm(h[:, 0] - h[:, 1], axis=-1),
                               rtol=1e-9, atol=1e-12)
    leaky = (1 - alpha) * np.eye(size) + alpha * res.W
    assert rep.effective_radius == pytest.approx(np.max(np.abs(np.linalg.eigvals(leaky))),
                                                 rel=1e-12)
    assert rep.sigma_max == pytest.approx(np.linalg.svd(res.W, compute_uv=False)[0], rel=1e-12)
    d0 = np.linalg.norm(h0[0] - h0[1])
    bound = rep.lipschitz ** np.arange(1, steps + 1) * d0
    assert np.all(rep.distance <= bound * (1 + 1e-9) + 1e-12)
    assert rep.converged == bool(np.all(rep.distance[steps // 2:] <= rep.tol))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_reservoir_meeting_the_sufficient_condition_forgets_its_initial_state(seed):
    res = make(100, sparsity=0.05, spectral_radius=0.3, leak_rate=0.7, seed=seed)
    x = np.sin(np.arange(400) / 5)[:, None]
    rep = echo_state_property(res, x, washout=200, seed=seed)
    assert rep.sufficient and rep.lipschitz == pytest.approx(0.3 + 0.7 * rep.sigma_max)
    assert rep.converged and rep.settled_at <= 200
    assert rep.as_dict()["max_after_washout"] <= rep.tol


def _mackey_glass_input(n):
    s = mackey_glass(n)
    return ((s - s.mean()) / s.std())[:, None]


def test_rho_3_contracts_only_under_strong_input():
    """Seed 003: "for nonlinear networks, the system can still be contractive and stable
    for rho > 1. So, commonly in practice, rho ~ 3". Measured on Mackey-Glass input
    (docs/dynamics.md): at rho = 3 the sufficient condition fails, and the two runs merge
    with input scaling 5 but not with 0.5, where the reservoir runs on its own dynamics."""
    x = _mackey_glass_input(1000)
    weak, strong = (echo_state_property(make(100, sparsity=0.1, spectral_radius=3.0,
                                             input_scaling=s, leak_rate=1.0), x, washout=500)
                    for s in (0.5, 5.0))
    for rep in (weak, strong):
        assert not rep.sufficient and rep.effective_radius == pytest.approx(3.0, rel=1e-12)
    assert not weak.converged and weak.settled_at is None
    assert np.min(weak.distance[500:]) > 0.1 * weak.initial_distance
    assert strong.converged


def test_rho_below_1_is_not_the_sufficient_condition_yet_contracts():
    rep = echo_state_property(make(100, sparsity=0.1, spectral_radius=0.9, input_scaling=0.5,
                                   leak_rate=1.0), _mackey_glass_input(600), washout=300)
    assert rep.sigma_max > 1 and not rep.sufficient and rep.converged


@pytest.mark.parametrize("call, message", [
    (lambda: echo_state_property(make(5, feedback=True), np.zeros((10, 1))),
     "echo_state_property checks the input-driven reservoir (spec esn); this one feeds its "
     "output back: generate it without feedback to check W and W_in"),
    (lambda: echo_state_property(make(5), np.zeros((10, 2))),
     "x must be one sequence (T, N_u) with N_u = 1 and T > washout = 100; got shape (10, 2)"),
    (lambda: echo_state_property(make(5), np.zeros((10, 1)), washout=3, initial=np.zeros(5)),
     "initial must hold two states (2, N_x) = (2, 5); got shape (5,)"),
    (lambda: echo_state_property(make(5), np.zeros((10, 1)), washout=3, tol=0.0),
     "tol must be a finite number in (0, inf), got 0.0"),
], ids=["feedback", "input-shape", "initial-shape", "tolerance"])
def test_echo_state_property_refuses_bad_arguments(call, message):
    with pytest.raises(SeqcheckError) as e:
        call()
    assert str(e.value) == message


# -- the ridge readout --------------------------------------------------------------------
@settings(max_examples=40)
@given(features=st.integers(1, 8), samples=st.integers(1, 30), outputs=st.integers(1, 3),
       beta=st.floats(1e-4, 10.0), seed=st.integers(0, 10**6))
def test_ridge_readout_is_the_regularised_least_squares_solution(features, samples, outputs,
                                                                 beta, seed):
    rng = np.random.default_rng(seed)
    H, Y = rng.normal(size=(features, samples)), rng.normal(size=(outputs, samples))
    W_out = ridge_readout(H, Y, beta)
    # min ||W H - Y||^2 + beta ||W||^2 is least squares on [H^T; sqrt(beta) I] W^T = [Y^T; 0]
    A = np.vstack([H.T, math.sqrt(beta) * np.eye(features)])
    b = np.vstack([Y.T, np.zeros((features, outputs))])
    np.testing.assert_allclose(W_out, np.linalg.lstsq(A, b, rcond=None)[0].T,
                               rtol=1e-7, atol=1e-9)
    # normal equations: the gradient (W H - Y) H^T + beta W vanishes
    scale = np.abs(Y @ H.T).max() + beta * np.abs(W_out).max()
    assert np.abs((W_out @ H - Y) @ H.T + beta * W_out).max() <= 1e-10 * scale


def test_the_design_matrix_is_one_plus_state_plus_input_after_the_washout():
    rng = np.random.default_rng(3)
    h, x = rng.normal(size=(6, 2, 3)), rng.normal(size=(6, 2, 1))
    H = design_matrix(h, x, washout=2)
    cols = [np.concatenate(([1.0], h[n, b], x[n, b])) for n in range(2, 6) for b in range(2)]
    np.testing.assert_array_equal(H, np.array(cols).T)


def test_the_fitted_readout_through_the_spec_reproduces_its_regression():
    rng = np.random.default_rng(4)
    res = make(20)
    x = rng.uniform(-1, 1, (80, 2, 1))
    y = np.roll(x, 1, axis=0) ** 2
    h = run_reservoir(res, x)["h"]
    W_out = fit_readout(h, x, y, washout=10, beta=1e-6)
    H = design_matrix(h, x, washout=10)
    y_spec = run_reservoir(res, x, W_out=W_out)["y"]  # y = W_out @ concat(1, h, x)
    np.testing.assert_allclose(y_spec[10:].reshape(-1, 1).T, W_out @ H, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: ridge_readout(np.ones((2, 3)), np.ones((1, 3)), beta=0.0),
     "H H^T + beta I is singular (2 features, 3 samples, beta = 0.0): use beta > 0"),
    (lambda: ridge_readout(np.ones((2, 3)), np.ones((1, 4)), beta=1.0),
     "H (F, n) and Y (N_y, n) must have one column per sample; got (2, 3) and (1, 4)"),
    (lambda: ridge_readout(np.ones((2, 3)), np.ones((1, 3)), beta=-1.0),
     "beta must be a finite number in [0, inf), got -1.0"),
    (lambda: design_matrix(np.ones((3, 1, 2)), np.ones((3, 1, 1)), washout=3),
     "washout 3 leaves no sample of T = 3 steps"),
    (lambda: fit_readout(np.ones((3, 1, 2)), np.ones((3, 1, 1)), np.ones((3, 2, 1)),
                         washout=0, beta=1.0),
     "y_target must be (T, B, N_y) with the T and B of h (3, 1); got (3, 2, 1)"),
    (lambda: Reservoir(np.ones((3, 2)), np.ones((3, 2)), 0.5, None, 1.0, 1.0, 1.0, 0),
     "reservoir weights must be W (N_x, N_x), W_in (N_x, 1 + N_u) and W_fb (N_x, N_y = 1); "
     "got W (3, 2), W_in (3, 2)"),
    (lambda: make(4).params(np.ones((1, 5))),
     "W_out has shape (1, 5); this reservoir (N_x = 4, N_u = 1, N_y = 1) reads it as "
     "N_y x (1 + N_x + N_u) = (1, 6)"),
], ids=["singular", "columns", "negative-beta", "washout", "targets", "weights",
      "W_out-shape"])
def test_the_readout_refuses_bad_arguments(call, message):
    with pytest.raises(SeqcheckError) as e:
        call()
    assert str(e.value) == message


# -- teacher forcing ----------------------------------------------------------------------
def test_the_teacher_forcing_spec_changes_only_the_fed_back_output():
    base, spec = load_spec("esn_feedback"), teacher_forcing_spec()
    changed = {e.target for e in spec.equations} - {
        e.target for e in spec.equations if e.text == base.equation(e.target).text}
    assert changed == {"h_tilde"} and spec.equation("h_tilde").text == TEACHER_H_TILDE
    assert set(spec.inputs) == {"x", "y_teacher"} and set(spec.params) == set(base.params)


@settings(max_examples=20)
@given(size=st.integers(1, 10), outputs=st.integers(1, 3), steps=st.integers(1, 8),
       batch=st.integers(1, 3), alpha=st.floats(0.05, 1.0), seed=st.integers(0, 10**6))
def test_teacher_forced_and_free_running_states_are_the_loops(size, outputs, steps, batch,
                                                               alpha, seed):
    try:
        res = reservoir(size, sparsity=0.5, spectral_radius=0.9, input_scaling=1.0,
                        leak_rate=alpha, seed=seed, outputs=outputs, feedback=True)
    except SeqcheckError:
        return
    rng = np.random.default_rng(seed)
    x, target = rng.uniform(-1, 1, (steps, batch, 1)), rng.uniform(-1, 1, (steps, batch, outputs))
    h0, y0 = rng.uniform(-1, 1, (batch, size)), rng.uniform(-1, 1, (batch, outputs))
    W_out = rng.uniform(-0.5, 0.5, (outputs, size + 2))
    forced = teacher_forced(res, x, target, W_out=W_out, initial={"h": h0, "y": y0})
    h, y = numpy_esn(res.W_in, res.W, alpha, x, h0, W_out, res.W_fb, y0, teacher=target)
    np.testing.assert_allclose(forced["h"], h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(forced["y"], y, rtol=1e-12, atol=1e-12)
    free = free_run(res, W_out, x, initial={"h": h0, "y": y0})
    h, y = numpy_esn(res.W_in, res.W, alpha, x, h0, W_out, res.W_fb, y0)
    np.testing.assert_allclose(free["h"], h, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(free["y"], y, rtol=1e-12, atol=1e-12)


def test_a_teacher_forced_reservoir_generates_a_sine_running_free():
    res = make(100, sparsity=0.1, spectral_radius=1.0, input_scaling=0.2, leak_rate=0.5,
               feedback=True, feedback_scaling=1.0)
    wave = 0.5 * sine(900, period=25.0).reshape(-1, 1, 1)
    x = np.zeros_like(wave)  # no input: a pattern generator
    forced = teacher_forced(res, x[:800], wave[:800])
    W_out = fit_readout(forced["h"], x[:800], wave[:800], washout=100, beta=1e-8)
    free = free_run(res, W_out, x[800:], initial={"h": forced["h"][-1], "y": wave[799]})
    generated, truth = free["y"][:, 0, 0], wave[800:, 0, 0]
    hold = nrmse(np.full(100, wave[799, 0, 0]), truth)  # holding the last value
    assert nrmse(generated, truth) < 1e-3 * hold


@pytest.mark.parametrize("call, message", [
    (lambda: teacher_forced(make(4), np.zeros((3, 1, 1)), np.zeros((3, 1, 1))),
     "teacher forcing feeds the target back through W_fb; this reservoir has none: "
     "generate it with feedback=True"),
    (lambda: run_reservoir(make(4, feedback=True), np.zeros((3, 1, 1))),
     "this reservoir feeds its output back (W_fb): pass W_out to run it free, or use "
     "teacher_forced(...) to feed the targets"),
    (lambda: free_run(make(4), np.zeros((1, 6)), np.zeros((3, 1, 1)), initial={}),
     "free running feeds the output back through W_fb; this reservoir has none: use "
     "run_reservoir(...)"),
    (lambda: teacher_forced(make(4, feedback=True), np.zeros((3, 1, 1)), np.zeros((2, 1, 1))),
     "y_target must be time-major (3, 1, 1); got shape (2, 1, 1)"),
    (lambda: run_reservoir(make(4), np.zeros((3, 1))),
     "x must be time-major (T, B, 1); got shape (3, 1)"),
], ids=["no-W_fb", "feedback-without-W_out", "free-without-W_fb", "target-steps", "x-axes"])
def test_feedback_runs_refuse_bad_arguments(call, message):
    with pytest.raises(SeqcheckError) as e:
        call()
    assert str(e.value) == message


# -- one-step-ahead prediction --------------------------------------------------------------
@pytest.mark.parametrize("series, generate", [("sine", sine), ("mackey_glass", mackey_glass)])
def test_one_step_ahead_prediction_beats_persistence(series, generate):
    result = esn_task(series)
    train, test = result.settings["train"], result.settings["test"]
    s = generate(train + test + 1)
    np.testing.assert_array_equal(result.targets, s[train + 1:])
    persistence = np.sqrt(np.mean((s[train:-1] - s[train + 1:]) ** 2)) / np.std(s[train + 1:])
    assert result.baseline_nrmse == pytest.approx(persistence, rel=1e-12)
    error = np.sqrt(np.mean((result.predictions - result.targets) ** 2)) / np.std(result.targets)
    assert result.nrmse == pytest.approx(error, rel=1e-6)
    assert result.nrmse < persistence / 50
    assert result.as_dict()["nrmse"] == result.nrmse and result.as_dict()["series"] == series


def test_mackey_glass_solves_its_delay_equation_to_second_order():
    x = mackey_glass(2000, subsample=1, discard=0)  # the RK4 grid, dt = 0.1, lag 170 steps
    i = np.arange(171, x.size - 1)
    slope = (x[i + 1] - x[i - 1]) / 0.2
    rhs = 0.2 * x[i - 170] / (1 + x[i - 170] ** 10) - 0.1 * x[i]
    assert np.max(np.abs(slope - rhs)) < 1e-3 * np.max(np.abs(rhs))
    runs = [mackey_glass(300, dt=0.1 / k, subsample=10 * k, discard=0) for k in (1, 2, 4)]
    ratio = np.max(np.abs(runs[0] - runs[1])) / np.max(np.abs(runs[1] - runs[2]))
    assert 3.0 < ratio < 5.0  # halving dt divides the error by 4
    np.testing.assert_array_equal(runs[0], mackey_glass(300, discard=0))


@pytest.mark.parametrize("call, message", [
    (lambda: mackey_glass(10, tau=17.05),
     "tau / dt must be a whole number of steps; got tau = 17.05, dt = 0.1 (tau / dt = 170.5)"),
    (lambda: esn_task("lorenz"), "unknown series 'lorenz'; choose from sine, mackey_glass"),
    (lambda: esn_task("sine", train=50, washout=50),
     "washout 50 must be shorter than train = 50"),
], ids=["tau-off-grid", "unknown-series", "washout"])
def test_tasks_refuse_bad_arguments(call, message):
    with pytest.raises(SeqcheckError) as e:
        call()
    assert str(e.value) == message
