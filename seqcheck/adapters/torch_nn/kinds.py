"""The two kinds of layout, a cell and a sequence module: how each runs and builds its module.

A :class:`CellLayout` is called as ``module(x_t, hx)`` once per step, so every step's
states are seen; a :class:`SequenceLayout` is called once on the whole sequence and returns
its top layer's h at every step and every chain's states at the end. Both build their
modules the same way (:class:`ModuleBuilding`): ``factory(D, H)``, checked by recognising
the module built (:func:`layout_of_module`, from :mod:`.structure`'s reading of it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

from ...errors import SeqcheckError
from .layouts import Layout
from .modules import build_module, expect_shape, original_module, torch_dtype
from .packing import run_packed
from .structure import read_configuration

__all__ = ["CellLayout", "ModuleBuilding", "SequenceLayout", "layout_of_module"]

_ONEDNN_NOTICE = "LSTM with projections is not supported with oneDNN"


class ModuleBuilding:
    """How a layout builds a module of its own: a mixin of :class:`CellLayout` and
    :class:`SequenceLayout`, on top of the fields of :class:`~.layouts.Layout`."""

    def construct(self, input_size: int, hidden_size: int):
        """``factory(input_size, hidden_size)``; again with torch's keywords (``num_layers=2``,
        ``bias=False``, ...) for what that module lacks, as torch's classes take them.

        A user's class that fixes its configuration builds the right module the first time.
        """
        module = build_module(self.factory, input_size, hidden_size)
        built = layout_of_module(module)
        keywords = {kw: getattr(self, field) for field, kw in self._KEYWORDS
                    if getattr(built, field) != getattr(self, field)}
        if keywords:
            module = build_module(self.factory, input_size, hidden_size, **keywords)
        return module

    def make(self, input_size: int, hidden_size: int, dtype="float64"):
        """A fresh module from ``factory``, not touching torch's RNG.

        Arguments:
            input_size, hidden_size: D and H.
            dtype: a torch dtype, or a NumPy dtype or its name.
        Returns:
            The module, in ``dtype``, its layout equal to this one.

        >>> # a float64 LSTM cell with D = 3, H = 2
        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout_for(torch.nn.LSTMCell).make(3, 2).weight_ih.shape
        torch.Size([8, 3])
        """
        module = self.construct(input_size, hidden_size).to(torch_dtype(dtype))
        built = replace(layout_of_module(module), factory=self.factory)
        if built != self or self.sizes(module) != (input_size, hidden_size):
            raise SeqcheckError(
                f"{self.target}({input_size}, {hidden_size}) built a module with input size "
                f"{built.sizes(module)[0]}, hidden size {built.sizes(module)[1]} "
                f"({type(built).__name__} of spec {built.spec_name}), "
                f"not the expected {type(self).__name__} of spec {self.spec_name}")
        return module


@dataclass(frozen=True)
class CellLayout(ModuleBuilding, Layout):
    """A one-step cell (torch.nn.LSTMCell and kin), called as ``module(x_t, hx)`` per step.

    Every step's states are observable, so :attr:`outputs` are all the states.
    """

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.states

    def run(self, module, x, initial: dict) -> tuple[dict, dict]:
        """See :meth:`Layout.run`.

        >>> # three steps of a GRU cell from h_0 = 0
        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout = layout_for(torch.nn.GRUCell)
        >>> x = torch.zeros(3, 2, 4, dtype=torch.float64)
        >>> per_step, final = layout.run(layout.make(4, 5), x, {"h": torch.zeros(2, 5).double()})
        >>> tuple(per_step["h"].shape), tuple(final["h"].shape)
        ((3, 2, 5), (2, 5))
        """
        import torch

        T, B, n = self._check_run_args(module, x, initial)
        pair = len(self.states) == 2  # an LSTM cell takes and returns (h, c)
        state = tuple(initial[s] for s in self.states) if pair else initial[self.states[0]]
        trace = {s: [] for s in self.states}
        for t in range(T):
            state = module(x[t], state)
            values = tuple(state) if pair else (state,)
            if len(values) != len(self.states):
                raise SeqcheckError(
                    f"{self.target}(x_t, hx) returned {len(values)} values; a "
                    f"{self.family.cell} returns {' and '.join(self.states)}")
            for s, v in zip(self.states, values):
                expect_shape(v, (B, n[s]), f"{s} at step {t + 1}")
                trace[s].append(v)
        per_step = {s: torch.stack(trace[s]) for s in self.states}
        return per_step, {s: trace[s][-1] for s in self.states}


@dataclass(frozen=True)
class SequenceLayout(ModuleBuilding, Layout):
    """A sequence module (torch.nn.LSTM and kin), called once on the whole sequence.

    Arguments:
        batch_first: the module takes and returns ``(B, T, ·)``; :meth:`run` transposes.
        layers: torch's ``num_layers``; layer k > 0 reads layer k - 1's h (both halves).
        bidirectional: every layer has a forward and a backward chain.

    torch returns the top layer's h at every step (both directions side by side) and every
    chain's states at the end (``h_n``, ``c_n``, one row per chain).
    """

    batch_first: bool = False
    layers: int = 1
    bidirectional: bool = False

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.layers, int) or self.layers < 1:
            raise SeqcheckError(f"layers must be an int >= 1; got {self.layers!r}")

    @property
    def chains(self) -> tuple[tuple[str, str], ...]:
        from ...spec.compose import suffix

        directions = (False, True) if self.bidirectional else (False,)
        return tuple((f"_l{k}" + ("_reverse" if r else ""),
                      suffix(k, r, layers=self.layers, bidirectional=self.bidirectional))
                     for k in range(self.layers) for r in directions)

    def _configuration(self) -> list[str]:
        words = [f"{self.layers} layers"] if self.layers > 1 else []
        words += ["bidirectional"] if self.bidirectional else []
        words += ["batch_first"] if self.batch_first else []
        return words + super()._configuration()

    @property
    def outputs(self) -> tuple[str, ...]:
        """The top layer's h, one per direction: ``h`` alone, or ``h_l1, h_l1_reverse``."""
        top = self.chains[-(1 + self.bidirectional):]
        return tuple(self.family.states[0] + sfx for _, sfx in top)

    _KEYWORDS = (("batch_first", "batch_first"), ("layers", "num_layers"),
                 ("bidirectional", "bidirectional"), *Layout._KEYWORDS)

    def run(self, module, x, initial: dict, lengths=None,
            enforce_sorted: bool = False) -> tuple[dict, dict]:
        """See :meth:`Layout.run`; initial states go in as torch's ``(L * dirs, B, n)``.
        With ``lengths`` (one per row, 1..T), the rows run packed
        (:func:`~.packing.run_packed`), their padded outputs 0.

        >>> # a two-layer bidirectional LSTM over four steps: the top layer's h per step
        >>> import torch
        >>> from seqcheck.adapters.torch_nn import layout_for
        >>> layout = layout_for(torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True))
        >>> zero = {s: torch.zeros(5, 2, dtype=torch.float64) for s in layout.states}
        >>> per_step, final = layout.run(layout.make(3, 2), torch.ones(4, 5, 3).double(), zero)
        >>> {v: tuple(h.shape) for v, h in per_step.items()}
        {'h_l1': (4, 5, 2), 'h_l1_reverse': (4, 5, 2)}
        >>> sorted(final)[:3]
        ['c_l0', 'c_l0_reverse', 'c_l1']
        """
        import torch

        T, B, n = self._check_run_args(module, x, initial)
        chains = [sfx for _, sfx in self.chains]
        states = self.family.states
        hx = tuple(torch.stack([initial[s + sfx] for sfx in chains]) for s in states)
        with warnings.catch_warnings():
            # torch's notice that it computes a projection without oneDNN: how, not what
            warnings.filterwarnings("ignore", _ONEDNN_NOTICE, UserWarning)
            if lengths is not None:
                out, last = run_packed(module, x, hx, lengths, enforce_sorted=enforce_sorted,
                                       batch_first=self.batch_first)
            else:
                out, last = self._unpacked(module(x.transpose(0, 1) if self.batch_first else x,
                                                  hx if len(hx) > 1 else hx[0]), len(hx))
                out = out.transpose(0, 1) if self.batch_first else out
        width = n[self.outputs[0]]
        expect_shape(out, (T, B, len(self.outputs) * width), "output")
        # torch puts the directions side by side: forward h in [:n], backward h in [n:]
        per_step = {v: out[..., d * width:(d + 1) * width] for d, v in enumerate(self.outputs)}
        final = {}
        for s, v in zip(states, last):
            expect_shape(v, (len(chains), B, n[s + chains[0]]), f"final {s}")
            for k, sfx in enumerate(chains):
                final[s + sfx] = v[k]
        return per_step, final

    def _unpacked(self, result, states: int) -> tuple:
        """``(output, final states as a tuple)`` from what the module returned, checked."""
        expected = "(output, (h_n, c_n))" if states > 1 else "(output, h_n)"
        try:
            out, last = result
            last = tuple(last) if states > 1 else (last,)
        except (TypeError, ValueError):
            raise SeqcheckError(f"{self.target}(x, hx) returned {type(result).__name__}; "
                                f"expected {expected} as torch.nn.{self.family.sequence} "
                                "does") from None
        if len(last) != states:
            raise SeqcheckError(f"{self.target}(x, hx) returned {len(last)} final states; "
                                f"expected {expected}")
        return out, last


def layout_of_module(module) -> Layout:
    """The layout of a torch module instance: its :func:`~.structure.read_configuration`
    as a :class:`CellLayout` or :class:`SequenceLayout` of its class.

    >>> # an LSTM cell's parameters make it a cell layout of spec lstm
    >>> import torch
    >>> layout = layout_of_module(torch.nn.LSTMCell(3, 2))
    >>> type(layout).__name__, layout.spec_name
    ('CellLayout', 'lstm')
    """
    module = original_module(module)  # torch.compile's wrapper: the layout of what it wraps
    found = read_configuration(module)
    kind = SequenceLayout if found.sequence else CellLayout
    return kind(found.family, type(module), **found.fields)
