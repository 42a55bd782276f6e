"""The records :func:`~seqcheck.checks.verify.verify` returns, and their text and JSON forms.

:class:`Divergence` is one compared value outside the tolerance, :class:`CaseCheck` the
comparison on one case, :class:`VerifyResult` the answer of a whole search (a
:class:`~seqcheck.display.Displayable`: ``format_text`` for the CLI, ``as_dict`` for
``--json``). They hold values only; the engine that fills them is
:mod:`seqcheck.checks.verify.checker`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...display import Displayable

__all__ = ["Divergence", "CaseCheck", "VerifyResult"]


@dataclass(frozen=True)
class Divergence:
    """One compared value outside the tolerance.

    Arguments:
        what: ``"output h"``, ``"final state c"``, ``"gradient W_hi"``, ``"gradient x"``...
        step: the step t (1-based) for per-step values, else None.
        index: the index within the compared array (batch row first).
        expected, actual: the spec's float64 value and the target's.
        tol: the tolerance that applied.
    """

    what: str
    step: int | None
    index: tuple
    expected: float
    actual: float
    tol: float

    @property
    def abs_err(self) -> float:
        return abs(self.actual - self.expected)

    @property
    def rel_err(self) -> float:
        return self.abs_err / max(abs(self.expected), 1e-300)

    def describe(self) -> str:
        at = f" at t = {self.step}" if self.step is not None else ""
        relative = f" (relative {self.rel_err:.3g})" if self.expected != 0 else ""
        return (f"{self.what}{at}{list(self.index)}: expected {self.expected:.6g}, "
                f"actual {self.actual:.6g}; |Δ| = {self.abs_err:.3g}{relative} "
                f"> tolerance {self.tol:.3g}")

    def as_dict(self) -> dict:
        return {"what": self.what, "step": self.step, "index": list(self.index),
                "expected": self.expected, "actual": self.actual, "abs_err": self.abs_err,
                "rel_err": self.rel_err, "tolerance": self.tol}


@dataclass(frozen=True)
class CaseCheck:
    """The comparison on one case: ok, the divergences in order, or the target's exception.

    ``ratio`` is the largest |Δ| / tolerance over the divergences (infinite for an
    exception): how clearly the case diverges. ``margin`` is the largest |Δ| / tolerance
    over every compared entry, diverging or not (None where nothing was compared): how
    much of its tolerance a conforming case used.
    """

    ok: bool
    divergences: tuple[Divergence, ...] = ()
    error: str | None = None
    margin: float | None = None

    @property
    def ratio(self) -> float:
        if self.error is not None:
            return float("inf")
        return max((_ratio(d) for d in self.divergences), default=0.0)


def _ratio(d: Divergence) -> float:
    """|Δ| / tolerance; infinite for a NaN or infinite value, which no tolerance covers
    (a NaN ratio would compare false with everything and hide the divergence)."""
    r = d.abs_err / d.tol if d.tol > 0 else float("inf")
    return float("inf") if r != r else r


@dataclass(frozen=True)
class VerifyResult(Displayable):
    """The answer of :func:`~seqcheck.checks.verify.verify`.

    Arguments:
        ok: the target conforms on every case tried.
        target, spec, layout: what was compared.
        examples: the number of cases the search could try; seed: replays it.
        dtype: the target's dtype.
        counterexample: the shrunk failing case (a :class:`seqcheck.strategies.Case`).
        check: the comparison on the counterexample.
        explanation: the single-equation change of the spec that makes the
            counterexample conform, if one was found.
    """

    ok: bool
    target: str
    spec: str
    layout: str
    examples: int
    seed: int
    dtype: str
    gradients: bool
    counterexample: object = None
    check: CaseCheck | None = None
    explanation: str | None = None
    replayed: str | None = None

    def __bool__(self) -> bool:
        return self.ok

    def format_text(self) -> str:
        head = (f"{self.target} against spec '{self.spec}' ({self.layout}, {self.dtype}, "
                f"{'outputs, states and gradients' if self.gradients else 'outputs and states'})")
        if self.replayed:
            where = f"the case saved in {self.replayed} (seed {self.seed})"
            if self.ok:
                return f"conforms: {head}\n  on {where}"
            lines = [f"does not conform: {head}",
                     f"  counterexample replayed from {where}: "
                     f"{self.counterexample.describe()}"]
        elif self.ok:
            return (f"conforms: {head}\n  {self.examples} generated cases, seed {self.seed}")
        else:
            lines = [f"does not conform: {head}",
                     f"  counterexample ({self.examples} cases searched, seed {self.seed}; "
                     f"replay with --seed {self.seed}): {self.counterexample.describe()}"]
        if self.check.error:
            lines.append(f"  the target raised: {self.check.error}")
        for d in self.check.divergences[:6]:
            lines.append(f"  {d.describe()}")
        if len(self.check.divergences) > 6:
            lines.append(f"  ... and {len(self.check.divergences) - 6} more values")
        if self.explanation:
            lines.append(f"  explained by: {self.explanation}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        out = {"ok": self.ok, "target": self.target, "spec": self.spec, "layout": self.layout,
               "examples": self.examples, "seed": self.seed, "dtype": self.dtype,
               "gradients": self.gradients, "replayed": self.replayed, "counterexample": None}
        if not self.ok:
            case = self.counterexample
            sizes = dict(case.sizes)
            out["counterexample"] = {
                "input_size": sizes.get("D"), "hidden_size": sizes.get("H"),
                "batch": case.batch, "steps": case.steps, "sizes": sizes,
                "error": self.check.error,
                "divergences": [d.as_dict() for d in self.check.divergences],
                "first": self.check.divergences[0].as_dict() if self.check.divergences else None,
                "explanation": self.explanation,
            }
        return out
