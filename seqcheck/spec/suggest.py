"""Suggestions for misspelt names: :func:`did_you_mean`.

Every "did you mean ...?" hint of seqcheck comes from here: spec keys and symbols, function
names, catalogue names, mapping keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt ``name``, or None.

    Ties in similarity go to the candidate sharing the longer prefix (``Ux`` -> ``U``).

    >>> # a transposed pair of letters is still close enough
    >>> did_you_mean("sigmodi", ["sigmoid", "softmax"])
    'sigmoid'
    """
    best, key = None, None
    for c in candidates:
        ratio = difflib.SequenceMatcher(None, name, c).ratio()
        if ratio < 0.6:
            continue
        prefix = len(_common_prefix(name, c))
        k = (ratio + 0.01 * prefix, -len(c))
        if key is None or k > key:
            best, key = c, k
    return best


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
