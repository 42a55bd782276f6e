"""The grammar's meaning: NumPy 1-D semantics, exact numbers, broadcasting, variants, sweeps.

The property test generates random well-shaped expressions together with their meaning
as a NumPy function built alongside (not through seqcheck), and checks that the typed
shape and the compiled value agree with it.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import load_spec, loads_spec
from seqcheck.backends.numpy_backend import compile_expression
from seqcheck.spec.locate import TomlIndex
from seqcheck.spec.schedule import make_schedule

SCOPE = """\
name = "scope"
outputs = ["y"]
[dims]
H = "hidden"
D = "input"
[inputs]
x = { shape = ["D"] }
u = { shape = ["H"] }
v = { shape = ["H"] }
[params]
W = { shape = ["H", "H"] }
U = { shape = ["H", "D"] }
R = { shape = ["D", "H"] }
alpha = { shape = [] }
[equations]
y = "W @ u + U @ x + R.T @ x + alpha * v"
"""
spec = loads_spec(SCOPE)
H, D = (d.symbol for d in spec.dims)


def test_numpy_vector_semantics():
    W, U, R = (spec.symbol(n) for n in ("W", "U", "R"))
    x, u, v = (spec.symbol(n) for n in ("x", "u", "v"))
    assert spec.parse("W @ u").expr == W * u
    assert spec.parse("x @ R") == spec.parse("R.T @ x")
    assert spec.parse("x @ R").expr == R.T * x and spec.parse("x @ R").shape == (H,)
    dot = spec.parse("u @ v")
    assert dot.shape == () and dot.expr == sp.Trace(u.T * v)
    assert spec.parse("u.T").expr == u  # .T of a 1-D vector is itself
    assert spec.parse("U.T").shape == (D, H)


def test_numbers_are_exact_and_scalars_broadcast():
    u = spec.symbol("u")
    assert spec.parse("0.1 * u").expr == sp.Rational(1, 10) * u
    assert spec.parse("1 - u").expr == sp.OneMatrix(H, 1) - u
    assert spec.parse("u / 2").expr == sp.Rational(1, 2) * u
    assert spec.parse("alpha * u").shape == (H,)
    assert spec.parse("concat(1, x, u)").shape == (1 + D + H,)


def test_display_order_puts_a_variant_equation_before_its_use():
    leaky = load_spec("leaky_rnn")
    order = leaky.variables
    assert order.index("h_tilde") < order.index("h")
    assert set(load_spec("rnn").params) < set(leaky.params)
    assert leaky.params["alpha"].shape == ()


def test_drop_removes_base_entries():
    coupled = load_spec("lstm_coupled")
    assert "i" not in coupled.variables
    assert not {"U_i", "W_i"} & set(coupled.params)
    assert "1 - f" in coupled.equation("c").text


def test_sweeps_of_a_bidirectional_rnn():
    sweeps = make_schedule(load_spec("birnn")).sweeps
    # y reads both chains at the same step and feeds no recurrence: it runs after both,
    # for every step at once
    assert [(s.direction, s.variables) for s in sweeps] == [
        (1, ("h_fwd",)),
        (-1, ("h_bwd",)),
        (0, ("y",)),
    ]
    assert [(s.direction, s.variables) for s in make_schedule(load_spec("deep_rnn")).sweeps] \
        == [(1, ("h1", "h2")), (0, ("o",))]


def test_toml_index_positions():
    text = (
        'a = 1\n[t]\nx = { shape = ["D"], init = "0" }\nlong = [\n  1,\n  2,\n]\n'
        'e = """\nmulti\n  line"""\n[[arr]]\nk = "v"\n[[arr]]\nk = "w"\n'
    )
    ix = TomlIndex(text)
    assert (ix.key(("t", "x")).line, ix.key(("t", "x")).col) == (3, 1)
    assert (ix.key(("t", "x", "init")).line, ix.key(("t", "x", "init")).col) == (3, 22)
    assert ix.value(("t", "x", "init")).col == 29
    assert ix.key(("t", "e")).line == 8
    assert ix.string_position(("t", "e"), 2, 2) == type(ix.key(("t", "e")))(10, 3)
    assert ix.key(("arr", 1, "k")).line == 14
    assert ix.key(("t", "nope")).line == 2  # falls back to the nearest located parent


# -- random well-shaped expressions --------------------------------------------------
HN, DN = 3, 2


def _leaf_vectors():
    return st.sampled_from([("u", lambda e: e["u"]), ("v", lambda e: e["v"])])


def _safe_exp(z):
    return np.exp(np.clip(z, -30, 30))


def _vectors(children):
    """(text, numpy function of the env) pairs for vectors of shape (H,)."""
    scalars = st.one_of(
        st.sampled_from([("alpha", lambda e: e["alpha"]), ("2", lambda e: 2.0),
                         ("0.5", lambda e: 0.5)]),
    )
    binop = st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
        lambda t: (f"(({t[0][0]}) {t[1]} ({t[2][0]}))",
                   {"+": lambda a, b: lambda e: a(e) + b(e),
                    "-": lambda a, b: lambda e: a(e) - b(e),
                    "*": lambda a, b: lambda e: a(e) * b(e)}[t[1]](t[0][1], t[2][1]))
    )
    scaled = st.tuples(scalars, children).map(
        lambda t: (f"{t[0][0]} * ({t[1][0]})",
                   (lambda s, a: lambda e: s(e) * a(e))(t[0][1], t[1][1]))
    )
    matvec = children.map(lambda a: (f"W @ ({a[0]})", (lambda f: lambda e: e["W"] @ f(e))(a[1])))
    vecmat = children.map(lambda a: (f"({a[0]}) @ W", (lambda f: lambda e: f(e) @ e["W"])(a[1])))
    funcs = st.tuples(st.sampled_from(["tanh", "sigmoid", "softmax"]), children).map(
        lambda t: (f"{t[0]}({t[1][0]})", (lambda name, f: lambda e: {
            "tanh": np.tanh,
            "sigmoid": lambda z: 1 / (1 + _safe_exp(-z)),
            "softmax": lambda z: _safe_exp(z - z.max()) / _safe_exp(z - z.max()).sum(),
        }[name](f(e)))(t[0], t[1][1]))
    )
    divided = st.tuples(children, children).map(
        lambda t: (f"({t[0][0]}) / exp(tanh({t[1][0]}))",
                   (lambda a, b: lambda e: a(e) / np.exp(np.tanh(b(e))))(t[0][1], t[1][1]))
    )
    return st.one_of(binop, scaled, matvec, vecmat, funcs, divided)


EXPRESSIONS = st.recursive(_leaf_vectors(), _vectors, max_leaves=8)


@settings(max_examples=150)
@given(expr=EXPRESSIONS, seed=st.integers(0, 2**32 - 1))
def test_random_expressions_mean_what_numpy_means(expr, seed):
    text, meaning = expr
    typed = spec.parse(text)
    assert typed.shape == (H,)
    rng = np.random.default_rng(seed)
    env = {"u": rng.uniform(-1, 1, HN), "v": rng.uniform(-1, 1, HN),
           "W": rng.uniform(-1, 1, (HN, HN)), "alpha": rng.uniform(-2, 2)}
    with np.errstate(over="ignore", under="ignore"):
        want = meaning(env)
        fn = compile_expression(spec, typed)
        got = fn({k: env[k] for k in fn.names}, {"H": HN, "D": DN})
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=text)


@pytest.mark.parametrize("text", ["u @ W @ u", "x @ R @ W @ u"])
def test_chained_products_reduce_to_scalars(text):
    assert spec.parse(text).shape == ()
