"""Modules after ``torch.compile``: their layout is the original's, the compiled code runs.

The oracle is the spec's compiled NumPy forward and derived backward, as for every torch
target (verify), and the eager module: a defect planted only in the compiled path
(``torch.compiler.is_compiling()``) must be found in the compiled module while the eager
one conforms. Most tests use the ``aot_eager`` backend, which traces forward and backward
through dynamo and AOTAutograd as inductor does but generates no code; one uses inductor
itself (C++ on the CPU).
"""

import pytest
import torch

from seqcheck import verify
from seqcheck.adapters.torch_nn import TorchTarget, layout_for
from seqcheck.adapters.torch_nn.modules import (
    compiled_context,
    compiled_factory,
    import_dynamo,
)

import_dynamo()  # once, with torch's deprecation notice on its first import silenced


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def test_a_compiled_instance_conforms_with_gradients_and_is_left_untouched():
    cell = torch.nn.GRUCell(3, 4)
    compiled = torch.compile(cell, backend="aot_eager")
    before = {n: p.detach().clone() for n, p in cell.named_parameters()}
    target = TorchTarget(compiled)
    assert target.name == "torch.compile(torch.nn.GRUCell)"
    assert layout_for(compiled).spec_name == "gru"
    for dtype in ("float32", "float64"):
        result = verify(compiled, dtype=dtype, max_examples=6)
        assert result.ok and result.gradients, result
    for n, p in cell.named_parameters():
        assert torch.equal(p.detach(), before[n]) and p.grad is None


def test_a_factory_of_compiled_modules_conforms():
    make = compiled_factory("LSTMCell", backend="aot_eager")
    result = verify(make, max_examples=6)
    assert result.ok and result.gradients and result.spec == "lstm", result


class CompiledOnlySwap(torch.nn.LSTMCell):
    """An LSTM cell that is right eagerly and, compiled, takes its forget gate from the
    output gate's rows: a defect of the compiled path alone."""

    def forward(self, x, state):
        if not torch.compiler.is_compiling():
            return super().forward(x, state)
        h, c = state
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(o) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(f) * torch.tanh(c), c


def test_a_defect_of_the_compiled_path_alone_is_found():
    eager = verify(CompiledOnlySwap, max_examples=10)
    assert eager.ok, eager
    compiled = verify(compiled_factory(CompiledOnlySwap, backend="aot_eager"), max_examples=20)
    assert not compiled.ok
    assert "'f' and 'o' exchange their parameters" in (compiled.explanation or ""), compiled


def test_every_case_runs_compiled_code_past_the_recompile_limit():
    """torch falls back to eager after recompile_limit graphs; inside compiled_context
    each new shape compiles instead (and hitting the lifted limit would raise)."""
    from torch._dynamo.utils import counters

    limit = torch._dynamo.config.recompile_limit
    shapes = range(2, limit + 6)

    def graphs(context):
        torch._dynamo.reset()
        counters.clear()
        compiled = torch.compile(torch.nn.Tanh(), backend="eager", dynamic=False)
        with context(compiled):
            for n in shapes:
                compiled(torch.zeros(n))
        return counters["stats"]["unique_graphs"]

    import contextlib

    assert graphs(lambda m: contextlib.nullcontext()) == limit  # the rest ran eagerly
    assert graphs(compiled_context) == len(shapes)
    assert torch._dynamo.config.recompile_limit == limit
    with compiled_context(torch.nn.Tanh()):  # an eager module: nothing is patched
        assert torch._dynamo.config.recompile_limit == limit


def test_inductor_generated_code_conforms():
    make = compiled_factory("GRUCell", backend="inductor", dynamic=True)
    result = verify(make, dtype="float32", max_examples=3)
    assert result.ok and result.gradients, result


def test_torch_compile_runs_torchs_sequence_modules_eagerly_unless_allow_rnn():
    """dynamo skips torch.nn.RNN, LSTM and GRU (torch._dynamo.config.allow_rnn = False):
    verify says the compiled module ran eagerly, and with allow_rnn the traced one
    conforms too."""
    from torch._dynamo.utils import counters

    counters.clear()
    target = TorchTarget(torch.compile(torch.nn.GRU(3, 4), backend="aot_eager"))
    assert "runs it eagerly" in target.description
    result = verify(target, max_examples=4)
    assert result.ok and result.gradients, result
    assert counters["stats"]["unique_graphs"] == 0
    torch._dynamo.reset()  # dynamo remembers the frames it skipped
    with torch._dynamo.config.patch(allow_rnn=True):
        target = TorchTarget(torch.compile(torch.nn.GRU(3, 4), backend="aot_eager"))
        assert "allow_rnn is set" in target.description
        result = verify(target, max_examples=4)
        assert result.ok and result.gradients, result
        assert counters["stats"]["unique_graphs"] > 0


def test_conformance_has_a_row_per_compiled_cell():
    from seqcheck.checks import conformance

    rows = conformance.entries(["torch-compile"])
    assert [(e.unit, e.attributes["compiled by"]) for e in rows] == [
        (u, "torch.compile (inductor)") for u in ("RNNCell", "LSTMCell", "GRUCell")]
    [row] = conformance._run_one(rows[2], 2, 0, "float32")
    assert (row.unit, row.verdict, row.gradients) == ("GRUCell", "conforms", True), row
