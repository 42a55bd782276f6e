"""torch modules exported to ONNX by torch's own exporters, as verify targets.

torch 2.13 offers two exporters, both through ``torch.onnx.export``:

- ``"torchscript"`` (``dynamo=False``): traces the module with TorchScript and writes
  each aten op with the symbolic functions of
  ``torch/onnx/_internal/torchscript_exporter/symbolic_opset9.py`` (``_generic_rnn``,
  which reorders torch's gate blocks into ONNX's and writes GRU with
  ``linear_before_reset=1``);
- ``"dynamo"`` (``dynamo=True``, the default): ``torch.export`` then onnxscript's torch
  library (``onnxscript/function_libs/torch_lib/ops/core.py``: ``aten_gru``,
  ``aten_lstm``; onnxscript 0.7.2, whose GRU sets ``linear_before_reset=1``, which 0.6.2
  left out: microsoft/onnxscript#2852). It writes GRU and LSTM as ONNX nodes, but has no
  function for ``aten::rnn_tanh`` / ``rnn_relu``: torch.nn.RNN is decomposed into one
  MatMul, Add and Tanh per step (an unrolled graph, which seqcheck does not recognise).

:func:`export_model` exports a module at a probe size with an explicit initial state
(so the graph takes it as an input), the example sequence of :data:`EXAMPLE` steps and
batch; :func:`export_targets` does it for every exporter and wraps each graph in an
:class:`~.target.OnnxFileTarget` held to the torch module's own spec (its layout's,
:func:`seqcheck.adapters.torch_nn.layout_for`). The exporters' warnings and log lines
(deprecation of the TorchScript exporter, the tracer's notes, training mode, onnxscript's
registry) are silenced here, during the export only.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass

from ...errors import SeqcheckError

__all__ = ["EXAMPLE", "EXPORTERS", "Exported", "export_model", "export_targets"]

#: exporter -> how torch.onnx.export is called for it.
EXPORTERS = {"torchscript": "torch.onnx.export(..., dynamo=False)",
             "dynamo": "torch.onnx.export(..., dynamo=True)"}
#: (T, B) of the example input the module is exported with.
EXAMPLE = (4, 2)
_INSTALL = {"torchscript": "pip install 'seqcheck[onnx]' torch",
            "dynamo": "pip install 'seqcheck[onnx]' torch onnxscript"}
_QUIET = (  # (category, message start) of what each exporter warns on every export
    (DeprecationWarning, "You are using the legacy TorchScript-based ONNX export"),
    (DeprecationWarning, "The feature will be removed"),
    (UserWarning, "Exporting a model to ONNX with a batch_size other than 1"),
    (UserWarning, "Exporting a model while it is in training mode"),
    (UserWarning, "The tensor attributes self._flat_weights"),
    (FutureWarning, "`isinstance(treespec, LeafSpec)` is deprecated"),
)
_LOGGERS = ("torch.onnx._internal.exporter._registration", "torch.onnx")


@dataclass(frozen=True)
class Exported:
    """One exporter's graph of a module, as a target, or why there is none.

    Attributes:
        exporter: ``"torchscript"`` or ``"dynamo"``.
        target: the :class:`~.target.OnnxFileTarget`, held to the module's spec; None
            when the export failed or its graph is not recognised.
        error: what went wrong then, else None.
        spec: the spec the module follows (its torch layout's).
    """

    exporter: str
    target: object | None
    error: str | None
    spec: object


@contextlib.contextmanager
def _quiet():
    import torch

    with warnings.catch_warnings():
        for category, start in _QUIET:
            warnings.filterwarnings("ignore", "^" + _escape(start), category)
        warnings.filterwarnings("ignore", "Converting a tensor to a Python boolean",
                                torch.jit.TracerWarning)
        levels = [(logging.getLogger(n), logging.getLogger(n).level) for n in _LOGGERS]
        for logger, _ in levels:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in levels:
                logger.setLevel(level)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def _example(module, layout):
    """The example (x, state) the module is exported with, from its sizes."""
    import torch

    T, B = EXAMPLE
    D, H = layout.sizes(module)
    rows = layout.layers * (2 if layout.bidirectional else 1)
    g = torch.Generator().manual_seed(0)
    first = next(module.parameters())
    kw = {"dtype": first.dtype, "device": first.device}
    x = torch.randn((B, T, D) if layout.batch_first else (T, B, D), generator=g).to(**kw)
    h = torch.randn(rows, B, layout.proj_size or H, generator=g).to(**kw)
    if layout.family.sequence == "LSTM":
        return x, (h, torch.randn(rows, B, H, generator=g).to(**kw))
    return x, h


def export_model(module, exporter: str):
    """``module`` (a torch.nn.RNN, LSTM or GRU, or one with their names) exported to ONNX.

    Arguments:
        module: the instance to export (not changed; its own mode is kept).
        exporter: a key of :data:`EXPORTERS`.
    Returns:
        The ``onnx.ModelProto``: inputs x and h0 (and c0), outputs y, h_n (and c_n), at
        the example sizes :data:`EXAMPLE`.
    Raises:
        SeqcheckError: an unknown exporter, a module that is not a sequence module, or the
            exporter failing (with its message).

    >>> # the TorchScript exporter writes torch.nn.GRU as one GRU node, reset after R h
    >>> import torch
    >>> model = export_model(torch.nn.GRU(3, 2), "torchscript")
    >>> [(n.op_type, [a.i for a in n.attribute if a.name == "linear_before_reset"])
    ...  for n in model.graph.node if n.op_type == "GRU"]
    [('GRU', [1])]
    """
    import onnx
    import torch

    from ..torch_nn import SequenceLayout, layout_for

    if exporter not in EXPORTERS:
        raise SeqcheckError(f"unknown ONNX exporter {exporter!r}; choose from "
                            f"{', '.join(EXPORTERS)}")
    layout = layout_for(module)
    if not isinstance(layout, SequenceLayout):
        raise SeqcheckError(f"{type(module).__name__} is a cell; torch's exporters write a "
                            "cell's step as MatMul, Add and Sigmoid nodes, not as an ONNX "
                            "recurrent node: export torch.nn.RNN, LSTM or GRU")
    x, state = _example(module, layout)
    lstm = layout.family.sequence == "LSTM"
    names = (["x", "h0", "c0"] if lstm else ["x", "h0"],
             ["y", "h_n", "c_n"] if lstm else ["y", "h_n"])
    try:
        with _quiet(), torch.random.fork_rng(devices=[]):
            if exporter == "torchscript":
                buffer = io.BytesIO()
                torch.onnx.export(module, (x, state), buffer, dynamo=False,
                                  input_names=names[0], output_names=names[1])
                return onnx.load_from_string(buffer.getvalue())
            program = torch.onnx.export(module, (x, state), dynamo=True, verbose=False,
                                        input_names=names[0], output_names=names[1])
            return program.model_proto
    except ImportError as e:
        raise SeqcheckError(f"the {exporter} exporter needs {e.name}, which is not "
                            f"installed: {_INSTALL[exporter]}") from None
    except Exception as e:  # noqa: BLE001 - the exporters raise many kinds
        raise SeqcheckError(f"{EXPORTERS[exporter]} failed on {type(module).__name__}: "
                            f"{type(e).__name__}: {str(e).splitlines()[0]}") from None


def export_targets(target, exporters=None, engine: str = "onnxruntime",
                   name: str | None = None) -> list[Exported]:
    """The graph each exporter writes of ``target``, as a target held to its torch spec.

    Arguments:
        target: a torch.nn.RNN, LSTM or GRU (or a subclass, or a module with their names)
            as an instance, or a class or factory called as ``target(input_size,
            hidden_size)``, built at sizes (3, 5) (torch_nn's ``PROBE``).
        exporters: keys of :data:`EXPORTERS` (default: all, in that order), or
            ``(name, function)`` pairs, a function taking the module and returning an
            ``onnx.ModelProto`` (an exporter of your own).
        engine: what runs the graphs, ``"onnxruntime"`` or ``"onnx"``.
        name: how to print the module (default: its class or factory's name).
    Returns:
        One :class:`Exported` per exporter; a failed export or an unrecognised graph is
        an ``error``, not an exception, so that the other exporters still report.

    >>> # torch.nn.RNN: TorchScript writes an RNN node; dynamo unrolls the steps
    >>> import torch
    >>> [(e.exporter, e.error is None) for e in export_targets(torch.nn.RNN)]
    [('torchscript', True), ('dynamo', False)]
    """
    import torch

    from ..torch_nn import layout_for
    from ..torch_nn.modules import build_module, copy_module, factory_name
    from ..torch_nn.recognise import PROBE
    from .placement import from_tags, tag_module
    from .target import OnnxFileTarget

    chosen = []
    for e in (list(EXPORTERS) if exporters is None else list(exporters)):
        if isinstance(e, tuple):
            chosen.append(e)
        elif e in EXPORTERS:
            chosen.append((e, lambda m, e=e: export_model(m, e)))
        else:
            raise SeqcheckError(f"unknown ONNX exporter {e!r}; choose from "
                                f"{', '.join(EXPORTERS)}")
    module = target if isinstance(target, torch.nn.Module) else build_module(target, *PROBE)
    layout = layout_for(module)
    spec = layout.spec()
    label = name or factory_name(target if not isinstance(target, torch.nn.Module)
                                 else type(target))
    tagged = copy_module(module)
    tags = tag_module(tagged, [t for t, _ in layout.tensors])
    shapes = {n: tuple(p.shape) for n, p in tagged.named_parameters()}
    out = []
    for exporter, export in chosen:
        try:
            model = export(tagged)
            held = OnnxFileTarget(
                model, spec=spec, engine=engine, name=f"{label} exported by {exporter}",
                batch_first=bool(getattr(layout, "batch_first", False)),
                placements=lambda weights, e=exporter: from_tags(
                    weights, tags, layout.tensors, shapes, f"the {e} exporter"))
            out.append(Exported(exporter, held, None, spec))
        except SeqcheckError as e:
            out.append(Exported(exporter, None, str(e), spec))
    return out
