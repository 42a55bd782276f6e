"""Rich display in Jupyter, registered from above.

The pipeline's records (a :class:`~seqcheck.spec.Spec`, a derivation, a worked-example
check, a verify result) derive from :class:`Displayable`, whose ``_repr_html_`` and
``_repr_latex_`` ask this registry for a renderer. The renderers live in the report
package (:mod:`seqcheck.report.jupyter`), which registers them when it is imported.
``import seqcheck`` names that module with :func:`load_renderers_from`, and the first
display imports it; so the lower stages never import the report, ``import seqcheck``
stays cheap, and a class
with no renderer registered falls back to its ``repr`` as IPython's protocol allows
(a ``_repr_*_`` method that returns ``None`` is skipped).

>>> class Note(Displayable):
...     pass
>>> register(Note, "text/html", lambda note: "<em>a note</em>")
>>> Note()._repr_html_()
'<em>a note</em>'
>>> Note()._repr_latex_() is None
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["Displayable", "load_renderers_from", "register", "renderer"]

_RENDERERS: dict[tuple[type, str], Callable[[object], str]] = {}
_PENDING: list[str] = []


def load_renderers_from(module: str) -> None:
    """Import ``module`` (which calls :func:`register`) before the next lookup."""
    if module not in _PENDING:
        _PENDING.append(module)


def register(cls: type, mime: str, render: Callable[[object], str]) -> None:
    """Show instances of ``cls`` (and its subclasses) as ``mime`` with ``render(obj)``."""
    _RENDERERS[(cls, mime)] = render


def renderer(obj: object, mime: str) -> Callable[[object], str] | None:
    """The renderer registered for ``type(obj)`` or the nearest base class, or None."""
    while _PENDING:
        importlib.import_module(_PENDING.pop(0))
    for cls in type(obj).__mro__:
        render = _RENDERERS.get((cls, mime))
        if render is not None:
            return render
    return None


class Displayable:
    """A record Jupyter shows with the renderers registered for its class."""

    __slots__ = ()

    def _render(self, mime: str) -> str | None:
        render = renderer(self, mime)
        return None if render is None else render(self)

    def _repr_html_(self) -> str | None:
        return self._render("text/html")

    def _repr_latex_(self) -> str | None:
        return self._render("text/latex")
