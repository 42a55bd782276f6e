"""The lines both generated passes open with: bindings of parameters, inputs and steps.

``w`` is the writer the generators pass around, one generated line per call
(``lines.append``). A name read at another step ``name[t±k]`` is bound to
:func:`~seqcheck.backends.printer.ident`'s identifier for it; before the first step
(after the last, for a backward chain) it reads ``name_init``.
"""

from __future__ import annotations

import sympy as sp

from ...spec.model import Spec
from ..printer import ArrayPrinter, ident

__all__ = ["base_names", "bind_refs", "delayed_read", "parse_label", "prologue", "refs_of",
           "shape_code", "unused_name"]


def shape_code(p: ArrayPrinter, shape: tuple) -> str:
    """The generated text of a declared shape, e.g. ``"_dims['H']"`` per dim, comma-separated."""
    return ", ".join(p._print(sp.sympify(d)) for d in shape)


def prologue(spec: Spec, p: ArrayPrinter, w, delayed: dict) -> None:
    """Bind every parameter, input and initial value a pass reads, from its arguments."""
    if spec.params:
        w("    # parameters")
        for name in spec.params:
            w(f"    {name} = params[{name!r}]")
    if spec.inputs:
        w("    # inputs")
        for name, d in spec.inputs.items():
            w(f"    {name if d.static else name + '_seq'} = inputs[{name!r}]")
    inits = [n for n in delayed if (n in spec.states or n in spec.inputs)]
    if inits:
        w("    # values before the first step (after the last, for backward chains)")
        for name in inits:
            d = spec.states.get(name) or spec.inputs[name]
            p.where = f"the initial value of {name!r}"
            full = f"_xp.full({p._print(d.init.expr)}, (_B, {shape_code(p, d.shape)}))"
            w(f"    {name}_init = initial[{name!r}] if {name!r} in initial else {full}")


def bind_refs(spec: Spec, needed, w, indent: str = "    ", *, step: bool = False) -> None:
    """Bind the names ``needed`` (``(name, offset)`` pairs) that are read per step.

    For code evaluated at every step at once (``step=False``) each is bound to its whole
    sequence, T first (a delayed one shifted by its offset); inside a time loop
    (``step=True``) to its value at step ``_t``. Parameters and static inputs need no
    binding.
    """
    for name, off in needed:
        if name in spec.params or (name in spec.inputs and spec.inputs[name].static):
            continue
        if off == 0:
            w(f"{indent}{name} = {name}_seq{'[_t]' if step else ''}")
        elif step:
            w(f"{indent}{ident(name, off)} = {delayed_read(name, off)}")
        else:
            w(f"{indent}{ident(name, off)} = _xp.shift({name}_seq, {off}, {name}_init)")


def base_names(e) -> set[str]:
    """The names an expression reads, without their time offsets (``h[t-1]`` -> ``h``);
    dims (integer symbols) left out."""
    return {parse_label(s.name)[0] for s in e.free_symbols
            if isinstance(s, (sp.Symbol, sp.MatrixSymbol)) and not s.is_integer}


def refs_of(exprs) -> dict[tuple[str, int], None]:
    """Every ``(name, offset)`` the expressions read, in a stable order (a dict as a set)."""
    out: dict[tuple[str, int], None] = {}
    for e in exprs:
        for s in sorted(e.free_symbols, key=str):
            if isinstance(s, (sp.Symbol, sp.MatrixSymbol)) and not s.is_integer:
                out.setdefault(parse_label(s.name), None)
    return out


def delayed_read(name: str, off: int) -> str:
    """``name[t+off]`` inside a time loop, or its initial value beyond the sequence."""
    src = f"{name}_seq[_t {'-' if off < 0 else '+'} {abs(off)}]"
    cond = f"_t >= {-off}" if off < 0 else f"_t + {off} < _T"
    return f"{src} if {cond} else {name}_init"


def parse_label(label: str) -> tuple[str, int]:
    """``"h[t-1]"`` -> ``("h", -1)``; a name without an offset is read at t.

    >>> parse_label("h[t-1]"), parse_label("W_hh")
    (('h', -1), ('W_hh', 0))
    """
    if label.endswith("]") and "[t" in label:
        base, off = label[:-1].split("[t")
        return base, int(off)
    return label, 0


def unused_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base2``, ``base3``... the first not in ``taken``, which it joins.

    >>> taken = {"x"}
    >>> unused_name("x", taken), unused_name("x", taken), sorted(taken)
    ('x2', 'x3', ['x', 'x2', 'x3'])
    """
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}{k}"
    taken.add(name)
    return name
