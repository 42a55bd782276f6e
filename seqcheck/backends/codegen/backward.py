"""The generated ``backward``: BPTT as the derivation writes it, the sweeps reversed.

``backward(params, inputs, initial, values, seeds, _T, _B, _dims, _xp)`` runs the sweeps
in reverse order, each step's variables in reverse order; each variable's adjoint is the
sum of its seed ∂ℓ/∂v_t, its same-step contributions and its contributions from other
steps (``gacc_v``), as :mod:`seqcheck.derive.adjoint` derives them. Parameter gradients
are summed over steps and batch. It returns
``{"params": ..., "inputs": ..., "initial": ...}``. In a recurrent sweep the deltas of
each step go side by side into one buffer and each sum over them is one product
(:mod:`.deltas`); forward values the forward pass kept are read, not recomputed
(:mod:`.keep`).
"""

from __future__ import annotations

import sympy as sp

from ...spec.model import Spec
from ...spec.schedule import make_schedule
from ..printer import ArrayPrinter
from .deltas import plan_deltas
from .factors import hoist_factors
from .keep import substitute
from .reads import bind_refs, prologue, refs_of, shape_code
from .sliced import split_sliced_products

__all__ = ["backward_code"]


def _live(spec: Spec, derivation, seeded: tuple[str, ...]) -> set[str]:
    """Variables whose adjoint can be nonzero: seeded, or used by a live equation."""
    live = set(seeded)
    changed = True
    while changed:
        changed = False
        for eq in derivation.equations:
            if eq.target not in live:
                continue
            for c in eq.contributions:
                if c.to in spec.variables and c.to not in live:
                    live.add(c.to)
                    changed = True
    return live


def backward_code(spec: Spec, derivation, seeded: tuple[str, ...], p: ArrayPrinter,
                  w, *, kept=(), stack: bool = True, hoist: bool = True) -> None:
    """Write the generated ``backward`` of ``spec`` from its derivation, one line per ``w``.

    Arguments:
        kept: the :class:`~.keep.Kept` forward values to read instead of recomputing.
        stack: stack the deltas of each step and the sums over them (:mod:`.deltas`).
        hoist: make the step's factors that read only forward values before each loop,
            for every step at once (:mod:`.factors`).
    """
    forward = set(spec.variables) | set(spec.inputs) | set(spec.params) | {
        kv.name for kv in kept}
    varying = forward - set(spec.params) - {n for n, d in spec.inputs.items() if d.static}
    taken = {kv.name for kv in kept}
    schedule = make_schedule(spec)
    delayed = spec.delayed_refs()
    live = _live(spec, derivation, seeded)
    sweep_of = {v: k for k, s in enumerate(schedule.sweeps) for v in s.variables}
    # Which adjoints receive contributions from another step or another sweep.
    nonlocal_to: set[str] = set()
    for eq in derivation.equations:
        if eq.target not in live:
            continue
        for c in eq.contributions:
            if c.to in spec.variables and (c.offset or sweep_of[c.to] != sweep_of[eq.target]):
                nonlocal_to.add(c.to)
    w("def backward(params, inputs, initial, values, seeds, _T, _B, _dims, _xp):")
    prologue(spec, p, w, delayed)
    w("    # forward values")
    for v in spec.variables:
        w(f"    {v}_seq = values[{v!r}]")
    for kv in kept:
        w(f"    {kv.name}_seq = values[{kv.name!r}]  # kept by the forward pass")
    counter = [0]
    w("    # seeds: dl/dv at every step")
    for v in seeded:
        w(f"    dl_d{v} = seeds[{v!r}]")
    w("    # gradients")
    for name, d in spec.params.items():
        shape = shape_code(p, d.shape) + ("," if len(d.shape) == 1 else "")
        w(f"    g_{name} = _xp.zeros(({shape}))")
    for name, d in spec.inputs.items():
        shape = shape_code(p, d.shape) or "1"  # a scalar input runs as (..., 1)
        if d.static:
            w(f"    g_{name} = _xp.zeros((_B, {shape}))")
        else:
            w(f"    g_{name} = _xp.zeros((_T, _B, {shape}))")
            if name in delayed:
                w(f"    g_{name}_init = _xp.zeros((_B, {shape}))")
    for v in sorted(nonlocal_to, key=list(spec.variables).index):
        shape = shape_code(p, spec.shape_of(v)) or "1"
        w(f"    gacc_{v} = _xp.zeros((_T, _B, {shape}))")
    for v in spec.states:
        if v in delayed:
            w(f"    gacc_{v}_init = _xp.zeros((_B, {shape_code(p, spec.shape_of(v)) or '1'}))")

    for k in range(len(schedule.sweeps), 0, -1):
        sweep = schedule.sweeps[k - 1]
        variables = [v for v in sweep.variables if v in live]
        if not variables:
            continue
        eqs = [substitute(derivation.of(v), list(kept)) for v in reversed(variables)]
        if sweep.direction == 0:
            w(f"    # sweep {k} in reverse: {', '.join(reversed(variables))} (every step at once)")
            exprs = [e for eq in eqs for e in [x for _, x in eq.temps]
                     + [c.expr for c in eq.contributions]]
            needed = [r for r in refs_of(exprs) if not r[0].startswith(("adj_", "d_"))]
            needed += [(eq.target, 0) for eq in eqs if (eq.target, 0) not in needed]
            bind_refs(spec, needed, w)
            with p.at_once():
                _adjoints(spec, eqs, seeded, nonlocal_to, sweep_of, p, w, "    ", whole=True)
            continue
        forward_in_time = sweep.direction > 0
        w(f"    # sweep {k} in reverse: {', '.join(reversed(variables))} "
          f"({'t = T..1' if forward_in_time else 't = 1..T'})")
        if stack:
            eqs = split_sliced_products(spec, eqs, lambda c, k=k: (
                c.to in spec.variables and c.offset != 0 and sweep_of[c.to] == k - 1)
                or (c.to in spec.inputs and not spec.inputs[c.to].static))
        deferred, deferred_ids, late = _split(spec, eqs, sweep_of, k)
        factors = []
        if hoist:
            eqs, factors = hoist_factors(eqs, _in_loop(eqs, deferred_ids, late), forward,
                                         varying, taken)
            if factors:  # the contributions are new objects: split again
                deferred, deferred_ids, late = _split(spec, eqs, sweep_of, k)
        plan = plan_deltas(spec, eqs, deferred_ids, counter) if stack else None
        handled = plan.handled if plan else set()
        buffered = plan.buffered() if plan else set()
        stored = [s for s in _adjoint_symbols([c.expr for _, c in deferred]
                                              + [e for _, e in late])
                  if s.name not in buffered and s.name not in {t.name for t, _ in late}]
        for sym in stored:
            shape = f"{p._print(sym.shape[0])}" if getattr(sym, "is_Matrix", False) else "1"
            w(f"    {sym.name}_all = _xp.zeros((_T, _B, {shape}))")
        if plan:
            plan.before_loop(p, w)
        if factors:
            w("    # the factors of the step that read only forward values, every step at once")
            bind_refs(spec, refs_of([f.node for f in factors]), w)
            with p.at_once():
                for f in factors:
                    p.batched.add(f.name)
                    w(f"    {f.name}_seq = {p._print(f.node)}")
        w(f"    for _t in {'range(_T - 1, -1, -1)' if forward_in_time else 'range(_T)'}:")
        late_names = {t.name for t, _ in late}
        in_loop = [e for _, e in _in_loop(eqs, deferred_ids, late)]
        # only what the step reads (a variable its adjoint does not read stays unbound)
        needed = dict.fromkeys(r for r in refs_of(in_loop)
                               if not r[0].startswith(("adj_", "d_")))
        bind_refs(spec, needed, w, "        ", step=True)
        shifted: dict[tuple[str, int], list[str]] = {}
        slots = plan.slots(p) if plan else {}
        written = _adjoints(spec, eqs, seeded, nonlocal_to, sweep_of, p, w, "        ",
                            whole=False, skip=deferred_ids | handled, shifted=shifted,
                            late=late_names, slots=slots)
        if plan:
            plan.in_step(p, w, written)
            for key, text in plan.shifted(p):
                shifted.setdefault(key, []).append(text)
        for sym in stored:
            w(f"        {sym.name}_all[_t] = {sym.name}")
        for (acc, off), texts in shifted.items():
            _emit_shifted(w, acc, off, " + ".join(texts))
        if deferred:
            _after_loop(spec, deferred, late, stored, plan, handled, sweep_of, p, w)
        if factors:
            w("    # the factors are read no more: their memory freed (a step's slice, too,")
            w("    # would keep its whole sequence alive)")
            for f in factors:
                w(f"    {f.name}_seq = {f.name} = None")
    # initial values: gradients w.r.t. the states' initial values, and through them
    for ieq in derivation.inits:
        state = ieq.target[: -len("_init")]
        w(f"    if {state!r} not in initial:")
        w(f"        adj_{state}_init = gacc_{state}_init")
        p.where = f"the initial value of {state!r}"
        for sym, expr in ieq.temps:
            w(f"        {sym.name} = {p._print(expr)}")
        for c in ieq.contributions:
            if c.to in spec.params:
                w(f"        g_{c.to} += {p.batch_sum(c.expr)}")
            else:
                w(f"        g_{c.to} += {p._print(c.expr)}")
    params = ", ".join(f"{n!r}: g_{n}" for n in spec.params)
    inputs = ", ".join(f"{n!r}: g_{n}" for n in spec.inputs)
    initial = ", ".join(f"{s!r}: gacc_{s}_init" for s in spec.states if s in delayed)
    w(f"    return {{'params': {{{params}}}, 'inputs': {{{inputs}}}, "
      f"'initial': {{{initial}}}}}")


def _split(spec: Spec, eqs, sweep_of: dict, k: int):
    """``(deferred, their ids, late temps)`` of recurrent sweep ``k``'s derived equations.

    Deferred, made after the loop: what goes to parameters, to sequence inputs and to
    the variables of earlier sweeps (a lower layer's h), whose backward runs after this
    one; late: the intermediates only those read (:func:`_deferred_temps`).
    """
    deferred = [(eq, c) for eq in eqs for c in eq.contributions
                if c.to in spec.params
                or (c.to in spec.inputs and not spec.inputs[c.to].static)
                or (c.to in spec.variables and sweep_of[c.to] < k - 1)]
    deferred_ids = {id(c) for _, c in deferred}
    return deferred, deferred_ids, _deferred_temps(eqs, deferred_ids)


def _in_loop(eqs, deferred_ids: set[int], late) -> list[tuple[str, object]]:
    """``(label, expr)`` of what a recurrent sweep's backward evaluates at every step: the
    intermediates but the late ones (labelled by name), the contributions but the
    deferred ones (``"h_to_c"``)."""
    late_names = {t.name for t, _ in late}
    return [(t.name, x) for eq in eqs for t, x in eq.temps if t.name not in late_names] + [
        (f"{eq.target}_to_{c.to}", c.expr) for eq in eqs for c in eq.contributions
        if id(c) not in deferred_ids]


def _adjoint_symbols(exprs) -> list:
    """The adjoint-side symbols (adj_*, d_*) the expressions use, in a stable order."""
    seen: dict[str, object] = {}
    for e in exprs:
        for s in sorted(e.free_symbols, key=str):
            if isinstance(s, (sp.Symbol, sp.MatrixSymbol)) and s.name.startswith(("adj_", "d_")):
                seen.setdefault(s.name, s)
    return list(seen.values())


def _after_loop(spec, deferred, late, stored, plan, handled, sweep_of, p, w) -> None:
    """What a recurrent sweep's backward gives parameters, sequence inputs and earlier
    sweeps, for every step at once (one (T·B)-row product each), after its loop."""
    w("    # contributions to parameters, inputs and earlier sweeps, for every step at once")
    with p.at_once():
        for sym in stored:
            w(f"    {sym.name} = {sym.name}_all")
        if plan:
            plan.views(p, w)
        refs = [r for r in refs_of([c.expr for _, c in deferred] + [e for _, e in late])
                if not r[0].startswith(("adj_", "d_"))]
        bind_refs(spec, refs, w)
        for sym, expr in late:
            p.where = f"an intermediate adjoint of spec {spec.name!r}"
            w(f"    {sym.name} = {p._print(expr)}")
        if plan:
            plan.after_loop(p, w)
        for eq, c in deferred:
            if id(c) in handled:
                continue
            p.where = f"the adjoint of equation {eq.target!r} of spec {spec.name!r}"
            _emit(spec, c, p, w, "    ", set(), sweep_of, eq.target, whole=True)


def _deferred_temps(eqs, deferred_ids: set[int]) -> list:
    """The named intermediates (``(symbol, expr)``) that only deferred contributions read,
    in evaluation order: computed after the loop for every step at once (the product
    ``d_i_l1 @ W_ii_l1`` whose slices go to the layer below) instead of once a step."""
    temps = [(sym, expr) for eq in eqs for sym, expr in eq.temps]
    needed = {s.name for eq in eqs for c in eq.contributions if id(c) not in deferred_ids
              for s in c.expr.free_symbols if hasattr(s, "name")}
    late = {sym.name for sym, _ in temps} - needed
    changed = True
    while changed:  # an intermediate an in-loop one reads stays in the loop
        changed = False
        for sym, expr in temps:
            if sym.name not in late:
                reads = {s.name for s in expr.free_symbols if hasattr(s, "name")} & late
                if reads:
                    late -= reads
                    changed = True
    return [(sym, expr) for sym, expr in temps if sym.name in late]


def _adjoints(spec, eqs, seeded, nonlocal_to, sweep_of, p, w, indent, whole, skip=frozenset(),
              shifted=None, late=frozenset(), slots=None) -> set[str]:
    """Each variable's adjoint, its named intermediates (but those in ``late``, computed
    after the loop) and its contributions. An intermediate with a slot in ``slots`` (a
    delta's slice of its buffer) is computed straight into it where the printer can;
    returns the names so written."""
    at = "" if whole else "[_t]"
    local: set[str] = set()
    written: set[str] = set()
    for eq in eqs:
        v = eq.target
        terms = []
        if v in seeded:
            terms.append(f"dl_d{v}{at}")
        if v in nonlocal_to:
            terms.append(f"gacc_{v}{at}")
        if v in local:
            terms.append(f"gl_{v}")
        if not terms:
            continue
        w(f"{indent}adj_{v} = {' + '.join(terms)}")
        p.where = f"the adjoint of equation {v!r} of spec {spec.name!r}"
        for sym, expr in eq.temps:
            if sym.name in late:
                continue
            into = p.into(expr, slots[sym.name]) if slots and sym.name in slots else None
            w(f"{indent}{sym.name} = {into or p._print(expr)}")
            if into:
                written.add(sym.name)
        for c in eq.contributions:
            if id(c) in skip:
                continue
            _emit(spec, c, p, w, indent, local, sweep_of, v, whole=whole, shifted=shifted)
    return written


def _emit(spec: Spec, c, p: ArrayPrinter, w, indent: str, local: set, sweep_of: dict,
          source: str, *, whole: bool, shifted: dict | None = None) -> None:
    """One contribution ``c`` of equation ``source``, to its accumulator.

    Inside a time loop (``whole=False``) per-step accumulators are indexed ``[_t]`` and
    contributions to other steps are collected in ``shifted`` (one accumulation per target
    and offset, emitted after the step); for every step at once (``whole=True``, names
    bound to whole sequences) they are added with ``_xp.add_shifted``.
    """
    if c.to in spec.params:
        w(f"{indent}g_{c.to} += {p.batch_sum(c.expr)}")
        return
    text = p._print(c.expr)
    at = "" if whole else "[_t]"
    if c.to in spec.inputs:
        acc = f"g_{c.to}"
        if spec.inputs[c.to].static:  # (B, n): summed over the steps
            w(f"{indent}{acc} += {f'({text}).sum(0)' if whole else text}")
            return
    elif c.offset == 0 and sweep_of[c.to] == sweep_of[source]:
        if c.to in local:
            w(f"{indent}gl_{c.to} = gl_{c.to} + {text}")
        else:
            w(f"{indent}gl_{c.to} = {text}")
            local.add(c.to)
        return
    else:
        acc = f"gacc_{c.to}"
    if c.offset == 0:
        w(f"{indent}{acc}{at} += {text}")
    elif whole:
        w(f"{indent}_xp.add_shifted({acc}, {text}, {c.offset}, {acc}_init)")
    elif shifted is None:
        _emit_shifted(w, acc, c.offset, text)
    else:
        shifted.setdefault((acc, c.offset), []).append(text)


def _emit_shifted(w, acc: str, off: int, text: str) -> None:
    if off < 0:
        w(f"        if _t >= {-off}:")
        w(f"            {acc}[_t - {-off}] += {text}")
    else:
        w(f"        if _t + {off} < _T:")
        w(f"            {acc}[_t + {off}] += {text}")
    w("        else:")
    w(f"            {acc}_init += {text}")
