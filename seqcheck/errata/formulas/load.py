"""Reading a formula transcription (``specs/formulas/seedNNN.toml``) into :class:`Formula`
values, with located errors: every key known, every expression parsed by the grammar,
every name declared. An index the printed formula leaves unbound is not an error of the
file: it is a finding about the formula (:func:`free_indices`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import Diagnostic, SpecError
from ...spec.grammar import ExprError
from ...spec.locate import TomlIndex, read_toml
from ...spec.suggest import did_you_mean
from .evaluate import Let, node_texts
from .grammar import CONSTANTS, FUNCTIONS, parse_formula, reduction_indices, uses

__all__ = ["Formula", "ArraySpec", "KINDS", "DRAWS", "load_formulas", "free_indices"]

#: What a formula is, for the report: every kind is checked the same way, by its claim.
KINDS = {
    "identity": "two printed forms of one quantity are equal",
    "sum": "a sum or product over its printed index range, against what it computes",
    "bound": "an inequality or implication, as a property of drawn values",
    "probability": "normalisation and positivity of a printed distribution",
    "update": "an update formula with its printed parenthesisation",
}
#: How an array's entries are drawn.
DRAWS = ("real", "integer", "positive", "binary", "probability", "orthogonal")
_TOP = {"seed": "the seed file, e.g. \"000_bdb039f7b454a225.txt\"",
        "formula": "[[formula]] entries"}
_KEYS = {"id": "a name unique in the file", "place": "where it is printed",
         "kind": " | ".join(KINDS), "printed": "the printed formula, verbatim",
         "claim": "the printed formula as a statement", "problem": "what is wrong",
         "corrected": "the corrected form", "corrected_claim": "the corrected form as a "
         "statement", "sizes": "{ N = [lo, hi] }", "for_all": "{ i = [\"1\", \"N\"] }",
         "arrays": "[formula.arrays]", "let": "[formula.let]",
         "corrected_let": "[formula.corrected_let]", "examples": "drawn cases (default 100)",
         "note": "free text"}
_ARRAY_KEYS = ("shape", "draw", "low", "high", "base")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_NAME = r"[A-Za-z_]\w*"
_LET_KEY = re.compile(rf"\s*({_NAME})\s*(?:\[\s*({_NAME}(?:\s*,\s*{_NAME})*)\s*\])?\s*\Z")
_MAX_SIZE = 12


@dataclass(frozen=True)
class ArraySpec:
    """A drawn array: its shape and index origin (trees over the sizes), how its entries
    are drawn, and their range."""

    name: str
    shape: tuple[ast.expr, ...]
    base: tuple[ast.expr, ...] | None
    draw: str
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Formula:
    """One printed formula of a lecture, transcribed.

    Arguments:
        id, place, kind, printed, problem, corrected: as in the file.
        seed: the seed file. transcription: ``specs/formulas/seedNNN.toml#id``.
        sizes: ``{name: (lo, hi)}``. arrays: ``{name: ArraySpec}``.
        for_all: ``{index: (lo tree, hi tree)}``, in order.
        lets, corrected_lets: the definitions each claim reads.
        claim, corrected_claim: the parsed statements (``corrected_claim`` None when the
            formula is not an erratum).
        examples: drawn cases to search.
        texts: the source text of every node, by ``id(node)``.
    """

    id: str
    place: str
    kind: str
    printed: str
    problem: str
    corrected: str
    seed: str
    transcription: str
    sizes: dict
    arrays: dict
    for_all: dict
    lets: dict
    corrected_lets: dict
    claim: ast.expr
    corrected_claim: ast.expr | None
    examples: int
    texts: dict = field(repr=False)


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path, self.index = path, TomlIndex(text)
        self.texts: dict[int, str] = {}

    def error(self, key: tuple, kind: str, message: str, hint: str, symbol=None,
              pos=None) -> SpecError:
        pos = pos or self.index.value(key)
        return SpecError(Diagnostic(kind=kind, message=message, file=str(self.path),
                                    line=pos.line, col=pos.col, symbol=symbol or str(key[-1]),
                                    source_line=self.index.line_text(pos.line), hint=hint))

    def parse(self, key: tuple, text) -> ast.expr:
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise self.error(key, "bad-formula", f"'{key[-1]}' must be a string",
                             "write the expression in quotes")
        try:
            tree = parse_formula(text)
        except ExprError as e:
            pos = self.index.string_position(key, e.lineno, e.col)
            raise self.error(key, e.kind, e.message, e.hint or "", e.symbol, pos) from None
        self.texts.update(node_texts(tree, text))
        return tree

    def pair(self, key: tuple, value, what: str) -> tuple:
        if not (isinstance(value, list) and len(value) == 2):
            raise self.error(key, "bad-formula", f"'{key[-1]}' needs [lo, hi]", what)
        return value[0], value[1]


def load_formulas(path: str | Path, transcription: str | None = None) -> list[Formula]:
    """Every ``[[formula]]`` of a transcription file.

    Arguments:
        path: the file.
        transcription: the path its findings name (default: ``path`` as given).
    Raises:
        SpecError: located at the first problem of the file.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    r = _Reader(path, text)
    data = read_toml(text, str(path), r.index, SpecError)
    for key in data:
        if key not in _TOP:
            close = did_you_mean(key, _TOP)
            raise r.error((key,), "unknown-key", f"unknown key '{key}' at the top level",
                          (f"did you mean '{close}'? " if close else "") + "allowed: seed, "
                          "[[formula]]")
    entries = data.get("formula")
    if not isinstance(data.get("seed"), str) or not isinstance(entries, list) or not entries:
        raise r.error(("seed",), "missing-key", "a formula transcription needs seed = "
                      "\"NNN_....txt\" and at least one [[formula]]", "see docs/errata.md")
    seen: set[str] = set()
    out = []
    for k, entry in enumerate(entries):
        f = _formula(r, k, entry, data["seed"], transcription or str(path))
        if f.id in seen:
            raise r.error(("formula", k, "id"), "duplicate-id", f"id '{f.id}' is used twice",
                          "give every formula its own id")
        seen.add(f.id)
        out.append(f)
    return out


def _formula(r: _Reader, k: int, e: dict, seed: str, where: str) -> Formula:
    at = ("formula", k)
    for key in e:
        if key not in _KEYS:
            close = did_you_mean(key, _KEYS)
            raise r.error(at + (key,), "unknown-key", f"unknown key '{key}' in [[formula]]",
                          (f"did you mean '{close}'? " if close else "") + "allowed keys: "
                          + ", ".join(_KEYS))
    for key in ("id", "place", "kind", "printed", "claim"):
        if not isinstance(e.get(key), str) or not e[key].strip():
            raise r.error(at, "missing-key", f"[[formula]] needs '{key}' as a string",
                          f"add {key} = \"...\" ({_KEYS[key]})")
    if not _ID.match(e["id"]):
        raise r.error(at + ("id",), "bad-formula", f"id {e['id']!r} is not lowercase letters, "
                      "digits and '-'", "e.g. id = \"eq30-recurrent-sum\"")
    if e["kind"] not in KINDS:
        raise r.error(at + ("kind",), "bad-formula", f"unknown kind {e['kind']!r}",
                      "a kind is one of: " + ", ".join(KINDS))
    erratum = [key for key in ("problem", "corrected", "corrected_claim") if key in e]
    if erratum and len(erratum) != 3:
        missing = sorted({"problem", "corrected", "corrected_claim"} - set(erratum))
        raise r.error(at + (erratum[0],), "missing-key", "an erratum needs problem, corrected "
                      "and corrected_claim together", "add " + ", ".join(missing))
    sizes = _sizes(r, at, e.get("sizes", {}))
    arrays = _arrays(r, at, e.get("arrays", {}), sizes)
    for_all = _for_all(r, at, e.get("for_all", {}))
    lets = _lets(r, at + ("let",), e.get("let", {}))
    corrected_lets = {**lets, **_lets(r, at + ("corrected_let",), e.get("corrected_let", {}))}
    claim = r.parse(at + ("claim",), e["claim"])
    corrected = r.parse(at + ("corrected_claim",), e["corrected_claim"]) if erratum else None
    examples = e.get("examples", 100)
    if not isinstance(examples, int) or isinstance(examples, bool) or not 1 <= examples <= 5000:
        raise r.error(at + ("examples",), "bad-formula", "examples must be 1..5000",
                      "e.g. examples = 300")
    f = Formula(id=e["id"], place=e["place"], kind=e["kind"], printed=e["printed"].strip(),
                problem=" ".join(e.get("problem", "").split()),
                corrected=e.get("corrected", "").strip(), seed=seed,
                transcription=f"{where}#{e['id']}", sizes=sizes, arrays=arrays,
                for_all=for_all, lets=lets, corrected_lets=corrected_lets, claim=claim,
                corrected_claim=corrected, examples=examples, texts=r.texts)
    _declared(r, at, f)
    return f


def _sizes(r: _Reader, at: tuple, sizes) -> dict:
    out = {}
    for name, v in _table(r, at + ("sizes",), sizes).items():
        lo, hi = r.pair(at + ("sizes", name), v, f"e.g. {name} = [1, 4]")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)) \
                or not 0 <= lo <= hi <= _MAX_SIZE:
            raise r.error(at + ("sizes", name), "bad-formula", f"size {name} needs integers "
                          f"0 <= lo <= hi <= {_MAX_SIZE}", f"e.g. {name} = [1, 4]")
        out[name] = (lo, hi)
    return out


def _arrays(r: _Reader, at: tuple, arrays, sizes: dict) -> dict:
    out = {}
    for name, a in _table(r, at + ("arrays",), arrays).items():
        key = at + ("arrays", name)
        if not isinstance(a, dict) or "shape" not in a or not isinstance(a["shape"], list):
            raise r.error(key, "bad-formula", f"array {name} needs shape = [...]",
                          f"e.g. {name} = {{ shape = [\"N\"] }} ([] for a scalar)")
        for k in a:
            if k not in _ARRAY_KEYS:
                raise r.error(key + (k,), "unknown-key", f"unknown key '{k}' in array {name}",
                              "allowed keys: " + ", ".join(_ARRAY_KEYS))
        draw = a.get("draw", "real")
        if draw not in DRAWS:
            raise r.error(key + ("draw",), "bad-formula", f"unknown draw {draw!r}",
                          "a draw is one of: " + ", ".join(DRAWS))
        shape = tuple(r.parse(key + ("shape",), s) for s in a["shape"])
        base = a.get("base")
        if base is not None and (not isinstance(base, list) or len(base) != len(shape)):
            raise r.error(key + ("base",), "bad-formula", f"base of {name} needs one entry "
                          "per axis", "e.g. base = [\"-M\", \"-N\"]")
        base = tuple(r.parse(key + ("base",), b) for b in base) if base is not None else None
        for tree in shape + (base or ()):
            for u in uses(tree):
                if u.name not in sizes:
                    raise r.error(key + ("shape",), "unknown-name", f"'{u.name}' in the shape "
                                  f"of {name} is not a size", "declare it in sizes = { ... }",
                                  u.name)
        bounds = [a.get(k) for k in ("low", "high")]
        if any(b is not None and (isinstance(b, bool) or not isinstance(b, (int, float)))
               for b in bounds) or (None not in bounds and bounds[0] >= bounds[1]):
            raise r.error(key, "bad-formula", f"low and high of {name} must be numbers, "
                          "low < high", "e.g. low = -1, high = 1")
        out[name] = ArraySpec(name, shape, base, draw, *bounds)
    return out


def _for_all(r: _Reader, at: tuple, for_all) -> dict:
    return {i: tuple(r.parse(at + ("for_all", i), x) for x in r.pair(
        at + ("for_all", i), v, f"e.g. {i} = [\"1\", \"N\"]"))
        for i, v in _table(r, at + ("for_all",), for_all).items()}


def _lets(r: _Reader, at: tuple, lets) -> dict:
    out = {}
    for key, text in _table(r, at, lets).items():
        m = _LET_KEY.match(key)
        if not m:
            raise r.error(at + (key,), "bad-formula", f"'{key}' is not a name or name[i, j]",
                          "e.g. \"alpha[i]\" = \"exp(s[i]) / sum(exp(s[j]), j, 1, m)\"")
        params = tuple(p.strip() for p in m.group(2).split(",")) if m.group(2) else ()
        out[m.group(1)] = Let(m.group(1), params, r.parse(at + (key,), text), text)
    return out


def _table(r: _Reader, key: tuple, value) -> dict:
    if not isinstance(value, dict):
        raise r.error(key, "bad-formula", f"'{key[-1]}' must be a table", _KEYS[key[-1]]
                      if key[-1] in _KEYS else "a table of names")
    return value


def _declared(r: _Reader, at: tuple, f: Formula) -> None:
    """Every name a claim or definition reads is declared, or an index (a finding)."""
    names = [("sizes", n) for n in f.sizes] + [("arrays", n) for n in f.arrays] \
        + [("for_all", n) for n in f.for_all] + [("let", n) for n in f.corrected_lets]
    seen: dict[str, str] = {}
    for where, n in names:
        if n in seen and not (where == seen[n] == "let") or n in FUNCTIONS or n in CONSTANTS:
            raise r.error(at + (where, n), "duplicate-name", f"'{n}' is declared twice (or "
                          "is a function name)", "give every size, array, index and "
                          "definition its own name")
        seen[n] = where
    trees = [("claim", f.claim, ()), ("corrected_claim", f.corrected_claim, ())]
    trees += [(("let", n), let.tree, let.params) for n, let in f.corrected_lets.items()]
    indices = {i for _, t, _ in trees if t is not None for i, _ in reduction_indices(t)}
    for key, tree, params in trees:
        if tree is None:
            continue
        scope = set(seen) | set(params) | CONSTANTS
        for u in uses(tree, frozenset(params)):
            if u.name in scope or u.name in u.bound or u.as_index or u.name in indices:
                continue
            close = did_you_mean(u.name, scope)
            path = at + ((key,) if isinstance(key, str) else key)
            pos = r.index.string_position(path, u.node.lineno - 1, u.node.col_offset)
            raise r.error(path, "unknown-name", f"'{u.name}' is declared nowhere",
                          (f"did you mean '{close}'? " if close else "") + "declare it in "
                          "sizes, [formula.arrays], for_all or [formula.let]", u.name, pos)


def free_indices(f: Formula, claim: ast.expr, lets: dict) -> tuple[list[str], list[str]]:
    """What the printed formula leaves unbound, as sentences.

    Returns:
        ``(faults, remarks)``: the indices nothing binds (the formula has no value), and
        the summation indices their summand never uses (a sum of equal terms: legal, and
        worth saying beside a fault).
    """
    base = set(f.sizes) | set(f.arrays) | CONSTANTS
    free: dict[str, list[str]] = {}
    remarks, done = [], set()
    todo = [(claim, frozenset(), base | set(f.for_all))]
    while todo:
        tree, params, declared = todo.pop()
        for u in uses(tree, params):
            if u.name in u.bound or u.name in declared:
                continue
            if u.name in lets:
                if u.name not in done:
                    done.add(u.name)
                    todo.append((lets[u.name].tree, frozenset(lets[u.name].params), base))
                continue
            free.setdefault(u.name, []).append(_seg(f, u.context))
        for index, call in reduction_indices(tree):
            if index not in {u.name for u in uses(call.args[0])}:
                remarks.append(f"the {call.func.id} over {index} never uses {index}: "
                               f"{_seg(f, call)}")
    faults = [f"{n} is a free index: nothing binds it in " + ", ".join(dict.fromkeys(where))
              for n, where in free.items()]
    return faults, list(dict.fromkeys(remarks))


def _seg(f: Formula, node: ast.AST) -> str:
    from .grammar import segment

    return segment(f.texts.get(id(node), ""), node)
