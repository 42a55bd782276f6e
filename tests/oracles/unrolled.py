"""A spec unrolled over time into scalar SymPy expressions: the exact gradient oracle.

Every parameter entry, input entry (per step and batch row) and initial-state entry
becomes its own SymPy symbol (a *leaf*). Each variable at each step and row becomes a
column of fresh symbols, each defined by one entry of the spec's own equation
``spec.equation(v).expr`` made explicit: dims bound, ``.doit()``/``.as_explicit()``, and
every ``MatrixSymbol`` (``W``, ``x``, ``h[t-1]``) standing for the explicit matrix of
that step. The result is the unrolled computation as scalar assignments, in order.

Two ways to differentiate ``L = Σ_v Σ_t Σ_b <seed, v_t,b>`` exactly; neither uses
seqcheck's rule table, its BPTT or its generated code:

- :meth:`Unrolled.loss` substitutes every assignment into the next: ``L`` as one scalar
  expression in the leaves, for ``sympy.diff`` leaf by leaf. Plain, but SymPy's
  ``diff`` is superlinear in the expression size: small specs and T <= 2 only.
- :meth:`Unrolled.gradient` applies the scalar chain rule over the assignments: the
  adjoint flows back one assignment at a time, each local partial ``∂z/∂a`` being
  ``sympy.diff`` of one explicit entry. The same numbers, fast enough for an LSTM.

Both evaluate at an exact rational point with ``DIGITS`` significant digits (mpmath).

Like the other oracles it does not import seqcheck: the spec is read through its public
attributes (``dims``, ``params``, ``inputs``, ``states``, ``equations``) and the grammar's
functions that SymPy lacks (``sigmoid``, ``relu``) are recognised by their class names and
written out (``1 / (1 + exp(-a))``, ``Max(0, a)``), so that their derivatives are
SymPy's, not the library's ``fdiff``.

A reference ``h[t+k]`` outside steps 1..T reads the state's initial value: the value
before step 1 of a forward chain, or after step T of a backward one (``h_bwd[t+1]``,
seed 000 eq. 24).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

__all__ = ["Unrolled", "unroll"]

DIGITS = 30
_REF = re.compile(r"^(.*?)(?:\[t([+-]\d+)\])?$")

# The grammar's element-wise functions that SymPy does not know, written out.
_WRITTEN_OUT = {
    "sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
    "relu": lambda a: sp.Max(0, a),
}


def _write_out(e):
    return e.replace(lambda f: isinstance(f, sp.Function) and type(f).__name__ in _WRITTEN_OUT,
                     lambda f: _WRITTEN_OUT[type(f).__name__](f.args[0]))


def _matrix(label: str, shape: tuple, name=lambda label, i, j: f"{label}[{i},{j}]"):
    """A matrix of fresh real symbols (a scalar shape ``()``: one symbol)."""
    if not shape:
        return sp.Symbol(label, real=True)
    rows, cols = shape
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(name(label, i, j), real=True))


def _entries(m) -> list:
    return list(m) if getattr(m, "is_Matrix", False) else [m]


def _mpf(q) -> mpmath.mpf:
    q = sp.Rational(q)
    return mpmath.mpf(int(q.p)) / int(q.q)


class _Equation:
    """One equation made explicit at concrete sizes, in placeholder symbols.

    Every reference of the right-hand side (``W``, ``x``, ``h[t-1]``) stands for a matrix
    of placeholders; ``entries`` are the explicit scalar entries of the result and
    ``partials`` every nonzero ``(k, placeholder, ∂entries[k]/∂placeholder)``. A step binds
    the placeholders to that step's symbols, so the derivatives are taken (and compiled
    to one mpmath function) once per equation, not once per step and row.
    """

    def __init__(self, spec, eq, sizes: dict):
        dims = {d.symbol: sizes[d.name] for d in spec.dims}
        expr = eq.expr.subs(dims)
        self.refs = {}  # (name, offset) -> placeholder matrix (or scalar)
        repl = {}
        for s in sorted(expr.free_symbols, key=str):
            if isinstance(s, (sp.Symbol, sp.MatrixSymbol)) and not s.is_integer:
                base, off = _REF.match(s.name).groups()
                shape = tuple(int(n) for n in s.shape) if s.is_Matrix else ()
                label = f"p{len(self.refs)}"  # identifiers, for lambdify
                repl[s] = self.refs[(base, int(off or 0))] = _matrix(
                    label, shape, lambda label, i, j: f"{label}_{i}_{j}")
        e = expr.xreplace(repl).doit()
        if getattr(e, "is_Matrix", False):
            e = sp.ImmutableMatrix(e.as_explicit()).doit()
        self.shape = tuple(e.shape) if e.is_Matrix else ()
        self.entries = [_write_out(x) for x in _entries(e)]
        self.args = [p for m in self.refs.values() for p in _entries(m)]
        self.partials = [(k, p, sp.diff(x, p)) for k, x in enumerate(self.entries)
                         for p in sorted(x.free_symbols, key=str)]
        self._function = None

    def evaluate(self, args: list) -> tuple[list, list]:
        """The entries and the partials (in ``self.partials`` order) at ``args``."""
        if self._function is None:
            exprs = self.entries + [d for _, _, d in self.partials]
            self._function = sp.lambdify(self.args, exprs, modules="mpmath", cse=True)
        out = self._function(*args)
        return out[:len(self.entries)], out[len(self.entries):]


@dataclass(frozen=True)
class _Step:
    """One equation at one step and row: its placeholders bound, its result symbols."""

    equation: _Equation
    binding: dict  # placeholder -> leaf or an earlier step's symbol
    symbols: tuple  # one per entry


@dataclass
class Unrolled:
    """A spec over ``steps`` steps and ``batch`` rows as scalar assignments.

    Arguments:
        sizes: ``{dim name: int}``; steps, batch: T and B.
        params: ``{name: Matrix of leaves}`` (a scalar parameter: one leaf); vectors are
            columns ``(n, 1)``.
        inputs: ``{name: [[Matrix per row b] per step t]}`` (static: ``[Matrix per row]``).
        initial: ``{state: [Matrix per row b]}``.
        values: ``{(variable, t, b): Matrix of assignment symbols}`` for t = 1..T.
        steps_in_order: every :class:`_Step`, each after the steps it reads.
    """

    spec: object
    sizes: dict
    steps: int
    batch: int
    params: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    equations: dict = field(default_factory=dict)
    steps_in_order: list = field(default_factory=list)

    def shape(self, declared: tuple) -> tuple:
        """A declared NumPy-style shape as a SymPy matrix shape (``()`` for a scalar)."""
        dims = {d.symbol: self.sizes[d.name] for d in self.spec.dims}
        n = [int(sp.sympify(s).xreplace(dims)) for s in declared]
        return () if not n else (n[0], n[1] if len(n) == 2 else 1)

    def leaves(self) -> list[sp.Symbol]:
        """Every independent symbol: parameter, input and initial-state entries."""
        return [x for table in (self.params, self.inputs, self.initial)
                for x in _flat_leaves(list(table.values()))]

    def value(self, name: str, t: int, b: int):
        """``name`` at step ``t`` (1-based) in batch row ``b``, as an explicit matrix."""
        if name in self.params:
            return self.params[name]
        if name in self.inputs:
            if self.spec.inputs[name].static:
                return self.inputs[name][b]
            if not 1 <= t <= self.steps:
                raise ValueError(f"the unrolled oracle does not model a delayed input ({name}); "
                                 "no catalogue spec has one")
            return self.inputs[name][t - 1][b]
        if not 1 <= t <= self.steps:
            return self.initial[name][b]
        if (name, t, b) not in self.values:
            eq = self.equations[name]
            binding = {}
            for (base, off), placeholders in eq.refs.items():
                actual = self.value(base, t + off, b)
                binding.update(zip(_entries(placeholders), _entries(actual), strict=True))
            zs = tuple(sp.Dummy(f"{name}_t{t}_b{b}_{k}", real=True)
                       for k in range(len(eq.entries)))
            self.steps_in_order.append(_Step(eq, binding, zs))
            self.values[(name, t, b)] = sp.ImmutableMatrix(*eq.shape, zs) if eq.shape else zs[0]
        return self.values[(name, t, b)]

    def _seed_terms(self, seeds: dict):
        """``(assignment symbol, exact seed)`` for every seeded entry."""
        for v, s in seeds.items():
            for t in range(1, self.steps + 1):
                for b in range(self.batch):
                    zs = _entries(self.value(v, t, b))
                    yield from zip(zs, np.ravel(s[t - 1][b]), strict=True)

    def loss(self, seeds: dict):
        """``L`` as one scalar expression in the leaves.

        Arguments:
            seeds: ``{variable: array of exact numbers (object dtype), (T, B, *shape)}``.
        """
        full = {}
        for step in self.steps_in_order:
            bound = {p: full.get(a, a) for p, a in step.binding.items()}
            for z, e in zip(step.symbols, step.equation.entries):
                full[z] = e.xreplace(bound)
        return sp.Add(*[w * full[z] for z, w in self._seed_terms(seeds)])

    def gradient(self, seeds: dict, point: dict) -> dict:
        """``{leaf: ∂L/∂leaf}`` (SymPy Floats) at ``point`` (``{leaf: exact number}``), by
        the scalar chain rule over the assignments, from the last back to the first."""
        with mpmath.workdps(DIGITS):
            env = {s: _mpf(v) for s, v in point.items()}
            local = []
            for step in self.steps_in_order:
                values, partials = step.equation.evaluate(
                    [env[step.binding[p]] for p in step.equation.args])
                env.update(zip(step.symbols, values))
                local.append(partials)
            adj = defaultdict(lambda: mpmath.mpf(0))
            for z, w in self._seed_terms(seeds):
                adj[z] += _mpf(w)
            for step, partials in zip(reversed(self.steps_in_order), reversed(local)):
                for (k, p, _), d in zip(step.equation.partials, partials):
                    adj[step.binding[p]] += adj[step.symbols[k]] * d
            return {leaf: sp.Float(adj[leaf], DIGITS) for leaf in self.leaves()}


def _flat_leaves(obj):
    if isinstance(obj, list):
        for x in obj:
            yield from _flat_leaves(x)
    else:
        yield from _entries(obj)


def unroll(spec, sizes: dict, steps: int, batch: int = 1) -> Unrolled:
    """Unroll ``spec`` over ``steps`` steps and ``batch`` rows at the given sizes.

    Arguments:
        spec: a seqcheck Spec (read through its attributes only).
        sizes: ``{dim name: int}`` for every dim.
        steps: T >= 1; batch: B >= 1.
    Returns:
        An :class:`Unrolled` with every variable assigned at every step and row.

    >>> # ∂L/∂W_hh[0, 1] of a two-step RNN by plain sympy.diff (seeds: {v: (T, B, n)}):
    >>> # u = unroll(load_spec("rnn"), {"D": 2, "H": 2, "C": 2}, steps=2)
    >>> # sympy.diff(u.loss(seeds), u.params["W_hh"][0, 1])
    """
    u = Unrolled(spec, dict(sizes), steps, batch)
    for name, d in spec.params.items():
        u.params[name] = _matrix(name, u.shape(d.shape))
    for name, d in spec.inputs.items():
        shape = u.shape(d.shape)
        if d.static:
            u.inputs[name] = [_matrix(f"{name}@b{b}", shape) for b in range(batch)]
        else:
            u.inputs[name] = [[_matrix(f"{name}@t{t},b{b}", shape) for b in range(batch)]
                              for t in range(1, steps + 1)]
    for name, d in spec.states.items():
        u.initial[name] = [_matrix(f"{name}@init,b{b}", u.shape(d.shape)) for b in range(batch)]
    u.equations = {e.target: _Equation(spec, e, u.sizes) for e in spec.equations}
    for t in range(1, steps + 1):
        for b in range(batch):
            for e in spec.equations:
                u.value(e.target, t, b)
    return u
