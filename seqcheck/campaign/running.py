"""One campaign item's work: a conformance row, or a declared check, verified.

:func:`run_row` does for one row of the matrix (an :class:`~seqcheck.checks.conformance.Entry`
in one dtype) what ``seqcheck conformance`` does for it, and returns the same
:class:`~seqcheck.checks.conformance.Row`: the same search, the same verdict (conforms,
ignores, raises, diverges or unavailable) and the same detail. :func:`run_check` verifies
one :class:`~.checks_file.DeclaredCheck` in one dtype. Both replay a kept counterexample
first when given a :class:`~.store.CounterexampleStore`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RowOutcome", "run_check", "run_row"]


@dataclass(frozen=True)
class RowOutcome:
    """A row's verdict and, unless it is unavailable, verify's result behind it."""

    row: object  # a seqcheck.checks.conformance.Row
    result: object = None  # a VerifyResult, or None for an unavailable row


def run_row(entry, target, dtype: str, *, cases: int, seed: int, store=None,
            nodeid: str = "") -> RowOutcome:
    """Verify one row of the conformance matrix, as ``seqcheck conformance`` does
    (:func:`seqcheck.checks.conformance.run_row`).

    Arguments:
        entry: the row's :class:`~seqcheck.checks.engine_rows.Entry`.
        target: ``entry.make()``, built once per process and shared by the row's dtypes.
        dtype: ``"float32"`` or ``"float64"``; a dtype the target does not run in gives
            an ``unavailable`` row, as in ``seqcheck conformance --dtype``.
        cases, seed: verify's ``max_examples`` and ``seed``.
        store, nodeid: replay and keep counterexamples under this key (None: neither).
    """
    from ..checks.conformance import run_row as conformance_row

    if entry.check is not None:  # a check of its own (reservoirpy's readout): no search
        return RowOutcome(conformance_row(entry, None, None, dtype, cases, seed)[0])
    spec = entry.spec() if entry.spec is not None else target.default_spec()
    row, result = conformance_row(entry, target, spec, dtype, cases, seed,
                                  search=lambda plain: _search(plain, store, nodeid))
    return RowOutcome(row, result)


def run_check(check, dtype: str | None, *, cases: int, seed: int, store=None,
              nodeid: str = ""):
    """Verify one declared check; its own ``cases`` and ``seed`` win over those given.

    Arguments:
        check: a :class:`~.checks_file.DeclaredCheck`.
        dtype: one of its dtypes, or None for the target's first.
        cases, seed: for a check that declares none.
        store, nodeid: replay and keep counterexamples under this key (None: neither).
    Returns:
        The :class:`~seqcheck.checks.verify.VerifyResult`.
    """
    from ..checks.verify import verify

    def search(**more):
        return verify(check.target, spec=check.spec, attributes=check.attributes or None,
                      mapping=check.mapping, dtype=dtype, gradients=check.gradients,
                      max_examples=check.cases if check.cases is not None else cases,
                      seed=check.seed if check.seed is not None else seed, **more)

    return _search(search, store, nodeid)


def _search(search, store, nodeid: str):
    """The kept counterexample replayed, if it still diverges; else a search, whose
    counterexample is kept."""
    if store is None:
        return search()
    result = store.replay(nodeid, search)
    if result is None:
        result = search()
        if not result.ok and result.counterexample is not None:
            store.save(nodeid, result)
    return result
