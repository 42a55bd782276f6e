"""The parsed mapping file: :class:`Mapping` and the places, slices and constants it holds.

Immutable values only: :class:`Where` (a place in the file, for a caret), :class:`Index`
and :class:`Slice` (where a spec parameter lives in a target parameter), :class:`Fixed`
(a target parameter set to a constant) and :class:`Mapping`; with :class:`MappingError`
and the arithmetic on sizes, :func:`evaluate` and :func:`probe_sizes`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingType
from dataclasses import dataclass

import sympy as sp

from ...errors import Diagnostic, SpecError
from ...spec import Spec

__all__ = ["Fixed", "Index", "Mapping", "MappingError", "Slice", "Where", "evaluate",
           "probe_sizes", "shown_name"]

#: A target parameter name written without quotes: a dotted identifier, whose segments
#: after the first may be numbers (``layers.0.weight``), or a numbered first segment
#: (``0.weight``, an ``nn.Sequential``'s). Any other name is quoted (``slices.py``).
PLAIN_NAME = r"(?:[A-Za-z_]\w*|\d+(?=\.))(?:\.\w+)*"


class MappingError(SpecError):
    """A mapping file is malformed, or does not fit its spec or the target.

    A :class:`~seqcheck.errors.SpecError`: the same located diagnostics, the same handling.
    """

    noun = "mapping"


# -- the parsed file ----------------------------------------------------------------
@dataclass(frozen=True)
class Where:
    """A place in a mapping file, for a diagnostic's caret.

    Arguments:
        file: the mapping file as given.
        line, col: 1-based; 0 when the problem concerns the file as a whole.
        source_line: the text of that line.
        span: how many characters to underline.
    """

    file: str
    line: int = 0
    col: int = 0
    source_line: str | None = None
    span: int = 1

    def error(self, kind: str, message: str, *, symbol: str | None = None,
              hint: str | None = None, details=()) -> Diagnostic:
        """A :class:`Diagnostic` of ``kind`` at this place."""
        return Diagnostic(kind=kind, message=message, file=self.file, line=self.line,
                          col=self.col, symbol=symbol, hint=hint,
                          source_line=self.source_line, span=self.span, details=tuple(details))


@dataclass(frozen=True)
class Index:
    """One entry of a subscript: a slice ``start:stop:step`` or an integer index.

    Arguments:
        start, stop, step: SymPy integer expressions of the spec's dims; None where
            omitted (0, the axis length, 1). An integer index has only ``start``.
        integer: an integer index, which drops its axis.
        text: as written, e.g. ``"d:d+n"``.
        where: its place in the file.
    """

    start: sp.Expr | None
    stop: sp.Expr | None
    step: sp.Expr | None
    integer: bool
    text: str
    where: Where

    def resolve(self, length: int, sizes: dict[str, int]):
        """The Python index (a ``slice`` or ``int``) on an axis of ``length``, or a problem.

        Returns:
            ``(index, None)`` or ``(None, why)`` for a bound outside ``0..length``.

        >>> # 'n:2*n' at n = 5 on an axis of 20
        >>> n = sp.Symbol("n", integer=True, positive=True)
        >>> Index(n, 2 * n, None, False, "n:2*n", Where("m.toml")).resolve(20, {"n": 5})
        (slice(5, 10, 1), None)
        """
        if self.integer:
            i = evaluate(self.start, sizes)
            if 0 <= i < length:
                return i, None
            return None, f"index {self.text} = {i} is outside 0..{length - 1}"
        start = 0 if self.start is None else evaluate(self.start, sizes)
        stop = length if self.stop is None else evaluate(self.stop, sizes)
        step = 1 if self.step is None else evaluate(self.step, sizes)
        shown = f"{self.text} = {start}:{stop}" + (f":{step}" if self.step is not None else "")
        if step < 1:
            return None, f"slice {shown} has a step below 1"
        if start < 0 or stop > length or start > stop:
            return None, f"slice {shown} is not within 0..{length}"
        return slice(start, stop, step), None


@dataclass(frozen=True)
class Slice:
    """Where one spec parameter lives in the target: ``tensor[index, ...]``, or its ``.T``.

    Arguments:
        tensor: the target parameter's name, as in ``module.named_parameters()``
            (``"weight"``, ``"gates.weight"``, ``"layers.0.bias"``,
            ``"lstm/lstm_cell/kernel"``), without the quotes it may be written in.
        index: one entry per leading axis; axes beyond them are taken whole.
        transpose: the spec parameter is the transpose of the (2-D) slice.
        text: the value as written.
        where: the whole value in the file; name_where: the tensor name.
    """

    tensor: str
    index: tuple[Index, ...]
    transpose: bool
    text: str
    where: Where
    name_where: Where

    @property
    def indexed(self) -> str:
        """The slice without its transpose, e.g. ``"bias[0:H]"``, its name quoted if need be."""
        return shown_name(self.tensor) + (f"[{', '.join(i.text for i in self.index)}]"
                                          if self.index else "")


def shown_name(tensor: str) -> str:
    """A target parameter's name as a slice writes it: bare if it can be, else quoted.

    >>> # a dotted name is bare; one with '/' or ending in '.T' is quoted
    >>> shown_name("layers.0.weight"), shown_name("lstm/kernel"), shown_name("cell.T")
    ('layers.0.weight', "'lstm/kernel'", "'cell.T'")
    """
    if re.fullmatch(PLAIN_NAME, tensor) and not tensor.endswith(".T"):
        return tensor
    return f'"{tensor}"' if "'" in tensor else f"'{tensor}'"


@dataclass(frozen=True)
class Fixed:
    """A target parameter the spec does not use, set to a constant before each run.

    Arguments:
        tensor: the target parameter's name.
        value: what every element is set to.
        where: its entry in the file.
    """

    tensor: str
    value: float
    where: Where


@dataclass(frozen=True, eq=False)  # holds a Spec and mapping proxies
class Mapping:
    """A validated mapping file. Build one with :func:`load_mapping`.

    Arguments:
        file: the file it was read from (``"<string>"`` for text).
        spec: the spec the target is held to; spec_source: as written in the file.
        call: ``"cell"`` (called once per step) or ``"sequence"`` (once per sequence).
        states: spec states in the order the target takes and returns them.
        outputs: spec variables observed at every step: for a sequence module the
            ``outputs`` key; for a cell, the ``outputs`` key (what a returned output holds)
            followed by the states not among them.
        batch_first: a sequence module takes and returns ``(B, T, .)``.
        state_layer_axis: a sequence module's states are ``(1, B, n)``, as torch's are.
        build: the spec dims the target is called with, ``target(*sizes)``.
        input: the spec's sequence input (``x``).
        params: ``{spec parameter: Slice}``, in file order; the members of a sum
            (``"b_ii + b_hi" = ...``) share one Slice (:attr:`groups`).
        fixed: ``{target parameter: Fixed}``.
        table: the ``[params]`` header, where problems of the table as a whole point.
        notes: free text.
        output_vars: the spec variables the returned output holds, in order; () for a
            cell that returns only its state.
        arguments: how the target is called, in order: the input's name, ``"state"``
            (the states packed as ``state_packing`` says) or a state's name.
        state_packing: ``"tuple"``, ``"list"`` or ``"separate"`` (each state its own
            argument or returned value; a single state's default: a bare tensor).
        state_keyword: the keyword the state is passed under, or None.
        returns: what the target returns, in order: ``"output"``, ``"state"`` or a
            state's name.
    """

    file: str
    spec: Spec
    spec_source: str
    call: str
    states: tuple[str, ...]
    outputs: tuple[str, ...]
    batch_first: bool
    state_layer_axis: bool
    build: tuple[str, ...]
    input: str
    params: MappingType[str, Slice]
    fixed: MappingType[str, Fixed]
    table: Where
    notes: str = ""
    output_vars: tuple[str, ...] = ()
    arguments: tuple[str, ...] = ()
    state_packing: str = "tuple"
    state_keyword: str | None = None
    returns: tuple[str, ...] = ()

    @property
    def groups(self) -> dict[Slice, tuple[str, ...]]:
        """``{Slice: the spec parameters it holds the sum of}``, in file order; one
        parameter for a plain entry."""
        out: dict[Slice, tuple[str, ...]] = {}
        for name, s in self.params.items():
            out[s] = (*out.get(s, ()), name)
        return out


# -- sizes --------------------------------------------------------------------------
def evaluate(expr: sp.Expr, sizes: MappingType[str, int]) -> int:
    """An integer expression of the spec's dims (a bound, a declared extent) at ``sizes``.

    >>> # D + H at D = 3, H = 5
    >>> evaluate(sp.Symbol("D") + sp.Symbol("H"), {"D": 3, "H": 5})
    8
    """
    value = expr.subs({s: sizes[s.name] for s in expr.free_symbols})
    return int(value)


def probe_sizes(mapping: Mapping) -> dict[str, int]:
    """The sizes a class or factory is first built at: 3, 5, 7, ... in ``build`` order.

    Distinct sizes, so that a slice along the wrong axis has the wrong shape.

    >>> # D = 3, H = 5 for the usual target(input_size, hidden_size)
    >>> from seqcheck.adapters.mapping import loads_mapping
    >>> probe_sizes(loads_mapping('spec = "rnn_torch"\\ncall = "cell"\\nstates = ["h"]\\n'
    ...     '[params]\\nW_ih = "a"\\nW_hh = "b"\\nb_ih = "c"\\nb_hh = "d"'))
    {'D': 3, 'H': 5}
    """
    return {d: int(sp.prime(k + 2)) for k, d in enumerate(mapping.build)}
