"""Independent plain-NumPy transcriptions of Keras 3's recurrent cells and layers.

Written line by line from Keras 3.15.1's own source, in Keras's own arrays and orientation
(row vectors, ``x @ kernel``), never from a spec and never importing seqcheck or keras:

- ``lstm_cell``: ``keras/src/layers/rnn/lstm.py``, ``LSTMCell.call`` (implementation 2):
  ``z = x @ kernel + h @ recurrent_kernel + bias`` split into the column blocks i, f, c, o;
  ``c = f * c_tm1 + i * tanh(z_c)``, ``h = o * tanh(c)``;
- ``gru_cell``: ``keras/src/layers/rnn/gru.py``, ``GRUCell.call``: blocks z, r, h; with
  ``reset_after`` the bias is ``(2, 3H)`` (row 0 input, row 1 recurrent) and the reset
  multiplies ``h @ U_h + b_rec_h``; without it the bias is ``(3H,)`` (input side only) and
  the reset multiplies ``h_tm1`` before ``@ U_h``; ``h = z * h_tm1 + (1 - z) * hh``;
- ``simple_rnn_cell``: ``keras/src/layers/rnn/simple_rnn.py``, ``SimpleRNNCell.call``:
  ``activation(x @ kernel + bias + h @ recurrent_kernel)``;
- ``layer``: ``keras/src/layers/rnn/rnn.py``, ``RNN.call`` and the backends' ``rnn`` loop
  (``keras/src/backend/torch/rnn.py``): the sequence is batch-major ``(B, T, D)``; with
  ``go_backwards`` the steps are taken from t = T down to 1 and the outputs are returned in
  the order they were computed (the reversed sequence);
- ``bidirectional``: ``keras/src/layers/rnn/bidirectional.py``, ``Bidirectional.call``:
  a forward layer and a ``go_backwards`` copy, the backward outputs flipped back to time
  order and concatenated after the forward ones; the states forward h (, c), then
  backward h (, c).

Everything is float64, one batch at a time as matrices (Keras's own form); loops are
naive on purpose.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "lstm_cell", "gru_cell", "simple_rnn_cell", "layer", "bidirectional",
           "CELLS"]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) as (1 + tanh(a / 2)) / 2: no overflow for any finite a."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _f64(*arrays):
    return [None if a is None else np.asarray(a, dtype=np.float64) for a in arrays]


def lstm_cell(x, states, kernel, recurrent_kernel, bias=None):
    """One LSTMCell step. x (B, D), states [h (B, H), c (B, H)]; kernel (D, 4H),
    recurrent_kernel (H, 4H), bias (4H,) or None. Returns (output h, [h, c])."""
    x, h_tm1, c_tm1, kernel, recurrent_kernel, bias = _f64(x, *states, kernel,
                                                             recurrent_kernel, bias)
    z = x @ kernel
    z = z + h_tm1 @ recurrent_kernel
    if bias is not None:
        z = z + bias
    z0, z1, z2, z3 = np.split(z, 4, axis=1)
    i = sigmoid(z0)
    f = sigmoid(z1)
    c = f * c_tm1 + i * np.tanh(z2)
    o = sigmoid(z3)
    h = o * np.tanh(c)
    return h, [h, c]


def gru_cell(x, states, kernel, recurrent_kernel, bias=None, reset_after=True):
    """One GRUCell step. x (B, D), states [h (B, H)]; kernel (D, 3H), recurrent_kernel
    (H, 3H), bias (2, 3H) with reset_after, (3H,) without, or None."""
    x, h_tm1, kernel, recurrent_kernel, bias = _f64(x, *states, kernel, recurrent_kernel,
                                                    bias)
    units = recurrent_kernel.shape[0]
    if bias is not None and not reset_after:
        input_bias, recurrent_bias = bias, None
    elif bias is not None:
        input_bias, recurrent_bias = bias[0], bias[1]
    matrix_x = x @ kernel
    if bias is not None:
        matrix_x = matrix_x + input_bias
    x_z, x_r, x_h = np.split(matrix_x, 3, axis=-1)
    if reset_after:
        matrix_inner = h_tm1 @ recurrent_kernel
        if bias is not None:
            matrix_inner = matrix_inner + recurrent_bias
    else:
        matrix_inner = h_tm1 @ recurrent_kernel[:, : 2 * units]
    recurrent_z = matrix_inner[:, :units]
    recurrent_r = matrix_inner[:, units: 2 * units]
    z = sigmoid(x_z + recurrent_z)
    r = sigmoid(x_r + recurrent_r)
    if reset_after:
        recurrent_h = r * matrix_inner[:, 2 * units:]
    else:
        recurrent_h = (r * h_tm1) @ recurrent_kernel[:, 2 * units:]
    hh = np.tanh(x_h + recurrent_h)
    h = z * h_tm1 + (1 - z) * hh
    return h, [h]


def simple_rnn_cell(x, states, kernel, recurrent_kernel, bias=None, activation=np.tanh):
    """One SimpleRNNCell step. x (B, D), states [h (B, H)]; kernel (D, H),
    recurrent_kernel (H, H), bias (H,) or None; ``activation`` None is linear."""
    x, prev, kernel, recurrent_kernel, bias = _f64(x, *states, kernel, recurrent_kernel,
                                                   bias)
    h = x @ kernel
    if bias is not None:
        h = h + bias
    output = h + prev @ recurrent_kernel
    if activation is not None:
        output = activation(output)
    return output, [output]


#: cell name -> (step function, number of states)
CELLS = {"LSTM": (lstm_cell, 2), "GRU": (gru_cell, 1), "SimpleRNN": (simple_rnn_cell, 1)}


def layer(cell, x, initial, weights, go_backwards=False, **options):
    """A Keras RNN layer over ``x`` (B, T, D), batch-major as Keras takes it.

    Arguments:
        cell: ``"LSTM"``, ``"GRU"`` or ``"SimpleRNN"``.
        initial: the initial states, ``[h, c]`` or ``[h]``, each (B, H).
        weights: ``(kernel, recurrent_kernel, bias)`` (bias None without one).
        options: passed to the cell (``reset_after``, ``activation``).
    Returns:
        ``(sequence (B, T, H) in the order the steps were taken, [final states])``.
    """
    step, _ = CELLS[cell]
    x = np.asarray(x, dtype=np.float64)
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    states, outputs = list(initial), []
    for t in order:
        out, states = step(x[:, t], states, *weights, **options)
        outputs.append(out)
    return np.stack(outputs, axis=1), states


def bidirectional(cell, x, initial, forward_weights, backward_weights, **options):
    """``keras.layers.Bidirectional`` (merge_mode concat, return_sequences) over x (B, T, D).

    Returns ``(sequence (B, T, 2H), [forward states..., backward states...])``.
    """
    half = len(initial) // 2
    y, fwd = layer(cell, x, initial[:half], forward_weights, **options)
    y_rev, bwd = layer(cell, x, initial[half:], backward_weights, go_backwards=True, **options)
    y_rev = np.flip(y_rev, axis=1)
    return np.concatenate([y, y_rev], axis=-1), fwd + bwd
