"""ONNX's RNN, LSTM and GRU attributes: parsed, checked, and turned into the spec they document.

:func:`parse_attributes` reads the CLI's ``name=value`` strings, :func:`validate_attributes`
checks typed ones by the same rules, and :func:`onnx_spec` returns the
:class:`~seqcheck.spec.Spec` of the equations the ONNX operator documents for an op and its
attributes: ``rnn_torch`` for RNN, ``lstm`` (``lstm_peephole`` with ``peepholes = 1``) for
LSTM, ``gru_lbr0`` (``gru`` with ``linear_before_reset = 1``) for GRU, with these attributes
applied:

====================  ==========  ==========================================================
attribute             ops         in the spec
====================  ==========  ==========================================================
direction             all         forward; reverse and bidirectional via ``stacked``
clip                  all         ``clip(a, c)`` on every gate's pre-activation ``a``
activations           all         f, g, h: Sigmoid, Tanh or Relu (RNN f; GRU f, g; LSTM all)
input_forget          LSTM        f = 1 - i (the forget gate's blocks are not used)
linear_before_reset   GRU         0: reset before the recurrent product; 1: after it
peepholes             LSTM        seqcheck's switch: 1 feeds the input P (``lstm_peephole``)
====================  ==========  ==========================================================

What seqcheck does not model -- ``layout = 1``, ``activation_alpha``, ``activation_beta``,
activations other than these three -- is an error, never ignored.

The ONNX documentation leaves two things open, fixed here as onnxruntime computes them
(and as its own Python reference ``test/providers/cpu/rnn/LSTM.py`` writes them):
``input_forget = 1`` means f_t = 1 - i_t, and ``clip`` bounds the pre-activations of the
gates i, f, c, o, not the cell state C_t that h() is applied to. ``clip`` is a 32-bit
float attribute; the spec uses the float32 value the node carries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import SeqcheckError

__all__ = ["OPS", "DEFAULTS", "DEFAULT_ACTIVATIONS", "attribute_variants", "check_op",
           "onnx_spec", "parse_attributes", "validate_attributes"]

OPS = ("RNN", "LSTM", "GRU")

#: Activation names (ONNX's spelling) and the spec function each is.
_ACTIVATIONS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu"}
_NO_SPEC_FUNCTION = ("Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid",
                     "Elu", "Softsign", "Softplus")
#: ONNX's defaults for f (RNN), f, g (GRU) and f, g, h (LSTM).
DEFAULT_ACTIVATIONS = {"RNN": ("Tanh",), "GRU": ("Sigmoid", "Tanh"),
                       "LSTM": ("Sigmoid", "Tanh", "Tanh")}
_ROLES = {"RNN": "f", "GRU": "f, g", "LSTM": "f, g, h"}
_DIRECTIONS = ("forward", "reverse", "bidirectional")
#: Attributes each op takes here, with their defaults.
DEFAULTS = {
    "RNN": {"direction": "forward", "clip": None, "activations": DEFAULT_ACTIVATIONS["RNN"]},
    "GRU": {"direction": "forward", "clip": None, "activations": DEFAULT_ACTIVATIONS["GRU"],
            "linear_before_reset": 0},
    "LSTM": {"direction": "forward", "clip": None, "activations": DEFAULT_ACTIVATIONS["LSTM"],
             "input_forget": 0, "peepholes": 0},
}
#: ONNX attributes seqcheck does not take, and why.
_REFUSED = {
    "hidden_size": "hidden_size is set from each case's H; do not pass it",
    "layout": "layout = 1 (batch-major) is not supported; seqcheck feeds layout 0 (time-major)",
    "activation_alpha": "activation_alpha parametrises Affine, LeakyRelu and the like, which "
                        "have no spec function; Sigmoid, Tanh and Relu take none",
    "activation_beta": "activation_beta parametrises Affine, ScaledTanh and the like, which "
                       "have no spec function; Sigmoid, Tanh and Relu take none",
}


def parse_attributes(items: list[str], op: str) -> dict:
    """Typed ONNX attributes from ``name=value`` strings (the CLI's ``--attribute``).

    Arguments:
        items: e.g. ``["direction=reverse", "clip=0.5", "activations=Sigmoid,Relu,Tanh"]``.
        op: ``"RNN"``, ``"LSTM"`` or ``"GRU"``.
    Returns:
        ``{name: value}``: direction a str, clip a float, activations a tuple of names,
        input_forget, linear_before_reset and peepholes 0 or 1.
    Raises:
        SeqcheckError: naming the attribute, what was given and the valid values.

    >>> # the coupled-gate LSTM, its new memory through a Relu
    >>> parse_attributes(["input_forget=1", "activations=sigmoid,relu,tanh"], "LSTM")
    {'input_forget': 1, 'activations': ('Sigmoid', 'Relu', 'Tanh')}
    """
    raw: dict = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SeqcheckError(f"attribute {item!r} must be written name=value, e.g. "
                                "direction=reverse or clip=0.5")
        if name in raw:
            raise SeqcheckError(f"attribute {name} is given twice ({raw[name]!r} and "
                                f"{value.strip()!r})")
        raw[name] = value.strip()
    return validate_attributes(check_op(op), raw)


def check_op(op: str) -> str:
    """``op`` itself if it is RNN, LSTM or GRU; else a :class:`SeqcheckError` naming them."""
    if op not in OPS:
        raise SeqcheckError(f"unknown ONNX operator {op!r}; choose from {', '.join(OPS)}")
    return op


def validate_attributes(op: str, attributes: Mapping) -> dict:
    """Each attribute checked and converted by the rules of :func:`parse_attributes`.

    Arguments:
        op: ``"RNN"``, ``"LSTM"`` or ``"GRU"``.
        attributes: ``{name: value}``, values typed or as strings.
    Returns:
        ``{name: value}`` typed as :func:`parse_attributes` returns them.

    >>> # a string clip and a list of activations, as a caller might write them
    >>> validate_attributes("GRU", {"clip": "2", "activations": ["sigmoid", "relu"]})
    {'clip': 2.0, 'activations': ('Sigmoid', 'Relu')}
    """
    out = {}
    valid = ", ".join(DEFAULTS[check_op(op)])
    for name, value in attributes.items():
        if name in _REFUSED:
            raise SeqcheckError(f"attribute {name} is not supported: {_REFUSED[name]}")
        if name not in DEFAULTS[op]:
            others = [o for o in OPS if name in DEFAULTS[o]]
            if others:
                raise SeqcheckError(f"attribute {name} applies to {' and '.join(others)}, not "
                                    f"to {op}; {op} takes {valid}")
            from ..spec.suggest import did_you_mean

            close = did_you_mean(name, DEFAULTS[op])
            raise SeqcheckError(f"unknown attribute {name!r} for ONNX {op}"
                                + (f"; did you mean {close!r}?" if close else "")
                                + f"\n  hint: {op} takes {valid}")
        out[name] = _CONVERT[name](op, value)
    return out


def _direction(op: str, value) -> str:
    if value not in _DIRECTIONS:
        raise SeqcheckError(f"direction must be {', '.join(_DIRECTIONS[:-1])} or "
                            f"{_DIRECTIONS[-1]}; got {value!r}")
    return value


def _clip(op: str, value) -> float:
    try:
        c = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        c = float("nan")
    if not 0 < c <= float(np.finfo(np.float32).max):  # ONNX's clip is a 32-bit float
        raise SeqcheckError(f"clip must be a positive number (the bound of every gate's "
                            f"pre-activation); got {value!r}")
    return c


def _switch(name: str):
    def convert(op: str, value) -> int:
        if isinstance(value, bool) or value not in (0, 1, "0", "1"):
            raise SeqcheckError(f"{name} must be 0 or 1; got {value!r}")
        return int(value)
    return convert


def _activations(op: str, value) -> tuple[str, ...]:
    if not isinstance(value, (str, list, tuple)):
        raise SeqcheckError(f"activations must be names separated by commas, e.g. "
                            f"{','.join(DEFAULT_ACTIVATIONS[op])}; got {value!r}")
    names = value.split(",") if isinstance(value, str) else list(value)
    by_lower = {n.lower(): n for n in (*_ACTIVATIONS, *_NO_SPEC_FUNCTION)}
    out = []
    for n in names:
        known = by_lower.get(str(n).strip().lower())
        if known not in _ACTIVATIONS:
            why = ("has no spec function" if known else "is not an ONNX activation")
            raise SeqcheckError(f"activation {str(n).strip()!r} {why}; supported: "
                                f"{', '.join(_ACTIVATIONS)}")
        out.append(known)
    k = len(DEFAULT_ACTIVATIONS[op])
    if len(out) != k:
        raise SeqcheckError(
            f"activations for {op} takes {k} name{'s' * (k > 1)} ({_ROLES[op]}); got "
            f"{len(out)}: {', '.join(out)}\n  hint: e.g. activations="
            f"{','.join(DEFAULT_ACTIVATIONS[op])} (the defaults); a bidirectional node "
            "applies them in both directions")
    return tuple(out)


_CONVERT = {"direction": _direction, "clip": _clip, "activations": _activations,
            "input_forget": _switch("input_forget"), "peepholes": _switch("peepholes"),
            "linear_before_reset": _switch("linear_before_reset")}


def attribute_variants(op: str) -> list[dict]:
    """The attribute combinations a conformance matrix runs for ``op``, defaults first.

    >>> # every GRU row: defaults (linear_before_reset = 0), directions, clip, lbr = 1, ...
    >>> [sorted(a) for a in attribute_variants("GRU")][:2]
    [[], ['direction']]
    """
    common = [{}, {"direction": "reverse"}, {"direction": "bidirectional"}, {"clip": 0.5}]
    extra = {
        "RNN": [{"activations": ("Relu",)}, {"activations": ("Sigmoid",)}],
        "GRU": [{"linear_before_reset": 1}, {"activations": ("Sigmoid", "Relu")}],
        "LSTM": [{"input_forget": 1}, {"peepholes": 1},
                 {"activations": ("Sigmoid", "Relu", "Tanh")},
                 {"activations": ("Sigmoid", "Tanh", "Relu")}],
    }
    return common + extra[check_op(op)]


# -- the spec a node documents --------------------------------------------------------------
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


def _cell_equations(op: str, a: Mapping) -> tuple[str, dict[str, str], list[str]]:
    """(bundled base spec, its equations under attributes ``a``, parameters to drop)."""
    f, g, h = (_ACTIVATIONS[n] for n in (*a["activations"], "Tanh", "Tanh")[:3])
    clip = a["clip"]
    if op == "RNN":
        return "rnn_torch", {"h": f"{f}({_pre('h', clip)})"}, []
    if op == "GRU":
        lbr = a["linear_before_reset"]
        n = _pre("n", clip, after_reset=bool(lbr), before_reset=not lbr)
        return ("gru" if lbr else "gru_lbr0"), {
            "r": f"{f}({_pre('r', clip)})", "z": f"{f}({_pre('z', clip)})", "n": f"{g}({n})",
            "h": "(1 - z) * n + z * h[t-1]"}, []
    peep = a["peepholes"]
    eqs = {"i": f"{f}({_pre('i', clip, ' + P_i * c[t-1]' if peep else '')})",
           "f": f"{f}({_pre('f', clip, ' + P_f * c[t-1]' if peep else '')})",
           "o": f"{f}({_pre('o', clip, ' + P_o * c' if peep else '')})",
           "c_tilde": f"{g}({_pre('c', clip)})",
           "c": "f * c[t-1] + i * c_tilde",
           "h": f"o * {h}(c)"}
    drop = []
    if a["input_forget"]:  # onnxruntime: f = 1 - i; the forget gate's weights are unused
        eqs["f"] = "1 - i"
        drop = ["W_if", "W_hf", "b_if", "b_hf"] + (["P_f"] if peep else [])
    return ("lstm_peephole" if peep else "lstm"), eqs, drop


def onnx_spec(op: str, attributes: Mapping | None = None):
    """The :class:`~seqcheck.spec.Spec` of the equations ONNX documents for ``op``.

    With no attribute changing an equation it is the bundled spec itself (loaded from its
    file); otherwise a variant of it (``extends``), run backwards or in both directions
    with :func:`seqcheck.spec.compose.stacked`.

    >>> # a reverse GRU with linear_before_reset = 1 is torch's GRU run backwards in time
    >>> spec = onnx_spec("GRU", {"direction": "reverse", "linear_before_reset": 1})
    >>> spec.name, spec.equation("h").text
    ('gru_reverse', '(1 - z) * n + z * h[t+1]')
    """
    from ..spec import load_spec, loads_spec
    from ..spec.compose import stacked

    op = check_op(op)
    a = {**DEFAULTS[op], **validate_attributes(op, attributes or {})}
    base_name, equations, drop = _cell_equations(op, a)
    cell = load_spec(base_name)
    changed = {t: x for t, x in equations.items() if cell.equation(t).text != x}
    if changed or drop:
        given = [k for k in ("clip", "input_forget", "activations")
                 if a.get(k) not in (None, 0, DEFAULT_ACTIVATIONS[op])]
        shown = ", ".join(f"{k}={show(a[k])}" for k in given)
        tags = ["_".join(a[k]).lower() if k == "activations" else k for k in given]
        name = "_".join([base_name, *tags])  # lstm_clip_input_forget, rnn_torch_relu
        lines = [f"name = {json.dumps(name)}",
                 f"title = {json.dumps(f'ONNX {op} with {shown} ({cell.title})')}",
                 f"extends = {json.dumps(Path(cell.path).resolve().as_posix())}",
                 f"drop = {json.dumps(drop)}", "", "[equations]"]
        lines += [f"{t} = {json.dumps(x)}" for t, x in changed.items()]
        cell = loads_spec("\n".join(lines) + "\n", file=f"<ONNX {op} with {shown}>")
    if a["direction"] == "reverse":
        return stacked(cell, reverse=True)
    if a["direction"] == "bidirectional":
        return stacked(cell, bidirectional=True)
    return cell


def show(value) -> str:
    """An attribute value as the CLI writes it: ``Sigmoid,Relu``, ``0.5``."""
    return ",".join(value) if isinstance(value, tuple) else str(value)
