"""``seqcheck report``: a derivation report in HTML (with MathML), Markdown or LaTeX
(:mod:`seqcheck.report`); exit 1 if a check in it fails.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .arguments import add_spec_argument
from .progress import callback, live_line, show

HELP = ("write a derivation report (HTML with MathML, Markdown or LaTeX): equations, sources, "
        "graph, BPTT, examples, dynamics, conformance")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_argument(parser)
    parser.add_argument("-o", "--output", type=Path,
                        help="FILE.html (one self-contained page), FILE.md or FILE.tex "
                             "(figures in FILE_files/); default SPEC.html")
    parser.add_argument("--example", metavar="FILE",
                        help="a worked example to check and tabulate (bundled name or .toml "
                             "path)")
    parser.add_argument("--verify", metavar="TARGET",
                        help="also verify TARGET against the spec (exit 1 if it does not "
                             "conform)")
    parser.add_argument("--steps", type=int, default=3,
                        help="steps of the unfolded graph (default 3)")
    parser.add_argument("--no-dynamics", action="store_true",
                        help="leave out the gradient-dynamics measurement")


def run(args: argparse.Namespace) -> int:
    from ..report import build_report, write_report
    from ..report.write import check_path

    output = check_path(args.output or Path(f"{Path(args.spec).stem}.html"))
    with live_line("report") as live:
        doc = build_report(args.spec, steps=args.steps, example=args.example,
                           verify=args.verify, dynamics=not args.no_dynamics,
                           progress=callback(live, lambda title: f"section {title}"))
        show(live, f"figures, and writing {output}")
        written = write_report(doc, output)
    figures = written[1:]
    print(f"wrote {written[0]}" + (f" and {len(figures)} figure file"
                                   f"{'s' if len(figures) > 1 else ''} in {figures[0].parent}"
                                   if figures else ""))
    return 0 if doc.ok else 1
