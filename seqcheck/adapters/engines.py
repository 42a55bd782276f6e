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

:data:`PACKAGES` does the same for objects: a class, instance or function whose module
belongs to one of its packages (``keras.layers.GRU``, an ``equinox.nn.LSTMCell``) is
handed to that package's adapter module, which offers::

    def object_target(obj, name: str | None) -> Target

and raises a :class:`~seqcheck.errors.SeqcheckError` naming what it does take when it
cannot hold ``obj``. Objects of every other package go to torch's adapters.

>>> engine_of("onnxruntime:GRU"), engine_of("torch.nn.LSTM"), engine_of("my_cells:Cell")
('onnxruntime', None, None)
>>> import fractions
>>> package_of(fractions.Fraction), package_of(1.5)
('fractions', 'builtins')
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Mapping

__all__ = ["ENGINES", "PACKAGES", "engine_of", "engine_target", "object_target", "package_of"]

#: engine name -> the adapter module whose ``named_target`` builds its targets.
ENGINES: dict[str, str] = {
    "onnx": "seqcheck.adapters.onnx",  # onnx.reference's ReferenceEvaluator
    "onnxruntime": "seqcheck.adapters.onnx",  # onnxruntime's CPU kernels
}


#: top-level package of an object's module -> the adapter module whose ``object_target``
#: holds it.
PACKAGES: dict[str, str] = {
    "equinox": "seqcheck.adapters.jax",  # equinox.nn's cells
    "flax": "seqcheck.adapters.jax",  # flax.linen's and flax.nnx's cells
    "keras": "seqcheck.adapters.keras",  # Keras 3's recurrent layers and cells
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


def package_of(obj) -> str:
    """The top-level package an object (class, function, instance) is defined in."""
    if isinstance(obj, types.ModuleType):
        module = obj.__name__
    else:  # a class or function's own module; an instance's through its class
        module = getattr(obj, "__module__", None)
        if not isinstance(module, str):
            module = type(obj).__module__
    return module.partition(".")[0]


def object_target(obj, name: str | None = None):
    """The Target of an object from one of :data:`PACKAGES`, or None for any other.

    A class of a user's own that derives from a library's class (a subclass of
    ``keras.layers.GRU`` with a planted defect) belongs to the library's adapter too: the
    object's own package is asked first, then those of its class's bases in order. A pair
    ``(module, variables)`` (flax.linen's unbound module and its parameters) goes where
    its module goes.
    """
    held = obj[0] if isinstance(obj, tuple) and len(obj) == 2 else obj
    adapter = _adapter_of(held)
    return None if adapter is None else importlib.import_module(adapter).object_target(obj, name)


def _adapter_of(obj) -> str | None:
    cls = obj if isinstance(obj, type) else type(obj)
    for owner in (obj, *getattr(cls, "__mro__", ())):
        adapter = PACKAGES.get(package_of(owner))
        if adapter is not None:
            return adapter
    return None
