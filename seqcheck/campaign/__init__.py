"""Verification campaigns under pytest: the conformance matrix and a project's declared
checks as pytest items, spread over cores and machines by pytest-xdist.

- :mod:`.plugin` -- the ``pytest11`` entry point ``seqcheck``: options and hooks;
- :mod:`.items` -- the collectors and items (node ids, failures as verify's text);
- :mod:`.checks_file` -- ``seqcheck_checks.toml`` / ``[[tool.seqcheck.checks]]``, read
  with located errors;
- :mod:`.running` -- one row or one declared check, verified;
- :mod:`.store` -- counterexamples kept between runs and replayed first;
- :mod:`.options` -- the run's options, and shards;
- :mod:`.summary` -- the matrix printed at the end of a run.

docs/campaigns.md shows how to run one.
"""

from .checks_file import CHECKS_FILE, ChecksFileError, DeclaredCheck, read_checks
from .options import Campaign, in_shard, parse_shard
from .store import CounterexampleStore

__all__ = ["CHECKS_FILE", "Campaign", "ChecksFileError", "CounterexampleStore",
           "DeclaredCheck", "in_shard", "parse_shard", "read_checks"]
