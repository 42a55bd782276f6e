"""A file of declared checks: which targets a project holds to which specs.

A project lists the implementations it wants verified in ``seqcheck_checks.toml`` (or in
``[[tool.seqcheck.checks]]`` of its ``pyproject.toml``), one ``[[checks]]`` table each::

    [[checks]]
    target = "torch.nn.GRUCell"          # a class, "module:attr", "onnxruntime:GRU", a .onnx

    [[checks]]
    name = "fused-lstm"                  # the test's name (default: the target)
    target = "mycells:FusedLSTMCell"     # imported with the file's directory on sys.path
    spec = "lstm"                        # a bundled spec, or a .toml path relative to the file
    cases = 200                          # generated cases (default: --seqcheck-cases, else 100)
    seed = 3                             # the search's seed (default: --seqcheck-seed, else 0)
    dtype = ["float32", "float64"]       # one test per dtype (default: the target's first)
    gradients = true                     # compare gradients too (default: when it can)
    mapping = "fused_lstm_mapping.toml"  # a mapping file, relative to this file
    attributes = { linear_before_reset = 1 }   # an ONNX node's attributes

:func:`read_checks` parses such a text with :mod:`tomllib` and reports every problem at
once, each at its file, line and column (:class:`ChecksFileError`); nothing in the file is
evaluated. What a check means is :func:`seqcheck.verify`'s arguments, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostic, SpecError

__all__ = ["CHECKS_FILE", "CHECK_KEYS", "ChecksFileError", "DeclaredCheck", "declares_checks",
           "read_checks"]

#: The file name the pytest plugin collects.
CHECKS_FILE = "seqcheck_checks.toml"

#: The keys of one ``[[checks]]`` table, with what each holds (for the hints).
CHECK_KEYS = {
    "target": "what to verify: torch.nn.GRUCell, module:attr, onnxruntime:GRU, model.onnx",
    "name": "the test's name",
    "spec": "a bundled spec name or a .toml path relative to this file",
    "cases": "how many cases to generate, at least 1",
    "seed": "the search's seed, 0 or more",
    "dtype": '"float32", "float64" or a list of them',
    "gradients": "true or false: compare gradients as well",
    "mapping": "a mapping file, relative to this file",
    "attributes": "a table of ONNX attributes, e.g. { clip = 0.5 }",
}

_DTYPES = ("float32", "float64")
_PYPROJECT_PREFIX = ("tool", "seqcheck")


class ChecksFileError(SpecError):
    """A file of declared checks is malformed: every problem, located.

    A :class:`~seqcheck.errors.SpecError`: the same located diagnostics, the same handling.
    """

    noun = "checks file"


@dataclass(frozen=True)
class DeclaredCheck:
    """One ``[[checks]]`` table, read and checked; None where the file leaves a key out.

    ``spec`` and ``mapping`` are resolved paths (a bundled spec's file, a mapping file
    next to the checks file); ``dtypes`` holds each dtype declared, in order; ``line`` is
    where the table starts in ``file``.
    """

    name: str
    target: str
    file: str
    line: int
    spec: str | None = None
    cases: int | None = None
    seed: int | None = None
    dtypes: tuple[str, ...] | None = None
    gradients: bool | None = None
    mapping: str | None = None
    attributes: dict = field(default_factory=dict)


def declares_checks(text: str) -> bool:
    """Whether a ``pyproject.toml`` text has a ``[tool.seqcheck]`` table (checks or not).

    >>> declares_checks('[project]\\nname = "x"\\n'), declares_checks('[[tool.seqcheck.checks]]')
    (False, True)
    """
    return "tool.seqcheck" in text.replace(" ", "")


def read_checks(text: str, file: str, *, pyproject: bool = False) -> list[DeclaredCheck]:
    """The checks a file declares, in file order.

    Arguments:
        text: the TOML text.
        file: its path, for the messages and as the base of relative paths.
        pyproject: the text is a ``pyproject.toml``: the checks are ``[[tool.seqcheck.checks]]``.
    Raises:
        ChecksFileError: every problem found, each at its line and column.

    >>> [c.name for c in read_checks('[[checks]]\\ntarget = "torch.nn.GRUCell"\\n', "<string>")]
    ['torch.nn.GRUCell']
    """
    from ..spec.locate import TomlIndex, read_toml

    index = TomlIndex(text)
    data = read_toml(text, file, index, ChecksFileError)
    reader = _Reader(index, file)
    prefix: tuple = ()
    if pyproject:
        prefix = _PYPROJECT_PREFIX
        data = data.get("tool", {}).get("seqcheck", {})
    for key in data:
        if key != "checks":
            reader.error(prefix + (key,), "unknown-key", f"unknown key '{key}'", symbol=key,
                         hint="a checks file holds [[checks]] tables only")
    checks = data.get("checks")
    header = "[[tool.seqcheck.checks]]" if pyproject else "[[checks]]"
    if checks is None:
        reader.error(prefix, "missing-key", "the file declares no checks",
                     hint=f'add  {header}  with  target = "torch.nn.GRUCell"')
    elif not (isinstance(checks, list) and all(isinstance(c, dict) for c in checks)):
        reader.error(prefix + ("checks",), "type-error", "'checks' must be an array of tables",
                     hint=f"write each check as a {header} table")
        checks = []
    out: list[DeclaredCheck] = []
    seen: dict[str, int] = {}
    for k, table in enumerate(checks or ()):
        check = _check(reader, prefix + ("checks", k), table)
        if check is None:
            continue
        if check.name in seen:
            key = "name" if "name" in table else "target"
            reader.error(prefix + ("checks", k, key), "duplicate-name",
                         f"two checks are named '{check.name}'", at_value=True,
                         symbol=check.name, hint="give one of them its own  name = \"...\"  "
                         f"(the other starts at line {seen[check.name]})")
        seen.setdefault(check.name, check.line)
        out.append(check)
    if reader.items:
        raise ChecksFileError(reader.items)
    return out


class _Reader:
    """Located diagnostics of one checks file (raised together)."""

    def __init__(self, index, file: str):
        self.index, self.file = index, file
        self.items: list[Diagnostic] = []

    def error(self, path: tuple, kind: str, message: str, *, at_value=False, symbol=None,
              hint=None) -> None:
        if not path:
            self.items.append(Diagnostic(kind=kind, message=message, file=self.file,
                                         symbol=symbol, hint=hint))
            return
        pos = self.index.value(path) if at_value else self.index.key(path)
        line = self.index.line_text(pos.line)
        if at_value and line is not None:
            from ..spec.locate import unquoted

            rest = line[pos.col - 1:]
            end = next((k for k, ch in unquoted(rest) if ch == "#"), len(rest))
            span = len(rest[:end].rstrip())
        else:
            span = len(next(str(p) for p in reversed(path) if isinstance(p, str)))
        self.items.append(Diagnostic(kind=kind, message=message, file=self.file, line=pos.line,
                                     col=pos.col, symbol=symbol, hint=hint, source_line=line,
                                     span=max(1, span)))


def _check(reader: _Reader, path: tuple, table: dict) -> DeclaredCheck | None:
    """One ``[[checks]]`` table; None (with its problems recorded) when it is unusable."""
    from ..spec.suggest import did_you_mean

    before = len(reader.items)
    for key in table:
        if key not in CHECK_KEYS:
            close = did_you_mean(key, CHECK_KEYS)
            reader.error(path + (key,), "unknown-key", f"unknown key '{key}' in a check",
                         symbol=key, hint=(f"did you mean '{close}'? " if close else "")
                         + "allowed keys: " + ", ".join(CHECK_KEYS))
    target = table.get("target")
    if "target" not in table:
        reader.error(path, "missing-key", "the check has no 'target'",
                     hint='add  target = "torch.nn.GRUCell"  (' + CHECK_KEYS["target"] + ")")
    elif not (isinstance(target, str) and target.strip()):
        reader.error(path + ("target",), "type-error", "'target' must be a non-empty string",
                     at_value=True, hint='target = "torch.nn.GRUCell"')
    name = table.get("name", target)
    if "name" in table and not (isinstance(name, str) and name.strip() and "::" not in name):
        reader.error(path + ("name",), "type-error",
                     "'name' must be a non-empty string without '::'", at_value=True,
                     hint='name = "fused-lstm"')
    here = Path(reader.file).parent if reader.file != "<string>" else Path.cwd()
    values = {
        "spec": _spec(reader, path, table.get("spec")) if "spec" in table else None,
        "cases": _integer(reader, path, table, "cases", 1),
        "seed": _integer(reader, path, table, "seed", 0),
        "dtypes": _dtypes(reader, path, table.get("dtype")) if "dtype" in table else None,
        "gradients": _boolean(reader, path, table, "gradients"),
        "mapping": _file(reader, path, table, "mapping", here),
        "attributes": _attributes(reader, path, table.get("attributes", {})),
    }
    if len(reader.items) > before:
        return None
    line = reader.index.key(path).line
    return DeclaredCheck(name=name, target=target, file=reader.file, line=line, **values)


def _spec(reader: _Reader, path: tuple, value) -> str | None:
    from ..catalogue import referenced_spec

    where = path + ("spec",)
    if not isinstance(value, str):
        reader.error(where, "type-error", "'spec' must be a spec name or a path", at_value=True,
                     hint='spec = "lstm"  or  spec = "my_cell.toml"')
        return None
    try:
        return str(referenced_spec(value, reader.file))
    except SpecError as e:
        reader.error(where, "unknown-spec", e.first.message, at_value=True, symbol=value,
                     hint=e.first.hint)
        return None


def _integer(reader: _Reader, path: tuple, table: dict, key: str, least: int) -> int | None:
    value = table.get(key)
    if key in table and (isinstance(value, bool) or not isinstance(value, int) or value < least):
        reader.error(path + (key,), "type-error", f"'{key}' must be an integer of at least "
                     f"{least}", at_value=True, hint=f"{key} = {max(least, 25 if least else 0)}")
        return None
    return value


def _boolean(reader: _Reader, path: tuple, table: dict, key: str) -> bool | None:
    value = table.get(key)
    if key in table and not isinstance(value, bool):
        reader.error(path + (key,), "type-error", f"'{key}' must be true or false",
                     at_value=True, hint=f"{key} = true")
        return None
    return value


def _dtypes(reader: _Reader, path: tuple, value) -> tuple[str, ...] | None:
    names = [value] if isinstance(value, str) else value
    if (not isinstance(names, list) or not names or len(set(map(str, names))) < len(names)
            or any(n not in _DTYPES for n in names)):
        reader.error(path + ("dtype",), "type-error", "'dtype' must be \"float32\", "
                     "\"float64\" or a list of them, each once", at_value=True,
                     hint='dtype = ["float32", "float64"]')
        return None
    return tuple(names)


def _file(reader: _Reader, path: tuple, table: dict, key: str, here: Path) -> str | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, str):
        reader.error(path + (key,), "type-error", f"'{key}' must be a path", at_value=True,
                     hint=f'{key} = "my_{key}.toml"')
        return None
    p = (here / value).resolve()
    if not p.is_file():
        reader.error(path + (key,), "file-not-found", f"{key} file '{value}' not found",
                     at_value=True, symbol=value, hint=f"looked for {p}")
        return None
    return str(p)


def _attributes(reader: _Reader, path: tuple, value) -> dict:
    def plain(v) -> bool:
        return isinstance(v, (str, int, float)) or (
            isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v))

    if not isinstance(value, dict) or not all(plain(v) for v in value.values()):
        reader.error(path + ("attributes",), "type-error", "'attributes' must be a table of "
                     "numbers, strings or lists of them", at_value=True,
                     hint="attributes = { direction = \"reverse\", clip = 0.5 }")
        return {}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
