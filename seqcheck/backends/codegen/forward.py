"""The generated ``forward``: the spec's sweeps in schedule order, one loop per recurrence.

``forward(params, inputs, initial, _T, _B, _dims, _xp)`` evaluates the sweeps of the
spec (:mod:`seqcheck.spec.schedule`) and returns every variable stacked over time,
``(T, B, ...)``. A sweep on no recurrence is evaluated for every step at once; in a
recurrent sweep the parts that read only inputs and parameters are hoisted out of the
loop (:func:`hoist`). Per-step values are kept in Python lists, which torch autograd can
follow (no in-place writes).
"""

from __future__ import annotations

import sympy as sp

from ...spec.model import Spec
from ...spec.schedule import make_schedule
from ..printer import ArrayPrinter, ident
from .reads import bind_refs, delayed_read, prologue, refs_of, shape_code

__all__ = ["forward_code", "hoist"]


def _invariant_names(spec: Spec) -> set[str]:
    """Names whose value at step t is known before any loop: parameters and inputs."""
    return set(spec.params) | set(spec.inputs)


def hoist(expr, spec: Spec, target: str, hoisted: list):
    """Replace the parts of ``expr`` that read only inputs and parameters by new symbols.

    A sum like ``W_ii @ x + b_ii + W_hi @ h[t-1] + b_hi`` keeps its recurrent term and
    gets ``i_in`` for ``W_ii @ x + b_ii + b_hi``, computed for every step before the loop.
    """
    seq_inputs = set(spec.sequence_inputs)
    invariant = _invariant_names(spec)

    def names(e):
        return {s.name for s in e.free_symbols
                if isinstance(s, (sp.Symbol, sp.MatrixSymbol)) and not s.is_integer}

    def is_invariant(e):
        return names(e) <= invariant

    def reads_input(e):
        return bool(names(e) & seq_inputs)

    def new_symbol(e):
        k = len(hoisted) + 1
        label = f"{target}_in" if not any(n.startswith(f"{target}_in") for n, _ in hoisted) \
            else f"{target}_in{k}"
        sym = sp.MatrixSymbol(label, *e.shape)
        hoisted.append((label, e))
        return sym

    def walk(e):
        if not getattr(e, "is_Matrix", False) or isinstance(e, (sp.MatrixSymbol, sp.BlockMatrix)):
            return e
        if is_invariant(e):
            return new_symbol(e) if reads_input(e) else e
        if isinstance(e, sp.MatAdd):
            inv = [a for a in e.args if is_invariant(a)]
            rest = [walk(a) for a in e.args if not is_invariant(a)]
            if inv and any(reads_input(a) for a in inv):
                return sp.MatAdd(*rest, new_symbol(sp.MatAdd(*inv) if len(inv) > 1 else inv[0]))
            return sp.MatAdd(*rest, *inv)
        args = [walk(a) if getattr(a, "is_Matrix", False) else a for a in e.args]
        return e.func(*args) if args != list(e.args) else e

    return walk(expr)

def forward_code(spec: Spec, p: ArrayPrinter, w) -> None:
    """Write the generated ``forward`` of ``spec``, one line per call of ``w``."""
    schedule = make_schedule(spec)
    delayed = spec.delayed_refs()
    w("def forward(params, inputs, initial, _T, _B, _dims, _xp):")
    prologue(spec, p, w, delayed)
    earlier: set[str] = set()
    for k, sweep in enumerate(schedule.sweeps, start=1):
        if sweep.direction == 0:
            w(f"    # sweep {k}: {', '.join(sweep.variables)} "
              "(on no recurrence: every step at once)")
            exprs = [spec.equation(v).expr for v in sweep.variables]
            own = set(sweep.variables)
            bind_refs(spec, [r for r in refs_of(exprs) if r[0] not in own or r[1]], w)
            for v in sweep.variables:
                p.where = f"equation {v!r} of spec {spec.name!r}"
                w(f"    {v} = {p._print(spec.equation(v).expr)}")
                # an equation over parameters, static inputs or numbers only is the same at
                # every step: broadcast it to (T, B, ...) like the others (a view)
                shape = shape_code(p, spec.equation(v).shape) or "1"
                w(f"    {v}_seq = _xp.full({v}, (_T, _B, {shape}))")
            earlier.update(sweep.variables)
            continue
        forward_in_time = sweep.direction > 0
        span = "t = 1..T" if forward_in_time else "t = T..1"
        w(f"    # sweep {k}: {', '.join(sweep.variables)} ({span})")
        hoisted: list[tuple[str, object]] = []
        bodies = {v: hoist(spec.equation(v).expr, spec, v, hoisted) for v in sweep.variables}
        if hoisted:
            w("    # the parts that read only inputs and parameters, for every step at once")
            bind_refs(spec, [r for r in refs_of([e for _, e in hoisted])], w)
            for label, e in hoisted:
                p.where = f"the input part of equation {label!r} of spec {spec.name!r}"
                w(f"    {label}_seq = {p._print(e)}")
        for v in sweep.variables:
            w(f"    {v}_seq = [None] * _T")
        w(f"    for _t in {'range(_T)' if forward_in_time else 'range(_T - 1, -1, -1)'}:")
        reads = [label for label, _ in hoisted]
        delays = []
        for v in sweep.variables:
            for r in refs_of([bodies[v]]):
                name, off = r
                if name in (label for label, _ in hoisted):
                    continue
                if off == 0 and (name in spec.sequence_inputs or name in earlier):
                    reads.append(name)
                elif off:
                    delays.append((name, off))
        for name in dict.fromkeys(reads):
            w(f"        {name} = {name}_seq[_t]")
        for name, off in dict.fromkeys(delays):
            w(f"        {ident(name, off)} = {delayed_read(name, off)}")
        for v in sweep.variables:
            p.where = f"equation {v!r} of spec {spec.name!r}"
            w(f"        {v} = {p._print(bodies[v])}")
            w(f"        {v}_seq[_t] = {v}")
        for v in sweep.variables:
            w(f"    {v}_seq = _xp.stack({v}_seq)")
        earlier.update(sweep.variables)
    w("    return {" + ", ".join(f"{v!r}: {v}_seq" for v in spec.variables) + "}")
