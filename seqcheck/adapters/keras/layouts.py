"""Where a spec's parameters live in a Keras layer, and which spec its configuration follows.

Read from Keras 3.15.1's source (``keras/src/layers/rnn/``): every cell holds ``kernel``
``(D, kH)``, ``recurrent_kernel`` ``(H, kH)`` and, with ``use_bias``, ``bias``; a row vector
times the kernel, so each column block is a spec weight transposed. The blocks, left to
right (``LSTMCell.call``'s ``ops.split(z, 4)``, ``GRUCell.call``'s ``x_z, x_r, x_h``):

==============  ==============================  ================================================
cell            kernel / recurrent_kernel        bias
==============  ==============================  ================================================
LSTMCell        i, f, c, o: W_i{g}.T / W_h{g}.T  (4H,): b_i{g} + b_h{g} per block (spec lstm)
GRUCell         z, r, h: W_i{g}.T / W_h{g}.T     reset_after=True (2, 3H): row 0 b_iz, b_ir, b_in;
                (Keras's h is the spec's n)      row 1 b_hz, b_hr, b_hn (spec gru);
                                                 reset_after=False (3H,): b_i{g} + b_h{g}
                                                 (spec gru_lbr0)
SimpleRNNCell   W_ih.T / W_hh.T                  (H,): b_ih + b_hh (spec rnn_torch)
==============  ==============================  ================================================

One Keras bias stands for the sum of two spec biases (a summed
:class:`~seqcheck.adapters.blocks.Term`): the spec depends on them only through their sum.
``use_bias=False`` drops the biases (``<spec>_nobias``); SimpleRNN's ``activation="relu"``
is ``rnn_torch_relu``. A layer with ``go_backwards`` runs one chain backwards in time
(``<spec>_reverse``, :func:`seqcheck.spec.compose.stacked`); ``Bidirectional`` runs a
forward chain ``_l0`` (``forward_layer``) and a backward one ``_l0_reverse``
(``backward_layer``), the names torch's bidirectional layouts use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ...errors import SeqcheckError
from ..blocks import Block, Stack, Term, check_covers, gates

__all__ = ["FAMILIES", "KINDS", "Configuration", "Family", "family_named"]


@dataclass(frozen=True)
class Family:
    """One Keras unit: its layer and cell classes, its gates and its states.

    Arguments:
        layer, cell: the class names in ``keras.layers``.
        gates: the spec's gate letters in Keras's column-block order ("" for one block).
        states: the spec's states, in the order Keras's cell takes and returns them.
    """

    layer: str
    cell: str
    gates: str
    states: tuple[str, ...]


FAMILIES = (
    Family("LSTM", "LSTMCell", "ifco", ("h", "c")),
    Family("GRU", "GRUCell", "zrn", ("h",)),
    Family("SimpleRNN", "SimpleRNNCell", "", ("h",)),
)

#: how a Keras object is called: one step at a time, once on the sequence, or both ways.
KINDS = ("cell", "layer", "bidirectional")


def family_named(name: str) -> Family:
    """The family whose layer or cell class is ``name`` (``"GRU"``, ``"GRUCell"``)."""
    return next(f for f in FAMILIES if name in (f.layer, f.cell))


@dataclass(frozen=True)
class Configuration:
    """What a Keras recurrent object computes, in the terms the spec needs.

    Arguments:
        family: its unit.
        kind: ``"cell"`` (called once per step), ``"layer"`` (an RNN layer over the whole
            sequence) or ``"bidirectional"`` (``keras.layers.Bidirectional``).
        use_bias: Keras's ``use_bias``.
        reset_after: GRU's ``reset_after`` (ignored for the other units).
        activation: SimpleRNN's ``"tanh"`` or ``"relu"`` (always tanh for LSTM and GRU).
        go_backwards: a layer that runs from t = T down to 1.

    >>> # keras.layers.GRU(reset_after=False, go_backwards=True)
    >>> config = Configuration(family_named("GRU"), "layer", reset_after=False,
    ...                        go_backwards=True)
    >>> config.spec_name, config.outputs, config.states
    ('gru_lbr0_reverse', ('h',), ('h',))
    >>> config.layout()["cell.bias"].parts[0]
    Term(params=('b_iz', 'b_hz'), transpose=False)
    """

    family: Family
    kind: str
    use_bias: bool = True
    reset_after: bool = True
    activation: str = "tanh"
    go_backwards: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SeqcheckError(f"kind must be one of {KINDS}; got {self.kind!r}")

    # -- the spec ------------------------------------------------------------------------
    @property
    def cell_spec_name(self) -> str:
        """The bundled spec of one step: ``lstm``, ``gru``, ``gru_lbr0`` or ``rnn_torch``."""
        if self.family.layer == "GRU":
            return "gru" if self.reset_after else "gru_lbr0"
        return "lstm" if self.family.layer == "LSTM" else "rnn_torch"

    @property
    def spec_name(self) -> str:
        """The name of :meth:`spec`, e.g. ``lstm_nobias_bidirectional``."""
        name = self.cell_spec_name
        name += f"_{self.activation}" if self.activation != "tanh" else ""
        name += "" if self.use_bias else "_nobias"
        if self.kind == "bidirectional":
            return name + "_bidirectional"
        return name + ("_reverse" if self.go_backwards else "")

    def spec(self):
        """The :class:`~seqcheck.spec.Spec` this configuration follows (built once)."""
        return _spec(self.cell_spec_name, self.use_bias, self.activation,
                     self.kind == "bidirectional", self.go_backwards, self.spec_name)

    # -- chains, states and outputs ----------------------------------------------------------
    @property
    def chains(self) -> tuple[tuple[str, str], ...]:
        """``(spec suffix, Keras attribute path of its cell)`` per chain."""
        if self.kind == "bidirectional":
            return (("_l0", "forward_layer.cell."), ("_l0_reverse", "backward_layer.cell."))
        return (("", "" if self.kind == "cell" else "cell."),)

    @property
    def states(self) -> tuple[str, ...]:
        """Every chain's states: ``h``, ``c``; or ``h_l0``, ``h_l0_reverse``, ``c_l0``, ..."""
        return tuple(s + sfx for s in self.family.states for sfx, _ in self.chains)

    @property
    def outputs(self) -> tuple[str, ...]:
        """Spec variables seen at every step: a cell's states; a layer's h, per chain."""
        if self.kind == "cell":
            return self.states
        return tuple(self.family.states[0] + sfx for sfx, _ in self.chains)

    # -- the layout ----------------------------------------------------------------------------
    def layout(self) -> dict[str, Block]:
        """``{attribute path of a Keras variable: Block}`` for every chain, checked to
        place every parameter of :meth:`spec` once."""
        return _layout(self)

    def describe(self) -> str:
        """The configuration in a few words: ``"GRU layer (reset_after=False, go_backwards)"``."""
        words = [] if self.use_bias else ["use_bias=False"]
        if self.family.layer == "GRU" and not self.reset_after:
            words.append("reset_after=False")
        if self.activation != "tanh":
            words.append(f"activation={self.activation!r}")
        if self.go_backwards:
            words.append("go_backwards")
        name = self.family.cell if self.kind == "cell" else self.family.layer
        if self.kind == "bidirectional":
            name = f"Bidirectional({name})"
        return name + (f" ({', '.join(words)})" if words else "")


@functools.cache
def _spec(base: str, use_bias: bool, activation: str, bidirectional: bool, reverse: bool,
          name: str):
    from ...spec.compose import stacked
    from ..torch_nn.specs import cell_spec

    cell = cell_spec(base, bias=use_bias, nonlinearity=activation)
    if not bidirectional and not reverse:
        return cell
    return stacked(cell, bidirectional=bidirectional, reverse=reverse, name=name)


@functools.cache
def _layout(config: Configuration) -> dict[str, Block]:
    layout: dict[str, Block] = {}
    letters = config.family.gates
    for sfx, path in config.chains:
        if letters:
            layout[path + "kernel"] = gates("W_i{g}" + sfx, letters, transpose=True, axis=1)
            layout[path + "recurrent_kernel"] = gates("W_h{g}" + sfx, letters,
                                                      transpose=True, axis=1)
        else:
            layout[path + "kernel"] = Term((f"W_ih{sfx}",), transpose=True)
            layout[path + "recurrent_kernel"] = Term((f"W_hh{sfx}",), transpose=True)
        if not config.use_bias:
            continue
        if not letters:
            layout[path + "bias"] = Term((f"b_ih{sfx}", f"b_hh{sfx}"))
        elif config.family.layer == "GRU" and config.reset_after:
            layout[path + "bias"] = Stack((gates("b_i{g}" + sfx, letters),
                                           gates("b_h{g}" + sfx, letters)))
        else:
            layout[path + "bias"] = gates(f"b_i{{g}}{sfx}+b_h{{g}}{sfx}", letters)
    check_covers(layout, config.spec(), f"keras.layers.{config.describe()}")
    return layout

