"""One planted defect for each kind of case the strategies generate on purpose.

Every defect here passes a careless test: a reshape where a transpose belongs is right
when D = 1; a state shared across the batch is right when B = 1; clipped
pre-activations are right for small weights; a clamped cell state is right while
|c| <= 1; an ignored initial state is right from h_0 = 0; a state not carried over is
right for T = 1; a detached recurrence is right in the forward pass. seqcheck's
strategies draw D != H, B >= 2 with distinct rows, saturating magnitudes, random
initial states, T >= 2 and gradients, so each must be found -- and the shrunk
counterexample must keep the feature that exposes it.
"""

import pytest
import torch

from seqcheck.checks.verify import verify


class LSTMByHand(torch.nn.Module):
    """torch.nn.LSTM's equations written out, with torch's parameter names (one layer),
    called as ``module(x, (h_0, c_0))`` on a time-major sequence; one optional defect."""

    def __init__(self, input_size, hidden_size, defect=None):
        super().__init__()
        H, D = hidden_size, input_size
        self.defect = defect
        self.weight_ih_l0 = torch.nn.Parameter(torch.randn(4 * H, D))
        self.weight_hh_l0 = torch.nn.Parameter(torch.randn(4 * H, H))
        self.bias_ih_l0 = torch.nn.Parameter(torch.randn(4 * H))
        self.bias_hh_l0 = torch.nn.Parameter(torch.randn(4 * H))

    def forward(self, x, state):
        h, c = state[0][0], state[1][0]
        w_ih = self.weight_ih_l0
        if self.defect == "reshape for transpose":
            w_ih = w_ih.reshape(w_ih.shape[1], w_ih.shape[0]).T
        if self.defect == "ignores the initial state":
            h, c = torch.zeros_like(h), torch.zeros_like(c)
        c0 = c
        out = []
        for x_t in x:
            h_in = h.detach() if self.defect == "detaches the recurrence" else h
            if self.defect == "batch shares row 0":
                h_in = h_in[:1].expand_as(h_in)
            gates = x_t @ w_ih.T + self.bias_ih_l0 + h_in @ self.weight_hh_l0.T + self.bias_hh_l0
            if self.defect == "clips pre-activations at 3":
                gates = gates.clamp(-3, 3)
            i, f, g, o = gates.chunk(4, dim=-1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c_prev = c0 if self.defect == "does not carry c" else c
            c = f * c_prev + i * g
            if self.defect == "clamps c to 1":
                c = c.clamp(-1, 1)
            h = o * torch.tanh(c)
            out.append(h)
        return torch.stack(out), (h[None], c[None])


def _factory(defect):
    return lambda d, h: LSTMByHand(d, h, defect)


def test_the_cell_by_hand_conforms():
    assert verify(_factory(None), spec="lstm", max_examples=40, dtype="float64").ok


def _largest(case) -> float:
    return max(float(abs(p).max()) for p in case.params.values())


@pytest.mark.parametrize(("defect", "exposed", "first"), [
    ("reshape for transpose", lambda c: c.sizes["D"] >= 2, "output h"),
    ("batch shares row 0", lambda c: c.batch >= 2, ""),  # output or gradient h_0
    ("clips pre-activations at 3", lambda c: _largest(c) >= 1, "output h"),
    ("clamps c to 1", lambda c: True, "output h"),
    ("ignores the initial state", lambda c: True, ""),  # or its gradient, from h_0 = 0
    ("does not carry c", lambda c: c.steps >= 2, "output h"),
    ("detaches the recurrence", lambda c: True, "gradient"),  # h_0 at T = 1
])
def test_each_defect_is_found_and_its_counterexample_exposes_it(defect, exposed, first):
    result = verify(_factory(defect), spec="lstm", max_examples=150, dtype="float64")
    assert not result.ok, defect
    case = result.counterexample
    assert exposed(case), (defect, case.describe())
    assert result.check.divergences[0].what.startswith(first), result.format_text()
    if defect == "detaches the recurrence":  # the forward pass is exactly right
        assert all(d.what.startswith("gradient") for d in result.check.divergences)


class NaNWherePositive(LSTMByHand):
    """Right everywhere except that a positive h comes out as NaN."""

    def forward(self, x, state):
        out, (h, c) = super().forward(x, state)
        nan = torch.full_like(out, float("nan"))
        return torch.where(out > 0, nan, out), (torch.where(h > 0, nan[-1:], h), c)


def test_a_target_returning_nan_does_not_conform():
    result = verify(lambda d, h: NaNWherePositive(d, h), spec="lstm", max_examples=20,
                    seed=2, dtype="float64")
    assert not result.ok
    first = result.check.divergences[0]
    assert first.what == "output h" and first.actual != first.actual  # NaN
    assert "actual nan" in result.format_text()
