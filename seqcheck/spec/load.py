"""TOML text -> validated :class:`~seqcheck.spec.model.Spec`.

Loading is the validation: every problem found is collected as a located
:class:`~seqcheck.errors.Diagnostic` (file, line, column, equation, symbol, fix)
and raised together as one :class:`~seqcheck.errors.SpecError`, so a user fixes
a file in one round. A variant (``extends``) is merged entry by entry with its
base; every entry remembers the file it came from, so errors point at the file
that holds the offending text.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import sympy as sp

from ..errors import Diagnostic, SpecError
from .functions import FUNCTIONS
from .grammar import (
    LIMITS,
    ExprError,
    Reference,
    Typed,
    did_you_mean,
    format_shape,
    parse_expression,
    references,
    same_shape,
    typecheck,
)
from .locate import TomlIndex, read_toml
from .model import Declaration, Dim, Equation, Source, Spec, make_symbol
from .schedule import ScheduleError, make_schedule

__all__ = ["load_spec", "loads_spec", "parse_in_spec", "variant"]

_TOP_KEYS = {
    "name": "catalogue name",
    "title": "one-line title",
    "extends": "base spec this variant modifies",
    "drop": "names of the base to remove",
    "sources": "lecture citations",
    "notes": "free text, errata",
    "dims": "symbolic dimensions",
    "inputs": "per-step (or static) inputs",
    "states": "recurrent variables with initial values",
    "params": "parameters with shapes",
    "equations": "ordered equations target = expression",
    "outputs": "variables read out",
    "erratum": "in a literal transcription: the printed claim and its correction",
}
_ENTRY_KEYS = {
    "inputs": {"shape", "doc", "static", "init"},
    "states": {"shape", "doc", "init"},
    "params": {"shape", "doc"},
    "dims": {"doc"},
    "sources": {"file", "equations", "where", "note"},
}
_ROLE_WORD = {"param": "parameter", "input": "input", "state": "state", "dim": "dim",
              "variable": "variable"}
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RESERVED = set(FUNCTIONS) | {"t"}


@dataclass(frozen=True)
class _Origin:
    file: str
    index: TomlIndex


@dataclass(frozen=True)
class _Entry:
    value: object
    origin: _Origin
    path: tuple


class _Diagnostics:
    """Collects diagnostics; positions come from the entry's own file."""

    def __init__(self):
        self.items: list[Diagnostic] = []

    def add(self, origin: _Origin, path: tuple, kind: str, message: str, *, at_value=False,
            symbol=None, equation=None, hint=None, details=(), span=None) -> None:
        pos = origin.index.value(path) if at_value else origin.index.key(path)
        if span is None:
            named = path and not at_value and isinstance(path[-1], str)
            span = len(str(path[-1])) if named else 1
        self.items.append(Diagnostic(
            kind=kind, message=message, file=origin.file, line=pos.line, col=pos.col,
            equation=equation, symbol=symbol, hint=hint,
            source_line=origin.index.line_text(pos.line), span=span, details=tuple(details),
        ))

    def add_expr(self, entry: _Entry, err: ExprError, equation: str | None) -> None:
        pos = entry.origin.index.string_position(entry.path, err.lineno, err.col)
        self.items.append(Diagnostic(
            kind=err.kind, message=err.message, file=entry.origin.file, line=pos.line,
            col=pos.col, equation=equation, symbol=err.symbol, hint=err.hint,
            source_line=entry.origin.index.line_text(pos.line), span=err.span,
            details=tuple(err.details),
        ))

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecError(self.items)


class _Skip(Exception):
    """A name whose own definition already failed: skip, to avoid cascading errors."""


# -- reading ----------------------------------------------------------------------
def _read(text: str, file: str) -> tuple[dict, _Origin]:
    index = TomlIndex(text)
    data = read_toml(text, file, index, SpecError)
    return data, _Origin(file, index)


def _resolve_base(name: str, origin: _Origin, diags: _Diagnostics) -> Path | None:
    from .. import catalogue

    if name.endswith(".toml"):
        here = Path(origin.file).parent if origin.file != "<string>" else Path.cwd()
        p = (here / name).resolve()
        if p.is_file():
            return p
        diags.add(origin, ("extends",), "unknown-spec", f"base spec file '{name}' not found",
                  at_value=True, symbol=name, hint=f"looked for {p}")
        return None
    try:
        return catalogue.spec_path(name)
    except SpecError as e:
        diags.add(origin, ("extends",), "unknown-spec", e.first.message, at_value=True,
                  symbol=name, hint=e.first.hint)
        return None


def _layers(text: str, file: str, diags: _Diagnostics, seen: tuple[str, ...] = ()):
    """The base-first list of (data, origin) layers of a spec and its ``extends`` chain."""
    data, origin = _read(text, file)
    _check_keys(data, origin, diags)
    base = data.get("extends")
    if base is None:
        return [(data, origin)]
    if not isinstance(base, str):
        diags.add(origin, ("extends",), "type-error", "'extends' must be a spec name or path",
                  at_value=True, hint='extends = "lstm"')
        return [(data, origin)]
    path = _resolve_base(base, origin, diags)
    if path is None:
        return [(data, origin)]
    key = str(path)
    if key in seen or key == str(Path(file).resolve()):
        diags.add(origin, ("extends",), "extends-cycle",
                  f"'extends' forms a cycle through {path.name}", at_value=True, symbol=base,
                  hint="a variant cannot extend itself or one of its own variants")
        return [(data, origin)]
    below = _layers(path.read_text(encoding="utf-8"), str(path), diags, seen + (key,))
    return below + [(data, origin)]


def _check_keys(data: dict, origin: _Origin, diags: _Diagnostics) -> None:
    for key in data:
        if key not in _TOP_KEYS:
            close = did_you_mean(key, _TOP_KEYS)
            diags.add(origin, (key,), "unknown-key", f"unknown top-level key '{key}'", symbol=key,
                      hint=(f"did you mean '{close}'? " if close else "")
                      + "allowed keys: " + ", ".join(_TOP_KEYS))
    for section, allowed in _ENTRY_KEYS.items():
        value = data.get(section)
        if section == "sources":
            entries = list(enumerate(value)) if isinstance(value, list) else []
        else:
            entries = list(value.items()) if isinstance(value, dict) else []
        for name, entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in entry:
                if key not in allowed:
                    close = did_you_mean(key, allowed)
                    diags.add(origin, (section, name, key), "unknown-key",
                              f"unknown key '{key}' in [{section}] entry '{name}'", symbol=key,
                              hint=(f"did you mean '{close}'? " if close else "")
                              + "allowed keys: " + ", ".join(sorted(allowed)))


# -- building ---------------------------------------------------------------------
def _merge(layers, diags: _Diagnostics) -> dict:
    merged: dict = {s: {} for s in ("dims", "inputs", "states", "params", "equations")}
    scalars: dict = {}
    sources: list = []
    for data, origin in layers:
        for name in data.get("drop", []) or []:
            hit = False
            for section in merged.values():
                if name in section:
                    del section[name]
                    hit = True
            if not hit:
                diags.add(origin, ("drop",), "unknown-symbol",
                          f"'drop' names '{name}', which the base spec does not define",
                          at_value=True, symbol=str(name), hint="remove it from 'drop'")
        for section in merged:
            table = data.get(section, {})
            if not isinstance(table, dict):
                diags.add(origin, (section,), "type-error", f"[{section}] must be a table",
                          hint=f"write [{section}] followed by name = ... lines")
                continue
            for name, value in table.items():
                merged[section][name] = _Entry(value, origin, (section, name))
        for key in ("name", "title", "notes", "outputs", "extends"):
            if key in data:
                scalars[key] = _Entry(data[key], origin, (key,))
        src = data.get("sources", [])
        sources = [_Entry(s, origin, ("sources", i)) for i, s in enumerate(src)] + sources \
            if isinstance(src, list) else sources
    merged["_scalars"] = scalars
    merged["_sources"] = sources
    merged["_origin"] = layers[-1][1]
    merged["_own"] = layers[-1][0]
    return merged


def _str_field(entry, diags, required_what=None) -> str:
    if entry is None:
        return ""
    if not isinstance(entry.value, str):
        diags.add(entry.origin, entry.path, "type-error", f"'{entry.path[-1]}' must be a string",
                  at_value=True, hint=f'{entry.path[-1]} = "..."')
        return ""
    return entry.value


def _check_name(name: str, entry: _Entry, what: str, diags: _Diagnostics) -> bool:
    ok = isinstance(name, str) and bool(_NAME_RE.match(name)) and not keyword.iskeyword(name)
    if not ok:
        diags.add(entry.origin, entry.path, "bad-name",
                  f"'{name}' is not a valid {_ROLE_WORD.get(what, what)} name",
                  symbol=str(name),
                  hint="names start with a letter and use letters, digits and '_' "
                       "(e.g. W_hh, c_tilde)")
        return False
    if name in _RESERVED:
        diags.add(entry.origin, entry.path, "bad-name",
                  f"'{name}' is reserved and cannot name a {_ROLE_WORD.get(what, what)}",
                  symbol=name,
                  hint="'t' is the time index and function names cannot be redefined; rename it")
        return False
    return True


def _dims(merged, diags) -> dict[str, Dim]:
    dims = {}
    for name, entry in merged["dims"].items():
        if not _check_name(name, entry, "dim", diags):
            continue
        v = entry.value
        doc = v if isinstance(v, str) else (v.get("doc", "") if isinstance(v, dict) else None)
        if doc is None:
            diags.add(entry.origin, entry.path, "type-error",
                      f"dim '{name}' must be a description string", symbol=name,
                      hint=f'{name} = "hidden size"')
            doc = ""
        dims[name] = Dim(name, doc, sp.Symbol(name, integer=True, positive=True))
    return dims


def _shape(entry: _Entry, name: str, dims: dict[str, Dim], diags) -> tuple | None:
    v = entry.value.get("shape") if isinstance(entry.value, dict) else None
    path = entry.path + ("shape",)
    if v is None:
        diags.add(entry.origin, entry.path, "missing-shape", f"'{name}' has no shape", symbol=name,
                  hint=f'{name} = {{ shape = ["H"] }}  (shape = [] for a scalar)')
        return None
    if not isinstance(v, list) or len(v) > 2:
        diags.add(entry.origin, path, "bad-shape",
                  f"the shape of '{name}' must be a list of at most two dims", at_value=True,
                  symbol=name, hint='shape = [] (scalar), ["H"] (vector) or ["H", "D"] (matrix)')
        return None
    out = []
    for item in v:
        d = _dim_expr(item, dims)
        if isinstance(d, _DimProblem):
            if d.kind == "unknown-dim" and did_you_mean(str(item), dims):
                hint = f"{d.hint} or did you mean '{did_you_mean(str(item), dims)}'?"
            else:
                hint = d.hint
            diags.add(entry.origin, path, d.kind, d.message, at_value=True, symbol=name,
                      hint=hint)
            return None
        out.append(d)
    return tuple(out)


#: A shape entry is a short sum or product of dims; longer text is refused before parsing, so a
#: deep or huge entry can neither exhaust the stack nor build a huge SymPy integer.
_DIM_CHARS = 200
_DIM_FORM = 'a shape entry is a dim, a positive integer, or a sum or product like "2*H + 1"'
_DIM_SMALL = (f"keep a shape entry within {_DIM_CHARS} characters and its numbers within "
              f"{LIMITS['digits']} digits; declare a dim under [dims] for a large size")


@dataclass(frozen=True)
class _DimProblem:
    """Why a shape entry is refused: the diagnostic's kind, message and hint."""

    kind: str
    message: str
    hint: str


def _dim_expr(item, dims: dict[str, Dim]):
    """A shape entry as a SymPy dim, or the :class:`_DimProblem` that refuses it."""
    def unknown(message, hint=_DIM_FORM):
        return _DimProblem("unknown-dim", message, hint)

    def too_large(message):
        return _DimProblem("too-large", message, _DIM_SMALL)

    if isinstance(item, bool) or not isinstance(item, (int, str)):
        return unknown(f"shape entry {item!r} must be a dim name, an integer or a sum like "
                       f"\"1 + N_u\"")
    if isinstance(item, int):
        if abs(item) >= 10 ** LIMITS["digits"]:  # tomllib refuses over 4300 digits: str is safe
            return too_large(f"the number in a shape entry has {len(str(abs(item)))} digits; "
                             f"the limit is {LIMITS['digits']}")
        return sp.Integer(item) if item > 0 else unknown(f"shape entry {item} must be positive")
    if len(item) > _DIM_CHARS:
        return too_large(f"shape entry of {len(item)} characters is too long; the limit is "
                         f"{_DIM_CHARS}")
    try:
        tree = ast.parse(item, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return unknown(f"shape entry '{item}' is not a dim expression")

    def conv(node):
        if isinstance(node, ast.Name):
            if node.id not in dims:
                where = "" if node.id == item.strip() else f" in shape entry '{item}'"
                raise ValueError(f"unknown dim '{node.id}'{where}")
            return dims[node.id].symbol
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value > 0:
            digits = len(str(node.value))  # at most _DIM_CHARS digits: cheap
            if digits > LIMITS["digits"]:
                raise OverflowError(f"the number in a shape entry has {digits} digits; the "
                                    f"limit is {LIMITS['digits']}")
            return sp.Integer(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            a, b = conv(node.left), conv(node.right)
            return a + b if isinstance(node.op, ast.Add) else a * b
        raise ValueError(f"shape entry '{item}' may only add and multiply dims and integers")

    try:
        return conv(tree.body)
    except ValueError as e:
        if str(e).startswith("unknown dim"):
            return unknown(str(e), "declare it under [dims]")
        return unknown(str(e))
    except OverflowError as e:
        return too_large(str(e))
    except RecursionError:  # only reachable below the length limit with a tiny stack
        return too_large(f"shape entry '{item}' is nested too deeply")


class _Scope:
    """Resolves names for the expression typer, reporting unknown symbols."""

    def __init__(self, decls: dict[str, Declaration], targets: set[str], typed: dict,
                 failed: set[str], dims: dict[str, Dim], *, allow=None, delayed_ok=True):
        self.decls, self.targets, self.typed, self.failed = decls, targets, typed, failed
        self.dims, self.allow, self.delayed_ok = dims, allow, delayed_ok

    def resolve(self, ref: Reference) -> Typed:
        name = ref.name
        if self.allow is not None and name not in self.allow:
            if name in self.decls or name in self.targets:
                raise ExprError("bad-reference",
                                f"'{name}' cannot be used here; an initial value may only use "
                                "parameters and static inputs", lineno=ref.lineno, col=ref.col,
                                span=ref.span, symbol=name,
                                hint="use a number (0) or a parameter, e.g. init = \"h0\"")
        if name in self.failed:
            raise _Skip(name)
        if name in self.decls:
            shape = self.decls[name].shape
        elif name in self.typed:
            shape = self.typed[name].shape
        elif name in self.targets:
            raise _Skip(name)
        else:
            close = did_you_mean(name, list(self.decls) + sorted(self.targets))
            raise ExprError("unknown-symbol", f"unknown symbol '{name}'", lineno=ref.lineno,
                            col=ref.col, span=len(name), symbol=name,
                            hint=(f"did you mean '{close}'? " if close else "")
                                 + "declare it under [inputs], [states] or [params], "
                                   "or define it by an equation")
        return Typed(make_symbol(name, shape, ref.offset), shape)

    def dim_lines(self) -> tuple[str, ...]:
        if not self.dims:
            return ()
        parts = [f"{d.name} ({d.doc}) = unbound" if d.doc else f"{d.name} = unbound"
                 for d in self.dims.values()]
        return ("dims: " + ", ".join(parts) + " -- symbolic: no sizes are bound in a spec",)


def _declarations(merged, dims, diags, broken: set[str]) -> dict[str, Declaration]:
    """Declarations by name; names whose declaration is broken are added to ``broken``."""
    decls: dict[str, Declaration] = {}
    for role, section in (("input", "inputs"), ("state", "states"), ("param", "params")):
        for name, entry in merged[section].items():
            if not _check_name(name, entry, role, diags):
                continue
            if name in decls:
                diags.add(entry.origin, entry.path, "duplicate",
                          f"'{name}' is declared twice (as {decls[name].role} and {role})",
                          symbol=name, hint="give each input, state and parameter its own name")
                continue
            if name in dims:
                diags.add(entry.origin, entry.path, "duplicate",
                          f"'{name}' names both a dim and a {role}", symbol=name,
                          hint="rename the dim or the variable (e.g. dims in upper case)")
                continue
            if not isinstance(entry.value, dict):
                diags.add(entry.origin, entry.path, "type-error",
                          f"{role} '{name}' must be a table", symbol=name,
                          hint=f'{name} = {{ shape = ["H"] }}')
                continue
            shape = _shape(entry, name, dims, diags)
            if shape is None:
                broken.add(name)
                continue
            v = entry.value
            static = v.get("static", False)
            if not isinstance(static, bool):
                diags.add(entry.origin, entry.path + ("static",), "type-error",
                          "'static' must be true or false", at_value=True, symbol=name)
                static = False
            decls[name] = Declaration(name, role, shape, doc=str(v.get("doc", "")),
                                      static=static, init_text=v.get("init"))
    return decls


def _stable_toposort(order: list[str], deps: dict[str, set[str]]) -> list[str]:
    """Declared order, except that a variable comes after everything it uses in its step."""
    out, placed = [], set()
    pending = list(order)
    while pending:
        for i, name in enumerate(pending):
            if deps.get(name, set()) <= placed:
                out.append(name)
                placed.add(name)
                del pending[i]
                break
        else:  # a cycle; reported elsewhere
            out.extend(pending)
            break
    return out


def _build(merged, diags: _Diagnostics, file: str) -> Spec | None:
    scal = merged["_scalars"]
    origin = merged["_origin"]
    own = merged["_own"]
    if "name" not in own:
        diags.add(origin, (), "missing-key", "the spec has no 'name'",
                  hint='add  name = "my_cell"  at the top')
    spec_name = _str_field(scal.get("name"), diags)
    title = _str_field(scal.get("title"), diags)
    notes = _str_field(scal.get("notes"), diags)
    extends = own.get("extends") if isinstance(own.get("extends"), str) else None

    sources = []
    for e in merged["_sources"]:
        v = e.value
        if not isinstance(v, dict) or "file" not in v:
            diags.add(e.origin, e.path, "bad-source", "each [[sources]] entry needs a 'file'",
                      hint='file = "000_bdb039f7b454a225.txt"')
            continue
        eqs = v.get("equations", [])
        eqs = [eqs] if isinstance(eqs, (str, int)) else list(eqs)
        sources.append(Source(str(v["file"]), tuple(str(x) for x in eqs),
                              str(v.get("where", "")), str(v.get("note", ""))))

    dims = _dims(merged, diags)
    broken: set[str] = set()
    decls = _declarations(merged, dims, diags, broken)

    # Equations: parse and collect references first, then check structure, then type.
    eq_entries: dict[str, _Entry] = {}
    parsed, refs = {}, {}
    for target, entry in merged["equations"].items():
        if not _check_name(target, entry, "variable", diags):
            continue
        if target in decls and decls[target].role != "state":
            word = _ROLE_WORD[decls[target].role]
            diags.add(entry.origin, entry.path, "bad-target",
                      f"equation assigns to {word} '{target}'", symbol=target, equation=target,
                      hint=f"{word}s are given, not computed; rename the target")
            continue
        if target in dims:
            diags.add(entry.origin, entry.path, "duplicate",
                      f"'{target}' names both a dim and a variable", symbol=target,
                      hint="rename the dim or the variable")
            continue
        eq_entries[target] = entry
        if not isinstance(entry.value, str):
            diags.add(entry.origin, entry.path, "type-error",
                      f"the equation for '{target}' must be a string", at_value=True,
                      equation=target, hint=f'{target} = "tanh(W @ x + b)"')
            continue
        try:
            p = parse_expression(entry.value)
        except ExprError as err:
            diags.add_expr(entry, err, target)
            continue
        parsed[target], refs[target] = p, references(p)

    targets = set(eq_entries)
    names = set(decls) | targets | broken
    failed: set[str] = (set(eq_entries) - set(parsed)) | broken

    same_step: dict[str, set[str]] = {t: set() for t in parsed}
    used: set[str] = set()
    init_problems: set[str] = set()
    for target, rs in refs.items():
        entry = eq_entries[target]
        for r in rs:
            used.add(r.name)
            if r.name not in names:
                close = did_you_mean(r.name, list(decls) + list(eq_entries))
                diags.add_expr(entry, ExprError(
                    "unknown-symbol", f"unknown symbol '{r.name}'", lineno=r.lineno, col=r.col,
                    span=len(r.name), symbol=r.name,
                    hint=(f"did you mean '{close}'? " if close else "")
                    + "declare it under [inputs], [states] or [params], or define it by an "
                      "equation"), target)
                failed.add(target)
                continue
            if r.offset == 0:
                if r.name in targets:
                    same_step[target].add(r.name)
                continue
            d = decls.get(r.name)
            err = None
            if d is not None and d.role == "param":
                err = ("bad-reference", f"parameter '{r.name}' does not change over time",
                       f"write {r.name}, not {r.name}[t{r.offset:+d}]")
            elif d is not None and d.role == "input" and d.static:
                err = ("bad-reference", f"static input '{r.name}' has no time index",
                       f"write {r.name}, not {r.name}[t{r.offset:+d}]")
            elif d is None or d.init_text is None:
                kind = "state" if d is None or d.role == "state" else "input"
                if d is None:
                    fix = (f"declare it under [states] with an initial value: "
                           f'{r.name} = {{ shape = [...], init = "0" }}')
                else:
                    fix = f'give it an initial value: init = "0" in its [{kind}s] entry'
                err = ("missing-initial-value",
                       f"'{r.name}' is used at t{r.offset:+d} but has no initial value", fix)
                init_problems.add(r.name)
            if err:
                kind, msg, fix = err
                p = parsed[target]
                diags.add_expr(entry, ExprError(kind, msg, lineno=r.lineno, col=r.col,
                                                span=r.span, symbol=r.name, hint=fix), target)

    for name, d in decls.items():
        if d.role == "state":
            entry = merged["states"][name]
            if name not in targets:
                diags.add(entry.origin, entry.path, "missing-equation",
                          f"state '{name}' has no equation", symbol=name,
                          hint=f'add  {name} = "..."  under [equations], or remove the state')
            if d.init_text is None and name not in init_problems:
                diags.add(entry.origin, entry.path, "missing-initial-value",
                          f"state '{name}' has no initial value", symbol=name,
                          hint='add init = "0" (or a parameter name) to its entry')

    # Algebraic loops: a cycle among same-step references.
    g = nx.DiGraph()
    g.add_nodes_from(same_step)
    for t, deps in same_step.items():
        g.add_edges_from((t, d) for d in deps)
    for cycle in nx.simple_cycles(g):
        first = min(cycle, key=list(eq_entries).index)
        k = cycle.index(first)
        path = cycle[k:] + cycle[:k] + [first]
        entry = eq_entries[first]
        nxt = path[1]
        r = next((r for r in refs[first] if r.name == nxt and r.offset == 0), None)
        chain = " -> ".join(path)
        err = ExprError(
            "algebraic-loop",
            f"algebraic loop inside a step: {chain}",
            lineno=r.lineno if r else 1, col=r.col if r else 0, span=len(nxt), symbol=nxt,
            details=(f"'{first}' at step t needs '{nxt}' at the same step t, which needs "
                     f"'{first}' again",),
            hint=f"if the previous step is meant, write {nxt}[t-1]; if an input is meant, "
                 "use the input's name",
        )
        diags.add_expr(entry, err, first)
        failed.update(cycle)

    # Types, in dependency order.
    typed: dict[str, Typed] = {}
    scope = _Scope(decls, targets, typed, failed, dims)
    order = _stable_toposort(list(parsed), same_step)
    for target in order:
        if target in failed:
            continue
        entry = eq_entries[target]
        try:
            v = typecheck(parsed[target], scope)
        except _Skip:
            failed.add(target)
            continue
        except ExprError as err:
            diags.add_expr(entry, err, target)
            failed.add(target)
            continue
        d = decls.get(target)
        if d is not None and not same_shape(d.shape, v.shape):
            diags.add(entry.origin, entry.path, "shape-mismatch",
                      f"equation for state '{target}' has shape {format_shape(v.shape)}, but "
                      f"the state is declared {format_shape(d.shape)}", at_value=True,
                      equation=target, symbol=target, details=scope.dim_lines(),
                      hint="fix the equation or the declared shape")
            failed.add(target)
            continue
        typed[target] = v

    # Initial values: parameters, static inputs and numbers only.
    allow = {n for n, d in decls.items() if d.role == "param" or (d.role == "input" and d.static)}
    init_scope = _Scope(decls, targets, typed, failed, dims, allow=allow)
    final_decls = dict(decls)
    for name, d in decls.items():
        if d.init_text is None:
            continue
        section = "states" if d.role == "state" else "inputs"
        entry = _Entry(d.init_text, merged[section][name].origin, (section, name, "init"))
        if not isinstance(d.init_text, str):
            diags.add(entry.origin, entry.path, "type-error", "'init' must be an expression string",
                      at_value=True, symbol=name, hint='init = "0"')
            continue
        try:
            p = parse_expression(d.init_text)
            for r in references(p):
                used.add(r.name)
                if r.offset:
                    raise ExprError("bad-reference", "an initial value has no time index",
                                    lineno=r.lineno, col=r.col, span=r.span, symbol=r.name,
                                    hint="use parameters, static inputs and numbers")
            v = typecheck(p, init_scope)
        except ExprError as err:
            diags.add_expr(entry, err, None)
            continue
        except _Skip:
            continue
        if v.shape and not same_shape(v.shape, d.shape):
            diags.add(entry.origin, entry.path, "shape-mismatch",
                      f"initial value of '{name}' has shape {format_shape(v.shape)}, but "
                      f"'{name}' is {format_shape(d.shape)}", at_value=True, symbol=name,
                      details=scope.dim_lines(), hint="use a scalar (broadcast) or a "
                                                      "value of the same shape")
            continue
        final_decls[name] = Declaration(d.name, d.role, d.shape, d.doc, d.static, v, d.init_text)

    # Unused declarations and dims -- only when every equation was understood, since an
    # equation that failed to parse or type may be where the "unused" name belongs.
    for name, d in (decls.items() if not diags.items else ()):
        if d.role in ("param", "input") and name not in used:
            section = "params" if d.role == "param" else "inputs"
            entry = merged[section][name]
            diags.add(entry.origin, entry.path, "unused-symbol",
                      f"{'parameter' if d.role == 'param' else 'input'} '{name}' is declared "
                      "but never used", symbol=name,
                      hint="use it in an equation or remove it"
                           + (" (a variant removes it with drop = [...])" if extends else ""))
    used_dims = set()
    for d in decls.values():
        for s in d.shape:
            used_dims |= {str(x) for x in sp.sympify(s).free_symbols}
    for dname in dims:
        if dname not in used_dims and not diags.items:
            entry = merged["dims"][dname]
            diags.add(entry.origin, entry.path, "unused-symbol",
                      f"dim '{dname}' is declared but no shape uses it", symbol=dname,
                      hint="use it in a shape or remove it")

    # Outputs.
    out_entry = scal.get("outputs")
    outputs: list[str] = []
    if out_entry is None:
        diags.add(origin, (), "missing-key", "the spec has no 'outputs'",
                  hint='add  outputs = ["h"]  naming the variables a user reads out')
    elif not isinstance(out_entry.value, list) or not all(
            isinstance(o, str) for o in out_entry.value):
        diags.add(out_entry.origin, out_entry.path, "type-error",
                  "'outputs' must be a list of variable names", at_value=True,
                  hint='outputs = ["h", "y"]')
    else:
        for o in out_entry.value:
            if o not in targets:
                close = did_you_mean(o, targets)
                diags.add(out_entry.origin, out_entry.path, "unknown-symbol",
                          f"output '{o}' is not defined by an equation", at_value=True, symbol=o,
                          hint=(f"did you mean '{close}'? " if close else "")
                               + "outputs name equation targets")
            else:
                outputs.append(o)

    if diags.items:
        return None

    equations = tuple(
        Equation(t, eq_entries[t].value, typed[t].expr, typed[t].shape, tuple(refs[t]),
                 eq_entries[t].origin.file, eq_entries[t].origin.index.key(eq_entries[t].path).line)
        for t in order
    )
    spec = Spec(
        name=spec_name, title=title, sources=tuple(sources), notes=notes,
        dims=tuple(dims.values()),
        inputs={n: d for n, d in final_decls.items() if d.role == "input"},
        states={n: d for n, d in final_decls.items() if d.role == "state"},
        params={n: d for n, d in final_decls.items() if d.role == "param"},
        equations=equations, outputs=tuple(outputs),
        path=None if file == "<string>" else file, extends=extends,
    )
    try:
        make_schedule(spec)
    except ScheduleError as e:
        entry = eq_entries[e.variable]
        diags.add(entry.origin, entry.path, "mixed-recurrence", str(e), equation=e.variable,
                  symbol=e.variable,
                  hint="split it into a forward chain and a backward chain joined afterwards, "
                       "as a bidirectional RNN does")
        return None
    return spec


# -- public -----------------------------------------------------------------------
def loads_spec(text: str, *, file: str = "<string>") -> Spec:
    """Parse and validate spec text.

    Arguments:
        text: TOML source of a spec.
        file: name used in error messages (and for resolving a relative ``extends``).
    Returns:
        The validated :class:`Spec`.
    Raises:
        SpecError: with one located diagnostic per problem found.

    >>> # a one-equation spec: a linear recurrence h_t = W h_{t-1} + U x_t
    >>> spec = loads_spec('''
    ... name = "linear"
    ... outputs = ["h"]
    ... [dims]
    ... H = "hidden size"
    ... D = "input size"
    ... [inputs]
    ... x = { shape = ["D"] }
    ... [states]
    ... h = { shape = ["H"], init = "0" }
    ... [params]
    ... W = { shape = ["H", "H"] }
    ... U = { shape = ["H", "D"] }
    ... [equations]
    ... h = "W @ h[t-1] + U @ x"
    ... ''')
    >>> spec.equation("h").shape
    (H,)
    """
    diags = _Diagnostics()
    layers = _layers(text, file, diags)
    diags.raise_if_any()
    merged = _merge(layers, diags)
    spec = _build(merged, diags, file)
    diags.raise_if_any()
    assert spec is not None  # _build returns None only with diagnostics
    return spec


def load_spec(source: str | Path) -> Spec:
    """Load a spec by catalogue name (``"lstm"``) or file path.

    Arguments:
        source: a bundled spec name, or the path of a ``.toml`` file.
    Returns:
        The validated :class:`Spec`.
    Raises:
        SpecError: unknown name, unreadable file, or an invalid spec.

    >>> # the seed 004 LSTM, with its two biases per gate
    >>> load_spec("lstm").variables
    ('i', 'f', 'o', 'c_tilde', 'c', 'h', 'y')
    """
    from .. import catalogue

    path = Path(source)
    if not (str(source).endswith(".toml") or path.is_file()):
        path = catalogue.spec_path(str(source))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(Diagnostic("unreadable", f"cannot read spec file: {e.__class__.__name__}: "
                                   f"{getattr(e, 'strerror', None) or e}", file=str(source),
                                   hint="check the path")) from None
    return loads_spec(text, file=str(path))


def parse_in_spec(spec: Spec, text: str) -> Typed:
    """Type an extra expression in the scope of ``spec`` (all its names, delays to states)."""
    decls = {**spec.inputs, **spec.states, **spec.params}
    typed = {e.target: Typed(e.expr, e.shape) for e in spec.equations}
    index = TomlIndex(f"expr = {toml_string(text)}\n")
    entry = _Entry(text, _Origin("<expression>", index), ("expr",))
    diags = _Diagnostics()
    try:
        p = parse_expression(text)
        for r in references(p):
            if r.offset and (r.name not in decls or decls[r.name].init is None):
                raise ExprError("missing-initial-value",
                                f"'{r.name}' is used at t{r.offset:+d} but is not a state with "
                                "an initial value", lineno=r.lineno, col=r.col, span=r.span,
                                symbol=r.name, hint="only states may carry a time index")
        return typecheck(p, _Scope(decls, set(typed), typed, set(), dict(
            (d.name, d) for d in spec.dims)))
    except ExprError as err:
        diags.add_expr(entry, err, None)
    raise SpecError(diags.items)


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def variant(spec: Spec, *, name: str | None = None, title: str | None = None,
            equations: dict | None = None, inputs: dict | None = None,
            outputs: tuple[str, ...] | None = None) -> Spec:
    """A variant of ``spec`` (``extends``): equations replaced or added, inputs added.

    Arguments:
        spec: a spec loaded from a file (the variant extends that file).
        name, title: of the variant (default ``<name>_variant``, the base's title).
        equations: ``{target: expression}`` to replace or add.
        inputs: ``{name: (shape entries as strings, doc)}`` to add.
        outputs: the variant's outputs (default the base's).
    Returns:
        The validated variant; an invalid one raises :class:`SpecError`.

    >>> # the GRU with its reset applied before the recurrent product (Cho et al. 2014)
    >>> cho = "tanh(W_in @ x + b_in + W_hn @ (r * h[t-1]) + b_hn)"
    >>> v = variant(load_spec("gru"), equations={"n": cho})
    >>> v.equation("n").text
    'tanh(W_in @ x + b_in + W_hn @ (r * h[t-1]) + b_hn)'
    """
    if spec.path is None:
        raise SpecError(Diagnostic("no-file", f"spec {spec.name!r} has no file to extend",
                                   hint="load it from a file to derive a variant"))
    lines = [f"name = {toml_string(name or spec.name + '_variant')}"]
    if title or spec.title:
        lines.append(f"title = {toml_string(title or spec.title)}")
    lines.append(f"extends = {toml_string(Path(spec.path).resolve().as_posix())}")
    if outputs is not None:
        lines.append("outputs = [" + ", ".join(toml_string(o) for o in outputs) + "]")
    if inputs:
        lines.append("\n[inputs]")
        for n, (shape, doc) in inputs.items():
            entries = ", ".join(toml_string(str(d)) for d in shape)
            lines.append(f"{n} = {{ shape = [{entries}], doc = {toml_string(doc)} }}")
    if equations:
        lines.append("\n[equations]")
        lines += [f"{t} = {toml_string(x)}" for t, x in equations.items()]
    return loads_spec("\n".join(lines) + "\n", file=f"<variant of {spec.name}>")
