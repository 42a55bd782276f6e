"""Output paths, checked before any work is done: the suffix picks the format, and the
directory must exist. Used by every writer of a file (reports, plots).

>>> try:
...     output_path("notes/figure.pdf", (".png", ".svg"), "plot", picks="extension")
... except SeqcheckError as e:
...     print(e)
cannot write a plot to 'notes/figure.pdf': the extension picks the format, one of .png, .svg
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import SeqcheckError

__all__ = ["output_path"]


def output_path(path: str | Path, formats: Iterable[str], what: str, *,
                picks: str = "suffix") -> Path:
    """``path`` as a Path, if its suffix (any case) is one of ``formats`` and its
    directory exists; else a :class:`SeqcheckError` naming ``what`` is written
    (``"report"``) and, for the suffix, the formats to choose from."""
    path, formats = Path(path), tuple(formats)
    if path.suffix.lower() not in formats:
        raise SeqcheckError(f"cannot write a {what} to {str(path)!r}: the {picks} picks the "
                            f"format, one of {', '.join(formats)}")
    if not path.parent.is_dir():
        raise SeqcheckError(f"cannot write the {what} to {str(path)!r}: directory "
                            f"{str(path.parent)!r} does not exist")
    return path
