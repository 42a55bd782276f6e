"""Arguments that several commands take, with one wording each."""

from __future__ import annotations

import argparse

__all__ = ["SPEC_HELP", "add_json_flag", "add_search_options", "add_spec_argument"]

#: The help of a positional spec argument.
SPEC_HELP = "a bundled spec name or a .toml path"


def add_spec_argument(parser: argparse.ArgumentParser, help_text: str = SPEC_HELP) -> None:
    """The positional ``spec``: a bundled name or a path to a spec file."""
    parser.add_argument("spec", help=help_text)


def add_json_flag(parser: argparse.ArgumentParser, help_text: str = "print JSON") -> None:
    """``--json``: print the result as JSON instead of text."""
    parser.add_argument("--json", action="store_true", help=help_text)


def add_search_options(parser: argparse.ArgumentParser, max_examples: int, cases: str,
                       seed: str, dtype: str | None = None) -> None:
    """The options of a search over generated cases: ``--max-examples`` (default
    ``max_examples``; ``cases`` says what one counts), ``--seed`` and, where ``dtype``
    gives its help, ``--dtype``.

    >>> p = argparse.ArgumentParser()
    >>> add_search_options(p, 10, "cases per candidate", "seed of the search")
    >>> p.parse_args([]).max_examples
    10
    """
    parser.add_argument("--max-examples", type=int, default=max_examples,
                        help=f"{cases} (default {max_examples})")
    parser.add_argument("--seed", type=int, default=0, help=seed)
    if dtype is not None:
        parser.add_argument("--dtype", choices=("float32", "float64"), help=dtype)
