"""What checking many worked examples computes once: specs, typed expressions, functions.

A Hypothesis run loads hundreds of example files over a few specs, and each entry's
``expr`` and equation is typed and compiled: :func:`load_spec_cached` keeps the specs by
path and modification time, :func:`parse_cached` the typed expressions, and
:func:`cached_on_spec` with :data:`COMPILED` the compiled functions
(``checks/example.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...spec import Spec, Typed, load_spec

__all__ = ["COMPILED", "cached_on_spec", "load_spec_cached", "parse_cached"]

_SPECS: dict[tuple[str, int], Spec] = {}


def load_spec_cached(path: Path) -> Spec:
    """load_spec, cached by path and modification time (a Spec is immutable)."""
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _SPECS:
        if len(_SPECS) > 64:
            _SPECS.clear()
        _SPECS[key] = load_spec(path)
    return _SPECS[key]


# Typed exprs and compiled functions per spec object. Typing and printing SymPy matrix
# expressions costs milliseconds each, and a Hypothesis run checks hundreds of files.
# The spec is kept beside each value, so its id cannot be reused while cached.
_TYPED: dict[tuple, tuple[Spec, Typed]] = {}
COMPILED: dict[tuple, tuple[Spec, Callable]] = {}


def cached_on_spec(table: dict, spec: Spec, key, make: Callable):
    """``table``'s value for ``(spec, key)``, made by ``make()`` on a miss.

    >>> # the second call finds the first value: make is not called again
    >>> from seqcheck import load_spec
    >>> table, spec = {}, load_spec("gru")
    >>> cached_on_spec(table, spec, "k", lambda: 1), cached_on_spec(table, spec, "k", lambda: 2)
    (1, 1)
    """
    hit = table.get((id(spec), key))
    if hit is None or hit[0] is not spec:
        if len(table) > 1024:
            table.clear()
        hit = table[(id(spec), key)] = (spec, make())
    return hit[1]


def parse_cached(spec: Spec, text: str) -> Typed:
    """``spec.parse(text)``, cached."""
    return cached_on_spec(_TYPED, spec, text, lambda: spec.parse(text))

