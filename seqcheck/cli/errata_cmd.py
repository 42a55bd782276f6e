"""``seqcheck errata``: what the lectures print wrong, found by running the literal
transcriptions, the formula transcriptions and the worked examples (:mod:`seqcheck.errata`).
"""

from __future__ import annotations

import argparse
import sys

from .arguments import add_json_flag
from .output import print_result

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

    live = sys.stderr.isatty() and not args.json and not args.markdown
    report = find_errata(args.files or None, progress=_live_line if live else None)
    if live:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    if args.markdown and not args.json:
        print(report.format_markdown(), end="")
        return 0
    print_result(report, args.json)
    return 0


def _live_line(name: str) -> None:
    """One line on the terminal, rewritten as each transcription runs."""
    print(f"\r\033[Kchecking {name}", end="", file=sys.stderr, flush=True)
