"""The rows of ``seqcheck bench`` and their plain-text table.

Every row is ``{"name", "seconds", "baseline", "baseline_seconds", "ratio", "threads",
"params", "note"}`` with ``ratio == seconds / baseline_seconds`` (:func:`row`); the rows
are what ``seqcheck bench --json`` prints, and :func:`format_table` what it prints
without ``--json``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["row", "format_table"]


def row(name: str, seconds: float, baseline: str, baseline_seconds: float, threads,
        params: dict, **extra) -> dict:
    """One benchmark row; ``extra`` adds keys such as ``note`` or ``baseline_timed_out``.

    >>> row("a", 1.0, "b", 4.0, 1, {})["ratio"]
    0.25
    """
    return {"name": name, "seconds": seconds, "baseline": baseline,
            "baseline_seconds": baseline_seconds, "ratio": seconds / baseline_seconds,
            "threads": threads, "params": params, **extra}


def _fmt_seconds(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def format_table(rows: Sequence[dict]) -> str:
    """A plain-text table: name, seconds, baseline, baseline seconds, ratio, threads (note).

    A timed-out baseline shows as "> limit" and its ratio as "< bound".

    >>> print(format_table([{"name": "a", "seconds": 0.002, "baseline": "b",
    ...                      "baseline_seconds": 0.004, "ratio": 0.5, "threads": 1}]))
    name | seconds | baseline | baseline s | ratio | threads
    a    |  2.0 ms | b        |     4.0 ms | 0.50× | 1
    """
    header = ("name", "seconds", "baseline", "baseline s", "ratio", "threads")
    notes = any(r.get("note") for r in rows)
    header += ("note",) if notes else ()
    body = []
    for r in rows:
        out = r.get("baseline_timed_out", False)
        base = _fmt_seconds(r["baseline_seconds"])
        secs = _fmt_seconds(r["seconds"])
        if r.get("timed_out"):
            secs = "> " + secs
        ratio = f"{r['ratio']:.2f}×" if 0.01 <= r["ratio"] < 100 else f"{r['ratio']:.3g}×"
        if r.get("timed_out"):
            ratio = "> " + ratio
        threads = r.get("threads", "")
        if isinstance(threads, dict):
            threads = ", ".join(f"{k} {v}" for k, v in threads.items() if v is not None)
        body.append((r["name"], secs, r["baseline"], ("> " + base) if out else base,
                     ("< " + ratio) if out else ratio, str(threads))
                    + ((r.get("note", ""),) if notes else ()))
    table = [header, *body]
    widths = [max(len(line[k]) for line in table) for k in range(len(header))]
    right = {1, 3, 4}
    lines = []
    for line in table:
        cells = [c.rjust(w) if k in right and line is not header else c.ljust(w)
                 for k, (c, w) in enumerate(zip(line, widths))]
        lines.append(" | ".join(cells).rstrip())
    return "\n".join(lines)
