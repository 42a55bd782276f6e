"""Shape entries of declarations: ``shape = ["H", "2*H + 1"]`` -> a tuple of SymPy dims.

A shape entry is a declared dim, a positive integer, or a short sum or product of them; it
is parsed with :func:`ast.parse` and walked, never evaluated, under the limits of
docs/robustness.md. Every refusal is a :class:`DimProblem` that the loader reports at the
entry.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import sympy as sp

from ..diagnostics import Diagnostics, Entry
from ..grammar import LIMITS
from ..model import Dim
from ..suggest import did_you_mean

__all__ = ["DIM_CHARS", "DimProblem", "dim_expr", "declared_shape"]


#: A shape entry is a short sum or product of dims; longer text is refused before parsing, so a
#: deep or huge entry can neither exhaust the stack nor build a huge SymPy integer.
DIM_CHARS = 200
_DIM_FORM = 'a shape entry is a dim, a positive integer, or a sum or product like "2*H + 1"'
_DIM_SMALL = (f"keep a shape entry within {DIM_CHARS} characters and its numbers within "
               f"{LIMITS['digits']} digits; declare a dim under [dims] for a large size")


@dataclass(frozen=True)
class DimProblem:
    """Why a shape entry is refused: the diagnostic's kind, message and hint."""

    kind: str
    message: str
    hint: str


def dim_expr(item: object, dims: dict[str, Dim]) -> sp.Expr | DimProblem:
    """A shape entry as a SymPy dim, or the :class:`DimProblem` that refuses it."""
    def unknown(message, hint=_DIM_FORM):
        return DimProblem("unknown-dim", message, hint)

    def too_large(message):
        return DimProblem("too-large", message, _DIM_SMALL)

    if isinstance(item, bool) or not isinstance(item, (int, str)):
        return unknown(f"shape entry {item!r} must be a dim name, an integer or a sum like "
                       f"\"1 + N_u\"")
    if isinstance(item, int):
        if abs(item) >= 10 ** LIMITS["digits"]:  # tomllib refuses over 4300 digits: str is safe
            return too_large(f"the number in a shape entry has {len(str(abs(item)))} digits; "
                             f"the limit is {LIMITS['digits']}")
        return sp.Integer(item) if item > 0 else unknown(f"shape entry {item} must be positive")
    if len(item) > DIM_CHARS:
        return too_large(f"shape entry of {len(item)} characters is too long; the limit is "
                         f"{DIM_CHARS}")
    try:
        tree = ast.parse(item, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return unknown(f"shape entry '{item}' is not a dim expression")

    def conv(node):
        if isinstance(node, ast.Name):
            if node.id not in dims:
                where = "" if node.id == item.strip() else f" in shape entry '{item}'"
                raise ValueError(f"unknown dim '{node.id}'{where}")
            return dims[node.id].symbol
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value > 0:
            digits = len(str(node.value))  # at most DIM_CHARS digits: cheap
            if digits > LIMITS["digits"]:
                raise OverflowError(f"the number in a shape entry has {digits} digits; the "
                                    f"limit is {LIMITS['digits']}")
            return sp.Integer(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            a, b = conv(node.left), conv(node.right)
            return a + b if isinstance(node.op, ast.Add) else a * b
        raise ValueError(f"shape entry '{item}' may only add and multiply dims and integers")

    try:
        return conv(tree.body)
    except ValueError as e:
        if str(e).startswith("unknown dim"):
            return unknown(str(e), "declare it under [dims]")
        return unknown(str(e))
    except OverflowError as e:
        return too_large(str(e))
    except RecursionError:  # only reachable below the length limit with a tiny stack
        return too_large(f"shape entry '{item}' is nested too deeply")


def declared_shape(entry: Entry, name: str, dims: dict[str, Dim],
                   diags: Diagnostics) -> tuple | None:
    """The shape of the declaration ``entry`` of ``name``, or None (with a diagnostic).

    Returns:
        ``()``, ``(n,)`` or ``(n, m)`` with SymPy dims.
    """
    v = entry.value.get("shape") if isinstance(entry.value, dict) else None
    path = entry.path + ("shape",)
    if v is None:
        diags.add(entry.origin, entry.path, "missing-shape", f"'{name}' has no shape", symbol=name,
                  hint=f'{name} = {{ shape = ["H"] }}  (shape = [] for a scalar)')
        return None
    if not isinstance(v, list) or len(v) > 2:
        diags.add(entry.origin, path, "bad-shape",
                  f"the shape of '{name}' must be a list of at most two dims", at_value=True,
                  symbol=name, hint='shape = [] (scalar), ["H"] (vector) or ["H", "D"] (matrix)')
        return None
    out = []
    for item in v:
        d = dim_expr(item, dims)
        if isinstance(d, DimProblem):
            if d.kind == "unknown-dim" and did_you_mean(str(item), dims):
                hint = f"{d.hint} or did you mean '{did_you_mean(str(item), dims)}'?"
            else:
                hint = d.hint
            diags.add(entry.origin, path, d.kind, d.message, at_value=True, symbol=name,
                      hint=hint)
            return None
        out.append(d)
    return tuple(out)
