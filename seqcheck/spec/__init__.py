"""Stage 1: TOML spec text -> validated, immutable :class:`Spec`.

The names below are imported from their modules on first use, so that a caller of one
module (``seqcheck.spec.load.spec_title``) does not pay for the others.
"""

from .._lazy import lazy_exports

_LAZY = {
    "Typed": ".grammar",
    "load_spec": ".load",
    "loads_spec": ".load",
    "variant": ".load",
    "Declaration": ".model",
    "Dim": ".model",
    "Equation": ".model",
    "Source": ".source",
    "Spec": ".model",
    "Schedule": ".schedule",
    "Sweep": ".schedule",
    "make_schedule": ".schedule",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
