"""Where the bundled specs and worked examples live, and how names map to files.

An installed wheel carries them under ``seqcheck/_data/`` (hatch force-include);
a source checkout (including an editable install) reads ``specs/`` and
``reference/`` at the repository root. Literal transcriptions of printed
equations that the validator rejects live in ``specs/literal/`` and are not
part of the catalogue listing.
"""

from __future__ import annotations

from pathlib import Path

from .errors import Diagnostic, SpecError
from .spec.suggest import did_you_mean

__all__ = ["data_dir", "spec_dir", "reference_dir", "spec_names", "spec_path", "example_path",
           "example_names", "literal_paths", "formula_paths"]

_PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: str) -> Path:
    """The directory holding ``kind`` (``"specs"`` or ``"reference"``)."""
    installed = _PACKAGE / "_data" / kind
    if installed.is_dir():
        return installed
    source = _PACKAGE.parent / kind
    if source.is_dir():
        return source
    raise FileNotFoundError(f"seqcheck's bundled {kind}/ directory is missing from {_PACKAGE}")


def spec_dir() -> Path:
    return data_dir("specs")


def reference_dir() -> Path:
    return data_dir("reference")


def spec_names() -> list[str]:
    """Names of the bundled specs (file stems), sorted."""
    return sorted(p.stem for p in spec_dir().glob("*.toml"))


def literal_paths() -> list[Path]:
    """Literal transcriptions of printed equations, kept to show the validator rejects them."""
    d = spec_dir() / "literal"
    return sorted(d.glob("*.toml")) if d.is_dir() else []


def formula_paths() -> list[Path]:
    """Transcriptions of the lectures' printed formulas (sums, bounds, probabilities,
    updates), one file per seed, checked by ``seqcheck errata``."""
    d = spec_dir() / "formulas"
    return sorted(d.glob("*.toml")) if d.is_dir() else []


def example_names() -> list[str]:
    return sorted(p.stem for p in reference_dir().glob("*.toml"))


def _lookup(name: str, directory: Path, names: list[str], what: str, command: str) -> Path:
    p = directory / f"{name}.toml"
    if p.is_file():
        return p
    close = did_you_mean(name, names)
    raise SpecError(Diagnostic(
        kind="unknown-spec" if what == "spec" else "unknown-example",
        message=f"no bundled {what} named '{name}' and no such file",
        file=name,
        symbol=name,
        hint=(f"did you mean '{close}'? " if close else "")
        + f"run 'seqcheck {command}' to see the {what}s, or pass a path to a .toml file",
    ))


def spec_path(name: str) -> Path:
    """Path of the bundled spec ``name``; raises SpecError with a did-you-mean."""
    return _lookup(name, spec_dir(), spec_names(), "spec", "list")


def referenced_spec(name: str, referrer: str) -> Path:
    """The spec a file names: a ``.toml`` path relative to ``referrer``, or a bundled name.

    Used by the worked-example and mapping files, whose ``spec = ...`` may be either.

    Arguments:
        name: ``"lstm"`` or ``"my_cell.toml"``.
        referrer: the referring file (``"<string>"``: relative to the working directory).
    Raises:
        SpecError: kind ``unknown-spec``, with what was looked for.

    >>> referenced_spec("gru", "<string>").name
    'gru.toml'
    """
    if name.endswith(".toml"):
        here = Path(referrer).parent if referrer != "<string>" else Path.cwd()
        p = (here / name).resolve()
        if not p.is_file():
            raise SpecError(Diagnostic(kind="unknown-spec",
                                       message=f"spec file '{name}' not found", file=referrer,
                                       symbol=name, hint=f"looked for {p}"))
        return p
    return spec_path(name)


def example_path(name: str) -> Path:
    """Path of the bundled worked example ``name``."""
    return _lookup(name, reference_dir(), example_names(), "example", "list --examples")
