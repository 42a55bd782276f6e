"""Located diagnostics of a spec: the entries of its files and the errors found in them.

Every value read from a spec file is an :class:`Entry` that remembers its :class:`Origin`
(the file and its :class:`~seqcheck.spec.locate.TomlIndex`) and its key path, so an error
points at the file that holds the offending text, also through an ``extends`` chain.
:class:`Diagnostics` collects the problems of one load as located
:class:`~seqcheck.errors.Diagnostic`\\ s and raises them together as one
:class:`~seqcheck.errors.SpecError`, so a user fixes a file in one round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import Diagnostic, SpecError
from .locate import TomlIndex

if TYPE_CHECKING:  # the grammar imports SymPy; reading a spec's title does not need it
    from .grammar import ExprError

__all__ = ["Origin", "Entry", "Diagnostics"]


@dataclass(frozen=True)
class Origin:
    """A spec file: its name in messages and the index of its key and value positions."""

    file: str
    index: TomlIndex


@dataclass(frozen=True)
class Entry:
    """One value of a spec file, with its file and its key path (``("params", "W")``)."""

    value: object
    origin: Origin
    path: tuple


class Diagnostics:
    """Collects diagnostics; positions come from the entry's own file."""

    def __init__(self):
        self.items: list[Diagnostic] = []

    def add(self, origin: Origin, path: tuple, kind: str, message: str, *, at_value=False,
            symbol=None, equation=None, hint=None, details=(), span=None) -> None:
        """Add a problem located at the key ``path`` of ``origin`` (at its value with
        ``at_value``); the span is the key's length unless given."""
        pos = origin.index.value(path) if at_value else origin.index.key(path)
        if span is None:
            named = path and not at_value and isinstance(path[-1], str)
            span = len(str(path[-1])) if named else 1
        self.items.append(Diagnostic(
            kind=kind, message=message, file=origin.file, line=pos.line, col=pos.col,
            equation=equation, symbol=symbol, hint=hint,
            source_line=origin.index.line_text(pos.line), span=span, details=tuple(details),
        ))

    def add_expr(self, entry: Entry, err: ExprError, equation: str | None) -> None:
        """Add a problem inside the expression string of ``entry``, located in its file."""
        pos = entry.origin.index.string_position(entry.path, err.lineno, err.col)
        self.items.append(Diagnostic(
            kind=err.kind, message=err.message, file=entry.origin.file, line=pos.line,
            col=pos.col, equation=equation, symbol=err.symbol, hint=err.hint,
            source_line=entry.origin.index.line_text(pos.line), span=err.span,
            details=tuple(err.details),
        ))

    def raise_if_any(self) -> None:
        """Raise every problem collected so far as one :class:`SpecError`."""
        if self.items:
            raise SpecError(self.items)
