"""seed 001's autoencoders, ReLU and dropout against torch and finite differences.

Oracles: a torch reimplementation of each objective written here from the slides, under
autograd in float64; central differences in float64; torch.relu, torch.nn.Dropout.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from seqcheck.errors import SeqcheckError, ShapeError
from seqcheck.models import feedforward as ff

pytestmark = pytest.mark.usefixtures("torch_one_thread")

HIDDEN = {"sigmoid": torch.sigmoid, "relu": torch.relu, "linear": lambda a: a}


# ----------------------------------------------------------------------------- oracles

def torch_autoencoder(X, W1, w10, W2, w20, hidden):
    """½ Σ_ℓ ‖x − (W2 σ(W1 x + w10) + w20)‖², one column x per example (Autoencoders II)."""
    total = 0
    for x in X:
        x_hat = W2 @ HIDDEN[hidden](W1 @ x + w10) + w20
        total = total + 0.5 * torch.sum((x - x_hat) ** 2)
    return total


def torch_denoising(X, Xt, W1, w01, W2, w02, lam):
    """½ Σ ‖x − x̂‖² + λ(‖W1‖_F² + ‖W2‖_F²), h = σ(W1 x̃ + w01), x̂ = σ(W2 h + w02)."""
    total = 0
    for x, xt in zip(X, Xt):
        h = torch.sigmoid(W1 @ xt + w01)
        x_hat = torch.sigmoid(W2 @ h + w02)
        total = total + 0.5 * torch.sum((x - x_hat) ** 2)
    fro = torch.linalg.matrix_norm(W1, "fro") ** 2 + torch.linalg.matrix_norm(W2, "fro") ** 2
    return total + lam * fro


# ----------------------------------------------------------------------------- strategies

@st.composite
def autoencoder_case(draw):
    N = draw(st.integers(1, 4))
    D = draw(st.integers(1, 5))
    K = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([0.1, 1.0, 4.0]))  # 4: saturated sigmoids
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(N, D))
    params = (rng.normal(size=(K, D)) * scale, rng.normal(size=K) * scale,
              rng.normal(size=(D, K)) * scale, rng.normal(size=D) * scale)
    return X, params, rng


TOL = dict(rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- autoencoder

@given(autoencoder_case(), st.sampled_from(sorted(HIDDEN)))
def test_autoencoder_loss_and_gradients_match_torch(case, hidden):
    X, params, _ = case
    g = ff.autoencoder_gradients(X, *params, hidden=hidden)
    leaves = [torch.tensor(p, requires_grad=True) for p in params]
    ref = torch_autoencoder(torch.tensor(X), *leaves, hidden)
    ref.backward()
    np.testing.assert_allclose(ff.autoencoder_loss(X, *params, hidden=hidden), ref.item(),
                               **TOL)
    np.testing.assert_allclose(g.loss, ref.item(), **TOL)
    for name, leaf in zip(("W1", "w10", "W2", "w20"), leaves):
        np.testing.assert_allclose(getattr(g, name), leaf.grad.numpy(), **TOL, err_msg=name)


@given(autoencoder_case(), st.sampled_from(["sigmoid", "linear"]))
def test_autoencoder_gradients_match_central_differences(case, hidden):
    X, params, rng = case
    g = ff.autoencoder_gradients(X, *params, hidden=hidden)
    eps = 1e-6
    for k, name in enumerate(("W1", "w10", "W2", "w20")):
        v = rng.normal(size=params[k].shape)
        plus = list(params)
        minus = list(params)
        plus[k] = params[k] + eps * v
        minus[k] = params[k] - eps * v
        fd = (ff.autoencoder_loss(X, *plus, hidden=hidden)
              - ff.autoencoder_loss(X, *minus, hidden=hidden)) / (2 * eps)
        # central differences: O(eps²) truncation plus ~1e-16·L/eps rounding
        np.testing.assert_allclose(np.sum(getattr(g, name) * v), fd, rtol=1e-6, atol=1e-6,
                                   err_msg=name)


def test_autoencoder_reconstruction_is_the_printed_formula():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, 4))
    W1, w10, W2, w20 = (rng.normal(size=s) for s in [(2, 4), (2,), (4, 2), (4,)])
    X_hat = ff.autoencoder_reconstruction(X, W1, w10, W2, w20)
    for x, x_hat in zip(X, X_hat):
        np.testing.assert_allclose(x_hat, W2 @ (1 / (1 + np.exp(-(W1 @ x + w10)))) + w20,
                                   rtol=1e-13)


# ----------------------------------------------------------------------------- denoising

@given(autoencoder_case(), st.sampled_from([0.0, 0.01, 0.5]), st.sampled_from([0.0, 0.3]))
def test_denoising_loss_and_gradients_match_torch(case, lam, nu):
    X, params, rng = case
    Xt = ff.masking_noise(X, nu, rng)
    g = ff.denoising_autoencoder_gradients(X, Xt, *params, lam)
    leaves = [torch.tensor(p, requires_grad=True) for p in params]
    ref = torch_denoising(torch.tensor(X), torch.tensor(Xt), *leaves, lam)
    ref.backward()
    np.testing.assert_allclose(ff.denoising_autoencoder_loss(X, Xt, *params, lam), ref.item(),
                               **TOL)
    np.testing.assert_allclose(g.loss, ref.item(), **TOL)
    for name, leaf in zip(("W1", "w01", "W2", "w02"), leaves):
        np.testing.assert_allclose(getattr(g, name), leaf.grad.numpy(), **TOL, err_msg=name)


@given(autoencoder_case(), st.sampled_from([0.0, 0.2]))
def test_denoising_gradients_match_central_differences(case, lam):
    X, params, rng = case
    Xt = ff.masking_noise(X, 0.25, rng)
    g = ff.denoising_autoencoder_gradients(X, Xt, *params, lam)
    eps = 1e-6
    for k, name in enumerate(("W1", "w01", "W2", "w02")):
        v = rng.normal(size=params[k].shape)
        plus, minus = list(params), list(params)
        plus[k] = params[k] + eps * v
        minus[k] = params[k] - eps * v
        fd = (ff.denoising_autoencoder_loss(X, Xt, *plus, lam)
              - ff.denoising_autoencoder_loss(X, Xt, *minus, lam)) / (2 * eps)
        np.testing.assert_allclose(np.sum(getattr(g, name) * v), fd, rtol=1e-6, atol=1e-6,
                                   err_msg=name)


def test_the_penalty_is_lambda_times_the_frobenius_norms():
    rng = np.random.default_rng(5)
    X = rng.uniform(size=(3, 4))
    Xt = ff.masking_noise(X, 0.5, rng)
    W1, w01, W2, w02 = (rng.normal(size=s) for s in [(2, 4), (2,), (4, 2), (4,)])
    lam = 0.37
    diff = (ff.denoising_autoencoder_loss(X, Xt, W1, w01, W2, w02, lam)
            - ff.denoising_autoencoder_loss(X, Xt, W1, w01, W2, w02, 0.0))
    fro = (torch.linalg.matrix_norm(torch.tensor(W1)) ** 2
           + torch.linalg.matrix_norm(torch.tensor(W2)) ** 2).item()
    np.testing.assert_allclose(diff, lam * fro, rtol=1e-12)


@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_frobenius_norm_squared_matches_torch(m, n, seed):
    A = np.random.default_rng(seed).normal(size=(m, n))
    ref = torch.linalg.matrix_norm(torch.tensor(A), "fro").item() ** 2
    np.testing.assert_allclose(ff.frobenius_norm_squared(A), ref, rtol=1e-12)


def test_masking_noise_zeroes_a_fraction_nu_and_keeps_the_rest():
    rng = np.random.default_rng(11)
    X = rng.uniform(1, 2, size=(200, 50))  # no zeros, so a zero means "masked"
    nu = 0.3
    Xt = ff.masking_noise(X, nu, rng)
    kept = Xt != 0
    np.testing.assert_array_equal(Xt[kept], X[kept])
    # 10 000 Bernoulli(0.3) draws: standard error √(0.21/10⁴) ≈ 0.0046; 5 of them is 0.023
    assert abs((~kept).mean() - nu) < 5 * np.sqrt(nu * (1 - nu) / X.size)


# ----------------------------------------------------------------------------- precision

def test_float32_stays_float32_and_agrees_with_float64():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3, 4))
    params = [rng.normal(size=s) for s in [(2, 4), (2,), (4, 2), (4,)]]
    g64 = ff.autoencoder_gradients(X, *params)
    g32 = ff.autoencoder_gradients(X.astype(np.float32), *[p.astype(np.float32) for p in params])
    d64 = ff.denoising_autoencoder_gradients(X, X, *params, 0.1)
    d32 = ff.denoising_autoencoder_gradients(
        X.astype(np.float32), X.astype(np.float32), *[p.astype(np.float32) for p in params], 0.1)
    for a32, a64 in [(g32.W1, g64.W1), (g32.w20, g64.w20), (d32.W2, d64.W2),
                     (d32.w01, d64.w01), (d32.loss, d64.loss)]:
        assert a32.dtype == np.float32
        # float32 torch.testing tolerance scaled for a few dozen accumulated roundings
        np.testing.assert_allclose(a32, a64, rtol=1e-5, atol=1e-5)


def test_sigmoid_is_stable_at_extremes():
    z = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    ref = torch.sigmoid(torch.tensor(z)).numpy()
    np.testing.assert_allclose(ff.sigmoid(z), ref, rtol=1e-15)


# ----------------------------------------------------------------------------- relu

@given(st.lists(st.floats(-5, 5, allow_nan=False) | st.just(0.0), min_size=1, max_size=12))
def test_relu_and_its_derivative_match_torch(values):
    x = np.array(values)
    t = torch.tensor(x, requires_grad=True)
    y = torch.relu(t)
    y.sum().backward()
    np.testing.assert_array_equal(ff.relu(x), y.detach().numpy())
    np.testing.assert_array_equal(ff.relu_derivative(x), t.grad.numpy())


def test_relu_derivative_at_zero_is_torchs():
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    torch.relu(t).backward()
    assert ff.relu_derivative(np.zeros(1))[0] == t.grad.item() == 0.0


# ----------------------------------------------------------------------------- dropout

def test_inverted_dropout_with_torchs_mask_is_torchs_output():
    torch.manual_seed(0)
    x = torch.rand(40, 30, dtype=torch.float64) + 0.5  # no zeros: out == 0 iff dropped
    for p in (0.1, 0.5, 0.8):
        out = torch.nn.Dropout(p).train()(x)
        mask = (out != 0).numpy().astype(np.float64)
        ours = ff.apply_dropout(x.numpy(), mask, p, inverted=True)
        np.testing.assert_allclose(ours, out.numpy(), rtol=1e-15)


def test_dropout_vjp_matches_torch_autograd():
    torch.manual_seed(1)
    p = 0.4
    x = (torch.rand(8, 9, dtype=torch.float64) + 0.5).requires_grad_(True)
    g = torch.randn(8, 9, dtype=torch.float64)
    out = torch.nn.Dropout(p).train()(x)
    (out * g).sum().backward()
    mask = (out != 0).detach().numpy().astype(np.float64)
    np.testing.assert_allclose(ff.dropout_vjp(g.numpy(), mask, p, inverted=True),
                               x.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_expectation_exact_and_monte_carlo(p, inverted):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 4))
    exact = ff.dropout_expectation(x, p, inverted=inverted)
    np.testing.assert_allclose(exact, x if inverted else (1 - p) * x, rtol=1e-15)
    est = ff.dropout_expectation_monte_carlo(x, p, rng, 20_000, inverted=inverted)
    # The mean of 20 000 i.i.d. masks is normal to within the CLT's error at this size; with
    # a fixed seed, 6 standard errors per entry (two-sided 2e-9 each, 20 entries) cannot be
    # a fluke, and the standard error itself is checked against its exact value.
    sd = np.abs(x) * np.sqrt(p * (1 - p)) / ((1 - p) if inverted else 1)
    np.testing.assert_allclose(est.standard_error, sd / np.sqrt(20_000), rtol=0.05)
    assert np.all(np.abs(est.mean - exact) <= 6 * est.standard_error)


def test_torch_dropout_has_the_inverted_expectation():
    torch.manual_seed(3)
    p, samples = 0.5, 20_000
    x = torch.linspace(-2, 3, 12, dtype=torch.float64)
    drop = torch.nn.Dropout(p).train()
    draws = torch.stack([drop(x) for _ in range(samples)])
    mean, se = draws.mean(0).numpy(), (draws.std(0) / samples**0.5).numpy()
    exact = ff.dropout_expectation(x.numpy(), p, inverted=True)
    # CLT as above: 6 standard errors per entry with a fixed seed
    assert np.all(np.abs(mean - exact) <= 6 * se + 1e-12)
    # and it is not the plain form's (1 − p) x, which sits ≥ 0.5·|x| / se ≫ 6 errors away
    plain = ff.dropout_expectation(x.numpy(), p)
    far = np.abs(x.numpy()) > 0.2
    assert np.all(np.abs(mean - plain)[far] > 6 * se[far])


def test_plain_dropout_multiplies_dropped_units_by_zero():
    rng = np.random.default_rng(4)
    x = rng.uniform(1, 2, size=1000)
    out, mask = ff.dropout(x, 0.5, rng)
    np.testing.assert_array_equal(out, np.where(mask == 1, x, 0.0))
    assert set(np.unique(mask)) == {0.0, 1.0}
    out32, _ = ff.dropout(x.astype(np.float32), 0.5, rng, inverted=True)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32[out32 != 0], 2 * x.astype(np.float32)[out32 != 0],
                               rtol=1e-7)


# ----------------------------------------------------------------------------- errors

ERRORS = [
    pytest.param(lambda: ff.autoencoder_loss(np.zeros(3), np.zeros((2, 3)), np.zeros(2),
                                             np.zeros((3, 2)), np.zeros(3)),
                 ShapeError, "X must be a matrix, got shape (3,)", id="vector-data"),
    pytest.param(lambda: ff.autoencoder_loss(np.zeros((4, 3)), np.zeros((2, 3)), np.zeros(2),
                                             np.zeros((2, 3)), np.zeros(3)),
                 ShapeError,
                 "autoencoder parameters do not fit X of shape (4, 3) (N=4, D=3, K=2 from W1): "
                 "W1: expected (2, 3), got (2, 3); w10: expected (2,), got (2,); "
                 "W2: expected (3, 2), got (2, 3); w20: expected (3,), got (3,)",
                 id="transposed-W2"),
    pytest.param(lambda: ff.denoising_autoencoder_loss(
                     np.zeros((4, 3)), np.zeros((4, 2)), np.zeros((2, 3)), np.zeros(2),
                     np.zeros((3, 2)), np.zeros(3), 0.1),
                 ShapeError, "X_tilde must have the shape of X (4, 3), got (4, 2)",
                 id="corruption-shape"),
    pytest.param(lambda: ff.denoising_autoencoder_gradients(
                     np.zeros((4, 3)), np.zeros((4, 3)), np.zeros((2, 3)), np.zeros(3),
                     np.zeros((3, 2)), np.zeros(3), 0.1),
                 ShapeError,
                 "autoencoder parameters do not fit X of shape (4, 3) (N=4, D=3, K=2 from W1): "
                 "W1: expected (2, 3), got (2, 3); w01: expected (2,), got (3,); "
                 "W2: expected (3, 2), got (3, 2); w02: expected (3,), got (3,)",
                 id="denoising-bias"),
    pytest.param(lambda: ff.autoencoder_loss(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1),
                                             np.zeros((1, 1)), np.zeros(1), hidden="tanh"),
                 SeqcheckError, "unknown hidden activation 'tanh'; choose one of sigmoid, "
                 "relu, linear", id="hidden"),
    pytest.param(lambda: ff.frobenius_norm_squared(np.zeros(3)),
                 ShapeError, "A must be a matrix, got shape (3,)", id="frobenius-vector"),
    pytest.param(lambda: ff.dropout(np.zeros(3), 1.0, np.random.default_rng(0), inverted=True),
                 SeqcheckError, "p must be a number in [0, 1), got 1.0", id="inverted-p-1"),
    pytest.param(lambda: ff.dropout_mask((3,), -0.1, np.random.default_rng(0)),
                 SeqcheckError, "p must be a number in [0, 1], got -0.1", id="negative-p"),
    pytest.param(lambda: ff.apply_dropout(np.zeros(3), np.zeros(2), 0.5),
                 ShapeError, "mask must have the shape of x (3,), got (2,)", id="mask-shape"),
    pytest.param(lambda: ff.masking_noise(np.zeros(3), 2, np.random.default_rng(0)),
                 SeqcheckError, "nu must be a number in [0, 1], got 2", id="nu"),
    pytest.param(lambda: ff.dropout_expectation_monte_carlo(
                     np.zeros(3), 0.5, np.random.default_rng(0), 1),
                 SeqcheckError, "samples must be an integer of at least 2, got 1",
                 id="samples"),
]


@pytest.mark.parametrize(("call", "kind", "message"), ERRORS)
def test_bad_arguments_raise_with_a_message(call, kind, message):
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == message


def test_catalogue_entries_point_at_their_functions():
    # the module's own ENTRIES (the registry also imports the other model modules)
    by_name = {e.name: e for e in ff.ENTRIES}
    assert len(by_name) == len(ff.ENTRIES)
    for name, fn in [("autoencoder", ff.autoencoder_gradients),
                     ("denoising_autoencoder", ff.denoising_autoencoder_gradients),
                     ("relu", ff.relu), ("dropout", ff.dropout)]:
        e = by_name[name]
        assert e.kind == "function" and e.load() is fn
        assert e.sources[0].file == "001_ad6a511fc6b6ab34.txt"
        assert "tests/test_feedforward.py" in e.tests
