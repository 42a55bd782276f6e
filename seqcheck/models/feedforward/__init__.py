"""The feed-forward models of seed 001: autoencoders, ReLU and dropout, with gradients.

Seed 001 prints two autoencoder objectives with different parameter names, and each
function here keeps the names of its slide:

- "Autoencoders II": ½ Σ_ℓ ‖x^(ℓ) − (W2 σ(W1 x^(ℓ) + w10) + w20)‖², a linear output layer
  (:func:`autoencoder_loss`, biases ``w10``, ``w20``);
- "Optimization Problem": ½ Σ_ℓ ‖x^(ℓ) − x̂^(ℓ)‖² + λ(‖W1‖_F² + ‖W2‖_F²) with
  h = σ(W1 x̃ + w01), x̂ = σ(W2 h + w02), a sigmoid output layer
  (:func:`denoising_autoencoder_loss`, biases ``w01``, ``w02``).

Data are rows: ``X`` is (N, D), one example x^(ℓ) per row, so W1 x^(ℓ) is ``X @ W1.T``.
W1 is (K, D) and W2 is (D, K) as printed; K is the number of hidden units. The dtype of
the result is the floating dtype of the arguments (float32 stays float32); integer input
is computed in float64. Nothing here imports torch.

The package, one module per slide: :mod:`.inputs` holds the checks and the dtype rule,
:mod:`.activations` the sigmoid and the ReLU, :mod:`.autoencoder` "Autoencoders II",
:mod:`.denoising` "Optimization Problem", :mod:`.masks` "Dropout in CNNs", and
:mod:`.entries` the catalogue entries.
"""

from __future__ import annotations

from ..._lazy import lazy_exports
from .entries import ENTRIES

# Each name is imported from its module on first use: the catalogue reads ENTRIES alone.
_LAZY = {
    "relu": ".activations",
    "relu_derivative": ".activations",
    "sigmoid": ".activations",
    "AutoencoderGradients": ".autoencoder",
    "autoencoder_gradients": ".autoencoder",
    "autoencoder_loss": ".autoencoder",
    "autoencoder_reconstruction": ".autoencoder",
    "DenoisingAutoencoderGradients": ".denoising",
    "denoising_autoencoder_gradients": ".denoising",
    "denoising_autoencoder_loss": ".denoising",
    "denoising_autoencoder_reconstruction": ".denoising",
    "frobenius_norm_squared": ".denoising",
    "masking_noise": ".denoising",
    "MonteCarloEstimate": ".masks",
    "apply_dropout": ".masks",
    "dropout": ".masks",
    "dropout_expectation": ".masks",
    "dropout_expectation_monte_carlo": ".masks",
    "dropout_mask": ".masks",
    "dropout_vjp": ".masks",
}

__all__ = [
    "sigmoid",
    "relu",
    "relu_derivative",
    "frobenius_norm_squared",
    "autoencoder_reconstruction",
    "autoencoder_loss",
    "AutoencoderGradients",
    "autoencoder_gradients",
    "masking_noise",
    "denoising_autoencoder_reconstruction",
    "denoising_autoencoder_loss",
    "DenoisingAutoencoderGradients",
    "denoising_autoencoder_gradients",
    "dropout_mask",
    "apply_dropout",
    "dropout",
    "dropout_vjp",
    "dropout_expectation",
    "MonteCarloEstimate",
    "dropout_expectation_monte_carlo",
    "ENTRIES",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
