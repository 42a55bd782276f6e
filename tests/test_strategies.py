"""The Hypothesis strategies of ``seqcheck.strategies``: what every generated case promises.

Oracles: the compiled NumPy forward and backward passes (they reject arrays that do not fit
the declared shapes, and the strict conftest makes overflow an error), the declared shapes
evaluated here with SymPy, and ``hypothesis.find`` for what shrinking reaches. The reason
for witness weights is tested too: they see a swap of the seed 004 LSTM's input and forget
gates, which uniform weights (as in ONNX's and Keras's golden tests) do not.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from seqcheck import SeqcheckError, ShapeError, compile_numpy, load_spec, loads_spec
from seqcheck.catalogue import spec_names
from seqcheck.strategies import (
    SCALES,
    Case,
    batch_sizes,
    cases,
    dim_sizes,
    initial_states,
    parameters,
    projections,
    sequences,
    steps,
)

# A spec with what the catalogue lacks: a static input, a two-step delay, a compound dim
# and a scalar parameter.
EXTRAS = loads_spec("""
name = "strategies_extras"
outputs = ["h", "y"]
[dims]
D = "input size"
H = "hidden size"
[inputs]
x = { shape = ["D"] }
u = { shape = ["H"], static = true }
[states]
h = { shape = ["H"], init = "0" }
[params]
U = { shape = ["H", "1 + D"] }
W = { shape = ["H", "H"] }
alpha = { shape = [] }
[equations]
h = "alpha * h[t-2] + (1 - alpha) * tanh(U @ concat(1, x) + W @ h[t-1] + u)"
y = "sigmoid(h)"
""")

NAMES = spec_names()
SCALAR_SPECS = [n for n in NAMES if any(d.shape == () for d in load_spec(n).params.values())]
QUICK = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# find() without the explain phase, which re-runs a found example many times over
FIND = settings(database=None, phases=[Phase.generate, Phase.shrink])


@functools.cache
def _spec(name: str):
    return EXTRAS if name == EXTRAS.name else load_spec(name)


@functools.cache
def _compiled(name: str):
    return compile_numpy(_spec(name), gradients=True)


def _shape(spec, declared: tuple, sizes: dict) -> tuple[int, ...]:
    binding = {d.symbol: sizes[d.name] for d in spec.dims}
    return tuple(int(sp.sympify(n).subs(binding)) for n in declared)


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays] or [np.zeros(0)])


# -- whole cases on every spec --------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES + [EXTRAS.name])
@QUICK
@given(data=st.data())
def test_cases_fit_the_declarations_and_run(name, data):
    spec = _spec(name)
    case = data.draw(cases(spec), label="case")
    T, B, sizes = case.steps, case.batch, case.sizes
    assert list(sizes) == [d.name for d in spec.dims]
    assert {n: a.shape for n, a in case.params.items()} == \
        {n: _shape(spec, d.shape, sizes) for n, d in spec.params.items()}
    assert {n: a.shape for n, a in case.inputs.items()} == \
        {n: ((B,) if d.static else (T, B)) + _shape(spec, d.shape, sizes)
         for n, d in spec.inputs.items()}
    delayed = {s for s in spec.states if s in spec.delayed_refs()}
    assert {n: a.shape for n, a in case.initial.items()} == \
        {n: (B,) + _shape(spec, spec.states[n].shape, sizes) for n in delayed}
    assert {n: a.shape for n, a in case.seeds.items()} == \
        {v: (T, B) + _shape(spec, spec.shape_of(v), sizes) for v in spec.outputs}
    values = [*case.params.values(), *case.inputs.values(), *case.initial.values(),
              *case.seeds.values()]
    assert all(a.dtype == np.float64 for a in values)

    compiled = _compiled(name)
    traj = compiled.forward(case.params, case.inputs, initial=case.initial, steps=T)
    for v, a in traj.raw.items():
        assert np.all(np.isfinite(a)), f"{name}: {v} is not finite on {case.describe()}"
    grads = compiled.backward(traj, case.seeds)
    for kind in ("params", "inputs", "initial"):
        for n, g in getattr(grads, kind).items():
            assert np.all(np.isfinite(g)), f"{name}: ∂L/∂{n} is not finite on {case.describe()}"


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NAMES + [EXTRAS.name]), data=st.data())
def test_witness_parameters_are_pairwise_distinct_across_all_parameters(name, data):
    spec = _spec(name)
    case = data.draw(cases(spec), label="case")
    flat = _flat(case.params.values())
    assert len(np.unique(flat)) == flat.size


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NAMES + [EXTRAS.name]), data=st.data())
def test_batch_rows_differ(name, data):
    spec = _spec(name)
    case = data.draw(cases(spec), label="case")
    # batch axis: 0 for static inputs (B, n), 1 for sequence inputs (T, B, n)
    rows = [_flat(np.take(a, b, axis=0 if spec.inputs[n].static else 1)
                  for n, a in case.inputs.items()) for b in range(case.batch)]
    for r, s in itertools.combinations(range(case.batch), 2):
        assert not np.array_equal(rows[r], rows[s]), f"rows {r} and {s} equal"


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(SCALAR_SPECS + [EXTRAS.name]), witness=st.booleans(),
       data=st.data())
def test_leak_rates_lie_in_the_unit_interval(name, witness, data):
    spec = _spec(name)
    case = data.draw(cases(spec, witness=witness), label="case")
    assert 0 <= case.params["alpha"] <= 1


@settings(max_examples=30, deadline=None)
@given(case=cases(load_spec("lstm"), fixed_sizes={"D": 3, "H": 5}),
       sizes=dim_sizes(load_spec("deep_rnn"), fixed={"H1": 2}))
def test_fixed_sizes_are_respected(case, sizes):
    assert dict(case.sizes) == {"D": 3, "H": 5}
    assert case.params["W_ii"].shape == (5, 3) and case.inputs["x"].shape[2:] == (3,)
    assert sizes["H1"] == 2 and all(1 <= k <= 4 for k in sizes.values())


@settings(max_examples=40, deadline=None)
@given(sizes=dim_sizes(load_spec("deep_rnn"), min_size=2, max_size=3), T=steps(3, 5),
       B=batch_sizes(), case=cases(load_spec("rnn"), max_steps=2, max_batch=3))
def test_sizes_steps_and_batch_stay_in_range(sizes, T, B, case):
    assert all(2 <= k <= 3 for k in sizes.values())
    assert 3 <= T <= 5 and 2 <= B <= 4
    assert 1 <= case.steps <= 2 and 2 <= case.batch <= 3


# -- single strategies -------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(scale=st.sampled_from([0.25, 2.0]), data=st.data())
def test_a_given_scale_bounds_parameters_and_inputs(scale, data):
    spec, sizes = load_spec("esn"), {"N_u": 2, "N_x": 3, "N_y": 1}
    p = data.draw(parameters(spec, sizes, scale=scale))
    assert all(np.abs(a).max() <= scale for n, a in p.items() if n != "alpha")
    x = data.draw(sequences(spec, sizes, T=3, B=2, scale=scale))["x"]
    assert np.abs(x).max() <= scale


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_bounds_override_the_default_per_parameter(data):
    spec, sizes = load_spec("leaky_rnn"), {"D": 2, "H": 2, "C": 1}
    p = data.draw(parameters(spec, sizes, scale=6.0, bounds={"alpha": (-0.5, -0.25),
                                                              "b_h": (2.0, 3.0)}))
    assert -0.5 <= p["alpha"] <= -0.25 and np.all((2 <= p["b_h"]) & (p["b_h"] <= 3))
    flat = _flat(p.values())
    assert len(np.unique(flat)) == flat.size


def test_bounds_of_none_lift_the_default():
    spec, sizes = load_spec("leaky_rnn"), {"D": 2, "H": 2, "C": 1}
    lifted = find(parameters(spec, sizes, scale=6.0, bounds={"alpha": None}),
                  lambda p: p["alpha"] < 0, settings=FIND)
    assert -6 <= lifted["alpha"] < 0


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_initial_states_cover_every_delayed_state(data):
    # birnn's backward chain reads h_bwd[t+1]; the extras read h at t-1 and t-2
    h0 = data.draw(initial_states(load_spec("birnn"), {"D": 1, "H": 2, "C": 3}, B=3))
    assert {n: a.shape for n, a in h0.items()} == {"h_fwd": (3, 2), "h_bwd": (3, 2)}
    h0 = data.draw(initial_states(EXTRAS, {"D": 1, "H": 4}, B=2))
    assert {n: a.shape for n, a in h0.items()} == {"h": (2, 4)}


def test_initial_states_shrink_to_zeros_and_can_be_random():
    lstm, sizes = load_spec("lstm"), {"D": 1, "H": 2}
    smallest = find(initial_states(lstm, sizes, B=2), lambda s: True, settings=FIND)
    assert all(not a.any() for a in smallest.values())
    random = find(initial_states(lstm, sizes, B=2), lambda s: s["c"].any(), settings=FIND)
    assert random["c"].any()


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_projection_seeds_are_distinct_nonzero_and_within_one(data):
    spec = load_spec("elman")
    P = data.draw(projections(spec, {"D": 2, "H": 3, "C": 2}, T=2, B=2, outputs=["y_hat"]))
    assert list(P) == ["y_hat"] and P["y_hat"].shape == (2, 2, 2)
    flat = _flat(P.values())
    assert len(np.unique(flat)) == flat.size
    assert np.all((flat != 0) & (np.abs(flat) <= 1))


# -- shrinking ---------------------------------------------------------------------------
def test_shrinking_reaches_two_steps_a_batch_of_two_and_the_smallest_sizes():
    case = find(cases(load_spec("lstm")), lambda c: c.steps >= 2 and c.batch >= 2,
                settings=FIND)
    assert (case.steps, case.batch, dict(case.sizes)) == (2, 2, {"D": 1, "H": 1})
    assert case.describe() == "D=1, H=1; T=2 steps; batch B=2"
    # small magnitudes: the first scale, and zero initial states
    values = [*case.params.values(), *case.inputs.values()]
    assert max(np.abs(a).max() for a in values) <= SCALES[0]
    assert all(not a.any() for a in case.initial.values())


def test_shrinking_reaches_equal_sizes_and_distinct_ones_when_asked():
    assert find(dim_sizes(load_spec("deep_rnn")), lambda s: True, settings=FIND) == \
        {"D": 1, "H1": 1, "H2": 1, "C": 1}
    distinct = find(dim_sizes(load_spec("deep_rnn")), lambda s: len(set(s.values())) == 4,
                    settings=FIND)
    assert sorted(distinct.values()) == [1, 2, 3, 4]


def test_hidden_and_input_sizes_differ_in_most_draws():
    differ = []

    @settings(max_examples=100, deadline=None, derandomize=True, database=None)
    @given(dim_sizes(load_spec("lstm")))
    def record(sizes):
        differ.append(sizes["D"] != sizes["H"])

    record()
    assert sum(differ) >= 0.6 * len(differ), f"{sum(differ)} of {len(differ)} differ"


# -- witness weights find a gate permutation; uniform weights do not ----------------------
def _swap_input_and_forget_gates(params: dict) -> dict:
    swapped = dict(params)
    for a, b in (("W_ii", "W_if"), ("W_hi", "W_hf"), ("b_ii", "b_if"), ("b_hi", "b_hf")):
        swapped[a], swapped[b] = params[b], params[a]
    return swapped


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_witness_weights_see_a_swap_of_the_input_and_forget_gates(data):
    spec = load_spec("lstm")
    sizes = data.draw(dim_sizes(spec))
    T, B = data.draw(steps(1, 3)), data.draw(batch_sizes())
    params = data.draw(parameters(spec, sizes, scale=1.0))  # no saturation to exactly 1.0
    x = data.draw(sequences(spec, sizes, T, B, scale=1.0))
    run = _compiled("lstm").forward
    assert not np.array_equal(run(params, x).values["c"],
                              run(_swap_input_and_forget_gates(params), x).values["c"])


def test_uniform_weights_hide_the_same_swap():
    # Keras's golden LSTM test style: every weight 0.1, here at D = H = 2
    params = {n: np.full((2,) * len(d.shape), 0.1) for n, d in load_spec("lstm").params.items()}
    x = {"x": np.arange(8.0).reshape(2, 2, 2) / 8}
    run = _compiled("lstm").forward
    assert np.array_equal(run(params, x).values["c"],
                          run(_swap_input_and_forget_gates(params), x).values["c"])


# -- the Case value ------------------------------------------------------------------------
def test_case_is_immutable_and_describes_itself():
    case = Case({"N_u": 2, "N_x": 3}, 1, 4, {}, {"x": np.zeros((1, 4, 2))}, {}, {})
    assert case.describe() == "N_u=2, N_x=3; T=1 step; batch B=4"
    with pytest.raises(AttributeError):
        case.steps = 2
    with pytest.raises(TypeError):
        case.inputs["x"] = None


# -- invalid arguments: the message, line by line -----------------------------------------
LSTM = load_spec("lstm")
INVALID = [
    ("fixed-unknown-dim", lambda: dim_sizes(LSTM, fixed={"HH": 3}), ShapeError,
     "cannot fix the size of 'HH': spec 'lstm' has no such dim (dims: D, H); "
     "did you mean 'H'?"),
    ("fixed-zero", lambda: dim_sizes(LSTM, fixed={"H": 0}), ShapeError,
     "fixed size of 'H' must be an int >= 1, got 0"),
    ("sizes-inverted", lambda: dim_sizes(LSTM, min_size=3, max_size=2), ShapeError,
     "smallest dim size 3 is larger than the largest, 2"),
    ("steps-zero", lambda: steps(0, 3), ShapeError,
     "smallest steps must be at least 1, got 0"),
    ("batch-float", lambda: batch_sizes(2, 4.0), ShapeError,
     "largest batch size must be an int, got 4.0 (type float)"),
    ("max-batch-one", lambda: cases(LSTM, max_batch=1), ShapeError,
     "smallest batch size 2 is larger than the largest, 1"),
    ("sizes-missing", lambda: parameters(LSTM, {"D": 2}), ShapeError,
     "sizes {'D': 2} do not fit spec 'lstm': no size for H (dims: D, H)"),
    ("sizes-unknown", lambda: parameters(LSTM, {"D": 2, "H": 2, "C": 1}), ShapeError,
     "sizes {'D': 2, 'H': 2, 'C': 1} do not fit spec 'lstm': no dim C (dims: D, H)"),
    ("sizes-zero", lambda: sequences(LSTM, {"D": 0, "H": 2}, T=1, B=2), ShapeError,
     "sizes must be ints >= 1, got {'D': 0}"),
    ("T-zero", lambda: sequences(LSTM, {"D": 1, "H": 2}, T=0, B=2), ShapeError,
     "steps T must be an int >= 1, got 0"),
    ("scale-negative", lambda: parameters(LSTM, {"D": 1, "H": 1}, scale=-1), SeqcheckError,
     "scale must be a finite number > 0 or None (to draw one of (0.5, 1.0, 3.0, 6.0)), "
     "got -1"),
    ("bounds-unknown", lambda: parameters(load_spec("esn"), {"N_u": 1, "N_x": 1, "N_y": 1},
                                          bounds={"alhpa": (0, 1)}), SeqcheckError,
     "bounds for 'alhpa': spec 'esn' has no such parameter (parameters: W_in, W, W_out, "
     "alpha); did you mean 'alpha'?"),
    ("bounds-inverted", lambda: parameters(LSTM, {"D": 1, "H": 1}, bounds={"b_ii": (1, 0)}),
     SeqcheckError, "bounds for 'b_ii' must be finite with low < high, got (1.0, 0.0)"),
    ("bounds-not-a-pair", lambda: parameters(LSTM, {"D": 1, "H": 1}, bounds={"b_ii": 1}),
     SeqcheckError, "bounds for 'b_ii' must be (low, high) or None, got 1"),
    ("project-unknown", lambda: projections(LSTM, {"D": 1, "H": 1}, 1, 2, outputs=["z"]),
     ShapeError, "cannot project 'z': not variables of spec 'lstm' "
     "(variables: i, f, o, c_tilde, c, h, y)"),
]


@pytest.mark.parametrize("call, error, message", [row[1:] for row in INVALID],
                         ids=[row[0] for row in INVALID])
def test_invalid_arguments_are_rejected_at_once(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value).splitlines() == message.splitlines()
