"""Layout files: a pure JAX cell and its parameter pytree held to a spec, no Python needed.

``seqcheck verify textbook:gru_step --mapping gru_step.toml`` with::

    engine = "jax"               # a layout file for a JAX function (not a torch mapping)
    spec = "gru"                 # a bundled spec, or a .toml path relative to this file
    params = "textbook:PARAMS"   # the parameter pytree, as module:attr; its shapes fix D, H
    states = ["h"]               # what step(params, x_t, state) carries, in order
    batched = false              # x_t is (D,) and jax.vmap adds the batch (true: (B, D))

    [layout]                     # pytree path (keys joined by /) = where the spec's are
    W = "concat(W_ir, W_iz, W_in)"
    U = "concat(W_hr, W_hz, W_hn)"
    b = "concat(b_ir + b_hr, b_iz + b_hz, b_in)"
    b_hn = "b_hn"
    "dense/kernel" = "concat(W_xa.T, W_xb.T, axis=1)"

A value is a block of :mod:`seqcheck.adapters.blocks`: a spec parameter, a sum of them
(``b_ir + b_hr``: one engine bias for the spec's two), either transposed (``.T``),
``concat(..., axis=k)`` (default axis 0) and ``stack(...)`` (a new leading axis). The
text is parsed with :mod:`ast` against that whitelist, never evaluated. Every problem is
reported at once, located (file, line, column), as a
:class:`~seqcheck.adapters.mapping.MappingError`; the target is
:meth:`~.target.JaxTarget.from_function`'s.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from ...errors import SeqcheckError
from ...spec.locate import check_keys, load_named_spec, read_toml
from ..blocks import Concat, Stack, Term, params_of
from ..mapping.model import MappingError
from ..mapping.reader import MappingReader

__all__ = ["KEYS", "engine_of_file", "layout_target", "load_layout_file", "parse_block"]

KEYS = {"engine": '"jax"', "spec": "a bundled spec name or a .toml path",
        "params": "the parameter pytree, as module:attr",
        "states": "the states step(params, x_t, state) carries, in order",
        "batched": "whether x_t is (B, D) (default false: (D,), vmapped)",
        "notes": "free text", "layout": "a table: pytree path = block"}
_BLOCK_HINT = ('a block is a spec parameter, a sum (b_ir + b_hr), .T, concat(a, b, axis=1) '
               'or stack(a, b)')


def engine_of_file(path) -> str | None:
    """The ``engine`` a mapping or layout file names, or None (a torch mapping names none)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return None  # the mapping loader reports what is wrong with it, within its limits
    engine = data.get("engine")
    return engine if isinstance(engine, str) else None


def parse_block(text: str):
    """A :data:`~seqcheck.adapters.blocks.Block` from its text, or raise ``ValueError``.

    >>> block = parse_block("concat(b_ir + b_hr, W.T, axis=1)")
    >>> block.axis, block.parts[0], block.parts[1].transpose
    (1, Term(params=('b_ir', 'b_hr'), transpose=False), True)
    """
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"cannot read {text!r}") from None
    return _block(tree)


def _names(node) -> tuple[str, ...]:
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _names(node.left) + _names(node.right)
    raise ValueError(f"{ast.unparse(node)!r} is not a spec parameter or a sum of them")


def _block(node):
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return Term(_names(node.value), transpose=True)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("concat", "stack"):
        parts = tuple(_block(a) for a in node.args)
        keywords = {k.arg: k.value for k in node.keywords}
        if not parts:
            raise ValueError(f"{node.func.id}() joins at least one block")
        if node.func.id == "stack":
            if keywords:
                raise ValueError("stack() takes no keywords")
            return Stack(parts)
        axis = keywords.pop("axis", ast.Constant(0))
        if keywords or not _is_int(axis):
            raise ValueError("concat() takes one keyword, axis = an integer")
        return Concat(parts, ast.literal_eval(axis))
    return Term(_names(node))


def _is_int(node) -> bool:
    try:
        return isinstance(ast.literal_eval(node), int)
    except ValueError:
        return False


def load_layout_file(path):
    """``(spec, params reference, states, batched, {pytree path: Block})`` of a layout file.

    Raises:
        MappingError: every problem of the file, located.
    """
    from ...spec import load_spec

    text = Path(path).read_text(encoding="utf-8")
    r = MappingReader(text, str(path))
    data = read_toml(text, str(path), r.index, MappingError)
    check_keys(r, data, KEYS, ("engine", "spec", "params", "states", "layout"),
               "layout file")
    if data.get("engine", "jax") != "jax":
        r.error(("engine",), "bad-value", f"engine = {data['engine']!r}: a layout file is "
                "for JAX functions", at_value=True, hint='engine = "jax"')
    spec = load_named_spec(r, data.get("spec"), load_spec) if "spec" in data else None
    params = data.get("params")
    if "params" in data and (not isinstance(params, str) or ":" not in params):
        r.error(("params",), "bad-value", "params names the parameter pytree as module:attr",
                at_value=True, hint='params = "mypkg.cells:PARAMS"')
    states = data.get("states", [])
    if not (isinstance(states, list) and states and all(isinstance(s, str) for s in states)):
        r.error(("states",), "bad-value", "states is a list of the spec's states",
                at_value=True, hint='states = ["h"]')
    elif spec is not None:
        for s in states:
            if s not in spec.states:
                r.unknown(("states",), "unknown-symbol", "state", s, spec.states,
                          f"spec {spec.name!r} has states {', '.join(spec.states)}",
                          at_value=True)
    if not isinstance(data.get("batched", False), bool):
        r.error(("batched",), "bad-value", "batched is true or false", at_value=True)
    layout = _read_layout(r, data.get("layout", {}), spec)
    if r.items:
        raise MappingError(r.items)
    return spec, params, tuple(states), data.get("batched", False), layout


def _read_layout(r: MappingReader, table, spec) -> dict:
    if not isinstance(table, dict):
        r.error(("layout",), "bad-value", "[layout] is a table of pytree path = block")
        return {}
    layout = {}
    for key, value in table.items():
        where = ("layout", key)
        if not isinstance(value, str):
            r.error(where, "bad-value", f"layout entry '{key}' is not a string",
                    at_value=True, hint=_BLOCK_HINT)
            continue
        try:
            block = parse_block(value)
        except ValueError as e:
            r.error(where, "bad-block", str(e), at_value=True, hint=_BLOCK_HINT)
            continue
        unknown = [p for p in params_of(block) if spec is not None and p not in spec.params]
        for name in unknown:
            r.unknown(where, "unknown-symbol", "spec parameter", name, spec.params,
                      f"spec {spec.name!r} has parameters {', '.join(spec.params)}",
                      at_value=True)
        if not unknown:
            layout[key] = block
    return layout


def layout_target(step, path, name: str | None = None):
    """The :class:`~.target.JaxTarget` of the function ``step`` through the layout file at
    ``path`` (its ``params`` imported by name, nothing evaluated)."""
    import importlib

    from .target import JaxTarget

    spec, params, states, batched, layout = load_layout_file(path)
    module, _, attr = params.partition(":")
    try:
        tree = importlib.import_module(module)
        for part in attr.split("."):
            tree = getattr(tree, part)
    except (ImportError, AttributeError) as e:
        raise SeqcheckError(f"{path}: params = {params!r} names nothing importable: {e}") \
            from None
    if not callable(step):
        raise SeqcheckError(f"{path} lays out a JAX function; {step!r} is not callable")
    return JaxTarget.from_function(step, tree, layout, spec, states=states, batched=batched,
                                   name=name)
