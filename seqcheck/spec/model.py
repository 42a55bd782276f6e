"""The immutable :class:`Spec` value that every later stage takes.

A spec is the lectures' equations made executable: dims, inputs, states with
their initial values, parameters with shapes, and an ordered tuple of
equations, each a SymPy expression with a NumPy-style shape. Symbols follow one
naming rule -- ``h`` is h_t, ``h[t-1]`` the previous step, ``h[t+1]`` the next --
so every stage can tell a delayed reference from the current one by name
(:mod:`.symbols`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy as sp

from ..display import Displayable
from .grammar import Reference, Typed, format_shape
from .scope import type_expression
from .source import Source
from .symbols import make_symbol, ref_name

# ref_name and make_symbol (the naming rule) live in .symbols; they are named here too, for
# the modules that import them from the model.
__all__ = ["Source", "Dim", "Declaration", "Equation", "Spec", "ref_name", "make_symbol"]


@dataclass(frozen=True)
class Dim:
    """A symbolic dimension (``H``: hidden size)."""

    name: str
    doc: str
    symbol: sp.Symbol = field(repr=False)


@dataclass(frozen=True)
class Declaration:
    """A declared input, state or parameter.

    Arguments:
        name: the lecture's name.
        role: ``"input"``, ``"state"`` or ``"param"``.
        shape: NumPy-style shape with SymPy dims.
        doc: one line of meaning.
        static: inputs only -- the same value at every step (no time axis).
        mask: inputs only -- the step mask of variable-length rows: 1 on a row's own steps
            t <= L_b, 0 on its padding (docs/spec-language.md, "Variable sequence lengths").
        init: states -- the value before the first step (after the last, for a
            backward-in-time chain), typed; ``None`` if not declared.
        init_text: the init expression as written.
    """

    name: str
    role: str
    shape: tuple
    doc: str = ""
    static: bool = False
    init: Typed | None = None
    init_text: str | None = None
    mask: bool = False

    @property
    def symbol(self):
        return make_symbol(self.name, self.shape)

    def shape_str(self) -> str:
        return format_shape(self.shape)


@dataclass(frozen=True)
class Equation:
    """One equation ``target = expr`` of a step.

    Arguments:
        target: the variable it defines.
        text: the right-hand side as written.
        expr: SymPy expression of the right-hand side.
        shape: NumPy-style shape of the result.
        refs: every name the right-hand side uses, with time offsets.
        file, line: where it is written (the variant's file for an override).
    """

    target: str
    text: str
    expr: object = field(repr=False)
    shape: tuple
    refs: tuple[Reference, ...] = field(repr=False)
    file: str = "<string>"
    line: int = 0

    def dependencies(self, offset: int | None = 0) -> tuple[str, ...]:
        """Names used at the given time offset (``None``: every offset), in order, unique."""
        seen: dict[str, None] = {}
        for r in self.refs:
            if offset is None or r.offset == offset:
                seen.setdefault(r.name, None)
        return tuple(seen)


def _freeze(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Spec(Displayable):
    """A validated specification of one recurrent model.

    Build one with :func:`seqcheck.load_spec`; every field is immutable.

    Arguments:
        name: catalogue name (``"lstm"``).
        title: one line for listings.
        sources: lecture citations.
        notes: free text, including errata of the printed equations.
        dims: the symbolic dimensions.
        inputs, states, params: declarations by name.
        equations: in display order (the declared order, made dependency-consistent).
        outputs: names of the variables a user reads out.
        path: the file the spec was loaded from, if any.
        extends: the base spec's name, for a variant.
    """

    name: str
    title: str
    sources: tuple[Source, ...]
    notes: str
    dims: tuple[Dim, ...]
    inputs: Mapping[str, Declaration]
    states: Mapping[str, Declaration]
    params: Mapping[str, Declaration]
    equations: tuple[Equation, ...]
    outputs: tuple[str, ...]
    path: str | None = None
    extends: str | None = None

    def __post_init__(self):
        for attr in ("inputs", "states", "params"):
            object.__setattr__(self, attr, _freeze(getattr(self, attr)))

    # -- lookups --------------------------------------------------------------
    @property
    def variables(self) -> tuple[str, ...]:
        """Names defined by equations, in display order."""
        return tuple(e.target for e in self.equations)

    def equation(self, target: str) -> Equation:
        for e in self.equations:
            if e.target == target:
                return e
        raise KeyError(f"spec {self.name!r} has no equation for {target!r}")

    def shape_of(self, name: str) -> tuple:
        """NumPy-style shape of any input, state, parameter or variable."""
        for table in (self.inputs, self.states, self.params):
            if name in table:
                return table[name].shape
        return self.equation(name).shape

    def symbol(self, name: str, offset: int = 0):
        """The SymPy symbol standing for ``name`` at ``t + offset``."""
        return make_symbol(name, self.shape_of(name), offset)

    def dim(self, name: str) -> Dim:
        for d in self.dims:
            if d.name == name:
                return d
        raise KeyError(f"spec {self.name!r} has no dim {name!r}")

    @property
    def dim_symbols(self) -> dict[str, sp.Symbol]:
        return {d.name: d.symbol for d in self.dims}

    @property
    def sequence_inputs(self) -> tuple[str, ...]:
        return tuple(n for n, d in self.inputs.items() if not d.static)

    @property
    def mask_input(self) -> str | None:
        """The input declared ``mask = true`` (the step mask of variable-length rows), or
        None: a spec without one runs every row over all T steps."""
        return next((n for n, d in self.inputs.items() if d.mask), None)

    @property
    def data_inputs(self) -> tuple[str, ...]:
        """The sequence inputs a target is fed: every sequence input but the mask."""
        return tuple(n for n in self.sequence_inputs if not self.inputs[n].mask)

    @property
    def static_inputs(self) -> tuple[str, ...]:
        return tuple(n for n, d in self.inputs.items() if d.static)

    def delayed_refs(self) -> dict[str, set[int]]:
        """For each name used with a time offset, the set of offsets used."""
        out: dict[str, set[int]] = {}
        for e in self.equations:
            for r in e.refs:
                if r.offset:
                    out.setdefault(r.name, set()).add(r.offset)
        return out

    def parameter_count(self) -> sp.Expr:
        """Number of scalar parameters as a polynomial in the dims (``4*H*(D + H + 2)``)."""
        total = sp.Integer(0)
        for p in self.params.values():
            total += sp.Mul(*p.shape) if p.shape else sp.Integer(1)
        return sp.factor(sp.expand(total))

    def parse(self, text: str) -> Typed:
        """Type-check an extra expression in this spec's scope (e.g. a printed pre-activation).

        >>> # the pre-activation of the input gate of the seed 004 LSTM
        >>> from seqcheck import load_spec
        >>> load_spec("lstm").parse("W_ii @ x + b_ii + W_hi @ h[t-1] + b_hi").shape
        (H,)
        """
        decls = {**self.inputs, **self.states, **self.params}
        return type_expression(
            text,
            shapes={n: d.shape for n, d in decls.items()},
            initialised={n for n, d in decls.items() if d.init is not None},
            typed={e.target: Typed(e.expr, e.shape) for e in self.equations},
            dims={d.name: d.doc for d in self.dims},
        )

    def __repr__(self) -> str:
        return f"Spec({self.name!r}, equations={list(self.variables)})"
