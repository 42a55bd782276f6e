"""The torch recurrent units, one table row each: LSTM, GRU and RNN.

A :class:`Family` names the bundled spec with torch's equations for the unit, the states it
carries, and for each of torch's stacked tensors (``weight_ih``, ...) the spec parameters
stacked in it, one block of H rows each, in torch's gate order (docs/conventions.md): LSTM
i, f, g, o, where g is the spec's new memory ``c_tilde``; GRU r, z, n.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Family", "FAMILIES", "PROJECTION"]


@dataclass(frozen=True)
class Family:
    """One kind of torch recurrent unit: its spec, states and stacked gate blocks.

    Arguments:
        spec_name: the bundled spec with torch's equations for this unit.
        states: the spec states the unit carries, in torch's ``hx`` order; the first, h,
            is what a sequence module returns at every step.
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

#: torch.nn.LSTM's projection (proj_size > 0): weight_hr_l{k} is spec lstm_proj's W_hr, (P, H).
PROJECTION = ("weight_hr", ("W_hr",))
