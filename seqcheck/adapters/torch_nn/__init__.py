"""Layouts: how a torch.nn recurrent module's parameters and calls map onto a spec.

A :class:`Layout` (:mod:`.layouts`) is an immutable value saying which spec a target
implements (:mod:`.specs`), how its stacked parameter tensors split into the spec's named
parameters, and how to run it over a time-major sequence; it is a :class:`CellLayout` or a
:class:`SequenceLayout` (:mod:`.kinds`) of one unit of the table :data:`FAMILIES`
(:mod:`.families`). :func:`layout_for` (:mod:`.recognise`) recognises torch's own classes,
their subclasses, and any ``nn.Module`` that uses torch's parameter names and shapes (read
by :mod:`.structure`), given as an instance, a class, or a factory called as
``factory(input_size, hidden_size)``. :class:`TorchTarget` (:mod:`.target`) runs one under
:func:`seqcheck.verify`; :mod:`.modules` holds the helpers that build and name modules.

===========================  =====================  ===================  ===================
target                       spec                   per-step outputs     final states
===========================  =====================  ===================  ===================
``torch.nn.RNNCell``         ``rnn_torch``          h                    h
``torch.nn.LSTMCell``        ``lstm``               h, c                 h, c
``torch.nn.GRUCell``         ``gru``                h                    h
``torch.nn.RNN``             ``rnn_torch``          h                    h
``torch.nn.LSTM``            ``lstm``               h                    h, c
``torch.nn.GRU``             ``gru``                h                    h
``nonlinearity="relu"``      ``rnn_torch_relu``     as above             as above
``bias=False``               ``<spec>_nobias``      as above             as above
``LSTM(proj_size=P)``        ``lstm_proj``          h (size P)           h (size P), c
``num_layers=L``             ``<spec>_Llayers``     h_l{L-1}             h_l{k}, c_l{k}
``bidirectional=True``       ``<spec>[_Llayers]``   h_l{L-1},            h_l{k}, h_l{k}_reverse,
                             ``_bidirectional``     h_l{L-1}_reverse     c_l{k}, c_l{k}_reverse
===========================  =====================  ===================  ===================

The rows combine: ``torch.nn.GRU(bias=False, num_layers=2, bidirectional=True)`` follows
``gru_nobias_2layers_bidirectional``, which :func:`seqcheck.spec.compose.stacked` builds
from ``gru_nobias``. ``batch_first`` changes only how the module is called.

What is observable: a cell is called once per step, so every step's states are seen. A
sequence module returns every step's h of its top layer (``output``; with two directions
side by side, the forward chain's in ``output[..., :n]``) but every other state only at
the end of its sweep (``h_n``, ``c_n``, row ``k = layer * num_directions + direction``;
a backward chain ends at t = 1). Spec variables torch never returns (the gates, the lower
layers' per-step h, and the lstm spec's ``y = softmax(h)``) are not compared. Initial
states are given per chain and packed into torch's ``(L * num_directions, B, n)`` h_0/c_0.

torch stacks one block per gate (docs/conventions.md): LSTM in the order i, f, g, o,
where g is the spec's new memory ``c_tilde`` (``W_ic``, ``W_hc``); GRU in the order r, z, n.
Chain ``_l{k}[_reverse]`` of torch's tensors is chain ``_l{k}[_reverse]`` of the spec's
names (``weight_ih_l1_reverse`` holds ``W_ii_l1_reverse``, ...); a single chain keeps the
cell spec's names.

``dropout``: torch zeroes a random part of every layer's output but the last, only in
training mode. seqcheck verifies the deterministic function: a module with more than one
layer and ``dropout > 0`` is refused in training mode and accepted in eval mode, where
torch applies no dropout. seqcheck never switches a module's mode; it runs its copy in
the mode the module (or the factory's) is in. Anything else torch's layouts do not
implement is rejected by name, never ignored. torch is imported only inside functions.
"""

from .families import FAMILIES, Family
from .kinds import CellLayout, SequenceLayout
from .layouts import Layout
from .recognise import layout_for
from .target import TorchTarget

__all__ = ["Family", "Layout", "CellLayout", "SequenceLayout", "FAMILIES", "layout_for",
           "TorchTarget"]
