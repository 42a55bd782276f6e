"""What a user named as a verify target, turned into a :class:`~seqcheck.adapters.base.Target`.

:func:`resolve_target` imports a ``"module:attr"`` or dotted name (names only, nothing
evaluated); :func:`make_target` picks the adapter: an ONNX node (``"onnx:LSTM"``), a
mapping file's module, or a torch.nn module through its layout.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ...adapters.engines import engine_of, engine_target, object_target
from ...errors import SeqcheckError

__all__ = ["resolve_target", "make_target", "transformed_target"]


def resolve_target(target):
    """A class, factory or module from ``"module:attr"``, ``"pkg.mod.Class"`` or an object.

    Only names are imported (``importlib``); nothing is evaluated.
    """
    if not isinstance(target, str):
        return target
    module_name, sep, attr = target.partition(":")
    if not sep:
        module_name, _, attr = target.rpartition(".")
    if not module_name or not attr:
        raise SeqcheckError(f"target {target!r} is not 'module:attr' or 'package.module.Class'")
    if module_name.partition(".")[0] == "keras":  # its backend is chosen on first import
        from ...adapters.keras import before_import

        before_import()
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise SeqcheckError(f"cannot import {module_name!r} for target {target!r}: {e}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SeqcheckError(f"{module_name!r} has no attribute {attr!r} (target {target!r})")
        obj = getattr(obj, part)
    return obj


def make_target(target, layout=None, *, attributes=None, mapping=None):
    """The :class:`~seqcheck.adapters.base.Target` for what a user named.

    Arguments:
        target: a Target (returned as is); ``"<engine>:<operator>"`` such as
            ``"onnx:LSTM"`` or ``"onnxruntime:GRU"`` (:mod:`seqcheck.adapters.engines`);
            an ONNX graph, as a path ending in ``.onnx`` or an ``onnx.ModelProto``
            (:class:`~seqcheck.adapters.onnx_file.OnnxFileTarget`);
            an object of a package with an adapter (``keras.layers.GRU``,
            :data:`~seqcheck.adapters.engines.PACKAGES`); or a torch module, class or
            factory; or a ``"module:attr"`` string naming any of these.
        layout: for a torch target, a :mod:`seqcheck.adapters.torch_nn` layout
            (default: recognised from torch's parameter names and shapes).
        attributes: ONNX attributes, ``{"direction": "reverse", "clip": 0.5, ...}``.
        mapping: a mapping file (path or loaded) for a module torch's layouts do not fit.
    """
    from ...adapters.base import Target

    if isinstance(target, Target):
        if layout is not None or attributes or mapping is not None:
            raise SeqcheckError("a Target carries its own layout; pass no layout, "
                                "attributes or mapping with it")
        return target
    if isinstance(target, str) and target.endswith(".onnx") or (
            type(target).__name__ == "ModelProto"):  # a graph: a file, or an onnx.ModelProto
        from ...adapters.onnx_file import OnnxFileTarget

        if layout is not None or attributes:
            raise SeqcheckError(f"{target if isinstance(target, str) else 'an ONNX model'} "
                                "is read from its nodes' attributes; a layout or --attr "
                                "does not apply")
        if isinstance(target, str) and not Path(target).is_file():
            raise SeqcheckError(f"no ONNX file {target!r}")
        return OnnxFileTarget(target, mapping=mapping)
    engine = engine_of(target)
    if engine is not None:
        if layout is not None or mapping is not None:
            raise SeqcheckError(f"{target} runs on {engine}, in {engine}'s layout; "
                                "a layout or mapping file does not apply")
        named = engine_target(target, attributes)
        if named is not None:
            return named
    if attributes:
        raise SeqcheckError(f"attributes ({', '.join(attributes)}) apply to ONNX targets "
                            "(onnx:LSTM, onnxruntime:GRU, ...), not to "
                            f"{target if isinstance(target, str) else type(target).__name__}")
    obj = resolve_target(target)
    if isinstance(obj, Target):  # a "module:attr" naming a Target instance
        return make_target(obj, layout, mapping=mapping)
    name = target if isinstance(target, str) else None
    if mapping is None and layout is None:
        held = object_target(obj, name)
        if held is not None:
            return held
    if mapping is not None:
        if layout is not None:
            raise SeqcheckError("pass a layout or a mapping file, not both")
        from ...adapters.jax.layout_file import engine_of_file, layout_target

        if isinstance(mapping, (str, Path)) and engine_of_file(mapping) == "jax":
            return layout_target(obj, mapping, name=name)  # a JAX function's layout file
        from ...adapters.mapping import MappingTarget

        return MappingTarget(obj, mapping, name=name)
    from ...adapters.torch_nn import TorchTarget
    from ...adapters.torch_nn.quantized import QuantizedTarget, is_quantized

    if layout is None and is_quantized(obj):
        return QuantizedTarget(obj, name=name)
    return TorchTarget(obj, layout, name=name)


def transformed_target(target, *, compile: str | None = None, quantize: str | None = None):
    """The torch class or factory ``target`` names, each module it builds compiled by
    ``torch.compile(backend=compile)`` or dynamically quantized (``quantize`` = ``"qint8"``
    or ``"float16"``; an LSTM or GRU): ``seqcheck verify torch.nn.GRUCell --compile
    inductor``."""
    if bool(compile) == bool(quantize):
        raise SeqcheckError("transform a target one way: compile or quantize")
    obj = resolve_target(target)
    label = target if isinstance(target, str) else getattr(obj, "__name__", repr(obj))
    if compile:
        from ...adapters.torch_nn import TorchTarget
        from ...adapters.torch_nn.modules import compiled_factory

        return TorchTarget(compiled_factory(obj, backend=compile),
                           name=f"torch.compile({label}, backend={compile!r})")
    from ...adapters.torch_nn.quantized import QuantizedTarget, quantized_factory

    return QuantizedTarget(quantized_factory(obj, quantize),
                           name=f"quantize_dynamic({label}, {quantize})")
