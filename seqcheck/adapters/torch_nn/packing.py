"""Variable-length batches the way torch users run them: ``PackedSequence``.

A sequence module (torch.nn.LSTM, GRU, RNN) runs rows of their own lengths when it is
called on ``torch.nn.utils.rnn.pack_padded_sequence(x, lengths)``; it returns a packed
output, which ``pad_packed_sequence`` pads back with zeros, and ``h_n`` (``c_n``) holding
each row's state after its own last step -- for a backward chain, its state at t = 1
after starting at the row's own end. That is the semantics of
:mod:`seqcheck.spec.lengths`, which verify holds the module to.

``enforce_sorted=True`` asks the caller to sort the batch by decreasing length; the
target then does what a user must: sorts the rows (and the initial states with them),
packs, runs, and puts the rows back in their order. ``enforce_sorted=False`` leaves the
permutation to torch, which sorts the rows and their initial states itself.
"""

from __future__ import annotations

__all__ = ["run_packed"]


def run_packed(module, x, hx: tuple, lengths, *, enforce_sorted: bool, batch_first: bool):
    """``module`` on the rows of ``x`` packed to their ``lengths``.

    Arguments:
        module: a torch sequence module.
        x: ``(T, B, D)``, time-major whatever ``batch_first`` (the module's).
        hx: the initial states, each ``(layers * directions, B, n)``: ``(h,)`` or ``(h, c)``.
        lengths: ``(B,)`` ints, 1 <= L_b <= T (torch packs no empty row), any order.
        enforce_sorted: see the module docstring.
        batch_first: the module takes ``(B, T, ·)``.
    Returns:
        ``(output, last)``: the output padded with zeros, ``(T, B, ·)``, and the final
        states as a tuple like ``hx``, rows in ``x``'s order.

    >>> # a row of length 1 beside one of 3: its output is 0 after step 1
    >>> import torch
    >>> lstm = torch.nn.LSTM(2, 3).double()
    >>> x = torch.ones(3, 2, 2, dtype=torch.float64)
    >>> hx = (torch.zeros(1, 2, 3).double(), torch.zeros(1, 2, 3).double())
    >>> out, (h, c) = run_packed(lstm, x, hx, [1, 3], enforce_sorted=False, batch_first=False)
    >>> out[1:, 0].abs().max().item(), torch.equal(h[0, 0], out[0, 0])
    (0.0, True)
    """
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    T = int(x.shape[0])
    lengths = torch.as_tensor(list(map(int, lengths)), dtype=torch.int64)  # on the CPU
    back = None
    if enforce_sorted:
        order = torch.argsort(lengths, descending=True, stable=True)
        back = torch.argsort(order)
        x, lengths = x[:, order.to(x.device)], lengths[order]
        hx = tuple(h[:, order.to(h.device)] for h in hx)
    data = x.transpose(0, 1) if batch_first else x
    packed = pack_padded_sequence(data, lengths, batch_first=batch_first,
                                  enforce_sorted=enforce_sorted)
    out, last = module(packed, hx if len(hx) > 1 else hx[0])
    out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=T)
    if batch_first:
        out = out.transpose(0, 1)
    last = tuple(last) if len(hx) > 1 else (last,)
    if back is not None:
        out = out[:, back.to(out.device)]
        last = tuple(v[:, back.to(v.device)] for v in last)
    return out, last
