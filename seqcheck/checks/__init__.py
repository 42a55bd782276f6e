"""The checks stage: compiled specs against examples and targets, returning result objects.

The names below come from :mod:`.example` on first use, so that importing one module of
this package (``seqcheck.checks.engine_rows``) does not load the spec machinery.
"""

from .._lazy import lazy_exports

__all__ = [
    "VERDICTS",
    "EntryResult",
    "Example",
    "ExampleReport",
    "Printed",
    "check_example",
    "load_example",
    "loads_example",
]

__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, ".example"))
