"""The records of a gradient-dynamics measurement: :class:`Dynamics` and :class:`Sweep`.

The measurement (:func:`~.measure.measure`, :func:`~.measure.sweep`) fills them, and they
render themselves: as JSON (``as_dict``, what ``seqcheck dynamics --json`` prints), as a
paragraph (:meth:`Dynamics.explain`) and as the table ``seqcheck dynamics`` prints
(:meth:`Sweep.format_table`). The bound they report is Pascanu et al.'s (2013),
(|a| + |b|·σ_max·γ)^k (seed 002, "Vanishing gradients"; seed 000 eq. 26-28).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .recurrence import Recurrence

__all__ = ["Dynamics", "Sweep", "finite"]


def finite(x) -> float | None:
    """A JSON-safe number: non-finite values (−∞ for a product that reached 0) as None.

    >>> finite(0.5), finite(-math.inf)
    (0.5, None)
    """
    x = float(x)
    return x if math.isfinite(x) else None


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
            "rate": finite(self.rate), "threshold": self.threshold,
            "fit_lags": [first, last],
            "norm_first": finite(self.norms[first]), "norm_last": finite(self.norms[last]),
            "sigma_max_gamma": sg, "bound_factor": self.bound_factor,
            "bound_last": None if self.bound is None else finite(self.bound[last]),
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
            "norms": [finite(v) for v in self.norms],
            "row_norms": [[finite(v) for v in row] for row in self.row_norms],
            "verdict": self.verdict, "evidence": self.evidence(),
            "bound_formula": self.recurrence.bound_formula,
            "bound": None if self.bound is None else [finite(v) for v in self.bound],
        }


@dataclass(frozen=True, eq=False)
class Sweep:
    """:func:`~.measure.measure` at each of several spectral radii, with the same draw and inputs.

    Arguments:
        spec, steps, seed: as given to :func:`~.measure.sweep`.
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
                   "norms": [finite(v) for v in d.norms],
                   "bound": None if d.bound is None else [finite(v) for v in d.bound],
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
