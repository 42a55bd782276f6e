"""``_xp`` for torch: :class:`TorchNamespace` (torch is imported when one is built)."""

from __future__ import annotations

import numpy

from .contract import add_into_shifted, shift_sequence

__all__ = ["TorchNamespace"]


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
        self.add, self.multiply = torch.add, torch.mul

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
        return shift_sequence(lambda parts: t.cat(list(parts)), lambda a, s: a.expand(*s),
                              seq, off, self.asarray(init))

    def add_shifted(self, acc, contrib, off, acc_init):
        add_into_shifted(acc, contrib, off, acc_init)

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
