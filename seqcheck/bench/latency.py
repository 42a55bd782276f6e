"""Benchmark 5 of ``seqcheck bench``: how long a command takes, as a whole process.

Each command runs in a fresh interpreter (``sys.executable``), as a user's shell would
start it, and is timed from start to exit: import, work and printing. The baselines run
the same way in the same rounds: ``python -c pass`` (the interpreter's own start) and
``python -c "import sympy"`` (the floor of any command that types an equation). Every row
states its target and whether this run met it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from .table import row

__all__ = ["COMMANDS", "BASELINES", "bench_latency"]

#: The interpreter's start, and SymPy's import: what a command cannot go below.
BASELINES: dict[str, tuple[str, ...]] = {
    "python -c pass": ("-c", "pass"),
    'python -c "import sympy"': ("-c", "import sympy"),
}

#: label -> (interpreter arguments, baseline label, target seconds).
COMMANDS: dict[str, tuple[tuple[str, ...], str, float]] = {
    "import seqcheck": (("-c", "import seqcheck"), "python -c pass", 0.6),
    "seqcheck list": (("-m", "seqcheck", "list"), 'python -c "import sympy"', 1.0),
    "seqcheck show lstm": (("-m", "seqcheck", "show", "lstm"), 'python -c "import sympy"', 1.0),
    "seqcheck derive lstm": (("-m", "seqcheck", "derive", "lstm"), 'python -c "import sympy"',
                             1.2),
}


def _environment(cache: str) -> dict[str, str]:
    """The commands' environment: bytecode cached in the folder ``cache``.

    A user's installed seqcheck runs from cached bytecode, but an editable install under
    ``PYTHONDONTWRITEBYTECODE`` compiles its source at every start (about 0.15 s). The
    warm-up round fills ``cache`` (``PYTHONPYCACHEPREFIX``), so the timed rounds measure
    what a user's shell sees without writing ``__pycache__`` into the tree.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _run(args: Sequence[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of ``python args`` to its exit; its output is discarded."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()[-400:]}")
    return seconds


def bench_latency(repeats: int, recorded, say, commands: Sequence[str] | None = None
                  ) -> list[dict]:
    """One row per command of :data:`COMMANDS` (default all), against its baseline.

    Every round runs each command and both baselines once, in a rotating order, after one
    untimed round (which also fills the bytecode caches); the rows report medians. The
    row's ``params`` hold the target in seconds, whether it was met, and the command's
    seconds over the interpreter's start.
    """
    names = list(commands if commands is not None else COMMANDS)
    unknown = sorted(set(names) - set(COMMANDS))
    if unknown:
        raise ValueError(f"unknown command {', '.join(unknown)}; choose from "
                         f"{', '.join(COMMANDS)}")
    jobs = {**{b: args for b, args in BASELINES.items()},
            **{n: COMMANDS[n][0] for n in names}}
    labels = list(jobs)
    times: dict[str, list[float]] = {k: [] for k in labels}
    with tempfile.TemporaryDirectory(prefix="seqcheck-bench-pyc-") as cache:
        env = _environment(cache)
        for r in range(repeats + 1):
            say(f"bench: whole-process latency, round {r + 1} of {repeats + 1}")
            for k in range(len(labels)):
                label = labels[(k + r) % len(labels)]
                seconds = _run(jobs[label], env)
                if r:  # the first round is the warm-up, which fills the bytecode cache
                    times[label].append(seconds)
    median = {k: statistics.median(v) for k, v in times.items()}
    rows = [row(f"process: {b}", median[b], "python -c pass", median["python -c pass"],
                recorded, {"repeats": repeats}, note="the floor of the rows below")
            for b in BASELINES if b != "python -c pass"]
    for name in names:
        _, baseline, target = COMMANDS[name]
        seconds = median[name]
        met = seconds <= target
        rows.append(row(
            f"process: {name}", seconds, baseline, median[baseline], recorded,
            {"target_seconds": target, "target_met": met, "repeats": repeats,
             "over_python_start": seconds - median["python -c pass"]},
            note=f"target ≤ {target:g} s: {'met' if met else 'missed'}"))
    return rows
