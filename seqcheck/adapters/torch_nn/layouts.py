"""Layouts: immutable values saying how a torch module's tensors and calls map onto a spec.

A :class:`Layout` names the torch unit (:class:`Family`), the factory that builds modules,
and the configuration torch's constructors take (``bias``, ``nonlinearity``, ``proj_size``;
for a sequence module also ``batch_first``, ``num_layers``, ``bidirectional``). From these it
derives everything else: the spec (:meth:`Layout.spec`), the spec names of the parameters,
states and outputs, and which rows of which torch tensor hold each spec parameter.

A sequence module with L layers in one or two directions has one *chain* per layer and
direction, in torch's order (layer 0 forward, layer 0 backward, layer 1 forward, ...): row
``k = layer * num_directions + direction`` of h_0/h_n and c_0/c_n. Chain ``_l1_reverse``
holds torch's tensors ``weight_ih_l1_reverse``, ... and the spec's ``W_ii_l1_reverse``, ...,
``h_l1_reverse`` (:func:`seqcheck.spec.compose.stacked`'s names). A cell, or a sequence
module with one layer and one direction, has a single chain that keeps the cell spec's
names (torch's tensors are ``weight_ih`` for a cell and ``weight_ih_l0`` for a sequence).

This module holds the base, :class:`Layout`: the names, the sizes, the stacking of spec
parameters into torch's tensors and back, and the contract of :meth:`Layout.run`. The two
kinds, :class:`~.kinds.CellLayout` and :class:`~.kinds.SequenceLayout`, with how each runs
and builds its module, are in :mod:`.kinds`; the units' table in :mod:`.families`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError
from .families import PROJECTION, Family
from .modules import expect_shape, factory_name
from .specs import NONLINEARITIES, layout_spec, layout_spec_name

__all__ = ["Layout"]


@dataclass(frozen=True)
class Layout(ABC):
    """How modules built by ``factory`` map onto the spec :meth:`spec`.

    See the package docstring for what each kind of layout observes. A layout is one of
    the two kinds in :mod:`.kinds`, which also build its modules (``make``, ``construct``).

    Arguments:
        family: the unit (LSTM, GRU or RNN).
        factory: what ``make`` (:class:`~.kinds.ModuleBuilding`) calls as
            ``factory(input_size, hidden_size)``: torch's class, a subclass, a user's
            class, or a function returning a module.
        bias: torch's ``bias``; False drops the ``bias_*`` tensors and the spec's biases.
        nonlinearity: torch.nn.RNN's ``"tanh"`` or ``"relu"`` (always tanh for LSTM, GRU).
        proj_size: torch.nn.LSTM's ``proj_size`` P (0: none); h then has P entries.
    """

    family: Family
    factory: Callable
    bias: bool = True
    nonlinearity: str = "tanh"
    proj_size: int = 0

    def __post_init__(self):
        if self.nonlinearity not in NONLINEARITIES:
            raise SeqcheckError(f"nonlinearity must be one of {', '.join(NONLINEARITIES)}; "
                                f"got {self.nonlinearity!r}")
        if self.nonlinearity != "tanh" and self.family.blocks != 1:
            raise SeqcheckError(f"nonlinearity={self.nonlinearity!r} applies to torch.nn.RNN "
                                f"and RNNCell, not to a {self.family.sequence}")
        if self.proj_size < 0 or (self.proj_size and self.family.spec_name != "lstm"):
            raise SeqcheckError(f"proj_size={self.proj_size}: only an LSTM has a projection, "
                                "of size proj_size >= 1")

    # -- what the layout follows --------------------------------------------------------
    @property
    def layers(self) -> int:
        """torch's ``num_layers`` (a cell has one)."""
        return 1

    @property
    def bidirectional(self) -> bool:
        return False

    @property
    def chains(self) -> tuple[tuple[str, str], ...]:
        """One ``(torch suffix, spec suffix)`` per chain, in torch's order of h_n rows."""
        return (("", ""),)

    @property
    def spec_name(self) -> str:
        """The name of :meth:`spec`, e.g. ``"lstm"``, ``"gru_nobias_2layers_bidirectional"``."""
        return layout_spec_name(self.family.spec_name, bias=self.bias,
                                nonlinearity=self.nonlinearity, proj=bool(self.proj_size),
                                layers=self.layers, bidirectional=self.bidirectional)

    def spec(self):
        """The :class:`~seqcheck.spec.Spec` this layout follows (built once, then cached).

        >>> # torch.nn.GRU(bias=False, num_layers=2): a stacked bias-free GRU
        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout = layout_for(torch.nn.GRU(3, 4, bias=False, num_layers=2))
        >>> spec = layout.spec()
        >>> spec.name, spec.params["W_ir_l1"].shape, "b_ir_l0" in spec.params
        ('gru_nobias_2layers', (H, H), False)
        """
        return layout_spec(self.family.spec_name, bias=self.bias,
                           nonlinearity=self.nonlinearity, proj=bool(self.proj_size),
                           layers=self.layers, bidirectional=self.bidirectional)

    @property
    def states(self) -> tuple[str, ...]:
        """Spec states the target carries, every chain's: h_l0, h_l0_reverse, ..., c_l0, ..."""
        return tuple(s + sfx for s in self.family.states for _, sfx in self.chains)

    @property
    @abstractmethod
    def outputs(self) -> tuple[str, ...]:
        """Spec variables ``run`` returns at every step."""

    @property
    def stacks(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The family's stacks this layout has (no ``bias_*`` without bias), plus weight_hr."""
        kept = tuple((stem, names) for stem, names in self.family.stacks
                     if self.bias or not stem.startswith("bias"))
        return kept + ((PROJECTION,) if self.proj_size else ())

    @property
    def tensors(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Every torch parameter with the spec parameters stacked in it, in torch's order.

        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout = layout_for(torch.nn.RNN(3, 4, bidirectional=True))
        >>> layout.tensors[4]
        ('weight_ih_l0_reverse', ('W_ih_l0_reverse',))
        """
        return tuple((stem + torch_sfx, tuple(n + spec_sfx for n in names))
                     for torch_sfx, spec_sfx in self.chains for stem, names in self.stacks)

    @property
    def params(self) -> tuple[str, ...]:
        """Every spec parameter, in torch's stacking order."""
        return tuple(name for _, names in self.tensors for name in names)

    @property
    def target(self) -> str:
        """The factory's name as a user would write it, e.g. ``torch.nn.LSTM``."""
        return factory_name(self.factory)

    def describe(self) -> str:
        """The layout in a few words: ``"torch.nn.LSTM (2 layers, bidirectional)"``.

        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout_for(torch.nn.GRU(3, 4, num_layers=2, bias=False)).describe()
        'torch.nn.GRU (2 layers, bias=False)'
        """
        words = self._configuration()
        return self.target + (f" ({', '.join(words)})" if words else "")

    def _configuration(self) -> list[str]:
        """torch's constructor arguments that differ from their defaults, as words."""
        words = ["bias=False"] if not self.bias else []
        words += [f"nonlinearity={self.nonlinearity!r}"] if self.nonlinearity != "tanh" else []
        words += [f"proj_size={self.proj_size}"] if self.proj_size else []
        return words

    # -- sizes ---------------------------------------------------------------------------
    def _tensors(self, module) -> dict:
        return {name: getattr(module, name) for name, _ in self.tensors}

    def sizes(self, module) -> tuple[int, int]:
        """``(input_size, hidden_size)`` read off the module's parameter shapes."""
        torch_sfx = self.chains[0][0]
        w_ih, w_hh = (getattr(module, stem + torch_sfx) for stem in ("weight_ih", "weight_hh"))
        return int(w_ih.shape[1]), int(w_hh.shape[0]) // self.family.blocks

    def state_sizes(self, module) -> dict[str, int]:
        """The size of every state in :attr:`states`: H, or P for h with a projection."""
        H = self.sizes(module)[1]
        P = int(getattr(module, "weight_hr" + self.chains[0][0]).shape[0]) \
            if self.proj_size else H
        return {s + sfx: (P if s == self.family.states[0] else H) for s in self.family.states
                for _, sfx in self.chains}

    # -- building (:class:`~.kinds.ModuleBuilding`) ------------------------------------------
    #: (layout field, torch's constructor keyword) of the configuration
    _KEYWORDS = (("bias", "bias"), ("nonlinearity", "nonlinearity"), ("proj_size", "proj_size"))

    # -- parameters ------------------------------------------------------------------------
    def set_params(self, module, params) -> None:
        """Write spec parameters into the module's stacked tensors, in place.

        Arguments:
            module: a module of this layout (seqcheck's own copy: it is overwritten).
            params: ``{spec name: array}`` with exactly this layout's parameters, of the
                declared shapes (``(H, D)``, ``(H, H)``, ``(H,)``; ``(H, 2H)`` for the input
                weights of a layer above two directions); converted to the module's dtype.

        >>> # b_ii, b_if, b_ic, b_io (numbered 8 to 11 here) stack into bias_ih in that order
        >>> import numpy as np, torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout = layout_for(torch.nn.LSTMCell)
        >>> cell = layout.make(1, 1)
        >>> layout.set_params(cell, {n: np.array([[float(k)]] if n[0] == "W" else [float(k)])
        ...                          for k, n in enumerate(layout.params)})
        >>> cell.bias_ih.tolist()
        [8.0, 9.0, 10.0, 11.0]
        """
        import torch

        given, wanted = set(params), set(self.params)
        if given != wanted:
            missing, unknown = sorted(wanted - given), sorted(given - wanted)
            raise SeqcheckError(
                f"parameters for {self.target} (spec {self.spec_name}) do not match: "
                f"missing {', '.join(missing) or 'none'}; unknown {', '.join(unknown) or 'none'}")
        tensors = self._tensors(module)
        with torch.no_grad():
            for torch_name, names in self.tensors:
                tensor = tensors[torch_name]
                rows = tensor.shape[0] // len(names)
                block = (rows, *tensor.shape[1:])
                for k, n in enumerate(names):
                    if np.shape(params[n]) != block:
                        raise SeqcheckError(
                            f"{n} has shape {np.shape(params[n])}, but {self.target} holds it "
                            f"in rows {k * rows}:{(k + 1) * rows} of {torch_name}, "
                            f"shape {block}")
                stacked = np.concatenate([np.asarray(params[n], dtype=np.float64) for n in names])
                tensor.copy_(torch.from_numpy(stacked).to(device=tensor.device,
                                                          dtype=tensor.dtype))

    def get_params(self, module) -> dict[str, np.ndarray]:
        """The module's parameters as spec parameters (float64 copies); inverse of set_params.

        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout = layout_for(torch.nn.GRU)
        >>> layout.get_params(layout.make(3, 2))["W_hn"].shape
        (2, 2)
        """
        return self._split({name: t.detach() for name, t in self._tensors(module).items()})

    def grads(self, module) -> dict[str, np.ndarray]:
        """The module parameters' ``.grad`` as spec parameters (float64).

        A parameter whose ``.grad`` is None took no part in the loss: its gradient is zero.
        If no parameter has a gradient, backward was not called, and that is an error.

        >>> # the gradients of a one-step loss, by spec name
        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout = layout_for(torch.nn.RNNCell)
        >>> cell = layout.make(3, 2)
        >>> cell(torch.ones(1, 3, dtype=torch.float64)).sum().backward()
        >>> sorted(layout.grads(cell))
        ['W_hh', 'W_ih', 'b_hh', 'b_ih']
        """
        import torch

        tensors = self._tensors(module)
        if all(t.grad is None for t in tensors.values()):
            raise SeqcheckError(f"no parameter of this {self.target} has a gradient: "
                                "call backward on a loss of its outputs first")
        return self._split({name: t.grad if t.grad is not None else torch.zeros_like(t)
                            for name, t in tensors.items()})

    def _split(self, tensors: dict) -> dict[str, np.ndarray]:
        out = {}
        for torch_name, names in self.tensors:
            stacked = tensors[torch_name].cpu().double().numpy()
            for name, block in zip(names, np.split(stacked, len(names))):
                out[name] = block.copy()
        return out

    # -- running -------------------------------------------------------------------------
    @abstractmethod
    def run(self, module, x, initial: dict) -> tuple[dict, dict]:
        """Run the module over a time-major sequence, differentiably.

        Arguments:
            module: a module of this layout.
            x: ``(T, B, D)`` tensor, time-major whatever the module's batch_first.
            initial: ``{state: (B, n)}`` for every state in :attr:`states` (n from
                :meth:`state_sizes`: H, or P for h with a projection).
        Returns:
            ``(per_step, final)``: ``{v: (T, B, n)}`` for every v in :attr:`outputs` and
            ``{state: (B, n)}`` for every state, as torch autograd tensors.
        """

    def _check_run_args(self, module, x, initial) -> tuple[int, int, dict[str, int]]:
        if set(initial) != set(self.states):
            raise SeqcheckError(f"{self.target} needs initial values for "
                                f"{', '.join(self.states)}; got {', '.join(sorted(initial))}")
        if x.dim() != 3 or x.shape[0] < 1:
            raise SeqcheckError(f"x must be a (T, B, D) tensor with T >= 1; got shape "
                                f"{tuple(x.shape)}")
        T, B = int(x.shape[0]), int(x.shape[1])
        n = self.state_sizes(module)
        for s in self.states:
            expect_shape(initial[s], (B, n[s]), f"initial {s}")
        return T, B, n
