"""The format-neutral document model of a report: built once, rendered to HTML, Markdown
or LaTeX.

A :class:`Document` is a title and a tuple of :class:`Section` s; a section holds blocks:
:class:`Paragraph` (inline text and :class:`Math`), display :class:`Math`,
:class:`Table`, :class:`Figure` and :class:`Code`. Every value is immutable. Math keeps
the SymPy expression, so that each renderer prints it with its own printer (MathML,
LaTeX) and a text form serves as alt text. A figure keeps a callable that draws a
matplotlib Figure, rendered to SVG or PDF on demand with fixed metadata, so that the same
document gives byte-identical files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import SeqcheckError

__all__ = ["Partial", "Math", "Paragraph", "Table", "Figure", "Code", "Section", "Document",
           "Block", "figure_svg", "figure_pdf"]



@dataclass(frozen=True)
class Partial:
    """The left-hand side ∂of/∂wrt of a gradient or Jacobian.

    Arguments:
        of: the differentiated name (``"L"``: the loss, no time index).
        wrt: the name differentiated by.
        of_time: ``of`` carries the time index t.
        wrt_offset: the time offset of ``wrt``, or ``None`` for a parameter (no index).
    """

    of: str
    wrt: str
    of_time: bool = False
    wrt_offset: int | None = None

    def text(self) -> str:
        """``∂L/∂W_f`` or ``∂c_t/∂c_{t-1}``.

        >>> Partial("c", "c", True, -1).text()
        '∂c_t/∂c_{t-1}'
        """
        of = f"{self.of}_t" if self.of_time else self.of
        if self.wrt_offset is None:
            wrt = self.wrt
        else:
            wrt = f"{self.wrt}_t" if self.wrt_offset == 0 else \
                f"{self.wrt}_{{t{self.wrt_offset:+d}}}"
        return f"∂{of}/∂{wrt}"


@dataclass(frozen=True)
class Math:
    """A formula: a SymPy expression, optionally the right-hand side of ``lhs = ...``.

    Arguments:
        expr: the SymPy expression.
        display: a block formula (else inline).
        lhs: a SymPy expression, a :class:`Partial`, or ``None``.
        sum_t: the right-hand side is summed over t (``∂L/∂W = Σ_t ...``).
        variables: names printed with a time index (``h`` → h_t).
    """

    expr: object
    display: bool = False
    lhs: object = None
    sum_t: bool = False
    variables: frozenset = field(default_factory=frozenset)

    def text(self) -> str:
        """The one-line text form (alt text; seqcheck.printing.text).

        >>> import sympy as sp
        >>> Math(sp.Symbol("H") * 4, lhs=sp.Symbol("n")).text()
        'n = 4*H'
        """
        from ..printing import text

        rhs = ("Σ_t " if self.sum_t else "") + text(self.expr)
        if self.lhs is None:
            return rhs
        lhs = self.lhs.text() if isinstance(self.lhs, Partial) else text(self.lhs)
        return f"{lhs} = {rhs}"


@dataclass(frozen=True)
class Paragraph:
    """Running text: ``parts``, a tuple of ``str`` and inline :class:`Math` pieces in
    order; ``role`` is an identifier a renderer may attach (an HTML ``id``), e.g.
    ``"parameter-count"``."""

    parts: tuple
    role: str = ""


@dataclass(frozen=True)
class Table:
    """A table whose cells are ``str`` or :class:`Math`.

    Arguments:
        header: the column titles.
        rows: one tuple of cells per row, each as long as ``header``.
        caption: one line above the table.
        role: an identifier a renderer may attach (``"worked-example"``).
    """

    header: tuple[str, ...]
    rows: tuple[tuple, ...]
    caption: str = ""
    role: str = ""

    def __post_init__(self):
        for row in self.rows:
            if len(row) != len(self.header):
                raise SeqcheckError(f"table {self.caption!r}: a row has {len(row)} cells, "
                                    f"the header {len(self.header)}")


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure drawn on demand.

    Arguments:
        name: a file stem (``"graph"``): figures written next to a document are
            ``NAME.svg`` / ``NAME.pdf``.
        draw: a callable returning a ``matplotlib.figure.Figure``.
        caption: the caption.
        alt: the text alternative (what the figure shows, in words).
    """

    name: str
    draw: Callable[[], object] = field(repr=False)
    caption: str
    alt: str

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.name):
            raise SeqcheckError(f"figure name {self.name!r}: letters, digits, '_' and '-' only")

    def svg(self) -> str:
        return figure_svg(self.draw())

    def pdf(self) -> bytes:
        return figure_pdf(self.draw())


@dataclass(frozen=True)
class Code:
    """Preformatted text (a check's own report)."""

    text: str
    language: str = ""


@dataclass(frozen=True)
class Section:
    """A titled list of blocks: paragraphs, display math, tables, figures and code, in
    order, under the heading ``title``; ``role`` is an identifier a renderer may attach
    (an HTML ``id``)."""

    title: str
    blocks: tuple
    role: str = ""


#: What a section holds.
Block = Paragraph | Math | Table | Figure | Code


@dataclass(frozen=True)
class Document:
    """A whole report.

    Arguments:
        title: the document title.
        sections: in order.
        ok: ``False`` if a check the report shows failed (verify); the CLI's exit status.
    """

    title: str
    sections: tuple[Section, ...]
    ok: bool = True

    def math(self) -> list[Math]:
        """Every :class:`Math` of the document, in order (in paragraphs and tables too)."""
        out = []
        for s in self.sections:
            for b in s.blocks:
                if isinstance(b, Math):
                    out.append(b)
                elif isinstance(b, Paragraph):
                    out += [p for p in b.parts if isinstance(p, Math)]
                elif isinstance(b, Table):
                    out += [c for r in b.rows for c in r if isinstance(c, Math)]
        return out

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def figure_svg(fig) -> str:
    """A matplotlib Figure as SVG text, reproducibly (:func:`seqcheck.report.figures.render`)."""
    from .figures import render

    return render(fig, "svg").decode("utf-8")


def figure_pdf(fig) -> bytes:
    """A matplotlib Figure as PDF bytes, reproducibly (no dates, no producer)."""
    from .figures import render

    return render(fig, "pdf")
