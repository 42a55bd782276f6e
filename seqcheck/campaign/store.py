"""Counterexamples kept between runs: one ``.npz`` per campaign item, replayed first.

:func:`seqcheck.verify` runs its Hypothesis search without Hypothesis's example database
(its seed makes the search reproducible instead). What a database would add -- a
counterexample found once is tried first the next time, whatever the seed -- a
:class:`CounterexampleStore` does with verify's own ``save``/``replay`` files: an item
that fails writes its shrunk counterexample (:func:`~seqcheck.checks.verify.save_case`),
and the next run replays that one case before searching. If it still diverges, the item
fails on it at once; if it conforms now, or no longer fits (another spec, dtype or file
format), the file is dropped and the search runs as usual.

Concurrent runs may share the directory -- xdist workers, or machines on a network
file system. Each item has its own file, named by a hash of its node id, so two
processes write the same file only when they run the same item; each write goes to a
temporary file in the same directory and is renamed over the old one, so a reader sees
either a whole old file or a whole new one, never part of one.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from ..errors import SeqcheckError

__all__ = ["CounterexampleStore"]


class CounterexampleStore:
    """A directory of counterexamples, keyed by pytest node id.

    Arguments:
        root: the directory (created when the first counterexample is written).
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, nodeid: str) -> Path:
        """Where the counterexample of ``nodeid`` is kept.

        >>> CounterexampleStore("db").path("seqcheck_checks.toml::gru").name
        'a8e030061342cdd94cc141ba.npz'
        """
        return self.root / (hashlib.sha256(nodeid.encode()).hexdigest()[:24] + ".npz")

    def replay(self, nodeid: str, run: Callable[..., object]):
        """The result of replaying ``nodeid``'s saved counterexample, if it still diverges.

        Arguments:
            run: calls :func:`~seqcheck.checks.verify.verify` with the item's arguments and
                the keywords given (here ``replay=PATH``).
        Returns:
            The failing :class:`~seqcheck.checks.verify.VerifyResult`, or None: nothing is
            saved, the case conforms now, or the file no longer fits the item (all three
            leave no file behind).
        """
        path = self.path(nodeid)
        if not path.is_file():
            return None
        try:
            result = run(replay=path)
        except SeqcheckError:  # another spec or dtype, an old or damaged file
            result = None
        if result is None or result.ok:
            self.discard(nodeid)
            return None
        return result

    def save(self, nodeid: str, result) -> None:
        """Keep ``result``'s counterexample for ``nodeid``, replacing any older one."""
        from ..checks.verify import save_case

        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(nodeid)
        partial = final.with_name(f".{final.stem}.{uuid.uuid4().hex}.npz")
        try:
            save_case(partial, result)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)

    def discard(self, nodeid: str) -> None:
        """Drop ``nodeid``'s counterexample (a file another process removed is no error)."""
        self.path(nodeid).unlink(missing_ok=True)
