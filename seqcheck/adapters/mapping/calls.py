"""Running a module the way its mapping says: once per step, or once per sequence.

``call = "cell"``: the target is called at every step (:func:`run_cell`);
``call = "sequence"``: once (:func:`run_sequence`), with ``batch_first`` and
``state_layer_axis`` as torch's modules have them. Either way its arguments are built
from the mapping's ``arguments``, ``state_packing`` and ``state_keyword``
(:func:`call_target`), and what it returns is taken apart by ``returns``
(:func:`take_apart`); its structure and every shape are checked, and the result is the
spec's time-major layout.
"""

from __future__ import annotations

import sympy as sp

from ...errors import SeqcheckError
from .model import Mapping, evaluate

__all__ = ["call_target", "call_text", "run_cell", "run_sequence", "take_apart"]


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
        ``({variable: (T, B, *shape)}, {state: (B, *shape)})``: every step of each of the
        mapping's ``outputs`` (a returned output's variables, then the other states),
        and the states after the last step.
    Raises:
        SeqcheckError: it raises, or returns something else, or a shape that is not the
            spec's.
    """
    import torch

    m = mapping
    state = dict(initial)
    trace = {v: [] for v in m.outputs}
    B = x.shape[1]
    for t in range(x.shape[0]):
        what = f"{target}({call_text(m, 'x_t')}) at step {t + 1}"
        outs, state = take_apart(m, call_target(m, module, x[t], state, what), what)
        for s in m.states:
            _expect(state[s], (B, *_shape(m, s, sizes)), f"{s} at step {t + 1}", target)
        for v, o in zip(m.output_vars, outs):
            _expect(o, (B, *_shape(m, v, sizes)), f"output {v} at step {t + 1}", target)
        step = {**state, **dict(zip(m.output_vars, outs))}
        for v in m.outputs:
            trace[v].append(step[v])
    per_step = {v: torch.stack(trace[v]) for v in m.outputs}
    return per_step, state


def run_sequence(mapping: Mapping, module, x, initial: dict, sizes, target: str
                 ) -> tuple[dict, dict]:
    """Call a sequence module once on ``x``, from the ``initial`` states.

    Arguments and returns as for :func:`run_cell`; ``x`` is passed batch first when the
    mapping says so, and each state with a leading axis of 1 under ``state_layer_axis``.
    """
    m = mapping
    T, B = x.shape[0], x.shape[1]
    hx = {s: initial[s].unsqueeze(0) if m.state_layer_axis else initial[s] for s in m.states}
    what = f"{target}({call_text(m, 'x')})"
    result = call_target(m, module, x.transpose(0, 1) if m.batch_first else x, hx, what)
    outs, lasts = take_apart(m, result, what)
    per_step, final = {}, {}
    for v, o in zip(m.outputs, outs):
        shape = _shape(mapping, v, sizes)
        _expect(o, (B, T, *shape) if m.batch_first else (T, B, *shape), f"output {v}",
                target)
        per_step[v] = o.transpose(0, 1) if m.batch_first else o
    for s in m.states:
        shape = (B, *_shape(mapping, s, sizes))
        v = lasts[s]
        _expect(v, (1, *shape) if m.state_layer_axis else shape, f"final {s}", target)
        final[s] = v[0] if m.state_layer_axis else v
    return per_step, final


def call_text(mapping: Mapping, x: str) -> str:
    """The call's arguments as messages show them, the input written ``x``.

    >>> from seqcheck.adapters.mapping import loads_mapping
    >>> m = loads_mapping('spec = "rnn_torch"\\nstates = ["h"]\\n[call]\\nkind = "cell"\\n'
    ...     'arguments = ["state", "x"]\\n[params]\\nW_ih = "a"\\nW_hh = "b"\\nb_ih = "c"\\n'
    ...     'b_hh = "d"')
    >>> call_text(m, "x_t")
    'state, x_t'
    """
    m = mapping
    shown = [x if a == m.input else ", ".join(_flat(m, (a,))) for a in m.arguments]
    if m.state_keyword:
        shown.append(f"{m.state_keyword}=state")
    return ", ".join(shown)


def call_target(mapping: Mapping, module, x, state: dict, what: str):
    """``module`` called on the input ``x`` and the ``{state: tensor}`` as the mapping says.

    Raises:
        SeqcheckError: the module raised; the message shows the call it was given.
    """
    m = mapping
    args = []
    for a in m.arguments:
        if a == m.input:
            args.append(x)
        elif a == "state" and m.state_packing == "separate":
            args += [state[s] for s in m.states]
        else:
            args.append(_pack(m, state) if a == "state" else state[a])
    kwargs = {m.state_keyword: _pack(m, state)} if m.state_keyword else {}
    try:
        return module(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the target's own error, shown with its call
        raise SeqcheckError(f"{what} raised {type(e).__name__}: {e}") from e


def take_apart(mapping: Mapping, result, what: str) -> tuple[tuple, dict]:
    """What the target returned, by the mapping's ``returns``: ``(outputs, {state: tensor})``
    with ``outputs`` one tensor per variable of ``mapping.output_vars``.

    Raises:
        SeqcheckError: the structure is not the one ``returns`` describes.
    """
    m = mapping
    flat = _flat(m, m.returns)
    if len(flat) == 1:
        items = (result,)
    elif isinstance(result, (tuple, list)) and len(result) == len(flat):
        items = tuple(result)
    else:
        got = f"{len(result)} values" if isinstance(result, (tuple, list)) else \
            type(result).__name__
        says = ("a sequence target returns (output, state)"
                if m.call == "sequence" and m.returns == ("output", "state")
                else f"the mapping says it returns ({', '.join(flat)}) ([call] returns)")
        raise SeqcheckError(f"{what} returned {got}; {says}")
    outs, states = (), {}
    for item, value in zip(flat, items):
        if item == "output":
            outs = _unpack(value, len(m.output_vars), f"{what}'s output", "output",
                           m.output_vars, bare=True)
        elif item == "state":
            bare = m.state_packing == "separate"  # one state, passed bare
            what_state = what if len(flat) == 1 else f"{what}'s state"
            states.update(zip(m.states, _unpack(value, len(m.states), what_state, "state",
                                                m.states, bare=bare, kind=m.state_packing)))
        else:
            states[item] = _tensor(value, f"{what}'s {item}", item)
    return outs, states


def _flat(m: Mapping, items) -> tuple[str, ...]:
    """``items`` with ``"state"`` spread into the states where they are separate."""
    out = []
    for a in items:
        spread = a == "state" and m.state_packing == "separate" and len(m.states) > 1
        out += m.states if spread else (a,)
    return tuple(out)


def _pack(m: Mapping, state: dict):
    values = [state[s] for s in m.states]
    if m.state_packing == "list":
        return values
    if m.state_packing == "separate":  # one state: bare (several are spread by the caller)
        return values[0]
    return tuple(values)


def _shape(mapping: Mapping, name: str, sizes) -> tuple[int, ...]:
    """The spec's shape of variable ``name`` at ``sizes``, without the batch axis."""
    return tuple(evaluate(sp.sympify(d), sizes) for d in mapping.spec.shape_of(name))


def _tensor(value, what: str, name: str):
    import torch

    if isinstance(value, torch.Tensor):
        return value
    raise SeqcheckError(f"{what} is {type(value).__name__}; expected a tensor ([call] returns "
                        f"name {name} on its own)")


def _unpack(value, n: int, what: str, noun: str, names: tuple[str, ...], *, bare: bool,
            kind: str = "tuple") -> tuple:
    import torch

    if n == 1 and bare:
        if isinstance(value, torch.Tensor):
            return (value,)
        raise SeqcheckError(f"{what} is {type(value).__name__}; with one {noun} "
                            f"({names[0]}) the target takes and returns a bare tensor")
    if isinstance(value, (tuple, list)) and len(value) == n \
            and all(isinstance(v, torch.Tensor) for v in value):
        return tuple(value)
    got = f"{len(value)} values" if isinstance(value, (tuple, list)) else type(value).__name__
    raise SeqcheckError(f"{what} is {got}; expected a {kind} of {n} tensor{'s' * (n > 1)} "
                        f"({', '.join(names)})")


def _expect(tensor, shape: tuple, what: str, target: str) -> None:
    if tuple(tensor.shape) != tuple(shape):
        raise SeqcheckError(f"{target}: {what} has shape {tuple(tensor.shape)}; expected "
                            f"{tuple(shape)}")
