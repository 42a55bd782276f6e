"""The catalogue entries that are functions or compositions rather than specs.

Each model package declares its own ``ENTRIES`` tuple in its ``entries.py``, one
:class:`EntryMaker` call per entry; this module collects them from :data:`MODULES` in
order. An ``entries.py`` imports nothing heavy and a package's ``__init__`` imports its
modules on first use, so listing the catalogue imports no model module, nor SymPy
(``tests/test_cli.py``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

from ..errors import Diagnostic, SpecError
from ..spec.source import Source

__all__ = ["Entry", "EntryMaker", "ENTRIES", "MODULES", "entry", "entry_names"]

#: The entry tables, one per model package, in listing order.
MODULES = (
    "seqcheck.models.sequence.entries",
    "seqcheck.models.language.entries",
    "seqcheck.models.recursive.entries",
    "seqcheck.models.attention.entries",
    "seqcheck.models.feedforward.entries",
    "seqcheck.models.convolution.entries",
)


@dataclass(frozen=True)
class Entry:
    """One catalogue entry that is a checked function or a composition of specs.

    Arguments:
        name: the catalogue name (``seqcheck show NAME``), unique across specs and entries.
        kind: ``"composition"`` (built from specs and their derivations) or
            ``"function"`` (a NumPy function with its gradient).
        title: one line for listings.
        sources: where in the lectures it comes from.
        target: the implementing object as ``"module:attribute"``.
        specs: the bundled specs it is built from, if any.
        tests: the test files that check it against an independent implementation.
    """

    name: str
    kind: str
    title: str
    sources: tuple[Source, ...]
    target: str
    specs: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()

    def load(self):
        """The implementing object (imports its module)."""
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class EntryMaker:
    """What the entries of one model module share: its module, their kind, their tests.

    Calling it builds one :class:`Entry`, so a module's ``ENTRIES`` table holds only what
    differs from entry to entry: the name, the title and the sources.

    Arguments:
        module: the implementing module, e.g. ``"seqcheck.models.attention"``.
        tests: the test files that check every entry of the module.
        kind: ``"function"`` or ``"composition"``, as :attr:`Entry.kind`.

    >>> # an entry's target is module:name unless another attribute is named
    >>> make = EntryMaker("seqcheck.models.feedforward", ("tests/test_feedforward.py",))
    >>> make("autoencoder", "Autoencoder", Source("001.txt"),
    ...      target="autoencoder_gradients").target
    'seqcheck.models.feedforward:autoencoder_gradients'
    """

    module: str
    tests: tuple[str, ...]
    kind: str = "function"

    def __call__(self, name: str, title: str, *sources: Source, target: str | None = None,
                 specs: tuple[str, ...] = ()) -> Entry:
        """The :class:`Entry` ``name``, implemented by ``module:target`` (default ``name``)."""
        return Entry(name=name, kind=self.kind, title=title, sources=sources,
                     target=f"{self.module}:{target or name}", specs=specs, tests=self.tests)


@cache
def _collect() -> tuple[Entry, ...]:
    out: list[Entry] = []
    for name in MODULES:
        out.extend(importlib.import_module(name).ENTRIES)
    return tuple(out)


class _Entries:
    """A lazy, read-only sequence of every :class:`Entry` (imports the model modules)."""

    def __iter__(self):
        return iter(_collect())

    def __len__(self):
        return len(_collect())

    def __getitem__(self, i):
        return _collect()[i]


ENTRIES = _Entries()


def entry_names() -> list[str]:
    return [e.name for e in _collect()]


def entry(name: str) -> Entry:
    """The entry called ``name``; raises :class:`SpecError` with a did-you-mean."""
    from ..spec.suggest import did_you_mean

    for e in _collect():
        if e.name == name:
            return e
    close = did_you_mean(name, entry_names())
    raise SpecError(Diagnostic(
        kind="unknown-spec", message=f"no catalogue entry named '{name}'", file=name,
        symbol=name, hint=(f"did you mean '{close}'? " if close else "")
        + "run 'seqcheck list' to see the catalogue"))
