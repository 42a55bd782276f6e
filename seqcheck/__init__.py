"""seqcheck: executable, self-verifying specifications of recurrent neural networks.

The pipeline, one stage per subpackage: ``spec`` (TOML -> Spec), ``graph``
(Spec -> unfolded networkx graph), ``derive`` (Spec -> adjoint equations),
``backends`` (generated NumPy/torch code), ``checks`` (worked examples, verify).
``import seqcheck`` loads neither torch nor onnx.
"""

from ._version import __version__
from .backends import Gradients, Trajectory, compile_numpy
from .checks.example import ExampleReport, check_example, load_example
from .checks.verify import VerifyResult, verify
from .errors import (
    CheckFailed,
    CompileError,
    Diagnostic,
    ExampleError,
    SeqcheckError,
    ShapeError,
    SpecError,
)
from .graph import UnfoldedGraph, unfold

# Rich display in Jupyter: the report registers its renderers (seqcheck.display).
from .report import jupyter as _jupyter  # noqa: E402, F401  (imported for its registrations)
from .spec import Spec, load_spec, loads_spec

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
