"""``seqcheck identify``: which spec variant and gate order a target follows
(:func:`seqcheck.checks.identify.identify`); exit 1 if none matches.
"""

from __future__ import annotations

import argparse

from .arguments import add_json_flag, add_search_options
from .output import print_result
from .progress import callback, live_line

HELP = ("which spec variant and gate order does a target follow? (gate orders, GRU reset "
        "placement and interpolation)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a torch.nn class or factory, as for verify")
    parser.add_argument("--mapping", metavar="FILE",
                        help="a mapping file for a module without torch's layout: which gate "
                             "does each mapped block hold?")
    add_search_options(parser, 10, "cases per candidate", "seed of the search")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..checks.identify import identify

    with live_line("identify", enabled=not args.json) as live:
        result = identify(args.target, mapping=args.mapping, max_examples=args.max_examples,
                          seed=args.seed,
                          progress=callback(live, lambda k, n: f"candidate {k}/{n}"))
    print_result(result, args.json)
    return 0 if result.matches else 1
