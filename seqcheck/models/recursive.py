"""Recursive neural networks: one network applied over a binary tree instead of a chain.

"Recursive neural networks generalize ordinary RNNs in that the unfolded computational
graphs are no longer chains but trees" (seed 001, "Recursive Neural Networks I"), and
"to process a sequence of length N, an RNN has a length of N but a recursive neural
network reduces it to O(log N)" (seed 001, "Recursive Neural Networks II").

The lecture gives no equations. The model here is the standard form (Socher et al.,
2011; Goodfellow et al., *Deep Learning*, section 10.6), on a binary tree whose leaves
read the inputs x_1..x_N of one sequence, for B examples that share the tree:

    leaf k reading input i:       h_k = tanh(U x_i + b)
    internal k, children l and r:  h_k = tanh(W_L h_l + W_R h_r + b)
    root r:                        o   = V h_r + c

The weights are shared by every node, as the weights of an RNN are shared by every step.
The gradients are backpropagation through structure: the chain rule over the tree, from
the root to the leaves (the tree's BPTT).

Layout, as for the compiled specs (conventions.md): inputs ``x`` are ``(N, B, D)``, the
states come back as ``(2N - 1, B, H)`` with one row per tree node in post-order (children
before their parent, the root last), the output ``o`` as ``(B, C)``. Leaf indices are
0-based positions in ``x``: leaf ``i`` reads ``x[i]``, the lecture's x^(i+1).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import networkx as nx
import numpy as np

from ..errors import SeqcheckError, ShapeError
from ..graph.unfold import UnfoldedGraph
from ..spec.model import Source
from .registry import Entry

__all__ = [
    "ENTRIES", "PARAMS", "Tree", "TreeStates", "TreeGradients", "DepthClaim",
    "tree_forward", "tree_backward", "unfold_tree", "tree_properties", "depth_claim",
]

#: The parameters and their shapes over the dims D (input), H (hidden), C (output).
PARAMS = {"U": ("H", "D"), "W_L": ("H", "H"), "W_R": ("H", "H"), "b": ("H",),
          "V": ("C", "H"), "c": ("C",)}


@dataclass(frozen=True)
class Tree:
    """A binary tree over the inputs x_0..x_{N-1}, its nodes numbered in post-order.

    Every internal node has exactly two children (the usual recursive net: one W_L, one
    W_R); every leaf reads one input, and every input is read by exactly one leaf. Node
    k's children are numbered below k, so the root is the last node (2N - 2) and a cycle
    cannot be written. Build one with :meth:`from_nested`, :meth:`balanced` or
    :meth:`chain`; the constructor checks the arrays.

    Arguments:
        left, right: per node, the index of its left and right child, ``-1`` for a leaf.
        leaf: per node, the input index it reads, ``-1`` for an internal node.

    >>> # ((x_0, x_1), x_2): two leaves joined, then joined with the third
    >>> t = Tree.from_nested(((0, 1), 2))
    >>> t.leaf, t.left, t.right, t.depth
    ((0, 1, -1, 2, -1), (-1, -1, 0, -1, 2), (-1, -1, 1, -1, 3), 2)
    """

    left: tuple[int, ...]
    right: tuple[int, ...]
    leaf: tuple[int, ...]

    def __post_init__(self):
        m = len(self.leaf)
        if m == 0 or len(self.left) != m or len(self.right) != m:
            raise SeqcheckError(
                f"a tree needs one left, right and leaf entry per node, got {len(self.left)}, "
                f"{len(self.right)} and {len(self.leaf)}")
        parents = [0] * m
        for k, (a, b, i) in enumerate(zip(self.left, self.right, self.leaf)):
            if i == -1:
                if not (0 <= a < k and 0 <= b < k) or a == b:
                    raise SeqcheckError(
                        f"tree node {k} must have two distinct children numbered below it "
                        f"(post-order), got left={a}, right={b}")
                parents[a] += 1
                parents[b] += 1
            elif a != -1 or b != -1:
                raise SeqcheckError(f"tree node {k} reads input {i} and has children; "
                                    "a leaf has none")
        if any(p != 1 for p in parents[:-1]) or parents[-1] != 0:
            raise SeqcheckError("every tree node but the last (the root) must have exactly "
                                "one parent")
        _check_leaves([i for i in self.leaf if i != -1], None)

    # -- constructors ------------------------------------------------------------------

    @classmethod
    def from_nested(cls, nested, n: int | None = None) -> Tree:
        """The tree written as nested pairs: an int is a leaf, ``(left, right)`` a node.

        Arguments:
            nested: e.g. ``((0, 1), (2, 3))``; tuples only, each of exactly two entries.
            n: the number of inputs; default the number of leaves.
        Returns:
            The :class:`Tree`.
        Raises:
            SeqcheckError: a node that is neither an int nor a pair, a leaf out of range,
                an input read twice or not at all.

        >>> # a left-branching tree over three inputs: an RNN's chain
        >>> Tree.from_nested(((0, 1), 2)) == Tree.chain(3)
        True
        """
        left: list[int] = []
        right: list[int] = []
        leaf: list[int] = []
        reads: list[int] = []
        # Iterative post-order, so a chain of thousands of leaves needs no recursion.
        stack: list[tuple[object, bool]] = [(nested, False)]
        done: list[int] = []
        while stack:
            node, expanded = stack.pop()
            if expanded:
                r, a = done.pop(), done.pop()
                left.append(a)
                right.append(r)
                leaf.append(-1)
                done.append(len(leaf) - 1)
            elif isinstance(node, numbers.Integral) and not isinstance(node, bool):
                left.append(-1)
                right.append(-1)
                leaf.append(int(node))
                reads.append(int(node))
                done.append(len(leaf) - 1)
            elif isinstance(node, tuple) and len(node) == 2:
                stack += [(node, True), (node[1], False), (node[0], False)]
            elif isinstance(node, tuple):
                raise SeqcheckError(
                    f"tree node {node!r} has {len(node)} children; a recursive net's tree is "
                    "binary\n  hint: nest the children in pairs, e.g. ((0, 1), 2)")
            else:
                raise SeqcheckError(
                    f"a tree node must be an input index (int) or a pair (left, right), got "
                    f"{node!r} (type={type(node).__name__})")
        _check_leaves(reads, n)
        return cls(tuple(left), tuple(right), tuple(leaf))

    @classmethod
    def balanced(cls, n: int) -> Tree:
        """The balanced tree over inputs 0..n-1 (left half ⌈n/2⌉), of depth ⌈log2 n⌉.

        >>> # eight inputs, three levels of joins
        >>> Tree.balanced(8).depth
        3
        """
        n = _check_n(n)
        spans = [(0, n)]
        nested: dict[tuple[int, int], object] = {}
        order = []
        while spans:  # top-down, then built bottom-up
            lo, hi = spans.pop()
            order.append((lo, hi))
            if hi - lo > 1:
                mid = lo + (hi - lo + 1) // 2
                spans += [(lo, mid), (mid, hi)]
        for lo, hi in reversed(order):
            mid = lo + (hi - lo + 1) // 2
            nested[lo, hi] = lo if hi - lo == 1 else (nested[lo, mid], nested[mid, hi])
        return cls.from_nested(nested[0, n])

    @classmethod
    def chain(cls, n: int) -> Tree:
        """The left-branching tree (((0, 1), 2), ...): an ordinary RNN's chain, depth n - 1.

        >>> # an RNN over five steps is a recursive net over a chain of depth 4
        >>> Tree.chain(5).depth
        4
        """
        n = _check_n(n)
        left, right, leaf = [-1], [-1], [0]
        for i in range(1, n):
            left += [-1, len(leaf) - 1]
            right += [-1, len(leaf)]
            leaf += [i, -1]
        return cls(tuple(left), tuple(right), tuple(leaf))

    # -- structure ---------------------------------------------------------------------

    @property
    def n_leaves(self) -> int:
        """N, the number of inputs (leaves)."""
        return (len(self.leaf) + 1) // 2

    @property
    def n_nodes(self) -> int:
        """2N - 1, the number of tree nodes."""
        return len(self.leaf)

    @property
    def root(self) -> int:
        return len(self.leaf) - 1

    def heights(self) -> tuple[int, ...]:
        """Per node, the edges on its longest path down to a leaf (leaves 0)."""
        out: list[int] = []
        for a, b in zip(self.left, self.right):
            out.append(0 if a == -1 else 1 + max(out[a], out[b]))
        return tuple(out)

    @property
    def depth(self) -> int:
        """Edges on the longest root-to-leaf path: the number of joins a leaf goes through."""
        return self.heights()[-1]

    def to_nested(self):
        """The nested-pair form that :meth:`from_nested` reads."""
        built: list[object] = []
        for a, b, i in zip(self.left, self.right, self.leaf):
            built.append(i if i != -1 else (built[a], built[b]))
        return built[-1]


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise SeqcheckError(f"the number of leaves must be an integer, got n={n!r} "
                            f"(type={type(n).__name__})")
    if n < 1:
        raise SeqcheckError(f"a tree needs at least one leaf, got n={n}")
    return int(n)


def _check_leaves(leaves: list[int], n: int | None) -> None:
    """Every input index 0..n-1 read by exactly one leaf."""
    count = len(leaves) if n is None else _check_n(n)
    seen: set[int] = set()
    for i in leaves:
        if not 0 <= i < count:
            raise SeqcheckError(
                f"tree leaf {i} is out of range: a tree over {count} inputs reads the input "
                f"indices 0..{count - 1}")
        if i in seen:
            raise SeqcheckError(f"tree leaf {i} appears twice; every input index must be "
                                "read by exactly one leaf")
        seen.add(i)
    missing = sorted(set(range(count)) - seen)
    if missing:
        raise SeqcheckError(
            f"no tree leaf reads input {missing[0]} ({len(missing)} of {count} inputs are "
            "not read); every input index must be read by exactly one leaf")


# -- the network ---------------------------------------------------------------------


@dataclass(frozen=True)
class TreeStates:
    """The forward pass over a tree.

    Arguments:
        tree: the tree.
        h: every node's state, ``(2N - 1, B, H)``, in the tree's post-order.
        o: the root's output V h_root + c, ``(B, C)``.
        x: the inputs it ran on, ``(N, B, D)``.
    """

    tree: Tree
    h: np.ndarray
    o: np.ndarray
    x: np.ndarray


@dataclass(frozen=True)
class TreeGradients:
    """Gradients of L = ⟨seed_o, o⟩ + Σ_k ⟨seed_h[k], h_k⟩ (summed over the batch).

    Arguments:
        params: ``{name: array of the parameter's shape}`` for U, W_L, W_R, b, V, c.
        x: ∂L/∂x, ``(N, B, D)``.
        h: ∂L/∂h_k in total (the seed plus what flows down from the parent), ``(2N - 1, B, H)``.
    """

    params: Mapping[str, np.ndarray]
    x: np.ndarray
    h: np.ndarray


def _arrays(tree: Tree, params: Mapping, x) -> tuple[dict, np.ndarray]:
    if not isinstance(tree, Tree):
        raise SeqcheckError(f"expected a Tree, got {type(tree).__name__}; build one with "
                            "Tree.from_nested, Tree.balanced or Tree.chain")
    unknown = sorted(set(params) - set(PARAMS))
    missing = [n for n in PARAMS if n not in params]
    problems = [f"unknown parameter '{n}'" for n in unknown]
    problems += [f"missing parameter '{n}' of shape {_shape_str(PARAMS[n])}" for n in missing]
    p = {n: np.asarray(params[n], dtype=np.float64) for n in PARAMS if n in params}
    x = np.asarray(x, dtype=np.float64)
    dims: dict[str, int] = {}
    where: dict[str, str] = {}
    for name, arr, shape in [("x", x, ("N", "B", "D"))] + [
            (n, p[n], PARAMS[n]) for n in PARAMS if n in p]:
        if arr.ndim != len(shape):
            problems.append(f"{name}: expected {len(shape)} axes {_shape_str(shape)}, "
                            f"got shape {arr.shape}")
            continue
        for k, (d, size) in enumerate(zip(shape, arr.shape)):
            if d not in dims:
                dims[d], where[d] = size, f"{name} axis {k}"
            elif dims[d] != size:
                problems.append(f"{name}: axis {k} is {size}, but {d} = {dims[d]} "
                                f"(from {where[d]})")
    if "N" in dims and dims["N"] != tree.n_leaves:
        problems.append(f"x has {dims['N']} inputs, but the tree has {tree.n_leaves} leaves")
    if problems:
        bound = ", ".join(f"{k} = {v}" for k, v in dims.items()) or "none"
        raise ShapeError(
            "arrays do not fit the recursive net:\n  - " + "\n  - ".join(problems)
            + "\ndeclared shapes (N inputs, B batch):\n"
            + "\n".join(f"  {n}: {_shape_str(s)}" for n, s in
                        [("x", ("N", "B", "D")), *PARAMS.items()])
            + f"\ndim bindings: {bound}")
    return p, x


def _shape_str(shape: tuple) -> str:
    return "(" + ", ".join(shape) + ("," if len(shape) == 1 else "") + ")"


def tree_forward(tree: Tree, params: Mapping, x) -> TreeStates:
    """The recursive net's forward pass over ``tree``, batched over B examples.

    Arguments:
        tree: the :class:`Tree` (N leaves), shared by the batch.
        params: ``U (H, D)``, ``W_L (H, H)``, ``W_R (H, H)``, ``b (H,)``, ``V (C, H)``,
            ``c (C,)``.
        x: the inputs, ``(N, B, D)``; leaf ``i`` reads ``x[i]``.
    Returns:
        :class:`TreeStates` with every node's h ``(2N - 1, B, H)`` and o ``(B, C)``.
    Raises:
        ShapeError: arrays that do not fit, with every dim binding.

    >>> # a balanced tree over four inputs, one example, H = 2
    >>> import numpy as np
    >>> p = {"U": np.eye(2), "W_L": np.eye(2), "W_R": -np.eye(2), "b": np.zeros(2),
    ...      "V": np.ones((1, 2)), "c": np.zeros(1)}
    >>> tree_forward(Tree.balanced(4), p, np.zeros((4, 1, 2))).h.shape
    (7, 1, 2)
    """
    p, x = _arrays(tree, params, x)
    B, H = x.shape[1], p["b"].shape[0]
    h = np.empty((tree.n_nodes, B, H))
    with np.errstate(under="ignore"):  # underflow to zero is harmless (tiny products)
        for k, (a, r, i) in enumerate(zip(tree.left, tree.right, tree.leaf)):
            if i != -1:
                h[k] = np.tanh(x[i] @ p["U"].T + p["b"])
            else:
                h[k] = np.tanh(h[a] @ p["W_L"].T + h[r] @ p["W_R"].T + p["b"])
        o = h[-1] @ p["V"].T + p["c"]
    return TreeStates(tree, h, o, x)


def tree_backward(states: TreeStates, params: Mapping, seed_o, seed_h=None) -> TreeGradients:
    """Backpropagation through structure: the gradients of L = ⟨seed_o, o⟩ + Σ_k ⟨seed_h[k], h_k⟩.

    Each rule sits under its forward equation; a = the pre-activation, so
    ∂L/∂a_k = ∂L/∂h_k ⊙ (1 - h_k²) (tanh' = 1 - tanh²).

    Arguments:
        states: the forward pass (:func:`tree_forward`).
        params: the parameters it ran on.
        seed_o: ∂L/∂o, ``(B, C)``.
        seed_h: optional ∂L/∂h_k from a loss at any node, ``(2N - 1, B, H)``.
    Returns:
        :class:`TreeGradients`: every parameter, the inputs, and each node's total ∂L/∂h.

    >>> # the gradient of the first output w.r.t. b, on a two-leaf tree
    >>> import numpy as np
    >>> p = {"U": np.eye(1), "W_L": np.eye(1), "W_R": np.eye(1), "b": np.zeros(1),
    ...      "V": np.ones((1, 1)), "c": np.zeros(1)}
    >>> s = tree_forward(Tree.balanced(2), p, np.zeros((2, 1, 1)))
    >>> tree_backward(s, p, np.ones((1, 1))).params["b"]
    array([3.])
    """
    tree = states.tree
    p, x = _arrays(tree, params, states.x)
    B, C = states.o.shape
    seed_o = np.asarray(seed_o, dtype=np.float64)
    if seed_o.shape != (B, C):
        raise ShapeError(f"seed_o has shape {seed_o.shape}, expected (B, C) = {(B, C)}")
    dh = np.zeros_like(states.h)
    if seed_h is not None:
        seed_h = np.asarray(seed_h, dtype=np.float64)
        if seed_h.shape != states.h.shape:
            raise ShapeError(f"seed_h has shape {seed_h.shape}, expected (2N - 1, B, H) = "
                             f"{states.h.shape}")
        dh += seed_h
    with np.errstate(under="ignore"):  # a gradient vanishing along a deep path underflows
        g, dx = _backward(tree, p, x, states, seed_o, dh)
    return TreeGradients(MappingProxyType(g), dx, dh)


def _backward(tree: Tree, p: dict, x: np.ndarray, states: TreeStates, seed_o: np.ndarray,
              dh: np.ndarray) -> tuple[dict, np.ndarray]:
    """Accumulates into ``dh`` (the seeds on entry, the totals on return)."""
    g = {n: np.zeros_like(v) for n, v in p.items()}
    dx = np.zeros_like(x)
    # o = V h_root + c
    g["V"] += seed_o.T @ states.h[-1]
    g["c"] += seed_o.sum(axis=0)
    dh[-1] += seed_o @ p["V"]
    for k in range(tree.n_nodes - 1, -1, -1):  # parents before children
        da = dh[k] * (1.0 - states.h[k] ** 2)
        g["b"] += da.sum(axis=0)
        a, r, i = tree.left[k], tree.right[k], tree.leaf[k]
        if i != -1:
            # h_k = tanh(U x_i + b)
            g["U"] += da.T @ x[i]
            dx[i] += da @ p["U"]
        else:
            # h_k = tanh(W_L h_l + W_R h_r + b)
            g["W_L"] += da.T @ states.h[a]
            g["W_R"] += da.T @ states.h[r]
            dh[a] += da @ p["W_L"]
            dh[r] += da @ p["W_R"]
    return g, dx


# -- the unfolded graph and the O(log N) claim ---------------------------------------


def unfold_tree(tree: Tree, params: bool = False) -> UnfoldedGraph:
    """The recursive net's computational graph over ``tree``, as an :class:`UnfoldedGraph`.

    Nodes follow :func:`seqcheck.graph.unfold`'s ``(name, t)`` form, so the DOT and
    GraphML exports write it: ``("x", i + 1)`` for input i (1-based as the lecture's
    x^(t)), ``("h", k + 1)`` for tree node k (post-order, so ``h@2N-1`` is the root) and
    ``("o", 2N - 1)`` for the output, beside the root. Edges run child → parent (kind
    ``"step"``, delay 0) with ``side`` ``"left"``, ``"right"``, ``"input"`` or
    ``"output"``. Node attributes are those of :class:`UnfoldedGraph` (``layer`` is the
    height above the inputs), plus ``height`` (tree nodes: edges down to a leaf) and
    ``reads`` (leaves: the 0-based input index). With ``params=True``, one node per
    parameter with an edge to every use (weight sharing); :func:`tree_properties` leaves
    them out.

    Arguments:
        tree: the :class:`Tree`.
        params: include parameter nodes.
    Returns:
        A frozen :class:`UnfoldedGraph` named ``"recursive_net"`` with ``steps`` = N.

    >>> # three inputs, five tree nodes and the output: 9 nodes, 8 edges
    >>> g = unfold_tree(Tree.balanced(3)).graph
    >>> g.number_of_nodes(), g.number_of_edges()
    (9, 8)
    """
    if not isinstance(tree, Tree):
        raise SeqcheckError(f"expected a Tree, got {type(tree).__name__}")
    g = nx.DiGraph(sweeps=[])
    heights = tree.heights()
    root = tree.n_nodes
    if params:
        for name, shape in PARAMS.items():
            g.add_node((name, None), role="param", shape=_shape_str(shape), layer=0,
                       direction=0, output=False)
    for k, (a, r, i) in enumerate(zip(tree.left, tree.right, tree.leaf)):
        node = ("h", k + 1)
        g.add_node(node, role="variable", shape="(H,)", layer=heights[k] + 1, direction=0,
                   output=False, height=heights[k], **({"reads": i} if i != -1 else {}))
        if i != -1:
            g.add_node(("x", i + 1), role="input", shape="(D,)", layer=0, direction=0,
                       output=False)
            g.add_edge(("x", i + 1), node, delay=0, kind="step", side="input")
            uses = ["U", "b"]
        else:
            g.add_edge(("h", a + 1), node, delay=0, kind="step", side="left")
            g.add_edge(("h", r + 1), node, delay=0, kind="step", side="right")
            uses = ["W_L", "W_R", "b"]
        if params:
            for name in uses:
                g.add_edge((name, None), node, delay=0, kind="param")
    g.add_node(("o", root), role="output", shape="(C,)", layer=heights[-1] + 2, direction=0,
               output=True)
    g.add_edge(("h", root), ("o", root), delay=0, kind="step", side="output")
    if params:
        for name in ("V", "c"):
            g.add_edge((name, None), ("o", root), delay=0, kind="param")
    return UnfoldedGraph("recursive_net", tree.n_leaves, nx.freeze(g), params)


def tree_properties(ug: UnfoldedGraph) -> dict:
    """Whether the unfolded graph is a tree, and its sizes and depth.

    Arguments:
        ug: from :func:`unfold_tree` (parameter nodes are left out).
    Returns:
        ``{"is_tree": the graph with edges reversed is an arborescence rooted at o,
        "inputs": N, "tree_nodes": 2N - 1, "nodes", "edges", "depth": edges on the
        longest path between tree nodes (root to deepest leaf)}``.

    >>> # a chain over four inputs has depth 3, a balanced tree 2
    >>> [tree_properties(unfold_tree(t))["depth"] for t in (Tree.chain(4), Tree.balanced(4))]
    [3, 2]
    """
    g = nx.subgraph_view(ug.graph, filter_node=lambda n: ug.graph.nodes[n]["role"] != "param")
    tree_nodes = [n for n in g if n[0] == "h"]
    return {
        "is_tree": nx.is_arborescence(g.reverse(copy=False)),
        "inputs": sum(1 for n in g if n[0] == "x"),
        "tree_nodes": len(tree_nodes),
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "depth": nx.dag_longest_path_length(g.subgraph(tree_nodes)),
    }


@dataclass(frozen=True)
class DepthClaim:
    """Seed 001's O(log N) claim at one N, measured on the unfolded graphs.

    Arguments:
        n: N, the sequence length.
        balanced: depth of the balanced tree's graph; the claim is ⌈log2 N⌉.
        chain: depth of the chain's graph (an RNN); N - 1.
    """

    n: int
    balanced: int
    chain: int

    @property
    def holds(self) -> bool:
        """The balanced depth is ⌈log2 N⌉ and the chain's N - 1."""
        return (self.balanced == math.ceil(math.log2(self.n)) if self.n > 1
                else self.balanced == 0) and self.chain == self.n - 1


def depth_claim(n: int) -> DepthClaim:
    """Seed 001's "an RNN has a length of N but a recursive network reduces it to O(log N)".

    Arguments:
        n: N, the sequence length.
    Returns:
        :class:`DepthClaim` with the depths of the balanced tree and of the chain.

    >>> # a sequence of 1000: 999 joins along an RNN's chain, 10 along a balanced tree
    >>> c = depth_claim(1000)
    >>> c.chain, c.balanced, c.holds
    (999, 10, True)
    """
    return DepthClaim(n, tree_properties(unfold_tree(Tree.balanced(n)))["depth"],
                      tree_properties(unfold_tree(Tree.chain(n)))["depth"])


ENTRIES = (
    Entry(
        name="recursive_net",
        kind="function",
        title="Recursive neural network over a binary tree, with backpropagation through "
              "structure (seed 001)",
        sources=(
            Source("001_ad6a511fc6b6ab34.txt", where="Recursive Neural Networks I",
                   note="the lecture states that the unfolded graph is a tree; the "
                        "equations are the standard form (Socher et al. 2011; Goodfellow "
                        "et al., Deep Learning 10.6)"),
            Source("001_ad6a511fc6b6ab34.txt", where="Recursive Neural Networks II",
                   note="depth O(log N) for a sequence of length N, on a balanced tree"),
        ),
        target="seqcheck.models.recursive:tree_forward",
        tests=("tests/test_recursive.py",),
    ),
)
