"""The generator's speed passes change how the generated code computes, never what.

The passes (seqcheck/backends/codegen): products that share an operand stacked into one
matrix product, forward and backward (stacking.py, deltas.py); per-step values written
into preallocated (T, B, ...) arrays (forward.py); forward values the backward pass
would recompute kept and returned (keep.py); the backward step's factors that read only
forward values made before its loop (factors.py).

Oracle: the same spec generated with every pass off (``stack=False, keep=False,
hoist=False`` and per-step lists) -- the plain code, itself held to the hand-written NumPy
oracles and to torch autograd by test_catalogue_*.py and test_gradients.py -- compared in
float64 to 1e-12 for every bundled spec on drawn sizes, values and seeds, gradients included; and
torch autograd through the torch backend, which must switch to the list form. Where each
pass fires is read from the generated module's syntax tree (``ast``), not from its text.
"""

from __future__ import annotations

import ast
import functools

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import catalogue, compile_numpy, load_spec
from seqcheck.backends.codegen import module_source
from seqcheck.backends.compiled import CompiledSpec, load_module
from seqcheck.backends.namespaces import NumpyNamespace, TorchNamespace
from seqcheck.derive import derive

NAMES = catalogue.spec_names()


@functools.cache
def _spec(name: str):
    return load_spec(name)


@functools.cache
def _derivation(name: str):
    return derive(_spec(name))


@functools.cache
def _compiled(name: str) -> CompiledSpec:
    """Every pass on (the default), every variable seeded."""
    spec = _spec(name)
    return CompiledSpec(spec, NumpyNamespace(), _derivation(name), seeded=spec.variables)


@functools.cache
def _plain_source(name: str) -> str:
    spec = _spec(name)
    return module_source(spec, _derivation(name), spec.variables, stack=False, keep=False,
                         hoist=False, lists=True)


@functools.cache
def _source(name: str, lists: bool = False) -> str:
    spec = _spec(name)
    return module_source(spec, _derivation(name), spec.variables, lists=lists)


def _shape(spec, declared: tuple, sizes: dict) -> tuple[int, ...]:
    dims = {d.symbol: sizes[d.name] for d in spec.dims}
    return tuple(int(sp.sympify(n).xreplace(dims)) for n in declared)


@st.composite
def problems(draw, spec):
    """Sizes 1..5 (H != D when drawn apart), T 1..5, B 1..3, arrays, seeds, initial states."""
    sizes = {d.name: draw(st.integers(1, 5), label=d.name) for d in spec.dims}
    T, B = draw(st.integers(1, 5), label="T"), draw(st.integers(1, 3), label="B")
    scale = draw(st.sampled_from([0.5, 2.0, 5.0]), label="scale")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    params = {}
    for n, d in spec.params.items():
        shape = _shape(spec, d.shape, sizes)
        # scalar parameters are the catalogue's leak rates, in [0, 1]
        params[n] = rng.uniform(0, 1, shape) if not shape else rng.uniform(-scale, scale, shape)
    inputs = {n: rng.uniform(-scale, scale, ((B,) if d.static else (T, B))
                             + _shape(spec, d.shape, sizes))
              for n, d in spec.inputs.items()}
    initial = {}
    if draw(st.booleans(), label="initial states given"):
        initial = {n: rng.uniform(-1, 1, (B, *_shape(spec, d.shape, sizes)))
                   for n, d in spec.states.items()}
    return params, inputs, initial, T, rng


def _close(actual, expected, what: str) -> None:
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
    np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12 * scale, err_msg=what)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_the_passes_compute_what_the_plain_code_computes(name, data):
    spec = _spec(name)
    params, inputs, initial, T, rng = data.draw(problems(spec), label="problem")
    c = _compiled(name)
    traj = c.forward(params, inputs, initial, steps=T)
    plain = load_module(_plain_source(name), f"<plain {name}>")
    a, xp = traj.arrays, c.xp
    args = (a["params"], a["inputs"], a["initial"])
    ref = plain["forward"](*args, T, traj.batch, dict(traj.dims), xp)
    assert set(ref) == set(spec.variables)
    for v in spec.variables:
        _close(traj.raw[v], ref[v], f"{name}: forward value {v}")
    seeds = {v: rng.standard_normal(tuple(ref[v].shape)) for v in spec.variables}
    g = c.backward(traj, seeds)
    gref = plain["backward"](*args, ref, seeds, T, traj.batch, dict(traj.dims), xp)
    for kind, got in (("params", g.params), ("inputs", g.inputs), ("initial", g.initial)):
        assert set(got) == set(gref[kind])
        for n, val in got.items():
            _close(val, np.reshape(gref[kind][n], np.shape(val)), f"{name}: gradient of {n}")


# -- torch: the in-place form without autograd, the list form under it ----------------------
@pytest.mark.parametrize("name", ["lstm", "gru_lbr0", "lstm_proj", "esn", "deep_birnn"])
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_torch_autograd_through_the_forward_equals_the_derived_backward(name, data):
    spec = _spec(name)
    params, inputs, initial, T, rng = data.draw(problems(spec), label="problem")
    c = CompiledSpec(spec, TorchNamespace(torch.float64), _derivation(name),
                     seeded=spec.variables)
    leaves = {kind: {n: torch.tensor(v, requires_grad=True) for n, v in arrays.items()}
              for kind, arrays in (("params", params), ("inputs", inputs),
                                   ("initial", initial))}
    traj = c.forward(leaves["params"], leaves["inputs"], leaves["initial"], steps=T)
    seeds = {v: torch.as_tensor(rng.standard_normal(tuple(traj.raw[v].shape)))
             for v in spec.variables}
    loss = sum((seeds[v] * traj.raw[v]).sum() for v in spec.variables)
    flat = [(kind, n, t) for kind, d in leaves.items() for n, t in d.items()]
    auto = torch.autograd.grad(loss, [t for _, _, t in flat], allow_unused=True)
    with torch.no_grad():  # the in-place forward, then the derived backward
        plain = c.forward(params, inputs, initial, steps=T)
        derived = c.backward(plain, seeds)
    for v in spec.variables:
        _close(plain.raw[v], traj.raw[v].detach(), f"{name}: in-place vs list forward {v}")
    for (kind, n, t), ga in zip(flat, auto):
        want = np.zeros(tuple(t.shape)) if ga is None else ga.numpy()
        got = getattr(derived, kind)[n]
        _close(np.reshape(got.numpy(), want.shape), want, f"{name}: gradient of {n}")


# -- where the passes fire: read from the syntax tree ---------------------------------------
def _function(source: str, name: str) -> ast.FunctionDef:
    return next(n for n in ast.parse(source).body
                if isinstance(n, ast.FunctionDef) and n.name == name)


def _products(node) -> int:
    """Matrix products (``@``, and ``_xp.matmul`` over whole sequences) one execution of
    ``node`` evaluates: of an ``if``, the costlier branch (the generated code's
    ``if _t >= 1: ... else: ...``)."""
    if isinstance(node, ast.If):
        return _products(node.test) + max(sum(map(_products, node.body)),
                                          sum(map(_products, node.orelse)))
    own = int(isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)
              or isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "matmul")
    return own + sum(_products(c) for c in ast.iter_child_nodes(node))


def _loops(source: str, name: str) -> list[ast.For]:
    return [n for n in _function(source, name).body if isinstance(n, ast.For)]


def _per_step(source: str, name: str) -> list[int]:
    """The matrix products per step of each time loop of function ``name``."""
    return [sum(map(_products, loop.body)) for loop in _loops(source, name)]


def _outside(source: str, name: str) -> int:
    f = _function(source, name)
    return sum(_products(n) for n in f.body if not isinstance(n, ast.For))


def _calls(node, attr: str) -> int:
    return sum(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr == attr and isinstance(n.func.value, ast.Name)
               and n.func.value.id == "_xp" for n in ast.walk(node))


# matrix products per step (forward, backward) of every LSTM: one for all the gates; the
# projection's W_hr of lstm_proj on its own; lstm_concat's backward, whose derivation
# names each gate's W_k.T d_k on [h; x] and slices it, takes the h block of every gate's
# weight into one product (sliced.py)
LSTM_PRODUCTS = {"lstm": (1, 1), "lstm_coupled": (1, 1), "lstm_peephole": (1, 1),
                 "lstm_seed000": (1, 1), "lstm_seed001": (1, 1), "lstm_seed002": (1, 1),
                 "lstm_proj": (2, 2), "lstm_concat": (1, 1)}


def test_every_lstm_is_in_the_table():
    assert sorted(LSTM_PRODUCTS) == [n for n in NAMES if n.startswith("lstm")]


@pytest.mark.parametrize("name", sorted(LSTM_PRODUCTS))
def test_an_lstm_makes_one_recurrent_product_for_its_gates(name):
    src, plain = _source(name), _plain_source(name)
    fwd, bwd = LSTM_PRODUCTS[name]
    assert _per_step(src, "forward") == [fwd], name
    assert _per_step(src, "backward") == [bwd], name
    assert _per_step(plain, "forward")[0] >= fwd + 1  # one per gate without the pass


def test_lstm_input_parts_and_parameter_gradients_are_one_product_each():
    src, plain = _source("lstm"), _plain_source("lstm")
    assert _outside(src, "forward") == 1 and _outside(plain, "forward") == 4  # x @ W_i*.T
    back, back_plain = _function(src, "backward"), _function(plain, "backward")
    assert _calls(back, "outer_sum") == 2 and _calls(back_plain, "outer_sum") == 8
    assert _calls(back, "sum_batch") == 1 and _calls(back_plain, "sum_batch") == 8
    assert _outside(src, "backward") == 1 and _outside(plain, "backward") == 4  # into x


def test_gru_forms_keep_the_reset_product_apart():
    # torch's form: r ⊙ (W_hn h + b_hn) shares h with the other gates: one product
    assert _per_step(_source("gru"), "forward") == [1]
    for name, weight in (("gru_lbr0", "W_hn"), ("gru_cho", "U")):  # W (r ⊙ h): apart
        (loop,) = _loops(_source(name), "forward")
        products = [n for n in ast.walk(loop)
                    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)]
        assert len(products) == 2, name
        reset = [m for m in products if isinstance(m.left, ast.BinOp)
                 and isinstance(m.left.op, ast.Mult)]
        assert len(reset) == 1, name  # (h_tm1 * r) @ W.T, as the plain code has it
        right = reset[0].right
        assert isinstance(right, ast.Attribute) and right.attr == "T"
        assert isinstance(right.value, ast.Name) and right.value.id == weight


@pytest.mark.parametrize("name", NAMES)
def test_no_pass_adds_a_product_and_unshared_operands_are_left_alone(name):
    src, plain = _source(name), _plain_source(name)
    for fn in ("forward", "backward"):
        for new, old in zip(_per_step(src, fn), _per_step(plain, fn)):
            assert new <= old, (name, fn)
    if name in ("elman", "elman_nobias", "rnn", "rnn_torch", "esn", "leaky_rnn", "birnn",
                "deep_rnn", "jordan", "vec2seq"):  # no operand meets two weights
        assert _per_step(src, "forward") == _per_step(plain, "forward")


def test_tanh_of_the_cell_is_kept_not_recomputed():
    src, plain = _source("lstm"), _plain_source("lstm")
    ret = next(n for n in ast.walk(_function(src, "forward")) if isinstance(n, ast.Return))
    keys = [k.value for k in ret.value.keys]
    assert "_tanh_c" in keys and all(k.startswith("_") for k in keys
                                     if k not in _spec("lstm").variables)
    assert _calls(_function(src, "backward"), "tanh") == 0
    assert _calls(_function(plain, "backward"), "tanh") >= 2
    (loop,) = _loops(src, "forward")
    assert _calls(loop, "tanh") == 2  # c_tilde and tanh(c), once each per step


def test_the_in_place_forward_stacks_nothing_and_the_list_form_does():
    for name in ("lstm", "gru_lbr0", "deep_birnn", "vec2seq"):
        inplace, lists = _function(_source(name), "forward"), _function(
            _source(name, lists=True), "forward")
        assert _calls(inplace, "stack") == 0, name
        assert _calls(lists, "stack") > 0, name
        nodes = [n for loop in _loops(_source(name), "forward") for n in ast.walk(loop)]
        copies = [n for n in nodes  # v_seq[_t] = v: copied into the preallocated array
                  if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Subscript)]
        into = [n for n in nodes  # _xp.tanh(z, out=v_seq[_t]): computed straight into it
                if isinstance(n, ast.Call) and any(k.arg == "out" for k in n.keywords)]
        assert copies or into, name
        assert not any(k.arg == "out" for n in ast.walk(lists) if isinstance(n, ast.Call)
                       for k in n.keywords), name  # autograd cannot follow an out= write


def _written_into(loop) -> dict[str, str]:
    """``{slot: function}`` of each ``_xp.<function>(..., out=slot)`` in ``loop``."""
    return {ast.unparse(k.value): n.func.attr for n in ast.walk(loop)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            for k in n.keywords if k.arg == "out"}


def test_a_step_computes_its_values_straight_into_their_arrays():
    """The LSTM's gates and tanh(c) are written by the activation itself (out=), c by
    its last addition and h by its last product, with no copy. Every value stays what
    the list form, which writes nothing in place, computes (float64, to the last bit)."""
    loop = _loops(_source("lstm"), "forward")[0]
    assert _written_into(loop) == {
        **{f"{v}_seq[_t]": "sigmoid" for v in ("i", "f", "o")}, "c_tilde_seq[_t]": "tanh",
        "_tanh_c_seq[_t]": "tanh", "c_seq[_t]": "add", "h_seq[_t]": "multiply"}
    copies = {ast.unparse(n.targets[0]) for n in ast.walk(loop)
              if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Subscript)}
    assert copies == set()
    spec = load_spec("lstm")
    rng = np.random.default_rng(3)
    shapes = {"D": 3, "H": 4}
    params = {n: rng.standard_normal(tuple(shapes[str(d)] for d in decl.shape))
              for n, decl in spec.params.items()}
    x = rng.standard_normal((6, 2, 3))
    c = compile_numpy(spec, gradients=False)
    listed = load_module(c._source(lists=True), "<lists>")["forward"]
    inplace = c.forward(params, {"x": x})
    again = compile_numpy(spec, gradients=False)
    again._forward = listed
    reference = again.forward(params, {"x": x})
    for v in spec.variables:
        assert np.array_equal(inplace.raw[v], reference.raw[v]), v


def test_stacked_products_say_what_they_stand_for():
    src = _source("lstm")
    comments = [line.strip() for line in src.splitlines() if line.strip().startswith("#")]
    assert any("h_tm1 @ W_hi.T" in c and "h_tm1 @ W_hc.T" in c for c in comments)
    assert any("x @ W_ii.T" in c for c in comments)
    assert any("d_i @ W_hi" in c and "into h[t-1]" in c for c in comments)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_torch"])
def test_a_deep_stack_reads_the_layer_below_like_an_input(cell):
    """Layer 2 of a bidirectional stack reads layer 1's whole sequence, known before its
    loop starts: its input products are one (T·B)-row product before the loop, and in the
    backward pass what goes down to layer 1 is computed after the loop; only the
    recurrent product stays per step. Without that, every step would read every layer's
    input weights (at H = 1024, four layers: 64 MB a step in float64)."""
    from seqcheck.spec.compose import stacked

    spec = stacked(load_spec(cell), layers=2, bidirectional=True)
    src = module_source(spec, derive(spec), ("h_l1", "h_l1_reverse"))
    # every chain's loop makes the products of the one-layer cell's loop, no more
    (fwd,), (bwd,) = _per_step(_source(cell), "forward"), _per_step(_source(cell), "backward")
    assert _per_step(src, "forward") == [fwd] * 4
    assert _per_step(src, "backward") == [bwd] * 4
    # before the loops: the cell's input products for each of layer 1's two chains, and one
    # (T·B)-row product of layer 1's outputs for each of layer 2's
    assert _outside(src, "forward") == 2 * _outside(_source(cell), "forward") + 2
    # and what goes down to layer 1 after the loops: one product per delta and chain
    back = _function(src, "backward")
    down = [n for n in back.body if isinstance(n, ast.Assign) and _products(n)
            and any(isinstance(t, ast.Name) and t.id.startswith("d_") for t in n.targets)]
    assert len(down) >= 2


def _forward_names(name: str) -> tuple[set[str], set[str]]:
    """(every forward value's identifier in the generated backward, those of them that
    change with the step): variables at any offset, kept values, inputs, parameters."""
    from seqcheck.backends.codegen.keep import kept_values
    from seqcheck.backends.printer import ident

    spec = _spec(name)
    varying = set(spec.variables) | {kv.name for kv in kept_values(spec, _derivation(name))}
    varying |= {n for n, d in spec.inputs.items() if not d.static}
    varying |= {ident(n, o) for n, offs in spec.delayed_refs().items() for o in offs}
    static = set(spec.params) | {n for n, d in spec.inputs.items() if d.static}
    return varying | static, varying


def _forward_only_arithmetic(source: str, name: str) -> list[str]:
    """The arithmetic inside the backward's time loops that reads forward values only."""
    forward, varying = _forward_names(name)
    out = []
    for loop in _loops(source, "backward"):
        for node in ast.walk(loop):
            if isinstance(node, ast.BinOp):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                if names & varying and names <= forward:
                    out.append(ast.unparse(node))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_the_backward_step_reads_its_forward_only_factors_made_before_the_loop(name):
    """No arithmetic inside a backward loop reads forward values alone: such a factor,
    the LSTM's (1 - o) ⊙ o in d_o, is one operation over every step before the loop."""
    assert _forward_only_arithmetic(_source(name), name) == [], name


def test_hoisted_factors_of_the_lstm_and_the_gru():
    """The LSTM's gate derivatives and the GRU's recomputed W_hn h[t-1] + b_hn: made
    once for all steps, read by the step. The plain code computes them at every step."""
    assert "1.0 - o" in _forward_only_arithmetic(_plain_source("lstm"), "lstm")
    back = _function(_source("lstm"), "backward")
    made: dict[str, list[str]] = {}
    for n in back.body:
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name):
            made.setdefault(ast.unparse(n.targets[0]), []).append(ast.unparse(n.value))
    assert made["_fwd_d_o_seq"] == ["(1.0 - o) * o", "None"]  # made, then freed
    assert made["_fwd_h_to_c_seq"][0] == "(1.0 - _tanh_c ** 2) * o"  # the kept tanh(c)
    (loop,) = _loops(_source("lstm"), "backward")
    steps = {ast.unparse(n.targets[0]): ast.unparse(n.value) for n in ast.walk(loop)
             if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert steps["d_o"].startswith("_xp.multiply(_fwd_d_o, adj_o, out=_deltas1[_t, ")
    # the GRU's backward recomputed the reset gate's product at every step; now one
    # (T·B)-row product before the loop
    assert _per_step(_source("gru"), "backward") == [1]
    spec = _spec("gru")
    unhoisted = module_source(spec, _derivation("gru"), spec.variables, hoist=False)
    assert _per_step(unhoisted, "backward") == [2]


def test_the_backward_step_writes_its_deltas_straight_into_their_buffer():
    """The LSTM's four deltas, each a product, are written by that product into their
    slices of the step's buffer (out=); nothing is copied there afterwards."""
    (loop,) = _loops(_source("lstm"), "backward")
    slots = {k: v for k, v in _written_into(loop).items() if k.startswith("_deltas1[_t")}
    assert len(slots) == 4 and set(slots.values()) == {"multiply"}
    assert not [n for n in ast.walk(loop) if isinstance(n, ast.Assign)
                and ast.unparse(n.targets[0]).startswith("_deltas1")]


def test_into_writes_only_what_keeps_the_operations_and_their_order():
    """``ArrayPrinter.into``: a sum of batched terms and a product of batched operands go
    into the slot as the last operation, in the printed order; a subtraction, or a
    constant operand (a number, which torch's out= refuses), is left to the plain print."""
    from seqcheck.backends.printer import ArrayPrinter

    a, b, c = (sp.MatrixSymbol(n, 3, 1) for n in "abc")
    p = ArrayPrinter({"a", "b", "c"})
    assert p.into(sp.HadamardProduct(a, b, c), "s") == "_xp.multiply(a * b, c, out=s)"
    assert p.into(a + b, "s") == "_xp.add(a, b, out=s)"
    assert p.into(a - b, "s") is None
    assert p.into(sp.OneMatrix(3, 1) + a, "s") is None
    assert p.into(sp.HadamardProduct(a + b, c), "s") == "_xp.multiply((a + b), c, out=s)"
    w = sp.MatrixSymbol("w", 3, 1)  # a parameter beside a batched operand: broadcast
    assert p.into(sp.HadamardProduct(w, a), "s") == "_xp.multiply(w, a, out=s)"
    assert p.into(w + a, "s") is None  # the sum needs every term batched
