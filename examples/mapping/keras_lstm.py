"""A Keras-style LSTM layer written in torch: Keras's weight paths and call convention.

Keras 3.15 (``keras/src/layers/rnn/lstm.py``, ``LSTMCell.build`` and ``LSTMCell.call``)
keeps an LSTM layer's weights as three variables whose paths are
``lstm/lstm_cell/kernel`` ``(D, 4H)``, ``lstm/lstm_cell/recurrent_kernel`` ``(H, 4H)`` and
``lstm/lstm_cell/bias`` ``(4H,)``, the column blocks the gates i, f, c, o, with one bias per
gate::

    z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias,   i, f, c~, o = the H-blocks of z
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(c~),   h_t = sigmoid(o) * tanh(c_t)

The layer is called as ``layer(x, initial_state=[h, c])`` with ``x`` batch first,
``(B, T, D)``, and with ``return_sequences=True, return_state=True`` returns
``output, h, c`` (``keras/src/layers/rnn/rnn.py``, ``RNN.call``: ``return output,
*states``). :class:`KerasStyleLSTM` is that layer as a torch module whose parameters carry
the Keras paths as their names (as weights ported from Keras may), so that the mapping
``keras_lstm.toml`` beside this file names them quoted, sums the spec's two biases per
gate into Keras's one, and describes the call. Verify it with::

    PYTHONPATH=examples/mapping seqcheck verify keras_lstm:KerasStyleLSTM \\
        --mapping examples/mapping/keras_lstm.toml
"""

import math

import torch
from torch import nn

PATH = "lstm/lstm_cell/"


class KerasStyleLSTM(nn.Module):
    """An LSTM layer with Keras's weights, gate order and call convention.

    Arguments:
        input_size, hidden_size: D and H.

    Parameters: ``lstm/lstm_cell/kernel`` (D, 4H), ``lstm/lstm_cell/recurrent_kernel``
    (H, 4H), ``lstm/lstm_cell/bias`` (4H,); column blocks i, f, c, o.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        bound = 1 / math.sqrt(hidden_size)
        for name, shape in (("kernel", (input_size, 4 * hidden_size)),
                            ("recurrent_kernel", (hidden_size, 4 * hidden_size)),
                            ("bias", (4 * hidden_size,))):
            self.register_parameter(PATH + name,
                                    nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def weight(self, name: str) -> torch.Tensor:
        """The parameter at Keras path ``lstm/lstm_cell/<name>``."""
        return getattr(self, PATH + name)

    def forward(self, x: torch.Tensor, initial_state: list[torch.Tensor]):
        """The whole sequence.

        Arguments:
            x: (B, T, D); initial_state: [h, c], each (B, H).
        Returns:
            ``(output, h, c)``: every step's h, (B, T, H), and the last h and c, (B, H).
        """
        h, c = initial_state
        outputs = []
        for t in range(x.shape[1]):
            z = x[:, t] @ self.weight("kernel") + h @ self.weight("recurrent_kernel") \
                + self.weight("bias")
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h, c
