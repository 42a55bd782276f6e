"""``seqcheck dynamics``: vanishing and exploding gradients, ‖∂s_T/∂s_(T-k)‖₂ against the
lag k at chosen spectral radii (:mod:`seqcheck.dynamics.measure`), optionally plotted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SeqcheckError
from .arguments import add_json_flag, add_spec_argument
from .output import dump_json
from .progress import Line, callback, live_line, show

HELP = ("measure vanishing and exploding gradients: ‖∂s_T/∂s_(T-k)‖₂ against the lag k, with "
        "the recurrent weights at chosen spectral radii")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_argument(parser, "a bundled spec name or a .toml path (states read at [t-1], "
                              "forward in time)")
    parser.add_argument("--radius", default="0.5,1.0,1.5", metavar="R,R,...",
                        help="spectral radii of the recurrent weights, comma-separated "
                             "(default 0.5,1.0,1.5)")
    parser.add_argument("--steps", type=int, default=100,
                        help="number of time steps T (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs")
    parser.add_argument("--size", action="extend", nargs="+", metavar="DIM=N",
                        help="sizes of dims, e.g. --size H=32 D=4 (default 32 for each dim)")
    parser.add_argument("--batch", type=int, default=4,
                        help="input sequences, averaged geometrically (default 4)")
    parser.add_argument("--recurrent", action="append", metavar="PARAM",
                        help="a recurrent weight, repeatable (default: every parameter the "
                             "equations multiply a state at [t-1] by)")
    parser.add_argument("-o", "--output", type=Path,
                        help="also plot to FILE.png or FILE.svg (pip install 'seqcheck[plot]')")
    add_json_flag(parser, "print the series as JSON")


def run(args: argparse.Namespace) -> int:
    from ..dynamics.measure import parse_radii, parse_sizes
    from ..spec import load_spec

    spec = load_spec(args.spec)
    radii, sizes = parse_radii(args.radius), parse_sizes(args.size)
    if args.output:
        from ..dynamics.plot import check_output

        check_output(args.output)  # before the measuring, not after
    if args.steps < 3 or args.batch < 1:
        raise SeqcheckError(f"--steps must be ≥ 3 (a slope needs lags 1..T-1) and --batch ≥ 1; "
                            f"got --steps {args.steps}, --batch {args.batch}")
    with live_line("dynamics", enabled=not args.json) as live:
        result = _measure(args, spec, radii, sizes, live)
    if args.json:
        dump_json(result.as_dict())
        if args.output:
            print(f"wrote {args.output}", file=sys.stderr)
        return 0
    print(result.format_table())
    if args.output:
        print(f"\nwrote {args.output}")
    return 0


def _measure(args: argparse.Namespace, spec, radii, sizes, live: Line):
    """The sweep over ``radii``, plotted if asked, with the live line saying which radius."""
    from ..dynamics.measure import sweep

    show(live, f"deriving and compiling {spec.name}")
    result = sweep(spec, radii, args.steps, args.seed, sizes, batch=args.batch,
                   recurrent=args.recurrent, progress=callback(live,
                       lambda k, n: f"radius {radii[k]:g} ({k + 1}/{n})"))
    if args.output:
        from ..dynamics.plot import plot_sweep

        show(live, f"plotting {args.output}")
        plot_sweep(result, args.output)
    return result
