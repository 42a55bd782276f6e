"""The dims of a worked example, bound from the arrays it gives: :class:`DimBinding`.

A file states no dims: each array of ``[params]``, ``[initial]`` and ``[inputs]`` votes for
the sizes its declared shape implies, the majority binds each dim, and the messages say
which array fixed it.
"""

from __future__ import annotations

from collections import Counter

import sympy as sp

from ...spec import Spec
from ...spec.grammar import format_shape

__all__ = ["DimBinding"]


class DimBinding:
    """Binds the spec's dims from the arrays a file gives, by majority, and explains them."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.votes: dict[str, Counter] = {}
        self.first: dict[tuple[str, int], str] = {}
        self.values: dict[str, int] = {}

    def vote(self, declared: tuple, actual: tuple, what: str) -> None:
        """Each plain dim of a ``declared`` shape votes for its size in ``actual`` (``what``)."""
        if len(declared) != len(actual):
            return
        for sym, n in zip(declared, actual):
            s = sp.sympify(sym)
            if isinstance(s, sp.Symbol):
                self.votes.setdefault(s.name, Counter())[n] += 1
                self.first.setdefault((s.name, n), what)

    def settle(self) -> None:
        """Bind each dim to the size most arrays voted for."""
        for name, counts in self.votes.items():
            # most_common keeps first-seen order among ties
            self.values[name] = counts.most_common(1)[0][0]

    def concrete(self, declared: tuple) -> tuple[int, ...] | None:
        """``declared`` at the bound dims; None while a dim in it is unbound."""
        subs = {d.symbol: self.values[d.name] for d in self.spec.dims if d.name in self.values}
        out = []
        for s in declared:
            v = sp.sympify(s).subs(subs)
            if not v.is_Integer:
                return None
            out.append(int(v))
        return tuple(out)

    def lines(self) -> tuple[str, ...]:
        """The binding as a diagnostic's detail line: each dim, and the array that fixed it."""
        parts = [f"{name} = {n} (from {self.first[(name, n)]})"
                 for name, n in sorted(self.values.items())]
        return ("dims: " + ", ".join(parts),) if parts else ()

    def shown(self, declared: tuple) -> str:
        """``(H, D) = (2, 3)``, or ``(2,)`` for a shape without dims."""
        c = self.concrete(declared)
        text = format_shape(declared)
        if c is None or text == format_shape(c):
            return text
        return f"{text} = {format_shape(c)}"

