"""torch modules as layouts meet them: built without touching the RNG, named, typed, checked.

torch is imported inside each function, never at import time.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError

__all__ = ["build_module", "copy_module", "expect_shape", "factory_name", "torch_dtype",
           "torchscript_factory"]


def expect_shape(tensor, shape: tuple, what: str) -> None:
    """``tensor`` must have ``shape``; the error names ``what`` it is."""
    if tuple(tensor.shape) != shape:
        raise SeqcheckError(f"{what} has shape {tuple(tensor.shape)}; expected {shape}")


def torch_dtype(dtype):
    """A torch dtype, or the torch dtype of a NumPy dtype or its name (``"float64"``)."""
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    return torch.from_numpy(np.zeros(0, dtype=np.dtype(dtype))).dtype


def factory_name(factory) -> str:
    """How a user would write ``factory``: ``torch.nn.LSTM`` for torch's own, else its name."""
    import torch

    name = getattr(factory, "__name__", None)
    if name is None:
        return type(factory).__name__
    return f"torch.nn.{name}" if getattr(torch.nn, name, None) is factory else name


def build_module(factory, input_size: int, hidden_size: int, **kwargs):
    """``factory(input_size, hidden_size)``, a module, built without touching torch's RNG."""
    import torch

    call = ", ".join([str(input_size), str(hidden_size), *(f"{k}={v}" for k, v in kwargs.items())])
    with torch.random.fork_rng(devices=[]):
        try:
            module = factory(input_size, hidden_size, **kwargs)
        except Exception as e:
            raise SeqcheckError(
                f"could not build {factory_name(factory)}({call}): {type(e).__name__}: {e}\n"
                "  hint: a target class or factory is called as target(input_size, "
                "hidden_size); otherwise pass an instance") from e
    if not isinstance(module, torch.nn.Module):
        raise SeqcheckError(f"{factory_name(factory)}({call}) returned {type(module).__name__}, "
                            "not a torch.nn.Module")
    return module


def copy_module(module):
    """A copy of ``module`` that shares nothing with it, every parameter a leaf.

    A TorchScript module (``torch.jit.script`` or ``trace``) is copied by saving and
    loading it: ``copy.deepcopy`` of one returns parameters that are not leaves of the
    autograd graph, so their gradients are never filled in.

    >>> import torch, warnings
    >>> with warnings.catch_warnings():  # torch marks TorchScript deprecated
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     scripted = torch.jit.script(torch.nn.GRUCell(3, 2))
    >>> twin = copy_module(scripted)
    >>> twin.weight_ih.is_leaf, twin.weight_ih is scripted.weight_ih
    (True, False)
    """
    import copy
    import io
    import warnings

    import torch

    if isinstance(module, torch.jit.ScriptModule):
        with warnings.catch_warnings():  # torch's deprecation of the API, not the user's
            warnings.filterwarnings("ignore", r"`torch\.jit\.(save|load)` is deprecated",
                                    DeprecationWarning)
            buffer = io.BytesIO()
            torch.jit.save(module, buffer)
            buffer.seek(0)
            return torch.jit.load(buffer)
    return copy.deepcopy(module)


def torchscript_factory(unit: str, how: str):
    """A factory ``(input_size, hidden_size) -> module``: ``torch.nn.<unit>`` built, then
    compiled by ``torch.jit.<how>`` (``"script"``, or ``"trace"`` on a one-step batch of 2
    with its initial state), as a user would ship it. The warnings torch gives while
    compiling (TorchScript's deprecation, the tracer's notes) are silenced here.

    >>> make = torchscript_factory("GRUCell", "script")
    >>> type(make(3, 2)).__name__
    'RecursiveScriptModule'
    """
    import warnings

    import torch

    cls = getattr(torch.nn, unit)

    def make(input_size: int, hidden_size: int):
        module = build_module(cls, input_size, hidden_size)
        with warnings.catch_warnings():  # torch's deprecation and tracer notes on this step
            warnings.simplefilter("ignore")
            if how == "script":
                return torch.jit.script(module)
            cell = unit.endswith("Cell")
            x = torch.zeros((2, input_size) if cell else (1, 2, input_size))
            h = torch.zeros((2, hidden_size) if cell else (1, 2, hidden_size))
            state = (h, h) if "LSTM" in unit else h
            return torch.jit.trace(module, (x, state))

    make.__name__ = f"torch.jit.{how}(torch.nn.{unit})"
    return make
