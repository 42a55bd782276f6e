"""Stage 1: TOML spec text -> validated, immutable :class:`Spec`."""

from .grammar import Typed
from .load import load_spec, loads_spec, variant
from .model import Declaration, Dim, Equation, Source, Spec
from .schedule import Schedule, Sweep, make_schedule

__all__ = [
    "Declaration",
    "Dim",
    "Equation",
    "Schedule",
    "Source",
    "Spec",
    "Sweep",
    "Typed",
    "load_spec",
    "loads_spec",
    "make_schedule",
    "variant",
]
