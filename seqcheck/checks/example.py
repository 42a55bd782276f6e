"""Worked examples, number by number: does every printed value follow from the equations?

The file format is described in :mod:`seqcheck.checks.example_file`.

:func:`check_example` recomputes every printed value in float64 two ways (seed 004's two
LSTM walk-throughs are the motivating case):

``exact``
    the value on the exact trajectory: the spec compiled by :func:`~seqcheck.compile_numpy`
    and run on the file's parameters, initial values and inputs; an ``expr`` entry is
    evaluated on that trajectory at its step.
``local``
    the entry's equation (or ``expr``) evaluated on the *printed, rounded* values of the
    variables it uses, at the same step or an earlier one: the value printed last before
    the entry (or, failing that, the first one printed after it). A variable that is not
    printed at that step is itself recomputed locally (recursively); parameters, inputs
    and values before step 1 come from the file.

A printed value *agrees* with a number when every component satisfies
``|printed - number| <= 0.5 * 10**-decimals`` (plus 1e-9 of that bound and a few ulps
of the number, for the binary representation of decimals); a ``reduce = "argmax"`` entry
agrees when the printed class is the index of the largest entry. ``ok`` is agreement with
``exact``, ``local_ok`` with ``local``, and the verdict combines the two:

=============================================  ===========================================
verdict                                        meaning
=============================================  ===========================================
``"ok"``                                       agrees with both.
``"ok (inconsistent with printed operands)"``  correct, but not what the printed operands
                                               give: computed at a higher precision than
                                               printed (or an operand is the slip).
``"rounding drift"``                           wrong, but exactly what the printed, rounded
                                               operands give: rounding carried forward.
``"slip carried forward"``                     wrong, and what the printed operands give,
                                               but one of them is (or follows) a slip.
``"slip"``                                     agrees with neither: an arithmetic or
                                               transcription slip in the lecture.
=============================================  ===========================================
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..backends.numpy_backend import compile_expression, compile_numpy
from ..display import Displayable
from ..spec import Typed
from .example_file import Example, Printed, load_example, loads_example
from .example_file.cache import COMPILED, cached_on_spec, parse_cached
from .example_file.model import printed_class

__all__ = ["Printed", "Example", "EntryResult", "ExampleReport", "VERDICTS",
           "load_example", "loads_example", "check_example"]

OK = "ok"
OK_INCONSISTENT = "ok (inconsistent with printed operands)"
DRIFT = "rounding drift"
CARRIED = "slip carried forward"
SLIP = "slip"
#: Every verdict, in the order the summary counts them.
VERDICTS = (SLIP, CARRIED, DRIFT, OK_INCONSISTENT, OK)
#: The name of a delayed operand of a compiled function: ``h[t-1]`` is h at step t - 1.
LABEL = re.compile(r"^(\w+)\[t([+-]\d+)\]$")


# -- checking -----------------------------------------------------------------------
def _tolerance(decimals: int) -> float:
    return 0.5 * 10.0 ** -decimals


def _agrees(printed: Printed, value: np.ndarray) -> bool:
    """Whether ``printed`` agrees with ``value`` at its printed precision (module docstring)."""
    if printed.reduce == "argmax":
        return bool(np.all(np.isfinite(value))) and int(np.argmax(value)) == printed.printed_class
    tol = _tolerance(printed.decimals)
    diff = np.abs(printed.value - value)
    slack = 1e-9 * tol + 4 * np.finfo(np.float64).eps * np.maximum(np.abs(value), 1.0)
    return bool(np.all(diff <= tol + slack))


def _label(name: str) -> tuple[str, int]:
    m = LABEL.match(name)
    return (m.group(1), int(m.group(2))) if m else (name, 0)


class _Evaluator:
    """Evaluates equations and printed expressions of one example at a step, in float64."""

    def __init__(self, ex: Example):
        self.ex = ex
        spec = ex.spec
        seq = {n: a[:, None] for n, a in ex.inputs.items() if not spec.inputs[n].static}
        static = {n: a[None] for n, a in ex.inputs.items() if spec.inputs[n].static}
        initial = {n: a[None] for n, a in ex.initial.items() if n in spec.states}
        traj = compile_numpy(spec)(dict(ex.params), {**seq, **static}, initial, steps=ex.steps)
        #: every variable over t = 1..T, (T, *shape)
        self.exact = {v: traj.values[v][:, 0] for v in spec.variables}
        # printed values usable as operands: (name, t) -> indices of plain entries
        self.operands: dict[tuple[str, int], list[int]] = {}
        for k, p in enumerate(ex.printed):
            if p.expr is None and p.reduce is None:
                self.operands.setdefault((p.name, p.t), []).append(k)

    def function(self, p: Printed | str) -> Callable:
        """The compiled equation of variable ``p`` or the compiled expr of entry ``p``."""
        spec = self.ex.spec
        if isinstance(p, Printed) and p.expr is not None:
            return cached_on_spec(COMPILED, spec, ("expr", p.expr),
                           lambda: compile_expression(spec, parse_cached(spec, p.expr)))
        e = spec.equation(p if isinstance(p, str) else p.name)
        return cached_on_spec(COMPILED, spec, ("equation", e.target),
                       lambda: compile_expression(spec, Typed(e.expr, e.shape)))

    def evaluate(self, fn: Callable, t: int, variable: Callable[[str, int], np.ndarray]):
        """``fn`` at step ``t``; variables at steps 1..T come from ``variable(name, step)``."""
        ex, env = self.ex, {}
        for label in fn.names:
            name, offset = _label(label)
            step = t + offset
            if name in ex.params:
                env[label] = ex.params[name]
            elif not 1 <= step <= ex.steps:
                env[label] = ex.initial[name]
            elif name in ex.inputs:
                static = ex.spec.inputs[name].static
                env[label] = ex.inputs[name] if static else ex.inputs[name][step - 1]
            else:
                env[label] = variable(name, step)
        return np.asarray(fn(env, ex.dims), dtype=np.float64)

    def exact_value(self, p: Printed) -> np.ndarray:
        if p.expr is None:
            return self.exact[p.name][p.t - 1]
        return self.evaluate(self.function(p), p.t, lambda n, s: self.exact[n][s - 1])

    def local_value(self, k: int) -> tuple[np.ndarray, frozenset[int]]:
        """Entry ``k`` recomputed from the printed, rounded values it uses (module docstring).

        Returns:
            The value (the entry's shape) and the indices of the printed entries it used.
        """
        memo: dict[tuple[str, int], np.ndarray] = {}
        used: set[int] = set()

        def variable(name: str, step: int) -> np.ndarray:
            ks = self.operands.get((name, step), [])
            earlier = [j for j in ks if j < k]
            if ks:
                j = earlier[-1] if earlier else ks[0]
                used.add(j)
                return self.ex.printed[j].value
            if (name, step) not in memo:
                memo[(name, step)] = self.evaluate(self.function(name), step, variable)
            return memo[(name, step)]

        p = self.ex.printed[k]
        return self.evaluate(self.function(p), p.t, variable), frozenset(used)


@dataclass(frozen=True, eq=False)  # holds arrays: no field-wise ==
class EntryResult:
    """The check of one printed entry.

    Arguments:
        t, name, expr, where, decimals, reduce, note, line: as in the :class:`Printed` entry.
        printed: the printed value (array of the entry's shape, or the class for argmax).
        exact: the value on the exact trajectory, the entry's shape (for argmax, the vector).
        local: the recomputation from the printed, rounded operands, same shape.
        ok: ``printed`` agrees with ``exact`` at the printed precision.
        local_ok: ``printed`` agrees with ``local``.
        verdict: one of :data:`VERDICTS` (module docstring).
    """

    t: int
    name: str
    expr: str | None
    where: str
    printed: object
    exact: np.ndarray = field(repr=False)
    local: np.ndarray = field(repr=False)
    decimals: int
    ok: bool
    local_ok: bool
    verdict: str
    reduce: str | None = None
    note: str = ""
    line: int = 0

    printed_class = property(lambda self: printed_class(self.printed, self.reduce),
                             doc='For ``reduce = "argmax"``: the printed class index; else None.')

    def describe(self) -> str:
        """One line: what was printed, the exact value, the difference and the tolerance.

        e.g. ``h at t = 1 (eq. (70)): printed [0.7, 0.0], exact [0.630, 0.000]; |Δ| = 0.070
        at [0] > 0.05; from the printed operands [0.664, 0.000]: agrees; rounding drift``
        """
        head = f"{self.name} at t = {self.t}" + (f" ({self.where})" if self.where else "")
        if self.reduce == "argmax":
            d = self.decimals + 2
            body = (f"printed class {self.printed_class}, exact argmax "
                    f"{argmax_index(self.exact)} of {format_values(self.exact, d)}; from the "
                    f"printed operands: argmax {argmax_index(self.local)} of "
                    f"{format_values(self.local, d)}")
        else:
            d, tol = self.decimals, _tolerance(self.decimals)
            diff = np.abs(np.asarray(self.printed) - self.exact)
            worst = np.unravel_index(int(np.nanargmax(diff)), diff.shape) if diff.size else ()
            where = "[" + ", ".join(str(int(i)) for i in worst) + "]" if worst else ""
            cmp = ">" if not self.ok else "<="
            body = (f"printed {format_values(self.printed, d)}, "
                    f"exact {format_values(self.exact, d + 2)}; "
                    f"|Δ| = {float(diff[worst]):.{d + 2}f}{' at ' + where if where else ''} "
                    f"{cmp} {tol:g}; from the printed operands {format_values(self.local, d + 2)}")
        agree = "agrees" if self.local_ok else "disagrees"
        return f"{head}: {body}: {agree}; {self.verdict}"

    def as_dict(self) -> dict:
        out = {
            "t": self.t, "name": self.name,
            "printed": self.printed if isinstance(self.printed, int) else _plain(self.printed),
            "exact": _plain(self.exact), "ok": self.ok, "local_ok": self.local_ok,
            "local": _plain(self.local), "verdict": self.verdict, "where": self.where,
            "expr": self.expr, "decimals": self.decimals, "reduce": self.reduce,
            "line": self.line,
        }
        if self.reduce == "argmax":
            out["printed_class"] = self.printed_class
            out["exact_class"] = argmax_index(self.exact)
            out["local_class"] = argmax_index(self.local)
        return out


def argmax_index(a: np.ndarray) -> int:
    return int(np.argmax(a))


def _plain(a) -> object:
    """A JSON-serialisable copy of an array: nested lists of floats."""
    return np.asarray(a, dtype=np.float64).tolist()


def format_values(a, decimals: int) -> str:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.{decimals}f}"
    return "[" + ", ".join(format_values(x, decimals) for x in a) + "]"


def format_entry(e: EntryResult) -> tuple[str, str]:
    """An entry's printed and exact values as the tables show them.

    The printed value at its precision and the exact one with two more decimals; for an
    ``argmax`` entry the printed class, and the exact class with the vector it comes from.

    >>> # seed 004's 1-decimal walk-through: h_1 printed as 0.7
    >>> e = next(e for e in check_example("seed004_lstm_1dec").entries if (e.t, e.name) == (1, "h"))
    >>> format_entry(e)
    ('[0.7, 0.0]', '[0.630, 0.000]')
    """
    if e.reduce == "argmax":
        return (str(e.printed_class),
                f"{argmax_index(e.exact)} = argmax {format_values(e.exact, e.decimals + 2)}")
    return format_values(e.printed, e.decimals), format_values(e.exact, e.decimals + 2)


@dataclass(frozen=True, eq=False)  # holds arrays: no field-wise ==
class ExampleReport(Displayable):
    """The check of every printed entry of one worked example.

    Arguments:
        example: the example checked.
        entries: one :class:`EntryResult` per printed entry, in file order.
    """

    example: Example
    entries: tuple[EntryResult, ...]

    @property
    def ok(self) -> bool:
        """Every printed value agrees with the exact trajectory."""
        return all(e.ok for e in self.entries)

    @property
    def flagged(self) -> tuple[EntryResult, ...]:
        """The entries whose verdict is not plain ``"ok"``."""
        return tuple(e for e in self.entries if e.verdict != OK)

    def counts(self) -> dict[str, int]:
        """Number of entries per verdict, every verdict included."""
        c = Counter(e.verdict for e in self.entries)
        return {v: c.get(v, 0) for v in VERDICTS}

    def summary(self) -> str:
        """e.g. ``"2 slips, 3 rounding drift, 40 ok"``."""
        c = self.counts()
        parts = [f"{c[SLIP]} slip{'' if c[SLIP] == 1 else 's'}"]
        parts += [f"{c[v]} {v}" for v in (CARRIED, DRIFT, OK_INCONSISTENT) if c[v] or v == DRIFT]
        parts.append(f"{c[OK]} {OK}")
        return ", ".join(parts)

    def as_dict(self) -> dict:
        """A JSON-serialisable dict: spec, source, file, ok, summary, counts and values."""
        ex = self.example
        return {"spec": ex.spec.name, "source": ex.source, "file": ex.file, "ok": self.ok,
                "summary": self.summary(), "counts": self.counts(),
                "values": [e.as_dict() for e in self.entries]}

    def format_text(self) -> str:
        """A table (t, name, where, printed, exact, verdict), the flagged entries, a summary."""
        ex = self.example
        rows = [("t", "name", "where", "printed", "exact", "verdict")]
        for e in self.entries:
            printed, exact = format_entry(e)
            rows.append((str(e.t), e.name, e.where, printed, exact, e.verdict))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"{ex.file}: spec '{ex.spec.name}'" + (f", {ex.source}" if ex.source else "")]
        for r in rows:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if self.flagged:
            lines.append("flagged:")
            lines.extend(f"  line {e.line}: {e.describe()}" for e in self.flagged)
        lines.append(self.summary())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format_text()


def check_example(example: Example | str | Path) -> ExampleReport:
    """Check every printed value of a worked example against the exact and local values.

    Arguments:
        example: an :class:`Example`, a path, or a bundled name (``"seed004_lstm_1dec"``).
    Returns:
        An :class:`ExampleReport`; it raises nothing for wrong printed values (see ``.ok``).
    Raises:
        ExampleError: the file cannot be loaded.

    >>> # seed 004's 1-decimal walk-through: h_1 is printed as 0.7, exactly 0.6296
    >>> report = check_example("seed004_lstm_1dec")
    >>> [e.verdict for e in report.entries if (e.t, e.name) == (1, "h")]
    ['rounding drift']
    """
    ex = example if isinstance(example, Example) else load_example(example)
    ev = _Evaluator(ex)
    checks = []
    for k, p in enumerate(ex.printed):
        exact, (local, used) = ev.exact_value(p), ev.local_value(k)
        checks.append((exact, local, used, _agrees(p, exact), _agrees(p, local)))

    carried: dict[int, bool] = {}

    def follows_slip(k: int) -> bool:
        """Wrong, right from its printed operands, and one of those is (or follows) a slip."""
        if k not in carried:
            carried[k] = False  # guards against a cycle of fallbacks to later entries
            _, _, used, ok, local_ok = checks[k]
            carried[k] = not ok and local_ok and any(
                (not checks[j][3] and not checks[j][4]) or follows_slip(j) for j in used)
        return carried[k]

    results = []
    for k, p in enumerate(ex.printed):
        exact, local, _, ok, local_ok = checks[k]
        if ok:
            verdict = OK if local_ok else OK_INCONSISTENT
        else:
            verdict = SLIP if not local_ok else CARRIED if follows_slip(k) else DRIFT
        results.append(EntryResult(
            t=p.t, name=p.name, expr=p.expr, where=p.where, printed=p.value, exact=exact,
            local=local, decimals=p.decimals, ok=ok, local_ok=local_ok, verdict=verdict,
            reduce=p.reduce, note=p.note, line=p.line))
    return ExampleReport(ex, tuple(results))
