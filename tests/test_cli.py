"""The command line: exit codes, JSON, and errors without tracebacks."""

import json
import subprocess
import sys

import pytest

from seqcheck import catalogue, load_spec
from seqcheck.cli import main

VALID = """\
name = "mine"
title = "my cell"
outputs = ["h"]
[dims]
D = "input size"
H = "hidden size"
[inputs]
x = { shape = ["D"] }
[states]
h = { shape = ["H"], init = "0" }
[params]
W = { shape = ["H", "H"] }
U = { shape = ["H", "D"] }
[equations]
h = "tanh(W @ h[t-1] + U @ x)"
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_is_the_catalogue(capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    names = [row["name"] for row in json.loads(out)["specs"]]
    assert names == catalogue.spec_names()
    assert {"lstm", "gru", "gru_cho", "elman", "esn", "birnn", "deep_rnn"} <= set(names)


def test_show_lstm_parameter_count_matches_torch(capsys):
    import sympy as sp
    import torch

    code, out, _ = run(capsys, "show", "lstm", "--json")
    assert code == 0
    shown = json.loads(out)
    count = sp.sympify(shown["parameter_count"])
    D, H = sp.symbols("D H")
    torch_count = sum(p.numel() for p in torch.nn.LSTM(3, 5).parameters())
    assert count.subs({D: 3, H: 5}) == torch_count
    assert [e["target"] for e in shown["equations"]] == ["i", "f", "o", "c_tilde", "c", "h", "y"]
    assert shown["sources"][0]["file"] == "004_305c128a81bf6144.txt"


def test_show_text_lists_every_equation(capsys):
    code, out, _ = run(capsys, "show", "gru")
    assert code == 0
    for e in load_spec("gru").equations:
        assert f"{e.target} = {e.text}" in out


def test_lint_valid_and_invalid(tmp_path, capsys):
    good = tmp_path / "mine.toml"
    good.write_text(VALID)
    code, out, _ = run(capsys, "lint", str(good))
    assert (code, out.strip()) == (0, f"ok: {good} (spec 'mine', 1 equations, 2 parameters)")

    bad = tmp_path / "bad.toml"
    bad.write_text(VALID.replace("U @ x", "U @ y"))
    code, out, err = run(capsys, "lint", str(good), str(bad))
    assert code == 2
    assert err.splitlines()[0] == f"{bad}:15:28: error[unknown-symbol]: unknown symbol 'y'"

    code, out, _ = run(capsys, "lint", "--json", str(bad))
    report = json.loads(out)
    assert code == 2 and report["ok"] is False
    (diag,) = report["files"][0]["diagnostics"]
    assert (diag["line"], diag["col"], diag["symbol"], diag["equation"]) == (15, 28, "y", "h")


def test_unknown_spec_exits_2_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "seqcheck", "show", "lstn"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        "lstn: error[unknown-spec]: no bundled spec named 'lstn' and no such file",
        "  hint: did you mean 'lstm'? run 'seqcheck list' to see the specs, or pass a path "
        "to a .toml file",
    ]


def test_debug_shows_the_traceback():
    from seqcheck import SpecError

    with pytest.raises(SpecError):
        main(["show", "lstn", "--debug"])


def test_json_error_object(capsys):
    code, out, _ = run(capsys, "show", "lstn", "--json")
    assert code == 2
    err = json.loads(out)["error"]
    assert err["type"] == "SpecError" and err["diagnostics"][0]["kind"] == "unknown-spec"


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["graph"])
    assert info.value.code == 2


def test_example_exit_codes_follow_the_verdicts(capsys):
    # seed 004's 2-decimal walk-through is right at its precision; the 1-decimal one is not.
    code, out, _ = run(capsys, "example", "seed004_lstm_2dec")
    assert code == 0 and out.splitlines()[-1].endswith(" ok")
    code, out, _ = run(capsys, "example", "seed004_lstm_1dec", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    wrong = {(v["t"], v["name"]) for v in report["values"] if not v["ok"]}
    assert (3, "i") in wrong and (1, "h") in wrong
    for v in report["values"]:
        assert set(v) >= {"t", "name", "printed", "exact", "ok", "local_ok"}


def test_example_listing(capsys):
    code, out, _ = run(capsys, "list", "--examples", "--json")
    assert code == 0
    rows = json.loads(out)["examples"]
    assert [r["name"] for r in rows] == catalogue.example_names()
    assert all(r["spec"] == "lstm" for r in rows)


def test_graph_writes_dot_and_graphml(tmp_path, capsys):
    import networkx as nx

    code, out, _ = run(capsys, "graph", "lstm", "--steps", "2")
    assert code == 0 and "digraph \"lstm\" {" in out.splitlines()[1]
    target = tmp_path / "lstm.graphml"
    code, out, _ = run(capsys, "graph", "lstm", "--steps", "4", "-o", str(target), "--json")
    summary = json.loads(out)
    g = nx.read_graphml(target)
    assert (summary["nodes"], summary["edges"]) == (g.number_of_nodes(), g.number_of_edges())
    assert summary["steps"] == 4


def test_graph_bad_suffix_is_an_input_error(tmp_path, capsys):
    code, _, err = run(capsys, "graph", "lstm", "-o", str(tmp_path / "g.png"))
    assert code == 2 and "Traceback" not in err and ".png" in err
