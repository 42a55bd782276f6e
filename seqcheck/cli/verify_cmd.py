"""``seqcheck verify``: hold an implementation to a spec on generated cases
(:func:`seqcheck.checks.verify.verify`); exit 1 with a shrunk counterexample if it
diverges.
"""

from __future__ import annotations

import argparse

from ..errors import SeqcheckError
from .arguments import add_json_flag, add_search_options
from .output import print_result
from .progress import Line, callback, live_line

HELP = ("hold an implementation to a spec on generated cases: outputs, states, gradients "
        "(exit 1 with a shrunk counterexample if it diverges)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a torch.nn class or factory as module:attr or a dotted "
                                       "path (torch.nn.LSTM, mypkg.cells:MyLSTMCell), an "
                                       "ONNX node run by an engine (onnx:LSTM, onnxruntime:GRU), "
                                       "or an ONNX graph (model.onnx)")
    parser.add_argument("--spec", help="a bundled spec name or .toml path (default: the "
                                       "equations the target documents, recognised from its "
                                       "parameters)")
    parser.add_argument("--attr", action="append", metavar="NAME=VALUE",
                        help="an ONNX attribute, repeatable: direction=reverse, clip=0.5, "
                             "linear_before_reset=0, input_forget=1, activations=LeakyRelu "
                             "(any ONNX activation; twice as many on a bidirectional node), "
                             "activation_alpha=0.2, activation_beta=0.5, layout=1, "
                             "peepholes=1")
    parser.add_argument("--mapping", metavar="FILE",
                        help="a mapping file: how the spec's parameters are slices of the "
                             "target's (docs/mapping.md)")
    _add_onnx_options(parser)
    add_search_options(parser, 100, "cases to try", "seed of the search; replays it",
                       dtype="the target's dtype (default: an instance's own, else float32)")
    _add_size_option(parser)
    _add_lengths_options(parser)
    parser.add_argument("--no-gradients", action="store_true",
                        help="compare outputs and states only (always so for ONNX engines)")
    parser.add_argument("--save", metavar="FILE",
                        help="write the shrunk counterexample to FILE (.npz) if one is found")
    parser.add_argument("--replay", metavar="FILE",
                        help="check only the counterexample saved in FILE by --save (no search)")
    add_json_flag(parser)


def _add_size_option(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(max_examples=None)  # 100 for the search, the size's own with --size
    parser.add_argument("--size", metavar="PROFILE|D=..,H=..,T=..,B=..",
                        help="check a few cases at one size instead of searching small ones: "
                             "'production' (D=512, H=1024, T=256, B=8; torch's RNN, LSTM and "
                             "GRU with num_layers=4, bidirectional) or sizes such as "
                             "D=64,H=128,T=100,B=8,layers=2,bidirectional=1; reports time "
                             "and peak memory (docs/verify.md)")


def _add_lengths_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lengths", action="store_true",
                        help="give every batch row its own length (0..T, unsorted; docs/"
                             "verify.md): torch's sequence modules run them packed "
                             "(PackedSequence), ONNX nodes with sequence_lens")
    parser.add_argument("--min-length", type=int, metavar="N",
                        help="with --lengths: the shortest row (default: the target's, 1 for "
                             "torch, 0 for ONNX)")
    parser.add_argument("--enforce-sorted", action="store_true",
                        help="with --lengths, a torch sequence module: sort the rows by length "
                             "and pack them with enforce_sorted=True (default: False)")


def _add_onnx_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--export", metavar="onnx[:EXPORTER]",
                        help="export the torch module with torch.onnx.export and verify the "
                             "graph against the module's spec, once per exporter "
                             "(onnx: torchscript and dynamo; onnx:dynamo: one)")
    parser.add_argument("--compile", metavar="BACKEND",
                        help="verify the modules torch.compile(backend=BACKEND) makes of a torch "
                             "class or factory (inductor, aot_eager, ...)")
    parser.add_argument("--quantize", choices=("qint8", "float16"),
                        help="verify torch.nn.LSTM or GRU dynamically quantized "
                             "(torch.ao.quantization.quantize_dynamic), within its slack")
    parser.add_argument("--engine", choices=("onnxruntime", "onnx"),
                        help="what runs an ONNX graph (model.onnx, --export): onnxruntime "
                             "(default) or onnx.reference")


def run(args: argparse.Namespace) -> int:
    from ..checks.verify import verify
    from ..checks.verify.search import describe_progress

    if args.export:
        return _run_exports(args)
    if args.size:
        return _run_at_size(args)
    if args.max_examples is None:
        args.max_examples = 100
    target = _target(args)
    attributes = _attributes(args)
    with live_line("verify", enabled=not args.json) as live:
        result = verify(target, spec=args.spec, attributes=attributes, mapping=args.mapping,
                        dtype=args.dtype, max_examples=args.max_examples, seed=args.seed,
                        gradients=False if args.no_gradients else None, save=args.save,
                        replay=args.replay, progress=callback(live, describe_progress),
                        lengths=args.lengths, min_length=args.min_length)
    print_result(result, args.json)
    return 0 if result.ok else 1


def _run_at_size(args: argparse.Namespace) -> int:
    """``--size``: the size's cases (or --max-examples of them), no search, no shrinking."""
    from ..checks.verify.at_size import verify_at_size

    if args.replay or args.save or args.compile or args.quantize or args.engine:
        raise SeqcheckError("--size checks a torch module, an ONNX node or a user's cell at "
                            "one size; it takes no --replay, --save, --compile, --quantize "
                            "or --engine")
    with live_line("verify", enabled=not args.json) as live:
        result = verify_at_size(args.target, spec=args.spec, attributes=_attributes(args),
                                mapping=args.mapping, size=args.size,
                                cases=args.max_examples, seed=args.seed, dtype=args.dtype,
                                gradients=False if args.no_gradients else None,
                                progress=callback(live, lambda k, n: f"case {k + 1}/{n}"))
    print_result(result, args.json)
    return 0 if result.ok else 1


def _attributes(args: argparse.Namespace) -> dict | None:
    """The ONNX attributes of --attr, checked against the operator the target names."""
    if not args.attr:
        return None
    from ..adapters.onnx import parse_attributes, parse_onnx_target

    parsed = parse_onnx_target(args.target)
    if parsed is None:
        raise SeqcheckError(f"--attr applies to ONNX targets (onnx:LSTM, onnxruntime:GRU, "
                            f"...), not to {args.target}")
    return parse_attributes(args.attr, parsed[1])


def _target(args: argparse.Namespace):
    """What ``run`` verifies: the target as named, or run on --engine, compiled, quantized,
    or packed with enforce_sorted=True."""
    if (args.min_length is not None or args.enforce_sorted) and not args.lengths:
        raise SeqcheckError("--min-length and --enforce-sorted apply to rows of their own "
                            "lengths\n  hint: add --lengths")
    if args.enforce_sorted:
        from ..adapters.torch_nn import TorchTarget
        from ..checks.verify import resolve_target

        return TorchTarget(resolve_target(args.target), name=args.target, enforce_sorted=True)
    if args.engine:
        if not args.target.endswith(".onnx"):
            raise SeqcheckError(f"--engine applies to ONNX graphs (model.onnx, --export); "
                                f"{args.target} names its engine itself")
        from ..adapters.onnx_file import OnnxFileTarget

        target = OnnxFileTarget(args.target, mapping=args.mapping, engine=args.engine)
        args.mapping = None
        return target
    if args.compile or args.quantize:
        from ..checks.verify import transformed_target

        return transformed_target(args.target, compile=args.compile, quantize=args.quantize)
    return args.target


def _run_exports(args: argparse.Namespace) -> int:
    """Each exporter's graph against the module's spec; 1 if one diverges, 2 if one could
    not be verified (and none diverges), else 0."""
    from .output import dump_json

    kind, _, which = args.export.partition(":")
    if kind != "onnx" or args.attr or args.mapping or args.replay or args.save:
        raise SeqcheckError(f"--export onnx[:EXPORTER] exports a torch module and takes no "
                            f"--attr, --mapping, --save or --replay; got --export {args.export}")
    with live_line("verify", enabled=not args.json) as live:
        exported, results = _verify_exports(args, which, live)
    if args.json:
        dump_json([{"exporter": e.exporter, "error": e.error,
                    "result": r.as_dict() if r else None} for e, r in zip(exported, results)])
    for e, r in zip(exported, results):
        if not args.json:
            print(f"exporter {e.exporter}: " + (r.format_text() if r else
                                                f"not verified: {e.error}"))
    if any(r is not None and not r.ok for r in results):
        return 1
    return 2 if any(r is None for r in results) else 0


def _verify_exports(args: argparse.Namespace, which: str, live: Line):
    """The exported graphs (one exporter, or each), and each one's result (None where it
    could not be exported)."""
    from ..adapters.onnx_file import export_targets
    from ..checks.verify import resolve_target, verify
    from ..checks.verify.search import describe_progress

    # no live line while torch's exporters run: they print to the terminal themselves
    exported = export_targets(resolve_target(args.target), [which] if which else None,
                              engine=args.engine or "onnxruntime", name=args.target)
    return exported, [None if e.target is None else verify(
        e.target, spec=args.spec, dtype=args.dtype, max_examples=args.max_examples,
        seed=args.seed, gradients=False, progress=callback(live,
            lambda n, total, x=e.exporter: f"exporter {x}: {describe_progress(n, total)}"))
        for e in exported]
