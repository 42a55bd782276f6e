"""The text of generated code: identifiers at a time offset, and when an operand needs
parentheses (:mod:`seqcheck.backends.printer` and the code generator print with these)."""

from __future__ import annotations

__all__ = ["ident", "is_atomic", "paren_text"]


def ident(name: str, offset: int = 0) -> str:
    """Python identifier of ``name`` at ``t + offset``: ``h``, ``h_tm1``, ``h_tp1``."""
    if offset == 0:
        return name
    return f"{name}_t{'m' if offset < 0 else 'p'}{abs(offset)}"


def _is_call(s: str, opening: str = "(", closing: str = ")") -> bool:
    """True for ``name(...)`` whose final parenthesis closes the first one (``name[...]``
    with brackets)."""
    head = s.split(opening, 1)[0]
    if not head or not head.replace(".", "_").isidentifier() or not s.endswith(closing):
        return False
    depth = 0
    for k, ch in enumerate(s[len(head):]):
        depth += ch == opening
        depth -= ch == closing
        if depth == 0:
            return k == len(s) - len(head) - 1
    return False


def is_atomic(s: str) -> bool:
    """A name, a number, a call, a subscript or a fully parenthesised text: safe next to
    any operator."""
    if s.replace(".", "_").isidentifier() or _is_call(s) or _is_call(s, "[", "]"):
        return True
    try:
        float(s)
        return not s.startswith("-")
    except ValueError:
        pass
    if s.startswith("(") and s.endswith(")"):
        depth = 0
        for k, ch in enumerate(s):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                return k == len(s) - 1
    return False


def paren_text(s: str) -> str:
    """``s``, parenthesised unless it is atomic (:func:`is_atomic`)."""
    return s if is_atomic(s) else f"({s})"
