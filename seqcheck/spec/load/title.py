"""A spec's title without loading it: its layers read and merged, no equation typed."""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostics
from .layers import merge, read_layers, read_source

__all__ = ["spec_title"]


def spec_title(source: str | Path) -> str:
    """The title of a spec (its own or the one it inherits) without typing its equations:
    what ``seqcheck list`` shows, at a few milliseconds a file.

    Raises:
        SpecError: unknown name, unreadable file, invalid TOML, unknown keys or bases.

    >>> spec_title("gru_cho")
    'GRU of Cho et al. 2014: reset applied to h before the recurrent product'
    """
    text, path = read_source(source)
    diags = Diagnostics()
    layers = read_layers(text, str(path), diags)
    diags.raise_if_any()
    title = merge(layers, diags).scalars.get("title")
    diags.raise_if_any()
    return title.value if title is not None and isinstance(title.value, str) else ""
