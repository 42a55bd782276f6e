"""Where in the lectures a spec or a model comes from: :class:`Source`, and its line in a
listing. Nothing here imports SymPy, so a listing of the catalogue need not.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Source", "format_source"]


@dataclass(frozen=True)
class Source:
    """Where in the lectures a spec comes from.

    Arguments:
        file: seed file name, e.g. ``"000_bdb039f7b454a225.txt"``.
        equations: equation numbers or slide labels as printed, e.g. ``("36", "37")``.
        where: free text locating unnumbered equations ("Forward Propagation slide").
        note: anything a reader should know about the transcription.
    """

    file: str
    equations: tuple[str, ...] = ()
    where: str = ""
    note: str = ""

    def cite(self) -> str:
        parts = [self.file.split("_")[0] if "_" in self.file else self.file]
        label = f"seed {parts[0]}"
        if self.equations:
            label += " eq. " + ", ".join(self.equations)
        if self.where:
            label += f" ({self.where})"
        return label


def format_source(source: dict) -> str:
    """One ``source:`` line of a listing, from a source's ``cite`` and ``note``.

    >>> format_source({"cite": "seed 000 eq. 15", "note": "see notes"})
    '  source: seed 000 eq. 15 -- see notes'
    """
    return f"  source: {source['cite']}" + (f" -- {source['note']}" if source["note"] else "")
