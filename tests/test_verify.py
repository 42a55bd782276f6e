"""seqcheck verify: correct implementations conform, planted defects are found, shrunk and
explained, and the target is left exactly as it was."""

import json

import numpy as np
import pytest
import torch

from seqcheck import CheckFailed
from seqcheck.checks.verify import verify
from seqcheck.cli import main
from seqcheck.testing import assert_conforms


class LSTMCellByHand(torch.nn.Module):
    """An LSTM cell with torch's parameter names, written out gate by gate, with an
    optional planted defect."""

    def __init__(self, input_size, hidden_size, defect=None):
        super().__init__()
        H = hidden_size
        self.input_size, self.hidden_size, self.defect = input_size, hidden_size, defect
        self.weight_ih = torch.nn.Parameter(torch.randn(4 * H, input_size))
        self.weight_hh = torch.nn.Parameter(torch.randn(4 * H, H))
        self.bias_ih = torch.nn.Parameter(torch.randn(4 * H))
        self.bias_hh = torch.nn.Parameter(torch.randn(4 * H))

    def forward(self, x, state):
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=-1)
        if self.defect == "i and f swapped":
            i, f = f, i
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
        g = torch.sigmoid(g) if self.defect == "sigmoid candidate" else torch.tanh(g)
        if self.defect == "raises at step 2" and bool(h.abs().sum() > 0):
            raise RuntimeError("planted failure")
        c = f * c + i * g
        return o * torch.tanh(c), c


class GRUCellByHand(torch.nn.Module):
    """A GRU cell with torch's parameter names and an optional planted defect."""

    def __init__(self, input_size, hidden_size, defect=None):
        super().__init__()
        H = hidden_size
        self.input_size, self.hidden_size, self.defect = input_size, hidden_size, defect
        self.weight_ih = torch.nn.Parameter(torch.randn(3 * H, input_size))
        self.weight_hh = torch.nn.Parameter(torch.randn(3 * H, H))
        self.bias_ih = torch.nn.Parameter(torch.randn(3 * H))
        self.bias_hh = torch.nn.Parameter(torch.randn(3 * H))

    def forward(self, x, h):
        xr, xz, xn = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        hr, hz, hn = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        if self.defect == "z and 1 - z exchanged":
            return z * n + (1 - z) * h
        return (1 - z) * n + z * h


def _factory(cls, defect):
    return lambda d, h: cls(d, h, defect)


@pytest.mark.parametrize("target", [torch.nn.LSTMCell, torch.nn.GRUCell, torch.nn.RNNCell,
                                    torch.nn.LSTM, torch.nn.GRU, torch.nn.RNN])
def test_torch_modules_conform_with_gradients(target):
    result = verify(target, max_examples=12, seed=1)
    assert result.ok, result.format_text()


def test_a_correct_cell_by_hand_conforms_in_float64():
    assert verify(_factory(LSTMCellByHand, None), dtype=torch.float64, max_examples=15).ok


@pytest.mark.parametrize(("cls", "defect", "explained"), [
    (LSTMCellByHand, "i and f swapped", "gates 'i' and 'f' exchange their parameters"),
    (LSTMCellByHand, "sigmoid candidate", "equation 'c_tilde' uses sigmoid"),
    (GRUCellByHand, "z and 1 - z exchanged", "equation 'h' exchanges z and 1 - z"),
])
def test_planted_defects_are_found_shrunk_and_explained(cls, defect, explained):
    result = verify(_factory(cls, defect), spec="lstm" if cls is LSTMCellByHand else "gru",
                    max_examples=60, seed=3)
    assert not result.ok
    case = result.counterexample
    assert case.steps <= 2 and case.batch == 2
    assert result.check.divergences
    assert explained in (result.explanation or ""), result.format_text()


def test_an_exception_of_the_target_is_a_counterexample():
    result = verify(_factory(LSTMCellByHand, "raises at step 2"), spec="lstm", max_examples=30)
    assert not result.ok
    assert result.check.error == "RuntimeError: planted failure"
    assert result.counterexample.steps == 2


def test_the_target_is_left_exactly_as_it_was():
    torch.manual_seed(7)
    cell = torch.nn.LSTMCell(3, 4)
    cell.eval()
    cell.bias_hh.requires_grad_(False)
    before = {k: v.detach().clone() for k, v in cell.state_dict().items()}
    flags = {k: p.requires_grad for k, p in cell.named_parameters()}
    rng, dtype = torch.get_rng_state(), torch.get_default_dtype()
    np_rng = np.random.get_state()
    result = verify(cell, max_examples=5)
    assert result.ok
    for k, v in cell.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert {k: p.requires_grad for k, p in cell.named_parameters()} == flags
    assert not cell.training
    assert torch.equal(torch.get_rng_state(), rng) and torch.get_default_dtype() == dtype
    assert all(np.array_equal(a, b) for a, b in zip(np.random.get_state()[1:2], np_rng[1:2]))


def test_state_is_restored_when_the_target_raises():
    rng = torch.get_rng_state()
    verify(_factory(LSTMCellByHand, "raises at step 2"), spec="lstm", max_examples=10)
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.is_grad_enabled()


def test_the_seed_replays_the_search():
    a = verify(_factory(GRUCellByHand, "z and 1 - z exchanged"), spec="gru", max_examples=30,
               seed=11)
    b = verify(_factory(GRUCellByHand, "z and 1 - z exchanged"), spec="gru", max_examples=30,
               seed=11)
    assert a.counterexample.describe() == b.counterexample.describe()
    assert [d.describe() for d in a.check.divergences] == \
        [d.describe() for d in b.check.divergences]


def test_assert_conforms_raises_with_the_report():
    with pytest.raises(CheckFailed) as info:
        assert_conforms(_factory(GRUCellByHand, "z and 1 - z exchanged"), spec="gru",
                        max_examples=30)
    assert "does not conform" in str(info.value)
    assert info.value.result.ok is False


def test_cli_verify_json_and_exit_codes(capsys):
    code = main(["verify", "torch.nn.GRUCell", "--max-examples", "5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"] is True and out["counterexample"] is None
    code = main(["verify", "torch.nn.NoSuchCell"])
    assert code == 2


class InterruptedLSTMCell(LSTMCellByHand):
    """A cell whose run is interrupted (Ctrl-C) in the middle of a check."""

    def forward(self, x, state):
        torch.manual_seed(123)  # disturbs the global RNG before the interrupt
        torch.set_default_dtype(torch.float64)
        raise KeyboardInterrupt


def test_state_is_restored_when_a_check_is_interrupted():
    rng, dtype = torch.get_rng_state(), torch.get_default_dtype()
    with pytest.raises(KeyboardInterrupt):
        verify(lambda d, h: InterruptedLSTMCell(d, h), spec="lstm", max_examples=5)
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.get_default_dtype() == dtype


class OnceWrongLSTMCell(LSTMCellByHand):
    """Right on every call but the third of the whole run, where h is off by 1: the same
    case diverges once and conforms when it is run again."""

    calls = 0

    def forward(self, x, state):
        h, c = super().forward(x, state)
        type(self).calls += 1
        return (h + 1.0 if type(self).calls == 3 else h), c


def test_a_target_that_is_not_deterministic_is_reported_not_raised():
    OnceWrongLSTMCell.calls = 0
    result = verify(lambda d, h: OnceWrongLSTMCell(d, h), spec="lstm", max_examples=20,
                    gradients=False)
    assert not result.ok
    assert result.explanation == ("the target is not deterministic: this case diverged on one "
                                  "run and conformed when run again on the same arrays")
    assert result.check is not None and not result.check.ok
    assert "does not conform" in result.format_text()


# -- TorchScript: scripted and traced modules are held to the spec like any module -----------
class ScriptableGRUCell(GRUCellByHand):
    """torch's GRU cell equations with torch's names; ``cut`` detaches the recurrent state,
    which leaves every output as it was and only the gradients wrong."""

    def __init__(self, input_size: int, hidden_size: int, cut: bool = False):
        super().__init__(input_size, hidden_size)
        self.cut = cut

    def forward(self, x, h):
        if self.cut:
            h = h.detach()
        xr, xz, xn = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        hr, hz, hn = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


def _compiled(how: str, module, D=3, H=4):
    """``module`` after torch.jit.script or trace (which torch now marks deprecated)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if how == "script":
            return torch.jit.script(module)
        return torch.jit.trace(module, (torch.randn(2, D), torch.randn(2, H)))


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_modules_conform_with_gradients_and_stay_untouched(how):
    for module in (torch.nn.GRUCell(3, 4), ScriptableGRUCell(3, 4)):
        compiled = _compiled(how, module)
        before = {n: p.detach().clone() for n, p in compiled.named_parameters()}
        result = verify(compiled, max_examples=8)
        assert result.ok and result.gradients, result.format_text()
        for n, p in compiled.named_parameters():
            assert torch.equal(p, before[n]) and p.grad is None


@pytest.mark.parametrize("how", ["script", "trace"])
def test_a_torchscript_cell_with_a_cut_recurrence_is_found_by_its_gradients(how):
    compiled = _compiled(how, ScriptableGRUCell(3, 4, cut=True))
    assert verify(compiled, max_examples=8, gradients=False).ok  # its outputs are right
    result = verify(compiled, max_examples=8)
    assert not result.ok
    assert {d.what.split()[0] for d in result.check.divergences} == {"gradient"}


class GRUCellWithoutBhz(torch.nn.GRUCell):
    """torch's GRU cell with the recurrent bias of its update gate left out."""

    def forward(self, x, h):
        H = self.hidden_size
        b = torch.cat([self.bias_hh[:H], 0 * self.bias_hh[H:2 * H], self.bias_hh[2 * H:]])
        return torch._VF.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, b)


def test_a_dropped_bias_is_explained_by_the_variant_without_it():
    result = verify(GRUCellWithoutBhz, max_examples=30)
    assert not result.ok
    assert result.explanation == ("equation 'z' leaves out the bias b_hz: "
                                  "z = sigmoid(W_iz @ x + b_iz + W_hz @ h[t-1])")
