"""The catalogue entries of seed 001's feed-forward models (``seqcheck list`` / ``show``).

One row per entry: its name, its title, where on seed 001's slides it comes from, and
the attribute of :mod:`seqcheck.models.feedforward` that implements it when that is not
the name.
"""

from __future__ import annotations

from ...spec.source import Source
from ..registry import Entry, EntryMaker

__all__ = ["ENTRIES"]

_SEED = "001_ad6a511fc6b6ab34.txt"
_ENTRY = EntryMaker("seqcheck.models.feedforward", ("tests/test_feedforward.py",))

ENTRIES: tuple[Entry, ...] = (
    _ENTRY("autoencoder", "Autoencoder reconstruction loss and its gradients (seed 001)",
           Source(file=_SEED, where="Autoencoders II",
                  note="biases named w10, w20 as on this slide; linear output"),
           target="autoencoder_gradients"),
    _ENTRY("denoising_autoencoder",
           "Denoising autoencoder objective with the Frobenius penalty (seed 001)",
           Source(file=_SEED, where="Optimization Problem",
                  note="biases named w01, w02 as on this slide; sigmoid output"),
           target="denoising_autoencoder_gradients"),
    _ENTRY("relu", "Rectified linear unit max(0, x), with ReLU'(0) = 0 (seed 001)",
           Source(file=_SEED, where="AlexNet: A Winning CNN in ImageNet Challenge 2012")),
    _ENTRY("dropout",
           "Dropout, plain and inverted, with its exact and sampled expectation (seed 001)",
           Source(file=_SEED, where="Dropout in CNNs")),
)
