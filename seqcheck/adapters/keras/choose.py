"""Which Keras backend seqcheck runs on: chosen before keras is first imported.

Keras 3 fixes its backend when ``keras`` is first imported (``keras/src/backend/config.py``,
3.15.1: the ``KERAS_BACKEND`` environment variable, else the ``"backend"`` of
``$KERAS_HOME/keras.json`` or ``~/.keras/keras.json``, else ``"tensorflow"``). A user who
names ``keras.layers.GRU`` on the command line has its module imported before any adapter
runs, so whoever imports it calls :func:`before_import` first: when Keras would otherwise
pick a backend that is not installed, it sets ``KERAS_BACKEND`` to ``"torch"`` (else
``"jax"``), the two backends seqcheck holds Keras layers on.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from ...errors import SeqcheckError

__all__ = ["INSTALL", "SUPPORTED", "backend_to_set", "before_import", "config_file",
           "import_keras", "keras_backend"]

INSTALL = "pip install 'seqcheck[keras]'"
#: Keras backends seqcheck runs layers on, in the order :func:`before_import` prefers them.
SUPPORTED = ("torch", "jax")
#: Keras's backend names -> the module each one imports.
_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy",
            "openvino": "openvino"}


def config_file(environ: Mapping[str, str] = os.environ) -> Path:
    """The keras.json Keras reads: ``$KERAS_HOME/keras.json``, else ``~/.keras/keras.json``
    (``/tmp/.keras`` where the home directory is not writable), as Keras 3.15.1 decides."""
    if "KERAS_HOME" in environ:
        return Path(environ["KERAS_HOME"]).expanduser() / "keras.json"
    home = os.path.expanduser("~")
    if not os.access(home, os.W_OK):
        home = "/tmp"
    return Path(home) / ".keras" / "keras.json"


def _configured(path: Path) -> str:
    """The backend keras.json names; Keras's default "tensorflow" without one."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "tensorflow"
    backend = config.get("backend") if isinstance(config, dict) else None
    return backend if isinstance(backend, str) else "tensorflow"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def backend_to_set(environ: Mapping[str, str], modules: Mapping[str, object],
                   importable: Callable[[str], bool] = _importable) -> str | None:
    """The backend :func:`before_import` would set, or None to leave Keras's choice alone.

    None when keras is already imported (its backend is fixed), when ``KERAS_BACKEND`` is
    set, or when keras.json names a backend that is installed; otherwise the first of
    :data:`SUPPORTED` that is installed (None if neither is).

    >>> # keras.json names tensorflow, which is not installed; torch is
    >>> backend_to_set({"KERAS_HOME": "/nonexistent"}, {}, lambda m: m == "torch")
    'torch'
    >>> backend_to_set({"KERAS_BACKEND": "jax"}, {}, lambda m: True) is None
    True
    """
    if "keras" in modules or environ.get("KERAS_BACKEND"):
        return None
    configured = _configured(config_file(environ))
    if importable(_MODULES.get(configured, configured)):
        return None
    return next((b for b in SUPPORTED if importable(b)), None)


def before_import() -> str | None:
    """Set ``KERAS_BACKEND`` before keras is first imported, where Keras would otherwise
    pick a backend that is not installed (:func:`backend_to_set`).

    Call it before importing any ``keras`` module; it imports nothing itself.

    Returns:
        the backend it set, or None where it left the environment alone.
    """
    backend = backend_to_set(os.environ, sys.modules)
    if backend is not None:
        os.environ["KERAS_BACKEND"] = backend
    return backend


def import_keras():
    """``keras`` itself, or an error with the install hint."""
    before_import()
    try:
        import keras
    except ImportError as e:
        raise SeqcheckError(f"Keras targets need keras 3 and one of its backends (torch or "
                            f"jax): {e}\n  hint: {INSTALL}") from None
    return keras


def keras_backend() -> str:
    """The backend keras runs on, one of :data:`SUPPORTED`, or an error saying how to pick one."""
    keras = import_keras()
    version = getattr(keras, "__version__", "0")
    if int(version.split(".")[0]) < 3:
        raise SeqcheckError(f"keras {version} is installed; seqcheck holds Keras 3 layers "
                            f"(keras >= 3)\n  hint: {INSTALL}")
    backend = keras.backend.backend()
    if backend not in SUPPORTED:
        raise SeqcheckError(
            f"keras runs on the {backend!r} backend; seqcheck holds Keras layers on "
            f"{' and '.join(map(repr, SUPPORTED))} (gradients by torch autograd, or by "
            "jax.vjp of stateless_call)\n  hint: set KERAS_BACKEND=torch (or jax) before "
            "keras is first imported")
    return backend
