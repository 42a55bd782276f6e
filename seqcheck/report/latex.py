"""Document -> a LaTeX article that compiles with a standard TeX installation (pdflatex).

Packages: amsmath, amssymb, graphicx, longtable, alltt (all in every TeX
distribution). Figures are written as PDF files into ``figures_dir`` and included with
``\\includegraphics``. All text is escaped (``seed004_lstm_1dec`` → ``seed004\\_lstm\\_1dec``),
and non-ASCII characters become LaTeX commands, so that pdflatex never meets a
character it has no glyph for.

:class:`ReportLatexPrinter` is :class:`seqcheck.printing.MathPrinter` with one subscript
per symbol (``h_{fwd,t}``, not ``h_{fwd}_t``, which TeX rejects as a double subscript).
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from ..printing import MathPrinter, split_ref, time_label
from .mathml import precedence
from .model import Code, Document, Figure, Math, Paragraph, Partial, Table

__all__ = ["to_latex", "ReportLatexPrinter", "latex_math", "escape_latex"]

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "%": r"\%", "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}",
            "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}"}
_UNICODE = {"∂": r"\partial", "δ": r"\delta", "σ": r"\sigma", "ρ": r"\rho", "γ": r"\gamma",
            "ℓ": r"\ell", "Σ": r"\Sigma", "∑": r"\sum", "Δ": r"\Delta", "⊙": r"\odot",
            "‖": r"\|", "→": r"\rightarrow", "←": r"\leftarrow", "×": r"\times",
            "·": r"\cdot", "≥": r"\geq", "≤": r"\leq", "≈": r"\approx", "−": "-",
            "∘": r"\circ", "ᵀ": r"^{\top}", "α": r"\alpha", "β": r"\beta", "η": r"\eta",
            "θ": r"\theta", "λ": r"\lambda", "μ": r"\mu", "τ": r"\tau", "φ": r"\phi",
            "ω": r"\omega", "₀": "_0", "₁": "_1", "₂": "_2", "∞": r"\infty", "±": r"\pm"}
_TEXT_UNICODE = {"—": "---", "–": "--", "’": "'", "‘": "`", "“": "``", "”": "''",
                 "…": r"\dots{}", "é": r"\'e", "ü": r"\"u", "ö": r"\"o", "ä": r"\"a"}


def escape_latex(text: str) -> str:
    """Plain text made safe for LaTeX: special characters escaped, non-ASCII ones as
    commands (a character without one is written as its code point).

    >>> print(escape_latex("seed004_lstm_1dec: 5% of ∂L"))
    seed004\\_lstm\\_1dec: 5\\% of \\ensuremath{\\partial}L
    """
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ord(ch) < 128:
            out.append(ch)
        elif ch in _TEXT_UNICODE:
            out.append(_TEXT_UNICODE[ch])
        elif ch in _UNICODE:
            out.append(rf"\ensuremath{{{_UNICODE[ch]}}}")
        else:
            out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


class ReportLatexPrinter(MathPrinter):
    """MathPrinter with a single subscript per symbol, so that TeX accepts every formula."""

    def parenthesize(self, item, level, is_neg=False, strict=False):
        # the class-based precedence of .mathml: SymPy's evaluates matrix products
        p = precedence(item)
        if is_neg and strict:
            return self._add_parens(self._print(item))
        if p < level or (not strict and p <= level):
            return self._add_parens(self._print(item))
        return self._print(item)

    def _print_MatMul(self, expr):
        # SymPy's asks could_extract_minus_sign(), which evaluates the product: too slow
        args = list(expr.args)
        sign = ""
        if getattr(args[0], "is_Number", False) and args[0] < 0:
            sign = "- "
            args = args[1:] if args[0] == -1 else [-args[0], *args[1:]]
        level = precedence(expr)
        return sign + " ".join(self._print(a) if isinstance(a, sp.Mul) else
                               self.parenthesize(a, level) for a in args)

    def _timed(self, base: str, offset: int) -> str:
        if base.endswith("_tilde"):
            return rf"\tilde{{{self.latex_name(base[:-6])}}}_{{{time_label(offset)}}}"
        head, _, tail = base.partition("_")
        head = self.latex_name(head)
        return f"{head}_{{{tail + ',' if tail else ''}{time_label(offset)}}}"

    def _symbol(self, name: str, scalar_param=False) -> str:
        base, off = split_ref(name)
        if base.startswith("dl_d"):
            return (rf"\frac{{\partial \ell_{{t}}}}{{\partial {self._timed(base[4:], 0)}}}")
        if base.startswith(("adj_", "d_")) or not self.time_indexed(base):
            return super()._symbol(name, scalar_param)
        return self._timed(base, off)

    def _print_MatrixSlice(self, expr):
        (start, stop, _), _ = expr.rowslice, expr.colslice
        return rf"{{{self.parenthesize(expr.parent, 60)}}}_{{[{self._print(start)}:" \
               rf"{self._print(stop)}]}}"

    def partial(self, p: Partial) -> str:
        of = self._timed(p.of, 0) if p.of_time else self.latex_name(p.of)
        wrt = self.latex_name(p.wrt) if p.wrt_offset is None else self._timed(p.wrt, p.wrt_offset)
        return rf"\frac{{\partial {of}}}{{\partial {wrt}}}"


def latex_math(m: Math) -> str:
    """The LaTeX of a :class:`Math`, without delimiters.

    >>> # the bidirectional RNN's forward chain (seed 000 eq. 23): one subscript per symbol
    >>> from seqcheck import load_spec
    >>> spec = load_spec("birnn")
    >>> e = spec.equation("h_fwd")
    >>> latex_math(Math(e.expr, lhs=spec.symbol("h_fwd"), variables=frozenset(spec.variables)))
    'h_{fwd,t} = \\\\tanh\\\\left(V_{fwd} h_{fwd,t-1} + W_{fwd} x + b_{fwd}\\\\right)'
    """
    p = ReportLatexPrinter()
    p._variables = frozenset(m.variables)
    rhs = (r"\sum_t " if m.sum_t else "") + p.doprint(m.expr)
    if m.lhs is None:
        return rhs
    lhs = p.partial(m.lhs) if isinstance(m.lhs, Partial) else p.doprint(m.lhs)
    return f"{lhs} = {rhs}"


_LINE = 110  # characters of LaTeX source per line of a broken display formula


def _top_level_terms(tex: str) -> list[str]:
    r"""``a + b - c`` split before each ``+``/``-`` outside braces and \left...\right."""
    terms, depth, start, k = [], 0, 0, 0
    while k < len(tex):
        if tex.startswith(r"\left", k) and not tex[k + 5:k + 6].isalpha():
            depth, k = depth + 1, k + 5
            continue
        if tex.startswith(r"\right", k) and not tex[k + 6:k + 7].isalpha():
            depth, k = depth - 1, k + 6
            continue
        ch = tex[k]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch in "+-" and depth == 0 and k > 0 and tex[k - 1] == " " and tex[k + 1:k + 2] == " ":
            terms.append(tex[start:k].rstrip())
            start = k
        k += 1
    terms.append(tex[start:].strip())
    return [t for t in terms if t]


def display_math(m: Math) -> list[str]:
    r"""A display formula: ``equation*``, or ``multline*`` broken at top-level ``+``/``-``
    when it would run past the margin (a state Jacobian of the LSTM has a dozen terms).

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> print(*display_math(Math(a + b, lhs=sp.Symbol("y"))), sep="\n")
    \begin{equation*}
    y = a + b
    \end{equation*}
    """
    tex = latex_math(m)
    if len(tex) <= _LINE:
        return [r"\begin{equation*}", tex, r"\end{equation*}"]
    lines, current = [], ""
    for term in _top_level_terms(tex):
        if current and len(current) + len(term) > _LINE:
            lines.append(current)
            current = term
        else:
            current = f"{current} {term}".strip()
    lines.append(current)
    if len(lines) == 1:
        return [r"\begin{equation*}", tex, r"\end{equation*}"]
    return [r"\begin{multline*}", " \\\\\n".join(lines), r"\end{multline*}"]


def _inline(parts) -> str:
    return "".join(f"${latex_math(p)}$" if isinstance(p, Math) else escape_latex(p)
                   for p in parts)


def _cell(c) -> str:
    return f"${latex_math(c)}$" if isinstance(c, Math) else escape_latex(str(c))


def _table(t: Table) -> list[str]:
    width = 0.92 / len(t.header)
    spec = "".join(rf"p{{{width:.3f}\linewidth}}" for _ in t.header)
    out = [r"{\small", rf"\begin{{longtable}}{{{spec}}}"]
    if t.caption:
        out.append(rf"\caption*{{{escape_latex(t.caption)}}}\\")
    out += [r"\hline", " & ".join(rf"\textbf{{{escape_latex(h)}}}" for h in t.header) + r" \\",
            r"\hline", r"\endhead"]
    out += [" & ".join(_cell(c) for c in row) + r" \\" for row in t.rows]
    out += [r"\hline", r"\end{longtable}", "}"]
    return out


def _block(b, figures_dir: Path, link: str) -> list[str]:
    if isinstance(b, Paragraph):
        return [_inline(b.parts), ""]
    if isinstance(b, Math):
        return display_math(b)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Figure):
        (figures_dir / f"{b.name}.pdf").write_bytes(b.pdf())
        return [r"\begin{figure}[htbp]", r"\centering",
                rf"\includegraphics[width=\linewidth,height=0.8\textheight,keepaspectratio]"
                rf"{{{link}/{b.name}.pdf}}",
                rf"\caption{{{escape_latex(b.caption)}}}", r"\end{figure}", ""]
    if isinstance(b, Code):
        return [r"\begin{alltt}\small", escape_latex(b.text), r"\end{alltt}"]
    raise TypeError(f"no LaTeX for a {type(b).__name__}")


def to_latex(doc: Document, figures_dir: str | Path) -> str:
    """The document as a LaTeX article; figures are written to ``figures_dir`` as PDF.

    Arguments:
        doc: from :func:`~seqcheck.report.build_report`.
        figures_dir: a directory (created if missing) next to the ``.tex`` file; the
            ``\\includegraphics`` paths are relative to its parent.
    Returns:
        The ``.tex`` text.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    link = figures_dir.name
    out = [r"\documentclass[10pt]{article}", r"\usepackage[T1]{fontenc}",
           r"\usepackage[margin=2cm]{geometry}", r"\usepackage{amsmath,amssymb}",
           r"\usepackage{graphicx}", r"\usepackage{longtable}", r"\usepackage{alltt}",
           r"\usepackage{caption}", r"\allowdisplaybreaks", r"\sloppy",
           rf"\title{{{escape_latex(doc.title)}}}", r"\date{}", r"\begin{document}",
           r"\maketitle", ""]
    for s in doc.sections:
        out += [rf"\section{{{escape_latex(s.title)}}}", ""]
        for b in s.blocks:
            out += _block(b, figures_dir, link)
        out.append("")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
