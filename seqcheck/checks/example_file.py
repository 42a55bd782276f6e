"""Worked-example files: transcriptions of a lecture's walk-through, validated against a spec.

A worked example (``reference/*.toml``) is a lecture's walk-through transcribed exactly as
printed -- never corrected: the spec it follows, the parameters, initial values and inputs,
and one ``[[printed]]`` table per printed vector::

    spec = "lstm"                 # bundled spec name, or a path relative to this file
    source = "004_305c128a81bf6144.txt, 2-decimal walk-through"
    decimals = 2                  # printed precision, unless an entry says otherwise
    notes = "..."                 # optional free text
    [params]                      # spec parameters; omitted ones default to zero
    W_ii = [[4, 4], [2, 2]]
    [initial]                     # optional; states default to the spec's init
    h = [0, 0]
    [inputs]                      # every input of the spec; one row per step, t = 1..T
    x = [[1, 0], [1, 0], [0, 1]]
    [[printed]]
    t = 1                         # the step, 1..T
    name = "i"                    # a variable of the spec (a free label when expr is given)
    value = [0.98, 0.88]          # as printed
    where = "eq. (11)"            # optional: where it is printed
    expr = "W_ii @ x + b_ii + W_hi @ h[t-1] + b_hi"  # optional: a printed intermediate
    reduce = "argmax"             # optional: value is a class (index, or one-hot list)
    decimals = 1                  # optional: this entry's printed precision
    note = "..."                  # optional free text

Loading validates the file against its spec and reports every problem at once as an
:class:`~seqcheck.errors.ExampleError` whose diagnostics name file:line:column, the key or
symbol, and a fix.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import sympy as sp

from ..backends.numpy_backend import compile_expression
from ..errors import Diagnostic, ExampleError, SpecError
from ..spec import Spec, Typed, load_spec
from ..spec.grammar import did_you_mean, format_shape
from ..spec.locate import TomlIndex, read_toml

__all__ = ["Printed", "Example", "load_example", "loads_example"]

_TOP_KEYS = {
    "spec": "the spec the walk-through follows",
    "source": "lecture citation",
    "decimals": "printed precision",
    "notes": "free text",
    "params": "parameter values",
    "initial": "initial values of states",
    "inputs": "one row per step",
    "printed": "one [[printed]] table per printed vector",
}
_ENTRY_KEYS = {
    "t": "the step",
    "name": "the variable (or a label, with expr)",
    "value": "the printed value",
    "where": "where it is printed",
    "expr": "a printed intermediate",
    "reduce": '"argmax" for a printed class',
    "decimals": "this entry's precision",
    "note": "free text",
}
_REQUIRED = ("spec", "decimals", "inputs", "printed")
LABEL = re.compile(r"^(\w+)\[t([+-]\d+)\]$")


# -- values -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # holds arrays: no field-wise ==
class Printed:
    """One printed vector of a walk-through.

    Arguments:
        t: the step, 1..T.
        name: the spec variable, or a free label for an ``expr`` entry.
        value: as printed: a read-only float64 array of the variable's shape; for
            ``reduce = "argmax"`` the class, an ``int`` or a one-hot array ``(n,)``.
        decimals: the printed precision.
        where: where it is printed (``"eq. (11), input gate at t = 1"``).
        expr: spec-grammar text of a printed intermediate, or None.
        reduce: None, or ``"argmax"``.
        note: free text.
        line: line of the entry in its file (0 if unknown).
    """

    t: int
    name: str
    value: object
    decimals: int
    where: str = ""
    expr: str | None = None
    reduce: str | None = None
    note: str = ""
    line: int = 0

    @property
    def printed_class(self) -> int | None:
        """For ``reduce = "argmax"``: the printed class index; else None."""
        if self.reduce != "argmax":
            return None
        return self.value if isinstance(self.value, int) else int(np.argmax(self.value))


@dataclass(frozen=True, eq=False)  # holds arrays: no field-wise ==
class Example:
    """A validated worked example. Build one with :func:`load_example`.

    Arguments:
        spec: the spec the walk-through follows.
        source: the lecture citation.
        decimals: the default printed precision.
        params: every parameter of the spec, with exactly its declared shape (omitted: zero).
        initial: the value before step 1 of every name used with a delay (states, and
            inputs with an ``init``): the file's, else the spec's.
        inputs: sequence inputs ``(T, *shape)``, static inputs ``(*shape)``.
        printed: the printed entries, in file order.
        dims: the binding of every dim.
        steps: T.
        file: the file it was read from (``"<string>"`` for text).
        notes: free text.
    """

    spec: Spec
    source: str
    decimals: int
    params: Mapping[str, np.ndarray]
    initial: Mapping[str, np.ndarray]
    inputs: Mapping[str, np.ndarray]
    printed: tuple[Printed, ...]
    dims: Mapping[str, int]
    steps: int
    file: str = "<string>"
    notes: str = ""


def _frozen(arrays: dict) -> Mapping[str, np.ndarray]:
    for a in arrays.values():
        a.setflags(write=False)
    return MappingProxyType(arrays)


# -- loading ------------------------------------------------------------------------
def _numbers(value) -> tuple[np.ndarray | None, str]:
    """A TOML number or rectangular nested list of numbers as float64, or (None, problem)."""
    def numeric(v) -> bool:
        if isinstance(v, list):
            return all(numeric(x) for x in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if not numeric(value):
        return None, "must be a number or a list of numbers"
    try:
        a = np.array(value, dtype=np.float64)
    except ValueError:
        return None, "is ragged: its rows have different lengths"
    if not np.all(np.isfinite(a)):
        return None, "must be finite (no inf or nan)"
    return a, ""


def _shape_hint(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a list of {shape[0]} numbers"
    return f"{shape[0]} rows of {shape[1]} numbers"


class _Reader:
    """Collects located diagnostics for one example file."""

    def __init__(self, text: str, file: str):
        self.file = file
        self.index = TomlIndex(text)
        self.items: list[Diagnostic] = []

    def error(self, path: tuple, kind: str, message: str, *, at_value=False, symbol=None,
              equation=None, hint=None, details=(), span=None) -> None:
        if not path:  # the file as a whole
            self.items.append(Diagnostic(kind=kind, message=message, file=self.file,
                                         symbol=symbol, hint=hint, details=tuple(details)))
            return
        pos = self.index.value(path) if at_value else self.index.key(path)
        line_text = self.index.line_text(pos.line)
        if span is None:
            if at_value and line_text is not None:  # underline the value up to a comment
                rest = line_text[pos.col - 1:]
                rest = rest.split("#", 1)[0] if '"' not in rest else rest
                span = len(rest.rstrip())
            else:  # the key, or the name of a [[table]] header
                span = len(str(path[-1] if isinstance(path[-1], str) else path[-2]))
        self.items.append(Diagnostic(
            kind=kind, message=message, file=self.file, line=pos.line, col=pos.col,
            equation=equation, symbol=symbol, hint=hint, source_line=line_text,
            span=max(1, span), details=tuple(details)))

    def unknown_key(self, path: tuple, allowed: dict, where: str) -> None:
        key = str(path[-1])
        close = did_you_mean(key, allowed)
        self.error(path, "unknown-key", f"unknown key '{key}' {where}", symbol=key,
                   hint=(f"did you mean '{close}'? " if close else "")
                   + "allowed keys: " + ", ".join(allowed))


class _Dims:
    """Binds the spec's dims from the arrays a file gives, by majority, and explains them."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.votes: dict[str, Counter] = {}
        self.first: dict[tuple[str, int], str] = {}
        self.values: dict[str, int] = {}

    def vote(self, declared: tuple, actual: tuple, what: str) -> None:
        if len(declared) != len(actual):
            return
        for sym, n in zip(declared, actual):
            s = sp.sympify(sym)
            if isinstance(s, sp.Symbol):
                self.votes.setdefault(s.name, Counter())[n] += 1
                self.first.setdefault((s.name, n), what)

    def settle(self) -> None:
        for name, counts in self.votes.items():
            # most_common keeps first-seen order among ties
            self.values[name] = counts.most_common(1)[0][0]

    def concrete(self, declared: tuple) -> tuple[int, ...] | None:
        subs = {d.symbol: self.values[d.name] for d in self.spec.dims if d.name in self.values}
        out = []
        for s in declared:
            v = sp.sympify(s).subs(subs)
            if not v.is_Integer:
                return None
            out.append(int(v))
        return tuple(out)

    def lines(self) -> tuple[str, ...]:
        parts = [f"{name} = {n} (from {self.first[(name, n)]})"
                 for name, n in sorted(self.values.items())]
        return ("dims: " + ", ".join(parts),) if parts else ()

    def shown(self, declared: tuple) -> str:
        """``(H, D) = (2, 3)``, or ``(2,)`` for a shape without dims."""
        c = self.concrete(declared)
        text = format_shape(declared)
        if c is None or text == format_shape(c):
            return text
        return f"{text} = {format_shape(c)}"


_SPECS: dict[tuple[str, int], Spec] = {}


def _load_spec(path: Path) -> Spec:
    """load_spec, cached by path and modification time (a Spec is immutable)."""
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _SPECS:
        if len(_SPECS) > 64:
            _SPECS.clear()
        _SPECS[key] = load_spec(path)
    return _SPECS[key]


def _resolve_spec(r: _Reader, name) -> Spec | None:
    from .. import catalogue

    if not isinstance(name, str):
        r.error(("spec",), "type-error", "'spec' must be a spec name or a path", at_value=True,
                hint='spec = "lstm"')
        return None
    try:
        path = catalogue.referenced_spec(name, r.file)
    except SpecError as e:
        if e.first.kind != "unknown-spec":
            raise
        r.error(("spec",), "unknown-spec", e.first.message, at_value=True, symbol=name,
                hint=e.first.hint)
        return None
    return _load_spec(path)


# Typed exprs and compiled functions per spec object. Typing and printing SymPy matrix
# expressions costs milliseconds each, and a Hypothesis run checks hundreds of files.
# The spec is kept beside each value, so its id cannot be reused while cached.
_TYPED: dict[tuple, tuple[Spec, Typed]] = {}
FUNCTIONS: dict[tuple, tuple[Spec, Callable]] = {}


def cached_on_spec(table: dict, spec: Spec, key, make: Callable):
    hit = table.get((id(spec), key))
    if hit is None or hit[0] is not spec:
        if len(table) > 1024:
            table.clear()
        hit = table[(id(spec), key)] = (spec, make())
    return hit[1]


def parse_cached(spec: Spec, text: str) -> Typed:
    """``spec.parse(text)``, cached."""
    return cached_on_spec(_TYPED, spec, text, lambda: spec.parse(text))


def _parse_expr(r: _Reader, spec: Spec, text: str, path: tuple, dims: _Dims) -> Typed | None:
    try:
        return parse_cached(spec, text)
    except SpecError as e:
        for d in e.diagnostics:
            # a spec's dims are symbolic; an example's are bound
            details = sum((dims.lines() if x.startswith("dims:") else (x,) for x in d.details),
                          ())
            # spec.parse positions into a one-line 'expr = "..."' document; map to this file.
            quote = (d.source_line or '"').find('"')
            offset = max(0, d.col - 2 - quote)
            pos = r.index.string_position(path, 1, offset)
            hint = d.hint
            if d.kind == "too-large" and "equations" in (hint or ""):
                hint = "record a shorter printed sub-term as its own [[printed]] entry"
            r.items.append(Diagnostic(
                kind=d.kind, message=d.message, file=r.file, line=pos.line, col=pos.col,
                equation=d.equation, symbol=d.symbol, hint=hint,
                source_line=r.index.line_text(pos.line), span=d.span, details=details))
        return None


def _read_arrays(r: _Reader, data: dict, spec: Spec, dims: _Dims):
    """The [inputs], [initial] and [params] tables as arrays (shapes checked later)."""
    tables = {  # section: (noun, what the spec calls it, label in dim lines, declarations)
        "inputs": ("input", "input", "inputs", dict(spec.inputs)),
        "initial": ("initial value", "state", "initial", {
            n: d for n, d in {**spec.states, **spec.inputs}.items() if d.init is not None}),
        "params": ("parameter", "parameter", "parameter", dict(spec.params)),
    }
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for section, (noun, thing, label, declared) in tables.items():
        arrays[section] = {}
        table = data.get(section, {})
        if not isinstance(table, dict):
            r.error((section,), "type-error", f"[{section}] must be a table",
                    hint=f"write [{section}] followed by name = ... lines")
            continue
        for name, value in table.items():
            path = (section, name)
            if name not in declared:
                close = did_you_mean(name, declared)
                has = ", ".join(declared) or "none"
                r.error(path, "unknown-symbol",
                        f"unknown {noun} '{name}': spec '{spec.name}' has no such {thing}",
                        symbol=name, hint=(f"did you mean '{close}'? " if close else "")
                        + f"the {thing}s of spec '{spec.name}' are {has}")
                continue
            d = declared[name]
            steps_axis = section == "inputs" and not d.static
            a, problem = _numbers(value)
            if a is not None and steps_axis and a.ndim == 0:
                a, problem = None, "must have one row per step"
            if a is None:
                r.error(path, "type-error", f"{noun} '{name}' {problem}", at_value=True,
                        symbol=name, hint=f"{name} = {_example_literal(d.shape, steps_axis)}")
                continue
            arrays[section][name] = a
            dims.vote(d.shape, a.shape[1:] if steps_axis else a.shape, f"{label} '{name}'")
    given = data.get("inputs")
    for name, d in spec.inputs.items():
        if isinstance(given, dict) and name not in given:
            rows = "one row per step" if not d.static else "its value"
            r.error(("inputs",), "missing-input", f"input '{name}' of spec '{spec.name}' is "
                    "not given", symbol=name,
                    hint=f"add  {name} = {_example_literal(d.shape, not d.static)}  ({rows})")
    return arrays


def _example_literal(shape: tuple, steps: bool = False) -> str:
    item = {0: "0.0", 1: "[0.0, ...]", 2: "[[0.0, ...], ...]"}[len(shape)]
    return f"[{item}, ...]" if steps else item


def _check_shapes(r: _Reader, spec: Spec, arrays: dict, dims: _Dims) -> int | None:
    """Check every given array against its declared shape; returns T."""
    steps = None
    for name, a in arrays["inputs"].items():
        d = spec.inputs[name]
        want = dims.concrete(d.shape)
        got = a.shape if d.static else a.shape[1:]
        if not d.static and a.ndim == 0:
            got = None
        if want is not None and got != want:
            per = "" if d.static else " per step"
            r.error(("inputs", name), "shape-mismatch",
                    f"input '{name}' has shape {format_shape(a.shape)}, but spec "
                    f"'{spec.name}' declares {dims.shown(d.shape)}{per}", at_value=True,
                    symbol=name, details=dims.lines(),
                    hint=f"write {name} as " + (_shape_hint(want) if d.static else
                                                f"one row per step, each {_shape_hint(want)}"))
        elif not d.static:
            if steps is not None and a.shape[0] != steps:
                r.error(("inputs", name), "shape-mismatch",
                        f"input '{name}' has {a.shape[0]} steps, but the inputs before it "
                        f"have {steps}", at_value=True, symbol=name,
                        hint="give every sequence input one row per step, t = 1..T")
            steps = a.shape[0] if steps is None else steps
    for section, noun, declared in (("initial", "initial value of", {**spec.states, **spec.inputs}),
                                    ("params", "parameter", spec.params)):
        for name, a in arrays[section].items():
            want = dims.concrete(declared[name].shape)
            if want is not None and a.shape != want:
                default = "the spec's init" if section == "initial" else "zero"
                r.error((section, name), "shape-mismatch",
                        f"{noun} '{name}' has shape {format_shape(a.shape)}, but spec "
                        f"'{spec.name}' declares {dims.shown(declared[name].shape)}",
                        at_value=True, symbol=name, details=dims.lines(),
                        hint=f"write {name} as {_shape_hint(want)}, or leave it out to "
                             f"default to {default}")
    unbound = [d for d in spec.dims if d.name not in dims.values]
    for d in unbound:
        r.error(("params",), "unbound-dim",
                f"dim '{d.name}' ({d.doc}) is not fixed by any array in the file",
                symbol=d.name, hint=f"give [initial] values or parameters whose shape uses "
                                    f"{d.name}, so that its size is known")
    return steps


def _read_printed(r: _Reader, data: dict, spec: Spec, dims: _Dims, steps: int | None,
                  decimals: int) -> list[Printed]:
    entries = data.get("printed")
    if entries is None:
        return []  # reported as a missing key
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        r.error(("printed",), "type-error", "'printed' must be [[printed]] tables",
                hint="write one [[printed]] table (t, name, value) per printed vector")
        return []
    out = []
    for k, e in enumerate(entries):
        path = ("printed", k)
        before = len(r.items)
        for key in e:
            if key not in _ENTRY_KEYS:
                r.unknown_key(path + (key,), _ENTRY_KEYS, f"in [[printed]] entry {k + 1}")
        for key in ("t", "name", "value"):
            if key not in e:
                r.error(path, "missing-key", f"[[printed]] entry {k + 1} has no '{key}'",
                        hint="each [[printed]] table needs t, name and value")
        for key in ("name", "where", "expr", "note"):
            if key in e and not isinstance(e[key], str):
                r.error(path + (key,), "type-error", f"'{key}' must be a string",
                        at_value=True, hint=f'{key} = "..."')
        if len(r.items) > before:
            continue
        t, name = e["t"], e["name"]
        label = f"'{name}' at t = {t}"
        if isinstance(t, bool) or not isinstance(t, int):
            r.error(path + ("t",), "type-error", "'t' must be an integer step", at_value=True,
                    hint="t = 1 is the first step")
            continue
        if steps is not None and not 1 <= t <= steps:
            if t < 1:
                hint = "t = 1 is the first row of [inputs]; values before it go in [initial]"
            else:
                hint = f"[inputs] has {steps} rows; add rows for the later steps, or fix t"
            r.error(path + ("t",), "step-out-of-range",
                    f"t = {t} is outside the walk-through's steps 1..{steps}", at_value=True,
                    symbol=name, hint=hint)
            continue
        d = e.get("decimals", decimals)
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            r.error(path + ("decimals",), "type-error",
                    "'decimals' must be a non-negative integer", at_value=True,
                    hint="decimals = 2 for values printed like 0.98")
            continue
        reduce = e.get("reduce")
        if reduce not in (None, "argmax"):
            r.error(path + ("reduce",), "bad-value", f"unknown reduce {reduce!r}",
                    at_value=True, hint='the only reduce is "argmax": the value is a class')
            continue
        expr = e.get("expr")
        if expr is not None:
            typed = _parse_expr(r, spec, expr, path + ("expr",), dims)
            if typed is None:
                continue
            shape, what = typed.shape, "its expr"
        elif name in spec.variables:
            shape, what = spec.equation(name).shape, f"'{name}'"
        else:
            close = did_you_mean(name, spec.variables)
            r.error(path + ("name",), "unknown-symbol",
                    f"'{name}' is not a variable of spec '{spec.name}'", at_value=True,
                    symbol=name, hint=(f"did you mean '{close}'? " if close else "")
                    + f"the variables are {', '.join(spec.variables)}; for a printed "
                      "intermediate, add expr = \"...\" and keep name as its label")
            continue
        want = dims.concrete(shape)
        if want is None:
            continue  # an unbound dim, reported once already
        value = _printed_value(r, e["value"], reduce, want, shape, what, label, path, dims)
        if value is None:
            continue
        line = r.index.key(path).line
        out.append(Printed(t, name, value, d, e.get("where", ""), expr, reduce,
                           e.get("note", ""), line))
    return out


def _printed_value(r, raw, reduce, want, shape, what, label, path, dims):
    vpath = path + ("value",)
    if reduce == "argmax":
        if len(want) != 1:
            r.error(path + ("reduce",), "bad-value",
                    f"reduce = \"argmax\" needs a vector, but {what} has shape "
                    f"{dims.shown(shape)}", at_value=True, hint="remove reduce")
            return None
        n = want[0]
        if isinstance(raw, int) and not isinstance(raw, bool):
            if 0 <= raw < n:
                return raw
        else:
            a, _ = _numbers(raw)
            if a is not None and a.shape == (n,) and set(a.tolist()) <= {0.0, 1.0} \
                    and a.sum() == 1:
                a.setflags(write=False)
                return a
        r.error(vpath, "bad-value", f"printed class of {label} must be an index 0..{n - 1} or "
                f"a one-hot list of {n} numbers", at_value=True,
                hint="value = 1 for \"softmax(h_t) = 1\"; value = [0.0, 1.0] for a one-hot "
                     "target")
        return None
    a, problem = _numbers(raw)
    if a is None:
        r.error(vpath, "type-error", f"printed value of {label} {problem}", at_value=True,
                hint=f"write it as {_shape_hint(want)}"
                + (", transcribed as printed" if "finite" in problem else ""))
        return None
    if a.shape != want:
        r.error(vpath, "shape-mismatch", f"printed value of {label} has shape "
                f"{format_shape(a.shape)}, but {what} has shape {dims.shown(shape)}",
                at_value=True, details=dims.lines(),
                hint=f"transcribe the printed value as {_shape_hint(want)}")
        return None
    a.setflags(write=False)
    return a


def _initial_values(spec: Spec, given: dict, params: dict, dims: dict) -> dict:
    out = {}
    for name, d in {**spec.states, **spec.inputs}.items():
        if d.init is None:
            continue
        if name in given:
            out[name] = given[name]
            continue
        fn = compile_expression(spec, d.init)
        value = fn({n: params[n] for n in fn.names}, dims)
        shape = tuple(int(sp.sympify(s).subs({x.symbol: dims[x.name] for x in spec.dims}))
                      for s in d.shape)
        out[name] = np.array(np.broadcast_to(np.asarray(value, dtype=np.float64), shape))
    return out


def loads_example(text: str, *, file: str = "<string>") -> Example:
    """Parse and validate worked-example text against its spec.

    Arguments:
        text: TOML source (format in the module docstring).
        file: name for error messages, and the base of a relative ``spec`` path.
    Returns:
        The validated :class:`Example`.
    Raises:
        ExampleError: every problem found, each located and with a fix.
        SpecError: the spec it names is itself invalid.

    >>> # one printed gate of seed 004's LSTM (omitted parameters are zero)
    >>> ex = loads_example('''
    ... spec = "lstm"
    ... decimals = 2
    ... [params]
    ... W_ii = [[4, 4], [2, 2]]
    ... [initial]
    ... h = [0, 0]
    ... [inputs]
    ... x = [[1, 0]]
    ... [[printed]]
    ... t = 1
    ... name = "i"
    ... value = [0.98, 0.88]
    ... ''')
    >>> ex.steps, ex.dims["H"], ex.printed[0].value.tolist()
    (1, 2, [0.98, 0.88])
    """
    r = _Reader(text, file)
    data = read_toml(text, file, r.index, ExampleError)
    for key in data:
        if key not in _TOP_KEYS:
            r.unknown_key((key,), _TOP_KEYS, "at the top level")
    for key in _REQUIRED:
        if key not in data:
            r.error((), "missing-key", f"the example has no '{key}'",
                    hint=f"add  {key} = ...  ({_TOP_KEYS[key]})")
    for key in ("source", "notes"):
        if key in data and not isinstance(data[key], str):
            r.error((key,), "type-error", f"'{key}' must be a string", at_value=True,
                    hint=f'{key} = "..."')
    decimals = data.get("decimals", 0)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        r.error(("decimals",), "type-error", "'decimals' must be a non-negative integer",
                at_value=True, hint="decimals = 2 for values printed like 0.98")
        decimals = 0
    spec = _resolve_spec(r, data["spec"]) if "spec" in data else None
    if spec is None:
        raise ExampleError(r.items)
    dims = _Dims(spec)
    arrays = _read_arrays(r, data, spec, dims)
    dims.settle()
    steps = _check_shapes(r, spec, arrays, dims)
    printed = _read_printed(r, data, spec, dims, steps, decimals)
    if r.items:
        raise ExampleError(r.items)
    binding = dict(dims.values)
    params = {n: arrays["params"].get(n, np.zeros(dims.concrete(d.shape)))
              for n, d in spec.params.items()}
    return Example(
        spec=spec, source=data.get("source", ""), decimals=decimals,
        params=_frozen(params),
        initial=_frozen(_initial_values(spec, arrays["initial"], params, binding)),
        inputs=_frozen(arrays["inputs"]), printed=tuple(printed),
        dims=MappingProxyType(binding), steps=steps or 0, file=file,
        notes=data.get("notes", ""))


def load_example(source: str | Path) -> Example:
    """Load a worked example by bundled name (a file stem in ``reference/``) or path.

    Arguments:
        source: e.g. ``"seed004_lstm_2dec"`` or ``"reference/seed004_lstm_2dec.toml"``.
    Returns:
        The validated :class:`Example`.
    Raises:
        ExampleError: unknown name, unreadable or invalid file.

    >>> # seed 004's 2-decimal LSTM walk-through: three steps of a 2-unit LSTM
    >>> load_example("seed004_lstm_2dec").steps
    3
    """
    from .. import catalogue

    path = Path(source)
    if not (str(source).endswith(".toml") or path.is_file()):
        try:
            path = catalogue.example_path(str(source))
        except SpecError as e:
            raise ExampleError(e.diagnostics) from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ExampleError(Diagnostic(
            "unreadable", f"cannot read example file: {e.__class__.__name__}: "
            f"{getattr(e, 'strerror', None) or e}", file=str(source), hint="check the path"),
        ) from None
    return loads_example(text, file=str(path))
