"""Stage: spec -> matplotlib figures for the report, and figure -> deterministic bytes.

Two pictures: :func:`graph_figure`, the unfolded computation graph in the lectures'
layout (seed 000 Figure "time-unfolded computational graph"; seed 001 "Computational
Graphs II": time along x, one column per step, the state chains horizontal), and
:func:`dynamics_figure`, the gradient norm against the lag (:mod:`seqcheck.dynamics.plot`
draws it). :func:`render` turns either into SVG, PDF or PNG bytes that are the same on
every run: no dates or software versions in the metadata, a fixed SVG hash salt.

matplotlib is an optional extra (``pip install 'seqcheck[plot]'``) and is imported only
when a figure is made. Figures use the Agg canvas and never pyplot, so the caller's
backend and pyplot's list of open figures are left alone.

Every drawn node and edge carries a gid (``"node:h@3"``, ``"edge:h@2->h@3"``, ids from
:func:`seqcheck.graph.node_id`), which SVG output keeps as the element's ``id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..dynamics.plot import load_matplotlib
from ..errors import SeqcheckError
from ..graph import Node, node_id, unfold

__all__ = ["FORMATS", "GraphLayout", "graph_layout", "graph_figure", "dynamics_figure",
           "math_label", "render"]

FORMATS = {
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
    "png": {"Software": None},
}
"""The formats :func:`render` writes, with the metadata that keeps the bytes reproducible."""

_RC = {"svg.hashsalt": "seqcheck", "svg.fonttype": "path"}
_DPI = 100

# Layout in data units; one data unit is _INCH inches on the page.
_DX, _DY, _INCH = 2.3, 1.0, 0.75   # column pitch, row pitch
_BOX_W, _BOX_H = 0.95, 0.5
_SHARED_GAP = 1.5                 # extra space between the shared column and t = min

_NODE_STYLE = {   # role -> (facecolor, edgecolor, linewidth, linestyle, boxstyle)
    "input": ("#dbe9f6", "#3b6e9e", 1.0, "-", "round,pad=0,rounding_size=0.25"),
    "initial": ("#ffffff", "#555555", 1.0, "--", "round,pad=0,rounding_size=0.08"),
    "state": ("#fff3d6", "#000000", 2.0, "-", "round,pad=0,rounding_size=0.08"),
    "variable": ("#ffffff", "#000000", 1.0, "-", "round,pad=0,rounding_size=0.08"),
    "output": ("#e3f1df", "#2e6b2e", 1.6, "-", "round,pad=0,rounding_size=0.08"),
    "param": ("#eeeeee", "#7f7f7f", 1.0, "-", "square,pad=0"),
}
_ROLE_LEGEND = {"input": "input", "initial": "initial value", "state": "state",
                "variable": "intermediate", "output": "output", "param": "parameter"}
_EDGE_STYLE = {   # kind -> (colour, linestyle, linewidth, legend)
    "step": ("#333333", "-", 1.0, "within a step"),
    "time-delay": ("#1f77b4", "--", 1.6, r"time delay $t-1 \rightarrow t$"),
    "backward-time": ("#d62728", "--", 1.6, r"backward $t+1 \rightarrow t$"),
    "static": ("#9a9a9a", ":", 0.8, "static input"),
    "param": ("#9a9a9a", ":", 0.8, "parameter (shared)"),
}
_ACCENTS = {"tilde": r"\tilde", "hat": r"\hat", "bar": r"\bar", "dot": r"\dot"}


def math_label(name: str, t: int | None = None) -> str:
    """A node's label in the lectures' notation, as matplotlib mathtext.

    Arguments:
        name: a spec identifier: ``h``, ``c_tilde``, ``y_hat``, ``h1``, ``h_fwd``, ``W_hh``.
        t: the step, written as the subscript; ``None`` for a name without a time axis.
    Returns:
        ``$...$``: ``_tilde``/``_hat``/``_bar``/``_dot`` become accents, trailing
        digits a layer superscript ``(1)``, other ``_parts`` a superscript (a subscript
        when there is no step); multi-letter parts are upright.

    >>> # the LSTM's candidate memory at step 2, the second layer's state, a weight
    >>> math_label("c_tilde", 2), math_label("h2", 0), math_label("W_hh")
    ('$\\\\tilde{c}_{2}$', '$h^{(2)}_{0}$', '$W_{hh}$')
    """
    parts = name.split("_")
    base, rest = parts[0], [p for p in parts[1:] if p]
    if not base or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", base):
        body = r"\mathrm{" + name.replace("_", r"\_") + "}"
        return f"${body}$" if t is None else f"${body}_{{{t}}}$"
    match = re.fullmatch(r"([A-Za-z]+?)(\d*)", base)
    letters, layer = match.group(1), match.group(2)
    body = letters if len(letters) == 1 else r"\mathrm{" + letters + "}"
    marks = []
    for p in rest:
        if p in _ACCENTS:
            body = f"{_ACCENTS[p]}{{{body}}}"
        else:
            marks.append(p if len(p) == 1 or t is None else r"\mathrm{" + p + "}")
    sup = ",".join(([f"({layer})"] if layer else []) + (marks if t is not None else []))
    sub = str(t) if t is not None else ",".join(marks)
    return "$" + body + (f"^{{{sup}}}" if sup else "") + (f"_{{{sub}}}" if sub else "") + "$"


@dataclass(frozen=True)
class GraphLayout:
    """Where :func:`graph_figure` puts each node, in data units.

    Arguments:
        rows: the variables bottom to top (inputs first, then by layer, outputs last).
        columns: the steps left to right: initial values at t <= 0, 1..T, and T+1 for
            a backward chain; ``None`` first when there are timeless nodes.
        position: ``{node: (x, y)}`` for every node of the graph; a timed node sits at
            ``x = t * pitch``, ``y = row index * row pitch``; timeless nodes (static
            inputs, parameters) stack in a ``shared`` column left of the first step.
        pitch: the distance between adjacent steps' columns.
    """

    rows: tuple[str, ...]
    columns: tuple[int | None, ...]
    position: Mapping[Node, tuple[float, float]]
    pitch: float


def _spec_of(spec):
    """A Spec from a Spec or a name (dynamics is imported when a figure needs it)."""
    from ..dynamics.sampling import as_spec

    return as_spec(spec)


def graph_layout(ug) -> GraphLayout:
    """A fixed grid layout of an unfolded graph: a column per step, a row per variable.

    Arguments:
        ug: an :class:`~seqcheck.graph.UnfoldedGraph`.
    Returns:
        :class:`GraphLayout`. Rows are ordered by the graph's ``layer`` (the depth
        within a step), then outputs after non-outputs, then first appearance; so a
        same-step edge never points down.

    >>> # the seed 001 Elman network: x below a below h below o below y_hat
    >>> from seqcheck import load_spec
    >>> from seqcheck.graph import unfold
    >>> graph_layout(unfold(load_spec("elman"), 2)).rows
    ('x', 'a', 'h', 'o', 'y_hat')
    """
    g = ug.graph
    first: dict[str, tuple] = {}
    for i, (n, d) in enumerate(g.nodes(data=True)):
        if n[1] is not None and d["role"] != "initial":
            first.setdefault(n[0], (d["layer"], d["role"] == "output", i))
    rows = tuple(sorted(first, key=first.__getitem__))
    row = {name: k for k, name in enumerate(rows)}
    steps = sorted({n[1] for n in g if n[1] is not None})
    position = {n: (n[1] * _DX, row[n[0]] * _DY) for n in g if n[1] is not None}
    # Timeless nodes in the order of the mean row they feed, so their edges run flat.
    shared = sorted((n for n in g if n[1] is None),
                    key=lambda n: sum(position[v][1] for v in g.successors(n))
                    / max(1, g.out_degree(n)))
    if shared:
        x = (steps[0] * _DX) - _DX - _SHARED_GAP * 0.5
        top = max(len(rows), len(shared)) - 1
        for k, n in enumerate(shared):
            position[n] = (x, top * _DY * (k / (len(shared) - 1) if len(shared) > 1 else 0.5))
    columns = ((None,) if shared else ()) + tuple(steps)
    return GraphLayout(rows, columns, position, _DX)


def _edge_route(layout: GraphLayout, u: Node, v: Node, kind: str) -> str:
    """The connection style of one edge: straight unless it would cross a node's box."""
    (xu, yu), (xv, yv) = layout.position[u], layout.position[v]
    if kind in ("static", "param"):
        return "arc3,rad=0"
    span = round(abs(yv - yu) / _DY)
    if xu == xv and span > 1:
        # A same-step edge over other rows bows out of the column to the right (the
        # recurrent edges arrive from the left), clear of the boxes, further for a
        # longer span so that nested arcs do not overlap; capped below half the pitch.
        bow = min(_BOX_W / 2 + 0.15 + 0.13 * (span - 2), 0.42 * _DX)
        return f"arc3,rad={2 * bow / (span * _DY):.4f}"
    if yu == yv and round(abs(xv - xu) / _DX) > 1:
        return "arc3,rad=-0.25"  # a [t-k] chain, k > 1, over the boxes of the steps between
    return "arc3,rad=0"


def graph_figure(spec, steps: int = 3, *, params: bool = False):
    """The unfolded computation graph, time along x (seed 000 eq. 1-3; seed 001).

    One column per step t = 1..T, plus a column for initial values (t = 0, and t = T+1
    for a backward chain such as the BiRNN's, seed 000 eq. 24); one row per variable,
    inputs at the bottom and outputs at the top (:func:`graph_layout`). Nodes are boxes
    labelled in mathtext (``h_2``, ``c~_1`` as an accent): inputs blue pills, states
    bold, outputs green, initial values dashed. Same-step edges are dark and stay in
    the column (bowing sideways round the boxes they would cross); time-delay edges
    (t-1 -> t) are dashed blue and backward-time edges (t+1 -> t) dashed red, so each
    state's chain reads as a horizontal line. With ``params=True`` the parameters (and
    any static inputs) stand in a ``shared`` column on the left, with dotted grey
    edges to every use (weight sharing).

    Arguments:
        spec: a :class:`~seqcheck.spec.model.Spec` or a bundled spec's name.
        steps: T, the steps unfolded (the figure grows with T; 2-5 reads well).
        params: also draw the parameter nodes.
    Returns:
        A ``matplotlib.figure.Figure`` (Agg canvas, not registered with pyplot),
        about (1.7 x #columns + 0.2) by (0.75 x #rows + 1.8) inches, with one
        axes holding one patch per node (gid ``"node:h@2"``) and one
        ``FancyArrowPatch`` per edge (gid ``"edge:h@1->h@2"``), a legend of the
        node roles and edge kinds drawn, and a title.
    Raises:
        SeqcheckError: matplotlib not installed; GraphError: a bad ``steps``.

    >>> # the seed 004 LSTM over 3 steps: a patch per node, an arrow per edge
    >>> from seqcheck import load_spec
    >>> from seqcheck.graph import unfold
    >>> g = unfold(load_spec("lstm"), 3).graph
    >>> patches = graph_figure("lstm", 3).axes[0].patches
    >>> [sum(p.get_gid().startswith(k) for p in patches) for k in ("node:", "edge:")]
    [26, 45]
    >>> g.number_of_nodes(), g.number_of_edges()
    (26, 45)
    """
    Figure, FigureCanvasAgg, rc_context = load_matplotlib()
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

    spec = _spec_of(spec)
    ug = unfold(spec, steps, params=params)
    g = ug.graph
    layout = graph_layout(ug)
    xs = [x for x, _ in layout.position.values()]
    ys = [y for _, y in layout.position.values()]
    x0, x1 = min(xs) - _DX * 0.55, max(xs) + _DX * 0.55
    y0, y1 = min(ys) - _DY * 0.6, max(ys) + _DY * 0.9   # room above for the column heads
    roles = [r for r in _NODE_STYLE if any(d["role"] == r for _, d in g.nodes(data=True))]
    kinds = [k for k in _EDGE_STYLE if any(d["kind"] == k for *_, d in g.edges(data=True))]
    width, height = (x1 - x0) * _INCH, (y1 - y0) * _INCH
    ncol = max(1, min(len(roles) + len(kinds), int(width // 1.9)))
    top_in, bottom_in = 0.45, 0.15 + 0.22 * -(-(len(roles) + len(kinds)) // ncol)
    with rc_context(_RC):
        fig = Figure(figsize=(width, height + top_in + bottom_in), dpi=_DPI)
        FigureCanvasAgg(fig)
        total = height + top_in + bottom_in
        ax = fig.add_axes((0, bottom_in / total, 1, height / total))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_axis_off()

        heads = {None: "shared"}
        for t in layout.columns:
            label = heads.get(t, f"$t = {t}$")
            x = (min(x for n, (x, _) in layout.position.items() if n[1] is None)
                 if t is None else t * _DX)
            ax.text(x, max(ys) + _DY * 0.6, label, ha="center", va="center", fontsize=11,
                    color="#444444")
            if t is not None:
                ax.axvline(x, color="#eeeeee", linewidth=0.8, zorder=0)

        boxes = {}
        for n, d in g.nodes(data=True):
            face, edge, lw, ls, style = _NODE_STYLE[d["role"]]
            x, y = layout.position[n]
            box = FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
                                 boxstyle=style, facecolor=face, edgecolor=edge,
                                 linewidth=lw, linestyle=ls, zorder=3,
                                 gid=f"node:{node_id(n)}")
            ax.add_artist(box)  # add_artist: no autoscaling, the limits are fixed
            boxes[n] = box
            ax.text(x, y, math_label(*n), ha="center", va="center", fontsize=11, zorder=4)

        for u, v, d in g.edges(data=True):
            color, ls, lw, _ = _EDGE_STYLE[d["kind"]]
            arrow = FancyArrowPatch(
                layout.position[u], layout.position[v], patchA=boxes[u], patchB=boxes[v],
                connectionstyle=_edge_route(layout, u, v, d["kind"]), arrowstyle="-|>",
                mutation_scale=11, shrinkA=1, shrinkB=1.5, color=color, linewidth=lw,
                linestyle=ls, zorder=2 if d["kind"] not in ("static", "param") else 1,
                gid=f"edge:{node_id(u)}->{node_id(v)}")
            ax.add_artist(arrow)

        handles = [Patch(facecolor=_NODE_STYLE[r][0], edgecolor=_NODE_STYLE[r][1],
                         linewidth=_NODE_STYLE[r][2], linestyle=_NODE_STYLE[r][3],
                         label=_ROLE_LEGEND[r]) for r in roles]
        handles += [Line2D([], [], color=_EDGE_STYLE[k][0], linestyle=_EDGE_STYLE[k][1],
                           linewidth=_EDGE_STYLE[k][2], label=_EDGE_STYLE[k][3])
                    for k in kinds]
        fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=9,
                   frameon=False, bbox_to_anchor=(0.5, 0.05 / total))
        fig.suptitle(f"{spec.name} unfolded over T = {ug.steps}", fontsize=12,
                     y=1 - 0.12 / total, va="top")
    return fig


def dynamics_figure(spec, radii: Sequence[float] = (0.5, 1.0, 1.5), steps: int = 60,
                    seed: int = 0, sizes: Mapping[str, int] | None = None):
    """‖∂s_T/∂s_{T-k}‖₂ against the lag k at each spectral radius (seed 002; seed 000 eq. 26).

    Measures with :func:`seqcheck.dynamics.measure.sweep` and draws with
    :func:`seqcheck.dynamics.plot.sweep_figure`.

    Arguments:
        spec: a spec or bundled name with forward ``[t-1]`` recurrences.
        radii: spectral radii of the recurrent weights, one line each.
        steps: T >= 3; each line has T points, lags 0..T-1.
        seed: of the weights and inputs.
        sizes: ``{dim: size}``; missing dims get :data:`~seqcheck.dynamics.measure.DEFAULT_SIZE`.
    Returns:
        A ``matplotlib.figure.Figure``: per radius a solid line (gid ``"norms:<i>"``)
        and, where the bound applies, a dashed bound (gid ``"bound:<i>"``).
    Raises:
        SeqcheckError: a spec that cannot be measured, or matplotlib not installed.

    >>> # seed 003's echo state network: one measured line and one bound per radius
    >>> fig = dynamics_figure("esn", (0.5, 1.5), steps=10, sizes={"N_u": 2, "N_x": 4, "N_y": 2})
    >>> sorted(line.get_gid() for line in fig.axes[0].lines if line.get_gid())
    ['bound:0', 'bound:1', 'norms:0', 'norms:1']
    """
    from ..dynamics.measure import sweep
    from ..dynamics.plot import sweep_figure

    load_matplotlib()  # fail before measuring
    return sweep_figure(sweep(spec, radii, steps, seed, sizes))


def render(fig, fmt: str) -> bytes:
    """A figure as SVG, PDF or PNG bytes, identical on every call for the same figure.

    Arguments:
        fig: a ``matplotlib.figure.Figure`` (from :func:`graph_figure`,
            :func:`dynamics_figure`, or any Agg-backed figure).
        fmt: ``"svg"``, ``"pdf"`` or ``"png"``.
    Returns:
        The file's bytes: no date or software version in the metadata, SVG ids salted
        with a fixed string, text as paths (it looks the same without the fonts).
        The figure is not changed and was never registered with pyplot, so there is
        nothing to close; it is freed when the caller drops it.
    Raises:
        SeqcheckError: an unknown format.

    >>> # the Elman network's graph, twice: the same bytes
    >>> fig = graph_figure("elman", 2)
    >>> svg = render(fig, "svg")
    >>> svg.startswith(b"<?xml"), svg == render(fig, "svg"), b"<dc:date>" in svg
    (True, True, False)
    """
    if fmt not in FORMATS:
        raise SeqcheckError(f"cannot render a figure as {fmt!r}: the format is one of "
                            f"{', '.join(FORMATS)}")
    _, _, rc_context = load_matplotlib()
    import io

    buffer = io.BytesIO()
    with rc_context(_RC):
        fig.savefig(buffer, format=fmt, dpi=_DPI, metadata=FORMATS[fmt])
    return buffer.getvalue()
