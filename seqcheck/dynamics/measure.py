"""Stage: spec + weights -> measured gradient dynamics ‖∂s_T/∂s_{T-k}‖₂ against the lag k.

Seed 000 eq. (26)-(28) and seed 002 ("Another look at the gradients", "Vanishing
gradients") explain vanishing and exploding gradients with one product: the gradient
that reaches the state k steps back is

    ∂s_T/∂s_{T-k} = J_T J_{T-1} ... J_{T-k+1},        J_t = ∂s_t/∂s_{t-1},

and for h_t = f(W h_{t-1} + ...) each factor is diag(f′) W, so (Pascanu et al. 2013)

    ‖∂h_T/∂h_{T-k}‖₂ ≤ (σ_max(W) · γ)^k,        γ ≥ |f′| (1 for tanh, 1/4 for sigmoid).

This module measures the product for any spec whose states are read at ``[t-1]``,
reusing the state Jacobians of :func:`seqcheck.derive.state_jacobians`, and reads off
the spec's equations which weights are recurrent, which activation wraps them, and
whether the bound applies (:mod:`.recurrence`). :func:`sweep` measures a list of
spectral radii at which :mod:`.sampling` draws the weights. The records it returns,
:class:`~.results.Dynamics` and :class:`~.results.Sweep`, and their JSON and text
forms are in :mod:`.results`; this module keeps the products, the fit and the verdict,
and the command line's values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import SeqcheckError
from ..spec.model import Spec
from .recurrence import recurrence
from .results import Dynamics, Sweep
from .sampling import DEFAULT_SIZE, as_spec, random_inputs, resolve_sizes, scaled_params

# The records (.results) and the draws (.sampling) are part of this stage's face: they
# were defined here, and ``from seqcheck.dynamics.measure import ...`` still finds them.
__all__ = ["THRESHOLD", "DEFAULT_SIZE", "Dynamics", "Sweep", "as_spec", "jacobian_products",
           "measure", "scaled_params", "random_inputs", "resolve_sizes", "sweep", "parse_radii",
           "parse_sizes"]

THRESHOLD = 0.01
"""Default verdict threshold on the log growth per step: |rate| ≤ 0.01 is "stable", i.e.
the gradient changes by less than a factor e over 100 steps."""


# -- the products, from the end ------------------------------------------------------
def jacobian_products(jacobians, *, to_initial: bool = False
                      ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """P(T, T-k) = ∂s_T/∂s_{T-k} = J_T ... J_{T-k+1} for k = 0..T-1, from t = T backwards.

    This is the BPTT direction (seed 001, "Back-Propagation Through Time"): each lag costs
    one matrix product, P(T, T-k) = P(T, T-k+1) J_{T-k+1}, so all lags cost O(T n³)
    rather than O(T² n³). Each product is kept as ``exp(log_scale) * Q`` with
    ``max |Q| = 1``, so that no lag overflows or underflows; a product that is exactly
    zero (saturated units, zero weights) has ``log_scale = -inf`` and ``Q = 0``.

    Arguments:
        jacobians: ``(T, B, n, n)``, ``[t-1]`` holding J_t
            (:attr:`seqcheck.derive.StateJacobians.jacobians`).
        to_initial: also yield k = T, ∂s_T/∂s_0 (the Jacobian w.r.t. the initial state).
    Yields:
        For k = 0, 1, ..., T-1 (T): ``(log_scale, Q)``, shapes ``(B,)`` and ``(B, n, n)``.

    >>> # J_t = 2 I at every step: ∂s_T/∂s_{T-k} = 2^k I
    >>> J = np.broadcast_to(2.0 * np.eye(2), (4, 1, 2, 2))
    >>> [round(float(np.exp(ls[0]) * Q[0, 0, 0]), 12) for ls, Q in jacobian_products(J)]
    [1.0, 2.0, 4.0, 8.0]
    """
    J = np.asarray(jacobians)
    if J.ndim != 4 or J.shape[2] != J.shape[3]:
        raise SeqcheckError(f"state Jacobians must have shape (T, B, n, n), got {J.shape}")
    T, B, n, _ = J.shape
    Q = np.broadcast_to(np.eye(n, dtype=J.dtype), (B, n, n)).copy()
    log_scale = np.zeros(B)
    yield log_scale.copy(), Q.copy()
    with np.errstate(under="ignore"):  # a vanishing product flushing to zero is the finding
        for k in range(1, T + 1 if to_initial else T):
            M = Q @ J[T - k]
            top = np.abs(M).max(axis=(1, 2))
            alive = top > 0
            safe = np.where(alive, top, 1.0)
            Q = np.where(alive[:, None, None], M / safe[:, None, None], 0.0)
            log_scale = np.where(alive, log_scale + np.log(safe), -np.inf)
            yield log_scale.copy(), Q.copy()


def _log_norms(jacobians) -> np.ndarray:
    """log ‖∂s_T/∂s_{T-k}‖₂ per batch row and lag, ``(B, T)``; −∞ where the product is 0."""
    J = np.asarray(jacobians)
    out = np.empty((J.shape[1], J.shape[0]))
    for k, (log_scale, Q) in enumerate(jacobian_products(J)):
        sigma = np.linalg.norm(Q, ord=2, axis=(1, 2))  # ≥ max |Q| = 1 where Q ≠ 0
        out[:, k] = log_scale + np.log(np.where(sigma > 0, sigma, 1.0))
    return out


def _fit(log_norm: np.ndarray, first: int) -> float:
    """Least-squares slope of ``log_norm[first:]`` against the lag; −∞ if any is −∞."""
    y = log_norm[first:]
    if np.isneginf(y).any():
        return -math.inf
    x = np.arange(first, first + len(y), dtype=float)
    x -= x.mean()
    return float(x @ (y - y.mean()) / (x @ x))


def _verdict(rate: float, threshold: float) -> str:
    if rate < -threshold:
        return "vanishing"
    return "exploding" if rate > threshold else "stable"


def measure(spec: Spec | str, params: Mapping, inputs: Mapping,
            initial: Mapping | None = None, *, recurrent: Sequence[str] | None = None,
            threshold: float = THRESHOLD, fit_from: int = 1, compiled=None) -> Dynamics:
    """Measure ‖∂s_T/∂s_{T-k}‖₂ against the lag k along one trajectory, and classify it.

    The products of the state Jacobians are taken from t = T backwards
    (:func:`jacobian_products`); the log growth per step is the least-squares slope of
    the batch's mean log norm over lags ``fit_from..T-1`` (lag 0 is ∂s_T/∂s_T = I), and
    the verdict is "vanishing" below −threshold, "exploding" above +threshold, else
    "stable". Where the spec's state Jacobian has Pascanu et al.'s form
    a·I + b·diag(f′)·W (:func:`~.recurrence.recurrence`) the bound
    (|a| + |b|·σ_max·γ)^k is reported with it (seed 002, "Vanishing gradients").

    Arguments:
        spec: a :class:`~seqcheck.Spec` or a bundled name; states read at ``[t-1]`` only.
        params: ``{name: array of the declared shape}``.
        inputs: sequence inputs ``(T, B, ...)``, static inputs ``(B, ...)``; T ≥ fit_from + 2.
        initial: optional ``{state: (B, ...)}`` (default: the spec's declared values).
        recurrent: parameter names to take as the recurrent weights instead of those
            found in the equations.
        threshold: nats per step; default :data:`THRESHOLD`.
        fit_from: first lag of the fit (raise it to skip a transient).
        compiled: the spec compiled with ``gradients=True`` (compiled here if None).
    Returns:
        :class:`Dynamics`.
    Raises:
        SeqcheckError: a backward-in-time chain (birnn), no delayed state, too few steps,
            arrays that do not fit the spec.

    >>> # seed 001's Elman RNN with W_1 = 0.5 I: each step scales the gradient by ≤ 0.5
    >>> from seqcheck.dynamics.measure import measure, scaled_params, random_inputs
    >>> sizes = {"D": 2, "H": 3, "C": 2}
    >>> p = scaled_params("elman", None, sizes, seed=0)
    >>> p["W_1"] = 0.5 * np.eye(3)
    >>> d = measure("elman", p, random_inputs("elman", 6, sizes, seed=0))
    >>> d.verdict, d.recurrence.bound_formula, d.bound_factor
    ('vanishing', '(σ_max·γ)^k', 0.5)
    >>> bool(np.all(d.row_norms <= d.bound * (1 + 1e-12)))
    True
    """
    spec = as_spec(spec)
    rec = recurrence(spec, recurrent)
    if compiled is None:
        from ..backends import compile_numpy

        compiled = compile_numpy(spec, gradients=True)
    elif compiled.spec.name != spec.name:
        raise SeqcheckError(f"measure got spec {spec.name!r} but code compiled from spec "
                            f"{compiled.spec.name!r}")
    traj = compiled(params, inputs, initial=initial)
    T = traj.steps
    if fit_from < 0 or T < fit_from + 2:
        raise SeqcheckError(f"measuring gradient dynamics fits a slope over lags "
                            f"{fit_from}..T-1, which needs T ≥ {fit_from + 2} steps "
                            f"(and fit_from ≥ 0); got T = {T}, fit_from = {fit_from}")
    from ..derive import state_jacobians

    log_norms = _log_norms(state_jacobians(compiled, traj).jacobians)
    log_norm = log_norms.mean(axis=0)  # geometric mean over the batch
    rate = _fit(log_norm, fit_from)
    arrays = {k: np.asarray(v, dtype=float) for k, v in traj.arrays["params"].items()}
    rho, sigma = rec.spectrum(arrays, traj.dims)
    factor = rec.bound_factor(arrays, sigma)
    lags = np.arange(T)
    with np.errstate(over="ignore", under="ignore"):  # a bound past 1e308 is +inf
        norms, row_norms = np.exp(log_norm), np.exp(log_norms)
        bound = None if factor is None else np.exp(lags * math.log(factor)) if factor > 0 \
            else (lags == 0).astype(float)
    return Dynamics(spec.name, T, traj.batch, rec.states, rec, rho, sigma, lags, row_norms,
                    norms, rate, (fit_from, T - 1), threshold, _verdict(rate, threshold),
                    rec.coefficients(arrays), factor, bound)



def sweep(spec: Spec | str, radii: Sequence[float], steps: int, seed: int = 0,
          sizes: Mapping[str, int] | None = None, *, batch: int = 4,
          recurrent: Sequence[str] | None = None, threshold: float = THRESHOLD,
          progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Measure gradient dynamics at each spectral radius in ``radii``.

    Every radius uses the same draw (:func:`scaled_params` with ``seed``, only the common
    factor of the recurrent weights changes) and the same inputs (:func:`random_inputs`),
    so the series differ by the radius alone.

    Arguments:
        spec: a spec or bundled name with forward-in-time ``[t-1]`` recurrences.
        radii: spectral radii (each ≥ 0).
        steps: T ≥ 3.
        seed: of the weights and inputs.
        sizes: ``{dim: size}``; missing dims get :data:`DEFAULT_SIZE`.
        batch: number of input sequences.
        recurrent, threshold: as for :func:`measure`.
        progress: called before each radius is measured, with ``(k, len(radii))``, k the
            radii measured so far (after the spec is compiled, which comes first).
    Returns:
        :class:`Sweep`; ``.as_dict()`` is ``seqcheck dynamics --json``.

    >>> # seed 003's echo state network below and above spectral radius 1
    >>> s = sweep("esn", [0.5, 1.5], steps=30, sizes={"N_u": 2, "N_x": 6, "N_y": 2})
    >>> [series["verdict"] for series in s.as_dict()["series"]]
    ['vanishing', 'exploding']
    """
    spec = as_spec(spec)
    radii = tuple(float(r) for r in radii)
    if not radii:
        raise SeqcheckError("sweep needs at least one spectral radius")
    dims = resolve_sizes(spec, sizes)
    recurrence(spec, recurrent)  # a spec that cannot be measured fails before compiling
    from ..backends import compile_numpy

    compiled = compile_numpy(spec, gradients=True)
    inputs = random_inputs(spec, steps, dims, seed, batch)
    results = []
    for k, r in enumerate(radii):
        if progress is not None:
            progress(k, len(radii))
        results.append(measure(spec, scaled_params(spec, r, dims, seed, recurrent=recurrent),
                               inputs, recurrent=recurrent, threshold=threshold,
                               compiled=compiled))
    return Sweep(spec.name, steps, seed, dims, radii, tuple(results))


# -- command-line values ----------------------------------------------------------------------
def parse_radii(text: str) -> tuple[float, ...]:
    """``"0.5,1.0,1.5"`` -> ``(0.5, 1.0, 1.5)``; each a finite number ≥ 0.

    >>> parse_radii("0.5, 1,1.5")
    (0.5, 1.0, 1.5)
    """
    parts = [p.strip() for p in text.split(",")]
    out = []
    for p in parts:
        try:
            r = float(p)
        except ValueError:
            r = math.nan
        if not (math.isfinite(r) and r >= 0):
            raise SeqcheckError(f"--radius takes comma-separated spectral radii, each a number "
                                f"≥ 0 (e.g. 0.5,1.0,1.5); got {text!r}, where {p!r} is not one")
        out.append(r)
    return tuple(out)


def parse_sizes(items: Sequence[str] | None) -> dict[str, int]:
    """``["H=32", "D=4"]`` -> ``{"H": 32, "D": 4}``.

    >>> parse_sizes(["H=32", "D=4"])
    {'H': 32, 'D': 4}
    """
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not (sep and name.strip() and value.strip().isdigit() and int(value) > 0):
            raise SeqcheckError(f"--size takes DIM=N with N a positive integer (e.g. H=32), "
                                f"got {item!r}")
        out[name.strip()] = int(value)
    return out
