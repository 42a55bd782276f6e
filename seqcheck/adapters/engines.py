"""Targets named by engine: ``"<engine>:<operator>"`` strings such as ``"onnxruntime:GRU"``.

:data:`ENGINES` maps an engine's name to the adapter module that builds its targets. The
module is imported only when a target of that engine is named, so an engine's library
(onnx, onnxruntime, ...) stays an optional extra. Each such module offers one function::

    def named_target(text: str, attributes: Mapping | None) -> Target | None

returning the :class:`~seqcheck.adapters.base.Target` that ``text`` names, or ``None`` if
``text`` is not one of its names (then ``text`` is read as ``"module:attr"``); a name
that is the engine's but wrong (an unknown operator) raises a
:class:`~seqcheck.errors.SeqcheckError` naming the valid ones. A new engine is one
adapter module and one row here (docs/architecture.md, "A new target engine").

>>> engine_of("onnxruntime:GRU"), engine_of("torch.nn.LSTM"), engine_of("my_cells:Cell")
('onnxruntime', None, None)
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

__all__ = ["ENGINES", "engine_of", "engine_target"]

#: engine name -> the adapter module whose ``named_target`` builds its targets.
ENGINES: dict[str, str] = {
    "onnx": "seqcheck.adapters.onnx",  # onnx.reference's ReferenceEvaluator
    "onnxruntime": "seqcheck.adapters.onnx",  # onnxruntime's CPU kernels
}


def engine_of(target) -> str | None:
    """The engine a target string names (its part before ``:``), or None."""
    if not isinstance(target, str):
        return None
    engine, sep, _ = target.partition(":")
    return engine if sep and engine in ENGINES else None


def engine_target(target, attributes: Mapping | None = None):
    """The Target an ``"<engine>:<operator>"`` string names, or None for any other target."""
    engine = engine_of(target)
    if engine is None:
        return None
    return importlib.import_module(ENGINES[engine]).named_target(target, attributes)
