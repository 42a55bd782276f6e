"""``seqcheck graph``: a spec unfolded over time (:mod:`seqcheck.graph`), as DOT on stdout
or written to a DOT or GraphML file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .arguments import add_json_flag, add_spec_argument
from .output import dump_json

HELP = "unfold a spec over time into a computation graph (DOT or GraphML)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_argument(parser)
    parser.add_argument("--steps", type=int, default=3,
                        help="number of time steps T (default 3)")
    parser.add_argument("-o", "--output", type=Path,
                        help="write to FILE.dot, .gv or .graphml (default: DOT to stdout)")
    parser.add_argument("--params", action="store_true",
                        help="include parameter nodes (shows weight sharing across steps)")
    add_json_flag(parser, "print a JSON summary")


def run(args: argparse.Namespace) -> int:
    from ..graph import unfold
    from ..spec import load_spec

    g = unfold(load_spec(args.spec), args.steps, params=args.params)
    if args.output:
        g.write(args.output)
    if args.json:
        summary = g.summary()
        if args.output:
            summary["written"] = str(args.output)
        dump_json(summary)
    elif args.output:
        s = g.summary()
        print(f"wrote {args.output}: {s['nodes']} nodes, {s['edges']} edges over "
              f"{args.steps} steps")
    else:
        sys.stdout.write(g.to_dot())
    return 0
