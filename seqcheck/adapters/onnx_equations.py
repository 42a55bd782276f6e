"""The equations an ONNX RNN, LSTM or GRU node documents, as a spec: :func:`onnx_spec`.

The attributes are read by :mod:`.onnx_attributes` (see its table); the activations and
their parameters by :mod:`.onnx_activations`. A cell is the bundled spec (``rnn_torch``,
``gru_lbr0`` / ``gru``, ``lstm`` / ``lstm_peephole``) or a variant of it; a reverse or
bidirectional node is that cell stacked (:func:`seqcheck.spec.compose.stacked`), and a
bidirectional node whose two directions have activations of their own takes its reverse
chain's equations from the reverse cell.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .onnx_activations import bind_parameters, call_text
from .onnx_attributes import (
    DEFAULT_ACTIVATIONS,
    DEFAULTS,
    READINGS,
    check_op,
    check_readings,
    validate_attributes,
)

__all__ = ["node_activations", "onnx_spec", "reads"]


def _pre(g: str, clip: float | None, extra: str = "", *, after_reset: bool = False,
         before_reset: bool = False) -> str:
    """The pre-activation of gate ``g`` in spec syntax, clipped when ``clip`` is set."""
    if after_reset:  # linear_before_reset = 1 (torch's form)
        text = f"W_i{g} @ x + b_i{g} + r * (W_h{g} @ h[t-1] + b_h{g})"
    elif before_reset:  # linear_before_reset = 0 (Cho et al.'s form)
        text = f"W_i{g} @ x + b_i{g} + W_h{g} @ (r * h[t-1]) + b_h{g}"
    else:
        text = f"W_i{g} @ x + b_i{g} + W_h{g} @ h[t-1] + b_h{g}" + extra
    # ONNX's clip attribute is a float (32 bits): the spec bounds by the value it carries.
    return f"clip({text}, {float(np.float32(clip))!r})" if clip is not None else text


def node_activations(op: str, a: Mapping) -> tuple[tuple[str, ...], tuple, tuple]:
    """The activations, activation_alpha and activation_beta as a node with attributes ``a``
    (every attribute given) carries them: k names on a bidirectional node stand for both
    directions, so the node lists them -- and their alphas and betas -- twice.

    >>> a = {**DEFAULTS["GRU"], "direction": "bidirectional", "activations": ("Sigmoid", "Elu"),
    ...      "activation_alpha": (0.5,)}
    >>> node_activations("GRU", a)
    (('Sigmoid', 'Elu', 'Sigmoid', 'Elu'), (0.5, 0.5), ())
    """
    names, alphas, betas = (tuple(a[k]) for k in ("activations", "activation_alpha",
                                                   "activation_beta"))
    if a["direction"] == "bidirectional" and len(names) == len(DEFAULT_ACTIVATIONS[op]):
        return names * 2, alphas * 2, betas * 2
    return names, alphas, betas


def _cell_equations(op: str, a: Mapping, acts: list, readings: Mapping
                    ) -> tuple[str, dict[str, str], list[str]]:
    """(bundled base spec, its equations under attributes ``a`` with the activations
    ``acts`` (``[(ONNX name, parameter values)]``, f, g, h), parameters to drop)."""
    f, g, h = (lambda arg, n=n, v=v: call_text(n, v, arg)
               for n, v in (*acts, ("Tanh", ()), ("Tanh", ()))[:3])
    clip = a["clip"]
    if op == "RNN":
        return "rnn_torch", {"h": f(_pre('h', clip))}, []
    if op == "GRU":
        lbr = a["linear_before_reset"]
        n = _pre("n", clip, after_reset=bool(lbr), before_reset=not lbr)
        return ("gru" if lbr else "gru_lbr0"), {
            "r": f(_pre('r', clip)), "z": f(_pre('z', clip)), "n": g(n),
            "h": "(1 - z) * n + z * h[t-1]"}, []
    peep = a["peepholes"]
    cell = "c" if clip is None or readings["clip"] == "gates" else \
        f"clip(c, {float(np.float32(clip))!r})"  # "gates and cell": h(C_t)'s input too
    eqs = {"i": f(_pre('i', clip, ' + P_i * c[t-1]' if peep else '')),
           "f": f(_pre('f', clip, ' + P_f * c[t-1]' if peep else '')),
           "o": f(_pre('o', clip, ' + P_o * c' if peep else '')),
           "c_tilde": g(_pre('c', clip)),
           "c": "f * c[t-1] + i * c_tilde",
           "h": f"o * {h(cell)}"}
    drop = []
    if a["input_forget"]:  # one gate is the other's complement; its weights are unused
        gate, other = ("f", "i") if readings["input_forget"] == "f = 1 - i" else ("i", "f")
        eqs[gate] = f"1 - {other}"
        drop = [f"W_i{gate}", f"W_h{gate}", f"b_i{gate}", f"b_h{gate}"] + \
            ([f"P_{gate}"] if peep else [])
    return ("lstm_peephole" if peep else "lstm"), eqs, drop


def _cell(op: str, a: Mapping, acts: list, readings: Mapping, tags: list[str]):
    """The one-direction cell spec: the bundled spec, or a variant of it."""
    from ..spec import load_spec, loads_spec

    base_name, equations, drop = _cell_equations(op, a, acts, readings)
    cell = load_spec(base_name)
    changed = {t: x for t, x in equations.items() if cell.equation(t).text != x}
    if not (changed or drop):
        return cell
    name = "_".join([base_name, *tags])  # lstm_clip_input_forget, rnn_torch_relu
    shown = ", ".join(tags)
    lines = [f"name = {json.dumps(name)}",
             f"title = {json.dumps(f'ONNX {op} with {shown} ({cell.title})')}",
             f"extends = {json.dumps(Path(cell.path).resolve().as_posix())}",
             f"drop = {json.dumps(drop)}", "", "[equations]"]
    lines += [f"{t} = {json.dumps(x)}" for t, x in changed.items()]
    return loads_spec("\n".join(lines) + "\n", file=f"<ONNX {op} with {shown}>")


def _tags(op: str, a: Mapping, readings: Mapping) -> list[str]:
    """The words a variant's name gets: ``clip``, ``sigmoid_relu_tanh``, ``alpha``, ..."""
    tags = ["clip"] if a["clip"] is not None else []
    tags += ["input_forget"] if a.get("input_forget") else []
    if a["activations"] != DEFAULT_ACTIVATIONS[op]:
        tags.append("_".join(a["activations"]).lower())
    tags += [k.split("_")[1] for k in ("activation_alpha", "activation_beta") if a[k]]
    tags += [f"{k}_{r}".replace(" = ", "_eq_").replace(" ", "_").replace("-", "minus")
             for k, r in readings.items() if r != READINGS[k][0] and reads(k, op, a)]
    return tags


def reads(name: str, op: str, a: Mapping) -> bool:
    """Whether the reading of ``name`` (one of :data:`~.onnx_attributes.READINGS`) changes
    the equations of a node with attributes ``a`` (every attribute given)."""
    if name == "clip":
        return op == "LSTM" and a["clip"] is not None
    if name == "input_forget":
        return bool(a.get("input_forget"))
    return bool(a["activation_alpha"] or a["activation_beta"])


def onnx_spec(op: str, attributes: Mapping | None = None, readings: Mapping | None = None):
    """The :class:`~seqcheck.spec.Spec` of the equations ONNX documents for ``op``.

    With no attribute changing an equation it is the bundled spec itself (loaded from its
    file); otherwise a variant of it (``extends``), run backwards or in both directions
    with :func:`seqcheck.spec.compose.stacked`. ``readings`` picks, for an attribute the
    operator's text leaves open, one of its :data:`READINGS` (default: the first).

    >>> # a reverse GRU with linear_before_reset = 1 is torch's GRU run backwards in time
    >>> spec = onnx_spec("GRU", {"direction": "reverse", "linear_before_reset": 1})
    >>> spec.name, spec.equation("h").text
    ('gru_reverse', '(1 - z) * n + z * h[t+1]')
    >>> # input_forget read as seed 002's coupled gates
    >>> onnx_spec("LSTM", {"input_forget": 1}, {"input_forget": "i = 1 - f"}).equation("i").text
    '1 - f'
    """
    from ..spec.compose import stacked

    op = check_op(op)
    a = {**DEFAULTS[op], **validate_attributes(op, attributes or {})}
    r = check_readings(op, readings)
    names, alphas, betas = node_activations(op, a)
    values = bind_parameters(names, alphas, betas, r["activation_alpha"])
    k = len(DEFAULT_ACTIVATIONS[op])
    tags = _tags(op, a, r)
    cells = [_cell(op, a, list(zip(names, values))[d * k:(d + 1) * k], r, tags)
             for d in range(len(names) // k)]
    if a["direction"] == "reverse":
        return stacked(cells[0], reverse=True)
    if a["direction"] != "bidirectional":
        return cells[0]
    both = [stacked(c, bidirectional=True) for c in cells]
    if [e.text for e in both[0].equations] == [e.text for e in both[1].equations]:
        return both[0]
    return _two_directions(both[0], both[1])


def _two_directions(forward, backward):
    """A bidirectional spec whose reverse chain's equations are ``backward``'s: the
    activations of the two directions differ."""
    from ..spec import loads_spec
    from ..spec.toml_text import spec_text

    equations = {e.target: (backward.equation(e.target).text if e.target.endswith("_reverse")
                            else e.text) for e in forward.equations}
    text = spec_text(forward, name=f"{forward.name}_per_direction",
                     title=f"{forward.title}; the reverse chain's own activations",
                     notes=forward.notes, equations=equations)
    return loads_spec(text, file=f"<{forward.name} with activations per direction>")
