"""Verify at one fixed size (seqcheck.checks.verify.at_size): sizes, seeded cases, the
measured tolerance, and a defect in one gate of one layer found at a size where the
a-priori tolerance model would hide it.

The oracle of the defect tests is an independent implementation: a deep bidirectional
LSTM written out step by step in torch, with torch.nn.LSTM's parameter names, which
must conform exactly as torch's own kernel does; its defect is one line.
"""

import dataclasses

import numpy as np
import pytest
import torch

from seqcheck.blas import cpu_flags, kernel_hint, openblas_core
from seqcheck.checks.verify import Checker
from seqcheck.checks.verify.at_size import (
    FACTORS,
    NOTE_SECONDS,
    PROFILES,
    parse_size,
    size_case,
    verify_at_size,
)
from seqcheck.checks.verify.rounding import HEADROOM, measured_tolerance
from seqcheck.checks.verify.targets import make_target
from seqcheck.errors import SeqcheckError

MID = "D=12,H=24,T=40,B=3,layers=2,bidirectional=1"


class LSTMWrittenOut(torch.nn.LSTM):
    """torch.nn.LSTM (any depth, either direction) computed step by step from its own
    parameters: x @ W_ihᵀ + b_ih + h @ W_hhᵀ + b_hh split into i, f, g, o.

    ``defect=(layer, suffix)`` makes that layer and direction (suffix "" or "_reverse")
    read the forget gate's recurrent bias of the other direction: a copy-paste slip in
    one gate of one layer.
    """

    def __init__(self, input_size, hidden_size, defect=None, **kwargs):
        super().__init__(input_size, hidden_size, **kwargs)
        self.defect = defect

    def _bias_hh(self, layer: int, suffix: str):
        b = getattr(self, f"bias_hh_l{layer}{suffix}")
        if self.defect != (layer, suffix):
            return b
        other = getattr(self, f"bias_hh_l{layer}{'' if suffix else '_reverse'}")
        H = self.hidden_size
        return torch.cat([b[:H], other[H:2 * H], b[2 * H:]])

    def _direction(self, x, h, c, layer: int, suffix: str):
        W_ih, W_hh = (getattr(self, f"weight_{k}_l{layer}{suffix}") for k in ("ih", "hh"))
        b_ih = getattr(self, f"bias_ih_l{layer}{suffix}")
        b_hh = self._bias_hh(layer, suffix)
        steps = range(x.shape[0] - 1, -1, -1) if suffix else range(x.shape[0])
        out = [None] * x.shape[0]
        for t in steps:
            z = x[t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh
            i, f, g, o = z.chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            out[t] = h
        return torch.stack(out), h, c

    def forward(self, x, hx):
        h0, c0 = hx
        dirs = ("", "_reverse") if self.bidirectional else ("",)
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for k, suffix in enumerate(dirs):
                j = layer * len(dirs) + k
                seq, h, c = self._direction(x, h0[j], c0[j], layer, suffix)
                outs.append(seq)
                hs.append(h)
                cs.append(c)
            x = torch.cat(outs, dim=-1)
        return x, (torch.stack(hs), torch.stack(cs))


def written_out(defect=None):
    def make(input_size, hidden_size):
        return LSTMWrittenOut(input_size, hidden_size, defect, num_layers=2,
                              bidirectional=True)
    make.__name__ = "LSTMWrittenOut" + ("" if defect is None else f"(defect={defect})")
    return make


# -- sizes -------------------------------------------------------------------------------

def test_the_production_profile_is_the_configuration_users_ship():
    p = PROFILES["production"]
    assert (dict(p.sizes), p.steps, p.batch) == ({"D": 512, "H": 1024}, 256, 8)
    assert dict(p.module) == {"num_layers": 4, "bidirectional": True}
    assert parse_size("production") is p


@pytest.mark.parametrize("text, message", [
    ("D=3,H=5,T=7", "gives no B"),
    ("D=3,H=5", "gives no T and no B"),
    ("D=3,H,T=2,B=2", "'H' is not NAME=N"),
    ("D=3,D=4,T=2,B=2", "D is given twice"),
    ("D=3,T=0,B=2", "at least 1"),
    ("big", "not NAME=N"),
])
def test_a_malformed_size_is_a_clear_error(text, message):
    with pytest.raises(SeqcheckError, match=message):
        parse_size(text)


def test_a_size_must_fit_the_spec_and_an_instance():
    with pytest.raises(SeqcheckError, match="gives no H"):
        verify_at_size("torch.nn.LSTMCell", size="D=3,T=2,B=2")
    with pytest.raises(SeqcheckError, match="has no dim K"):
        verify_at_size("torch.nn.LSTMCell", size="D=3,H=2,K=1,T=2,B=2")
    with pytest.raises(SeqcheckError, match="the target's H is 4, the size asks for 5"):
        verify_at_size(torch.nn.LSTMCell(3, 4), size="D=3,H=5,T=2,B=2")


# -- the cases ---------------------------------------------------------------------------

def test_cases_are_seeded_exact_in_the_dtype_and_scaled_by_fan_in():
    tgt = make_target(torch.nn.LSTMCell)
    spec = tgt.default_spec()
    sizes = {"D": 6, "H": 5}
    outputs = (*tgt.outputs, *tgt.states)
    a = size_case(spec, sizes, 4, 3, outputs, seed=7, k=1, dtype="float32")
    b = size_case(spec, sizes, 4, 3, outputs, seed=7, k=1, dtype="float32")
    other = size_case(spec, sizes, 4, 3, outputs, seed=8, k=1, dtype="float32")
    for name, w in a.params.items():
        np.testing.assert_array_equal(w, b.params[name])  # seeded
        assert not np.array_equal(w, other.params[name])
        np.testing.assert_array_equal(w, w.astype(np.float32))  # exact in float32
        fan_in = w.shape[-1] if w.ndim > 1 else w.shape[0]
        assert np.max(np.abs(w)) <= FACTORS[1] / np.sqrt(fan_in)
    assert a.inputs["x"].shape == (4, 3, 6) and a.initial["c"].shape == (3, 5)
    assert np.max(np.abs(a.initial["h"])) <= 0.5
    # every weight entry distinct, as the search's witness weights are
    flat = np.concatenate([w.ravel() for w in a.params.values()])
    assert len(np.unique(flat)) == flat.size


# -- the measured tolerance --------------------------------------------------------------

def test_the_measured_tolerance_is_never_looser_than_the_model_and_falls_back_on_overflow():
    e = np.array([1.0, -2.0])
    model = (1e-9, 1e-9)
    assert measured_tolerance("float32", e, e + 1e-6, model) == model
    loose = (1.0, 1.0)
    rtol, atol = measured_tolerance("float32", e, e + 1e-6, loose)
    eps = np.finfo(np.float32).eps
    assert rtol == HEADROOM * eps
    assert atol == pytest.approx(HEADROOM * (1e-6 + eps * 2.0))
    assert measured_tolerance("float32", e, np.array([np.inf, 0.0]), loose) == loose
    # a float64 target: the float32 rounding scaled by eps64 / eps32
    _, atol64 = measured_tolerance("float64", e, e + 1e-6, loose)
    assert atol64 == pytest.approx(HEADROOM * (1e-6 + 2 * eps) * np.finfo(np.float64).eps / eps)


def test_torch_lstm_conforms_at_a_size_and_the_model_is_far_looser_there():
    """No false alarm on a correct float32 engine, and the reason to measure: on the same
    case the a-priori model's tolerance is hundreds of times wider than needed."""
    result = verify_at_size("torch.nn.LSTM", size=MID, cases=2)
    assert result.ok, result.format_text()
    assert result.result.examples == 2 and len(result.seconds) == 2
    assert 0 < max(result.margins) < 1
    assert result.peak_memory > 0
    # the kernels NumPy ran, and the hint exactly where they leave AVX-512 unused
    assert result.blas == openblas_core()
    assert result.hint == kernel_hint(result.blas, cpu_flags())
    assert result.as_dict()["openblas_kernels"] == result.blas
    assert result.as_dict()["hint"] == result.hint
    # the text shows a hint only where the run took long enough for it to matter
    hint = "NumPy's OpenBLAS runs its Haswell kernels"
    slow = dataclasses.replace(result, hint=hint, seconds=(NOTE_SECONDS / 2,) * 2)
    quick = dataclasses.replace(slow, seconds=(0.1, 0.1))
    assert f"note: {hint}" in slow.format_text()
    assert "note:" not in quick.format_text() and quick.as_dict()["hint"] == hint
    tgt = make_target(written_out())
    spec = tgt.default_spec()
    size = parse_size(MID)
    case = size_case(spec, dict(size.sizes), size.steps, size.batch,
                     (*tgt.outputs, *tgt.states), 0, 0, "float32")
    measured = Checker(tgt, spec, "float32", True, rounding="measured").check(case)
    model = Checker(tgt, spec, "float32", True).check(case)
    assert measured.ok and model.ok
    assert model.margin * 100 < measured.margin


def test_the_written_out_lstm_conforms_like_torchs_kernel():
    result = verify_at_size(written_out(), size=MID, cases=2)
    assert result.ok, result.format_text()


@pytest.mark.parametrize("defect", [(1, "_reverse"), (0, "")])
def test_a_wrong_bias_in_one_gate_of_one_layer_is_found(defect):
    result = verify_at_size(written_out(defect), size=MID, cases=3)
    assert not result.ok
    assert len(result.seconds) == 1  # the first case already diverges: the run ends
    first = result.result.check.divergences[0]
    layer, suffix = defect
    # what diverges first is a value of the defective layer and direction or above it
    assert any(f"_l{k}" in first.what for k in range(layer, 2)), first.what
    text = result.format_text()
    assert "does not conform" in text and "D=12, H=24; T=40 steps; batch B=3" in text
    assert result.as_dict()["size"]["module"] == {"num_layers": 2, "bidirectional": True}


def test_gru_and_rnn_classes_take_the_module_arguments_and_conform():
    for unit in ("torch.nn.GRU", "torch.nn.RNN"):
        result = verify_at_size(unit, size="D=8,H=16,T=30,B=2,layers=3", cases=1,
                                dtype="float64")
        assert result.ok, result.format_text()
        assert "num_layers=3" in result.result.target


def test_progress_is_called_before_each_case():
    seen = []
    verify_at_size("torch.nn.RNNCell", size="D=3,H=4,T=5,B=2", cases=3,
                   progress=lambda k, n: seen.append((k, n)))
    assert seen == [(0, 3), (1, 3), (2, 3)]
