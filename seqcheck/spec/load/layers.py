"""The first stage of loading: a spec file and its ``extends`` chain, read, key-checked and
merged entry by entry into one :class:`MergedSpec`.

Each layer is a file's TOML table with its :class:`~seqcheck.spec.diagnostics.Origin`; the
base comes first. Merging keeps every entry's origin, so a later error points at the file
that holds the offending text: a variant's override at the variant, an inherited
equation at its base.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import Diagnostic, SpecError
from ..diagnostics import Diagnostics, Entry, Origin
from ..locate import TomlIndex, read_toml
from ..suggest import did_you_mean

__all__ = ["TOP_KEYS", "ENTRY_KEYS", "MergedSpec", "read_layers", "read_source", "merge"]

#: The top-level keys of a spec file, with what each holds.
TOP_KEYS = {
    "name": "catalogue name",
    "title": "one-line title",
    "extends": "base spec this variant modifies",
    "drop": "names of the base to remove",
    "sources": "lecture citations",
    "notes": "free text, errata",
    "dims": "symbolic dimensions",
    "inputs": "per-step (or static) inputs",
    "states": "recurrent variables with initial values",
    "params": "parameters with shapes",
    "equations": "ordered equations target = expression",
    "outputs": "variables read out",
    "erratum": "in a literal transcription: the printed claim and its correction",
}
#: The keys an entry of each table may have.
ENTRY_KEYS = {
    "inputs": {"shape", "doc", "static", "init", "mask"},
    "states": {"shape", "doc", "init"},
    "params": {"shape", "doc"},
    "dims": {"doc"},
    "sources": {"file", "equations", "where", "note"},
}
#: The tables merged entry by entry; a later layer's entry replaces the base's.
SECTIONS = ("dims", "inputs", "states", "params", "equations")
#: The single values a later layer replaces whole.
SCALARS = ("name", "title", "notes", "outputs", "extends")


@dataclass(frozen=True)
class MergedSpec:
    """A spec's layers merged, every entry with its own file.

    Arguments:
        sections: ``dims``, ``inputs``, ``states``, ``params`` and ``equations``, each
            ``{name: Entry}`` in merged order.
        scalars: ``name``, ``title``, ``notes``, ``outputs`` and ``extends`` where given.
        sources: the ``[[sources]]`` entries, the top file's first.
        origin: the top file.
        own: the top file's own table (what it writes itself, not what it inherits).
    """

    sections: dict[str, dict[str, Entry]]
    scalars: dict[str, Entry]
    sources: list[Entry]
    origin: Origin
    own: dict


def _read(text: str, file: str) -> tuple[dict, Origin]:
    index = TomlIndex(text)
    data = read_toml(text, file, index, SpecError)
    return data, Origin(file, index)


def _resolve_base(name: str, origin: Origin, diags: Diagnostics) -> Path | None:
    from ... import catalogue

    if name.endswith(".toml"):
        here = Path(origin.file).parent if origin.file != "<string>" else Path.cwd()
        p = (here / name).resolve()
        if p.is_file():
            return p
        diags.add(origin, ("extends",), "unknown-spec", f"base spec file '{name}' not found",
                  at_value=True, symbol=name, hint=f"looked for {p}")
        return None
    try:
        return catalogue.spec_path(name)
    except SpecError as e:
        diags.add(origin, ("extends",), "unknown-spec", e.first.message, at_value=True,
                  symbol=name, hint=e.first.hint)
        return None


def read_layers(text: str, file: str, diags: Diagnostics,
                seen: tuple[str, ...] = ()) -> list[tuple[dict, Origin]]:
    """The base-first list of (data, origin) layers of a spec and its ``extends`` chain.

    Arguments:
        text: the TOML text of the top file.
        file: its name (a relative ``extends`` path is resolved beside it).
        diags: collects unknown keys, unknown bases and ``extends`` cycles.
        seen: the resolved paths of the files above, to refuse a cycle.
    Raises:
        SpecError: a file that is not valid TOML.
    """
    data, origin = _read(text, file)
    _check_keys(data, origin, diags)
    base = data.get("extends")
    if base is None:
        return [(data, origin)]
    if not isinstance(base, str):
        diags.add(origin, ("extends",), "type-error", "'extends' must be a spec name or path",
                  at_value=True, hint='extends = "lstm"')
        return [(data, origin)]
    path = _resolve_base(base, origin, diags)
    if path is None:
        return [(data, origin)]
    key = str(path)
    if key in seen or key == str(Path(file).resolve()):
        diags.add(origin, ("extends",), "extends-cycle",
                  f"'extends' forms a cycle through {path.name}", at_value=True, symbol=base,
                  hint="a variant cannot extend itself or one of its own variants")
        return [(data, origin)]
    below = read_layers(path.read_text(encoding="utf-8"), str(path), diags, seen + (key,))
    return below + [(data, origin)]


def _unknown_key_hint(key: str, allowed) -> str:
    close = did_you_mean(key, allowed)
    return f"did you mean '{close}'? " if close else ""


def _check_keys(data: dict, origin: Origin, diags: Diagnostics) -> None:
    for key in data:
        if key not in TOP_KEYS:
            diags.add(origin, (key,), "unknown-key", f"unknown top-level key '{key}'", symbol=key,
                      hint=_unknown_key_hint(key, TOP_KEYS)
                      + "allowed keys: " + ", ".join(TOP_KEYS))
    for section, allowed in ENTRY_KEYS.items():
        value = data.get(section)
        if section == "sources":
            entries = list(enumerate(value)) if isinstance(value, list) else []
        else:
            entries = list(value.items()) if isinstance(value, dict) else []
        for name, entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in entry:
                if key not in allowed:
                    diags.add(origin, (section, name, key), "unknown-key",
                              f"unknown key '{key}' in [{section}] entry '{name}'", symbol=key,
                              hint=_unknown_key_hint(key, allowed)
                              + "allowed keys: " + ", ".join(sorted(allowed)))


def merge(layers: list[tuple[dict, Origin]], diags: Diagnostics) -> MergedSpec:
    """Merge base-first layers entry by entry, applying each layer's ``drop`` first.

    Arguments:
        layers: the output of :func:`read_layers` (at least one).
        diags: collects a ``drop`` of an unknown name and a section that is not a table.
    """
    sections: dict[str, dict[str, Entry]] = {s: {} for s in SECTIONS}
    scalars: dict[str, Entry] = {}
    sources: list[Entry] = []
    for data, origin in layers:
        for name in data.get("drop", []) or []:
            hit = False
            for section in sections.values():
                if name in section:
                    del section[name]
                    hit = True
            if not hit:
                diags.add(origin, ("drop",), "unknown-symbol",
                          f"'drop' names '{name}', which the base spec does not define",
                          at_value=True, symbol=str(name), hint="remove it from 'drop'")
        for section in sections:
            table = data.get(section, {})
            if not isinstance(table, dict):
                diags.add(origin, (section,), "type-error", f"[{section}] must be a table",
                          hint=f"write [{section}] followed by name = ... lines")
                continue
            for name, value in table.items():
                sections[section][name] = Entry(value, origin, (section, name))
        for key in SCALARS:
            if key in data:
                scalars[key] = Entry(data[key], origin, (key,))
        src = data.get("sources", [])
        sources = [Entry(s, origin, ("sources", i)) for i, s in enumerate(src)] + sources \
            if isinstance(src, list) else sources
    return MergedSpec(sections, scalars, sources, origin=layers[-1][1], own=layers[-1][0])


def read_source(source: str | Path) -> tuple[str, Path]:
    """The text and path of the spec a catalogue name or a file path names."""
    from ... import catalogue

    path = Path(source)
    if not (str(source).endswith(".toml") or path.is_file()):
        path = catalogue.spec_path(str(source))
    try:
        return path.read_text(encoding="utf-8"), path
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(Diagnostic("unreadable", f"cannot read spec file: {e.__class__.__name__}: "
                                   f"{getattr(e, 'strerror', None) or e}", file=str(source),
                                   hint="check the path")) from None
