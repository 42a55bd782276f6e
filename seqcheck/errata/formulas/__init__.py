"""Formula transcriptions (``specs/formulas/seedNNN.toml``): the lectures' printed sums,
bounds, probability formulas and updates, each a statement checked on values Hypothesis
draws, shrunk to the smallest counterexample when it fails (docs/errata.md).

:mod:`.grammar` parses a formula, :mod:`.load` reads a file, :mod:`.evaluate` evaluates a
formula on one case, :mod:`.check` searches for a counterexample.
"""

from .check import check_formula, check_formula_file, search
from .evaluate import Case, Fault
from .load import DRAWS, KINDS, Formula, load_formulas

__all__ = ["check_formula", "check_formula_file", "search", "load_formulas", "Formula", "Case",
           "Fault", "KINDS", "DRAWS"]
