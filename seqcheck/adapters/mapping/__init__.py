"""Mappings: a user's file saying how any torch module's parameters map onto a spec.

A module whose parameters are not laid out like torch's -- a fused LSTM cell with one
``(D + H, 4H)`` weight in gate order i, o, f, g, a module with separate transposed ``Wx``
and ``Wh`` -- is verified through a mapping file (format: ``docs/mapping.md``)::

    spec = "lstm_one_bias.toml"  # bundled spec name, or a path relative to this file
    call = "cell"                # state = target(x_t, state) once per step
    build = ["D", "H"]           # target(D, H) builds it (the default)
    states = ["h", "c"]          # the state tuple the target takes and returns, in order

    [params]                     # spec parameter = target parameter[index, ...], .T optional
    W_ii = "weight[0:D, 0:H].T"
    W_hi = "weight[D:D+H, 0:H].T"
    b_i = "bias[0:H]"

Two stages, as for specs: :func:`load_mapping` reads and validates the file against its
spec (keys, types, names, the index grammar) and returns an immutable :class:`Mapping`;
:class:`MappingTarget` holds a module to it, checking at concrete sizes what only a
built module shows -- target parameter names, ranges, shapes, and that every target
element belongs to exactly one spec parameter. Both report every problem at once as one
:class:`MappingError` (a :class:`~seqcheck.errors.SpecError`) whose diagnostics point into
the mapping file.

A parameter name that is not a dotted identifier is quoted (``"'lstm/lstm_cell/kernel'[0:H]"``);
a key ``"b_ii + b_hi"`` maps one slice holding the sum of two spec parameters; a
``[call]`` table describes a call other than torch's (the state first, as a keyword,
as a list, or returned after an output).

Index expressions are parsed with :mod:`ast` against a whitelist and never evaluated:
integer literals and the spec's dims combined with ``+``, ``-`` and ``*``.
torch is imported only inside functions.

The modules, in the order a file is read and a module is held to it: ``model.py`` (the
immutable values), ``reader.py`` (located diagnostics), ``slices.py`` (the index grammar),
``sums.py`` (sums under ``[params]``), ``validate.py`` (each key against the spec),
``convention.py`` (the ``call`` key), ``file.py`` (the loader); ``plan.py`` (the slices
resolved on a built module), ``sizes.py`` (an instance's sizes), ``calls.py`` (calling the
module) and ``target.py`` (:class:`MappingTarget`).
"""

from .file import load_mapping, loads_mapping
from .model import Fixed, Index, Mapping, MappingError, Slice, Where, probe_sizes
from .target import MappingTarget

__all__ = ["Fixed", "Index", "Mapping", "MappingError", "MappingTarget", "Slice", "Where",
           "load_mapping", "loads_mapping", "probe_sizes"]
