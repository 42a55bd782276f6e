"""How the commands print: JSON with one indentation, or a result's own text.

Every command that reports has ``--json``; its JSON is the result's ``as_dict()``,
printed by :func:`dump_json`.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

__all__ = ["Reported", "dump_json", "print_result"]


class Reported(Protocol):
    """A check's result: JSON-able as ``as_dict()``, readable as ``format_text()``."""

    def as_dict(self) -> dict: ...

    def format_text(self) -> str: ...


def dump_json(obj: Any) -> None:
    """Print ``obj`` as JSON, indented by two, non-ASCII characters as they are.

    >>> dump_json({"h": "∂L/∂h_t"})
    {
      "h": "∂L/∂h_t"
    }
    """
    print(json.dumps(obj, indent=2, ensure_ascii=False))


def print_result(result: Reported, as_json: bool) -> None:
    """Print ``result`` as JSON (``--json``) or as its text."""
    if as_json:
        dump_json(result.as_dict())
    else:
        print(result.format_text())
