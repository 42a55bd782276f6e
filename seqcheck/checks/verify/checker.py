"""One case on the target and on the spec, compared under the tolerance model.

:class:`Checker` runs a generated case through the target and through the spec's
compiled float64 forward and backward pass, and compares per-step outputs, final states
and the gradients of a random projection L = Σ_t ⟨P_t, y_t⟩ with respect to inputs,
initial states and every parameter, returning a
:class:`~seqcheck.checks.verify.result.CaseCheck`.

Tolerance (documented in docs/conventions.md): a comparison passes when
|actual − expected| ≤ atol + rtol·|expected| with

    rtol = 16·ε·(1 + T·S),   atol = rtol·m,   m = 1 + max|θ|·(D + H)

for values, and 16 times both for gradients, where ε is the target dtype's machine
epsilon, S the number of recurrent sweeps (chains) of the spec -- 1 for a cell, L·2 for
an L-layer bidirectional stack, whose longest path runs through every chain -- and max|θ|
the largest parameter. float64 targets are held to ≈ 1e-13, float32 ones to ≈ 1e-5 at
small sizes; both grow with T, with depth and with the size of the pre-activations.

``Checker(..., rounding="measured")`` (what verify uses at a fixed size) tightens each
quantity's tolerance to a multiple of the spec's own float32 rounding on the case
(:mod:`.rounding`); the model above stays the upper bound.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...errors import SeqcheckError
from ...spec import Spec
from .result import CaseCheck, Divergence
from .rounding import measured_tolerance

__all__ = ["tolerance", "compare_values", "Checker"]


def tolerance(dtype, steps: int, params: Mapping, sizes: Mapping, gradients: bool = False,
              sweeps: int = 1):
    """(rtol, atol) of the tolerance model in the module docstring.

    >>> # a float64 cell over 3 steps with weights up to 0.5, D = 1, H = 2: values
    >>> rtol, atol = tolerance("float64", 3, {"W": np.array([0.5, -0.25])}, {"D": 1, "H": 2})
    >>> round(rtol / np.finfo(np.float64).eps), round(atol / rtol, 3)
    (64, 2.5)
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    rtol = 16 * eps * (1 + steps * max(1, sweeps))
    biggest = max((float(np.max(np.abs(p))) for p in params.values() if np.size(p)), default=1.0)
    m = 1 + biggest * sum(int(v) for v in sizes.values())
    atol = rtol * m
    if gradients:
        rtol, atol = 16 * rtol, 16 * atol
    return rtol, atol


def compare_values(what: str, expected, actual, rtol: float, atol: float,
                   per_step: bool = False) -> list[Divergence]:
    """Every entry of ``actual`` outside ``atol + rtol·|expected|``, as Divergences.

    Arguments:
        what: the label of the compared value (``"output h"``, ``"gradient W_hi"``).
        expected: the spec's values, any shape (a scalar is compared as shape (1,)).
        actual: the target's values, reshaped to ``expected``'s shape.
        rtol, atol: the tolerance (see :func:`tolerance`); ``atol`` may be an array of
            ``expected``'s shape (a target's slack added to it).
        per_step: the first axis is time (T, ...): it becomes the 1-based ``step``.
    Returns:
        the divergences in index order; a NaN in either array is one.

    >>> # the second step of a (T = 2, 1) output is off by 0.5
    >>> [d.step for d in compare_values("output h", [[1.0], [2.0]], [[1.0], [2.5]],
    ...                                 1e-6, 1e-6, per_step=True)]
    [2]
    """
    expected = np.atleast_1d(np.asarray(expected, dtype=np.float64))  # a scalar as (1,)
    actual = np.asarray(actual, dtype=np.float64).reshape(expected.shape)
    tol = atol + rtol * np.abs(expected)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(actual - expected) <= tol)  # NaN in either is a divergence
    out = []
    for idx in zip(*np.nonzero(bad)):
        idx = tuple(int(i) for i in idx)
        step = idx[0] + 1 if per_step else None
        rest = idx[1:] if per_step else idx
        out.append(Divergence(what, step, rest, float(expected[idx]), float(actual[idx]),
                              float(tol[idx])))
    return out


class Checker:
    """Runs one case on the target and on the spec and compares them.

    Arguments:
        target: the :class:`~seqcheck.adapters.base.Target`.
        spec: the spec it is held to.
        dtype: the target's dtype.
        gradients: also compare the gradients.
        rounding: ``"model"``: the a-priori tolerance of the module docstring;
            ``"measured"``: per quantity, at most :data:`~.rounding.HEADROOM` times the
            spec's own float32 rounding on the case (one more run of the spec's passes).
    """

    def __init__(self, target, spec: Spec, dtype: str, gradients: bool,
                 rounding: str = "model"):
        if rounding not in ("model", "measured"):
            raise ValueError(f"rounding must be 'model' or 'measured', not {rounding!r}")
        self.rounding = rounding
        self.target = target
        self.spec = spec
        self.dtype = dtype
        self.gradients = gradients
        self._compiled: dict = {}
        self.observed = tuple(target.outputs)
        self.states = tuple(target.states)
        sequence = spec.data_inputs
        if len(sequence) != 1:
            raise SeqcheckError(f"spec {spec.name!r} has {len(sequence)} sequence inputs "
                                f"({', '.join(sequence) or 'none'}); verify feeds a target "
                                "exactly one")
        self.input = sequence[0]  # the target's x, whatever the spec calls it

    def compiled(self, spec: Spec, dtype: str = "float64"):
        from ...backends import compile_numpy

        key = (id(spec), dtype)
        if key not in self._compiled:
            seeded = tuple(dict.fromkeys(self.observed + self.states))
            self._compiled[key] = (spec, compile_numpy(spec, dtype, gradients=self.gradients,
                                                       seeded=seeded))
        return self._compiled[key][1]

    def sweeps(self, spec: Spec) -> int:
        """How many recurrent chains the spec runs (the S of the tolerance)."""
        from ...spec import make_schedule

        return sum(1 for sw in make_schedule(spec).sweeps if sw.direction)

    def run_spec(self, case, spec: Spec, dtype: str = "float64"):
        c = self.compiled(spec, dtype)
        # a variant that drops a parameter (explain's "leaves out the bias") runs without it
        params = {n: a for n, a in case.params.items() if n in spec.params}
        traj = c.forward(params, dict(case.inputs),
                         initial={s: case.initial[s] for s in self.states})
        keep = _padding_mask(case, spec, self.observed)  # 0 on a padded step (spec.lengths)
        out = {"per_step": {v: np.asarray(traj[v]) * keep[v] for v in self.observed},
               "final": {s: np.asarray(traj.final[s]) for s in self.states}}
        if self.gradients:
            from ...spec import make_schedule

            schedule = make_schedule(spec)
            seeds = {}
            for v in c.seeded:
                if v in self.observed:
                    seeds[v] = case.seeds[v] * keep[v]
                else:  # a state seen only at the end of its sweep: seed that step
                    s = np.zeros_like(traj.raw[v])
                    last = 0 if schedule.sweep_of(v).direction < 0 else -1
                    s[last] = case.seeds[v][-1]
                    seeds[v] = s
            g = c.backward(traj, seeds)
            out["params"] = dict(g.params)
            out["x"] = np.asarray(g.inputs[self.input])
            out["initial"] = {s: np.asarray(g.initial[s]) for s in self.states}
        return out

    def check(self, case, spec: Spec | None = None) -> CaseCheck:
        spec = spec or self.spec
        try:
            actual = self.target.run(case, self.dtype, self.gradients)
        except Exception as e:  # noqa: BLE001 - any exception of the target is a finding
            return CaseCheck(False, (), f"{type(e).__name__}: {e}")
        expected = self.run_spec(case, spec)
        sweeps = self.sweeps(spec)
        model = tolerance(self.dtype, case.steps, case.params, case.sizes, sweeps=sweeps)
        g_model = tolerance(self.dtype, case.steps, case.params, case.sizes, True,
                            sweeps=sweeps)
        tol = _Tolerances(self.dtype, model, g_model, self.run_spec(case, spec, "float32")
                          if self.rounding == "measured" else None)
        divergences: list[Divergence] = []
        self._margin = 0.0
        slack = actual.per_step_slack or {}
        for v in self.observed:
            rtol, atol = tol.of(("per_step", v), expected)
            divergences += self._compare(f"output {v}", expected["per_step"][v],
                                          actual.per_step[v], rtol, atol + slack.get(v, 0),
                                          per_step=True)
        slack = actual.final_slack or {}
        for s in self.states:
            rtol, atol = tol.of(("final", s), expected)
            divergences += self._compare(f"final state {s}", expected["final"][s],
                                          actual.final[s], rtol, atol + slack.get(s, 0))
        if self.gradients and not divergences:
            for name in expected["params"]:
                divergences += self._compare(f"gradient {name}", expected["params"][name],
                                              actual.params[name],
                                              *tol.of(("params", name), expected))
            for name in sorted(set(actual.params) - set(expected["params"])):  # not in spec:
                divergences += self._compare(f"gradient {name}",  # no effect, no gradient
                                              np.zeros_like(actual.params[name]),
                                              actual.params[name], *g_model)
            divergences += self._compare(f"gradient {self.input}", expected["x"], actual.x,
                                          *tol.of(("x",), expected), per_step=True)
            for s in self.states:
                divergences += self._compare(f"gradient {s}_0", expected["initial"][s],
                                              actual.initial[s],
                                              *tol.of(("initial", s), expected))
        divergences.sort(key=lambda d: (d.step is None, d.step or 0))
        return CaseCheck(not divergences, tuple(divergences), margin=self._margin)

    def _compare(self, what, expected, actual, rtol, atol, per_step=False) -> list[Divergence]:
        """:func:`compare_values`, recording the largest |Δ| / tolerance of the case."""
        e = np.atleast_1d(np.asarray(expected, dtype=np.float64))
        a = np.asarray(actual, dtype=np.float64).reshape(e.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.abs(a - e) / (atol + rtol * np.abs(e))
        if r.size:
            worst = float(np.max(r))
            self._margin = max(self._margin, worst if worst == worst else float("inf"))
        return compare_values(what, expected, actual, rtol, atol, per_step)


def _padding_mask(case, spec: Spec, outputs) -> dict:
    """``{output: array broadcasting over its (T, B, ...) values}``: the spec's mask input
    where it has one (an output is 0 on a padded step, :mod:`seqcheck.spec.lengths`),
    else 1."""
    mask = spec.mask_input
    if mask is None or mask not in case.inputs:
        return dict.fromkeys(outputs, 1.0)
    m = np.asarray(case.inputs[mask], dtype=np.float64)  # (T, B)
    return {v: m.reshape(m.shape + (1,) * len(spec.shape_of(v))) for v in outputs}


class _Tolerances:
    """(rtol, atol) per compared quantity: the a-priori model for values and for
    gradients, tightened by the spec's float32 run where one was made."""

    def __init__(self, dtype: str, model, g_model, expected32: dict | None):
        self.dtype, self.model, self.g_model, self.expected32 = dtype, model, g_model, \
            expected32

    def of(self, key: tuple, expected: dict) -> tuple[float, float]:
        model = self.model if key[0] in ("per_step", "final") else self.g_model
        if self.expected32 is None:
            return model
        e, e32 = expected, self.expected32
        for k in key:
            e, e32 = e[k], e32[k]
        return measured_tolerance(self.dtype, e, e32, model)
