"""The index grammar of a mapping value: ``tensor[index, ...].T`` -> :class:`~.model.Slice`.

A value names a target parameter, optionally indexes its leading axes with integers or
slices, and optionally ends in ``.T``. The name is a dotted identifier
(``layers.0.weight``) or any text in quotes (``'lstm/lstm_cell/kernel'``, ``"kernel:0"``);
bounds are integer literals and the spec's dims combined with ``+``, ``-`` and ``*``. The
text is parsed with :mod:`ast` against that whitelist and never evaluated; every construct
outside it is a located error with a fix.
"""

from __future__ import annotations

import ast
import re

import sympy as sp

from ...spec import Spec
from ...spec.grammar import LIMITS
from ...spec.suggest import did_you_mean
from .model import PLAIN_NAME, Index, Slice, Where, shown_name
from .reader import MappingReader

__all__ = ["parse_slice"]

_NAME = re.compile(rf"\s*({PLAIN_NAME})")
_QUOTABLE = re.compile(r"\s*([^\s\[\]'\"]+)")  # what an unquoted name with '/' runs to
_MAX_TEXT = 300  # a slice is a name and a few bounds
_GRAMMAR = "NAME, NAME[index, ...] or NAME[index, ...].T"
_BOUNDS = "integer literals and the spec's dims with + - * (e.g. 2*H, D+H)"


def parse_slice(r: MappingReader, path: tuple, text: str, spec: Spec,
                label: str | None = None) -> Slice | None:
    """``tensor[index, ...].T`` -> :class:`Slice`; problems go to ``r``.

    Arguments:
        r: the reader of the mapping file, which collects the problems.
        path: the key path of the value, e.g. ``("params", "W_ii")``.
        text: the value as written.
        spec: the spec whose dims the bounds may use.
        label: what the messages call the mapped thing (default: the key).
    Returns:
        The :class:`Slice`, or None when a problem was recorded.

    >>> # rows D..D+H of a fused weight, transposed
    >>> from seqcheck import load_spec
    >>> value = "weight[D:D+H, 0:H].T"
    >>> r = MappingReader(f'[params]\\nW = "{value}"', "m.toml")
    >>> s = parse_slice(r, ("params", "W"), value, load_spec("lstm"))
    >>> s.tensor, [i.text for i in s.index], s.transpose, r.items
    ('weight', ['D:D+H', '0:H'], True, [])
    >>> # a name that is not an identifier, in quotes
    >>> value = "'lstm/lstm_cell/kernel'[0:D, 0:H].T"
    >>> r = MappingReader(f'[params]\\nW = "{value}"', "m.toml")
    >>> s = parse_slice(r, ("params", "W"), value, load_spec("lstm"))
    >>> s.tensor, s.indexed, s.transpose, r.items
    ('lstm/lstm_cell/kernel', "'lstm/lstm_cell/kernel'[0:D, 0:H]", True, [])
    """
    whole = r.in_string(path, 0, len(text))
    name = label or path[-1]
    if len(text) > _MAX_TEXT:
        r.items.append(whole.error("too-large", f"the mapping of '{name}' is longer than "
                                   f"{_MAX_TEXT} characters", symbol=name,
                                   hint=f"a mapping value is {_GRAMMAR}, with short bounds"))
        return None
    named = _read_name(r, path, text, name)
    if named is None:
        return None
    tensor, end, name_where, transpose = named
    rest = text[end:]
    try:
        tree = ast.parse("_" + rest, mode="eval").body
    except SyntaxError as e:
        offset = end + max(0, (e.offset or 1) - 2)
        r.items.append(r.in_string(path, min(offset, max(0, len(text) - 1)), 1).error(
            "syntax-error", f"invalid syntax in the mapping of '{name}': {e.msg}",
            symbol=name, hint=f"write {_GRAMMAR}"))
        return None

    def place(node) -> Where:
        return r.in_string(path, end + node.col_offset - 1,
                           node.end_col_offset - node.col_offset)

    def forbid(node, what: str, hint: str) -> None:
        r.items.append(place(node).error("forbidden-construct", f"{what} in the mapping of "
                                         f"'{name}'", symbol=name, hint=hint))

    prefix = _valid_prefix(tree)
    if prefix is not tree and not (isinstance(tree, ast.Attribute) and tree.attr == "T"
                                   and tree.value is prefix):
        extra = ("_" + rest)[prefix.end_col_offset:tree.end_col_offset]
        if extra.lstrip().startswith("["):
            hint = "index every axis in one subscript: NAME[i, j], not NAME[i][j]"
        elif extra.lstrip().startswith("("):
            hint = f"nothing is called: a mapping value is {_GRAMMAR}"
        elif re.search(r"\.(t|transpose|permute|mT)\b", extra):
            hint = "write the transpose as .T, after the subscript"
        else:
            hint = f"a mapping value is {_GRAMMAR}"
        r.items.append(r.in_string(path, end + prefix.end_col_offset - 1,
                                   len(extra.rstrip())).error(
            "forbidden-construct", f"unexpected '{extra.strip()}' in the mapping of '{name}'",
            symbol=name, hint=hint))
        return None
    transpose = transpose or tree is not prefix
    index = ()
    if isinstance(prefix, ast.Subscript):
        node = prefix.slice
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        parsed = [_parse_index(r, item, place, forbid, spec, "_" + rest) for item in items]
        if any(p is None for p in parsed):
            return None
        index = tuple(parsed)
    return Slice(tensor, index, transpose, text, whole, name_where)


def _read_name(r: MappingReader, path: tuple, text: str, name: str):
    """The target parameter's name a value starts with: ``(tensor, end, where, transpose)``
    with ``end`` the offset just after it, or None (a problem is recorded)."""
    lead = len(text) - len(text.lstrip())
    quote = text[lead:lead + 1]
    if quote in ("'", '"'):
        close = text.find(quote, lead + 1)
        if close < 0:
            r.items.append(r.in_string(path, lead, 1).error(
                "syntax-error", f"the quoted name in the mapping of '{name}' is never closed",
                symbol=name, hint=f"a quoted name ends with the quote it starts with: "
                                  f"{quote}lstm/kernel{quote}[0:H]"))
            return None
        tensor, end = text[lead + 1:close], close + 1
        if not tensor:
            r.items.append(r.in_string(path, lead, 2).error(
                "syntax-error", f"an empty name in the mapping of '{name}'", symbol=name,
                hint="write the target parameter's name between the quotes"))
            return None
        if re.match(r"\.T(?!\w)", text[end:]) and text[end + 2:].strip():
            r.items.append(r.in_string(path, end, 2).error(
                "forbidden-construct", "'.T' before the subscript", symbol=name,
                hint=f"index the tensor as stored and transpose last: "
                     f"{shown_name(tensor)}[...].T"))
            return None
        return tensor, end, r.in_string(path, lead, end - lead), False
    m = _NAME.match(text)
    if m is None:
        r.items.append(r.in_string(path, 0, len(text)).error(
            "syntax-error" if not text.strip() else "forbidden-construct",
            f"the mapping of '{name}' must start with a target parameter's name",
            symbol=name, hint=f"write {_GRAMMAR}, e.g. \"weight[0:H, 0:D].T\""))
        return None
    if text[m.end():m.end() + 1] in ("/", "-", ":"):
        return _unquoted(r, path, text, name)
    tensor, rest = m.group(1), text[m.end():]
    parts = tensor.split(".")
    if len(parts) > 1 and parts[-1] == "T":
        tensor = ".".join(parts[:-1])
        if rest.strip():
            r.items.append(r.in_string(path, m.end() - 2, 2).error(
                "forbidden-construct", "'.T' before the subscript", symbol=name,
                hint=f"index the tensor as stored and transpose last: "
                     f"{tensor}[...].T"))
            return None
        return tensor, m.end(), r.in_string(path, m.start(1), len(tensor)), True
    return tensor, m.end(), r.in_string(path, m.start(1), len(tensor)), False


def _unquoted(r: MappingReader, path: tuple, text: str, name: str) -> None:
    """A name with ``/``, ``-`` or ``:`` written without quotes: an error showing them."""
    m = _QUOTABLE.match(text)
    tensor = m.group(1)
    if tensor.endswith(".T"):
        tensor = tensor[:-2]
    char = next(ch for ch in tensor if ch in "/-:")
    fixed = shown_name(tensor) + text[m.start(1) + len(tensor):]
    r.items.append(r.in_string(path, m.start(1), len(tensor)).error(
        "syntax-error", f"the name '{tensor}' in the mapping of '{name}' has '{char}': a name "
        "that is not a dotted identifier is quoted", symbol=name,
        hint=f"write {fixed}"))


def _valid_prefix(tree):
    """The innermost ``_`` or ``_[...]`` node of ``tree``: what may precede ``.T``."""
    node = tree
    while True:
        if isinstance(node, ast.Name):
            return node
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            return node
        child = getattr(node, "value", None) or getattr(node, "func", None) \
            or getattr(node, "left", None) or getattr(node, "operand", None)
        if not isinstance(child, ast.AST):
            return node
        node = child


def _describe(node) -> str:
    if isinstance(node, ast.Call):
        return "a call"
    if isinstance(node, ast.Attribute):
        return f"attribute '.{node.attr}'"
    if isinstance(node, ast.Subscript):
        return "a subscript"
    if isinstance(node, ast.Compare):
        return "a comparison"
    return type(node).__name__.lower()


def _parse_index(r, node, place, forbid, spec: Spec, source: str) -> Index | None:
    text = ast.get_source_segment(source, node) or ""
    if isinstance(node, ast.Slice):
        given = (node.lower, node.upper, node.step)
        bounds = [None if b is None else _bound(r, b, place, forbid, spec) for b in given]
        if any(b is None and n is not None for b, n in zip(bounds, given)):
            return None
        return Index(bounds[0], bounds[1], bounds[2], False, text, place(node))
    bound = _bound(r, node, place, forbid, spec)
    if bound is None:
        return None
    return Index(bound, None, None, True, text, place(node))


def _bound(r, node, place, forbid, spec: Spec) -> sp.Expr | None:
    """An integer expression of the spec's dims, or None (a problem is recorded)."""
    dims = spec.dim_symbols
    ok = True

    def conv(n):
        nonlocal ok
        if isinstance(n, ast.Constant) and type(n.value) is int:
            digits = len(str(abs(n.value)))  # the text is at most _MAX_TEXT characters
            if digits > LIMITS["digits"]:
                r.items.append(place(n).error(
                    "too-large", f"the number has {digits} digits; the limit is "
                    f"{LIMITS['digits']}", hint=f"bounds are {_BOUNDS}"))
                ok = False
                return sp.Integer(0)
            return sp.Integer(n.value)
        if isinstance(n, ast.Name):
            if n.id in dims:
                return dims[n.id]
            close = did_you_mean(n.id, dims)
            r.items.append(place(n).error(
                "unknown-dim", f"unknown dim '{n.id}' in a bound", symbol=n.id,
                hint=(f"did you mean '{close}'? " if close else "")
                + f"bounds use the dims of spec '{spec.name}': {', '.join(dims)}"))
            ok = False
            return sp.Integer(0)
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = conv(n.left), conv(n.right)
            return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}[type(n.op)]
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = conv(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.Constant) and isinstance(n.value, float):
            what = f"the number {n.value!r}"
        elif isinstance(n, ast.BinOp):
            what = f"operator '{_OPERATORS.get(type(n.op), type(n.op).__name__)}'"
        elif isinstance(n, ast.Constant) and n.value is Ellipsis:
            what = "'...'"
        elif isinstance(n, ast.Constant) and n.value is None:
            what = "None (a new axis)"
        else:
            what = _describe(n)
        forbid(n, f"{what} in a bound", f"bounds are {_BOUNDS}")
        ok = False
        return sp.Integer(0)

    value = conv(node)
    return sp.expand(value) if ok else None


_OPERATORS = {ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
              ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
              ast.BitOr: "|", ast.BitXor: "^"}
