"""Array namespaces that generated code runs on: ``_xp`` bound to NumPy or torch.

Each namespace fixes a dtype (and, for torch, a device) and offers the same small set
of functions, so one generated module runs on either library. Vectors live in the last
axis; batch axes come first. Every function is numerically stable for finite input:
the sigmoid never exponentiates a positive number, and softmax subtracts the row
maximum (seed 001's softmax, seed 000 eq. 44).

:class:`ArrayNamespace` is the whole contract: a new backend is one class that offers its
members, passed to :class:`~seqcheck.backends.compiled.CompiledSpec`
(docs/architecture.md, "A new backend").

The package: :mod:`.contract` (the protocol, and the shift helpers both classes use),
:mod:`.numpy_ns` and :mod:`.torch_ns` (one class each).
"""

from .contract import ArrayNamespace
from .numpy_ns import NumpyNamespace
from .torch_ns import TorchNamespace

__all__ = ["ArrayNamespace", "NumpyNamespace", "TorchNamespace"]
