"""Reading a mapping file: keys, names, the index grammar; an immutable :class:`Mapping`."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import sympy as sp

from ...errors import Diagnostic, SpecError
from ...spec import Spec, load_spec
from ...spec.grammar import LIMITS, did_you_mean
from ...spec.locate import TomlIndex, read_toml

__all__ = ["Fixed", "Index", "Mapping", "MappingError", "Slice", "Where", "load_mapping",
           "loads_mapping", "probe_sizes"]

_TOP_KEYS = {
    "spec": "the spec the target implements",
    "call": '"cell" or "sequence"',
    "build": "the spec dims the target is built with, in argument order",
    "states": "the state tuple the target takes and returns",
    "outputs": "sequence only: what the output tensor holds",
    "batch_first": "sequence only: (B, T, .) input and output",
    "state_layer_axis": "sequence only: states carry a leading axis of 1",
    "notes": "free text",
    "params": "spec parameter = target parameter[index].T",
    "fixed": "target parameter = a constant the spec does not use",
}
_REQUIRED = ("spec", "call", "states", "params")
_SEQUENCE_ONLY = ("outputs", "batch_first", "state_layer_axis")
_CALLS = ("cell", "sequence")
_NAME = re.compile(r"\s*([A-Za-z_]\w*(?:\.\w+)*)")
_MAX_TEXT = 300  # a slice is a name and a few bounds
_GRAMMAR = "NAME, NAME[index, ...] or NAME[index, ...].T"
_BOUNDS = "integer literals and the spec's dims with + - * (e.g. 2*H, D+H)"


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
            (``"weight"``, ``"gates.weight"``, ``"layers.0.bias"``).
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
        """The slice without its transpose, e.g. ``"bias[0:H]"``."""
        return self.tensor + (f"[{', '.join(i.text for i in self.index)}]" if self.index else "")


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
        outputs: spec variables the target returns at every step: the states for a
            cell, the ``outputs`` key for a sequence module.
        batch_first: a sequence module takes and returns ``(B, T, .)``.
        state_layer_axis: a sequence module's states are ``(1, B, n)``, as torch's are.
        build: the spec dims the target is called with, ``target(*sizes)``.
        input: the spec's sequence input (``x``).
        params: ``{spec parameter: Slice}``, in file order.
        fixed: ``{target parameter: Fixed}``.
        table: the ``[params]`` header, where problems of the table as a whole point.
        notes: free text.
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


# -- reading ------------------------------------------------------------------------
class _Reader:
    """Collects located diagnostics for one mapping file."""

    def __init__(self, text: str, file: str):
        self.file = file
        self.index = TomlIndex(text)
        self.items: list[Diagnostic] = []

    def where(self, path: tuple, *, at_value=False, span: int | None = None) -> Where:
        if not path:
            return Where(self.file)
        pos = self.index.value(path) if at_value else self.index.key(path)
        line = self.index.line_text(pos.line)
        if span is None:
            if at_value and line is not None:
                span = _value_length(line[pos.col - 1:])
            else:
                span = len(str(path[-1]))
        return Where(self.file, pos.line, pos.col, line, max(1, span))

    def in_string(self, path: tuple, offset: int, span: int) -> Where:
        """The place of characters ``offset:offset + span`` of the string value at ``path``."""
        pos = self.index.string_position(path, 1, offset)
        return Where(self.file, pos.line, pos.col, self.index.line_text(pos.line), max(1, span))

    def error(self, path: tuple, kind: str, message: str, *, at_value=False, symbol=None,
              hint=None, details=()) -> None:
        self.items.append(self.where(path, at_value=at_value).error(
            kind, message, symbol=symbol, hint=hint, details=details))

    def unknown(self, path: tuple, kind: str, what: str, name: str, candidates,
                listing: str, *, at_value=False) -> None:
        close = did_you_mean(name, candidates)
        self.error(path, kind, f"unknown {what} '{name}'", at_value=at_value, symbol=name,
                   hint=(f"did you mean '{close}'? " if close else "") + listing)


def _value_length(rest: str) -> int:
    """The length of the TOML value that ``rest`` starts with, up to a comment."""
    quote = ""
    for k, ch in enumerate(rest):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return len(rest[:k].rstrip())
    return len(rest.rstrip())


def loads_mapping(text: str, *, file: str = "<string>") -> Mapping:
    """Parse and validate mapping text against its spec.

    Arguments:
        text: TOML source (format: ``docs/mapping.md``).
        file: name for error messages, and the base of a relative ``spec`` path.
    Returns:
        The validated :class:`Mapping`.
    Raises:
        MappingError: every problem found, each located in the mapping and with a fix.
        SpecError: the spec it names is itself invalid.

    >>> # torch's own RNNCell, described as a mapping onto spec rnn_torch
    >>> m = loads_mapping('''
    ... spec = "rnn_torch"
    ... call = "cell"
    ... states = ["h"]
    ... [params]
    ... W_ih = "weight_ih"
    ... W_hh = "weight_hh"
    ... b_ih = "bias_ih"
    ... b_hh = "bias_hh[0:H]"
    ... ''')
    >>> m.build, m.outputs, m.params["b_hh"].index[0].text
    (('D', 'H'), ('h',), '0:H')
    """
    r = _Reader(text, file)
    data = read_toml(text, file, r.index, MappingError)
    for key in data:
        if key not in _TOP_KEYS:
            r.unknown((key,), "unknown-key", "key", key, _TOP_KEYS,
                      "allowed keys: " + ", ".join(_TOP_KEYS))
    for key in _REQUIRED:
        if key not in data:
            r.error((), "missing-key", f"the mapping has no '{key}'",
                    hint=f"add  {key} = ...  ({_TOP_KEYS[key]})")
    call = _read_call(r, data)
    flags = {k: _read_bool(r, data, k) for k in ("batch_first", "state_layer_axis")}
    notes = data.get("notes", "")
    if not isinstance(notes, str):
        r.error(("notes",), "type-error", "'notes' must be a string", at_value=True,
                hint='notes = "..."')
    spec = _resolve_spec(r, data["spec"]) if "spec" in data else None
    if spec is None:
        raise MappingError(r.items)
    source = _check_spec(r, spec)
    if any(d.kind == "unsupported-spec" for d in r.items):
        raise MappingError(r.items)  # the rest would be read against the wrong model
    states = _read_names(r, data, "states")
    outputs = _read_names(r, data, "outputs")
    build = _read_names(r, data, "build")
    states = _check_states(r, spec, states)
    _check_outputs(r, spec, outputs)
    build = _check_build(r, spec, build)
    params = _read_params(r, data, spec)
    fixed = _read_fixed(r, data)
    if r.items:
        raise MappingError(r.items)
    if call == "cell":
        outputs = states
    return Mapping(
        file=file, spec=spec, spec_source=data["spec"], call=call, states=states,
        outputs=outputs, batch_first=flags["batch_first"],
        state_layer_axis=flags["state_layer_axis"], build=build, input=source,
        params=MappingProxyType(params), fixed=MappingProxyType(fixed),
        table=r.where(("params",)), notes=notes)


def load_mapping(path: str | Path) -> Mapping:
    """Load and validate a mapping file.

    Arguments:
        path: the ``.toml`` file; a relative ``spec`` in it is read from its folder.
    Returns:
        The validated :class:`Mapping`.
    Raises:
        MappingError: an unreadable file, or every problem found in it.

    >>> # the fused LSTM cell of examples/mapping/
    >>> from seqcheck import catalogue
    >>> root = catalogue.spec_dir().parent
    >>> m = load_mapping(root / "examples" / "mapping" / "fused_lstm.toml")
    >>> m.spec.name, m.call, m.states, m.params["W_hf"].text
    ('lstm_one_bias', 'cell', ('h', 'c'), 'weight[D:D+H, 2*H:3*H].T')
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(Where(str(path)).error(
            "unreadable", f"cannot read mapping file: {type(e).__name__}: "
            f"{getattr(e, 'strerror', None) or e}", hint="check the path")) from None
    return loads_mapping(text, file=str(path))


def _read_call(r: _Reader, data: dict) -> str:
    call = data.get("call", "cell")
    if call in _CALLS:
        if call == "cell":
            for key in _SEQUENCE_ONLY:
                if key in data:
                    r.error((key,), "bad-value", f"'{key}' applies to call = \"sequence\" only",
                            symbol=key, hint="a cell is called once per step and returns its "
                            "states, which are its outputs; remove this key")
        elif "outputs" not in data:
            r.error((), "missing-key", "the mapping has no 'outputs'",
                    hint='a sequence module returns (output, state): say which spec '
                         'variable the output is, e.g. outputs = ["h"]')
        return call
    if isinstance(call, str):
        close = did_you_mean(call, _CALLS)
        hint = f"did you mean '{close}'? " if close else ""
    else:
        hint = ""
    r.error(("call",), "bad-value", f"call must be \"cell\" or \"sequence\", not {call!r}",
            at_value=True, hint=hint + '"cell": state = target(x_t, state) once per step; '
            '"sequence": output, state = target(x, state) once')
    return "cell"


def _read_bool(r: _Reader, data: dict, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        r.error((key,), "type-error", f"'{key}' must be true or false", at_value=True,
                hint=f"{key} = true")
        return False
    return value


def _read_names(r: _Reader, data: dict, key: str) -> tuple[str, ...] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) \
            or not value:
        r.error((key,), "type-error", f"'{key}' must be a non-empty list of names",
                at_value=True, hint=f'{key} = ["h", "c"]')
        return None
    seen = set()
    for v in value:
        if v in seen:
            r.error((key,), "duplicate", f"'{v}' is listed twice in '{key}'", at_value=True,
                    symbol=v, hint="list each name once")
        seen.add(v)
    return tuple(value)


def _resolve_spec(r: _Reader, name) -> Spec | None:
    from ... import catalogue

    if not isinstance(name, str):
        r.error(("spec",), "type-error", "'spec' must be a spec name or a path",
                at_value=True, hint='spec = "lstm"')
        return None
    try:
        path = catalogue.referenced_spec(name, r.file)
    except SpecError as e:
        if e.first.kind != "unknown-spec":
            raise
        r.error(("spec",), "unknown-spec", e.first.message, at_value=True, symbol=name,
                hint=e.first.hint)
        return None
    return load_spec(path)


def _check_spec(r: _Reader, spec: Spec) -> str:
    """The spec's one sequence input; a spec the call conventions cannot run is an error."""
    inputs, static = spec.sequence_inputs, spec.static_inputs
    if len(inputs) != 1 or static:
        r.error(("spec",), "unsupported-spec",
                f"spec '{spec.name}' has inputs {', '.join(spec.inputs)}; a mapped target "
                "takes one sequence input", at_value=True, symbol=spec.name,
                hint="map a spec with exactly one per-step input and no static inputs")
    backward = sorted(n for n, offsets in spec.delayed_refs().items()
                      if any(k > 0 for k in offsets))
    if backward:
        r.error(("spec",), "unsupported-spec",
                f"spec '{spec.name}' runs {', '.join(backward)} backward in time; a mapped "
                "target runs forward", at_value=True, symbol=spec.name,
                hint="verify each direction as its own forward module")
    return inputs[0] if inputs else ""


def _toml_list(names) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"


def _recurrent(spec: Spec) -> tuple[str, ...]:
    delayed = spec.delayed_refs()
    return tuple(s for s in spec.states if s in delayed)


def _check_states(r: _Reader, spec: Spec, states) -> tuple[str, ...]:
    if states is None:
        return ()
    recurrent = _recurrent(spec)
    listing = f"the states of spec '{spec.name}' are {', '.join(recurrent)}"
    unknown = [s for s in states if s not in recurrent]
    for s in unknown:
        r.unknown(("states",), "unknown-state", "state", s, recurrent, listing, at_value=True)
    missing = [s for s in recurrent if s not in states]
    if missing and not unknown:  # a misspelt state is reported once, with its did-you-mean
        r.error(("states",), "missing-state",
                f"the target must carry every state of spec '{spec.name}'; "
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing",
                at_value=True, symbol=missing[0],
                hint=f"list them in the order the target takes them, e.g. states = "
                     f"{_toml_list(recurrent)}")
    return states


def _check_outputs(r: _Reader, spec: Spec, outputs) -> None:
    for v in outputs or ():
        if v not in spec.variables:
            r.unknown(("outputs",), "unknown-variable", "variable", v, spec.variables,
                      f"the variables of spec '{spec.name}' are {', '.join(spec.variables)}",
                      at_value=True)


def _check_build(r: _Reader, spec: Spec, build) -> tuple[str, ...]:
    dims = tuple(d.name for d in spec.dims)
    if build is None:
        if set(dims) == {"D", "H"}:
            return ("D", "H")
        r.error((), "missing-key", "the mapping has no 'build'",
                hint=f"spec '{spec.name}' names its dims {', '.join(dims)}; say which the "
                     f"target is built with, in argument order: build = {_toml_list(dims)}")
        return ()
    unknown = [d for d in build if d not in dims]
    for d in unknown:
        r.unknown(("build",), "unknown-dim", "dim", d, dims,
                  f"the dims of spec '{spec.name}' are {', '.join(dims)}", at_value=True)
    missing = [d for d in dims if d not in build]
    if missing and not unknown:
        r.error(("build",), "missing-dim",
                f"'build' leaves out {', '.join(missing)}: the target could not be built at "
                "every size the spec takes", at_value=True, symbol=missing[0],
                hint="list every dim of the spec, in the order the target's constructor "
                     "takes them")
    return build


def _read_params(r: _Reader, data: dict, spec: Spec) -> dict[str, Slice]:
    table = data.get("params")
    if table is None:
        return {}
    if not isinstance(table, dict):
        r.error(("params",), "type-error", "[params] must be a table",
                hint='write [params] followed by lines like W = "weight[0:H]"')
        return {}
    out = {}
    listing = f"the parameters of spec '{spec.name}' are {', '.join(spec.params)}"
    unknown = [n for n in table if n not in spec.params]
    if len(unknown) > max(2, len(table) // 2):  # the wrong spec, rather than typos
        r.error(("spec",), "unknown-param", f"{len(unknown)} of the {len(table)} names under "
                f"[params] are not parameters of spec '{spec.name}': "
                f"{', '.join(unknown[:4])}{', ...' if len(unknown) > 4 else ''}",
                at_value=True, symbol=unknown[0],
                hint=f"is this the spec the target implements? {listing}")
        return {}
    for name, value in table.items():
        path = ("params", name)
        if name not in spec.params:
            r.unknown(path, "unknown-param", "spec parameter", name, spec.params, listing)
            continue
        if not isinstance(value, str):
            r.error(path, "type-error", f"the mapping of '{name}' must be a string",
                    at_value=True, symbol=name,
                    hint='write it as "tensor[start:stop, ...]", e.g. "weight[0:H].T"')
            continue
        parsed = _parse_slice(r, path, value, spec)
        if parsed is not None:
            out[name] = parsed
    missing = [n for n in spec.params if n not in table]
    if missing and isinstance(table, dict):
        r.error(("params",), "missing-param",
                f"spec '{spec.name}' parameter{'s' * (len(missing) > 1)} "
                f"{', '.join(missing)} {'are' if len(missing) > 1 else 'is'} not mapped",
                symbol=missing[0], hint=f'add {missing[0]} = "tensor[...]" under [params]'
                + (", and likewise the others" if len(missing) > 1 else "")
                + ": verify writes every spec parameter into the target")
    return out


def _read_fixed(r: _Reader, data: dict) -> dict[str, Fixed]:
    table = data.get("fixed", {})
    if not isinstance(table, dict):
        r.error(("fixed",), "type-error", "[fixed] must be a table",
                hint="write [fixed] followed by lines like peephole = 0.0")
        return {}
    out = {}

    def walk(prefix: tuple, value) -> None:
        # gates.bias = 0 is a dotted TOML key: a nested table
        if isinstance(value, dict):
            for k, v in value.items():
                walk(prefix + (k,), v)
            return
        path = ("fixed", *prefix)
        name = ".".join(prefix)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            r.error(path, "type-error", f"the value of '{name}' must be a finite number",
                    at_value=True, symbol=name, hint=f"{prefix[-1]} = 0.0")
            return
        where = r.where(path)
        quoted = (where.source_line or "")[where.col - 1:where.col] in ('"', "'")
        out[name] = Fixed(name, float(value), r.where(path, span=len(name) + 2 * quoted))

    for key, value in table.items():
        walk((key,), value)
    return out


# -- the index grammar ----------------------------------------------------------------
def _parse_slice(r: _Reader, path: tuple, text: str, spec: Spec) -> Slice | None:
    """``tensor[index, ...].T`` -> :class:`Slice`; problems go to ``r``."""
    whole = r.in_string(path, 0, len(text))
    name = path[-1]
    if len(text) > _MAX_TEXT:
        r.items.append(whole.error("too-large", f"the mapping of '{name}' is longer than "
                                   f"{_MAX_TEXT} characters", symbol=name,
                                   hint=f"a mapping value is {_GRAMMAR}, with short bounds"))
        return None
    m = _NAME.match(text)
    if m is None:
        r.items.append(r.in_string(path, 0, len(text)).error(
            "syntax-error" if not text.strip() else "forbidden-construct",
            f"the mapping of '{name}' must start with a target parameter's name",
            symbol=name, hint=f"write {_GRAMMAR}, e.g. \"weight[0:H, 0:D].T\""))
        return None
    tensor, rest, end = m.group(1), text[m.end():], m.end()
    transpose = False
    parts = tensor.split(".")
    if len(parts) > 1 and parts[-1] == "T":
        tensor, transpose = ".".join(parts[:-1]), True
        if rest.strip():
            r.items.append(r.in_string(path, m.end() - 2, 2).error(
                "forbidden-construct", "'.T' before the subscript", symbol=name,
                hint=f"index the tensor as stored and transpose last: "
                     f"{tensor}[...].T"))
            return None
    name_where = r.in_string(path, m.start(1), len(tensor))
    try:
        tree = ast.parse("_" + rest, mode="eval").body
    except SyntaxError as e:
        offset = end + max(0, (e.offset or 1) - 2)
        r.items.append(r.in_string(path, min(offset, max(0, len(text) - 1)), 1).error(
            "syntax-error", f"invalid syntax in the mapping of '{name}': {e.msg}",
            symbol=name, hint=f"write {_GRAMMAR}"))
        return None

    def place(node) -> Where:
        return r.in_string(path, end + node.col_offset - 1,
                           node.end_col_offset - node.col_offset)

    def forbid(node, what: str, hint: str) -> None:
        r.items.append(place(node).error("forbidden-construct", f"{what} in the mapping of "
                                         f"'{name}'", symbol=name, hint=hint))

    prefix = _valid_prefix(tree)
    if prefix is not tree and not (isinstance(tree, ast.Attribute) and tree.attr == "T"
                                   and tree.value is prefix):
        extra = ("_" + rest)[prefix.end_col_offset:tree.end_col_offset]
        if extra.lstrip().startswith("["):
            hint = "index every axis in one subscript: NAME[i, j], not NAME[i][j]"
        elif extra.lstrip().startswith("("):
            hint = f"nothing is called: a mapping value is {_GRAMMAR}"
        elif re.search(r"\.(t|transpose|permute|mT)\b", extra):
            hint = "write the transpose as .T, after the subscript"
        else:
            hint = f"a mapping value is {_GRAMMAR}"
        r.items.append(r.in_string(path, end + prefix.end_col_offset - 1,
                                   len(extra.rstrip())).error(
            "forbidden-construct", f"unexpected '{extra.strip()}' in the mapping of '{name}'",
            symbol=name, hint=hint))
        return None
    transpose = transpose or tree is not prefix
    index = ()
    if isinstance(prefix, ast.Subscript):
        node = prefix.slice
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        parsed = [_parse_index(r, item, place, forbid, spec, "_" + rest) for item in items]
        if any(p is None for p in parsed):
            return None
        index = tuple(parsed)
    return Slice(tensor, index, transpose, text, whole, name_where)


def _valid_prefix(tree):
    """The innermost ``_`` or ``_[...]`` node of ``tree``: what may precede ``.T``."""
    node = tree
    while True:
        if isinstance(node, ast.Name):
            return node
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            return node
        child = getattr(node, "value", None) or getattr(node, "func", None) \
            or getattr(node, "left", None) or getattr(node, "operand", None)
        if not isinstance(child, ast.AST):
            return node
        node = child


def _describe(node) -> str:
    if isinstance(node, ast.Call):
        return "a call"
    if isinstance(node, ast.Attribute):
        return f"attribute '.{node.attr}'"
    if isinstance(node, ast.Subscript):
        return "a subscript"
    if isinstance(node, ast.Compare):
        return "a comparison"
    return type(node).__name__.lower()


def _parse_index(r, node, place, forbid, spec: Spec, source: str) -> Index | None:
    text = ast.get_source_segment(source, node) or ""
    if isinstance(node, ast.Slice):
        given = (node.lower, node.upper, node.step)
        bounds = [None if b is None else _bound(r, b, place, forbid, spec) for b in given]
        if any(b is None and n is not None for b, n in zip(bounds, given)):
            return None
        return Index(bounds[0], bounds[1], bounds[2], False, text, place(node))
    bound = _bound(r, node, place, forbid, spec)
    if bound is None:
        return None
    return Index(bound, None, None, True, text, place(node))


def _bound(r, node, place, forbid, spec: Spec) -> sp.Expr | None:
    """An integer expression of the spec's dims, or None (a problem is recorded)."""
    dims = spec.dim_symbols
    ok = True

    def conv(n):
        nonlocal ok
        if isinstance(n, ast.Constant) and type(n.value) is int:
            digits = len(str(abs(n.value)))  # the text is at most _MAX_TEXT characters
            if digits > LIMITS["digits"]:
                r.items.append(place(n).error(
                    "too-large", f"the number has {digits} digits; the limit is "
                    f"{LIMITS['digits']}", hint=f"bounds are {_BOUNDS}"))
                ok = False
                return sp.Integer(0)
            return sp.Integer(n.value)
        if isinstance(n, ast.Name):
            if n.id in dims:
                return dims[n.id]
            close = did_you_mean(n.id, dims)
            r.items.append(place(n).error(
                "unknown-dim", f"unknown dim '{n.id}' in a bound", symbol=n.id,
                hint=(f"did you mean '{close}'? " if close else "")
                + f"bounds use the dims of spec '{spec.name}': {', '.join(dims)}"))
            ok = False
            return sp.Integer(0)
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = conv(n.left), conv(n.right)
            return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}[type(n.op)]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = conv(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.Constant) and isinstance(n.value, float):
            what = f"the number {n.value!r}"
        elif isinstance(n, ast.BinOp):
            what = f"operator '{_OPERATORS.get(type(n.op), type(n.op).__name__)}'"
        elif isinstance(n, ast.Constant) and n.value is Ellipsis:
            what = "'...'"
        elif isinstance(n, ast.Constant) and n.value is None:
            what = "None (a new axis)"
        else:
            what = _describe(n)
        forbid(n, f"{what} in a bound", f"bounds are {_BOUNDS}")
        ok = False
        return sp.Integer(0)

    value = conv(node)
    return sp.expand(value) if ok else None


_OPERATORS = {ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
              ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
              ast.BitOr: "|", ast.BitXor: "^"}


def evaluate(expr: sp.Expr, sizes: MappingType[str, int]) -> int:
    value = expr.subs({s: sizes[s.name] for s in expr.free_symbols})
    return int(value)


def probe_sizes(mapping: Mapping) -> dict[str, int]:
    """The sizes a class or factory is first built at: 3, 5, 7, ... in ``build`` order.

    Distinct sizes, so that a slice along the wrong axis has the wrong shape.

    >>> # D = 3, H = 5 for the usual target(input_size, hidden_size)
    >>> probe_sizes(loads_mapping('spec = "rnn_torch"\\ncall = "cell"\\nstates = ["h"]\\n'
    ...     '[params]\\nW_ih = "a"\\nW_hh = "b"\\nb_ih = "c"\\nb_hh = "d"'))
    {'D': 3, 'H': 5}
    """
    return {d: int(sp.prime(k + 2)) for k, d in enumerate(mapping.build)}
