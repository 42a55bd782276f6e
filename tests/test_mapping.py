"""Mapping files: any torch module held to a spec through a user-written mapping.

Oracles: tests/oracles/gated.py (plain-NumPy LSTMs written from the lectures) for values;
central differences of that oracle's projection loss for gradients; seqcheck.verify end to
end, where a planted gate swap or a wrong gate must be found; golden messages, line by
line, for every error kind. The fused cell and its mapping are the ones of
examples/mapping/ that docs/mapping.md walks through; so are the Keras- and flax-style
modules (quoted parameter paths, one bias holding the sum of the spec's two, other call
conventions), each run step by step against gated.lstm before it is verified, a sum's
gradients against central differences of that oracle, and each call convention with a
planted mismatch that must fail.
"""
# ruff: noqa: E501 -- golden message lines are compared whole

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import gated, rnn

import seqcheck
from seqcheck import SeqcheckError, SpecError, load_spec
from seqcheck.adapters.mapping import MappingError, MappingTarget, load_mapping, loads_mapping
from seqcheck.strategies import Case, cases

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "mapping"
EXAMPLE = EXAMPLES / "fused_lstm.toml"


def _load_example_module():
    spec = importlib.util.spec_from_file_location("fused_lstm", EXAMPLES / "fused_lstm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FusedLSTMCell = _load_example_module().FusedLSTMCell
ONE_BIAS = load_spec(EXAMPLES / "lstm_one_bias.toml")
SPEC_GATE = {"i": "i", "f": "f", "o": "o", "g": "c"}  # cell gate -> spec parameter letter


def fused_cell(order: str):
    """A FusedLSTMCell whose four column blocks hold the gates in ``order`` ("iofg" is the
    example's own order)."""

    class Cell(FusedLSTMCell):
        def forward(self, x, state):
            h, c = state
            z = torch.cat([x, h], dim=1) @ self.weight + self.bias
            gate = dict(zip(order, z.chunk(4, dim=1)))
            c = torch.sigmoid(gate["f"]) * c + torch.sigmoid(gate["i"]) * torch.tanh(gate["g"])
            return torch.sigmoid(gate["o"]) * torch.tanh(c), c

    return Cell


def fused_mapping(order: str) -> str:
    """The example's mapping, written for a fused cell with gate blocks in ``order``."""
    lines = ['spec = "lstm_one_bias.toml"', 'call = "cell"', 'states = ["h", "c"]', "[params]"]
    for k, g in enumerate(order):
        cols = f"{k}*H:{k + 1}*H"
        s = SPEC_GATE[g]
        lines += [f'W_i{s} = "weight[0:D, {cols}].T"', f'W_h{s} = "weight[D:D+H, {cols}].T"',
                  f'b_{s} = "bias[{cols}]"']
    return "\n".join(lines) + "\n"


def one_bias_oracle(params, x, initial):
    """gated.lstm (two biases per gate) with b_i* = the one bias and b_h* = 0."""
    p = dict(params)
    for g in "ifco":
        p[f"b_i{g}"] = p.pop(f"b_{g}")
        p[f"b_h{g}"] = np.zeros_like(p[f"b_i{g}"])
    return gated.lstm(p, x, initial)


def mapped(text: str, target=None, file: str = "fused.toml") -> MappingTarget:
    return MappingTarget(target or FusedLSTMCell,
                         loads_mapping(text, file=str(EXAMPLES / file)))


def assert_matches_oracle(observed, run, outputs, states, tol=1e-12):
    for v in outputs:
        np.testing.assert_allclose(observed.per_step[v], run.values[v], rtol=tol, atol=tol)
    for s in states:
        np.testing.assert_allclose(observed.final[s], run.final[s], rtol=tol, atol=tol)


# -- the example: a fused cell verified end to end ---------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_example_fused_cell_conforms(dtype):
    target = MappingTarget(FusedLSTMCell, EXAMPLE)
    result = seqcheck.verify(target, dtype=dtype, max_examples=15)
    assert result.ok, result.format_text()
    assert (result.spec, result.dtype, result.gradients) == ("lstm_one_bias", dtype, True)


def test_swapped_gate_blocks_in_the_mapping_are_found_and_explained():
    # the mapping reads the output gate's block as the forget gate's and back
    swapped = fused_mapping("ifog")
    result = seqcheck.verify(mapped(swapped, file="swapped.toml"), max_examples=15)
    assert not result.ok
    assert result.check.divergences, result.format_text()
    assert result.explanation.startswith("gates 'f' and 'o' exchange their parameters")


def test_a_wrong_gate_in_the_cell_is_found():
    class LeakyOutput(FusedLSTMCell):  # h = o * c: the tanh of the cell state is missing
        def forward(self, x, state):
            h, c = state
            i, o, f, g = (torch.cat([x, h], 1) @ self.weight + self.bias).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * c, c

    result = seqcheck.verify(MappingTarget(LeakyOutput, EXAMPLE), max_examples=15)
    assert not result.ok
    assert {d.what for d in result.check.divergences} >= {"output h"}
    assert "output c" not in {d.what for d in result.check.divergences}


# -- run() against the NumPy oracles -------------------------------------------------------
@settings(max_examples=25)
@given(case=cases(ONE_BIAS), order=st.permutations("iofg"))
def test_any_gate_order_runs_like_the_oracle(case, order):
    target = _fused_target("".join(order))
    observed = target.run(case, "float64", gradients=False)
    run = one_bias_oracle(case.params, case.inputs["x"], case.initial)
    assert_matches_oracle(observed, run, ("h", "c"), ("h", "c"))
    assert observed.params is None


@functools.cache
def _fused_target(order: str) -> MappingTarget:
    return mapped(fused_mapping(order), fused_cell(order))


SEED000 = '''spec = "lstm_seed000"
call = "cell"
build = ["d", "n"]
states = ["H", "C"]
[params]
W_xi = "weight[0:d, 0:n]"
W_hi = "weight[d:d+n, 0:n]"
W_xo = "weight[0:d, n:2*n]"
W_ho = "weight[d:d+n, n:2*n]"
W_xf = "weight[0:d, 2*n:3*n]"
W_hf = "weight[d:d+n, 2*n:3*n]"
W_xc = "weight[0:d, 3*n:4*n]"
W_hc = "weight[d:d+n, 3*n:4*n]"
b_i = "bias[0:n]"
b_o = "bias[n:2*n]"
b_f = "bias[2*n:3*n]"
b_c = "bias[3*n:4*n]"
'''


SEED000_SPEC = load_spec("lstm_seed000")


@functools.cache
def _seed000_target() -> MappingTarget:
    return mapped(SEED000)


@settings(max_examples=15)
@given(case=cases(SEED000_SPEC))
def test_the_same_cell_maps_onto_the_row_form_spec_without_transposes(case):
    # seed 000's row form X @ W_x: the fused weight's blocks as stored; dims d and n
    target = _seed000_target()
    assert target.default_spec().name == "lstm_seed000"
    assert (target.mapping.build, target.mapping.input) == (("d", "n"), "X")
    run = gated.lstm_seed000(dict(case.params), case.inputs["X"], dict(case.initial))
    assert_matches_oracle(target.run(case, "float64", False), run, ("H", "C"), ("H", "C"))


def _seed000_case(d, n, T, B, seed):
    """A case of moderate values (central differences stay accurate), all distinct."""
    rng = np.random.default_rng(seed)
    shapes = {p: (d if s[0] == "x" else n, n) for p, s in
              ((f"W_{k}{g}", k + g) for k in "xh" for g in "fioc")}
    shapes.update({f"b_{g}": (n,) for g in "fioc"})
    params = {p: rng.uniform(-1.5, 1.5, shape) for p, shape in shapes.items()}
    return Case({"d": d, "n": n}, T, B, params, {"X": rng.uniform(-2, 2, (T, B, d))},
                {s: rng.uniform(-1, 1, (B, n)) for s in "HC"},
                {s: rng.uniform(-1, 1, (T, B, n)) for s in "HC"})


def test_gradients_match_central_differences_of_the_oracle():
    case = _seed000_case(d=2, n=3, T=3, B=2, seed=1)
    observed = _seed000_target().run(case, "float64", gradients=True)

    def loss(params, X, initial):
        run = gated.lstm_seed000(params, X, initial)
        return sum(float((run.values[s] * case.seeds[s]).sum()) for s in "HC")

    def central(array, rebuild, eps=1e-6):
        out = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            hi, lo = array.copy(), array.copy()
            hi[idx] += eps
            lo[idx] -= eps
            out[idx] = (loss(*rebuild(hi)) - loss(*rebuild(lo))) / (2 * eps)
        return out

    params, X, initial = dict(case.params), case.inputs["X"], dict(case.initial)
    for name in params:
        fd = central(params[name], lambda a, n=name: ({**params, n: a}, X, initial))
        np.testing.assert_allclose(observed.params[name], fd, rtol=1e-6, atol=1e-8,
                                   err_msg=name)
    np.testing.assert_allclose(observed.x, central(X, lambda a: (params, a, initial)),
                               rtol=1e-6, atol=1e-8)
    for s in "HC":
        fd = central(initial[s], lambda a, s=s: (params, X, {**initial, s: a}))
        np.testing.assert_allclose(observed.initial[s], fd, rtol=1e-6, atol=1e-8, err_msg=s)


TORCH_LSTM = '''spec = "lstm"
call = "sequence"
states = ["h", "c"]
outputs = ["h"]
batch_first = {batch_first}
state_layer_axis = true
[params]
''' + "".join(f'{w}_{s}{g} = "{t}_{s}h_l0[{k}*H:{k + 1}*H]"\n'
              for w, t in (("W", "weight"), ("b", "bias")) for s in "ih"
              for k, g in enumerate("ifco"))


@functools.cache
def _torch_lstm_target(batch_first: bool) -> MappingTarget:
    def lstm(D, H):
        return torch.nn.LSTM(D, H, batch_first=batch_first)

    text = TORCH_LSTM.format(batch_first=str(batch_first).lower())
    return MappingTarget(lstm, loads_mapping(text, file="torch_lstm.toml"))


@pytest.mark.parametrize("batch_first", [False, True])
@settings(max_examples=15)
@given(case=cases(load_spec("lstm")))
def test_torch_lstm_as_a_sequence_target(batch_first, case):
    # torch's own LSTM through a mapping: called once, states (1, B, H), h every step
    target = _torch_lstm_target(batch_first)
    assert (target.outputs, target.states) == (("h",), ("h", "c"))
    observed = target.run(case, "float64", gradients=False)
    run = gated.lstm(dict(case.params), case.inputs["x"], dict(case.initial))
    assert_matches_oracle(observed, run, ("h",), ("h", "c"))


# -- integer indices, [fixed], one bare state ------------------------------------------
class PackedRNNCell(torch.nn.Module):
    """tanh RNN cell: one weight (D + H, H) on [x, h], both biases in one (2, H) tensor,
    and an output gain the spec does not have."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.W = torch.nn.Parameter(torch.randn(input_size + hidden_size, hidden_size))
        self.b = torch.nn.Parameter(torch.randn(2, hidden_size))
        self.gain = torch.nn.Parameter(torch.randn(hidden_size))

    def forward(self, x, h):
        return self.gain * torch.tanh(torch.cat([x, h], 1) @ self.W + self.b[0] + self.b[1])


PACKED = '''spec = "rnn_torch"
call = "cell"
states = ["h"]
[params]
W_ih = "W[0:D].T"
W_hh = "W[D:D+H].T"
b_ih = "b[0]"
b_hh = "b[1, :]"
[fixed]
gain = {gain}
'''


def test_integer_indices_and_fixed_tensors():
    ok = seqcheck.verify(mapped(PACKED.format(gain="1.0"), PackedRNNCell), max_examples=10)
    assert ok.ok, ok.format_text()
    # the fixed value is written before every run: a gain of 0.5 halves h
    off = seqcheck.verify(mapped(PACKED.format(gain="0.5"), PackedRNNCell), max_examples=10,
                          explain=False)
    d = off.check.divergences[0]
    assert not off.ok and d.actual == pytest.approx(0.5 * d.expected, rel=1e-6)


def test_a_call_convention_mismatch_is_a_finding():
    class TupleCell(PackedRNNCell):
        def forward(self, x, h):
            return (super().forward(x, h),)

    target = mapped(PACKED.format(gain="1.0"), TupleCell)
    case = Case(
        {"D": 1, "H": 2}, 1, 2, {"W_ih": np.ones((2, 1)), "W_hh": np.eye(2),
                                 "b_ih": np.zeros(2), "b_hh": np.zeros(2)},
        {"x": np.ones((1, 2, 1))}, {"h": np.zeros((2, 2))}, {"h": np.ones((1, 2, 2))})
    with pytest.raises(SeqcheckError) as info:
        target.run(case, "float64", gradients=False)
    assert str(info.value) == ("TupleCell(x_t, state) at step 1 is tuple; with one state (h) "
                               "the target takes and returns a bare tensor")
    result = seqcheck.verify(target, max_examples=5, explain=False)
    assert result.check.error.startswith("SeqcheckError: TupleCell(x_t, state) at step 1")


class LeakyRNNCell(torch.nn.Module):
    """Seed 000's leaky RNN in row form, with an output layer its cell call never returns,
    and the leak rate as a 0-d tensor or as a (1,) tensor."""

    def __init__(self, input_size, hidden_size, output_size, leak_shape=()):
        super().__init__()
        self.Wx = torch.nn.Parameter(torch.randn(input_size, hidden_size))
        self.Wh = torch.nn.Parameter(torch.randn(hidden_size, hidden_size))
        self.b = torch.nn.Parameter(torch.randn(hidden_size))
        self.out = torch.nn.Linear(hidden_size, output_size)
        self.leak = torch.nn.Parameter(torch.rand(leak_shape))

    def forward(self, x, h):
        alpha = self.leak.reshape(())
        return alpha * h + (1 - alpha) * torch.tanh(self.b + h @ self.Wh + x @ self.Wx)


LEAKY = '''spec = "leaky_rnn"
call = "cell"
build = ["D", "H", "C"]
states = ["h"]
[params]
W_xh = "Wx.T"
W_hh = "Wh.T"
W_ho = "out.weight"
b_h = "b"
b_o = "out.bias"
alpha = "{alpha}"
'''


@functools.cache
def _leaky_target(text: str, leak_shape: tuple) -> MappingTarget:
    return mapped(text, lambda D, H, C: LeakyRNNCell(D, H, C, leak_shape))


@pytest.mark.parametrize(("leak_shape", "alpha"), [((), "leak"), ((1,), "leak[0]")])
@settings(max_examples=10)
@given(case=cases(load_spec("leaky_rnn")))
def test_three_dims_and_a_scalar_parameter(leak_shape, alpha, case):
    # the oracle starts from h_0 = 0
    case = Case(case.sizes, case.steps, case.batch, case.params, case.inputs,
                {"h": np.zeros_like(case.initial["h"])}, case.seeds)
    text = LEAKY.format(alpha=alpha)
    target = _leaky_target(text, leak_shape)
    observed = target.run(case, "float64", gradients=True)
    assert_matches_oracle(observed, rnn.leaky_rnn(dict(case.params), case.inputs["x"]),
                          ("h",), ("h",))
    assert observed.params["alpha"].shape == ()
    np.testing.assert_array_equal(observed.params["W_ho"], 0)  # o is never observed
    instance = LeakyRNNCell(*case.sizes.values(), leak_shape)
    target = MappingTarget(instance, target.mapping)
    assert target.fixed_sizes(target.default_spec()) == dict(case.sizes)


# -- a module instance ---------------------------------------------------------------------
def test_an_instance_is_never_altered():
    cell = FusedLSTMCell(3, 2).double().eval()
    cell.bias.requires_grad_(False)
    before = {n: p.detach().clone() for n, p in cell.named_parameters()}
    rng = torch.get_rng_state()
    result = seqcheck.verify(MappingTarget(cell, EXAMPLE), max_examples=10)
    assert result.ok, result.format_text()
    assert result.counterexample is None and result.dtype == "float64"
    for n, p in cell.named_parameters():
        assert torch.equal(p, before[n]) and p.dtype == torch.float64 and p.grad is None
    assert [p.requires_grad for p in cell.parameters()] == [True, False]
    assert cell.training is False
    assert torch.equal(torch.get_rng_state(), rng)


@settings(max_examples=10)
@given(D=st.integers(1, 9), H=st.integers(1, 9))
def test_an_instance_s_sizes_are_read_off_its_parameters(D, H):
    target = MappingTarget(FusedLSTMCell(D, H), _fused_target("iofg").mapping)
    assert target.fixed_sizes(ONE_BIAS) == {"D": D, "H": H}


def test_building_a_class_leaves_torch_s_rng_alone():
    rng = torch.get_rng_state()
    target = MappingTarget(FusedLSTMCell, EXAMPLE)
    target.check({"D": 2, "H": 4})
    assert torch.equal(torch.get_rng_state(), rng)
    assert target.fixed_sizes(ONE_BIAS) is None


class PaddedCell(FusedLSTMCell):
    """A fused cell with one spare column: 4H + 1 columns."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.weight = torch.nn.Parameter(torch.zeros(input_size + hidden_size,
                                                     4 * hidden_size + 1))


def test_sizes_that_cannot_be_read_off_an_instance():
    with pytest.raises(MappingError) as info:
        MappingTarget(PaddedCell(3, 5), EXAMPLE)
    assert str(info.value).splitlines() == [
        f"{EXAMPLE}: error[unknown-sizes]: cannot read the sizes D, H of the given PaddedCell off its parameters through the mapping: no sizes fit its shapes",
        "  its parameters: weight (8, 21), bias (20,)",
        "  hint: pass them: MappingTarget(module, mapping, sizes={'D': ..., 'H': ...}), or pass the class to check the mapping at probe sizes",
    ]
    # given the sizes, the check names the spare column
    with pytest.raises(MappingError) as info:
        MappingTarget(PaddedCell(3, 5), EXAMPLE, sizes={"D": 3, "H": 5})
    assert info.value.kind == "uncovered"
    assert info.value.first.message == ("no spec parameter maps weight[0:8, 20:21] "
                                        "(8 of 168 elements of weight)")


# -- the slice grammar -----------------------------------------------------------------------
def _bounds():
    leaves = st.sampled_from(["D", "H", "0", "1", "2", "3"])
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"-{e}")), max_leaves=6)


@settings(max_examples=40)
@given(start=_bounds(), stop=_bounds(), D=st.integers(1, 6), H=st.integers(1, 6))
def test_bounds_evaluate_as_python_integers(start, stop, D, H):
    text = ('spec = "rnn_torch"\ncall = "cell"\nstates = ["h"]\n[params]\nW_ih = "a"\n'
            f'W_hh = "b"\nb_ih = "c"\nb_hh = "bias[{start}:{stop}:2]"\n')
    index = loads_mapping(text).params["b_hh"].index[0]
    sizes = {"D": D, "H": H}
    # the test's own oracle: Python itself on the generated text
    assert [_value(e, sizes) for e in (index.start, index.stop, index.step)] == \
        [eval(start, {}, sizes), eval(stop, {}, sizes), 2]
    assert index.text == f"{start}:{stop}:2"


def _value(expr, sizes):
    return int(expr.subs({s: sizes[s.name] for s in expr.free_symbols}))


def test_dotted_and_numbered_parameter_names():
    class Stack(torch.nn.Module):
        def __init__(self, D, H):
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(D, H), torch.nn.Linear(H, H)])
            self.out = torch.nn.ParameterDict({"gain": torch.nn.Parameter(torch.randn(H))})

        def forward(self, x, h):
            return self.out["gain"] * torch.tanh(self.layers[0](x) + self.layers[1](h))

    text = ('spec = "rnn_torch"\ncall = "cell"\nstates = ["h"]\n[params]\n'
            'W_ih = "layers.0.weight"\nb_ih = "layers.0.bias"\n'
            'W_hh = "layers.1.weight"\nb_hh = "layers.1.bias"\n'
            '[fixed]\nout.gain = 1.0\n')  # a dotted TOML key: the same as "out.gain"
    mapping = loads_mapping(text)
    assert list(mapping.fixed) == ["out.gain"]
    result = seqcheck.verify(MappingTarget(Stack, mapping), max_examples=8)
    assert result.ok, result.format_text()


def test_unreadable_file():
    with pytest.raises(SpecError) as info:
        load_mapping(EXAMPLES / "missing.toml")
    assert info.value.kind == "unreadable"
    assert str(info.value).startswith(f"{EXAMPLES / 'missing.toml'}: error[unreadable]: "
                                      "cannot read mapping file: FileNotFoundError")


# -- every error kind, message by message ----------------------------------------------------
BASE = '''spec = "lstm_one_bias.toml"
call = "cell"
states = ["h", "c"]

[params]
W_ii = "weight[0:D, 0:H].T"
W_hi = "weight[D:D+H, 0:H].T"
W_io = "weight[0:D, H:2*H].T"
W_ho = "weight[D:D+H, H:2*H].T"
W_if = "weight[0:D, 2*H:3*H].T"
W_hf = "weight[D:D+H, 2*H:3*H].T"
W_ic = "weight[0:D, 3*H:4*H].T"
W_hc = "weight[D:D+H, 3*H:4*H].T"
b_i = "bias[0:H]"
b_o = "bias[H:2*H]"
b_f = "bias[2*H:3*H]"
b_c = "bias[3*H:4*H]"
'''
DIMS = "  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))"

class PeepholeCell(FusedLSTMCell):
    """A fused cell with a peephole weight that neither its forward nor the spec uses."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.peephole = torch.nn.Parameter(torch.zeros(hidden_size))


CASES = [
    pytest.param(
        'call = "cell"',
        'call = "cell',
        FusedLSTMCell,
        ('toml-syntax', 2, 13, None),
        [
            "fused.toml:2:13: error[toml-syntax]: invalid TOML: Illegal character '\\n'",
            '     2 | call = "cell',
            '       |             ^',
            "  hint: check quotes, brackets and '=' on this line (TOML syntax: https://toml.io)",
        ],
        id='toml-syntax',
    ),
    pytest.param(
        'call = "cell"',
        'call = "cell"\nbacth_first = true',
        FusedLSTMCell,
        ('unknown-key', 3, 1, 'bacth_first'),
        [
            "fused.toml:3:1: error[unknown-key]: unknown key 'bacth_first'",
            '     3 | bacth_first = true',
            '       | ^^^^^^^^^^^',
            "  hint: did you mean 'batch_first'? allowed keys: spec, call, build, states, outputs, batch_first, state_layer_axis, notes, params, fixed",
        ],
        id='unknown-key',
    ),
    pytest.param(
        'states = ["h", "c"]\n',
        '',
        FusedLSTMCell,
        ('missing-key', 0, 0, None),
        [
            "fused.toml: error[missing-key]: the mapping has no 'states'",
            '  hint: add  states = ...  (the state tuple the target takes and returns)',
        ],
        id='missing-key',
    ),
    pytest.param(
        'states = ["h", "c"]',
        'states = "h, c"',
        FusedLSTMCell,
        ('type-error', 3, 10, None),
        [
            "fused.toml:3:10: error[type-error]: 'states' must be a non-empty list of names",
            '     3 | states = "h, c"',
            '       |          ^^^^^^',
            '  hint: states = ["h", "c"]',
        ],
        id='type-error',
    ),
    pytest.param(
        'call = "cell"',
        'call = "cel"',
        FusedLSTMCell,
        ('bad-value', 2, 8, None),
        [
            'fused.toml:2:8: error[bad-value]: call must be "cell" or "sequence", not \'cel\'',
            '     2 | call = "cel"',
            '       |        ^^^^^',
            '  hint: did you mean \'cell\'? "cell": state = target(x_t, state) once per step; "sequence": output, state = target(x, state) once',
        ],
        id='bad-value-call',
    ),
    pytest.param(
        'call = "cell"',
        'call = "cell"\nbatch_first = true',
        FusedLSTMCell,
        ('bad-value', 3, 1, 'batch_first'),
        [
            'fused.toml:3:1: error[bad-value]: \'batch_first\' applies to call = "sequence" only',
            '     3 | batch_first = true',
            '       | ^^^^^^^^^^^',
            '  hint: a cell is called once per step and returns its states, which are its outputs; remove this key',
        ],
        id='bad-value-cell-key',
    ),
    pytest.param(
        'states = ["h", "c"]',
        'states = ["h", "c", "h"]',
        FusedLSTMCell,
        ('duplicate', 3, 10, 'h'),
        [
            "fused.toml:3:10: error[duplicate]: 'h' is listed twice in 'states'",
            '     3 | states = ["h", "c", "h"]',
            '       |          ^^^^^^^^^^^^^^^',
            '  hint: list each name once',
        ],
        id='duplicate',
    ),
    pytest.param(
        'spec = "lstm_one_bias.toml"',
        'spec = "lstm_seed00"',
        FusedLSTMCell,
        ('unknown-spec', 1, 8, 'lstm_seed00'),
        [
            "fused.toml:1:8: error[unknown-spec]: no bundled spec named 'lstm_seed00' and no such file",
            '     1 | spec = "lstm_seed00"',
            '       |        ^^^^^^^^^^^^^',
            "  hint: did you mean 'lstm_seed000'? run 'seqcheck list' to see the specs, or pass a path to a .toml file",
        ],
        id='unknown-spec',
    ),
    pytest.param(
        'spec = "lstm_one_bias.toml"',
        'spec = "birnn"',
        FusedLSTMCell,
        ('unsupported-spec', 1, 8, 'birnn'),
        [
            "fused.toml:1:8: error[unsupported-spec]: spec 'birnn' runs h_bwd backward in time; a mapped target runs forward",
            '     1 | spec = "birnn"',
            '       |        ^^^^^^^',
            '  hint: verify each direction as its own forward module',
        ],
        id='unsupported-spec',
    ),
    pytest.param(
        'spec = "lstm_one_bias.toml"',
        'spec = "gru"',
        FusedLSTMCell,
        ('unknown-state', 3, 10, 'c'),
        [
            "fused.toml:3:10: error[unknown-state]: unknown state 'c'",
            '     3 | states = ["h", "c"]',
            '       |          ^^^^^^^^^^',
            "  hint: the states of spec 'gru' are h",
            "fused.toml:1:8: error[unknown-param]: 12 of the 12 names under [params] are not parameters of spec 'gru': W_ii, W_hi, W_io, W_ho, ...",
            '     1 | spec = "gru"',
            '       |        ^^^^^',
            "  hint: is this the spec the target implements? the parameters of spec 'gru' are W_ir, W_iz, W_in, W_hr, W_hz, W_hn, b_ir, b_iz, b_in, b_hr, b_hz, b_hn",
            '2 errors in mapping fused.toml',
        ],
        id='wrong-spec',
    ),
    pytest.param(
        'states = ["h", "c"]',
        'states = ["h", "cc"]',
        FusedLSTMCell,
        ('unknown-state', 3, 10, 'cc'),
        [
            "fused.toml:3:10: error[unknown-state]: unknown state 'cc'",
            '     3 | states = ["h", "cc"]',
            '       |          ^^^^^^^^^^^',
            "  hint: did you mean 'c'? the states of spec 'lstm_one_bias' are h, c",
        ],
        id='unknown-state',
    ),
    pytest.param(
        'states = ["h", "c"]',
        'states = ["h"]',
        FusedLSTMCell,
        ('missing-state', 3, 10, 'c'),
        [
            "fused.toml:3:10: error[missing-state]: the target must carry every state of spec 'lstm_one_bias'; c is missing",
            '     3 | states = ["h"]',
            '       |          ^^^^^',
            '  hint: list them in the order the target takes them, e.g. states = ["h", "c"]',
        ],
        id='missing-state',
    ),
    pytest.param(
        'call = "cell"',
        'call = "sequence"\noutputs = ["hh"]',
        FusedLSTMCell,
        ('unknown-variable', 3, 11, 'hh'),
        [
            "fused.toml:3:11: error[unknown-variable]: unknown variable 'hh'",
            '     3 | outputs = ["hh"]',
            '       |           ^^^^^^',
            "  hint: did you mean 'h'? the variables of spec 'lstm_one_bias' are i, f, o, c_tilde, c, h",
        ],
        id='unknown-variable',
    ),
    pytest.param(
        'states = ["h", "c"]',
        'states = ["h", "c"]\nbuild = ["D", "N"]',
        FusedLSTMCell,
        ('unknown-dim', 4, 9, 'N'),
        [
            "fused.toml:4:9: error[unknown-dim]: unknown dim 'N'",
            '     4 | build = ["D", "N"]',
            '       |         ^^^^^^^^^^',
            "  hint: the dims of spec 'lstm_one_bias' are D, H",
        ],
        id='unknown-dim-build',
    ),
    pytest.param(
        'states = ["h", "c"]',
        'states = ["h", "c"]\nbuild = ["H"]',
        FusedLSTMCell,
        ('missing-dim', 4, 9, 'D'),
        [
            "fused.toml:4:9: error[missing-dim]: 'build' leaves out D: the target could not be built at every size the spec takes",
            '     4 | build = ["H"]',
            '       |         ^^^^^',
            "  hint: list every dim of the spec, in the order the target's constructor takes them",
        ],
        id='missing-dim',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        'b_i = "bias[0:h]"',
        FusedLSTMCell,
        ('unknown-dim', 14, 15, 'h'),
        [
            "fused.toml:14:15: error[unknown-dim]: unknown dim 'h' in a bound",
            '    14 | b_i = "bias[0:h]"',
            '       |               ^',
            "  hint: bounds use the dims of spec 'lstm_one_bias': D, H",
        ],
        id='unknown-dim-bound',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        'b_ii = "bias[0:H]"',
        FusedLSTMCell,
        ('unknown-param', 14, 1, 'b_ii'),
        [
            "fused.toml:14:1: error[unknown-param]: unknown spec parameter 'b_ii'",
            '    14 | b_ii = "bias[0:H]"',
            '       | ^^^^',
            "  hint: did you mean 'b_i'? the parameters of spec 'lstm_one_bias' are W_ii, W_if, W_ic, W_io, W_hi, W_hf, W_hc, W_ho, b_i, b_f, b_c, b_o",
            "fused.toml:5:2: error[missing-param]: spec 'lstm_one_bias' parameter b_i is not mapped",
            '     5 | [params]',
            '       |  ^^^^^^',
            '  hint: add b_i = "tensor[...]" under [params]: verify writes every spec parameter into the target',
            '2 errors in mapping fused.toml',
        ],
        id='unknown-param',
    ),
    pytest.param(
        'b_c = "bias[3*H:4*H]"\n',
        '',
        FusedLSTMCell,
        ('missing-param', 5, 2, 'b_c'),
        [
            "fused.toml:5:2: error[missing-param]: spec 'lstm_one_bias' parameter b_c is not mapped",
            '     5 | [params]',
            '       |  ^^^^^^',
            '  hint: add b_c = "tensor[...]" under [params]: verify writes every spec parameter into the target',
        ],
        id='missing-param',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        'b_i = 0',
        FusedLSTMCell,
        ('type-error', 14, 7, 'b_i'),
        [
            "fused.toml:14:7: error[type-error]: the mapping of 'b_i' must be a string",
            '    14 | b_i = 0',
            '       |       ^',
            '  hint: write it as "tensor[start:stop, ...]", e.g. "weight[0:H].T"',
        ],
        id='type-error-param',
    ),
    pytest.param(
        'W_hi = "weight[D:D+H, 0:H].T"',
        'W_hi = "weight[D:D+H, 0:H.T"',
        FusedLSTMCell,
        ('syntax-error', 7, 15, 'W_hi'),
        [
            "fused.toml:7:15: error[syntax-error]: invalid syntax in the mapping of 'W_hi': '[' was never closed",
            '     7 | W_hi = "weight[D:D+H, 0:H.T"',
            '       |               ^',
            '  hint: write NAME, NAME[index, ...] or NAME[index, ...].T',
        ],
        id='syntax-error',
    ),
    pytest.param(
        'W_hi = "weight[D:D+H, 0:H].T"',
        'W_hi = "weight[D:D+H, 0:H].t()"',
        FusedLSTMCell,
        ('forbidden-construct', 7, 27, 'W_hi'),
        [
            "fused.toml:7:27: error[forbidden-construct]: unexpected '.t()' in the mapping of 'W_hi'",
            '     7 | W_hi = "weight[D:D+H, 0:H].t()"',
            '       |                           ^^^^',
            '  hint: write the transpose as .T, after the subscript',
        ],
        id='forbidden-call',
    ),
    pytest.param(
        'b_o = "bias[H:2*H]"',
        'b_o = "bias[H:4*H/2]"',
        FusedLSTMCell,
        ('forbidden-construct', 15, 15, 'b_o'),
        [
            "fused.toml:15:15: error[forbidden-construct]: operator '/' in a bound in the mapping of 'b_o'",
            '    15 | b_o = "bias[H:4*H/2]"',
            '       |               ^^^^^',
            "  hint: bounds are integer literals and the spec's dims with + - * (e.g. 2*H, D+H)",
        ],
        id='forbidden-operator',
    ),
    pytest.param(
        'b_o = "bias[H:2*H]"',
        'b_o = "2 * bias[H:2*H]"',
        FusedLSTMCell,
        ('forbidden-construct', 15, 8, 'b_o'),
        [
            "fused.toml:15:8: error[forbidden-construct]: the mapping of 'b_o' must start with a target parameter's name",
            '    15 | b_o = "2 * bias[H:2*H]"',
            '       |        ^^^^^^^^^^^^^^^',
            '  hint: write NAME, NAME[index, ...] or NAME[index, ...].T, e.g. "weight[0:H, 0:D].T"',
        ],
        id='forbidden-start',
    ),
    pytest.param(
        'W_hi = "weight[D:D+H, 0:H].T"',
        'W_hi = "weight.T[0:H, D:D+H]"',
        FusedLSTMCell,
        ('forbidden-construct', 7, 15, 'W_hi'),
        [
            "fused.toml:7:15: error[forbidden-construct]: '.T' before the subscript",
            '     7 | W_hi = "weight.T[0:H, D:D+H]"',
            '       |               ^^',
            '  hint: index the tensor as stored and transpose last: weight[...].T',
        ],
        id='forbidden-T-first',
    ),
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"',
        'W_ii = "weights[0:D, 0:H].T"',
        FusedLSTMCell,
        ('unknown-target-param', 6, 9, 'weights'),
        [
            "fused.toml:6:9: error[unknown-target-param]: FusedLSTMCell has no parameter 'weights'",
            '     6 | W_ii = "weights[0:D, 0:H].T"',
            '       |         ^^^^^^^',
            "  hint: did you mean 'weight'? its parameters are weight (8, 20), bias (20,)",
        ],
        id='unknown-target-param',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        'b_i = "bias[0:H, 0]"',
        FusedLSTMCell,
        ('index-error', 14, 8, 'b_i'),
        [
            'fused.toml:14:8: error[index-error]: b_i = bias[0:H, 0] has 2 indices, but bias has 1 axis (shape (20,))',
            '    14 | b_i = "bias[0:H, 0]"',
            '       |        ^^^^^^^^^^^^',
            '  hint: give at most one index per axis',
        ],
        id='index-error',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        'b_i = "bias[0:H].T"',
        FusedLSTMCell,
        ('index-error', 14, 8, 'b_i'),
        [
            "fused.toml:14:8: error[index-error]: '.T' needs a 2-D slice, but bias[0:H] is 1-D",
            '    14 | b_i = "bias[0:H].T"',
            '       |        ^^^^^^^^^^^',
            "  hint: remove '.T'",
        ],
        id='index-error-T',
    ),
    pytest.param(
        'W_hc = "weight[D:D+H, 3*H:4*H].T"',
        'W_hc = "weight[D:D+H, 3*H:4*H+1].T"',
        FusedLSTMCell,
        ('out-of-range', 13, 23, 'W_hc'),
        [
            'fused.toml:13:23: error[out-of-range]: slice 3*H:4*H+1 = 15:21 is not within 0..20 (axis 1 of weight)',
            '    13 | W_hc = "weight[D:D+H, 3*H:4*H+1].T"',
            '       |                       ^^^^^^^^^',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            '  hint: weight has shape (8, 20); bounds are never clipped or counted from the end',
        ],
        id='out-of-range',
    ),
    pytest.param(
        'b_c = "bias[3*H:4*H]"',
        'b_c = "bias[-H:4*H]"',
        FusedLSTMCell,
        ('out-of-range', 17, 13, 'b_c'),
        [
            'fused.toml:17:13: error[out-of-range]: slice -H:4*H = -5:20 is not within 0..20 (axis 0 of bias)',
            '    17 | b_c = "bias[-H:4*H]"',
            '       |             ^^^^^^',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            '  hint: bias has shape (20,); bounds are never clipped or counted from the end',
        ],
        id='out-of-range-negative',
    ),
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"',
        'W_ii = "weight[0:D, 0:H]"',
        FusedLSTMCell,
        ('shape-mismatch', 6, 9, 'W_ii'),
        [
            "fused.toml:6:9: error[shape-mismatch]: W_ii = weight[0:D, 0:H] has shape (3, 5), but spec 'lstm_one_bias' declares W_ii (H, D) = (5, 3)",
            '     6 | W_ii = "weight[0:D, 0:H]"',
            '       |         ^^^^^^^^^^^^^^^^',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            "  hint: add '.T': the target stores it transposed",
        ],
        id='shape-mismatch-T',
    ),
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"',
        'W_ii = "weight[0:H, 0:H].T"',
        FusedLSTMCell,
        ('shape-mismatch', 6, 9, 'W_ii'),
        [
            "fused.toml:6:9: error[shape-mismatch]: W_ii = weight[0:H, 0:H].T has shape (5, 5), but spec 'lstm_one_bias' declares W_ii (H, D) = (5, 3)",
            '     6 | W_ii = "weight[0:H, 0:H].T"',
            '       |         ^^^^^^^^^^^^^^^^^^',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            "  hint: the slice must have the spec parameter's shape at every size; check its bounds",
        ],
        id='shape-mismatch',
    ),
    pytest.param(
        'b_f = "bias[2*H:3*H]"',
        'b_f = "bias[H:2*H]"',
        FusedLSTMCell,
        ('overlap', 16, 8, 'b_f'),
        [
            'fused.toml:16:8: error[overlap]: b_o and b_f both map bias[5:10]',
            '    16 | b_f = "bias[H:2*H]"',
            '       |        ^^^^^^^^^^^',
            '  b_o = "bias[H:2*H]" at line 15',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            "  hint: each target element belongs to exactly one spec parameter; check the blocks' bounds",
            'fused.toml:5:2: error[uncovered]: no spec parameter maps bias[10:15] (5 of 20 elements of bias)',
            '     5 | [params]',
            '       |  ^^^^^^',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            '  hint: map these elements to a spec parameter: verify must set every element the target computes with',
            '2 errors in mapping fused.toml',
        ],
        id='overlap',
    ),
    pytest.param(
        'b_c = "bias[3*H:4*H]"',
        'b_c = "bias[3*H:4*H]"',
        PaddedCell,
        ('uncovered', 5, 2, 'weight'),
        [
            'fused.toml:5:2: error[uncovered]: no spec parameter maps weight[0:8, 20:21] (8 of 168 elements of weight)',
            '     5 | [params]',
            '       |  ^^^^^^',
            '  dims: D = 3, H = 5 (the target built as PaddedCell(3, 5))',
            '  hint: map these elements to a spec parameter: verify must set every element the target computes with',
        ],
        id='uncovered',
    ),
    pytest.param(
        'b_c = "bias[3*H:4*H]"',
        'b_c = "bias[3*H:4*H]"',
        PeepholeCell,
        ('uncovered', 5, 2, 'peephole'),
        [
            'fused.toml:5:2: error[uncovered]: no spec parameter maps peephole (the whole tensor, shape (5,))',
            '     5 | [params]',
            '       |  ^^^^^^',
            '  dims: D = 3, H = 5 (the target built as PeepholeCell(3, 5))',
            '  hint: map its elements to spec parameters, or fix its value under [fixed] if the spec does not use it: peephole = 0.0',
        ],
        id='uncovered-tensor',
    ),
    pytest.param(
        '[params]',
        '[fixed]\nbias = 0.0\n\n[params]',
        FusedLSTMCell,
        ('overlap', 6, 1, 'bias'),
        [
            'fused.toml:6:1: error[overlap]: bias is fixed, but [params] maps bias[0:20] (b_i, b_o, b_f, b_c)',
            '     6 | bias = 0.0',
            '       | ^^^^',
            '  hint: a tensor under [fixed] must not be mapped under [params]',
        ],
        id='fixed-overlap',
    ),
    pytest.param(
        '[params]',
        '[fixed]\npephole = 0.0\n\n[params]',
        PeepholeCell,
        ('unknown-target-param', 6, 1, 'pephole'),
        [
            "fused.toml:6:1: error[unknown-target-param]: PeepholeCell has no parameter 'pephole'",
            '     6 | pephole = 0.0',
            '       | ^^^^^^^',
            "  hint: did you mean 'peephole'? its parameters are weight (8, 20), bias (20,), peephole (5,)",
        ],
        id='fixed-unknown',
    ),
    # -- quoted names, sums and [call] tables, on the same base --
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"',
        'W_ii = "rnn/cell/weight[0:D, 0:H].T"',
        FusedLSTMCell,
        ('syntax-error', 6, 9, 'W_ii'),
        [
            "fused.toml:6:9: error[syntax-error]: the name 'rnn/cell/weight' in the mapping of 'W_ii' has '/': a name that is not a dotted identifier is quoted",
            '     6 | W_ii = "rnn/cell/weight[0:D, 0:H].T"',
            '       |         ^^^^^^^^^^^^^^^',
            "  hint: write 'rnn/cell/weight'[0:D, 0:H].T",
        ],
        id='quoted-unquoted',
    ),
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"',
        'W_ii = "\'weight[0:D, 0:H].T"',
        FusedLSTMCell,
        ('syntax-error', 6, 9, 'W_ii'),
        [
            "fused.toml:6:9: error[syntax-error]: the quoted name in the mapping of 'W_ii' is never closed",
            '     6 | W_ii = "\'weight[0:D, 0:H].T"',
            '       |         ^',
            "  hint: a quoted name ends with the quote it starts with: 'lstm/kernel'[0:H]",
        ],
        id='quoted-unclosed',
    ),
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"',
        'W_ii = "\'\'[0:D, 0:H].T"',
        FusedLSTMCell,
        ('syntax-error', 6, 9, 'W_ii'),
        [
            "fused.toml:6:9: error[syntax-error]: an empty name in the mapping of 'W_ii'",
            '     6 | W_ii = "\'\'[0:D, 0:H].T"',
            '       |         ^^',
            "  hint: write the target parameter's name between the quotes",
        ],
        id='quoted-empty',
    ),
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"',
        'W_ii = "\'weight\'.T[0:H, 0:D]"',
        FusedLSTMCell,
        ('forbidden-construct', 6, 17, 'W_ii'),
        [
            "fused.toml:6:17: error[forbidden-construct]: '.T' before the subscript",
            '     6 | W_ii = "\'weight\'.T[0:H, 0:D]"',
            '       |                 ^^',
            '  hint: index the tensor as stored and transpose last: weight[...].T',
        ],
        id='quoted-T-first',
    ),
    pytest.param(
        'b_i = "bias[0:H]"\nb_o = "bias[H:2*H]"',
        '"b_i + b_o" = "bias[0:H]"',
        FusedLSTMCell,
        ('bad-sum', 14, 2, 'b_i + b_o'),
        [
            "fused.toml:14:2: error[bad-sum]: spec 'lstm_one_bias' uses b_i and b_o apart, not only as their sum: i = sigmoid(W_ii @ x + W_hi @ h[t-1] + b_i)",
            '    14 | "b_i + b_o" = "bias[0:H]"',
            '       |  ^^^^^^^^^',
            "  hint: a slice may hold a sum only where the spec adds its members in every equation (as lstm's b_ii + b_hi); map each to its own slice, or verify against a variant of the spec without one of them (docs/spec-language.md, Variants)",
        ],
        id='bad-sum-apart',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        '"b_i + b_x" = "bias[0:H]"',
        FusedLSTMCell,
        ('unknown-param', 14, 8, 'b_x'),
        [
            "fused.toml:14:8: error[unknown-param]: unknown spec parameter 'b_x' in the sum 'b_i + b_x'",
            '    14 | "b_i + b_x" = "bias[0:H]"',
            '       |        ^^^',
            "  hint: did you mean 'b_i'? the parameters of spec 'lstm_one_bias' are W_ii, W_if, W_ic, W_io, W_hi, W_hf, W_hc, W_ho, b_i, b_f, b_c, b_o",
        ],
        id='sum-unknown',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        '"b_i + b_i" = "bias[0:H]"',
        FusedLSTMCell,
        ('duplicate', 14, 8, 'b_i'),
        [
            "fused.toml:14:8: error[duplicate]: 'b_i' is twice in the sum 'b_i + b_i'",
            '    14 | "b_i + b_i" = "bias[0:H]"',
            '       |        ^^^',
            '  hint: name each spec parameter of a sum once',
        ],
        id='sum-twice',
    ),
    pytest.param(
        'b_i = "bias[0:H]"',
        '"b_i + " = "bias[0:H]"',
        FusedLSTMCell,
        ('syntax-error', 14, 2, 'b_i + '),
        [
            "fused.toml:14:2: error[syntax-error]: the sum 'b_i + ' has an empty term",
            '    14 | "b_i + " = "bias[0:H]"',
            '       |  ^^^^^^',
            '  hint: a sum is spec parameters joined by +: "b_ii + b_hi" = "bias[0:H]"',
        ],
        id='sum-empty',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nargumnets = ["x", "state"]',
        FusedLSTMCell,
        ('unknown-key', 5, 1, 'argumnets'),
        [
            "fused.toml:5:1: error[unknown-key]: unknown key 'argumnets' in [call]",
            '     5 | argumnets = ["x", "state"]',
            '       | ^^^^^^^^^',
            "  hint: did you mean 'arguments'? allowed keys: kind, arguments, state_packing, state_keyword, returns",
        ],
        id='call-unknown-key',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nbuild = ["D", "H"]',
        FusedLSTMCell,
        ('unknown-key', 5, 1, 'build'),
        [
            "fused.toml:5:1: error[unknown-key]: 'build' is a top-level key, not one of [call]'s",
            '     5 | build = ["D", "H"]',
            '       | ^^^^^',
            '  hint: TOML puts every key after a [table] header into that table: write it above the first header',
        ],
        id='call-top-level-key',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\narguments = ["x", "state"]',
        FusedLSTMCell,
        ('missing-key', 3, 2, None),
        [
            "fused.toml:3:2: error[missing-key]: the [call] table has no 'kind'",
            '     3 | [call]',
            '       |  ^^^^',
            '  hint: add  kind = "cell"  or  kind = "sequence"',
        ],
        id='call-missing-kind',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cel"',
        FusedLSTMCell,
        ('bad-value', 4, 8, None),
        [
            'fused.toml:4:8: error[bad-value]: kind must be "cell" or "sequence", not \'cel\'',
            '     4 | kind = "cel"',
            '       |        ^^^^^',
            '  hint: did you mean \'cell\'? "cell": state = target(x_t, state) once per step; "sequence": output, state = target(x, state) once',
        ],
        id='call-bad-kind',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nstate_packing = "lsit"',
        FusedLSTMCell,
        ('bad-value', 5, 17, None),
        [
            'fused.toml:5:17: error[bad-value]: state_packing must be "tuple", "list" or "separate", not \'lsit\'',
            '     5 | state_packing = "lsit"',
            '       |                 ^^^^^^',
            '  hint: did you mean \'list\'? "tuple": (h, c); "list": [h, c]; "separate": h, c as arguments and returned values of their own',
        ],
        id='call-bad-packing',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nstate_keyword = 1',
        FusedLSTMCell,
        ('type-error', 5, 17, None),
        [
            "fused.toml:5:17: error[type-error]: 'state_keyword' must be a string",
            '     5 | state_keyword = 1',
            '       |                 ^',
            '  hint: state_keyword = "initial_state"',
        ],
        id='call-keyword-type',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nstate_keyword = "initial-state"',
        FusedLSTMCell,
        ('bad-value', 5, 17, None),
        [
            "fused.toml:5:17: error[bad-value]: state_keyword 'initial-state' is not a Python identifier",
            '     5 | state_keyword = "initial-state"',
            '       |                 ^^^^^^^^^^^^^^^',
            '  hint: a keyword argument\'s name, as the target\'s forward declares it: state_keyword = "initial_state"',
        ],
        id='call-keyword-identifier',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\narguments = "x, state"',
        FusedLSTMCell,
        ('type-error', 5, 13, None),
        [
            "fused.toml:5:13: error[type-error]: 'arguments' must be a non-empty list of names",
            '     5 | arguments = "x, state"',
            '       |             ^^^^^^^^^^',
            '  hint: arguments = ["state", "x"]',
        ],
        id='call-arguments-type',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\narguments = ["x", "sate"]',
        FusedLSTMCell,
        ('bad-value', 5, 13, 'sate'),
        [
            "fused.toml:5:13: error[bad-value]: unknown argument 'sate' in 'arguments'",
            '     5 | arguments = ["x", "sate"]',
            '       |             ^^^^^^^^^^^^^',
            "  hint: did you mean 'state'? an argument is x (the input), state (every state, packed as state_packing says) or one state: h, c",
        ],
        id='call-unknown-argument',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\narguments = ["state"]',
        FusedLSTMCell,
        ('bad-value', 5, 13, 'x'),
        [
            "fused.toml:5:13: error[bad-value]: 'arguments' leaves out the input x",
            '     5 | arguments = ["state"]',
            '       |             ^^^^^^^^^',
            '  hint: arguments = ["x", "state"] (torch) or ["state", "x"] (flax\'s cells)',
        ],
        id='call-no-input',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\narguments = ["x", "h"]',
        FusedLSTMCell,
        ('missing-state', 5, 13, 'c'),
        [
            "fused.toml:5:13: error[missing-state]: 'arguments' leaves out c: the target must take every state",
            '     5 | arguments = ["x", "h"]',
            '       |             ^^^^^^^^^^',
            '  hint: add "state" (every state, packed as state_packing says) or the state\'s own name',
        ],
        id='call-missing-state',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\narguments = ["x", "state", "h"]',
        FusedLSTMCell,
        ('duplicate', 5, 13, 'h'),
        [
            'fused.toml:5:13: error[duplicate]: \'arguments\' holds h twice: by itself and in "state"',
            '     5 | arguments = ["x", "state", "h"]',
            '       |             ^^^^^^^^^^^^^^^^^^^',
            '  hint: name it once: "state" stands for every state (h, c)',
        ],
        id='call-state-twice',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\narguments = ["x", "x", "state"]',
        FusedLSTMCell,
        ('duplicate', 5, 13, 'x'),
        [
            "fused.toml:5:13: error[duplicate]: 'x' is listed twice in 'arguments'",
            '     5 | arguments = ["x", "x", "state"]',
            '       |             ^^^^^^^^^^^^^^^^^^^',
            '  hint: list each name once',
        ],
        id='call-duplicate-argument',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nstate_keyword = "hx"\narguments = ["x", "state"]',
        FusedLSTMCell,
        ('bad-value', 6, 13, 'state'),
        [
            "fused.toml:6:13: error[bad-value]: 'arguments' passes state, but state_keyword passes the state as hx=",
            '     6 | arguments = ["x", "state"]',
            '       |             ^^^^^^^^^^^^^^',
            '  hint: pass it once: remove it from arguments, e.g. arguments = ["x"]',
        ],
        id='call-keyword-and-argument',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nreturns = ["stat"]',
        FusedLSTMCell,
        ('bad-value', 5, 11, 'stat'),
        [
            "fused.toml:5:11: error[bad-value]: unknown item 'stat' in 'returns'",
            '     5 | returns = ["stat"]',
            '       |           ^^^^^^^^',
            "  hint: did you mean 'state'? an item is output (what 'outputs' names), state (every state, packed as state_packing says) or one state: h, c",
        ],
        id='call-unknown-return',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nreturns = ["h"]',
        FusedLSTMCell,
        ('missing-state', 5, 11, 'c'),
        [
            "fused.toml:5:11: error[missing-state]: 'returns' leaves out c: the target must return every state",
            '     5 | returns = ["h"]',
            '       |           ^^^^^',
            '  hint: add "state" (every state, packed as state_packing says) or the state\'s own name',
        ],
        id='call-returns-missing-state',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nreturns = ["output", "state"]',
        FusedLSTMCell,
        ('missing-key', 0, 0, None),
        [
            "fused.toml: error[missing-key]: the mapping has no 'outputs'",
            '  hint: the cell returns an output ([call] returns): name the spec variables it holds, e.g. outputs = ["h"]',
        ],
        id='call-output-no-outputs',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\noutputs = ["h"]\n[call]\nkind = "cell"',
        FusedLSTMCell,
        ('bad-value', 3, 1, 'outputs'),
        [
            "fused.toml:3:1: error[bad-value]: 'outputs' says what a returned output holds, but this cell returns only its state",
            '     3 | outputs = ["h"]',
            '       | ^^^^^^^',
            '  hint: a cell\'s states are its outputs: remove this key, or say that the cell returns an output beside its state: returns = ["output", "state"] under [call]',
        ],
        id='call-outputs-no-output',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\noutputs = ["h"]\n[call]\nkind = "sequence"\nreturns = ["state"]',
        FusedLSTMCell,
        ('bad-value', 6, 11, None),
        [
            'fused.toml:6:11: error[bad-value]: a sequence target\'s \'returns\' must hold "output"',
            '     6 | returns = ["state"]',
            '       |           ^^^^^^^^^',
            '  hint: its output is how verify sees every step: returns = ["output", "state"]',
        ],
        id='call-sequence-no-output',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\noutputs = ["h"]\n[call]\nkind = "cell"\nstate_packing = "list"\narguments = ["x", "h", "c"]\nreturns = ["output", "h", "c"]',
        FusedLSTMCell,
        ('bad-value', 6, 17, None),
        [
            'fused.toml:6:17: error[bad-value]: state_packing says how "state" is packed, but neither \'arguments\' nor \'returns\' has "state"',
            '     6 | state_packing = "list"',
            '       |                 ^^^^^^',
            '  hint: remove it, or pass the states together as "state"',
        ],
        id='call-packing-unused',
    ),
    pytest.param(
        'call = "cell"\nstates = ["h", "c"]',
        'states = ["h", "c"]\n[call]\nkind = "cell"\nstate_packing = "separate"\nstate_keyword = "hx"',
        FusedLSTMCell,
        ('bad-value', 5, 17, None),
        [
            'fused.toml:5:17: error[bad-value]: state_packing = "separate" passes each state as its own argument, but state_keyword passes them as one',
            '     5 | state_packing = "separate"',
            '       |                 ^^^^^^^^^^',
            '  hint: write state_packing = "tuple" or "list"',
        ],
        id='call-separate-keyword',
    ),
]


def test_base_mapping_is_valid(monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    target = MappingTarget(FusedLSTMCell, loads_mapping(BASE, file="fused.toml"))
    assert list(target.mapping.params) == list(loads_mapping(EXAMPLE.read_text(),
                                                             file=str(EXAMPLE)).params)


@pytest.mark.parametrize(("old", "new", "target", "where", "message"), CASES)
def test_error_message(monkeypatch, old, new, target, where, message):
    monkeypatch.chdir(EXAMPLES)  # the relative spec path and the short file name
    assert old in BASE
    with pytest.raises(MappingError) as info:
        MappingTarget(target, loads_mapping(BASE.replace(old, new, 1), file="fused.toml"))
    err = info.value
    assert str(err).splitlines() == message
    assert (err.kind, err.line, err.col, err.symbol) == where
    assert isinstance(err, SpecError)


def test_every_error_kind_has_a_case():
    kinds = {c.values[3][0] for c in CASES + SUM_CASES}
    assert kinds >= {
        "toml-syntax", "unknown-key", "missing-key", "type-error", "bad-value",
        "duplicate", "unknown-spec", "unknown-state", "missing-state", "unknown-variable",
        "unknown-dim", "missing-dim", "unknown-param", "missing-param", "syntax-error",
        "forbidden-construct", "unknown-target-param", "index-error", "out-of-range",
        "shape-mismatch", "overlap", "uncovered", "unsupported-spec", "bad-sum",
    }


# == any parameter path, sums, call conventions ==============================================
# The Keras- and flax-style modules of examples/mapping/ (keras_lstm.py, flax_lstm.py) and
# hand-written cells below, each held to the bundled spec lstm (two biases per gate) and
# first checked step by step against gated.lstm, the NumPy oracle.
def _load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KerasStyleLSTM = _load_example("keras_lstm").KerasStyleLSTM
FlaxStyleLSTMCell = _load_example("flax_lstm").FlaxStyleLSTMCell
LSTM_SPEC = load_spec("lstm")


def lstm_case(D=2, H=3, T=3, B=2, seed=0) -> Case:
    """A case of spec lstm with moderate values, all distinct (central differences stay
    accurate)."""
    rng = np.random.default_rng(seed)
    params = {p: rng.uniform(-1.2, 1.2, shape)
              for p, shape in gated.param_shapes("lstm", D, H).items()}
    return Case({"D": D, "H": H}, T, B, params, {"x": rng.uniform(-2, 2, (T, B, D))},
                {s: rng.uniform(-1, 1, (B, H)) for s in "hc"},
                {s: rng.uniform(-1, 1, (T, B, H)) for s in "hc"})


def assert_runs_like_lstm(target: MappingTarget, case: Case, outputs=("h",)) -> None:
    observed = target.run(case, "float64", gradients=False)
    run = gated.lstm(dict(case.params), case.inputs["x"], dict(case.initial))
    assert_matches_oracle(observed, run, outputs, ("h", "c"))


def central_differences(loss, array: np.ndarray, rebuild, eps=1e-6) -> np.ndarray:
    out = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        hi, lo = array.copy(), array.copy()
        hi[idx] += eps
        lo[idx] -= eps
        out[idx] = (loss(rebuild(hi)) - loss(rebuild(lo))) / (2 * eps)
    return out


@functools.cache
def _example_target(name: str) -> MappingTarget:
    module = {"keras_lstm": KerasStyleLSTM, "flax_lstm": FlaxStyleLSTMCell}[name]
    return MappingTarget(module, EXAMPLES / f"{name}.toml")


# -- quoted names: Keras's weight paths --------------------------------------------------------
@settings(max_examples=15)
@given(case=cases(LSTM_SPEC))
def test_keras_style_layer_runs_like_the_oracle(case):
    # names with '/', sums of biases, initial_state=[h, c], (output, h, c), batch first
    target = _example_target("keras_lstm")
    assert target.mapping.params["W_hf"].tensor == "lstm/lstm_cell/recurrent_kernel"
    assert_runs_like_lstm(target, case)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("example", ["keras_lstm", "flax_lstm"])
def test_the_keras_and_flax_style_examples_conform(example, dtype):
    result = seqcheck.verify(_example_target(example), dtype=dtype, max_examples=12)
    assert result.ok, result.format_text()
    assert (result.spec, result.gradients) == ("lstm", True)


def test_a_gate_swap_in_the_keras_style_layer_is_found_and_explained():
    class Swapped(KerasStyleLSTM):  # the forget and output gates' blocks exchanged
        def forward(self, x, initial_state):
            h, c = initial_state
            outputs = []
            for t in range(x.shape[1]):
                z = x[:, t] @ self.weight("kernel") + h @ self.weight("recurrent_kernel") \
                    + self.weight("bias")
                i, o, g, f = z.chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                outputs.append(h)
            return torch.stack(outputs, dim=1), h, c

    result = seqcheck.verify(MappingTarget(Swapped, EXAMPLES / "keras_lstm.toml"),
                             max_examples=15)
    assert not result.ok and result.check.divergences
    assert result.explanation.startswith("gates 'f' and 'o' exchange their parameters")


class NumberedRNNCell(torch.nn.Sequential):
    """torch.nn.RNNCell's tanh unit as an nn.Sequential: parameters 0.weight, 0.bias (on x)
    and 1.weight, 1.bias (on h)."""

    def __init__(self, input_size, hidden_size):
        super().__init__(torch.nn.Linear(input_size, hidden_size),
                         torch.nn.Linear(hidden_size, hidden_size))

    def forward(self, x, h):
        return torch.tanh(self[0](x) + self[1](h))


class KerasNamedRNNCell(torch.nn.Module):
    """The same unit with a Keras SimpleRNN's auto-numbered variable names, a ':0' suffix
    as TF 1 checkpoints have, and one bias: kernel (D, H), recurrent_kernel (H, H)."""

    PREFIX = "simple_rnn_1/simple_rnn_cell/"

    def __init__(self, input_size, hidden_size):
        super().__init__()
        for name, shape in (("kernel:0", (input_size, hidden_size)),
                            ("recurrent_kernel:0", (hidden_size, hidden_size)),
                            ("bias:0", (hidden_size,))):
            self.register_parameter(self.PREFIX + name, torch.nn.Parameter(torch.randn(shape)))

    def forward(self, x, h):
        p = {n.split("/")[-1]: t for n, t in self.named_parameters()}
        return torch.tanh(x @ p["kernel:0"] + h @ p["recurrent_kernel:0"] + p["bias:0"])


NUMBERED = '''spec = "rnn_torch"
call = "cell"
states = ["h"]
[params]
W_ih = "0.weight"
b_ih = "0.bias"
W_hh = "1.weight"
b_hh = "1.bias"
'''
KERAS_NAMED = '''spec = "rnn_torch"
call = "cell"
states = ["h"]
[params]
W_ih = "'simple_rnn_1/simple_rnn_cell/kernel:0'.T"
W_hh = "'simple_rnn_1/simple_rnn_cell/recurrent_kernel:0'[0:H, 0:H].T"
"b_ih + b_hh" = '"simple_rnn_1/simple_rnn_cell/bias:0"'
'''


def tanh_rnn(params, x, h):
    """torch.nn.RNNCell's documented step, h' = tanh(W_ih x + b_ih + W_hh h + b_hh), in NumPy."""
    out = []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ params["W_ih"].T + params["b_ih"] + h @ params["W_hh"].T
                    + params["b_hh"])
        out.append(h)
    return np.stack(out)


@pytest.mark.parametrize(("module", "text"), [(NumberedRNNCell, NUMBERED),
                                              (KerasNamedRNNCell, KERAS_NAMED)],
                         ids=["numbered", "keras-named"])
def test_numbered_and_quoted_names_with_colons(module, text):
    target = MappingTarget(module, loads_mapping(text, file="m.toml"))
    case = _rnn_case(3, 4, 5, 2, seed=3)
    observed = target.run(case, "float64", gradients=False)
    expected = tanh_rnn(dict(case.params), case.inputs["x"], case.initial["h"])
    np.testing.assert_allclose(observed.per_step["h"], expected, rtol=1e-12, atol=1e-12)
    result = seqcheck.verify(target, max_examples=10)
    assert result.ok, result.format_text()


def _rnn_case(D, H, T, B, seed):
    rng = np.random.default_rng(seed)
    params = {"W_ih": rng.normal(size=(H, D)), "W_hh": rng.normal(size=(H, H)),
              "b_ih": rng.normal(size=H), "b_hh": rng.normal(size=H)}
    return Case({"D": D, "H": H}, T, B, params, {"x": rng.normal(size=(T, B, D))},
                {"h": rng.normal(size=(B, H))}, {"h": rng.normal(size=(T, B, H))})


@settings(max_examples=30)
@given(name=st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="'"),
                    min_size=1, max_size=24))
def test_any_quoted_name_is_read_as_written(name):
    # the TOML string is written with JSON's escapes, which TOML's basic strings share
    value = json.dumps(f"'{name}'[0:H]", ensure_ascii=False)
    text = ('spec = "rnn_torch"\ncall = "cell"\nstates = ["h"]\n[params]\nW_ih = "a"\n'
            f'W_hh = "b"\nb_ih = "c"\nb_hh = {value}\n')
    s = loads_mapping(text).params["b_hh"]
    assert (s.tensor, [i.text for i in s.index], s.transpose) == (name, ["0:H"], False)
    # and as messages show it, it reads back the same
    shown = s.indexed.removesuffix("[0:H]")
    again = loads_mapping(text.replace(value, json.dumps(shown, ensure_ascii=False))).params["b_hh"]
    assert again.tensor == name


# -- sums: one target bias for the spec's two ----------------------------------------------
FUSED_SUMS = EXAMPLES / "fused_lstm_sums.toml"


def test_a_sum_writes_the_sum_and_gives_each_member_the_slice_s_gradient():
    # the fused cell of the worked example, held to the bundled two-bias lstm
    target = MappingTarget(FusedLSTMCell, FUSED_SUMS)
    case = lstm_case(seed=4)
    observed = target.run(case, "float64", gradients=True)
    params, x, initial = dict(case.params), case.inputs["x"], dict(case.initial)

    def loss(p):  # a cell's outputs are its states, h and c, at every step
        run = gated.lstm(p, x, initial)
        return sum(float((run.values[s] * case.seeds[s]).sum()) for s in "hc")

    for name in params:
        fd = central_differences(loss, params[name], lambda a, n=name: {**params, n: a})
        np.testing.assert_allclose(observed.params[name], fd, rtol=1e-6, atol=1e-8,
                                   err_msg=name)
    for g in "ifco":  # the spec depends on b_i* and b_h* only through their sum
        np.testing.assert_array_equal(observed.params[f"b_i{g}"], observed.params[f"b_h{g}"])
    # what the cell's bias holds: the sums, in its gate order i, o, f, g
    module = target.module(dict(case.sizes), "float64")
    expected = np.concatenate([params[f"b_i{g}"] + params[f"b_h{g}"] for g in "iofc"])
    np.testing.assert_allclose(module.bias.detach().numpy(), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_fused_cell_conforms_to_the_two_bias_spec_through_sums(dtype):
    result = seqcheck.verify(MappingTarget(FusedLSTMCell, FUSED_SUMS), dtype=dtype,
                             max_examples=12)
    assert result.ok, result.format_text()
    assert result.spec == "lstm"


def test_a_dropped_bias_under_a_sum_is_found():
    class NoForgetBias(FlaxStyleLSTMCell):  # hf's bias dropped: f = sigmoid(ii x + hf h)
        def forward(self, carry, x):
            c, h = carry
            gate = {g: self.dense(f"i{g}")(x) + self.dense(f"h{g}")(h) for g in "igo"}
            gate["f"] = self.dense("if")(x) + h @ self.dense("hf").weight.T
            c = torch.sigmoid(gate["f"]) * c + torch.sigmoid(gate["i"]) * torch.tanh(gate["g"])
            h = torch.sigmoid(gate["o"]) * torch.tanh(c)
            return (c, h), h

    target = MappingTarget(NoForgetBias, EXAMPLES / "flax_lstm.toml")
    result = seqcheck.verify(target, max_examples=20)
    assert not result.ok and result.check.divergences, result.format_text()
    # on the smallest case (c_0 = 0, so c_1 does not depend on f) only ∂L/∂c_0 = f·P shows it
    assert {d.what for d in result.check.divergences} == {"gradient c_0"}
    # on a general case, f's outputs move and the sum's gradient is lost
    case = lstm_case(seed=5)
    observed = target.run(case, "float64", gradients=True)
    run = gated.lstm(dict(case.params), case.inputs["x"], dict(case.initial))
    assert not np.allclose(observed.per_step["h"], run.values["h"], atol=1e-3)
    for name in ("b_if", "b_hf"):
        np.testing.assert_array_equal(observed.params[name], 0)


def test_sum_members_are_relabelled_together_by_identify():
    from seqcheck.checks.identify import identify

    swapped = FUSED_SUMS.read_text().replace("weight[0:D, H:2*H]", "@@").replace(
        "weight[0:D, 2*H:3*H]", "weight[0:D, H:2*H]").replace("@@", "weight[0:D, 2*H:3*H]")
    swapped = swapped.replace("weight[D:D+H, H:2*H]", "@@").replace(
        "weight[D:D+H, 2*H:3*H]", "weight[D:D+H, H:2*H]").replace("@@", "weight[D:D+H, 2*H:3*H]")
    swapped = swapped.replace('= "bias[H:2*H]"', "@@").replace(
        '= "bias[2*H:3*H]"', '= "bias[H:2*H]"').replace("@@", '= "bias[2*H:3*H]"')
    mapping = loads_mapping(swapped, file=str(EXAMPLES / "swapped_sums.toml"))
    found = identify(FusedLSTMCell, mapping=mapping, max_examples=5)
    best = found.matches[0]
    assert best.ok and dict(zip(best.stated, best.order)) == {"i": "i", "f": "o", "c": "c",
                                                              "o": "f"}


# -- call conventions: each one a hand-written module, then a planted mismatch -------------
def _lstm_step(cell: FusedLSTMCell, x, h, c):
    """The fused cell's step (gate blocks i, o, f, g) as a function."""
    i, o, f, g = (torch.cat([x, h], dim=1) @ cell.weight + cell.bias).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


class SeparateStatesCell(FusedLSTMCell):
    """cell(x, h, c) -> (h, c): each state its own argument."""

    def forward(self, x, h, c):
        return _lstm_step(self, x, h, c)


class KerasCellStyle(FusedLSTMCell):
    """Keras's cell convention (keras/src/layers/rnn/lstm.py, LSTMCell.call):
    cell(x, [h, c]) -> (h, [h, c])."""

    def forward(self, x, states):
        h, c = _lstm_step(self, x, *states)
        return h, [h, c]


class ListReturningLSTM(KerasStyleLSTM):
    """The Keras-style layer returning a list [output, h, c]."""

    def forward(self, x, initial_state):
        return list(super().forward(x, initial_state=initial_state))


class CarryFirstLSTM(KerasStyleLSTM):
    """A sequence module taking the state first and returning it first:
    module((h, c), x) -> ((h, c), output)."""

    def forward(self, state, x):
        output, h, c = super().forward(x, initial_state=list(state))
        return (h, c), output


def with_call(text: str, call: str, **top: str) -> str:
    """The example fused mapping on spec lstm with its ``call = "cell"`` replaced by a
    [call] table (``call``) and top-level ``top`` keys."""
    head = "".join(f"{k} = {v}\n" for k, v in top.items())
    body = text.replace('call = "cell"\n', head)
    return body.replace("\n[params]", f"\n[call]\n{call}\n\n[params]", 1)


FUSED_SUMS_TEXT = FUSED_SUMS.read_text()
KERAS_TEXT = (EXAMPLES / "keras_lstm.toml").read_text()
CONVENTIONS = {
    "separate": (SeparateStatesCell, with_call(
        FUSED_SUMS_TEXT, 'kind = "cell"\nstate_packing = "separate"')),
    "keras-cell": (KerasCellStyle, with_call(
        FUSED_SUMS_TEXT, 'kind = "cell"\nstate_packing = "list"\nreturns = ["output", "state"]',
        outputs='["h"]')),
    "list-returned": (ListReturningLSTM, KERAS_TEXT),
    "state-first-sequence": (CarryFirstLSTM, KERAS_TEXT.replace(
        'state_keyword = "initial_state"   # layer(x, initial_state=[h, c])\n'
        'state_packing = "list"\nreturns = ["output", "h", "c"]    # -> output, h, c',
        'arguments = ["state", "x"]\nreturns = ["state", "output"]')),
}


@functools.cache
def _convention_target(name: str) -> MappingTarget:
    module, text = CONVENTIONS[name]
    return MappingTarget(module, loads_mapping(text, file=f"{name}.toml"))


@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_each_call_convention_runs_like_the_oracle_and_conforms(name):
    target = _convention_target(name)
    assert_runs_like_lstm(target, lstm_case(seed=6), outputs=target.outputs)
    for dtype in ("float32", "float64"):
        result = seqcheck.verify(target, dtype=dtype, max_examples=8)
        assert result.ok, result.format_text()


def test_the_conventions_as_read():
    keras = _example_target("keras_lstm").mapping
    assert (keras.arguments, keras.state_keyword, keras.state_packing, keras.returns) == (
        ("x",), "initial_state", "list", ("output", "h", "c"))
    flax = _example_target("flax_lstm").mapping
    assert (flax.arguments, flax.states, flax.returns, flax.output_vars, flax.outputs) == (
        ("state", "x"), ("c", "h"), ("state", "output"), ("h",), ("h", "c"))
    default = load_mapping(EXAMPLE)
    assert (default.arguments, default.state_packing, default.returns) == (
        ("x", "state"), "tuple", ("state",))
    # an instance's sizes are read off its quoted tensors and its sums as well
    instance = MappingTarget(KerasStyleLSTM(3, 4), keras)
    assert instance.fixed_sizes(LSTM_SPEC) == {"D": 3, "H": 4}


def _verify_error(target: MappingTarget) -> str:
    result = seqcheck.verify(target, max_examples=5, explain=False)
    assert not result.ok and result.check.error is not None, result.format_text()
    return result.check.error


def test_state_first_mapping_on_an_input_first_cell_is_a_clear_error():
    text = with_call(FUSED_SUMS_TEXT, 'kind = "cell"\narguments = ["state", "x"]')
    error = _verify_error(MappingTarget(FusedLSTMCell, loads_mapping(text, file="m.toml")))
    assert error.startswith("SeqcheckError: FusedLSTMCell(state, x_t) at step 1 raised "
                            "TypeError: ")


def test_separate_states_on_a_cell_taking_a_tuple_is_a_clear_error():
    text = with_call(FUSED_SUMS_TEXT, 'kind = "cell"\nstate_packing = "separate"')
    error = _verify_error(MappingTarget(FusedLSTMCell, loads_mapping(text, file="m.toml")))
    assert error == ("SeqcheckError: FusedLSTMCell(x_t, h, c) at step 1 raised TypeError: "
                     "FusedLSTMCell.forward() takes 3 positional arguments but 4 were given")


class HxKeyword(KerasStyleLSTM):
    """The Keras-style layer taking its state as ``hx``."""

    def forward(self, x, hx):
        return super().forward(x, initial_state=hx)


def test_a_keyword_the_module_does_not_take_is_a_clear_error():
    error = _verify_error(MappingTarget(HxKeyword, EXAMPLES / "keras_lstm.toml"))
    assert error == ("SeqcheckError: HxKeyword(x, initial_state=state) raised TypeError: "
                     "HxKeyword.forward() got an unexpected keyword argument 'initial_state'")


def test_a_positional_state_where_the_module_takes_it_by_keyword_diverges():
    # the module's second parameter is a mask and its state a keyword after it: passed
    # positionally, the states land in the mask and the module starts from zeros
    class MaskFirst(KerasStyleLSTM):
        def forward(self, x, mask=None, initial_state=None):
            B, H = x.shape[0], self.weight("bias").shape[0] // 4
            zeros = [torch.zeros(B, H, dtype=x.dtype)] * 2
            return super().forward(x, initial_state if initial_state is not None else zeros)

    text = KERAS_TEXT.replace('state_keyword = "initial_state"   # layer(x, initial_state=[h, c])\n', "")
    result = seqcheck.verify(MappingTarget(MaskFirst, loads_mapping(text, file="m.toml")),
                             max_examples=15, explain=False)
    assert not result.ok
    # the shrunk case starts from zero states, where only their gradients show it: none
    # reaches them
    divergences = result.check.divergences
    assert {d.what for d in divergences} == {"gradient h_0", "gradient c_0"}
    assert all(d.actual == 0 for d in divergences), result.format_text()
    # from a general initial state, the outputs diverge at once
    case = lstm_case(seed=8)
    observed = MappingTarget(MaskFirst, loads_mapping(text, file="m.toml")).run(
        case, "float64", gradients=False)
    run = gated.lstm(dict(case.params), case.inputs["x"], dict(case.initial))
    assert not np.allclose(observed.per_step["h"][0], run.values["h"][0], atol=1e-3)


def test_returned_states_in_the_wrong_order_diverge():
    class ReturnsCH(KerasStyleLSTM):  # [output, c, h], where the mapping says output, h, c
        def forward(self, x, initial_state):
            output, h, c = super().forward(x, initial_state)
            return output, c, h

    result = seqcheck.verify(MappingTarget(ReturnsCH, EXAMPLES / "keras_lstm.toml"),
                             max_examples=15, explain=False)
    assert not result.ok
    assert {d.what for d in result.check.divergences} == {"final state h", "final state c"}
    assert_exchanged(result.check.divergences, "final state h", "final state c")


def test_a_carry_in_the_wrong_order_diverges():
    # the flax cell's carry is (c, h); a mapping that says (h, c) feeds c as h
    text = (EXAMPLES / "flax_lstm.toml").read_text().replace('states = ["c", "h"]',
                                                            'states = ["h", "c"]')
    result = seqcheck.verify(MappingTarget(FlaxStyleLSTMCell, loads_mapping(text, file="m.toml")),
                             max_examples=15, explain=False)
    assert not result.ok
    whats = {d.what for d in result.check.divergences}
    assert {"final state h", "final state c"} <= whats <= {"final state h", "final state c",
                                                          "output h", "output c"}
    assert_exchanged(result.check.divergences, "final state h", "final state c")


def assert_exchanged(divergences, a: str, b: str) -> None:
    """Each of ``a``'s actual values is ``b``'s expected one at the same index, and back."""
    by = {(d.what, d.index): d for d in divergences}
    pairs = [(by[(a, i)], by[(b, i)]) for w, i in by if w == a]
    assert pairs
    for da, db in pairs:
        assert da.actual == pytest.approx(db.expected, rel=1e-5)
        assert db.actual == pytest.approx(da.expected, rel=1e-5)


def test_a_returned_structure_that_is_not_the_mapping_s_is_named():
    # Keras's cell returns (h, [h, c]); the mapping says (state, output)
    text = with_call(FUSED_SUMS_TEXT, 'kind = "cell"\nstate_packing = "list"\n'
                     'returns = ["state", "output"]', outputs='["h"]')
    target = MappingTarget(KerasCellStyle, loads_mapping(text, file="m.toml"))
    with pytest.raises(SeqcheckError) as info:
        target.run(lstm_case(seed=7), "float64", gradients=False)
    assert str(info.value) == ("KerasCellStyle(x_t, state) at step 1's state is Tensor; "
                               "expected a list of 2 tensors (h, c)")
    # a cell returning only its state where the mapping says (output, state)
    text = with_call(FUSED_SUMS_TEXT, 'kind = "cell"\nreturns = ["output", "state"]',
                     outputs='["h"]')
    target = MappingTarget(FusedLSTMCell, loads_mapping(text, file="m.toml"))
    with pytest.raises(SeqcheckError) as info:
        target.run(lstm_case(seed=7), "float64", gradients=False)
    assert str(info.value) == ("FusedLSTMCell(x_t, state) at step 1's state is Tensor; "
                               "expected a tuple of 2 tensors (h, c)")
    # a sequence module returning two values where the mapping says three
    target = MappingTarget(CarryFirstLSTM, EXAMPLES / "keras_lstm.toml")
    with pytest.raises(SeqcheckError) as info:
        target.run(lstm_case(seed=7), "float64", gradients=False)
    assert str(info.value).startswith("CarryFirstLSTM(x, initial_state=state) raised "
                                      "TypeError: ")


def test_batch_first_on_a_time_major_module_is_a_clear_error():
    text = TORCH_LSTM.format(batch_first="true")
    target = MappingTarget(lambda D, H: torch.nn.LSTM(D, H),
                           loads_mapping(text, file="torch_lstm.toml"), name="LSTM")
    result = seqcheck.verify(target, max_examples=15, explain=False)
    # the time-major module reads the batch axis as time: states of batch B do not fit
    assert result.check.error.startswith("SeqcheckError: LSTM(x, state) raised RuntimeError: "
                                         "Expected hidden[0] size")


# -- golden messages: sums and quoted names ---------------------------------------------------
SUMS_BASE = '''spec = "lstm"
call = "cell"
states = ["h", "c"]

[params]
W_ii = "weight[0:D, 0:H].T"
W_hi = "weight[D:D+H, 0:H].T"
W_io = "weight[0:D, H:2*H].T"
W_ho = "weight[D:D+H, H:2*H].T"
W_if = "weight[0:D, 2*H:3*H].T"
W_hf = "weight[D:D+H, 2*H:3*H].T"
W_ic = "weight[0:D, 3*H:4*H].T"
W_hc = "weight[D:D+H, 3*H:4*H].T"
"b_ii + b_hi" = "bias[0:H]"
"b_io + b_ho" = "bias[H:2*H]"
"b_if + b_hf" = "bias[2*H:3*H]"
"b_ic + b_hc" = "bias[3*H:4*H]"
'''
KERAS_BASE = '''spec = "lstm"
states = ["h", "c"]
outputs = ["h"]
batch_first = true

[call]
kind = "sequence"
state_keyword = "initial_state"
state_packing = "list"
returns = ["output", "h", "c"]

[params]
W_ii = "'lstm/lstm_cell/kernel'[:, 0:H].T"
W_if = "'lstm/lstm_cell/kernel'[:, H:2*H].T"
W_ic = "'lstm/lstm_cell/kernel'[:, 2*H:3*H].T"
W_io = "'lstm/lstm_cell/kernel'[:, 3*H:4*H].T"
W_hi = "'lstm/lstm_cell/recurrent_kernel'[:, 0:H].T"
W_hf = "'lstm/lstm_cell/recurrent_kernel'[:, H:2*H].T"
W_hc = "'lstm/lstm_cell/recurrent_kernel'[:, 2*H:3*H].T"
W_ho = "'lstm/lstm_cell/recurrent_kernel'[:, 3*H:4*H].T"
"b_ii + b_hi" = "'lstm/lstm_cell/bias'[0:H]"
"b_if + b_hf" = "'lstm/lstm_cell/bias'[H:2*H]"
"b_ic + b_hc" = "'lstm/lstm_cell/bias'[2*H:3*H]"
"b_io + b_ho" = "'lstm/lstm_cell/bias'[3*H:4*H]"
'''


class PeepholeLSTM(KerasStyleLSTM):
    """The Keras-style layer with a peephole weight that neither its forward nor the spec
    uses."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.register_parameter("lstm/lstm_cell/peephole",
                                torch.nn.Parameter(torch.zeros(hidden_size)))


# the fused cell on the two-bias lstm through sums, and the Keras-style layer
SUM_CASES = [
    pytest.param(
        '"b_ii + b_hi" = "bias[0:H]"',
        'b_ii = "bias[0:H]"\n"b_ii + b_hi" = "bias[0:H]"',
        FusedLSTMCell,
        ('duplicate', 15, 2, 'b_ii'),
        [
            "fused.toml:15:2: error[duplicate]: 'b_ii' is mapped twice: by 'b_ii' at line 14 and by 'b_ii + b_hi'",
            '    15 | "b_ii + b_hi" = "bias[0:H]"',
            '       |  ^^^^',
            '  hint: map each spec parameter once; a slice that holds the sum of two is written once, as "b_ii + b_hi" = "bias[0:H]"',
        ],
        id='sum-mapped-twice',
    ),
    pytest.param(
        '"b_io + b_ho" = "bias[H:2*H]"\n"b_if + b_hf" = "bias[2*H:3*H]"',
        '"b_io + b_if" = "bias[H:2*H]"\n"b_ho + b_hf" = "bias[2*H:3*H]"',
        FusedLSTMCell,
        ('bad-sum', 15, 2, 'b_io + b_if'),
        [
            "fused.toml:15:2: error[bad-sum]: spec 'lstm' uses b_io and b_if apart, not only as their sum: f = sigmoid(W_if @ x + b_if + W_hf @ h[t-1] + b_hf)",
            '    15 | "b_io + b_if" = "bias[H:2*H]"',
            '       |  ^^^^^^^^^^^',
            "  hint: a slice may hold a sum only where the spec adds its members in every equation (as lstm's b_ii + b_hi); map each to its own slice, or verify against a variant of the spec without one of them (docs/spec-language.md, Variants)",
            "fused.toml:16:2: error[bad-sum]: spec 'lstm' uses b_ho and b_hf apart, not only as their sum: f = sigmoid(W_if @ x + b_if + W_hf @ h[t-1] + b_hf)",
            '    16 | "b_ho + b_hf" = "bias[2*H:3*H]"',
            '       |  ^^^^^^^^^^^',
            "  hint: a slice may hold a sum only where the spec adds its members in every equation (as lstm's b_ii + b_hi); map each to its own slice, or verify against a variant of the spec without one of them (docs/spec-language.md, Variants)",
            '2 errors in mapping fused.toml',
        ],
        id='sum-apart',
    ),
    pytest.param(
        '"b_ii + b_hi" = "bias[0:H]"',
        '"b_ii + b_hi" = "bias[0:H+1]"',
        FusedLSTMCell,
        ('shape-mismatch', 14, 18, 'b_ii + b_hi'),
        [
            "fused.toml:14:18: error[shape-mismatch]: b_ii + b_hi = bias[0:H+1] has shape (6,), but spec 'lstm' declares b_ii + b_hi (H,) = (5,)",
            '    14 | "b_ii + b_hi" = "bias[0:H+1]"',
            '       |                  ^^^^^^^^^^^',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            "  hint: the slice must have the spec parameter's shape at every size; check its bounds",
        ],
        id='sum-shape',
    ),
    pytest.param(
        'W_ii = "weight[0:D, 0:H].T"\nW_hi = "weight[D:D+H, 0:H].T"',
        '"W_ii + W_hi" = "weight[0:D, 0:H].T"',
        FusedLSTMCell,
        ('bad-sum', 6, 2, 'W_ii + W_hi'),
        [
            "fused.toml:6:2: error[bad-sum]: the sum 'W_ii + W_hi' adds W_ii (H, D) and W_hi (H, H)",
            '     6 | "W_ii + W_hi" = "weight[0:D, 0:H].T"',
            '       |  ^^^^^^^^^^^',
            '  hint: a target slice holds the sum of spec parameters of one shape',
        ],
        id='sum-shape-members',
    ),
    pytest.param(
        '"b_if + b_hf" = "bias[2*H:3*H]"',
        '"b_if + b_hf" = "bias[H:2*H]"',
        FusedLSTMCell,
        ('overlap', 16, 18, 'b_if + b_hf'),
        [
            'fused.toml:16:18: error[overlap]: b_io + b_ho and b_if + b_hf both map bias[5:10]',
            '    16 | "b_if + b_hf" = "bias[H:2*H]"',
            '       |                  ^^^^^^^^^^^',
            '  "b_io + b_ho" = "bias[H:2*H]" at line 15',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            "  hint: each target element belongs to exactly one spec parameter; check the blocks' bounds",
            'fused.toml:5:2: error[uncovered]: no spec parameter maps bias[10:15] (5 of 20 elements of bias)',
            '     5 | [params]',
            '       |  ^^^^^^',
            '  dims: D = 3, H = 5 (the target built as FusedLSTMCell(3, 5))',
            '  hint: map these elements to a spec parameter: verify must set every element the target computes with',
            '2 errors in mapping fused.toml',
        ],
        id='sum-overlap',
    ),
    # -- the Keras-style layer: quoted names in messages --
    pytest.param(
        'W_if = "\'lstm/lstm_cell/kernel\'[:, H:2*H].T"',
        'W_if = "\'lstm/lstm_cell/kernal\'[:, H:2*H].T"',
        KerasStyleLSTM,
        ('unknown-target-param', 14, 9, 'lstm/lstm_cell/kernal'),
        [
            "fused.toml:14:9: error[unknown-target-param]: KerasStyleLSTM has no parameter 'lstm/lstm_cell/kernal'",
            '    14 | W_if = "\'lstm/lstm_cell/kernal\'[:, H:2*H].T"',
            '       |         ^^^^^^^^^^^^^^^^^^^^^^^',
            "  hint: did you mean 'lstm/lstm_cell/kernel'? its parameters are lstm/lstm_cell/kernel (3, 20), lstm/lstm_cell/recurrent_kernel (5, 20), lstm/lstm_cell/bias (20,)",
        ],
        id='keras-unknown-name',
    ),
    pytest.param(
        'W_io = "\'lstm/lstm_cell/kernel\'[:, 3*H:4*H].T"',
        'W_io = "\'lstm/lstm_cell/kernel\'[:, 3*H:4*H-1].T"',
        KerasStyleLSTM,
        ('shape-mismatch', 16, 9, 'W_io'),
        [
            "fused.toml:16:9: error[shape-mismatch]: W_io = 'lstm/lstm_cell/kernel'[:, 3*H:4*H-1].T has shape (4, 3), but spec 'lstm' declares W_io (H, D) = (5, 3)",
            '    16 | W_io = "\'lstm/lstm_cell/kernel\'[:, 3*H:4*H-1].T"',
            '       |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  dims: D = 3, H = 5 (the target built as KerasStyleLSTM(3, 5))',
            "  hint: the slice must have the spec parameter's shape at every size; check its bounds",
        ],
        id='keras-shape-mismatch',
    ),
    pytest.param(
        '[params]',
        '[params]',
        PeepholeLSTM,
        ('uncovered', 12, 2, 'lstm/lstm_cell/peephole'),
        [
            "fused.toml:12:2: error[uncovered]: no spec parameter maps 'lstm/lstm_cell/peephole' (the whole tensor, shape (5,))",
            '    12 | [params]',
            '       |  ^^^^^^',
            '  dims: D = 3, H = 5 (the target built as PeepholeLSTM(3, 5))',
            '  hint: map its elements to spec parameters, or fix its value under [fixed] if the spec does not use it: "lstm/lstm_cell/peephole" = 0.0',
        ],
        id='keras-uncovered-tensor',
    ),
    pytest.param(
        '[params]',
        '[fixed]\n"lstm/lstm_cell/pephole" = 0.0\n\n[params]',
        PeepholeLSTM,
        ('unknown-target-param', 13, 1, 'lstm/lstm_cell/pephole'),
        [
            "fused.toml:13:1: error[unknown-target-param]: PeepholeLSTM has no parameter 'lstm/lstm_cell/pephole'",
            '    13 | "lstm/lstm_cell/pephole" = 0.0',
            '       | ^^^^^^^^^^^^^^^^^^^^^^^^',
            "  hint: did you mean 'lstm/lstm_cell/peephole'? its parameters are lstm/lstm_cell/kernel (3, 20), lstm/lstm_cell/recurrent_kernel (5, 20), lstm/lstm_cell/bias (20,), lstm/lstm_cell/peephole (5,)",
        ],
        id='keras-fixed-unknown',
    ),
]


@pytest.mark.parametrize(("old", "new", "target", "where", "message"), SUM_CASES)
def test_error_message_with_sums_and_quoted_names(monkeypatch, old, new, target, where,
                                                  message):
    monkeypatch.chdir(EXAMPLES)
    base = KERAS_BASE if target in (KerasStyleLSTM, PeepholeLSTM) else SUMS_BASE
    assert old in base
    valid = KerasStyleLSTM if base is KERAS_BASE else FusedLSTMCell
    MappingTarget(valid, loads_mapping(base, file="fused.toml"))  # the base itself is valid
    with pytest.raises(MappingError) as info:
        MappingTarget(target, loads_mapping(base.replace(old, new, 1), file="fused.toml"))
    err = info.value
    assert str(err).splitlines() == message
    assert (err.kind, err.line, err.col, err.symbol) == where
