"""``seqcheck conformance``: the engine matrix, every unit and attribute variant against
the equations each engine documents (:mod:`seqcheck.checks.conformance`); each row's
verdict on stderr as it comes, and on a terminal a live line of the row being run.
"""

from __future__ import annotations

import argparse

from ..checks.engine_rows import ENGINE_NAMES
from .arguments import add_json_flag, add_search_options
from .output import dump_json
from .progress import callback, echo, live_line

HELP = ("the matrix: torch.nn (CPU; CUDA when present), TorchScript, onnx.reference, "
        "onnxruntime and reservoirpy, every unit and attribute variant, against the equations "
        "each documents")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", action="append",
                        choices=ENGINE_NAMES,
                        help="only these engines (repeatable; default all that are installed)")
    add_search_options(parser, 25, "cases per row", "seed of every row's search",
                       dtype="only this dtype (default every dtype an engine runs in)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if any row does not conform (default: exit 0, the table "
                             "is the finding)")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..checks.conformance import format_attributes, format_table, run_conformance

    with live_line("conformance", enabled=not args.json) as live:
        def verdict(row) -> None:
            if not args.json:
                attrs = format_attributes(row.attributes)
                echo(live, f"  {row.engine} {row.unit} ({attrs}, {row.dtype}): {row.verdict}")

        rows = run_conformance(args.engine, max_examples=args.max_examples, seed=args.seed,
                               dtype=args.dtype, progress=verdict, status=callback(live, str))
    if args.json:
        dump_json({"seed": args.seed, "max_examples": args.max_examples,
                   "rows": [r.as_dict() for r in rows]})
    else:
        print(format_table(rows))
    failed = [r for r in rows if r.verdict not in ("conforms", "unavailable")]
    return 1 if args.strict and failed else 0
