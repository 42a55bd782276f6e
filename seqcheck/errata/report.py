"""What ``seqcheck errata`` reports: :class:`Erratum` (one mistake, as found) and
:class:`ErrataReport` (all of them, and the claims that hold), as text, JSON or the
Markdown table of docs/errata.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Erratum", "ErrataReport", "HOWS", "seed_label"]

#: How an erratum is found, in report order: the validator rejects a literal spec, a claim
#: about a literal spec is contradicted, a printed formula's claim is violated on drawn
#: values, a worked example's printed number is computed to be wrong.
HOWS = ("rejected", "contradicted", "violated", "computed")


@dataclass(frozen=True)
class Erratum:
    """One mistake in a lecture, as seqcheck found it.

    Arguments:
        seed: the seed file, e.g. ``"000_bdb039f7b454a225.txt"``.
        place: where it is printed ("eq. 13", a slide title, a walk-through line).
        printed: what is printed.
        finding: what seqcheck reports when run on the transcription (computed now).
        corrected: the corrected form.
        transcription: the literal transcription it was found in, relative to the data
            directory (``specs/literal/seed000_eq13.toml``,
            ``specs/formulas/seed000.toml#eq30``, ``reference/...:241``).
        how: one of :data:`HOWS`.
        kind: the diagnostic kind, the claim, the formula's kind, or the example verdict.
        problem: what is wrong, in words (from the transcription; empty for a worked
            example, whose finding says it).
    """

    seed: str
    place: str
    printed: str
    finding: str
    corrected: str
    transcription: str
    how: str
    kind: str
    problem: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ErrataReport:
    """Every erratum found, and the claims that were checked and hold.

    Arguments:
        errata: in order: literal specs (by file name), formula transcriptions (by seed,
            then as printed), then worked examples.
        confirmed: one line per claim that holds, e.g. the printed sum 1.1111.
    """

    errata: tuple[Erratum, ...]
    confirmed: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"errata": [e.as_dict() for e in self.errata], "confirmed": list(self.confirmed),
                "counts": self.counts()}

    def counts(self) -> dict[str, int]:
        return {h: sum(e.how == h for e in self.errata) for h in HOWS}

    def format_text(self) -> str:
        out = []
        for e in self.errata:
            out += [f"{seed_label(e.seed)}, {e.place}  [{e.how}: {e.kind}]",
                    f"  printed:   {e.printed}"]
            if e.problem:
                out.append(f"  problem:   {e.problem}")
            out += [f"  seqcheck:  {_indent(e.finding)}",
                    f"  corrected: {e.corrected}",
                    f"  from:      {e.transcription}", ""]
        if self.confirmed:
            out += [f"claims checked that hold ({len(self.confirmed)}):"]
            out += [f"  {c}" for c in self.confirmed] + [""]
        out.append(f"{len(self.errata)} errata: "
                   + ", ".join(f"{n} {h}" for h, n in self.counts().items()))
        return "\n".join(out)

    def format_markdown(self) -> str:
        """The errata section of docs/errata.md: per seed, one table row per erratum."""
        out = []
        for seed in sorted({e.seed for e in self.errata}):
            out += [f"### {seed_label(seed).capitalize()} (`{seed}`)", "",
                    "| place | printed | problem | seqcheck finds | corrected | from |",
                    "|---|---|---|---|---|---|"]
            for e in self.errata:
                if e.seed == seed:
                    cells = (e.place, e.printed, e.problem or "—",
                             f"**{e.how}** ({e.kind}): {e.finding}", e.corrected,
                             f"`{e.transcription}`")
                    out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
            out.append("")
        counts = ", ".join(f"{n} {h}" for h, n in self.counts().items())
        out.append(f"{len(self.errata)} errata ({counts}); {len(self.confirmed)} claims "
                   "checked that hold.")
        return "\n".join(out) + "\n"


def seed_label(seed: str) -> str:
    """``"000_bdb0...txt"`` -> ``"seed 000"``."""
    return f"seed {seed[:3]}" if seed[:3].isdigit() else seed


def _indent(text: str) -> str:
    return text.replace("\n", "\n" + " " * 13)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
