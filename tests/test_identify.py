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


# -- a cell without torch's layout, through its mapping file (examples/mapping/) ----------
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "mapping"


def _fused_cell():
    import importlib.util

    spec = importlib.util.spec_from_file_location("fused_lstm", EXAMPLES / "fused_lstm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FusedLSTMCell


def _mapping(tmp_path, blocks: str) -> Path:
    """The example's mapping, reading the cell's four column blocks as the spec gates
    ``blocks`` (the cell itself holds i, o, f, g in that order)."""
    lines = [f"spec = {str(EXAMPLES / 'lstm_one_bias.toml')!r}", 'call = "cell"',
             'states = ["h", "c"]', "[params]"]
    for k, g in enumerate(blocks):
        cols = f"{k}*H:{k + 1}*H"
        lines += [f'W_i{g} = "weight[0:D, {cols}].T"', f'W_h{g} = "weight[D:D+H, {cols}].T"',
                  f'b_{g} = "bias[{cols}]"']
    path = tmp_path / f"fused_{blocks}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_correct_mapping_is_identified_as_written(tmp_path):
    result = identify(_fused_cell(), mapping=_mapping(tmp_path, "iofc"), max_examples=4)
    assert len(result.candidates) == 24 and len(result.matches) == 1, result.format_text()
    match = result.matches[0]
    assert match.stated == ("i", "f", "c", "o") and match.order == match.stated
    assert "the mapping as written: conforms" in result.format_text()


@pytest.mark.parametrize("blocks", ["ifoc", "cofi", "oicf"])
def test_a_mapping_with_the_wrong_gate_order_is_told_which_gate_each_block_holds(
        tmp_path, blocks):
    # the cell's blocks hold i, o, f, g (spec letter c); the file reads them as `blocks`
    truth = dict(zip(blocks, "iofc"))  # the gate the file names -> the gate that block holds
    result = identify(_fused_cell(), mapping=_mapping(tmp_path, blocks), max_examples=4)
    assert len(result.matches) == 1, result.format_text()
    match = result.matches[0]
    assert match.order == tuple(truth[g] for g in match.stated) != match.stated
    written = next(c for c in result.candidates if c.order == c.stated)
    assert not written.ok


def test_cli_identify_with_a_mapping(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    path = _mapping(tmp_path, "ifoc")
    code = main(["identify", "fused_lstm:FusedLSTMCell", "--mapping", str(path),
                 "--max-examples", "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"]
    (match,) = [c for c in out["candidates"] if c["ok"]]
    assert match["stated"] == ["i", "f", "c", "o"] and match["order"] == ["i", "o", "c", "f"]
    assert main(["identify", "fused_lstm:FusedLSTMCell", "--mapping",
                 str(tmp_path / "missing.toml")]) == 2
