"""The contract of an array namespace (:class:`ArrayNamespace`), and the two helpers
that shift a sequence in time, written once for both libraries (and copied into a
standalone module by :mod:`seqcheck.backends.standalone`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

__all__ = ["Array", "ArrayNamespace", "shift_sequence", "add_into_shifted"]

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
    def add(self, a, b, out=None) -> Array: ...  # a + b, element-wise; out: as tanh's
    def multiply(self, a, b, out=None) -> Array: ...  # a ⊙ b; out: as tanh's
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


def shift_sequence(concat, expand, seq, off, init):
    """``seq`` (T first) read at t + off for every t, ``init`` outside 1..T: built with
    the library's ``concat(parts)`` and ``expand(array, shape)``."""
    T, k = seq.shape[0], abs(off)
    pad = expand(init, (min(k, T), *seq.shape[1:]))
    if k >= T:
        return pad
    return concat([pad, seq[: T - k]]) if off < 0 else concat([seq[k:], pad])


def add_into_shifted(acc, contrib, off, acc_init):
    """``acc[t + off] += contrib[t]`` for every t, in place; what falls outside steps
    1..T is summed into ``acc_init``."""
    T, k = acc.shape[0], abs(off)
    if off < 0:
        if k < T:
            acc[: T - k] += contrib[k:]
        acc_init += contrib[: min(k, T)].sum(0)
    else:
        if k < T:
            acc[k:] += contrib[: T - k]
        acc_init += contrib[max(T - k, 0):].sum(0)
