"""The catalogue entry of the recursive neural network (``seqcheck list`` / ``show``).

The lecture gives no equations, so the sources say where the standard form comes from.
"""

from __future__ import annotations

from ...spec.source import Source
from ..registry import Entry, EntryMaker

__all__ = ["ENTRIES"]

_SEED001 = "001_ad6a511fc6b6ab34.txt"
_ENTRY = EntryMaker("seqcheck.models.recursive", ("tests/test_recursive.py",))

ENTRIES: tuple[Entry, ...] = (
    _ENTRY("recursive_net",
           "Recursive neural network over a binary tree, with backpropagation through "
           "structure (seed 001)",
           Source(_SEED001, where="Recursive Neural Networks I",
                  note="the lecture states that the unfolded graph is a tree; the "
                       "equations are the standard form (Socher et al. 2011; Goodfellow "
                       "et al., Deep Learning 10.6)"),
           Source(_SEED001, where="Recursive Neural Networks II",
                  note="depth O(log N) for a sequence of length N, on a balanced tree"),
           target="tree_forward"),
)
