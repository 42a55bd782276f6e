"""Gradient dynamics: ‖∂s_T/∂s_{T-k}‖₂, weights at a spectral radius, the bound, the command.

Oracles: the Jacobian products against torch.autograd.functional.jacobian of the unrolled
map s_τ -> s_T written here in torch (elman, rnn_torch), and against central differences
of the compiled forward pass re-entered at s_τ (lstm, gru); a linear recurrence, where
∂h_T/∂h_{T-k} = W^k exactly; np.linalg.eigvals for the spectral radius; the bound's
per-step factor written by hand from each spec's equations (Pascanu et al. 2013; seed 002,
"Vanishing gradients"; seed 000 eq. 26-28).
"""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from cells import one_state_cell
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import SeqcheckError, compile_numpy, load_spec, loads_spec
from seqcheck.cli import main
from seqcheck.derive import state_jacobians
from seqcheck.dynamics.measure import (
    Sweep,
    jacobian_products,
    measure,
    parse_radii,
    random_inputs,
    scaled_params,
    sweep,
)
from seqcheck.dynamics.plot import plot_sweep
from seqcheck.dynamics.recurrence import recurrence

LINEAR = one_state_cell("linear", "W @ h[t-1] + U @ x")
ONE_ACTIVATION = one_state_cell("one_activation", "{f}(W @ h[t-1] + U @ x)")

FIVE = ["elman", "lstm", "gru", "leaky_rnn", "esn"]


def _small(spec, n=3):
    """Every dim of ``spec`` at size ``n`` (H = D: the tests below draw H ≠ D themselves)."""
    return {d.name: n for d in load_spec(spec).dims} if isinstance(spec, str) else \
        {d.name: n for d in spec.dims}


def _products(jacobians):
    """∂s_T/∂s_{T-k} for k = 0..T-1, ``(T, B, n, n)``, from the log-scaled form."""
    return np.stack([np.exp(ls)[:, None, None] * Q for ls, Q in jacobian_products(jacobians)])


# -- the products, against independent derivatives ----------------------------------------
def _torch_step(name, p):
    """One step of the spec, written here from its equations (seed 001; torch.nn.RNN)."""
    if name == "elman":
        return lambda h, x: (p["b"] + p["W_1"] @ h + p["W_2"] @ x).tanh()
    return lambda h, x: (p["W_ih"] @ x + p["b_ih"] + p["W_hh"] @ h + p["b_hh"]).tanh()


@pytest.mark.parametrize("name", ["elman", "rnn_torch"])
@settings(max_examples=6)
@given(seed=st.integers(0, 2**16), radius=st.floats(0.2, 2.5))
def test_products_equal_torch_autograd_of_the_unrolled_map(name, seed, radius):
    import torch
    sizes = {"D": 2, "H": 3, "C": 2}
    sizes = {k: v for k, v in sizes.items() if k in _small(name)}
    params = scaled_params(name, radius, sizes, seed)
    inputs = random_inputs(name, 6, sizes, seed, batch=2, scale=1.0)
    compiled = compile_numpy(load_spec(name), gradients=True)
    traj = compiled(params, inputs)
    got = _products(state_jacobians(compiled, traj).jacobians)
    step = _torch_step(name, {k: torch.tensor(v) for k, v in params.items()})
    x, h = torch.tensor(inputs["x"]), traj["h"]
    T = x.shape[0]
    for k in range(T):
        tau = T - k  # s_τ is traj h at index τ-1; steps τ+1..T read x[τ..T-1]

        for b in range(2):
            def unrolled(s, b=b, tau=tau):
                for t in range(tau, T):
                    s = step(s, x[t, b])
                return s

            want = torch.autograd.functional.jacobian(unrolled, torch.tensor(h[tau - 1, b]))
            np.testing.assert_allclose(got[k, b], want.numpy(), rtol=1e-10, atol=1e-13,
                                       err_msg=f"{name}: ∂h_T/∂h_(T-{k}), row {b}")


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_products_equal_central_differences_of_the_forward_pass(name):
    # the gated cells: s = [h; c] (LSTM) is re-entered at s_τ through `initial`
    spec = load_spec(name)
    sizes = {"D": 2, "H": 3}
    params = scaled_params(spec, 1.2, sizes, seed=7)
    inputs = random_inputs(spec, 6, sizes, seed=7, batch=2, scale=1.0)
    compiled = compile_numpy(spec, gradients=True)
    traj = compiled(params, inputs)
    jac = state_jacobians(compiled, traj)
    got = _products(jac.jacobians)
    states = [s for s, _ in jac.blocks]
    T, eps = traj.steps, 1e-6

    def s_T(s_tau, tau):
        start = {s: s_tau[:, sl] for s, sl in jac.blocks}
        out = compiled(params, {"x": inputs["x"][tau:]}, initial=start)
        return np.concatenate([out.final[s] for s in states], axis=1)

    for k in (1, 3, T - 1):
        tau = T - k
        s_tau = np.concatenate([traj[s][tau - 1] for s in states], axis=1)
        for j in range(s_tau.shape[1]):
            e = np.zeros_like(s_tau)
            e[:, j] = eps
            column = (s_T(s_tau + e, tau) - s_T(s_tau - e, tau)) / (2 * eps)
            np.testing.assert_allclose(got[k, :, :, j], column, rtol=1e-6, atol=1e-8,
                                       err_msg=f"{name}: ∂s_T/∂s_(T-{k}), column {j}")


def test_products_from_the_end_neither_overflow_nor_underflow():
    # 1000^k passes 1e308 at k = 103; the log scale carries it exactly
    for factor in (1e3, 1e-3):
        J = np.broadcast_to(factor * np.eye(2), (200, 1, 2, 2))
        for k, (log_scale, Q) in enumerate(jacobian_products(J)):
            assert log_scale[0] == pytest.approx(k * math.log(factor), rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(Q[0], np.eye(2), rtol=1e-12)


def test_products_equal_the_explicit_products():
    rng = np.random.default_rng(0)
    J = rng.normal(size=(5, 3, 4, 4))  # J_t = J[t-1], per batch row
    got = _products(J)
    for k in range(5):
        for b in range(3):
            want = np.eye(4)
            for t in range(5, 5 - k, -1):  # J_T J_(T-1) ... J_(T-k+1)
                want = want @ J[t - 1, b]
            np.testing.assert_allclose(got[k, b], want, rtol=1e-12, atol=1e-14)


# -- a linear recurrence: ∂h_T/∂h_{T-k} = W^k exactly -----------------------------------------
@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), radius=st.floats(0.3, 1.8), H=st.integers(2, 5))
def test_linear_recurrence_norms_are_the_norms_of_the_powers_of_w(seed, radius, H):
    spec = loads_spec(LINEAR)
    sizes = {"H": H, "D": 2}
    params = scaled_params(spec, radius, sizes, seed)
    d = measure(spec, params, random_inputs(spec, 12, sizes, seed))
    W = params["W"]
    want = [np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(12)]
    np.testing.assert_allclose(d.row_norms, np.broadcast_to(want, d.row_norms.shape),
                               rtol=1e-10)
    np.testing.assert_allclose(d.norms, want, rtol=1e-10)
    assert (d.recurrence.activation, d.gamma, d.recurrence.bound_formula) == \
        ("identity", 1.0, "(σ_max·γ)^k")
    assert d.sigma_max == pytest.approx(np.linalg.norm(W, 2), rel=1e-12)
    assert np.all(d.norms <= d.bound * (1 + 1e-12))  # ‖W^k‖ ≤ ‖W‖^k


@pytest.mark.parametrize("radius, verdict", [(0.5, "vanishing"), (1.5, "exploding")])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_recurrence_verdict_and_rate_follow_the_spectral_radius(radius, verdict, seed):
    # Gelfand: ‖W^k‖^(1/k) -> ρ(W), so the log growth per step approaches log ρ
    spec = loads_spec(LINEAR)
    sizes = {"H": 4, "D": 2}
    d = measure(spec, scaled_params(spec, radius, sizes, seed),
                random_inputs(spec, 40, sizes, seed))
    assert d.verdict == verdict
    assert d.rate == pytest.approx(math.log(radius), abs=0.1)
    sign = "<" if verdict == "vanishing" else ">"
    assert d.explain().startswith(
        f"{verdict}: log ‖∂s_T/∂s_(T-k)‖₂ grows {d.rate:+.3g} per step over lags 1..39 (rate "
        f"{sign} {'−' if sign == '<' else ''}0.01); ‖·‖ = {d.norms[1]:.3g} at k = 1, "
        f"{d.norms[39]:.3g} at k = 39; bound (σ_max·γ)^k = {d.sigma_max:.3g}^k")
    assert d.spectral_radius == pytest.approx(radius, rel=1e-12)
    assert d.fit_lags == (1, 39)
    e = d.evidence()
    assert (e["norm_first"], e["norm_last"]) == (d.norms[1], d.norms[39])
    assert e["sigma_max_gamma"] == d.sigma_max


def test_zero_weights_vanish_exactly_and_serialise_as_json():
    spec = loads_spec(LINEAR)
    d = measure(spec, scaled_params(spec, 0.0, {"H": 3, "D": 2}),
                random_inputs(spec, 5, {"H": 3, "D": 2}))
    assert (d.rate, d.verdict) == (-math.inf, "vanishing")
    out = d.as_dict()
    assert out["norms"] == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert out["evidence"]["rate"] is None  # -inf is no JSON number
    json.dumps(out, allow_nan=False)


# -- weights at a spectral radius ---------------------------------------------------------------
BLOCKS = {  # the recurrent weights as each spec's equations use them, taken by hand
    "elman": ["W_1"], "rnn_torch": ["W_hh"], "esn": ["W"], "leaky_rnn": ["W_hh"],
    "lstm": ["W_hi", "W_hf", "W_hc", "W_ho"], "gru": ["W_hr", "W_hz", "W_hn"],
    "lstm_seed000": ["W_hf", "W_hi", "W_ho", "W_hc"],  # H[t-1] @ W_h*: acting as W_h*ᵀ
}


@pytest.mark.parametrize("name", sorted(BLOCKS))
@settings(max_examples=8)
@given(seed=st.integers(0, 2**16), radius=st.floats(0.05, 4.0))
def test_spectral_radius_after_rescaling_is_exact(name, seed, radius):
    spec = load_spec(name)
    sizes = dict.fromkeys((d.name for d in spec.dims), 3)
    drawn = scaled_params(spec, None, sizes, seed)
    scaled = scaled_params(spec, radius, sizes, seed)
    rho = max(np.abs(np.linalg.eigvals(scaled[p])).max() for p in BLOCKS[name])
    assert rho == pytest.approx(radius, rel=1e-10)
    factors = {p: scaled[p] / drawn[p] for p in BLOCKS[name]}
    common = next(iter(factors.values()))[0, 0]
    for p, f in factors.items():  # jointly: one factor for every block
        np.testing.assert_allclose(f, common, rtol=1e-12, err_msg=p)
    for p in set(spec.params) - set(BLOCKS[name]):
        np.testing.assert_array_equal(scaled[p], drawn[p], err_msg=p)
    assert set(recurrence(spec).weights) == set(BLOCKS[name])


def test_concat_blocks_are_the_columns_acting_on_the_state():
    # seed 003's LSTM summary: W_f @ concat(h[t-1], x); only the first H columns recur
    spec = load_spec("lstm_concat")
    sizes = {"D": 2, "H": 3}
    drawn, scaled = (scaled_params(spec, r, sizes, seed=1) for r in (None, 0.7))
    for p in ("W_f", "W_i", "W_o", "W_c"):
        np.testing.assert_array_equal(scaled[p][:, 3:], drawn[p][:, 3:])
    rho = max(np.abs(np.linalg.eigvals(scaled[p][:, :3])).max() for p in ("W_f", "W_i"))
    assert rho <= 0.7 * (1 + 1e-12)
    assert max(np.abs(np.linalg.eigvals(scaled[p][:, :3])).max()
               for p in ("W_f", "W_i", "W_o", "W_c")) == pytest.approx(0.7, rel=1e-12)


def test_sigma_max_of_a_gated_cell_stacks_its_blocks_as_they_act_on_h():
    spec = load_spec("lstm")
    sizes = {"D": 2, "H": 3}
    p = scaled_params(spec, 1.0, sizes, seed=3)
    d = measure(spec, p, random_inputs(spec, 4, sizes, seed=3))
    stacked = np.vstack([p["W_hi"], p["W_hf"], p["W_hc"], p["W_ho"]])
    assert d.sigma_max == pytest.approx(np.linalg.norm(stacked, 2), rel=1e-12)
    assert d.sigma_max >= d.spectral_radius
    only = measure(spec, p, random_inputs(spec, 4, sizes, seed=3), recurrent=["W_hf"])
    assert only.recurrence.weights == ("W_hf",)
    assert only.sigma_max == pytest.approx(np.linalg.norm(p["W_hf"], 2), rel=1e-12)


def test_same_seed_same_draw():
    a, b = (scaled_params("gru", 0.9, {"D": 2, "H": 3}, seed=5) for _ in range(2))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    x, y = (random_inputs("gru", 4, {"D": 2, "H": 3}, seed=5) for _ in range(2))
    assert np.array_equal(x["x"], y["x"])


# -- activation, γ and the bound -----------------------------------------------------------------
@pytest.mark.parametrize("f, gamma", [("tanh", 1.0), ("sigmoid", 0.25), ("relu", 1.0)])
def test_gamma_of_the_activation_wrapping_the_product(f, gamma):
    r = recurrence(loads_spec(ONE_ACTIVATION.replace("{f}", f)))
    assert (r.weights, r.activation, r.gamma, r.bound_reason) == (("W",), f, gamma, None)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_gated_cells_have_no_single_gamma_and_no_bound(name):
    r = recurrence(load_spec(name))
    assert (r.activation, r.gamma, r.leak, r.activations) == (None, None, None,
                                                              ("sigmoid", "tanh"))
    assert r.bound_reason == ("the recurrent products sit inside sigmoid, tanh: gates "
                              "multiply the recurrent path, so no single γ bounds a step "
                              "(seed 002, 'Vanishing gradients')")


def _hand_factor(name, p):
    """The per-step bound written from each spec's equations (σ_max(W)·γ with γ = 1)."""
    if name == "esn":  # h = (1 - alpha) h[t-1] + alpha tanh(... + W h[t-1])
        return abs(1 - p["alpha"]) + abs(p["alpha"]) * np.linalg.norm(p["W"], 2)
    if name == "leaky_rnn":  # h = alpha h[t-1] + (1 - alpha) tanh(... + W_hh h[t-1])
        return abs(p["alpha"]) + abs(1 - p["alpha"]) * np.linalg.norm(p["W_hh"], 2)
    return np.linalg.norm(p[BLOCKS[name][0]], 2)


@pytest.mark.parametrize("name", ["elman", "rnn_torch", "esn", "leaky_rnn"])
@settings(max_examples=5)
@given(seed=st.integers(0, 2**16), radius=st.floats(0.3, 2.0))
def test_measured_norms_respect_the_pascanu_bound(name, seed, radius):
    sizes = dict.fromkeys(_small(name), 3)
    p = scaled_params(name, radius, sizes, seed)
    d = measure(name, p, random_inputs(name, 10, sizes, seed, batch=2, scale=1.0))
    assert d.bound_factor == pytest.approx(_hand_factor(name, p), rel=1e-12)
    np.testing.assert_allclose(d.bound, d.bound_factor ** np.arange(10), rtol=1e-12)
    assert np.all(d.row_norms <= d.bound * (1 + 1e-10))


# -- sweep and the command -------------------------------------------------------------------------
def _size_args(name, n=3):
    return [a for d in load_spec(name).dims for a in ("--size", f"{d.name}={n}")]


def test_dynamics_command_prints_the_table_of_its_sweep(capsys):
    code = main(["dynamics", "elman", "--steps", "12", "--radius", "0.5,1.5",
                 *_size_args("elman")])
    out = capsys.readouterr().out.splitlines()
    s = sweep("elman", [0.5, 1.5], 12, 0, {"D": 3, "H": 3, "C": 3})
    assert code == 0
    assert out[0] == ("elman: ‖∂s_T/∂s_(T-k)‖₂ for s = [h], T = 12, geometric mean over 4 "
                      "sequences (seed 0; D=3, H=3, C=3)")
    assert out[1] == "recurrent weights: W_1 on h; activation tanh (γ = 1)"
    assert out[3].split() == ["radius", "σ_max", "γ", "growth/step", "k=1", "k=6", "k=10",
                              "k=11", "bound", "k=11", "verdict"]
    for line, r, d in zip(out[4:6], s.radii, s.results):
        assert line.split() == [f"{r:g}", f"{d.sigma_max:.3f}", "1", f"{d.rate:+.4f}",
                                *(f"{d.norms[k]:.3g}" for k in (1, 6, 10, 11)),
                                f"{d.bound[11]:.3g}", d.verdict]
    assert out == s.format_table().splitlines()


def test_dynamics_json_has_exactly_the_series_keys(capsys):
    assert main(["dynamics", "lstm", "--steps", "5", "--json", *_size_args("lstm")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"spec", "steps", "seed", "series"}
    assert (out["spec"], out["steps"], out["seed"]) == ("lstm", 5, 0)
    assert [s["radius"] for s in out["series"]] == [0.5, 1.0, 1.5]
    for s in out["series"]:
        assert set(s) == {"radius", "sigma_max", "lags", "norms", "bound", "verdict"}
        assert s["lags"] == [0, 1, 2, 3, 4] and len(s["norms"]) == 5 and s["norms"][0] == 1.0
        assert s["bound"] is None and s["verdict"] in ("vanishing", "stable", "exploding")


@pytest.mark.parametrize("name", FIVE)
def test_dynamics_command_runs_for_every_lecture_cell(name, capsys):
    assert main(["dynamics", name, "--steps", "6", "--json", *_size_args(name, 2)]) == 0
    out = json.loads(capsys.readouterr().out)
    bounded = name in ("elman", "leaky_rnn", "esn")
    assert [s["bound"] is not None for s in out["series"]] == [bounded] * 3


def test_dynamics_plot_is_a_reproducible_png_and_svg(tmp_path, capsys):
    args = ["dynamics", "elman", "--steps", "8", *_size_args("elman")]
    for name in ("a.png", "b.png", "a.svg", "b.svg"):
        assert main([*args, "-o", str(tmp_path / name)]) == 0
    png = (tmp_path / "a.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    assert png == (tmp_path / "b.png").read_bytes()
    svg = (tmp_path / "a.svg").read_bytes()
    assert svg.startswith(b"<?xml") and b"<dc:date>" not in svg
    assert svg == (tmp_path / "b.svg").read_bytes()
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {tmp_path / 'b.svg'}"


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    s = sweep("elman", [1.0], 4, 0, {"D": 2, "H": 2, "C": 2})
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SeqcheckError) as e:
        plot_sweep(s, tmp_path / "x.png")
    assert str(e.value) == ("plotting needs matplotlib, an optional extra: "
                            "pip install 'seqcheck[plot]'")


def test_measuring_loads_neither_matplotlib_nor_torch():
    code = ("import sys, seqcheck.dynamics.measure, seqcheck.dynamics.plot as p\n"
            "print('matplotlib' in sys.modules, 'torch' in sys.modules)\n"
            "p.load_matplotlib()\n"
            "print('matplotlib' in sys.modules)\n")  # the check can fail: plotting loads it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "True"]


ERRORS = [
    pytest.param(["nosuch"], ["nosuch: error[unknown-spec]: no bundled spec named 'nosuch' "
                              "and no such file"], id="unknown-spec"),
    pytest.param(["birnn"], [
        "gradient dynamics follow a state carried forward in time, s_t = f(s_(t-1), x_t), but "
        "spec 'birnn' has a backward-in-time chain: h_bwd reads h_bwd[t+1]",
        "  hint: measure each direction as a forward-only spec (for a bidirectional RNN, its "
        "forward chain is spec rnn_torch)"], id="backward-chain"),
    pytest.param(["elman", "--radius", "0.5,x"], [
        "--radius takes comma-separated spectral radii, each a number ≥ 0 (e.g. "
        "0.5,1.0,1.5); got '0.5,x', where 'x' is not one"], id="radius-not-a-number"),
    pytest.param(["elman", "--radius", "1,-1"], [
        "--radius takes comma-separated spectral radii, each a number ≥ 0 (e.g. "
        "0.5,1.0,1.5); got '1,-1', where '-1' is not one"], id="radius-negative"),
    pytest.param(["elman", "--radius", "1,,2"], [
        "--radius takes comma-separated spectral radii, each a number ≥ 0 (e.g. "
        "0.5,1.0,1.5); got '1,,2', where '' is not one"], id="radius-empty-item"),
    pytest.param(["elman", "--radius", "inf"], [
        "--radius takes comma-separated spectral radii, each a number ≥ 0 (e.g. "
        "0.5,1.0,1.5); got 'inf', where 'inf' is not one"], id="radius-infinite"),
    pytest.param(["elman", "--size", "Q=3"], ["spec 'elman' has no dim 'Q'; its dims are D, "
                                              "H, C"], id="unknown-dim"),
    pytest.param(["elman", "--size", "H=0"], ["--size takes DIM=N with N a positive integer "
                                              "(e.g. H=32), got 'H=0'"], id="size-zero"),
    pytest.param(["elman", "--steps", "2"], ["--steps must be ≥ 3 (a slope needs lags 1..T-1) "
                                             "and --batch ≥ 1; got --steps 2, --batch 4"],
                 id="too-few-steps"),
    pytest.param(["elman", "-o", "plot.pdf"], ["cannot write a plot to 'plot.pdf': the "
                                               "extension picks the format, one of .png, .svg"],
                 id="plot-format"),
    pytest.param(["elman", "--recurrent", "b"], [
        "recurrent weight 'b' is not a matrix parameter of spec 'elman'; its matrix "
        "parameters: W_1, W_2, V"], id="recurrent-not-a-matrix"),
]


@pytest.mark.parametrize("args, message", ERRORS)
def test_dynamics_errors_exit_2_with_their_message(args, message, capsys):
    assert main(["dynamics", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines()[:len(message)] == message
    assert captured.out == ""


def test_parse_radii_reads_what_the_help_shows():
    assert parse_radii("0.5,1.0,1.5") == (0.5, 1.0, 1.5)


def test_sweep_uses_one_draw_and_one_input_for_every_radius():
    s = sweep("esn", [0.5, 1.0], 4, 0, {"N_u": 2, "N_x": 3, "N_y": 2})
    assert isinstance(s, Sweep) and s.radii == (0.5, 1.0)
    a, b = (d.sigma_max for d in s.results)
    assert b == pytest.approx(2 * a, rel=1e-12)  # one common factor: σ_max scales with ρ


def test_sizes_can_be_given_together_or_one_by_one(capsys):
    together = ["dynamics", "elman", "--steps", "4", "--json", "--size", "D=2", "H=3", "C=2"]
    apart = ["dynamics", "elman", "--steps", "4", "--json", "--size", "D=2", "--size", "H=3",
             "--size", "C=2"]
    outs = []
    for args in (together, apart):
        assert main(args) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[0] == outs[1]
