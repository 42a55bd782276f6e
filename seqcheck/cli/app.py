"""The ``seqcheck`` program: its parser, one subcommand per module, and ``main``.

Exit codes: 0 success (a check passed), 1 a check found a problem (e.g. a worked
example has wrong numbers), 2 usage error or invalid input (spec, example file).
Errors print without a traceback; ``--debug`` shows it. Every command that
reports has ``--json``.

A command is a module with ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``
(the exit code); :data:`COMMANDS` names them, in the order of ``seqcheck --help``.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from .._version import __version__
from ..errors import SeqcheckError
from . import (
    bench_cmd,
    compile_cmd,
    conformance_cmd,
    derive_cmd,
    dynamics_cmd,
    errata_cmd,
    example_cmd,
    graph_cmd,
    identify_cmd,
    lint_cmd,
    list_cmd,
    report_cmd,
    show_cmd,
    verify_cmd,
)
from .output import dump_json

__all__ = ["COMMANDS", "build_parser", "main"]

DESCRIPTION = """\
seqcheck: executable specifications of recurrent neural networks.

The equations of the lecture notes (RNN, LSTM, GRU, ESN, bidirectional and deep RNNs)
are kept as declarative specs; seqcheck validates them, unfolds them into computation
graphs, runs them in NumPy and checks the lectures' worked examples number by number.
"""

EPILOG = """\
examples:
  seqcheck list                          the catalogue: specs, and models built on them
  seqcheck show lstm                     equations, shapes, parameter count, sources
  seqcheck lint my_cell.toml             validate your own spec file
  seqcheck graph lstm --steps 3 -o g.dot the unfolded computation graph
  seqcheck example seed004_lstm_2dec     check the printed numbers of seed 004
  seqcheck errata                        what the lectures print wrong, found by running them
  seqcheck derive lstm                   BPTT derived symbolically, per step
  seqcheck compile gru --backend torch   the generated forward/backward module
  seqcheck bench --quick                 speed, as ratios against torch.nn.LSTM
  seqcheck verify torch.nn.GRUCell       does torch's GRU cell follow its documented equations?
  seqcheck identify mypkg.cells:MyCell   which gate order / GRU variant does a cell follow?
  seqcheck verify onnxruntime:LSTM --attr clip=0.5   an ONNX engine against the operator's equations
  seqcheck conformance                   torch.nn, onnx.reference and onnxruntime, as a table
  seqcheck report lstm -o lstm.html      a derivation report (also .md, .tex)

exit codes: 0 ok, 1 a check failed, 2 usage or input error
"""

#: The subcommands by name, in the order ``seqcheck --help`` lists them.
COMMANDS: dict[str, ModuleType] = {
    "list": list_cmd,
    "show": show_cmd,
    "errata": errata_cmd,
    "lint": lint_cmd,
    "graph": graph_cmd,
    "derive": derive_cmd,
    "compile": compile_cmd,
    "verify": verify_cmd,
    "identify": identify_cmd,
    "conformance": conformance_cmd,
    "bench": bench_cmd,
    "dynamics": dynamics_cmd,
    "example": example_cmd,
    "report": report_cmd,
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``seqcheck`` and every subcommand; a command's ``run`` is ``func``.

    >>> build_parser().parse_args(["graph", "lstm", "--steps", "2"]).steps
    2
    """
    parser = argparse.ArgumentParser(
        prog="seqcheck",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"seqcheck {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.HELP, description=command.HELP)
        p.set_defaults(func=command.run)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks of errors")
        command.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``seqcheck`` on ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    A :class:`~seqcheck.errors.SeqcheckError` prints without a traceback (as JSON too
    under ``--json``) and returns 2; ``--debug`` raises it.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SeqcheckError as e:
        if args.debug:
            raise
        if getattr(args, "json", False):
            diags = getattr(e, "diagnostics", ())
            dump_json({"ok": False, "error": {
                "type": type(e).__name__, "message": str(e),
                "diagnostics": [d.as_dict() for d in diags]}})
        print(str(e), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `seqcheck graph lstm | head`
        sys.stderr.close()
        return 0
