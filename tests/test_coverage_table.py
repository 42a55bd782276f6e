"""docs/coverage.md: the table of the lectures' equations and what encodes each one.

The file is parsed, never imported or rendered. Its format is documented at its top:
one ``## Seed NNN — `NNN_<hash>.txt` (...)`` section per lecture, each with one table of
four columns ``| place | formula | encoded by | note |``.

What is checked:

1. Every numbered equation of seed 000 (1-49) and of seed 004 (1-98) has a row. A place
   cell that starts with ``eq. (a)–(b)`` (more numbers or ranges may follow, separated by
   commas) covers every number from a to b.
2. Every reference in an "encoded by" cell resolves: ``specs/NAME.toml`` is a catalogue
   spec (``seqcheck.catalogue.spec_names()``), ``specs/literal/NAME.toml`` one of
   ``literal_paths()``, ``specs/formulas/seedNNN.toml#ID`` a formula of that transcription
   (``seqcheck errata`` checks it), ``reference/NAME.toml`` a worked example, ``tests/test_x.py`` a
   file, ``tests/test_x.py::test_name`` a function defined in that file (found with
   ``ast``, the test module is not imported), ``entry:NAME`` a catalogue entry
   (``seqcheck.models.entry_names()``), ``seqcheck.MODULE:name`` an attribute of that
   module. Anything else in the cell is an error.
3. Every source of every catalogue spec and entry appears in the section of its lecture.
   Matching rule: a row *cites* a spec when its "encoded by" cell holds
   ``specs/NAME.toml`` (an entry: ``entry:NAME`` or the entry's ``target``). Then
   - a numbered label (all digits, e.g. ``"26"``) needs a citing row whose place covers
     that number;
   - a label with ``=`` (a whole printed formula) needs a citing row with a formula code
     span that contains the label, whitespace ignored;
   - any other label (a left-hand side such as ``"h~(n)"`` or ``"i"``) needs a citing row
     with a formula code span that starts with the label followed by ``=``, whitespace
     ignored;
   - a source without labels (a slide named for a model it prints no equation of) needs a
     citing row.
   The section's file name must be the source's file name.
4. Every row has a place, a formula and either at least one reference or ``—`` with a note
   starting ``prose only:`` and giving a reason; nothing says TODO.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from seqcheck import load_spec
from seqcheck.catalogue import example_names, literal_paths, spec_names
from seqcheck.errata.formulas import load_formulas
from seqcheck.models import entry, entry_names

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "coverage.md"
SEEDS = ("000", "001", "002", "003", "004")
NUMBERED = {"000": range(1, 50), "004": range(1, 99)}

HEADING = re.compile(r"^## Seed (\d{3}) — `(\d{3}_[0-9a-f]+\.txt)`")
PLACE_EQ = re.compile(r"^eqs?\.\s*((?:\(\d+\)(?:\s*[–-]\s*\(\d+\))?(?:\s*,\s*)?)+)")
NUMBER = re.compile(r"\((\d+)\)(?:\s*[–-]\s*\((\d+)\))?")
CODE = re.compile(r"`([^`]+)`")
PATH_REF = re.compile(r"^(?P<path>(?:specs/(?:literal/|formulas/)?|reference/)\w+\.toml|"
                      r"tests/\w+\.py)(?:::(?P<func>\w+)|#(?P<formula>[a-z0-9-]+))?$")
ENTRY_REF = re.compile(r"^entry:(?P<name>\w+)$")
PY_REF = re.compile(r"^(?P<module>seqcheck(?:\.\w+)+):(?P<attr>\w+)$")
PROSE = "prose only:"


@dataclass(frozen=True)
class Row:
    seed: str
    line: int
    place: str
    formula: str
    encoded: str
    note: str

    @property
    def numbers(self) -> frozenset[int]:
        m = PLACE_EQ.match(self.place)
        if not m:
            return frozenset()
        out: set[int] = set()
        for a, b in NUMBER.findall(m.group(1)):
            out.update(range(int(a), int(b or a) + 1))
        return frozenset(out)

    @property
    def formulas(self) -> tuple[str, ...]:
        return tuple(CODE.findall(self.formula))

    @property
    def refs(self) -> tuple[str, ...]:
        return () if self.encoded == "—" else tuple(CODE.findall(self.encoded))

    def where(self) -> str:
        return f"docs/coverage.md:{self.line} (seed {self.seed}, {self.place!r})"


def _cells(line: str) -> list[str]:
    parts = re.split(r"(?<!\\)\|", line.strip())
    return [p.strip().replace("\\|", "|") for p in parts[1:-1]]


@functools.cache
def parse() -> tuple[dict[str, str], tuple[Row, ...]]:
    """(seed -> file name of its section, every table row), in file order."""
    files: dict[str, str] = {}
    rows: list[Row] = []
    seed = None
    header_seen = False
    for n, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("## "):
            m = HEADING.match(line)
            seed = m.group(1) if m else None
            if m:
                assert seed not in files, f"line {n}: a second section for seed {seed}"
                files[seed] = m.group(2)
            header_seen = False
            continue
        if seed is None or not line.startswith("|"):
            continue
        cells = _cells(line)
        assert len(cells) == 4, f"line {n}: {len(cells)} cells, expected 4: {line}"
        if not header_seen:
            assert cells == ["place", "formula", "encoded by", "note"], f"line {n}: {cells}"
            header_seen = True
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        rows.append(Row(seed, n, *cells))
    return files, tuple(rows)


def rows_of(seed: str) -> tuple[Row, ...]:
    return tuple(r for r in parse()[1] if r.seed == seed)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def label_in(label: str, row: Row) -> bool:
    want = _squash(label)
    formulas = [_squash(f) for f in row.formulas]
    if "=" in want:
        return any(want in f for f in formulas)
    return any(f.startswith(want + "=") for f in formulas)


@functools.cache
def _functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(n.name for n in ast.walk(tree)
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))


def resolve(ref: str) -> str | None:
    """None when ``ref`` resolves, else why not."""
    if m := PATH_REF.match(ref):
        path, func = m.group("path"), m.group("func")
        if not (ROOT / path).is_file():
            return f"no file {path}"
        stem = Path(path).stem
        if path.startswith("specs/literal/"):
            if stem not in {p.stem for p in literal_paths()}:
                return f"{path} is not a literal transcription"
        elif path.startswith("specs/formulas/"):
            ids = {f.id for f in load_formulas(ROOT / path)}
            if m.group("formula") not in ids:
                return f"{path} has no formula '{m.group('formula')}'"
        elif path.startswith("specs/"):
            if stem not in spec_names():
                return f"{stem} is not a catalogue spec"
        elif path.startswith("reference/"):
            if stem not in example_names():
                return f"{stem} is not a worked example"
        if func is not None:
            if not path.startswith("tests/"):
                return f"'::{func}' after a file that is not a test file"
            if func not in _functions(path):
                return f"{path} defines no function {func}"
        return None
    if m := ENTRY_REF.match(ref):
        return None if m.group("name") in entry_names() else f"no catalogue entry {m.group('name')}"
    if m := PY_REF.match(ref):
        try:
            module = importlib.import_module(m.group("module"))
        except ImportError as e:
            return f"cannot import {m.group('module')}: {e}"
        if not hasattr(module, m.group("attr")):
            return f"{m.group('module')} has no {m.group('attr')}"
        return None
    return "not a reference this table knows (path, entry:NAME or seqcheck.MODULE:name)"


# -- 0. the structure ---------------------------------------------------------------------

def test_one_section_per_lecture_each_with_rows():
    files, rows = parse()
    assert sorted(files) == list(SEEDS)
    for seed in SEEDS:
        assert files[seed].startswith(seed + "_")
        assert rows_of(seed), f"seed {seed} has no rows"
    assert len(rows) == sum(len(rows_of(s)) for s in SEEDS)


# -- 1. numbered equations ------------------------------------------------------------------

@pytest.mark.parametrize("seed", sorted(NUMBERED))
def test_every_numbered_equation_has_a_row(seed):
    covered = set().union(*(r.numbers for r in rows_of(seed)))
    expected = set(NUMBERED[seed])
    assert not expected - covered, f"seed {seed}: no row for eq. {sorted(expected - covered)}"
    assert not covered - expected, f"seed {seed}: rows for unknown eq. {sorted(covered - expected)}"


def test_the_place_parser_reads_ranges_and_lists():
    row = Row("004", 0, "eq. (51)–(52), (57)–(58), (63)–(66), 1-decimal walk-through", "", "", "")
    assert row.numbers == {51, 52, 57, 58, 63, 64, 65, 66}
    assert Row("000", 0, "eq. (29), RNN considerations", "", "", "").numbers == {29}
    assert Row("002", 0, "LSTM Step-by-Step: Step (1); Step (2)", "", "", "").numbers == set()


# -- 2. references resolve ------------------------------------------------------------------

def test_every_reference_resolves():
    problems = []
    for row in parse()[1]:
        stray = CODE.sub("", row.encoded).replace(",", "").strip()
        if row.encoded != "—" and stray:
            problems.append(f"{row.where()}: text outside references: {stray!r}")
        for ref in row.refs:
            if (why := resolve(ref)) is not None:
                problems.append(f"{row.where()}: `{ref}`: {why}")
    assert not problems, "\n".join(problems)


def test_the_resolver_refuses_what_does_not_exist():
    assert resolve("specs/lstm.toml") is None
    assert resolve("tests/test_example.py::test_flagged_entries_match_the_oracle") is None
    assert resolve("specs/no_such_spec.toml") == "no file specs/no_such_spec.toml"
    assert "defines no function" in resolve("tests/test_example.py::test_no_such_test")
    assert resolve("entry:no_such_entry") == "no catalogue entry no_such_entry"
    assert "has no" in resolve("seqcheck.dynamics.theory:no_such_function")
    assert "not a reference" in resolve("lstm")
    assert "has no formula 'no-such-id'" in resolve("specs/formulas/seed000.toml#no-such-id")
    assert resolve("specs/formulas/seed000.toml#eq44-attention-weights") is None


# -- 3. every source of the catalogue appears -----------------------------------------------

def _sources():
    for name in spec_names():
        for src in load_spec(name).sources:
            yield f"spec {name}", {f"specs/{name}.toml"}, src
    for name in entry_names():
        e = entry(name)
        for src in e.sources:
            yield f"entry {name}", {f"entry:{name}", e.target}, src


def test_every_catalogue_source_label_has_a_row():
    files, _ = parse()
    problems = []
    for what, cites, src in _sources():
        seed = src.file[:3]
        if files.get(seed) != src.file:
            problems.append(f"{what}: source file {src.file} has no section")
            continue
        citing = [r for r in rows_of(seed) if cites & set(r.refs)]
        if not citing:
            problems.append(f"{what}: no row of seed {seed} cites it ({src.where!r})")
            continue
        for label in src.equations:
            if label.isdigit():
                ok = any(int(label) in r.numbers for r in citing)
            else:
                ok = any(label_in(label, r) for r in citing)
            if not ok:
                problems.append(f"{what}: label {label!r} of seed {seed} ({src.where!r}) "
                                "is in no row that cites it")
    assert not problems, "\n".join(problems)


def test_the_label_rule():
    row = Row("003", 0, "x", "`h~(n) = tanh(W h(n-1))`; `y_t = g(U[h->_t; h<-_t] + c)`", "", "")
    assert label_in("h~(n)", row)
    assert label_in("y_t = g(U[h->_t;h<-_t] + c)", row)
    assert not label_in("h(n)", row)  # a left-hand side matches only at the start of a span
    assert not label_in("h<-_t", row)


# -- 4. every row says something --------------------------------------------------------------

def test_every_row_is_encoded_or_explained():
    problems = []
    for row in parse()[1]:
        if not row.place or not row.formula:
            problems.append(f"{row.where()}: empty place or formula")
        if row.encoded == "—":
            reason = row.note[len(PROSE):].strip() if row.note.startswith(PROSE) else ""
            if len(reason) < 20:
                problems.append(f"{row.where()}: prose only without a reason")
        elif not row.refs:
            problems.append(f"{row.where()}: 'encoded by' is neither references nor '—'")
        elif row.note.startswith(PROSE):
            problems.append(f"{row.where()}: prose only, yet it cites references")
    assert not problems, "\n".join(problems)
    assert "TODO" not in TABLE.read_text(encoding="utf-8")
