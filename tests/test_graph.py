"""Stage 2, the unfolded computational graph (seed 000 eq. 1-3; seed 001 "Computational Graphs").

Exact node and edge sets for small T, worked out by hand from the equations; a
Hypothesis property for causality; DOT and GraphML read back structurally.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcheck import SeqcheckError, load_spec, loads_spec
from seqcheck.catalogue import spec_names
from seqcheck.graph import MAX_STEPS, GraphError, UnfoldedGraph, label, node_id, unfold

LSTM = load_spec("lstm")
LSTM_VARIABLES = ("i", "f", "o", "c_tilde", "c", "h", "y")

# Seed 003 / seed 000 eq. 23-24, written here so the test does not depend on the catalogue.
BIRNN = loads_spec("""
name = "birnn_test"
outputs = ["y"]
[dims]
D = "input size"
H = "hidden size"
C = "output size"
[inputs]
x = { shape = ["D"] }
[states]
h_fwd = { shape = ["H"], init = "0" }
h_bwd = { shape = ["H"], init = "0" }
[params]
W_f = { shape = ["H", "D"] }
V_f = { shape = ["H", "H"] }
W_b = { shape = ["H", "D"] }
V_b = { shape = ["H", "H"] }
U = { shape = ["C", "2 * H"] }
[equations]
h_fwd = "tanh(W_f @ x + V_f @ h_fwd[t-1])"
h_bwd = "tanh(W_b @ x + V_b @ h_bwd[t+1])"
y = "softmax(U @ concat(h_fwd, h_bwd))"
""")

# Seed 000 eq. 20-21 with two layers.
DEEP = loads_spec("""
name = "deep_test"
outputs = ["o"]
[dims]
D = "input size"
H = "hidden size"
[inputs]
x = { shape = ["D"] }
[states]
h1 = { shape = ["H"], init = "0" }
h2 = { shape = ["H"], init = "0" }
[params]
W1 = { shape = ["H", "D"] }
V1 = { shape = ["H", "H"] }
W2 = { shape = ["H", "H"] }
V2 = { shape = ["H", "H"] }
[equations]
h1 = "tanh(W1 @ x + V1 @ h1[t-1])"
h2 = "tanh(W2 @ h1 + V2 @ h2[t-1])"
o = "h2 + h1"
""")

# A two-step delay and a static input (a bias fed as data).
DELAY2 = loads_spec("""
name = "delay2_test"
outputs = ["h"]
[dims]
H = "hidden size"
D = "input size"
[inputs]
x = { shape = ["D"] }
u = { shape = ["H"], static = true }
[states]
h = { shape = ["H"], init = "0" }
[params]
W = { shape = ["H", "H"] }
U = { shape = ["H", "D"] }
[equations]
h = "tanh(W @ h[t-2] + U @ x + u)"
""")


def _steps(n):
    return range(1, n + 1)


def _boundary(ug: UnfoldedGraph) -> set:
    return {n for n, d in ug.graph.nodes(data=True) if d["role"] == "initial"}


# -- the LSTM, by hand ------------------------------------------------------------
def test_lstm_node_set_is_exactly_every_variable_at_every_step_plus_initial_values():
    g = unfold(LSTM, 3).graph
    expected = {(v, t) for v in ("x",) + LSTM_VARIABLES for t in _steps(3)}
    expected |= {("h", 0), ("c", 0)}
    assert set(g.nodes) == expected


@pytest.mark.parametrize("steps", [1, 2, 5])
@pytest.mark.parametrize("name", ["lstm", "elman"])
def test_node_count_is_inputs_plus_targets_times_steps_plus_boundary(name, steps):
    spec = load_spec(name)
    ug = unfold(spec, steps)
    # A state read as s[t-1] has exactly one boundary node, s_0.
    boundary = {(s, 0) for s, offsets in spec.delayed_refs().items() if offsets == {-1}}
    assert _boundary(ug) == boundary
    assert ug.graph.number_of_nodes() == (
        (len(spec.inputs) + len(spec.equations)) * steps + len(boundary))


def test_lstm_edges_follow_the_equations():
    g = unfold(LSTM, 3).graph
    assert g.edges[("c", 1), ("c", 2)] == {"delay": 1, "kind": "time-delay"}
    assert g.edges[("h", 0), ("i", 1)] == {"delay": 1, "kind": "time-delay"}
    assert g.edges[("x", 2), ("f", 2)] == {"delay": 0, "kind": "step"}
    # h = o * tanh(c); c = f * c[t-1] + i * c_tilde; i = sigmoid(W x + W h[t-1] + b)
    assert set(g.predecessors(("h", 2))) == {("o", 2), ("c", 2)}
    assert set(g.predecessors(("c", 2))) == {("f", 2), ("c", 1), ("i", 2), ("c_tilde", 2)}
    assert set(g.predecessors(("i", 1))) == {("x", 1), ("h", 0)}
    assert set(g.successors(("h", 1))) == {("i", 2), ("f", 2), ("o", 2), ("c_tilde", 2),
                                            ("y", 1)}
    assert set(g.successors(("h", 3))) == {("y", 3)}  # nothing reads past T
    assert g.number_of_edges() == 15 * 3  # 4 gates x 2 + c 4 + h 2 + y 1 per step


def test_lstm_node_attributes():
    g = unfold(LSTM, 3).graph
    assert g.nodes[("h", 2)] == {"role": "state", "shape": "(H,)", "layer": 3, "direction": 1,
                                 "output": True}
    assert g.nodes[("c_tilde", 2)]["role"] == "variable"
    assert g.nodes[("y", 1)]["role"] == "output"
    assert g.nodes[("x", 1)] == {"role": "input", "shape": "(D,)", "layer": 0, "direction": 0,
                                 "output": False}
    assert g.nodes[("c", 0)] == {"role": "initial", "shape": "(H,)", "layer": 2,
                                 "direction": 1, "output": False, "init": "0"}
    layers = {v: g.nodes[(v, 1)]["layer"] for v in ("x",) + LSTM_VARIABLES}
    assert layers == {"x": 0, "i": 1, "f": 1, "o": 1, "c_tilde": 1, "c": 2, "h": 3, "y": 4}


def test_lstm_is_acyclic_and_its_longest_path_crosses_every_step():
    ug = unfold(LSTM, 5)
    assert nx.is_directed_acyclic_graph(ug.graph)
    # x_1 -> i_1 -> c_1 -> h_1 -> i_2 -> ... -> h_5 -> y_5: three edges a step, one out.
    s = ug.summary()
    assert s["longest_path"] == 3 * 5 + 1
    assert s["longest_path_ends"][1] == "y@5"


# -- backward chains, stacked layers, weight sharing ------------------------------
@pytest.mark.parametrize("steps", [1, 4])
def test_birnn_backward_edges_run_from_t_plus_1_to_t(steps):
    ug = unfold(BIRNN, steps)
    g = ug.graph
    backward = [(u, v, d) for u, v, d in g.edges(data=True) if d["kind"] == "backward-time"]
    assert {(u, v) for u, v, _ in backward} == {
        (("h_bwd", t + 1), ("h_bwd", t)) for t in _steps(steps)}
    assert all(d["delay"] == -1 for _, _, d in backward)
    assert _boundary(ug) == {("h_fwd", 0), ("h_bwd", steps + 1)}
    assert g.nodes[("h_bwd", steps + 1)]["direction"] == -1
    assert g.nodes[("h_fwd", 0)]["direction"] == 1
    assert g.nodes[("h_bwd", 1)]["direction"] == -1
    assert set(g.predecessors(("y", 1))) == {("h_fwd", 1), ("h_bwd", 1)}
    assert nx.is_directed_acyclic_graph(g)
    assert ug.summary()["backward_edges"] == steps


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_birnn_backward_chain_depends_only_on_the_future(steps):
    g = unfold(BIRNN, steps).graph
    for t in _steps(steps):
        assert {s for _, s in nx.ancestors(g, ("h_bwd", t))} == set(range(t, steps + 2))
        assert {s for _, s in nx.ancestors(g, ("h_fwd", t))} == set(range(0, t + 1))


def test_deep_rnn_layers_increase_with_depth():
    ug = unfold(DEEP, 3)
    g = ug.graph
    assert [g.nodes[(v, 2)]["layer"] for v in ("x", "h1", "h2", "o")] == [0, 1, 2, 3]
    assert g.nodes[("h2", 0)]["layer"] == 2  # an initial value sits in its variable's layer
    assert set(g.predecessors(("h2", 2))) == {("h1", 2), ("h2", 1)}
    assert ug.summary()["layers"] == 4


def test_catalogue_deep_rnn_layers_increase_with_depth():
    g = unfold(load_spec("deep_rnn"), 2).graph
    assert g.nodes[("h1", 1)]["layer"] < g.nodes[("h2", 1)]["layer"] < g.nodes[("o", 1)]["layer"]


def test_params_add_one_shared_node_per_weight_with_an_edge_to_every_step():
    steps = 4
    ug = unfold(LSTM, steps, params=True)
    g = ug.graph
    assert g.nodes[("W_hf", None)] == {"role": "param", "shape": "(H, H)", "layer": 0,
                                       "direction": 0, "output": False}
    assert set(g.successors(("W_hf", None))) == {("f", t) for t in _steps(steps)}
    assert all(g.edges[("W_hf", None), ("f", t)] == {"delay": 0, "kind": "param"}
               for t in _steps(steps))
    assert {n for n in g if n[1] is None} == {(p, None) for p in LSTM.params}
    assert ug.summary()["param_edges"] == 16 * steps  # each LSTM parameter is used once
    # The parameters add nodes and edges, nothing else.
    plain = unfold(LSTM, steps).graph
    assert set(g.nodes) - set(plain.nodes) == {(p, None) for p in LSTM.params}
    assert g.number_of_edges() - plain.number_of_edges() == 16 * steps
    assert not any(n[1] is None for n in plain)


def test_longer_delays_and_static_inputs():
    ug = unfold(DELAY2, 3)
    g = ug.graph
    assert _boundary(ug) == {("h", 0), ("h", -1)}
    assert g.edges[("h", -1), ("h", 1)] == {"delay": 2, "kind": "time-delay"}
    assert g.edges[("h", 0), ("h", 2)] == {"delay": 2, "kind": "time-delay"}
    assert g.edges[("h", 1), ("h", 3)] == {"delay": 2, "kind": "time-delay"}
    assert g.nodes[("u", None)]["role"] == "input"
    assert set(g.successors(("u", None))) == {("h", t) for t in _steps(3)}
    assert g.edges[("u", None), ("h", 2)]["kind"] == "static"
    assert set(g.predecessors(("h", 3))) == {("h", 1), ("x", 3), ("u", None)}


@pytest.mark.parametrize("name", spec_names())
def test_every_bundled_spec_unfolds_to_a_dag(name):
    spec = load_spec(name)
    ug = unfold(spec, 3, params=True)
    assert nx.is_directed_acyclic_graph(ug.graph)
    timed = [n for n, d in ug.graph.nodes(data=True) if d["role"] not in ("initial", "param")
             and n[1] is not None]
    assert len(timed) == (len(spec.sequence_inputs) + len(spec.equations)) * 3
    json.dumps(ug.summary())


# -- the property -----------------------------------------------------------------
@given(steps=st.integers(1, 8))
def test_lstm_unfolding_is_causal(steps):
    ug = unfold(LSTM, steps)
    g = ug.graph
    assert nx.is_directed_acyclic_graph(g)
    for u, v, d in g.edges(data=True):
        # Every edge crosses exactly its delay; nothing reads a later step.
        assert v[1] - u[1] == d["delay"] >= 0
        assert (d["kind"] == "step") == (d["delay"] == 0)
    for t in _steps(steps):
        for e in LSTM.equations:
            delayed = {(r.name, t + r.offset) for r in e.refs if r.offset}
            assert delayed <= set(g.predecessors((e.target, t)))
            if t == 1:
                assert all(g.nodes[n]["role"] == "initial" for n in delayed)
    # Topological order respects time along the forward chains h and c.
    position = {n: k for k, n in enumerate(nx.topological_sort(g))}
    for s in ("h", "c"):
        assert [position[(s, t)] for t in range(steps + 1)] == sorted(
            position[(s, t)] for t in range(steps + 1))
    for t in _steps(steps):
        assert max(a[1] for a in nx.ancestors(g, ("h", t))) == t


# -- immutability and limits ------------------------------------------------------
def test_unfolded_graph_is_immutable():
    ug = unfold(LSTM, 2)
    assert nx.is_frozen(ug.graph)
    with pytest.raises(nx.NetworkXError):
        ug.graph.add_node(("z", 1))
    with pytest.raises(nx.NetworkXError):
        ug.graph.remove_edge(("c", 1), ("c", 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ug.steps = 3
    assert repr(ug) == "UnfoldedGraph('lstm', steps=2, nodes=18, edges=30)"


@pytest.mark.parametrize(
    "steps, message",
    [
        (0, "steps must be at least 1, got steps=0"),
        (-2, "steps must be at least 1, got steps=-2"),
        (2.5, "steps must be an integer, got steps=2.5 (type=float)"),
        ("3", "steps must be an integer, got steps='3' (type=str)"),
        (True, "steps must be an integer, got steps=True (type=bool)"),
    ],
    ids=["zero", "negative", "float", "string", "bool"],
)
def test_bad_steps_are_refused(steps, message):
    with pytest.raises(GraphError) as info:
        unfold(LSTM, steps)
    assert str(info.value) == message


def test_too_many_steps_are_refused_with_the_reason():
    with pytest.raises(SeqcheckError) as info:
        unfold(LSTM, MAX_STEPS + 1)
    assert str(info.value).splitlines() == [
        "steps=10001 is above the limit of 10000 for an unfolded graph",
        "  the networkx graph costs about 100 µs and 7 KiB per step (T = 100 000: 11 s, "
        "730 MiB); it is meant for structure, analysis and pictures",
        "  hint: unfold a few steps to see the structure, which repeats every step; the "
        "compiled spec (compile_numpy) runs any T without building this graph",
    ]


def test_numpy_integer_steps_are_accepted():
    assert unfold(LSTM, np.int64(2)).steps == 2


# -- export -----------------------------------------------------------------------
def test_node_ids_and_labels():
    assert node_id(("h", 3)) == "h@3"
    assert node_id(("h", -1)) == "h@-1"
    assert node_id(("W_hh", None)) == "W_hh"
    assert label(("c_tilde", 2)) == "c~_2"
    assert label(("y_hat", 1)) == "y^_1"
    assert label(("h", 0)) == "h_0"
    assert label(("W_hh", None)) == "W_hh"


_EDGE_LINE = re.compile(r'^  "([^"]+)" -> "([^"]+)"( \[.*\])?;$')


def _dot_edges(text: str):
    edges, hidden = [], []
    for line in text.splitlines():
        if "->" in line:
            m = _EDGE_LINE.match(line)
            assert m, line
            (hidden if "style=invis" in line else edges).append((m.group(1), m.group(2), line))
    return edges, hidden


@pytest.mark.parametrize("spec, params", [(LSTM, False), (BIRNN, True), (DELAY2, False)],
                         ids=["lstm", "birnn-params", "delay2-static"])
def test_dot_has_every_node_and_edge(spec, params):
    ug = unfold(spec, 3, params=params)
    g = ug.graph
    text = ug.to_dot()
    assert text.splitlines()[1] == f'digraph "{spec.name}" {{'
    edges, hidden = _dot_edges(text)
    assert text.count("->") == g.number_of_edges() + len(hidden)
    assert sorted((u, v) for u, v, _ in edges) == sorted(
        (node_id(u), node_id(v)) for u, v in g.edges)
    columns = {n[1] for n in g}
    assert text.count("rank=same;") == len(columns)
    assert len(hidden) == len(columns) - 1  # the time axis
    for n in g:
        assert f'"{node_id(n)}" [label="{label(n)}", ' in text


def test_dot_draws_delays_distinctly():
    text = unfold(LSTM, 2).to_dot()
    assert ('  "c@1" -> "c@2" [style=dashed, color="#1f77b4", fontcolor="#1f77b4", '
            'label="t-1"];') in text.splitlines()
    assert '  "x@1" -> "i@1";' in text.splitlines()
    assert '"c_tilde@2" [label="c~_2"' in text
    birnn = unfold(BIRNN, 2).to_dot()
    assert ('  "h_bwd@3" -> "h_bwd@2" [style=dashed, color="#d62728", fontcolor="#d62728", '
            'constraint=false, label="t+1"];') in birnn.splitlines()
    assert '"h_bwd@3" [label="h_bwd_3", shape=box, style="rounded,dashed"' in birnn


def test_dot_escapes_quoted_identifiers():
    ug = dataclasses.replace(unfold(LSTM, 1), spec_name='my "rnn"\\')
    assert ug.to_dot().splitlines()[1] == r'digraph "my \"rnn\"\\" {'


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_lays_out_time_left_to_right():
    ug = unfold(BIRNN, 3, params=True)
    out = subprocess.run(["dot", "-Tplain"], input=ug.to_dot(), capture_output=True,
                         text=True, check=True)
    assert out.stderr == ""
    # -Tplain quotes only the ids that need it ("h@3", but U).
    x = {m[1].strip('"'): float(m[2])
         for m in re.finditer(r'^node ("[^"]+"|\S+) ([\d.]+)', out.stdout, re.M)}
    assert set(x) >= {node_id(n) for n in ug.graph}
    column = {}
    for n in ug.graph:
        column.setdefault(-1 if n[1] is None else n[1], []).append(x[node_id(n)])
    order = sorted(column)
    assert all(max(column[a]) < min(column[b]) for a, b in zip(order, order[1:]))


def test_graphml_round_trip_keeps_nodes_edges_and_attributes():
    ug = unfold(BIRNN, 3, params=True)
    h = nx.parse_graphml(ug.to_graphml())
    assert h.number_of_nodes() == ug.graph.number_of_nodes()
    assert h.number_of_edges() == ug.graph.number_of_edges()
    assert set(h.nodes) == {node_id(n) for n in ug.graph}
    assert h.graph == {"node_default": {}, "edge_default": {}, "spec": "birnn_test",
                       "steps": 3, "params": True}
    assert h.nodes["h_bwd@4"] == {"variable": "h_bwd", "label": "h_bwd_4", "t": 4,
                                  "role": "initial", "shape": "(H,)", "layer": 1,
                                  "direction": -1, "output": False, "init": "0"}
    assert h.nodes["U"] == {"variable": "U", "label": "U", "role": "param",
                            "shape": "(C, 2*H)", "layer": 0, "direction": 0, "output": False}
    assert h.edges["h_bwd@4", "h_bwd@3"] == {"delay": -1, "kind": "backward-time"}


@pytest.mark.parametrize("suffix, method", [(".dot", "to_dot"), (".gv", "to_dot"),
                                            (".GraphML", "to_graphml")])
def test_write_chooses_the_format_by_suffix(tmp_path, suffix, method):
    ug = unfold(LSTM, 2)
    path = ug.write(tmp_path / f"lstm{suffix}")
    assert path.read_text(encoding="utf-8") == getattr(ug, method)()


def test_write_refuses_an_unknown_suffix(tmp_path):
    with pytest.raises(GraphError) as info:
        unfold(LSTM, 2).write(tmp_path / "lstm.png")
    assert str(info.value).splitlines() == [
        f"cannot write the graph to '{tmp_path / 'lstm.png'}': unknown suffix '.png'",
        "  hint: use .dot or .gv (Graphviz DOT) or .graphml (GraphML); to get a picture, "
        "write lstm.dot and run dot -Tpng lstm.dot -o lstm.png",
    ]
    with pytest.raises(GraphError, match=r"unknown suffix ''\n  hint: use \.dot or \.gv"):
        unfold(LSTM, 2).write(tmp_path / "lstm")
    assert not list(tmp_path.iterdir())


def test_write_reports_an_unwritable_path(tmp_path):
    with pytest.raises(GraphError, match="cannot write the graph to .*: No such file"):
        unfold(LSTM, 2).write(tmp_path / "missing" / "lstm.dot")


def test_summary_is_json_and_counts_by_kind():
    s = unfold(LSTM, 3).summary()
    assert json.loads(json.dumps(s)) == s
    assert s == {
        "spec": "lstm", "steps": 3, "params": False, "nodes": 26, "edges": 45,
        "roles": {"initial": 2, "input": 3, "output": 3, "state": 6, "variable": 12},
        "step_edges": 30, "time_delay_edges": 15, "backward_edges": 0, "static_edges": 0,
        "param_edges": 0, "boundary_nodes": ["h@0", "c@0"], "layers": 5,
        "layer_of": {"x": 0, "i": 1, "f": 1, "o": 1, "c_tilde": 1, "c": 2, "h": 3, "y": 4},
        "sweeps": [{"direction": 1, "variables": list(LSTM_VARIABLES[:-1])},
                   {"direction": 0, "variables": ["y"]}],
        "longest_path": 10, "longest_path_ends": ["x@1", "y@3"],
    }
    # Parameter nodes do not change the depth.
    with_params = unfold(LSTM, 3, params=True).summary()
    assert with_params["longest_path"] == 10 and with_params["nodes"] == 26 + 16
