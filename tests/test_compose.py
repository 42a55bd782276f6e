"""seqcheck.spec.compose.stacked: deep, bidirectional and reversed specs from a cell spec.

Oracles: torch.nn.RNN / LSTM / GRU with num_layers and bidirectional (their own fused
implementations), and the identity "a reversed chain on x is the forward chain on x
flipped in time"; gradients against torch autograd through the same modules.
"""

import functools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import load_spec
from seqcheck.backends import compile_numpy
from seqcheck.errors import SeqcheckError
from seqcheck.spec.compose import stacked

STACKS = {  # torch's stacked tensors and the spec parameters in them, per cell spec
    "lstm": {"weight_ih": ["W_ii", "W_if", "W_ic", "W_io"],
             "weight_hh": ["W_hi", "W_hf", "W_hc", "W_ho"],
             "bias_ih": ["b_ii", "b_if", "b_ic", "b_io"],
             "bias_hh": ["b_hi", "b_hf", "b_hc", "b_ho"]},
    "gru": {"weight_ih": ["W_ir", "W_iz", "W_in"], "weight_hh": ["W_hr", "W_hz", "W_hn"],
            "bias_ih": ["b_ir", "b_iz", "b_in"], "bias_hh": ["b_hr", "b_hz", "b_hn"]},
    "rnn_torch": {"weight_ih": ["W_ih"], "weight_hh": ["W_hh"], "bias_ih": ["b_ih"],
                  "bias_hh": ["b_hh"]},
}
MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_torch": torch.nn.RNN}


def _chain(name: str, lone: bool) -> tuple[str, str]:
    """``weight_ih_l1_reverse`` -> (``weight_ih``, ``_l1_reverse``); a lone chain: no suffix."""
    stem, _, chain = name.partition("_l")
    return stem, "" if lone else f"_l{chain}"


def _spec_params(module, cell, lone):
    """torch's parameters split into the stacked spec's names (W_ii_l0_reverse ...)."""
    out = {}
    for name, tensor in module.named_parameters():
        stem, sfx = _chain(name, lone)
        blocks = np.split(tensor.detach().numpy(), len(STACKS[cell][stem]))
        for spec_name, block in zip(STACKS[cell][stem], blocks):
            out[spec_name + sfx] = block
    return out


@functools.cache
def _compiled(cell, layers, bidirectional):
    spec = stacked(load_spec(cell), layers=layers, bidirectional=bidirectional)
    return spec, compile_numpy(spec, gradients=True, seeded=tuple(spec.states))


@settings(max_examples=40)
@given(cell=st.sampled_from(sorted(MODULES)), layers=st.integers(1, 3),
       bidirectional=st.booleans(), D=st.integers(1, 3), H=st.integers(1, 3),
       T=st.integers(1, 4), B=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_stacked_specs_compute_what_torch_computes(cell, layers, bidirectional, D, H, T, B,
                                                  seed):
    g = torch.Generator().manual_seed(seed)
    module = MODULES[cell](D, H, num_layers=layers, bidirectional=bidirectional).double()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    dirs = 2 if bidirectional else 1
    x = torch.randn(T, B, D, generator=g, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(layers * dirs, B, H, generator=g, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(layers * dirs, B, H, generator=g, dtype=torch.float64, requires_grad=True)
    out, last = module(x, (h0, c0) if cell == "lstm" else h0)
    spec, compiled = _compiled(cell, layers, bidirectional)
    sfx = ([f"_l{k}{r}" for k in range(layers) for r in ("", "_reverse")[:dirs]]
           if layers > 1 or bidirectional else [""])  # h_n's rows, in torch's order
    states = ("h", "c") if cell == "lstm" else ("h",)
    initial = {f"{s}{c}": (h0 if s == "h" else c0)[k].detach().numpy()
               for s in states for k, c in enumerate(sfx)}
    lone = layers == 1 and not bidirectional
    traj = compiled.forward(_spec_params(module, cell, lone), {"x": x.detach().numpy()}, initial)
    top = [f"h{c}" for c in sfx[-dirs:]]
    np.testing.assert_allclose(np.concatenate([traj[v] for v in top], -1),
                               out.detach().numpy(), rtol=1e-12, atol=1e-12)
    finals = last if cell == "lstm" else (last,)
    for s, tensor in zip(states, finals):
        for k, c in enumerate(sfx):
            np.testing.assert_allclose(traj.final[f"{s}{c}"], tensor[k].detach().numpy(),
                                       rtol=1e-12, atol=1e-12)

    # gradients of <P, output> through every layer, against torch autograd
    P = torch.randn(out.shape, generator=g, dtype=torch.float64)
    (out * P).sum().backward()
    seeds = {v: np.zeros_like(traj[v]) for v in spec.states}
    for k, v in enumerate(top):
        seeds[v] = P[..., k * H:(k + 1) * H].numpy()
    grads = compiled.backward(traj, seeds)
    np.testing.assert_allclose(grads.inputs["x"], x.grad.numpy(), rtol=1e-10, atol=1e-12)
    for k, c in enumerate(sfx):
        np.testing.assert_allclose(grads.initial[f"h{c}"], h0.grad[k].numpy(),
                                   rtol=1e-10, atol=1e-12)
    for name, tensor in module.named_parameters():
        stem, sfx = _chain(name, lone)
        expected = np.split(tensor.grad.numpy(), len(STACKS[cell][stem]))
        for spec_name, block in zip(STACKS[cell][stem], expected):
            np.testing.assert_allclose(grads.params[spec_name + sfx], block,
                                       rtol=1e-10, atol=1e-12)


@given(cell=st.sampled_from(sorted(MODULES)), T=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_a_reversed_chain_is_the_forward_chain_on_the_flipped_sequence(cell, T, seed):
    rng = np.random.default_rng(seed)
    forward, backward = load_spec(cell), stacked(load_spec(cell), reverse=True)
    params = {n: rng.standard_normal([{"D": 2, "H": 3}[str(d)] for d in p.shape])
              for n, p in backward.params.items()}
    x = rng.standard_normal((T, 2, 2))
    initial = {s: rng.standard_normal((2, 3)) for s in backward.states}
    fwd = compile_numpy(forward).forward(params, {"x": x[::-1]}, initial)
    bwd = compile_numpy(backward).forward(params, {"x": x}, initial)
    np.testing.assert_allclose(bwd["h"], fwd["h"][::-1], rtol=1e-13, atol=1e-14)
    for s in backward.states:  # the reversed chain ends at t = 1
        np.testing.assert_allclose(bwd.final[s], fwd.final[s], rtol=1e-13, atol=1e-14)


def test_stacked_names_and_shapes_follow_torch():
    spec = stacked(load_spec("lstm"), layers=2, bidirectional=True)
    assert spec.params["W_ii_l0"].shape == (spec.dim("H").symbol, spec.dim("D").symbol)
    assert str(spec.params["W_ii_l1_reverse"].shape[1]) == "2*H"
    assert "y" not in spec.variables and "y_l0" not in spec.variables  # not part of a layer
    assert spec.equation("c_l1_reverse").text == (
        "f_l1_reverse * c_l1_reverse[t+1] + i_l1_reverse * c_tilde_l1_reverse")
    assert "concat(h_l0, h_l0_reverse)" in spec.equation("i_l1").text
    one = stacked(load_spec("gru"))
    assert set(one.params) == set(load_spec("gru").params)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"layers": 0}, "layers must be at least 1; got 0"),
    ({"bidirectional": True, "reverse": True}, "already has one chain in each direction"),
    ({"output": "q"}, "has no vector state 'q'"),
])
def test_impossible_stacks_are_refused(kwargs, message):
    with pytest.raises(SeqcheckError, match=message):
        stacked(load_spec("lstm"), **kwargs)


def test_a_backward_spec_cannot_be_stacked_again():
    with pytest.raises(SeqcheckError, match="already runs backwards in time"):
        stacked(load_spec("birnn"), output="h_fwd")
