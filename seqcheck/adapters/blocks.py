"""Where a spec's parameters live in an engine's arrays: blocks, concatenated and stacked.

Every engine stores a recurrent cell's parameters its own way. Keras's LSTM holds one
``kernel`` of shape ``(D, 4H)`` whose column blocks are the gates i, f, c, o, transposed
against the spec's ``W_ii`` ``(H, D)``, and ONE bias per gate where the spec (torch's
equations, seed 004) has two, ``b_ii + b_hi``. A :data:`Block` says how one engine array
is built from the spec's parameters::

    Term(("W_ii",), transpose=True)          W_ii.T
    Term(("b_ii", "b_hi"))                   b_ii + b_hi       (one bias where the spec has two)
    Concat((t_i, t_f, t_c, t_o), axis=1)     [t_i | t_f | t_c | t_o] along columns
    Stack((row0, row1))                      a new leading axis: Keras's GRU bias (2, 3H)

:func:`assemble` builds the engine's array from a case's parameters; :func:`split` turns the
engine's gradient of that array back into each spec parameter's gradient. A sum is exact
for verification: the spec's function depends on ``b_ii`` and ``b_hi`` only through their
sum, so each one's gradient is the gradient of the sum (and a target that drops one of
the two biases is still found: its output no longer moves with the sum).

A layout of an engine is a ``{engine path: Block}`` table; :func:`check_covers` holds it to
a spec (every parameter placed, nothing else), so a layout's typo fails when it is
defined, not as a wrong verdict.

>>> import numpy as np
>>> kernel = Concat((Term(("A",), transpose=True), Term(("B",), transpose=True)), axis=1)
>>> params = {"A": np.array([[1.0, 2.0]]), "B": np.array([[3.0, 4.0]])}   # each (1, 2)
>>> assemble(kernel, params)                                              # (2, 2)
array([[1., 3.],
       [2., 4.]])
>>> {k: v.tolist() for k, v in split(kernel, np.array([[10.0, 30.0], [20.0, 40.0]])).items()}
{'A': [[10.0, 20.0]], 'B': [[30.0, 40.0]]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import SeqcheckError

__all__ = ["Block", "Concat", "Stack", "Term", "assemble", "check_covers", "gates",
           "grads_of", "params_of", "split"]


@dataclass(frozen=True)
class Term:
    """The sum of spec parameters of one shape, optionally transposed (a 2-D ``.T``)."""

    params: tuple[str, ...]
    transpose: bool = False

    def __post_init__(self):
        if not self.params:
            raise SeqcheckError("a Term sums at least one spec parameter")


@dataclass(frozen=True)
class Concat:
    """Blocks joined along an existing ``axis`` (negative counts from the end)."""

    parts: tuple[Block, ...]
    axis: int = 0


@dataclass(frozen=True)
class Stack:
    """Blocks of one shape stacked along a new leading axis."""

    parts: tuple[Block, ...]


Block = Term | Concat | Stack


def gates(pattern: str, letters: Iterable[str], *, transpose: bool = False,
          axis: int = 0) -> Concat:
    """One gate block per letter, ``pattern.format(g=letter)`` summed terms joined by ``+``.

    >>> gates("W_i{g}", "ifco", transpose=True, axis=1).parts[1]
    Term(params=('W_if',), transpose=True)
    >>> gates("b_i{g}+b_h{g}", "zr").parts[0]
    Term(params=('b_iz', 'b_hz'), transpose=False)
    """
    return Concat(tuple(Term(tuple(p.strip() for p in pattern.format(g=g).split("+")),
                             transpose) for g in letters), axis)


def params_of(block: Block) -> list[str]:
    """The spec parameters a block is built from, in order of appearance."""
    if isinstance(block, Term):
        return list(block.params)
    return [p for part in block.parts for p in params_of(part)]


def assemble(block: Block, params: Mapping[str, np.ndarray]) -> np.ndarray:
    """The engine array ``block`` describes, built from the spec's ``params``."""
    if isinstance(block, Term):
        value = sum(np.asarray(params[p]) for p in block.params[1:]) + np.asarray(
            params[block.params[0]])
        return value.T if block.transpose else value
    parts = [assemble(part, params) for part in block.parts]
    if isinstance(block, Stack):
        return np.stack(parts)
    return np.concatenate(parts, axis=block.axis)


def _width(block: Block, shapes: Mapping[str, tuple]) -> tuple[int, ...]:
    if isinstance(block, Term):
        shape = tuple(shapes[block.params[0]])
        return shape[::-1] if block.transpose else shape
    parts = [_width(part, shapes) for part in block.parts]
    if isinstance(block, Stack):
        return (len(parts), *parts[0])
    axis = block.axis % len(parts[0])
    return (*parts[0][:axis], sum(p[axis] for p in parts), *parts[0][axis + 1:])


def split(block: Block, grad: np.ndarray, shapes: Mapping[str, tuple] | None = None
          ) -> dict[str, np.ndarray]:
    """Each spec parameter's gradient, from the gradient ``grad`` of the array ``block``.

    A parameter in a summed Term takes the Term's gradient; one placed twice, the sum of
    both. ``shapes`` (the spec parameters' shapes) is needed only when a Concat joins
    blocks of different widths; without it the widths are taken as equal.
    """
    grad = np.asarray(grad)
    if isinstance(block, Term):
        g = grad.T if block.transpose else grad
        return {p: g.copy() for p in block.params}
    if isinstance(block, Stack):
        pieces = [grad[k] for k in range(len(block.parts))]
    else:
        axis = block.axis % grad.ndim
        if shapes is None:
            bounds = np.cumsum([grad.shape[axis] // len(block.parts)] * len(block.parts))
        else:
            bounds = np.cumsum([_width(part, shapes)[axis] for part in block.parts])
        pieces = np.split(grad, bounds[:-1], axis=axis)
    out: dict[str, np.ndarray] = {}
    for part, piece in zip(block.parts, pieces):
        for name, g in split(part, piece, shapes).items():
            out[name] = out[name] + g if name in out else g
    return out


def grads_of(layout: Mapping[str, Block], grads: Mapping[str, np.ndarray],
             shapes: Mapping[str, tuple] | None = None) -> dict[str, np.ndarray]:
    """Every spec parameter's gradient from the engine's ``{path: gradient}``, as float64."""
    out: dict[str, np.ndarray] = {}
    for path, block in layout.items():
        for name, g in split(block, np.asarray(grads[path], dtype=np.float64), shapes).items():
            out[name] = out[name] + g if name in out else g
    return out


def _terms(block: Block) -> list[Term]:
    if isinstance(block, Term):
        return [block]
    return [t for part in block.parts for t in _terms(part)]


def check_covers(layout: Mapping[str, Block], spec, what: str) -> None:
    """Raise unless ``layout`` places every parameter of ``spec``, once, and nothing else,
    and every summed Term is a sum the spec depends on only as a sum (``b_ii + b_hi`` in
    ``lstm``; not ``b_in + b_hn`` in ``gru``, where r multiplies b_hn alone)."""
    from .mapping.sums import apart_in

    placed = [p for block in layout.values() for p in params_of(block)]
    wanted = set(spec.params)
    missing = sorted(wanted - set(placed))
    unknown = sorted(set(placed) - wanted)
    twice = sorted({p for p in placed if placed.count(p) > 1})
    problems = ([f"not placed: {', '.join(missing)}"] if missing else []) + (
        [f"not parameters of the spec: {', '.join(unknown)}"] if unknown else []) + (
        [f"placed twice: {', '.join(twice)}"] if twice else [])
    if not problems:
        for term in (t for block in layout.values() for t in _terms(block)):
            used = apart_in(spec, term.params) if len(term.params) > 1 else None
            if used is not None:
                problems.append(f"{' + '.join(term.params)} is not a sum in {used}")
    if problems:
        raise SeqcheckError(f"the layout of {what} does not fit spec {spec.name!r}: "
                            + "; ".join(problems))
