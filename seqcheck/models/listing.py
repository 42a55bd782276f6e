"""The catalogue listing: every bundled spec and model, or every worked example.

``catalogue_listing`` is the JSON of ``seqcheck list --json`` and ``format_catalogue``
its text; ``example_listing`` and ``format_examples`` the same for ``seqcheck list
--examples``. It sits in the models stage, the highest one it lists.
"""

from __future__ import annotations

from .. import catalogue
from .describe import entry_summary
from .registry import ENTRIES

__all__ = ["catalogue_listing", "example_listing", "format_catalogue", "format_examples"]


def catalogue_listing(details: bool = True) -> dict:
    """``{"specs": [...], "models": [...]}``: one row per bundled spec (loaded, sorted by
    name) and per model entry (in listing order).

    Arguments:
        details: False gives each spec's name and title only, read without typing its
            equations (what the text listing shows); True adds its sources, base and
            parameter count, which load it whole.

    >>> listing = catalogue_listing()
    >>> listing["specs"][0]["name"], listing["models"][0]["name"]
    ('birnn', 'seq2vec_last')
    """
    if details:
        from ..spec import load_spec
        from ..spec.describe import spec_summary

        specs = [spec_summary(name, load_spec(name)) for name in catalogue.spec_names()]
    else:
        from ..spec.load import spec_title

        specs = [{"name": name, "title": spec_title(name)} for name in catalogue.spec_names()]
    return {"specs": specs, "models": [entry_summary(e) for e in ENTRIES]}


def format_catalogue(listing: dict) -> str:
    """The text of ``seqcheck list``, from :func:`catalogue_listing`'s dict (no final
    newline).

    >>> print(format_catalogue(catalogue_listing()).splitlines()[0])
    specs (one time step each; 'seqcheck show NAME'):
    """
    specs, models = listing["specs"], listing["models"]
    width = max(len(r["name"]) for r in specs + models)
    lines = ["specs (one time step each; 'seqcheck show NAME'):"]
    lines += [f"  {r['name']:<{width}}  {r['title']}" for r in specs]
    lines.append("\nmodels built on specs, and checked functions (seqcheck.models):")
    lines += [f"  {m['name']:<{width}}  [{m['kind']}] {m['title']}" for m in models]
    lines.append(f"\n{len(specs)} specs and {len(models)} models; 'seqcheck show NAME' for "
                 "one, 'seqcheck list --examples' for the worked examples")
    return "\n".join(lines)


def example_listing() -> dict:
    """``{"examples": [...]}``: each bundled worked example's name, spec, source and number
    of printed values.

    >>> example_listing()["examples"][0]["spec"]
    'lstm'
    """
    from ..checks.example import load_example

    rows = []
    for name in catalogue.example_names():
        ex = load_example(name)
        rows.append({"name": name, "spec": ex.spec.name, "source": ex.source,
                     "entries": len(ex.printed)})
    return {"examples": rows}


def format_examples(listing: dict) -> str:
    """The text of ``seqcheck list --examples``, from :func:`example_listing`'s dict: one
    line per example, each ending in a newline (so no text for no examples).

    >>> format_examples({"examples": []})
    ''
    """
    rows = listing["examples"]
    width = max((len(r["name"]) for r in rows), default=4)
    return "".join(f"{r['name']:<{width}}  {r['entries']:>3} printed values  "
                   f"spec {r['spec']}: {r['source']}\n" for r in rows)
