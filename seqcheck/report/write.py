"""Stage: Document -> a file, the format picked by the suffix (.html, .md, .tex).

Figures of a Markdown or LaTeX document go into ``<stem>_files/`` next to it
(``lstm.md`` links ``lstm_files/graph.svg``); an HTML page holds its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SeqcheckError
from ..paths import output_path
from .html import to_html
from .latex import to_latex
from .markdown import to_markdown
from .model import Document

__all__ = ["write_report", "Format", "WRITERS", "FORMATS"]


@dataclass(frozen=True)
class Format:
    """One output format of a report.

    Arguments:
        render: ``render(doc, figures_dir) -> text``; a format with figure files writes
            them into ``figures_dir`` (``<stem>_files/``), one per ``doc.figures()``.
        figures: the suffix of those figure files, or None if the text holds its figures.
    """

    render: Callable[[Document, Path], str]
    figures: str | None = None


#: suffix -> format; a new format is one renderer module and one row here.
WRITERS: dict[str, Format] = {
    ".html": Format(lambda doc, _: to_html(doc)),
    ".md": Format(to_markdown, ".svg"),
    ".tex": Format(to_latex, ".pdf"),
}
FORMATS = tuple(WRITERS)  # the suffixes, for listings


def check_path(path: str | Path) -> Path:
    """A known suffix and an existing directory, checked before any work is done.

    >>> try:
    ...     check_path("report.pdf")
    ... except SeqcheckError as e:
    ...     print(e)
    cannot write a report to 'report.pdf': the suffix picks the format, one of .html, .md, .tex
    """
    return output_path(path, WRITERS, "report")


def write_report(doc: Document, path: str | Path) -> list[Path]:
    """Write ``doc`` to ``path`` as HTML, Markdown or LaTeX (by suffix).

    Arguments:
        doc: from :func:`~seqcheck.report.build_report`.
        path: ``*.html``, ``*.md`` or ``*.tex``.
    Returns:
        Every file written, the document first, then its figures.
    Raises:
        SeqcheckError: another suffix, or a directory that does not exist.
    """
    path = check_path(path)
    fmt = WRITERS[path.suffix.lower()]
    figures_dir = path.with_name(f"{path.stem}_files")
    text = fmt.render(doc, figures_dir)
    figures = [figures_dir / f"{f.name}{fmt.figures}" for f in doc.figures()] if fmt.figures else []
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise SeqcheckError(f"cannot write the report to {str(path)!r}: "
                            f"{e.strerror or e}") from None
    return [path, *figures]
