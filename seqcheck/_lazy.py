"""Package attributes imported on first use (PEP 562), so that importing a package costs
only what its caller reads.

>>> getattr_, dir_ = lazy_exports("seqcheck", {"load_spec": ".spec"})
>>> getattr_("load_spec").__name__
'load_spec'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["lazy_exports"]


def lazy_exports(package: str, table: dict[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``, whose names in ``table`` come from the
    module named beside each (relative to ``package``) the first time they are read.

    Arguments:
        package: the package's ``__name__``.
        table: public name -> module that defines it, e.g. ``{"Spec": ".spec"}``.
    """

    def __getattr__(name: str):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # the next read is a plain lookup
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
