"""The recursive net's unfolded graph, and seed 001's O(log N) depth claim measured on it.

"To process a sequence of length N, an RNN has a length of N but a recursive neural
network reduces it to O(log N)" (seed 001, "Recursive Neural Networks II"): true of a
balanced tree, whose depth is ⌈log2 N⌉, and not of the chain, an RNN's, of depth N − 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from ...errors import SeqcheckError
from ...graph.unfold import UnfoldedGraph
from .network import PARAMS, shape_str
from .tree import Tree

__all__ = ["unfold_tree", "tree_properties", "DepthClaim", "depth_claim"]


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
            g.add_node((name, None), role="param", shape=shape_str(shape), layer=0,
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
