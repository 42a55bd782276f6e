"""The catalogue entries of seed 001's convolution and pooling (``seqcheck list`` / ``show``).

One row per entry: its name (also the attribute of :mod:`seqcheck.models.convolution`
that implements it), its title and the slide of seed 001 it comes from.
"""

from __future__ import annotations

from ...spec.source import Source
from ..registry import Entry, EntryMaker

__all__ = ["ENTRIES"]

_SEED = "001_ad6a511fc6b6ab34.txt"
_ENTRY = EntryMaker("seqcheck.models.convolution", ("tests/test_convolution.py",))

ENTRIES: tuple[Entry, ...] = (
    _ENTRY("convolution_1d", "Discrete 1-D convolution (x*w)[n] (seed 001)",
           Source(file=_SEED, where="Convolution Operation")),
    _ENTRY("convolution_2d",
           "2-D convolution with a centred kernel, and its gradients (seed 001)",
           Source(file=_SEED, where="Convolution in CNNs")),
    _ENTRY("cross_correlation_2d",
           "2-D cross-correlation (no kernel flipping), and its gradients (seed 001)",
           Source(file=_SEED, where="Convolution with no Kernel Flipping",
                  note="printed outer sum Σ_{m=−N}^{M}; the lower limit is −M")),
    _ENTRY("max_pooling", "Max pooling with a stride, and its gradient (seed 001)",
           Source(file=_SEED, where="Pooling")),
    _ENTRY("average_pooling",
           "Average (or weighted) pooling with a stride, and its gradient (seed 001)",
           Source(file=_SEED, where="Pooling")),
)
