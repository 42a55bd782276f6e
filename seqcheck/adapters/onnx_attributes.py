"""ONNX's RNN, LSTM and GRU attributes: parsed, checked, and turned into the spec they document.

:func:`parse_attributes` reads the CLI's ``name=value`` strings, :func:`validate_attributes`
checks typed ones by the same rules, and :func:`~.onnx_equations.onnx_spec` returns the
:class:`~seqcheck.spec.Spec` of the equations the ONNX operator documents for an op and its
attributes: ``rnn_torch`` for RNN, ``lstm`` (``lstm_peephole`` with ``peepholes = 1``) for
LSTM, ``gru_lbr0`` (``gru`` with ``linear_before_reset = 1``) for GRU, with these attributes
applied:

====================  ==========  ==========================================================
attribute             ops         in the spec
====================  ==========  ==========================================================
direction             all         forward; reverse and bidirectional via ``stacked``
clip                  all         ``clip(a, c)`` on every gate's pre-activation ``a``
activations           all         f (RNN), f, g (GRU), f, g, h (LSTM): any ONNX activation
                                  (:mod:`.onnx_activations`); twice as many names on a
                                  bidirectional node, the forward chain's first
activation_alpha,     all         the activations' parameters (their operators' defaults
activation_beta                   where absent)
input_forget          LSTM        the input and forget gates coupled
linear_before_reset   GRU         0: reset before the recurrent product; 1: after it
layout                all         0: X [T, B, D]; 1: X [B, T, D] (batch-major); no equation
peepholes             LSTM        seqcheck's switch: 1 feeds the input P (``lstm_peephole``)
====================  ==========  ==========================================================

A node's ``sequence_lens`` input is the spec language's variable lengths
(:mod:`seqcheck.spec.lengths`, ``verify(..., lengths=True)``).

The ONNX documentation leaves three things open. Each reading is a named variant
(:data:`READINGS`, ``onnx_spec(..., readings=...)``), the first of each the default --
as onnxruntime computes it (and as its own Python reference
``test/providers/cpu/rnn/LSTM.py`` writes it) -- and conformance reports which one each
engine follows:

- ``clip``: whether it bounds the pre-activations of the gates i, f, c, o only
  (``gates``), or the input of every activation, h(C_t)'s included (``gates and cell``);
- ``input_forget``: "couple the input and forget gates" as f_t = 1 - i_t (``f = 1 - i``)
  or as i_t = 1 - f_t (``i = 1 - f``, seed 002's coupled gates);
- ``activation_alpha`` (and beta): ``consumed`` in order by the functions that take one,
  or ``positional``, one per function (:mod:`.onnx_activations`).

``clip``, ``activation_alpha`` and ``activation_beta`` are 32-bit floats; the spec uses the
float32 values the node carries.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import SeqcheckError
from .onnx_activations import ACTIVATIONS, ALPHA_READINGS

__all__ = ["OPS", "DEFAULTS", "DEFAULT_ACTIVATIONS", "READINGS", "attribute_variants",
           "check_op", "check_readings", "parse_attributes", "show", "validate_attributes"]

OPS = ("RNN", "LSTM", "GRU")

#: ONNX's defaults for f (RNN), f, g (GRU) and f, g, h (LSTM).
DEFAULT_ACTIVATIONS = {"RNN": ("Tanh",), "GRU": ("Sigmoid", "Tanh"),
                       "LSTM": ("Sigmoid", "Tanh", "Tanh")}
_ROLES = {"RNN": "f", "GRU": "f, g", "LSTM": "f, g, h"}
_DIRECTIONS = ("forward", "reverse", "bidirectional")
_OWN = {"RNN": {}, "GRU": {"linear_before_reset": 0}, "LSTM": {"input_forget": 0,
                                                                 "peepholes": 0}}
#: Attributes each op takes here, with their defaults.
DEFAULTS = {op: {"direction": "forward", "clip": None, "activations": DEFAULT_ACTIVATIONS[op],
                 "activation_alpha": (), "activation_beta": (), **own, "layout": 0}
            for op, own in _OWN.items()}
#: ONNX attributes seqcheck does not take, and why.
_REFUSED = {"hidden_size": "hidden_size is set from each case's H; do not pass it",
            "sequence_lens": "sequence_lens is the node's input, fed from each case's row "
                             "lengths: verify with --lengths (verify(..., lengths=True))"}
#: What the operator's text leaves open: attribute -> its readings, the default first.
READINGS = {"clip": ("gates", "gates and cell"), "input_forget": ("f = 1 - i", "i = 1 - f"),
            "activation_alpha": ALPHA_READINGS}


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
    _check_activation_count(op, {**DEFAULTS[op], **out})
    return out


def _check_activation_count(op: str, a: Mapping) -> None:
    """k activation names (f; f, g; f, g, h), or 2k on a bidirectional node."""
    k, n = len(DEFAULT_ACTIVATIONS[op]), len(a["activations"])
    if n == k or (n == 2 * k and a["direction"] == "bidirectional"):
        return
    raise SeqcheckError(
        f"activations for {op} takes {k} name{'s' * (k > 1)} ({_ROLES[op]}), or {2 * k} on a "
        f"bidirectional node (the forward chain's, then the reverse chain's); got {n}: "
        f"{', '.join(a['activations'])}\n  hint: e.g. activations="
        f"{','.join(DEFAULT_ACTIVATIONS[op])} (the defaults)")


def check_readings(op: str, readings: Mapping | None) -> dict:
    """``readings`` (attribute -> one of its :data:`READINGS`) checked, the defaults filled.

    >>> check_readings("LSTM", {"input_forget": "i = 1 - f"})["input_forget"]
    'i = 1 - f'
    """
    out = {name: options[0] for name, options in READINGS.items()}
    for name, reading in (readings or {}).items():
        if name not in READINGS:
            raise SeqcheckError(f"the operator's text is read one way only for {name}; the "
                                f"attributes with readings are {', '.join(READINGS)}")
        if reading not in READINGS[name]:
            raise SeqcheckError(f"{name} is read as {' or '.join(map(repr, READINGS[name]))}; "
                                f"got {reading!r}")
        out[name] = reading
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
    by_lower = {n.lower(): n for n in ACTIVATIONS}
    out = []
    for n in names:
        known = by_lower.get(str(n).strip().lower())
        if known is None:
            from ..spec.suggest import did_you_mean

            close = did_you_mean(str(n).strip(), list(ACTIVATIONS))
            raise SeqcheckError(f"activation {str(n).strip()!r} is not an ONNX activation"
                                + (f"; did you mean {close!r}?" if close else "")
                                + f"\n  hint: the ONNX activations are {', '.join(ACTIVATIONS)}")
        out.append(known)
    return tuple(out)


def _floats(name: str):
    def convert(op: str, value) -> tuple[float, ...]:
        items = value.split(",") if isinstance(value, str) else value
        try:
            out = tuple(float(v) for v in (items if isinstance(items, (list, tuple)) else [items])
                        if not isinstance(v, bool) and str(v).strip() != "")
        except (TypeError, ValueError):
            out = None
        if out is None or not all(abs(v) <= float(np.finfo(np.float32).max) for v in out):
            raise SeqcheckError(f"{name} must be finite numbers separated by commas (float32), "
                                f"one per parameter of the activations; got {value!r}")
        return out
    return convert


_CONVERT = {"direction": _direction, "clip": _clip, "activations": _activations,
            "input_forget": _switch("input_forget"), "peepholes": _switch("peepholes"),
            "linear_before_reset": _switch("linear_before_reset"), "layout": _switch("layout"),
            "activation_alpha": _floats("activation_alpha"),
            "activation_beta": _floats("activation_beta")}


def attribute_variants(op: str) -> list[dict]:
    """The attribute combinations a conformance matrix runs for ``op``, defaults first:
    every attribute on its own (each direction, clip, layout 1, every activation in the
    last role with its parameters' defaults, then given), per-direction activations, and
    rows whose readings (:data:`READINGS`) tell apart how an engine reads the text.

    >>> # every GRU row: defaults (linear_before_reset = 0), directions, clip, layout, ...
    >>> [sorted(a) for a in attribute_variants("GRU")][:2]
    [[], ['direction']]
    """
    op = check_op(op)
    rows = [{}, {"direction": "reverse"}, {"direction": "bidirectional"}, {"clip": 0.5},
            {"layout": 1}, {"layout": 1, "direction": "bidirectional"}]
    rows += {"RNN": [], "GRU": [{"linear_before_reset": 1}],
             "LSTM": [{"input_forget": 1}, {"peepholes": 1}]}[op]
    defaults = DEFAULT_ACTIVATIONS[op]
    for name in ACTIVATIONS:  # each in the last role (RNN f, GRU g, LSTM h), defaults
        if name != defaults[-1]:
            rows.append({"activations": (*defaults[:-1], name)})
    for name, values in _GIVEN.items():  # each parameter given
        rows.append({"activations": (*defaults[:-1], name), **values})
    two = (*defaults[:-1], "Relu")  # the reverse chain's own activations
    rows.append({"direction": "bidirectional", "activations": (*defaults, *two)})
    if op == "LSTM":  # one alpha for Sigmoid, LeakyRelu, Tanh: consumed or positional?
        rows.append({"activations": ("Sigmoid", "LeakyRelu", "Tanh"),
                     "activation_alpha": (0.25,)})  # (GRU's parameter rows tell them apart)
    return rows


#: The parameters given in the rows of :func:`attribute_variants`, each unlike its default.
_GIVEN = {"Affine": {"activation_alpha": (0.5,), "activation_beta": (0.25,)},
          "LeakyRelu": {"activation_alpha": (0.25,)},
          "ThresholdedRelu": {"activation_alpha": (0.125,)},
          "ScaledTanh": {"activation_alpha": (1.5,), "activation_beta": (0.5,)},
          "HardSigmoid": {"activation_alpha": (0.25,), "activation_beta": (0.375,)},
          "Elu": {"activation_alpha": (0.75,)}}


def show(value) -> str:
    """An attribute value as the CLI writes it: ``Sigmoid,Relu``, ``0.5``."""
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
