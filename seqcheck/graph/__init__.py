"""Stage 2: Spec, T -> :class:`UnfoldedGraph` (networkx), with DOT/GraphML export."""

from .export import label, summary, to_dot, to_graphml, write
from .unfold import MAX_STEPS, GraphError, Node, UnfoldedGraph, node_id, unfold

__all__ = [
    "MAX_STEPS",
    "GraphError",
    "Node",
    "UnfoldedGraph",
    "label",
    "node_id",
    "summary",
    "to_dot",
    "to_graphml",
    "unfold",
    "write",
]
