"""What a campaign was asked to do: the plugin's command-line options, read and checked.

:class:`Campaign` holds them for one pytest process (the controller and each xdist
worker read the same command line), with the targets that process has built, so that a
row's dtypes share one target as in ``seqcheck conformance``. :func:`parse_shard` and
:func:`in_shard` split the items between machines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..errors import SeqcheckError

__all__ = ["Campaign", "DEFAULT_CASES", "DEFAULT_CHECK_CASES", "in_shard", "parse_shard"]

#: Cases per conformance row without --seqcheck-cases, as ``seqcheck conformance``.
DEFAULT_CASES = 25
#: Cases per declared check that says none, without --seqcheck-cases, as ``verify``.
DEFAULT_CHECK_CASES = 100


@dataclass
class Campaign:
    """The options of one run.

    Arguments:
        conformance: collect the conformance matrix.
        engines: only these engines' rows (None: every engine installed here).
        cases, seed: per row, and per declared check that sets none (None: the defaults).
        dtype: only this dtype's rows (None: every dtype each target runs in).
        strict: a row that does not conform fails (otherwise it is reported as xfailed).
        db: the directory of kept counterexamples (None: none are kept).
        shard: ``(k, n)``: run only the k-th of n shards of the campaign's items.
    """

    conformance: bool = False
    engines: list[str] | None = None
    cases: int | None = None
    seed: int | None = None
    dtype: str | None = None
    strict: bool = False
    db: str | None = None
    shard: tuple[int, int] | None = None
    targets: dict = field(default_factory=dict, repr=False)
    rows: list = field(default_factory=list, repr=False)

    @property
    def row_cases(self) -> int:
        return self.cases if self.cases is not None else DEFAULT_CASES

    @property
    def check_cases(self) -> int:
        return self.cases if self.cases is not None else DEFAULT_CHECK_CASES

    @property
    def row_seed(self) -> int:
        return self.seed if self.seed is not None else 0

    def store(self):
        """The :class:`~.store.CounterexampleStore` of ``--seqcheck-db``, or None."""
        from .store import CounterexampleStore

        return CounterexampleStore(self.db) if self.db else None

    def target(self, entry):
        """``entry.make()``, once per process (:class:`SeqcheckError`: the engine is missing)."""
        key = id(entry)
        if key not in self.targets:
            self.targets[key] = (entry, entry.make())
        return self.targets[key][1]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``: the second of four shards.

    >>> parse_shard("2/4")
    (2, 4)
    """
    k, sep, n = text.partition("/")
    try:
        shard = (int(k), int(n))
    except ValueError:
        shard = None
    if not sep or shard is None or not 1 <= shard[0] <= shard[1]:
        raise SeqcheckError(f"--seqcheck-shard takes K/N with 1 <= K <= N, e.g. 1/4; got "
                            f"{text!r}")
    return shard


def in_shard(nodeid: str, shard: tuple[int, int]) -> bool:
    """Whether the item ``nodeid`` belongs to shard ``(k, n)``.

    The shard is a hash of the node id alone, so every machine assigns an item to the
    same shard whatever else it collected (another engine installed, another dtype):
    the n shards are disjoint and together hold every item.

    >>> sum(in_shard("seqcheck-conformance::onnx::GRU[float32]", (k, 3)) for k in (1, 2, 3))
    1
    """
    k, n = shard
    digest = int(hashlib.sha256(nodeid.encode()).hexdigest()[:16], 16)
    return digest % n == k - 1
