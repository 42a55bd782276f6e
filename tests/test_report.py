"""Derivation reports (seqcheck.report): the HTML, Markdown and LaTeX of every spec.

The HTML is parsed as XML; its math is counted against the spec's equations and an
independent count of the derived ones; the parameter count is recomputed from the
declared shapes; the worked-example table is held to check_example's verdicts and to the
NumPy oracle of test_example.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import torch
from test_example import SEED004, oracle_check

from seqcheck import catalogue, check_example, load_spec
from seqcheck.catalogue import reference_dir
from seqcheck.cli import main
from seqcheck.derive import derive
from seqcheck.derive.adjoint import state_jacobian
from seqcheck.derive.rules import DerivationError
from seqcheck.printing import text
from seqcheck.report import build_report, to_html, write_report

SPECS = catalogue.spec_names()
WITH_DYNAMICS = {"elman", "birnn"}  # one that is measured, one that says why it is not
_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?https?:""",
                  re.I)


class LeakyLSTMCell(torch.nn.LSTMCell):
    """torch's LSTM cell with its output scaled by 0.9: does not conform to seed 004."""

    def forward(self, input, hx=None):
        h, c = super().forward(input, hx)
        return 0.9 * h, c


def _parse(page: str) -> ET.Element:
    head, body = page.split("\n", 1)
    assert head == "<!DOCTYPE html>"
    return ET.fromstring(body)


def _derived_count(spec) -> int:
    """Adjoints, intermediate adjoints, parameter gradients and Jacobian blocks."""
    d = derive(spec)
    try:
        jac = len(state_jacobian(spec))
    except DerivationError:
        jac = 0
    temps = sum(len(e.temps) for e in d.equations)
    return len(spec.variables) + temps + len(spec.params) + jac


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {}


def _page(pages, name: str) -> str:
    if name not in pages:
        pages[name] = to_html(build_report(name, steps=2, dynamics=name in WITH_DYNAMICS))
    return pages[name]


@pytest.mark.parametrize("name", SPECS)
def test_html_of_every_spec_shows_every_equation_as_mathml(name, pages):
    spec = load_spec(name)
    page = _page(pages, name)
    root = _parse(page)
    display = [m for m in root.iter("math") if m.get("display") == "block"]
    assert len(display) == len(spec.equations) + _derived_count(spec)
    alts = {m.get("alttext") for m in display}
    for e in spec.equations:
        assert f"{text(spec.symbol(e.target))} = {text(e.expr)}" in alts, e.target
    figures = list(root.iter("figure"))
    assert figures and all(f.find("svg") is not None and f.find("figcaption") is not None
                           for f in figures)


@pytest.mark.parametrize("name", SPECS)
def test_html_is_self_contained(name, pages):
    page = _page(pages, name)
    root = _parse(page)
    assert not list(root.iter("script")) and not list(root.iter("link"))
    assert not _URL.search(page), _URL.search(page)
    for el in root.iter():
        for attr in ("src", "href"):
            value = el.get(attr)
            assert value is None or value.startswith("#"), (el.tag, value)
    assert root.find("head/style") is not None


@pytest.mark.parametrize("name", SPECS)
def test_parameter_count_is_the_sum_of_the_declared_shapes(name, pages):
    spec = load_spec(name)
    root = _parse(_page(pages, name))
    (count,) = [p for p in root.iter("p") if p.get("class") == "parameter-count-example"]
    words = "".join(count.itertext())
    sizes = {k: int(v) for k, v in re.findall(r"(\w+) = (\d+)", words)}
    shown = int(re.search(r": (\d+) parameters", words)[1])
    dims = {d.symbol: sizes[d.name] for d in spec.dims}
    independent = sum(int(np.prod([int(sp.sympify(s).subs(dims)) for s in p.shape]))
                      for p in spec.params.values())
    assert shown == independent == int(spec.parameter_count().subs(dims))
    # the formula as shown (its text form) is the spec's count
    (formula,) = [p for p in root.iter("p") if p.get("class") == "parameter-count"]
    first = next(formula.iter("math")).get("alttext")
    assert sp.sympify(first, {d.name: d.symbol for d in spec.dims}) == spec.parameter_count()


def test_a_spec_that_cannot_be_measured_says_why(pages):
    root = _parse(_page(pages, "birnn"))
    (p,) = [p for p in root.iter("p") if p.get("class") == "dynamics-skipped"]
    assert "backward-in-time chain" in "".join(p.itertext())


def test_a_measured_spec_has_the_dynamics_figure(pages):
    root = _parse(_page(pages, "elman"))
    ids = [f.get("id") for f in root.iter("figure")]
    assert ids == ["figure-graph", "figure-dynamics"]
    (table,) = [t for t in root.iter("table") if t.get("class") == "dynamics"]
    verdicts = [row.findall("td")[-1].text for row in table.find("tbody")]
    assert len(verdicts) == 3 and set(verdicts) <= {"vanishing", "stable", "exploding"}


def _floats(cell: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+", cell)])


@pytest.mark.parametrize("name", SEED004)
def test_worked_example_table_matches_check_example_and_the_oracle(name):
    report = check_example(name)
    root = _parse(to_html(build_report("lstm", steps=1, example=report, dynamics=False)))
    (table,) = [t for t in root.iter("table") if t.get("class") == "worked-example"]
    rows = [[td.text or "" for td in tr.findall("td")] for tr in table.find("tbody")]
    expected = oracle_check(reference_dir() / f"{name}.toml")
    assert len(rows) == len(report.entries) == len(expected)
    for row, entry, (exact, oracle_ok) in zip(rows, report.entries, expected):
        assert row[-1] == entry.verdict
        assert (row[-1] in ("ok", "ok (inconsistent with printed operands)")) == oracle_ok
        shown = row[4].split("argmax", 1)[-1]
        np.testing.assert_allclose(_floats(shown), np.ravel(exact),
                                   atol=0.5 * 10.0 ** -(entry.decimals + 2) + 1e-12, rtol=0)


def _outside_code(md: str) -> str:
    return re.sub(r"^```.*?^```", "", md, flags=re.S | re.M)


def test_markdown_math_pairs_up_and_figure_links_exist(tmp_path):
    doc = build_report("elman", steps=2, example=None)
    (md_path, *figures) = write_report(doc, tmp_path / "elman.md")
    md = md_path.read_text(encoding="utf-8")
    dollars = re.findall(r"(?<!\\)\$", _outside_code(md))
    assert len(dollars) % 2 == 0
    fences = re.findall(r"^\$\$$", md, flags=re.M)  # each display formula opens and closes
    assert len(fences) == 2 * len([m for m in doc.math() if m.display])
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert links == ["elman_files/graph.svg", "elman_files/dynamics.svg"]
    for link in links:
        assert (tmp_path / link).read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert sorted(figures) == sorted(tmp_path / link for link in links)


def test_latex_escapes_text(tmp_path):
    tex = write_report(build_report("lstm_peephole", steps=1, dynamics=False),
                       tmp_path / "r.tex")[0].read_text(encoding="utf-8")
    assert r"lstm\_peephole" in tex
    prose = re.sub(r"\$[^$]*\$|\\begin\{(equation|multline)\*\}.*?\\end\{\1\*\}|"
                   r"\\includegraphics[^\n]*", "", tex, flags=re.S)
    assert not re.search(r"(?<!\\)_", prose)


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not on PATH: the LaTeX output cannot be compiled here")
@pytest.mark.parametrize("name, example", [("lstm", "seed004_lstm_1dec"), ("birnn", None)])
def test_latex_compiles(name, example, tmp_path):
    write_report(build_report(name, steps=2, example=example, dynamics=False),
                 tmp_path / f"{name}.tex")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                          f"{name}.tex"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("suffix", [".html", ".md", ".tex"])
def test_two_builds_are_byte_identical(suffix, tmp_path):
    outputs = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        files = write_report(build_report("elman", steps=2), tmp_path / run / f"elman{suffix}")
        outputs.append([(f.relative_to(tmp_path / run), f.read_bytes()) for f in files])
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == (1 if suffix == ".html" else 3)


def test_jupyter_representations():
    spec = load_spec("lstm")
    html = spec._repr_html_()
    assert "<math" in html
    ET.fromstring(html)
    assert spec._repr_latex_().startswith("$$\\begin{aligned}")
    d = derive(spec)
    assert len(list(ET.fromstring(d._repr_html_()).iter("math"))) == _derived_count(spec)
    report = check_example("seed004_lstm_2dec")
    rows = ET.fromstring(report._repr_html_()).find(".//tbody")
    assert len(rows) == len(report.entries)
    assert report._repr_latex_().count(r"\\") == len(report.entries)  # header + rows - 1


def test_cli_writes_and_exits(tmp_path, capsys):
    out = tmp_path / "lstm.html"
    assert main(["report", "lstm", "-o", str(out), "--no-dynamics", "--steps", "2"]) == 0
    assert "<math" in out.read_text(encoding="utf-8")
    assert main(["report", "no_such_spec", "-o", str(out)]) == 2
    assert main(["report", "lstm", "-o", str(tmp_path / "lstm.pdf")]) == 2
    err = capsys.readouterr().err
    assert "no bundled spec named 'no_such_spec'" in err
    assert "the suffix picks the format, one of .html, .md, .tex" in err
    assert "Traceback" not in err


def test_a_new_format_is_one_renderer_and_one_row_of_writers(tmp_path, monkeypatch):
    """docs/architecture.md, "A new report format": a row in report.write.WRITERS is enough
    for write_report and for `seqcheck report -o NAME.<suffix>`."""
    from seqcheck.report import write

    def outline(doc, figures_dir):  # the section titles, one per line
        return "\n".join(s.title for s in doc.sections) + "\n"

    monkeypatch.setitem(write.WRITERS, ".txt", write.Format(outline))
    out = tmp_path / "gru.txt"
    assert main(["report", "gru", "-o", str(out), "--no-dynamics", "--steps", "2"]) == 0
    titles = [s.title for s in build_report("gru", steps=2, dynamics=False).sections]
    assert out.read_text(encoding="utf-8").splitlines() == titles and len(titles) > 2


def test_cli_verify_of_a_nonconforming_target_writes_the_report_and_exits_1(tmp_path):
    out = tmp_path / "lstm.html"
    code = main(["report", "lstm", "-o", str(out), "--no-dynamics", "--steps", "1",
                 "--verify", "test_report:LeakyLSTMCell"])
    assert code == 1
    root = _parse(out.read_text(encoding="utf-8"))
    (p,) = [p for p in root.iter("p") if p.get("class") == "verify-verdict"]
    assert "does not conform" in "".join(p.itertext())
    assert "counterexample" in "".join(root.find(".//section[@id='verify']/pre").itertext())


def test_building_a_report_does_not_load_matplotlib():
    probe = ("import sys, seqcheck.report\n"
             "seqcheck.report.build_report('elman', dynamics=False)\n"
             "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent)
    assert out.stdout.strip() == "False"


def test_long_display_formulas_break_at_top_level_terms():
    from seqcheck.report.latex import _LINE, _top_level_terms, display_math
    from seqcheck.report.model import Math

    assert _top_level_terms(r"a + \left(b - c\right) - x_{t-1} + \frac{d}{e + f}") == [
        "a", r"+ \left(b - c\right)", "- x_{t-1}", r"+ \frac{d}{e + f}"]
    # the LSTM's state Jacobian block dh_t/dh_{t-1}: a dozen terms, broken over lines
    doc = build_report("lstm", steps=1, dynamics=False)
    blocks = [b for s in doc.sections for b in s.blocks if isinstance(b, Math) and b.display]
    lines = [display_math(b) for b in blocks]
    broken = [ln for ln in lines if ln[0] == r"\begin{multline*}"]
    assert broken, "no formula of the LSTM report needed breaking"
    for ln in broken:  # one term may be longer than a line; a line never holds two then
        body = ln[1].split(" \\\\\n")
        assert len(body) > 1
        assert all(len(part) <= _LINE or len(_top_level_terms(part)) == 1 for part in body)
