"""The activations of seed 001's feed-forward models: the sigmoid and the ReLU.

Each with its derivative, as the hidden units' σ of the autoencoders.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError
from .inputs import float_dtype

__all__ = ["HIDDEN", "sigmoid", "relu", "relu_derivative", "activation"]

#: The hidden activations the autoencoders accept.
HIDDEN = ("sigmoid", "relu", "linear")


def sigmoid(z):
    """The logistic sigmoid σ(z) = 1 / (1 + e^(−z)), computed stably.

    Never exponentiates a positive number: σ(z) = exp(−log(1 + e^(−z))), and
    ``logaddexp(0, −z)`` is finite for every finite z.

    Arguments:
        z: array of any shape.

    Returns:
        σ(z), same shape and floating dtype.

    >>> # the sigmoid is one half at zero
    >>> float(sigmoid(0.0))
    0.5
    """
    z = np.asarray(z)
    z = z.astype(float_dtype(z), copy=False)
    with np.errstate(under="ignore"):
        return np.exp(-np.logaddexp(z.dtype.type(0), -z))


def relu(x):
    """The rectified linear unit σ(x) = x₊ = max(0, x) (seed 001, AlexNet slide).

    Arguments:
        x: array of any shape.

    Returns:
        max(0, x) elementwise, same shape and dtype.

    >>> # negative parts are cut to zero
    >>> relu(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 3.0]
    """
    x = np.asarray(x)
    return np.maximum(x, x.dtype.type(0))


def relu_derivative(x):
    """σ'(x) of the ReLU: 1 where x > 0, else 0 -- in particular σ'(0) = 0.

    ReLU has no derivative at 0; the convention σ'(0) = 0 is torch's (``torch.relu``
    backpropagates ``grad * (x > 0)``), so gradients agree with it everywhere.

    Arguments:
        x: array of any shape (the ReLU's input, not its output).

    Returns:
        the 0/1 derivative, same shape, floating dtype.

    >>> # the derivative at zero is taken to be zero
    >>> relu_derivative(np.array([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    x = np.asarray(x)
    return (x > 0).astype(float_dtype(x))


def activation(name: str):
    """(σ, σ' expressed through the input a and the output h = σ(a))."""
    if name == "sigmoid":
        return sigmoid, lambda a, h: h * (1 - h)
    if name == "relu":
        return relu, lambda a, h: relu_derivative(a)
    if name == "linear":
        return (lambda a: a), (lambda a, h: np.ones_like(a))
    raise SeqcheckError(
        f"unknown hidden activation '{name}'; choose one of {', '.join(HIDDEN)}")
