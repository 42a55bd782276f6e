"""``seqcheck list``: the catalogue (specs, and models built on them) or the worked
examples. (The rows are built by :mod:`seqcheck.models.listing`.)
"""

from __future__ import annotations

import argparse
import sys

from .arguments import add_json_flag
from .output import dump_json

HELP = "list the bundled specs (or, with --examples, the worked examples)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--examples", action="store_true", help="list the worked examples instead")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..models import listing

    if args.examples:
        examples = listing.example_listing()
        if args.json:
            dump_json(examples)
        else:
            sys.stdout.write(listing.format_examples(examples))
        return 0
    catalogue = listing.catalogue_listing(details=args.json)
    if args.json:
        dump_json(catalogue)
    else:
        print(listing.format_catalogue(catalogue))
    return 0
