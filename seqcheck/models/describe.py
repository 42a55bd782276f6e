"""A catalogue :class:`~seqcheck.models.registry.Entry` described as data and as text, and
what a name given to ``seqcheck show`` stands for.

``entry_as_dict`` is the JSON of ``seqcheck show NAME --json`` for a model and
``format_entry`` its text; ``entry_summary`` is the entry's row of ``seqcheck list``;
``shown_entry`` tells a model's name from a spec's name or file, and raises the
did-you-mean error for neither.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from .. import catalogue
from ..errors import Diagnostic, SpecError
from ..spec.source import format_source
from ..spec.suggest import did_you_mean
from .registry import Entry, entry, entry_names

__all__ = ["entry_as_dict", "entry_summary", "format_entry", "shown_entry"]


def shown_entry(name: str) -> Entry | None:
    """The model entry ``seqcheck show NAME`` shows, or None where ``name`` is a bundled
    spec or a spec file (a bundled spec wins over a model of the same name).

    Raises:
        SpecError: ``unknown-spec``, with a did-you-mean over specs and models, where
            ``name`` is none of the three.

    >>> shown_entry("lstm") is None, shown_entry("relu").kind
    (True, 'function')
    """
    specs = catalogue.spec_names()
    if name in specs:  # a bundled spec wins, and needs no model module imported
        return None
    models = entry_names()
    if name in models:
        return entry(name)
    if not Path(name).is_file():
        close = did_you_mean(name, specs + models)
        raise SpecError(Diagnostic(
            kind="unknown-spec", message=f"no bundled spec or model named '{name}' and "
            "no such file", file=name, symbol=name,
            hint=(f"did you mean '{close}'? " if close else "")
            + "run 'seqcheck list' to see the catalogue, or pass a path to a .toml file"))
    return None


def entry_as_dict(e: Entry) -> dict:
    """Everything ``seqcheck show`` says about ``e``, as a JSON-able dict; ``doc`` is the
    implementing object's docstring (loading it imports its module).

    >>> from seqcheck.models import entry
    >>> entry_as_dict(entry("relu"))["kind"]
    'function'
    """
    return {"name": e.name, "kind": e.kind, "title": e.title, "target": e.target,
            "sources": [{"cite": s.cite(), "note": s.note} for s in e.sources],
            "specs": list(e.specs), "tests": list(e.tests),
            "doc": inspect.getdoc(e.load()) or ""}


def format_entry(d: dict) -> str:
    """The text of ``seqcheck show`` for a model, from :func:`entry_as_dict`'s dict (no
    final newline).

    >>> from seqcheck.models import entry
    >>> print(format_entry(entry_as_dict(entry("relu"))).splitlines()[1])
      function: seqcheck.models.feedforward:relu
    """
    lines = [f"{d['name']}: {d['title']}", f"  {d['kind']}: {d['target']}"]
    lines += [format_source(s) for s in d["sources"]]
    if d["specs"]:
        lines.append(f"  built on: {', '.join(d['specs'])}")
    if d["tests"]:
        lines.append(f"  checked by: {', '.join(d['tests'])}")
    return "\n".join(lines + ["", d["doc"]])


def entry_summary(e: Entry) -> dict:
    """The entry's row of the catalogue listing (``seqcheck list``).

    >>> from seqcheck.models import entry
    >>> entry_summary(entry("encoder_decoder"))["kind"]
    'composition'
    """
    return {"name": e.name, "kind": e.kind, "title": e.title,
            "sources": [s.cite() for s in e.sources], "target": e.target,
            "specs": list(e.specs), "tests": list(e.tests)}
