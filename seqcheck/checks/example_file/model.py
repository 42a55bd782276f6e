"""The values of a worked-example file: :class:`Example` and its :class:`Printed` entries.

Immutable: the arrays are read-only and the tables mapping proxies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ...spec import Spec

__all__ = ["Example", "Printed", "frozen_arrays", "printed_class"]


@dataclass(frozen=True, eq=False)  # holds arrays: no field-wise ==
class Printed:
    """One printed vector of a walk-through.

    Arguments:
        t: the step, 1..T.
        name: the spec variable, or a free label for an ``expr`` entry.
        value: as printed: a read-only float64 array of the variable's shape; for
            ``reduce = "argmax"`` the class, an ``int`` or a one-hot array ``(n,)``.
        decimals: the printed precision.
        where: where it is printed (``"eq. (11), input gate at t = 1"``).
        expr: spec-grammar text of a printed intermediate, or None.
        reduce: None, or ``"argmax"``.
        note: free text.
        line: line of the entry in its file (0 if unknown).
    """

    t: int
    name: str
    value: object
    decimals: int
    where: str = ""
    expr: str | None = None
    reduce: str | None = None
    note: str = ""
    line: int = 0

    @property
    def printed_class(self) -> int | None:
        """For ``reduce = "argmax"``: the printed class index; else None."""
        return printed_class(self.value, self.reduce)


@dataclass(frozen=True, eq=False)  # holds arrays: no field-wise ==
class Example:
    """A validated worked example. Build one with :func:`load_example`.

    Arguments:
        spec: the spec the walk-through follows.
        source: the lecture citation.
        decimals: the default printed precision.
        params: every parameter of the spec, with exactly its declared shape (omitted: zero).
        initial: the value before step 1 of every name used with a delay (states, and
            inputs with an ``init``): the file's, else the spec's.
        inputs: sequence inputs ``(T, *shape)``, static inputs ``(*shape)``.
        printed: the printed entries, in file order.
        dims: the binding of every dim.
        steps: T.
        file: the file it was read from (``"<string>"`` for text).
        notes: free text.
    """

    spec: Spec
    source: str
    decimals: int
    params: Mapping[str, np.ndarray]
    initial: Mapping[str, np.ndarray]
    inputs: Mapping[str, np.ndarray]
    printed: tuple[Printed, ...]
    dims: Mapping[str, int]
    steps: int
    file: str = "<string>"
    notes: str = ""



def frozen_arrays(arrays: dict) -> Mapping[str, np.ndarray]:
    """``arrays`` made read-only, behind a read-only mapping."""
    for a in arrays.values():
        a.setflags(write=False)
    return MappingProxyType(arrays)


def printed_class(value, reduce: str | None) -> int | None:
    """For ``reduce = "argmax"``: the class a printed ``value`` gives (an index, or the
    one-hot position); else None.

    >>> # a one-hot [0, 1] is class 1
    >>> printed_class(np.array([0.0, 1.0]), "argmax"), printed_class(1, None)
    (1, None)
    """
    if reduce != "argmax":
        return None
    return value if isinstance(value, int) else int(np.argmax(value))
