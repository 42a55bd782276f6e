"""torch.nn.RNN, LSTM and GRU in every configuration torch offers, held to their specs.

Oracles:
- ``seqcheck.verify`` on a matrix of configurations (num_layers 1-3, bidirectional,
  batch_first, bias=False, relu, proj_size, dropout in eval mode): the compiled spec's
  forward and derived backward against torch's outputs, states and autograd gradients;
- an independent NumPy forward written here from torch's documentation, run on torch's own
  stacked tensors (``weight_ih_l1_reverse``, ...) after ``set_params``: compared with the
  layout's ``run()`` (torch) and with the compiled spec, so that a naming mistake shared by
  ``compose.stacked`` and the layout cannot cancel out;
- planted defects (direction halves swapped, h_n's layers reversed, dropout in training
  mode) that must not conform, with the first divergence where the defect is.
"""

import functools
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import seqcheck
from seqcheck import SeqcheckError, compile_numpy
from seqcheck.adapters.torch_nn import CellLayout, SequenceLayout, TorchTarget, layout_for
from seqcheck.checks.identify import identify

D, H = 3, 4  # H != D, so a transposed block cannot fit


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _build(make) -> torch.nn.Module:
    with torch.random.fork_rng(devices=[]):
        return make()


# -- user classes and factories ---------------------------------------------------------
class DeepBiGRU(torch.nn.GRU):
    """A user's class fixing a configuration: Factory(input_size, hidden_size)."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size, num_layers=2, bidirectional=True,
                         batch_first=True)


def deep_lstm(input_size, hidden_size):
    """A factory function returning a three-layer, bias-free LSTM."""
    return torch.nn.LSTM(input_size, hidden_size, num_layers=3, bias=False)


def lstm_in_eval_mode(input_size, hidden_size):
    """Dropout between layers, in eval mode: torch applies none."""
    return torch.nn.LSTM(input_size, hidden_size, num_layers=2, dropout=0.5).eval()


def _torch(name: str, **kwargs):
    return functools.partial(getattr(torch.nn, name), **kwargs)


# -- (a) verify conforms, gradients included --------------------------------------------
CONFIGS = [
    # factory, the spec it follows, dtype
    pytest.param(_torch("RNN", num_layers=2), "rnn_torch_2layers", "float32", id="RNN-L2"),
    pytest.param(_torch("RNN", num_layers=3, bidirectional=True, batch_first=True),
                 "rnn_torch_3layers_bidirectional", "float64", id="RNN-L3-bi-bf"),
    pytest.param(_torch("RNN", nonlinearity="relu", num_layers=2, bidirectional=True),
                 "rnn_torch_relu_2layers_bidirectional", "float32", id="RNN-relu-L2-bi"),
    pytest.param(_torch("RNN", nonlinearity="relu", bias=False), "rnn_torch_relu_nobias",
                 "float64", id="RNN-relu-nobias"),
    pytest.param(_torch("RNNCell", nonlinearity="relu"), "rnn_torch_relu", "float32",
                 id="RNNCell-relu"),
    pytest.param(_torch("RNNCell", bias=False), "rnn_torch_nobias", "float64",
                 id="RNNCell-nobias"),
    pytest.param(_torch("LSTMCell", bias=False), "lstm_nobias", "float32", id="LSTMCell-nobias"),
    pytest.param(_torch("GRUCell", bias=False), "gru_nobias", "float64", id="GRUCell-nobias"),
    pytest.param(_torch("LSTM", bidirectional=True), "lstm_bidirectional", "float64",
                 id="LSTM-bi"),
    pytest.param(_torch("LSTM", num_layers=2, bidirectional=True), "lstm_2layers_bidirectional",
                 "float32", id="LSTM-L2-bi"),
    pytest.param(_torch("LSTM", num_layers=3, batch_first=True), "lstm_3layers", "float64",
                 id="LSTM-L3-bf"),
    pytest.param(_torch("LSTM", num_layers=2, bidirectional=True, bias=False),
                 "lstm_nobias_2layers_bidirectional", "float64", id="LSTM-L2-bi-nobias"),
    pytest.param(_torch("LSTM", proj_size=2), "lstm_proj", "float64", id="LSTM-proj"),
    # float64 and deep: the tolerance grows with the number of chains (here 4)
    pytest.param(_torch("LSTM", proj_size=3, num_layers=2, bidirectional=True),
                 "lstm_proj_2layers_bidirectional", "float64", id="LSTM-proj-L2-bi"),
    pytest.param(_torch("LSTM", proj_size=1, num_layers=3, bias=False, batch_first=True),
                 "lstm_proj_nobias_3layers", "float32", id="LSTM-proj-L3-nobias-bf"),
    pytest.param(_torch("GRU", bidirectional=True), "gru_bidirectional", "float32", id="GRU-bi"),
    pytest.param(_torch("GRU", num_layers=3, bidirectional=True), "gru_3layers_bidirectional",
                 "float64", id="GRU-L3-bi"),
    pytest.param(_torch("GRU", num_layers=2, bias=False, batch_first=True),
                 "gru_nobias_2layers", "float32", id="GRU-L2-nobias-bf"),
    pytest.param(DeepBiGRU, "gru_2layers_bidirectional", "float64", id="user-class"),
    pytest.param(deep_lstm, "lstm_nobias_3layers", "float32", id="user-factory"),
    pytest.param(lstm_in_eval_mode, "lstm_2layers", "float64", id="dropout-in-eval-mode"),
]


@pytest.mark.parametrize("factory, spec, dtype", CONFIGS)
def test_every_configuration_conforms_to_its_spec(factory, spec, dtype):
    result = seqcheck.verify(factory, dtype=dtype, max_examples=8)
    assert result.ok, result.format_text()
    assert result.gradients and result.dtype == dtype
    assert result.spec == spec == layout_for(factory).spec().name


def test_a_projection_is_held_at_the_size_it_was_recognised_at():
    # torch requires proj_size < hidden_size, and a factory may derive one from the other,
    # so H is the probe's and P the factory's; D still varies.
    target = TorchTarget(_torch("LSTM", proj_size=2, num_layers=2))
    assert target.fixed_sizes(target.default_spec()) == {"H": 5, "P": 2}
    assert target.default_spec() is target.layout.spec()


# -- recognition ------------------------------------------------------------------------
class NoBiasRNN(torch.nn.Module):
    """torch's sequence names without biases: a bias-free one-layer RNN (duck typing)."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.weight_ih_l0 = torch.nn.Parameter(torch.zeros(hidden_size, input_size))
        self.weight_hh_l0 = torch.nn.Parameter(torch.zeros(hidden_size, hidden_size))


BI2 = ("h_l0", "h_l0_reverse", "h_l1", "h_l1_reverse")
RECOGNISED = [
    # module, layout class, spec, per-step outputs, states
    pytest.param(lambda: torch.nn.LSTM(D, H, num_layers=2, bidirectional=True), SequenceLayout,
                 "lstm_2layers_bidirectional", ("h_l1", "h_l1_reverse"),
                 BI2 + tuple("c" + s[1:] for s in BI2), id="LSTM-L2-bi"),
    pytest.param(lambda: torch.nn.GRU(D, H, num_layers=3), SequenceLayout, "gru_3layers",
                 ("h_l2",), ("h_l0", "h_l1", "h_l2"), id="GRU-L3"),
    pytest.param(lambda: torch.nn.RNN(D, H, nonlinearity="relu", bias=False,
                                      bidirectional=True), SequenceLayout,
                 "rnn_torch_relu_nobias_bidirectional", ("h_l0", "h_l0_reverse"),
                 ("h_l0", "h_l0_reverse"), id="RNN-relu-nobias-bi"),
    pytest.param(lambda: torch.nn.LSTM(D, H, proj_size=2), SequenceLayout, "lstm_proj",
                 ("h",), ("h", "c"), id="LSTM-proj"),
    pytest.param(lambda: torch.nn.RNNCell(D, H, nonlinearity="relu"), CellLayout,
                 "rnn_torch_relu", ("h",), ("h",), id="RNNCell-relu"),
    pytest.param(lambda: torch.nn.LSTMCell(D, H, bias=False), CellLayout, "lstm_nobias",
                 ("h", "c"), ("h", "c"), id="LSTMCell-nobias"),
    pytest.param(lambda: DeepBiGRU(D, H), SequenceLayout, "gru_2layers_bidirectional",
                 ("h_l1", "h_l1_reverse"), BI2, id="user-class"),
    pytest.param(lambda: NoBiasRNN(D, H), SequenceLayout, "rnn_torch_nobias", ("h",), ("h",),
                 id="duck-nobias"),
]


@pytest.mark.parametrize("make, kind, spec, outputs, states", RECOGNISED)
def test_recognition_of_configurations(make, kind, spec, outputs, states):
    module = _build(make)
    layout = layout_for(module)
    assert type(layout) is kind and layout.factory is type(module)
    assert (layout.spec_name, layout.outputs, layout.states) == (spec, outputs, states)
    built = layout.spec()
    assert built.name == spec and set(built.params) == set(layout.params)
    assert set(outputs) | set(states) <= set(built.variables)
    # the spec's state shapes are the layout's state sizes
    sizes = {"D": D, "H": H, "P": getattr(module, "proj_size", 0)}
    declared = {s: str(built.states[s].shape[0]) for s in states}
    assert {s: sizes[d] for s, d in declared.items()} == layout.state_sizes(module)
    # torch's class rebuilds the same configuration at other sizes (torch's keywords)
    again = layout.make(2, 6)
    assert layout_for(again) == layout and layout.sizes(again) == (2, 6)


@pytest.mark.parametrize("target", [DeepBiGRU, deep_lstm], ids=["user-class", "factory"])
def test_a_class_or_factory_is_recognised_by_what_it_builds(target):
    layout = layout_for(target)
    assert layout.factory is target
    module = layout.make(D, H, "float32")
    assert layout_for(module) == replace(layout, factory=type(module))
    assert next(module.parameters()).dtype == torch.float32


def test_blocks_sit_in_torchs_tensors_by_layer_and_direction():
    # torch documents weight_ih_l{k}[_reverse] as (W_ii|W_if|W_ig|W_io) of layer k, and
    # weight_hr_l{k} as the projection of layer k; layer 1 reads both halves of layer 0.
    module = _build(lambda: torch.nn.LSTM(D, H, num_layers=2, bidirectional=True,
                                          proj_size=2).double())
    layout = layout_for(module)
    rng = np.random.default_rng(0)
    params = {n: rng.uniform(-1, 1, a.shape) for n, a in layout.get_params(module).items()}
    assert params["W_ii_l1_reverse"].shape == (H, 2 * 2) and params["W_hr_l1"].shape == (2, H)
    layout.set_params(module, params)
    for k in range(2):
        for sfx in (f"_l{k}", f"_l{k}_reverse"):
            w_ih = getattr(module, "weight_ih" + sfx).detach().numpy()
            for g, gate in enumerate("ifco"):
                np.testing.assert_array_equal(w_ih[g * H:(g + 1) * H], params[f"W_i{gate}{sfx}"])
            np.testing.assert_array_equal(getattr(module, "weight_hr" + sfx).detach().numpy(),
                                          params["W_hr" + sfx])
    back = layout.get_params(module)
    assert set(back) == set(params)
    for name, value in params.items():
        np.testing.assert_array_equal(back[name], value, err_msg=name)


# -- (b) an independent NumPy forward from torch's documentation --------------------------
def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _documented_forward(kind: str, w: dict, x, h0, c0, layers: int, dirs: int,
                        nonlinearity: str = "tanh"):
    """torch.nn.RNN / LSTM / GRU as torch documents them, on torch's own tensors.

    Layer k > 0 reads the concatenated outputs of both directions of layer k - 1; the
    backward direction runs t = T..1; row ``k * dirs + d`` of h_0/h_n belongs to layer k,
    direction d. With weight_hr_l{k}, an LSTM's h_t is W_hr (o_t * tanh(c_t)).

    Arguments:
        w: ``{torch parameter name: array}``; x: (T, B, D); h0, c0: (layers * dirs, B, n).
    Returns:
        output (T, B, dirs * n), h_n, c_n (None but for an LSTM), and every layer's
        per-direction outputs ``[[(T, B, n)] * dirs] * layers``.
    """
    T = x.shape[0]
    inp, h_n, c_n, per_layer = x, [], [], []
    for k in range(layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            h, c = h0[k * dirs + d], (c0[k * dirs + d] if kind == "LSTM" else None)
            seq = np.zeros((T, *h.shape))
            for t in (range(T - 1, -1, -1) if d else range(T)):
                gi = inp[t] @ w["weight_ih" + sfx].T + w.get("bias_ih" + sfx, 0.0)
                gh = h @ w["weight_hh" + sfx].T + w.get("bias_hh" + sfx, 0.0)
                if kind == "LSTM":
                    i, f, g, o = np.split(gi + gh, 4, axis=-1)
                    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                    h = _sigmoid(o) * np.tanh(c)
                    if "weight_hr" + sfx in w:
                        h = h @ w["weight_hr" + sfx].T
                elif kind == "GRU":
                    (ir, iz, i_n), (hr, hz, h_n_) = np.split(gi, 3, -1), np.split(gh, 3, -1)
                    r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
                    h = (1 - z) * np.tanh(i_n + r * h_n_) + z * h
                else:
                    h = np.tanh(gi + gh) if nonlinearity == "tanh" else np.maximum(gi + gh, 0)
                seq[t] = h
            outs.append(seq)
            h_n.append(h)
            c_n.append(c)
        per_layer.append(outs)
        inp = np.concatenate(outs, axis=-1)
    return inp, np.stack(h_n), (np.stack(c_n) if kind == "LSTM" else None), per_layer


_COMPILED: dict = {}


def _compiled(spec):
    if spec.name not in _COMPILED:
        _COMPILED[spec.name] = compile_numpy(spec)
    return _COMPILED[spec.name]


@st.composite
def stacked_modules(draw):
    """A torch.nn.RNN, LSTM or GRU in a drawn configuration, float64, and its sizes."""
    kind = draw(st.sampled_from(["LSTM", "GRU", "RNN"]))
    layers, bidirectional = draw(st.integers(1, 3)), draw(st.booleans())
    hidden = draw(st.integers(2, 4))
    kwargs = dict(num_layers=layers, bidirectional=bidirectional, bias=draw(st.booleans()))
    if kind == "LSTM" and draw(st.booleans()):
        kwargs["proj_size"] = draw(st.integers(1, hidden - 1))
    if kind == "RNN":
        kwargs["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    inputs = draw(st.integers(1, 4))
    module = _build(lambda: getattr(torch.nn, kind)(inputs, hidden, **kwargs).double())
    return kind, kwargs, module


@settings(max_examples=12, deadline=None)
@given(drawn=stacked_modules(), T=st.integers(1, 4), B=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_layout_and_spec_match_torchs_documented_equations(drawn, T, B, seed):
    kind, kwargs, module = drawn
    layout = layout_for(module)
    rng = np.random.default_rng(seed)
    params = {n: rng.uniform(-1, 1, a.shape) for n, a in layout.get_params(module).items()}
    layout.set_params(module, params)
    D_in = layout.sizes(module)[0]
    x = rng.normal(size=(T, B, D_in))
    initial = {s: rng.uniform(-1, 1, (B, n)) for s, n in layout.state_sizes(module).items()}

    # torch's h_0 rows, packed here by the documented rule: row k * dirs + d
    layers, dirs = kwargs["num_layers"], 1 + kwargs["bidirectional"]
    names = [("" if (layers, dirs) == (1, 1) else f"_l{k}" + ("_reverse" if d else ""))
             for k in range(layers) for d in range(dirs)]
    h0 = np.stack([initial["h" + sfx] for sfx in names])
    c0 = np.stack([initial["c" + sfx] for sfx in names]) if kind == "LSTM" else None
    weights = {n: p.detach().numpy() for n, p in module.named_parameters()}
    out, h_n, c_n, per_layer = _documented_forward(kind, weights, x, h0, c0, layers, dirs,
                                                   kwargs.get("nonlinearity", "tanh"))
    tol = dict(rtol=1e-12, atol=1e-12)

    # the layout's run(): torch itself, its output split and its h_n/c_n rows named
    per_step, final = layout.run(module, torch.from_numpy(x),
                                 {s: torch.from_numpy(v) for s, v in initial.items()})
    n = out.shape[-1] // dirs
    for d, sfx in enumerate(names[-dirs:]):
        np.testing.assert_allclose(per_step["h" + sfx].detach().numpy(),
                                   out[..., d * n:(d + 1) * n], **tol, err_msg=f"run h{sfx}")
    for row, sfx in enumerate(names):
        np.testing.assert_allclose(final["h" + sfx].detach().numpy(), h_n[row], **tol,
                                   err_msg=f"run final h{sfx}")
        if kind == "LSTM":
            np.testing.assert_allclose(final["c" + sfx].detach().numpy(), c_n[row], **tol,
                                       err_msg=f"run final c{sfx}")

    # the spec (compose.stacked of the cell spec, varied), on the spec-named parameters
    traj = _compiled(layout.spec())(params, {"x": x}, initial=initial)
    for row, sfx in enumerate(names):
        np.testing.assert_allclose(traj["h" + sfx], per_layer[row // dirs][row % dirs], **tol,
                                   err_msg=f"spec h{sfx} at every step")
        np.testing.assert_allclose(traj.final["h" + sfx], h_n[row], **tol,
                                   err_msg=f"spec final h{sfx}")
        if kind == "LSTM":
            np.testing.assert_allclose(traj.final["c" + sfx], c_n[row], **tol,
                                       err_msg=f"spec final c{sfx}")


def test_the_documented_forward_can_fail():
    # Meta-test: the oracle above tells the directions apart (a layout that mixed them up
    # would be caught): swapping the reverse chain's weights with the forward's changes h_n.
    module = _build(lambda: torch.nn.GRU(D, H, bidirectional=True).double())
    w = {n: p.detach().numpy() for n, p in module.named_parameters()}
    swapped = {(n.removesuffix("_reverse") if n.endswith("_reverse") else n + "_reverse"): v
               for n, v in w.items()}
    x = np.random.default_rng(1).normal(size=(3, 2, D))
    zero = np.zeros((2, 2, H))
    _, h_n, _, _ = _documented_forward("GRU", w, x, zero, None, 1, 2)
    _, h_swapped, _, _ = _documented_forward("GRU", swapped, x, zero, None, 1, 2)
    assert np.max(np.abs(h_n - h_swapped)) > 1e-3


# -- (c) planted defects -----------------------------------------------------------------
class SwappedHalves(torch.nn.LSTM):
    """Returns the backward direction's h where the forward one belongs, and vice versa."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size, num_layers=2, bidirectional=True)

    def forward(self, x, hx):
        out, last = super().forward(x, hx)
        n = self.hidden_size
        return torch.cat([out[..., n:], out[..., :n]], dim=-1), last


class ReversedLayers(torch.nn.LSTM):
    """Returns h_n with its layers in reverse order (each layer's two directions kept)."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size, num_layers=2, bidirectional=True)

    def forward(self, x, hx):
        out, (h_n, c_n) = super().forward(x, hx)
        flipped = h_n.reshape(2, 2, *h_n.shape[1:]).flip(0).reshape(h_n.shape)
        return out, (flipped, c_n)


class TrainingDropout(torch.nn.LSTM):
    """dropout=0 as far as torch knows, but drops half of the output in training mode."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size, num_layers=2)

    def forward(self, x, hx):
        out, last = super().forward(x, hx)
        return torch.nn.functional.dropout(out, 0.5, self.training), last


DEFECTS = [
    pytest.param(SwappedHalves, "output h_l1", id="swapped-direction-halves"),
    pytest.param(ReversedLayers, "final state h_l0", id="reversed-layers-of-h_n"),
    pytest.param(TrainingDropout, "output h_l1", id="dropout-in-training-mode"),
]


@pytest.mark.parametrize("defect, first", DEFECTS)
def test_planted_defects_do_not_conform(defect, first):
    result = seqcheck.verify(defect, dtype="float64", max_examples=10)
    assert not result.ok
    assert result.check.divergences[0].what == first, result.format_text()


def test_a_module_is_run_in_its_own_mode():
    # The same dropping module conforms in eval mode, where F.dropout is the identity.
    module = _build(lambda: TrainingDropout(D, H).double().eval())
    assert seqcheck.verify(module, max_examples=5).ok
    assert not module.training


def test_dropout_between_layers_in_training_mode_is_refused_before_running():
    with pytest.raises(SeqcheckError, match="has dropout=0.5 and is in training mode"):
        seqcheck.verify(_torch("GRU", num_layers=2, dropout=0.5), max_examples=2)


# -- (d) instances ------------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_an_instance_keeps_its_sizes_and_is_left_untouched(training):
    gru = _build(lambda: torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double())
    gru.train(training)
    gru.weight_hh_l1_reverse.requires_grad_(False)
    before = {n: p.detach().numpy().tobytes() for n, p in gru.named_parameters()}
    flags = {n: p.requires_grad for n, p in gru.named_parameters()}
    target = TorchTarget(gru)
    assert target.fixed_sizes(target.default_spec()) == {"D": 3, "H": 4}

    result = seqcheck.verify(gru, max_examples=8)
    assert result.ok and result.dtype == "float64", result.format_text()
    assert result.spec == "gru_2layers_bidirectional"
    assert {n: p.detach().numpy().tobytes() for n, p in gru.named_parameters()} == before
    assert {n: p.requires_grad for n, p in gru.named_parameters()} == flags
    assert all(p.grad is None for p in gru.parameters())
    assert gru.training is training


def test_a_defective_instance_is_shrunk_at_its_own_sizes():
    module = _build(lambda: SwappedHalves(3, 4).double())
    result = seqcheck.verify(module, max_examples=5)
    assert not result.ok
    assert dict(result.counterexample.sizes) == {"D": 3, "H": 4}


def test_identify_finds_torchs_gate_order_in_a_stacked_module():
    module = _build(lambda: torch.nn.GRU(D, H, num_layers=2, bidirectional=True).double())
    found = identify(module, max_examples=3)
    assert [(c.spec, c.order) for c in found.matches] == [("gru_2layers_bidirectional",
                                                           ("r", "z", "n"))]
