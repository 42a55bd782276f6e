"""The names an expression may use, for the typechecker: :class:`SpecScope`, and
:func:`type_expression`, which types one standalone expression against a spec's names.

A scope knows the declared names (inputs, states, parameters) by shape, the equation
targets and those already typed, the names whose own definition failed, and the dims. It
turns a reference into its SymPy symbol (:mod:`.symbols`), reports an unknown name with a
suggestion, and skips (:class:`DependsOnFailed`) a name whose definition already failed, to
avoid cascading errors.

It does not import the model, so :meth:`seqcheck.spec.model.Spec.parse` can use it (the
import goes one way).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..errors import SpecError
from .diagnostics import Diagnostics, Entry, Origin
from .grammar import ExprError, Reference, Typed, parse_expression, references, typecheck
from .locate import TomlIndex
from .suggest import did_you_mean
from .symbols import make_symbol
from .toml_text import toml_string

__all__ = ["DependsOnFailed", "SpecScope", "type_expression"]


class DependsOnFailed(Exception):
    """A name whose own definition already failed: skip, to avoid cascading errors."""


class SpecScope:
    """Resolves names for the expression typer, reporting unknown symbols.

    Arguments:
        shapes: the NumPy-style shape of every declared input, state and parameter.
        targets: every equation target.
        typed: the targets typed so far (read as the caller fills it in).
        failed: names whose definition failed (read as the caller fills it in).
        dims: the description of every dim, by name.
        allow: if given, the only names that may be used (an initial value's).
    """

    def __init__(self, shapes: Mapping[str, tuple], targets: Collection[str],
                 typed: Mapping[str, Typed], failed: Collection[str], dims: Mapping[str, str],
                 *, allow: Collection[str] | None = None):
        self.shapes, self.targets, self.typed, self.failed = shapes, targets, typed, failed
        self.dims, self.allow = dims, allow

    def resolve(self, ref: Reference) -> Typed:
        """The typed symbol of ``ref`` at its time offset.

        Raises:
            ExprError: a name that may not be used here, or an unknown one.
            DependsOnFailed: a name whose definition failed or is not typed yet.
        """
        name = ref.name
        if self.allow is not None and name not in self.allow:
            if name in self.shapes or name in self.targets:
                raise ExprError("bad-reference",
                                f"'{name}' cannot be used here; an initial value may only use "
                                "parameters and static inputs", lineno=ref.lineno, col=ref.col,
                                span=ref.span, symbol=name,
                                hint="use a number (0) or a parameter, e.g. init = \"h0\"")
        if name in self.failed:
            raise DependsOnFailed(name)
        if name in self.shapes:
            shape = self.shapes[name]
        elif name in self.typed:
            shape = self.typed[name].shape
        elif name in self.targets:
            raise DependsOnFailed(name)
        else:
            close = did_you_mean(name, list(self.shapes) + sorted(self.targets))
            raise ExprError("unknown-symbol", f"unknown symbol '{name}'", lineno=ref.lineno,
                            col=ref.col, span=len(name), symbol=name,
                            hint=(f"did you mean '{close}'? " if close else "")
                                 + "declare it under [inputs], [states] or [params], "
                                   "or define it by an equation")
        return Typed(make_symbol(name, shape, ref.offset), shape)

    def dim_lines(self) -> tuple[str, ...]:
        """One line naming every dim, all unbound: a spec binds no sizes."""
        if not self.dims:
            return ()
        parts = [f"{name} ({doc}) = unbound" if doc else f"{name} = unbound"
                 for name, doc in self.dims.items()]
        return ("dims: " + ", ".join(parts) + " -- symbolic: no sizes are bound in a spec",)


def type_expression(text: str, *, shapes: Mapping[str, tuple], initialised: Collection[str],
                    typed: Mapping[str, Typed], dims: Mapping[str, str]) -> Typed:
    """Type an extra expression in the scope of a spec (all its names, delays to states).

    Arguments:
        text: the expression, e.g. a printed pre-activation.
        shapes: the shape of every declared input, state and parameter, by name.
        initialised: the declared names with an initial value (only they take a delay).
        typed: every equation target, typed.
        dims: the description of every dim, by name.
    Returns:
        The SymPy expression and its shape.
    Raises:
        SpecError: one diagnostic, located in the file ``<expression>``.
    """
    index = TomlIndex(f"expr = {toml_string(text)}\n")
    entry = Entry(text, Origin("<expression>", index), ("expr",))
    diags = Diagnostics()
    try:
        p = parse_expression(text)
        for r in references(p):
            if r.offset and r.name not in initialised:
                raise ExprError("missing-initial-value",
                                f"'{r.name}' is used at t{r.offset:+d} but is not a state with "
                                "an initial value", lineno=r.lineno, col=r.col, span=r.span,
                                symbol=r.name, hint="only states may carry a time index")
        return typecheck(p, SpecScope(shapes, set(typed), typed, set(), dims))
    except ExprError as err:
        diags.add_expr(entry, err, None)
    raise SpecError(diags.items)
