"""Document -> Markdown for GitHub and Jupyter: ``$…$`` and ``$$…$$`` math (LaTeX from
:mod:`.latex`), pipe tables, and figures written as SVG files into ``figures_dir`` and
linked relatively (``lstm_files/graph.svg``).

Every ``$`` in text is escaped, so the math delimiters are the only ones and they pair up.
"""

from __future__ import annotations

from pathlib import Path

from .latex import latex_math
from .model import Code, Document, Figure, Math, Paragraph, Table

__all__ = ["to_markdown", "escape_markdown"]

_ESCAPE = {c: "\\" + c for c in "\\`*_$|<>[]#"}


def escape_markdown(text: str) -> str:
    r"""Plain text with Markdown's special characters escaped.

    >>> escape_markdown("seed004_lstm_1dec costs $5")
    'seed004\\_lstm\\_1dec costs \\$5'
    """
    return "".join(_ESCAPE.get(c, c) for c in text)


def _math(m: Math, in_table: bool = False) -> str:
    tex = latex_math(m)
    if in_table:  # a pipe would end the cell
        tex = tex.replace("|", r"\vert ")
    return f"${tex}$"


def _inline(parts) -> str:
    return "".join(_math(p) if isinstance(p, Math) else escape_markdown(p) for p in parts)


def _cell(c) -> str:
    return _math(c, in_table=True) if isinstance(c, Math) else escape_markdown(str(c))


def _table(t: Table) -> list[str]:
    out = [f"*{escape_markdown(t.caption)}*", ""] if t.caption else []
    out.append("| " + " | ".join(escape_markdown(h) or " " for h in t.header) + " |")
    out.append("|" + "---|" * len(t.header))
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows]
    return out + [""]


def _block(b, figures_dir: Path, link: str) -> list[str]:
    if isinstance(b, Paragraph):
        return [_inline(b.parts), ""]
    if isinstance(b, Math):
        return ["$$", latex_math(b), "$$", ""]
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Figure):
        (figures_dir / f"{b.name}.svg").write_text(b.svg(), encoding="utf-8")
        return [f"![{escape_markdown(b.alt)}]({link}/{b.name}.svg)", "",
                f"*{escape_markdown(b.caption)}*", ""]
    if isinstance(b, Code):
        fence = "````" if "```" in b.text else "```"
        return [fence + b.language, b.text, fence, ""]
    raise TypeError(f"no Markdown for a {type(b).__name__}")


def to_markdown(doc: Document, figures_dir: str | Path) -> str:
    """The document as Markdown; figures are written to ``figures_dir`` as SVG.

    Arguments:
        doc: from :func:`~seqcheck.report.build_report`.
        figures_dir: a directory (created if missing) next to the ``.md`` file; the links
            are relative to its parent.
    Returns:
        The Markdown text.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    link = figures_dir.name
    out = [f"# {escape_markdown(doc.title)}", ""]
    for s in doc.sections:
        out += [f"## {escape_markdown(s.title)}", ""]
        for b in s.blocks:
            out += _block(b, figures_dir, link)
    return "\n".join(out).rstrip("\n") + "\n"
