"""Hold an implementation to a spec: outputs, states and gradients on generated cases.

:func:`verify` draws cases with :mod:`seqcheck.strategies`, runs the target and the
spec's compiled forward and backward pass (float64) on each, compares them under a
tolerance that grows with T and with the number of chains, lets Hypothesis search for a
diverging case and shrink it, and explains it by single-equation changes of the spec.
``verify(..., save=PATH)`` writes the counterexample; ``verify(..., replay=PATH)``
checks exactly that case again.

Its stages:

- :mod:`.result` -- the records: Divergence, CaseCheck, VerifyResult (text and JSON);
- :mod:`.checker` -- one case on the target and the spec: tolerance, comparison, Checker;
- :mod:`.targets` -- what a user named, as an adapter Target;
- :mod:`.explain` -- the change of the spec that explains a counterexample;
- :mod:`.replay` -- saving, loading and replaying a counterexample;
- :mod:`.search` -- :func:`verify`, the search itself.
"""

from .checker import Checker, compare_values, tolerance
from .replay import SavedCase, load_case, save_case
from .result import CaseCheck, Divergence, VerifyResult
from .search import DECISIVE, verify
from .targets import make_target, resolve_target, transformed_target

__all__ = ["Divergence", "CaseCheck", "VerifyResult", "verify", "make_target", "resolve_target",
           "transformed_target", "tolerance", "DECISIVE", "SavedCase", "save_case", "load_case",
           "Checker", "compare_values"]
