"""Sequence models built from per-step specs: Seq2Vec readouts and the encoder–decoder
(seed 000 eq. 18–19, 22–25; :mod:`.passes`).
"""

from __future__ import annotations

from ..._lazy import lazy_exports
from .entries import ENTRIES

# Each name is imported from its module on first use: the catalogue reads ENTRIES alone.
_LAZY = {name: ".passes" for name in
         ("Seq2VecPass", "EncoderDecoderPass", "seq2vec", "encoder_decoder")}

__all__ = ["Seq2VecPass", "EncoderDecoderPass", "seq2vec", "encoder_decoder", "ENTRIES"]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
