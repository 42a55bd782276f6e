"""The live line: what a long command is doing, and how far it is, on a terminal.

A command that runs for more than a second or two (verify, identify, conformance, bench,
dynamics, report, errata) shows one line on stderr, rewritten in place (``\\r\\033[K``)
as the work goes on, e.g. ``verify: case 12/25`` or ``conformance: entry 3/40 torch LSTM
(num_layers=2, float32): case 7/25``, and erases it when it ends, also when it fails.

The line is shown only where stderr is a terminal (and not ``TERM=dumb``) and the command
prints text: under ``--json``, or with stderr a pipe, a file or a CI log, nothing at all
is written, so that output stays byte for byte what it is without a live line. Lines a
command prints to stderr for good (conformance's verdict per row, bench's line before
each measurement) go through :func:`echo`, which erases the live line first; the next
one is drawn below them.

A line is the state :func:`live_line` yields, handed to :func:`show`, :func:`echo` and
:func:`callback` (the CLI holds no classes). The library takes plain callbacks
(``progress=``, ``status=``) and knows nothing of terminals; :func:`callback` makes one,
or ``None`` where nothing is shown, so that the library runs exactly as it does without.

>>> with live_line("verify", stream=sys.stdout) as live:  # here, not a terminal
...     echo(live, "a line for good")
...     print(callback(live, str))
a line for good
None
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

__all__ = ["ERASE", "DEFAULT_COLUMNS", "Line", "live_line", "show", "echo", "clear",
           "callback", "is_terminal"]

#: Back to the start of the line, and clear it to its end.
ERASE = "\r\033[K"

#: Columns assumed where the terminal does not say how wide it is.
DEFAULT_COLUMNS = 80

#: A live line: ``{"command": name it starts with, "stream": where it is written,
#: "active": whether anything is drawn, "text": what it says now ("" while erased)}``.
Line = dict[str, Any]


def is_terminal(stream) -> bool:
    """True for a stream that is an interactive terminal able to clear a line."""
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty()) if isatty is not None else False
    except (OSError, ValueError):  # a closed or detached stream
        return False
    return tty and os.environ.get("TERM") != "dumb"


def _columns(stream) -> int:
    """The width of the terminal behind ``stream`` (:data:`DEFAULT_COLUMNS` if unknown)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (AttributeError, OSError, ValueError):
        return DEFAULT_COLUMNS


@contextlib.contextmanager
def live_line(command: str, *, enabled: bool = True,
              stream: TextIO | None = None) -> Iterator[Line]:
    """A live line for ``command``, erased on leaving the block, also on an error.

    Arguments:
        command: the name the line starts with (``"verify"`` -> ``verify: case 3/25``).
        enabled: False draws nothing whatever the stream (``--json``).
        stream: where to write; default ``sys.stderr`` as it is when the block starts.
    """
    stream = sys.stderr if stream is None else stream
    line = {"command": command, "stream": stream,
            "active": enabled and is_terminal(stream), "text": ""}
    try:
        yield line
    finally:
        clear(line)


def show(line: Line, text: str) -> None:
    """Rewrite the line to say ``command: text``, on one line and cut to the terminal's
    width, so that it never wraps (``\\r`` could not take a wrapped line back)."""
    if not line["active"]:
        return
    text = " ".join(text.splitlines())
    drawn = f"{line['command']}: {text}"
    width = _columns(line["stream"]) - 1
    if len(drawn) > width:
        drawn = drawn[:max(width - 3, 0)] + "..."
    line["text"] = text
    line["stream"].write(ERASE + drawn)
    line["stream"].flush()


def echo(line: Line, text: str) -> None:
    """Print ``text`` on stderr for good, as ``print(text, file=sys.stderr)`` does; on a
    terminal the live line is erased first, and the next :func:`show` draws it below."""
    clear(line)
    print(text, file=line["stream"], flush=True)


def clear(line: Line) -> None:
    """Erase the line, if it shows anything."""
    if line["active"] and line["text"]:
        line["stream"].write(ERASE)
        line["stream"].flush()
        line["text"] = ""


def callback(line: Line, describe: Callable[..., str]) -> Callable[..., None] | None:
    """A callback for the library that shows ``describe(*args)``; None where nothing is
    drawn, so that the library runs as it does without one.

    ``callback(live, lambda k, n: f"candidate {k}/{n}")(3, 24)`` shows ``identify:
    candidate 3/24`` on the line of ``identify``.
    """
    if not line["active"]:
        return None
    return lambda *args: show(line, describe(*args))
