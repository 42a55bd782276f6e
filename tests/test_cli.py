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


def test_list_shows_the_models_after_the_specs_and_show_prints_one(capsys):
    from seqcheck.models import entry_names

    code, out, _ = run(capsys, "list", "--json")
    models = json.loads(out)["models"]
    assert [m["name"] for m in models] == entry_names()
    assert not set(entry_names()) & set(catalogue.spec_names())  # one namespace
    for m in models:
        assert m["kind"] in ("composition", "function") and m["sources"] and m["tests"]
        assert all(s in catalogue.spec_names() for s in m["specs"])
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert out.index("  vec2seq ") < out.index("  attention_additive ")
    code, out, _ = run(capsys, "show", "encoder_decoder")
    assert code == 0
    assert out.splitlines()[:2] == [
        "encoder_decoder: Encoder-decoder: context c = h_T of an RNN, decoded by Vec2Seq "
        "(seed 000 eq. 18-19)",
        "  composition: seqcheck.models.sequence:encoder_decoder"]
    assert "built on: rnn, vec2seq" in out and "Map x_{1:T} to T' output distributions" in out
    code, out, _ = run(capsys, "show", "self_attention", "--json")
    assert json.loads(out)["target"] == "seqcheck.models.attention:self_attention"
    code, _, err = run(capsys, "show", "self_atention")
    assert code == 2 and "did you mean 'self_attention'?" in err


def test_list_imports_no_model_module_nor_sympy():
    # The listing reads the entry tables only; the first model a user touches imports its own.
    probe = ("import io, sys, contextlib\n"
             "from seqcheck.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
             "    assert main(['list']) == 0\n"
             "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
             "('sympy', 'numpy', 'networkx', 'torch'))\n"
             "models = sorted(m for m in sys.modules if m.startswith('seqcheck.models.')\n"
             "                and not m.endswith(('.entries', '.registry', '.listing', "
             "'.describe')) and m.count('.') > 2)\n"
             "print(heavy[:3], models, 'recursive_net' in out.getvalue())\n"
             "import seqcheck.models.recursive as r\n"
             "r.tree_forward\n"
             "print('seqcheck.models.recursive.network' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[] [] True", "True"]


@pytest.mark.parametrize("package", ["sequence", "language", "recursive", "attention",
                                     "feedforward", "convolution"])
def test_every_model_package_name_resolves(package):
    import importlib

    mod = importlib.import_module(f"seqcheck.models.{package}")
    for name in mod.__all__:
        assert getattr(mod, name) is not None, name
    assert set(mod.__all__) <= set(dir(mod))
    # importing a submodule binds its name on the package: no export may share it
    assert not {m.lstrip(".") for m in getattr(mod, "_LAZY", {}).values()} & set(mod.__all__)
    for e in mod.ENTRIES:  # each entry's target is one of the package's names
        assert e.load() is getattr(mod, e.target.partition(":")[2])


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
        "lstn: error[unknown-spec]: no bundled spec or model named 'lstn' and no such file",
        "  hint: did you mean 'lstm'? run 'seqcheck list' to see the catalogue, or pass a "
        "path to a .toml file",
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


def test_derive_text_shows_the_bptt_recursion(capsys):
    code, out, _ = run(capsys, "derive", "lstm")
    assert code == 0
    # the constant error carousel: c's adjoint reaches back through f_{t+1} (seed 002)
    assert "  adj_c = dl_dc + adj_c[t+1] ⊙ f[t+1] + (1 - tanh(c)^∘2) ⊙ adj_h ⊙ o" in out
    assert "    ∂L/∂W_hi += d_i h[t-1]ᵀ" in out
    assert "  ∂c_t/∂c_{t-1} = diag(f)" in out
    code, out, _ = run(capsys, "derive", "birnn")
    assert "  not derived: the state Jacobian needs every state read as [t-1] only" in out


def test_derive_json_has_every_equation_and_parameter(capsys):
    code, out, _ = run(capsys, "derive", "gru", "--json")
    assert code == 0
    d = json.loads(out)
    spec = load_spec("gru")
    assert [e["target"] for e in d["equations"]] == list(reversed(spec.variables))
    assert [p["parameter"] for p in d["parameter_gradients"]] == list(spec.params)
    for e in d["equations"]:
        assert e["line"] == spec.equation(e["target"]).line
        for c in e["contributions"]:
            assert c["text"] and c["latex"]


def test_derive_latex_is_one_align_block(capsys):
    code, out, _ = run(capsys, "derive", "elman", "--latex")
    lines = out.splitlines()
    assert code == 0 and lines[1] == r"\begin{align*}" and lines[-1] == r"\end{align*}"
    assert r"\bar{h}_t &= \frac{\partial \ell_t}{\partial h_t}" in out


@pytest.mark.parametrize("name", ["elman", "lstm", "birnn"])
def test_compiled_module_runs_without_seqcheck(name, tmp_path, capsys):
    import importlib.util

    import numpy as np

    from seqcheck.backends import compile_numpy

    code, out, _ = run(capsys, "compile", name)
    assert code == 0
    path = tmp_path / f"{name}_module.py"
    path.write_text(out)
    imports = [line for line in out.splitlines() if line.startswith(("import", "from"))]
    assert not any("seqcheck" in line for line in imports)
    mod_spec = importlib.util.spec_from_file_location(f"{name}_module", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)

    spec = load_spec(name)
    compiled = compile_numpy(spec, gradients=True)
    rng = np.random.default_rng(3)
    sizes = {d.name: 2 + k for k, d in enumerate(spec.dims)}
    import sympy as sp

    def shape(s):
        subs = {d.symbol: sizes[d.name] for d in spec.dims}
        return [int(sp.sympify(x).subs(subs)) for x in s]

    params = {n: rng.normal(size=shape(d.shape)) for n, d in spec.params.items()}
    inputs = {n: rng.normal(size=[4, 2, *shape(d.shape)]) for n, d in spec.inputs.items()}
    traj = compiled.forward(params, inputs)
    xp = mod.NumpyNamespace()
    values = mod.forward(params, inputs, {}, 4, 2, sizes, xp)
    for v in spec.variables:
        np.testing.assert_allclose(values[v], traj.raw[v], rtol=1e-13)
    seeds = {v: rng.normal(size=traj.raw[v].shape) for v in spec.outputs}
    grads = mod.backward(params, inputs, {}, values, seeds, 4, 2, sizes, xp)
    ours = compiled.backward(traj, seeds)
    for n in spec.params:
        np.testing.assert_allclose(grads["params"][n], ours.params[n], rtol=1e-12, atol=1e-12)


def test_compile_torch_module_names_torch(capsys):
    code, out, _ = run(capsys, "compile", "gru", "--backend", "torch", "--forward-only")
    assert code == 0 and "class TorchNamespace" in out and "def backward(" not in out
