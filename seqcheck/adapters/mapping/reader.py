"""Where a mapping file's problems are: :class:`MappingReader`, one file's located diagnostics.

Every check of a mapping file reports through a reader: a key or value path of the TOML
text becomes a :class:`~.model.Where` (line, column, the line's text, how much to
underline), and the diagnostic is collected, so that all problems are raised together as
one :class:`~.model.MappingError`. What it shares with the worked-example reader is
:class:`~seqcheck.spec.locate.TomlReader`.
"""

from __future__ import annotations

from ...spec.locate import TomlReader, unquoted
from ...spec.suggest import did_you_mean
from .model import Where

__all__ = ["MappingReader"]


class MappingReader(TomlReader):
    """Collects located diagnostics for one mapping file."""

    def where(self, path: tuple, *, at_value=False, span: int | None = None) -> Where:
        """The place of the key at ``path`` (or of its value), underlining ``span`` characters:
        by default the key, or the value up to a comment."""
        if not path:
            return Where(self.file)
        pos = self.index.value(path) if at_value else self.index.key(path)
        line = self.index.line_text(pos.line)
        if span is None:
            if at_value and line is not None:
                span = _value_length(line[pos.col - 1:])
            else:
                span = len(str(path[-1]))
        return Where(self.file, pos.line, pos.col, line, max(1, span))

    def in_string(self, path: tuple, offset: int, span: int) -> Where:
        """The place of characters ``offset:offset + span`` of the string value at ``path``."""
        pos = self.index.string_position(path, 1, offset)
        return Where(self.file, pos.line, pos.col, self.index.line_text(pos.line), max(1, span))

    def in_key(self, path: tuple, offset: int, span: int) -> Where:
        """The place of characters ``offset:offset + span`` of the key at ``path``, as
        TOML reads it (a quoted key's quote is skipped)."""
        pos = self.index.key(path)
        line = self.index.line_text(pos.line) or ""
        quoted = line[pos.col - 1:pos.col] in ('"', "'")
        return Where(self.file, pos.line, pos.col + quoted + offset, line or None, max(1, span))

    def error(self, path: tuple, kind: str, message: str, *, at_value=False, symbol=None,
              hint=None, details=()) -> None:
        """Record a diagnostic at the key at ``path``, or at its value."""
        self.items.append(self.where(path, at_value=at_value).error(
            kind, message, symbol=symbol, hint=hint, details=details))

    def unknown(self, path: tuple, kind: str, what: str, name: str, candidates,
                listing: str, *, at_value=False) -> None:
        """An unknown ``what`` at ``path``: the closest of ``candidates``, then ``listing``."""
        close = did_you_mean(name, candidates)
        self.error(path, kind, f"unknown {what} '{name}'", at_value=at_value, symbol=name,
                   hint=(f"did you mean '{close}'? " if close else "") + listing)


def _value_length(rest: str) -> int:
    """The length of the TOML value that ``rest`` starts with, up to a comment.

    >>> # a '#' inside quotes is part of the value
    >>> _value_length('"w#1"  # the weight')
    5
    """
    comment = next((k for k, ch in unquoted(rest) if ch == "#"), len(rest))
    return len(rest[:comment].rstrip())
