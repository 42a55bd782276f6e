"""Holding a module to a :class:`~.model.Mapping`: :class:`MappingTarget`.

The target builds (or copies) the module, resolves the mapping on it (``plan.py``; an
instance's sizes from ``sizes.py``), and runs a case: the spec's parameters written
through the mapping's slices (a sum's members added into theirs), the module called as
the mapping says (``calls.py``), and the gradients read back through the same slices:
each member of a sum takes its slice's gradient, exact since the spec depends on them
only through their sum (``sums.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as MappingType
from pathlib import Path

import numpy as np

from ...errors import SeqcheckError
from ...spec import Spec
from ..base import Observed, Target, projection_loss
from ..torch_nn.modules import copy_module, torch_dtype
from .calls import run_cell, run_sequence
from .file import load_mapping
from .model import Mapping, probe_sizes
from .plan import Placed, place_slices, sizes_text
from .sizes import infer_sizes

__all__ = ["MappingTarget"]


class MappingTarget(Target):
    """Any torch module under verification through a :class:`Mapping`.

    Arguments:
        target: a class or factory called as ``target(*sizes)`` with the mapping's
            ``build`` dims (``target(input_size, hidden_size)``), or an ``nn.Module``
            instance (deep-copied for every case, never altered; its sizes stay fixed).
        mapping: a :class:`Mapping`, or the path of a mapping file.
        sizes: an instance's ``{dim: size}``, where they cannot be read off its
            parameters through the mapping.
        name: how to print the target (default: its class or factory name).
    Raises:
        MappingError: the mapping does not fit the module, checked at once (:meth:`check`)
            on a module built at :func:`probe_sizes`, or on the instance.

    >>> # torch's GRU cell held to spec gru through a mapping of its stacked tensors
    >>> import torch
    >>> from seqcheck.adapters.mapping import loads_mapping
    >>> rows = {"r": "0:H", "z": "H:2*H", "n": "2*H:3*H"}
    >>> text = 'spec = "gru"\\ncall = "cell"\\nstates = ["h"]\\n[params]\\n' + "".join(
    ...     f'{p}_{s}{g} = "{t}_{s}h[{rows[g]}]"\\n'
    ...     for p, t in (("W", "weight"), ("b", "bias")) for s in "ih" for g in "rzn")
    >>> target = MappingTarget(torch.nn.GRUCell, loads_mapping(text))
    >>> target.outputs, target.states, target.fixed_sizes(target.default_spec())
    (('h',), ('h',), None)
    """

    def __init__(self, target, mapping: Mapping | str | Path, *,
                 sizes: MappingType[str, int] | None = None, name: str | None = None):
        import torch

        self.mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
        self.target = target
        self.instance = isinstance(target, torch.nn.Module)
        if not self.instance and not callable(target):
            raise SeqcheckError(f"expected a torch.nn.Module, its class, or a factory called "
                                f"as target({', '.join(self.mapping.build)}); got "
                                f"{type(target).__name__}")
        if sizes is not None and not self.instance:
            raise SeqcheckError("sizes= gives an instance's sizes; a class or factory is "
                                "built at each case's sizes")
        self.name = name or _name(type(target) if self.instance else target)
        m = self.mapping
        self.description = f"mapping {Path(m.file).name} ({m.call} call)"
        self.states = m.states
        self.outputs = m.outputs
        first = next(target.parameters(), None) if self.instance else None
        default = str(first.dtype).replace("torch.", "") if first is not None else "float32"
        self.dtypes = (default, *(d for d in ("float32", "float64") if d != default))
        self._modules: dict = {}
        self._plans: dict = {}
        if self.instance:
            self._sizes = (dict(sizes) if sizes is not None
                           else infer_sizes(self.mapping, target, self.name))
        else:
            self._sizes = None
        self.check()

    # -- Target ---------------------------------------------------------------------
    def default_spec(self) -> Spec:
        """The mapping's spec: its parameter names are the ones the mapping maps."""
        return self.mapping.spec

    def fixed_sizes(self, spec) -> dict[str, int] | None:
        """An instance's sizes by dim name; None for a class or factory."""
        if self._sizes is None:
            return None
        if {d.name for d in spec.dims} != set(self._sizes):
            raise SeqcheckError(f"{self.name} is mapped onto spec '{self.mapping.spec.name}' "
                                f"(dims {', '.join(self._sizes)}), not onto spec '{spec.name}'")
        return dict(self._sizes)

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """See :meth:`seqcheck.adapters.base.Target.run`: write ``case.params`` through the
        mapping, call the target as the mapping says, and read gradients back through the
        same slices of ``.grad``."""
        import torch

        m = self.mapping
        if set(case.params) != set(m.params):
            raise SeqcheckError(
                f"the case's parameters ({', '.join(sorted(case.params))}) are not the ones "
                f"mapping {m.file} maps ({', '.join(sorted(m.params))}): verify {self.name} "
                f"against spec '{m.spec.name}'")
        tdtype = torch_dtype(dtype)
        sizes = dict(case.sizes)
        module = self.module(sizes, dtype)
        plan = self._plan(module, sizes)
        tensors = dict(module.named_parameters())
        with torch.no_grad():
            for members in m.groups.values():  # a sum's slice holds its members' sum
                placed = plan[members[0]]
                value = np.array(sum(np.asarray(case.params[k], dtype=np.float64)
                                     for k in members))
                placed.view(tensors[placed.tensor]).copy_(torch.from_numpy(value))
            for f in m.fixed.values():
                tensors[f.tensor].fill_(f.value)
        for p in tensors.values():
            p.grad = None
        x = torch.tensor(np.array(case.inputs[m.input]), dtype=tdtype,
                         requires_grad=gradients)
        initial = {s: torch.tensor(np.array(case.initial[s]), dtype=tdtype,
                                   requires_grad=gradients) for s in self.states}
        with torch.enable_grad():
            if m.call == "cell":
                per_step, final = run_cell(m, module, x, initial, sizes, self.name)
            else:
                per_step, final = run_sequence(m, module, x, initial, sizes, self.name)
            if gradients:
                projection_loss(case, self.outputs, self.states, per_step, final,
                                lib=torch).backward()
        observed = Observed(
            per_step={v: per_step[v].detach().double().numpy() for v in self.outputs},
            final={s: final[s].detach().double().numpy() for s in self.states})
        if not gradients:
            return observed
        grads = {}
        for name, placed in plan.items():
            t = tensors[placed.tensor]
            g = t.grad if t.grad is not None else torch.zeros_like(t)
            grads[name] = np.array(placed.view(g).detach().double().numpy())
        return Observed(observed.per_step, observed.final, grads, _grad(x),
                        {s: _grad(initial[s]) for s in self.states})

    # -- modules --------------------------------------------------------------------
    def module(self, sizes: MappingType[str, int], dtype: str = "float64"):
        """The module a case runs on: seqcheck's own, every parameter taking gradients.

        Arguments:
            sizes: ``{dim: size}``; an instance's must be its own.
            dtype: a NumPy dtype name.
        Returns:
            A deep copy of the instance, or the class built at ``sizes`` (cached).
        """
        if self.instance:
            self._check_instance_sizes(sizes)
            m = copy_module(self.target).to(torch_dtype(dtype))
            for p in m.parameters():
                p.requires_grad_(True)
            return m
        key = (tuple(sizes[d] for d in self.mapping.build), dtype)
        if key not in self._modules:
            self._modules[key] = self._build(key[0]).to(torch_dtype(dtype))
        return self._modules[key]

    def _build(self, args: tuple[int, ...]):
        """``target(*args)``, a module, built without touching torch's RNG."""
        import torch

        call = f"{self.name}({', '.join(map(str, args))})"
        with torch.random.fork_rng(devices=[]):
            try:
                module = self.target(*args)
            except Exception as e:
                raise SeqcheckError(
                    f"could not build {call}: {type(e).__name__}: {e}\n  hint: the mapping "
                    f"says the target is built as target({', '.join(self.mapping.build)}) "
                    "(its 'build' key); otherwise pass an instance") from e
        if not isinstance(module, torch.nn.Module):
            raise SeqcheckError(f"{call} returned {type(module).__name__}, not a "
                                "torch.nn.Module")
        return module

    def _check_instance_sizes(self, sizes) -> None:
        if dict(sizes) != self._sizes:
            raise SeqcheckError(f"this {self.name} instance has sizes {sizes_text(self._sizes)}"
                                f"; it cannot run at {sizes_text(sizes)}")

    # -- validation -----------------------------------------------------------------
    def check(self, sizes: MappingType[str, int] | None = None) -> None:
        """Validate the mapping against a module at ``sizes``, reporting every problem.

        Arguments:
            sizes: ``{dim: size}``; default :func:`probe_sizes` for a class or factory,
                the instance's own sizes for an instance.
        Raises:
            MappingError: unknown target parameters, indices out of range, slices whose
                shape is not the spec parameter's, target elements mapped twice or not at
                all; each located in the mapping file.
        """
        if sizes is not None and set(sizes) != set(self.mapping.build):
            raise SeqcheckError(f"sizes must give every dim of spec "
                                f"'{self.mapping.spec.name}' ({', '.join(self.mapping.build)}); "
                                f"got {sizes_text(sizes) or 'none'}")
        if self.instance:
            sizes = dict(self._sizes if sizes is None else sizes)
            self._check_instance_sizes(sizes)
            self._plan(self.target, sizes)
        else:
            sizes = dict(probe_sizes(self.mapping) if sizes is None else sizes)
            self._plan(self._build(tuple(sizes[d] for d in self.mapping.build)), sizes)

    def _how(self, sizes) -> str:
        if self.instance:
            return f"the sizes of the given {self.name}"
        args = ", ".join(str(sizes[d]) for d in self.mapping.build)
        return f"the target built as {self.name}({args})"

    def _plan(self, module, sizes: dict[str, int]) -> dict[str, Placed]:
        key = tuple(sorted(sizes.items()))
        if key not in self._plans:
            self._plans[key] = place_slices(self.mapping, module, sizes, self._how(sizes),
                                            self.name)
        return self._plans[key]


def _grad(leaf) -> np.ndarray:
    """A leaf's gradient as float64; zero where the loss did not depend on it."""
    if leaf.grad is None:
        return np.zeros(tuple(leaf.shape))
    return leaf.grad.double().numpy()


def _name(factory: Callable) -> str:
    return getattr(factory, "__name__", None) or type(factory).__name__
