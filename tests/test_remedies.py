"""Seed 002's remedies: gradient clipping, Pascanu's regulariser Ω, the rescaling example.

Oracles: torch.nn.utils.clip_grad_norm_; an Elman RNN written here in torch whose
adjoints come from autograd (not from the Jacobian recursion seqcheck uses); central
differences in float64; exact matrix powers for a linear RNN; fractions.Fraction for the
slide's arithmetic.
"""

from fractions import Fraction
from functools import cache

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from seqcheck import compile_numpy, load_spec
from seqcheck.dynamics.remedies import (
    SEED002_CONTRIBUTIONS,
    clip_gradient_norm,
    pascanu_regulariser,
    per_step_contributions,
    regulariser_gradient,
    rescaled,
)
from seqcheck.dynamics.theory import alternative_rnn, linear_rnn
from seqcheck.errors import SeqcheckError, ShapeError

# the Elman form h_t = tanh(W h_{t-1} + U x_t + b) in two catalogue specs
ELMAN_FORMS = {"elman": ("W_1", "W_2", ("b",)), "rnn_torch": ("W_hh", "W_ih", ("b_ih", "b_hh"))}


@cache
def compiled(name: str):
    spec = {"rnn_alternative": alternative_rnn, "linear_rnn": linear_rnn}.get(
        name, lambda: load_spec(name))()
    return compile_numpy(spec, gradients=True)


def grid(lo: float, hi: float, steps: int = 64):
    return st.integers(0, steps).map(lambda k: lo + (hi - lo) * k / steps)


def arrays(shape, lo=-1.0, hi=1.0):
    return hnp.arrays(np.float64, shape, elements=grid(lo, hi))


def shapes_for(spec, H, D=2, C=2):
    sizes = {"H": H, "D": D, "C": C}
    return {n: tuple(sizes[str(e)] for e in d.shape) for n, d in spec.params.items()}


# -- seed 002, "Gradient clipping for exploding gradients" --------------------------------

@st.composite
def gradients(draw):
    """An array with entries across six orders of magnitude, or a zero array."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    scale = 10.0 ** draw(st.integers(-3, 3))
    return draw(arrays(shape)) * scale


@settings(max_examples=60)
@given(g=gradients(), theta=grid(0.01, 10.0, 999))
def test_clipping_follows_the_pseudocode(g, theta):
    out = clip_gradient_norm(g, theta)
    norm = np.linalg.norm(g.ravel())
    assert out.norm == pytest.approx(norm, rel=1e-12, abs=0)
    if norm <= theta:  # "else: print('Do nothing')"
        assert out.scale == 1.0
        np.testing.assert_array_equal(out.gradients, g)
    else:  # g ← θ0/‖g‖ · g
        assert out.scale == pytest.approx(theta / norm, rel=1e-15)
        assert np.linalg.norm(out.gradients.ravel()) == pytest.approx(theta, rel=1e-12)
        cosine = out.gradients.ravel() @ g.ravel() / (np.linalg.norm(out.gradients) * norm)
        assert cosine == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.norm(out.gradients.ravel()) <= theta * (1 + 1e-12)


@settings(max_examples=40)
@given(parts=st.lists(gradients(), min_size=1, max_size=3), theta=grid(0.01, 10.0, 999))
def test_clipping_a_dict_uses_one_global_norm(parts, theta):
    grads = {f"W_{k}": g for k, g in enumerate(parts)}
    out = clip_gradient_norm(grads, theta)
    flat = np.concatenate([g.ravel() for g in parts])
    assert out.norm == pytest.approx(np.linalg.norm(flat), rel=1e-12, abs=0)
    assert set(out.gradients) == set(grads)
    for k, g in grads.items():  # every array scaled by the same factor
        np.testing.assert_allclose(out.gradients[k], out.scale * g, rtol=1e-15, atol=0)
    assert np.linalg.norm(np.concatenate([a.ravel() for a in out.gradients.values()])) <= \
        theta * (1 + 1e-12)


def _torch_clipped(grads: dict, theta: float) -> dict:
    params = []
    for g in grads.values():
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g)
        params.append(p)
    torch.nn.utils.clip_grad_norm_(params, theta)
    return {k: p.grad.numpy() for k, p in zip(grads, params)}


@settings(max_examples=40)
@given(parts=st.lists(gradients(), min_size=1, max_size=3), theta=grid(0.01, 10.0, 999))
def test_clipping_agrees_with_torch_up_to_its_epsilon(parts, theta):
    # torch multiplies by min(1, θ0/(‖g‖ + 1e-6)): smaller by ‖g‖/(‖g‖ + 1e-6) at most
    grads = {f"W_{k}": g for k, g in enumerate(parts)}
    ours = clip_gradient_norm(grads, theta)
    theirs = _torch_clipped(grads, theta)
    rtol = 1e-6 / (ours.norm + 1e-6) + 1e-12
    for k in grads:
        np.testing.assert_allclose(theirs[k], ours.gradients[k], rtol=rtol, atol=0)


def test_torch_also_scales_a_gradient_at_the_threshold():
    # ‖(3, 4)‖ = 5 = θ0: the pseudocode does nothing, torch scales by 5/(5 + 1e-6)
    g = {"W": np.array([3.0, 4.0])}
    assert clip_gradient_norm(g, 5.0).scale == 1.0
    np.testing.assert_allclose(_torch_clipped(g, 5.0)["W"], g["W"] * 5.0 / (5.0 + 1e-6),
                               rtol=1e-15)


@pytest.mark.parametrize("grads, theta, message", [
    pytest.param(np.ones(2), 0.0, "clip_gradient_norm: the threshold θ0 must be positive and "
                 "finite, got 0.0", id="zero-threshold"),
    pytest.param(np.ones(2), -1.0, "clip_gradient_norm: the threshold θ0 must be positive "
                 "and finite, got -1.0", id="negative-threshold"),
    pytest.param(np.ones(2), float("inf"), "clip_gradient_norm: the threshold θ0 must be "
                 "positive and finite, got inf", id="infinite-threshold"),
    pytest.param(np.array([1.0, np.inf]), 1.0, "clip_gradient_norm: the gradient has "
                 "non-finite entries; clipping rescales a finite gradient and cannot recover "
                 "them", id="inf-gradient"),
    pytest.param({"W": np.ones(2), "U": np.array([np.nan])}, 1.0, "clip_gradient_norm: the "
                 "gradient has non-finite entries in U; clipping rescales a finite gradient "
                 "and cannot recover them", id="nan-in-a-dict"),
])
def test_clipping_rejects(grads, theta, message):
    with pytest.raises(SeqcheckError) as e:
        clip_gradient_norm(grads, theta)
    assert str(e.value) == message


def test_clipping_a_huge_gradient_does_not_overflow():
    out = clip_gradient_norm(np.array([3e200, 4e200]), 1.0)
    assert out.norm == pytest.approx(5e200, rel=1e-15)
    np.testing.assert_allclose(out.gradients, [0.6, 0.8], rtol=1e-15)


# -- seed 002, "Regularization on the recurrent weights" ----------------------------------

def torch_elman_omega(W, U, b, x, h0, P, *, immediate: bool):
    """Ω for h_t = tanh(W h_{t-1} + U x_t + b), L = Σ_t ⟨P_t, h_t⟩, written independently.

    The adjoints a_t = ∂L/∂h_t come from autograd on the hidden states themselves, and
    J_{t+1} = diag(1 − h_{t+1}²) W is the textbook formula. ``immediate`` holds a_{t+1}
    and h_t constant. Returns Ω and the adjoints ``(T, B, H)``.
    """
    hs, h = [], h0
    for t in range(x.shape[0]):
        h = torch.tanh(h @ W.T + x[t] @ U.T + b)
        hs.append(h)
    L = sum((P[t] * hs[t]).sum() for t in range(len(hs)))
    adj = torch.autograd.grad(L, hs, create_graph=True)
    omega = 0
    for t in range(len(hs)):
        prev = h0 if t == 0 else hs[t - 1]
        a = adj[t]
        if immediate:
            a, prev = a.detach(), prev.detach()
        d = 1 - torch.tanh(prev @ W.T + x[t] @ U.T + b) ** 2
        carried = (a * d) @ W  # a_{t+1} J_{t+1} for rows a_{t+1}
        omega = omega + ((carried.norm(dim=1) / a.norm(dim=1) - 1) ** 2).sum()
    return omega, torch.stack(adj)


@st.composite
def elman_cases(draw, name):
    spec = compiled(name).spec
    H, T, B = draw(st.integers(2, 3)), draw(st.integers(2, 5)), draw(st.integers(1, 2))
    params = {n: draw(arrays(s), label=n) for n, s in shapes_for(spec, H).items()}
    x = draw(arrays((T, B, 2), -2.0, 2.0), label="x")
    h0 = draw(arrays((B, H)), label="h0")
    seeds = draw(arrays((T, B, H), 0.25, 1.0), label="seeds")  # no zero adjoint
    return params, x, h0, seeds


@pytest.mark.parametrize("name", sorted(ELMAN_FORMS))
@settings(max_examples=8)
@given(data=st.data())
def test_omega_and_its_gradients_match_an_independent_torch_elman(name, data):
    params, x, h0, seeds = data.draw(elman_cases(name))
    c = compiled(name)
    traj = c(params, {"x": x}, initial={"h": h0})
    reg = pascanu_regulariser(c, traj, {"h": seeds})
    w, u, bs = ELMAN_FORMS[name]
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    for derivative in ("total", "immediate"):
        omega, adj = torch_elman_omega(tp[w], tp[u], sum(tp[k] for k in bs), torch.tensor(x),
                                       torch.tensor(h0), torch.tensor(seeds),
                                       immediate=derivative == "immediate")
        np.testing.assert_allclose(reg.value, float(omega.detach()), rtol=1e-12)
        np.testing.assert_allclose(reg.adjoints, adj.detach().numpy(), rtol=1e-12, atol=1e-14)
        want = torch.autograd.grad(omega, [tp[w], tp[u], *(tp[k] for k in bs)])
        got = regulariser_gradient(c, traj, {"h": seeds}, derivative=derivative)
        assert got.value == pytest.approx(reg.value, rel=1e-12)
        for k, g in zip([w, u, *bs], want):
            np.testing.assert_allclose(got.gradients[k], g.numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{derivative} dΩ/d{k}")


def _random_case(name, H, T, B, seed):
    """Weights, inputs and state seeds for any catalogue spec (fixed seed)."""
    rng = np.random.default_rng(seed)
    c = compiled(name)
    params = {n: rng.uniform(-1, 1, s) for n, s in shapes_for(c.spec, H).items()}
    traj = c(params, {"x": rng.uniform(-1, 1, (T, B, 2))})
    seeds = {s: rng.uniform(0.25, 1.0, traj[s].shape) for s in c.spec.states}
    return c, params, traj, seeds


def _central_differences(f, params, name, eps=1e-6):
    out = np.zeros_like(params[name])
    for idx in np.ndindex(params[name].shape):
        values = []
        for sign in (1.0, -1.0):
            p = {**params, name: params[name].copy()}
            p[name][idx] += sign * eps
            values.append(f(p))
        out[idx] = (values[0] - values[1]) / (2 * eps)
    return out


@pytest.mark.parametrize("name, weights", [
    ("elman", ("W_1", "W_2")), ("rnn_torch", ("W_hh",)), ("rnn_alternative", ("W", "b")),
    ("lstm", ("W_hf", "W_hc")), ("gru", ("W_hz",))])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_total_gradient_against_central_differences(name, weights, seed):
    # Ω recomputed from scratch through the derived pipeline at every perturbed weight
    c, params, traj, seeds = _random_case(name, H=2, T=4, B=2, seed=seed)
    x = traj.arrays["inputs"]["x"]
    got = regulariser_gradient(c, traj, seeds)

    def omega(p):
        return pascanu_regulariser(c, c(p, {"x": x}), seeds).value

    for w in weights:
        np.testing.assert_allclose(got.gradients[w], _central_differences(omega, params, w),
                                   rtol=1e-6, atol=1e-8, err_msg=f"{name}: dΩ/d{w}")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_immediate_gradient_against_central_differences(seed):
    # Ω⁺(W') = Σ_t (‖a_{t+1} J_{t+1}(W')‖/‖a_{t+1}‖ − 1)² with a and h_t held at W;
    # J_{t+1}(W') = diag(1 − tanh²(W' h_t + W_2 x_{t+1} + b)) W', in NumPy
    c, params, traj, seeds = _random_case("elman", H=3, T=5, B=2, seed=seed)
    a = pascanu_regulariser(c, traj, seeds).adjoints
    x = traj.arrays["inputs"]["x"]
    prev = np.concatenate([np.zeros((1, 2, 3)), traj["h"][:-1]])

    def held(p):
        d = 1 - np.tanh(prev @ p["W_1"].T + x @ p["W_2"].T + p["b"]) ** 2
        carried = (a * d) @ p["W_1"]
        return float(((np.linalg.norm(carried, axis=2) / np.linalg.norm(a, axis=2) - 1) ** 2)
                     .sum())

    got = regulariser_gradient(c, traj, seeds, derivative="immediate")
    assert got.value == pytest.approx(held(params), rel=1e-12)
    for w in ("W_1", "W_2", "b"):
        np.testing.assert_allclose(got.gradients[w], _central_differences(held, params, w),
                                   rtol=1e-6, atol=1e-9, err_msg=f"dΩ⁺/d{w}")
    assert np.abs(got.gradients["W_1"] -
                  regulariser_gradient(c, traj, seeds).gradients["W_1"]).max() > 1e-3


@pytest.mark.parametrize("name", ["elman", "lstm", "gru", "rnn_alternative"])
def test_the_adjoints_continue_into_the_derived_gradient_of_the_initial_state(name):
    # a_1 J_1 = ∂L/∂s_0, which the compiled backward pass returns as Gradients.initial
    c, params, traj, seeds = _random_case(name, H=2, T=4, B=2, seed=3)
    reg = pascanu_regulariser(c, traj, seeds)
    full = compile_numpy(c.spec, gradients=True, seeded=c.spec.states)
    g = full.backward(traj, seeds)
    want = np.concatenate([np.asarray(g.initial[s]).reshape(2, -1) for s in c.spec.states],
                          axis=1)
    np.testing.assert_allclose(reg.carried[0], want, rtol=1e-12, atol=1e-14)


@settings(max_examples=15)
@given(H=st.integers(1, 3), T=st.integers(1, 6), rho=grid(0.05, 1.0, 19), data=st.data())
def test_omega_measures_how_far_each_step_is_from_keeping_the_norm(H, T, rho, data):
    # h_t = Wᵀ h_{t-1} + U x_t with W = ρ Q, Q orthogonal: every step scales the error
    # signal by exactly ρ, so Ω_t = (ρ − 1)²: zero for ρ = 1, the norm-preserving case
    c = compiled("linear_rnn")
    Q, _ = np.linalg.qr(data.draw(arrays((H, H))))
    traj = c({"W": rho * Q, "U": data.draw(arrays((H, 2)))}, {"x": data.draw(arrays((T, 2, 2)))})
    seeds = {"h": data.draw(arrays((T, 2, H), 0.25, 1.0))}
    reg = pascanu_regulariser(c, traj, seeds)
    np.testing.assert_allclose(reg.terms, (rho - 1) ** 2, atol=1e-13)


def test_omega_rejects_what_it_cannot_compute():
    c, params, traj, seeds = _random_case("elman", H=2, T=3, B=1, seed=0)
    with pytest.raises(ShapeError) as e:
        pascanu_regulariser(c, traj, {"o": np.ones((3, 1, 2))})
    assert str(e.value).splitlines() == [
        "Ω takes the per-step loss gradients ∂ℓ_t/∂s_t on the states (h) of spec 'elman', "
        "got seeds for o",
        "  hint: for a loss on an output, pass its gradient with respect to the state"]
    with pytest.raises(ShapeError) as e:
        pascanu_regulariser(c, traj, {"h": np.ones((3, 2))})
    assert str(e.value) == "seed for state 'h' has shape (3, 2), expected (3, 1, 2) (T, B, *shape)"
    zero_late = {"h": np.concatenate([np.ones((2, 1, 2)), np.zeros((1, 1, 2))])}
    for f in (pascanu_regulariser, regulariser_gradient):
        with pytest.raises(SeqcheckError) as e:
            f(c, traj, zero_late)
        assert str(e.value).splitlines()[0] == (
            "Ω_t is undefined at t = 2 (batch row 0): ∂L/∂s_3 = 0, and Ω_t divides by its norm")
    with pytest.raises(SeqcheckError) as e:
        regulariser_gradient(c, traj, seeds, derivative="partial")
    assert str(e.value) == ("regulariser_gradient: derivative must be 'total' or 'immediate', "
                            "got 'partial'")


# -- seed 002, "Rescaling vanishing gradients?" -------------------------------------------

PRINTED_SUM = Fraction("1.1111")  # "∂L/∂W = Σ_r ∂L_r/∂W = 1.1111"
PRINTED_FIFTH = Fraction(1, 10 ** 5)  # "If ∂L/∂W rescaled to 1, ∂L5/∂W ∝ 10^-5"


def test_the_slides_arithmetic():
    assert SEED002_CONTRIBUTIONS == (1, Fraction(1, 10), Fraction(1, 100), Fraction(1, 1000),
                                     Fraction(1, 10000))  # as printed
    assert sum(SEED002_CONTRIBUTIONS) == PRINTED_SUM  # the printed 1.1111 is exact
    r = rescaled(SEED002_CONTRIBUTIONS)
    assert sum(r) == 1
    assert r[4] == SEED002_CONTRIBUTIONS[4] / PRINTED_SUM
    # the printed 10^-5 is the exponent of 9.0·10^-5: nine times too small; rescaling by
    # 1/1.1111 leaves the fifth term at about 10^-4, where it was
    assert r[4] / PRINTED_FIFTH == 1 / (PRINTED_SUM * Fraction(1, 10))
    assert round(np.log10(float(r[4]))) == round(np.log10(float(SEED002_CONTRIBUTIONS[4])))


def test_a_linear_rnn_reproduces_the_slide_through_the_backward_pass():
    # h_t = Wᵀ h_{t-1} + U x_t with W = I/10 (ρ = 0.1), an input at t = 1 only and
    # ℓ_k = ⟨p, h_k⟩: ∂ℓ_k/∂U = W^(k-1) p x_1ᵀ = 10^-(k-1) p x_1ᵀ, all in one direction
    c = compiled("linear_rnn")
    H, T = 2, 5
    W, U = 0.1 * np.eye(H), np.array([[1.0, 0.5], [-0.5, 2.0]])
    x = np.zeros((T, 1, 2))
    x[0, 0] = [1.0, -1.0]
    p = np.array([0.3, -0.7])
    traj = c({"W": W, "U": U}, {"x": x})
    seeds = {"h": np.broadcast_to(p, (T, 1, H)).copy()}
    parts = per_step_contributions(c, traj, seeds, "U")
    for k in range(T):
        want = np.linalg.matrix_power(W, k) @ np.outer(p, x[0, 0])
        np.testing.assert_allclose(parts[k], want, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(parts.sum(axis=0), c.backward(traj, seeds).params["U"],
                               rtol=1e-13)
    norms = np.linalg.norm(parts.reshape(T, -1), axis=1)
    np.testing.assert_allclose(norms / norms[0], [float(v) for v in SEED002_CONTRIBUTIONS],
                               rtol=1e-12)
    total = np.linalg.norm(parts.sum(axis=0))
    assert total / norms[0] == pytest.approx(float(PRINTED_SUM), rel=1e-12)
    np.testing.assert_allclose(norms / total, [float(v) for v in rescaled(SEED002_CONTRIBUTIONS)],
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["elman", "lstm"])
@settings(max_examples=8)
@given(data=st.data())
def test_the_per_step_contributions_sum_to_the_gradient(name, data):
    c = compiled(name)
    H, T = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 5))
    params = {n: data.draw(arrays(s), label=n) for n, s in shapes_for(c.spec, H).items()}
    traj = c(params, {"x": data.draw(arrays((T, 2, 2)))})
    seeds = {v: data.draw(arrays(traj.raw[v].shape), label=v) for v in c.seeded}
    full = c.backward(traj, seeds).params
    for w in params:
        np.testing.assert_allclose(per_step_contributions(c, traj, seeds, w).sum(axis=0),
                                   full[w], rtol=1e-12, atol=1e-13, err_msg=w)


def test_per_step_contributions_names_the_parameters():
    c, params, traj, seeds = _random_case("elman", H=2, T=2, B=1, seed=0)
    with pytest.raises(ShapeError) as e:
        per_step_contributions(c, traj, seeds, "W")
    assert str(e.value) == ("per_step_contributions: 'W' is not a parameter of spec 'elman' "
                            "(parameters: W_1, W_2, V, b, c)")
