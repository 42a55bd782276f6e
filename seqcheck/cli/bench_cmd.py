"""``seqcheck bench``: speed, as ratios against baselines run in the same process
(:mod:`seqcheck.bench`); progress on stderr.
"""

from __future__ import annotations

import argparse
import sys

from .arguments import add_json_flag
from .output import dump_json

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

    progress = None if args.json else (lambda line: print(line, file=sys.stderr))
    rows = bench.run(quick=args.quick, repeats=args.repeats, threads=args.threads,
                     naive=not args.no_naive, progress=progress)
    if args.json:
        dump_json(rows)
    else:
        print(bench.format_table(rows))
    return 0
