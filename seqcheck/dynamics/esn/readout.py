"""Seed 003's step 3, 'Training readouts': the linear readout by ridge regression.

The readout works in the slide's column convention: the design matrix
H = [1; h(n); x(n)] has one column per sample, ``(1 + N_x + N_u, samples)``, and
W_out = Y H^T (H H^T + beta I)^-1.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import SeqcheckError
from .arguments import check_int, check_real

__all__ = ["design_matrix", "fit_readout", "ridge_readout"]


def design_matrix(h, x, washout: int = 0) -> np.ndarray:
    """H = [1; h(n); x(n)] with one column per sample after the washout.

    Arguments:
        h: states ``(T, B, N_x)``; x: inputs ``(T, B, N_u)``.
        washout: leading steps to drop ("the need to deal with initial transients").
    Returns:
        ``(1 + N_x + N_u, (T - washout) * B)``, columns in time-major order.

    >>> design_matrix(np.full((3, 1, 2), 0.5), np.full((3, 1, 1), 2.0), washout=1)
    array([[1. , 1. ],
           [0.5, 0.5],
           [0.5, 0.5],
           [2. , 2. ]])
    """
    h, x = np.asarray(h, dtype=np.float64), np.asarray(x, dtype=np.float64)
    if h.ndim != 3 or x.ndim != 3 or h.shape[:2] != x.shape[:2]:
        raise SeqcheckError(f"h (T, B, N_x) and x (T, B, N_u) must share T and B; got "
                            f"{h.shape} and {x.shape}")
    check_int("washout", washout, 0)
    if washout >= h.shape[0]:
        raise SeqcheckError(f"washout {washout} leaves no sample of T = {h.shape[0]} steps")
    ones = np.ones(h.shape[:2] + (1,))
    return _columns(np.concatenate([ones, h, x], axis=-1), washout)


def _columns(a: np.ndarray, washout: int) -> np.ndarray:
    return a[washout:].reshape(-1, a.shape[-1]).T


def ridge_readout(H, Y, beta: float) -> np.ndarray:
    """W_out = Y H^T (H H^T + beta I)^-1 (seed 003, 'Training readouts').

    Solved as (H H^T + beta I) W_out^T = H Y^T with ``np.linalg.solve`` (the matrix is
    symmetric, positive definite for beta > 0); no inverse is formed.

    Arguments:
        H: design matrix ``(F, n)``; Y: targets ``(N_y, n)``, one column per sample.
        beta: the ridge parameter, >= 0.
    Returns:
        W_out ``(N_y, F)``.

    >>> # an exact linear map is recovered when beta = 0
    >>> H = np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])
    >>> ridge_readout(H, np.array([[1.0, 3.0, 5.0]]), beta=0.0)
    array([[1., 2.]])
    """
    H, Y = np.asarray(H, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if H.ndim != 2 or Y.ndim != 2 or H.shape[1] != Y.shape[1]:
        raise SeqcheckError(f"H (F, n) and Y (N_y, n) must have one column per sample; got "
                            f"{H.shape} and {Y.shape}")
    check_real("beta", beta, 0.0, math.inf)
    try:
        return np.linalg.solve(H @ H.T + beta * np.eye(H.shape[0]), H @ Y.T).T
    except np.linalg.LinAlgError:
        raise SeqcheckError(f"H H^T + beta I is singular ({H.shape[0]} features, "
                            f"{H.shape[1]} samples, beta = {beta}): use beta > 0") from None


def fit_readout(h, x, y_target, *, washout: int, beta: float) -> np.ndarray:
    """Ridge readout from collected states: :func:`design_matrix` then :func:`ridge_readout`.

    Arguments:
        h: ``(T, B, N_x)``; x: ``(T, B, N_u)``; y_target: ``(T, B, N_y)``.
        washout: leading steps left out; beta: the ridge parameter.
    Returns:
        W_out ``(N_y, 1 + N_x + N_u)``, the spec's readout parameter.

    >>> # y = 2 x is read off the input row of [1; h; x]
    >>> x = np.linspace(-1, 1, 5).reshape(5, 1, 1)
    >>> W_out = fit_readout(np.zeros((5, 1, 2)), x, 2 * x, washout=0, beta=1e-12)
    >>> np.round(W_out, 6) + 0.0
    array([[0., 0., 0., 2.]])
    """
    y_target = np.asarray(y_target, dtype=np.float64)
    H = design_matrix(h, x, washout)
    if y_target.ndim != 3 or y_target.shape[:2] != np.shape(h)[:2]:
        raise SeqcheckError(f"y_target must be (T, B, N_y) with the T and B of h "
                            f"{np.shape(h)[:2]}; got {y_target.shape}")
    return ridge_readout(H, _columns(y_target, washout), beta)
