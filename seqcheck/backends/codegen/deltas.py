"""Stacked deltas in the generated ``backward``: the transposes of the forward's stacks.

In a recurrent sweep the derivation gives, per step, terms ``A_k.T @ d_k`` that all go
to one accumulator (the LSTM's ``W_hi.T d_i + W_hf.T d_f + ...`` into ``h[t-1]``), and,
after the loop, parameter terms ``d_k v.T`` with a shared ``v`` and input terms
``A_k.T @ d_k`` into ``x``. :func:`plan_deltas` writes the deltas ``d_k`` of each step
into slices of one preallocated ``(T, B, ΣH_k)`` buffer (no per-step concatenation), so
that each such sum is one matrix product with the weights stacked once:
``D[t] @ [A_1; A_2; ...]`` per step, ``outer_sum(D, v)`` (split into the parameters'
blocks) and ``D @ [A_1; ...]`` after the loop, and one batch sum for the biases.

A group is stacked only when its deltas are distinct and fill one contiguous run of a
buffer; anything else is left to the unstacked code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy import MatMul, MatrixSlice, MatrixSymbol, Transpose

from ...spec.model import Spec
from ..printer import ArrayPrinter
from .stacking import weight_factor

__all__ = ["DeltaPlan", "plan_deltas"]


def _delta(s) -> bool:
    return (isinstance(s, MatrixSymbol) and s.name.startswith(("adj_", "d_"))
            and s.shape[1] == 1)


def _through_weight(e, spec: Spec):
    """``(A, d)`` for ``e = A.T @ d`` (a term into a vector), else None."""
    if not isinstance(e, MatMul) or len(e.args) != 2:
        return None
    w, d = e.args
    if not _delta(d):
        return None
    if isinstance(w, Transpose) and isinstance(w.arg, MatrixSlice) \
            and weight_factor(w.arg.parent, spec):  # columns of a weight (.sliced)
        return w.arg, d
    if not weight_factor(w, spec):
        return None
    return (w.arg if isinstance(w, Transpose) else Transpose(w)), d


def _outer(e, spec: Spec):
    """``(d, v, transposed)`` for a parameter term ``d vᵀ`` (or ``v dᵀ``), else None."""
    if not isinstance(e, MatMul) or len(e.args) != 2:
        return None
    a, b = e.args
    if not getattr(b, "is_Matrix", False) or b.shape[0] != 1 or a.shape[1] != 1:
        return None
    col = b.T  # SymPy undoes the transpose (of a symbol, or of a block column)
    if _delta(a) and _plain(col):
        return a, col, False
    if _delta(col) and _plain(a):
        return col, a, True
    return None


def _plain(v) -> bool:
    """A forward operand: no matrix product, no adjoint."""
    return not v.has(MatMul) and not any(
        isinstance(s, MatrixSymbol) and s.name.startswith(("adj_", "d_")) for s in v.free_symbols)


@dataclass
class _Buffer:
    name: str
    deltas: list  # MatrixSymbols in buffer order
    bounds: dict = field(default_factory=dict)  # delta name -> (start, stop)

    @property
    def total(self):
        return self.bounds[self.deltas[-1].name][1]


@dataclass
class _Group:
    kind: str  # "shifted" (per step), "input", "param", "bias"
    key: object
    members: list  # (contribution, factor or None, delta, transposed)
    buffer: _Buffer | None = None
    run: tuple = ()  # (start, stop) in the buffer


@dataclass
class DeltaPlan:
    """Where the deltas of one recurrent sweep go and which sums become one product.

    Built by :func:`plan_deltas`; the generator calls its methods at the points of the
    backward loop they name.
    """

    buffers: list
    groups: list
    names: dict  # group id -> identifier of its stacked weights or product

    @property
    def handled(self) -> set[int]:
        """Ids of the contributions a stacked product computes."""
        return {id(m[0]) for g in self.groups for m in g.members}

    def buffered(self) -> set[str]:
        return {d.name for b in self.buffers for d in b.deltas}

    @staticmethod
    def _run(g: _Group, p: ArrayPrinter, at: str = "") -> str:
        """The group's deltas in its buffer: all of it, or a slice of the last axis."""
        b = g.buffer
        if sp.simplify(g.run[0]) == 0 and sp.simplify(g.run[1] - b.total) == 0:
            return f"{b.name}{f'[{at}]' if at else ''}"
        lo, hi = (p._print(x) for x in g.run)
        return f"{b.name}[{at + ', ' if at else ''}..., {lo}:{hi}]"

    def before_loop(self, p: ArrayPrinter, w) -> None:
        """The buffers, and the stacked weights of the per-step and input products."""
        for b in self.buffers:
            w(f"    # the deltas {', '.join(d.name for d in b.deltas)} of every step, "
              "side by side")
            w(f"    {b.name} = _xp.zeros((_T, _B, {p._print(b.total)}))")
        for g in self.groups:
            if g.kind in ("shifted", "input"):
                factors = ", ".join(p._print(m[1].T) for m in g.members)
                w(f"    # the weights stacked, for {_terms(g, p)} (into {_into(g)}) as one product")
                w(f"    {self.names[id(g)]} = _xp.concat({factors}).T")

    def slots(self, p: ArrayPrinter) -> dict[str, str]:
        """``{delta: its slice of the buffer at step _t}``, as generated code."""
        out = {}
        for b in self.buffers:
            for d in b.deltas:
                lo, hi = (p._print(x) for x in b.bounds[d.name])
                out[d.name] = f"{b.name}[_t, ..., {lo}:{hi}]"
        return out

    def in_step(self, p: ArrayPrinter, w, written=frozenset()) -> None:
        """Each step's deltas copied into their slices of the buffers, but those the step
        ``written`` straight into them (``_xp.multiply(..., out=slot)``)."""
        for name, slot in self.slots(p).items():
            if name not in written:
                w(f"        {slot} = {name}")

    def shifted(self, p: ArrayPrinter) -> list[tuple[tuple[str, int], str]]:
        """``((accumulator, offset), text)`` of each per-step stacked product."""
        out = []
        for g in self.groups:
            if g.kind == "shifted":
                to, off = g.key
                out.append(((f"gacc_{to}", off), f"{self._run(g, p, '_t')} @ {self.names[id(g)]}"))
        return out

    def views(self, p: ArrayPrinter, w) -> None:
        """After the loop: each buffered delta as its (T, B, H_k) view."""
        for b in self.buffers:
            for d in b.deltas:
                lo, hi = (p._print(x) for x in b.bounds[d.name])
                w(f"    {d.name} = {b.name}[..., {lo}:{hi}]")

    def after_loop(self, p: ArrayPrinter, w) -> None:
        """The parameter and input gradients of the groups, one product each."""
        for g in self.groups:
            if g.kind == "shifted":
                continue
            name = self.names[id(g)]
            targets = ", ".join(dict.fromkeys(m[0].to for m in g.members))
            if g.kind == "input":
                w(f"    g_{g.key} += {p.matmul(self._run(g, p), name)}")
                continue
            if g.kind == "param":
                w(f"    # {targets}: one outer product over the stacked deltas, split")
                w(f"    {name} = _xp.outer_sum({self._run(g, p)}, {p._print(g.key)})")
            else:
                w(f"    # {targets}: one batch sum over the stacked deltas, split")
                w(f"    {name} = _xp.sum_batch({self._run(g, p)})")
            lo0 = g.run[0]
            for c, _, d, transposed in g.members:
                lo, hi = (p._print(sp.simplify(x - lo0)) for x in g.buffer.bounds[d.name])
                w(f"    g_{c.to} += {name}[{lo}:{hi}]{'.T' if transposed else ''}")


def _terms(g: _Group, p: ArrayPrinter) -> str:
    """The group's terms as the unstacked code prints them: ``d_i @ W_hi + ...``."""
    return " + ".join(p._print(m[0].expr) for m in g.members)


def _into(g: _Group) -> str:
    if g.kind == "shifted":
        to, off = g.key
        return f"{to}[t{off:+d}]"
    return str(g.key)


def _candidates(spec: Spec, eqs, deferred_ids: set[int]) -> list[_Group]:
    groups: dict[tuple, _Group] = {}
    for eq in eqs:
        for c in eq.contributions:
            if id(c) not in deferred_ids:
                if c.to in spec.variables and c.offset:
                    found = _through_weight(c.expr, spec)
                    if found:
                        g = groups.setdefault(("shifted", (c.to, c.offset)),
                                              _Group("shifted", (c.to, c.offset), []))
                        g.members.append((c, found[0], found[1], False))
                continue
            if c.to in spec.inputs:
                found = _through_weight(c.expr, spec)
                if found:
                    g = groups.setdefault(("input", c.to), _Group("input", c.to, []))
                    g.members.append((c, found[0], found[1], False))
            elif c.to in spec.params:
                decl = spec.params[c.to]
                if _delta(c.expr) and len(decl.shape) == 1:
                    g = groups.setdefault(("bias", None), _Group("bias", None, []))
                    g.members.append((c, None, c.expr, False))
                    continue
                found = _outer(c.expr, spec)
                if found:
                    d, v, transposed = found
                    g = groups.setdefault(("param", v), _Group("param", v, []))
                    g.members.append((c, None, d, transposed))
    return list(groups.values())


def _place(g: _Group, buffers: list, new_name) -> bool:
    """Put ``g``'s deltas in a buffer (a new one, or a contiguous run of an old one)."""
    deltas = [m[2] for m in g.members]
    if len({d.name for d in deltas}) != len(deltas):
        return False
    where = [b for b in buffers if any(d.name in b.bounds for d in deltas)]
    if not where:
        b = _Buffer(new_name(), [])
        start = sp.Integer(0)
        for d in deltas:
            b.deltas.append(d)
            b.bounds[d.name] = (start, start + d.shape[0])
            start = start + d.shape[0]
        buffers.append(b)
        where = [b]
    b = where[0]
    if len(where) > 1 or not all(d.name in b.bounds for d in deltas):
        return False
    pos = sorted(b.deltas.index(next(x for x in b.deltas if x.name == d.name)) for d in deltas)
    if pos != list(range(pos[0], pos[0] + len(pos))):
        return False
    g.members.sort(key=lambda m: b.deltas.index(next(x for x in b.deltas
                                                     if x.name == m[2].name)))
    g.buffer = b
    g.run = (b.bounds[b.deltas[pos[0]].name][0], b.bounds[b.deltas[pos[-1]].name][1])
    return True


def plan_deltas(spec: Spec, eqs, deferred_ids: set[int], counter: list[int]) -> DeltaPlan:
    """The stacking plan of one recurrent sweep of the backward pass.

    Arguments:
        spec: the spec.
        eqs: the sweep's derived equations, in the order the loop evaluates them.
        deferred_ids: ids of the contributions evaluated after the loop.
        counter: a one-element list numbering the generated names across the module.
    Returns:
        A :class:`DeltaPlan`; with no group of two or more, one without buffers.
    """
    order = {"shifted": 0, "input": 1, "param": 2}
    cands = [g for g in _candidates(spec, eqs, deferred_ids) if g.kind != "bias"
             and len(g.members) >= 2]
    cands.sort(key=lambda g: (-len(g.members), order[g.kind]))  # the largest sets the order
    buffers: list[_Buffer] = []

    def new_name() -> str:
        counter[0] += 1
        return f"_deltas{counter[0]}"

    groups = [g for g in cands if _place(g, buffers, new_name)]
    # the biases: one batch sum per buffer over every delta a bias receives
    bias = [g for g in _candidates(spec, eqs, deferred_ids) if g.kind == "bias"]
    for g in bias:
        for b in buffers:
            mine = [m for m in g.members if m[2].name in b.bounds]
            if len(mine) >= 2:
                sub = _Group("bias", None, mine, b, (sp.Integer(0), b.total))
                groups.append(sub)
    names = {}
    for g in groups:
        counter[0] += 1
        stem = {"shifted": "_Wd", "input": "_Wd", "param": "_gW", "bias": "_gb"}[g.kind]
        names[id(g)] = f"{stem}{counter[0]}"
    return DeltaPlan(buffers, groups, names)
