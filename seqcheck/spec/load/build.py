"""The last stage of loading: a merged spec -> a validated :class:`~seqcheck.spec.model.Spec`.

:func:`build_spec` runs the checks in order -- the top-level fields and sources, dims and
declarations (:mod:`.declarations`), the equation pass (:mod:`.equations`), initial values,
unused declarations and dims, outputs -- and assembles the frozen spec, whose sweeps over
time (:mod:`seqcheck.spec.schedule`) must exist. Every problem is added to the
diagnostics; a spec is built only when there is none.
"""

from __future__ import annotations

import sympy as sp

from ..diagnostics import Diagnostics, Entry
from ..grammar import ExprError, format_shape, parse_expression, references, same_shape, typecheck
from ..model import Declaration, Dim, Equation, Source, Spec
from ..schedule import ScheduleError, make_schedule
from ..scope import DependsOnFailed
from ..suggest import did_you_mean
from .declarations import declarations, declare_dims
from .equations import EquationPass, check_equations, scope_of
from .layers import MergedSpec

__all__ = ["build_spec"]


def build_spec(merged: MergedSpec, diags: Diagnostics, file: str) -> Spec | None:
    """The validated spec of ``merged``, or None when ``diags`` holds a problem.

    Arguments:
        merged: the merged layers of the spec file ``file``.
        diags: collects every problem found.
        file: the top file's name (``"<string>"`` for text without a file).
    """
    own = merged.own
    if "name" not in own:
        diags.add(merged.origin, (), "missing-key", "the spec has no 'name'",
                  hint='add  name = "my_cell"  at the top')
    spec_name = _str_field(merged.scalars.get("name"), diags)
    title = _str_field(merged.scalars.get("title"), diags)
    notes = _str_field(merged.scalars.get("notes"), diags)
    extends = own.get("extends") if isinstance(own.get("extends"), str) else None
    sources = _sources(merged, diags)

    dims = declare_dims(merged, diags)
    broken: set[str] = set()
    decls = declarations(merged, dims, diags, broken)
    found = check_equations(merged, decls, dims, broken, diags)
    final_decls = _initial_values(merged, decls, dims, found, diags)
    _check_unused(merged, decls, dims, found, extends, diags)
    outputs = _outputs(merged, found.targets, diags)
    if diags.items:
        return None

    entries, typed = found.entries, found.typed
    equations = tuple(
        Equation(t, entries[t].value, typed[t].expr, typed[t].shape, tuple(found.refs[t]),
                 entries[t].origin.file, entries[t].origin.index.key(entries[t].path).line)
        for t in found.order
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
        entry = entries[e.variable]
        diags.add(entry.origin, entry.path, "mixed-recurrence", str(e), equation=e.variable,
                  symbol=e.variable,
                  hint="split it into a forward chain and a backward chain joined afterwards, "
                       "as a bidirectional RNN does")
        return None
    return spec


def _str_field(entry: Entry | None, diags: Diagnostics) -> str:
    if entry is None:
        return ""
    if not isinstance(entry.value, str):
        diags.add(entry.origin, entry.path, "type-error", f"'{entry.path[-1]}' must be a string",
                  at_value=True, hint=f'{entry.path[-1]} = "..."')
        return ""
    return entry.value


def _sources(merged: MergedSpec, diags: Diagnostics) -> list[Source]:
    sources = []
    for e in merged.sources:
        v = e.value
        if not isinstance(v, dict) or "file" not in v:
            diags.add(e.origin, e.path, "bad-source", "each [[sources]] entry needs a 'file'",
                      hint='file = "000_bdb039f7b454a225.txt"')
            continue
        eqs = v.get("equations", [])
        eqs = [eqs] if isinstance(eqs, (str, int)) else list(eqs)
        sources.append(Source(str(v["file"]), tuple(str(x) for x in eqs),
                              str(v.get("where", "")), str(v.get("note", ""))))
    return sources


def _initial_values(merged: MergedSpec, decls: dict[str, Declaration], dims: dict[str, Dim],
                    found: EquationPass, diags: Diagnostics) -> dict[str, Declaration]:
    """The declarations with their initial values typed: parameters, static inputs and
    numbers only. The names an initial value uses are added to ``found.used``."""
    allow = {n for n, d in decls.items() if d.role == "param" or (d.role == "input" and d.static)}
    init_scope = scope_of(decls, dims, found, allow=allow)
    final_decls = dict(decls)
    for name, d in decls.items():
        if d.init_text is None:
            continue
        section = "states" if d.role == "state" else "inputs"
        entry = Entry(d.init_text, merged.sections[section][name].origin,
                      (section, name, "init"))
        if not isinstance(d.init_text, str):
            diags.add(entry.origin, entry.path, "type-error", "'init' must be an expression string",
                      at_value=True, symbol=name, hint='init = "0"')
            continue
        try:
            p = parse_expression(d.init_text)
            for r in references(p):
                found.used.add(r.name)
                if r.offset:
                    raise ExprError("bad-reference", "an initial value has no time index",
                                    lineno=r.lineno, col=r.col, span=r.span, symbol=r.name,
                                    hint="use parameters, static inputs and numbers")
            v = typecheck(p, init_scope)
        except ExprError as err:
            diags.add_expr(entry, err, None)
            continue
        except DependsOnFailed:
            continue
        if v.shape and not same_shape(v.shape, d.shape):
            diags.add(entry.origin, entry.path, "shape-mismatch",
                      f"initial value of '{name}' has shape {format_shape(v.shape)}, but "
                      f"'{name}' is {format_shape(d.shape)}", at_value=True, symbol=name,
                      details=init_scope.dim_lines(), hint="use a scalar (broadcast) or a "
                                                           "value of the same shape")
            continue
        final_decls[name] = Declaration(d.name, d.role, d.shape, d.doc, d.static, v, d.init_text,
                                        d.mask)
    return final_decls


def _check_unused(merged: MergedSpec, decls: dict[str, Declaration], dims: dict[str, Dim],
                  found: EquationPass, extends: str | None, diags: Diagnostics) -> None:
    """Unused declarations and dims -- only when every equation was understood, since an
    equation that failed to parse or type may be where the "unused" name belongs."""
    for name, d in (decls.items() if not diags.items else ()):
        if d.role in ("param", "input") and name not in found.used:
            section = "params" if d.role == "param" else "inputs"
            entry = merged.sections[section][name]
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
            entry = merged.sections["dims"][dname]
            diags.add(entry.origin, entry.path, "unused-symbol",
                      f"dim '{dname}' is declared but no shape uses it", symbol=dname,
                      hint="use it in a shape or remove it")


def _outputs(merged: MergedSpec, targets: set[str], diags: Diagnostics) -> list[str]:
    """The ``outputs`` list: equation targets only."""
    out_entry = merged.scalars.get("outputs")
    outputs: list[str] = []
    if out_entry is None:
        diags.add(merged.origin, (), "missing-key", "the spec has no 'outputs'",
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
    return outputs
