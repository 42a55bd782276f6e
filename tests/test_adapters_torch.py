"""Layouts of torch.nn recurrent modules (seqcheck.adapters.torch_nn) against the specs.

Oracle: each spec compiled by compile_numpy, forward and derived backward (themselves
checked against independent oracles in test_catalogue_*.py and test_gradients.py). Every
layout runs torch's own module (or a hand-written one with torch's names) in float64 on
random, per-block distinct parameters; then recognition, and every rejection message.
"""

import subprocess
import sys
from functools import cache

import numpy as np
import pytest
import torch

from seqcheck import SeqcheckError, load_spec
from seqcheck.adapters import CellLayout, SequenceLayout, layout_for
from seqcheck.backends import compile_numpy

D, H, T, B = 3, 4, 5, 2  # H != D, so a transposed block cannot fit


pytestmark = pytest.mark.usefixtures("torch_one_thread")


# -- hand-written modules with torch's parameter names (duck typing) --------------------
def _parameters(module, k: int, input_size: int, hidden_size: int, suffix: str = "") -> None:
    shapes = {"weight_ih": (k * hidden_size, input_size), "weight_hh": (k * hidden_size,
              hidden_size), "bias_ih": (k * hidden_size,), "bias_hh": (k * hidden_size,)}
    for stem, shape in shapes.items():
        setattr(module, stem + suffix, torch.nn.Parameter(torch.rand(shape) - 0.5))


class HandLSTMCell(torch.nn.Module):
    """torch.nn.LSTMCell written out, as a user would; swap_if exchanges gates i and f."""

    def __init__(self, input_size, hidden_size, swap_if=False):
        super().__init__()
        _parameters(self, 4, input_size, hidden_size)
        self.swap_if = swap_if

    def forward(self, x, hx):
        h, c = hx
        pre = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        i, f, g, o = pre.chunk(4, dim=1)
        if self.swap_if:
            i, f = f, i
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class HandGRU(torch.nn.Module):
    """torch.nn.GRU (one layer, batch-first) written out as a loop over steps."""

    batch_first = True

    def __init__(self, input_size, hidden_size):
        super().__init__()
        _parameters(self, 3, input_size, hidden_size, "_l0")

    def forward(self, x, hx):
        h, outs = hx[0], []
        for x_t in x.unbind(1):
            xr, xz, xn = (x_t @ self.weight_ih_l0.T + self.bias_ih_l0).chunk(3, dim=1)
            hr, hz, hn = (h @ self.weight_hh_l0.T + self.bias_hh_l0).chunk(3, dim=1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            h = (1 - z) * torch.tanh(xn + r * hn) + z * h
            outs.append(h)
        return torch.stack(outs, dim=1), h.unsqueeze(0)


class MyLSTMCell(torch.nn.LSTMCell):
    """A user's subclass of torch's cell: torch's math under another class."""


# -- running a layout against its spec ----------------------------------------------
TARGETS = [
    pytest.param(lambda: torch.nn.RNNCell(D, H), id="RNNCell"),
    pytest.param(lambda: torch.nn.LSTMCell(D, H), id="LSTMCell"),
    pytest.param(lambda: torch.nn.GRUCell(D, H), id="GRUCell"),
    pytest.param(lambda: torch.nn.RNN(D, H), id="RNN"),
    pytest.param(lambda: torch.nn.LSTM(D, H), id="LSTM"),
    pytest.param(lambda: torch.nn.GRU(D, H), id="GRU"),
    pytest.param(lambda: torch.nn.RNN(D, H, batch_first=True), id="RNN-batch_first"),
    pytest.param(lambda: torch.nn.LSTM(D, H, batch_first=True), id="LSTM-batch_first"),
    pytest.param(lambda: torch.nn.GRU(D, H, batch_first=True), id="GRU-batch_first"),
    pytest.param(lambda: MyLSTMCell(D, H), id="subclass-MyLSTMCell"),
    pytest.param(lambda: HandLSTMCell(D, H), id="duck-HandLSTMCell"),
    pytest.param(lambda: HandGRU(D, H), id="duck-HandGRU"),
]


@cache
def _compiled(spec_name: str, states: tuple[str, ...]):
    return compile_numpy(load_spec(spec_name), gradients=True, seeded=states)


def _case(layout, seed: int) -> dict:
    """Random parameters (each block its own draw), inputs, initial states and seeds."""
    rng = np.random.default_rng(seed)
    size = {"D": D, "H": H}
    spec = load_spec(layout.spec_name)
    params = {n: rng.uniform(-1, 1, [size[str(s)] for s in d.shape])
              for n, d in spec.params.items()}
    return {
        "params": params,
        "x": rng.normal(size=(T, B, D)),
        "initial": {s: rng.uniform(-1, 1, (B, H)) for s in layout.states},
        "seeds": {s: rng.normal(size=(T, B, H)) for s in layout.states},
    }


def _build(make) -> torch.nn.Module:
    with torch.random.fork_rng(devices=[]):
        return make().double()


def _check_against_spec(module, seed: int = 0) -> None:
    """Forward (1e-12) and gradients of a random projection (1e-10): module vs spec."""
    layout = layout_for(module)
    case = _case(layout, seed)
    layout.set_params(module, case["params"])
    x = torch.tensor(case["x"], requires_grad=True)
    initial = {s: torch.tensor(v, requires_grad=True) for s, v in case["initial"].items()}
    per_step, final = layout.run(module, x, initial)

    # L = sum_t <P_v,t, v_t> over what is seen per step, + <P_s,T, s_T> for a state seen
    # only at the end; the spec takes the same loss as seeds zero before step T.
    loss, seeds = 0, {}
    for s in layout.states:
        P = case["seeds"][s]
        if s in layout.outputs:
            loss = loss + (per_step[s] * torch.from_numpy(P)).sum()
            seeds[s] = P
        else:
            loss = loss + (final[s] * torch.from_numpy(P[-1])).sum()
            seeds[s] = np.where(np.arange(T)[:, None, None] == T - 1, P, 0.0)
    loss.backward()

    compiled = _compiled(layout.spec_name, layout.states)
    traj = compiled.forward(case["params"], {"x": case["x"]}, initial=case["initial"])
    tol = dict(rtol=1e-12, atol=1e-12)
    for v in layout.outputs:
        np.testing.assert_allclose(per_step[v].detach().numpy(), traj[v], **tol,
                                   err_msg=f"{v}_t")
    for s in layout.states:
        np.testing.assert_allclose(final[s].detach().numpy(), traj.final[s], **tol,
                                   err_msg=f"{s}_T")

    g = compiled.backward(traj, seeds)
    tol = dict(rtol=1e-10, atol=1e-10)
    grads = layout.grads(module)
    assert set(grads) == set(g.params)
    for name, expected in g.params.items():
        np.testing.assert_allclose(grads[name], expected, **tol, err_msg=f"dL/d{name}")
    np.testing.assert_allclose(x.grad.numpy(), g.inputs["x"], **tol, err_msg="dL/dx")
    for s in layout.states:
        np.testing.assert_allclose(initial[s].grad.numpy(), g.initial[s], **tol,
                                   err_msg=f"dL/d{s}_0")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("make", TARGETS)
def test_layout_runs_module_as_its_spec(make, seed):
    _check_against_spec(_build(make), seed)


def test_the_spec_comparison_can_fail():
    # Meta-test: a cell with gates i and f exchanged is recognised as an LSTM cell, and
    # the comparison above catches it.
    with pytest.raises(AssertionError, match="h_t"):
        _check_against_spec(_build(lambda: HandLSTMCell(D, H, swap_if=True)))


@pytest.mark.parametrize("make", TARGETS)
def test_set_params_round_trips_exactly(make):
    module = _build(make)
    layout = layout_for(module)
    params = _case(layout, 2)["params"]
    layout.set_params(module, params)
    back = layout.get_params(module)
    assert set(back) == set(params) == set(load_spec(layout.spec_name).params)
    for name, value in params.items():
        assert back[name].dtype == np.float64
        np.testing.assert_array_equal(back[name], value, err_msg=name)


# torch documents weight_ih_l0 as (W_ii|W_if|W_ig|W_io) and (W_ir|W_iz|W_in).
TORCH_ORDER = {"lstm": ["W_ii", "W_if", "W_ic", "W_io"], "gru": ["W_ir", "W_iz", "W_in"],
               "rnn_torch": ["W_ih"]}


@pytest.mark.parametrize("make", TARGETS[:6])
def test_blocks_sit_where_torch_documents_them(make):
    module = _build(make)
    layout = layout_for(module)
    params = _case(layout, 3)["params"]
    layout.set_params(module, params)
    torch_name, names = layout.tensors[0]
    assert torch_name == ("weight_ih_l0" if isinstance(layout, SequenceLayout) else "weight_ih")
    assert list(names) == TORCH_ORDER[layout.spec_name]
    weight_ih = getattr(module, torch_name).detach().numpy()
    for k, name in enumerate(TORCH_ORDER[layout.spec_name]):
        np.testing.assert_array_equal(weight_ih[k * H:(k + 1) * H], params[name], err_msg=name)


def test_float32_module_takes_and_gives_float64_arrays():
    layout = layout_for(torch.nn.GRUCell)
    cell = layout.make(D, H, torch.float32)
    params = _case(layout, 4)["params"]
    layout.set_params(cell, params)
    assert cell.weight_hh.dtype == torch.float32
    back = layout.get_params(cell)
    np.testing.assert_allclose(back["W_hz"], params["W_hz"], rtol=1e-7)
    assert back["W_hz"].dtype == np.float64


# -- recognition ----------------------------------------------------------------------
RECOGNISED = [
    # target, layout class, spec, per-step outputs, states, batch_first
    (torch.nn.RNNCell, CellLayout, "rnn_torch", ("h",), ("h",), False),
    (torch.nn.LSTMCell, CellLayout, "lstm", ("h", "c"), ("h", "c"), False),
    (torch.nn.GRUCell, CellLayout, "gru", ("h",), ("h",), False),
    (torch.nn.RNN, SequenceLayout, "rnn_torch", ("h",), ("h",), False),
    (torch.nn.LSTM, SequenceLayout, "lstm", ("h",), ("h", "c"), False),
    (torch.nn.GRU, SequenceLayout, "gru", ("h",), ("h",), False),
    (MyLSTMCell, CellLayout, "lstm", ("h", "c"), ("h", "c"), False),
    (HandLSTMCell, CellLayout, "lstm", ("h", "c"), ("h", "c"), False),
    (HandGRU, SequenceLayout, "gru", ("h",), ("h", ), True),
]


@pytest.mark.parametrize("as_instance", [False, True], ids=["class", "instance"])
@pytest.mark.parametrize("target, kind, spec, outputs, states, batch_first", RECOGNISED,
                         ids=[r[0].__name__ for r in RECOGNISED])
def test_recognition(target, kind, spec, outputs, states, batch_first, as_instance):
    layout = layout_for(target(D, H) if as_instance else target)
    assert type(layout) is kind
    assert (layout.spec_name, layout.outputs, layout.states) == (spec, outputs, states)
    assert layout.factory is target
    assert getattr(layout, "batch_first", False) is batch_first
    module = layout.make(D, H)
    assert type(module) is target and layout.sizes(module) == (D, H)
    assert layout_for(module) == layout


def test_a_factory_is_recognised_by_what_it_builds():
    def factory(input_size, hidden_size):
        return HandLSTMCell(input_size, hidden_size)

    layout = layout_for(factory)
    assert layout == CellLayout(layout_for(HandLSTMCell).family, factory)
    assert layout.target == "factory"
    module = layout.make(D, H, "float32")
    assert type(module) is HandLSTMCell and module.weight_ih.dtype == torch.float32


def test_a_batch_first_instance_makes_batch_first_modules():
    layout = layout_for(torch.nn.LSTM(D, H, batch_first=True))
    assert layout == SequenceLayout(layout.family, torch.nn.LSTM, batch_first=True)
    assert layout.make(2, 7).batch_first is True
    assert layout.target == "torch.nn.LSTM"


# -- what is refused, message by message --------------------------------------------
SUPPORTED = ("supported: torch.nn.RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU (any num_layers, "
             "bidirectional, batch_first, bias, nonlinearity, proj_size; dropout only in eval "
             "mode), their subclasses, and modules with their parameter names and shapes")
NAMES = ("a torch layout needs exactly weight_ih, weight_hh, bias_ih, bias_hh (a cell, called "
         "as module(x_t, hx)) or weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (a sequence "
         "module, called as module(x, hx)), the biases only with bias=True, and for a sequence "
         "module the same for every layer k (_l{k}) and direction (_l{k}_reverse), with "
         "weight_hr_l{k} for an LSTM's projection")


class Broken(torch.nn.Module):
    """torch's cell names, but an LSTM's input weights beside a GRU's recurrent ones."""

    def __init__(self):
        super().__init__()
        self.weight_ih = torch.nn.Parameter(torch.zeros(4 * H, D))
        self.weight_hh = torch.nn.Parameter(torch.zeros(3 * H, H))
        self.bias_ih = torch.nn.Parameter(torch.zeros(4 * H))
        self.bias_hh = torch.nn.Parameter(torch.zeros(4 * H))


class Scaled(HandLSTMCell):
    """An LSTM cell with a parameter torch's layout does not have."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.scale = torch.nn.Parameter(torch.ones(()))


class Duck(torch.nn.Module):
    """Parameters with the given names and shapes, and the given attributes; no forward."""

    def __init__(self, shapes: dict, **attributes):
        super().__init__()
        for name, shape in shapes.items():
            setattr(self, name, torch.nn.Parameter(torch.zeros(shape)))
        for name, value in attributes.items():
            setattr(self, name, value)


def _chain(k: int, sfx: str, width: int, hidden: int = H, bias: bool = True) -> dict:
    """One chain's tensors: k blocks of ``hidden`` rows reading ``width`` inputs."""
    shapes = {f"weight_ih{sfx}": (k * hidden, width), f"weight_hh{sfx}": (k * hidden, hidden)}
    if bias:
        shapes |= {f"bias_ih{sfx}": (k * hidden,), f"bias_hh{sfx}": (k * hidden,)}
    return shapes


class NeedsThree(torch.nn.Module):
    def __init__(self, input_size, hidden_size, layers):
        super().__init__()


class SwappedSizes(torch.nn.LSTMCell):
    def __init__(self, input_size, hidden_size):
        super().__init__(hidden_size, input_size)


class LSTMShapedLikeGRU(torch.nn.LSTMCell):
    """A subclass of torch's LSTM cell holding three blocks: not what torch.nn.LSTMCell is."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        _parameters(self, 3, input_size, hidden_size)


REFUSED = [
    pytest.param(
        lambda: torch.nn.LSTM(D, H, num_layers=2, dropout=0.5),
        "torch.nn.LSTM has dropout=0.5 and is in training mode: torch then zeroes a random "
        "part of every layer's output but the last, so its outputs are not a function of its "
        "inputs and cannot be held to a spec\n"
        "  hint: verify it in eval mode (module.eval(), a factory returning one), where torch "
        "applies no dropout, or with dropout=0", id="dropout-training"),
    pytest.param(
        lambda: Duck({"weight_ih_l0": (H, D), "weight_hh_l0": (H, H), "bias_ih_l0": (H,)}),
        "Duck has parameters weight_ih_l0, weight_hh_l0, bias_ih_l0: torch's names for a "
        "sequence module, but not all of them: bias_hh_l0 missing for 1 layer",
        id="one-bias"),
    pytest.param(
        lambda: Duck({**_chain(3, "_l0", D), **_chain(3, "_l1", H), **_chain(3, "_l1_reverse",
                                                                            H)}),
        "Duck has parameters weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l1, "
        "weight_hh_l1, bias_ih_l1, bias_hh_l1, weight_ih_l1_reverse, weight_hh_l1_reverse, "
        "bias_ih_l1_reverse, bias_hh_l1_reverse: torch's names for a sequence module, but not "
        "all of them: weight_ih_l0_reverse, weight_hh_l0_reverse, bias_ih_l0_reverse, "
        "bias_hh_l0_reverse missing for 2 layers, bidirectional", id="missing-direction"),
    pytest.param(
        lambda: Duck({**_chain(4, "_l0", D), **_chain(4, "_l0_reverse", D),
                      **_chain(4, "_l1", H), **_chain(4, "_l1_reverse", 2 * H)}),
        "Duck: parameter shapes do not fit torch's layout: weight_ih_l1 (16, 4), "
        "weight_hh_l1 (16, 4), bias_ih_l1 (16,), bias_hh_l1 (16,)\n"
        "  expected weight_ih_l1 (k*H, 2*H), weight_hh_l1 (k*H, H), bias_ih_l1 (k*H,), "
        "bias_hh_l1 (k*H,) with k = 4", id="layer-1-reads-one-direction"),
    pytest.param(
        lambda: Duck({**_chain(4, "_l0", D, bias=False), "weight_hr_l0": (2, H)}),
        "Duck: parameter shapes do not fit torch's layout: weight_ih_l0 (16, 3), "
        "weight_hh_l0 (16, 4), weight_hr_l0 (2, 4)\n"
        "  expected weight_ih_l0 (k*H, D), weight_hh_l0 (k*H, P), weight_hr_l0 (P, H) with "
        "k = 4 (LSTM), 3 (GRU) or 1 (RNN)", id="projection-not-read"),
    pytest.param(
        lambda: Duck({**_chain(3, "_l0", D), "weight_hh_l0": (3 * H, 2), "weight_hr_l0": (2, H)}),
        "Duck has weight_hr_l0, torch.nn.LSTM's projection, but its other parameters hold "
        "k = 3 blocks: only an LSTM (k = 4) has a projection", id="gru-with-projection"),
    pytest.param(
        lambda: Duck(_chain(3, "_l0", D), num_layers=2),
        "Duck has num_layers=2, but its parameters are those of num_layers=1",
        id="attribute-disagrees"),
    pytest.param(
        lambda: Duck(_chain(1, "", D), nonlinearity="gelu"),
        "Duck has nonlinearity='gelu'; supported: 'tanh' (spec rnn_torch) and 'relu' (spec "
        "rnn_torch_relu)", id="unknown-nonlinearity"),
    pytest.param(
        lambda: Duck(_chain(3, "", D), nonlinearity="relu"),
        "Duck has nonlinearity='relu', but its parameters are a GRU's: only torch.nn.RNN and "
        "RNNCell choose a nonlinearity", id="gru-with-relu"),
    pytest.param(
        Broken,
        "Broken: parameter shapes do not fit torch's layout: weight_ih (16, 3), "
        "weight_hh (12, 4), bias_ih (16,), bias_hh (16,)\n"
        "  expected weight_ih (k*H, D), weight_hh (k*H, H), bias_ih (k*H,), bias_hh (k*H,) "
        "with k = 4 (LSTM), 3 (GRU) or 1 (RNN)", id="wrong-shape"),
    pytest.param(
        lambda: LSTMShapedLikeGRU(D, H),
        "LSTMShapedLikeGRU: parameter shapes do not fit torch's layout: weight_ih (12, 3), "
        "weight_hh (12, 4), bias_ih (12,), bias_hh (12,)\n"
        "  expected weight_ih (k*H, D), weight_hh (k*H, H), bias_ih (k*H,), bias_hh (k*H,) "
        "with k = 4", id="subclass-wrong-blocks"),
    pytest.param(
        lambda: Scaled(D, H),
        f"Scaled has parameters weight_ih, weight_hh, bias_ih, bias_hh, scale; {NAMES}; "
        f"{SUPPORTED}", id="extra-parameter"),
    pytest.param(
        lambda: torch.nn.Linear(D, H),
        f"torch.nn.Linear has parameters weight, bias; {NAMES}; {SUPPORTED}",
        id="not-recurrent"),
    pytest.param(
        lambda: 42,
        "expected a torch.nn.Module, its class, or a factory called as target(input_size, "
        f"hidden_size); got int; {SUPPORTED}", id="not-a-module"),
    pytest.param(
        lambda: dict,
        f"dict is not a torch.nn.Module; {SUPPORTED}", id="class-not-a-module"),
    pytest.param(
        lambda: NeedsThree,
        "could not build NeedsThree(3, 5): TypeError: NeedsThree.__init__() missing 1 "
        "required positional argument: 'layers'\n"
        "  hint: a target class or factory is called as target(input_size, hidden_size); "
        "otherwise pass an instance", id="class-constructor"),
    pytest.param(
        lambda: SwappedSizes,
        "SwappedSizes(3, 5) built a module with input size 5, hidden size 3; a target class "
        "or factory must take (input_size, hidden_size)", id="class-swapped-sizes"),
    pytest.param(
        lambda: lambda d, h: torch.zeros(d, h),
        "<lambda>(3, 5) returned Tensor, not a torch.nn.Module", id="factory-not-a-module"),
]


@pytest.mark.parametrize("make, message", REFUSED)
def test_unsupported_targets_are_refused(make, message):
    with pytest.raises(SeqcheckError) as info:
        layout_for(make())
    assert str(info.value).splitlines() == message.splitlines()


def test_set_params_refuses_wrong_names_and_shapes():
    layout = layout_for(torch.nn.GRUCell)
    cell = layout.make(D, H)
    params = _case(layout, 5)["params"]
    wrong = {**{k: v for k, v in params.items() if k != "b_hn"}, "b_h": params["b_hn"]}
    with pytest.raises(SeqcheckError) as info:
        layout.set_params(cell, wrong)
    assert str(info.value) == ("parameters for torch.nn.GRUCell (spec gru) do not match: "
                               "missing b_hn; unknown b_h")
    with pytest.raises(SeqcheckError) as info:
        layout.set_params(cell, {**params, "W_iz": params["W_iz"].T})
    assert str(info.value) == ("W_iz has shape (3, 4), but torch.nn.GRUCell holds it in "
                               "rows 4:8 of weight_ih, shape (4, 3)")


def test_run_refuses_missing_initial_state():
    layout = layout_for(torch.nn.LSTMCell)
    zero = torch.zeros(B, H, dtype=torch.float64)
    with pytest.raises(SeqcheckError) as info:
        layout.run(layout.make(D, H), torch.zeros(T, B, D).double(), {"h": zero})
    assert str(info.value) == "torch.nn.LSTMCell needs initial values for h, c; got h"


def test_grads_before_backward_is_an_error():
    layout = layout_for(torch.nn.RNN)
    with pytest.raises(SeqcheckError) as info:
        layout.grads(layout.make(D, H))
    assert str(info.value) == ("no parameter of this torch.nn.RNN has a gradient: call "
                               "backward on a loss of its outputs first")


def test_importing_the_adapters_does_not_import_torch():
    probe = ("import sys, seqcheck.adapters, seqcheck.adapters.torch_nn\n"
             "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
