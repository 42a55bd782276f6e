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
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...errors import SeqcheckError
from ...spec import Spec
from .result import CaseCheck, Divergence

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
    """Runs one case on the target and on the spec and compares them."""

    def __init__(self, target, spec: Spec, dtype: str, gradients: bool):
        self.target = target
        self.spec = spec
        self.dtype = dtype
        self.gradients = gradients
        self._compiled: dict = {}
        self.observed = tuple(target.outputs)
        self.states = tuple(target.states)
        sequence = spec.sequence_inputs
        if len(sequence) != 1:
            raise SeqcheckError(f"spec {spec.name!r} has {len(sequence)} sequence inputs "
                                f"({', '.join(sequence) or 'none'}); verify feeds a target "
                                "exactly one")
        self.input = sequence[0]  # the target's x, whatever the spec calls it

    def compiled(self, spec: Spec):
        from ...backends import compile_numpy

        key = id(spec)
        if key not in self._compiled:
            seeded = tuple(dict.fromkeys(self.observed + self.states))
            self._compiled[key] = (spec, compile_numpy(spec, gradients=self.gradients,
                                                       seeded=seeded))
        return self._compiled[key][1]

    def sweeps(self, spec: Spec) -> int:
        """How many recurrent chains the spec runs (the S of the tolerance)."""
        from ...spec import make_schedule

        return sum(1 for sw in make_schedule(spec).sweeps if sw.direction)

    def run_spec(self, case, spec: Spec):
        c = self.compiled(spec)
        # a variant that drops a parameter (explain's "leaves out the bias") runs without it
        params = {n: a for n, a in case.params.items() if n in spec.params}
        traj = c.forward(params, dict(case.inputs),
                         initial={s: case.initial[s] for s in self.states})
        out = {"per_step": {v: np.asarray(traj[v]) for v in self.observed},
               "final": {s: np.asarray(traj.final[s]) for s in self.states}}
        if self.gradients:
            from ...spec import make_schedule

            schedule = make_schedule(spec)
            seeds = {}
            for v in c.seeded:
                if v in self.observed:
                    seeds[v] = case.seeds[v]
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
        rtol, atol = tolerance(self.dtype, case.steps, case.params, case.sizes, sweeps=sweeps)
        g_rtol, g_atol = tolerance(self.dtype, case.steps, case.params, case.sizes, True,
                                   sweeps=sweeps)
        divergences: list[Divergence] = []
        slack = actual.per_step_slack or {}
        for v in self.observed:
            divergences += compare_values(f"output {v}", expected["per_step"][v],
                                          actual.per_step[v], rtol, atol + slack.get(v, 0),
                                          per_step=True)
        slack = actual.final_slack or {}
        for s in self.states:
            divergences += compare_values(f"final state {s}", expected["final"][s],
                                          actual.final[s], rtol, atol + slack.get(s, 0))
        if self.gradients and not divergences:
            for name in expected["params"]:
                divergences += compare_values(f"gradient {name}", expected["params"][name],
                                              actual.params[name], g_rtol, g_atol)
            for name in sorted(set(actual.params) - set(expected["params"])):  # not in spec:
                divergences += compare_values(f"gradient {name}",  # no effect, no gradient
                                              np.zeros_like(actual.params[name]),
                                              actual.params[name], g_rtol, g_atol)
            divergences += compare_values(f"gradient {self.input}", expected["x"], actual.x,
                                          g_rtol, g_atol,
                                          per_step=True)
            for s in self.states:
                divergences += compare_values(f"gradient {s}_0", expected["initial"][s],
                                              actual.initial[s], g_rtol, g_atol)
        divergences.sort(key=lambda d: (d.step is None, d.step or 0))
        return CaseCheck(not divergences, tuple(divergences))
