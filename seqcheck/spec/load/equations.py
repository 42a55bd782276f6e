"""The equation pass of loading: every ``[equations]`` entry parsed, its references checked,
the states checked for an equation and an initial value, algebraic loops refused, and the
equations typed in dependency order.

The pass records what it learns in an :class:`EquationPass` that the later checks read
(which names are used, which failed).
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass, field

from ..diagnostics import Diagnostics, Entry
from ..grammar import (
    ExprError,
    ParsedExpr,
    Reference,
    Typed,
    format_shape,
    parse_expression,
    references,
    same_shape,
    typecheck,
)
from ..model import Declaration, Dim
from ..scope import DependsOnFailed, SpecScope
from ..suggest import did_you_mean
from .declarations import ROLE_WORD, check_name, check_not_a_dim
from .layers import MergedSpec

__all__ = ["EquationPass", "check_equations", "stable_toposort"]


@dataclass
class EquationPass:
    """What the equation pass found, for the checks after it.

    Arguments:
        entries: every equation with a valid target, by target, in merged order.
        parsed: the equations that parsed, by target.
        refs: the references of each parsed equation, in source order.
        failed: targets and declarations that failed (their users are skipped).
        used: every name some equation uses.
        typed: the equations that typed, by target.
        order: the targets in display order (declared, made dependency-consistent).
    """

    entries: dict[str, Entry] = field(default_factory=dict)
    parsed: dict[str, ParsedExpr] = field(default_factory=dict)
    refs: dict[str, list[Reference]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    typed: dict[str, Typed] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    @property
    def targets(self) -> set[str]:
        """Every equation target (parsed or not)."""
        return set(self.entries)


def stable_toposort(order: list[str], deps: dict[str, set[str]]) -> list[str]:
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


def scope_of(decls: dict[str, Declaration], dims: dict[str, Dim], found: EquationPass,
             **kwargs) -> SpecScope:
    """The scope of the spec's names as the pass has them (``allow``: see :class:`SpecScope`)."""
    return SpecScope({n: d.shape for n, d in decls.items()}, found.targets, found.typed,
                     found.failed, {n: d.doc for n, d in dims.items()}, **kwargs)


def check_equations(merged: MergedSpec, decls: dict[str, Declaration], dims: dict[str, Dim],
                    broken: set[str], diags: Diagnostics) -> EquationPass:
    """Parse, check and type the equations: references first, then structure, then types.

    Arguments:
        merged: the merged spec.
        decls, dims: its declarations and dims.
        broken: declared names whose declaration failed.
        diags: collects every problem.
    """
    found = EquationPass()
    _parse(merged, decls, dims, found, diags)
    found.failed = (set(found.entries) - set(found.parsed)) | broken
    same_step, init_problems = _check_references(decls, broken, found, diags)
    _check_states(merged, decls, found.targets, init_problems, diags)
    _check_loops(same_step, found, diags)
    _type(decls, dims, same_step, found, diags)
    return found


def _parse(merged: MergedSpec, decls: dict[str, Declaration], dims: dict[str, Dim],
           found: EquationPass, diags: Diagnostics) -> None:
    for target, entry in merged.sections["equations"].items():
        if not check_name(target, entry, "variable", diags):
            continue
        if target in decls and decls[target].role != "state":
            word = ROLE_WORD[decls[target].role]
            diags.add(entry.origin, entry.path, "bad-target",
                      f"equation assigns to {word} '{target}'", symbol=target, equation=target,
                      hint=f"{word}s are given, not computed; rename the target")
            continue
        if not check_not_a_dim(target, entry, "variable", dims, diags):
            continue
        found.entries[target] = entry
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
        found.parsed[target], found.refs[target] = p, references(p)


def _check_references(decls: dict[str, Declaration], broken: set[str], found: EquationPass,
                      diags: Diagnostics) -> tuple[dict[str, set[str]], set[str]]:
    """Unknown names and misused time indices; returns the same-step dependencies of each
    target and the names used with a delay but without an initial value."""
    targets = found.targets
    names = set(decls) | targets | broken
    same_step: dict[str, set[str]] = {t: set() for t in found.parsed}
    init_problems: set[str] = set()
    for target, rs in found.refs.items():
        entry = found.entries[target]
        for r in rs:
            found.used.add(r.name)
            if r.name not in names:
                close = did_you_mean(r.name, list(decls) + list(found.entries))
                diags.add_expr(entry, ExprError(
                    "unknown-symbol", f"unknown symbol '{r.name}'", lineno=r.lineno, col=r.col,
                    span=len(r.name), symbol=r.name,
                    hint=(f"did you mean '{close}'? " if close else "")
                    + "declare it under [inputs], [states] or [params], or define it by an "
                      "equation"), target)
                found.failed.add(target)
                continue
            if r.offset == 0:
                if r.name in targets:
                    same_step[target].add(r.name)
                continue
            err = _delay_problem(r, decls.get(r.name))
            if err is None:
                continue
            if err[0] == "missing-initial-value":
                init_problems.add(r.name)
            kind, msg, fix = err
            diags.add_expr(entry, ExprError(kind, msg, lineno=r.lineno, col=r.col,
                                            span=r.span, symbol=r.name, hint=fix), target)
    return same_step, init_problems


def _delay_problem(r: Reference, d: Declaration | None) -> tuple[str, str, str] | None:
    """Why ``r``, a reference with a time offset to the declaration ``d`` (None: an equation
    target), is wrong, as (kind, message, fix); None if it is right."""
    if d is not None and d.role == "param":
        return ("bad-reference", f"parameter '{r.name}' does not change over time",
                f"write {r.name}, not {r.name}[t{r.offset:+d}]")
    if d is not None and d.role == "input" and d.static:
        return ("bad-reference", f"static input '{r.name}' has no time index",
                f"write {r.name}, not {r.name}[t{r.offset:+d}]")
    if d is None or d.init_text is None:
        kind = "state" if d is None or d.role == "state" else "input"
        if d is None:
            fix = (f"declare it under [states] with an initial value: "
                   f'{r.name} = {{ shape = [...], init = "0" }}')
        else:
            fix = f'give it an initial value: init = "0" in its [{kind}s] entry'
        return ("missing-initial-value",
                f"'{r.name}' is used at t{r.offset:+d} but has no initial value", fix)
    return None


def _check_states(merged: MergedSpec, decls: dict[str, Declaration], targets: set[str],
                  init_problems: set[str], diags: Diagnostics) -> None:
    for name, d in decls.items():
        if d.role == "state":
            entry = merged.sections["states"][name]
            if name not in targets:
                diags.add(entry.origin, entry.path, "missing-equation",
                          f"state '{name}' has no equation", symbol=name,
                          hint=f'add  {name} = "..."  under [equations], or remove the state')
            if d.init_text is None and name not in init_problems:
                diags.add(entry.origin, entry.path, "missing-initial-value",
                          f"state '{name}' has no initial value", symbol=name,
                          hint='add init = "0" (or a parameter name) to its entry')


def _check_loops(same_step: dict[str, set[str]], found: EquationPass,
                 diags: Diagnostics) -> None:
    """Algebraic loops: a cycle among same-step references. The standard library's graphlib
    says whether there is one; networkx, imported only then, lists each for the report."""
    try:
        graphlib.TopologicalSorter(same_step).prepare()
        return
    except graphlib.CycleError:
        import networkx as nx  # only for a spec that has a loop: loading never needs it
    g = nx.DiGraph()
    g.add_nodes_from(same_step)
    for t, deps in same_step.items():
        g.add_edges_from((t, d) for d in deps)
    for cycle in nx.simple_cycles(g):
        first = min(cycle, key=list(found.entries).index)
        k = cycle.index(first)
        path = cycle[k:] + cycle[:k] + [first]
        entry = found.entries[first]
        nxt = path[1]
        r = next((r for r in found.refs[first] if r.name == nxt and r.offset == 0), None)
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
        found.failed.update(cycle)


def _type(decls: dict[str, Declaration], dims: dict[str, Dim], same_step: dict[str, set[str]],
          found: EquationPass, diags: Diagnostics) -> None:
    """Types, in dependency order; a state's equation must have the state's shape."""
    scope = scope_of(decls, dims, found)
    found.order = stable_toposort(list(found.parsed), same_step)
    for target in found.order:
        if target in found.failed:
            continue
        entry = found.entries[target]
        try:
            v = typecheck(found.parsed[target], scope)
        except DependsOnFailed:
            found.failed.add(target)
            continue
        except ExprError as err:
            diags.add_expr(entry, err, target)
            found.failed.add(target)
            continue
        d = decls.get(target)
        if d is not None and not same_shape(d.shape, v.shape):
            diags.add(entry.origin, entry.path, "shape-mismatch",
                      f"equation for state '{target}' has shape {format_shape(v.shape)}, but "
                      f"the state is declared {format_shape(d.shape)}", at_value=True,
                      equation=target, symbol=target, details=scope.dim_lines(),
                      hint="fix the equation or the declared shape")
            found.failed.add(target)
            continue
        found.typed[target] = v
