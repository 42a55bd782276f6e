"""The generated ``forward``: the spec's sweeps in schedule order, one loop per recurrence.

``forward(params, inputs, initial, _T, _B, _dims, _xp)`` evaluates the sweeps of the
spec (:mod:`seqcheck.spec.schedule`) and returns every variable stacked over time,
``(T, B, ...)``. A sweep on no recurrence is evaluated for every step at once; in a
recurrent sweep the parts that read only inputs and parameters are hoisted out of the
loop (:func:`hoist`), products sharing an operand are stacked into one, inside the loop
and among the hoisted parts, and the hoisted parts of a stack's members are added to
its product once per step (:mod:`.stacking`). Per-step values are written into
preallocated ``(T, B, ...)`` arrays, or, in the list form torch autograd needs (no
in-place writes), kept in Python lists stacked after the loop. Values the backward pass
would recompute are computed once and returned too (:mod:`.keep`).
"""

from __future__ import annotations

import sympy as sp

from ...spec.model import Spec
from ...spec.schedule import make_schedule
from ..printer import ArrayPrinter, ident
from .reads import bind_refs, delayed_read, prologue, refs_of, shape_code
from .stacking import FusedInputs, Stack, fuse_inputs, stack_products

__all__ = ["forward_code", "hoist"]


def _invariant_names(spec: Spec) -> set[str]:
    """Names whose value at step t is known before any loop: parameters and inputs."""
    return set(spec.params) | set(spec.inputs)


def hoist(expr, spec: Spec, target: str, hoisted: list, earlier=frozenset()):
    """Replace the parts of ``expr`` that read only inputs, parameters and the variables
    of earlier sweeps by new symbols.

    A sum like ``W_ii @ x + b_ii + W_hi @ h[t-1] + b_hi`` keeps its recurrent term and
    gets ``i_in`` for ``W_ii @ x + b_ii + b_hi``, computed for every step before the loop.
    ``earlier`` names the variables of the sweeps before this one, known at every step
    when it starts: the second layer of a stack reads the first layer's h like an input,
    so ``W_ii_l1 @ [h_l0; h_l0_reverse]`` becomes one (T·B)-row product before the loop
    instead of T products of B rows, each of which reads all of W_ii_l1.
    """
    seq_inputs = set(spec.sequence_inputs) | set(earlier)
    invariant = _invariant_names(spec) | set(earlier)

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


def forward_code(spec: Spec, p: ArrayPrinter, w, *, kept=(), stack: bool = True,
                 lists: bool = False) -> None:
    """Write the generated ``forward`` of ``spec``, one line per call of ``w``.

    Arguments:
        spec, p, w: the spec, the printer and the line writer.
        kept: the :class:`~.keep.Kept` values to compute once and return (for backward).
        stack: stack the products that share an operand (:mod:`.stacking`).
        lists: keep per-step values in Python lists stacked after the loop (what torch
            autograd can follow) instead of writing them into preallocated arrays.
    """
    schedule = make_schedule(spec)
    delayed = spec.delayed_refs()
    w("def forward(params, inputs, initial, _T, _B, _dims, _xp):")
    prologue(spec, p, w, delayed)
    earlier: set[str] = set()
    used: set[str] = set()
    for k in kept:
        p.batched.add(k.name)
    for n, sweep in enumerate(schedule.sweeps, start=1):
        mine = [kv for kv in kept if kv.owner in sweep.variables]
        repl = {kv.node: kv.symbol for kv in mine}
        if sweep.direction == 0:
            with p.at_once():
                _whole_sweep(spec, sweep, n, mine, repl, p, w)
        else:
            _recurrent_sweep(spec, sweep, n, mine, repl, earlier, used, p, w, stack, lists)
        earlier.update(sweep.variables)
    names = [f"{v!r}: {v}_seq" for v in spec.variables] + [f"{kv.name!r}: {kv.name}_seq"
                                                          for kv in kept]
    w("    return {" + ", ".join(names) + "}")


def _whole_sweep(spec, sweep, n, mine, repl, p, w) -> None:
    """A sweep on no recurrence: every step at once, each variable a (T, B, ...) array."""
    w(f"    # sweep {n}: {', '.join(sweep.variables)} (on no recurrence: every step at once)")
    exprs = [spec.equation(v).expr for v in sweep.variables]
    own = set(sweep.variables)
    bind_refs(spec, [r for r in refs_of(exprs) if r[0] not in own or r[1]], w)
    done: set[str] = set()
    for v in sweep.variables:
        body = spec.equation(v).expr
        for kv in mine:
            if kv.name not in done and body.has(kv.node):
                done.add(kv.name)
                p.where = f"a value equation {v!r} of spec {spec.name!r} shares with its adjoint"
                shape = shape_code(p, kv.node.shape[:1]) or "1"
                w(f"    {kv.name} = {p._print(kv.node)}  # kept for the backward pass")
                w(f"    {kv.name}_seq = _xp.full({kv.name}, (_T, _B, {shape}))")
        p.where = f"equation {v!r} of spec {spec.name!r}"
        w(f"    {v} = {p._print(body.xreplace(repl))}")
        # an equation over parameters, static inputs or numbers only is the same at
        # every step: broadcast it to (T, B, ...) like the others (a view)
        shape = shape_code(p, spec.equation(v).shape) or "1"
        w(f"    {v}_seq = _xp.full({v}, (_T, _B, {shape}))")


def _recurrent_sweep(spec, sweep, n, mine, repl, earlier, used, p, w, stack, lists) -> None:
    """A sweep on a recurrence: its input parts hoisted, then one loop over the steps."""
    forward_in_time = sweep.direction > 0
    span = "t = 1..T" if forward_in_time else "t = T..1"
    w(f"    # sweep {n}: {', '.join(sweep.variables)} ({span})")
    hoisted: list[tuple[str, object]] = []
    bodies = {v: hoist(spec.equation(v).expr.xreplace(repl), spec, v, hoisted, earlier)
              for v in sweep.variables}
    names = list(sweep.variables)
    hexprs, hstacks = (stack_products([e for _, e in hoisted], spec, used, "in") if stack
                       else ([e for _, e in hoisted], []))
    exprs, stacks = (stack_products([bodies[v] for v in names], spec, used) if stack
                     else ([bodies[v] for v in names], []))
    fused: dict[str, FusedInputs] = {}
    for s in stacks:
        got = fuse_inputs(s, exprs, {label: e for (label, _), e in zip(hoisted, hexprs)},
                          hstacks, spec)
        if got is not None:
            exprs, fused[s.product] = got
    bodies = dict(zip(names, exprs))
    folded = {label for f in fused.values() if f.parts is not None for label in f.labels}
    if hoisted:
        _hoisted_code(spec, hoisted, hexprs, hstacks, fused, folded, p, w)
    for s in stacks:
        p.batched.add(s.product)
        w(f"    # the weights side by side: one product per step for {s.comment(p)}")
        w(f"    {s.weights_line(p)}")
    for v in names + [kv.name for kv in mine]:
        shape = shape_code(p, spec.equation(v).shape if v in spec.variables
                           else next(kv.node.shape[:1] for kv in mine if kv.name == v)) or "1"
        w(f"    {v}_seq = [None] * _T" if lists else
          f"    {v}_seq = _xp.zeros((_T, _B, {shape}))")
    w(f"    for _t in {'range(_T)' if forward_in_time else 'range(_T - 1, -1, -1)'}:")
    labels = {label for label, _ in hoisted}
    inside = {label for f in fused.values() for label in f.labels}
    reads = [label for label, _ in hoisted if label not in inside]
    delays = []
    scanned = list(bodies.values()) + [kv.node for kv in mine] + [s.operand for s in stacks]
    for name, off in refs_of(scanned):
        if name in labels:
            continue
        if off == 0 and (name in spec.sequence_inputs or name in earlier):
            reads.append(name)
        elif off and not name.startswith("_"):
            delays.append((name, off))
    for name in dict.fromkeys(reads):
        w(f"        {name} = {name}_seq[_t]")
    for name, off in dict.fromkeys(delays):
        w(f"        {ident(name, off)} = {delayed_read(name, off)}")
    pending = list(mine) + list(stacks)  # a stacked operand may read a kept value
    for v in names:
        reads_now = {s.name for s in bodies[v].free_symbols if hasattr(s, "name")}
        for item in [it for it in pending if _name_of(it) in reads_now]:
            pending.remove(item)
            if isinstance(item, Stack) and item.product in fused:
                w(f"        {item.product} = {item.product_text(p)} + "
                  f"{fused[item.product].name}[_t]  # the stacked product and input parts")
            elif isinstance(item, Stack):
                w(f"        {item.product} = {item.product_text(p)}  # the stacked product")
            else:
                p.where = f"a value equation {v!r} of spec {spec.name!r} shares with its adjoint"
                _store(item.name, item.node, p, w, lists, "  # kept for the backward pass")
        p.where = f"equation {v!r} of spec {spec.name!r}"
        _store(v, bodies[v], p, w, lists)
    if lists:
        for v in names + [kv.name for kv in mine]:
            w(f"    {v}_seq = _xp.stack({v}_seq)")


def _store(name: str, expr, p: ArrayPrinter, w, lists: bool, comment: str = "") -> None:
    """One step's value of ``name``, into its slot of ``name_seq``: computed straight into
    it where the printer can (:meth:`ArrayPrinter.into`), else computed and copied. The
    list form appends nothing in place: torch autograd cannot follow in-place writes."""
    into = None if lists else p.into(expr, f"{name}_seq[_t]")
    if into is not None:
        w(f"        {name} = {into}{comment}")
        return
    w(f"        {name} = {p._print(expr)}{comment}")
    w(f"        {name}_seq[_t] = {name}")


def _name_of(item) -> str:
    """The identifier a loop body reads for a stacked product or a kept value."""
    return item.product if isinstance(item, Stack) else item.name


def _hoisted_code(spec, hoisted, hexprs, hstacks, fused, folded, p, w) -> None:
    """The parts of a recurrent sweep that read only inputs, parameters and earlier
    sweeps, for every step at once before its loop (one (T·B)-row product each)."""
    with p.at_once():
        w("    # the parts that read only inputs, parameters and earlier sweeps, every step at "
          "once")
        bind_refs(spec, [r for r in refs_of([e for _, e in hoisted])], w)
        for s in hstacks:
            p.batched.add(s.product)
            w(f"    # one product for {s.comment(p)}, every step at once")
            w(f"    {s.weights_line(p)}")
            w(f"    {s.product} = {s.product_text(p)}")
        for (label, _), e in zip(hoisted, hexprs):
            if label not in folded:
                p.where = f"the input part of equation {label!r} of spec {spec.name!r}"
                w(f"    {label}_seq = {p._print(e)}")
        for f in fused.values():
            p.where = f"the input parts of {', '.join(f.labels)} in spec {spec.name!r}"
            w(f"    # the input parts {', '.join(f.labels)} side by side")
            w(f"    {f.line(p)}")
