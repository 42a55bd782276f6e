"""The shape of the package (docs/architecture.md): every module at most 400 lines, no
import circle, no arrow pointing up the pipeline of :data:`LAYERS`, and no module reaching
for another's private names. ``python tests/test_architecture.py`` prints every fault.

The import graph is read from the syntax trees of ``seqcheck/``, imports inside functions
included (a lazy import is still an arrow). A name imported from a package is followed
through the package's re-exports to the module that defines it, so ``from ..spec import
Spec`` is an arrow to ``spec/model.py``, not to ``spec/__init__.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1] / "seqcheck"
MAX_LINES = 400

# The pipeline, lowest first. A module may import from its own layer and from any layer
# below; an import from a higher layer is an upward arrow. Each entry is the first
# component under seqcheck/ (a subpackage or a top-level module).
LAYERS = (
    ("_version", "errors", "display", "paths", "blas"),
    ("spec", "catalogue"),
    ("printing",),
    ("graph",),
    ("derive",),
    ("backends",),
    ("strategies", "adapters"),
    ("checks",),
    ("dynamics",),
    ("models",),
    ("errata",),
    ("report",),
    ("bench", "testing", "campaign"),
    ("cli", "__main__"),
)
LAYER = {name: i for i, group in enumerate(LAYERS) for name in group}


def _modules(root: Path) -> dict[str, Path]:
    mods = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


class ImportGraph:
    """Arrows between the modules of one package, read from their syntax trees."""

    def __init__(self, root: Path):
        self.modules = _modules(root)
        self.trees = {m: ast.parse(p.read_text(encoding="utf-8")) for m, p in self.modules.items()}
        self.reexports = {}
        for m, tree in self.trees.items():
            if self._is_package(m):
                for node in tree.body:
                    if isinstance(node, ast.ImportFrom):
                        src = self._absolute(m, node)
                        for a in node.names:
                            self.reexports[(m, a.asname or a.name)] = (src, a.name)
        self.graph = nx.DiGraph()
        self.private = []  # (importer, defining module, name)
        for m, tree in self.trees.items():
            if self._is_package(m):
                continue
            self.graph.add_node(m)
            for node in ast.walk(tree):
                for target, name in self._targets(m, node):
                    if target == m or target not in self.modules:
                        continue
                    self.graph.add_edge(m, target)
                    if name and name.startswith("_") and not name.startswith("__"):
                        self.private.append((m, target, name))

    def _is_package(self, m: str) -> bool:
        return self.modules[m].name == "__init__.py"

    def _absolute(self, m: str, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module
        base = (m if self._is_package(m) else m.rsplit(".", 1)[0]).split(".")
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def _resolve(self, module: str, name: str) -> tuple[str, str | None]:
        """The module that defines ``module.name``, and the name there (None: a module)."""
        for _ in range(10):
            if f"{module}.{name}" in self.modules:
                return f"{module}.{name}", None
            if (module, name) not in self.reexports:
                break
            module, name = self.reexports[(module, name)]
        return module, name

    def _targets(self, m: str, node: ast.AST):
        if isinstance(node, ast.ImportFrom):
            src = self._absolute(m, node)
            for a in node.names:
                yield self._resolve(src, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, None


def _layer(module: str) -> int:
    top = module.split(".")[1]
    if top not in LAYER:
        raise AssertionError(f"{module}: seqcheck/{top} is in no layer of LAYERS; add it "
                             "where it belongs in the pipeline (and in docs/architecture.md)")
    return LAYER[top]


@pytest.fixture(scope="module")
def imports() -> ImportGraph:
    return ImportGraph(ROOT)


def test_no_module_imports_another_modules_private_names(imports):
    assert sorted(f"{a} takes {n} from {b}" for a, b, n in imports.private) == []


def test_no_module_is_over_the_style_guides_length():
    assert violations()[f"modules over {MAX_LINES} lines"] == []


def test_no_import_circle(imports):
    circles = [sorted(c) for c in nx.strongly_connected_components(imports.graph) if len(c) > 1]
    assert circles == []


def test_every_arrow_points_down_the_pipeline(imports):
    up = sorted(f"{a} -> {b}" for a, b in imports.graph.edges if _layer(b) > _layer(a))
    assert up == []


def test_the_cli_holds_no_logic():
    """A command module parses arguments, calls the library and prints: no function longer
    than that takes, and no class but a typing Protocol."""
    for path in (ROOT / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            assert [ast.unparse(b) for b in cls.bases] == ["Protocol"], f"{path.name}: {cls.name}"
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            assert fn.end_lineno - fn.lineno < 30, f"{path.name}: {fn.name} is long"


# The probes above must be able to fail: a small package with each fault, written here.
_FAULTY = {
    "__init__.py": "from .low import Thing\n",
    "low.py": "def f():\n    from .high import g\n    return g\n\nclass Thing: ...\n",
    "high.py": "from . import Thing\nfrom .low import f as _f\nfrom .other import _hidden\n"
               "def g(): ...\n",
    "other.py": "_hidden = 1\n",
}


def test_the_probes_see_a_circle_an_upward_arrow_and_a_private_import(tmp_path):
    pkg = tmp_path / "seqcheck"
    pkg.mkdir()
    for name, text in _FAULTY.items():
        (pkg / name).write_text(text)
    g = ImportGraph(pkg)
    assert set(g.graph.edges) == {("seqcheck.low", "seqcheck.high"),
                                  ("seqcheck.high", "seqcheck.low"),
                                  ("seqcheck.high", "seqcheck.other")}
    assert [sorted(c) for c in nx.strongly_connected_components(g.graph) if len(c) > 1] == [
        ["seqcheck.high", "seqcheck.low"]]
    assert g.private == [("seqcheck.high", "seqcheck.other", "_hidden")]
    with pytest.raises(AssertionError, match="seqcheck/low is in no layer"):
        _layer("seqcheck.low")


def violations(root: Path = ROOT) -> dict[str, list[str]]:
    """Every structural fault of the package, by rule: what ``python tests/test_architecture.py``
    prints."""
    g = ImportGraph(root)
    return {
        f"modules over {MAX_LINES} lines": sorted(
            f"{n:5d} {p.relative_to(root.parent)}" for p in root.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES),
        "import circles": sorted(" <-> ".join(sorted(c))
                                 for c in nx.strongly_connected_components(g.graph)
                                 if len(c) > 1),
        "upward arrows": sorted(f"{a} -> {b}" for a, b in g.graph.edges
                                if _layer(b) > _layer(a)),
        "private imports": sorted(f"{a} takes {n} from {b}" for a, b, n in g.private),
    }


if __name__ == "__main__":
    for rule, found in violations().items():
        print(f"{rule}: {len(found)}")
        for line in found:
            print(f"  {line}")
