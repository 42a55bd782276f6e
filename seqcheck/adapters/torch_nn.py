"""Layouts: how a torch.nn recurrent module's parameters and calls map onto a spec.

A :class:`Layout` is an immutable value saying which spec a target implements, how its
stacked parameter tensors split into the spec's named parameters, and how to run it over
a time-major sequence. :func:`layout_for` recognises torch's own classes, their
subclasses, and any ``nn.Module`` that uses torch's parameter names and shapes, given as
an instance, a class, or a factory called as ``factory(input_size, hidden_size)``.

=====================  =============  ================  ============
target                 spec           per-step outputs  final states
=====================  =============  ================  ============
``torch.nn.RNNCell``   ``rnn_torch``  h                 h
``torch.nn.LSTMCell``  ``lstm``       h, c              h, c
``torch.nn.GRUCell``   ``gru``        h                 h
``torch.nn.RNN``       ``rnn_torch``  h                 h
``torch.nn.LSTM``      ``lstm``       h                 h, c
``torch.nn.GRU``       ``gru``        h                 h
=====================  =============  ================  ============

What is observable: a cell is called once per step, so every step's states are seen. A
sequence module returns every step's h but only the last c (``c_n``), so its per-step
output is h and its final states are (h_T, c_T). Spec variables torch never returns (the
gates, and the lstm spec's ``y = softmax(h)``) are not compared.

torch stacks one block per gate (DESIGN, "Conventions"): LSTM in the order i, f, g, o,
where g is the spec's new memory ``c_tilde`` (``W_ic``, ``W_hc``); GRU in the order r, z, n.

Supported: one layer, one direction, ``bias=True``, tanh, no ``proj_size``; anything else
is rejected by name, never ignored (``dropout`` acts only between layers, so with one
layer torch itself ignores it). torch is imported only inside functions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..errors import SeqcheckError

__all__ = ["Family", "Layout", "CellLayout", "SequenceLayout", "FAMILIES", "layout_for"]


@dataclass(frozen=True)
class Family:
    """One kind of torch recurrent unit: its spec, states and stacked gate blocks.

    Arguments:
        spec_name: the bundled spec with torch's equations for this unit.
        states: the spec states the unit carries, in torch's ``hx`` order.
        stacks: for each torch tensor stem (``weight_ih``, ...), the spec parameters
            stacked in it from the top, one block of H rows each.
        cell, sequence: the names of torch's classes, e.g. ``"LSTMCell"`` and ``"LSTM"``.
    """

    spec_name: str
    states: tuple[str, ...]
    stacks: tuple[tuple[str, tuple[str, ...]], ...]
    cell: str
    sequence: str

    @property
    def blocks(self) -> int:
        """How many H-row blocks each stacked tensor holds (k in k*H)."""
        return len(self.stacks[0][1])


FAMILIES = (
    Family(
        "lstm", ("h", "c"),
        # torch's i, f, g, o; g is the spec's new memory c_tilde.
        (("weight_ih", ("W_ii", "W_if", "W_ic", "W_io")),
         ("weight_hh", ("W_hi", "W_hf", "W_hc", "W_ho")),
         ("bias_ih", ("b_ii", "b_if", "b_ic", "b_io")),
         ("bias_hh", ("b_hi", "b_hf", "b_hc", "b_ho"))),
        "LSTMCell", "LSTM"),
    Family(
        "gru", ("h",),
        (("weight_ih", ("W_ir", "W_iz", "W_in")),
         ("weight_hh", ("W_hr", "W_hz", "W_hn")),
         ("bias_ih", ("b_ir", "b_iz", "b_in")),
         ("bias_hh", ("b_hr", "b_hz", "b_hn"))),
        "GRUCell", "GRU"),
    Family(
        "rnn_torch", ("h",),
        (("weight_ih", ("W_ih",)), ("weight_hh", ("W_hh",)),
         ("bias_ih", ("b_ih",)), ("bias_hh", ("b_hh",))),
        "RNNCell", "RNN"),
)
_BY_BLOCKS = {f.blocks: f for f in FAMILIES}
_STEMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_SUPPORTED = ("supported: torch.nn.RNNCell, LSTMCell, GRUCell, single-layer unidirectional "
              "torch.nn.RNN, LSTM, GRU (tanh, bias=True, no proj_size), their subclasses, "
              "and modules with their parameter names and shapes")


@dataclass(frozen=True)
class Layout(ABC):
    """How modules built by ``factory`` map onto spec ``family.spec_name``.

    See the module docstring for what each kind of layout observes.

    Arguments:
        family: the unit (LSTM, GRU or tanh RNN).
        factory: what :meth:`make` calls as ``factory(input_size, hidden_size)``: torch's
            class, a subclass, a user's class, or a function returning a module.
    """

    family: Family
    factory: Callable

    suffix = ""  # torch's parameter names: "weight_ih" + suffix

    @property
    def spec_name(self) -> str:
        return self.family.spec_name

    @property
    def states(self) -> tuple[str, ...]:
        """Spec states the target carries; ``run`` takes and returns each of them."""
        return self.family.states

    @property
    @abstractmethod
    def outputs(self) -> tuple[str, ...]:
        """Spec variables ``run`` returns at every step."""

    @property
    def params(self) -> tuple[str, ...]:
        """Every spec parameter, in torch's stacking order."""
        return tuple(name for _, names in self.family.stacks for name in names)

    @property
    def target(self) -> str:
        """The factory's name as a user would write it, e.g. ``torch.nn.LSTM``."""
        return _name(self.factory)

    def _tensors(self, module) -> dict:
        return {stem: getattr(module, stem + self.suffix) for stem, _ in self.family.stacks}

    def sizes(self, module) -> tuple[int, int]:
        """``(input_size, hidden_size)`` read off the module's parameter shapes."""
        w = self._tensors(module)
        return int(w["weight_ih"].shape[1]), int(w["weight_hh"].shape[1])

    def _construct(self, input_size: int, hidden_size: int):
        return _call(self.factory, input_size, hidden_size)

    def make(self, input_size: int, hidden_size: int, dtype="float64"):
        """A fresh module from ``factory``, not touching torch's RNG.

        Arguments:
            input_size, hidden_size: D and H.
            dtype: a torch dtype, or a NumPy dtype or its name.
        Returns:
            The module, in ``dtype``, its layout equal to this one.

        >>> # a float64 LSTM cell with D = 3, H = 2
        >>> import torch
        >>> layout_for(torch.nn.LSTMCell).make(3, 2).weight_ih.shape
        torch.Size([8, 3])
        """
        module = self._construct(input_size, hidden_size).to(_torch_dtype(dtype))
        built = replace(layout_for(module), factory=self.factory)
        if built != self or self.sizes(module) != (input_size, hidden_size):
            raise SeqcheckError(
                f"{self.target}({input_size}, {hidden_size}) built a module with input size "
                f"{built.sizes(module)[0]}, hidden size {built.sizes(module)[1]} "
                f"({type(built).__name__} of spec {built.spec_name}), "
                f"not the expected {type(self).__name__} of spec {self.spec_name}")
        return module

    def set_params(self, module, params) -> None:
        """Write spec parameters into the module's stacked tensors, in place.

        Arguments:
            module: a module of this layout (seqcheck's own copy: it is overwritten).
            params: ``{spec name: array}`` with exactly this layout's parameters, of the
                declared shapes (``(H, D)``, ``(H, H)``, ``(H,)``); converted to the
                module's dtype.

        >>> # b_ii, b_if, b_ic, b_io (numbered 8 to 11 here) stack into bias_ih in that order
        >>> import numpy as np, torch
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
            for stem, names in self.family.stacks:
                tensor = tensors[stem]
                rows = tensor.shape[0] // len(names)
                block = (rows, *tensor.shape[1:])
                for k, n in enumerate(names):
                    if np.shape(params[n]) != block:
                        raise SeqcheckError(
                            f"{n} has shape {np.shape(params[n])}, but {self.target} holds it "
                            f"in rows {k * rows}:{(k + 1) * rows} of {stem + self.suffix}, "
                            f"shape {block}")
                stacked = np.concatenate([np.asarray(params[n], dtype=np.float64) for n in names])
                tensor.copy_(torch.from_numpy(stacked).to(tensor.dtype))

    def get_params(self, module) -> dict[str, np.ndarray]:
        """The module's parameters as spec parameters (float64 copies); inverse of set_params.

        >>> import torch
        >>> layout = layout_for(torch.nn.GRU)
        >>> layout.get_params(layout.make(3, 2))["W_hn"].shape
        (2, 2)
        """
        return self._split({stem: t.detach() for stem, t in self._tensors(module).items()})

    def grads(self, module) -> dict[str, np.ndarray]:
        """The module parameters' ``.grad`` as spec parameters (float64).

        A parameter whose ``.grad`` is None took no part in the loss: its gradient is zero.
        If no parameter has a gradient, backward was not called, and that is an error.

        >>> # the gradients of a one-step loss, by spec name
        >>> import torch
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
        return self._split({stem: t.grad if t.grad is not None else torch.zeros_like(t)
                            for stem, t in tensors.items()})

    def _split(self, tensors: dict) -> dict[str, np.ndarray]:
        out = {}
        for stem, names in self.family.stacks:
            stacked = tensors[stem].cpu().double().numpy()
            for name, block in zip(names, np.split(stacked, len(names))):
                out[name] = block.copy()
        return out

    @abstractmethod
    def run(self, module, x, initial: dict) -> tuple[dict, dict]:
        """Run the module over a time-major sequence, differentiably.

        Arguments:
            module: a module of this layout.
            x: ``(T, B, D)`` tensor, time-major whatever the module's batch_first.
            initial: ``{state: (B, H) tensor}`` for every state in :attr:`states`.
        Returns:
            ``(per_step, final)``: ``{v: (T, B, H)}`` for every v in :attr:`outputs` and
            ``{state: (B, H)}`` for every state, as torch autograd tensors.
        """

    def _check_run_args(self, module, x, initial) -> tuple[int, int, int]:
        if set(initial) != set(self.states):
            raise SeqcheckError(f"{self.target} needs initial values for "
                                f"{', '.join(self.states)}; got {', '.join(sorted(initial))}")
        if x.dim() != 3 or x.shape[0] < 1:
            raise SeqcheckError(f"x must be a (T, B, D) tensor with T >= 1; got shape "
                                f"{tuple(x.shape)}")
        T, B = int(x.shape[0]), int(x.shape[1])
        H = self.sizes(module)[1]
        for s in self.states:
            _expect_shape(initial[s], (B, H), f"initial {s}")
        return T, B, H


@dataclass(frozen=True)
class CellLayout(Layout):
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
        >>> layout = layout_for(torch.nn.GRUCell)
        >>> x = torch.zeros(3, 2, 4, dtype=torch.float64)
        >>> per_step, final = layout.run(layout.make(4, 5), x, {"h": torch.zeros(2, 5).double()})
        >>> tuple(per_step["h"].shape), tuple(final["h"].shape)
        ((3, 2, 5), (2, 5))
        """
        import torch

        T, B, H = self._check_run_args(module, x, initial)
        lstm = self.states == ("h", "c")
        state = (initial["h"], initial["c"]) if lstm else initial["h"]
        trace = {s: [] for s in self.states}
        for t in range(T):
            state = module(x[t], state)
            values = tuple(state) if lstm else (state,)
            if len(values) != len(self.states):
                raise SeqcheckError(
                    f"{self.target}(x_t, hx) returned {len(values)} values; a "
                    f"{self.family.cell} returns {' and '.join(self.states)}")
            for s, v in zip(self.states, values):
                _expect_shape(v, (B, H), f"{s} at step {t + 1}")
                trace[s].append(v)
        per_step = {s: torch.stack(trace[s]) for s in self.states}
        return per_step, {s: trace[s][-1] for s in self.states}


@dataclass(frozen=True)
class SequenceLayout(Layout):
    """A single-layer sequence module (torch.nn.LSTM and kin), called once on the sequence.

    Arguments:
        batch_first: the module takes and returns ``(B, T, ·)``; :meth:`run` transposes.

    Only h is returned at every step; every state is returned at the end.
    """

    batch_first: bool = False

    suffix = "_l0"

    @property
    def outputs(self) -> tuple[str, ...]:
        return ("h",)

    def _construct(self, input_size: int, hidden_size: int):
        module = _call(self.factory, input_size, hidden_size)
        if self.batch_first and not getattr(module, "batch_first", False):
            # torch's classes take batch_first as a keyword; a user's class may fix it.
            module = _call(self.factory, input_size, hidden_size, batch_first=True)
        return module

    def run(self, module, x, initial: dict) -> tuple[dict, dict]:
        """See :meth:`Layout.run`.

        >>> # an LSTM over four steps; h at every step, h and c at the end
        >>> import torch
        >>> layout = layout_for(torch.nn.LSTM(3, 2, batch_first=True).double())
        >>> zero = torch.zeros(5, 2, dtype=torch.float64)
        >>> per_step, final = layout.run(layout.make(3, 2), torch.ones(4, 5, 3).double(),
        ...                              {"h": zero, "c": zero})
        >>> tuple(per_step["h"].shape), sorted(final)
        ((4, 5, 2), ['c', 'h'])
        """
        T, B, H = self._check_run_args(module, x, initial)
        hx = tuple(initial[s].unsqueeze(0) for s in self.states)
        result = module(x.transpose(0, 1) if self.batch_first else x,
                        hx if len(hx) > 1 else hx[0])
        expected = "(output, (h_n, c_n))" if len(hx) > 1 else "(output, h_n)"
        try:
            out, last = result
            last = tuple(last) if len(hx) > 1 else (last,)
        except (TypeError, ValueError):
            raise SeqcheckError(f"{self.target}(x, hx) returned {type(result).__name__}; "
                                f"expected {expected} as torch.nn.{self.family.sequence} "
                                "does") from None
        if len(last) != len(hx):
            raise SeqcheckError(f"{self.target}(x, hx) returned {len(last)} final states; "
                                f"expected {expected}")
        if self.batch_first:
            out = out.transpose(0, 1)
        _expect_shape(out, (T, B, H), "output")
        final = {}
        for s, v in zip(self.states, last):
            _expect_shape(v, (1, B, H), f"final {s}")
            final[s] = v[0]
        return {"h": out}, final


def _expect_shape(tensor, shape: tuple, what: str) -> None:
    if tuple(tensor.shape) != shape:
        raise SeqcheckError(f"{what} has shape {tuple(tensor.shape)}; expected {shape}")


def _torch_dtype(dtype):
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    return torch.from_numpy(np.zeros(0, dtype=np.dtype(dtype))).dtype


def _name(factory) -> str:
    import torch

    name = getattr(factory, "__name__", None)
    if name is None:
        return type(factory).__name__
    return f"torch.nn.{name}" if getattr(torch.nn, name, None) is factory else name


def _call(factory, input_size: int, hidden_size: int, **kwargs):
    """``factory(input_size, hidden_size)``, a module, built without touching torch's RNG."""
    import torch

    call = ", ".join([str(input_size), str(hidden_size), *(f"{k}={v}" for k, v in kwargs.items())])
    with torch.random.fork_rng(devices=[]):
        try:
            module = factory(input_size, hidden_size, **kwargs)
        except Exception as e:
            raise SeqcheckError(
                f"could not build {_name(factory)}({call}): {type(e).__name__}: {e}\n"
                "  hint: a target class or factory is called as target(input_size, "
                "hidden_size); otherwise pass an instance") from e
    if not isinstance(module, torch.nn.Module):
        raise SeqcheckError(f"{_name(factory)}({call}) returned {type(module).__name__}, "
                            "not a torch.nn.Module")
    return module


# -- recognition ----------------------------------------------------------------------
_PROBE = (3, 5)  # D != H, so a swapped constructor argument shows


def layout_for(target) -> Layout:
    """Recognise a torch recurrent module (instance, class or factory); return its layout.

    Arguments:
        target: one of torch's RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU, a subclass,
            or a module using torch's parameter names (``weight_ih``, ``weight_hh``,
            ``bias_ih``, ``bias_hh`` for a cell; with ``_l0`` for a sequence module) and
            shapes (k*H rows: k = 4 LSTM, 3 GRU, 1 RNN); as an instance, or as a class or
            factory called ``target(input_size, hidden_size)``. Any class but torch's own,
            and any factory, is called once as ``target(3, 5)`` to read its parameters.
    Returns:
        A :class:`CellLayout` or :class:`SequenceLayout`.
    Raises:
        SeqcheckError: naming what was found and what is supported.

    >>> # torch's LSTM, batch-first: spec lstm, h observed per step, h and c at the end
    >>> import torch
    >>> layout = layout_for(torch.nn.LSTM(3, 2, batch_first=True))
    >>> layout.spec_name, layout.outputs, layout.states, layout.batch_first
    ('lstm', ('h',), ('h', 'c'), True)
    """
    import torch

    if isinstance(target, torch.nn.Module):
        return _layout_of_instance(target, torch)
    if isinstance(target, type):
        if not issubclass(target, torch.nn.Module):
            raise SeqcheckError(f"{target.__name__} is not a torch.nn.Module; {_SUPPORTED}")
        for family in FAMILIES:
            if target is getattr(torch.nn, family.cell):
                return CellLayout(family, target)
            if target is getattr(torch.nn, family.sequence):
                return SequenceLayout(family, target)
    elif not callable(target):
        raise SeqcheckError(f"expected a torch.nn.Module, its class, or a factory called as "
                            f"target(input_size, hidden_size); got {type(target).__name__}; "
                            f"{_SUPPORTED}")
    module = _call(target, *_PROBE)
    layout = replace(_layout_of_instance(module, torch), factory=target)
    if layout.sizes(module) != _PROBE:
        D, H = layout.sizes(module)
        raise SeqcheckError(
            f"{_name(target)}(3, 5) built a module with input size {D}, hidden size {H}; "
            "a target class or factory must take (input_size, hidden_size)")
    return layout


def _layout_of_instance(module, torch) -> Layout:
    cls = type(module)
    name = _name(cls)
    _reject_unsupported(module, name)
    params = dict(module.named_parameters())
    # The names decide the calling convention: weight_ih... a cell, weight_ih_l0... a sequence.
    suffix = next((sfx for sfx in ("", "_l0") if set(params) == {s + sfx for s in _STEMS}), None)
    sequence = suffix == "_l0"
    if suffix is None:
        for sfx in ("", "_l0"):
            if set(params) == {"weight_ih" + sfx, "weight_hh" + sfx}:
                raise SeqcheckError(
                    f"{name} has no bias parameters (bias_ih{sfx}, bias_hh{sfx}); bias=False "
                    "is not yet supported: spec lstm, gru and rnn_torch have two biases per "
                    "gate")
        found = ", ".join(params) or "none"
        raise SeqcheckError(
            f"{name} has parameters {found}; a torch layout needs exactly weight_ih, "
            "weight_hh, bias_ih, bias_hh (a cell, called as module(x_t, hx)) or "
            "weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (a sequence module, called "
            f"as module(x, hx)); {_SUPPORTED}")
    shapes = {stem: tuple(params[stem + suffix].shape) for stem in _STEMS}
    family = _family_from_shapes(shapes)
    torch_family = next((f for f in FAMILIES for c in (f.cell, f.sequence)
                         if issubclass(cls, getattr(torch.nn, c))), None)
    if torch_family is not None:
        torch_sequence = issubclass(cls, getattr(torch.nn, torch_family.sequence))
        if family is not torch_family or torch_sequence != sequence:
            family = None
    if family is None:
        k = (f"k = {torch_family.blocks}" if torch_family else
             "k = 4 (LSTM), 3 (GRU) or 1 (RNN)")
        found = ", ".join(f"{stem + suffix} {s}" for stem, s in shapes.items())
        raise SeqcheckError(
            f"{name}: parameter shapes do not fit torch's layout: {found}\n"
            f"  expected weight_ih{suffix} (k*H, D), weight_hh{suffix} (k*H, H), "
            f"bias_ih{suffix} (k*H,), bias_hh{suffix} (k*H,) with {k}")
    if sequence:
        return SequenceLayout(family, cls, bool(getattr(module, "batch_first", False)))
    return CellLayout(family, cls)


def _family_from_shapes(shapes: dict) -> Family | None:
    w_ih, w_hh = shapes["weight_ih"], shapes["weight_hh"]
    if len(w_ih) != 2 or len(w_hh) != 2 or w_hh[1] == 0 or w_hh[0] % w_hh[1]:
        return None
    H = w_hh[1]
    family = _BY_BLOCKS.get(w_hh[0] // H)
    if family is None:
        return None
    rows = family.blocks * H
    fits = (w_ih[0] == rows and shapes["bias_ih"] == (rows,) and shapes["bias_hh"] == (rows,))
    return family if fits else None


def _reject_unsupported(module, name: str) -> None:
    """Refuse, by name, every torch attribute the layouts do not implement."""
    num_layers = getattr(module, "num_layers", 1)
    if num_layers != 1:
        raise SeqcheckError(f"{name} has num_layers={num_layers}; only num_layers=1 is "
                            "supported\n  hint: verify each layer as its own single-layer "
                            "module")
    if getattr(module, "bidirectional", False):
        raise SeqcheckError(f"{name} has bidirectional=True; only unidirectional modules "
                            "are supported\n  hint: verify each direction as its own "
                            "unidirectional module (the backward one on the time-reversed "
                            "input)")
    proj_size = getattr(module, "proj_size", 0)
    if proj_size:
        raise SeqcheckError(f"{name} has proj_size={proj_size}; LSTMs with projections are "
                            "not yet supported (spec lstm has no projection)")
    nonlinearity = getattr(module, "nonlinearity", "tanh")
    if isinstance(nonlinearity, str) and nonlinearity != "tanh":
        raise SeqcheckError(f"{name} has nonlinearity={nonlinearity!r}; not yet supported: "
                            "spec rnn_torch is the tanh RNN")
    if getattr(module, "bias", True) is False:
        raise SeqcheckError(f"{name} has bias=False; not yet supported: spec lstm, gru and "
                            "rnn_torch have two biases per gate")
