"""The matrix at the end of a run: the verdicts of the rows, wherever they ran.

Each row item puts its :class:`~seqcheck.checks.conformance.Row` (as a dict) in its
report's ``user_properties``, which pytest-xdist carries from the worker to the
controller; a :class:`RowGatherer` collects them there, and :func:`matrix_table` prints
them as ``seqcheck conformance`` does, in the matrix's order.
"""

from __future__ import annotations

__all__ = ["RowGatherer", "matrix_table"]


class RowGatherer:
    """A pytest plugin object that appends each row's properties to ``rows``."""

    def __init__(self, rows: list):
        self.rows = rows

    def pytest_runtest_logreport(self, report) -> None:
        if report.when != "call":
            return
        self.rows.extend(value for name, value in report.user_properties
                         if name == "seqcheck_row")


def matrix_table(rows: list[dict]) -> str:
    """``format_table`` of the rows, ordered as the matrix collects them.

    Arguments:
        rows: ``Row.as_dict()`` of each row, with its ``order`` in the matrix.
    """
    from ..checks.conformance import Row, format_table

    fields = ("engine", "unit", "attributes", "dtype", "spec", "verdict", "detail",
              "gradients", "examples")
    ordered = sorted(rows, key=lambda r: tuple(r["order"]))
    return format_table([Row(**{k: r[k] for k in fields}) for r in ordered])
