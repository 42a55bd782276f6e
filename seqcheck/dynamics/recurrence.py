"""Stage: Spec -> :class:`Recurrence`, what the equations say about the gradient's path back.

Three facts are read off a spec's SymPy equations, none typed in per model:

* the **recurrent weights**: every parameter ``P`` in a product ``P @ s[t-1]`` (or
  ``P @ concat(..., s[t-1], ...)``, then only the columns acting on ``s``) -- ``W_1`` in
  seed 001's Elman RNN, ``W`` in seed 003's ESN, the four ``W_h*`` of the LSTM;
* the **activation** wrapping each recurrent product: the innermost element-wise function
  on the way from the product to a state (followed through intermediate variables, as
  in ``a = b + W_1 @ h[t-1] + ...; h = tanh(a)``), with its derivative bound γ
  (1 for tanh, 1/4 for sigmoid; seed 000 eq. 26-28);
* whether the state Jacobian (:func:`seqcheck.derive.adjoint.state_jacobian`) has
  Pascanu et al.'s form ∂h_t/∂h_{t-1} = a·I + b·diag(f′)·W, for which
  ‖∂h_t/∂h_{t-1}‖₂ ≤ |a| + |b|·γ·σ_max(W) per step (seed 002, "Vanishing gradients").
  The leaky units fit it: a = 1 − alpha, b = alpha for the ESN's leaking rate (seed 003),
  a = alpha, b = 1 − alpha for seed 000 eq. 29. Gated cells do not: their gates multiply
  the recurrent path, so no single γ bounds a step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy import BlockMatrix, MatAdd, MatMul
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from ..errors import SeqcheckError
from ..spec.functions import LogSoftmax, Softmax
from ..spec.model import Spec
from ..spec.symbols import ref_name

__all__ = ["GAMMA", "Block", "Recurrence", "recurrence"]

GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "identity": 1.0}
"""sup |f′| of each activation the bound knows ("identity": a linear recurrence)."""

_TRANSPARENT = {"clip"}  # |clip′| ≤ 1: the activation around it still bounds the step


@dataclass(frozen=True)
class Block:
    """One recurrent weight block: ``param[:, columns]`` multiplies ``state`` read at [t-1].

    Arguments:
        param: the parameter's name.
        state: the state it acts on; None for a weight named by the user that the
            equations do not show multiplying a state.
        columns: ``(start, stop)`` in the dims (SymPy) when the state is one part of a
            ``concat``; None when every column acts on the state.
        transposed: ``paramᵀ`` acts (the row-vector convention ``h[t-1] @ W`` of seed 000
            eq. 36-41 and seed 002); ``columns`` are then columns of ``paramᵀ``.
    """

    param: str
    state: str | None
    columns: tuple | None = None
    transposed: bool = False

    def label(self) -> str:
        where = "" if self.columns is None else f"[:, {self.columns[0]}:{self.columns[1]}]"
        return f"{self.param}{'ᵀ' if self.transposed else ''}{where}"

    def index(self, dims: Mapping[str, int]) -> tuple[slice, slice]:
        """Where the block lies in the parameter's array, the dims bound."""
        subs = {sp.Symbol(k, integer=True, positive=True): v for k, v in dims.items()}
        cols = slice(None) if self.columns is None else \
            slice(*(int(sp.sympify(c).subs(subs)) for c in self.columns))
        return (cols, slice(None)) if self.transposed else (slice(None), cols)

    def acting(self, params: Mapping, dims: Mapping[str, int]) -> np.ndarray:
        """The matrix that multiplies the state, ``(rows, size of the state)``."""
        w = np.asarray(params[self.param], dtype=float)[self.index(dims)]
        return w.T if self.transposed else w


def _function_name(fn) -> str:
    """The name of an element-wise Lambda ``d ↦ tanh(d)``; its text if it is not one call."""
    body = fn.expr
    if isinstance(body, sp.Function) and body.args[:1] == tuple(fn.variables):
        return type(body).__name__
    return str(body)


def _innermost(expr, match, fn: str | None = None) -> list[str | None]:
    """For each node of ``expr`` that ``match`` accepts, the innermost function around it."""
    if match(expr):
        return [fn]
    if isinstance(expr, ElementwiseApplyFunction):
        name = _function_name(expr.function)
        return _innermost(expr.expr, match, fn if name in _TRANSPARENT else name)
    if isinstance(expr, (Softmax, LogSoftmax)):
        return _innermost(expr.args[0], match, type(expr).__name__.lower())
    if isinstance(expr, sp.Function):
        name = type(expr).__name__
        inner = fn if name in _TRANSPARENT else name
        return [f for i, a in enumerate(expr.args)
                for f in _innermost(a, match, inner if i == 0 else name)]
    if isinstance(expr, (sp.MatrixSymbol, sp.Symbol)):
        return []
    return [f for a in expr.args for f in _innermost(a, match, fn)]


def _named(name: str):
    return lambda e: isinstance(e, (sp.MatrixSymbol, sp.Symbol)) and e.name == name


def _paths(spec: Spec, target: str, seen: frozenset = frozenset()) -> list[str]:
    """Activations met on the way from equation ``target``'s result to a state."""
    if target in spec.states:
        return ["identity"]
    out: list[str] = []
    for e in spec.equations:
        if target in e.dependencies(0) and e.target not in seen:
            for fn in _innermost(e.expr, _named(target)):
                out += [fn] if fn else _paths(spec, e.target, seen | {target})
    return out


def _products(spec: Spec, expr, delayed: dict[str, str]):
    """``(Block, MatMul node)`` for every parameter product on a delayed state in ``expr``."""
    for node in sp.preorder_traversal(expr):
        if not isinstance(node, MatMul):
            continue
        args = node.args
        for left, right in zip(args, args[1:]):
            transposed = isinstance(left, sp.Transpose)
            weight = left.arg if transposed else left
            if not (isinstance(weight, sp.MatrixSymbol) and weight.name in spec.params):
                continue
            if isinstance(right, BlockMatrix):  # concat(h[t-1], x): only h's columns
                start = sp.Integer(0)
                for part in right.blocks:
                    stop = start + part.shape[0]
                    for name in _delayed_in(part, delayed):
                        yield Block(weight.name, name, (start, stop), transposed), node
                    start = stop
            else:
                for name in _delayed_in(right, delayed):
                    yield Block(weight.name, name, None, transposed), node


def _delayed_in(expr, delayed: dict[str, str]) -> list[str]:
    names = {s.name for s in expr.free_symbols if isinstance(s, (sp.MatrixSymbol, sp.Symbol))}
    return [state for label, state in delayed.items() if label in names]


@dataclass(frozen=True)
class Recurrence:
    """The recurrent structure of a spec, as read from its equations.

    Arguments:
        spec: the spec's name.
        states: the blocks of ``s``, the states read at ``[t-1]``.
        blocks: the recurrent weight blocks (:class:`Block`).
        activations: the innermost function around each recurrent product, sorted.
        activation: the one known function if there is exactly one, else None.
        gamma: sup |f′| of ``activation`` (:data:`GAMMA`), else None.
        leak: ``(a, b)``, SymPy scalars in the parameters, when
            ∂s_t/∂s_{t-1} = a·I + b·diag(f′)·W; else None.
        bound_reason: why there is no bound (None when there is one).
    """

    spec: str
    states: tuple[str, ...]
    blocks: tuple[Block, ...]
    activations: tuple[str, ...]
    activation: str | None
    gamma: float | None
    leak: tuple | None
    bound_reason: str | None

    @property
    def weights(self) -> tuple[str, ...]:
        """The recurrent parameters, each once, in the order the equations use them."""
        return tuple(dict.fromkeys(b.param for b in self.blocks))

    @property
    def bound_formula(self) -> str | None:
        """The bound as text: ``(σ_max·γ)^k`` or ``(|1 - alpha| + |alpha|·σ_max·γ)^k``."""
        if self.leak is None:
            return None
        a, b = self.leak
        step = "σ_max·γ" if b == 1 else f"|{b}|·σ_max·γ"
        return f"({step})^k" if a == 0 else f"(|{a}| + {step})^k"

    def describe(self) -> str:
        """``W_1 on h``; ``W_hi, W_hf, W_hc, W_ho on h, stacked``."""
        by_state: dict[str, list[str]] = {}
        for b in self.blocks:
            by_state.setdefault(b.state or "no state (named, taken whole)", []).append(b.label())
        text = "; ".join(f"{', '.join(ps)} on {s}" for s, ps in by_state.items())
        return text + (", stacked" if len(self.blocks) > 1 else "")

    def matrix(self, params: Mapping, dims: Mapping[str, int]) -> np.ndarray:
        """R, the recurrent weights stacked as they act on ``s``: one row group per
        parameter, one column group per state (zero where a weight does not act).

        For the LSTM, R = [[W_hi, 0]; [W_hf, 0]; [W_ho, 0]; [W_hc, 0]] on s = [h; c]:
        ‖R‖₂ is the largest gain from s_{t-1} to the gates' pre-activations.
        """
        parts = []  # (column group, parameter, its columns on that group)
        for b in self.blocks:
            group = b.state if b.state is not None else f"?{b.param}"  # a weight taken whole
            parts.append((group, b.param, b.acting(params, dims)))
        row_of: dict[str, int] = {}
        height: dict[str, int] = {}
        width: dict[str, int] = {}
        for group, param, w in parts:
            row_of.setdefault(param, sum(height[p] for p in row_of))
            height.setdefault(param, w.shape[0])
            width.setdefault(group, w.shape[1])
        order = [s for s in self.states if s in width] + [g for g in width
                                                          if g not in self.states]
        col_of = {g: sum(width[h] for h in order[:i]) for i, g in enumerate(order)}
        R = np.zeros((sum(height.values()), sum(width.values())))
        for group, param, w in parts:
            r, c = row_of[param], col_of[group]
            R[r:r + w.shape[0], c:c + w.shape[1]] = w
        return R

    def spectrum(self, params: Mapping, dims: Mapping[str, int]) -> tuple[float | None, float]:
        """``(ρ, σ_max)``: the largest spectral radius of a square block (None if none is
        square) and ‖R‖₂ of the stacked weights (:meth:`matrix`); σ_max ≥ ρ."""
        radii = [float(np.abs(np.linalg.eigvals(w)).max())
                 for w in (b.acting(params, dims) for b in self.blocks)
                 if w.shape[0] == w.shape[1]]
        sigma = float(np.linalg.norm(self.matrix(params, dims), ord=2))
        return (max(radii) if radii else None), sigma

    def coefficients(self, params: Mapping) -> tuple[float, float] | None:
        """``(|a|, |b|)`` at the parameters' values; None without a bound."""
        if self.leak is None:
            return None
        a, b = (abs(float(c.xreplace({s: sp.Float(float(np.asarray(params[s.name])))
                                      for s in c.free_symbols}))) for c in self.leak)
        return a, b

    def bound_factor(self, params: Mapping, sigma_max: float) -> float | None:
        """|a| + |b|·γ·σ_max, the bound on ‖∂h_t/∂h_{t-1}‖₂ per step; None without a bound."""
        ab = self.coefficients(params)
        return None if ab is None else ab[0] + ab[1] * self.gamma * sigma_max

    def no_radius_message(self) -> str:
        shapes = ", ".join(b.label() for b in self.blocks)
        return (f"spec {self.spec!r}: no recurrent weight is square ({shapes}), so there is no "
                "spectral radius to set; name square weights with recurrent=[...] "
                "(seqcheck dynamics --recurrent NAME)")


def recurrence(spec: Spec, recurrent: Sequence[str] | None = None) -> Recurrence:
    """Read the recurrent weights, the activation and the bound's form off ``spec``.

    Arguments:
        spec: a validated spec whose states are read at ``[t-1]``, forward in time.
        recurrent: parameter names to use as the recurrent weights instead of those
            found; a 2-D parameter the equations do not show on a state is taken whole.
    Returns:
        :class:`Recurrence`.
    Raises:
        SeqcheckError: a backward-in-time chain, no delayed state, no recurrent weight,
            an unknown or non-matrix name in ``recurrent``.

    >>> # seed 003's ESN: a leaky tanh reservoir, bound ((1 - alpha) + alpha·σ_max·γ)^k
    >>> from seqcheck import load_spec
    >>> r = recurrence(load_spec("esn"))
    >>> r.weights, r.activation, r.gamma, r.bound_formula
    (('W',), 'tanh', 1.0, '(|1 - alpha| + |alpha|·σ_max·γ)^k')
    >>> recurrence(load_spec("lstm")).weights
    ('W_hi', 'W_hf', 'W_ho', 'W_hc')
    """
    from ..derive.jacobian import backward_chain, causal_states

    chain = backward_chain(spec)
    if chain is not None:
        raise SeqcheckError(
            f"gradient dynamics follow a state carried forward in time, s_t = f(s_(t-1), "
            f"x_t), but spec {spec.name!r} has a backward-in-time chain: {', '.join(chain[1])}"
            "\n  hint: measure each direction as a forward-only spec (for a bidirectional "
            "RNN, its forward chain is spec rnn_torch)")
    states = causal_states(spec, "measuring gradient dynamics")
    if not states:
        raise SeqcheckError(f"spec {spec.name!r} reads no state at [t-1]: there is no "
                            "recurrence whose gradients could vanish or explode")
    delayed = {ref_name(s, -1): s for s in states}
    found: dict[Block, list[str]] = {}  # each block, with the activations on its paths
    for e in spec.equations:
        for block, node in _products(spec, e.expr, delayed):
            acts = found.setdefault(block, [])
            for fn in _innermost(e.expr, lambda n, node=node: n is node or n == node):
                acts += [fn] if fn else _paths(spec, e.target)
    blocks = list(found)
    if recurrent is not None:
        blocks = []
        for name in recurrent:
            if name not in spec.params or len(spec.params[name].shape) != 2:
                raise SeqcheckError(
                    f"recurrent weight {name!r} is not a matrix parameter of spec "
                    f"{spec.name!r}; its matrix parameters: "
                    f"{', '.join(p for p, d in spec.params.items() if len(d.shape) == 2)}")
            blocks += [b for b in found if b.param == name] or [Block(name, None)]
    if not blocks:
        raise SeqcheckError(f"no parameter of spec {spec.name!r} multiplies a state read at "
                            f"[t-1] ({', '.join(delayed)}); name the recurrent weights with "
                            "recurrent=[...] (seqcheck dynamics --recurrent NAME)")
    kinds = tuple(sorted({a for b in blocks for a in found.get(b, ["unknown"])}))
    activation = kinds[0] if len(kinds) == 1 and kinds[0] in GAMMA else None
    gamma = GAMMA[activation] if activation else None
    leak, reason = _leak(spec, states, tuple(blocks), kinds, activation)
    return Recurrence(spec.name, states, tuple(blocks), kinds, activation, gamma, leak, reason)


def _leak(spec: Spec, states, blocks, kinds, activation):
    """``((a, b), None)`` if ∂h_t/∂h_{t-1} = a·I + b·diag(f′)·W, else ``(None, reason)``."""
    named = [b.param for b in blocks if b.state is None]
    if named:
        return None, (f"{', '.join(named)} {'was' if len(named) == 1 else 'were'} named as "
                      "recurrent, but the equations do not multiply a state at [t-1] by "
                      f"{'it' if len(named) == 1 else 'them'}")
    if len(kinds) > 1:
        return None, (f"the recurrent products sit inside {', '.join(kinds)}: gates multiply "
                      "the recurrent path, so no single γ bounds a step (seed 002, "
                      "'Vanishing gradients')")
    if activation is None:
        return None, (f"the recurrent products sit inside {kinds[0]}, whose derivative bound "
                      f"γ is not known (known: {', '.join(GAMMA)})")
    if len(states) > 1:
        return None, (f"s = [{'; '.join(states)}] has {len(states)} states; the bound is for "
                      "one state h_t = f(W h_(t-1) + ...)")
    if len(blocks) > 1:
        return None, (f"the bound is for one recurrent weight, here {len(blocks)} blocks "
                      f"({', '.join(b.label() for b in blocks)})")
    if blocks[0].columns is not None or blocks[0].transposed:
        return None, (f"{blocks[0].label()} is part of a parameter or its transpose; the "
                      "symbolic form is matched for a whole matrix W @ h[t-1]")
    from ..derive.adjoint import state_jacobian
    from ..derive.rules import DerivationError

    h, w = states[0], blocks[0].param
    try:
        J = state_jacobian(spec).get((h, h), sp.ZeroMatrix(1, 1))
    except DerivationError as e:
        return None, f"the state Jacobian is not derived symbolically: {e}"
    a = b = sp.Integer(0)
    scalars = {n for n, d in spec.params.items() if d.shape == ()}
    for term in (J.args if isinstance(J, MatAdd) else (J,)):
        factors = term.args if isinstance(term, MatMul) else (term,)
        mats = [f for f in factors if getattr(f, "is_Matrix", False)]
        coeff = sp.Mul(*(f for f in factors if not getattr(f, "is_Matrix", False)))
        names = {s.name for s in coeff.free_symbols if not s.is_integer}
        want = [sp.MatrixSymbol] if activation == "identity" else [DiagMatrix, sp.MatrixSymbol]
        if names - scalars:
            break
        if len(mats) == 1 and isinstance(mats[0], sp.Identity):
            a += coeff
        elif [type(m) for m in mats] == want and mats[-1].name == w:
            b += coeff
        else:
            break
    else:
        return (sp.simplify(a), sp.simplify(b)), None
    return None, f"∂{h}_t/∂{h}_(t-1) = {J} is not a·I + b·diag(f′)·{w}"
