"""Where the spec's parameters live among a graph's initializers, when something says so.

Without help, a target writes each case's parameters at its recurrent nodes, as ONNX
stacks them (:mod:`.target`): a graph's initializers are then free parameters, however
the graph reorders them on the way to W, R and B. Two things can say more:

- a mapping file (docs/mapping.md, ``call = "sequence"``) whose ``[params]`` name
  initializers by their ONNX names, with slices (``W_ii = "W_i"``,
  ``b_hi = "'onnx::LSTM_91'[0, 4*H:5*H]"``): :func:`from_mapping`;
- the torch module a graph was exported from: every parameter element is exported once
  as a distinct tag value, and the initializer element that holds tag ``k`` is where
  the exporter put the module's element ``k`` (:func:`from_tags`).

Either gives a list of :class:`Placed`: the spec parameters written into an initializer,
element by element. Then a graph -- or an exporter -- that puts a gate's weights where
another gate reads them computes with permuted gates, and verify finds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError

__all__ = ["Placed", "from_mapping", "from_tags", "placed_sizes", "read_mapping", "tag_module",
           "write"]


@dataclass(frozen=True)
class Placed:
    """One block of an initializer, holding the sum of ``params`` (most often one).

    Attributes:
        tensor: the initializer's name.
        at: flat indices into it.
        params: the spec parameters whose sum it holds.
        of: the flat indices into each of them, one per entry of ``at``.
        shape: the parameters' shape (as the block is read).
    """

    tensor: str
    at: np.ndarray
    params: tuple[str, ...]
    of: np.ndarray
    shape: tuple[int, ...]


def write(placed, arrays: Mapping[str, np.ndarray], params: Mapping) -> None:
    """Write ``params`` into ``arrays`` (initializer -> array, changed in place).

    >>> arrays = {"W": np.zeros((2, 2))}
    >>> p = Placed("W", np.array([1, 3]), ("a",), np.array([0, 1]), (2,))
    >>> write([p], arrays, {"a": np.array([5.0, 6.0])}); arrays["W"].tolist()
    [[0.0, 5.0], [0.0, 6.0]]
    """
    for p in placed:
        if not all(name in params for name in p.params):
            continue
        value = sum(np.asarray(params[name], dtype=np.float64).reshape(-1) for name in p.params)
        arrays[p.tensor].reshape(-1)[p.at] = value[p.of]


def from_mapping(mapping, weights: Mapping[str, np.ndarray], sizes: Mapping[str, int],
                 what: str) -> list[Placed]:
    """The blocks a mapping file's ``[params]`` name, among the writable ``weights``.

    Arguments:
        mapping: a :class:`seqcheck.adapters.mapping.model.Mapping` with ``call =
            "sequence"``.
        weights: the initializers the graph's W, R, B and P copy, by name.
        sizes: the graph's D and H, for the slices' bounds.
        what: the graph, for messages.
    """
    if mapping.call != "sequence":
        raise SeqcheckError(f"{mapping.file}: an ONNX graph is called once per sequence; "
                            f'write call = "sequence"')
    out = []
    for block, names in mapping.groups.items():
        if block.tensor not in weights:
            raise SeqcheckError(
                f"{mapping.file}: {block.text!r} ({', '.join(names)}) names {block.tensor!r}, "
                f"which is no initializer that {what}'s W, R, B or P reads; those are "
                f"{', '.join(weights) or 'none'}")
        grid = np.arange(weights[block.tensor].size).reshape(weights[block.tensor].shape)
        index = []
        for axis, entry in enumerate(block.index):
            resolved, why = entry.resolve(grid.shape[axis], dict(sizes))
            if why:
                raise SeqcheckError(f"{mapping.file}: {block.text!r}: {why}")
            index.append(resolved)
        view = grid[tuple(index)]
        if block.transpose:
            view = view.T
        out.append(Placed(block.tensor, view.reshape(-1), tuple(names),
                          np.arange(view.size), tuple(view.shape)))
    return out


def tag_module(module, tensors) -> dict[int, tuple[str, int]]:
    """Set every element of ``module``'s ``tensors`` to its own tag 1, 2, ...; returns
    ``{tag: (tensor, flat index)}``. ``module`` is changed (pass a copy).

    Arguments:
        tensors: the torch parameter names to tag (a layout's ``tensors``).
    """
    import torch

    tags, start = {}, 1
    with torch.no_grad():
        for name in tensors:
            p = getattr(module, name)
            if start + p.numel() > 2 ** 22:
                raise SeqcheckError("the module is too large to be tagged exactly in float32")
            values = torch.arange(start, start + p.numel(), dtype=torch.float64)
            p.copy_(values.reshape(p.shape).to(p.dtype))
            tags.update({start + k: (name, k) for k in range(p.numel())})
            start += p.numel()
    return tags


def from_tags(weights: Mapping[str, np.ndarray], tags: Mapping[int, tuple[str, int]],
              layout_tensors, shapes: Mapping[str, tuple], what: str) -> list[Placed]:
    """The blocks of the exported initializers, found from the tags they hold.

    Arguments:
        weights: the initializers the graph's W, R, B and P copy, holding tags.
        tags: as :func:`tag_module` returns them.
        layout_tensors: ``(torch parameter, spec parameters stacked in it)`` pairs, as a
            torch layout's ``tensors``.
        shapes: torch parameter -> its shape.
        what: the exporter, for messages.
    """
    stacks = dict(layout_tensors)
    out = []
    for name, value in weights.items():
        flat = np.asarray(value, dtype=np.float64).reshape(-1)
        held = np.round(flat).astype(np.int64)
        bad = (held != flat) | ~np.isin(held, np.fromiter(tags, np.int64, len(tags)))
        if bad.any():
            raise SeqcheckError(f"{what} wrote initializer {name!r} with values that are not "
                                "copies of the module's parameters (it computes them), so "
                                "seqcheck cannot tell which parameter each element holds")
        by_param: dict[str, tuple[list, list]] = {}
        for at, tag in enumerate(held):
            tensor, k = tags[int(tag)]
            rows = shapes[tensor][0] // len(stacks[tensor])
            cols = int(np.prod(shapes[tensor][1:], dtype=np.int64))
            row, col = divmod(k, cols)
            param = stacks[tensor][row // rows]
            entry = by_param.setdefault(param, ([], []))
            entry[0].append(at)
            entry[1].append((row % rows) * cols + col)
        for param, (at, of) in by_param.items():
            tensor = next(t for t, names in stacks.items() if param in names)
            shape = (shapes[tensor][0] // len(stacks[tensor]), *shapes[tensor][1:])
            out.append(Placed(name, np.array(at), (param,), np.array(of), tuple(shape)))
    return out


def read_mapping(mapping, recognised, what: str):
    """``(mapping, placements, fixed)`` of a mapping file (path or loaded) for a graph.

    ``fixed`` is ``{initializer: value}`` from its ``[fixed]`` table.
    """
    from pathlib import Path

    from ..mapping.file import load_mapping

    if isinstance(mapping, (str, Path)):
        mapping = load_mapping(mapping)
    sizes = {"D": recognised.layers[0].D, "H": recognised.layers[0].H}
    placements = from_mapping(mapping, recognised.weights, sizes, what)
    fixed = {}
    for f in mapping.fixed.values():
        if f.tensor not in recognised.weights:
            raise SeqcheckError(f"{mapping.file}: [fixed] names {f.tensor!r}, which is no "
                                f"initializer that {what}'s nodes read")
        fixed[f.tensor] = f.value
    return mapping, placements, fixed


def placed_sizes(placements, spec, D: int, what: str) -> dict[str, int]:
    """The dims the placed blocks fix, after checking every parameter of ``spec`` is placed."""
    from ...backends.compiled import bind_dims

    shapes = {p: block.shape for block in placements for p in block.params}
    missing = sorted(set(spec.params) - set(shapes))
    if missing:
        raise SeqcheckError(f"spec {spec.name!r} has parameters {', '.join(missing)}, which "
                            f"the placement of {what}'s initializers does not place")
    fixed, problems = bind_dims(spec, {p: np.empty(shapes[p]) for p in spec.params}, {})
    if problems:
        raise SeqcheckError(f"the initializers of {what} do not fit spec {spec.name!r}: "
                            + "; ".join(problems))
    fixed.setdefault("D", D)
    return {k: v for k, v in fixed.items() if k in {str(d.name) for d in spec.dims}}
