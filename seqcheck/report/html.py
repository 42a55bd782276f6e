"""Document -> one self-contained HTML file: MathML math, inline SVG figures, inline CSS.

The file renders offline in any current browser: no ``<script>``, no external
stylesheet, font or image. Math is presentation MathML (:mod:`.mathml`), display
formulas ``<math display="block">``, each with its text form as ``alttext``. Figures are
``<svg>`` inside ``<figure>`` with a ``<figcaption>``. The output is also well-formed XML
(XHTML-compatible: every element closed, character references only), so that tests
parse it with :mod:`xml.etree.ElementTree`.
"""

from __future__ import annotations

import re
from html import escape

from .mathml import MathMLPrinter
from .model import Code, Document, Figure, Math, Paragraph, Partial, Section, Table

__all__ = ["to_html", "math_html", "inline_svg"]

_CSS = """\
body { font-family: Georgia, 'DejaVu Serif', serif; line-height: 1.5; color: #222;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; border-bottom: 1px solid #ccc; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; }
math[display="block"] { margin: .6rem 0; overflow-x: auto; overflow-y: hidden; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
caption { text-align: left; font-style: italic; padding-bottom: .3rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
figure { margin: 1rem 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #444; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: .85rem; }
p.note { color: #444; font-size: .95rem; }
"""

_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\bid="([^"]+)"')


def math_html(m: Math) -> str:
    """A :class:`Math` as a ``<math>`` element, with its text form as ``alttext``.

    >>> # the LSTM's four weight blocks of one row: 4 H, with an invisible times (U+2062)
    >>> import sympy as sp
    >>> math_html(Math(sp.Symbol("H") * 4)).replace("\u2062", "&#x2062;")
    '<math alttext="4*H"><mrow><mn>4</mn><mo>&#x2062;</mo><mi>H</mi></mrow></math>'
    """
    p = MathMLPrinter(m.variables)
    if m.lhs is None and not m.sum_t:
        body = p.doprint(m.expr)
    else:
        if isinstance(m.lhs, Partial):
            lhs = p.partial(m.lhs.of, m.lhs.wrt, m.lhs.of_time, m.lhs.wrt_offset)
        else:
            lhs = p._print(m.lhs)
        body = p.serialize(p.equation(lhs, m.expr, m.sum_t))
    display = ' display="block"' if m.display else ""
    return f'<math{display} alttext="{escape(m.text())}">{body}</math>'


def inline_svg(svg: str, prefix: str) -> str:
    """matplotlib's SVG file made an inline element: no XML prologue, no metadata, no
    namespace URLs (HTML puts ``<svg>`` in its namespace), plain ``href`` for
    ``xlink:href``, and every generated id prefixed so that two figures never share one
    (ids with a ``:``, the figures' own gids such as ``node:h@2``, are kept)."""
    svg = _METADATA.sub("", _PROLOGUE.sub("", svg))
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg, count=0)
    svg = svg.replace("xlink:href=", "href=")
    ids = [i for i in _ID.findall(svg) if ":" not in i]
    for i in sorted(set(ids), key=len, reverse=True):
        svg = svg.replace(f'id="{i}"', f'id="{prefix}{i}"')
        svg = svg.replace(f'"#{i}"', f'"#{prefix}{i}"').replace(f"url(#{i})",
                                                                f"url(#{prefix}{i})")
    return svg.strip()


def _inline(parts) -> str:
    return "".join(math_html(p) if isinstance(p, Math) else escape(p, quote=False)
                   for p in parts)


def _cell(c, tag: str) -> str:
    inner = math_html(c) if isinstance(c, Math) else escape(str(c), quote=False)
    return f"<{tag}>{inner}</{tag}>"


def _table(t: Table) -> list[str]:
    role = f' class="{escape(t.role)}"' if t.role else ""
    out = [f"<table{role}>"]
    if t.caption:
        out.append(f"<caption>{escape(t.caption, quote=False)}</caption>")
    out.append("<thead><tr>" + "".join(_cell(h, "th") for h in t.header) + "</tr></thead>")
    out.append("<tbody>")
    out += ["<tr>" + "".join(_cell(c, "td") for c in row) + "</tr>" for row in t.rows]
    out.append("</tbody></table>")
    return out


def _block(b) -> list[str]:
    if isinstance(b, Paragraph):
        role = f' class="{escape(b.role)}"' if b.role else ""
        return [f"<p{role}>{_inline(b.parts)}</p>"]
    if isinstance(b, Math):
        return [math_html(b)]
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Figure):
        return [f'<figure id="figure-{b.name}" role="img" aria-label="{escape(b.alt)}">',
                inline_svg(b.svg(), f"{b.name}-"),
                f"<figcaption>{escape(b.caption, quote=False)}</figcaption>", "</figure>"]
    if isinstance(b, Code):
        return [f"<pre><code>{escape(b.text, quote=False)}</code></pre>"]
    raise TypeError(f"no HTML for a {type(b).__name__}")


def section_html(s: Section) -> list[str]:
    role = f' id="{escape(s.role)}"' if s.role else ""
    out = [f"<section{role}>", f"<h2>{escape(s.title, quote=False)}</h2>"]
    for b in s.blocks:
        out += _block(b)
    out.append("</section>")
    return out


def to_html(doc: Document) -> str:
    """The document as one self-contained HTML page.

    Arguments:
        doc: from :func:`~seqcheck.report.build_report`.
    Returns:
        The page's text (UTF-8, well-formed XML after the doctype).

    >>> # the Elman RNN's report, parsed as XML: every equation is a <math> element
    >>> import xml.etree.ElementTree as ET
    >>> from seqcheck.report import build_report
    >>> page = to_html(build_report("elman", dynamics=False))
    >>> root = ET.fromstring(page.split("\\n", 1)[1])
    >>> len(root.findall(".//math")) > 10, "<script" in page
    (True, False)
    """
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8"/>',
           '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
           f"<title>{escape(doc.title, quote=False)}</title>",
           f"<style>\n{_CSS}</style>", "</head>", "<body>", "<main>",
           f"<h1>{escape(doc.title, quote=False)}</h1>"]
    for s in doc.sections:
        out += section_html(s)
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
