"""Per-step losses: their values against torch's loss functions, their gradients against
torch autograd through torch.nn.functional (an implementation that shares no code)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import SeqcheckError, load_spec
from seqcheck.backends import compile_numpy
from seqcheck.derive.losses import with_loss


def _elman(rng, D, H, C, T, B):
    params = {"W_1": rng.normal(size=(H, H)) * 0.5, "W_2": rng.normal(size=(H, D)),
              "V": rng.normal(size=(C, H)), "b": rng.normal(size=H), "c": rng.normal(size=C)}
    return params, rng.normal(size=(T, B, D))


def _torch_elman(p, x):
    h = torch.zeros(x.shape[1], p["W_1"].shape[0], dtype=torch.float64)
    os = []
    for t in range(x.shape[0]):  # seed 001 forward propagation
        h = torch.tanh(p["b"] + h @ p["W_1"].T + x[t] @ p["W_2"].T)
        os.append(p["c"] + h @ p["V"].T)
    return torch.stack(os)


@settings(max_examples=15)
@given(D=st.integers(1, 3), H=st.integers(1, 4), C=st.integers(2, 4), T=st.integers(1, 4),
       B=st.integers(1, 3), seed=st.integers(0, 2**31), kind=st.sampled_from(
           ["cross_entropy", "squared"]))
def test_loss_value_and_gradient(D, H, C, T, B, seed, kind):
    rng = np.random.default_rng(seed)
    spec = with_loss(load_spec("elman"), kind, on="o")
    params, x = _elman(rng, D, H, C, T, B)
    labels = rng.integers(0, C, size=(T, B))
    d = np.eye(C)[labels] if kind == "cross_entropy" else rng.normal(size=(T, B, C))
    compiled = compile_numpy(spec, gradients=True, seeded=["loss"])
    traj = compiled.forward(params, {"x": x, "d": d})
    grads = compiled.backward(traj, {"loss": np.ones((T, B))})

    tp = {n: torch.tensor(v, requires_grad=True) for n, v in params.items()}
    o = _torch_elman(tp, torch.tensor(x))
    if kind == "cross_entropy":
        loss = F.cross_entropy(o.reshape(T * B, C), torch.tensor(labels.reshape(-1)),
                               reduction="sum")
    else:
        loss = F.mse_loss(o, torch.tensor(d), reduction="sum")
    loss.backward()
    np.testing.assert_allclose(traj["loss"].sum(), loss.item(), rtol=1e-12)
    for n in params:
        np.testing.assert_allclose(grads.params[n], tp[n].grad.numpy(), rtol=1e-10, atol=1e-12)


def test_nll_on_probabilities_equals_cross_entropy_on_logits():
    rng = np.random.default_rng(0)
    params, x = _elman(rng, 2, 3, 4, 3, 2)
    d = np.eye(4)[rng.integers(0, 4, size=(3, 2))]
    nll = with_loss(load_spec("elman"), "nll", on="y_hat")
    ce = with_loss(load_spec("elman"), "cross_entropy", on="o")
    a = compile_numpy(nll)(params, {"x": x, "d": d})["loss"]
    b = compile_numpy(ce)(params, {"x": x, "d": d})["loss"]
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize(("kind", "on", "message"), [
    ("hinge", "o", "unknown loss 'hinge'; choose one of squared, cross_entropy, nll"),
    ("squared", "z", "'z' is not a variable of spec 'elman'"),
])
def test_bad_loss_requests(kind, on, message):
    with pytest.raises(SeqcheckError) as info:
        with_loss(load_spec("elman"), kind, on=on)
    assert str(info.value) == message
