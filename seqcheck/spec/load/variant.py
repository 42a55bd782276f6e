"""Variants of a loaded spec, written as a TOML file that ``extends`` it: :func:`variant`.

A variant is loaded like any spec file, so it is validated the same way and its errors are
located in the variant's text. Verify's explanations (small changes of the spec, re-checked
on a counterexample) and the losses are built this way.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import Diagnostic, SpecError
from ..model import Spec
from ..toml_text import toml_string
from .loaders import loads_spec

__all__ = ["variant"]


def variant(spec: Spec, *, name: str | None = None, title: str | None = None,
            equations: dict | None = None, inputs: dict | None = None,
            outputs: tuple[str, ...] | None = None, drop: tuple[str, ...] = ()) -> Spec:
    """A variant of ``spec`` (``extends``): equations replaced or added, inputs added.

    Arguments:
        spec: a spec loaded from a file (the variant extends that file).
        name, title: of the variant (default ``<name>_variant``, the base's title).
        equations: ``{target: expression}`` to replace or add.
        inputs: ``{name: (shape entries as strings, doc)}`` to add.
        outputs: the variant's outputs (default the base's).
        drop: declarations of the base to leave out (a bias no equation uses any more).
    Returns:
        The validated variant; an invalid one raises :class:`SpecError`.

    >>> # the GRU with its reset applied before the recurrent product (Cho et al. 2014)
    >>> from seqcheck import load_spec
    >>> cho = "tanh(W_in @ x + b_in + W_hn @ (r * h[t-1]) + b_hn)"
    >>> v = variant(load_spec("gru"), equations={"n": cho})
    >>> v.equation("n").text
    'tanh(W_in @ x + b_in + W_hn @ (r * h[t-1]) + b_hn)'
    """
    if spec.path is None:
        raise SpecError(Diagnostic("no-file", f"spec {spec.name!r} has no file to extend",
                                   hint="load it from a file to derive a variant"))
    lines = [f"name = {toml_string(name or spec.name + '_variant')}"]
    if title or spec.title:
        lines.append(f"title = {toml_string(title or spec.title)}")
    lines.append(f"extends = {toml_string(Path(spec.path).resolve().as_posix())}")
    if drop:
        lines.append("drop = [" + ", ".join(toml_string(d) for d in drop) + "]")
    if outputs is not None:
        lines.append("outputs = [" + ", ".join(toml_string(o) for o in outputs) + "]")
    if inputs:
        lines.append("\n[inputs]")
        for n, (shape, doc) in inputs.items():
            entries = ", ".join(toml_string(str(d)) for d in shape)
            lines.append(f"{n} = {{ shape = [{entries}], doc = {toml_string(doc)} }}")
    if equations:
        lines.append("\n[equations]")
        lines += [f"{t} = {toml_string(x)}" for t, x in equations.items()]
    return loads_spec("\n".join(lines) + "\n", file=f"<variant of {spec.name}>")
