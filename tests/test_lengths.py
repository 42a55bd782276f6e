"""Variable sequence lengths (seqcheck.spec.lengths): the spec language's mask input, the
compiled spec against an independent NumPy loop over each row's own steps, torch's
PackedSequence and ONNX's sequence_lens against it, and planted defects.

Oracles: :func:`_rows_oracle`, a NumPy tanh RNN / LSTM that runs each batch row on its own
over steps 1..L_b (forward) or L_b..1 (backward), written from the semantics in
docs/spec-language.md and sharing no code with seqcheck; torch autograd (through
torch.nn.LSTM on a PackedSequence) for the gradients.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from seqcheck import SeqcheckError, SpecError, load_spec, loads_spec, verify
from seqcheck.adapters.base import Observed, Target
from seqcheck.backends import compile_numpy
from seqcheck.checks.verify.replay import load_case, save_case
from seqcheck.spec.compose import stacked
from seqcheck.spec.lengths import step_mask, with_lengths
from seqcheck.strategies import case_shapes, cases
from tests.cells import one_state_cell


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _rows_oracle(kind: str, p: dict, x, h0, c0, lengths, reverse: bool):
    """Per-step h (zero on padding) and each row's final (h, c), row by row."""
    T, B = x.shape[:2]
    H = h0.shape[1]
    y = np.zeros((T, B, H))
    hs, cs = h0.copy(), c0.copy()
    for b in range(B):
        h, c = h0[b].copy(), c0[b].copy()
        steps = range(lengths[b] - 1, -1, -1) if reverse else range(lengths[b])
        for t in steps:
            if kind == "rnn":
                h = np.tanh(p["W_ih"] @ x[t, b] + p["b_ih"] + p["W_hh"] @ h + p["b_hh"])
            else:
                pre = {g: p[f"W_i{g}"] @ x[t, b] + p[f"b_i{g}"] + p[f"W_h{g}"] @ h + p[f"b_h{g}"]
                       for g in "ifoc"}
                i, f, o = (_sigmoid(pre[g]) for g in "ifo")
                c = f * c + i * np.tanh(pre["c"])
                h = o * np.tanh(c)
            y[t, b] = h
        hs[b], cs[b] = h, c
    return y, hs, cs


@st.composite
def _problem(draw):
    T, B = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    D, H = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    lengths = draw(st.lists(st.integers(0, T), min_size=B, max_size=B))
    seed = draw(st.integers(0, 2**16))
    return T, B, D, H, np.array(lengths), np.random.default_rng(seed)


@pytest.mark.parametrize("kind, reverse", [("rnn", False), ("rnn", True), ("lstm", False),
                                           ("lstm", True)])
@given(problem=_problem())
def test_compiled_spec_runs_each_row_over_its_own_steps(kind, reverse, problem):
    T, B, D, H, lengths, rng = problem
    cell = load_spec("rnn_torch" if kind == "rnn" else "lstm")
    spec = with_lengths(stacked(cell, reverse=True) if reverse else cell)
    params = {n: rng.uniform(-1, 1, shape)
              for n, shape in case_shapes(spec, {"D": D, "H": H}).params.items()}
    x = rng.uniform(-1, 1, (T, B, D))
    h0, c0 = rng.uniform(-1, 1, (B, H)), rng.uniform(-1, 1, (B, H))
    initial = {"h": h0, "c": c0} if kind == "lstm" else {"h": h0}
    traj = compile_numpy(spec).forward(params, {"x": x, "valid": step_mask(lengths, T)},
                                       initial=initial)
    y, hs, cs = _rows_oracle(kind, params, x, h0, c0, lengths, reverse)
    valid = step_mask(lengths, T)[..., None]
    np.testing.assert_allclose(np.asarray(traj["h"]) * valid, y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.final["h"], hs, rtol=1e-12, atol=1e-12)
    if kind == "lstm":
        np.testing.assert_allclose(traj.final["c"], cs, rtol=1e-12, atol=1e-12)


def test_with_lengths_holds_every_state_of_every_chain():
    spec = with_lengths(stacked(load_spec("gru"), bidirectional=True))
    assert spec.mask_input == "valid" and spec.data_inputs == ("x",)
    assert spec.equation("h_l0").text.endswith("+ (1 - valid) * h_l0[t-1]")
    assert spec.equation("h_l0_reverse").text.endswith("+ (1 - valid) * h_l0_reverse[t+1]")
    assert spec.equation("r_l0").text == stacked(load_spec("gru"), bidirectional=True) \
        .equation("r_l0").text  # a gate is computed as before; only states are held
    with pytest.raises(SeqcheckError, match="has a mask input already"):
        with_lengths(spec)


def test_a_mask_written_by_hand_is_a_spec_input():
    base = Path(load_spec("rnn_torch").path).as_posix()
    spec = loads_spec(f"""name = "masked"
extends = "{base}"
[inputs]
m = {{ shape = [], mask = true, doc = "1 on a real step" }}
[equations]
h = "m * tanh(W_ih @ x + b_ih + W_hh @ h[t-1] + b_hh) + (1 - m) * h[t-1]"
""")
    assert spec.mask_input == "m" and spec.data_inputs == ("x",)
    assert verify(torch.nn.RNN, spec=spec, max_examples=10).ok  # torch packs the rows


@pytest.mark.parametrize("entry, message", [
    ('m = { shape = ["H"], mask = true }', "must be a per-step scalar"),
    ('m = { shape = [], static = true, mask = true }', "must be a per-step scalar"),
    ('m = { shape = [], mask = 1 }', "'mask' must be true or false"),
])
def test_a_bad_mask_is_a_located_error(entry, message):
    text = one_state_cell("masked", "m * tanh(W @ h[t-1] + U @ x) + (1 - m) * h[t-1]")
    text = text.replace('x = { shape = ["D"] }', 'x = { shape = ["D"] }\n' + entry)
    with pytest.raises(SpecError, match=message) as e:
        loads_spec(text, file="masked.toml")
    line = text.splitlines().index(entry) + 1
    assert (e.value.file, e.value.line, e.value.symbol) == ("masked.toml", line, "m")


def test_two_masks_are_refused():
    text = one_state_cell("masked", "m * n * tanh(W @ h[t-1] + U @ x) + (1 - m) * h[t-1]")
    text = text.replace('x = { shape = ["D"] }', 'x = { shape = ["D"] }\n'
                        'm = { shape = [], mask = true }\nn = { shape = [], mask = true }')
    with pytest.raises(SpecError, match="second mask input") as e:
        loads_spec(text)
    assert e.value.symbol == "n"


@given(st.data())
def test_cases_draw_a_length_per_row_and_the_mask_from_it(data):
    spec = with_lengths(load_spec("lstm"))
    shortest = data.draw(st.integers(0, 2))
    case = data.draw(cases(spec, min_length=shortest))
    assert case.lengths.shape == (case.batch,)
    assert np.all((shortest <= case.lengths) & (case.lengths <= case.steps))
    np.testing.assert_array_equal(case.inputs["valid"], step_mask(case.lengths, case.steps))


def test_torch_packed_sequences_conform_gradients_included():
    for factory in (torch.nn.LSTM, functools.partial(torch.nn.GRU, bidirectional=True),
                    functools.partial(torch.nn.LSTM, num_layers=2, bidirectional=True,
                                      batch_first=True)):
        for enforce in (False, True):
            from seqcheck.adapters.torch_nn import TorchTarget

            result = verify(TorchTarget(factory, enforce_sorted=enforce), lengths=True,
                            max_examples=15)
            assert result.ok and result.gradients, result.format_text()
            assert result.spec.endswith("_lengths")


class _PaddedLSTM(Target):
    """Planted defect: torch.nn.LSTM run on the padded batch, not packed; its padded outputs
    are zeroed, but each row's final state is the one after step T, not after L_b."""

    name, description = "padded LSTM", "torch.nn.LSTM on the padded batch"
    outputs, states, dtypes, has_gradients, min_length = ("h",), ("h", "c"), ("float64",), \
        False, 1

    def default_spec(self):
        return load_spec("lstm")

    def run(self, case, dtype, gradients):
        from seqcheck.adapters.torch_nn import layout_for

        layout = layout_for(torch.nn.LSTM)
        D, H = case.sizes["D"], case.sizes["H"]
        m = layout.make(D, H)
        layout.set_params(m, case.params)
        with torch.no_grad():
            hx = tuple(torch.tensor(case.initial[s])[None] for s in ("h", "c"))
            out, (h, c) = m(torch.tensor(case.inputs["x"]), hx)
        keep = step_mask(case.lengths, case.steps)[..., None]
        return Observed({"h": out.numpy() * keep}, {"h": h[0].numpy(), "c": c[0].numpy()})


def test_planted_wrong_last_state_of_a_short_row_is_found():
    result = verify(_PaddedLSTM(), lengths=True, max_examples=50)
    assert not result.ok
    first = result.check.divergences[0]
    assert first.what.startswith("final state")
    row = first.index[0]
    assert result.counterexample.lengths[row] < result.counterexample.steps


class _ReverseFromT(Target):
    """Planted defect: a reverse tanh RNN that starts every row at t = T (running over its
    padding) instead of at its own length; outputs zeroed on padding."""

    name, description = "reverse RNN from T", "NumPy, reverse from T"
    outputs, states, dtypes, has_gradients, min_length = ("h",), ("h",), ("float64",), \
        False, 0

    def default_spec(self):
        return stacked(load_spec("rnn_torch"), reverse=True)

    def run(self, case, dtype, gradients):
        p, x = case.params, case.inputs["x"]
        h = np.array(case.initial["h"], dtype=float)
        ys = np.zeros(x.shape[:2] + h.shape[1:])
        for t in range(case.steps - 1, -1, -1):
            h = np.tanh(x[t] @ p["W_ih"].T + p["b_ih"] + h @ p["W_hh"].T + p["b_hh"])
            ys[t] = h
        return Observed({"h": ys * step_mask(case.lengths, case.steps)[..., None]}, {"h": h})


def test_planted_reverse_that_starts_at_T_is_found():
    result = verify(_ReverseFromT(), lengths=True, max_examples=50)
    assert not result.ok
    case, first = result.counterexample, result.check.divergences[0]
    assert first.what in ("output h", "final state h")
    assert case.lengths[first.index[0]] < case.steps  # a short row's reverse chain


def test_a_cell_cannot_run_rows_of_their_own_lengths():
    with pytest.raises(SeqcheckError, match="cannot run rows of their own lengths"):
        verify(torch.nn.LSTMCell, lengths=True, max_examples=2)
    with pytest.raises(SeqcheckError, match="min_length must be an integer of at least 1"):
        verify(torch.nn.LSTM, lengths=True, min_length=0, max_examples=2)


def test_a_saved_counterexample_keeps_its_lengths(tmp_path):
    result = verify(_PaddedLSTM(), lengths=True, max_examples=50, save=tmp_path / "c.npz")
    saved = load_case(tmp_path / "c.npz")
    np.testing.assert_array_equal(saved.case.lengths, result.counterexample.lengths)
    again = verify(_PaddedLSTM(), lengths=True, replay=tmp_path / "c.npz")
    assert not again.ok and again.check.divergences == result.check.divergences
    with pytest.raises(SeqcheckError):  # a conforming result has nothing to save
        save_case(tmp_path / "d.npz", verify(torch.nn.LSTM, lengths=True, max_examples=3))


def test_a_scalar_input_runs_as_given_and_its_gradient_comes_back_in_its_shape():
    spec = with_lengths(load_spec("rnn_torch"))
    rng = np.random.default_rng(0)
    params = {"W_ih": rng.normal(size=(2, 1)), "W_hh": rng.normal(size=(2, 2)),
              "b_ih": rng.normal(size=2), "b_hh": rng.normal(size=2)}
    lengths = np.array([3, 1])
    inputs = {"x": rng.normal(size=(3, 2, 1)), "valid": step_mask(lengths, 3)}
    c = compile_numpy(spec, gradients=True)
    traj = c.forward(params, inputs)
    g = c.backward(traj, {"h": np.ones((3, 2, 2))})
    assert g.inputs["valid"].shape == (3, 2)
    # steps after a row's length have no effect: their input's gradient is 0
    assert np.all(g.inputs["x"][1:, 1] == 0) and np.all(g.inputs["x"][:, 0] != 0)
