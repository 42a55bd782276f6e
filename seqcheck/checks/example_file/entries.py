"""The ``[[printed]]`` entries of a worked-example file: :func:`read_printed`.

Each entry names a step and a spec variable (or, with ``expr``, a printed intermediate in
the spec grammar) and gives the value as printed, at the file's precision or its own; an
``argmax`` entry gives a class. Every key is checked, the ``expr`` typed against the spec,
and the value held to the shape the dims bind.
"""

from __future__ import annotations

from ...errors import Diagnostic, SpecError
from ...spec import Spec, Typed
from ...spec.grammar import format_shape
from ...spec.suggest import did_you_mean
from .arrays import numbers, shape_hint
from .cache import parse_cached
from .dims import DimBinding
from .model import Printed
from .reader import ExampleReader

__all__ = ["read_printed"]

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


def _parse_expr(r: ExampleReader, spec: Spec, text: str, path: tuple,
                dims: DimBinding) -> Typed | None:
    """``expr`` typed against the spec; its problems, located in this file, go to ``r``."""
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



def read_printed(r: ExampleReader, data: dict, spec: Spec, dims: DimBinding,
                 steps: int | None, decimals: int) -> list[Printed]:
    """The ``[[printed]]`` entries, in file order; problems go to ``r``.

    Arguments:
        r: the reader of the file.
        data: the parsed TOML.
        spec: the spec the walk-through follows.
        dims: the dims, bound.
        steps: T, or None where the inputs do not fix it.
        decimals: the file's printed precision.
    Returns:
        The entries that are valid.
    """
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
            a, _ = numbers(raw)
            if a is not None and a.shape == (n,) and set(a.tolist()) <= {0.0, 1.0} \
                    and a.sum() == 1:
                a.setflags(write=False)
                return a
        r.error(vpath, "bad-value", f"printed class of {label} must be an index 0..{n - 1} or "
                f"a one-hot list of {n} numbers", at_value=True,
                hint="value = 1 for \"softmax(h_t) = 1\"; value = [0.0, 1.0] for a one-hot "
                     "target")
        return None
    a, problem = numbers(raw)
    if a is None:
        r.error(vpath, "type-error", f"printed value of {label} {problem}", at_value=True,
                hint=f"write it as {shape_hint(want)}"
                + (", transcribed as printed" if "finite" in problem else ""))
        return None
    if a.shape != want:
        r.error(vpath, "shape-mismatch", f"printed value of {label} has shape "
                f"{format_shape(a.shape)}, but {what} has shape {dims.shown(shape)}",
                at_value=True, details=dims.lines(),
                hint=f"transcribe the printed value as {shape_hint(want)}")
        return None
    a.setflags(write=False)
    return a

