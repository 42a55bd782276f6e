"""The lectures' claims about vanishing and exploding gradients, checked as properties.

Oracles: exact linear algebra (numpy.linalg.matrix_power, eig, svd) on spectra the test
builds itself, explicit Jacobian formulas written here, and central differences of the
compiled forward pass. The Jacobians under test come from the derived backward pass
(seqcheck.derive.state_jacobians), so the bounds are checked through the real pipeline.
"""

import re
from functools import cache

import numpy as np
import pytest
import sympy as sp
from cells import one_state_cell
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from seqcheck import compile_numpy, load_spec, loads_spec
from seqcheck.derive import state_jacobians
from seqcheck.dynamics.theory import (
    alternative_product,
    alternative_rnn,
    can_explode,
    carousel_gain,
    check_rate,
    eq28_forms,
    jacobian_product,
    leaky_rates,
    linear_norm_bounds,
    linear_recurrence,
    linear_rnn,
    pascanu_rate,
    product_norms,
)
from seqcheck.errors import SeqcheckError

SIGMOID_RNN = one_state_cell("sigmoid_rnn", "sigmoid(W @ h[t-1] + U @ x + b)", bias=True)

# spec -> (recurrent weight, γ = sup |f'| of the activation around it)
PASCANU_FORMS = {"elman": ("W_1", 1.0), "rnn_torch": ("W_hh", 1.0), "rnn": ("W_hh", 1.0),
                 "sigmoid_rnn": ("W", 0.25), "rnn_alternative": ("W", 1.0)}


@cache
def compiled(name: str):
    spec = {"sigmoid_rnn": lambda: loads_spec(SIGMOID_RNN),
            "rnn_alternative": alternative_rnn,
            "linear_rnn": linear_rnn}.get(name, lambda: load_spec(name))()
    return compile_numpy(spec, gradients=True)


def grid(lo: float, hi: float, steps: int = 64):
    """Binary fractions in [lo, hi]: exact, no subnormals, and they shrink towards lo."""
    return st.integers(0, steps).map(lambda k: lo + (hi - lo) * k / steps)


def arrays(shape, lo=-1.0, hi=1.0):
    return hnp.arrays(np.float64, shape, elements=grid(lo, hi))


@st.composite
def orthogonal(draw, n: int):
    """Q from the QR decomposition of a drawn matrix (orthogonal even when it is singular)."""
    q, _ = np.linalg.qr(draw(arrays((n, n))))
    return q


@st.composite
def well_conditioned(draw, n: int):
    """V = Q₁ diag(s) Q₂ᵀ with s in [1/2, 2]: κ₂(V) ≤ 4, and V is not normal in general."""
    s = draw(arrays((n,), 0.5, 2.0))
    return draw(orthogonal(n)) @ np.diag(s) @ draw(orthogonal(n)).T


@st.composite
def with_singular_values(draw, n: int, top: float):
    """W = Q₁ diag(σ) Q₂ᵀ with σ in [0, top]; returns W."""
    sigma = draw(arrays((n,), 0.0, top))
    return draw(orthogonal(n)) @ np.diag(sigma) @ draw(orthogonal(n)).T


def sizes_of(spec, sizes):
    subs = {sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}
    return lambda shape: tuple(int(sp.sympify(e).subs(subs)) for e in shape)


def draw_params(data, spec, sizes, lo=-1.0, hi=1.0):
    shape = sizes_of(spec, sizes)
    return {n: data.draw(arrays(shape(d.shape), lo, hi), label=n) for n, d in spec.params.items()}


def oracle_h(W, h0, t):
    """Seed 000 eq. (27) by exact matrix power."""
    return np.linalg.matrix_power(W, t).T @ h0


# -- seed 000 eq. (26)-(28): the linear recurrence and its eigen-decomposition ------------

@settings(max_examples=30)
@given(n=st.integers(1, 4), t=st.integers(0, 12), data=st.data())
def test_iterating_eq26_gives_eq27(n, t, data):
    W, h0 = data.draw(arrays((n, n), -1.5, 1.5)), data.draw(arrays((n,)))
    np.testing.assert_allclose(linear_recurrence(W, h0, t)[t], oracle_h(W, h0, t),
                               rtol=1e-12, atol=1e-12 * 1.5 ** t * n ** t)


@settings(max_examples=40)
@given(n=st.integers(2, 4), t=st.integers(0, 10), data=st.data())
def test_eq28_corrected_form_is_eq27_and_the_printed_one_is_qt_lambda_q(n, t, data):
    # W = Q Λ Qᵀ, the premise seed 003 prints: (W^t)ᵀ h_0 = Q Λ^t Qᵀ h_0. The printed
    # Qᵀ Λ^t Q h_0 is the same recurrence for the matrix Qᵀ Λ Q: Q and Qᵀ swapped.
    Q, lam = data.draw(orthogonal(n)), data.draw(arrays((n,), -1.5, 1.5))
    h0 = data.draw(arrays((n,)))
    f = eq28_forms(Q, lam, h0, t)
    W = Q @ np.diag(lam) @ Q.T
    want = oracle_h(W, h0, t)
    tol = dict(rtol=1e-9, atol=1e-9 * max(1.0, 1.5 ** t))
    np.testing.assert_allclose(f.W, W, atol=1e-12)
    np.testing.assert_allclose(f.eq27, want, **tol)
    np.testing.assert_allclose(f.corrected, want, **tol)
    np.testing.assert_allclose(f.printed, oracle_h(Q.T @ np.diag(lam) @ Q, h0, t), **tol)


@settings(max_examples=40)
@given(n=st.integers(2, 4), data=st.data())
def test_the_printed_eq28_is_wrong_by_the_commutator(n, data):
    # At t = 1 the printed form errs by (QᵀΛQ − QΛQᵀ) h_0; for the worst h_0 (its top right
    # singular vector) the error is that matrix's norm, whenever Q and Λ do not line up.
    Q, lam = data.draw(orthogonal(n)), data.draw(arrays((n,), -1.5, 1.5))
    D = Q.T @ np.diag(lam) @ Q - Q @ np.diag(lam) @ Q.T
    assume(np.linalg.norm(D, 2) > 0.1)
    h0 = np.linalg.svd(D)[2][0]
    f = eq28_forms(Q, lam, h0, 1)
    np.testing.assert_allclose(f.corrected, oracle_h(f.W, h0, 1), atol=1e-12)
    assert np.linalg.norm(f.printed - oracle_h(f.W, h0, 1)) == pytest.approx(
        np.linalg.norm(D, 2), rel=1e-9)


def test_the_printed_eq28_on_a_rotation_and_a_sign_flip():
    # Q = rotation by 45°, Λ = diag(2, 1/2): W = [[5/4, 3/4], [3/4, 5/4]]
    c = np.sqrt(0.5)
    Q, lam, h0 = np.array([[c, -c], [c, c]]), np.array([2.0, 0.5]), np.array([1.0, 0.0])
    f = eq28_forms(Q, lam, h0, 3)
    np.testing.assert_allclose(f.W, [[1.25, 0.75], [0.75, 1.25]], atol=1e-15)
    np.testing.assert_allclose(f.corrected, oracle_h(f.W, h0, 3), rtol=1e-14)
    assert np.linalg.norm(f.printed - f.corrected) > 7.8  # second entry −3.94 for +3.94
    # an eigenvector's sign is arbitrary: the correct form does not see it, the printed does
    g = eq28_forms(Q @ np.diag([1.0, -1.0]), lam, h0, 3)
    np.testing.assert_allclose(g.corrected, f.corrected, rtol=1e-14)
    assert np.linalg.norm(g.printed - f.printed) > 7.8


@settings(max_examples=40)
@given(n=st.integers(2, 4), t=st.integers(0, 10), data=st.data())
def test_eq28_for_a_non_normal_w(n, t, data):
    # W = V Λ V⁻¹, V not orthogonal: (W^t)ᵀ = V⁻ᵀ Λ^t Vᵀ
    V, lam = data.draw(well_conditioned(n)), data.draw(arrays((n,), -1.5, 1.5))
    h0 = data.draw(arrays((n,)))
    f = eq28_forms(V, lam, h0, t)
    np.testing.assert_allclose(f.W, V @ np.diag(lam) @ np.linalg.inv(V), atol=1e-12)
    np.testing.assert_allclose(f.corrected, oracle_h(f.W, h0, t), rtol=1e-9,
                               atol=1e-9 * 4 * 1.5 ** t)


@settings(max_examples=40)
@given(n=st.integers(2, 4), t=st.integers(1, 40), rho=grid(0.2, 0.95),
       kind=st.sampled_from(["orthogonal", "non-normal"]), data=st.data())
def test_the_state_vanishes_at_rate_rho_below_one(n, t, rho, kind, data):
    V = data.draw(orthogonal(n) if kind == "orthogonal" else well_conditioned(n))
    lam = data.draw(arrays((n,), -1.0, 1.0))
    assume(np.max(np.abs(lam)) > 0)
    lam = lam * rho / np.max(np.abs(lam))
    W, h0 = V @ np.diag(lam) @ np.linalg.inv(V), data.draw(arrays((n,)))
    norm = np.linalg.norm(oracle_h(W, h0, t))
    assert norm <= np.linalg.cond(V) * rho ** t * np.linalg.norm(h0) * (1 + 1e-9) + 1e-15
    b = linear_norm_bounds(W, h0, t)
    assert b.rho == pytest.approx(rho, rel=1e-9)
    assert b.lower * (1 - 1e-7) - 1e-15 <= norm <= b.upper * (1 + 1e-7) + 1e-15


@settings(max_examples=40)
@given(n=st.integers(2, 4), t=st.integers(1, 30), rho=grid(1.1, 1.6),
       kind=st.sampled_from(["orthogonal", "non-normal"]), data=st.data())
def test_the_state_grows_at_rate_rho_above_one_from_a_generic_start(n, t, rho, kind, data):
    V = data.draw(orthogonal(n) if kind == "orthogonal" else well_conditioned(n))
    lam = data.draw(arrays((n,), -1.0, 1.0))
    assume(np.max(np.abs(lam)) > 0)
    lam = lam * rho / np.max(np.abs(lam))
    W, h0 = V @ np.diag(lam) @ np.linalg.inv(V), data.draw(arrays((n,)))
    # h_t = V⁻ᵀ Λ^t c with c = Vᵀ h_0: the top eigenvalues' share of c grows like ρ^t
    c = V.T @ h0
    top = np.abs(lam) >= rho * (1 - 1e-12)
    c_top = np.linalg.norm(c[top])
    assume(c_top > 0.05)
    norm = np.linalg.norm(oracle_h(W, h0, t))
    assert norm >= rho ** t * c_top / np.linalg.norm(V, 2) * (1 - 1e-9)
    b = linear_norm_bounds(W, h0, t)
    assert b.lower * (1 - 1e-7) <= norm <= b.upper * (1 + 1e-7)
    assert linear_norm_bounds(W, h0, t + 1).lower == pytest.approx(rho * b.lower, rel=1e-9)


@settings(max_examples=40)
@given(n=st.integers(2, 5), t=st.integers(0, 30), scale=grid(0.3, 1.5), data=st.data())
def test_norm_bounds_for_plain_random_matrices(n, t, scale, data):
    # complex eigenvalues included: the bounds use the moduli
    W = data.draw(arrays((n, n))) * scale
    h0 = data.draw(arrays((n,)))
    lam, V = np.linalg.eig(W)
    assume(np.linalg.cond(V) < 1e6 and np.max(np.abs(lam)) > 1e-3)
    b = linear_norm_bounds(W, h0, t)
    norm = np.linalg.norm(oracle_h(W, h0, t))
    assert b.rho == pytest.approx(np.max(np.abs(np.linalg.eigvals(W))), rel=1e-9)
    slack = 1e-6 * np.linalg.cond(V)
    assert b.lower * (1 - slack) - 1e-12 <= norm <= b.upper * (1 + slack) + 1e-12


def test_an_eigenvalue_below_one_can_explode():
    # Seed 000 after eq. (28): "λ_i < 1: decay to zero". λ = −1.5 is below 1 and explodes:
    # the modulus decides.
    h = linear_recurrence(np.diag([-1.5, 0.5]), np.array([1.0, 1.0]), 20)
    assert np.linalg.norm(h[20]) > 1.5 ** 20 * 0.99
    assert linear_norm_bounds(np.diag([-1.5, 0.5]), [1.0, 1.0], 20).lower == 1.5 ** 20


J3 = np.broadcast_to(np.eye(2), (3, 1, 2, 2))


@pytest.mark.parametrize("call, message", [
    pytest.param(lambda: eq28_forms(np.eye(2), np.array([1j, -1j]), np.ones(2), 1),
                 "eq28_forms: eq. (28) is about a real Λ; for complex eigenvalues use "
                 "linear_norm_bounds, which takes W itself", id="eq28-complex"),
    pytest.param(lambda: eq28_forms(np.eye(3), np.ones(3), np.ones(2), 1),
                 "eq28_forms: V must be (2, 2) and lam (2,) for h0 of shape (2,), got V (3, 3) "
                 "and lam (3,)", id="eq28-shapes"),
    pytest.param(lambda: eq28_forms(np.eye(2), np.ones(2), np.ones(2), -1),
                 "eq28_forms: t must be >= 0, got -1", id="eq28-negative-t"),
    pytest.param(lambda: linear_norm_bounds([[0.0, 1.0], [0.0, 0.0]], [1.0, 1.0], 1),
                 "linear_norm_bounds: W is not diagonalisable to working precision: its "
                 "eigenvectors have κ₂(V) = {kappa} > 1e12, and the bounds need W = V Λ V⁻¹",
                 id="jordan-block"),
    pytest.param(lambda: jacobian_product(J3, 1, 2),
                 "jacobian_product: need 0 <= tau <= t <= T = 3, got t = 1, tau = 2",
                 id="product-range"),
    pytest.param(lambda: product_norms(np.eye(2)),
                 "state Jacobians must have shape (T, B, n, n), got (2, 2)", id="jacobian-shape"),
    pytest.param(lambda: alternative_product(np.eye(2), np.zeros((4, 1, 2)), 3, 0,
                                             as_printed=True),
                 "alternative_product: need 0 <= tau <= t <= T = 3 (tau >= 1 as printed), got "
                 "t = 3, tau = 0", id="printed-product-from-0"),
    pytest.param(lambda: carousel_gain(np.ones((3, 1, 2)), 4, 0),
                 "carousel_gain: need 0 <= tau <= t <= T = 3, got t = 4, tau = 0",
                 id="carousel-range"),
])
def test_theory_rejects(call, message):
    # {kappa}: a condition number whose digits depend on the LAPACK build
    with pytest.raises(SeqcheckError) as e:
        call()
    pattern = re.escape(message).replace(re.escape("{kappa}"), r"[0-9.]+e\+[0-9]+")
    assert re.fullmatch(pattern, str(e.value)), str(e.value)


# -- through the pipeline: eq. (27) is the product of the derived Jacobians ---------------

@settings(max_examples=15)
@given(n=st.integers(1, 3), T=st.integers(1, 6), data=st.data())
def test_the_linear_rnn_jacobian_is_w_transposed(n, T, data):
    lin = compiled("linear_rnn")
    W, U = data.draw(arrays((n, n), -1.5, 1.5)), data.draw(arrays((n, 2)))
    traj = lin({"W": W, "U": U}, {"x": data.draw(arrays((T, 2, 2)))})
    J = state_jacobians(lin, traj).jacobians
    np.testing.assert_allclose(J, np.broadcast_to(W.T, J.shape), atol=1e-14)
    tau = data.draw(st.integers(0, T))
    np.testing.assert_allclose(jacobian_product(J, T, tau)[1],
                               np.linalg.matrix_power(W, T - tau).T, rtol=1e-12, atol=1e-12)


# -- Pascanu et al. (2013) and seed 002's η bound on real state Jacobians ------------------

@pytest.mark.parametrize("name", sorted(PASCANU_FORMS))
@settings(max_examples=12)
@given(H=st.integers(2, 3), T=st.integers(1, 10), top=grid(0.0, 3.0, 24), data=st.data())
def test_the_pascanu_bound_holds_on_the_derived_jacobians(name, H, T, top, data):
    c = compiled(name)
    recurrent, gamma = PASCANU_FORMS[name]
    sizes = {"H": H, "D": 2, "C": 2}
    params = draw_params(data, c.spec, sizes)
    params[recurrent] = data.draw(with_singular_values(H, top / gamma), label=recurrent)
    traj = c(params, {"x": data.draw(arrays((T, 2, 2), -2.0, 2.0), label="x")})
    J = state_jacobians(c, traj).jacobians
    eta = pascanu_rate(params[recurrent], gamma)
    assert eta == pytest.approx(np.linalg.svd(params[recurrent])[1][0] * gamma, abs=1e-12)
    assert np.all(np.linalg.norm(J, ord=2, axis=(-2, -1)) <= eta * (1 + 1e-9) + 1e-15)
    result = check_rate(J, eta, claim=f"{name}: ‖∂h_T/∂h_τ‖ ≤ η^(T-τ)")
    assert result.ok, str(result)


def test_a_violated_bound_is_reported_with_its_place():
    J = np.broadcast_to(0.5 * np.eye(2), (3, 1, 2, 2))
    result = check_rate(J, 0.4, claim="η = 0.4")
    assert not result.ok
    assert str(result).splitlines() == [
        "η = 0.4: fails at 3 places",
        "  ‖∂s_T/∂s_τ‖₂ at τ = 0 (T = 3), row 0: 0.125 > bound 0.064",
        "  ‖∂s_T/∂s_τ‖₂ at τ = 1 (T = 3), row 0: 0.25 > bound 0.16",
        "  ‖∂s_T/∂s_τ‖₂ at τ = 2 (T = 3), row 0: 0.5 > bound 0.4"]


@settings(max_examples=20)
@given(H=st.integers(2, 3), T=st.integers(1, 8), data=st.data())
def test_the_alternative_formulation_jacobian_is_w_diag_tanh_prime(H, T, data):
    # Seed 002 "Vanishing gradients": ∂c_k/∂c_{k-1} = W · ∂tanh(c_{k-1}), from the derived pass
    c = compiled("rnn_alternative")
    params = draw_params(data, c.spec, {"H": H, "D": 2}, -1.5, 1.5)
    traj = c(params, {"x": data.draw(arrays((T, 2, 2)))})
    J = state_jacobians(c, traj).jacobians
    states = np.concatenate([np.zeros((1, 2, H)), traj["c"]])
    want = params["W"][None, None] * (1 - np.tanh(states[:-1]) ** 2)[:, :, None, :]
    np.testing.assert_allclose(J, want, rtol=1e-12, atol=1e-14)


def _central_difference_jacobian(c, params, x, c_tau, steps, eps=1e-6):
    """∂c_{τ+steps}/∂c_τ for batch row 0, by central differences of the compiled forward."""
    H = c_tau.shape[-1]
    out = np.zeros((H, H))
    for j in range(H):
        ends = []
        for sign in (1.0, -1.0):
            start = c_tau.copy()
            start[0, j] += sign * eps
            ends.append(c(params, {"x": x}, initial={"c": start})["c"][steps - 1, 0])
        out[:, j] = (ends[0] - ends[1]) / (2 * eps)
    return out


@settings(max_examples=15)
@given(H=st.integers(2, 3), T=st.integers(2, 6), data=st.data())
def test_the_printed_product_over_t_ge_k_ge_tau_has_one_factor_too_many(H, T, data):
    # Seed 002 "Vanishing gradients" prints ∂c_t/∂c_τ = Π_{t≥k≥τ} ∂c_k/∂c_{k-1}; the product
    # over t ≥ k > τ is ∂c_t/∂c_τ, and the printed one is ∂c_t/∂c_{τ-1}.
    c = compiled("rnn_alternative")
    params = draw_params(data, c.spec, {"H": H, "D": 2}, -1.5, 1.5)
    x = data.draw(arrays((T, 1, 2)))
    traj = c(params, {"x": x})
    states = np.concatenate([np.zeros((1, 1, H)), traj["c"]])
    tau = data.draw(st.integers(1, T - 1))
    J = state_jacobians(c, traj).jacobians
    fd = _central_difference_jacobian(c, params, x[tau:], states[tau], T - tau)
    right = alternative_product(params["W"], states, T, tau)[0]
    printed = alternative_product(params["W"], states, T, tau, as_printed=True)[0]
    np.testing.assert_allclose(right, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(right, jacobian_product(J, T, tau)[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(printed, jacobian_product(J, T, tau - 1)[0], rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("name", ["rnn_torch", "sigmoid_rnn"])
@settings(max_examples=15)
@given(H=st.integers(2, 3), T=st.integers(5, 20), u=grid(0.0, 1.0, 16), data=st.data())
def test_no_growth_when_sigma_max_is_at_most_one_over_gamma(name, H, T, u, data):
    # σ_max(W) ≤ 1/γ ⇒ ‖∂h_T/∂h_τ‖₂ ≤ 1 for all τ, whatever the inputs and biases
    c = compiled(name)
    recurrent, gamma = PASCANU_FORMS[name]
    params = draw_params(data, c.spec, {"H": H, "D": 2}, -3.0, 3.0)
    W = data.draw(with_singular_values(H, 1.0))
    params[recurrent] = W / max(np.linalg.norm(W, 2), 1e-300) * u / gamma
    assert not can_explode(params[recurrent], gamma * (1 - 1e-12))
    traj = c(params, {"x": data.draw(arrays((T, 2, 2), -3.0, 3.0))})
    assert np.all(product_norms(state_jacobians(c, traj).jacobians) <= 1 + 1e-9)


@pytest.mark.parametrize("name", ["rnn_torch", "sigmoid_rnn"])
@settings(max_examples=15)
@given(H=st.integers(2, 3), T=st.integers(2, 12), top=grid(0.5, 4.0, 28), data=st.data())
def test_exploding_needs_sigma_max_above_one_over_gamma(name, H, T, top, data):
    c = compiled(name)
    recurrent, gamma = PASCANU_FORMS[name]
    params = draw_params(data, c.spec, {"H": H, "D": 2}, -0.5, 0.5)
    params[recurrent] = data.draw(with_singular_values(H, top / gamma))
    traj = c(params, {"x": data.draw(arrays((T, 2, 2), -0.5, 0.5))})
    grew = product_norms(state_jacobians(c, traj).jacobians).max() > 1 + 1e-9
    event(f"the gradient grew: {grew}")
    if grew:
        assert can_explode(params[recurrent], gamma)


def test_exploding_happens_above_one_over_gamma_and_saturation_stops_it():
    # Not vacuous: W = 3I at h = 0 gives ‖∂h_T/∂h_0‖ = 3^T; the condition is not sufficient:
    # the same W with saturating biases vanishes.
    c = compiled("rnn_torch")
    T, H = 8, 2
    params = {"W_ih": np.zeros((H, 2)), "W_hh": 3 * np.eye(H), "b_ih": np.zeros(H),
              "b_hh": np.zeros(H)}
    J = state_jacobians(c, c(params, {"x": np.zeros((T, 1, 2))})).jacobians
    assert can_explode(params["W_hh"], 1.0)
    assert product_norms(J)[0, 0] == pytest.approx(3.0 ** T, rel=1e-12)
    params["b_hh"] = np.full(H, 10.0)
    J = state_jacobians(c, c(params, {"x": np.zeros((T, 1, 2))})).jacobians
    assert product_norms(J)[0, 0] < 1e-40


# -- seed 002 "LSTM": the constant error carousel; GRU with z = 1 ------------------------

def _lstm_params(data, H, *, recurrent: bool, forget_bias: float):
    c = compiled("lstm")
    params = draw_params(data, c.spec, {"H": H, "D": 2})
    if not recurrent:
        params.update({k: np.zeros((H, H)) for k in ("W_hi", "W_hf", "W_hc", "W_ho")})
    params["b_if"] = params["b_if"] + forget_bias
    params["b_hf"] = params["b_hf"] + forget_bias
    return c, params


@settings(max_examples=15)
@given(H=st.integers(1, 3), T=st.integers(1, 5), data=st.data())
def test_the_lstm_cell_block_is_diag_f(H, T, data):
    c, params = _lstm_params(data, H, recurrent=True, forget_bias=0.0)
    traj = c(params, {"x": data.draw(arrays((T, 2, 2)))})
    cc = state_jacobians(c, traj).block("c", "c")
    np.testing.assert_allclose(cc, traj["f"][..., None] * np.eye(H), rtol=1e-13, atol=1e-15)


@settings(max_examples=6)
@given(H=st.integers(1, 2), T=st.integers(20, 30), data=st.data())
def test_a_saturated_forget_gate_carries_the_cell_gradient_undecayed(H, T, data):
    # W_h* = 0: ∂c_T/∂c_0 = diag(Π f_k); +12 on b_if and b_hf make the forget gate's
    # pre-activation at least 20, so 1 − f ≤ e^-20 ≈ 2.1e-9 at every step
    c, params = _lstm_params(data, H, recurrent=False, forget_bias=12.0)
    traj = c(params, {"x": data.draw(arrays((T, 1, 2)))})
    sj = state_jacobians(c, traj)
    h, cc = dict(sj.blocks)["h"], dict(sj.blocks)["c"]
    product = jacobian_product(sj.jacobians, T, 0)[0]
    gain = carousel_gain(traj["f"], T, 0)[0]
    np.testing.assert_allclose(product[cc, cc], np.diag(gain), rtol=1e-12, atol=1e-300)
    assert np.all(product[h, h] == 0) and np.all(product[cc, h] == 0)
    assert np.all(gain >= 1 - 1e-6)
    # the same cell with f ≈ 1/2 halves the gradient at every step
    c, params = _lstm_params(data, H, recurrent=False, forget_bias=0.0)
    params["W_if"] = np.zeros((H, 2))
    params["b_if"] = params["b_hf"] = np.zeros(H)
    traj = c(params, {"x": data.draw(arrays((T, 1, 2)))})
    gain = carousel_gain(traj["f"], T, 0)[0]
    np.testing.assert_allclose(gain, 0.5 ** T, rtol=1e-12)


@pytest.mark.parametrize("name, biases", [("gru", ("b_iz", "b_hz")), ("gru_cho", ("b_z",))])
@settings(max_examples=10)
@given(H=st.integers(1, 3), T=st.integers(1, 6), data=st.data())
def test_a_gru_with_z_equal_one_passes_the_state_through(name, biases, H, T, data):
    # h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n with z = 1 (sigmoid of ≥ 40 is 1.0 in float64) and
    # z′ = z (1 − z) = 0: ∂h_t/∂h_{t-1} = I, at every step and for every other weight
    c = compiled(name)
    params = draw_params(data, c.spec, {"H": H, "D": 2})
    for b in biases:
        params[b] = params[b] + 60.0 / len(biases)
    traj = c(params, {"x": data.draw(arrays((T, 2, 2)))})
    J = state_jacobians(c, traj).jacobians
    np.testing.assert_array_equal(J, np.broadcast_to(np.eye(H), J.shape))


# -- seed 000 eq. (29): leaky units ------------------------------------------------------

@settings(max_examples=20)
@given(H=st.integers(2, 3), T=st.integers(1, 12), alpha=grid(0.0, 1.0, 16),
       top=grid(0.0, 3.0, 24), data=st.data())
def test_the_leaky_unit_bounds_hold_on_the_derived_jacobians(H, T, alpha, top, data):
    c = compiled("leaky_rnn")
    params = draw_params(data, c.spec, {"H": H, "D": 2, "C": 2})
    params["alpha"] = np.array(alpha)
    params["W_hh"] = data.draw(with_singular_values(H, top))
    traj = c(params, {"x": data.draw(arrays((T, 2, 2), -2.0, 2.0))})
    upper, lower = leaky_rates(params["W_hh"], alpha, 1.0)
    result = check_rate(state_jacobians(c, traj).jacobians, upper, lower,
                        claim="seed 000 eq. (29)")
    assert result.ok, str(result)


def test_a_leak_near_one_keeps_the_gradient_alive_where_the_plain_rnn_loses_it():
    # the same W_hh and inputs: the plain rnn (α = 0) vanishes, α = 0.9 stays above 0.85^T
    T, H = 30, 3
    rng = np.random.default_rng(0)
    W = np.linalg.qr(rng.normal(size=(H, H)))[0] * 0.5
    params = {"W_xh": rng.uniform(-1, 1, (H, 2)), "W_hh": W, "W_ho": np.zeros((2, H)),
              "b_h": np.zeros(H), "b_o": np.zeros(2), "alpha": np.array(0.9)}
    x = rng.uniform(-1, 1, (T, 1, 2))
    c = compiled("leaky_rnn")
    leaky = product_norms(state_jacobians(c, c(params, {"x": x})).jacobians)[0, 0]
    plain = product_norms(state_jacobians(c, c({**params, "alpha": np.array(0.0)},
                                                 {"x": x})).jacobians)[0, 0]
    assert leaky >= leaky_rates(W, 0.9, 1.0)[1] ** T
    assert plain <= 0.5 ** T * (1 + 1e-9)
