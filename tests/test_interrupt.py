"""identify and conformance leave a module instance and the global state as they found them,
when the target is interrupted (Ctrl-C) or raises in the middle of a run.

The target is a torch.nn.LSTMCell instance whose forward, at its N-th call (counted across
the copies a check makes), first disturbs everything it can reach -- its own parameters,
requires_grad flags and mode, torch's, NumPy's and Python's RNGs, torch's default dtype and
grad mode -- and then raises. Afterwards the instance must be bit-identical and every
global state restored; a KeyboardInterrupt must reach the caller.
"""

import random

import numpy as np
import pytest
import torch

from seqcheck.adapters.torch_nn import TorchTarget
from seqcheck.checks import conformance
from seqcheck.checks.conformance import Entry
from seqcheck.checks.identify import identify


class DisturbingLSTMCell(torch.nn.LSTMCell):
    """torch's LSTM cell that disturbs all state at call ``stop`` and raises ``error`` from then
    on (0: never)."""

    calls = 0  # on the class: a check's deep copies share it
    stop = 0
    error: type[BaseException] = KeyboardInterrupt

    def forward(self, x, state=None):
        cls = type(self)
        cls.calls += 1
        if cls.calls == cls.stop:
            with torch.no_grad():
                for p in self.parameters():
                    p.add_(1.0)
            self.bias_hh.requires_grad_(not self.bias_hh.requires_grad)
            self.train(not self.training)
            torch.manual_seed(123)
            np.random.seed(123)
            random.seed(123)
            torch.set_default_dtype(torch.float32 if torch.get_default_dtype() == torch.float64
                                    else torch.float64)
            torch.set_grad_enabled(not torch.is_grad_enabled())
        if cls.stop and cls.calls >= cls.stop:  # broken from then on, as a real fault would be
            raise cls.error("stopped in the middle of a check")
        return super().forward(x, state)


def _cell(stop, error):
    DisturbingLSTMCell.calls, DisturbingLSTMCell.stop = 0, stop
    DisturbingLSTMCell.error = error
    torch.manual_seed(0)
    cell = DisturbingLSTMCell(3, 2).double().eval()
    cell.bias_hh.requires_grad_(False)
    return cell


def _snapshot(cell):
    """Everything a check must leave alone, as comparable values."""
    return {
        "params": {n: p.detach().clone() for n, p in cell.named_parameters()},
        "dtypes": {n: p.dtype for n, p in cell.named_parameters()},
        "requires_grad": {n: p.requires_grad for n, p in cell.named_parameters()},
        "grads": {n: p.grad for n, p in cell.named_parameters()},
        "training": [m.training for m in cell.modules()],
        "torch_rng": torch.get_rng_state(),
        "numpy_rng": np.random.get_state(),
        "python_rng": random.getstate(),
        "default_dtype": torch.get_default_dtype(),
        "grad_enabled": torch.is_grad_enabled(),
    }


def _assert_unchanged(cell, before):
    after = _snapshot(cell)
    for name, p in before["params"].items():
        # bit-identical: the same bytes, not only equal values
        assert after["params"][name].numpy().tobytes() == p.numpy().tobytes(), name
    assert after["dtypes"] == before["dtypes"]
    assert after["requires_grad"] == before["requires_grad"] == {
        "weight_ih": True, "weight_hh": True, "bias_ih": True, "bias_hh": False}
    assert all(g is None for g in after["grads"].values())
    assert after["training"] == before["training"] == [False]
    assert torch.equal(after["torch_rng"], before["torch_rng"])
    a, b = after["numpy_rng"], before["numpy_rng"]
    assert a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]
    assert after["python_rng"] == before["python_rng"]
    assert after["default_dtype"] == before["default_dtype"] == torch.float32
    assert after["grad_enabled"] == before["grad_enabled"] is True


def _disturb_the_test_s_own_rngs():
    # a state the check did not choose, so that restoring a default would not pass
    torch.manual_seed(2024)
    np.random.seed(2024)
    random.seed(2024)


def _conformance(cell, monkeypatch):
    entry = Entry("torch", "LSTMCell", {}, lambda: TorchTarget(cell, name="the cell"))
    monkeypatch.setattr(conformance, "entries", lambda engines=None: [entry])
    return conformance.run_conformance(["torch"], max_examples=4, dtype="float64")


# -- identify ---------------------------------------------------------------------------------
@pytest.mark.parametrize("stop", [1, 5, 40], ids=lambda n: f"call-{n}")
def test_identify_interrupted_restores_everything_and_propagates(stop):
    cell = _cell(stop, KeyboardInterrupt)
    _disturb_the_test_s_own_rngs()
    before = _snapshot(cell)
    with pytest.raises(KeyboardInterrupt, match="stopped in the middle"):
        identify(cell, max_examples=3)
    assert DisturbingLSTMCell.calls == stop  # it stopped there, and nothing ran after it
    _assert_unchanged(cell, before)


@pytest.mark.parametrize("stop", [1, 40], ids=lambda n: f"call-{n}")
def test_identify_with_a_target_that_raises_restores_everything(stop):
    cell = _cell(stop, RuntimeError)
    _disturb_the_test_s_own_rngs()
    before = _snapshot(cell)
    result = identify(cell, max_examples=3)
    assert DisturbingLSTMCell.calls > stop  # the run went on past the failing call
    assert len(result.candidates) == 24
    # a candidate whose run raised is no match; torch's order, checked first, is one when
    # the cell breaks only after it
    assert [c.order for c in result.matches] == ([] if stop == 1 else [("i", "f", "g", "o")])
    _assert_unchanged(cell, before)


# -- conformance ------------------------------------------------------------------------------
@pytest.mark.parametrize("stop", [1, 5, 12], ids=lambda n: f"call-{n}")
def test_conformance_interrupted_restores_everything_and_propagates(stop, monkeypatch):
    cell = _cell(stop, KeyboardInterrupt)
    _disturb_the_test_s_own_rngs()
    before = _snapshot(cell)
    with pytest.raises(KeyboardInterrupt, match="stopped in the middle"):
        _conformance(cell, monkeypatch)
    assert DisturbingLSTMCell.calls == stop
    _assert_unchanged(cell, before)


@pytest.mark.parametrize("stop", [1, 12], ids=lambda n: f"call-{n}")
def test_conformance_with_a_target_that_raises_restores_everything(stop, monkeypatch):
    cell = _cell(stop, RuntimeError)
    _disturb_the_test_s_own_rngs()
    before = _snapshot(cell)
    [row] = _conformance(cell, monkeypatch)
    assert row.verdict == "raises"
    assert row.detail == "RuntimeError: stopped in the middle of a check"
    _assert_unchanged(cell, before)


def test_an_undisturbed_run_conforms(monkeypatch):
    # the same cell with no stop: the checks above stop runs that would pass, and the
    # stops chosen (up to call 40 of identify's 80 and call 12 of conformance's 15) fall
    # in the middle of them
    cell = _cell(0, KeyboardInterrupt)
    before = _snapshot(cell)
    assert [c.order for c in identify(cell, max_examples=3).matches] == [("i", "f", "g", "o")]
    assert DisturbingLSTMCell.calls == 80
    DisturbingLSTMCell.calls = 0
    [row] = _conformance(cell, monkeypatch)
    assert row.verdict == "conforms" and DisturbingLSTMCell.calls == 15
    _assert_unchanged(cell, before)
