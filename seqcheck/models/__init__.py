"""Models of the lectures that are not one per-step spec.

A per-step recurrence is a spec (``specs/*.toml``). What is not — a readout over the
whole sequence, an encoder feeding a decoder, attention over a set of keys, a network
over a tree, the feed-forward models of seed 001 — lives here as checked NumPy
functions, each with its gradient, tested against an independent implementation.

Every such model is an :class:`Entry` of :data:`ENTRIES`; ``seqcheck list`` shows them
after the specs and ``seqcheck show NAME`` prints one. Importing this package imports
no model module (and never torch): an entry names its function as ``module:attr``.
"""

from __future__ import annotations

from .registry import ENTRIES, Entry, entry, entry_names

__all__ = ["ENTRIES", "Entry", "entry", "entry_names"]
