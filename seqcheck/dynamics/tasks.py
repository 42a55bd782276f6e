"""One-step-ahead prediction with an echo state network: series, error, the whole task.

Seed 003's recipe end to end (:func:`esn_task`) on a generated series -- a sine, or the
Mackey-Glass delay differential equation (tau = 17) -- with the test error as an NRMSE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SeqcheckError
from .esn import check_int, check_real, fit_readout, reservoir, run_reservoir

__all__ = ["SERIES", "TaskResult", "esn_task", "mackey_glass", "nrmse", "sine"]


def sine(n: int, period: float = 25.0) -> np.ndarray:
    """sin(2 pi k / period) for k = 0..n-1, shape ``(n,)``.

    >>> np.round(sine(3, period=4.0), 12) + 0.0
    array([0., 1., 0.])
    """
    check_int("n", n, 1)
    check_real("period", period, 0.0, math.inf, low_open=True)
    return np.sin(2 * np.pi * np.arange(n) / period)


def mackey_glass(n: int, *, tau: float = 17.0, beta: float = 0.2, gamma: float = 0.1,
                 power: int = 10, x0: float = 1.2, dt: float = 0.1, subsample: int = 10,
                 discard: int = 300) -> np.ndarray:
    """The Mackey-Glass series dx/dt = beta x(t-tau) / (1 + x(t-tau)^power) - gamma x(t).

    Method: classical RK4 with step ``dt`` (0.1) on the grid t_i = i dt; the delayed
    value is read on the grid (tau / dt must be an integer, 170 by default), at half
    steps as the mean of the two neighbouring grid values (linear interpolation), which
    makes the scheme second order overall: halving dt divides the error by 4
    (tests/test_esn.py). History x(t) = x0 for t <= 0. Every ``subsample``-th grid
    value is kept (spacing subsample * dt = 1 by default) and the first ``discard`` kept
    values (the transient from the constant history) are dropped. There is no
    randomness.

    Arguments:
        n: the number of values returned.
    Returns:
        ``(n,)`` float64; with tau = 17 the series is chaotic, within about [0.4, 1.4].

    >>> s = mackey_glass(500)
    >>> s.shape, bool(0.3 < s.min() < s.max() < 1.5)
    ((500,), True)
    """
    check_int("n", n, 1)
    check_int("subsample", subsample, 1)
    check_int("discard", discard, 0)
    check_real("dt", dt, 0.0, math.inf, low_open=True)
    check_real("tau", tau, 0.0, math.inf, low_open=True)
    lag = round(tau / dt)
    if abs(lag * dt - tau) > 1e-9 * tau:
        raise SeqcheckError(f"tau / dt must be a whole number of steps; got tau = {tau}, "
                            f"dt = {dt} (tau / dt = {tau / dt:.6g})")
    steps = (discard + n - 1) * subsample
    x = np.empty(lag + steps + 1)
    x[:lag + 1] = x0

    def f(xt, xd):
        return beta * xd / (1 + xd ** power) - gamma * xt

    for i in range(lag, lag + steps):
        d0, d1 = x[i - lag], x[i - lag + 1]
        dm, xt = 0.5 * (d0 + d1), x[i]
        k1 = f(xt, d0)
        k2 = f(xt + 0.5 * dt * k1, dm)
        k3 = f(xt + 0.5 * dt * k2, dm)
        k4 = f(xt + dt * k3, d1)
        x[i + 1] = xt + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x[lag::subsample][discard:discard + n].copy()


def nrmse(prediction, target) -> float:
    """sqrt(mean((prediction - target)^2)) / std(target).

    >>> nrmse(np.array([1.0, 3.0]), np.array([1.0, 2.0]))  # RMSE 1/sqrt(2), std 1/2
    1.4142135623730951
    """
    prediction, target = np.asarray(prediction, float), np.asarray(target, float)
    return float(np.sqrt(np.mean((prediction - target) ** 2)) / np.std(target))


@dataclass(frozen=True)
class TaskResult:
    """One-step-ahead prediction of a series by an ESN.

    Arguments:
        series: ``"sine"`` or ``"mackey_glass"``; settings: what :func:`esn_task` ran.
        nrmse: on the test steps; nrmse_train: on the training steps after the washout.
        baseline_nrmse: the persistence forecast x(n+1) = x(n) on the test steps.
        test_start: the index n of the first test input s(n) in the generated series.
        predictions, targets: ``(test,)`` in the series' units.
    """

    series: str
    settings: dict
    nrmse: float
    nrmse_train: float
    baseline_nrmse: float
    test_start: int
    predictions: np.ndarray
    targets: np.ndarray

    def as_dict(self) -> dict:
        return {"series": self.series, **self.settings, "nrmse": self.nrmse,
                "nrmse_train": self.nrmse_train, "baseline_nrmse": self.baseline_nrmse,
                "test_start": self.test_start}


SERIES = {"sine": sine, "mackey_glass": mackey_glass}


def esn_task(series: str = "mackey_glass", *, train: int = 1500, test: int = 500,
             washout: int = 100, size: int = 200, sparsity: float = 0.1,
             spectral_radius: float = 0.9, input_scaling: float = 0.5,
             leak_rate: float = 1.0, beta: float = 1e-8, seed: int = 0) -> TaskResult:
    """Predict s(n+1) from s(1..n): seed 003's recipe on a generated series.

    The series s = ``SERIES[series](train + test + 1)`` is standardised with the mean and
    standard deviation of its training part and fed as x(n) = s(n); a generated
    :func:`reservoir` runs over train + test steps through the compiled ``esn`` spec;
    :func:`fit_readout` fits y(n) = s(n+1) on the training steps after the washout; the
    spec's readout y = W_out [1; h(n); x(n)] predicts the test steps, whose states
    continue from the training run.

    Returns:
        a :class:`TaskResult` (NRMSE on the test steps, and of the persistence forecast).

    >>> # Mackey-Glass (tau = 17): far better than repeating the last value
    >>> r = esn_task("mackey_glass", train=600, test=200, size=100)
    >>> r.nrmse < r.baseline_nrmse / 10
    True
    """
    if series not in SERIES:
        raise SeqcheckError(f"unknown series {series!r}; choose from {', '.join(SERIES)}")
    check_int("train", train, 1)
    check_int("test", test, 1)
    if washout >= train:
        raise SeqcheckError(f"washout {washout} must be shorter than train = {train}")
    res = reservoir(size, sparsity=sparsity, spectral_radius=spectral_radius,
                    input_scaling=input_scaling, leak_rate=leak_rate, seed=seed)
    s = SERIES[series](train + test + 1)
    mean, std = s[:train].mean(), s[:train].std()
    z = (s - mean) / std
    x, y = z[:-1].reshape(-1, 1, 1), z[1:].reshape(-1, 1, 1)
    h = run_reservoir(res, x)["h"]
    W_out = fit_readout(h[:train], x[:train], y[:train], washout=washout, beta=beta)
    out = run_reservoir(res, x, W_out=W_out)["y"][:, 0, 0]
    settings = {"train": train, "test": test, "washout": washout, "size": size,
                "sparsity": sparsity, "spectral_radius": spectral_radius,
                "input_scaling": input_scaling, "leak_rate": leak_rate, "beta": beta,
                "seed": seed}
    target = s[train + 1:]
    return TaskResult(series, settings, nrmse(out[train:], z[train + 1:]),
                      nrmse(out[washout:train], z[washout + 1:train + 1]),
                      nrmse(s[train:-1], target), train, out[train:] * std + mean, target)


