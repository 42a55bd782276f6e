"""The campaign as pytest nodes: the conformance matrix and the files of declared checks.

The matrix is a tree under the session, one collector per engine and one item per row
and dtype, with node ids such as
``seqcheck-conformance::onnxruntime::GRU[linear_before_reset=1-float32]`` (engine, unit,
attributes, dtype), so that ``-k`` selects rows and pytest-xdist spreads them. A file of
declared checks (:mod:`.checks_file`) is a collector with one item per check and dtype:
``seqcheck_checks.toml::fused-lstm[float64]``.

A failing item reports verify's text -- the verdict, the shrunk counterexample, where it
diverges, the change of the spec that explains it -- never a traceback of seqcheck's
own frames; a malformed checks file is a collection error with every problem located.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from ..errors import SeqcheckError

__all__ = ["CampaignFailure", "CheckItem", "ChecksFile", "ConformanceMatrix", "EngineRows",
           "MATRIX", "RowItem", "row_label"]

#: The node id of the conformance matrix.
MATRIX = "seqcheck-conformance"


class CampaignFailure(Exception):
    """An item that verified and does not conform; its message is the whole report."""


def row_label(unit: str, attributes: dict, dtype: str | None) -> str:
    """A row's item name: the unit, then its attributes and dtype in brackets.

    >>> row_label("GRU", {"linear_before_reset": 1}, "float32")
    'GRU[linear_before_reset=1-float32]'
    >>> row_label("RNN", {"activations": ("Relu",), "held to": "esn (seed 003)"}, None)
    'RNN[activations=Relu-held_to=esn_seed_003]'
    """
    def show(v) -> str:
        return ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)

    parts = [re.sub(r"[^\w.=,+-]+", "_", f"{k}={show(v)}").strip("_")
             for k, v in attributes.items()]
    parts += [dtype] if dtype else []
    return f"{unit}[{'-'.join(parts)}]" if parts else unit


class _CampaignItem(pytest.Item):
    """What the campaign's items share: their marker, and failures shown as text."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_marker("seqcheck")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (CampaignFailure, SeqcheckError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class _CampaignCollector(pytest.Collector):
    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SeqcheckError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ConformanceMatrix(_CampaignCollector):
    """Every row of ``seqcheck conformance`` for the chosen engines, one collector each."""

    def collect(self):
        from ..checks.engine_rows import entries

        campaign = self.config.stash[CAMPAIGN]
        by_engine: dict[str, list] = {}
        for k, entry in enumerate(entries(campaign.engines)):
            by_engine.setdefault(entry.engine, []).append((k, entry))
        return [EngineRows.from_parent(self, name=engine, entries=rows)
                for engine, rows in by_engine.items()]


class EngineRows(_CampaignCollector):
    """One engine's rows: an item per row and dtype.

    Without ``--seqcheck-dtype`` each row's target is built here, to learn the dtypes it
    runs in; an engine that is missing gives one item per row, which reports it as
    unavailable (skipped, with the install hint).
    """

    def __init__(self, *, entries: list[tuple[int, object]], **kwargs):
        super().__init__(**kwargs)
        self.entries = entries

    def collect(self):
        campaign = self.config.stash[CAMPAIGN]
        out = []
        for k, entry in self.entries:
            dtypes, missing = [campaign.dtype], None
            if campaign.dtype is None:
                try:
                    target = campaign.target(entry)
                    dtypes = ["float64"] if entry.check else list(target.dtypes)
                except SeqcheckError as e:
                    dtypes, missing = [None], str(e).splitlines()[0]
                except Exception:  # noqa: BLE001 - the item builds it again and fails with it
                    dtypes = [None]
            for j, dtype in enumerate(dtypes):
                name = row_label(entry.unit, entry.attributes, dtype)
                out.append(RowItem.from_parent(
                    self, name=name, nodeid=_child(self, name), entry=entry, dtype=dtype,
                    missing=missing, order=(k, j)))
        return out


class RowItem(_CampaignItem):
    """One row of the matrix in one dtype: passes when it conforms.

    A row that ignores an attribute, raises or diverges fails under ``--seqcheck-strict``
    and is reported as xfailed without it (``seqcheck conformance`` exits 0 on such rows
    unless ``--strict``), its verdict and first divergence as the reason. The row's
    verdict goes to the report's ``user_properties`` (``seqcheck_row``), from which the
    controller prints the matrix at the end of the run.
    """

    def __init__(self, *, entry, dtype, missing, order, **kwargs):
        super().__init__(**kwargs)
        self.entry, self.dtype, self.missing, self.order = entry, dtype, missing, order

    def runtest(self):
        from .running import run_row

        campaign = self.config.stash[CAMPAIGN]
        if self.missing is not None:
            self._record(self._unavailable(self.missing))
            pytest.skip(f"unavailable: {self.missing}")
        try:
            target = campaign.target(self.entry)
        except SeqcheckError as e:
            self._record(self._unavailable(str(e).splitlines()[0]))
            pytest.skip(f"unavailable: {str(e).splitlines()[0]}")
        dtype = self.dtype or ("float64" if self.entry.check else target.dtypes[0])
        outcome = run_row(self.entry, target, dtype, cases=campaign.row_cases,
                          seed=campaign.row_seed, store=campaign.store(), nodeid=self.nodeid)
        row = outcome.row
        self._record(row)
        if row.verdict == "unavailable":
            pytest.skip(f"unavailable: {row.detail}")
        if row.verdict == "conforms":
            return
        summary = f"{row.verdict}: {row.detail}" if row.detail else row.verdict
        if not campaign.strict:
            pytest.xfail(summary)
        more = outcome.result.format_text() if outcome.result is not None else row.detail
        raise CampaignFailure(f"{summary}\n{more}")

    def _unavailable(self, why: str):
        from ..checks.conformance import Row

        return Row(self.entry.engine, self.entry.unit, self.entry.attributes,
                   self.dtype or "-", "-", "unavailable", why)

    def _record(self, row) -> None:
        self.user_properties.append(("seqcheck_row", {**row.as_dict(), "order": self.order}))

    def reportinfo(self):
        return self.path, None, f"seqcheck conformance: {self.entry.engine} {self.name}"


class ChecksFile(pytest.File):
    """A ``seqcheck_checks.toml`` (or a ``pyproject.toml`` with ``[[tool.seqcheck.checks]]``)."""

    def collect(self):
        from .checks_file import read_checks

        text = self.path.read_text(encoding="utf-8")
        shown = str(self.path)  # relative to the working directory where it is under it
        if self.path.is_relative_to(Path.cwd()):
            shown = str(self.path.relative_to(Path.cwd()))
        checks = read_checks(text, shown, pyproject=self.path.name == "pyproject.toml")
        out = []
        for check in checks:
            for dtype in check.dtypes or (None,):
                name = f"{check.name}[{dtype}]" if dtype else check.name
                out.append(CheckItem.from_parent(self, name=name, nodeid=_child(self, name),
                                                 check=check, dtype=dtype))
        return out

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SeqcheckError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class CheckItem(_CampaignItem):
    """One declared check in one dtype: passes when the target conforms, fails with
    verify's counterexample otherwise (a declared check is never an expected failure)."""

    def __init__(self, *, check, dtype, **kwargs):
        super().__init__(**kwargs)
        self.check, self.dtype = check, dtype

    def runtest(self):
        from .running import run_check

        campaign = self.config.stash[CAMPAIGN]
        here = str(self.path.parent)
        if here not in sys.path:  # "module:attr" targets next to the checks file
            sys.path.insert(0, here)
        result = run_check(self.check, self.dtype, cases=campaign.check_cases,
                           seed=campaign.row_seed, store=campaign.store(), nodeid=self.nodeid)
        if not result.ok:
            raise CampaignFailure(result.format_text())

    def reportinfo(self):
        return self.path, self.check.line - 1, f"seqcheck check {self.name}: {self.check.target}"


def _child(parent, name: str) -> str:
    """The node id of ``parent``'s item ``name``, given as text so that pytest parses its
    ``[...]`` as parameters, as it parses the ids it caches (``--lf``, ``--deselect``)."""
    return f"{parent.nodeid}::{name}"


#: Where the plugin keeps the run's :class:`~.options.Campaign` (``config.stash``).
CAMPAIGN = pytest.StashKey()
