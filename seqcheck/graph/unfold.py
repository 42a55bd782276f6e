"""Spec, T -> :class:`UnfoldedGraph`: the recurrence written out over T steps.

"Writing out the recurrence relation in full yields an *unfolded* computational
graph" (seed 000 eq. 1-3; seed 001 "Computational Graphs I-II"): one node per
variable per step, and the lectures' black square -- a delay of one step -- becomes
an edge from step t-1 to step t. The graph is for structure, analysis and
pictures; the numeric path (backends, checks) runs generated per-step code and
never walks it, so its size is capped at :data:`MAX_STEPS`.

Nodes are ``(name, t)``:

- ``(x, t)`` for every sequence input and ``(v, t)`` for every equation target,
  t = 1..T;
- boundary nodes for initial values: ``(h, 0)`` for a state read as ``h[t-1]``
  (``(h, -1)``, ... for longer delays) and ``(h, T + 1)`` for a backward chain read
  as ``h[t+1]`` (seed 000 eq. 24);
- ``(name, None)`` for what has no time axis: a static input, and with
  ``params=True`` every parameter (one node with an edge to every use: the
  lectures' weight sharing).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from ..spec.grammar import format_shape
from ..spec.schedule import make_schedule
from .export import summary, to_dot, to_graphml, write
from .nodes import GraphError, Node, node_id

__all__ = ["MAX_STEPS", "GraphError", "Node", "UnfoldedGraph", "unfold", "node_id"]

#: Largest T :func:`unfold` accepts. Building costs about 100 µs and a few KiB per
#: step (DESIGN.md: T = 100 000 takes 11 s and 730 MiB), and a picture of more
#: than a few steps is unreadable anyway; the graph repeats every step.
MAX_STEPS = 10_000

# Edge kinds, by the sign of the reference's time offset.
_KIND = {0: "step", -1: "time-delay", 1: "backward-time"}


@dataclass(frozen=True, eq=False)
class UnfoldedGraph:
    """A spec's equations unfolded over ``steps`` time steps, as a frozen networkx graph.

    Arguments:
        spec_name: the spec's catalogue name.
        steps: T, the number of steps unfolded.
        graph: frozen ``nx.DiGraph`` on ``(name, t)`` nodes (see the module docstring).
            Node attributes: ``role`` (``"input"``, ``"state"``, ``"variable"``,
            ``"output"``, ``"initial"``, ``"param"``), ``shape`` (string, e.g.
            ``"(H,)"``), ``layer`` (int, depth within a step: the longest same-step
            path from the inputs; an initial value sits in its variable's layer,
            parameters in layer 0), ``direction`` (+1, -1
            or 0: the sweep over time computing it), ``output`` (bool: the spec reads
            it out; a state can be an output too), ``init`` (initial nodes only: the
            initial value as written). Edge attributes: ``delay`` (0 within a step, k
            for a ``[t-k]`` edge, -k for a ``[t+k]`` edge) and ``kind`` (``"step"``,
            ``"time-delay"``, ``"backward-time"``, ``"static"`` from a static input,
            ``"param"`` from a parameter).
        params: whether parameter nodes were included.

    The structure cannot be changed (``nx.freeze``); treat the attribute dicts as
    read-only too. Build one with :func:`unfold`.

    >>> # the seed 001 Elman network over two steps: x, a, h, o, y_hat per step, and h_0
    >>> from seqcheck import load_spec
    >>> unfold(load_spec("elman"), 2).summary()["nodes"]
    11
    """

    spec_name: str
    steps: int
    graph: nx.DiGraph
    params: bool = False

    def to_dot(self) -> str:
        """Graphviz DOT text, one column per time step (:func:`seqcheck.graph.export.to_dot`)."""
        return to_dot(self)

    def to_graphml(self) -> str:
        """GraphML text, node ids like ``"h@3"`` (:func:`seqcheck.graph.export.to_graphml`)."""
        return to_graphml(self)

    def write(self, path: str | Path) -> Path:
        """Write DOT (``.dot``, ``.gv``) or GraphML (``.graphml``), chosen by suffix.

        See :func:`seqcheck.graph.export.write`.
        """
        return write(self, path)

    def summary(self) -> dict:
        """Counts and depth, JSON-serialisable (:func:`seqcheck.graph.export.summary`)."""
        return summary(self)

    def __repr__(self) -> str:
        g = self.graph
        return (f"UnfoldedGraph({self.spec_name!r}, steps={self.steps}, "
                f"nodes={g.number_of_nodes()}, edges={g.number_of_edges()})")


def unfold(spec, steps: int, *, params: bool = False) -> UnfoldedGraph:
    """Unfold a spec's equations over ``steps`` time steps (seed 000 eq. 1-3).

    Arguments:
        spec: a validated :class:`~seqcheck.spec.model.Spec`.
        steps: T, the number of steps, 1 <= T <= :data:`MAX_STEPS`.
        params: also add one node per parameter, ``(name, None)``, with an edge to
            every node whose equation uses it (weight sharing, seed 001
            "Computational Graphs I").
    Returns:
        An :class:`UnfoldedGraph` with ``(#sequence inputs + #equations) * T``
        step nodes, one node per static input (and per parameter), and one
        boundary node per initial value read.
    Raises:
        GraphError: ``steps`` is not an integer in 1..MAX_STEPS.

    >>> # the seed 004 LSTM over three steps: c_2 is computed from c_1 (a time-delay edge)
    >>> from seqcheck import load_spec
    >>> g = unfold(load_spec("lstm"), 3).graph
    >>> g.edges[("c", 1), ("c", 2)]["kind"], sorted(g.predecessors(("h", 2)))
    ('time-delay', [('c', 2), ('o', 2)])
    """
    steps = _check_steps(steps)
    schedule = make_schedule(spec)
    direction = {v: s.direction for s in schedule.sweeps for v in s.variables}
    layer = _layers(spec)
    shape = {n: format_shape(spec.shape_of(n)) for n in
             (*spec.inputs, *spec.states, *spec.params, *spec.variables)}
    outputs = set(spec.outputs)

    g = nx.DiGraph(spec=spec.name, steps=steps, params=params,
                   sweeps=tuple((s.direction, s.variables) for s in schedule.sweeps))

    def add(node: Node, role: str, dirn: int, **extra) -> None:
        g.add_node(node, role=role, shape=shape[node[0]], layer=layer.get(node[0], 0),
                   direction=dirn, output=node[0] in outputs and role != "initial", **extra)

    for name in spec.static_inputs:
        add((name, None), "input", 0)
    if params:
        for name in spec.params:
            add((name, None), "param", 0)
    for t in range(1, steps + 1):
        for name in spec.sequence_inputs:
            add((name, t), "input", 0)
        for e in spec.equations:
            role = ("state" if e.target in spec.states
                    else "output" if e.target in outputs else "variable")
            add((e.target, t), role, direction[e.target])

    for e in spec.equations:
        # A name used twice at the same offset is one edge.
        refs = dict.fromkeys((r.name, r.offset) for r in e.refs)
        for t in range(1, steps + 1):
            for name, offset in refs:
                if name in spec.params:
                    if params:
                        g.add_edge((name, None), (e.target, t), delay=0, kind="param")
                    continue
                if name in spec.inputs and spec.inputs[name].static:
                    g.add_edge((name, None), (e.target, t), delay=0, kind="static")
                    continue
                src = (name, t + offset)
                if not 1 <= t + offset <= steps and src not in g:
                    # Outside 1..T: the declared initial value, before the first
                    # step of a forward chain or after the last of a backward one.
                    decl = spec.states.get(name) or spec.inputs[name]
                    add(src, "initial", 1 if offset < 0 else -1, init=decl.init_text)
                g.add_edge(src, (e.target, t), delay=-offset,
                           kind=_KIND[(offset > 0) - (offset < 0)])
    return UnfoldedGraph(spec.name, steps, nx.freeze(g), params)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise GraphError(f"steps must be an integer, got steps={steps!r} "
                         f"(type={type(steps).__name__})")
    steps = int(steps)
    if steps < 1:
        raise GraphError(f"steps must be at least 1, got steps={steps}")
    if steps > MAX_STEPS:
        raise GraphError(
            f"steps={steps} is above the limit of {MAX_STEPS} for an unfolded graph\n"
            "  the networkx graph costs about 100 µs and 7 KiB per step (T = 100 000: "
            "11 s, 730 MiB); it is meant for structure, analysis and pictures\n"
            "  hint: unfold a few steps to see the structure, which repeats every step; "
            "the compiled spec (compile_numpy) runs any T without building this graph")
    return steps


def _layers(spec) -> dict[str, int]:
    """Depth of each name within a step: the longest same-step path from the inputs.

    Inputs (and parameters) are layer 0; an equation is one more than the deepest
    name it uses at the same step, so the layers of a stacked RNN (seed 000 eq. 20)
    increase with depth. A name read only at other steps does not count.
    """
    same_step = nx.DiGraph()
    same_step.add_nodes_from(spec.variables)
    for e in spec.equations:
        same_step.add_edges_from((r.name, e.target) for r in e.refs if r.offset == 0
                                 and (r.name in spec.inputs or r.name in spec.variables))
    layer = {n: 0 for n in spec.inputs}
    for n in nx.topological_sort(same_step):  # acyclic: the spec has no algebraic loop
        if n in spec.inputs:
            continue
        layer[n] = 1 + max((layer[p] for p in same_step.predecessors(n)), default=0)
    return layer
