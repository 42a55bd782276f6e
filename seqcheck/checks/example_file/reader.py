"""Where a worked-example file's problems are: :class:`ExampleReader`.

It turns a key or value path of the TOML text into a located
:class:`~seqcheck.errors.Diagnostic` and collects them, so that every problem of a file
is raised together as one :class:`~seqcheck.errors.ExampleError`. What it shares with the
mapping reader is :class:`~seqcheck.spec.locate.TomlReader`.
"""

from __future__ import annotations

from ...errors import Diagnostic
from ...spec.locate import TomlReader

__all__ = ["ExampleReader"]


class ExampleReader(TomlReader):
    """Collects located diagnostics for one example file."""

    def error(self, path: tuple, kind: str, message: str, *, at_value=False, symbol=None,
              equation=None, hint=None, details=(), span=None) -> None:
        """Record a diagnostic at the key at ``path``, or at its value; ``()`` is the file."""
        if not path:  # the file as a whole
            self.items.append(Diagnostic(kind=kind, message=message, file=self.file,
                                         symbol=symbol, hint=hint, details=tuple(details)))
            return
        pos = self.index.value(path) if at_value else self.index.key(path)
        line_text = self.index.line_text(pos.line)
        if span is None:
            if at_value and line_text is not None:  # underline the value up to a comment
                rest = line_text[pos.col - 1:]
                rest = rest.split("#", 1)[0] if '"' not in rest else rest
                span = len(rest.rstrip())
            else:  # the key, or the name of a [[table]] header
                span = len(str(path[-1] if isinstance(path[-1], str) else path[-2]))
        self.items.append(Diagnostic(
            kind=kind, message=message, file=self.file, line=pos.line, col=pos.col,
            equation=equation, symbol=symbol, hint=hint, source_line=line_text,
            span=max(1, span), details=tuple(details)))
