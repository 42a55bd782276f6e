"""Spec -> :class:`Derivation`: the adjoint equations of one time step (BPTT).

Every equation ``v = f(...)`` of a step is differentiated once, symbolically, with the
rule table (:mod:`seqcheck.derive.rules`): given the adjoint ``v̄ = ∂L/∂v_t``, each
name the right-hand side uses gets a *contribution* -- a parameter ``W``, an input
``x_t``, a variable at the same step, or a delayed reference ``h[t-1]``. Named
intermediate adjoints (``d_i`` for the gate pre-activation, the lectures' δ) keep the
contributions short. Nothing here depends on the sequence length T: the time structure
is the BPTT recursion (seed 001 "Back-Propagation Through Time"; seed 002's
∂L/∂c_t = ∂L/∂c_{t+1} · ∂c_{t+1}/∂c_t):

    v̄_t = ∂ℓ/∂v_t + Σ_{c at step t} contrib(c → v) + Σ_{c at step t+k} contrib(c → v[t-k])

    ∂L/∂W = Σ_t Σ_c contrib(c → W)(t)

The generated backward code (:mod:`seqcheck.backends.codegen`) follows exactly this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy as sp

from ..display import Displayable
from ..spec.functions import EntrySum
from ..spec.model import Spec
from ..spec.symbols import ref_name
from .rules import DerivationError, is_constant, vjp

__all__ = ["Contribution", "EquationAdjoint", "Derivation", "derive", "adjoint_symbol",
           "shift_time", "state_jacobian"]


def adjoint_symbol(name: str, shape: tuple, offset: int = 0):
    """The symbol of ``∂L/∂name`` at ``t + offset``: ``adj_h``, ``adj_h[t+1]``."""
    label = ref_name(f"adj_{name}", offset)
    if len(shape) == 0:
        return sp.Symbol(label, real=True)
    rows = shape[0]
    cols = shape[1] if len(shape) == 2 else 1
    return sp.MatrixSymbol(label, rows, cols)


_REF = re.compile(r"^(.*?)(?:\[t([+-]\d+)\])?$")


def shift_time(expr, k: int, params: set[str]):
    """``expr`` moved ``k`` steps later: ``h[t-1]`` -> ``h``, ``h`` -> ``h[t+1]``.

    Parameters (``params``) and dims do not move.
    """
    if k == 0:
        return expr
    repl = {}
    for s in expr.free_symbols:
        if not isinstance(s, (sp.Symbol, sp.MatrixSymbol)) or (s.is_integer and s.is_positive):
            continue
        base, off = _REF.match(s.name).groups()
        if base in params:
            continue
        label = ref_name(base, int(off or 0) + k)
        repl[s] = sp.Symbol(label, real=True) if isinstance(s, sp.Symbol) else \
            sp.MatrixSymbol(label, *s.shape)
    return expr.xreplace(repl)


@dataclass(frozen=True)
class Contribution:
    """One term of some adjoint, produced by one equation.

    Arguments:
        to: the name whose adjoint receives it (variable, input, state or parameter).
        offset: the time offset of the reference in the equation (``-1`` for ``h[t-1]``).
        expr: the term; shape of ``to`` (for a batched variable: per batch row).
        source: the equation it comes from.
    """

    to: str
    offset: int
    expr: object = field(repr=False)
    source: str = ""


@dataclass(frozen=True)
class EquationAdjoint:
    """The reverse of one equation: named intermediate adjoints, then contributions.

    Arguments:
        target: the equation's variable v.
        adjoint: the symbol v̄ (``adj_v``).
        temps: ``(symbol, expression)`` pairs, evaluated in order.
        contributions: one per (name, offset) the right-hand side uses.
    """

    target: str
    adjoint: object
    temps: tuple[tuple[object, object], ...]
    contributions: tuple[Contribution, ...]


class _Walker:
    """Applies the rule table from an equation's root down to its symbols."""

    def __init__(self, target: str, temp_prefix: str):
        self.target = target
        self.prefix = temp_prefix
        self.temps: list[tuple[object, object]] = []
        self.acc: dict[tuple[str, int], object] = {}
        self.order: list[tuple[str, int]] = []

    def _bind(self, g):
        """Name a compound adjoint that several children will use."""
        if isinstance(g, (sp.MatrixSymbol, sp.Symbol)):
            return g
        k = len(self.temps) + 1
        label = self.prefix if k == 1 else f"{self.prefix}_{k}"
        sym = sp.MatrixSymbol(label, *g.shape) if getattr(g, "is_Matrix", False) \
            else sp.Symbol(label, real=True)
        self.temps.append((sym, g))
        return sym

    def leaf(self, sym, g) -> None:
        base, off = _REF.match(sym.name).groups()
        key = (base, int(off or 0))
        if key in self.acc:
            self.acc[key] = self.acc[key] + g
        else:
            self.acc[key] = g
            self.order.append(key)

    def walk(self, node, g, out=None) -> None:
        if is_constant(node):
            return
        if isinstance(node, (sp.MatrixSymbol, sp.Symbol)):
            self.leaf(node, g)
            return
        if not getattr(node, "is_Matrix", False) and not isinstance(node, (sp.Trace, EntrySum)):
            self.scalar(node, g)
            return
        children = [c for c in _children(node) if not is_constant(c)]
        if len(children) > 1:
            g = self._bind(g)
        for child, cg in vjp(node, g, out):
            self.walk(child, cg)

    def walk_jac(self, node, g, out=None) -> None:
        """Like :meth:`walk` with several adjoint columns: only vectors (states) receive them."""
        if is_constant(node) or not getattr(node, "is_Matrix", False) or node.shape[1] != 1:
            return
        if isinstance(node, sp.MatrixSymbol):
            self.leaf(node, g)
            return
        for child, cg in vjp(node, g, out, jac=True):
            self.walk_jac(child, cg)

    def scalar(self, node, g) -> None:
        """A scalar expression of symbols, traces and sums: SymPy's chain rule over its atoms."""
        atoms = [a for a in node.atoms(sp.Symbol, sp.Trace, EntrySum)
                 if not (isinstance(a, sp.Symbol) and a.is_integer and a.is_positive)]
        atoms = [a for a in atoms if not any(a != b and a in b.atoms(type(a)) for b in atoms
                                             if isinstance(b, (sp.Trace, EntrySum)))]
        dummies = {a: sp.Dummy() for a in atoms}
        flat = node.xreplace(dummies)
        if len(atoms) > 1 and not isinstance(g, sp.Symbol):
            g = self._bind(g)
        for a in sorted(atoms, key=str):
            partial = flat.diff(dummies[a]).xreplace({v: k for k, v in dummies.items()})
            if partial == 0:
                continue
            self.walk(a, g * partial)


def _children(node):
    if isinstance(node, sp.Trace):
        return node.arg.args
    if isinstance(node, BlockMatrixType):
        return tuple(node.blocks)
    return node.args


BlockMatrixType = sp.BlockMatrix
DiagMatrixType = sp.DiagMatrix


def _equation_adjoint(spec: Spec, target: str, expr, out) -> EquationAdjoint:
    shape = spec.shape_of(target)
    g = adjoint_symbol(target, shape)
    w = _Walker(target, f"d_{target}")
    try:
        w.walk(expr, g, out=out)
    except DerivationError as e:
        raise DerivationError(f"in equation {target!r} of spec {spec.name!r}: {e}") from None
    contribs = tuple(Contribution(name, off, w.acc[(name, off)], target) for name, off in w.order)
    return EquationAdjoint(target, g, tuple(w.temps), contribs)


@dataclass(frozen=True)
class Derivation(Displayable):
    """The adjoint equations of one step of a spec, symbolic and independent of T.

    Arguments:
        spec: the spec.
        equations: one :class:`EquationAdjoint` per equation, in the spec's order.
        inits: for every state with an initial value that uses parameters, the
            adjoint of that initial value (contributions to the parameters).
    """

    spec: Spec
    equations: tuple[EquationAdjoint, ...]
    inits: tuple[EquationAdjoint, ...] = ()

    def of(self, target: str) -> EquationAdjoint:
        for e in self.equations:
            if e.target == target:
                return e
        raise KeyError(target)

    def contributions_to(self, name: str) -> list[Contribution]:
        """Every contribution any equation makes to ``name`` (at any offset)."""
        return [c for e in self.equations for c in e.contributions if c.to == name]

    def adjoint_equation(self, target: str, seeded: bool = True, inline: bool = False):
        """v̄_t as a sum over its consumers: the BPTT recursion for one variable.

        Contributions from a later step are shown shifted to that step (``adj_c[t+1]``,
        ``d_i[t+1]``); ``inline=True`` writes the named intermediate adjoints out.
        """
        shape = self.spec.shape_of(target)
        params = set(self.spec.params)
        terms = []
        if seeded:
            terms.append(sp.MatrixSymbol(f"dl_d{target}", *adjoint_symbol(target, shape).shape)
                         if shape else sp.Symbol(f"dl_d{target}", real=True))
        for c in self.contributions_to(target):
            expr = _inline(self.of(c.source), c.expr) if inline else c.expr
            shifted = shift_time(expr, -c.offset, params)
            terms.append(shifted)
        if not terms:
            return sp.ZeroMatrix(*adjoint_symbol(target, shape).shape) if shape else sp.Integer(0)
        return sp.Add(*terms) if not shape else sp.MatAdd(*terms)

    def parameter_gradient(self, param: str):
        """The per-step contribution to ∂L/∂param (summed over t and the batch)."""
        terms = [_inline(self.of(c.source), c.expr) for c in self.contributions_to(param)]
        shape = self.spec.params[param].shape
        if not terms:
            return sp.Integer(0)
        return sp.Add(*terms) if not shape else sp.MatAdd(*terms)


def state_jacobian(spec: Spec) -> dict[tuple[str, str], object]:
    """The blocks of the state Jacobian ∂s_t/∂s_{t-1}, symbolically (seed 002's ∂c_t/∂c_{t-1}).

    ``s`` stacks every state read as ``[t-1]``. Each block ``(a, b)`` is ∂a_t/∂b_{t-1}, a
    matrix expression of shape (n_a, n_b) in terms of the step's values; a zero block is
    left out. Derived in reverse mode with one adjoint column per entry of ``a_t`` (the
    rule table with ``jac=True``).

    >>> # the LSTM's cell path: ∂c_t/∂c_{t-1} = diag(f_t), the constant error carousel
    >>> from seqcheck import load_spec
    >>> state_jacobian(load_spec("lstm"))[("c", "c")]
    DiagMatrix(f)
    """
    if any(spec.shape_of(v) == () for v in spec.variables):
        raise DerivationError("the symbolic state Jacobian covers vector variables only; "
                              "use seqcheck.derive.state_jacobians for the numbers")
    states = [n for n, offs in spec.delayed_refs().items() if n in spec.states]
    if any(offs != {-1} for n, offs in spec.delayed_refs().items() if n in states):
        raise DerivationError("the state Jacobian needs every state read as [t-1] only")
    order = [e.target for e in spec.equations]
    blocks: dict[tuple[str, str], object] = {}
    for a in states:
        n = spec.shape_of(a)[0]
        adj: dict[str, object] = {a: sp.Identity(n)}
        for target in reversed(order[: order.index(a) + 1]):
            if target not in adj:
                continue
            w = _Walker(target, f"d_{target}")
            w.walk_jac(spec.equation(target).expr, adj.pop(target), out=spec.symbol(target))
            for (name, off), g in w.acc.items():
                if off == -1 and name in states:
                    key = (a, name)
                    blocks[key] = sp.MatAdd(blocks[key], g) if key in blocks else g
                elif off == 0 and name in spec.variables:
                    adj[name] = sp.MatAdd(adj[name], g) if name in adj else g
    return {k: _simplify_block(v) for k, v in blocks.items()}


def _transpose(e):
    """Aᵀ built structurally: SymPy's own transpose evaluates (and asks about) every factor."""
    if isinstance(e, sp.MatAdd):
        return sp.MatAdd(*[_transpose(a) for a in e.args])
    if isinstance(e, sp.MatMul):
        args = [a if not getattr(a, "is_Matrix", False) else _transpose(a)
                for a in reversed(e.args)]
        scalars = [a for a in args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in args if getattr(a, "is_Matrix", False)]
        mats = [a for a in mats if not isinstance(a, sp.Identity)] or mats
        out = scalars + mats
        return sp.MatMul(*out) if len(out) > 1 else out[0]
    if isinstance(e, (DiagMatrixType, sp.Identity, sp.ZeroMatrix)):
        return e
    if isinstance(e, sp.Transpose):
        return e.arg
    return sp.Transpose(e)


def _simplify_block(m):
    """The block ∂a_t/∂b_{t-1} from the accumulated adjoint columns (its transpose)."""
    return _transpose(m)


def _inline(eq: EquationAdjoint, expr):
    """Replace named intermediate adjoints by their expressions (for display)."""
    for sym, value in reversed(eq.temps):
        expr = expr.xreplace({sym: value})
    return expr


def derive(spec: Spec) -> Derivation:
    """Differentiate every equation of one step of ``spec`` (reverse mode).

    Arguments:
        spec: a validated spec.
    Returns:
        The :class:`Derivation`; its size does not depend on the sequence length.
    Raises:
        DerivationError: an expression without a rule (names the equation).

    >>> # the BPTT recursion of the Elman RNN's hidden state (seed 001)
    >>> from seqcheck import load_spec
    >>> d = derive(load_spec("elman"))
    >>> sorted((c.to, c.offset) for c in d.of("a").contributions)
    [('W_1', 0), ('W_2', 0), ('b', 0), ('h', -1), ('x', 0)]
    """
    equations = []
    for e in spec.equations:
        own = spec.symbol(e.target)
        equations.append(_equation_adjoint(spec, e.target, e.expr, own))
    inits = []
    for name, d in spec.states.items():
        if d.init is not None and not is_constant(d.init.expr):
            inits.append(_equation_adjoint_init(spec, name, d))
    return Derivation(spec, tuple(equations), tuple(inits))


def _equation_adjoint_init(spec: Spec, name: str, d) -> EquationAdjoint:
    g = adjoint_symbol(f"{name}_init", d.shape)
    w = _Walker(name, f"d_{name}_init")
    expr = d.init.expr
    if not d.init.shape and d.shape:  # a scalar broadcast over the state's shape
        w.walk(expr, EntrySum(g))
    else:
        w.walk(expr, g)
    contribs = tuple(Contribution(n, o, w.acc[(n, o)], f"{name}_init") for n, o in w.order)
    return EquationAdjoint(f"{name}_init", g, tuple(w.temps), contribs)
