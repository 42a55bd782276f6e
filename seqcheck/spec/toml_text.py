"""TOML text that seqcheck writes: :func:`toml_string`.

A variant (:func:`~seqcheck.spec.load.variant`) and a composed spec
(:mod:`seqcheck.spec.compose`) are written as TOML text and loaded like any file; a
standalone expression (:func:`seqcheck.spec.scope.type_expression`) is located through a
one-line TOML text of its own. :func:`spec_text` writes a whole spec, standing on its
own (no ``extends``), with new equation texts.
"""

from __future__ import annotations

__all__ = ["spec_text", "toml_string"]

#: control characters a TOML basic string cannot hold as they are
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: backslashes, quotes and line breaks escaped.

    >>> # a quote inside the text is escaped, a line break written \\n
    >>> print(toml_string('say "hi"\\nagain'))
    "say \\"hi\\"\\nagain"
    """
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    for char, escape in _ESCAPES.items():
        out = out.replace(char, escape)
    return '"' + out + '"'


def spec_text(spec, *, name: str, title: str, notes: str, equations: dict[str, str],
              inputs: dict[str, str] | None = None) -> str:
    """The TOML of ``spec`` with another name, title, notes and equation texts, and extra
    ``inputs`` (``{name: inline table text}``): a spec file standing on its own."""
    lines = [f"name = {toml_string(name)}", f"title = {toml_string(title)}",
             f"notes = {toml_string(notes)}",
             "outputs = [" + ", ".join(toml_string(o) for o in spec.outputs) + "]"]
    for s in spec.sources:
        lines += ["", "[[sources]]", f"file = {toml_string(s.file)}"]
        if s.equations:
            lines.append("equations = [" + ", ".join(map(toml_string, s.equations)) + "]")
        lines += [f"{k} = {toml_string(v)}" for k, v in (("where", s.where), ("note", s.note))
                  if v]
    lines += ["", "[dims]", *(f"{d.name} = {toml_string(d.doc)}" for d in spec.dims)]
    for section, table in (("inputs", spec.inputs), ("states", spec.states),
                           ("params", spec.params)):
        lines += ["", f"[{section}]"]
        for n, d in table.items():
            fields = ["shape = [" + ", ".join(toml_string(str(x)) for x in d.shape) + "]"]
            if d.static:
                fields.append("static = true")
            if d.mask:
                fields.append("mask = true")
            if d.init_text is not None:
                fields.append(f"init = {toml_string(d.init_text)}")
            fields.append(f"doc = {toml_string(d.doc)}")
            lines.append(f"{n} = {{ {', '.join(fields)} }}")
        if section == "inputs":
            lines += [f"{n} = {t}" for n, t in (inputs or {}).items()]
    lines += ["", "[equations]", *(f"{t} = {toml_string(x)}" for t, x in equations.items())]
    return "\n".join(lines) + "\n"
