"""``_xp`` for NumPy: :class:`NumpyNamespace`."""

from __future__ import annotations

import numpy

from .contract import add_into_shifted, shift_sequence

__all__ = ["NumpyNamespace"]


class NumpyNamespace:
    """``_xp`` for NumPy arrays of one dtype (float32 or float64)."""

    name = "numpy"

    def __init__(self, dtype=numpy.float64):
        self.dtype = numpy.dtype(dtype)
        self.tanh, self.exp, self.log, self.sqrt = numpy.tanh, numpy.exp, numpy.log, numpy.sqrt
        self.add, self.multiply = numpy.add, numpy.multiply
        # the largest -x the sigmoid exponentiates: exp(cap) is finite, 1 / exp(cap) < tiny
        self._exp_cap = float(numpy.log(numpy.finfo(self.dtype).max)) - 0.5

    def asarray(self, x):
        return numpy.asarray(x, dtype=self.dtype)

    def ones(self, shape):
        return numpy.ones(shape, dtype=self.dtype)

    def zeros(self, shape):
        return numpy.zeros(shape, dtype=self.dtype)

    def full(self, value, shape):
        """``value`` broadcast to ``shape`` (an initial state)."""
        return numpy.broadcast_to(numpy.asarray(value, dtype=self.dtype), shape)

    def stack(self, arrays):
        return numpy.stack(arrays)

    def errstate(self):
        """Underflow to zero is harmless here (exp(-|x|) of a saturated gate, products of
        tiny gradients); overflow and invalid values are left to the caller's settings."""
        return numpy.errstate(under="ignore")

    def sigmoid(self, x, out=None):
        # σ(x) = 1 / (1 + exp(-x)): one transcendental, and full relative accuracy in both
        # tails (about 2ε; (1 + tanh(x/2)) / 2 would cancel to 0 where σ(-40) ≈ 4e-18 is
        # representable). -x is capped where exp would overflow: there σ is below the
        # smallest normal number, and 1 / (1 + exp(cap)) is too. One array (or out), in place.
        t = numpy.negative(x, out=numpy.empty(numpy.shape(x), self.dtype) if out is None else out)
        numpy.minimum(t, self._exp_cap, out=t)
        numpy.exp(t, out=t)
        t += 1
        return numpy.reciprocal(t, out=t)

    def relu(self, x):
        return numpy.maximum(x, 0)

    def step(self, x):
        """Heaviside step with H(0) = 0: the derivative of relu (and of clip)."""
        return (x > 0).astype(self.dtype)

    def clip(self, x, c):
        """``x`` limited to [-c, c] (the spec function ``clip``)."""
        return numpy.clip(x, -c, c)

    def affine(self, x, alpha, beta):
        return alpha * x + beta

    def leaky_relu(self, x, alpha):
        return numpy.where(x >= 0, x, alpha * x)

    def thresholded_relu(self, x, alpha):
        """x where x > alpha, else 0 (ONNX's ``Less(alpha, x)``)."""
        return numpy.where(x > alpha, x, numpy.zeros_like(x))

    def scaled_tanh(self, x, alpha, beta):
        return alpha * numpy.tanh(beta * x)

    def hard_sigmoid(self, x, alpha, beta):
        return numpy.clip(alpha * x + beta, 0, 1)

    def elu(self, x, alpha):
        """alpha (exp(x) - 1) below 0, as expm1 of min(x, 0): the branch not taken never
        overflows."""
        return numpy.where(x >= 0, x, alpha * numpy.expm1(numpy.minimum(x, 0)))

    def softsign(self, x):
        return x / (1 + numpy.abs(x))

    def softplus(self, x):
        """log(1 + exp(x)) as log1p(exp(-|x|)) + max(x, 0): no overflow, full accuracy in
        both tails."""
        return numpy.log1p(numpy.exp(-numpy.abs(x))) + numpy.maximum(x, 0)

    def abs(self, x):
        return numpy.abs(x)

    def minimum(self, a, b):
        return numpy.minimum(a, b)

    def maximum(self, a, b):
        return numpy.maximum(a, b)

    def softmax(self, x):
        e = x - numpy.max(x, axis=-1, keepdims=True)
        numpy.exp(e, out=e)
        e /= numpy.sum(e, axis=-1, keepdims=True)
        return e

    def log_softmax(self, x):
        z = x - numpy.max(x, axis=-1, keepdims=True)
        return z - numpy.log(numpy.sum(numpy.exp(z), axis=-1, keepdims=True))

    def concat(self, *parts):
        """Stack vectors along the last axis, broadcasting batch axes (seed 003's [1; x])."""
        parts = [numpy.asarray(p) for p in parts]
        batch = numpy.broadcast_shapes(*(p.shape[:-1] for p in parts))
        return numpy.concatenate([numpy.broadcast_to(p, batch + p.shape[-1:]) for p in parts],
                                 axis=-1)

    def dot(self, a, b):
        """Inner product over the last axis, kept as a length-1 axis (a batched scalar)."""
        return numpy.sum(a * b, axis=-1, keepdims=True)

    def sum_last(self, x):
        return numpy.sum(x, axis=-1, keepdims=True)

    def sum_batch(self, x):
        """Sum over every leading (batch, and time) axis, for a parameter's gradient."""
        return x.reshape(-1, x.shape[-1]).sum(axis=0) if x.ndim > 1 else x

    def sum_all(self, x):
        """Sum of every entry: a batched scalar's contribution to a scalar parameter."""
        return numpy.sum(x)

    def outer_sum(self, u, v):
        """Σ_b u_b v_bᵀ over every leading axis: one matrix product."""
        if u.shape[:-1] != v.shape[:-1]:  # a static input (B, n) beside a sequence (T, B, m)
            lead = numpy.broadcast_shapes(u.shape[:-1], v.shape[:-1])
            u = numpy.broadcast_to(u, lead + u.shape[-1:])
            v = numpy.broadcast_to(v, lead + v.shape[-1:])
        if u.ndim >= 2:
            return u.reshape(-1, u.shape[-1]).T @ v.reshape(-1, v.shape[-1])
        return numpy.einsum("...i,...j->ij", u, v)

    def matmul(self, a, b):
        """``a @ b`` for a (T, B, n) sequence of rows: one (T·B)-row product.

        NumPy's ``@`` multiplies a stack as T separate (B, n) products, each reading all
        of ``b``; at (256, 8, 2048) @ (2048, 4096) that is 4.5 times slower.
        """
        if a.ndim <= 2 or b.ndim != 2:
            return a @ b
        return (a.reshape(-1, a.shape[-1]) @ b).reshape(*a.shape[:-1], b.shape[-1])

    def shift(self, seq, off, init):
        """``seq`` (T first) read at t + off for every t; outside steps 1..T, ``init``."""
        return shift_sequence(numpy.concatenate, numpy.broadcast_to, seq, off, init)

    def add_shifted(self, acc, contrib, off, acc_init):
        """``acc[t + off] += contrib[t]`` for every t; what falls outside goes to ``acc_init``."""
        add_into_shifted(acc, contrib, off, acc_init)
