"""The ``seqcheck`` command: a thin front over the pipeline's stages.

``main`` and ``build_parser`` are in :mod:`seqcheck.cli.app`; each command is a module
``<name>_cmd.py`` that adds its arguments and runs by calling the library and printing
what it returns. ``cmd_<name>`` is each command's ``run``.
"""

from .app import build_parser, main
from .bench_cmd import run as cmd_bench
from .compile_cmd import run as cmd_compile
from .conformance_cmd import run as cmd_conformance
from .derive_cmd import run as cmd_derive
from .dynamics_cmd import run as cmd_dynamics
from .errata_cmd import run as cmd_errata
from .example_cmd import run as cmd_example
from .graph_cmd import run as cmd_graph
from .identify_cmd import run as cmd_identify
from .lint_cmd import run as cmd_lint
from .list_cmd import run as cmd_list
from .report_cmd import run as cmd_report
from .show_cmd import run as cmd_show
from .verify_cmd import run as cmd_verify

__all__ = ["build_parser", "cmd_bench", "cmd_compile", "cmd_conformance", "cmd_derive",
           "cmd_dynamics", "cmd_errata", "cmd_example", "cmd_graph", "cmd_identify",
           "cmd_lint", "cmd_list", "cmd_report", "cmd_show", "cmd_verify", "main"]
