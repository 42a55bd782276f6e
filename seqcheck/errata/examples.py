"""The worked examples (``reference/*.toml``): every printed number that
:func:`~seqcheck.checks.example.check_example` calls a slip, or a slip carried forward, is an
erratum **computed** to be wrong.
"""

from __future__ import annotations

from .report import Erratum

__all__ = ["check_examples"]


def check_examples(names=None) -> tuple[Erratum, ...]:
    """Every printed number of the worked examples that is a slip (or follows one).

    Arguments:
        names: bundled example names (default: all of ``reference/``).
    """
    from .. import catalogue
    from ..checks.example import CARRIED, SLIP, check_example, format_values

    out = []
    for name in names if names is not None else catalogue.example_names():
        report = check_example(name)
        ex = report.example
        seed, _, walk = ex.source.partition(", ")
        for e in report.entries:
            if e.verdict not in (SLIP, CARRIED):
                continue
            place = f"{walk or ex.source}, {e.where or 'line ' + str(e.line)}: {e.name}_{e.t}"
            out.append(Erratum(
                seed=seed, place=place, printed=format_values(e.printed, e.decimals),
                finding=e.describe(), corrected=format_values(e.exact, e.decimals),
                transcription=f"reference/{name}.toml:{e.line}", how="computed",
                kind=e.verdict))
    return tuple(out)
