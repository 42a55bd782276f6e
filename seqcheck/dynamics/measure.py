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
whether the bound applies (:mod:`.recurrence`). :func:`scaled_params` draws weights
at a chosen spectral radius and :func:`sweep` measures a list of radii.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import SeqcheckError
from ..spec.model import Spec
from .recurrence import Recurrence, recurrence

__all__ = ["THRESHOLD", "DEFAULT_SIZE", "Dynamics", "Sweep", "jacobian_products", "measure",
           "scaled_params", "random_inputs", "resolve_sizes", "sweep", "parse_radii",
           "parse_sizes"]

THRESHOLD = 0.01
"""Default verdict threshold on the log growth per step: |rate| ≤ 0.01 is "stable", i.e.
the gradient changes by less than a factor e over 100 steps."""

DEFAULT_SIZE = 32
"""The size of every dim that :func:`resolve_sizes` is not told."""


def as_spec(spec: Spec | str) -> Spec:
    if isinstance(spec, Spec):
        return spec
    from ..spec import load_spec

    return load_spec(spec)


def _finite(x) -> float | None:
    """A JSON-safe number: non-finite values (−∞ for a product that reached 0) as None."""
    x = float(x)
    return x if math.isfinite(x) else None


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


# -- the result ------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Dynamics:
    """Measured gradient dynamics of one spec, one set of weights, one input batch.

    Arguments:
        spec: the spec's name.
        steps, batch: T and B of the trajectory.
        states: the blocks of ``s`` (``("h", "c")`` for the LSTM).
        recurrence: what the spec's equations say (:class:`~.recurrence.Recurrence`).
        spectral_radius: ρ of the recurrent weights (the largest over square blocks;
            None when none is square).
        sigma_max: ‖R‖₂ of the recurrent weights stacked as they act on ``s``; σ_max ≥ ρ.
        lags: ``(T,)``, k = 0..T-1.
        row_norms: ``(B, T)``, ‖∂s_T/∂s_{T-k}‖₂ per batch row.
        norms: ``(T,)``, their geometric mean over the batch (the mean of the logs:
            gradient norms spread over orders of magnitude, and the slope of the mean log
            is the mean of the per-row slopes).
        rate: least-squares slope of log ``norms`` against the lag over ``fit_lags``
            (nats per step; −∞ if the product reached exactly 0).
        fit_lags: ``(first, last)`` lag of the fit, inclusive.
        threshold: |rate| ≤ threshold is "stable".
        verdict: ``"vanishing"``, ``"stable"`` or ``"exploding"``.
        coefficients: ``(|a|, |b|)`` of ∂h_t/∂h_{t-1} = a·I + b·diag(f′)·W, or None.
        bound_factor: the bound on ‖J_t‖₂ per step, |a| + |b|·σ_max·γ, or None.
        bound: ``(T,)``, bound_factor^k, or None (``recurrence.bound_reason`` says why).
    """

    spec: str
    steps: int
    batch: int
    states: tuple[str, ...]
    recurrence: Recurrence
    spectral_radius: float | None
    sigma_max: float
    lags: np.ndarray
    row_norms: np.ndarray
    norms: np.ndarray
    rate: float
    fit_lags: tuple[int, int]
    threshold: float
    verdict: str
    coefficients: tuple[float, float] | None
    bound_factor: float | None
    bound: np.ndarray | None

    @property
    def gamma(self) -> float | None:
        """The activation-derivative bound γ (None: not one known function)."""
        return self.recurrence.gamma

    @property
    def bound_reason(self) -> str | None:
        """Why no bound is reported (None when it is)."""
        return self.recurrence.bound_reason

    def evidence(self) -> dict:
        """The numbers behind the verdict: rate, norms at the fit's first and last lag,
        σ_max·γ, the bound per step and at the last lag."""
        first, last = self.fit_lags
        sg = None if self.gamma is None else self.sigma_max * self.gamma
        return {
            "rate": _finite(self.rate), "threshold": self.threshold,
            "fit_lags": [first, last],
            "norm_first": _finite(self.norms[first]), "norm_last": _finite(self.norms[last]),
            "sigma_max_gamma": sg, "bound_factor": self.bound_factor,
            "bound_last": None if self.bound is None else _finite(self.bound[last]),
            "bound_reason": self.bound_reason,
        }

    def explain(self) -> str:
        """One paragraph: the verdict and its evidence."""
        e, (first, last) = self.evidence(), self.fit_lags
        sign = "<" if self.verdict == "vanishing" else ">" if self.verdict == "exploding" else "≤"
        limit = f"−{self.threshold:g}" if sign == "<" else f"{self.threshold:g}"
        rate = "−∞" if e["rate"] is None else f"{e['rate']:+.3g}"
        text = (f"{self.verdict}: log ‖∂s_T/∂s_(T-k)‖₂ grows {rate} per step over lags "
                f"{first}..{last} ({'|rate|' if sign == '≤' else 'rate'} {sign} {limit}); "
                f"‖·‖ = {self.norms[first]:.3g} at k = {first}, {self.norms[last]:.3g} at "
                f"k = {last}")
        if self.bound is not None:
            text += (f"; bound {self.recurrence.bound_formula} = {self.bound_factor:.3g}^k "
                     f"(σ_max·γ = {e['sigma_max_gamma']:.3g}), {self.bound[last]:.3g} at "
                     f"k = {last}")
        else:
            text += f"; no bound: {self.bound_reason}"
        return text

    def as_dict(self) -> dict:
        """JSON-ready; non-finite numbers (a rate of −∞, a bound past 1e308) are None."""
        return {
            "spec": self.spec, "steps": self.steps, "batch": self.batch,
            "states": list(self.states), "recurrent": list(self.recurrence.weights),
            "activation": self.recurrence.activation, "gamma": self.gamma,
            "spectral_radius": self.spectral_radius, "sigma_max": self.sigma_max,
            "lags": [int(k) for k in self.lags],
            "norms": [_finite(v) for v in self.norms],
            "row_norms": [[_finite(v) for v in row] for row in self.row_norms],
            "verdict": self.verdict, "evidence": self.evidence(),
            "bound_formula": self.recurrence.bound_formula,
            "bound": None if self.bound is None else [_finite(v) for v in self.bound],
        }


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


# -- weights and inputs ------------------------------------------------------------------
def resolve_sizes(spec: Spec | str, sizes: Mapping[str, int] | None = None) -> dict[str, int]:
    """Every dim of ``spec`` bound to a size: ``sizes`` where given, else :data:`DEFAULT_SIZE`.

    >>> resolve_sizes("lstm", {"H": 4})
    {'D': 32, 'H': 4}
    """
    spec = as_spec(spec)
    names = [d.name for d in spec.dims]
    unknown = sorted(set(sizes or {}) - set(names))
    if unknown:
        raise SeqcheckError(f"spec {spec.name!r} has no dim {', '.join(map(repr, unknown))}; "
                            f"its dims are {', '.join(names)}")
    out = {}
    for n in names:
        v = (sizes or {}).get(n, DEFAULT_SIZE)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise SeqcheckError(f"size of dim {n!r} must be a positive integer, got {v!r}")
        out[n] = int(v)
    return out


def _shape(shape: tuple, dims: Mapping[str, int]) -> tuple[int, ...]:
    subs = {sp.Symbol(k, integer=True, positive=True): v for k, v in dims.items()}
    return tuple(int(sp.sympify(s).subs(subs)) for s in shape)


def scaled_params(spec: Spec | str, radius: float | None, sizes: Mapping[str, int] | None = None,
                  seed: int = 0, *, recurrent: Sequence[str] | None = None,
                  fixed: Mapping | None = None) -> dict[str, np.ndarray]:
    """Random parameters whose recurrent weights have spectral radius exactly ``radius``.

    Draws, deterministically from ``seed`` and in declared order: matrices
    N(0, 1/fan-in) (fan-in = number of columns), vectors (biases) N(0, 0.1²), scalars
    (leak rates such as alpha) uniform on [0.25, 0.75]. ``fixed`` then overrides
    values by name. Then every recurrent block (:func:`~.recurrence.recurrence`) is
    multiplied by one common factor so that ρ, the largest spectral radius of a square
    block, equals ``radius``: the gated specs' blocks are rescaled jointly and keep
    their relative sizes. ρ is set, not the norm: for a non-normal matrix
    σ_max ≥ ρ, and the measured gradients follow ρ only over long lags.

    Arguments:
        spec: a spec or bundled name.
        radius: the spectral radius to set (≥ 0), or None to leave the draw as is.
        sizes: ``{dim: size}``; missing dims get :data:`DEFAULT_SIZE`.
        seed: the same seed gives the same draw, whatever the radius.
        recurrent: parameter names overriding the recurrent weights found.
        fixed: ``{name: value}`` set before rescaling.
    Returns:
        ``{name: float64 array of the declared shape}``.

    >>> # seed 001's Elman RNN: W_1 rescaled to spectral radius 1.5
    >>> p = scaled_params("elman", 1.5, {"D": 2, "H": 4, "C": 3}, seed=0)
    >>> round(float(np.abs(np.linalg.eigvals(p["W_1"])).max()), 12), p["W_2"].shape
    (1.5, (4, 2))
    """
    spec = as_spec(spec)
    dims = resolve_sizes(spec, sizes)
    rng = np.random.default_rng([seed, 0])
    params: dict[str, np.ndarray] = {}
    for name, d in spec.params.items():
        shape = _shape(d.shape, dims)
        if len(shape) == 0:
            params[name] = np.array(rng.uniform(0.25, 0.75))
        elif len(shape) == 1:
            params[name] = rng.normal(0.0, 0.1, shape)
        else:
            params[name] = rng.normal(0.0, 1.0, shape) / math.sqrt(shape[-1])
    unknown = sorted(set(fixed or {}) - set(params))
    if unknown:
        raise SeqcheckError(f"fixed names {', '.join(unknown)}, which are not parameters of "
                            f"spec {spec.name!r}: {', '.join(params)}")
    params.update({k: np.array(v, dtype=float) for k, v in (fixed or {}).items()})
    if radius is None:
        return params
    if not (isinstance(radius, (int, float, np.floating)) and math.isfinite(radius)
            and radius >= 0):
        raise SeqcheckError(f"radius must be a finite number ≥ 0, got {radius!r}")
    rec = recurrence(spec, recurrent)
    rho, _ = rec.spectrum(params, dims)
    if rho is None:
        raise SeqcheckError(rec.no_radius_message())
    if rho == 0:
        raise SeqcheckError(f"the recurrent weights of spec {spec.name!r} drawn with seed "
                            f"{seed} have spectral radius 0 and cannot be rescaled to {radius}")
    scale = {p: np.zeros(np.shape(params[p]), dtype=bool) for p in rec.weights}
    for block in rec.blocks:  # each entry once, even where two blocks share a parameter
        scale[block.param][block.index(dims)] = True
    for p, mask in scale.items():
        params[p] = np.where(mask, params[p] * (radius / rho), params[p])
    return params


def random_inputs(spec: Spec | str, steps: int, sizes: Mapping[str, int] | None = None,
                  seed: int = 0, batch: int = 4, scale: float = 0.1) -> dict[str, np.ndarray]:
    """A random input batch, uniform on [-scale, scale], deterministic from ``seed``.

    Drawn from a stream separate from :func:`scaled_params`'s, so the inputs do not
    change with the weights. The default amplitude is small so that the inputs do not
    saturate the units by themselves and the recurrent weights set the dynamics.

    Returns:
        sequence inputs ``(steps, batch, *shape)``, static inputs ``(batch, *shape)``.

    >>> {k: v.shape for k, v in random_inputs("esn", 5, {"N_u": 2}, batch=3).items()}
    {'x': (5, 3, 2)}
    """
    spec = as_spec(spec)
    dims = resolve_sizes(spec, sizes)
    if steps < 1 or batch < 1:
        raise SeqcheckError(f"steps and batch must be ≥ 1, got steps = {steps}, batch = {batch}")
    rng = np.random.default_rng([seed, 1])
    return {n: rng.uniform(-scale, scale, ((batch,) if d.static else (steps, batch))
                              + _shape(d.shape, dims))
            for n, d in spec.inputs.items()}


# -- a sweep over spectral radii -----------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Sweep:
    """:func:`measure` at each of several spectral radii, with the same draw and inputs.

    Arguments:
        spec, steps, seed: as given to :func:`sweep`.
        sizes: the binding of every dim.
        radii: the spectral radii set.
        results: one :class:`Dynamics` per radius.
    """

    spec: str
    steps: int
    seed: int
    sizes: Mapping[str, int]
    radii: tuple[float, ...]
    results: tuple[Dynamics, ...]

    def as_dict(self) -> dict:
        """``{"spec", "steps", "seed", "series": [{"radius", "sigma_max", "lags", "norms",
        "bound", "verdict"}, ...]}``: what ``seqcheck dynamics --json`` prints."""
        series = [{"radius": r, "sigma_max": d.sigma_max, "lags": [int(k) for k in d.lags],
                   "norms": [_finite(v) for v in d.norms],
                   "bound": None if d.bound is None else [_finite(v) for v in d.bound],
                   "verdict": d.verdict} for r, d in zip(self.radii, self.results)]
        return {"spec": self.spec, "steps": self.steps, "seed": self.seed, "series": series}

    def table_lags(self) -> list[int]:
        """The lags the table shows: 1, 10, T/2 and T-1, those that exist."""
        T = self.steps
        return sorted({k for k in (1, 10, T // 2, T - 1) if 1 <= k <= T - 1})

    def format_table(self) -> str:
        """The text ``seqcheck dynamics`` prints: one row per radius, then the legend."""
        first = self.results[0]
        rec, lags, T = first.recurrence, self.table_lags(), self.steps
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        gamma = "none" if rec.gamma is None else f"{rec.gamma:g}"
        lines = [f"{self.spec}: ‖∂s_T/∂s_(T-k)‖₂ for s = [{'; '.join(first.states)}], T = {T}, "
                 f"geometric mean over {first.batch} sequences (seed {self.seed}; {sizes})",
                 f"recurrent weights: {rec.describe()}; activation "
                 f"{rec.activation or ', '.join(rec.activations)} (γ = {gamma})", ""]
        head = (["radius", "σ_max", "γ", "growth/step"] + [f"k={k}" for k in lags]
                + [f"bound k={lags[-1]}", "verdict"])
        rows = []
        for r, d in zip(self.radii, self.results):
            rate = "-inf" if d.rate == -math.inf else f"{d.rate:+.4f}"
            bound = "-" if d.bound is None else f"{d.bound[lags[-1]]:.3g}"
            rows.append([f"{r:g}", f"{d.sigma_max:.3f}", gamma, rate]
                        + [f"{d.norms[k]:.3g}" for k in lags] + [bound, d.verdict])
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        for row in [head, *rows]:
            lines.append("  ".join(c.rjust(w) if i < len(row) - 1 else c
                                   for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        lo, hi = first.fit_lags
        lines += ["", f"growth/step: least-squares slope of log ‖·‖ over lags {lo}..{hi}; "
                      f"< −{first.threshold:g} vanishing, > +{first.threshold:g} exploding, "
                      "else stable"]
        if rec.bound_reason is None:
            a, b = first.coefficients
            ab = "" if rec.leak == (0, 1) else \
                f" with |{rec.leak[0]}| = {a:.3g}, |{rec.leak[1]}| = {b:.3g}"
            lines.append(f"bound: {rec.bound_formula}{ab} (Pascanu et al. 2013; seed 002, "
                         "'Vanishing gradients'; seed 000 eq. 26-28)")
        else:
            lines.append(f"bound: none, {rec.bound_reason}")
        return "\n".join(lines)


def sweep(spec: Spec | str, radii: Sequence[float], steps: int, seed: int = 0,
          sizes: Mapping[str, int] | None = None, *, batch: int = 4,
          recurrent: Sequence[str] | None = None, threshold: float = THRESHOLD) -> Sweep:
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
    results = tuple(measure(spec, scaled_params(spec, r, dims, seed, recurrent=recurrent),
                            inputs, recurrent=recurrent, threshold=threshold, compiled=compiled)
                    for r in radii)
    return Sweep(spec.name, steps, seed, dims, radii, results)


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
