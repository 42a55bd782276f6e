"""The validation pass of a mapping file: each key read and checked against the spec.

One function per key or table: the top-level keys against the table below, the flags,
the name lists ``states``, ``outputs`` and ``build`` against the spec's states, variables
and dims, the spec itself (one sequence input, forward in time), and the ``[params]``
(its sums checked by ``sums.py``) and ``[fixed]`` tables; ``call`` is read by
``convention.py``. Each records its problems on the :class:`~.reader.MappingReader` and
returns what it could read, so that one pass reports every problem.
"""

from __future__ import annotations

import math

from ...spec import Spec
from ...spec.locate import check_keys
from .model import Fixed, Slice
from .reader import MappingReader
from .slices import parse_slice
from .sums import read_sum, split_sum

__all__ = ["check_build", "check_outputs", "check_spec", "check_states", "check_top_keys",
           "read_bool", "read_fixed", "read_names", "read_params"]

_TOP_KEYS = {
    "spec": "the spec the target implements",
    "call": '"cell" or "sequence", or a [call] table',
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


def check_top_keys(r: MappingReader, data: dict) -> None:
    """Every top-level key one of the table above, and the required ones there."""
    check_keys(r, data, _TOP_KEYS, _REQUIRED, "mapping")


def read_bool(r: MappingReader, data: dict, key: str) -> bool:
    """The flag ``key`` (default false)."""
    value = data.get(key, False)
    if not isinstance(value, bool):
        r.error((key,), "type-error", f"'{key}' must be true or false", at_value=True,
                hint=f"{key} = true")
        return False
    return value


def read_names(r: MappingReader, data: dict, key: str, within: tuple = (),
               example: str = '["h", "c"]') -> tuple[str, ...] | None:
    """The list of names at ``key`` of ``data`` (the table at ``within``), or None where it
    is absent or not such a list."""
    value = data.get(key)
    if value is None:
        return None
    path = (*within, key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) \
            or not value:
        r.error(path, "type-error", f"'{key}' must be a non-empty list of names",
                at_value=True, hint=f"{key} = {example}")
        return None
    seen = set()
    for v in value:
        if v in seen:
            r.error(path, "duplicate", f"'{v}' is listed twice in '{key}'", at_value=True,
                    symbol=v, hint="list each name once")
        seen.add(v)
    return tuple(value)


def check_spec(r: MappingReader, spec: Spec) -> str:
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


def check_states(r: MappingReader, spec: Spec, states) -> tuple[str, ...]:
    """The ``states`` as given, checked against the spec's recurrent states; () if absent."""
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


def check_outputs(r: MappingReader, spec: Spec, outputs) -> None:
    """Every name in ``outputs`` must be a variable of the spec."""
    for v in outputs or ():
        if v not in spec.variables:
            r.unknown(("outputs",), "unknown-variable", "variable", v, spec.variables,
                      f"the variables of spec '{spec.name}' are {', '.join(spec.variables)}",
                      at_value=True)


def check_build(r: MappingReader, spec: Spec, build) -> tuple[str, ...]:
    """The dims the target is built with: ``build``, else (D, H) for a spec of D and H."""
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


def read_params(r: MappingReader, data: dict, spec: Spec) -> dict[str, Slice]:
    """The ``[params]`` table: ``{spec parameter: Slice}``, in file order; the members of
    a sum (``"b_ii + b_hi" = ...``) share one Slice."""
    table = data.get("params")
    if table is None:
        return {}
    if not isinstance(table, dict):
        r.error(("params",), "type-error", "[params] must be a table",
                hint='write [params] followed by lines like W = "weight[0:H]"')
        return {}
    out = {}
    listing = f"the parameters of spec '{spec.name}' are {', '.join(spec.params)}"
    members = {key: split_sum(key) for key in table}
    unknown = [n for n in table if any(m not in spec.params for m in members[n])]
    if len(unknown) > max(2, len(table) // 2):  # the wrong spec, rather than typos
        r.error(("spec",), "unknown-param", f"{len(unknown)} of the {len(table)} names under "
                f"[params] are not parameters of spec '{spec.name}': "
                f"{', '.join(unknown[:4])}{', ...' if len(unknown) > 4 else ''}",
                at_value=True, symbol=unknown[0],
                hint=f"is this the spec the target implements? {listing}")
        return {}
    mapped: dict[str, str] = {}  # spec parameter -> the key that maps it
    for key, value in table.items():
        path = ("params", key)
        if len(members[key]) == 1 and key not in spec.params:
            r.unknown(path, "unknown-param", "spec parameter", key, spec.params, listing)
            continue
        names = members[key] if len(members[key]) == 1 else read_sum(r, path, key, spec)
        twice = _mapped_twice(r, path, key, mapped, spec)
        if names is None or twice:
            continue
        if not isinstance(value, str):
            r.error(path, "type-error", f"the mapping of '{key}' must be a string",
                    at_value=True, symbol=key,
                    hint='write it as "tensor[start:stop, ...]", e.g. "weight[0:H].T"')
            continue
        parsed = parse_slice(r, path, value, spec)
        if parsed is not None:
            out.update(dict.fromkeys(names, parsed))
    missing = [n for n in spec.params if n not in mapped]
    if missing:
        r.error(("params",), "missing-param",
                f"spec '{spec.name}' parameter{'s' * (len(missing) > 1)} "
                f"{', '.join(missing)} {'are' if len(missing) > 1 else 'is'} not mapped",
                symbol=missing[0], hint=f'add {missing[0]} = "tensor[...]" under [params]'
                + (", and likewise the others" if len(missing) > 1 else "")
                + ": verify writes every spec parameter into the target")
    return out


def _mapped_twice(r: MappingReader, path: tuple, key: str, mapped: dict, spec: Spec) -> bool:
    """Record the spec parameters of ``key`` in ``mapped``; an error for each one an
    earlier key maps already."""
    twice = False
    offset = 0
    for part in key.split("+"):
        name = part.strip()
        if name in mapped and mapped[name] != key:
            first = mapped[name]
            r.items.append(r.in_key(path, offset + len(part) - len(part.lstrip()),
                                    len(name)).error(
                "duplicate", f"'{name}' is mapped twice: by '{first}' at line "
                f"{r.where(('params', first)).line} and by '{key}'", symbol=name,
                hint="map each spec parameter once; a slice that holds the sum of two is "
                     'written once, as "b_ii + b_hi" = "bias[0:H]"'))
            twice = True
        elif name in spec.params:
            mapped[name] = key
        offset += len(part) + 1
    return twice


def read_fixed(r: MappingReader, data: dict) -> dict[str, Fixed]:
    """The ``[fixed]`` table: ``{target parameter: Fixed}``; dotted keys name nested tensors."""
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

