"""``seqcheck compile``: the generated forward and backward module, runnable without
seqcheck (:mod:`seqcheck.backends.standalone`).
"""

from __future__ import annotations

import argparse
import sys

from .arguments import add_spec_argument

HELP = "print the generated forward and backward module (NumPy or PyTorch)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_argument(parser)
    parser.add_argument("--backend", choices=("numpy", "torch"), default="numpy",
                        help="array library the module runs on (default numpy)")
    parser.add_argument("--forward-only", action="store_true", help="leave out backward()")


def run(args: argparse.Namespace) -> int:
    from ..backends.standalone import standalone_source
    from ..spec import load_spec

    sys.stdout.write(standalone_source(load_spec(args.spec), args.backend,
                                       gradients=not args.forward_only))
    return 0
