"""The lectures' mistakes, found by running seqcheck on what they literally print.

Three kinds of literal transcription are kept in the repository, and nothing here is typed
in by hand: every finding is what the tool computes when it runs on them.

- ``specs/literal/*.toml`` (:mod:`.literal`): specs transcribed exactly as printed, each
  with an ``[erratum]`` table. One the validator **rejects** (an algebraic loop, a
  dimension clash, a name the lecture never declares) is reported with its located
  diagnostic; one it accepts carries a claim the lecture makes about it (``equal``,
  ``probability``, ``value``), reported when it is **contradicted**.
- ``specs/formulas/seedNNN.toml`` (:mod:`.formulas`): the printed sums and index ranges,
  inequalities and bounds, probability formulas and updates, each a statement checked on
  values Hypothesis draws; one that fails is **violated**, with the shrunk counterexample,
  and its corrected form is checked to hold.
- ``reference/*.toml`` (:mod:`.examples`): the worked examples, number by number; every
  printed number the example checker calls a slip (or a slip carried forward) is
  **computed** to be wrong.

A claim that holds is listed as confirmed, so a transcription that stops finding its
erratum is seen. :func:`find_errata` runs everything; ``seqcheck errata`` prints it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import SeqcheckError
from .examples import check_examples
from .formulas import check_formula_file
from .literal import check_literal, relative_path
from .report import HOWS, ErrataReport, Erratum

__all__ = ["Erratum", "ErrataReport", "HOWS", "check_literal", "check_examples",
           "check_formula_file", "find_errata"]


def _is_formula_file(path: Path) -> bool:
    try:
        return "formula" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # the spec loader reports it, located


def find_errata(paths=None, progress=None) -> ErrataReport:
    """Run the transcriptions and the worked examples.

    Arguments:
        paths: transcription files to run (literal specs or formula files, told apart by a
            ``[[formula]]`` table); default: every bundled transcription and worked example.
        progress: called with the name of each transcription (and formula) before it runs.
    Returns:
        The errata in order (literal specs, formula files, worked examples) and the claims
        that hold.
    """
    from ..catalogue import formula_paths, literal_paths

    if paths is None:
        literal, formulas = literal_paths(), formula_paths()
    else:
        paths = [Path(p) for p in paths]
        for p in paths:
            if not p.is_file():
                raise SeqcheckError(f"{p}: no such file (give literal specs or formula "
                                    "transcriptions, e.g. specs/formulas/seed000.toml)")
        formulas = [p for p in paths if _is_formula_file(p)]
        literal = [p for p in paths if p not in formulas]
    errata, confirmed = [], []
    say = progress or (lambda name: None)
    for path in literal:
        say(relative_path(path))
        found, holds = check_literal(path)
        errata += [found] if found is not None else []
        confirmed += holds
    for path in formulas:
        found, holds = check_formula_file(path, relative_path(path), say)
        errata += found
        confirmed += holds
    if paths is None:
        say("reference/ (the worked examples)")
        errata += check_examples()
    if not errata and not confirmed:
        raise SeqcheckError("no literal transcriptions or worked examples were found")
    return ErrataReport(tuple(errata), tuple(confirmed))
