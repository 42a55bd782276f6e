""":class:`UnfoldedGraph` -> DOT, GraphML, a JSON summary.

DOT is written by hand (pydot and pygraphviz are not dependencies) in the
lectures' picture of an unfolded graph (seed 000 Figure "time-unfolded
computational graph"; seed 001 "Computational Graphs II"): time runs left to
right, one column per step, and the black square of a one-step delay becomes a
dashed edge labelled ``t-1`` (``t+1`` for a backward-in-time chain).
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import networkx as nx

from .nodes import GraphError, Node, node_id

__all__ = ["to_dot", "to_graphml", "write", "summary", "label"]

_SUFFIXES = {".dot": "dot", ".gv": "dot", ".graphml": "graphml"}

# How each role and edge kind is drawn.
_NODE_STYLE = {
    "input": 'shape=ellipse, style=filled, fillcolor="#dbe9f6"',
    "initial": 'shape=box, style="rounded,dashed"',
    "state": 'shape=box, style="rounded,bold"',
    "variable": 'shape=box, style=rounded',
    "output": 'shape=box, style=rounded',
    "param": 'shape=note, style=filled, fillcolor="#eeeeee"',
}
_EDGE_STYLE = {
    "step": "",
    "time-delay": 'style=dashed, color="#1f77b4", fontcolor="#1f77b4"',
    # Against the time axis: it must not pull step t+1 left of step t.
    "backward-time": 'style=dashed, color="#d62728", fontcolor="#d62728", constraint=false',
    "static": 'style=dotted, color="#7f7f7f"',
    "param": 'style=dotted, color="#7f7f7f"',
}
_SHORT = (("_tilde", "~"), ("_hat", "^"))


def label(node: Node) -> str:
    """The display label of a node: ``"h_3"``, ``"c~_2"`` for ``c_tilde``, ``"W_hh"`` (no step).

    Arguments:
        node: ``(name, t)``.
    Returns:
        The name with ``_tilde``/``_hat`` written ``~``/``^``, then ``_t``.

    >>> # the LSTM's candidate memory at step 2
    >>> label(("c_tilde", 2))
    'c~_2'
    """
    name, t = node
    for suffix, mark in _SHORT:
        if name.endswith(suffix):
            name = name[: -len(suffix)] + mark
    return name if t is None else f"{name}_{t}"


def _quote(text: str) -> str:
    # DOT's only escape in a quoted string is \" ; doubling the backslash keeps a
    # trailing backslash from escaping the closing quote.
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _column_id(t: int | None) -> str:
    # Names start with a letter, so "@..." cannot clash with a node id.
    return "@static" if t is None else f"@{t}"


def to_dot(ug) -> str:
    """Graphviz DOT text of the unfolded graph, time running left to right.

    Arguments:
        ug: the unfolded graph.
    Returns:
        A ``digraph`` with ``rankdir=LR`` and one ``rank=same`` subgraph per time
        step: a column headed by a ``t = k`` node (timeless nodes first, under
        ``static``), inputs at the top of a column and outputs at the bottom.
        Node ids are :func:`node_id` strings (``"h@3"``), labels ``h_3`` and
        ``c~_2``; a variable's nodes share a ``group``, so its chain over time is
        drawn straight. Each graph edge is one ``u -> v`` line; time-delay edges
        are dashed blue and labelled ``t-1`` (``t-k``), backward-time edges dashed
        red ``t+1``, parameter and static-input edges dotted grey. The column
        order is held by ``style=invis`` edges between the column headers, the
        only ``->`` lines that are not graph edges.

    >>> # render with Graphviz: seqcheck graph lstm --steps 3 -o lstm.dot; dot -Tsvg lstm.dot
    >>> from seqcheck import load_spec
    >>> from seqcheck.graph import unfold
    >>> to_dot(unfold(load_spec("elman"), 2)).splitlines()[1]
    'digraph "elman" {'
    """
    g = ug.graph
    columns: dict[int | None, list[Node]] = {}
    for n in g:
        columns.setdefault(n[1], []).append(n)
    order = sorted(columns, key=lambda t: (t is not None, t or 0))

    out = [
        f"// {ug.spec_name} unfolded over T = {ug.steps} steps (seqcheck); "
        "seed 000 eq. 1-3, seed 001 'Computational Graphs'",
        f"digraph {_quote(ug.spec_name)} {{",
        # A rank is a time step: dot's ranks are what it keeps in order, so time
        # runs left to right whatever the edges (clusters do not keep their order).
        f'  graph [rankdir=LR, newrank=true, labelloc=t, fontname="Helvetica", '
        f'label={_quote(f"{ug.spec_name} unfolded over T = {ug.steps}")}];',
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for t in order:
        step = "static" if t is None else str(t)
        out.append(f"  subgraph {_quote('step ' + step)} {{")
        out.append("    rank=same;")
        out.append(f"    {_quote(_column_id(t))} "
                   f"[label={_quote(step if t is None else f't = {t}')}, shape=plaintext];")
        for n in sorted(columns[t], key=lambda n: g.nodes[n]["layer"]):
            d = g.nodes[n]
            attrs = [f"label={_quote(label(n))}", _NODE_STYLE[d["role"]],
                     f"group={_quote(n[0])}"]
            if d["output"]:
                attrs.append("peripheries=2")
            tip = f"{n[0]}: {d['role']}, shape {d['shape']}, layer {d['layer']}"
            if d.get("init") is not None:
                tip += f", initial value {d['init']}"
            attrs.append(f"tooltip={_quote(tip)}")
            out.append(f"    {_quote(node_id(n))} [{', '.join(attrs)}];")
        out.append("  }")
    for a, b in zip(order, order[1:]):
        out.append(f"  {_quote(_column_id(a))} -> {_quote(_column_id(b))} [style=invis];")
    for u, v, d in g.edges(data=True):
        attrs = [_EDGE_STYLE[d["kind"]]] if _EDGE_STYLE[d["kind"]] else []
        if d["delay"]:
            attrs.append(f"label={_quote('t' + format(-d['delay'], '+d'))}")
        tail = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  {_quote(node_id(u))} -> {_quote(node_id(v))}{tail};")
    out.append("}")
    return "\n".join(out) + "\n"


def to_graphml(ug) -> str:
    """GraphML text of the unfolded graph (networkx.write_graphml).

    Arguments:
        ug: the unfolded graph.
    Returns:
        GraphML with node ids :func:`node_id` (``"h@3"``) and, per node, the
        attributes of :class:`UnfoldedGraph` plus ``variable`` (the name),
        ``label`` and ``t`` (int; absent for a node without a time axis, as
        GraphML has no null); per edge ``delay`` and ``kind``; graph attributes
        ``spec``, ``steps`` and ``params``.

    >>> # read it back with networkx: node ids are strings like "h@3"
    >>> import networkx as nx
    >>> from seqcheck import load_spec
    >>> from seqcheck.graph import unfold
    >>> h = nx.parse_graphml(to_graphml(unfold(load_spec("elman"), 2)))
    >>> h.nodes["h@0"]["role"], h.nodes["h@0"]["t"]
    ('initial', 0)
    """
    g = ug.graph
    h = nx.DiGraph(spec=ug.spec_name, steps=ug.steps, params=ug.params)
    for n, d in g.nodes(data=True):
        attrs = {"variable": n[0], "label": label(n)}
        if n[1] is not None:
            attrs["t"] = n[1]
        attrs.update((k, v) for k, v in d.items() if v is not None)
        h.add_node(node_id(n), **attrs)
    for u, v, d in g.edges(data=True):
        h.add_edge(node_id(u), node_id(v), **d)
    buffer = io.BytesIO()
    nx.write_graphml(h, buffer)
    return buffer.getvalue().decode("utf-8")


def write(ug, path: str | Path) -> Path:
    """Write the graph as DOT (``.dot``, ``.gv``) or GraphML (``.graphml``), by suffix.

    Arguments:
        ug: the unfolded graph.
        path: file to write; its suffix picks the format.
    Returns:
        The path written.
    Raises:
        GraphError: an unknown suffix, or the file cannot be written.

    >>> # write the seed 001 Elman network over 3 steps for Graphviz
    >>> import tempfile, pathlib
    >>> from seqcheck import load_spec, unfold
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "elman.dot"
    >>> write(unfold(load_spec("elman"), 3), out).read_text().startswith("//")
    True
    """
    path = Path(path)
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        hint = (f"; to get a picture, write {path.with_suffix('.dot').name} and run "
                f"dot -T{path.suffix[1:]} {path.with_suffix('.dot').name} -o {path.name}"
                if path.suffix.lower() in (".png", ".svg", ".pdf") else "")
        raise GraphError(
            f"cannot write the graph to '{path}': unknown suffix '{path.suffix}'\n"
            f"  hint: use .dot or .gv (Graphviz DOT) or .graphml (GraphML){hint}")
    text = to_dot(ug) if fmt == "dot" else to_graphml(ug)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise GraphError(f"cannot write the graph to '{path}': {e.strerror or e}") from None
    return path


def summary(ug) -> dict:
    """Counts, layers and depth of the unfolded graph, JSON-serialisable (for ``--json``).

    Arguments:
        ug: the unfolded graph.
    Returns:
        ``{"spec", "steps", "params", "nodes", "edges", "roles": {role: count},
        "step_edges", "time_delay_edges", "backward_edges", "static_edges",
        "param_edges", "boundary_nodes": [ids], "layers": number of layers,
        "layer_of": {input or variable: layer}, "sweeps": [{"direction", "variables"}],
        "longest_path": edges on the longest path, "longest_path_ends": [first, last]}``.
        The longest path (parameter nodes left out) is the depth a gradient crosses
        in BPTT (seed 001).

    >>> # the Elman network over 3 steps: one time-delay edge per step
    >>> from seqcheck import load_spec
    >>> from seqcheck.graph import unfold
    >>> summary(unfold(load_spec("elman"), 3))["time_delay_edges"]
    3
    """
    g = ug.graph
    kinds = Counter(d["kind"] for _, _, d in g.edges(data=True))
    roles = Counter(d["role"] for _, d in g.nodes(data=True))
    layer_of: dict[str, int] = {}
    for n, d in g.nodes(data=True):
        if d["role"] not in ("initial", "param"):
            layer_of.setdefault(n[0], d["layer"])
    # Without parameter nodes, so that params=True does not change the depth.
    path = nx.dag_longest_path(
        nx.subgraph_view(g, filter_node=lambda n: g.nodes[n]["role"] != "param"))
    return {
        "spec": ug.spec_name,
        "steps": ug.steps,
        "params": ug.params,
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "roles": dict(sorted(roles.items())),
        "step_edges": kinds["step"],
        "time_delay_edges": kinds["time-delay"],
        "backward_edges": kinds["backward-time"],
        "static_edges": kinds["static"],
        "param_edges": kinds["param"],
        "boundary_nodes": [node_id(n) for n, d in g.nodes(data=True) if d["role"] == "initial"],
        "layers": 1 + max(layer_of.values(), default=0),
        "layer_of": layer_of,
        "sweeps": [{"direction": d, "variables": list(vs)} for d, vs in g.graph["sweeps"]],
        "longest_path": max(len(path) - 1, 0),
        "longest_path_ends": [node_id(path[0]), node_id(path[-1])] if path else [],
    }
