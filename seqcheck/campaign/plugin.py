"""The pytest plugin ``seqcheck`` (entry point group ``pytest11``): verification campaigns.

Installed with seqcheck, it does nothing unless asked (and imports nothing beyond pytest
and :mod:`seqcheck.errors` until then):

- ``--seqcheck-conformance`` collects the conformance matrix, one item per row and dtype
  (``--seqcheck-engine``, ``--seqcheck-dtype``, ``--seqcheck-cases``, ``--seqcheck-seed``
  as ``seqcheck conformance``'s options; ``--seqcheck-strict`` as its ``--strict``);
- a file named ``seqcheck_checks.toml``, or a ``pyproject.toml`` with
  ``[[tool.seqcheck.checks]]``, is collected wherever pytest looks for tests, one item
  per declared check and dtype;
- ``--seqcheck-db DIR`` keeps each failing item's counterexample and replays it first
  next time (:mod:`.store`); ``--seqcheck-shard K/N`` runs one of N disjoint shards.

``pytest -n auto`` (pytest-xdist) spreads the items over cores; docs/campaigns.md says
how to spread them over machines. ``-p no:seqcheck`` switches the plugin off.
"""

from __future__ import annotations

import pytest

from ..errors import SeqcheckError
from .items import CAMPAIGN, MATRIX, ChecksFile, ConformanceMatrix
from .options import Campaign, in_shard, parse_shard
from .summary import RowGatherer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seqcheck", "seqcheck verification campaigns")
    group.addoption("--seqcheck-conformance", action="store_true",
                    help="collect the conformance matrix: one item per engine, unit, "
                         "attributes and dtype")
    group.addoption("--seqcheck-engine", action="append", metavar="ENGINE",
                    help="only this engine's rows (repeatable; implies "
                         "--seqcheck-conformance; default every engine installed)")
    group.addoption("--seqcheck-cases", type=int, metavar="N",
                    help="cases per row (default 25), and per declared check that sets no "
                         "'cases' (default 100)")
    group.addoption("--seqcheck-seed", type=int, metavar="N",
                    help="seed of every search whose check sets no 'seed' (default 0)")
    group.addoption("--seqcheck-dtype", choices=("float32", "float64"),
                    help="only this dtype's rows (default every dtype an engine runs in)")
    group.addoption("--seqcheck-strict", action="store_true",
                    help="a row that ignores an attribute, raises or diverges fails "
                         "(default: reported as xfailed, with its verdict)")
    group.addoption("--seqcheck-db", metavar="DIR",
                    help="keep each failing item's counterexample in DIR and replay it "
                         "first on the next run (default: none kept)")
    group.addoption("--seqcheck-shard", metavar="K/N",
                    help="run only the K-th of N disjoint shards of the campaign's items "
                         "(by a hash of each node id)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "seqcheck: an item of a seqcheck verification "
                            "campaign (a conformance row or a declared check)")
    option = config.option
    cases, shard = option.seqcheck_cases, option.seqcheck_shard
    if cases is not None and cases < 1:
        raise pytest.UsageError(f"--seqcheck-cases must be at least 1; got {cases}")
    try:
        shard = parse_shard(shard) if shard is not None else None
    except SeqcheckError as e:
        raise pytest.UsageError(str(e)) from None
    engines = option.seqcheck_engine
    config.stash[CAMPAIGN] = Campaign(
        conformance=bool(option.seqcheck_conformance or engines), engines=engines,
        cases=cases, seed=option.seqcheck_seed, dtype=option.seqcheck_dtype,
        strict=option.seqcheck_strict, db=option.seqcheck_db, shard=shard)
    if config.stash[CAMPAIGN].conformance:
        config.pluginmanager.register(RowGatherer(config.stash[CAMPAIGN].rows),
                                      "seqcheck-rows")


def pytest_collect_file(file_path, parent):
    from .checks_file import CHECKS_FILE, declares_checks

    if file_path.name == CHECKS_FILE:
        return ChecksFile.from_parent(parent, path=file_path)
    if file_path.name == "pyproject.toml" and declares_checks(
            file_path.read_text(encoding="utf-8", errors="replace")):
        return ChecksFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list) -> None:
    """Add the matrix before ``-k``, ``-m`` and ``--deselect`` select; keep one shard."""
    campaign = config.stash[CAMPAIGN]
    if campaign.conformance:
        matrix = ConformanceMatrix.from_parent(session, name=MATRIX, nodeid=MATRIX)
        items.extend(session.genitems(matrix))
    if campaign.shard is not None:
        keep, drop = [], []
        for item in items:
            ours = item.get_closest_marker("seqcheck") is not None
            (drop if ours and not in_shard(item.nodeid, campaign.shard) else keep).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """The matrix as ``seqcheck conformance`` prints it, for the rows this run ran."""
    campaign = config.stash[CAMPAIGN]
    if campaign.rows and not hasattr(config, "workerinput"):
        from .summary import matrix_table

        terminalreporter.section("seqcheck conformance matrix")
        terminalreporter.write_line(matrix_table(campaign.rows))
