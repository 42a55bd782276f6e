"""`seqcheck verify` from the command line on every kind of target: ONNX nodes with
attributes, a user's module through a mapping file; exit codes 0, 1 and 2."""

import json
from pathlib import Path

import pytest

from seqcheck.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "mapping"


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_onnxruntime_lstm_with_clip_conforms(capsys):
    code, out, _ = _run(capsys, "verify", "onnxruntime:LSTM", "--attr", "clip=0.5",
                        "--attr", "direction=reverse", "--max-examples", "15", "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["counterexample"] is None
    assert (result["spec"], result["dtype"], result["gradients"]) == (
        "lstm_clip_reverse", "float32", False)


def test_onnx_reference_ignoring_clip_is_a_counterexample(capsys):
    code, out, _ = _run(capsys, "verify", "onnx:LSTM", "--attr", "clip=0.5", "--dtype",
                        "float64", "--max-examples", "40")
    assert code == 1
    assert out.startswith("does not conform: onnx:LSTM against spec 'lstm_clip'")
    assert "replay with --seed 0" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["verify", "onnx:LSMT"], "unknown ONNX operator 'LSMT'"),
    (["verify", "torch.nn.LSTM", "--attr", "clip=1"], "--attr applies to ONNX targets"),
    (["verify", "onnxruntime:GRU", "--attr", "input_forget=1"], "input_forget"),
    (["verify", "onnxruntime:GRU", "--dtype", "float64"], "float64"),
    (["verify", "onnxruntime:RNN", "--mapping", "m.toml"],
     "a layout or mapping file does not apply"),
])
def test_usage_errors_exit_2_without_a_traceback(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_a_fused_cell_through_its_mapping_file(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    code, out, _ = _run(capsys, "verify", "fused_lstm:FusedLSTMCell", "--mapping",
                        str(EXAMPLES / "fused_lstm.toml"), "--max-examples", "20", "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["gradients"]
    assert result["spec"] == "lstm_one_bias"


def test_conformance_onnx_table_names_what_is_ignored(capsys):
    code, out, _ = _run(capsys, "conformance", "--engine", "onnx", "--dtype", "float64",
                        "--max-examples", "10")
    assert code == 0
    rows = {line.split()[1] + " " + line.split()[2]: line for line in out.splitlines()
            if line.startswith("onnx ")}
    assert rows["LSTM defaults"].endswith("conforms (outputs only)")
    assert rows["LSTM clip=0.5"].endswith("ignores")
    assert "onnx LSTM (clip=0.5, float64): accepts clip=0.5 and computes the equations " \
           "without it" in out
    assert main(["conformance", "--engine", "onnx", "--dtype", "float64", "--max-examples",
                 "5", "--strict"]) == 1


def test_conformance_reservoirpy_says_which_node_is_seed_003s_esn(capsys):
    code, out, _ = _run(capsys, "conformance", "--engine", "reservoirpy", "--max-examples",
                        "10", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    verdicts = {(r["unit"], r["attributes"]["held to"]): r["verdict"]
                for r in rows if "held to" in r["attributes"]}
    # the readout and feedback rows (tests/test_reservoirpy_readout.py pins each)
    readout = {json.dumps(r["attributes"], sort_keys=True): r["verdict"] for r in rows
               if r["unit"] == "Ridge"}
    assert readout[json.dumps({"fit": "fit", "fit_bias": True})] == "diverges"
    assert readout[json.dumps({"fit": "fit", "fit_bias": False})] == "conforms"
    assert {r["unit"] for r in rows} >= {"Ridge", "ESN", "ESN+RLS"}
    assert verdicts == {
        ("Reservoir", "esn (seed 003)"): "conforms",
        ("IPReservoir", "esn (seed 003)"): "diverges",
        ("IPReservoir", "its docstring"): "conforms",
        ("LocalPlasticityReservoir", "esn (seed 003)"): "diverges",
        ("LocalPlasticityReservoir", "its docstring"): "diverges",
    }
