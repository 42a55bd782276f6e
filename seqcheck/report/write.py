"""Stage: Document -> a file, the format picked by the suffix (.html, .md, .tex).

Figures of a Markdown or LaTeX document go into ``<stem>_files/`` next to it
(``lstm.md`` links ``lstm_files/graph.svg``); an HTML page holds its own.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SeqcheckError
from .model import Document

__all__ = ["write_report", "FORMATS"]

FORMATS = (".html", ".md", ".tex")


def check_path(path: str | Path) -> Path:
    """A known suffix and an existing directory, checked before any work is done.

    >>> try:
    ...     check_path("report.pdf")
    ... except SeqcheckError as e:
    ...     print(e)
    cannot write a report to 'report.pdf': the suffix picks the format, one of .html, .md, .tex
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise SeqcheckError(f"cannot write a report to {str(path)!r}: the suffix picks the "
                            f"format, one of {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise SeqcheckError(f"cannot write the report to {str(path)!r}: directory "
                            f"{str(path.parent)!r} does not exist")
    return path


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
    suffix = path.suffix.lower()
    figures_dir = path.with_name(f"{path.stem}_files")
    if suffix == ".html":
        from .html import to_html

        text, figures = to_html(doc), []
    elif suffix == ".md":
        from .markdown import to_markdown

        text = to_markdown(doc, figures_dir)
        figures = [figures_dir / f"{f.name}.svg" for f in doc.figures()]
    else:
        from .latex import to_latex

        text = to_latex(doc, figures_dir)
        figures = [figures_dir / f"{f.name}.pdf" for f in doc.figures()]
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise SeqcheckError(f"cannot write the report to {str(path)!r}: "
                            f"{e.strerror or e}") from None
    return [path, *figures]
