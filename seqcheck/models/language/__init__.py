"""A recurrent language model: seed 000 eq. 49's factorisation and its cross-entropy loss
(:mod:`.model`).
"""

from __future__ import annotations

from ..._lazy import lazy_exports
from .entries import ENTRIES

# Each name is imported from its module on first use: the catalogue reads ENTRIES alone.
_LAZY = {name: ".model" for name in
         ("MAX_ENUMERATED", "LanguageModel", "LogProb", "CrossEntropy", "language_model",
          "sequence_log_prob", "cross_entropy", "total_probability")}

__all__ = ["ENTRIES", *_LAZY]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
