"""Rich display in Jupyter of specs, derivations and check results, built from the
report's sections (:mod:`.build`) and registered with :mod:`seqcheck.display` when this
module is imported (``import seqcheck`` imports it), so the classes' ``_repr_html_`` and
``_repr_latex_`` find them while the lower stages never import the report.

HTML is a fragment (no page around it); LaTeX is what Jupyter hands to MathJax: one
``$$…$$`` block, an ``aligned`` list of equations or an ``array`` table.
"""

from __future__ import annotations

from ..checks.example import ExampleReport
from ..checks.verify import VerifyResult
from ..derive.adjoint import Derivation
from ..display import register
from ..spec.model import Spec
from .build import (
    bptt_section,
    equations_section,
    example_section,
    parameters_section,
    verify_section,
)
from .html import section_html
from .latex import escape_latex, latex_math
from .model import Math, Section, Table

__all__ = ["spec_html", "spec_latex", "derivation_html", "derivation_latex", "example_html",
           "example_latex", "verify_html", "verify_latex"]


def _html(title: str, sections) -> str:
    out = [f'<div class="seqcheck"><strong>{_esc(title)}</strong>']
    for s in sections:
        out += section_html(s)
    return "\n".join(out + ["</div>"])


def _esc(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def _aligned(section: Section) -> str:
    rows = []
    for b in section.blocks:
        if isinstance(b, Math) and b.display:
            tex = latex_math(b)
            rows.append(tex.replace(" = ", " &= ", 1) if " = " in tex else tex)
    return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"


def _array(table: Table) -> str:
    def cell(c):
        return latex_math(c) if isinstance(c, Math) else rf"\text{{{escape_latex(str(c))}}}"

    head = " & ".join(rf"\textbf{{{escape_latex(h)}}}" for h in table.header)
    rows = [" & ".join(cell(c) for c in row) for row in table.rows]
    cols = "l" * len(table.header)
    return (f"$$\\begin{{array}}{{{cols}}}\n{head} \\\\ \\hline\n" + " \\\\\n".join(rows)
            + "\n\\end{array}$$")


def spec_html(spec) -> str:
    """A spec's equations, inputs, states and parameters, as an HTML fragment with MathML.

    >>> from seqcheck import load_spec
    >>> "<math" in spec_html(load_spec("gru"))
    True
    """
    return _html(f"{spec.name}: {spec.title}", [equations_section(spec),
                                                parameters_section(spec)])


def spec_latex(spec) -> str:
    """A spec's equations as one ``aligned`` block."""
    return _aligned(equations_section(spec))


def derivation_html(d) -> str:
    """The BPTT equations of a Derivation as an HTML fragment."""
    return _html(f"{d.spec.name}: BPTT", [bptt_section(d.spec, d)])


def derivation_latex(d) -> str:
    """The BPTT equations of a Derivation as one ``aligned`` block."""
    return _aligned(bptt_section(d.spec, d))


def example_html(report) -> str:
    """A worked-example check as an HTML table."""
    return _html(f"worked example {report.example.file}", [example_section(None, report)])


def example_latex(report) -> str:
    """A worked-example check as a LaTeX array (t, value, printed, exact, verdict)."""
    table = next(b for b in example_section(None, report).blocks if isinstance(b, Table))
    keep = [0, 1, 3, 4, 5]  # the 'where' column is long prose
    return _array(Table(tuple(table.header[i] for i in keep),
                        tuple(tuple(r[i] for i in keep) for r in table.rows)))


def verify_html(result) -> str:
    """A verify result: its verdict and report, as HTML."""
    return _html(f"verify {result.target}", [verify_section(None, result)[0]])


def verify_latex(result) -> str:
    """A verify result as a LaTeX array, one line of its report per row."""
    lines = result.format_text().splitlines()
    return _array(Table(("verify",), tuple((line,) for line in lines)))


for _cls, _html_of, _latex_of in ((Spec, spec_html, spec_latex),
                                   (Derivation, derivation_html, derivation_latex),
                                   (ExampleReport, example_html, example_latex),
                                   (VerifyResult, verify_html, verify_latex)):
    register(_cls, "text/html", _html_of)
    register(_cls, "text/latex", _latex_of)
