"""The PyTorch backend: the same generated code, run on torch tensors (CPU or CUDA).

torch is imported only when a torch backend is built. The forward pass is
differentiable by torch autograd: when autograd records it (grad mode on and some array
requiring grad) the list form of the generated forward runs, which writes nothing in
place; otherwise per-step values go into preallocated tensors. With ``gradients=True``
the derived backward pass runs on torch too, without autograd.
"""

from __future__ import annotations

from ..spec.model import Spec
from .compiled import CompiledSpec
from .namespaces import TorchNamespace

__all__ = ["compile_torch"]


def compile_torch(spec: Spec, dtype=None, device="cpu", *, gradients: bool = False,
                  seeded=None) -> CompiledSpec:
    """Compile ``spec`` to run on torch tensors.

    Arguments:
        spec: a validated spec.
        dtype: ``torch.float64`` (default) or ``torch.float32``.
        device: ``"cpu"``, ``"cuda"``, or a ``torch.device``.
        gradients: also compile the derived backward pass.
        seeded: variables whose loss gradients the backward pass takes (default: outputs).
    Returns:
        A :class:`~seqcheck.backends.compiled.CompiledSpec`; arrays may be NumPy arrays or
        tensors and are moved to ``device``; results are tensors.

    >>> # the seed 004 LSTM on torch, differentiable by autograd
    >>> import torch
    >>> from seqcheck import load_spec
    >>> lstm = compile_torch(load_spec("lstm"))
    >>> lstm.xp.dtype, lstm.xp.device.type
    (torch.float64, 'cpu')
    """
    derivation = None
    if gradients:
        from ..derive import derive

        derivation = derive(spec)
    return CompiledSpec(spec, TorchNamespace(dtype, device), derivation, seeded)
