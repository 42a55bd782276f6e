"""The tolerance of one compared quantity, from the spec's own rounding on the case.

The a-priori model (:func:`~seqcheck.checks.verify.checker.tolerance`) bounds the rounding
error by ε·T·S times the largest pre-activation a step could reach. It is sound, and at the
small sizes the search draws it is tight enough; at a production size (D = 512,
H = 1024, four bidirectional layers, T = 256) it is not: a correct float32 torch.nn.LSTM
then uses about 1e-5 of it, and an absolute tolerance near 0.2 on values in (-1, 1) would
hide a gate that reads the wrong bias.

So at a fixed size verify measures instead. It runs the spec's compiled passes a second
time in float32 on the same case. The largest deviation of that run from the float64
reference, per quantity (one output over all steps, one final state, one gradient), is how
far honest float32 rounding goes on these very weights and inputs. Conditioning,
saturation and exploding products are included, because they act on both runs alike.
A quantity q then passes entry by entry when

    |actual − expected| ≤ K·(δ_q·ε/ε₃₂ + ε·max|expected_q|) + K·ε·|expected|,

with δ_q the float32 run's largest deviation, ε the target dtype's machine epsilon (a
float64 target's rounding is the float32 one scaled by ε/ε₃₂, first order in ε) and
K = :data:`HEADROOM`. This is never looser than the a-priori model (the smaller of the
two applies). Where the float32 run overflows, the a-priori model applies alone.
Measured (docs/conventions.md): torch.nn.LSTM's float32 error is up to 3.5 times the
spec's own float32 error, and about 1.1 times at the median quantity.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HEADROOM", "measured_tolerance"]

#: K: how many times the spec's own float32 rounding a target's may reach.
HEADROOM = 16.0


def measured_tolerance(dtype, expected, expected32, model: tuple[float, float]
                       ) -> tuple[float, float]:
    """(rtol, atol) of one quantity: the measured bound, never looser than ``model``.

    Arguments:
        dtype: the target's dtype (``"float32"`` or ``"float64"``).
        expected: the spec's float64 values of the quantity, any shape.
        expected32: the same quantity from the spec's float32 passes on the same case.
        model: the a-priori (rtol, atol) of the quantity.

    >>> # a float32 run that deviates by 1e-7 from values of size 1
    >>> rtol, atol = measured_tolerance("float32", [1.0, -0.5], [1.0 + 1e-7, -0.5], (1e-3, 1e-2))
    >>> round(atol / 1e-7, 1), rtol == 16 * float(np.finfo(np.float32).eps)
    (35.1, True)
    """
    expected = np.asarray(expected, dtype=np.float64)
    expected32 = np.asarray(expected32, dtype=np.float64).reshape(expected.shape)
    eps = float(np.finfo(np.dtype(dtype)).eps)
    eps32 = float(np.finfo(np.float32).eps)
    if expected.size == 0:
        return model
    with np.errstate(invalid="ignore", over="ignore"):
        deviation = float(np.max(np.abs(expected32 - expected)))
    if not np.isfinite(deviation):
        return model
    scale = float(np.max(np.abs(expected)))
    rtol = HEADROOM * eps
    atol = HEADROOM * (deviation * eps / eps32 + eps * scale)
    return min(rtol, model[0]), min(atol, model[1])
