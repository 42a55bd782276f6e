"""Numerically stable NumPy helpers that generated code imports.

Each is warning-free for any finite input: the sigmoid never exponentiates a
positive number, softmax subtracts the row maximum first (seed 001's softmax,
seed 000 eq. 44). Arrays are batched along leading axes; vectors live in the
last axis.
"""

from __future__ import annotations

import numpy

__all__ = ["sigmoid", "relu", "softmax", "log_softmax", "concat"]


def sigmoid(x):
    """1 / (1 + exp(-x)), element-wise, without overflow for large |x|."""
    x = numpy.asarray(x)
    e = numpy.exp(-numpy.abs(x))
    return numpy.where(x >= 0, 1 / (1 + e), e / (1 + e))


def relu(x):
    """max(0, x), element-wise."""
    return numpy.maximum(x, 0)


def softmax(x):
    """exp(x) / sum(exp(x)) along the last axis, shifted by the maximum for stability."""
    z = x - numpy.max(x, axis=-1, keepdims=True)
    e = numpy.exp(z)
    return e / numpy.sum(e, axis=-1, keepdims=True)


def log_softmax(x):
    """x - log(sum(exp(x))) along the last axis, computed stably."""
    z = x - numpy.max(x, axis=-1, keepdims=True)
    return z - numpy.log(numpy.sum(numpy.exp(z), axis=-1, keepdims=True))


def concat(*parts):
    """Stack vectors along the last axis, broadcasting their batch axes (``[1; x]``)."""
    parts = [numpy.asarray(p) for p in parts]
    batch = numpy.broadcast_shapes(*(p.shape[:-1] for p in parts))
    return numpy.concatenate([numpy.broadcast_to(p, batch + p.shape[-1:]) for p in parts], axis=-1)
