"""Positions of keys and values in TOML text.

:mod:`tomllib` parses TOML but reports no positions, and our errors must name
file, line and column. :class:`TomlIndex` scans the raw text once and maps each
key path -- e.g. ``("equations", "h")`` or ``("printed", 3, "value")`` -- to
the position of its key and of its value. It understands what spec and example
files use: ``[table]`` and ``[[array.of.tables]]`` headers, ``key = value``
lines, one level of inline tables, and multi-line strings and arrays. A path it
cannot find falls back to its nearest located parent, so an error always has
the best position available.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..errors import Diagnostic, SpecError
from .suggest import did_you_mean

__all__ = ["Pos", "TomlIndex", "TomlReader", "check_keys", "load_named_spec", "read_toml",
           "toml_error_position", "unquoted"]

_BARE = r"[A-Za-z0-9_\-]+"
_KEY = rf"(?:{_BARE}|\"[^\"]*\"|'[^']*')"
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER_ARRAY = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_HEADER_TABLE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_KEYLINE = re.compile(rf"^(\s*)({_DOTTED})\s*=\s*")
_INLINE_KEY = re.compile(rf"({_BARE})\s*=\s*")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_Loaded = TypeVar("_Loaded")


@dataclass(frozen=True)
class Pos:
    """A 1-based position in a file; ``delim`` is the quote that opens a string value."""

    line: int
    col: int
    delim: str = ""


def _split_dotted(key: str) -> tuple[str, ...]:
    parts = re.findall(rf"{_KEY}", key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def toml_error_position(message: str) -> tuple[int, int]:
    """Line and column from a :class:`tomllib.TOMLDecodeError` message, or (0, 0)."""
    m = _TOML_POS.search(message)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def read_toml(text: str, file: str, index: TomlIndex, error: type) -> dict:
    """Parse TOML text; a syntax error becomes ``error`` with one located diagnostic.

    Arguments:
        text: the TOML source.
        file: its name, for the message.
        index: the :class:`TomlIndex` of ``text`` (for the caret line).
        error: the exception class to raise (``SpecError``, ``ExampleError``).
    """
    from ..errors import Diagnostic

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line, col = toml_error_position(str(e))
        msg = _TOML_POS.sub("", str(e)).rstrip()
        raise error(Diagnostic(
            kind="toml-syntax", message=f"invalid TOML: {msg}", file=file, line=line, col=col,
            source_line=index.line_text(line),
            hint="check quotes, brackets and '=' on this line (TOML syntax: https://toml.io)",
        )) from None
    except ValueError:  # tomllib converts integers with int(), which refuses > 4300 digits
        line, col, digits = _longest_number(text)
        raise error(Diagnostic(
            kind="too-large", message=f"invalid TOML: the number has {digits} digits, over "
            f"Python's limit of {sys.get_int_max_str_digits()} for reading an integer",
            file=file, line=line, col=col,
            source_line=index.line_text(line), span=digits,
            hint="numbers in spec, mapping and example files have at most 40 digits",
        )) from None
    except RecursionError:  # tomllib recurses once per level of nested arrays/inline tables
        line, col, depth = _deepest_bracket(text)
        raise error(Diagnostic(
            kind="too-large", message="invalid TOML: arrays or inline tables are nested too "
            "deeply to parse", file=file, line=line, col=col, source_line=index.line_text(line),
            details=(f"{depth} levels of [ and {{ are open here",),
            hint="spec, mapping and example files nest arrays at most two levels deep",
        )) from None


def _deepest_bracket(text: str) -> tuple[int, int, int]:
    """Line, column and depth of the first bracket at the deepest nesting of ``[`` and ``{``."""
    best = (0, 0, 0)
    depth = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        quote = ""
        for col, ch in enumerate(line, start=1):
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                break
            elif ch in "[{":
                depth += 1
                if depth > best[2]:
                    best = (lineno, col, depth)
            elif ch in "]}":
                depth -= 1
    return best


def _longest_number(text: str) -> tuple[int, int, int]:
    """Line, column and digit count of the longest number in ``text`` (``0x`` hex included)."""
    best = (0, 0, 0)
    for lineno, line in enumerate(text.splitlines(), start=1):
        for m in re.finditer(r"\b(0[xob])?([0-9][0-9A-Fa-f_]*|[0-9A-Fa-f_]+)", line):
            if not (m.group(1) or m.group(2)[0].isdigit()):
                continue
            digits = sum(ch != "_" for ch in m.group(2))
            if digits > best[2]:
                best = (lineno, m.start() + 1, digits)
    return best


class TomlIndex:
    """Index of key and value positions in one TOML document.

    Arguments:
        text: the TOML source.
    """

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines()
        self._keys: dict[tuple, Pos] = {}
        self._values: dict[tuple, Pos] = {}
        self._scan()

    # -- public ---------------------------------------------------------------
    def key(self, path: tuple) -> Pos:
        """Position of the key at ``path`` (or of its nearest located parent)."""
        return self._find(self._keys, path)

    def value(self, path: tuple) -> Pos:
        """Position of the value at ``path`` (or of its nearest located parent's key)."""
        if path in self._values:
            return self._values[path]
        return self._find(self._keys, path)

    def line_text(self, line: int) -> str | None:
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return None

    def string_position(self, path: tuple, lineno: int, col: int) -> Pos:
        """Map a position inside a string value to the file.

        Arguments:
            path: key path of the string value.
            lineno: 1-based line within the string's content.
            col: 0-based character offset within that content line.
        Returns:
            The 1-based file position (exact for strings without escapes).
        """
        start = self.value(path)
        if not start.delim:
            return Pos(start.line, start.col)
        first_col = start.col + len(start.delim)
        first_line = start.line
        if len(start.delim) == 3:
            rest = (self.line_text(start.line) or "")[first_col - 1 :]
            if rest.strip() == "":  # a newline right after the opening quotes is trimmed
                first_line, first_col = start.line + 1, 1
        if lineno <= 1:
            return Pos(first_line, first_col + col)
        return Pos(first_line + lineno - 1, 1 + col)

    # -- scanning -------------------------------------------------------------
    @staticmethod
    def _find(table: dict, path: tuple) -> Pos:
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            p = p[:-1]
        return Pos(1, 1)

    def _scan(self) -> None:
        table: tuple = ()
        array_counts: dict[tuple, int] = {}
        in_string: str | None = None
        depth = 0
        for lineno, raw in enumerate(self.lines, start=1):
            if in_string:
                if in_string in raw:
                    in_string = None
                continue
            if depth > 0:
                depth += self._bracket_delta(raw)
                continue
            line = raw.split("#", 1)[0] if '"' not in raw and "'" not in raw else raw
            m = _HEADER_ARRAY.match(line)
            if m:
                base = _split_dotted(m.group(1))
                idx = array_counts.get(base, 0)
                array_counts[base] = idx + 1
                table = base + (idx,)
                self._keys.setdefault(base, Pos(lineno, m.start(1) + 1))
                self._keys[table] = Pos(lineno, m.start(1) + 1)
                continue
            m = _HEADER_TABLE.match(line)
            if m:
                table = _split_dotted(m.group(1))
                for n in range(len(table) - 1, 0, -1):  # [a.b] under [[a]]: in a's last entry
                    if table[:n] in array_counts:
                        table = table[:n] + (array_counts[table[:n]] - 1,) + table[n:]
                        break
                self._keys[table] = Pos(lineno, m.start(1) + 1)
                continue
            m = _KEYLINE.match(raw)
            if not m:
                continue
            path = table + _split_dotted(m.group(2))
            self._keys[path] = Pos(lineno, m.start(2) + 1)
            vstart = m.end()
            rest = raw[vstart:]
            delim = ""
            for d in ('"""', "'''", '"', "'"):
                if rest.startswith(d):
                    delim = d
                    break
            self._values[path] = Pos(lineno, vstart + 1, delim)
            if len(delim) == 3 and rest.count(delim) < 2:
                in_string = delim
            elif rest.startswith("{"):
                for km in _INLINE_KEY.finditer(rest):
                    sub = path + (km.group(1),)
                    self._keys[sub] = Pos(lineno, vstart + km.start(1) + 1)
                    vpos = vstart + km.end()
                    d = raw[vpos : vpos + 1]
                    self._values[sub] = Pos(lineno, vpos + 1, d if d in "\"'" else "")
            elif rest.startswith("["):
                depth = self._bracket_delta(rest)

    @staticmethod
    def _bracket_delta(text: str) -> int:
        return sum({"[": 1, "]": -1}.get(ch, 0) for _, ch in unquoted(text))


def unquoted(line: str) -> Iterator[tuple[int, str]]:
    """The characters of one line of TOML outside quoted strings, up to a comment.

    Yields ``(offset, character)``; the quotes themselves are not yielded, and a ``#``
    outside quotes is yielded last: the comment it starts is not.

    >>> # the '#' and '[' inside the string are text, the last '#' starts a comment
    >>> "".join(ch for _, ch in unquoted('x = ["a#[", 1]  # note'))
    'x = [, 1]  #'
    """
    quote = ""
    for k, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        else:
            yield k, ch
            if ch == "#":
                return


class TomlReader:
    """The located diagnostics of one data file, collected to be raised together.

    The base of the mapping and worked-example readers, which add ``error(path, kind,
    message, *, at_value, symbol, hint)``: how they place and underline a key or a value.

    Arguments:
        text: the TOML source.
        file: its name, for the diagnostics and as the base of relative paths in it.
    """

    def __init__(self, text: str, file: str):
        self.file = file
        self.index = TomlIndex(text)
        self.items: list[Diagnostic] = []

    def unknown_key(self, path: tuple, allowed: dict, where: str = "") -> None:
        """An unknown key at ``path``: the closest allowed one, and all of them.

        ``where`` is said after the key ("in [[printed]] entry 2"), or nothing.
        """
        key = str(path[-1])
        close = did_you_mean(key, allowed)
        self.error(path, "unknown-key", f"unknown key '{key}'" + (f" {where}" if where else ""),
                   symbol=key, hint=(f"did you mean '{close}'? " if close else "")
                   + "allowed keys: " + ", ".join(allowed))


def check_keys(reader: TomlReader, data: dict, allowed: dict[str, str],
               required: tuple[str, ...], noun: str, where: str = "") -> None:
    """Every top-level key of a data file known, and every required one there.

    Arguments:
        reader: the file's reader; the problems go to it.
        data: the parsed TOML.
        allowed: ``{key: what it holds}``, for the hints.
        required: the keys the file must have.
        noun: what the file is, for the message ("the mapping has no 'spec'").
        where: said after an unknown key ("at the top level"), or nothing.
    """
    for key in data:
        if key not in allowed:
            reader.unknown_key((key,), allowed, where)
    for key in required:
        if key not in data:
            reader.error((), "missing-key", f"the {noun} has no '{key}'",
                         hint=f"add  {key} = ...  ({allowed[key]})")


def load_named_spec(reader: TomlReader, name: object,
                    load: Callable[[Path], _Loaded]) -> _Loaded | None:
    """The spec a data file's ``spec = ...`` names, loaded; None where it names none.

    Worked-example and mapping files name the spec they follow by a bundled name or a
    ``.toml`` path relative to the file (:func:`seqcheck.catalogue.referenced_spec`). A
    value that is not a string, or that names no spec, is recorded on ``reader`` as a
    located error at the value of ``spec``.

    Arguments:
        reader: the file's :class:`TomlReader`; the problems go to its ``error``.
        name: the value of ``spec`` as read.
        load: reads the spec at a path (``load_spec``, or a cache of it).
    Returns:
        What ``load`` returns, or None when a problem was recorded.
    Raises:
        SpecError: the named spec exists but is itself invalid (from ``load``).
    """
    # imported here: seqcheck.catalogue imports the spec package, which imports this module
    from ..catalogue import referenced_spec

    if not isinstance(name, str):
        reader.error(("spec",), "type-error", "'spec' must be a spec name or a path",
                     at_value=True, hint='spec = "lstm"')
        return None
    try:
        path = referenced_spec(name, reader.file)
    except SpecError as e:
        if e.first.kind != "unknown-spec":
            raise
        reader.error(("spec",), "unknown-spec", e.first.message, at_value=True, symbol=name,
                     hint=e.first.hint)
        return None
    return load(path)
