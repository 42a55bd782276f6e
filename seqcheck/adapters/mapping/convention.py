"""How a mapped target is called: the ``call`` key, a string or a ``[call]`` table.

``call = "cell"`` or ``call = "sequence"`` keeps torch's conventions:
``state = cell(x_t, state)``, ``output, state = module(x, state)``, several states as a
tuple, one as a bare tensor. A ``[call]`` table names the kind and says what differs::

    [call]
    kind = "cell"
    arguments = ["state", "x"]     # flax's cell(carry, inputs)
    returns = ["state", "output"]  # -> (carry, y)

:func:`read_kind` reads the kind (before the spec is loaded, with the keys only one kind
takes); :func:`read_convention` reads the rest against the spec's input and the states,
filling in the defaults, so that ``calls.py`` runs every target the same way.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from ...spec.suggest import did_you_mean
from .reader import MappingReader
from .validate import read_names

__all__ = ["CALL_KEYS", "Convention", "read_convention", "read_kind"]

#: The keys of a ``[call]`` table, with what each holds.
CALL_KEYS = {
    "kind": '"cell" or "sequence"',
    "arguments": 'the target\'s arguments in order: the input, "state" or a state\'s name',
    "state_packing": '"tuple", "list" or "separate": how "state" is packed',
    "state_keyword": "the keyword argument the state is passed as",
    "returns": 'what the target returns, in order: "output", "state" or a state\'s name',
}
_KINDS = ("cell", "sequence")
_PACKINGS = ("tuple", "list", "separate")
_SEQUENCE_ONLY = ("batch_first", "state_layer_axis")
_TOP_LEVEL = ("spec", "build", "states", "outputs", "batch_first", "state_layer_axis",
              "notes")


@dataclass(frozen=True)
class Convention:
    """How to call a target and read what it returns; the fields of :class:`~.model.Mapping`
    of the same names."""

    arguments: tuple[str, ...]
    state_packing: str
    state_keyword: str | None
    returns: tuple[str, ...]
    output_vars: tuple[str, ...]


def read_kind(r: MappingReader, data: dict) -> str:
    """The kind of call (default ``"cell"``), and the keys that only one kind takes."""
    call = data.get("call", "cell")
    table = call if isinstance(call, dict) else None
    if table is not None:
        _check_table_keys(r, table)
        if "kind" not in table:
            r.error(("call",), "missing-key", "the [call] table has no 'kind'",
                    hint='add  kind = "cell"  or  kind = "sequence"')
            return "cell"
        call = table["kind"]
    path, noun = (("call", "kind"), "kind") if table is not None else (("call",), "call")
    if call not in _KINDS:
        close = did_you_mean(call, _KINDS) if isinstance(call, str) else None
        r.error(path, "bad-value", f"{noun} must be \"cell\" or \"sequence\", not {call!r}",
                at_value=True, hint=(f"did you mean '{close}'? " if close else "")
                + '"cell": state = target(x_t, state) once per step; '
                '"sequence": output, state = target(x, state) once')
        return "cell"
    returns = (table or {}).get("returns")
    if call == "cell":
        for key in _SEQUENCE_ONLY:
            if key in data:
                r.error((key,), "bad-value", f"'{key}' applies to call = \"sequence\" only",
                        symbol=key, hint="a cell is called once per step and returns its "
                        "states, which are its outputs; remove this key")
        if "outputs" in data and not (isinstance(returns, list) and "output" in returns):
            r.error(("outputs",), "bad-value", "'outputs' says what a returned output holds, "
                    "but this cell returns only its state", symbol="outputs",
                    hint="a cell's states are its outputs: remove this key, or say that the "
                    'cell returns an output beside its state: returns = ["output", "state"] '
                    "under [call]")
    elif "outputs" not in data:
        r.error((), "missing-key", "the mapping has no 'outputs'",
                hint='a sequence module returns (output, state): say which spec '
                     'variable the output is, e.g. outputs = ["h"]')
    return call


def _check_table_keys(r: MappingReader, table: dict) -> None:
    for key in table:
        if key in CALL_KEYS:
            continue
        if key in _TOP_LEVEL:
            r.error(("call", key), "unknown-key", f"'{key}' is a top-level key, not one of "
                    "[call]'s", symbol=key, hint="TOML puts every key after a [table] header "
                    "into that table: write it above the first header")
        else:
            r.unknown_key(("call", key), CALL_KEYS, "in [call]")


def read_convention(r: MappingReader, data: dict, kind: str, source: str,
                    states: tuple[str, ...], outputs) -> Convention:
    """The ``[call]`` table's conventions, checked, with the defaults filled in.

    Arguments:
        r: the mapping file's reader; problems go to it.
        data: the parsed file.
        kind: ``"cell"`` or ``"sequence"`` (:func:`read_kind`).
        source: the spec's sequence input (``"x"``).
        states: the ``states`` key as checked (empty where it was missing or wrong: the
            checks that need it are skipped).
        outputs: the ``outputs`` key, or None.
    """
    table = data.get("call") if isinstance(data.get("call"), dict) else {}
    within = ("call",)
    keyword_ = _read_keyword(r, table)
    packing = _read_packing(r, table, len(states))
    arguments = read_names(r, table, "arguments", within, f'["state", "{source}"]')
    if arguments is None:
        arguments = (source,) if keyword_ else (source, "state")
    else:
        _check_arguments(r, arguments, source, states, keyword_)
    returns = read_names(r, table, "returns", within, '["output", "state"]')
    if returns is None:
        returns = ("state",) if kind == "cell" else ("output", "state")
    else:
        _check_returns(r, returns, kind, states, outputs)
    if "state_packing" in table and "state" not in arguments + returns and not keyword_:
        r.error(("call", "state_packing"), "bad-value", "state_packing says how \"state\" is "
                "packed, but neither 'arguments' nor 'returns' has \"state\"", at_value=True,
                hint='remove it, or pass the states together as "state"')
    if packing == "separate" and keyword_ and len(states) > 1:
        r.error(("call", "state_packing"), "bad-value", 'state_packing = "separate" passes '
                "each state as its own argument, but state_keyword passes them as one",
                at_value=True, hint='write state_packing = "tuple" or "list"')
    output_vars = tuple(outputs or ()) if "output" in returns else ()
    return Convention(tuple(arguments), packing, keyword_, tuple(returns), output_vars)


def _read_keyword(r: MappingReader, table: dict) -> str | None:
    value = table.get("state_keyword")
    if value is None:
        return None
    if not isinstance(value, str):
        r.error(("call", "state_keyword"), "type-error", "'state_keyword' must be a string",
                at_value=True, hint='state_keyword = "initial_state"')
        return None
    if not value.isidentifier() or keyword.iskeyword(value):
        r.error(("call", "state_keyword"), "bad-value", f"state_keyword {value!r} is not a "
                "Python identifier", at_value=True, hint="a keyword argument's name, as the "
                "target's forward declares it: state_keyword = \"initial_state\"")
        return None
    return value


def _read_packing(r: MappingReader, table: dict, n_states: int) -> str:
    value = table.get("state_packing")
    if value is None:
        return "separate" if n_states == 1 else "tuple"  # torch's: one state goes bare
    if value in _PACKINGS:
        return value
    close = did_you_mean(value, _PACKINGS) if isinstance(value, str) else None
    r.error(("call", "state_packing"), "bad-value", "state_packing must be \"tuple\", "
            f"\"list\" or \"separate\", not {value!r}", at_value=True,
            hint=(f"did you mean '{close}'? " if close else "") + '"tuple": (h, c); '
            '"list": [h, c]; "separate": h, c as arguments and returned values of their own')
    return "tuple"


def _check_arguments(r, arguments, source: str, states, keyword_) -> None:
    path = ("call", "arguments")
    allowed = (source, "state", *states)
    unknown = [a for a in arguments if a not in allowed]
    for a in unknown:
        close = did_you_mean(a, allowed)
        r.error(path, "bad-value", f"unknown argument '{a}' in 'arguments'", at_value=True,
                symbol=a, hint=(f"did you mean '{close}'? " if close else "")
                + f"an argument is {source} (the input), state (every state, packed as "
                f"state_packing says) or one state: {', '.join(states) or 'none'}")
    if source not in arguments:
        r.error(path, "bad-value", f"'arguments' leaves out the input {source}",
                at_value=True, symbol=source, hint=f'arguments = ["{source}", "state"] (torch) '
                f'or ["state", "{source}"] (flax\'s cells)')
    passed = [a for a in arguments if a == "state" or a in states]
    if keyword_ and passed:
        r.error(path, "bad-value", f"'arguments' passes {', '.join(passed)}, but "
                f"state_keyword passes the state as {keyword_}=", at_value=True,
                symbol=passed[0], hint=f'pass it once: remove it from arguments, e.g. '
                f'arguments = ["{source}"]')
    elif not keyword_ and not unknown:  # a misspelt "state" is reported once
        _check_covers(r, path, arguments, states, "'arguments'", "take")


def _check_returns(r, returns, kind: str, states, outputs) -> None:
    path = ("call", "returns")
    allowed = ("output", "state", *states)
    unknown = [a for a in returns if a not in allowed]
    for a in unknown:
        close = did_you_mean(a, allowed)
        r.error(path, "bad-value", f"unknown item '{a}' in 'returns'", at_value=True,
                symbol=a, hint=(f"did you mean '{close}'? " if close else "")
                + "an item is output (what 'outputs' names), state (every state, packed "
                f"as state_packing says) or one state: {', '.join(states) or 'none'}")
    if kind == "sequence" and "output" not in returns:
        r.error(path, "bad-value", "a sequence target's 'returns' must hold \"output\"",
                at_value=True, hint="its output is how verify sees every step: "
                'returns = ["output", "state"]')
    if kind == "cell" and "output" in returns and outputs is None:
        r.error((), "missing-key", "the mapping has no 'outputs'",
                hint="the cell returns an output ([call] returns): name the spec variables "
                     'it holds, e.g. outputs = ["h"]')
    if not unknown:
        _check_covers(r, path, returns, states, "'returns'", "return")


def _check_covers(r, path, items, states, what: str, verb: str) -> None:
    """Every state once in ``items``: by ``"state"`` or by its own name."""
    if not states:
        return
    for s in states:
        if "state" in items and s in items:
            r.error(path, "duplicate", f"{what} holds {s} twice: by itself and in \"state\"",
                    at_value=True, symbol=s, hint=f"name it once: \"state\" stands for every "
                    f"state ({', '.join(states)})")
    missing = [s for s in states if "state" not in items and s not in items]
    if missing:
        r.error(path, "missing-state", f"{what} leaves out {', '.join(missing)}: the target "
                f"must {verb} every state", at_value=True, symbol=missing[0],
                hint='add "state" (every state, packed as state_packing says) or the '
                     "state's own name")
