"""The language model of seed 000 eq. 49 on the Elman spec, and its cross-entropy.

Oracles: an Elman network written here in NumPy (seed 001 Forward Propagation slide)
for the log-probabilities; torch.nn.functional.cross_entropy under float64 autograd for
the loss and every gradient; exact enumeration of all C^T sequences for eq. 49's
normalisation."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import SeqcheckError, ShapeError, compile_numpy, load_spec
from seqcheck.models.language import (
    cross_entropy,
    language_model,
    sequence_log_prob,
    total_probability,
)


def _params(rng, D, H, C, scale=1.0):
    return {"W_1": rng.normal(size=(H, H)) * scale, "W_2": rng.normal(size=(H, D)) * scale,
            "V": rng.normal(size=(C, H)) * scale, "b": rng.normal(size=H),
            "c": rng.normal(size=C)}


def _inputs(tokens, D, start):
    """x_1 = onehot(start), x_t = onehot(token_{t-1})."""
    T, B = tokens.shape
    x = np.zeros((T, B, D))
    for b in range(B):
        x[0, b, start] = 1.0
        for t in range(1, T):
            x[t, b, tokens[t - 1, b]] = 1.0
    return x


def _numpy_log_prob(p, tokens, D, start):
    """log p(sequence), summed factor by factor with an Elman loop written here."""
    T, B = tokens.shape
    x = _inputs(tokens, D, start)
    out = np.zeros(B)
    for b in range(B):
        h = np.zeros(p["W_1"].shape[0])
        for t in range(T):
            h = np.tanh(p["b"] + p["W_1"] @ h + p["W_2"] @ x[t, b])
            o = p["c"] + p["V"] @ h
            m = o.max()
            out[b] += o[tokens[t, b]] - m - math.log(np.exp(o - m).sum())
    return out


def _torch_loss(p, tokens, D, start):
    x = torch.tensor(_inputs(tokens, D, start))
    T, B = tokens.shape
    h = torch.zeros(B, p["W_1"].shape[0], dtype=torch.float64)
    logits = []
    for t in range(T):
        h = torch.tanh(p["b"] + h @ p["W_1"].T + x[t] @ p["W_2"].T)
        logits.append(p["c"] + h @ p["V"].T)
    o = torch.stack(logits)
    return F.cross_entropy(o.reshape(T * B, -1), torch.tensor(tokens.reshape(-1)),
                           reduction="sum")


cases = st.fixed_dictionaries({
    "C": st.integers(2, 4), "H": st.integers(1, 4), "T": st.integers(1, 5),
    "B": st.integers(1, 3), "bos": st.booleans(), "scale": st.sampled_from([0.5, 2.0, 8.0]),
    "seed": st.integers(0, 2**31)})


def _draw(case):
    rng = np.random.default_rng(case["seed"])
    C = case["C"]
    D = C + 1 if case["bos"] else C
    start = None if case["bos"] else int(rng.integers(0, C))
    params = _params(rng, D, case["H"], C, case["scale"])
    tokens = rng.integers(0, C, size=(case["T"], case["B"]))
    return params, tokens, D, start


@settings(max_examples=30)
@given(case=cases)
def test_log_prob_matches_an_independent_elman(case):
    params, tokens, D, start = _draw(case)
    lp = sequence_log_prob("elman", params, tokens, start=start)
    want = _numpy_log_prob(params, tokens, D, case["C"] if start is None else start)
    np.testing.assert_allclose(lp.total, want, rtol=1e-12, atol=1e-12)
    # The factors of eq. 49 are the softmax rows read at the tokens.
    T, B = tokens.shape
    read = lp.probs[np.arange(T)[:, None], np.arange(B)[None, :], tokens]
    np.testing.assert_allclose(np.exp(lp.steps), read, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(lp.total, lp.steps.sum(axis=0), rtol=1e-13, atol=1e-13)


@settings(max_examples=30)
@given(case=cases)
def test_cross_entropy_and_gradients_match_torch(torch_one_thread, case):
    params, tokens, D, start = _draw(case)
    ce = cross_entropy("elman", params, tokens, start=start)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = _torch_loss(tp, tokens, D, case["C"] if start is None else start)
    loss.backward()
    assert math.isclose(ce.loss, loss.item(), rel_tol=1e-12, abs_tol=1e-12)
    np.testing.assert_allclose(ce.per_sequence, ce.per_step.sum(axis=0), rtol=1e-13)
    assert math.isclose(ce.loss, float(ce.per_sequence.sum()), rel_tol=1e-12, abs_tol=1e-12)
    for name, t in tp.items():
        torch.testing.assert_close(torch.tensor(np.asarray(ce.grads[name])), t.grad,
                                   rtol=1e-10, atol=1e-12,
                                   msg=lambda m, name=name: f"dL/d{name}: {m}")


def test_seeding_the_probabilities_gives_the_same_gradient():
    # The other form of the gradient: seed ŷ_t with -1/ŷ_t at the target, on the base spec.
    rng = np.random.default_rng(3)
    C, D, H, T, B = 3, 4, 3, 4, 2
    params = _params(rng, D, H, C)
    tokens = rng.integers(0, C, size=(T, B))
    base = compile_numpy(load_spec("elman"), gradients=True, seeded=("y_hat",))
    traj = base.forward(params, {"x": _inputs(tokens, D, C)})
    y_hat = np.asarray(traj.values["y_hat"])
    seed = -np.eye(C)[tokens] / y_hat
    g = base.backward(traj, {"y_hat": seed})
    ce = cross_entropy("elman", params, tokens)
    for name in params:
        np.testing.assert_allclose(ce.grads[name], g.params[name], rtol=1e-10, atol=1e-12)


@settings(max_examples=25)
@given(C=st.integers(2, 3), H=st.integers(1, 3), T=st.integers(1, 5), bos=st.booleans(),
       scale=st.sampled_from([0.3, 1.0, 6.0]), seed=st.integers(0, 2**31))
def test_probabilities_of_all_sequences_sum_to_one(C, H, T, bos, scale, seed):
    # seed 000 eq. 49: a product of conditional distributions is a distribution
    rng = np.random.default_rng(seed)
    D = C + 1 if bos else C
    params = _params(rng, D, H, C, scale)
    start = None if bos else int(rng.integers(0, C))
    assert math.isclose(total_probability("elman", params, T, start=start), 1.0,
                        rel_tol=0, abs_tol=1e-12)


def test_marginalising_the_last_token_gives_the_prefix_probability():
    # Σ_{x_T} p(x_1..x_T) = p(x_1..x_{T-1}): the last factor sums to one
    rng = np.random.default_rng(5)
    C, D, H = 3, 4, 2
    params = _params(rng, D, H, C, 2.0)
    prefix = rng.integers(0, C, size=(3, 1))
    longer = np.concatenate([np.repeat(prefix, C, axis=1), np.arange(C)[None, :]])
    p_prefix = math.exp(sequence_log_prob("elman", params, prefix).total[0])
    p_longer = math.fsum(np.exp(sequence_log_prob("elman", params, longer).total))
    assert math.isclose(p_longer, p_prefix, rel_tol=1e-12)


def test_a_factorisation_that_peeks_fails_the_sum_to_one_check():
    # Meta-test: the enumeration can fail. Feeding x_t = onehot(token_t) instead of
    # token_{t-1} lets step t see what it predicts; the product of its softmax rows is no
    # longer a distribution over sequences, and the enumerated total says so.
    import itertools

    rng = np.random.default_rng(2)
    C, D, H, T = 2, 3, 2, 3
    params = _params(rng, D, H, C, 2.0)
    every = np.array(list(itertools.product(range(C), repeat=T))).T
    x = np.eye(D)[every]
    y_hat = np.asarray(compile_numpy(load_spec("elman")).forward(params, {"x": x})["y_hat"])
    T_, B = every.shape
    peeked = y_hat[np.arange(T_)[:, None], np.arange(B)[None, :], every].prod(axis=0)
    assert not math.isclose(math.fsum(peeked), 1.0, abs_tol=1e-6)
    assert math.isclose(total_probability("elman", params, T), 1.0, abs_tol=1e-12)


def test_confident_wrong_predictions_stay_finite():
    # ŷ at the target underflows to 0 here; the log-softmax keeps log p exact.
    C, D, H = 2, 3, 1
    params = {"W_1": np.zeros((H, H)), "W_2": np.zeros((H, D)), "V": np.zeros((C, H)),
              "b": np.zeros(H), "c": np.array([0.0, 2000.0])}
    ce = cross_entropy("elman", params, np.array([[0]]))
    assert ce.loss == 2000.0
    np.testing.assert_array_equal(ce.grads["c"], [-1.0, 1.0])


def test_catalogue_spec_compiled_and_model_are_accepted():
    rng = np.random.default_rng(0)
    params = _params(rng, 4, 2, 3)
    tokens = rng.integers(0, 3, size=(2, 2))
    spec = load_spec("elman")
    want = sequence_log_prob("elman", params, tokens).total
    for model in (spec, compile_numpy(spec), language_model("elman")):
        np.testing.assert_array_equal(sequence_log_prob(model, params, tokens).total, want)


def _elman_params(D=4, H=2, C=3):
    return _params(np.random.default_rng(0), D, H, C)


BAD_CALLS = [
    pytest.param(lambda: sequence_log_prob("elman", _elman_params(), np.array([[0], [3]])),
                 "token 3 at (t, b) = (1, 0) is outside the vocabulary 0..2 (C = 3)",
                 id="token-out-of-range"),
    pytest.param(lambda: sequence_log_prob("elman", _elman_params(), np.array([0, 1])),
                 "tokens must be integers of shape (T, B), got int64 of shape (2,)\n"
                 "  hint: tokens are time-major (T, B); one sequence s is "
                 "numpy.asarray(s)[:, None]", id="one-dimensional"),
    pytest.param(lambda: sequence_log_prob("elman", _elman_params(), np.array([[0.0]])),
                 "tokens must be integers of shape (T, B), got float64 of shape (1, 1)",
                 id="float-tokens"),
    pytest.param(lambda: sequence_log_prob("elman", _elman_params(D=3), np.array([[0]])),
                 "no start token: with D = C = 3 the first step's input must be named\n"
                 "  hint: pass start=k (0 <= k < 3), or give the input one more entry (D = 4) "
                 "for a beginning-of-sequence symbol", id="no-start"),
    pytest.param(lambda: sequence_log_prob("elman", _elman_params(), np.array([[0]]), start=4),
                 "start must be an input index in 0..3, got 4", id="start-out-of-range"),
    pytest.param(lambda: sequence_log_prob("elman", _elman_params(D=2), np.array([[0]])),
                 "the input size D = 2 is smaller than the vocabulary C = 3; the input reads "
                 "the previous token, so D must be C or C + 1", id="input-too-small"),
    pytest.param(lambda: total_probability("elman", _elman_params(), 11),
                 "C^T = 3^11 = 177147 sequences is above the limit of 65536 for exact "
                 "enumeration", id="too-many-sequences"),
    pytest.param(lambda: language_model("rnn"),
                 "probs='y_hat' is not a variable of spec 'rnn' (variables: a, h, o)",
                 id="no-softmax-output"),
    pytest.param(lambda: language_model("elman", probs="h"),
                 "spec 'elman' computes h = tanh(a), not softmax(o); a language model reads "
                 "a softmax distribution", id="not-a-softmax"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_bad_calls_are_refused(call, message):
    with pytest.raises(SeqcheckError) as info:
        call()
    assert str(info.value) == message


def test_missing_parameter_is_named():
    params = _elman_params()
    del params["V"]
    with pytest.raises(ShapeError) as info:
        sequence_log_prob("elman", params, np.array([[0]]))
    assert str(info.value).splitlines()[:2] == [
        "arrays do not fit spec 'elman_cross_entropy':",
        "  - missing parameter 'V' of shape (C, H)"]
