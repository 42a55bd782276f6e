"""The checks stage: compiled specs against examples and targets, returning result objects."""

from .example import (
    VERDICTS,
    EntryResult,
    Example,
    ExampleReport,
    Printed,
    check_example,
    load_example,
    loads_example,
)

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
