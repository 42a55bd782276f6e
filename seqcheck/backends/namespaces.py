"""Array namespaces that generated code runs on: ``_xp`` bound to NumPy or torch.

Each namespace fixes a dtype (and, for torch, a device) and offers the same small set
of functions, so one generated module runs on either library. Vectors live in the last
axis; batch axes come first. Every function is numerically stable for finite input:
the sigmoid never exponentiates a positive number, and softmax subtracts the row
maximum (seed 001's softmax, seed 000 eq. 44).

:class:`ArrayNamespace` is the whole contract: a new backend is one class that offers its
members, passed to :class:`~seqcheck.backends.compiled.CompiledSpec`
(docs/architecture.md, "A new backend").
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import numpy

__all__ = ["ArrayNamespace", "NumpyNamespace", "TorchNamespace"]

Array = Any  # an array of the namespace's library: numpy.ndarray, torch.Tensor, ...


@runtime_checkable
class ArrayNamespace(Protocol):
    """What generated code (``_xp.<member>``) and :class:`CompiledSpec` call.

    Shapes: batch (and time) axes first, vectors in the last axis; a "batched scalar" is a
    length-1 last axis. Element-wise members take and return arrays of one shape. The
    backward pass accumulates in place (``add_shifted`` adds into ``acc``), so arrays
    must be writable.
    """

    name: str  # for messages: "numpy", "torch"
    dtype: Any  # the one floating dtype every array is made in

    def asarray(self, x) -> Array: ...  # x (array-like or native) in dtype (and device)
    def ones(self, shape: tuple) -> Array: ...
    def zeros(self, shape: tuple) -> Array: ...
    def full(self, value, shape: tuple) -> Array: ...  # an initial state, broadcast
    def stack(self, arrays) -> Array: ...  # a new first (time) axis
    def errstate(self) -> AbstractContextManager: ...  # floating-point settings for one run

    # the spec functions, element-wise (seqcheck.spec.functions)
    def tanh(self, x, out=None) -> Array: ...  # out: an array to write the result into
    def exp(self, x) -> Array: ...
    def log(self, x) -> Array: ...
    def sqrt(self, x) -> Array: ...
    def sigmoid(self, x, out=None) -> Array: ...  # out: as tanh's
    def relu(self, x) -> Array: ...
    def step(self, x) -> Array: ...  # Heaviside, H(0) = 0: relu', clip', the activations'
    def clip(self, x, c) -> Array: ...  # x limited to [-c, c]
    # ONNX's activations (seqcheck.spec.activations), parameters as Python numbers
    def affine(self, x, alpha, beta) -> Array: ...  # alpha x + beta
    def leaky_relu(self, x, alpha) -> Array: ...  # x if x >= 0 else alpha x
    def thresholded_relu(self, x, alpha) -> Array: ...  # x if x > alpha else 0
    def scaled_tanh(self, x, alpha, beta) -> Array: ...  # alpha tanh(beta x)
    def hard_sigmoid(self, x, alpha, beta) -> Array: ...  # min(max(alpha x + beta, 0), 1)
    def elu(self, x, alpha) -> Array: ...  # x if x >= 0 else alpha (exp(x) - 1)
    def softsign(self, x) -> Array: ...  # x / (1 + |x|)
    def softplus(self, x) -> Array: ...  # log(1 + exp(x)), stably
    # what the derivatives are written with (element-wise; an argument may be a number)
    def abs(self, x) -> Array: ...
    def minimum(self, a, b) -> Array: ...
    def maximum(self, a, b) -> Array: ...

    # over the last axis
    def softmax(self, x) -> Array: ...
    def log_softmax(self, x) -> Array: ...
    def concat(self, *parts) -> Array: ...  # along the last axis, batch axes broadcast
    def dot(self, a, b) -> Array: ...  # inner product, kept as a length-1 axis
    def sum_last(self, x) -> Array: ...  # kept as a length-1 axis

    # reductions for parameter gradients
    def sum_batch(self, x) -> Array: ...  # over every leading axis
    def sum_all(self, x) -> Array: ...
    def outer_sum(self, u, v) -> Array: ...  # Σ_b u_b v_bᵀ over every leading axis
    def matmul(self, a, b) -> Array: ...  # a @ b, a's leading axes the rows of one product

    # time offsets (seq has time first)
    def shift(self, seq, off: int, init) -> Array: ...  # seq at t + off, init outside 1..T
    def add_shifted(self, acc, contrib, off: int, acc_init) -> None: ...  # acc[t+off] += c[t]


def _shift(concat, expand, seq, off, init):
    T, k = seq.shape[0], abs(off)
    pad = expand(init, (min(k, T), *seq.shape[1:]))
    if k >= T:
        return pad
    return concat([pad, seq[: T - k]]) if off < 0 else concat([seq[k:], pad])


def _add_shifted(acc, contrib, off, acc_init):
    T, k = acc.shape[0], abs(off)
    if off < 0:
        if k < T:
            acc[: T - k] += contrib[k:]
        acc_init += contrib[: min(k, T)].sum(0)
    else:
        if k < T:
            acc[k:] += contrib[: T - k]
        acc_init += contrib[max(T - k, 0):].sum(0)


class NumpyNamespace:
    """``_xp`` for NumPy arrays of one dtype (float32 or float64)."""

    name = "numpy"

    def __init__(self, dtype=numpy.float64):
        self.dtype = numpy.dtype(dtype)
        self.tanh, self.exp, self.log, self.sqrt = numpy.tanh, numpy.exp, numpy.log, numpy.sqrt
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
        return _shift(numpy.concatenate, numpy.broadcast_to, seq, off, init)

    def add_shifted(self, acc, contrib, off, acc_init):
        """``acc[t + off] += contrib[t]`` for every t; what falls outside goes to ``acc_init``."""
        _add_shifted(acc, contrib, off, acc_init)


class TorchNamespace:
    """``_xp`` for torch tensors of one dtype on one device. Imports torch when built."""

    name = "torch"

    def __init__(self, dtype=None, device="cpu"):
        import torch

        self.torch = torch
        self.dtype = dtype or torch.float64
        self.device = torch.device(device)
        self.tanh, self.exp, self.log, self.sqrt = torch.tanh, torch.exp, torch.log, torch.sqrt
        self.sigmoid, self.relu = torch.sigmoid, torch.relu

    def records_autograd(self, arrays) -> bool:
        """True when torch autograd records a pass over ``arrays``: grad mode is on and
        one of them requires grad. Generated code then keeps per-step values in lists
        (no in-place writes), which autograd can follow."""
        return self.torch.is_grad_enabled() and any(
            getattr(a, "requires_grad", False) for a in arrays)

    def errstate(self):
        """torch does not signal floating-point events; nothing to set."""
        import contextlib

        return contextlib.nullcontext()

    def asarray(self, x):
        t = self.torch
        if isinstance(x, t.Tensor):
            return x.to(dtype=self.dtype, device=self.device)
        return t.as_tensor(numpy.asarray(x), dtype=self.dtype, device=self.device)

    def ones(self, shape):
        return self.torch.ones(shape, dtype=self.dtype, device=self.device)

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.dtype, device=self.device)

    def full(self, value, shape):
        return self.asarray(value).expand(shape)

    def stack(self, arrays):
        return self.torch.stack(list(arrays))

    def step(self, x):
        return (x > 0).to(self.dtype)

    def clip(self, x, c):
        return self.torch.clamp(x, -c, c)

    # ONNX's activations: torch's own functions where torch has one, so that autograd
    # through a forward pass takes the derivatives at the kinks as the derived code does
    def affine(self, x, alpha, beta):
        return alpha * x + beta

    def leaky_relu(self, x, alpha):
        return self.torch.nn.functional.leaky_relu(x, alpha)

    def thresholded_relu(self, x, alpha):
        return self.torch.nn.functional.threshold(x, alpha, 0.0)

    def scaled_tanh(self, x, alpha, beta):
        return alpha * self.torch.tanh(beta * x)

    def hard_sigmoid(self, x, alpha, beta):
        """hardtanh into [0, 1]: its gradient is 0 on the edges, as F.hardsigmoid's."""
        return self.torch.nn.functional.hardtanh(alpha * x + beta, 0.0, 1.0)

    def elu(self, x, alpha):
        return self.torch.nn.functional.elu(x, alpha)

    def softsign(self, x):
        return self.torch.nn.functional.softsign(x)

    def softplus(self, x):
        """log(1 + exp(x)) as logaddexp(x, 0), i.e. log1p(exp(-|x|)) + max(x, 0); autograd
        gives sigmoid(x), also at 0."""
        return self.torch.logaddexp(x, self.torch.zeros((), dtype=x.dtype, device=x.device))

    def abs(self, x):
        return self.torch.abs(x)

    def minimum(self, a, b):
        return self.torch.minimum(*self._tensors(a, b))

    def maximum(self, a, b):
        return self.torch.maximum(*self._tensors(a, b))

    def _tensors(self, *values):
        """Numbers as 0-d tensors beside the arrays (torch.minimum takes tensors only)."""
        t = self.torch
        return [v if isinstance(v, t.Tensor) else t.as_tensor(v, dtype=self.dtype,
                                                              device=self.device)
                for v in values]

    def softmax(self, x):
        return self.torch.softmax(x, dim=-1)

    def log_softmax(self, x):
        return self.torch.log_softmax(x, dim=-1)

    def concat(self, *parts):
        t = self.torch
        parts = [p if isinstance(p, t.Tensor) else self.asarray(p) for p in parts]
        batch = t.broadcast_shapes(*(p.shape[:-1] for p in parts))
        return t.cat([p.expand(*batch, p.shape[-1]) for p in parts], dim=-1)

    def dot(self, a, b):
        return (a * b).sum(dim=-1, keepdim=True)

    def sum_last(self, x):
        return x.sum(dim=-1, keepdim=True)

    def sum_batch(self, x):
        return x.reshape(-1, x.shape[-1]).sum(dim=0) if x.dim() > 1 else x

    def shift(self, seq, off, init):
        t = self.torch
        return _shift(lambda parts: t.cat(list(parts)), lambda a, s: a.expand(*s), seq, off,
                      self.asarray(init))

    def add_shifted(self, acc, contrib, off, acc_init):
        _add_shifted(acc, contrib, off, acc_init)

    def sum_all(self, x):
        return x.sum()

    def matmul(self, a, b):
        """``a @ b``: torch folds a (T, B, n) sequence into one product itself."""
        return a @ b

    def outer_sum(self, u, v):
        if u.shape[:-1] != v.shape[:-1]:  # a static input (B, n) beside a sequence (T, B, m)
            lead = self.torch.broadcast_shapes(u.shape[:-1], v.shape[:-1])
            u = u.expand(*lead, u.shape[-1])
            v = v.expand(*lead, v.shape[-1])
        if u.dim() >= 2:
            return u.reshape(-1, u.shape[-1]).T @ v.reshape(-1, v.shape[-1])
        return self.torch.einsum("...i,...j->ij", u, v)
