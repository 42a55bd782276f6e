"""Mapping files: any torch module held to a spec through a user-written mapping.

Oracles: tests/oracles/gated.py (plain-NumPy LSTMs written from the lectures) for values;
central differences of that oracle's projection loss for gradients; seqcheck.verify end to
end, where a planted gate swap or a wrong gate must be found; golden messages, line by
line, for every error kind. The fused cell and its mapping are the ones of
examples/mapping/ that docs/mapping.md walks through.
"""
# ruff: noqa: E501 -- golden message lines are compared whole

from __future__ import annotations

import functools
import importlib.util
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
    kinds = {c.values[3][0] for c in CASES}
    assert kinds >= {
        "toml-syntax", "unknown-key", "missing-key", "type-error", "bad-value",
        "duplicate", "unknown-spec", "unknown-state", "missing-state", "unknown-variable",
        "unknown-dim", "missing-dim", "unknown-param", "missing-param", "syntax-error",
        "forbidden-construct", "unknown-target-param", "index-error", "out-of-range",
        "shape-mismatch", "overlap", "uncovered", "unsupported-spec",
    }
