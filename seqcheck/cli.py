"""The ``seqcheck`` command: a thin front over the pipeline's stages.

Exit codes: 0 success (a check passed), 1 a check found a problem (e.g. a worked
example has wrong numbers), 2 usage error or invalid input (spec, example file).
Errors print without a traceback; ``--debug`` shows it. Every command that
reports has ``--json``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import textwrap
from pathlib import Path

from . import __version__
from .errors import SeqcheckError

_DESCRIPTION = """\
seqcheck: executable specifications of recurrent neural networks.

The equations of the lecture notes (RNN, LSTM, GRU, ESN, bidirectional and deep RNNs)
are kept as declarative specs; seqcheck validates them, unfolds them into computation
graphs, runs them in NumPy and checks the lectures' worked examples number by number.
"""

_EPILOG = """\
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


def _dump(obj) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


# -- list -------------------------------------------------------------------------
def cmd_list(args) -> int:
    from . import catalogue
    from .spec import load_spec

    if args.examples:
        from .checks.example import load_example

        rows = []
        for name in catalogue.example_names():
            ex = load_example(name)
            rows.append({"name": name, "spec": ex.spec.name, "source": ex.source,
                         "entries": len(ex.printed)})
        if args.json:
            _dump({"examples": rows})
        else:
            width = max((len(r["name"]) for r in rows), default=4)
            for r in rows:
                print(f"{r['name']:<{width}}  {r['entries']:>3} printed values  "
                      f"spec {r['spec']}: {r['source']}")
        return 0
    rows = []
    for name in catalogue.spec_names():
        spec = load_spec(name)
        rows.append({
            "name": name,
            "title": spec.title,
            "sources": [s.cite() for s in spec.sources],
            "extends": spec.extends,
            "parameters": str(spec.parameter_count()),
        })
    from .models import ENTRIES

    models = [{"name": e.name, "kind": e.kind, "title": e.title,
               "sources": [s.cite() for s in e.sources], "target": e.target,
               "specs": list(e.specs), "tests": list(e.tests)} for e in ENTRIES]
    if args.json:
        _dump({"specs": rows, "models": models})
        return 0
    width = max(len(r["name"]) for r in rows + models)
    print("specs (one time step each; 'seqcheck show NAME'):")
    for r in rows:
        print(f"  {r['name']:<{width}}  {r['title']}")
    print("\nmodels built on specs, and checked functions (seqcheck.models):")
    for m in models:
        print(f"  {m['name']:<{width}}  [{m['kind']}] {m['title']}")
    print(f"\n{len(rows)} specs and {len(models)} models; 'seqcheck show NAME' for one, "
          "'seqcheck list --examples' for the worked examples")
    return 0


# -- errata -----------------------------------------------------------------------
def cmd_errata(args) -> int:
    from .errata import find_errata

    report = find_errata()
    if args.json:
        _dump(report.as_dict())
    else:
        print(report.format_text())
    return 0


# -- show -------------------------------------------------------------------------
def _spec_dict(spec) -> dict:
    from .spec.schedule import make_schedule

    def decls(table):
        return [{"name": n, "shape": d.shape_str(), "doc": d.doc,
                 **({"init": d.init_text} if d.role == "state" else {}),
                 **({"static": d.static} if d.role == "input" else {})}
                for n, d in table.items()]

    count = spec.parameter_count()
    return {
        "name": spec.name,
        "title": spec.title,
        "path": spec.path,
        "extends": spec.extends,
        "sources": [{"file": s.file, "equations": list(s.equations), "where": s.where,
                     "note": s.note, "cite": s.cite()} for s in spec.sources],
        "dims": [{"name": d.name, "doc": d.doc} for d in spec.dims],
        "inputs": decls(spec.inputs),
        "states": decls(spec.states),
        "params": decls(spec.params),
        "equations": [{"target": e.target, "expression": e.text,
                       "shape": _shape(e.shape), "line": e.line} for e in spec.equations],
        "outputs": list(spec.outputs),
        "parameter_count": str(count),
        "parameter_count_expanded": str(count.expand()),
        "sweeps": [{"direction": {1: "forward", -1: "backward", 0: "any"}[s.direction],
                    "variables": list(s.variables)} for s in make_schedule(spec).sweeps],
        "notes": spec.notes.strip(),
    }


def _shape(shape) -> str:
    from .spec.grammar import format_shape

    return format_shape(shape)


def _show_entry(e, as_json: bool) -> int:
    obj = e.load()
    d = {"name": e.name, "kind": e.kind, "title": e.title, "target": e.target,
         "sources": [{"cite": s.cite(), "note": s.note} for s in e.sources],
         "specs": list(e.specs), "tests": list(e.tests),
         "doc": inspect.getdoc(obj) or ""}
    if as_json:
        _dump(d)
        return 0
    print(f"{e.name}: {e.title}")
    print(f"  {e.kind}: {e.target}")
    for s in d["sources"]:
        print(f"  source: {s['cite']}" + (f" -- {s['note']}" if s["note"] else ""))
    if e.specs:
        print(f"  built on: {', '.join(e.specs)}")
    if e.tests:
        print(f"  checked by: {', '.join(e.tests)}")
    print()
    print(d["doc"])
    return 0


def cmd_show(args) -> int:
    from . import catalogue
    from .models import entry, entry_names
    from .spec import load_spec

    specs, models = catalogue.spec_names(), entry_names()
    if args.spec not in specs and args.spec in models:
        return _show_entry(entry(args.spec), args.json)
    if args.spec not in specs and not Path(args.spec).is_file():
        from .errors import Diagnostic, SpecError
        from .spec.grammar import did_you_mean

        close = did_you_mean(args.spec, specs + models)
        raise SpecError(Diagnostic(
            kind="unknown-spec", message=f"no bundled spec or model named '{args.spec}' and "
            "no such file", file=args.spec, symbol=args.spec,
            hint=(f"did you mean '{close}'? " if close else "")
            + "run 'seqcheck list' to see the catalogue, or pass a path to a .toml file"))
    spec = load_spec(args.spec)
    d = _spec_dict(spec)
    if args.json:
        _dump(d)
        return 0
    print(f"{d['name']}: {d['title']}")
    if d["extends"]:
        print(f"  variant of {d['extends']}")
    for s in d["sources"]:
        print(f"  source: {s['cite']}" + (f" -- {s['note']}" if s["note"] else ""))
    print("\ndims:")
    for dim in d["dims"]:
        print(f"  {dim['name']:<6} {dim['doc']}")
    for title, key in (("inputs", "inputs"), ("states", "states"), ("parameters", "params")):
        if not d[key]:
            continue
        print(f"\n{title}:")
        for e in d[key]:
            extra = f"  init {e['init']}" if e.get("init") else ""
            extra += "  (static)" if e.get("static") else ""
            print(f"  {e['name']:<10} {e['shape']:<12}{extra}  {e['doc']}".rstrip())
    print("\nequations (one step):")
    width = max(len(e["target"]) for e in d["equations"])
    for e in d["equations"]:
        print(f"  {e['target']:>{width}} = {e['expression']:<60} {e['shape']}")
    print(f"\noutputs: {', '.join(d['outputs'])}")
    sweeps = "; ".join(f"{s['direction']}: {', '.join(s['variables'])}" for s in d["sweeps"])
    print(f"evaluation order: {sweeps}")
    print(f"parameter count: {d['parameter_count']} = {d['parameter_count_expanded']}")
    if d["notes"]:
        print("\nnotes:")
        for para in d["notes"].split("\n\n"):
            print(textwrap.fill(" ".join(para.split()), width=88, initial_indent="  ",
                                subsequent_indent="  "))
    return 0


# -- lint -------------------------------------------------------------------------
def cmd_lint(args) -> int:
    from .errors import SpecError
    from .spec import load_spec

    results, bad = [], 0
    for f in args.files:
        try:
            spec = load_spec(f)
        except SpecError as e:
            bad += 1
            results.append({"file": f, "ok": False,
                            "diagnostics": [d.as_dict() for d in e.diagnostics]})
            if not args.json:
                print(str(e), file=sys.stderr)
            continue
        results.append({"file": f, "ok": True, "spec": spec.name,
                        "equations": len(spec.equations), "diagnostics": []})
        if not args.json:
            print(f"ok: {f} (spec '{spec.name}', {len(spec.equations)} equations, "
                  f"{len(spec.params)} parameters)")
    if args.json:
        _dump({"ok": bad == 0, "files": results})
    return 2 if bad else 0


# -- graph ------------------------------------------------------------------------
def cmd_graph(args) -> int:
    from .graph import unfold
    from .spec import load_spec

    g = unfold(load_spec(args.spec), args.steps, params=args.params)
    if args.output:
        g.write(args.output)
    if args.json:
        summary = g.summary()
        if args.output:
            summary["written"] = str(args.output)
        _dump(summary)
    elif args.output:
        s = g.summary()
        print(f"wrote {args.output}: {s['nodes']} nodes, {s['edges']} edges over "
              f"{args.steps} steps")
    else:
        sys.stdout.write(g.to_dot())
    return 0


# -- example ----------------------------------------------------------------------
def cmd_example(args) -> int:
    from .checks.example import check_example

    report = check_example(args.file)
    if args.json:
        _dump(report.as_dict())
    else:
        print(report.format_text())
    return 0 if report.ok else 1


# -- derive -----------------------------------------------------------------------
def _derivation_dict(spec, d) -> dict:
    from .printing import latex, text

    timed = set(spec.variables) | set(spec.inputs) | set(spec.states)

    def both(expr):
        return {"text": text(expr), "latex": latex(expr, timed)}

    equations = []
    for e in reversed(d.equations):
        eq = spec.equation(e.target)
        equations.append({
            "target": e.target, "equation": eq.text, "file": eq.file, "line": eq.line,
            "temps": [{"name": sym.name, "latex_name": latex(sym, timed), **both(expr)}
                      for sym, expr in e.temps],
            "contributions": [{"to": c.to, "offset": c.offset, "kind": _role(spec, c.to),
                               **both(c.expr)} for c in e.contributions],
        })
    from .derive.adjoint import state_jacobian
    from .derive.rules import DerivationError

    try:
        jac = [{"of": a, "wrt": b, **both(m)} for (a, b), m in state_jacobian(spec).items()]
        jac_note = None
    except DerivationError as e:
        jac, jac_note = [], str(e)
    return {
        "spec": spec.name,
        "state_jacobian": jac,
        "state_jacobian_note": jac_note,
        "notation": {"adj_v": "dL/dv_t", "d_v": "a named intermediate adjoint (delta)",
                     "dl_dv": "the loss term's own gradient at step t",
                     "v[t+1]": "v at the next step"},
        "adjoints": [{"variable": v, **both(d.adjoint_equation(v))} for v in spec.variables],
        "parameter_gradients": [{"parameter": p, **both(d.parameter_gradient(p))}
                                for p in spec.params],
        "equations": equations,
    }


def _display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _role(spec, name: str) -> str:
    if name in spec.params:
        return "parameter"
    if name in spec.inputs:
        return "input"
    return "variable"


def _target(c) -> str:
    step = "t" if c["offset"] == 0 else f"{{t{c['offset']:+d}}}"
    if c["kind"] == "parameter":
        return f"∂L/∂{c['to']}"
    return f"∂L/∂{c['to']}_{step}"


def cmd_derive(args) -> int:
    from .derive import derive
    from .spec import load_spec

    spec = load_spec(args.spec)
    d = _derivation_dict(spec, derive(spec))
    if args.json:
        _dump(d)
        return 0
    if args.latex:
        from .printing import MathPrinter

        print(f"% {spec.name}: BPTT adjoint equations of one step, derived by seqcheck")
        print(r"\begin{align*}")
        lines = [rf"\bar{{{MathPrinter._name(a['variable'])}}}_t &= {a['latex']}"
                 for a in d["adjoints"]]
        for e in d["equations"]:
            lines += [rf"{t['latex_name']} &= {t['latex']}" for t in e["temps"]]
        lines += [rf"\frac{{\partial L}}{{\partial {MathPrinter._name(p['parameter'])}}} "
                  rf"&= \sum_t {p['latex']}" for p in d["parameter_gradients"]]
        lines += [rf"\frac{{\partial {MathPrinter._name(j['of'])}_t}}"
                  rf"{{\partial {MathPrinter._name(j['wrt'])}_{{t-1}}}} &= {j['latex']}"
                  for j in d["state_jacobian"]]
        print(" \\\\\n".join(lines))
        print(r"\end{align*}")
        return 0
    print(f"{spec.name}: BPTT for one step, derived symbolically (the sequence length does "
          "not enter)")
    print("  adj_v = ∂L/∂v_t;  d_v = a named intermediate adjoint (δ);  dl_dv = ∂ℓ_t/∂v_t;  "
          "v[t+1] = v at step t+1")
    print("\nthe adjoint of every variable (the BPTT recursion):")
    for a in d["adjoints"]:
        print(f"  adj_{a['variable']} = {a['text']}")
    print("\nper equation, in reverse order:")
    for e in d["equations"]:
        where = f"{_display_path(e['file'])}:{e['line']}" if e["line"] else e["file"]
        print(f"  {e['target']} = {e['equation']}    [{where}]")
        for t in e["temps"]:
            print(f"    {t['name']} = {t['text']}")
        for c in e["contributions"]:
            print(f"    {_target(c)} += {c['text']}")
    print("\nparameter gradients (summed over t and the batch):")
    for p in d["parameter_gradients"]:
        print(f"  ∂L/∂{p['parameter']} = Σ_t {p['text']}")
    print("\nstate Jacobian ∂s_t/∂s_{t-1} (blocks not shown are zero):")
    for j in d["state_jacobian"]:
        print(f"  ∂{j['of']}_t/∂{j['wrt']}_{{t-1}} = {j['text']}")
    if d["state_jacobian_note"]:
        print(f"  not derived: {d['state_jacobian_note']}")
    return 0


# -- compile ----------------------------------------------------------------------
def cmd_compile(args) -> int:
    from .backends.standalone import standalone_source
    from .spec import load_spec

    sys.stdout.write(standalone_source(load_spec(args.spec), args.backend,
                                       gradients=not args.forward_only))
    return 0


# -- verify -----------------------------------------------------------------------
def cmd_verify(args) -> int:
    from .checks.verify import verify

    attributes = None
    if args.attr:
        from .adapters.onnx import parse_attributes, parse_onnx_target

        parsed = parse_onnx_target(args.target)
        if parsed is None:
            raise SeqcheckError(f"--attr applies to ONNX targets (onnx:LSTM, onnxruntime:GRU, "
                                f"...), not to {args.target}")
        attributes = parse_attributes(args.attr, parsed[1])
    result = verify(args.target, spec=args.spec, attributes=attributes, mapping=args.mapping,
                    dtype=args.dtype, max_examples=args.max_examples, seed=args.seed,
                    gradients=False if args.no_gradients else None, save=args.save,
                    replay=args.replay)
    if args.json:
        _dump(result.as_dict())
    else:
        print(result.format_text())
    return 0 if result.ok else 1


def cmd_conformance(args) -> int:
    from .checks.conformance import format_attributes, format_table, run_conformance

    def progress(row) -> None:
        if not args.json:
            attrs = format_attributes(row.attributes)
            print(f"  {row.engine} {row.unit} ({attrs}, {row.dtype}): {row.verdict}",
                  file=sys.stderr, flush=True)

    rows = run_conformance(args.engine, max_examples=args.max_examples, seed=args.seed,
                           dtype=args.dtype, progress=progress)
    if args.json:
        _dump({"seed": args.seed, "max_examples": args.max_examples,
               "rows": [r.as_dict() for r in rows]})
    else:
        print(format_table(rows))
    failed = [r for r in rows if r.verdict not in ("conforms", "unavailable")]
    return 1 if args.strict and failed else 0


def cmd_identify(args) -> int:
    from .checks.identify import identify

    result = identify(args.target, max_examples=args.max_examples, seed=args.seed)
    if args.json:
        _dump(result.as_dict())
    else:
        print(result.format_text())
    return 0 if result.matches else 1


# -- bench ------------------------------------------------------------------------
def cmd_bench(args) -> int:
    from . import bench

    progress = None if args.json else (lambda line: print(line, file=sys.stderr))
    rows = bench.run(quick=args.quick, repeats=args.repeats, threads=args.threads,
                     naive=not args.no_naive, progress=progress)
    if args.json:
        _dump(rows)
    else:
        print(bench.format_table(rows))
    return 0


# -- dynamics ---------------------------------------------------------------------
def cmd_dynamics(args) -> int:
    from .dynamics.measure import parse_radii, parse_sizes, sweep
    from .spec import load_spec

    spec = load_spec(args.spec)
    radii, sizes = parse_radii(args.radius), parse_sizes(args.size)
    if args.output:
        from .dynamics.plot import check_output

        check_output(args.output)  # before the measuring, not after
    if args.steps < 3 or args.batch < 1:
        raise SeqcheckError(f"--steps must be ≥ 3 (a slope needs lags 1..T-1) and --batch ≥ 1; "
                            f"got --steps {args.steps}, --batch {args.batch}")
    result = sweep(spec, radii, args.steps, args.seed, sizes, batch=args.batch,
                   recurrent=args.recurrent)
    if args.output:
        from .dynamics.plot import plot_sweep

        plot_sweep(result, args.output)
    if args.json:
        _dump(result.as_dict())
        if args.output:
            print(f"wrote {args.output}", file=sys.stderr)
        return 0
    print(result.format_table())
    if args.output:
        print(f"\nwrote {args.output}")
    return 0


# -- report -----------------------------------------------------------------------
def cmd_report(args) -> int:
    from .report import build_report, write_report
    from .report.write import check_path

    output = check_path(args.output or Path(f"{Path(args.spec).stem}.html"))
    doc = build_report(args.spec, steps=args.steps, example=args.example, verify=args.verify,
                       dynamics=not args.no_dynamics)
    written = write_report(doc, output)
    figures = written[1:]
    print(f"wrote {written[0]}" + (f" and {len(figures)} figure file"
                                   f"{'s' if len(figures) > 1 else ''} in {figures[0].parent}"
                                   if figures else ""))
    return 0 if doc.ok else 1


# -- main -------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqcheck",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"seqcheck {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name, help_, func):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks of errors")
        return p

    p = add("list", "list the bundled specs (or, with --examples, the worked examples)", cmd_list)
    p.add_argument("--examples", action="store_true", help="list the worked examples instead")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("show", "show a spec (equations, shapes, parameter count, sources) or a model",
            cmd_show)
    p.add_argument("spec", help="a bundled spec or model name (see 'seqcheck list') or a "
                                ".toml path")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("errata", "the lectures' mistakes: run the literal transcriptions and the worked "
                      "examples, and say what is wrong and what is right", cmd_errata)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("lint", "validate spec files; every problem is reported with file:line:col",
            cmd_lint)
    p.add_argument("files", nargs="+", help="spec files (.toml) or bundled names")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("graph", "unfold a spec over time into a computation graph (DOT or GraphML)",
            cmd_graph)
    p.add_argument("spec", help="a bundled spec name or a .toml path")
    p.add_argument("--steps", type=int, default=3, help="number of time steps T (default 3)")
    p.add_argument("-o", "--output", type=Path, help="write to FILE.dot, .gv or .graphml "
                                                     "(default: DOT to stdout)")
    p.add_argument("--params", action="store_true",
                   help="include parameter nodes (shows weight sharing across steps)")
    p.add_argument("--json", action="store_true", help="print a JSON summary")

    p = add("derive", "derive BPTT symbolically: adjoint equations of one step, gradients",
            cmd_derive)
    p.add_argument("spec", help="a bundled spec name or a .toml path")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="print a LaTeX align* block")
    fmt.add_argument("--json", action="store_true", help="print JSON (text and LaTeX forms)")

    p = add("compile", "print the generated forward and backward module (NumPy or PyTorch)",
            cmd_compile)
    p.add_argument("spec", help="a bundled spec name or a .toml path")
    p.add_argument("--backend", choices=("numpy", "torch"), default="numpy",
                   help="array library the module runs on (default numpy)")
    p.add_argument("--forward-only", action="store_true", help="leave out backward()")

    p = add("verify", "hold an implementation to a spec on generated cases: outputs, states, "
                      "gradients (exit 1 with a shrunk counterexample if it diverges)", cmd_verify)
    p.add_argument("target", help="a torch.nn class or factory as module:attr or a dotted path "
                                  "(torch.nn.LSTM, mypkg.cells:MyLSTMCell), or an ONNX node run "
                                  "by an engine (onnx:LSTM, onnxruntime:GRU)")
    p.add_argument("--spec", help="a bundled spec name or .toml path (default: the equations the "
                                  "target documents, recognised from its parameters)")
    p.add_argument("--attr", action="append", metavar="NAME=VALUE",
                   help="an ONNX attribute, repeatable: direction=reverse, clip=0.5, "
                        "linear_before_reset=0, input_forget=1, activations=Relu, peepholes=1")
    p.add_argument("--mapping", metavar="FILE",
                   help="a mapping file: how the spec's parameters are slices of the target's "
                        "(docs/mapping.md)")
    p.add_argument("--max-examples", type=int, default=100, help="cases to try (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search; replays it")
    p.add_argument("--dtype", choices=("float32", "float64"),
                   help="the target's dtype (default: an instance's own, else float32)")
    p.add_argument("--no-gradients", action="store_true",
                   help="compare outputs and states only (always so for ONNX engines)")
    p.add_argument("--save", metavar="FILE",
                   help="write the shrunk counterexample to FILE (.npz) if one is found")
    p.add_argument("--replay", metavar="FILE",
                   help="check only the counterexample saved in FILE by --save (no search)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("identify", "which spec variant and gate order does a target follow? (gate "
                        "orders, GRU reset placement and interpolation)", cmd_identify)
    p.add_argument("target", help="a torch.nn class or factory, as for verify")
    p.add_argument("--max-examples", type=int, default=10, help="cases per candidate (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the search")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("conformance", "the matrix: torch.nn (CPU; CUDA when present), onnx.reference, "
                           "onnxruntime and reservoirpy, every unit and attribute variant, "
                           "against the equations each documents", cmd_conformance)
    p.add_argument("--engine", action="append",
                   choices=("torch", "torch-cuda", "onnx", "onnxruntime", "reservoirpy"),
                   help="only these engines (repeatable; default all that are installed)")
    p.add_argument("--max-examples", type=int, default=25, help="cases per row (default 25)")
    p.add_argument("--seed", type=int, default=0, help="seed of every row's search")
    p.add_argument("--dtype", choices=("float32", "float64"),
                   help="only this dtype (default every dtype an engine runs in)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if any row does not conform (default: exit 0, the table is "
                        "the finding)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("bench", "benchmarks, as ratios against baselines run in the same process", cmd_bench)
    p.add_argument("--quick", action="store_true",
                   help="first size only, naive SymPy baseline at T = 1 only, fewer repeats")
    p.add_argument("--repeats", type=int, help="timed repeats per measurement (median)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch and BLAS threads for both sides (default 1)")
    p.add_argument("--no-naive", action="store_true",
                   help="skip the naive SymPy unrolling baseline (slow)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")

    p = add("dynamics", "measure vanishing and exploding gradients: ‖∂s_T/∂s_(T-k)‖₂ against "
                        "the lag k, with the recurrent weights at chosen spectral radii",
            cmd_dynamics)
    p.add_argument("spec", help="a bundled spec name or a .toml path (states read at [t-1], "
                                "forward in time)")
    p.add_argument("--radius", default="0.5,1.0,1.5", metavar="R,R,...",
                   help="spectral radii of the recurrent weights, comma-separated "
                        "(default 0.5,1.0,1.5)")
    p.add_argument("--steps", type=int, default=100, help="number of time steps T (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs")
    p.add_argument("--size", action="extend", nargs="+", metavar="DIM=N",
                   help="sizes of dims, e.g. --size H=32 D=4 (default 32 for each dim)")
    p.add_argument("--batch", type=int, default=4,
                   help="input sequences, averaged geometrically (default 4)")
    p.add_argument("--recurrent", action="append", metavar="PARAM",
                   help="a recurrent weight, repeatable (default: every parameter the "
                        "equations multiply a state at [t-1] by)")
    p.add_argument("-o", "--output", type=Path,
                   help="also plot to FILE.png or FILE.svg (pip install 'seqcheck[plot]')")
    p.add_argument("--json", action="store_true", help="print the series as JSON")

    p = add("example", "check a worked example number by number (exit 1 if any is wrong)",
            cmd_example)
    p.add_argument("file", help="a bundled example name (see 'seqcheck list --examples') "
                                "or a .toml path")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add("report", "write a derivation report (HTML with MathML, Markdown or LaTeX): "
                      "equations, sources, graph, BPTT, examples, dynamics, conformance",
            cmd_report)
    p.add_argument("spec", help="a bundled spec name or a .toml path")
    p.add_argument("-o", "--output", type=Path,
                   help="FILE.html (one self-contained page), FILE.md or FILE.tex (figures in "
                        "FILE_files/); default SPEC.html")
    p.add_argument("--example", metavar="FILE",
                   help="a worked example to check and tabulate (bundled name or .toml path)")
    p.add_argument("--verify", metavar="TARGET",
                   help="also verify TARGET against the spec (exit 1 if it does not conform)")
    p.add_argument("--steps", type=int, default=3,
                   help="steps of the unfolded graph (default 3)")
    p.add_argument("--no-dynamics", action="store_true",
                   help="leave out the gradient-dynamics measurement")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SeqcheckError as e:
        if args.debug:
            raise
        if getattr(args, "json", False):
            diags = getattr(e, "diagnostics", ())
            _dump({"ok": False, "error": {
                "type": type(e).__name__, "message": str(e),
                "diagnostics": [d.as_dict() for d in diags]}})
        print(str(e), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `seqcheck graph lstm | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
