"""Worked-example files: transcriptions of a lecture's walk-through, validated against a spec.

A worked example (``reference/*.toml``) is a lecture's walk-through transcribed exactly as
printed -- never corrected: the spec it follows, the parameters, initial values and inputs,
and one ``[[printed]]`` table per printed vector::

    spec = "lstm"                 # bundled spec name, or a path relative to this file
    source = "004_305c128a81bf6144.txt, 2-decimal walk-through"
    decimals = 2                  # printed precision, unless an entry says otherwise
    notes = "..."                 # optional free text
    [params]                      # spec parameters; omitted ones default to zero
    W_ii = [[4, 4], [2, 2]]
    [initial]                     # optional; states default to the spec's init
    h = [0, 0]
    [inputs]                      # every input of the spec; one row per step, t = 1..T
    x = [[1, 0], [1, 0], [0, 1]]
    [[printed]]
    t = 1                         # the step, 1..T
    name = "i"                    # a variable of the spec (a free label when expr is given)
    value = [0.98, 0.88]          # as printed
    where = "eq. (11)"            # optional: where it is printed
    expr = "W_ii @ x + b_ii + W_hi @ h[t-1] + b_hi"  # optional: a printed intermediate
    reduce = "argmax"             # optional: value is a class (index, or one-hot list)
    decimals = 1                  # optional: this entry's printed precision
    note = "..."                  # optional free text

Loading validates the file against its spec and reports every problem at once as an
:class:`~seqcheck.errors.ExampleError` whose diagnostics name file:line:column, the key or
symbol, and a fix.

The modules, in the order a file is read:
``model.py`` (:class:`Example`, :class:`Printed`), ``reader.py`` (located diagnostics),
``dims.py`` (the dims bound from the arrays), ``cache.py`` (specs, typed expressions and
compiled functions kept per spec), ``arrays.py`` (``[params]``, ``[initial]``,
``[inputs]``), ``entries.py`` (the ``[[printed]]`` entries) and ``load.py`` (the loader).
"""

from .load import load_example, loads_example
from .model import Example, Printed

__all__ = ["Printed", "Example", "load_example", "loads_example"]
