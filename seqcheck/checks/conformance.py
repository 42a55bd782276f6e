"""The conformance matrix: every engine, every recurrent unit, every attribute variant.

``seqcheck conformance`` verifies torch.nn's recurrent modules (on the CPU, and on CUDA
when torch sees a GPU), ONNX's RNN, LSTM and GRU nodes run by onnx.reference and by
onnxruntime, across the attribute variants each documents, against the spec of the
equations it documents for those attributes, in every dtype it runs in; and
reservoirpy's reservoir nodes against seed 003's echo state network and against the
equations their docstrings state.

A row that does not conform is examined further, so the table says *how* it differs:

- the engine raised (``raises``), with its message;
- it conforms to the equations *without* the attribute the row sets (``ignores``): the
  engine accepts the attribute and silently computes something else;
- otherwise it ``diverges``, with the first divergence of the shrunk counterexample and
  the single change of the spec that explains it, when one is found.

An engine that is not installed is listed as ``unavailable``, with the install hint;
nothing is skipped silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..errors import SeqcheckError
from .engine_rows import ENGINE_NAMES, Entry, entries, format_attributes
from .verify import verify
from .verify.search import describe_progress

__all__ = ["ENGINE_NAMES", "Row", "Entry", "entries", "run_conformance", "run_row", "diagnose",
           "format_table", "format_attributes"]


@dataclass(frozen=True)
class Row:
    """The outcome of one entry in one dtype."""

    engine: str
    unit: str
    attributes: dict
    dtype: str
    spec: str
    verdict: str  # conforms, diverges, ignores, raises, unavailable
    detail: str = ""
    gradients: bool | None = False  # None: a row that is no verify search (a readout fit)
    seconds: float = 0.0
    examples: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"engine": self.engine, "unit": self.unit, "attributes": self.attributes,
                "dtype": self.dtype, "spec": self.spec, "verdict": self.verdict,
                "ok": self.verdict == "conforms", "detail": self.detail,
                "gradients": self.gradients, "examples": self.examples,
                "seconds": round(self.seconds, 3), **self.extra}


# -- running ----------------------------------------------------------------------------
def _saying(status: Callable[[str], None] | None, head: str, doing: str = ""):
    """A ``progress`` for :func:`verify` that tells ``status`` how far the row's search is,
    e.g. ``entry 3/40 torch LSTM (defaults, float32): case 7/25``; None without status."""
    if status is None:
        return None
    return lambda n, total: status(f"{head}: {doing}{describe_progress(n, total)}")


def _run_one(entry: Entry, max_examples: int, seed: int, dtype: str | None,
             status: Callable[[str], None] | None = None, place: str = "") -> list[Row]:
    if status is not None:
        status(f"{place}{entry.engine} {entry.label}")
    if entry.check is not None:
        return [run_row(entry, None, None, dtype or "float64", max_examples, seed)[0]]
    try:
        target = entry.make()
    except SeqcheckError as e:
        return [Row(entry.engine, entry.unit, entry.attributes, dtype or "-", "-",
                    "unavailable", str(e).splitlines()[0])]
    spec = entry.spec() if entry.spec is not None else target.default_spec()
    return [run_row(entry, target, spec, dt, max_examples, seed, status=status,
                    place=place)[0] for dt in ([dtype] if dtype else target.dtypes)]


def run_row(entry: Entry, target, spec, dtype: str, max_examples: int, seed: int, *,
            status: Callable[[str], None] | None = None, place: str = "",
            search: Callable | None = None) -> tuple[Row, object]:
    """One row of the matrix: ``entry``'s ``target`` in ``dtype``, and verify's result
    behind its verdict (None for an ``unavailable`` row).

    Arguments:
        entry: the row's entry; target: ``entry.make()``; spec: the spec it is held to
            (both None for an entry with a ``check`` of its own).
        max_examples, seed: the search's.
        status, place: as for :func:`run_conformance` (``place`` heads its lines).
        search: runs the search instead of calling it directly: called with the search (a
            function taking verify's extra keyword arguments, e.g. ``replay=``) and
            returns its result; a campaign replays a kept counterexample this way.
    """
    if entry.check is not None:  # a check of its own (reservoirpy's readout), float64
        return _checked_row(entry, dtype, max_examples, seed), None
    if dtype not in target.dtypes:
        return Row(entry.engine, entry.unit, entry.attributes, dtype, spec.name,
                   "unavailable", f"runs in {', '.join(target.dtypes)} only"), None
    head = f"{place}{entry.engine} {entry.unit} ({format_attributes(entry.attributes)}, {dtype})"
    start = time.perf_counter()

    def plain(**more):
        return verify(target, spec=spec, dtype=dtype, max_examples=max_examples, seed=seed,
                      progress=_saying(status, head), lengths=entry.lengths,
                      min_length=entry.min_length, **more)

    result = plain() if search is None else search(plain)
    reading, result = _reading(entry, target, result, dtype, max_examples, seed)
    verdict, detail = "conforms", f"follows the reading {reading}" if reading else ""
    if not result.ok:
        verdict, detail = diagnose(entry, result, max_examples, seed, dtype,
                                   _saying(status, head, "without the attribute: "))
    extra = {k: v for k, v in (("reading", reading), ("values", entry.values)) if v}
    return Row(entry.engine, entry.unit, entry.attributes, dtype, result.spec, verdict, detail,
               result.gradients, time.perf_counter() - start, max_examples, extra), result


def _reading(entry: Entry, target, result, dtype: str, max_examples: int, seed: int):
    """(the reading the target follows, its result): for a row with readings that tell
    the target's outputs apart, the first reading it conforms to; (None, ``result``) for
    a row without them, or a target that follows none."""
    if not entry.readings:
        return None, result
    specs = [(label, make()) for label, make in entry.readings]
    if len({tuple(e.text for e in spec.equations) for _, spec in specs}) == 1:
        return None, result  # the readings agree on this row
    if result.ok:
        return specs[0][0], result
    for label, spec in specs[1:]:
        again = verify(target, spec=spec, dtype=dtype, max_examples=max_examples, seed=seed,
                       explain=False)
        if again.ok:
            return label, again
    return None, result


def _checked_row(entry: Entry, dtype: str, cases: int, seed: int) -> Row:
    """The row of an entry that runs a check of its own instead of verify."""
    start = time.perf_counter()
    try:
        entry.make()  # the engine is installed
    except SeqcheckError as e:
        return Row(entry.engine, entry.unit, entry.attributes, dtype, "-", "unavailable",
                   str(e).splitlines()[0])
    if dtype != "float64":
        return Row(entry.engine, entry.unit, entry.attributes, dtype, "-", "unavailable",
                   "runs in float64 only")
    spec, verdict, detail, extra = entry.check(cases, seed)
    return Row(entry.engine, entry.unit, entry.attributes, dtype, spec, verdict, detail,
               None, time.perf_counter() - start, cases, extra)


def diagnose(entry: Entry, result, max_examples: int, seed: int, dtype: str,
             progress=None) -> tuple[str, str]:
    """The verdict and detail of a row that does not conform: ``raises`` (the engine's
    message), ``ignores`` (an attribute row that conforms to the equations without its
    attribute) or ``diverges`` (the first divergence, and the change of the spec that
    explains it)."""
    check = result.check
    if check.error is not None:
        return "raises", check.error.splitlines()[0]
    if entry.baseline is not None:
        target = entry.make()
        try:
            base_spec = entry.baseline().default_spec()
            again = verify(target, spec=base_spec, dtype=dtype, max_examples=max_examples,
                           seed=seed, explain=False, progress=progress,
                           lengths="fed" if entry.lengths else False,
                           min_length=entry.min_length)
        except SeqcheckError:
            again = None
        if again is not None and again.ok and entry.lengths:
            return "ignores", ("is fed each row's length and computes every row over all T "
                               "steps, as if it had none")
        if again is not None and again.ok:
            return "ignores", (f"accepts {format_attributes(entry.attributes)} and computes the "
                               "equations without it")
    first = check.divergences[0].describe() if check.divergences else ""
    if entry.lengths and result.counterexample is not None:
        first += f" (row lengths {result.counterexample.lengths.tolist()})"
    if result.explanation:
        first += f"; explained by: {result.explanation}"
    return "diverges", first


def run_conformance(engines: Iterable[str] | None = None, *, max_examples: int = 25,
                    seed: int = 0, dtype: str | None = None,
                    progress: Callable[[Row], None] | None = None,
                    status: Callable[[str], None] | None = None) -> list[Row]:
    """Run the matrix; one :class:`Row` per entry and dtype.

    Arguments:
        engines: see :func:`entries`.
        max_examples: generated cases per row; seed: replays the whole matrix.
        dtype: only this dtype (default: every dtype each target runs in).
        progress: called with each row as it is done.
        status: called with what is being done whenever that changes, e.g. ``entry 3/40
            torch LSTM (num_layers=2, float32): case 7/25`` (the entry's place in the
            matrix, its row, and :func:`verify`'s progress on it).
    """
    rows = []
    todo = entries(engines)
    for k, entry in enumerate(todo, 1):
        for row in _run_one(entry, max_examples, seed, dtype, status, f"entry {k}/{len(todo)} "):
            rows.append(row)
            if progress is not None:
                progress(row)
    return rows


def format_table(rows: list[Row]) -> str:
    """The matrix as aligned text, then each finding in full.

    Columns: engine, unit, attributes, dtype, spec, verdict ("outputs only" where the
    engine has no gradients to compare).
    """
    head = ("engine", "unit", "attributes", "dtype", "spec", "verdict")
    body = []
    for r in rows:
        verdict = r.verdict
        if verdict == "conforms" and r.gradients is False:  # None: not a verify row
            verdict += " (outputs only)"
        body.append((r.engine, r.unit, format_attributes(r.attributes), r.dtype, r.spec, verdict))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in (head, tuple("-" * w for w in widths), *body)]
    notes = [f"  {r.engine} {r.unit} ({format_attributes(r.attributes)}, {r.dtype}): {r.detail}"
             for r in rows if r.detail and (r.verdict != "conforms" or r.extra.get("reading"))]
    if notes:
        lines += ["", "findings:", *notes]
    return "\n".join(lines)
