"""Seq2Vec readouts, the encoder–decoder and the Vec2Seq spec against torch autograd.

The oracle is written here from the lecture's equations in torch (float64) — seed 000
eq. 8–11 (Vec2Seq with output feedback), 15–16 (the encoder), 18–19 (context and
decoder), 22 (last-state readout) and 23–25 (bidirectional, time-averaged) — and
differentiated by autograd. seqcheck's side runs the compiled specs and their derived
BPTT passes, chained as :mod:`seqcheck.models.sequence` chains them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import ShapeError, compile_numpy, load_spec
from seqcheck.models import sequence

TOL = {"rtol": 1e-10, "atol": 1e-11}


def _t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _torch_rnn(P, x):  # seed 000 eq. 15-16, h_0 = 0
    h = torch.zeros(x.shape[1], P["W_hh"].shape[0], dtype=torch.float64)
    hs = []
    for t in range(x.shape[0]):
        h = torch.tanh(P["b_h"] + h @ P["W_hh"].T + x[t] @ P["W_xh"].T)
        hs.append(h)
    return torch.stack(hs)


def _torch_birnn(P, x):  # seed 000 eq. 23-24, both chains start from 0
    T, B = x.shape[:2]
    H = P["V_fwd"].shape[0]
    f, b = torch.zeros(B, H, dtype=torch.float64), torch.zeros(B, H, dtype=torch.float64)
    fs, bs = [], [None] * T
    for t in range(T):
        f = torch.tanh(x[t] @ P["W_fwd"].T + f @ P["V_fwd"].T + P["b_fwd"])
        fs.append(f)
    for t in reversed(range(T)):
        b = torch.tanh(x[t] @ P["W_bwd"].T + b @ P["V_bwd"].T + P["b_bwd"])
        bs[t] = b
    return torch.cat([torch.stack(fs), torch.stack(bs)], dim=-1)  # h_t = [h->_t; h<-_t]


def _torch_vec2seq(P, x, steps):  # seed 000 eq. 8-10, h_0 = 0, o_0 = 0
    B = x.shape[0]
    h = torch.zeros(B, P["W_hh"].shape[0], dtype=torch.float64)
    o = torch.zeros(B, P["W_oh"].shape[0], dtype=torch.float64)
    os_ = []
    for _ in range(steps):
        a = torch.cat([x, o], dim=-1) @ P["W_xh"].T + h @ P["W_hh"].T + P["b_h"]
        h = torch.tanh(a)
        o = h @ P["W_oh"].T + P["b_o"]
        os_.append(o)
    return torch.stack(os_)


def _close(got, want, what):
    np.testing.assert_allclose(np.asarray(got), want.detach().numpy(), **TOL, err_msg=what)


def _rnn_params(rng, D, H, C, scale):
    return {"W_xh": rng.uniform(-scale, scale, (H, D)), "W_hh": rng.uniform(-scale, scale, (H, H)),
            "W_ho": rng.uniform(-scale, scale, (C, H)), "b_h": rng.uniform(-scale, scale, H),
            "b_o": rng.uniform(-scale, scale, C)}


def _vec2seq_params(rng, D, M, C, scale):
    return {"W_xh": rng.uniform(-scale, scale, (M, D + C)),
            "W_hh": rng.uniform(-scale, scale, (M, M)),
            "W_oh": rng.uniform(-scale, scale, (C, M)), "b_h": rng.uniform(-scale, scale, M),
            "b_o": rng.uniform(-scale, scale, C)}


sizes = st.integers(1, 4)


@settings(max_examples=25, deadline=None)
@given(D=sizes, H=sizes, C=st.integers(2, 4), T=st.integers(1, 5), B=st.integers(1, 3),
       scale=st.sampled_from([0.5, 1.5]), seed=st.integers(0, 2**32 - 1))
def test_seq2vec_last_state_readout_and_gradients(D, H, C, T, B, scale, seed):
    # seed 000 eq. 22: p(y | x_1:T) = Cat(y | S(W h_T))
    rng = np.random.default_rng(seed)
    params, W = _rnn_params(rng, D, H, C, scale), rng.uniform(-scale, scale, (C, H))
    x, y = rng.uniform(-2, 2, (T, B, D)), rng.integers(0, C, B)
    got = sequence.seq2vec(params, W, x, y)

    P, tW, tx = {k: _t(v) for k, v in params.items()}, _t(W), _t(x)
    logits = _torch_rnn(P, tx)[-1] @ tW.T
    loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y), reduction="none")
    _close(got.logits, logits, "logits")
    _close(got.probs, torch.softmax(logits, -1), "probabilities")
    _close(got.loss, loss, "loss")
    loss.sum().backward()
    for k in ("W_xh", "W_hh", "b_h"):
        _close(got.gradients[k], P[k].grad, f"∂L/∂{k}")
    np.testing.assert_array_equal(got.gradients["W_ho"], 0.0)  # the output layer is unused
    _close(got.gradients["W"], tW.grad, "∂L/∂W")
    _close(got.gradients["x"], tx.grad, "∂L/∂x")


@settings(max_examples=25, deadline=None)
@given(D=sizes, H=sizes, C=st.integers(2, 4), T=st.integers(1, 5), B=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_seq2vec_bidirectional_mean_pooling_and_gradients(D, H, C, T, B, seed):
    # seed 000 eq. 23-25: h_t = [h->_t; h<-_t], h-bar = mean_t h_t, Cat(y | S(W h-bar))
    rng = np.random.default_rng(seed)
    shapes = {"W_fwd": (H, D), "V_fwd": (H, H), "b_fwd": (H,), "W_bwd": (H, D),
              "V_bwd": (H, H), "b_bwd": (H,), "U": (C, 2 * H), "c": (C,)}
    params = {k: rng.uniform(-1, 1, s) for k, s in shapes.items()}
    W, x, y = rng.uniform(-1, 1, (C, 2 * H)), rng.uniform(-2, 2, (T, B, D)), rng.integers(0, C, B)
    got = sequence.seq2vec(params, W, x, y, pooling="mean")

    P, tW, tx = {k: _t(v) for k, v in params.items()}, _t(W), _t(x)
    hbar = _torch_birnn(P, tx).mean(dim=0)
    logits = hbar @ tW.T
    loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y), reduction="none")
    _close(got.summary, hbar, "h-bar")
    _close(got.loss, loss, "loss")
    loss.sum().backward()
    for k in ("W_fwd", "V_fwd", "b_fwd", "W_bwd", "V_bwd", "b_bwd"):
        _close(got.gradients[k], P[k].grad, f"∂L/∂{k}")
    _close(got.gradients["W"], tW.grad, "∂L/∂W")
    _close(got.gradients["x"], tx.grad, "∂L/∂x")


@settings(max_examples=25, deadline=None)
@given(D=sizes, H=sizes, M=sizes, C=st.integers(2, 4), T=st.integers(1, 5),
       T_out=st.integers(1, 5), B=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_encoder_decoder_through_the_context_vector(D, H, M, C, T, T_out, B, seed):
    # seed 000 eq. 18-19: c = f_e(x_1:T) = h_T; y_1:T' = f_d(c), the Vec2Seq decoder of
    # eq. 8-11 run from c; T' independent of T (the unaligned case).
    rng = np.random.default_rng(seed)
    enc, dec = _rnn_params(rng, D, H, C, 1.0), _vec2seq_params(rng, H, M, C, 1.0)
    x, y = rng.uniform(-2, 2, (T, B, D)), rng.integers(0, C, (T_out, B))
    got = sequence.encoder_decoder(enc, dec, x, T_out, y)

    E, Dd, tx = {k: _t(v) for k, v in enc.items()}, {k: _t(v) for k, v in dec.items()}, _t(x)
    context = _torch_rnn(E, tx)[-1]
    context.retain_grad()
    logits = _torch_vec2seq(Dd, context, T_out)
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, C), torch.as_tensor(y).reshape(-1), reduction="none"
    ).reshape(T_out, B).sum(dim=0)
    _close(got.context, context, "context c = h_T")
    _close(got.logits, logits, "decoder outputs o_t")
    _close(got.loss, loss, "loss")
    loss.sum().backward()
    for k in ("W_xh", "W_hh", "b_h"):
        _close(got.gradients["encoder"][k], E[k].grad, f"∂L/∂{k} (encoder)")
    for k in dec:
        _close(got.gradients["decoder"][k], Dd[k].grad, f"∂L/∂{k} (decoder)")
    _close(got.gradients["context"], context.grad, "∂L/∂c")
    _close(got.gradients["x"], tx.grad, "∂L/∂x")


@settings(max_examples=25, deadline=None)
@given(D=sizes, M=sizes, C=sizes, T=st.integers(1, 6), B=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_vec2seq_spec_feeds_its_output_back(D, M, C, T, B, seed):
    # The spec alone: o_t depends on o_{t-1} through [x; o_{t-1}] (eq. 8), and its derived
    # BPTT (seeded on every o_t) equals autograd through the same loop.
    rng = np.random.default_rng(seed)
    params, x = _vec2seq_params(rng, D, M, C, 1.0), rng.uniform(-2, 2, (B, D))
    comp = compile_numpy(load_spec("vec2seq"), gradients=True, seeded=("o", "y_hat"))
    traj = comp.forward(params, {"x": x}, steps=T)
    P, tx = {k: _t(v) for k, v in params.items()}, _t(x)
    o = _torch_vec2seq(P, tx, T)
    _close(traj["o"], o, "o_t")
    _close(traj["y_hat"], torch.softmax(o, -1), "y-hat_t")
    seeds = {"o": rng.normal(size=o.shape), "y_hat": rng.normal(size=o.shape)}
    grads = comp.backward(traj, seeds)
    ((torch.as_tensor(seeds["o"]) * o).sum()
     + (torch.as_tensor(seeds["y_hat"]) * torch.softmax(o, -1)).sum()).backward()
    for k in params:
        _close(grads.params[k], P[k].grad, f"∂L/∂{k}")
    _close(grads.inputs["x"], tx.grad, "∂L/∂x")


def test_the_decoder_sees_the_input_only_through_the_context():
    # Two input sequences with the same final encoder state decode identically (eq. 19:
    # y = f_d(c)); with T = 1 and W_hh = 0 the state is tanh(W_xh x_T + b_h) alone.
    rng = np.random.default_rng(3)
    enc, dec = _rnn_params(rng, 2, 3, 2, 1.0), _vec2seq_params(rng, 3, 4, 2, 1.0)
    enc["W_hh"] = np.zeros((3, 3))
    x1 = rng.uniform(-1, 1, (4, 1, 2))
    x2 = x1.copy()
    x2[:-1] = rng.uniform(-1, 1, (3, 1, 2))
    a = sequence.encoder_decoder(enc, dec, x1, 3)
    b = sequence.encoder_decoder(enc, dec, x2, 3)
    np.testing.assert_array_equal(a.context, b.context)
    np.testing.assert_array_equal(a.probs, b.probs)


@pytest.mark.parametrize("call, message", [
    (lambda p, W, x: sequence.seq2vec(p, W[:, :2], x),
     "readout W must have shape (C, 3), got (2, 2)"),
    (lambda p, W, x: sequence.seq2vec(p, W, x, np.array([0, 2])),
     "labels must lie in 0..1, got 0..2"),
    (lambda p, W, x: sequence.seq2vec(p, W, x, np.array([0.0, 1.0])),
     "labels must be integers of shape (2,), got float64 (2,)"),
    (lambda p, W, x: sequence.seq2vec(p, W, x, pooling="max"),
     "pooling must be 'last' or 'mean', not 'max'"),
    (lambda p, W, x: sequence.seq2vec(p, W, x, pooling="mean", spec="elman"),
     "spec 'elman' has no state h_fwd, h_bwd for pooling 'mean'"),
])
def test_bad_arguments_are_named(call, message):
    rng = np.random.default_rng(0)
    params, W = _rnn_params(rng, 2, 3, 2, 1.0), rng.normal(size=(2, 3))
    x = rng.normal(size=(4, 2, 2))
    with pytest.raises(ShapeError) as info:
        call(params, W, x)
    assert str(info.value) == message


def test_entries_name_their_specs_and_tests():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for e in sequence.ENTRIES:
        assert callable(e.load())
        for name in e.specs:
            load_spec(name)
        for t in e.tests:
            assert (root / t).is_file(), t
