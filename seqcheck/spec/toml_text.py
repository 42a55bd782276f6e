"""TOML text that seqcheck writes: :func:`toml_string`.

A variant (:func:`~seqcheck.spec.load.variant`) and a composed spec
(:mod:`seqcheck.spec.compose`) are written as TOML text and loaded like any file; a
standalone expression (:func:`seqcheck.spec.scope.type_expression`) is located through a
one-line TOML text of its own.
"""

from __future__ import annotations

__all__ = ["toml_string"]


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, its backslashes and quotes escaped.

    >>> # a quote inside the text is escaped
    >>> print(toml_string('say "hi"'))
    "say \\"hi\\""
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
