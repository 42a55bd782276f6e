"""A mapping resolved on one built module: where each spec parameter's elements are.

:func:`place_slices` resolves every slice of a :class:`~.model.Mapping` on a module at
concrete sizes. It checks what only a built module shows: that every target parameter
named exists, that indices are in range, that each slice has its spec parameter's shape,
and that every target element belongs to exactly one spec parameter (or is fixed). Every
problem is located in the mapping file and raised together as one
:class:`~.model.MappingError`. A sum (``"b_ii + b_hi" = ...``) is one slice, checked once
and named by its members. With the texts that messages show sizes and shapes in.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ...errors import Diagnostic
from ...spec.grammar import format_shape
from ...spec.suggest import did_you_mean
from .model import Mapping, MappingError, Slice, evaluate, shown_name

__all__ = ["Placed", "place_slices", "shapes_text", "sizes_text", "unknown_tensors"]


@dataclass(frozen=True)
class Placed:
    """A spec parameter's slice resolved on one module: ``tensor[key]``, maybe ``.T``."""

    tensor: str
    key: tuple
    transpose: bool

    def view(self, tensor):
        """The spec parameter's elements of ``tensor`` (a view: writing to it writes them)."""
        v = tensor[self.key]
        return v.T if self.transpose else v


def place_slices(mapping: Mapping, module, sizes: dict[str, int], how: str,
                 target: str) -> dict[str, Placed]:
    """Every spec parameter's slice resolved on ``module`` at ``sizes``.

    Arguments:
        mapping: the validated mapping.
        module: the built ``nn.Module``; only its ``named_parameters()`` are read.
        sizes: ``{dim: size}`` it was built at.
        how: how the module came to have these sizes, for the messages
            (``"the target built as Cell(3, 5)"``).
        target: how to print the target.
    Returns:
        ``{spec parameter: Placed}``; the members of a sum share one.
    Raises:
        MappingError: every problem found, each located in the mapping file.
    """
    return _Planner(mapping, module, sizes, how, target).plan()


class _Planner:
    """Resolves every slice of a mapping on one module at one set of sizes."""

    def __init__(self, mapping: Mapping, module, sizes: dict[str, int], how: str,
                 target: str):
        self.m = mapping
        self.tensors = {n: p for n, p in module.named_parameters()}
        self.sizes = sizes
        self.target = target
        self.dims = (f"dims: {sizes_text(sizes)} ({how})",)
        self.items: list[Diagnostic] = []

    def plan(self) -> dict[str, Placed]:
        self.items += unknown_tensors(self.m, self.tensors, self.target)
        placed = {}  # by the slice's label: "W_ii", or "b_ii + b_hi" for a sum
        for s, members in self.m.groups.items():
            name = " + ".join(members)
            p = self._place(name, members[0], s) if s.tensor in self.tensors else None
            if p is not None:
                placed[name] = (s, p)
        if not self.items:
            self._coverage(placed)
        if self.items:
            raise MappingError(self.items)
        return {m: p for s, p in placed.values() for m in self.m.groups[s]}

    def _place(self, name: str, param: str, s: Slice) -> Placed | None:
        shape = tuple(self.tensors[s.tensor].shape)
        if len(s.index) > len(shape):
            self.items.append(s.where.error(
                "index-error", f"{name} = {s.text} has {len(s.index)} indices, but "
                f"{s.tensor} has {len(shape)} ax{'i' if len(shape) == 1 else 'e'}s "
                f"(shape {format_shape(shape)})", symbol=name,
                hint="give at most one index per axis"))
            return None
        key, got, ok = [], [], True
        for a, length in enumerate(shape):
            if a >= len(s.index):
                key.append(slice(None))
                got.append(length)
                continue
            ix = s.index[a]
            k, why = ix.resolve(length, self.sizes)
            if why is not None:
                self.items.append(ix.where.error(
                    "out-of-range", f"{why} (axis {a} of {s.tensor})", symbol=name,
                    details=self.dims, hint=f"{s.tensor} has shape {format_shape(shape)}; "
                    "bounds are never clipped or counted from the end"))
                ok = False
                continue
            key.append(k)
            if not ix.integer:
                got.append(len(range(k.start, k.stop, k.step)))
        if not ok:
            return None
        if s.transpose:
            if len(got) != 2:
                self.items.append(s.where.error(
                    "index-error", f"'.T' needs a 2-D slice, but {s.indexed} is "
                    f"{len(got)}-D", symbol=name, hint="remove '.T'"))
                return None
            got.reverse()
        declared = self.m.spec.params[param].shape
        want = tuple(evaluate(sp.sympify(d), self.sizes) for d in declared)
        if tuple(got) != want:
            self.items.append(s.where.error(
                "shape-mismatch", f"{name} = {s.text} has shape {format_shape(tuple(got))}, "
                f"but spec '{self.m.spec.name}' declares {name} {format_shape(declared)} = "
                f"{format_shape(want)}", symbol=name, details=self.dims,
                hint=self._shape_hint(s, tuple(got), want)))
            return None
        return Placed(s.tensor, tuple(key), s.transpose)

    @staticmethod
    def _shape_hint(s: Slice, got: tuple, want: tuple) -> str:
        if len(got) == 2 and got[::-1] == want:
            return ("remove '.T': the target stores it as the spec does" if s.transpose else
                    "add '.T': the target stores it transposed")
        return "the slice must have the spec parameter's shape at every size; check its bounds"

    def _coverage(self, placed: dict[str, tuple[Slice, Placed]]) -> None:
        owners = {n: np.full(tuple(t.shape), -1, dtype=np.int64)
                  for n, t in self.tensors.items()}
        names = list(placed)
        for k, name in enumerate(names):
            s, p = placed[name]
            owner = owners[p.tensor]
            mask = np.zeros(owner.shape, dtype=bool)
            mask[p.key] = True  # a boolean mask: an all-integer key selects one element
            for other in dict.fromkeys(owner[mask & (owner >= 0)].tolist()):
                both = mask & (owner == other)
                first, earlier = names[other], placed[names[other]][0]
                key = f'"{first}"' if "+" in first else first
                self.items.append(s.where.error(
                    "overlap", f"{first} and {name} both map {_region(p.tensor, both)}",
                    symbol=name, details=(f'{key} = "{earlier.text}" at line '
                                          f"{earlier.where.line}", *self.dims),
                    hint="each target element belongs to exactly one spec parameter; check "
                         "the blocks' bounds"))
            owner[mask & (owner < 0)] = k
        for f in self.m.fixed.values():
            used = owners[f.tensor] >= 0
            if used.any():
                by = ", ".join(names[k] for k in dict.fromkeys(owners[f.tensor][used].tolist()))
                self.items.append(f.where.error(
                    "overlap", f"{f.tensor} is fixed, but [params] maps "
                    f"{_region(f.tensor, used)} ({by})", symbol=f.tensor,
                    hint="a tensor under [fixed] must not be mapped under [params]"))
            owners[f.tensor][...] = len(names)
        for tensor, owner in owners.items():
            free = owner < 0
            if not free.any():
                continue
            if free.all():
                what = (f"no spec parameter maps {shown_name(tensor)} (the whole tensor, "
                        f"shape {format_shape(free.shape)})")
                hint = ("map its elements to spec parameters, or fix its value under "
                        f"[fixed] if the spec does not use it: {_toml_key(tensor)} = 0.0")
            else:
                what = (f"no spec parameter maps {_region(tensor, free)} ({int(free.sum())} of "
                        f"{free.size} elements of {shown_name(tensor)})")
                hint = ("map these elements to a spec parameter: verify must set every "
                        "element the target computes with")
            self.items.append(self.m.table.error("uncovered", what, symbol=tensor,
                                                 details=self.dims, hint=hint))


def unknown_tensors(m: Mapping, tensors: MappingType, target: str) -> list[Diagnostic]:
    """A located error for every name in the mapping that is not a target parameter."""
    out = []
    named = [(s.tensor, s.name_where) for s in m.groups]
    for tensor, where in named + [(f.tensor, f.where) for f in m.fixed.values()]:
        if tensor not in tensors:
            close = did_you_mean(tensor, tensors)
            out.append(where.error(
                "unknown-target-param", f"{target} has no parameter '{tensor}'",
                symbol=tensor, hint=(f"did you mean '{close}'? " if close else "")
                + f"its parameters are {shapes_text(tensors) or 'none'}"))
    return out


def _region(tensor: str, mask: np.ndarray, limit: int = 3) -> str:
    """Where ``mask`` is true, as at most ``limit`` boxes of ``tensor``.

    >>> # elements 3 and 15..19 of a (20,) bias
    >>> _region("bias", np.isin(np.arange(20), [3, 15, 16, 17, 18, 19]))
    'bias[3:4] and bias[15:20]'
    """
    tensor = shown_name(tensor)
    if mask.ndim == 0:
        return tensor
    boxes, left = [], mask.copy()
    while left.any() and len(boxes) < limit:
        start = tuple(int(i) for i in np.argwhere(left)[0])
        stop = [i + 1 for i in start]
        for a in reversed(range(mask.ndim)):  # grow the box along the last axis first
            while stop[a] < mask.shape[a]:
                # only the slab the box would gain is looked at: linear in the box's size
                slab = tuple(slice(stop[b], stop[b] + 1) if b == a else slice(start[b], stop[b])
                             for b in range(mask.ndim))
                if not left[slab].all():
                    break
                stop[a] += 1
        box = tuple(slice(i, j) for i, j in zip(start, stop))
        left[box] = False
        boxes.append(f"{tensor}[{', '.join(f'{i}:{j}' for i, j in zip(start, stop))}]")
    rest = int(left.sum())
    if rest:
        return ", ".join(boxes) + f" and {rest} more element{'s' * (rest > 1)}"
    return ", ".join(boxes[:-1]) + (" and " if len(boxes) > 1 else "") + boxes[-1]


def _toml_key(tensor: str) -> str:
    """A target parameter's name as a key under ``[fixed]``: quoted unless TOML takes it bare.

    >>> _toml_key("gates.gain"), _toml_key("lstm/peephole")
    ('gates.gain', '"lstm/peephole"')
    """
    bare = all(part and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in part)
               for part in tensor.split("."))
    return tensor if bare else '"' + tensor.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sizes_text(sizes: MappingType[str, int]) -> str:
    """``{dim: size}`` as a message shows it.

    >>> sizes_text({"D": 3, "H": 5})
    'D = 3, H = 5'
    """
    return ", ".join(f"{d} = {v}" for d, v in sizes.items())


def shapes_text(tensors: MappingType) -> str:
    """Target parameters with their shapes, from tensors or from shape tuples.

    >>> shapes_text({"weight": (8, 3), "bias": (8,)})
    'weight (8, 3), bias (8,)'
    """
    return ", ".join(f"{n} {format_shape(tuple(t.shape) if hasattr(t, 'shape') else t)}"
                     for n, t in tensors.items())
