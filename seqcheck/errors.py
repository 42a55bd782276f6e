"""The one exception family of seqcheck.

Every error a user can cause derives from :class:`SeqcheckError`. Errors about a
file carry a :class:`Diagnostic` per problem found -- file, line, column, the
equation and symbol involved, and a hint saying how to fix it -- so that a
linter run reports every problem at once and nothing is lost. The CLI prints
``str(error)`` without a traceback and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "SeqcheckError",
    "Diagnostic",
    "SpecError",
    "ExampleError",
    "CompileError",
    "ShapeError",
    "CheckFailed",
]


class SeqcheckError(Exception):
    """Base class of every error seqcheck raises on bad input or a failed check."""


@dataclass(frozen=True)
class Diagnostic:
    """One located problem in a spec, example or other input file.

    Arguments:
        kind: short stable code, e.g. ``"unknown-symbol"`` or ``"shape-mismatch"``.
        message: one sentence saying what is wrong.
        file: path of the file as given by the user (``"<string>"`` for text).
        line, col: 1-based position; 0 when unknown.
        equation: target of the equation involved, if any.
        symbol: the offending name, if any.
        hint: how to fix it.
        source_line: the line of text the position points into, for the caret display.
        span: number of characters to underline from ``col``.
        details: further lines (shapes, dim bindings, cycles).
    """

    kind: str
    message: str
    file: str = "<string>"
    line: int = 0
    col: int = 0
    equation: str | None = None
    symbol: str | None = None
    hint: str | None = None
    source_line: str | None = None
    span: int = 1
    details: tuple[str, ...] = field(default_factory=tuple)

    def location(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file

    def format(self) -> str:
        """Render as a compiler-style multi-line message."""
        lines = [f"{self.location()}: error[{self.kind}]: {self.message}"]
        if self.source_line is not None and self.line:
            text, col = _window(self.source_line.rstrip("\n"), self.col)
            lines.append(f"  {self.line:>4} | {text}")
            if col:
                span = max(1, min(self.span, len(text) - col + 1))
                lines.append(f"       | {' ' * (col - 1)}{'^' * span}")
        lines.extend(f"  {d}" for d in self.details)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "equation": self.equation,
            "symbol": self.symbol,
            "hint": self.hint,
            "details": list(self.details),
        }


_WIDTH = 100


def _window(text: str, col: int) -> tuple[str, int]:
    """At most about ``_WIDTH`` characters of ``text`` around ``col`` (1-based), and the new col."""
    if len(text) <= _WIDTH:
        return text, col
    start = max(0, min(col - 1 - _WIDTH // 2, len(text) - _WIDTH))
    piece = text[start : start + _WIDTH]
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + _WIDTH < len(text) else ""
    return prefix + piece + suffix, (col - start + len(prefix)) if col else 0


def _of_first(field: str) -> property:
    """A read-only attribute of an error: that field of its first diagnostic."""
    return property(lambda self: getattr(self.diagnostics[0], field),
                    doc=f"The first diagnostic's ``{field}``.")


class _DiagnosticError(SeqcheckError):
    """An error made of one or more located diagnostics."""

    noun = "input"

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = (diagnostics,)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        if not self.diagnostics:
            raise ValueError("an error needs at least one diagnostic")
        super().__init__(self._render())

    def _render(self) -> str:
        body = "\n".join(d.format() for d in self.diagnostics)
        n = len(self.diagnostics)
        if n > 1:
            body += f"\n{n} errors in {self.noun} {self.file}"
        return body

    # The first diagnostic's location, for callers that want one answer.
    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]

    kind = _of_first("kind")
    file = _of_first("file")
    line = _of_first("line")
    col = _of_first("col")
    symbol = _of_first("symbol")
    equation = _of_first("equation")


class SpecError(_DiagnosticError):
    """A spec file (or spec text) is malformed or inconsistent."""

    noun = "spec"


class ExampleError(_DiagnosticError):
    """A worked-example file is malformed or does not fit its spec."""

    noun = "example"


class CompileError(SeqcheckError):
    """A spec cannot be compiled by a backend (e.g. an op the backend cannot print)."""


class ShapeError(SeqcheckError):
    """Arrays passed to a compiled spec do not fit the declared shapes.

    The message lists every declared shape and the binding of every dim, so the
    mismatch can be read off directly.
    """


class CheckFailed(SeqcheckError):
    """Raised by callers who chose to turn a failed check result into an exception."""

    def __init__(self, result, message: str | None = None):
        self.result = result
        super().__init__(message or str(result))
