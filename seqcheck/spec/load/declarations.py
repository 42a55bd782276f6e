"""Names and declarations: the ``[dims]``, ``[inputs]``, ``[states]`` and ``[params]`` of a
merged spec, checked and turned into :class:`~seqcheck.spec.model.Dim` and
:class:`~seqcheck.spec.model.Declaration` values.

A name starts with a letter and uses letters, digits and ``_``; it may not be a Python
keyword, a function of the table or the time index ``t``, and names one thing only.
"""

from __future__ import annotations

import keyword
import re

import sympy as sp

from ..diagnostics import Diagnostics, Entry
from ..functions import FUNCTIONS
from ..model import Declaration, Dim
from .layers import MergedSpec
from .shape_entries import declared_shape

__all__ = ["ROLE_WORD", "check_name", "check_not_a_dim", "declare_dims", "declarations"]

#: What a message calls each role.
ROLE_WORD = {"param": "parameter", "input": "input", "state": "state", "dim": "dim",
             "variable": "variable"}
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_RESERVED = set(FUNCTIONS) | {"t"}


def check_name(name: str, entry: Entry, what: str, diags: Diagnostics) -> bool:
    """Whether ``name`` may name a ``what`` (a role of :data:`ROLE_WORD`); if not, say why."""
    ok = isinstance(name, str) and bool(_NAME_RE.match(name)) and not keyword.iskeyword(name)
    if not ok:
        diags.add(entry.origin, entry.path, "bad-name",
                  f"'{name}' is not a valid {ROLE_WORD.get(what, what)} name",
                  symbol=str(name),
                  hint="names start with a letter and use letters, digits and '_' "
                       "(e.g. W_hh, c_tilde)")
        return False
    if name in _RESERVED:
        diags.add(entry.origin, entry.path, "bad-name",
                  f"'{name}' is reserved and cannot name a {ROLE_WORD.get(what, what)}",
                  symbol=name,
                  hint="'t' is the time index and function names cannot be redefined; rename it")
        return False
    return True


def check_not_a_dim(name: str, entry: Entry, what: str, dims: dict[str, Dim],
                    diags: Diagnostics, *, hint: str = "rename the dim or the variable") -> bool:
    """Whether ``name``, the name of a ``what``, is free of the dims; if not, say so."""
    if name not in dims:
        return True
    diags.add(entry.origin, entry.path, "duplicate", f"'{name}' names both a dim and a {what}",
              symbol=name, hint=hint)
    return False


def declare_dims(merged: MergedSpec, diags: Diagnostics) -> dict[str, Dim]:
    """The dims of ``[dims]`` by name, each a positive integer SymPy symbol."""
    dims = {}
    for name, entry in merged.sections["dims"].items():
        if not check_name(name, entry, "dim", diags):
            continue
        v = entry.value
        doc = v if isinstance(v, str) else (v.get("doc", "") if isinstance(v, dict) else None)
        if doc is None:
            diags.add(entry.origin, entry.path, "type-error",
                      f"dim '{name}' must be a description string", symbol=name,
                      hint=f'{name} = "hidden size"')
            doc = ""
        dims[name] = Dim(name, doc, sp.Symbol(name, integer=True, positive=True))
    return dims


def declarations(merged: MergedSpec, dims: dict[str, Dim], diags: Diagnostics,
                 broken: set[str]) -> dict[str, Declaration]:
    """Declarations by name; names whose declaration is broken are added to ``broken``."""
    decls: dict[str, Declaration] = {}
    for role, section in (("input", "inputs"), ("state", "states"), ("param", "params")):
        for name, entry in merged.sections[section].items():
            if not check_name(name, entry, role, diags):
                continue
            if name in decls:
                diags.add(entry.origin, entry.path, "duplicate",
                          f"'{name}' is declared twice (as {decls[name].role} and {role})",
                          symbol=name, hint="give each input, state and parameter its own name")
                continue
            if not check_not_a_dim(name, entry, role, dims, diags,
                                   hint="rename the dim or the variable (e.g. dims in upper case)"):
                continue
            if not isinstance(entry.value, dict):
                diags.add(entry.origin, entry.path, "type-error",
                          f"{role} '{name}' must be a table", symbol=name,
                          hint=f'{name} = {{ shape = ["H"] }}')
                continue
            shape = declared_shape(entry, name, dims, diags)
            if shape is None:
                broken.add(name)
                continue
            v = entry.value
            static = v.get("static", False)
            if not isinstance(static, bool):
                diags.add(entry.origin, entry.path + ("static",), "type-error",
                          "'static' must be true or false", at_value=True, symbol=name)
                static = False
            mask = _mask_flag(entry, name, shape, static, decls, diags)
            decls[name] = Declaration(name, role, shape, doc=str(v.get("doc", "")),
                                      static=static, init_text=v.get("init"), mask=mask)
    return decls


def _mask_flag(entry, name: str, shape: tuple, static: bool, decls: dict, diags) -> bool:
    """An input's ``mask = true``, checked: a bool, on a per-step scalar, at most one."""
    value = entry.value.get("mask", False)
    if not isinstance(value, bool):
        diags.add(entry.origin, entry.path + ("mask",), "type-error",
                  "'mask' must be true or false", at_value=True, symbol=name)
        return False
    if not value:
        return False
    hint = f"{name} = {{ shape = [], mask = true }} under [inputs]"
    if shape or static:
        diags.add(entry.origin, entry.path + ("mask",), "bad-mask",
                  f"the mask '{name}' must be a per-step scalar (shape [], not static): it "
                  "is 1 on a row's own steps and 0 on its padding", at_value=True,
                  symbol=name, hint=hint)
        return False
    other = next((d.name for d in decls.values() if d.mask), None)
    if other is not None:
        diags.add(entry.origin, entry.path + ("mask",), "bad-mask",
                  f"'{name}' is a second mask input; '{other}' is one already: a spec has "
                  "one length per row", at_value=True, symbol=name,
                  hint=f"drop mask = true from '{name}' or '{other}'")
        return False
    return True
