"""Stage: Spec (+ a worked example, a verify target) -> :class:`~.model.Document`.

Everything a report shows is computed here, when the report is made: the equations are
the spec's SymPy expressions, the BPTT equations come from :func:`seqcheck.derive.derive`
and :func:`~seqcheck.derive.adjoint.state_jacobian` (what ``seqcheck derive`` prints),
the parameter count from :meth:`Spec.parameter_count`, the worked-example verdicts from
:func:`seqcheck.check_example`, the dynamics from :func:`seqcheck.dynamics.measure.sweep`
and the conformance from :func:`seqcheck.verify`. No number is typed in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sympy as sp

from .. import __version__
from ..errors import SeqcheckError
from ..spec.model import Spec
from .model import Code, Document, Figure, Math, Paragraph, Partial, Section, Table

__all__ = ["build_report", "example_sizes", "sources_section", "equations_section",
           "parameters_section", "bptt_section", "example_section", "verify_section",
           "DYNAMICS_RADII", "DYNAMICS_STEPS", "VERIFY_EXAMPLES"]

DYNAMICS_RADII = (0.5, 1.0, 1.5)
DYNAMICS_STEPS = 60
VERIFY_EXAMPLES = 20


def example_sizes(spec: Spec) -> dict[str, int]:
    """Concrete sizes at which the report evaluates the parameter count: 2, 3, 4, ... in the
    order the dims are declared.

    >>> from seqcheck import load_spec
    >>> example_sizes(load_spec("lstm"))
    {'D': 2, 'H': 3}
    """
    return {d.name: k + 2 for k, d in enumerate(spec.dims)}


def _timed(spec: Spec) -> frozenset:
    return frozenset(spec.variables) | frozenset(spec.inputs) | frozenset(spec.states)


def sources_section(spec: Spec) -> Section:
    """The lecture sources and the spec's notes."""
    rows = tuple((s.file, ", ".join(s.equations), s.where, s.note) for s in spec.sources)
    blocks: list = [Paragraph((f"A derivation report of the spec '{spec.name}', made by "
                               f"seqcheck {__version__}: every formula and number below is "
                               "computed from the spec when the report is made.",))]
    if spec.extends:
        blocks.append(Paragraph((f"A variant of the spec '{spec.extends}'.",)))
    blocks.append(Table(("lecture file", "equations", "where", "note"), rows,
                        caption="Where the equations come from", role="sources"))
    for para in (p.strip() for p in spec.notes.split("\n\n")):
        if para:
            blocks.append(Paragraph((" ".join(para.split()),), role="note"))
    return Section("Sources and notes", tuple(blocks), role="sources")


def _declarations(spec: Spec) -> Table:
    timed = _timed(spec)
    rows = []
    for role, table in (("input", spec.inputs), ("state", spec.states)):
        for d in table.values():
            extra = f"initial value {d.init_text}" if d.init_text else ""
            if role == "input" and d.static:
                extra = "the same at every step"
            rows.append((Math(d.symbol, variables=timed), role, d.shape_str(), d.doc, extra))
    return Table(("name", "role", "shape", "meaning", ""), tuple(rows),
                 caption="Inputs and states", role="declarations")


def equations_section(spec: Spec) -> Section:
    """The spec's equations as display math, then its inputs and states."""
    timed = _timed(spec)
    dims = ", ".join(f"{d.name}: {d.doc}" for d in spec.dims)
    blocks: list = [Paragraph((f"Dimensions: {dims}. One step of the recurrence (a "
                               "subscript t is the step), typeset from the spec; SymPy "
                               "orders the terms of each sum and product:",))]
    blocks += [Math(e.expr, display=True, lhs=spec.symbol(e.target), variables=timed)
               for e in spec.equations]
    where = Path(spec.path).name if spec.path else "the spec"
    blocks.append(Paragraph((f"As transcribed from the lecture, in {where}:",)))
    blocks.append(Code("\n".join(f"{e.target} = {e.text}" + (f"    # line {e.line}"
                                                              if e.line else "")
                                  for e in spec.equations), language="toml"))
    blocks.append(_declarations(spec))
    return Section("Equations", tuple(blocks), role="equations")


def parameters_section(spec: Spec) -> Section:
    """The parameter table and the parameter count, as a formula and at example sizes."""
    rows = []
    for p in spec.params.values():
        count = sp.Mul(*p.shape) if p.shape else sp.Integer(1)
        rows.append((Math(p.symbol), p.shape_str(), Math(count), p.doc))
    total = spec.parameter_count()
    sizes = example_sizes(spec)
    value = int(total.subs({spec.dim(n).symbol: v for n, v in sizes.items()}))
    at = ", ".join(f"{n} = {v}" for n, v in sizes.items())
    expanded = sp.expand(total)
    formula = (Paragraph(("Parameter count: ", Math(total),
                          *((" = ", Math(expanded)) if expanded != total else ()), "."),
                         role="parameter-count"))
    return Section("Parameters", (
        Table(("parameter", "shape", "scalars", "meaning"), tuple(rows),
              caption="Parameters, shared by every step", role="parameters"),
        formula,
        Paragraph((f"At {at}: {value} parameters.",), role="parameter-count-example"),
    ), role="parameters")


def _graph(spec: Spec, steps: int) -> Section:
    from ..graph import unfold

    s = unfold(spec, steps).summary()

    def draw():
        from .figures import graph_figure

        return graph_figure(spec, steps)

    return Section("Unfolded graph", (
        Figure("graph", draw, f"{spec.name} unfolded over T = {steps} steps: one column per "
               "step; dashed edges carry a state from one step to the next.",
               f"The computation graph of {spec.name} over {steps} steps, "
               f"{s['nodes']} nodes and {s['edges']} edges."),
        Paragraph((f"Unfolded over T = {steps} steps the graph has {s['nodes']} nodes and "
                   f"{s['edges']} edges.",)),
    ), role="graph")


def bptt_section(spec: Spec, d=None) -> Section:
    """The derived BPTT equations of ``spec`` (of the Derivation ``d`` if given)."""
    from ..derive import derive
    from ..derive.adjoint import adjoint_symbol, state_jacobian
    from ..derive.rules import DerivationError

    d = derive(spec) if d is None else d
    timed = _timed(spec)
    blocks: list = [Paragraph((
        "Derived symbolically by seqcheck for one step; the sequence length does not enter. "
        "A bar is the adjoint ∂L/∂v of a value v at its step; δ is a named intermediate "
        "adjoint; ∂ℓ/∂v is the loss term's own gradient at step t.",))]
    blocks.append(Paragraph(("The adjoint of every variable (the BPTT recursion):",)))
    blocks += [Math(d.adjoint_equation(v), display=True,
                    lhs=adjoint_symbol(v, spec.shape_of(v)), variables=timed)
               for v in spec.variables]
    temps = [(sym, expr) for e in reversed(d.equations) for sym, expr in e.temps]
    if temps:
        blocks.append(Paragraph(("The named intermediate adjoints:",)))
        blocks += [Math(expr, display=True, lhs=sym, variables=timed) for sym, expr in temps]
    blocks.append(Paragraph(("The parameter gradients, summed over t and the batch:",)))
    blocks += [Math(d.parameter_gradient(p), display=True, lhs=Partial("L", p), sum_t=True,
                    variables=timed) for p in spec.params]
    try:
        jac = state_jacobian(spec)
    except DerivationError as e:
        blocks.append(Paragraph((f"The state Jacobian is not derived symbolically: {e}.",),
                                role="state-jacobian"))
    else:
        blocks.append(Paragraph(("The state Jacobian ∂s_t/∂s_{t-1}, block by block (blocks "
                                 "not shown are zero):",), role="state-jacobian"))
        blocks += [Math(m, display=True, lhs=Partial(a, b, True, -1), variables=timed)
                   for (a, b), m in jac.items()]
    return Section("Backpropagation through time", tuple(blocks), role="bptt")


def example_section(spec: Spec | None, example) -> Section:
    """The worked-example table: every printed value, the exact value, the verdict."""
    from ..checks.example import ExampleReport, check_example, format_entry

    report = example if isinstance(example, ExampleReport) else check_example(example)
    ex = report.example
    if spec is not None and ex.spec.name != spec.name:
        raise SeqcheckError(f"the worked example {ex.file} is for spec '{ex.spec.name}', "
                            f"not '{spec.name}'; make the report for '{ex.spec.name}'")
    rows = []
    for e in report.entries:
        printed, exact = format_entry(e)
        rows.append((str(e.t), e.expr or e.name, e.where, printed, exact, e.verdict))
    source = f" ({ex.source})" if ex.source else ""
    return Section("Worked example", (
        Paragraph((f"{Path(ex.file).name}{source}: every printed value recomputed in float64 "
                   "on the exact trajectory, and from the printed, rounded operands.",)),
        Table(("t", "value", "where", "printed", "exact", "verdict"), tuple(rows),
              caption=f"Worked example {Path(ex.file).stem}", role="worked-example"),
        Paragraph((f"Summary: {report.summary()}.",), role="example-summary"),
    ), role="example")


def _dynamics(spec: Spec) -> Section:
    from ..dynamics.measure import sweep
    from ..dynamics.recurrence import recurrence

    try:
        recurrence(spec)
    except SeqcheckError as e:
        return Section("Gradient dynamics", (
            Paragraph((f"Not measured: {e}.",), role="dynamics-skipped"),), role="dynamics")
    result = sweep(spec, DYNAMICS_RADII, DYNAMICS_STEPS, 0)

    def draw():
        from ..dynamics.plot import sweep_figure

        return sweep_figure(result)

    lags = result.table_lags()
    rows = tuple((f"{r:g}", f"{d.sigma_max:.3f}", f"{d.rate:+.4f}",
                  *(f"{d.norms[k]:.3g}" for k in lags), d.verdict)
                 for r, d in zip(result.radii, result.results))
    sizes = ", ".join(f"{k} = {v}" for k, v in result.sizes.items())
    rec = result.results[0].recurrence
    bound = (f"The dashed lines are the bound {rec.bound_formula} (Pascanu et al. 2013)."
             if rec.bound_reason is None else f"No bound is drawn: {rec.bound_reason}.")
    return Section("Gradient dynamics", (
        Figure("dynamics", draw,
               f"‖∂s_T/∂s_(T-k)‖ against the lag k for {spec.name}, T = {result.steps}, at "
               f"spectral radii {', '.join(f'{r:g}' for r in result.radii)} of the "
               "recurrent weights.",
               f"Gradient norm against lag for {spec.name}, one line per spectral radius."),
        Paragraph((f"Measured with seed {result.seed} at {sizes}. {bound}",)),
        Table(("radius", "σ_max", "growth/step", *(f"k = {k}" for k in lags), "verdict"), rows,
              caption="Gradient norm at selected lags", role="dynamics"),
    ), role="dynamics")


def verify_section(spec: Spec | None, target) -> tuple[Section, bool]:
    """The conformance verdict of ``target`` (run :func:`seqcheck.verify` unless it is a
    VerifyResult already) and its report."""
    from ..checks.verify import VerifyResult, verify

    result = target if isinstance(target, VerifyResult) else \
        verify(target, spec=spec, max_examples=VERIFY_EXAMPLES, seed=0)
    verdict = "conforms" if result.ok else "does not conform"
    return Section("Conformance", (
        Paragraph((f"{result.target} {verdict} to the spec '{result.spec}' on "
                   f"{result.examples} generated cases (seed {result.seed}).",),
                  role="verify-verdict"),
        Code(result.format_text()),
    ), role="verify"), result.ok


def build_report(spec: Spec | str, *, steps: int = 3, example=None, verify=None,
                 dynamics: bool = True,
                 progress: Callable[[str], None] | None = None) -> Document:
    """Build the report of one spec.

    Arguments:
        spec: a Spec, a bundled name or a path.
        steps: the steps of the unfolded graph (≥ 1).
        example: a worked example to check (a bundled name, a path, an Example or an
            ExampleReport), or ``None``.
        verify: a target for :func:`seqcheck.verify` (its ``max_examples`` is
            :data:`VERIFY_EXAMPLES`), or a VerifyResult, or ``None``.
        dynamics: measure the gradient dynamics (a few seconds for a gated cell).
        progress: called with each section's title before the section is made.
    Returns:
        The :class:`~.model.Document`; ``.ok`` is ``False`` when the target did not conform.

    >>> # the seed 001 Elman RNN, without the (slower) dynamics
    >>> doc = build_report("elman", dynamics=False)
    >>> [s.title for s in doc.sections]
    ['Sources and notes', 'Equations', 'Parameters', 'Unfolded graph', \
'Backpropagation through time', 'Gradient dynamics']
    """
    if not isinstance(spec, Spec):
        from ..spec import load_spec

        spec = load_spec(spec)
    if steps < 1:
        raise SeqcheckError(f"the unfolded graph needs at least one step; got steps = {steps}")
    say = progress or (lambda title: None)
    sections = []
    for title, make in (("Sources and notes", sources_section), ("Equations", equations_section),
                        ("Parameters", parameters_section),
                        ("Unfolded graph", lambda spec: _graph(spec, steps)),
                        ("Backpropagation through time", bptt_section)):
        say(title)
        sections.append(make(spec))
    if example is not None:
        say("Worked example")
        sections.append(example_section(spec, example))
    say("Gradient dynamics")
    if dynamics:
        sections.append(_dynamics(spec))
    else:
        sections.append(Section("Gradient dynamics", (
            Paragraph(("Not measured in this report (made with dynamics=False).",),
                      role="dynamics-skipped"),), role="dynamics"))
    ok = True
    if verify is not None:
        say("Conformance")
        section, ok = verify_section(spec, verify)
        sections.append(section)
    return Document(f"{spec.name}: {spec.title}", tuple(sections), ok=ok)
