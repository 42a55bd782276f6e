"""Stacked, reversed and bidirectional specs built from a one-layer cell spec.

Seed 003 stacks recurrent layers (a deep RNN: layer l reads layer l - 1 at the same step)
and runs a second chain backwards in time (a bidirectional RNN: h<-_t reads h<-_{t+1});
seed 000 eq. 20 and 23-24 write the same for the Elman unit. :func:`stacked` applies both
constructions to any cell spec -- the LSTM, GRU or tanh RNN that torch.nn.LSTM(num_layers=2,
bidirectional=True) or an ONNX node with ``direction="reverse"`` implements -- and returns
an ordinary spec: it is validated, derived and compiled like any spec in the catalogue.

Names follow torch's parameter names: layer ``l``'s forward chain adds the suffix
``_l{l}`` to every state, parameter and intermediate variable of the cell (``W_ii_l0``,
``h_l1``), its backward chain ``_l{l}_reverse``. A single layer in a single direction
keeps the cell's names. Layer 0 reads the input ``x``; layer ``l > 0`` reads the
cell's output variable of layer ``l - 1`` -- for two directions their concatenation
``concat(h_l{l-1}, h_l{l-1}_reverse)`` of size 2H, so its input weights are (·, 2H).
A backward chain reads its states at ``t + 1`` where the cell reads ``t - 1``; its initial
value is the state after the last step, and its final value is at t = 1.

Only the equations the states need are kept (an LSTM spec's read-out ``y = softmax(h)``
is not part of torch.nn.LSTM).
"""

from __future__ import annotations

import re

import sympy as sp

from ..errors import SeqcheckError
from .load import loads_spec
from .model import Spec
from .toml_text import toml_string

__all__ = ["stacked", "suffix"]


def suffix(layer: int, reverse: bool, *, layers: int = 1, bidirectional: bool = False) -> str:
    """The name suffix of one chain: ``""`` for a lone chain, else ``_l{layer}[_reverse]``.

    >>> suffix(1, True, layers=2, bidirectional=True)
    '_l1_reverse'
    >>> suffix(0, True)
    ''
    """
    if layers == 1 and not bidirectional:
        return ""
    return f"_l{layer}" + ("_reverse" if reverse else "")


def _core(spec: Spec) -> list:
    """The equations the states depend on, in the spec's order."""
    needed: set[str] = set()
    frontier = [s for s in spec.states]
    defined = {e.target: e for e in spec.equations}
    while frontier:
        name = frontier.pop()
        if name in needed or name not in defined:
            continue
        needed.add(name)
        frontier.extend(r.name for r in defined[name].refs)
    return [e for e in spec.equations if e.target in needed]


def _shape_text(shape, subs) -> str:
    return "[" + ", ".join(toml_string(str(sp.sympify(d).subs(subs))) for d in shape) + "]"


def stacked(cell: Spec, *, layers: int = 1, bidirectional: bool = False, reverse: bool = False,
            output: str = "h", name: str | None = None, title: str | None = None) -> Spec:
    """``layers`` layers of ``cell``, in one or two directions, as one spec.

    Arguments:
        cell: a one-layer spec with one sequence input (shape ``(D,)``) and a state
            ``output`` of shape ``(H,)`` that the next layer reads.
        layers: how many layers (at least 1).
        bidirectional: a forward and a backward chain in every layer.
        reverse: with one direction, run it backwards in time (ONNX ``direction="reverse"``).
        output: the cell's variable a layer passes up (default ``h``).
        name, title: of the new spec (default derived from the cell's).
    Returns:
        The validated spec; its outputs are every chain's ``output`` and every state.

    >>> # torch.nn.GRU(num_layers=2, bidirectional=True): layer 1 reads 2H values
    >>> from seqcheck import load_spec
    >>> spec = stacked(load_spec("gru"), layers=2, bidirectional=True)
    >>> spec.params["W_ir_l1_reverse"].shape
    (H, 2*H)
    >>> spec.equation("h_l0_reverse").text
    '(1 - z_l0_reverse) * n_l0_reverse + z_l0_reverse * h_l0_reverse[t+1]'
    """
    if layers < 1:
        raise SeqcheckError(f"layers must be at least 1; got {layers}")
    if bidirectional and reverse:
        raise SeqcheckError("reverse=True runs a single chain backwards; a bidirectional "
                            "spec already has one chain in each direction")
    sequence = cell.sequence_inputs
    if len(sequence) != 1 or len(cell.inputs[sequence[0]].shape) != 1:
        raise SeqcheckError(f"spec {cell.name!r} must have exactly one vector sequence input "
                            f"to be stacked; it has {', '.join(sequence) or 'none'}")
    x = sequence[0]
    if output not in cell.states or len(cell.states[output].shape) != 1:
        raise SeqcheckError(f"spec {cell.name!r} has no vector state {output!r} for the next "
                            "layer to read")
    if cell.delayed_refs() and any(o > 0 for offs in cell.delayed_refs().values()
                                   for o in offs):
        raise SeqcheckError(f"spec {cell.name!r} already runs backwards in time (it reads "
                            "a state at t+1); stack a forward cell")
    D = sp.sympify(cell.inputs[x].shape[0])
    H = sp.sympify(cell.states[output].shape[0])
    core = _core(cell)
    local = [*cell.states, *cell.params, *(e.target for e in core)]
    if not set(cell.inputs) <= {x}:
        raise SeqcheckError(f"spec {cell.name!r} has inputs besides {x!r}; only the sequence "
                            "input can be stacked")
    words = sorted({*local, x}, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b")
    directions = (False, True) if bidirectional else (reverse,)
    used_dims = {str(s) for table in (cell.params, cell.states) for d in table.values()
                 for s in d.shape for s in sp.sympify(s).free_symbols}
    used_dims.add(str(D))
    how = (layers, bidirectional, reverse)
    lines = [f"name = {toml_string(name or _default_name(cell.name, *how))}",
             f"title = {toml_string(title or _default_title(cell, *how))}",
             f"notes = {toml_string(_notes(cell, layers, bidirectional, reverse))}"]
    outputs, states, params, equations = [], [], [], []
    for layer in range(layers):
        below = [suffix(layer - 1, r, layers=layers, bidirectional=bidirectional)
                 for r in directions] if layer else []
        if not layer:
            reads = x
        elif len(below) == 1:
            reads = f"{output}{below[0]}"
        else:
            reads = f"concat({output}{below[0]}, {output}{below[1]})"
        width = D if not layer else H * len(directions)
        for backwards in directions:
            sfx = suffix(layer, backwards, layers=layers, bidirectional=bidirectional)

            def rename(m, sfx=sfx, reads=reads):
                word = m.group(1)
                return reads if word == x else word + sfx

            for s, decl in cell.states.items():
                doc = f"{decl.doc} (layer {layer}{', backwards' if backwards else ''})" \
                    if decl.doc else ""
                states.append(f"{s}{sfx} = {{ shape = {_shape_text(decl.shape, {})}, "
                              f"init = {toml_string(decl.init_text)}, doc = {toml_string(doc)} }}")
            for p, decl in cell.params.items():
                params.append(f"{p}{sfx} = {{ shape = {_shape_text(decl.shape, {D: width})}, "
                              f"doc = {toml_string(decl.doc)} }}")
            for e in core:
                text = pattern.sub(rename, e.text)
                if backwards:
                    text = re.sub(r"\[t-(\d+)\]", r"[t+\1]", text)
                equations.append(f"{e.target}{sfx} = {toml_string(text)}")
            outputs.append(f"{output}{sfx}")
    outputs += [f"{s}{suffix(layer, r, layers=layers, bidirectional=bidirectional)}"
                for layer in range(layers) for r in directions for s in cell.states
                if s != output]
    lines.append("outputs = [" + ", ".join(toml_string(o) for o in outputs) + "]")
    lines.append("\n[dims]")
    lines += [f"{d.name} = {toml_string(d.doc)}" for d in cell.dims if d.name in used_dims]
    lines.append("\n[inputs]")
    lines.append(f"{x} = {{ shape = {_shape_text(cell.inputs[x].shape, {})}, "
                 f"doc = {toml_string(cell.inputs[x].doc)} }}")
    lines += ["\n[states]", *states, "\n[params]", *params, "\n[equations]", *equations]
    return loads_spec("\n".join(lines) + "\n", file=f"<{cell.name} stacked: {layers} "
                      f"layer{'s' * (layers > 1)}{', bidirectional' if bidirectional else ''}"
                      f"{', reverse' if reverse else ''}>")


def _default_name(base: str, layers: int, bidirectional: bool, reverse: bool) -> str:
    parts = [base]
    if layers > 1:
        parts.append(f"{layers}layers")
    if bidirectional:
        parts.append("bidirectional")
    if reverse:
        parts.append("reverse")
    return "_".join(parts)


def _default_title(cell: Spec, layers: int, bidirectional: bool, reverse: bool) -> str:
    how = [f"{layers} stacked layers" if layers > 1 else "one layer"]
    if bidirectional:
        how.append("bidirectional")
    if reverse:
        how.append("run backwards in time")
    return f"{cell.title or cell.name}: {', '.join(how)}"


def _notes(cell: Spec, layers: int, bidirectional: bool, reverse: bool) -> str:
    return (f"Built by seqcheck.spec.compose.stacked from spec '{cell.name}' with layers = "
            f"{layers}, bidirectional = {bidirectional}, reverse = {reverse} (stacked layers: "
            "seed 000 eq. 20, seed 003; backward chains: seed 000 eq. 23-24, seed 003). "
            "Chain suffixes follow torch's parameter names: _l{layer} forward, "
            "_l{layer}_reverse backward.")
