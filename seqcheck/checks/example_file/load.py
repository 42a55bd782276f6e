"""Loading a worked-example file: :func:`loads_example` and :func:`load_example`.

The loader runs the stages in order: the TOML text is read with located errors, the
top-level keys are checked against the table below, the spec the file names is loaded,
the arrays are read (``arrays.py``) and the dims bound from them (``dims.py``), the
shapes are checked, and the ``[[printed]]`` entries are read (``entries.py``). Every
problem is raised together as one :class:`~seqcheck.errors.ExampleError`; a clean file
becomes an immutable :class:`~.model.Example`.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import numpy as np

from ...errors import Diagnostic, ExampleError, SpecError
from ...spec.locate import check_keys, load_named_spec, read_toml
from .arrays import check_shapes, initial_values, read_arrays
from .cache import load_spec_cached
from .dims import DimBinding
from .entries import read_printed
from .model import Example, frozen_arrays
from .reader import ExampleReader

__all__ = ["load_example", "loads_example"]

_TOP_KEYS = {
    "spec": "the spec the walk-through follows",
    "source": "lecture citation",
    "decimals": "printed precision",
    "notes": "free text",
    "params": "parameter values",
    "initial": "initial values of states",
    "inputs": "one row per step",
    "printed": "one [[printed]] table per printed vector",
}
_REQUIRED = ("spec", "decimals", "inputs", "printed")


def loads_example(text: str, *, file: str = "<string>") -> Example:
    """Parse and validate worked-example text against its spec.

    Arguments:
        text: TOML source (format: :mod:`seqcheck.checks.example_file`).
        file: name for error messages, and the base of a relative ``spec`` path.
    Returns:
        The validated :class:`Example`.
    Raises:
        ExampleError: every problem found, each located and with a fix.
        SpecError: the spec it names is itself invalid.

    >>> # one printed gate of seed 004's LSTM (omitted parameters are zero)
    >>> ex = loads_example('''
    ... spec = "lstm"
    ... decimals = 2
    ... [params]
    ... W_ii = [[4, 4], [2, 2]]
    ... [initial]
    ... h = [0, 0]
    ... [inputs]
    ... x = [[1, 0]]
    ... [[printed]]
    ... t = 1
    ... name = "i"
    ... value = [0.98, 0.88]
    ... ''')
    >>> ex.steps, ex.dims["H"], ex.printed[0].value.tolist()
    (1, 2, [0.98, 0.88])
    """
    r = ExampleReader(text, file)
    data = read_toml(text, file, r.index, ExampleError)
    check_keys(r, data, _TOP_KEYS, _REQUIRED, "example", "at the top level")
    for key in ("source", "notes"):
        if key in data and not isinstance(data[key], str):
            r.error((key,), "type-error", f"'{key}' must be a string", at_value=True,
                    hint=f'{key} = "..."')
    decimals = data.get("decimals", 0)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        r.error(("decimals",), "type-error", "'decimals' must be a non-negative integer",
                at_value=True, hint="decimals = 2 for values printed like 0.98")
        decimals = 0
    spec = load_named_spec(r, data["spec"], load_spec_cached) if "spec" in data else None
    if spec is None:
        raise ExampleError(r.items)
    dims = DimBinding(spec)
    arrays = read_arrays(r, data, spec, dims)
    dims.settle()
    steps = check_shapes(r, spec, arrays, dims)
    printed = read_printed(r, data, spec, dims, steps, decimals)
    if r.items:
        raise ExampleError(r.items)
    binding = dict(dims.values)
    params = {n: arrays["params"].get(n, np.zeros(dims.concrete(d.shape)))
              for n, d in spec.params.items()}
    return Example(
        spec=spec, source=data.get("source", ""), decimals=decimals,
        params=frozen_arrays(params),
        initial=frozen_arrays(initial_values(spec, arrays["initial"], params, binding)),
        inputs=frozen_arrays(arrays["inputs"]), printed=tuple(printed),
        dims=MappingProxyType(binding), steps=steps or 0, file=file,
        notes=data.get("notes", ""))


def load_example(source: str | Path) -> Example:
    """Load a worked example by bundled name (a file stem in ``reference/``) or path.

    Arguments:
        source: e.g. ``"seed004_lstm_2dec"`` or ``"reference/seed004_lstm_2dec.toml"``.
    Returns:
        The validated :class:`Example`.
    Raises:
        ExampleError: unknown name, unreadable or invalid file.

    >>> # seed 004's 2-decimal LSTM walk-through: three steps of a 2-unit LSTM
    >>> load_example("seed004_lstm_2dec").steps
    3
    """
    from ... import catalogue

    path = Path(source)
    if not (str(source).endswith(".toml") or path.is_file()):
        try:
            path = catalogue.example_path(str(source))
        except SpecError as e:
            raise ExampleError(e.diagnostics) from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ExampleError(Diagnostic(
            "unreadable", f"cannot read example file: {e.__class__.__name__}: "
            f"{getattr(e, 'strerror', None) or e}", file=str(source), hint="check the path"),
        ) from None
    return loads_example(text, file=str(path))
