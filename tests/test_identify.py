"""seqcheck identify: gate orders and GRU variants are told apart by computation."""

import json
import sys
from pathlib import Path

import pytest
import torch

from seqcheck.checks.identify import identify
from seqcheck.cli import main

sys.path.insert(0, str(Path(__file__).parent))
from test_verify import GRUCellByHand, LSTMCellByHand  # noqa: E402


class ResetBeforeGRUCell(GRUCellByHand):
    """Cho et al. 2014: the reset gate multiplies h before the recurrent product."""

    def forward(self, x, h):
        H = self.hidden_size
        xr, xz, xn = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=-1)
        W_hr, W_hz, W_hn = self.weight_hh.split(H)
        b_hr, b_hz, b_hn = self.bias_hh.split(H)
        r = torch.sigmoid(xr + h @ W_hr.T + b_hr)
        z = torch.sigmoid(xz + h @ W_hz.T + b_hz)
        n = torch.tanh(xn + (r * h) @ W_hn.T + b_hn)
        return (1 - z) * n + z * h


@pytest.mark.parametrize(("target", "variant", "order"), [
    (torch.nn.LSTMCell, "the spec as written", ("i", "f", "g", "o")),
    (torch.nn.GRUCell, "reset after the recurrent product", ("r", "z", "n")),
    (lambda d, h: LSTMCellByHand(d, h, "i and f swapped"), "the spec as written",
     ("f", "i", "g", "o")),
    (lambda d, h: GRUCellByHand(d, h, "z and 1 - z exchanged"), "z weights the candidate",
     ("r", "z", "n")),
    (lambda d, h: ResetBeforeGRUCell(d, h), "reset before the recurrent product",
     ("r", "z", "n")),
])
def test_identifies_variant_and_gate_order(target, variant, order):
    result = identify(target, max_examples=8)
    assert len(result.matches) == 1, result.format_text()
    match = result.matches[0]
    assert match.variant.startswith(variant) and match.order == order


def test_the_nearest_candidate_when_nothing_conforms():
    result = identify(lambda d, h: LSTMCellByHand(d, h, "sigmoid candidate"), max_examples=8)
    assert not result.matches
    text = result.format_text()
    assert "conforms to no candidate; the nearest:" in text
    assert result.candidates[0].ratio <= result.candidates[-1].ratio


def test_cli_identify_json(capsys):
    code = main(["identify", "torch.nn.GRUCell", "--max-examples", "4", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"]
    assert [c["order"] for c in out["candidates"] if c["ok"]] == [["r", "z", "n"]]
