"""A :class:`~seqcheck.derive.adjoint.Derivation` described as data, as text and as LaTeX.

``derivation_as_dict`` is the JSON of ``seqcheck derive SPEC --json``: every adjoint
equation (the BPTT recursion), each equation's named intermediate adjoints and
contributions, the parameter gradients and the state Jacobian ∂s_t/∂s_{t-1}
(seed 002), each in the lectures' text and LaTeX notation (:mod:`seqcheck.printing`).
``format_derivation`` and ``format_derivation_latex`` are the text and the ``--latex``
block.
"""

from __future__ import annotations

from pathlib import Path

from ..printing import MathPrinter, latex, text
from ..spec.model import Spec
from .adjoint import Derivation, state_jacobian
from .rules import DerivationError

__all__ = ["contribution_target", "derivation_as_dict", "display_path",
           "format_derivation", "format_derivation_latex", "symbol_role"]

#: What the names of the text notation mean, as ``seqcheck derive --json`` states them.
NOTATION = {"adj_v": "dL/dv_t", "d_v": "a named intermediate adjoint (delta)",
            "dl_dv": "the loss term's own gradient at step t",
            "v[t+1]": "v at the next step"}


def symbol_role(spec: Spec, name: str) -> str:
    """``"parameter"``, ``"input"`` or ``"variable"``: what ``name`` is in ``spec``.

    >>> from seqcheck.spec import load_spec
    >>> [symbol_role(load_spec("rnn"), n) for n in ("W_hh", "x", "h")]
    ['parameter', 'input', 'variable']
    """
    if name in spec.params:
        return "parameter"
    if name in spec.inputs:
        return "input"
    return "variable"


def derivation_as_dict(spec: Spec, derivation: Derivation, *, with_latex: bool = True) -> dict:
    """Everything ``seqcheck derive`` prints about ``derivation`` (of ``spec``), JSON-able.

    Arguments:
        spec: the spec that was derived.
        derivation: ``derive(spec)``.
        with_latex: False leaves out every ``latex`` and ``latex_name`` field, for the
            plain-text command, which does not show them.

    Returns:
        a dict with the spec's name, the state Jacobian blocks (or, where they cannot be
        derived, an empty list and the reason in ``state_jacobian_note``), the notation,
        the adjoint of every variable, the parameter gradients and, per equation in
        reverse order, its temporaries and contributions; every expression as ``text``
        and ``latex``.

    >>> # the RNN's recursion for h: its loss term, o at this step and a at the next
    >>> from seqcheck.derive import derive
    >>> from seqcheck.spec import load_spec
    >>> spec = load_spec("rnn")
    >>> [a["text"] for a in derivation_as_dict(spec, derive(spec))["adjoints"]][1]
    'dl_dh + W_hhᵀ adj_a[t+1] + W_hoᵀ adj_o'
    """
    timed = set(spec.variables) | set(spec.inputs) | set(spec.states)

    def both(expr) -> dict:
        return {"text": text(expr), "latex": latex(expr, timed)} if with_latex \
            else {"text": text(expr)}

    def name(sym) -> dict:
        return {"latex_name": latex(sym, timed)} if with_latex else {}

    equations = []
    for e in reversed(derivation.equations):
        eq = spec.equation(e.target)
        equations.append({
            "target": e.target, "equation": eq.text, "file": eq.file, "line": eq.line,
            "temps": [{"name": sym.name, **name(sym), **both(expr)}
                      for sym, expr in e.temps],
            "contributions": [{"to": c.to, "offset": c.offset,
                               "kind": symbol_role(spec, c.to), **both(c.expr)}
                              for c in e.contributions],
        })
    try:
        jac = [{"of": a, "wrt": b, **both(m)} for (a, b), m in state_jacobian(spec).items()]
        jac_note = None
    except DerivationError as e:
        jac, jac_note = [], str(e)
    return {
        "spec": spec.name,
        "state_jacobian": jac,
        "state_jacobian_note": jac_note,
        "notation": dict(NOTATION),
        "adjoints": [{"variable": v, **both(derivation.adjoint_equation(v))}
                     for v in spec.variables],
        "parameter_gradients": [{"parameter": p, **both(derivation.parameter_gradient(p))}
                                for p in spec.params],
        "equations": equations,
    }


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it.

    >>> display_path("/no/such/dir/rnn.toml")
    '/no/such/dir/rnn.toml'
    """
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def contribution_target(c: dict) -> str:
    """What a contribution of :func:`derivation_as_dict` adds to, as text: ``∂L/∂W`` for
    a parameter (summed over t), ``∂L/∂h_t`` or ``∂L/∂h_{t-1}`` otherwise.

    >>> contribution_target({"to": "h", "offset": -1, "kind": "variable"})
    '∂L/∂h_{t-1}'
    """
    step = "t" if c["offset"] == 0 else f"{{t{c['offset']:+d}}}"
    if c["kind"] == "parameter":
        return f"∂L/∂{c['to']}"
    return f"∂L/∂{c['to']}_{step}"


def format_derivation(d: dict) -> str:
    """The text of ``seqcheck derive``, from :func:`derivation_as_dict`'s dict (no final
    newline). Equation locations are shown relative to the working directory.

    >>> from seqcheck.derive import derive
    >>> from seqcheck.spec import load_spec
    >>> spec = load_spec("rnn")
    >>> print(format_derivation(derivation_as_dict(spec, derive(spec))).splitlines()[0])
    rnn: BPTT for one step, derived symbolically (the sequence length does not enter)
    """
    lines = [f"{d['spec']}: BPTT for one step, derived symbolically (the sequence length "
             "does not enter)",
             "  adj_v = ∂L/∂v_t;  d_v = a named intermediate adjoint (δ);  dl_dv = ∂ℓ_t/∂v_t;  "
             "v[t+1] = v at step t+1",
             "\nthe adjoint of every variable (the BPTT recursion):"]
    lines += [f"  adj_{a['variable']} = {a['text']}" for a in d["adjoints"]]
    lines.append("\nper equation, in reverse order:")
    for e in d["equations"]:
        where = f"{display_path(e['file'])}:{e['line']}" if e["line"] else e["file"]
        lines.append(f"  {e['target']} = {e['equation']}    [{where}]")
        lines += [f"    {t['name']} = {t['text']}" for t in e["temps"]]
        lines += [f"    {contribution_target(c)} += {c['text']}" for c in e["contributions"]]
    lines.append("\nparameter gradients (summed over t and the batch):")
    lines += [f"  ∂L/∂{p['parameter']} = Σ_t {p['text']}" for p in d["parameter_gradients"]]
    lines.append("\nstate Jacobian ∂s_t/∂s_{t-1} (blocks not shown are zero):")
    lines += [f"  ∂{j['of']}_t/∂{j['wrt']}_{{t-1}} = {j['text']}" for j in d["state_jacobian"]]
    if d["state_jacobian_note"]:
        lines.append(f"  not derived: {d['state_jacobian_note']}")
    return "\n".join(lines)


def format_derivation_latex(d: dict) -> str:
    """``seqcheck derive --latex``: one ``align*`` block of the adjoints, the named
    intermediate adjoints, the parameter gradients and the state Jacobian blocks, from
    :func:`derivation_as_dict`'s dict (no final newline).

    >>> from seqcheck.derive import derive
    >>> from seqcheck.spec import load_spec
    >>> spec = load_spec("rnn")
    >>> print(format_derivation_latex(derivation_as_dict(spec, derive(spec))).splitlines()[1])
    \\begin{align*}
    """
    name = MathPrinter.latex_name
    lines = [rf"\bar{{{name(a['variable'])}}}_t &= {a['latex']}" for a in d["adjoints"]]
    for e in d["equations"]:
        lines += [rf"{t['latex_name']} &= {t['latex']}" for t in e["temps"]]
    lines += [rf"\frac{{\partial L}}{{\partial {name(p['parameter'])}}} "
              rf"&= \sum_t {p['latex']}" for p in d["parameter_gradients"]]
    lines += [rf"\frac{{\partial {name(j['of'])}_t}}"
              rf"{{\partial {name(j['wrt'])}_{{t-1}}}} &= {j['latex']}"
              for j in d["state_jacobian"]]
    return "\n".join([f"% {d['spec']}: BPTT adjoint equations of one step, derived by seqcheck",
                      r"\begin{align*}", " \\\\\n".join(lines), r"\end{align*}"])
