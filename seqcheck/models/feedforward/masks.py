"""Dropout of seed 001's "Dropout in CNNs" slide: masks, plain and inverted, and expectations.

The forward pass with its VJP, the exact expectation over masks and a Monte Carlo
estimate of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError, ShapeError
from .inputs import check_rate, float_dtype

__all__ = [
    "dropout_mask", "apply_dropout", "dropout", "dropout_vjp", "dropout_expectation",
    "MonteCarloEstimate", "dropout_expectation_monte_carlo",
]


def dropout_mask(shape, p: float, rng: np.random.Generator, dtype=np.float64):
    """A Bernoulli keep-mask: each entry is 0 ("dropped") with probability p, else 1.

    Arguments:
        shape: the mask's shape (that of the units it applies to).
        p: the dropout rate, 0 ≤ p ≤ 1 (the slide's example is 0.5).
        rng: a ``numpy.random.Generator``; one uniform draw per entry.
        dtype: floating dtype of the mask.

    Returns:
        the 0/1 mask of ``shape``.

    >>> # rate 0 keeps every unit
    >>> dropout_mask((3,), 0.0, np.random.default_rng(0)).tolist()
    [1.0, 1.0, 1.0]
    """
    check_rate("p", p, upper_inclusive=True)
    return (rng.random(shape) >= p).astype(dtype)


def apply_dropout(x, mask, p: float, *, inverted: bool = False):
    """Dropout with a given mask: mask ⊙ x, or mask ⊙ x / (1 − p) when ``inverted``.

    The plain form is the slide's "multiplying their values by zero"; its expectation
    over masks is (1 − p) x. The inverted form (torch.nn.Dropout in training mode)
    rescales the kept units so the expectation is x itself.

    Arguments:
        x: the units (any shape); mask: 0/1 array of the same shape.
        p: the rate the mask was drawn with; 0 ≤ p < 1 when ``inverted``.
        inverted: scale by 1 / (1 − p).

    Returns:
        the dropped-out units, shape and floating dtype of x.

    >>> # with p = 1/2 the kept units are doubled in the inverted form
    >>> apply_dropout(np.array([1.0, 2.0]), np.array([0.0, 1.0]), 0.5, inverted=True).tolist()
    [0.0, 4.0]
    """
    check_rate("p", p, upper_inclusive=not inverted)
    x = np.asarray(x)
    x = x.astype(float_dtype(x), copy=False)
    mask = np.asarray(mask)
    if mask.shape != x.shape:
        raise ShapeError(f"mask must have the shape of x {x.shape}, got {mask.shape}")
    out = x * mask.astype(x.dtype)
    if inverted:
        out = out / x.dtype.type(1 - p)
    return out


def dropout(x, p: float, rng: np.random.Generator, *, inverted: bool = False):
    """Draw a mask with :func:`dropout_mask` and apply it with :func:`apply_dropout`.

    Arguments:
        x: the units (any shape).
        p, inverted: as :func:`apply_dropout`.
        rng: a ``numpy.random.Generator``.

    Returns:
        (output, mask), both of x's shape; the mask is needed by :func:`dropout_vjp`.

    >>> # every output entry is either dropped or the input itself
    >>> out, mask = dropout(np.arange(4.0), 0.5, np.random.default_rng(1))
    >>> bool(np.all((out == 0) | (out == np.arange(4.0))))
    True
    """
    check_rate("p", p, upper_inclusive=not inverted)
    x = np.asarray(x)
    mask = dropout_mask(x.shape, p, rng, dtype=float_dtype(x))
    return apply_dropout(x, mask, p, inverted=inverted), mask


def dropout_vjp(grad, mask, p: float, *, inverted: bool = False):
    """∂L/∂x of dropout: the upstream gradient masked (and scaled by 1/(1 − p) if inverted).

    Dropout is linear in x with the diagonal Jacobian diag(mask) (/ (1 − p)).

    Arguments:
        grad: ∂L/∂output, shape of x; mask, p, inverted: as in the forward pass.

    Returns:
        ∂L/∂x.

    >>> # dropped units get no gradient
    >>> dropout_vjp(np.ones(2), np.array([1.0, 0.0]), 0.5).tolist()
    [1.0, 0.0]
    """
    return apply_dropout(grad, mask, p, inverted=inverted)


def dropout_expectation(x, p: float, *, inverted: bool = False):
    """The exact expectation over masks: E[mask ⊙ x] = (1 − p) x; x when ``inverted``.

    Arguments:
        x: the units (any shape); p, inverted: as :func:`apply_dropout`.

    Returns:
        E[dropout(x)], shape of x.

    >>> # the plain form shrinks by the keep probability
    >>> dropout_expectation(np.array([2.0, 4.0]), 0.25).tolist()
    [1.5, 3.0]
    """
    check_rate("p", p, upper_inclusive=not inverted)
    x = np.asarray(x)
    x = x.astype(float_dtype(x), copy=False)
    return x.copy() if inverted else x * x.dtype.type(1 - p)


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A sample mean with its standard error.

    Attributes:
        mean: the sample mean, shape of one sample.
        standard_error: sample standard deviation / √samples, per entry.
        samples: the number of samples.
    """

    mean: np.ndarray
    standard_error: np.ndarray
    samples: int


def dropout_expectation_monte_carlo(x, p: float, rng: np.random.Generator, samples: int,
                                    *, inverted: bool = False) -> MonteCarloEstimate:
    """Estimate E[dropout(x)] by averaging ``samples`` independent masks.

    Each entry's estimate has standard error |x|·√(p(1 − p)/samples) (divided by 1 − p
    when inverted); :attr:`MonteCarloEstimate.standard_error` is its sample version.

    Arguments:
        x: the units (any shape); p, inverted: as :func:`apply_dropout`.
        rng: a ``numpy.random.Generator``; samples: the number of masks, at least 2.

    Returns:
        a :class:`MonteCarloEstimate`.

    >>> # with rate 0 every sample is x itself
    >>> est = dropout_expectation_monte_carlo(np.array([3.0]), 0.0, np.random.default_rng(0), 4)
    >>> est.mean.tolist(), est.standard_error.tolist()
    ([3.0], [0.0])
    """
    check_rate("p", p, upper_inclusive=not inverted)
    if int(samples) != samples or samples < 2:
        raise SeqcheckError(f"samples must be an integer of at least 2, got {samples!r}")
    x = np.asarray(x)
    x = x.astype(float_dtype(x), copy=False)
    masks = dropout_mask((int(samples), *x.shape), p, rng, dtype=x.dtype)
    draws = masks * x
    if inverted:
        draws = draws / x.dtype.type(1 - p)
    return MonteCarloEstimate(
        mean=draws.mean(axis=0),
        standard_error=draws.std(axis=0, ddof=1) / np.sqrt(x.dtype.type(samples)),
        samples=int(samples))
