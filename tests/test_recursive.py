"""The recursive net over binary trees (seed 001, "Recursive Neural Networks I/II").

Oracles: a torch float64 reimplementation under autograd, written here over the nested
tuples (it never sees the post-order arrays); central differences on one case; networkx
and plain arithmetic for the unfolded tree and its depth."""

import math

import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import SeqcheckError, ShapeError
from seqcheck.graph.export import to_dot, to_graphml
from seqcheck.models.recursive import (
    Tree,
    depth_claim,
    tree_backward,
    tree_forward,
    tree_properties,
    unfold_tree,
)


@st.composite
def nested_trees(draw, max_leaves=8):
    """A random binary tree: leaves in a random order, adjacent pairs joined at random."""
    n = draw(st.integers(1, max_leaves))
    nodes = list(draw(st.permutations(range(n))))
    while len(nodes) > 1:
        i = draw(st.integers(0, len(nodes) - 2))
        nodes[i : i + 2] = [(nodes[i], nodes[i + 1])]
    return nodes[0]


def _params(rng, D, H, C, scale=1.0):
    return {"U": rng.normal(size=(H, D)) * scale, "W_L": rng.normal(size=(H, H)) * scale,
            "W_R": rng.normal(size=(H, H)) * scale, "b": rng.normal(size=H),
            "V": rng.normal(size=(C, H)), "c": rng.normal(size=C)}


def _torch_tree(nested, p, x):
    """h of every node in post-order (left subtree, right subtree, node) and o."""
    states = []

    def visit(node):
        if isinstance(node, int):
            h = torch.tanh(x[node] @ p["U"].T + p["b"])
        else:
            hl, hr = visit(node[0]), visit(node[1])
            h = torch.tanh(hl @ p["W_L"].T + hr @ p["W_R"].T + p["b"])
        states.append(h)
        return h

    root = visit(nested)
    return states, root @ p["V"].T + p["c"]


def _depth(nested):
    return 0 if isinstance(nested, int) else 1 + max(_depth(nested[0]), _depth(nested[1]))


@settings(max_examples=25)
@given(nested=nested_trees(), D=st.integers(1, 3), H=st.integers(1, 4), C=st.integers(1, 3),
       B=st.integers(1, 3), scale=st.sampled_from([0.3, 1.0, 3.0]), seed=st.integers(0, 2**31),
       seed_nodes=st.booleans())
def test_forward_and_gradients_match_torch_autograd(torch_one_thread, nested, D, H, C, B,
                                                    scale, seed, seed_nodes):
    rng = np.random.default_rng(seed)
    tree = Tree.from_nested(nested)
    n = tree.n_leaves
    params = _params(rng, D, H, C, scale)
    x = rng.normal(size=(n, B, D))
    seed_o = rng.normal(size=(B, C))
    seed_h = rng.normal(size=(2 * n - 1, B, H)) if seed_nodes else None

    states = tree_forward(tree, params, x)
    grads = tree_backward(states, params, seed_o, seed_h)

    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    tx = torch.tensor(x, requires_grad=True)
    hs, o = _torch_tree(nested, tp, tx)
    h = torch.stack(hs)
    loss = (torch.tensor(seed_o) * o).sum()
    if seed_h is not None:
        loss = loss + (torch.tensor(seed_h) * h).sum()
    loss.backward()

    tol = {"rtol": 1e-10, "atol": 1e-12}
    torch.testing.assert_close(torch.tensor(states.h), h.detach(), **tol)
    torch.testing.assert_close(torch.tensor(states.o), o.detach(), **tol)
    for name, t in tp.items():
        # A single leaf uses neither W_L nor W_R: autograd leaves their .grad unset.
        want = t.grad if t.grad is not None else torch.zeros_like(t)
        torch.testing.assert_close(torch.tensor(np.asarray(grads.params[name])), want, **tol,
                                   msg=lambda m, name=name: f"dL/d{name}: {m}")
    torch.testing.assert_close(torch.tensor(grads.x), tx.grad, **tol)


def test_gradients_match_central_differences():
    rng = np.random.default_rng(7)
    tree = Tree.from_nested(((2, (0, 3)), 1))
    params = _params(rng, D=2, H=3, C=2)
    x = rng.normal(size=(4, 2, 2))
    seed_o = rng.normal(size=(2, 2))
    seed_h = rng.normal(size=(7, 2, 3))

    def loss(p, xx):
        s = tree_forward(tree, p, xx)
        return float(np.sum(seed_o * s.o) + np.sum(seed_h * s.h))

    g = tree_backward(tree_forward(tree, params, x), params, seed_o, seed_h)
    eps = 1e-6
    for name in params:
        num = np.zeros_like(params[name])
        for idx in np.ndindex(params[name].shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[name][idx] += eps
            minus[name][idx] -= eps
            num[idx] = (loss(plus, x) - loss(minus, x)) / (2 * eps)
        np.testing.assert_allclose(g.params[name], num, rtol=1e-6, atol=1e-8, err_msg=name)
    num_x = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        num_x[idx] = (loss(params, xp) - loss(params, xm)) / (2 * eps)
    np.testing.assert_allclose(g.x, num_x, rtol=1e-6, atol=1e-8)


@settings(max_examples=40)
@given(nested=nested_trees(max_leaves=12), params=st.booleans())
def test_unfolded_graph_is_a_tree(nested, params):
    tree = Tree.from_nested(nested)
    n = tree.n_leaves
    ug = unfold_tree(tree, params=params)
    props = tree_properties(ug)
    assert props == {"is_tree": True, "inputs": n, "tree_nodes": 2 * n - 1, "nodes": 3 * n,
                     "edges": 3 * n - 1, "depth": _depth(nested)}
    assert tree.depth == _depth(nested)
    g = ug.graph
    if params:
        # Weight sharing: U feeds every leaf, W_L and W_R every join, b every tree node.
        assert g.out_degree(("U", None)) == n
        assert g.out_degree(("W_L", None)) == g.out_degree(("W_R", None)) == n - 1
        assert g.out_degree(("b", None)) == 2 * n - 1
        assert not nx.is_arborescence(g.reverse(copy=False))
    # Every input feeds the leaf that reads it; the root feeds the output.
    for k, i in enumerate(tree.leaf):
        if i != -1:
            assert list(g.successors(("x", i + 1))) == [("h", k + 1)]
    assert list(g.successors(("h", 2 * n - 1))) == [("o", 2 * n - 1)]


def test_unfolded_tree_exports():
    ug = unfold_tree(Tree.from_nested((1, (0, 2))))
    h = nx.parse_graphml(to_graphml(ug))
    assert sorted(h.nodes) == sorted(["x@1", "x@2", "x@3", "h@1", "h@2", "h@3", "h@4", "h@5",
                                      "o@5"])
    assert sorted(h.edges) == sorted([("x@2", "h@1"), ("x@1", "h@2"), ("x@3", "h@3"),
                                      ("h@2", "h@4"), ("h@3", "h@4"), ("h@1", "h@5"),
                                      ("h@4", "h@5"), ("h@5", "o@5")])
    assert h.edges["h@2", "h@4"]["side"] == "left"
    assert h.nodes["h@1"]["reads"] == 1
    dot = to_dot(ug)
    assert '"h@5" -> "o@5";' in dot and '"x@2" -> "h@1";' in dot


@settings(max_examples=40)
@given(n=st.integers(1, 300))
def test_depth_is_log_n_for_balanced_and_n_minus_1_for_chain(n):
    # seed 001: "an RNN has a length of N but a recursive neural network reduces it to O(log N)"
    claim = depth_claim(n)
    assert claim.balanced == (0 if n == 1 else math.ceil(math.log2(n)))
    assert claim.chain == n - 1
    assert claim.holds
    assert Tree.balanced(n).depth == claim.balanced and Tree.chain(n).depth == n - 1


def test_chain_is_left_branching_and_balanced_splits_in_halves():
    assert Tree.chain(4).to_nested() == (((0, 1), 2), 3)
    assert Tree.balanced(5).to_nested() == (((0, 1), 2), (3, 4))
    assert Tree.balanced(1).to_nested() == 0
    assert Tree.from_nested(((3, 1), (0, 2))).to_nested() == ((3, 1), (0, 2))


def test_long_chain_needs_no_recursion():
    tree = Tree.chain(5000)
    assert Tree.from_nested(tree.to_nested()) == tree
    rng = np.random.default_rng(0)
    p = _params(rng, 1, 2, 1, scale=0.1)
    s = tree_forward(tree, p, rng.normal(size=(5000, 1, 1)))
    assert np.isfinite(tree_backward(s, p, np.ones((1, 1))).params["W_L"]).all()


def test_depth_claim_can_fail():
    # The property is not vacuous: a wrong depth is told apart.
    from seqcheck.models.recursive import DepthClaim

    assert not DepthClaim(8, balanced=4, chain=7).holds
    assert not DepthClaim(8, balanced=3, chain=6).holds


BAD_TREES = [
    pytest.param(((0, 1), 3), None,
                 "tree leaf 3 is out of range: a tree over 3 inputs reads the input indices 0..2",
                 id="leaf-out-of-range"),
    pytest.param((0, -1), None,
                 "tree leaf -1 is out of range: a tree over 2 inputs reads the input indices 0..1",
                 id="negative-leaf"),
    pytest.param(((0, 1), 1), None,
                 "tree leaf 1 appears twice; every input index must be read by exactly one leaf",
                 id="duplicate-leaf"),
    pytest.param((0, 1), 3,
                 "no tree leaf reads input 2 (1 of 3 inputs are not read); every input index "
                 "must be read by exactly one leaf", id="missing-leaf"),
    pytest.param((0, 1, 2), None,
                 "tree node (0, 1, 2) has 3 children; a recursive net's tree is binary\n"
                 "  hint: nest the children in pairs, e.g. ((0, 1), 2)", id="ternary"),
    pytest.param([0, 1], None,
                 "a tree node must be an input index (int) or a pair (left, right), got [0, 1] "
                 "(type=list)", id="list"),
    pytest.param((True, 0), None,
                 "a tree node must be an input index (int) or a pair (left, right), got True "
                 "(type=bool)", id="bool-leaf"),
]


@pytest.mark.parametrize(("nested", "n", "message"), BAD_TREES)
def test_bad_trees_are_refused(nested, n, message):
    with pytest.raises(SeqcheckError) as info:
        Tree.from_nested(nested, n)
    assert str(info.value) == message


@pytest.mark.parametrize(("make", "message"), [
    pytest.param(lambda: Tree.balanced(0), "a tree needs at least one leaf, got n=0", id="zero"),
    pytest.param(lambda: Tree.chain(2.0), "the number of leaves must be an integer, got n=2.0 "
                 "(type=float)", id="float"),
    pytest.param(lambda: Tree((-1, -1, -1), (-1, -1, 0), (0, 1, -1)),
                 "tree node 2 must have two distinct children numbered below it (post-order), "
                 "got left=-1, right=0", id="bad-arrays"),
    pytest.param(lambda: Tree((-1, -1, 0), (-1, -1, 0), (0, 1, -1)),
                 "tree node 2 must have two distinct children numbered below it (post-order), "
                 "got left=0, right=0", id="same-child"),
])
def test_bad_tree_constructions_are_refused(make, message):
    with pytest.raises(SeqcheckError) as info:
        make()
    assert str(info.value) == message


def test_arrays_that_do_not_fit_are_refused():
    rng = np.random.default_rng(1)
    p = _params(rng, 2, 3, 1)
    with pytest.raises(ShapeError) as info:
        tree_forward(Tree.balanced(3), p, np.zeros((2, 1, 2)))
    assert str(info.value).splitlines() == [
        "arrays do not fit the recursive net:",
        "  - x has 2 inputs, but the tree has 3 leaves",
        "declared shapes (N inputs, B batch):",
        "  x: (N, B, D)",
        "  U: (H, D)",
        "  W_L: (H, H)",
        "  W_R: (H, H)",
        "  b: (H,)",
        "  V: (C, H)",
        "  c: (C,)",
        "dim bindings: N = 2, B = 1, D = 2, H = 3, C = 1",
    ]
    del p["c"]
    p["W_L"] = np.zeros((3, 2))
    with pytest.raises(ShapeError) as info:
        tree_forward(Tree.balanced(2), p, np.zeros((2, 1, 2)))
    assert str(info.value).splitlines()[:3] == [
        "arrays do not fit the recursive net:",
        "  - missing parameter 'c' of shape (C,)",
        "  - W_L: axis 1 is 2, but H = 3 (from U axis 0)",
    ]
    s = tree_forward(Tree.balanced(2), _params(rng, 2, 3, 1), np.zeros((2, 1, 2)))
    with pytest.raises(ShapeError) as info:
        tree_backward(s, _params(rng, 2, 3, 1), np.ones((1, 2)))
    assert str(info.value) == "seed_o has shape (1, 2), expected (B, C) = (1, 1)"
