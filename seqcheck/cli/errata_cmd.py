"""``seqcheck errata``: what the lectures print wrong, found by running the literal
transcriptions, the formula transcriptions and the worked examples (:mod:`seqcheck.errata`).
"""

from __future__ import annotations

import argparse

from .arguments import add_json_flag
from .output import print_result
from .progress import callback, live_line

HELP = ("the lectures' mistakes: run the literal transcriptions, the printed formulas and the "
        "worked examples, and say what is wrong and what is right")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="transcriptions to run (specs/literal/*.toml, "
                             "specs/formulas/*.toml); default: all, and the worked examples")
    parser.add_argument("--markdown", action="store_true",
                        help="print the errata as the Markdown table of docs/errata.md")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..errata import find_errata

    with live_line("errata", enabled=not (args.json or args.markdown)) as live:
        report = find_errata(args.files or None,
                             progress=callback(live, lambda name: f"checking {name}"))
    if args.markdown and not args.json:
        print(report.format_markdown(), end="")
        return 0
    print_result(report, args.json)
    return 0
