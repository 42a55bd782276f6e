"""The catalogue entries of the attention functions (``seqcheck list`` / ``show``).

One row per entry: its name (also the attribute of :mod:`seqcheck.models.attention` that
implements it), its title and where in seed 000 it comes from.
"""

from __future__ import annotations

from ...spec.source import Source
from ..registry import Entry, EntryMaker

__all__ = ["ENTRIES"]

_SEED000 = "000_bdb039f7b454a225.txt"
_ENTRY = EntryMaker("seqcheck.models.attention", ("tests/test_attention.py",))

ENTRIES: tuple[Entry, ...] = (
    _ENTRY("attention_dot", "Attention with the dot score q^T k_i (seed 000 eq. 43-45)",
           Source(_SEED000, ("43", "44", "45"), "Attention scores")),
    _ENTRY("attention_scaled_dot",
           "Attention with the scaled dot score q^T k_i / sqrt(d) (seed 000 eq. 43, 44, 46)",
           Source(_SEED000, ("43", "44", "46"), "Commonly used score functions",
                  "d, not defined on the slide, is the common size Q = K")),
    _ENTRY("attention_additive",
           "Attention with the additive (Bahdanau) score (seed 000 eq. 43, 44, 47)",
           Source(_SEED000, ("43", "44", "47"), "Commonly used score functions",
                  "the size A of w_a is not given on the slide")),
    _ENTRY("self_attention",
           "Self-attention y_i = Attention(x_i, (x_j, x_j)_j) (seed 000 eq. 48)",
           Source(_SEED000, ("43", "44", "46", "48"), "Transformers",
                  "eq. 48 names no score; the scaled dot score is the default")),
)
