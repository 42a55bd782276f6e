"""seqcheck: executable, self-verifying specifications of recurrent neural networks.

The pipeline, one stage per subpackage: ``spec`` (TOML -> Spec), ``graph``
(Spec -> unfolded networkx graph), ``backends`` (Spec -> generated NumPy code),
``checks`` (worked examples). ``import seqcheck`` loads neither torch nor onnx.
"""

from ._version import __version__
from .backends.numpy_backend import Trajectory, compile_numpy
from .errors import (
    CheckFailed,
    CompileError,
    Diagnostic,
    ExampleError,
    SeqcheckError,
    ShapeError,
    SpecError,
)
from .spec import Spec, load_spec, loads_spec

__all__ = [
    "CheckFailed",
    "CompileError",
    "Diagnostic",
    "ExampleError",
    "SeqcheckError",
    "ShapeError",
    "Spec",
    "SpecError",
    "Trajectory",
    "__version__",
    "compile_numpy",
    "load_spec",
    "loads_spec",
]
