"""Packaging promises: the core never imports an engine (torch, onnx, jax, keras); one
version; explicit API."""

import importlib.metadata
import json
import subprocess
import sys

import seqcheck

HEAVY = {"torch", "onnx", "onnxruntime", "matplotlib", "jax", "flax", "equinox", "keras"}


def _modules_after(code: str) -> set[str]:
    """Top-level modules loaded by running ``code`` in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in json.loads(out.stdout.splitlines()[-1])}


def test_core_imports_neither_torch_nor_onnx():
    loaded = _modules_after(
        "import seqcheck, seqcheck.cli, seqcheck.graph, seqcheck.checks.example\n"
        "from seqcheck import load_spec, compile_numpy\n"
        "import numpy as np\n"
        "spec = load_spec('lstm')\n"
        "p = {n: np.zeros([2 if str(s) == 'H' else 3 for s in d.shape]) "
        "for n, d in spec.params.items()}\n"
        "compile_numpy(spec)(p, {'x': np.zeros((4, 2, 3))})\n"
        "seqcheck.cli.main(['list', '--json'])\n"
        "from seqcheck.models import ENTRIES\n"
        "[e.load() for e in ENTRIES]\n"
        "seqcheck.cli.main(['errata', '--json'])"
    )
    assert not loaded & HEAVY, f"the core imported {sorted(loaded & HEAVY)}"


def test_the_import_probe_can_fail():
    # Meta-test: the probe above would notice torch if something imported it.
    assert "torch" in _modules_after("import seqcheck\nimport torch")


def test_version_is_defined_once():
    assert importlib.metadata.version("seqcheck") == seqcheck.__version__


def test_public_api_is_explicit():
    assert seqcheck.__all__ == sorted(seqcheck.__all__)
    for name in seqcheck.__all__:
        assert hasattr(seqcheck, name), name
