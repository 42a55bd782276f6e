"""The verify target of a torch module: :class:`TorchTarget`, run through its :class:`Layout`."""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError
from ..base import Observed, Target, projection_loss
from .layouts import Layout
from .modules import (
    compiled_context,
    copy_module,
    eager_note,
    factory_name,
    original_module,
    torch_dtype,
)
from .recognise import PROBE, layout_for
from .structure import check_attributes, read_structure

__all__ = ["TorchTarget"]


class TorchTarget(Target):
    """A torch recurrent module under verification, through its :class:`Layout`.

    Arguments:
        target: a module instance (deep-copied for every case; its sizes stay fixed) or a
            class or factory called as ``target(input_size, hidden_size)``.
        layout: how its parameters map onto the spec; default :func:`layout_for`.
        name: how to print it (default: the class or factory's name).
        device: where seqcheck's copies run (``"cpu"``, ``"cuda"``; default: an instance's
            own device, else the CPU). Arrays come back to the CPU as float64.
        enforce_sorted: for a case whose rows have their own lengths (``verify(...,
            lengths=True)``), a sequence module runs them as a ``PackedSequence``
            (:mod:`.packing`); True sorts the rows by length first, as
            ``pack_padded_sequence(enforce_sorted=True)`` requires.

    The module runs in the mode it is in (a factory's modules in the mode it builds them
    in; torch builds them in training mode): seqcheck never calls ``train()`` or
    ``eval()``, so a module whose training mode changes its function is seen doing so.

    A layout with a projection (``proj_size`` P) built by a class or factory is held at the
    sizes it was recognised at, H = 5 and its P: torch requires P < H, and a factory may
    derive one from the other, so H cannot be drawn freely. Only D varies.

    >>> # torch's GRU cell, held to spec gru, every state seen at every step
    >>> import torch
    >>> target = TorchTarget(torch.nn.GRUCell)
    >>> target.default_spec().name, target.outputs, target.states
    ('gru', ('h',), ('h',))
    """

    def __init__(self, target, layout: Layout | None = None, name: str | None = None,
                 device=None, enforce_sorted: bool = False):
        import torch

        from .kinds import SequenceLayout

        self.target = target
        self.layout = layout or layout_for(target)
        self.instance = isinstance(target, torch.nn.Module)
        if name is None and self.instance:
            name = factory_name(type(original_module(target)))
            name = name if original_module(target) is target else f"torch.compile({name})"
        self.name = name or factory_name(target)
        self.description = f"layout of {self.layout.describe()}" + eager_note(target)
        self.states = tuple(self.layout.states)
        self.outputs = tuple(self.layout.outputs)
        first = next(target.parameters(), None) if self.instance else None
        default = str(first.dtype).replace("torch.", "") if first is not None else "float32"
        self.dtypes = (default, *(d for d in ("float32", "float64") if d != default))
        if device is None:
            device = first.device if first is not None else "cpu"
        self.device = torch.device(device)
        self._modules: dict = {}
        # rows of their own lengths run packed (:mod:`.packing`); a cell has no lengths
        self.enforce_sorted = bool(enforce_sorted)
        self.min_length = 1 if isinstance(self.layout, SequenceLayout) else None

    def default_spec(self):
        return self.layout.spec()

    def fixed_sizes(self, spec) -> dict[str, int] | None:
        if self.instance:
            from ...backends.compiled import bind_dims

            fixed, problems = bind_dims(spec, self.layout.get_params(self.target), {})
            if problems:
                raise SeqcheckError(f"the parameters of {self.name} do not fit spec "
                                    f"{spec.name!r}: " + "; ".join(problems))
            return fixed
        if self.layout.proj_size:
            dims = {d.name for d in spec.dims}
            fixed = {"H": PROBE[1], "P": self.layout.proj_size}
            return {k: v for k, v in fixed.items() if k in dims}
        return None

    def module(self, sizes, dtype: str):
        """The module a case runs on: seqcheck's own, every parameter taking gradients."""
        tdtype = torch_dtype(dtype)
        if self.instance:
            m = copy_module(self.target).to(device=self.device, dtype=tdtype)
            for p in m.parameters():
                p.requires_grad_(True)
            return m
        key = (sizes["D"], sizes["H"], dtype)
        if key not in self._modules:
            # not Layout.make: identify's layouts permute the blocks of a recognised family
            m = self.layout.construct(sizes["D"], sizes["H"]).to(device=self.device,
                                                                  dtype=tdtype)
            built = (*self.layout.sizes(m), *self._projection(m))
            wanted = (sizes["D"], sizes["H"], *((sizes["P"],) if self.layout.proj_size else ()))
            if built != wanted:
                raise SeqcheckError(f"{self.name}({sizes['D']}, {sizes['H']}) built a module "
                                    f"of sizes {built}, not {wanted}")
            params = {n: tuple(p.shape) for n, p in original_module(m).named_parameters()}
            check_attributes(m, self.name, read_structure(params, self.name),
                              self.layout.proj_size)
            self._modules[key] = m
        return self._modules[key]

    def _projection(self, module) -> tuple[int, ...]:
        if not self.layout.proj_size:
            return ()
        return (int(getattr(module, "weight_hr" + self.layout.chains[0][0]).shape[0]),)

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """See :meth:`seqcheck.adapters.base.Target.run`."""
        import torch

        tdtype = torch_dtype(dtype)
        module = self.module(case.sizes, dtype)
        self.layout.set_params(module, case.params)
        for p in module.parameters():
            p.grad = None

        def tensor(a):
            return torch.tensor(a, dtype=tdtype, device=self.device, requires_grad=gradients)

        x = tensor(case.inputs["x"])
        initial = {s: tensor(case.initial[s]) for s in self.states}
        with torch.enable_grad(), compiled_context(module):
            packed = {} if case.lengths is None else {"lengths": case.lengths,
                                                      "enforce_sorted": self.enforce_sorted}
            per_step, final = self.layout.run(module, x, initial, **packed)
            if gradients:
                projection_loss(case, self.outputs, self.states, per_step, final,
                                lib=torch).backward()

        def array(t):
            return t.detach().cpu().double().numpy()

        def grad(t):  # None: the tensor took no part in the loss, its gradient is zero
            return array(t.grad) if t.grad is not None else np.zeros(tuple(t.shape))

        return Observed(
            per_step={v: array(per_step[v]) for v in self.outputs},
            final={s: array(final[s]) for s in self.states},
            params=self.layout.grads(module) if gradients else None,
            x=grad(x) if gradients else None,
            initial={s: grad(initial[s]) for s in self.states} if gradients else None,
        )
