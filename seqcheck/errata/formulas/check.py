"""Checking a transcribed formula: Hypothesis draws cases, the claim is evaluated at every
value of the free indices, and a failing case is shrunk to the smallest one Hypothesis
finds. The search is derandomised and uses no example database, so a run reproduces.
"""

from __future__ import annotations

import itertools

import numpy as np

from ...errors import Diagnostic, SpecError
from ..report import Erratum
from .evaluate import Case, Evaluator, Fault, format_value
from .load import Formula, free_indices, load_formulas

__all__ = ["check_formula", "check_formula_file", "search"]

_DEFAULT_RANGE = {"real": (-3.0, 3.0), "integer": (-3, 3), "positive": (0.0, 3.0),
                  "probability": (0.01, 1.0), "orthogonal": (-1.0, 1.0), "binary": (0, 1)}


def _strategy(f: Formula):
    from hypothesis import assume
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def elements(a):
        lo, hi = _DEFAULT_RANGE[a.draw]
        lo, hi = (a.low if a.low is not None else lo), (a.high if a.high is not None else hi)
        if a.draw in ("integer", "binary"):
            return st.integers(int(np.ceil(lo)), int(np.floor(hi))).map(float)
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                         exclude_min=a.draw == "positive" and lo == 0)

    @st.composite
    def case(draw):
        sizes = {n: draw(st.integers(lo, hi)) for n, (lo, hi) in f.sizes.items()}
        ev = Evaluator({}, Case(sizes, {}), f.texts)
        arrays, bases = {}, {}
        for name, a in f.arrays.items():
            shape = tuple(ev.integer(t, {}) for t in a.shape)
            assume(all(n >= 0 for n in shape))
            x = draw(hnp.arrays(np.float64, shape, elements=elements(a)))
            arrays[name] = _shaped(a, x)
            if a.base is not None:
                bases[name] = tuple(ev.integer(t, {}) for t in a.base)
        return Case(sizes, arrays, bases)

    return case()


def _shaped(a, x: np.ndarray) -> np.ndarray:
    if a.draw == "probability":
        return x / x.sum(axis=-1, keepdims=True) if x.size else x
    if a.draw == "orthogonal":
        if x.ndim != 2 or x.shape[0] != x.shape[1]:
            raise Fault(f"{a.name} is drawn orthogonal but its shape {x.shape} is not square")
        q, r = np.linalg.qr(x + np.eye(len(x)) * 1e-3)
        return q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return x


def _failure(f: Formula, claim, lets, case: Case) -> str | None:
    """Why ``claim`` fails on ``case`` (at the first index value where it does), or None."""
    ev = Evaluator(lets, case, f.texts)
    try:
        for bound in _index_values(f, ev):
            holds = ev.value(claim, bound)
            if not isinstance(holds, bool):
                raise Fault(f"the claim is a value ({format_value(holds)}), not a statement")
            if not holds:
                where = ", ".join(f"{i} = {v}" for i, v in bound.items())
                return (f"at {where}: " if where else "") + ev.why(claim, bound)
    except Fault as e:
        return f"the formula cannot be evaluated: {e}"
    return None


def _index_values(f: Formula, ev: Evaluator):
    names = list(f.for_all)

    def rec(k: int, bound: dict):
        if k == len(names):
            yield dict(bound)
            return
        lo, hi = f.for_all[names[k]]
        for v in range(ev.integer(lo, bound), ev.integer(hi, bound) + 1):
            yield from rec(k + 1, {**bound, names[k]: v})

    yield from rec(0, {})


def search(f: Formula, claim, lets) -> tuple[Case | None, str | None, int]:
    """The smallest case Hypothesis finds where ``claim`` fails.

    Returns:
        ``(case, why it fails, cases tried)``; ``(None, None, tried)`` when every drawn
        case satisfies the claim.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    tried = itertools.count()

    def fails(case: Case) -> bool:
        next(tried)
        return _failure(f, claim, lets, case) is not None

    config = settings(database=None, derandomize=True, max_examples=f.examples, deadline=None,
                      suppress_health_check=list(HealthCheck),
                      phases=(Phase.generate, Phase.shrink))
    try:
        case = find(_strategy(f), fails, settings=config)
    except NoSuchExample:
        return None, None, next(tried)
    return case, _failure(f, claim, lets, case), next(tried)


def describe_case(case: Case) -> str:
    """``"H = 2; W = [[...]]; h = [...]"``: the sizes, then the arrays."""
    parts = [f"{n} = {v}" for n, v in case.sizes.items()]
    parts += [f"{n} = {format_value(v)}" for n, v in case.arrays.items()]
    return "; ".join(" ".join(p.split()) for p in parts)


def _bad(f: Formula, message: str) -> SpecError:
    return SpecError(Diagnostic(kind="bad-erratum", message=message,
                                file=f.transcription.split("#")[0], symbol=f.id,
                                hint="the corrected form must hold: fix corrected_claim "
                                     "(docs/errata.md, 'Formula transcriptions')"))


def check_formula(f: Formula) -> tuple[Erratum | None, tuple[str, ...]]:
    """Check one formula as printed, and its corrected form when it is an erratum.

    Returns:
        ``(erratum or None, confirmed)``: the erratum when the printed claim fails, with
        the shrunk counterexample; the claim that holds otherwise.
    Raises:
        SpecError: the corrected form leaves an index free or fails on a drawn case.
    """
    faults, remarks = free_indices(f, f.claim, f.lets)
    if faults:
        finding = "; ".join(faults + remarks)
    else:
        case, why, tried = search(f, f.claim, f.lets)
        if case is None:
            expected = " (the transcription has a corrected form: it expects a failure)" \
                if f.corrected_claim is not None else ""
            return None, (f"{f.transcription} ({f.place}): holds on {tried} drawn cases"
                          f"{expected}",)
        finding = "; ".join([f"counterexample {describe_case(case)}: {why}"] + remarks)
    corrected = f.corrected or "(the transcription gives no corrected form)"
    if f.corrected_claim is not None:
        bad, _ = free_indices(f, f.corrected_claim, f.corrected_lets)
        if bad:
            raise _bad(f, f"the corrected claim of '{f.id}' leaves an index free: {bad[0]}")
        case, why, tried = search(f, f.corrected_claim, f.corrected_lets)
        if case is not None:
            raise _bad(f, f"the corrected claim of '{f.id}' fails too: counterexample "
                       f"{describe_case(case)}: {why}")
        finding += f". The corrected form holds on {tried} drawn cases"
    return Erratum(seed=f.seed, place=f.place, printed=f.printed, finding=finding,
                   corrected=corrected, transcription=f.transcription, how="violated",
                   kind=f.kind, problem=f.problem), ()


def check_formula_file(path, transcription: str | None = None, progress=None):
    """:func:`check_formula` for every formula of a file, in order.

    Arguments:
        path: the transcription file.
        transcription: the path findings name (default: ``path`` as given).
        progress: called with ``"specs/formulas/seed000.toml#eq30"`` before each formula.
    Returns:
        ``(errata, confirmed)``.
    """
    errata, confirmed = [], []
    for f in load_formulas(path, transcription):
        if progress is not None:
            progress(f.transcription)
        found, holds = check_formula(f)
        if found is not None:
            errata.append(found)
        confirmed += holds
    return errata, confirmed
