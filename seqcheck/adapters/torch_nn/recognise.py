"""Recognition: which :class:`~.layouts.Layout` does a torch module, class or factory have?

An instance is read off its parameter names, shapes and attributes (:mod:`.structure`,
which held this module's readers before) and becomes a :class:`~.kinds.CellLayout` or
:class:`~.kinds.SequenceLayout` (:func:`~.kinds.layout_of_module`). torch's own classes
are known by name; any other class, and any factory, is called once as
``target(3, 5)`` (:data:`PROBE`) and its module recognised.
"""

from __future__ import annotations

from dataclasses import replace

from ...errors import SeqcheckError
from .families import FAMILIES
from .kinds import CellLayout, SequenceLayout, layout_of_module
from .layouts import Layout
from .modules import build_module, factory_name
from .structure import SUPPORTED

__all__ = ["PROBE", "layout_for"]

PROBE = (3, 5)  # D != H, so a swapped constructor argument shows


def layout_for(target) -> Layout:
    """Recognise a torch recurrent module (instance, class or factory); return its layout.

    Arguments:
        target: one of torch's RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU, a subclass,
            or a module using torch's parameter names (``weight_ih``, ``weight_hh``, and
            ``bias_ih``, ``bias_hh`` unless bias=False, for a cell; for a sequence module
            the same with ``_l{k}`` and ``_l{k}_reverse`` for every layer k and direction,
            and ``weight_hr_l{k}`` with a projection) and shapes (k*H rows: k = 4 LSTM,
            3 GRU, 1 RNN); as an instance, or as a class or factory called
            ``target(input_size, hidden_size)``. Any class but torch's own, and any
            factory, is called once as ``target(3, 5)`` to read its parameters.
    Returns:
        A :class:`CellLayout` or :class:`SequenceLayout`.
    Raises:
        SeqcheckError: naming what was found and what is supported.

    >>> # torch's LSTM, batch-first: spec lstm, h observed per step, h and c at the end
    >>> import torch
    >>> layout = layout_for(torch.nn.LSTM(3, 2, batch_first=True))
    >>> layout.spec_name, layout.outputs, layout.states, layout.batch_first
    ('lstm', ('h',), ('h', 'c'), True)
    >>> # two layers, two directions: the top layer's h per direction, every chain's states
    >>> layout = layout_for(torch.nn.GRU(3, 2, num_layers=2, bidirectional=True))
    >>> layout.spec_name, layout.outputs
    ('gru_2layers_bidirectional', ('h_l1', 'h_l1_reverse'))
    >>> layout.states
    ('h_l0', 'h_l0_reverse', 'h_l1', 'h_l1_reverse')
    """
    import torch

    if isinstance(target, torch.nn.Module):
        return layout_of_module(target)
    if isinstance(target, type):
        if not issubclass(target, torch.nn.Module):
            raise SeqcheckError(f"{target.__name__} is not a torch.nn.Module; {SUPPORTED}")
        for family in FAMILIES:
            if target is getattr(torch.nn, family.cell):
                return CellLayout(family, target)
            if target is getattr(torch.nn, family.sequence):
                return SequenceLayout(family, target)
    elif not callable(target):
        raise SeqcheckError(f"expected a torch.nn.Module, its class, or a factory called as "
                            f"target(input_size, hidden_size); got {type(target).__name__}; "
                            f"{SUPPORTED}")
    module = build_module(target, *PROBE)
    layout = replace(layout_of_module(module), factory=target)
    if layout.sizes(module) != PROBE:
        D, H = layout.sizes(module)
        raise SeqcheckError(
            f"{factory_name(target)}(3, 5) built a module with input size {D}, hidden size {H}; "
            "a target class or factory must take (input_size, hidden_size)")
    return layout
