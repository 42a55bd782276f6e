"""Running a module the way its mapping says: once per step, or once per sequence.

``call = "cell"``: ``state = target(x_t, state)`` at every step, the states being the
outputs (:func:`run_cell`); ``call = "sequence"``: ``output, state = target(x, state)``
once, with ``batch_first`` and ``state_layer_axis`` as torch's modules have them
(:func:`run_sequence`). Both check what the module returns, its structure and every
shape, and return the spec's time-major layout.
"""

from __future__ import annotations

import sympy as sp

from ...errors import SeqcheckError
from .model import Mapping, evaluate

__all__ = ["run_cell", "run_sequence"]


def run_cell(mapping: Mapping, module, x, initial: dict, sizes, target: str
             ) -> tuple[dict, dict]:
    """Call a cell once per step on ``x``, from the ``initial`` states.

    Arguments:
        mapping: its mapping (``call = "cell"``).
        module: the built module.
        x: the input, ``(T, B, *shape)``.
        initial: ``{state: (B, *shape)}``.
        sizes: ``{dim: size}``, for the shapes it must return.
        target: how to print it.
    Returns:
        ``({state: (T, B, *shape)}, {state: (B, *shape)})``: every step, and the last.
    Raises:
        SeqcheckError: it returns something else, or a shape that is not the spec's.
    """
    import torch

    states = mapping.states
    state = (tuple(initial[s] for s in states) if len(states) > 1
             else initial[states[0]])
    trace = {s: [] for s in states}
    B = x.shape[1]
    for t in range(x.shape[0]):
        state = module(x[t], state)
        values = _unpack(state, len(states), f"{target}(x_t, state) at step {t + 1}",
                         "state", states)
        for s, v in zip(states, values):
            _expect(v, (B, *_shape(mapping, s, sizes)), f"{s} at step {t + 1}", target)
            trace[s].append(v)
    per_step = {s: torch.stack(trace[s]) for s in states}
    return per_step, {s: trace[s][-1] for s in states}


def run_sequence(mapping: Mapping, module, x, initial: dict, sizes, target: str
                 ) -> tuple[dict, dict]:
    """Call a sequence module once on ``x``, from the ``initial`` states.

    Arguments and returns as for :func:`run_cell`; ``x`` is passed batch first when the
    mapping says so, and each state with a leading axis of 1 under ``state_layer_axis``.
    """
    m = mapping
    T, B = x.shape[0], x.shape[1]
    hx = [initial[s].unsqueeze(0) if m.state_layer_axis else initial[s]
          for s in m.states]
    result = module(x.transpose(0, 1) if m.batch_first else x,
                    tuple(hx) if len(hx) > 1 else hx[0])
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise SeqcheckError(f"{target}(x, state) returned {type(result).__name__}; "
                            "a sequence target returns (output, state)")
    out, last = result
    outs = _unpack(out, len(m.outputs), f"{target}(x, state)'s output", "output",
                   m.outputs)
    lasts = _unpack(last, len(m.states), f"{target}(x, state)'s state", "state",
                    m.states)
    per_step, final = {}, {}
    for v, o in zip(m.outputs, outs):
        shape = _shape(mapping, v, sizes)
        _expect(o, (B, T, *shape) if m.batch_first else (T, B, *shape), f"output {v}",
                target)
        per_step[v] = o.transpose(0, 1) if m.batch_first else o
    for s, v in zip(m.states, lasts):
        shape = (B, *_shape(mapping, s, sizes))
        _expect(v, (1, *shape) if m.state_layer_axis else shape, f"final {s}", target)
        final[s] = v[0] if m.state_layer_axis else v
    return per_step, final


def _shape(mapping: Mapping, name: str, sizes) -> tuple[int, ...]:
    """The spec's shape of variable ``name`` at ``sizes``, without the batch axis."""
    return tuple(evaluate(sp.sympify(d), sizes) for d in mapping.spec.shape_of(name))


def _unpack(value, n: int, what: str, noun: str, names: tuple[str, ...]) -> tuple:
    import torch

    if n == 1:
        if isinstance(value, torch.Tensor):
            return (value,)
        raise SeqcheckError(f"{what} is {type(value).__name__}; with one {noun} "
                            f"({names[0]}) the target takes and returns a bare tensor")
    if isinstance(value, (tuple, list)) and len(value) == n \
            and all(isinstance(v, torch.Tensor) for v in value):
        return tuple(value)
    got = f"{len(value)} values" if isinstance(value, (tuple, list)) else type(value).__name__
    raise SeqcheckError(f"{what} is {got}; expected a tuple of {n} tensors "
                        f"({', '.join(names)})")


def _expect(tensor, shape: tuple, what: str, target: str) -> None:
    if tuple(tensor.shape) != tuple(shape):
        raise SeqcheckError(f"{target}: {what} has shape {tuple(tensor.shape)}; expected "
                            f"{tuple(shape)}")

