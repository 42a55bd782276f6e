"""``seqcheck errata``: what the lectures print wrong, found by running the literal
transcriptions and the worked examples (:mod:`seqcheck.errata`).
"""

from __future__ import annotations

import argparse

from .arguments import add_json_flag
from .output import print_result

HELP = ("the lectures' mistakes: run the literal transcriptions and the worked examples, and "
        "say what is wrong and what is right")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..errata import find_errata

    print_result(find_errata(), args.json)
    return 0
