"""torch modules as layouts meet them: built without touching the RNG, named, typed, checked.

torch is imported inside each function, never at import time.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from ...errors import SeqcheckError

__all__ = ["build_module", "compiled_context", "compiled_factory", "copy_module", "eager_note",
           "expect_shape", "factory_name", "import_dynamo", "original_module", "torch_dtype",
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


def original_module(module):
    """The module ``torch.compile`` wrapped (its ``_orig_mod``), or ``module`` itself.

    A compiled module (an ``OptimizedModule``) runs the code torch generated for the
    original module and delegates attribute access to it, but names its parameters
    ``_orig_mod.weight_ih``: its layout is read off the original, and the compiled module
    is what runs.

    >>> import torch
    >>> compiled = compiled_factory("GRUCell")(3, 2)
    >>> type(original_module(compiled)).__name__, original_module(compiled) is compiled
    ('GRUCell', False)
    """
    if type(module).__name__ == "OptimizedModule" and hasattr(module, "_orig_mod"):
        return module._orig_mod
    return module


def import_dynamo():
    """``torch._dynamo``, imported with torch's own deprecation notice silenced: dynamo and
    inductor load ``torch.utils.mkldnn``, which uses ``torch.jit.script_method``, so it is
    imported here first."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`torch\.jit\.script_method` is deprecated",
                                DeprecationWarning)
        import torch._dynamo
        import torch.utils.mkldnn  # noqa: F401

    return torch._dynamo


@contextlib.contextmanager
def compiled_context(module):
    """A context in which a ``torch.compile`` module compiles every case it meets.

    torch compiles a module again for each new shape (sizes 0 and 1 always get their own
    graphs), and after ``torch._dynamo.config.recompile_limit`` graphs (8) it silently runs
    the original module eagerly: the cases after that would hold eager torch to the spec,
    not the generated code. Inside this context the limit is lifted, and hitting it raises.
    The notice dynamo gives while tracing (it reads ``.grad`` of non-leaf tensors) is
    silenced. For any other module the context does nothing.
    """
    if original_module(module) is module:
        yield
        return
    dynamo = import_dynamo()
    with warnings.catch_warnings(), dynamo.config.patch(
            recompile_limit=100_000, accumulated_recompile_limit=100_000,
            fail_on_recompile_limit_hit=True):
        warnings.filterwarnings("ignore", r"The \.grad attribute of a Tensor that is not a leaf",
                                UserWarning)
        yield


def eager_note(module) -> str:
    """``""``, or why a ``torch.compile`` module runs eagerly: dynamo does not trace torch's
    RNN, LSTM and GRU modules unless ``torch._dynamo.config.allow_rnn`` is set (it runs
    them as they are, and only the code around them is compiled)."""
    import torch

    original = original_module(module)
    if original is module or not isinstance(original, torch.nn.RNNBase):
        return ""
    if import_dynamo().config.allow_rnn:
        return " (compiled: torch._dynamo.config.allow_rnn is set)"
    return (" (torch.compile runs it eagerly: dynamo skips torch's RNN modules unless "
            "torch._dynamo.config.allow_rnn is set)")


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


def compiled_factory(unit, **options):
    """A factory ``(input_size, hidden_size) -> module``: ``torch.nn.<unit>`` (or the class
    ``unit``) built, then
    wrapped by ``torch.compile(module, **options)`` (``backend="inductor"`` generates C++ on
    the CPU, Triton on CUDA; ``"aot_eager"`` traces forward and backward without
    generating code).

    >>> make = compiled_factory("GRUCell", backend="aot_eager")
    >>> make.__name__, type(make(3, 2)).__name__
    ("torch.compile(torch.nn.GRUCell, backend='aot_eager')", 'OptimizedModule')
    """
    import torch

    cls = getattr(torch.nn, unit) if isinstance(unit, str) else unit

    def make(input_size: int, hidden_size: int):
        import_dynamo()
        return torch.compile(build_module(cls, input_size, hidden_size), **options)

    shown = "".join(f", {k}={v!r}" for k, v in options.items())
    make.__name__ = f"torch.compile({factory_name(cls)}{shown})"
    return make


def configured_factory(unit, **kwargs):
    """A factory ``(input_size, hidden_size) -> module``: ``torch.nn.<unit>`` (or the class
    ``unit``) built with the constructor arguments ``kwargs`` (``num_layers=4,
    bidirectional=True``), named as a user would write the call.

    >>> make = configured_factory("LSTM", num_layers=2, bidirectional=True)
    >>> make.__name__, make(3, 2).num_layers
    ('torch.nn.LSTM(num_layers=2, bidirectional=True)', 2)
    """
    import torch

    cls = getattr(torch.nn, unit) if isinstance(unit, str) else unit

    def make(input_size: int, hidden_size: int):
        return build_module(cls, input_size, hidden_size, **kwargs)

    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    make.__name__ = f"{factory_name(cls)}({shown})"
    return make


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
