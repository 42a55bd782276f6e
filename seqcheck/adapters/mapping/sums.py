"""Sums under ``[params]``: one target slice holding the sum of spec parameters.

Keras's and flax's LSTMs keep one bias per gate where the spec ``lstm`` (torch's
equations) has two, ``b_ii + b_hi``. A mapping says so with a sum as the key::

    "b_ii + b_hi" = "bias[0:H]"

verify then writes ``b_ii + b_hi`` into the slice and gives each member the slice's
gradient. That is exact only where the spec depends on the members through their sum
alone -- every equation adds them, each once, with coefficient one -- which
:func:`apart_in` checks on the spec's SymPy expressions (seqcheck.adapters.blocks' ``Term``
sums make the same assumption for the engines' layouts). :func:`read_sum` validates a key.
"""

from __future__ import annotations

import sympy as sp

from ...spec import Spec
from ...spec.grammar import format_shape
from ...spec.suggest import did_you_mean
from .reader import MappingReader

__all__ = ["apart_in", "read_sum", "split_sum"]

_SUM_HINT = 'a sum is spec parameters joined by +: "b_ii + b_hi" = "bias[0:H]"'


def split_sum(key: str) -> tuple[str, ...]:
    """The spec parameters a ``[params]`` key names: itself, or the members of a sum.

    >>> split_sum("b_ii + b_hi"), split_sum("W_ii")
    (('b_ii', 'b_hi'), ('W_ii',))
    """
    return tuple(p.strip() for p in key.split("+"))


def read_sum(r: MappingReader, path: tuple, key: str, spec: Spec) -> tuple[str, ...] | None:
    """The members of the sum ``key``, checked against ``spec``; None where a problem was
    recorded on ``r``.

    Arguments:
        r: the mapping file's reader.
        path: ``("params", key)``.
        key: the key as TOML read it, e.g. ``"b_ii + b_hi"``.
        spec: the spec the mapping names.
    """
    spans, offset = [], 0  # (where the member starts in the key, the member)
    for part in key.split("+"):
        spans.append((offset + len(part) - len(part.lstrip()), part.strip()))
        offset += len(part) + 1
    if any(not name for _, name in spans):
        r.items.append(r.in_key(path, 0, len(key)).error(
            "syntax-error", f"the sum '{key}' has an empty term", symbol=key, hint=_SUM_HINT))
        return None
    ok, seen = True, set()
    listing = f"the parameters of spec '{spec.name}' are {', '.join(spec.params)}"
    for offset, name in spans:
        where = r.in_key(path, offset, len(name))
        if name not in spec.params:
            close = did_you_mean(name, spec.params)
            r.items.append(where.error(
                "unknown-param", f"unknown spec parameter '{name}' in the sum '{key}'",
                symbol=name, hint=(f"did you mean '{close}'? " if close else "") + listing))
            ok = False
        elif name in seen:
            r.items.append(where.error(
                "duplicate", f"'{name}' is twice in the sum '{key}'", symbol=name,
                hint="name each spec parameter of a sum once"))
            ok = False
        seen.add(name)
    if not ok:
        return None
    members = tuple(name for _, name in spans)
    shapes = {m: spec.params[m].shape for m in members}
    other = next((m for m in members if shapes[m] != shapes[members[0]]), None)
    if other is not None:
        r.items.append(r.in_key(path, 0, len(key)).error(
            "bad-sum", f"the sum '{key}' adds {members[0]} {format_shape(shapes[members[0]])} "
            f"and {other} {format_shape(shapes[other])}", symbol=key,
            hint="a target slice holds the sum of spec parameters of one shape"))
        return None
    eq = apart_in(spec, members)
    if eq is not None:
        r.items.append(r.in_key(path, 0, len(key)).error(
            "bad-sum", f"spec '{spec.name}' uses {', '.join(members[:-1])} and {members[-1]} "
            f"apart, not only as their sum: {eq}", symbol=key,
            hint="a slice may hold a sum only where the spec adds its members in every "
                 "equation (as lstm's b_ii + b_hi); map each to its own slice, or verify "
                 "against a variant of the spec without one of them (docs/spec-language.md, "
                 "Variants)"))
        return None
    return members


def apart_in(spec: Spec, members: tuple[str, ...]) -> str | None:
    """The first equation of ``spec`` that uses ``members`` otherwise than as their sum
    (``"n = ..."``), or None where every use of them is as terms of one sum.

    Conservative: a sum the spec writes in another form (``2*a + 2*b``) counts as apart.

    >>> from seqcheck import load_spec
    >>> apart_in(load_spec("lstm"), ("b_ii", "b_hi")) is None
    True
    >>> apart_in(load_spec("gru"), ("b_in", "b_hn"))   # r * (W_hn @ h[t-1] + b_hn)
    'n = tanh(W_in @ x + b_in + r * (W_hn @ h[t-1] + b_hn))'
    """
    symbols = {spec.params[m].symbol for m in members}
    for eq in spec.equations:
        if _apart(eq.expr, symbols):
            return f"{eq.target} = {eq.text}"
    for name, decl in spec.states.items():
        if decl.init is not None and _apart(decl.init.expr, symbols):
            return f"the initial {name} = {decl.init_text}"
    return None


def _apart(expr, symbols: set) -> bool:
    if expr in symbols:
        return True
    if isinstance(expr, (sp.Add, sp.MatAdd)):
        terms = _terms(expr)
        present = [t for t in terms if t in symbols]
        if present and (len(present) != len(symbols) or set(present) != symbols):
            return True
        return any(_apart(t, symbols) for t in terms if t not in symbols)
    return any(_apart(a, symbols) for a in getattr(expr, "args", ()) if isinstance(a, sp.Basic))


def _terms(expr) -> list:
    """The terms of a sum, nested sums flattened."""
    if isinstance(expr, (sp.Add, sp.MatAdd)):
        return [t for a in expr.args for t in _terms(a)]
    return [expr]
