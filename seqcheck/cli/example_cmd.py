"""``seqcheck example``: check a worked example number by number
(:func:`seqcheck.checks.example.check_example`); exit 1 if any printed value is wrong.
"""

from __future__ import annotations

import argparse

from .arguments import add_json_flag
from .output import print_result

HELP = "check a worked example number by number (exit 1 if any is wrong)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a bundled example name (see 'seqcheck list --examples') "
                                     "or a .toml path")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..checks.example import check_example

    report = check_example(args.file)
    print_result(report, args.json)
    return 0 if report.ok else 1
