"""Dynamically quantized torch LSTM and GRU (torch.ao), held to the spec within a slack
derived from the quantization (seqcheck.adapters.torch_nn.quantized).

The slack is the float64 effect of the weights the module holds (dequantized), exactly,
plus a bound on quantizing the products' inputs. The oracles: the spec's compiled NumPy
forward (verify), and torch's float module on the same weights, which the quantized one
must approach as the quantization step shrinks. Defects planted in the quantized module's
own form (its packed weights, its forward) must exceed the slack.
"""

import copy
import warnings

import numpy as np
import pytest
import torch

from seqcheck import verify
from seqcheck.adapters.torch_nn.quantized import QuantizedTarget, quantize, quantized_factory
from seqcheck.errors import SeqcheckError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from torch.ao.nn.quantized.dynamic import GRU as QuantizedGRU
    from torch.ao.nn.quantized.dynamic import LSTM as QuantizedLSTM


@pytest.mark.parametrize("unit", ["LSTM", "GRU"])
def test_int8_modules_conform_within_the_quantization_slack(unit):
    target = QuantizedTarget(quantized_factory(unit))
    assert "slack from the quantization" in target.description
    result = verify(target, max_examples=40)
    assert result.ok and not result.gradients, result.format_text()


def test_float16_weights_conform_and_an_instance_is_left_untouched():
    module = quantize(torch.nn.GRU(3, 4, batch_first=True), torch.float16)
    before = {k: v.clone() for k, v in module.get_weight().items()}
    result = verify(QuantizedTarget(module), max_examples=20)
    assert result.ok, result.format_text()
    for k, v in module.get_weight().items():
        assert torch.equal(v, before[k])


def test_the_slack_is_what_separates_the_engine_from_the_spec():
    """Without the slack, an int8 LSTM does not conform: the quantization is real."""
    target = QuantizedTarget(quantized_factory("LSTM"))

    class NoSlack(QuantizedTarget):
        def run(self, case, dtype, gradients):
            seen = target.run(case, dtype, gradients)
            return type(seen)(seen.per_step, seen.final)

    bare = copy.copy(target)
    bare.__class__ = NoSlack
    assert not verify(bare, max_examples=40).ok


class SwappedPacking(QuantizedLSTM):
    """A quantized LSTM that packs its input and forget gates' blocks exchanged."""

    def set_weight_bias(self, weight_bias):
        H = self.hidden_size
        order = [*range(H, 2 * H), *range(H), *range(2 * H, 4 * H)]
        swapped = {}
        for name, value in weight_bias.items():
            if name.startswith("weight"):
                q = value.dequantize()[order]
                value = torch.quantize_per_tensor(q, value.q_scale(), 0, torch.qint8)
            elif value is not None:
                value = value[order]
            swapped[name] = value
        super().set_weight_bias(swapped)


class IgnoresInitialState(QuantizedGRU):
    """A quantized GRU whose forward starts from zero whatever state it is given."""

    def forward(self, x, hx=None):
        return super().forward(x, None)


def _built(cls):
    def make(input_size, hidden_size):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(input_size, hidden_size, dtype=torch.qint8)

    make.__name__ = cls.__name__
    return make


def test_gates_packed_in_the_wrong_order_exceed_the_slack():
    result = verify(QuantizedTarget(_built(SwappedPacking)), max_examples=60)
    assert not result.ok
    assert result.check.divergences[0].what in ("output h", "final state c")
    assert result.explanation.startswith("gates 'i' and 'f' exchange their parameters")


def test_an_ignored_initial_state_exceeds_the_slack():
    result = verify(QuantizedTarget(_built(IgnoresInitialState)), max_examples=60)
    assert not result.ok and result.check.divergences[0].step == 1


def test_the_quantized_module_approaches_the_float_one_as_its_weights_shrink():
    """An independent look at what the slack bounds: torch's quantized GRU against
    torch's float GRU on the same weights, the gap shrinking with the weights' scale."""
    torch.manual_seed(0)
    x = torch.randn(5, 3, 4)
    gaps = []
    for scale in (1.0, 0.1):
        float_gru = torch.nn.GRU(4, 6)
        with torch.no_grad():
            for p in float_gru.parameters():
                p.mul_(scale)
        quantized = quantize(copy.deepcopy(float_gru), torch.qint8)
        with torch.no_grad():
            gaps.append(float((quantized(x)[0] - float_gru(x)[0]).abs().max()))
    assert 0 < gaps[1] < gaps[0] < 0.1


def test_what_is_refused():
    with pytest.raises(SeqcheckError, match="not a dynamically quantized"):
        QuantizedTarget(torch.nn.GRU(3, 4))
    with pytest.raises(SeqcheckError, match="one layer and one direction"):
        QuantizedTarget(quantize(torch.nn.LSTM(3, 4, num_layers=2), torch.qint8))
    with pytest.raises(SeqcheckError, match="quantizes torch.nn.LSTM and GRU"):
        quantized_factory("RNN")
    with pytest.raises(SeqcheckError, match="cannot differentiate"):
        verify(QuantizedTarget(quantized_factory("GRU")), gradients=True, max_examples=2)
    np.testing.assert_equal(QuantizedTarget(quantized_factory("GRU")).dtypes, ("float32",))


def test_a_quantized_instance_is_recognised_by_verify_and_has_conformance_rows():
    from seqcheck.checks import conformance

    module = quantize(torch.nn.LSTM(2, 3), torch.qint8)
    result = verify(module, max_examples=10)
    assert result.ok and "qint8 weights" in result.layout, result.format_text()
    rows = conformance.run_conformance(["torch-quantized"], max_examples=10)
    assert [(r.unit, r.attributes["weights"], r.verdict) for r in rows] == [
        (u, w, "conforms") for w in ("qint8", "float16") for u in ("LSTM", "GRU")]


def test_the_command_line_compiles_or_quantizes_what_it_names(capsys):
    from seqcheck.cli import main

    assert main(["verify", "torch.nn.LSTM", "--quantize", "qint8", "--max-examples", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conforms: quantize_dynamic(torch.nn.LSTM, qint8) against spec "
                          "'lstm'") and "slack from the quantization" in out
    assert main(["verify", "torch.nn.GRUCell", "--compile", "aot_eager",
                 "--max-examples", "3"]) == 0
    assert "torch.compile(torch.nn.GRUCell, backend='aot_eager')" in capsys.readouterr().out
    assert main(["verify", "torch.nn.RNN", "--quantize", "qint8"]) == 2
    assert "quantizes torch.nn.LSTM and GRU; got torch.nn.RNN" in capsys.readouterr().err
    assert main(["verify", "torch.nn.GRU", "--quantize", "qint8", "--compile", "eager"]) == 2
    assert "one way" in capsys.readouterr().err
