"""A :class:`~seqcheck.spec.model.Spec` described as data and as text.

``spec_as_dict`` is the JSON of ``seqcheck show NAME --json`` and ``format_spec`` the
text of ``seqcheck show NAME``; ``spec_summary`` is one row of ``seqcheck list``. The
command only prints what they return.
"""

from __future__ import annotations

import textwrap

from .grammar import format_shape
from .model import Declaration, Spec
from .schedule import make_schedule
from .source import format_source

__all__ = ["format_source", "format_spec", "spec_as_dict", "spec_summary"]

_DIRECTION = {1: "forward", -1: "backward", 0: "any"}


def _declarations(table: dict[str, Declaration]) -> list[dict]:
    """Inputs, states or parameters as JSON rows: an ``init`` for a state, ``static`` for
    an input."""
    return [{"name": n, "shape": d.shape_str(), "doc": d.doc,
             **({"init": d.init_text} if d.role == "state" else {}),
             **({"static": d.static} if d.role == "input" else {}),
             **({"mask": True} if d.mask else {})}
            for n, d in table.items()]


def spec_as_dict(spec: Spec) -> dict:
    """Everything ``seqcheck show`` says about ``spec``, as a JSON-able dict.

    Arguments:
        spec: a loaded spec.

    Returns:
        a dict of strings, lists and dicts: name, title, path, sources, dims, inputs,
        states, params, equations (with their shapes as text), outputs, the parameter
        count (as written and expanded), the sweeps of the schedule and the notes.

    >>> # the RNN's evaluation order: a and h forward in time, o in any order
    >>> from seqcheck.spec import load_spec
    >>> spec_as_dict(load_spec("rnn"))["sweeps"][1]
    {'direction': 'any', 'variables': ['o']}
    """
    count = spec.parameter_count()
    return {
        "name": spec.name,
        "title": spec.title,
        "path": spec.path,
        "extends": spec.extends,
        "sources": [{"file": s.file, "equations": list(s.equations), "where": s.where,
                     "note": s.note, "cite": s.cite()} for s in spec.sources],
        "dims": [{"name": d.name, "doc": d.doc} for d in spec.dims],
        "inputs": _declarations(spec.inputs),
        "states": _declarations(spec.states),
        "params": _declarations(spec.params),
        "equations": [{"target": e.target, "expression": e.text,
                       "shape": format_shape(e.shape), "line": e.line}
                      for e in spec.equations],
        "outputs": list(spec.outputs),
        "parameter_count": str(count),
        "parameter_count_expanded": str(count.expand()),
        "sweeps": [{"direction": _DIRECTION[s.direction], "variables": list(s.variables)}
                   for s in make_schedule(spec).sweeps],
        "notes": spec.notes.strip(),
    }


def format_spec(d: dict) -> str:
    """The text of ``seqcheck show``, from :func:`spec_as_dict`'s dict (no final newline).

    >>> # the first lines: the title and where the equations are printed
    >>> from seqcheck.spec import load_spec
    >>> print(format_spec(spec_as_dict(load_spec("rnn"))).splitlines()[0])
    rnn: Aligned seq2seq RNN with tanh hidden units (seed 000 eq. 15-17)
    """
    lines = [f"{d['name']}: {d['title']}"]
    if d["extends"]:
        lines.append(f"  variant of {d['extends']}")
    lines += [format_source(s) for s in d["sources"]]
    lines.append("\ndims:")
    lines += [f"  {dim['name']:<6} {dim['doc']}" for dim in d["dims"]]
    for title, key in (("inputs", "inputs"), ("states", "states"), ("parameters", "params")):
        if not d[key]:
            continue
        lines.append(f"\n{title}:")
        for e in d[key]:
            extra = f"  init {e['init']}" if e.get("init") else ""
            extra += "  (static)" if e.get("static") else ""
            extra += "  (mask: 1 on a row's own steps, 0 on padding)" if e.get("mask") else ""
            lines.append(f"  {e['name']:<10} {e['shape']:<12}{extra}  {e['doc']}".rstrip())
    lines.append("\nequations (one step):")
    width = max(len(e["target"]) for e in d["equations"])
    lines += [f"  {e['target']:>{width}} = {e['expression']:<60} {e['shape']}"
              for e in d["equations"]]
    lines.append(f"\noutputs: {', '.join(d['outputs'])}")
    sweeps = "; ".join(f"{s['direction']}: {', '.join(s['variables'])}" for s in d["sweeps"])
    lines.append(f"evaluation order: {sweeps}")
    lines.append(f"parameter count: {d['parameter_count']} = {d['parameter_count_expanded']}")
    if d["notes"]:
        lines.append("\nnotes:")
        lines += [textwrap.fill(" ".join(para.split()), width=88, initial_indent="  ",
                                subsequent_indent="  ") for para in d["notes"].split("\n\n")]
    return "\n".join(lines)


def spec_summary(name: str, spec: Spec) -> dict:
    """One row of the catalogue listing (``seqcheck list``) for the spec called ``name``.

    >>> from seqcheck.spec import load_spec
    >>> spec_summary("rnn", load_spec("rnn"))["extends"] is None
    True
    """
    return {
        "name": name,
        "title": spec.title,
        "sources": [s.cite() for s in spec.sources],
        "extends": spec.extends,
        "parameters": str(spec.parameter_count()),
    }
