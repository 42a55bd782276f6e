"""``seqcheck bench``: speed, as ratios against baselines run in the same process
(:mod:`seqcheck.bench`); a line on stderr before each measurement, and on a terminal a live
line of the one running.
"""

from __future__ import annotations

import argparse
import itertools

from .arguments import add_json_flag
from .output import dump_json
from .progress import Line, echo, live_line, show

HELP = "benchmarks, as ratios against baselines run in the same process"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="first size only, naive SymPy baseline at T = 1 only, fewer "
                             "repeats")
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (median)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and BLAS threads for both sides (default 1)")
    parser.add_argument("--no-naive", action="store_true",
                        help="skip the naive SymPy unrolling baseline (slow)")
    add_json_flag(parser, "print the rows as JSON")


def run(args: argparse.Namespace) -> int:
    from .. import bench

    with live_line("bench", enabled=not args.json) as live:
        rows = bench.run(quick=args.quick, repeats=args.repeats, threads=args.threads,
                         naive=not args.no_naive, progress=None if args.json else _say(live))
    if args.json:
        dump_json(rows)
    else:
        print(bench.format_table(rows))
    return 0


def _say(live: Line):
    """Print each line bench says, as it always has; on a terminal, also keep a live line
    of the measurement running (``bench: measurement 3: lstm: ..., float32``)."""
    numbers = itertools.count(1)

    def say(line: str) -> None:
        echo(live, line)
        show(live, f"measurement {next(numbers)}: {line.removeprefix('bench: ')}")

    return say
