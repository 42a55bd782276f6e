"""What a torch module's parameter names, shapes and attributes say it is: its configuration.

:mod:`.recognise` turns the answer of these readers into a :class:`~.layouts.Layout`. The
parameter names decide the calling convention and the configuration: ``weight_ih``,
``weight_hh`` (+ ``bias_ih``, ``bias_hh``) is a cell called as ``module(x_t, hx)``;
``weight_ih_l{k}[_reverse]``, ... for k = 0..L-1 is a sequence module of L layers, called as
``module(x, hx)``, bidirectional when ``_reverse`` tensors exist, with torch.nn.LSTM's
projection when ``weight_hr_l{k}`` exist. The shapes decide the unit (k*H rows: k = 4 LSTM,
3 GRU, 1 RNN). torch's attributes (``num_layers``, ``bidirectional``, ``bias``,
``proj_size``, ``nonlinearity``, ``batch_first``, ``dropout``) are read where a module has
them, and must agree with its parameters.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ...errors import SeqcheckError
from .families import FAMILIES, Family
from .modules import factory_name
from .specs import NONLINEARITIES

__all__ = ["SUPPORTED", "Configuration", "check_attributes", "read_configuration",
           "read_structure"]

_BY_BLOCKS = {f.blocks: f for f in FAMILIES}
_STEMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_SEQUENCE_NAME = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?")
SUPPORTED = ("supported: torch.nn.RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU (any num_layers, "
             "bidirectional, batch_first, bias, nonlinearity, proj_size; dropout only in eval "
             "mode), their subclasses, and modules with their parameter names and shapes")
"""What the torch adapter supports, the last words of its recognition errors."""


class Configuration(NamedTuple):
    """What a module instance is, read off its parameters and attributes.

    Arguments:
        family: the unit (LSTM, GRU or RNN).
        sequence: a sequence module, called once on the whole sequence (else a cell).
        fields: the layout's configuration as keyword arguments: ``bias``,
            ``nonlinearity``, ``proj_size``; for a sequence module also ``batch_first``,
            ``layers``, ``bidirectional``.
    """

    family: Family
    sequence: bool
    fields: dict


def read_configuration(module) -> Configuration:
    """The configuration of a torch module instance, or an error naming what does not fit.

    Raises:
        SeqcheckError: parameter names or shapes outside torch's layouts, attributes that
            disagree with the parameters, or dropout in training mode.
    """
    import torch

    cls = type(module)
    name = factory_name(cls)
    params = {n: tuple(p.shape) for n, p in module.named_parameters()}
    structure = read_structure(params, name)
    sequence, layers, bidirectional, bias, proj = structure
    chains = [("", 0, False)] if not sequence else \
        [(f"_l{k}" + ("_reverse" if r else ""), k, r)
         for k in range(layers) for r in ((False, True) if bidirectional else (False,))]
    torch_family = next((f for f in FAMILIES for c in (f.cell, f.sequence)
                         if issubclass(cls, getattr(torch.nn, c))), None)
    family, proj_size = _fit_shapes(params, chains, bias, proj, name, torch_family)
    if torch_family is not None:
        torch_sequence = issubclass(cls, getattr(torch.nn, torch_family.sequence))
        if torch_sequence != sequence:
            _shape_error(name, params, chains[0], bias, proj, layers, bidirectional,
                         torch_family)
    nonlinearity = _nonlinearity(module, family, name)
    check_attributes(module, name, structure, proj_size)
    fields = dict(bias=bias, nonlinearity=nonlinearity, proj_size=proj_size)
    if sequence:
        fields |= dict(batch_first=bool(getattr(module, "batch_first", False)), layers=layers,
                       bidirectional=bidirectional)
    return Configuration(family, sequence, fields)


def read_structure(params: dict, name: str) -> tuple[bool, int, bool, bool, bool]:
    """``(sequence, layers, bidirectional, bias, projection)`` read off the parameter names."""
    names = set(params)
    for bias in (True, False):
        cell = {"weight_ih", "weight_hh"} | ({"bias_ih", "bias_hh"} if bias else set())
        if names == cell:
            return False, 1, False, bias, False
    matches = [_SEQUENCE_NAME.fullmatch(n) for n in names]
    if names and all(matches):
        layers = 1 + max(int(m.group(2)) for m in matches)
        bidirectional = any(m.group(3) for m in matches)
        bias = any(m.group(1).startswith("bias") for m in matches)
        proj = any(m.group(1) == "weight_hr" for m in matches)
        expected = set(_names(layers, bidirectional, bias, proj))
        if names == expected:
            return True, layers, bidirectional, bias, proj
        missing = [n for n in _names(layers, bidirectional, bias, proj) if n not in names]
        raise SeqcheckError(
            f"{name} has parameters {', '.join(params)}: torch's names for a sequence module, "
            f"but not all of them: {', '.join(missing)} missing for {layers} "
            f"layer{'s' * (layers > 1)}{', bidirectional' if bidirectional else ''}"
            f"{'' if bias else ', bias=False'}{', with a projection' if proj else ''}")
    found = ", ".join(params) or "none"
    raise SeqcheckError(
        f"{name} has parameters {found}; a torch layout needs exactly weight_ih, weight_hh, "
        "bias_ih, bias_hh (a cell, called as module(x_t, hx)) or weight_ih_l0, weight_hh_l0, "
        "bias_ih_l0, bias_hh_l0 (a sequence module, called as module(x, hx)), the biases "
        "only with bias=True, and for a sequence module the same for every layer k (_l{k}) "
        "and direction (_l{k}_reverse), with weight_hr_l{k} for an LSTM's projection; "
        f"{SUPPORTED}")


def _names(layers: int, bidirectional: bool, bias: bool, proj: bool) -> list[str]:
    stems = [s for s in _STEMS if bias or not s.startswith("bias")] + (["weight_hr"] * proj)
    return [f"{stem}_l{k}{'_reverse' * r}" for k in range(layers)
            for r in ((False, True) if bidirectional else (False,)) for stem in stems]


def _fit_shapes(params: dict, chains: list, bias: bool, proj: bool, name: str,
                torch_family: Family | None) -> tuple[Family, int]:
    """The unit and the projection size P (0: none), or an error naming the first misfit.

    The first chain decides the unit (k = rows / H of weight_hh, H from weight_hh's columns,
    or weight_hr's with a projection); every chain must then have the shapes it implies.
    """
    first = chains[0][0]
    layers = 1 + max(k for _, k, _ in chains)
    bidirectional = any(r for _, _, r in chains)
    w_hh, w_hr = params["weight_hh" + first], params.get("weight_hr" + first)
    family = None
    if len(w_hh) == 2 and (w_hr is None or len(w_hr) == 2):
        H = w_hr[1] if w_hr is not None else w_hh[1]
        if H and not w_hh[0] % H:
            family = _BY_BLOCKS.get(w_hh[0] // H)
    if family is not None and proj and family.spec_name != "lstm" and torch_family is None:
        raise SeqcheckError(
            f"{name} has weight_hr{first}, torch.nn.LSTM's projection, but its other "
            f"parameters hold k = {family.blocks} blocks: only an LSTM (k = 4) has a "
            "projection")
    P = w_hr[0] if proj else 0
    for chain in chains:
        fits = family is not None and (torch_family is None or family is torch_family)
        if fits:
            sfx, k, _ = chain
            rows, w_ih = w_hh[0], params["weight_ih" + first]
            H = rows // family.blocks
            D = w_ih[1] if len(w_ih) == 2 else -1
            below = D if k == 0 else (P or H) * (1 + bidirectional)
            expect = {"weight_ih": (rows, below), "weight_hh": (rows, P or H),
                      "bias_ih": (rows,), "bias_hh": (rows,), "weight_hr": (P, H)}
            fits = all(params[stem + sfx] == shape for stem, shape in expect.items()
                       if stem + sfx in params)
        if not fits:
            # the unit is known from torch's class, or from the chains that fit
            known = torch_family or (family if chain is not chains[0] else None)
            _shape_error(name, params, chain, bias, proj, layers, bidirectional, known)
    return family, P


def _shape_error(name: str, params: dict, chain: tuple, bias: bool, proj: bool, layers: int,
                 bidirectional: bool, family: Family | None):
    sfx, k, _ = chain
    stems = [s for s in _STEMS if bias or not s.startswith("bias")] + (["weight_hr"] * proj)
    found = ", ".join(f"{stem + sfx} {params[stem + sfx]}" for stem in stems)
    out = "P" if proj else "H"
    width = "D" if k == 0 else f"2*{out}" if bidirectional else out
    want = {"weight_ih": f"(k*H, {width})", "weight_hh": f"(k*H, {out})",
            "bias_ih": "(k*H,)", "bias_hh": "(k*H,)", "weight_hr": "(P, H)"}
    blocks = f"k = {family.blocks}" if family else "k = 4 (LSTM), 3 (GRU) or 1 (RNN)"
    raise SeqcheckError(
        f"{name}: parameter shapes do not fit torch's layout: {found}\n"
        f"  expected {', '.join(f'{stem + sfx} {want[stem]}' for stem in stems)} with {blocks}")


def _nonlinearity(module, family: Family, name: str) -> str:
    value = getattr(module, "nonlinearity", "tanh")
    if not isinstance(value, str):
        raise SeqcheckError(f"{name} has nonlinearity={value!r}; torch names it by a string, "
                            f"one of {', '.join(map(repr, NONLINEARITIES))}")
    if value not in NONLINEARITIES:
        raise SeqcheckError(f"{name} has nonlinearity={value!r}; supported: 'tanh' (spec "
                            "rnn_torch) and 'relu' (spec rnn_torch_relu)")
    if value != "tanh" and family.blocks != 1:
        raise SeqcheckError(f"{name} has nonlinearity={value!r}, but its parameters are a "
                            f"{family.sequence}'s: only torch.nn.RNN and RNNCell choose a "
                            "nonlinearity")
    return value


def check_attributes(module, name: str, structure: tuple, proj_size: int) -> None:
    """torch's attributes must agree with the parameters; dropout must be inactive."""
    sequence, layers, bidirectional, bias, _ = structure
    said = {"bias": bias}
    if sequence:
        said |= {"num_layers": layers, "bidirectional": bidirectional, "proj_size": proj_size}
    for attr, value in said.items():
        if hasattr(module, attr) and getattr(module, attr) != value:
            raise SeqcheckError(f"{name} has {attr}={getattr(module, attr)!r}, but its "
                                f"parameters are those of {attr}={value!r}")
    dropout = getattr(module, "dropout", 0) if sequence else 0
    if layers > 1 and dropout and module.training:
        raise SeqcheckError(
            f"{name} has dropout={dropout} and is in training mode: torch then zeroes a "
            "random part of every layer's output but the last, so its outputs are not a "
            "function of its inputs and cannot be held to a spec\n"
            "  hint: verify it in eval mode (module.eval(), a factory returning one), where "
            "torch applies no dropout, or with dropout=0")
