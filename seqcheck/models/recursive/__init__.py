"""Recursive neural networks: one network applied over a binary tree instead of a chain.

"Recursive neural networks generalize ordinary RNNs in that the unfolded computational
graphs are no longer chains but trees" (seed 001, "Recursive Neural Networks I"), and
"to process a sequence of length N, an RNN has a length of N but a recursive neural
network reduces it to O(log N)" (seed 001, "Recursive Neural Networks II").

The lecture gives no equations. The model here is the standard form (Socher et al.,
2011; Goodfellow et al., *Deep Learning*, section 10.6), on a binary tree whose leaves
read the inputs x_1..x_N of one sequence, for B examples that share the tree:

    leaf k reading input i:       h_k = tanh(U x_i + b)
    internal k, children l and r:  h_k = tanh(W_L h_l + W_R h_r + b)
    root r:                        o   = V h_r + c

The weights are shared by every node, as the weights of an RNN are shared by every step.
The gradients are backpropagation through structure: the chain rule over the tree, from
the root to the leaves (the tree's BPTT).

Layout, as for the compiled specs (conventions.md): inputs ``x`` are ``(N, B, D)``, the
states come back as ``(2N - 1, B, H)`` with one row per tree node in post-order (children
before their parent, the root last), the output ``o`` as ``(B, C)``. Leaf indices are
0-based positions in ``x``: leaf ``i`` reads ``x[i]``, the lecture's x^(i+1).

The package, one module per part: :mod:`.tree` holds the :class:`Tree`, :mod:`.network`
the parameters, the forward pass and backpropagation through structure, :mod:`.unfolded`
the unfolded graph and the depth claim, and :mod:`.entries` the catalogue entry.
"""

from __future__ import annotations

from ..._lazy import lazy_exports
from .entries import ENTRIES

# Each name is imported from its module on first use: the catalogue reads ENTRIES alone.
_LAZY = {
    "PARAMS": ".network",
    "TreeGradients": ".network",
    "TreeStates": ".network",
    "tree_backward": ".network",
    "tree_forward": ".network",
    "Tree": ".tree",
    "DepthClaim": ".unfolded",
    "depth_claim": ".unfolded",
    "tree_properties": ".unfolded",
    "unfold_tree": ".unfolded",
}

__all__ = [
    "ENTRIES", "PARAMS", "Tree", "TreeStates", "TreeGradients", "DepthClaim",
    "tree_forward", "tree_backward", "unfold_tree", "tree_properties", "depth_claim",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
