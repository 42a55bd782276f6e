"""Derivation reports: Spec -> Document (``build``) -> HTML, Markdown or LaTeX."""

from .build import build_report
from .html import to_html
from .latex import to_latex
from .markdown import to_markdown
from .model import Code, Document, Figure, Math, Paragraph, Partial, Section, Table
from .write import write_report

__all__ = [
    "Code",
    "Document",
    "Figure",
    "Math",
    "Paragraph",
    "Partial",
    "Section",
    "Table",
    "build_report",
    "to_html",
    "to_latex",
    "to_markdown",
    "write_report",
]
