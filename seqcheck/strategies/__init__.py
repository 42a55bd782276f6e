"""Hypothesis strategies that generate verification cases for a spec.

A case is everything one forward/backward comparison needs: a size per dim, the number of
steps T, the batch size B, parameters, inputs, initial states and projection seeds. Every
value comes from Hypothesis draws (a byte per entry, scaled onto a grid), never from a drawn
seed fed to a random generator, so a failing case shrinks: to small dims, T = 1 or 2, B = 2
and small magnitudes. Grid values are binary fractions of few bits, exact in float32 at the
default sizes, so casting a case for a float32 implementation loses nothing.

Two choices aim at bugs that pass ordinary tests:

- witness weights: every parameter entry differs from every other, so a permutation of
  gate blocks (PyTorch's i, f, g, o against ONNX's i, o, f, c) changes the parameters an
  implementation sees. ONNX's and Keras's golden tests use uniform weights, which hide it;
- distinct inputs: every input entry differs from every other, so batch rows differ and a
  time-major / batch-major mix-up changes what the model reads.

``seqcheck.strategies`` needs Hypothesis; ``import seqcheck`` does not load it.

Its parts, lowest first:
:mod:`.arguments` (argument checks, :data:`SCALES`), :mod:`.shapes` (declared shapes at
given sizes), :mod:`.grid` (drawing arrays on a grid), :mod:`.sizes` (dims, T, B),
:mod:`.values` (parameters, inputs, initial states, seeds) and :mod:`.case` (whole cases).
"""

try:
    import hypothesis  # noqa: F401  (every strategy module below draws with it)
except ImportError as e:  # a test and verification dependency, not a runtime one
    raise ImportError("seqcheck.strategies needs Hypothesis: pip install hypothesis "
                      "(or pip install 'seqcheck[dev]')") from e

from .arguments import SCALES, UNIT
from .case import Case, cases
from .shapes import CaseShapes, case_shapes
from .sizes import batch_sizes, dim_sizes, steps
from .values import initial_states, parameters, projections, sequences

__all__ = [
    "SCALES",
    "UNIT",
    "Case",
    "CaseShapes",
    "batch_sizes",
    "case_shapes",
    "cases",
    "dim_sizes",
    "initial_states",
    "parameters",
    "projections",
    "sequences",
    "steps",
]
