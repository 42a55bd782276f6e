"""A flax-style LSTM cell written in torch: the carry first, (c, h), and one bias per gate.

flax 0.12 (``flax/linen/recurrent.py``, ``LSTMCell.__call__``) computes one step as::

    c, h = carry
    i = sigmoid(dense_i(name='ii')(inputs) + dense_h(name='hi')(h))    # and f, g, o alike
    new_c = f * c + i * g,   new_h = o * tanh(new_c)
    return (new_c, new_h), new_h

with the input dense layers ``ii, if, ig, io`` bias-free and the recurrent ones
``hi, hf, hg, ho`` biased ("input and recurrent layers are summed so only one needs a
bias"). :class:`FlaxStyleLSTMCell` is that cell as a torch module, one ``nn.Linear`` per
flax dense layer under the same name, called as ``cell(carry, x) -> (carry, y)``. The
mapping ``flax_lstm.toml`` beside this file says so (state first, the carry ``(c, h)``,
an output beside the state) and sums the spec's two biases per gate into flax's one::

    PYTHONPATH=examples/mapping seqcheck verify flax_lstm:FlaxStyleLSTMCell \\
        --mapping examples/mapping/flax_lstm.toml
"""

import torch
from torch import nn


class FlaxStyleLSTMCell(nn.Module):
    """One LSTM step with flax's parameters and call convention.

    Arguments:
        input_size, hidden_size: D and H.

    Parameters: ``ii.weight`` ... ``io.weight`` (H, D) on the input, ``hi.weight`` ...
    ``ho.weight`` (H, H) and ``hi.bias`` ... ``ho.bias`` (H,) on the state; g is the new
    memory.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        for g in "ifgo":  # 'if' is a keyword, hence add_module rather than attributes
            self.add_module(f"i{g}", nn.Linear(input_size, hidden_size, bias=False))
            self.add_module(f"h{g}", nn.Linear(hidden_size, hidden_size))

    def dense(self, name: str) -> nn.Linear:
        """The dense layer ``name`` (``"ii"``, ``"hf"``, ...)."""
        return self.get_submodule(name)

    def forward(self, carry: tuple[torch.Tensor, torch.Tensor], x: torch.Tensor):
        """One step.

        Arguments:
            carry: (c, h), each (B, H); x: (B, D).
        Returns:
            ``((c, h), h)``: the new carry, and the output h, each (B, H).
        """
        c, h = carry
        gate = {g: self.dense(f"i{g}")(x) + self.dense(f"h{g}")(h) for g in "ifgo"}
        c = torch.sigmoid(gate["f"]) * c + torch.sigmoid(gate["i"]) * torch.tanh(gate["g"])
        h = torch.sigmoid(gate["o"]) * torch.tanh(c)
        return (c, h), h
