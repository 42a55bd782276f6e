"""Every reverse-mode rule of ``seqcheck.derive.rules`` against index-level differentiation.

For a node ``y = f(a, b, ...)`` at concrete sizes and an adjoint ``ḡ`` (a MatrixSymbol of
y's shape), each child's adjoint from :func:`vjp` must equal the exact gradient of the
scalar ``F = Σ_ij ḡ_ij · y_ij`` w.r.t. that child's entries: every matrix is made explicit
(one SymPy symbol per entry), ``F`` is written out entry by entry and differentiated by
``sympy.diff`` -- SymPy's scalar calculus, not the rule table. A child that occurs twice
(``W`` in ``W W v``) gets the sum of its adjoints; a compound child (``1 - s``, or the
``a∘a`` that SymPy makes of ``a∘a∘b``) is followed down to its symbols by the chain rule.

Equality is exact (``expand`` to zero) or, for transcendental entries, numeric at random
rational points with 40 significant digits. ``sigmoid``/``relu`` are written out as
``1/(1+exp(-x))`` and ``Max(0, x)`` on both sides, so their derivatives are SymPy's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
import sympy as sp
from sympy import (
    BlockMatrix,
    HadamardPower,
    HadamardProduct,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Trace,
    Transpose,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from seqcheck.derive.rules import RULES, DerivationError, vjp
from seqcheck.spec.functions import EntrySum, LogSoftmax, Softmax, relu, sigmoid

s = sp.Symbol("s", real=True)
A, B, C = MatrixSymbol("A", 3, 2), MatrixSymbol("B", 3, 2), MatrixSymbol("C", 3, 2)
W = MatrixSymbol("W", 3, 3)
M, N, P = MatrixSymbol("M", 3, 2), MatrixSymbol("N", 2, 4), MatrixSymbol("P", 4, 2)
u, v, w = MatrixSymbol("u", 3, 1), MatrixSymbol("v", 3, 1), MatrixSymbol("w", 2, 1)
Y = MatrixSymbol("Y", 3, 1)  # an equation's own symbol, standing for the node's value


def _apply(f, arg):
    return ElementwiseApplyFunction(f, arg)


_d = sp.Dummy("d")
LINEAR = sp.Lambda(_d, 3 * _d - 1)  # a constant derivative: no function of the argument


@dataclass(frozen=True)
class Case:
    """A node and how to read it.

    Arguments:
        id: readable test id.
        node: the SymPy node; ``type(node)`` picks the rule.
        out: passed to ``vjp`` as the node's value: ``"node"`` (the node itself), a symbol
            standing for it (``Y``), or ``None``.
        domain: where the random points lie: ``"real"``, ``"nonzero"``, ``"positive"``.
    """

    id: str
    node: object
    out: object = None
    domain: str = "real"


CASES = [
    # element-wise sum; the grammar writes ``b + s`` (s a scalar) as b + s·1
    Case("MatAdd a+b+s·1", MatAdd(A, B, s * OneMatrix(3, 2))),
    Case("MatAdd v+1-s·1 (constant term, compound scalar)",
         v + OneMatrix(3, 1) - s * OneMatrix(3, 1)),
    # matrix products
    Case("MatMul s·W·v (Symbol coefficient)", MatMul(s, W, v)),
    Case("MatMul W·W·v (arrives as MatPow)", W * (W * v)),
    Case("MatMul M·N·P (three factors)", M * N * P),
    Case("MatMul -2·A.T·u (constant coefficient)", -2 * A.T * u),
    Case("MatPow W²", MatPow(W, 2)),
    Case("MatPow W³", MatPow(W, 3)),
    # element-wise product and power
    Case("Hadamard a∘b∘c", HadamardProduct(A, B, C)),
    Case("Hadamard a∘a∘b (a twice)", sp.hadamard_product(A, A, B)),
    Case("HadamardPower b^-1", HadamardPower(B, -1), domain="nonzero"),
    Case("HadamardPower b^2", HadamardPower(B, 2)),
    Case("HadamardPower b^3", HadamardPower(B, 3)),
    # element-wise functions; σ, tanh, exp have rules written in their output
    Case("sigmoid out=node", _apply(sigmoid, v), out="node"),
    Case("sigmoid out=Y", _apply(sigmoid, v), out=Y),
    Case("sigmoid out=None", _apply(sigmoid, v)),
    Case("tanh out=node", _apply(sp.tanh, v), out="node"),
    Case("tanh out=Y", _apply(sp.tanh, v), out=Y),
    Case("tanh matrix out=None", _apply(sp.tanh, A)),
    Case("exp out=node", _apply(sp.exp, v), out="node"),
    Case("exp out=Y", _apply(sp.exp, v), out=Y),
    Case("relu", _apply(relu, v), domain="nonzero"),
    Case("log", _apply(sp.log, v), domain="positive"),
    Case("sqrt", _apply(sp.sqrt, v), domain="positive"),
    Case("3x-1 (constant derivative)", _apply(LINEAR, v)),
    Case("tanh of W·v+u (compound child)", _apply(sp.tanh, W * v + u), out="node"),
    # structure
    Case("Transpose A.T", Transpose(A)),
    Case("BlockMatrix [v; 1; s; w] (concat with scalars)",
         BlockMatrix([[v], [OneMatrix(1, 1)], [s * OneMatrix(1, 1)], [w]])),
    Case("BlockMatrix [2s; v] (scaled scalar first)",
         BlockMatrix([[2 * s * OneMatrix(1, 1)], [v]])),
    Case("BlockMatrix [u; v]", BlockMatrix([[u], [v]])),
    # vector functions and reductions
    Case("Softmax out=node", Softmax(v), out="node"),
    Case("Softmax out=Y", Softmax(v), out=Y),
    Case("Softmax out=None", Softmax(v)),
    Case("LogSoftmax", LogSoftmax(v)),
    Case("Trace u.T·v (dot product)", Trace(u.T * v)),
    Case("Trace v.T·v (v twice)", Trace(v.T * v)),
    Case("EntrySum v", EntrySum(v)),
    Case("EntrySum A", EntrySum(A)),
]


# -- making everything explicit -----------------------------------------------------------
def _symbols_of(leaf):
    """One real SymPy symbol per entry of a MatrixSymbol (a scalar symbol: itself)."""
    if isinstance(leaf, MatrixSymbol):
        rows, cols = (int(n) for n in leaf.shape)
        return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(
            f"{leaf.name}[{i},{j}]", real=True))
    return leaf


def _write_out(e):
    return e.replace(sigmoid, lambda a: 1 / (1 + sp.exp(-a))).replace(
        relu, lambda a: sp.Max(0, a))


def _explicit(expr, env: dict):
    """``expr`` with every leaf replaced by its explicit entries, evaluated: a Matrix or a
    scalar expression."""
    e = expr.xreplace(env).doit()
    if getattr(e, "is_Matrix", False):
        e = sp.Matrix(e.as_explicit()).doit()
        return e.applyfunc(_write_out)
    return _write_out(e)


def _leaves(expr) -> set:
    return {x for x in expr.free_symbols if isinstance(x, (MatrixSymbol, sp.Symbol))}


def _to_leaves(child, adjoint, rule=vjp):
    """``(leaf, adjoint)`` pairs: a compound child is followed down by the chain rule."""
    if isinstance(child, (MatrixSymbol, sp.Symbol)):
        yield child, adjoint
    elif getattr(child, "is_Matrix", False):
        for c, a in rule(child, adjoint):
            yield from _to_leaves(c, a, rule)
    else:  # a scalar expression of symbols: SymPy's own chain rule
        for x in _leaves(child):
            yield x, adjoint * sp.diff(child, x)


def _point(symbols, domain: str, rnd: random.Random) -> dict:
    def draw():
        q = sp.Rational(rnd.randint(1, 40), 16)
        return q if domain == "positive" else q * rnd.choice((-1, 1))
    return {x: draw() for x in symbols}


def _assert_equal(derived, exact, domain: str, where: str):
    diff = sp.expand(derived - exact)
    if diff == 0:
        return
    rnd = random.Random(where)
    symbols = sorted(diff.free_symbols, key=str)
    for _ in range(3):
        at = _point(symbols, domain, rnd)
        value = sp.N(diff.xreplace(at), 40)
        assert abs(value) < 1e-30, (
            f"{where}: derived {derived} != exact {exact}; at {at} they differ by {value}")


def _check(case: Case, rule=vjp) -> dict:
    """Compare ``rule(node, ḡ)`` with index-level ``sympy.diff``; returns the leaves' adjoints."""
    node = case.node
    g = MatrixSymbol("g", *node.shape) if node.is_Matrix else sp.Symbol("g", real=True)
    out = node if case.out == "node" else case.out
    leaves = _leaves(node)
    env = {x: _symbols_of(x) for x in leaves | {g}}
    y = _explicit(node, env)
    if isinstance(out, MatrixSymbol):
        env[out] = sp.ImmutableMatrix(y)
    G = env[g]
    F = sum((G[i, j] * y[i, j] for i in range(y.rows) for j in range(y.cols)), sp.Integer(0)) \
        if node.is_Matrix else G * y
    totals: dict = {}
    for child, adjoint in rule(node, g, out):
        for leaf, a in _to_leaves(child, adjoint):
            totals[leaf] = totals[leaf] + a if leaf in totals else a
    depends = {x for x in leaves if any(e in F.free_symbols for e in _entries(env[x]))}
    assert set(totals) == depends, f"{case.id}: adjoints for {set(totals)}, F depends on {depends}"
    for leaf, adjoint in totals.items():
        derived = _explicit(adjoint, env)
        entries = env[leaf]
        if not getattr(entries, "is_Matrix", False):
            _assert_equal(derived, sp.diff(F, entries), case.domain, f"{case.id}: ∂F/∂{leaf}")
            continue
        assert derived.shape == entries.shape, f"{case.id}: adjoint of {leaf} is {derived.shape}"
        for i in range(entries.rows):
            for j in range(entries.cols):
                _assert_equal(derived[i, j], sp.diff(F, entries[i, j]), case.domain,
                              f"{case.id}: ∂F/∂{leaf}[{i},{j}]")
    return totals


def _entries(m):
    return list(m) if getattr(m, "is_Matrix", False) else [m]


# -- the rules ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_equals_index_level_derivative(case):
    _check(case)


def test_every_rule_has_a_case():
    # A rule added to the table without a case here fails this test.
    assert {type(c.node) for c in CASES} == set(RULES)


def test_cases_arrive_as_the_classes_they_name():
    # SymPy canonicalises on construction; the cases must still reach the intended rules.
    by_id = {c.id: c.node for c in CASES}
    assert isinstance(by_id["MatMul W·W·v (arrives as MatPow)"].args[0], MatPow)
    assert isinstance(by_id["Hadamard a∘a∘b (a twice)"].args[0], HadamardPower)
    block = by_id["BlockMatrix [v; 1; s; w] (concat with scalars)"].blocks
    assert isinstance(block[1, 0], OneMatrix) and isinstance(block[2, 0], MatMul)


def test_the_check_catches_a_wrong_rule():
    # Meta-test: a factor 1 where the rule needs 2, and a product rule that forgets one
    # of two occurrences of W, are both reported.
    square = next(c for c in CASES if c.id == "HadamardPower b^2")
    with pytest.raises(AssertionError, match=r"∂F/∂B\[0,0\]"):
        _check(square, rule=lambda node, g, out=None, jac=False:
               [(node.base, sp.hadamard_product(g, node.base))])
    twice = next(c for c in CASES if c.id == "MatMul W·W·v (arrives as MatPow)")
    with pytest.raises(AssertionError, match=r"∂F/∂W\["):
        _check(twice, rule=lambda node, g, out=None, jac=False: vjp(node, g, out)[1:])


def test_constant_children_get_no_adjoint():
    totals = _check(Case("1 - z", OneMatrix(3, 1) - v))
    assert set(totals) == {v}
    assert vjp(BlockMatrix([[OneMatrix(1, 1)], [v]]), MatrixSymbol("g", 4, 1))[0][0] == v


@pytest.mark.parametrize("node, message", [
    (MatMul(s, M, N), "a scalar coefficient of the matrix term"),
    (Trace(W), "no rule for the trace"),
], ids=["coefficient of a matrix product", "trace of a matrix"])
def test_nodes_without_a_rule_are_errors(node, message):
    g = MatrixSymbol("g", *node.shape) if node.is_Matrix else sp.Symbol("g", real=True)
    with pytest.raises(DerivationError, match=message):
        vjp(node, g)


def test_a_class_without_a_rule_is_an_error_naming_it():
    with pytest.raises(DerivationError, match="no reverse-mode rule for Inverse"):
        vjp(sp.Inverse(W), MatrixSymbol("g", 3, 3))


# -- several adjoint columns at once (jac=True) ---------------------------------------------
JAC_CASES = [c for c in CASES if c.node.is_Matrix and c.node.shape[1] == 1 and isinstance(
    c.node, (HadamardProduct, HadamardPower, ElementwiseApplyFunction, Softmax, LogSoftmax))]
JAC_CASES += [
    Case("Hadamard u∘v", HadamardProduct(u, v)),
    Case("HadamardPower v^-1", HadamardPower(v, -1), domain="nonzero"),
    Case("HadamardPower v^3", HadamardPower(v, 3)),
    Case("MatAdd u+v", u + v),
    Case("MatMul -2·v", -2 * v),
]


@pytest.mark.parametrize("case", JAC_CASES, ids=[c.id for c in JAC_CASES])
def test_jacobian_mode_is_the_vector_rule_column_by_column(case):
    node = case.node
    out = node if case.out == "node" else case.out
    cols = MatrixSymbol("G", node.shape[0], 2)
    env = {x: _symbols_of(x) for x in _leaves(node) | {cols}}
    if isinstance(out, MatrixSymbol):
        env[out] = sp.ImmutableMatrix(_explicit(node, env))
    together = {}
    for child, a in vjp(node, cols, out, jac=True):
        together[child] = together[child] + a if child in together else a
    for j in range(2):
        column = {}
        for child, a in vjp(node, cols[:, j], out):
            column[child] = column[child] + a if child in column else a
        assert set(column) == set(together)
        for child in column:
            got = _explicit(together[child], env)[:, j]
            want = _explicit(column[child], env)
            for i in range(want.rows):
                _assert_equal(got[i], want[i], case.domain, f"{case.id}: column {j} of {child}")


@pytest.mark.parametrize("node", [v + s * OneMatrix(3, 1), MatMul(s, v)],
                         ids=["broadcast scalar", "scalar coefficient"])
def test_jacobian_mode_passes_no_columns_to_scalars(node):
    # A leak rate alpha has no adjoint columns to receive: only the vector v does, scaled.
    cols = MatrixSymbol("G", 3, 2)
    kids = vjp(node, cols, jac=True)
    assert [child for child, _ in kids] == [v]
    want = cols if isinstance(node, sp.MatAdd) else s * cols
    assert sp.simplify((kids[0][1] - want).as_explicit()) == sp.zeros(3, 2)


@pytest.mark.parametrize("node", [v + sp.Trace(v.T * v) * OneMatrix(3, 1),
                                  MatMul(sp.Trace(v.T * v), v)],
                         ids=["broadcast inner product", "inner-product coefficient"])
def test_jacobian_mode_refuses_scalars_made_of_vectors(node):
    # <v, v> depends on v: dropping it would silently lose part of the Jacobian.
    with pytest.raises(DerivationError, match="of vectors inside a state Jacobian"):
        vjp(node, MatrixSymbol("G", 3, 2), jac=True)
