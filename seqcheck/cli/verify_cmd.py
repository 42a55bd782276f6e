"""``seqcheck verify``: hold an implementation to a spec on generated cases
(:func:`seqcheck.checks.verify.verify`); exit 1 with a shrunk counterexample if it
diverges.
"""

from __future__ import annotations

import argparse

from ..errors import SeqcheckError
from .arguments import add_json_flag, add_search_options
from .output import print_result

HELP = ("hold an implementation to a spec on generated cases: outputs, states, gradients "
        "(exit 1 with a shrunk counterexample if it diverges)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a torch.nn class or factory as module:attr or a dotted "
                                       "path (torch.nn.LSTM, mypkg.cells:MyLSTMCell), or an "
                                       "ONNX node run by an engine (onnx:LSTM, onnxruntime:GRU)")
    parser.add_argument("--spec", help="a bundled spec name or .toml path (default: the "
                                       "equations the target documents, recognised from its "
                                       "parameters)")
    parser.add_argument("--attr", action="append", metavar="NAME=VALUE",
                        help="an ONNX attribute, repeatable: direction=reverse, clip=0.5, "
                             "linear_before_reset=0, input_forget=1, activations=Relu, "
                             "peepholes=1")
    parser.add_argument("--mapping", metavar="FILE",
                        help="a mapping file: how the spec's parameters are slices of the "
                             "target's (docs/mapping.md)")
    add_search_options(parser, 100, "cases to try", "seed of the search; replays it",
                       dtype="the target's dtype (default: an instance's own, else float32)")
    parser.add_argument("--no-gradients", action="store_true",
                        help="compare outputs and states only (always so for ONNX engines)")
    parser.add_argument("--save", metavar="FILE",
                        help="write the shrunk counterexample to FILE (.npz) if one is found")
    parser.add_argument("--replay", metavar="FILE",
                        help="check only the counterexample saved in FILE by --save (no search)")
    add_json_flag(parser)


def run(args: argparse.Namespace) -> int:
    from ..checks.verify import verify

    attributes = None
    if args.attr:
        from ..adapters.onnx import parse_attributes, parse_onnx_target

        parsed = parse_onnx_target(args.target)
        if parsed is None:
            raise SeqcheckError(f"--attr applies to ONNX targets (onnx:LSTM, onnxruntime:GRU, "
                                f"...), not to {args.target}")
        attributes = parse_attributes(args.attr, parsed[1])
    result = verify(args.target, spec=args.spec, attributes=attributes, mapping=args.mapping,
                    dtype=args.dtype, max_examples=args.max_examples, seed=args.seed,
                    gradients=False if args.no_gradients else None, save=args.save,
                    replay=args.replay)
    print_result(result, args.json)
    return 0 if result.ok else 1
