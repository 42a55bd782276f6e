"""A fused LSTM cell: one weight on [x, h] for all four gates, one bias.

The layout many hand-written and Keras-style cells use, and not torch's: the weight is
``(D + H, 4H)`` and multiplies the row ``[x_t, h_{t-1}]`` from the left, its gate blocks
in the order i, o, f, g (g the new memory), with a single stacked bias ``(4H,)``:

    z = [x_t, h_{t-1}] @ weight + bias,   i, o, f, g = the four H-column blocks of z
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g),   h_t = sigmoid(o) * tanh(c_t)

seqcheck's spec ``lstm`` (seed 004, PyTorch's equations) writes the same cell with one
named weight per gate and two biases; ``lstm_one_bias.toml`` beside this file is that spec
with one bias per gate, and ``fused_lstm.toml`` maps this cell's two tensors onto its twelve
parameters. Verify it with::

    PYTHONPATH=examples/mapping seqcheck verify fused_lstm:FusedLSTMCell \\
        --mapping examples/mapping/fused_lstm.toml
"""

import math

import torch
from torch import nn


class FusedLSTMCell(nn.Module):
    """One LSTM step with fused parameters.

    Arguments:
        input_size, hidden_size: D and H.

    Parameters: ``weight`` (D + H, 4H), its rows acting on [x, h] and its column blocks
    the gates i, o, f, g; ``bias`` (4H,) in the same gate order.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight = nn.Parameter(torch.empty(input_size + hidden_size, 4 * hidden_size))
        self.bias = nn.Parameter(torch.empty(4 * hidden_size))
        bound = 1 / math.sqrt(hidden_size)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        """One step.

        Arguments:
            x: (B, D); state: (h, c), each (B, H).
        Returns:
            (h, c) after the step, each (B, H).
        """
        h, c = state
        z = torch.cat([x, h], dim=1) @ self.weight + self.bias
        i, o, f, g = z.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c
