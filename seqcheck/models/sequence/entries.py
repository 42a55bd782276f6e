"""The catalogue entries of the sequence models (``seqcheck list`` / ``show``)."""

from __future__ import annotations

from ...spec.source import Source
from ..registry import Entry, EntryMaker

__all__ = ["ENTRIES"]

_SEED000 = "000_bdb039f7b454a225.txt"
_ENTRY = EntryMaker("seqcheck.models.sequence", ("tests/test_sequence_models.py",),
                    kind="composition")

ENTRIES: tuple[Entry, ...] = (
    _ENTRY("seq2vec_last",
           "Seq2Vec: class distribution from the final state, S(W h_T) (seed 000 eq. 22)",
           Source(_SEED000, ("22",), "Seq2vec models for sequence classification"),
           target="seq2vec", specs=("rnn",)),
    _ENTRY("seq2vec_bidirectional_mean",
           "Bidirectional Seq2Vec over the time-averaged state, S(W h-bar) (seed 000 eq. 23-25)",
           Source(_SEED000, ("23", "24", "25"), "Bidirectional seq2vec model",
                  "eq. 25's readout W S(h-bar) corrected to S(W h-bar)"),
           target="seq2vec", specs=("birnn",)),
    _ENTRY("encoder_decoder",
           "Encoder-decoder: context c = h_T of an RNN, decoded by Vec2Seq (seed 000 eq. 18-19)",
           Source(_SEED000, ("18", "19"), "Seq2seq model: unaligned case"),
           Source("001_ad6a511fc6b6ab34.txt", (), "Encoder-Decoder RNN I"),
           specs=("rnn", "vec2seq")),
)
