"""The activation functions of ONNX's RNN, GRU and LSTM, and how a node's
``activation_alpha`` and ``activation_beta`` reach them.

Each ONNX activation is a spec function (docs/spec-language.md), its parameters defaulting
to those of the ONNX operator of the same name, as the RNN operators' text says ("Default
values are the same as of corresponding ONNX operators. For example with LeakyRelu, the
default alpha is 0.01"):

================  ====================  ========================  =========================
ONNX              spec function         parameters (defaults)     value
================  ====================  ========================  =========================
Relu              relu                                            max(0, x)
Tanh              tanh
Sigmoid           sigmoid                                         1 / (1 + e^-x)
Affine            affine                alpha 1, beta 0           alpha x + beta
LeakyRelu         leaky_relu            alpha 0.01                x if x >= 0 else alpha x
ThresholdedRelu   thresholded_relu      alpha 1                   x if x > alpha else 0
ScaledTanh        scaled_tanh           alpha 1, beta 1           alpha tanh(beta x)
HardSigmoid       hard_sigmoid          alpha 0.2, beta 0.5       min(max(alpha x + beta, 0), 1)
Elu               elu                   alpha 1                   x if x >= 0 else alpha (e^x - 1)
Softsign          softsign                                        x / (1 + |x|)
Softplus          softplus                                        log(1 + e^x)
================  ====================  ========================  =========================

(Affine and ScaledTanh were experimental operators, removed from ONNX; their defaults
here are the identity's and tanh's. The RNN operators' summary writes ThresholdedRelu as
"x if x >= alpha"; the ThresholdedRelu operator, onnxruntime and seqcheck keep x > alpha
only -- they differ where x is alpha exactly.)

The text leaves open how the lists reach the functions: "The values are consumed in the
order of activation functions". Two readings, each a named variant (:data:`ALPHA_READINGS`):

- ``consumed``: each function that takes an alpha (a beta) takes the next value of the
  list, a function without one takes none, and one left without a value takes its
  default -- onnxruntime's ``rnn_helpers.cc`` reads the lists so;
- ``positional``: the k-th value belongs to the k-th function, used or not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ACTIVATIONS", "ALPHA_READINGS", "bind_parameters", "call_text"]

#: ONNX name -> (spec function, ((parameter, default), ...)).
ACTIVATIONS: dict[str, tuple[str, tuple[tuple[str, float], ...]]] = {
    "Relu": ("relu", ()),
    "Tanh": ("tanh", ()),
    "Sigmoid": ("sigmoid", ()),
    "Affine": ("affine", (("alpha", 1.0), ("beta", 0.0))),
    "LeakyRelu": ("leaky_relu", (("alpha", 0.01),)),
    "ThresholdedRelu": ("thresholded_relu", (("alpha", 1.0),)),
    "ScaledTanh": ("scaled_tanh", (("alpha", 1.0), ("beta", 1.0))),
    "HardSigmoid": ("hard_sigmoid", (("alpha", 0.2), ("beta", 0.5))),
    "Elu": ("elu", (("alpha", 1.0),)),
    "Softsign": ("softsign", ()),
    "Softplus": ("softplus", ()),
}

#: How activation_alpha and activation_beta reach the functions (module docstring); the
#: first is the one the operator's spec is built with unless another is asked for.
ALPHA_READINGS = ("consumed", "positional")


def bind_parameters(names: Sequence[str], alphas: Sequence[float], betas: Sequence[float],
                    reading: str = "consumed") -> list[tuple[float, ...]]:
    """The parameter values of each activation in ``names``, under ``reading``.

    Arguments:
        names: ONNX activation names, as the node lists them (both directions).
        alphas, betas: the node's ``activation_alpha`` and ``activation_beta``.
        reading: one of :data:`ALPHA_READINGS`.
    Returns:
        one tuple per activation: its parameters' values in the table's order.

    >>> # one alpha for Sigmoid, LeakyRelu, Tanh: LeakyRelu takes it, or Sigmoid's place does
    >>> bind_parameters(["Sigmoid", "LeakyRelu", "Tanh"], [0.3], [], "consumed")
    [(), (0.3,), ()]
    >>> bind_parameters(["Sigmoid", "LeakyRelu", "Tanh"], [0.3], [], "positional")
    [(), (0.01,), ()]
    """
    if reading not in ALPHA_READINGS:
        raise ValueError(f"reading must be one of {ALPHA_READINGS}, not {reading!r}")
    lists = {"alpha": list(alphas), "beta": list(betas)}
    taken = {"alpha": 0, "beta": 0}
    out = []
    for k, name in enumerate(names):
        values = []
        for param, default in ACTIVATIONS[name][1]:
            given = lists[param]
            if reading == "positional":
                values.append(given[k] if k < len(given) else default)
            elif taken[param] < len(given):
                values.append(given[taken[param]])
                taken[param] += 1
            else:
                values.append(default)
        out.append(tuple(values))
    return out


def call_text(name: str, values: tuple[float, ...], argument: str) -> str:
    """The spec text of ONNX activation ``name`` with ``values`` applied to ``argument``,
    each value the float32 the node carries (ONNX's alpha and beta are 32-bit floats).

    >>> call_text("LeakyRelu", (0.5,), "a"), call_text("Tanh", (), "a")
    ('leaky_relu(a, 0.5)', 'tanh(a)')
    """
    function = ACTIVATIONS[name][0]
    extra = "".join(f", {float(np.float32(v))!r}" for v in values)
    return f"{function}({argument}{extra})"
