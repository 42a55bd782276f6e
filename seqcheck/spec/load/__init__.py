"""Loading a spec: TOML text -> a validated :class:`~seqcheck.spec.model.Spec`.

The stages, in order:

* :mod:`.layers` reads a file and its ``extends`` chain and merges them entry by entry
  (each entry remembers its file);
* :mod:`.declarations` checks names, dims and declarations, with their shape entries
  (:mod:`.shape_entries`);
* :mod:`.equations` parses the equations, checks their references, the states and
  algebraic loops, and types them in dependency order;
* :mod:`.build` types the initial values, checks unused declarations and outputs, and
  assembles the spec.

:mod:`.loaders` (``loads_spec``, ``load_spec``, ``parse_in_spec``) and :mod:`.variant` are
the entry points; :mod:`.title` reads a title without typing anything. The names are
imported on first use.
"""

from ..._lazy import lazy_exports

_LAZY = {"load_spec": ".loaders", "loads_spec": ".loaders", "parse_in_spec": ".loaders",
         "spec_title": ".title", "variant": ".variant"}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
