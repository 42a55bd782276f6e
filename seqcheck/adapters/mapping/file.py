"""Loading a mapping file: :func:`loads_mapping` and :func:`load_mapping`.

The loader runs the stages in order: the TOML text is read with located errors
(:func:`~seqcheck.spec.locate.read_toml`), the top-level keys and the kind of call are
checked, the spec the file names is loaded, and the validation pass checks every key
against that spec (``validate.py``, which parses each value with ``slices.py`` and each
sum with ``sums.py``; the call conventions in ``convention.py``). All problems are raised
together as one :class:`~.model.MappingError`; a clean file becomes an immutable
:class:`~.model.Mapping`.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from ...spec import load_spec
from ...spec.locate import load_named_spec, read_toml
from .convention import read_convention, read_kind
from .model import Mapping, MappingError, Where
from .reader import MappingReader
from .validate import (
    check_build,
    check_outputs,
    check_spec,
    check_states,
    check_top_keys,
    read_bool,
    read_fixed,
    read_names,
    read_params,
)

__all__ = ["load_mapping", "loads_mapping"]


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
    r = MappingReader(text, file)
    data = read_toml(text, file, r.index, MappingError)
    check_top_keys(r, data)
    call = read_kind(r, data)
    flags = {k: read_bool(r, data, k) for k in ("batch_first", "state_layer_axis")}
    notes = data.get("notes", "")
    if not isinstance(notes, str):
        r.error(("notes",), "type-error", "'notes' must be a string", at_value=True,
                hint='notes = "..."')
    spec = load_named_spec(r, data["spec"], load_spec) if "spec" in data else None
    if spec is None:
        raise MappingError(r.items)
    source = check_spec(r, spec)
    if any(d.kind == "unsupported-spec" for d in r.items):
        raise MappingError(r.items)  # the rest would be read against the wrong model
    states = read_names(r, data, "states")
    outputs = read_names(r, data, "outputs")
    build = read_names(r, data, "build")
    states = check_states(r, spec, states)
    check_outputs(r, spec, outputs)
    build = check_build(r, spec, build)
    convention = read_convention(r, data, call, source, states, outputs)
    params = read_params(r, data, spec)
    fixed = read_fixed(r, data)
    if r.items:
        raise MappingError(r.items)
    if call == "cell":  # observed every step: the output, and the states it does not hold
        held = convention.output_vars
        outputs = held + tuple(s for s in states if s not in held)
    return Mapping(
        file=file, spec=spec, spec_source=data["spec"], call=call, states=states,
        outputs=outputs, batch_first=flags["batch_first"],
        state_layer_axis=flags["state_layer_axis"], build=build, input=source,
        params=MappingProxyType(params), fixed=MappingProxyType(fixed),
        table=r.where(("params",)), notes=notes, output_vars=convention.output_vars,
        arguments=convention.arguments, state_packing=convention.state_packing,
        state_keyword=convention.state_keyword, returns=convention.returns)


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
