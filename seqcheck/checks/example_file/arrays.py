"""The arrays of a worked-example file: ``[params]``, ``[initial]`` and ``[inputs]``.

:func:`read_arrays` reads each table as float64 arrays, voting for the dims their shapes
imply; once the dims are bound, :func:`check_shapes` holds every array to its declared
shape and counts the steps, and :func:`initial_values` completes the values before step
1 from the spec's ``init``. With the messages' hints for writing a number, a vector or a
matrix.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ...backends.numpy_backend import compile_expression
from ...spec import Spec
from ...spec.grammar import format_shape
from ...spec.suggest import did_you_mean
from .dims import DimBinding
from .reader import ExampleReader

__all__ = ["check_shapes", "initial_values", "numbers", "read_arrays", "shape_hint"]


def numbers(value) -> tuple[np.ndarray | None, str]:
    """A TOML number or rectangular nested list of numbers as float64, or (None, problem)."""
    def numeric(v) -> bool:
        if isinstance(v, list):
            return all(numeric(x) for x in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if not numeric(value):
        return None, "must be a number or a list of numbers"
    try:
        a = np.array(value, dtype=np.float64)
    except ValueError:
        return None, "is ragged: its rows have different lengths"
    if not np.all(np.isfinite(a)):
        return None, "must be finite (no inf or nan)"
    return a, ""


def shape_hint(shape: tuple[int, ...]) -> str:
    """How to write a value of ``shape`` in TOML, in words: ``"2 rows of 3 numbers"``."""
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a list of {shape[0]} numbers"
    return f"{shape[0]} rows of {shape[1]} numbers"


def read_arrays(r: ExampleReader, data: dict, spec: Spec, dims: DimBinding):
    """The [inputs], [initial] and [params] tables as arrays (shapes checked later)."""
    tables = {  # section: (noun, what the spec calls it, label in dim lines, declarations)
        "inputs": ("input", "input", "inputs", dict(spec.inputs)),
        "initial": ("initial value", "state", "initial", {
            n: d for n, d in {**spec.states, **spec.inputs}.items() if d.init is not None}),
        "params": ("parameter", "parameter", "parameter", dict(spec.params)),
    }
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for section, (noun, thing, label, declared) in tables.items():
        arrays[section] = {}
        table = data.get(section, {})
        if not isinstance(table, dict):
            r.error((section,), "type-error", f"[{section}] must be a table",
                    hint=f"write [{section}] followed by name = ... lines")
            continue
        for name, value in table.items():
            path = (section, name)
            if name not in declared:
                close = did_you_mean(name, declared)
                has = ", ".join(declared) or "none"
                r.error(path, "unknown-symbol",
                        f"unknown {noun} '{name}': spec '{spec.name}' has no such {thing}",
                        symbol=name, hint=(f"did you mean '{close}'? " if close else "")
                        + f"the {thing}s of spec '{spec.name}' are {has}")
                continue
            d = declared[name]
            steps_axis = section == "inputs" and not d.static
            a, problem = numbers(value)
            if a is not None and steps_axis and a.ndim == 0:
                a, problem = None, "must have one row per step"
            if a is None:
                r.error(path, "type-error", f"{noun} '{name}' {problem}", at_value=True,
                        symbol=name, hint=f"{name} = {_example_literal(d.shape, steps_axis)}")
                continue
            arrays[section][name] = a
            dims.vote(d.shape, a.shape[1:] if steps_axis else a.shape, f"{label} '{name}'")
    given = data.get("inputs")
    for name, d in spec.inputs.items():
        if isinstance(given, dict) and name not in given:
            rows = "one row per step" if not d.static else "its value"
            r.error(("inputs",), "missing-input", f"input '{name}' of spec '{spec.name}' is "
                    "not given", symbol=name,
                    hint=f"add  {name} = {_example_literal(d.shape, not d.static)}  ({rows})")
    return arrays


def _example_literal(shape: tuple, steps: bool = False) -> str:
    item = {0: "0.0", 1: "[0.0, ...]", 2: "[[0.0, ...], ...]"}[len(shape)]
    return f"[{item}, ...]" if steps else item


def check_shapes(r: ExampleReader, spec: Spec, arrays: dict, dims: DimBinding) -> int | None:
    """Check every given array against its declared shape; returns T."""
    steps = None
    for name, a in arrays["inputs"].items():
        d = spec.inputs[name]
        want = dims.concrete(d.shape)
        got = a.shape if d.static else a.shape[1:]
        if not d.static and a.ndim == 0:
            got = None
        if want is not None and got != want:
            per = "" if d.static else " per step"
            r.error(("inputs", name), "shape-mismatch",
                    f"input '{name}' has shape {format_shape(a.shape)}, but spec "
                    f"'{spec.name}' declares {dims.shown(d.shape)}{per}", at_value=True,
                    symbol=name, details=dims.lines(),
                    hint=f"write {name} as " + (shape_hint(want) if d.static else
                                                f"one row per step, each {shape_hint(want)}"))
        elif not d.static:
            if steps is not None and a.shape[0] != steps:
                r.error(("inputs", name), "shape-mismatch",
                        f"input '{name}' has {a.shape[0]} steps, but the inputs before it "
                        f"have {steps}", at_value=True, symbol=name,
                        hint="give every sequence input one row per step, t = 1..T")
            steps = a.shape[0] if steps is None else steps
    for section, noun, declared in (("initial", "initial value of", {**spec.states, **spec.inputs}),
                                    ("params", "parameter", spec.params)):
        for name, a in arrays[section].items():
            want = dims.concrete(declared[name].shape)
            if want is not None and a.shape != want:
                default = "the spec's init" if section == "initial" else "zero"
                r.error((section, name), "shape-mismatch",
                        f"{noun} '{name}' has shape {format_shape(a.shape)}, but spec "
                        f"'{spec.name}' declares {dims.shown(declared[name].shape)}",
                        at_value=True, symbol=name, details=dims.lines(),
                        hint=f"write {name} as {shape_hint(want)}, or leave it out to "
                             f"default to {default}")
    unbound = [d for d in spec.dims if d.name not in dims.values]
    for d in unbound:
        r.error(("params",), "unbound-dim",
                f"dim '{d.name}' ({d.doc}) is not fixed by any array in the file",
                symbol=d.name, hint=f"give [initial] values or parameters whose shape uses "
                                    f"{d.name}, so that its size is known")
    return steps



def initial_values(spec: Spec, given: dict, params: dict, dims: dict) -> dict:
    """The value before step 1 of every name with an ``init``: ``given``, else the spec's.

    Arguments:
        spec: the spec.
        given: the file's ``[initial]`` arrays.
        params: every parameter, ``{name: array of its declared shape}``.
        dims: ``{dim: size}``.
    Returns:
        ``{name: float64 array of its declared shape}``.
    """
    out = {}
    for name, d in {**spec.states, **spec.inputs}.items():
        if d.init is None:
            continue
        if name in given:
            out[name] = given[name]
            continue
        fn = compile_expression(spec, d.init)
        value = fn({n: params[n] for n in fn.names}, dims)
        shape = tuple(int(sp.sympify(s).subs({x.symbol: dims[x.name] for x in spec.dims}))
                      for s in d.shape)
        out[name] = np.array(np.broadcast_to(np.asarray(value, dtype=np.float64), shape))
    return out

