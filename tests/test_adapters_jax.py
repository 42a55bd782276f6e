"""JAX targets (seqcheck.adapters.jax): equinox, flax.linen and flax.nnx cells, pure functions.

Oracles, none sharing seqcheck's code:

- ``tests/oracles/jax_cells.py``: each library cell transcribed into NumPy from its own
  source, pinned here against the library itself on random float64 parameters (every
  carry and output, several steps);
- ``tests/oracles/gated.py`` (the spec equations by hand): each layout, read as a table
  from spec parameters to the library's arrays, makes the transcription compute the spec;
- the library's own autograd over the whole unrolled sequence (``jax.vjp`` of a
  projection loss written here): the adapter's step-by-step VJPs equal it.

Then every class verifies as conforming (outputs, states, gradients; float32 and float64),
instances at their fixed sizes; planted defects in the engines' own form are found and
named; the user's ``jax_enable_x64`` survives every run; the CLI verifies a class by name.
"""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the JAX adapter needs jax (seqcheck[jax])")
eqx = pytest.importorskip("equinox", reason="equinox cells need equinox (seqcheck[jax])")
pytest.importorskip("flax", reason="flax cells need flax (seqcheck[jax])")

import jax.numpy as jnp  # noqa: E402
from flax import linen as nn  # noqa: E402
from flax import nnx  # noqa: E402
from oracles import gated  # noqa: E402
from oracles import jax_cells as oracle  # noqa: E402

import seqcheck  # noqa: E402
from seqcheck import SeqcheckError  # noqa: E402
from seqcheck.adapters.blocks import (  # noqa: E402
    Concat,
    Term,
    assemble,
    gates,
    grads_of,
    params_of,
)
from seqcheck.adapters.jax import CELLS, JaxTarget, enable_x64, object_target  # noqa: E402
from seqcheck.strategies import Case  # noqa: E402

CLASSES = {"equinox.nn.LSTMCell": eqx.nn.LSTMCell, "equinox.nn.GRUCell": eqx.nn.GRUCell,
           "flax.linen.LSTMCell": nn.LSTMCell,
           "flax.linen.OptimizedLSTMCell": nn.OptimizedLSTMCell,
           "flax.linen.GRUCell": nn.GRUCell, "flax.linen.SimpleCell": nn.SimpleCell,
           "flax.nnx.LSTMCell": nnx.LSTMCell, "flax.nnx.OptimizedLSTMCell": nnx.OptimizedLSTMCell,
           "flax.nnx.GRUCell": nnx.GRUCell, "flax.nnx.SimpleCell": nnx.SimpleCell}
ORACLES = {"equinox.nn.LSTMCell": oracle.eqx_lstm, "equinox.nn.GRUCell": oracle.eqx_gru,
           "flax.linen.LSTMCell": oracle.linen_lstm,
           "flax.linen.OptimizedLSTMCell": oracle.linen_optimized_lstm,
           "flax.linen.GRUCell": oracle.linen_gru, "flax.linen.SimpleCell": oracle.linen_simple,
           "flax.nnx.LSTMCell": oracle.nnx_lstm,
           "flax.nnx.OptimizedLSTMCell": oracle.nnx_optimized_lstm,
           "flax.nnx.GRUCell": oracle.nnx_gru, "flax.nnx.SimpleCell": oracle.nnx_simple}
LSTMS = {n for n in CLASSES if "LSTM" in n}
BIASED = {n for n in CLASSES if n.startswith("equinox")}  # only equinox takes use_bias
D, H, B, T = 3, 4, 2, 3


@pytest.fixture
def x64():
    """float64 JAX for the oracle comparisons; the previous setting restored after."""
    before = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


# -- the library's own cell at random float64 parameters ----------------------------------
def _filled(tree, rng):
    """Every array (or array shape) of ``tree`` replaced by random float64 values."""
    return jax.tree.map(lambda a: jnp.asarray(rng.normal(size=a.shape)), tree)


def _library(name: str, rng, use_bias: bool = True):
    """(params as the library's nested dict of NumPy arrays, step(x, carry) -> (carry, out),
    initial carry) for class ``name`` at D, H with random float64 parameters. Shapes come
    from ``eval_shape``; the step is the library's own call, jitted."""
    cls = CLASSES[name]
    h0, c0 = rng.normal(size=(B, H)), rng.normal(size=(B, H))
    if name.startswith("equinox"):
        shapes = eqx.filter_eval_shape(cls, D, H, use_bias=use_bias, dtype=jnp.float64,
                                       key=jax.random.key(0))
        arrays, static = eqx.partition(shapes, lambda a: isinstance(a, jax.ShapeDtypeStruct))
        m = eqx.combine(_filled(arrays, rng), static)
        fields = ("weight_ih", "weight_hh", "bias", "bias_n")
        params = {f: None if getattr(m, f, None) is None else np.asarray(getattr(m, f))
                  for f in fields if hasattr(m, f)}
        step = jax.jit(lambda x, c: (jax.vmap(m)(x, c),) * 2)
        return params, step, (h0, c0) if name in LSTMS else h0
    carry = (c0, h0) if name in LSTMS else h0
    if name.startswith("flax.linen"):
        m = cls(features=H, param_dtype=jnp.float64)
        variables = _filled(jax.eval_shape(m.init, jax.random.key(0), carry,
                                           jnp.zeros((B, D))), rng)
        step = jax.jit(lambda x, c: m.apply(variables, c, x))
        return jax.tree.map(np.asarray, variables["params"]), step, carry
    m = nnx.eval_shape(lambda: cls(D, H, rngs=nnx.Rngs(0), param_dtype=jnp.float64,
                                   dtype=jnp.float64))
    graphdef, state, rest = nnx.split(m, nnx.Param, ...)
    pure = _filled(nnx.to_pure_dict(state), rng)
    step = jax.jit(lambda x, c: nnx.merge(graphdef, pure, rest)(c, x))
    return jax.tree.map(np.asarray, pure), step, carry


def _leaves(tree):
    return [np.asarray(a, dtype=np.float64) for a in jax.tree.leaves(tree)]


CONFIGURATIONS = [(n, True) for n in CLASSES] + [(n, False) for n in CLASSES if n in BIASED]


@pytest.mark.parametrize(("name", "use_bias"), CONFIGURATIONS,
                         ids=[f"{n}{'' if b else '-no-bias'}" for n, b in CONFIGURATIONS])
def test_each_transcription_computes_what_the_library_computes(name, use_bias, x64):
    rng = np.random.default_rng(len(name))
    params, step, carry = _library(name, rng, use_bias)
    if name in BIASED:
        assert (params["bias"] is None) is (not use_bias)
    lib_carry, ora_carry = carry, carry
    x = rng.normal(size=(T, B, D))
    for t in range(T):
        lib_carry, lib_out = step(x[t], lib_carry)
        result = ORACLES[name](params, x[t], ora_carry)
        ora_carry, ora_out = (result, result) if name.startswith("equinox") else result
        for got, want in zip(_leaves((lib_carry, lib_out)), _leaves((ora_carry, ora_out))):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# -- the layouts, read against the spec equations written by hand ------------------------
def _nested(flat: dict) -> dict:
    out: dict = {}
    for path, value in flat.items():
        *outer, last = path.split("/")
        node = out
        for key in outer:
            node = node.setdefault(key, {})
        node[last] = value
    return out


def _rnn_torch(p, x, h):
    """Spec rnn_torch by hand: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""
    hs = []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ p["W_ih"].T + p["b_ih"] + h @ p["W_hh"].T + p["b_hh"])
        hs.append(h)
    return np.stack(hs)


@pytest.mark.parametrize(("name", "use_bias"), CONFIGURATIONS,
                         ids=[f"{n}{'' if b else '-no-bias'}" for n, b in CONFIGURATIONS])
def test_each_layout_makes_the_library_compute_its_spec(name, use_bias):
    cell = CELLS[name]
    rng = np.random.default_rng(7)
    base = "gru" if cell.spec == "gru_no_b_hn" else cell.spec
    shapes = ({"W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}
              if base == "rnn_torch" else gated.param_shapes(base, D, H))
    spec_params = {p: rng.normal(size=s) for p, s in shapes.items()}
    layout = cell.layout_for(use_bias)
    placed = {p for block in layout.values() for p in params_of(block)}
    # what the library has no place for (nnx's b_hn, use_bias=False) is zero in the spec
    spec_params = {p: v if p in placed else np.zeros_like(v) for p, v in spec_params.items()}
    library = _nested({path: assemble(block, spec_params) for path, block in layout.items()})
    x, h0, c0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    if base == "rnn_torch":
        want = {"h": _rnn_torch(spec_params, x, h0)}
    else:
        run = getattr(gated, base)(spec_params, x, {"h": h0, "c": c0} if base == "lstm"
                                   else {"h": h0})
        want = {s: run.values[s] for s in cell.carry}
    start = {"h": h0, "c": c0}
    carry = tuple(start[s] for s in cell.carry) if len(cell.carry) > 1 else h0
    got = {s: [] for s in cell.carry}
    for t in range(T):
        result = ORACLES[name](library, x[t], carry)
        carry = result if name.startswith("equinox") else result[0]
        for k, s in enumerate(cell.carry):
            got[s].append(carry[k] if len(cell.carry) > 1 else carry)
    for s in cell.carry:
        np.testing.assert_allclose(np.stack(got[s]), want[s], rtol=1e-12, atol=1e-12)


def test_nnx_gru_has_no_recurrent_candidate_bias_and_linen_gru_has_one():
    # flax.nnx.GRUCell's docstring writes r * (W_hn h + b_hn); its dense_h has no bias
    module = nnx.eval_shape(lambda: nnx.GRUCell(D, H, rngs=nnx.Rngs(0)))
    params = nnx.to_pure_dict(nnx.split(module, nnx.Param, ...)[1])
    assert set(params["dense_h"]) == {"kernel"}
    assert set(params["dense_i"]) == {"kernel", "bias"}
    linen = jax.eval_shape(nn.GRUCell(features=H).init, jax.random.key(0),
                           jnp.zeros((1, H)), jnp.zeros((1, D)))["params"]
    assert set(linen["hn"]) == {"kernel", "bias"} and set(linen["hr"]) == {"kernel"}
    variant = object_target(nnx.GRUCell).default_spec()
    assert variant.name == "gru_no_b_hn"
    assert set(seqcheck.load_spec("gru").params) - set(variant.params) == {"b_hn"}
    assert variant.equation("n").text == "tanh(W_in @ x + b_in + r * (W_hn @ h[t-1]))"


# -- the adapter's gradients: JAX's VJP of each step, chained, against the whole sequence --
def _case(sizes, steps, batch, spec, rng) -> Case:
    shapes = {p: tuple(sizes[str(d)] for d in decl.shape) for p, decl in spec.params.items()}
    n = sizes["H"]
    return Case(sizes, steps, batch,
                {p: rng.normal(size=s) * 0.7 for p, s in shapes.items()},
                {"x": rng.normal(size=(steps, batch, sizes["D"]))},
                {s: rng.normal(size=(batch, n)) for s in spec.states},
                {v: rng.normal(size=(steps, batch, n)) for v in spec.states})


@pytest.mark.parametrize("name", ["flax.linen.LSTMCell", "equinox.nn.GRUCell"])
def test_chained_step_vjps_equal_jax_vjp_of_the_whole_sequence(name, x64):
    target = object_target(CLASSES[name])
    spec, cell = target.default_spec(), CELLS[name]
    case = _case({"D": 3, "H": 2}, 3, 2, spec, np.random.default_rng(11))
    observed = target.run(case, "float64", gradients=True)

    flat = {path: jnp.asarray(assemble(block, case.params)) for path, block in
            cell.layout.items()}
    if name.startswith("equinox"):
        m = CLASSES[name](3, 2, dtype=jnp.float64, key=jax.random.key(0))
        arrays, static = eqx.partition(m, eqx.is_array)

        def run(params, x, carry):  # the library's own call on the whole sequence
            module = eqx.combine(params, static)
            hs = []
            for t in range(x.shape[0]):
                carry = jax.vmap(module)(x[t], carry)
                hs.append(carry)
            return {"h": jnp.stack(hs)}

        params = eqx.tree_at(lambda p: [getattr(p, f) for f in flat], arrays,
                             list(flat.values()))
        carry = jnp.asarray(case.initial["h"])
    else:
        module = CLASSES[name](features=2, param_dtype=jnp.float64)

        def run(params, x, carry):
            hs, cs = [], []
            for t in range(x.shape[0]):
                carry, out = module.apply({"params": params}, carry, x[t])
                hs.append(out)
                cs.append(carry[0])
            return {"h": jnp.stack(hs), "c": jnp.stack(cs)}

        params = _nested(flat)
        carry = (jnp.asarray(case.initial["c"]), jnp.asarray(case.initial["h"]))

    def loss(params, x, carry):  # the projection loss, written here in jnp
        values = run(params, x, carry)
        return sum(jnp.sum(values[v] * case.seeds[v]) for v in values)

    @jax.jit
    def whole(params, x, carry):
        value, pullback = jax.vjp(loss, params, x, carry)
        return pullback(jnp.ones_like(value))

    d_params, d_x, d_carry = whole(params, jnp.asarray(case.inputs["x"]), carry)
    if name.startswith("equinox"):
        d_flat = {f: getattr(d_params, f) for f in flat}
        d_initial = {"h": d_carry}
    else:
        d_flat = {path: functools.reduce(lambda node, k: node[k], path.split("/"), d_params)
                  for path in flat}
        d_initial = {"c": d_carry[0], "h": d_carry[1]}
    expected = grads_of(cell.layout, d_flat)
    assert set(observed.params) == set(spec.params)
    for p in spec.params:
        np.testing.assert_allclose(observed.params[p], expected[p], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(observed.x, np.asarray(d_x), rtol=1e-10, atol=1e-12)
    for s in cell.carry:
        np.testing.assert_allclose(observed.initial[s], np.asarray(d_initial[s]),
                                   rtol=1e-10, atol=1e-12)


# -- conformance through seqcheck.verify -----------------------------------------------------
#: the CLI test verifies these two classes at drawn sizes (below)
BY_THE_CLI = ("equinox.nn.LSTMCell", "flax.linen.GRUCell")


@pytest.mark.parametrize("name", [n for n in CLASSES if n not in BY_THE_CLI])
def test_every_class_conforms_at_drawn_sizes_in_float32(name):
    result = seqcheck.verify(object_target(CLASSES[name]), dtype="float32", max_examples=5,
                             seed=3)
    assert result.ok, str(result)
    assert (result.dtype, result.gradients, result.spec) == ("float32", True, CELLS[name].spec)


def _instance(name: str, D: int = 2, H: int = 3):
    cls = CLASSES[name]
    if name.startswith("equinox"):
        return cls(D, H, key=jax.random.key(1))
    if name.startswith("flax.linen"):  # bound to its variables: D and H both fixed
        module = cls(features=H)
        carry = (jnp.zeros((1, H)),) * 2 if name in LSTMS else jnp.zeros((1, H))
        return module.bind(module.init(jax.random.key(1), carry, jnp.zeros((1, D))))
    return cls(D, H, rngs=nnx.Rngs(1), dtype=None)


@pytest.mark.parametrize("name", CLASSES)
def test_every_class_conforms_as_an_instance_in_float64(name):
    target = object_target(_instance(name))
    assert target.fixed_sizes(target.default_spec()) == {"D": 2, "H": 3}
    result = seqcheck.verify(target, dtype="float64", max_examples=8, seed=5)
    assert result.ok, str(result)
    assert (result.dtype, result.gradients) == ("float64", True)


@pytest.mark.parametrize("cls", [eqx.nn.LSTMCell, eqx.nn.GRUCell], ids=["lstm", "gru"])
def test_equinox_without_bias_follows_the_nobias_spec(cls):
    target = object_target(cls(3, 2, use_bias=False, key=jax.random.key(2)))
    spec = target.default_spec()
    assert spec.name in ("lstm_nobias", "gru_nobias")
    assert not [p for p in spec.params if p.startswith("b_")]
    assert set(target.layout) == {"weight_ih", "weight_hh"}
    assert seqcheck.verify(target, dtype="float32", max_examples=5, seed=1).ok


def test_bound_linen_modules_and_module_variable_pairs_fix_both_sizes():
    module = nn.OptimizedLSTMCell(features=3)
    variables = module.init(jax.random.key(0), (jnp.zeros((1, 3)),) * 2, jnp.zeros((1, 2)))
    for target in (object_target(module.bind(variables)), object_target((module, variables))):
        assert target.fixed_sizes(target.default_spec()) == {"D": 2, "H": 3}
        assert target.states == ("c", "h") and target.outputs == ("h", "c")
    assert seqcheck.verify(target, dtype="float32", max_examples=10, seed=2).ok


def test_instances_are_left_untouched():
    eqx_cell = eqx.nn.GRUCell(2, 3, key=jax.random.key(0))
    nnx_cell = nnx.SimpleCell(2, 3, rngs=nnx.Rngs(0))
    before = (np.asarray(eqx_cell.weight_ih).copy(),
              jax.tree.map(np.copy, nnx.to_pure_dict(nnx.split(nnx_cell, nnx.Param)[1])))
    for cell in (eqx_cell, nnx_cell):
        assert seqcheck.verify(object_target(cell), max_examples=3, seed=0).ok
    np.testing.assert_array_equal(np.asarray(eqx_cell.weight_ih), before[0])
    after = nnx.to_pure_dict(nnx.split(nnx_cell, nnx.Param)[1])
    for a, b in zip(jax.tree.leaves(after), jax.tree.leaves(before[1])):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_an_unbound_linen_instance_is_verified_without_wrapping():
    # seqcheck.verify -> make_target -> engines.PACKAGES["flax"] -> this adapter; an
    # unbound definition fixes H (features) and is initialised at each case's D
    module = nn.SimpleCell(features=2)
    assert object_target(module).fixed_sizes(seqcheck.load_spec("rnn_torch")) == {"H": 2}
    result = seqcheck.verify(module, max_examples=5, seed=0)
    assert result.ok and result.spec == "rnn_torch", str(result)
    assert result.target == "flax.linen.SimpleCell"


def test_a_fixed_computation_dtype_is_the_only_dtype_run():
    # nnx.SimpleCell computes in float32 unless built with dtype=None (its __init__ default)
    assert object_target(nnx.SimpleCell(2, 3, rngs=nnx.Rngs(0))).dtypes == ("float32",)
    assert object_target(nnx.SimpleCell(2, 3, rngs=nnx.Rngs(0), dtype=None)).dtypes == \
        ("float32", "float64")
    with pytest.raises(SeqcheckError, match="does not run in float64; it runs in float32"):
        seqcheck.verify(object_target(nn.GRUCell(features=2, dtype=jnp.float32)),
                        dtype="float64", max_examples=1)


# -- planted defects, in each engine's own form ----------------------------------------------
class SwappedGates(eqx.nn.LSTMCell):
    """equinox's LSTMCell.__call__ with the input and forget gates exchanged."""

    def __call__(self, input, hidden, *, key=None):
        h, c = hidden
        lin = self.weight_ih @ input + self.weight_hh @ h + self.bias
        f, i, g, o = jnp.split(lin, 4)  # equinox: i, f, g, o
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        return jax.nn.sigmoid(o) * jnp.tanh(c), c


class DropsCandidateBias(nn.GRUCell):
    """flax.linen's GRUCell.__call__ whose candidate leaves out hn's bias (kept as a
    parameter, unused)."""

    @nn.compact
    def __call__(self, carry, inputs):
        h = carry
        dense_h = functools.partial(nn.Dense, features=h.shape[-1], use_bias=False)
        dense_i = functools.partial(nn.Dense, features=h.shape[-1], use_bias=True)
        r = self.gate_fn(dense_i(name="ir")(inputs) + dense_h(name="hr")(h))
        z = self.gate_fn(dense_i(name="iz")(inputs) + dense_h(name="hz")(h))
        hn = nn.Dense(h.shape[-1], use_bias=True, name="hn")
        recurrent = hn(h) - hn.variables["params"]["bias"]
        n = self.activation_fn(dense_i(name="in")(inputs) + r * recurrent)
        new_h = (1.0 - z) * n + z * h
        return new_h, new_h


class WithoutInputBias(nn.GRUCell):
    """flax.linen's GRUCell with its candidate's input Dense built without a bias."""

    @nn.compact
    def __call__(self, carry, inputs):
        h = carry
        r = self.gate_fn(nn.Dense(h.shape[-1], name="ir")(inputs)
                         + nn.Dense(h.shape[-1], use_bias=False, name="hr")(h))
        z = self.gate_fn(nn.Dense(h.shape[-1], name="iz")(inputs)
                         + nn.Dense(h.shape[-1], use_bias=False, name="hz")(h))
        n = self.activation_fn(nn.Dense(h.shape[-1], use_bias=False, name="in")(inputs)
                               + r * nn.Dense(h.shape[-1], name="hn")(h))
        new_h = (1.0 - z) * n + z * h
        return new_h, new_h


def test_a_subclass_with_two_gates_swapped_is_found_and_explained():
    # a user's subclass reaches this adapter through its base (engines.object_target)
    result = seqcheck.verify(SwappedGates(2, 3, key=jax.random.key(0)), max_examples=10,
                             seed=0)
    assert result.target == f"{__name__}.SwappedGates (subclass of equinox.nn.LSTMCell)"
    assert not result.ok
    assert result.check.divergences[0].what in ("output h", "output c")
    assert result.explanation.startswith("gates 'i' and 'f' exchange their parameters")


def test_a_subclass_dropping_a_bias_diverges_in_its_output():
    result = seqcheck.verify(DropsCandidateBias(features=3), max_examples=10, seed=0)
    assert not result.ok
    first = result.check.divergences[0]
    assert (first.what, first.step) == ("output h", 1)
    # the case's b_hn is nonzero, and the cell ignores it: the spec's n moves with it
    assert np.any(result.counterexample.params["b_hn"] != 0)


def test_a_subclass_whose_parameters_differ_from_its_parents_is_refused_by_path():
    with pytest.raises(SeqcheckError) as e:  # an instance: refused when it is named
        object_target(WithoutInputBias(features=3).bind(
            WithoutInputBias(features=3).init(jax.random.key(0), jnp.zeros((1, 3)),
                                              jnp.zeros((1, 2)))))
    assert str(e.value).splitlines() == [
        f"the parameters of {__name__}.WithoutInputBias (subclass of flax.linen.GRUCell) do "
        "not fit the layout: the layout places in/bias, which it does not have",
        "  its parameters: hn/bias, hn/kernel, hr/kernel, hz/kernel, in/kernel, ir/bias, "
        "ir/kernel, iz/bias, iz/kernel"]
    # a class: every case finds the same error, which the result carries
    result = seqcheck.verify(object_target(WithoutInputBias), max_examples=2, seed=0)
    assert not result.ok and "the layout places in/bias" in result.check.error


# a textbook Elman cell of one's own, column vectors: h = tanh(W x + U h + b)
ELMAN = {"W": Term(("W_ih",)), "U": Term(("W_hh",)), "b": Term(("b_ih", "b_hh"))}
ELMAN_PARAMS = {"W": np.zeros((4, 2)), "U": np.zeros((4, 4)), "b": np.zeros(4)}


def test_a_pure_function_with_a_transposed_kernel_is_found():
    def transposed(p, x, h):
        return jnp.tanh(p["W"] @ x + p["U"].T @ h + p["b"])

    def right(p, x, h):
        return jnp.tanh(p["W"] @ x + p["U"] @ h + p["b"])

    assert seqcheck.verify(JaxTarget.from_function(right, ELMAN_PARAMS, ELMAN, "rnn_torch"),
                           max_examples=10).ok
    result = seqcheck.verify(JaxTarget.from_function(transposed, ELMAN_PARAMS, ELMAN,
                                                     "rnn_torch"), max_examples=10)
    assert not result.ok
    # shrunk to one step from h_0 = 0, where W_hh.T @ h_0 = W_hh @ h_0: the forward pass
    # agrees and the transpose shows in dL/dh_0 = W_hh.T @ g where the spec has W_hh @ g
    case = result.counterexample
    assert case.steps == 1 and not np.any(case.initial["h"])
    assert {d.what for d in result.check.divergences} == {"gradient h_0"}


@jax.custom_vjp
def _tanh(a):
    return jnp.tanh(a)


def _tanh_fwd(a):
    y = jnp.tanh(a)
    return y, y


def _tanh_bwd(y, g):
    return (g * (1.0 - y),)  # wrong: d tanh(a) / da = 1 - y**2


_tanh.defvjp(_tanh_fwd, _tanh_bwd)


def test_a_custom_vjp_with_a_wrong_backward_is_found_by_its_gradients_alone():
    def cell(p, x, h):
        return _tanh(p["W"] @ x + p["U"] @ h + p["b"])

    target = JaxTarget.from_function(cell, ELMAN_PARAMS, ELMAN, "rnn_torch", name="custom")
    assert seqcheck.verify(target, gradients=False, max_examples=10).ok  # forward is right
    result = seqcheck.verify(target, max_examples=10)
    assert not result.ok
    assert result.check.divergences
    assert all(d.what.startswith("gradient") for d in result.check.divergences)


def _textbook_gru(p, x, h):
    """A GRU in row-vector form with stacked kernels: x @ W, W (D, 3H) in blocks r, z, n."""
    n_h = h.shape[-1]
    xw = x @ p["W"] + p["b"]
    hu = h @ p["U"]
    r = jax.nn.sigmoid(xw[:n_h] + hu[:n_h])
    z = jax.nn.sigmoid(xw[n_h:2 * n_h] + hu[n_h:2 * n_h])
    n = jnp.tanh(xw[2 * n_h:] + r * (hu[2 * n_h:] + p["b_n"]))
    return (1.0 - z) * n + z * h


TEXTBOOK = {"W": gates("W_i{g}", "rzn", transpose=True, axis=1),
            "U": gates("W_h{g}", "rzn", transpose=True, axis=1),
            "b": Concat((Term(("b_ir", "b_hr")), Term(("b_iz", "b_hz")), Term(("b_in",)))),
            "b_n": Term(("b_hn",))}
TEXTBOOK_PARAMS = {"W": np.zeros((2, 9)), "U": np.zeros((3, 9)), "b": np.zeros(9),
                   "b_n": np.zeros(3)}


@functools.cache
def _textbook_target() -> JaxTarget:
    """One target for every test of the hand-written GRU: compiled once per batch size."""
    return JaxTarget.from_function(_textbook_gru, TEXTBOOK_PARAMS, TEXTBOOK, "gru")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_hand_written_gru_function_conforms(dtype):
    target = _textbook_target()
    assert target.fixed_sizes(target.default_spec()) == {"D": 2, "H": 3}
    result = seqcheck.verify(target, dtype=dtype, max_examples=10, seed=4)
    assert result.ok, str(result)


def test_a_hand_written_gru_with_its_interpolation_swapped_is_found_and_explained():
    def swapped(p, x, h):
        n_h = h.shape[-1]
        xw, hu = x @ p["W"] + p["b"], h @ p["U"]
        r = jax.nn.sigmoid(xw[:n_h] + hu[:n_h])
        z = jax.nn.sigmoid(xw[n_h:2 * n_h] + hu[n_h:2 * n_h])
        n = jnp.tanh(xw[2 * n_h:] + r * (hu[2 * n_h:] + p["b_n"]))
        return z * n + (1.0 - z) * h  # z weights the candidate

    result = seqcheck.verify(JaxTarget.from_function(swapped, TEXTBOOK_PARAMS, TEXTBOOK, "gru"),
                             max_examples=10, seed=4)
    assert not result.ok
    assert result.check.divergences[0].what == "output h"
    assert result.explanation.startswith("equation 'h' exchanges z and 1 - z")


def test_a_batched_function_is_called_with_the_batch():
    seen = []

    def cell(p, x, h):
        seen.append(x.shape)
        return jnp.tanh(x @ p["W"].T + h @ p["U"].T + p["b"])

    target = JaxTarget.from_function(cell, ELMAN_PARAMS, ELMAN, "rnn_torch", batched=True)
    assert seqcheck.verify(target, max_examples=3, seed=0).ok
    assert all(len(shape) == 2 and shape[1] == 2 for shape in seen)  # traced at (B, D)


# -- jax_enable_x64: float64 inside a run, the user's setting outside ------------------------
@pytest.mark.parametrize("users", [False, True], ids=["x64-off", "x64-on"])
def test_the_users_x64_setting_survives_every_run(users):
    before = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", users)
    try:
        target = _textbook_target()
        for dtype in ("float64", "float32"):
            assert seqcheck.verify(target, dtype=dtype, max_examples=2, seed=0).ok
            assert jax.config.read("jax_enable_x64") is users

        def raises(p, x, h):
            raise RuntimeError("inside the step")

        failing = JaxTarget.from_function(raises, ELMAN_PARAMS, ELMAN, "rnn_torch")
        result = seqcheck.verify(failing, dtype="float64", max_examples=1, seed=0)
        assert not result.ok and "RuntimeError: inside the step" in result.check.error
        assert jax.config.read("jax_enable_x64") is users
    finally:
        jax.config.update("jax_enable_x64", before)


@pytest.mark.parametrize("users", [False, True], ids=["x64-off", "x64-on"])
def test_enable_x64_restores_the_setting_when_its_block_raises(users):
    before = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", users)
    try:
        with pytest.raises(KeyError), enable_x64(not users):
            assert jax.config.read("jax_enable_x64") is (not users)
            raise KeyError("from the block")
        assert jax.config.read("jax_enable_x64") is users
    finally:
        jax.config.update("jax_enable_x64", before)


def test_float64_runs_compute_in_float64(x64):
    # float32 arithmetic would differ from the float64 transcription by ~1e-7
    target = object_target(eqx.nn.LSTMCell)
    case = _case({"D": 3, "H": 4}, 3, 2, target.default_spec(), np.random.default_rng(0))
    jax.config.update("jax_enable_x64", False)  # the user's setting; the run enables it
    observed = target.run(case, "float64", gradients=False)
    params = {path: assemble(block, case.params) for path, block in CELLS[
        "equinox.nn.LSTMCell"].layout.items()}
    carry = (case.initial["h"], case.initial["c"])
    for t in range(3):
        carry = oracle.eqx_lstm(params, case.inputs["x"][t], carry)
        np.testing.assert_allclose(observed.per_step["h"][t], carry[0], rtol=1e-13, atol=1e-14)
    assert jax.config.read("jax_enable_x64") is False


# -- what is refused, and how it is said ------------------------------------------------------
def test_an_unknown_class_of_these_libraries_is_refused_listing_the_known_ones():
    with pytest.raises(SeqcheckError) as e:
        object_target(nn.MGUCell)
    assert str(e.value).splitlines() == [
        "class flax.linen.recurrent.MGUCell is not a recurrent cell seqcheck knows",
        "  hint: seqcheck holds these classes, their subclasses and instances: "
        + ", ".join(CELLS) + "; any other JAX cell through "
        "JaxTarget.from_function(step, params, layout, spec)"]
    with pytest.raises(SeqcheckError, match=r"^an instance of equinox\.nn\._linear\.Linear is "
                                            "not a recurrent cell seqcheck knows"):
        object_target(eqx.nn.Linear(2, 3, key=jax.random.key(0)))


@pytest.mark.parametrize(("module", "message"), [
    (nn.GRUCell(features=3, gate_fn=jax.nn.hard_sigmoid),
     "flax.linen.GRUCell has gate_fn='hard_sigmoid'; seqcheck's layout of flax.linen.GRUCell "
     "holds its default gate_fn='sigmoid' (spec gru)"),
    (nn.LSTMCell(features=3, activation_fn=jax.nn.relu),
     "flax.linen.LSTMCell has activation_fn='relu'; seqcheck's layout of flax.linen.LSTMCell "
     "holds its default activation_fn='tanh' (spec lstm)"),
    (nn.SimpleCell(features=3, residual=True),
     "flax.linen.SimpleCell has residual=True; seqcheck's layout of flax.linen.SimpleCell "
     "holds its default residual=False (spec rnn_torch)"),
], ids=["gate_fn", "activation_fn", "residual"])
def test_a_configuration_the_layout_does_not_hold_is_refused(module, message):
    with pytest.raises(SeqcheckError) as e:
        object_target(module)
    assert str(e.value).splitlines() == [
        message, "  hint: verify it through JaxTarget.from_function with a spec of its own"]


def test_a_computation_dtype_seqcheck_does_not_verify_is_refused():
    with pytest.raises(SeqcheckError) as e:
        object_target(nnx.SimpleCell(2, 3, rngs=nnx.Rngs(0), dtype=jnp.bfloat16))
    assert str(e.value).splitlines() == [
        "flax.nnx.SimpleCell computes in bfloat16 (dtype=bfloat16); seqcheck verifies float32 "
        "and float64 cells",
        "  hint: build it with dtype=None or jnp.float32"]


def test_a_layout_that_misses_a_parameter_fails_when_the_target_is_made():
    typo = {**TEXTBOOK, "b_n": Term(("b_hz",))}
    with pytest.raises(SeqcheckError) as e:
        JaxTarget.from_function(_textbook_gru, TEXTBOOK_PARAMS, typo, "gru", name="textbook")
    assert str(e.value) == ("the layout of textbook does not fit spec 'gru': not placed: b_hn; "
                            "placed twice: b_hz")
    wrong_shape = {**TEXTBOOK_PARAMS, "U": np.zeros((3, 6))}
    with pytest.raises(SeqcheckError, match="do not split into spec 'gru's blocks|do not fit"):
        JaxTarget.from_function(_textbook_gru, wrong_shape, TEXTBOOK, "gru")


# -- the command line and the lazy import -----------------------------------------------------
@pytest.mark.parametrize("name", BY_THE_CLI)
def test_the_cli_verifies_a_class_by_name(name, capsys):
    from seqcheck.cli import main

    assert main(["verify", name, "--max-examples", "10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conforms: ") and name in out


def test_the_package_loads_no_jax_and_says_how_to_install_it():
    probe = ("import sys, seqcheck, seqcheck.adapters.jax\n"
             "print(sorted(m for m in ('jax', 'flax', 'equinox') if m in sys.modules))\n"
             "sys.modules['jax'] = None\n"
             "from seqcheck.adapters.jax.target import require_jax\n"
             "try:\n    require_jax()\nexcept seqcheck.SeqcheckError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[]", "JAX targets need jax (jax is missing): pip install 'seqcheck[jax]'"]


def test_a_linen_module_and_its_variables_as_a_pair_reach_the_adapter():
    """verify((module, variables)): the pair goes where its module goes, at the
    variables' sizes; flax.nnx.GRUCell held to its docstring's equations (torch's GRU,
    b_hn included) diverges, and the single change that explains it is b_hn left out."""
    module = nn.GRUCell(features=3)
    variables = module.init(jax.random.PRNGKey(0), jnp.zeros((2, 3)), jnp.zeros((2, 2)))
    result = seqcheck.verify((module, variables), max_examples=5)
    assert result.ok and result.spec == "gru" and result.gradients, result
    assert result.counterexample is None

    from seqcheck.checks import conformance

    [entry] = [e for e in conformance.entries(["jax"]) if e.attributes]
    [row] = conformance._run_one(entry, 10, 0, "float64")
    assert (row.unit, row.spec, row.verdict) == ("flax.nnx.GRUCell", "gru", "diverges"), row
    assert "leaves out the bias b_hn" in row.detail, row.detail


def test_identify_says_which_gate_each_block_of_a_jax_cell_holds():
    """identify on an engine's target relabels the spec's gates: the swapped equinox cell
    is seqcheck's layout with the blocks placed as i and f holding f and i."""
    from seqcheck.checks.identify import identify

    found = identify(SwappedGates(2, 3, key=jax.random.key(0)), max_examples=4)
    [match] = found.matches
    assert (match.stated, match.order) == (("i", "f", "c", "o"), ("f", "i", "c", "o"))
    assert "the blocks laid out as (i, f, c, o) hold (f, i, c, o)" in found.format_text()
    assert len(found.candidates) == 24
    plain = identify(eqx.nn.GRUCell(2, 3, key=jax.random.key(0)), max_examples=4)
    assert [(c.variant, c.order) for c in plain.matches] == [
        ("reset after the recurrent product (PyTorch, cuDNN; ONNX linear_before_reset=1)",
         ("r", "z", "n"))]


# -- layout files: a pure function held to a spec from the command line --------------------
EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "jax"


def test_a_layout_file_holds_a_pure_function_from_the_command_line(monkeypatch, capsys):
    from seqcheck.cli import main

    monkeypatch.syspath_prepend(str(EXAMPLES))
    layout = str(EXAMPLES / "textbook_gru.toml")
    assert main(["verify", "textbook_gru:step", "--mapping", layout,
                 "--max-examples", "8"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conforms: textbook_gru:step against spec 'gru'")
    assert "outputs, states and gradients" in out
    assert main(["verify", "textbook_gru:swapped", "--mapping", layout,
                 "--max-examples", "20"]) == 1
    assert "explained by: gates 'r' and 'z' exchange their parameters" in \
        capsys.readouterr().out


@pytest.mark.parametrize(("line", "fault"), [
    ('W = "concat(W_ir.T, W_iz.T, W_inn.T, axis=1)"',
     "unknown spec parameter 'W_inn'"),
    ('W = "concat(W_ir.T W_iz.T)"', "cannot read"),
    ('W = "W_ir * 2"', "is not a spec parameter or a sum of them"),
    ('W = "concat(W_ir.T, axis=x)"', "concat() takes one keyword, axis = an integer"),
])
def test_a_malformed_layout_entry_is_located(tmp_path, line, fault):
    from seqcheck.adapters.jax.layout_file import load_layout_file
    from seqcheck.adapters.mapping import MappingError

    text = (EXAMPLES / "textbook_gru.toml").read_text(encoding="utf-8")
    [original] = [x for x in text.splitlines() if x.startswith("W = ")]
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(original, line), encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_layout_file(path)
    message = str(info.value)
    number = text.splitlines().index(original) + 1
    assert fault in message and f"bad.toml:{number}:" in message, message


def test_a_layout_file_reports_every_problem_of_its_keys(tmp_path):
    from seqcheck.adapters.jax.layout_file import load_layout_file
    from seqcheck.adapters.mapping import MappingError

    path = tmp_path / "bad.toml"
    path.write_text('engine = "jax"\nspec = "gru"\nparams = "PARAMS"\nstates = ["hh"]\n'
                    'batch = true\n[layout]\nW = "W_ir"\n', encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_layout_file(path)
    message = str(info.value)
    for fault in ("params names the parameter pytree as module:attr", "unknown state 'hh'",
                  "did you mean 'h'?", "unknown key 'batch'", "did you mean 'batched'?"):
        assert fault in message, message
