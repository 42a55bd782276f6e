"""``seqcheck derive``: BPTT derived symbolically, the adjoint equations of one step and
the parameter gradients, as text, LaTeX or JSON (:mod:`seqcheck.derive.describe`).
"""

from __future__ import annotations

import argparse

from .arguments import add_spec_argument
from .output import dump_json

HELP = "derive BPTT symbolically: adjoint equations of one step, gradients"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_argument(parser)
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="print a LaTeX align* block")
    fmt.add_argument("--json", action="store_true", help="print JSON (text and LaTeX forms)")


def run(args: argparse.Namespace) -> int:
    from ..derive import derive
    from ..derive.describe import derivation_as_dict, format_derivation, format_derivation_latex
    from ..spec import load_spec

    spec = load_spec(args.spec)
    d = derivation_as_dict(spec, derive(spec), with_latex=args.json or args.latex)
    if args.json:
        dump_json(d)
    elif args.latex:
        print(format_derivation_latex(d))
    else:
        print(format_derivation(d))
    return 0
