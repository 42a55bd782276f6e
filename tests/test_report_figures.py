"""The report's figures: the drawn graph is the unfolded graph; bytes are reproducible.

The independent structure is :func:`seqcheck.graph.unfold`; the figure is read back
through the gids it puts on its artists (``node:h@2``, ``edge:h@1->h@2``).
"""

import functools
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.path import Path as MplPath

from seqcheck import load_spec
from seqcheck.catalogue import spec_names
from seqcheck.dynamics.measure import sweep
from seqcheck.errors import SeqcheckError
from seqcheck.graph import node_id, unfold
from seqcheck.report.figures import dynamics_figure, graph_figure, graph_layout, render

STEPS = 3


@functools.cache
def _figure(name):
    """One graph figure per spec for the whole file (drawing every spec twice is slow)."""
    return graph_figure(name, STEPS)


def _drawn(fig):
    """``({node id: (x, y) centre}, {(u id, v id): arrow})`` of a graph figure."""
    nodes, edges = {}, {}
    for p in fig.axes[0].patches:
        gid = p.get_gid() or ""
        if gid.startswith("node:"):
            nodes[gid[5:]] = (p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2)
        elif gid.startswith("edge:"):
            u, v = gid[5:].split("->")
            edges[u, v] = p
    return nodes, edges


@pytest.mark.parametrize("name", spec_names())
def test_graph_figure_draws_every_node_and_edge_of_the_unfolded_graph(name):
    g = unfold(load_spec(name), STEPS).graph
    fig = _figure(name)
    nodes, edges = _drawn(fig)
    assert sorted(nodes) == sorted(node_id(n) for n in g)
    assert sorted(edges) == sorted((node_id(u), node_id(v)) for u, v in g.edges)
    assert len(nodes) + len(edges) == len(fig.axes[0].patches)  # nothing else is a patch
    assert render(fig, "svg").startswith(b"<?xml")


@pytest.mark.parametrize("name", spec_names())
def test_columns_are_steps_and_recurrent_edges_cross_one_column_per_delay(name):
    g = unfold(load_spec(name), STEPS).graph
    nodes, edges = _drawn(_figure(name))
    name1 = next(n[0] for n in g if n[1] == 1)
    pitch = nodes[node_id((name1, 2))][0] - nodes[node_id((name1, 1))][0]
    assert pitch > 0
    for n in g:  # x is an affine function of the step: one column per step
        if n[1] is None:  # a timeless node (a static input) stands left of step 1
            assert nodes[node_id(n)][0] < pitch
            continue
        assert nodes[node_id(n)][0] == pytest.approx(n[1] * pitch)
    recurrent = [(u, v, d["delay"]) for u, v, d in g.edges(data=True) if d["delay"]]
    assert recurrent
    for u, v, delay in recurrent:
        dx = nodes[node_id(v)][0] - nodes[node_id(u)][0]
        # t-1 -> t moves one column right; a backward chain (t+1 -> t) one column left
        assert dx == pytest.approx(delay * pitch)
        # the arrow runs between its nodes' columns and reaches both
        path = edges[node_id(u), node_id(v)].get_path()
        xs = path.vertices[path.codes != MplPath.CLOSEPOLY, 0]  # the last is a dummy
        xu, xv = nodes[node_id(u)][0], nodes[node_id(v)][0]
        assert min(xu, xv) - pitch / 2 < xs.min() and xs.max() < max(xu, xv) + pitch / 2
        assert np.abs(xs - xu).min() < pitch / 2 and np.abs(xs - xv).min() < pitch / 2
    for u, v, d in g.edges(data=True):
        if d["delay"] == 0 and u[1] is not None:
            # a same-step edge stays in its column and never points down (a static
            # input, in the shared column, feeds every step)
            assert nodes[node_id(u)][0] == nodes[node_id(v)][0]
            assert nodes[node_id(u)][1] < nodes[node_id(v)][1]


def test_birnn_backward_chain_runs_right_to_left_and_states_are_horizontal_chains():
    g = unfold(load_spec("birnn"), STEPS).graph
    nodes, _ = _drawn(_figure("birnn"))
    kinds = {d["kind"] for *_, d in g.edges(data=True)}
    assert {"time-delay", "backward-time"} <= kinds
    for u, v, d in g.edges(data=True):
        if d["kind"] == "backward-time":
            assert nodes[node_id(u)][0] > nodes[node_id(v)][0]
        if d["kind"] != "step" and u[0] == v[0]:  # a state's own chain is one row
            assert nodes[node_id(u)][1] == nodes[node_id(v)][1]
    assert ("h_bwd", STEPS + 1) in g and ("h_fwd", 0) in g


def test_rows_put_inputs_at_the_bottom_and_follow_the_layers():
    ug = unfold(load_spec("deep_rnn"), STEPS)
    layout = graph_layout(ug)
    layer = {n[0]: d["layer"] for n, d in ug.graph.nodes(data=True)}
    assert layout.rows[0] in load_spec("deep_rnn").inputs
    assert [layer[r] for r in layout.rows] == sorted(layer[r] for r in layout.rows)


def test_params_add_a_shared_column_with_an_arrow_to_every_use():
    g = unfold(load_spec("elman"), 2, params=True).graph
    nodes, edges = _drawn(graph_figure("elman", 2, params=True))
    shared = [n for n in g if n[1] is None]
    assert shared and len(nodes) == g.number_of_nodes() and len(edges) == g.number_of_edges()
    first = min(x for x, _ in (nodes[node_id(n)] for n in g if n[1] is not None))
    assert all(nodes[node_id(n)][0] < first for n in shared)


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
def test_render_is_byte_identical(fmt):
    fig = graph_figure("birnn", 2)
    a = render(fig, fmt)
    assert a == render(fig, fmt) == render(graph_figure("birnn", 2), fmt)
    magic = {"svg": b"<?xml", "pdf": b"%PDF", "png": b"\x89PNG"}[fmt]
    assert a.startswith(magic)
    assert b"CreationDate" not in a and b"<dc:date>" not in a and b"Matplotlib v" not in a


def test_render_names_the_formats_for_an_unknown_one():
    with pytest.raises(SeqcheckError) as e:
        render(graph_figure("elman", 1), "jpg")
    assert str(e.value) == "cannot render a figure as 'jpg': the format is one of svg, pdf, png"


@pytest.mark.parametrize("name, sizes", [
    ("elman", {"D": 2, "H": 3, "C": 2}),   # the bound applies
    ("gru", {"D": 2, "H": 3}),             # no bound: the update gate multiplies h
])
def test_dynamics_figure_draws_each_sweep_series(name, sizes):
    radii, steps = (0.5, 1.0, 1.5), 12
    s = sweep(name, radii, steps, 0, sizes)
    lines = {line.get_gid(): line for line in
             dynamics_figure(name, radii, steps, 0, sizes).axes[0].lines if line.get_gid()}
    bounded = [i for i, d in enumerate(s.results) if d.bound is not None]
    assert sorted(lines) == sorted([f"norms:{i}" for i in range(len(radii))]
                                   + [f"bound:{i}" for i in bounded])
    assert bool(bounded) == (name == "elman")
    for i, d in enumerate(s.results):
        np.testing.assert_array_equal(lines[f"norms:{i}"].get_xdata(), d.lags)
        np.testing.assert_allclose(lines[f"norms:{i}"].get_ydata(), d.norms, rtol=1e-12)
        if d.bound is not None:
            np.testing.assert_allclose(lines[f"bound:{i}"].get_ydata(), d.bound, rtol=1e-12)


def _matplotlib_loaded(code: str) -> list[str]:
    probe = code + "\nimport sys\nprint('matplotlib' in sys.modules)"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.split()


def test_importing_figures_does_not_load_matplotlib_until_a_figure_is_made():
    assert _matplotlib_loaded("import seqcheck, seqcheck.report.figures") == ["False"]
    # the probe can fail: making a figure loads it
    assert _matplotlib_loaded("import seqcheck.report.figures as f\n"
                              "f.graph_figure('elman', 1)") == ["True"]
