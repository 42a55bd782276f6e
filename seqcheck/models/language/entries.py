"""The catalogue entry of the recurrent language model (``seqcheck list`` / ``show``)."""

from __future__ import annotations

from ...spec.source import Source
from ..registry import Entry, EntryMaker

__all__ = ["ENTRIES"]

_SEED001 = "001_ad6a511fc6b6ab34.txt"

_ENTRY = EntryMaker("seqcheck.models.language", ("tests/test_language.py",),
                    kind="composition")

ENTRIES: tuple[Entry, ...] = (
    _ENTRY("language_model",
           "Recurrent language model: p(x_1..x_T) = prod_t p(x_t | x_<t) and its "
           "cross-entropy (seed 000 eq. 49)",
           Source("000_bdb039f7b454a225.txt", ("49",), "Language models"),
           Source(_SEED001, (), "Forward Propagation slide",
                  "total loss L = sum_t L^(t); each L^(t) the cross-entropy of y^(t)"),
           Source("002_eda597ced39c7a1d.txt", (), "Training Recurrent Networks, "
                  "Cross-entropy loss slide",
                  "the slide's -log P carries a factor 1/T that -log P itself does not; "
                  "here L = -log P, without 1/T"),
           target="sequence_log_prob", specs=("elman",)),
)
