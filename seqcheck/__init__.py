"""seqcheck: executable, self-verifying specifications of recurrent neural networks.

The pipeline, one stage per subpackage: ``spec`` (TOML -> Spec), ``graph``
(Spec -> unfolded networkx graph), ``derive`` (Spec -> adjoint equations),
``backends`` (generated NumPy/torch code), ``checks`` (worked examples, verify).

``import seqcheck`` is cheap: it loads neither SymPy, NumPy, torch nor onnx. Each name
below is imported from its stage on first use (PEP 562), so a command that only lists
the catalogue never pays for the derivation machinery.
"""

from __future__ import annotations

from ._lazy import lazy_exports
from ._version import __version__
from .display import load_renderers_from
from .errors import (
    CheckFailed,
    CompileError,
    Diagnostic,
    ExampleError,
    SeqcheckError,
    ShapeError,
    SpecError,
)

#: Public name -> the module that defines it, imported when the name is first read.
_LAZY = {
    "Gradients": ".backends",
    "Trajectory": ".backends",
    "compile_numpy": ".backends",
    "ExampleReport": ".checks.example",
    "check_example": ".checks.example",
    "load_example": ".checks.example",
    "VerifyResult": ".checks.verify",
    "verify": ".checks.verify",
    "UnfoldedGraph": ".graph",
    "unfold": ".graph",
    "Spec": ".spec",
    "load_spec": ".spec",
    "loads_spec": ".spec",
}

# Rich display in Jupyter: the report's renderers (seqcheck.report.jupyter) are imported
# the first time a record is displayed.
load_renderers_from("seqcheck.report.jupyter")


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "CheckFailed",
    "CompileError",
    "Diagnostic",
    "ExampleError",
    "ExampleReport",
    "Gradients",
    "SeqcheckError",
    "ShapeError",
    "Spec",
    "SpecError",
    "Trajectory",
    "UnfoldedGraph",
    "VerifyResult",
    "__version__",
    "check_example",
    "compile_numpy",
    "load_example",
    "load_spec",
    "loads_spec",
    "unfold",
    "verify",
]
