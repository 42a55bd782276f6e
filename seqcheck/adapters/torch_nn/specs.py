"""The spec a torch layout follows: a bundled cell spec, varied and stacked as torch is built.

torch's constructor arguments change the equations in three ways, each made into an
ordinary spec (validated, derived and compiled like any in the catalogue):

- ``bias=False`` drops every bias: a variant that ``extends`` the cell spec, ``drop``\\ s its
  vector parameters (torch's ``b_ih``, ``b_hh`` blocks) and removes their ``+ b`` terms
  from the equations (``lstm_nobias``, ``gru_nobias``, ``rnn_torch_nobias``);
- ``nonlinearity="relu"`` (torch.nn.RNN, RNNCell) replaces the tanh of spec rnn_torch by a
  relu (``rnn_torch_relu``), as torch documents: h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1}
  + b_hh);
- ``proj_size > 0`` (torch.nn.LSTM) is spec ``lstm_proj``;

then ``num_layers`` and ``bidirectional`` stack the cell with
:func:`seqcheck.spec.compose.stacked` (``lstm_2layers_bidirectional``).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from ...errors import SeqcheckError
from ...spec import Spec, load_spec, loads_spec

__all__ = ["NONLINEARITIES", "cell_spec", "layout_spec", "layout_spec_name"]

#: torch.nn.RNN's nonlinearities (LSTM and GRU have none to choose).
NONLINEARITIES = ("tanh", "relu")


def _cell_name(base: str, bias: bool, nonlinearity: str, proj: bool) -> str:
    name = "lstm_proj" if proj else base
    name += f"_{nonlinearity}" if nonlinearity != "tanh" else ""
    return name + ("_nobias" if not bias else "")


def layout_spec_name(base: str, *, bias: bool = True, nonlinearity: str = "tanh",
                     proj: bool = False, layers: int = 1, bidirectional: bool = False) -> str:
    """The name of :func:`layout_spec` with the same arguments, without building it.

    >>> layout_spec_name("gru", bias=False, layers=2, bidirectional=True)
    'gru_nobias_2layers_bidirectional'
    """
    name = _cell_name(base, bias, nonlinearity, proj)
    name += f"_{layers}layers" if layers > 1 else ""
    return name + ("_bidirectional" if bidirectional else "")


@functools.cache
def cell_spec(base: str, *, bias: bool = True, nonlinearity: str = "tanh",
              proj: bool = False) -> Spec:
    """One layer in one direction: bundled spec ``base`` (or ``lstm_proj``), varied.

    Arguments:
        base: ``"lstm"``, ``"gru"`` or ``"rnn_torch"`` (a :class:`Family`'s spec).
        bias: False drops the biases (the spec's vector parameters) and their terms.
        nonlinearity: ``"relu"`` replaces the tanh of rnn_torch's h.
        proj: an LSTM with torch's projection (spec lstm_proj).
    Returns:
        The bundled spec itself, or a variant named ``<spec>[_relu][_nobias]``.

    >>> # torch.nn.RNNCell(bias=False, nonlinearity="relu")
    >>> spec = cell_spec("rnn_torch", bias=False, nonlinearity="relu")
    >>> spec.name, spec.equation("h").text
    ('rnn_torch_relu_nobias', 'relu(W_ih @ x + W_hh @ h[t-1])')
    """
    if proj and base != "lstm":
        raise SeqcheckError(f"only an LSTM has a projection; got spec {base!r}")
    if nonlinearity not in NONLINEARITIES:
        raise SeqcheckError(f"nonlinearity must be one of {', '.join(NONLINEARITIES)}; "
                            f"got {nonlinearity!r}")
    spec = load_spec("lstm_proj" if proj else base)
    if bias and nonlinearity == "tanh":
        return spec
    biases = [] if bias else [p for p, d in spec.params.items() if len(d.shape) == 1]
    term = re.compile(r"\s*\+\s*(" + "|".join(map(re.escape, biases)) + r")\b") \
        if biases else None
    equations, changes = {}, []
    for e in spec.equations:
        text = term.sub("", e.text) if term else e.text
        if nonlinearity != "tanh" and e.target == "h":
            inner = re.fullmatch(r"tanh\((.*)\)", text)
            if inner is None:
                raise SeqcheckError(f"spec {spec.name!r} computes h as {e.text!r}, not as "
                                    "tanh(...): it has no tanh to replace by "
                                    f"{nonlinearity}")
            text = f"{nonlinearity}({inner.group(1)})"
        if text != e.text:
            equations[e.target] = text
    if biases:
        changes.append(f"bias=False drops the biases {', '.join(biases)} and their terms")
    if nonlinearity != "tanh":
        changes.append(f"nonlinearity='{nonlinearity}' computes h with {nonlinearity} in "
                       "place of tanh, as torch.nn.RNN documents")
    name, what = _cell_name(base, bias, nonlinearity, proj), "; ".join(changes)
    notes = f"Built by seqcheck.adapters.torch_nn from spec {spec.name}: {what}."
    lines = [f"name = {_quote(name)}",
             f"title = {_quote(f'{spec.title or spec.name} -- {what}')}",
             f"notes = {_quote(notes)}",
             f"extends = {_quote(Path(spec.path).resolve().as_posix())}"]
    if biases:
        lines.append("drop = [" + ", ".join(_quote(b) for b in biases) + "]")
    lines.append("\n[equations]")
    lines += [f"{t} = {_quote(x)}" for t, x in equations.items()]
    return loads_spec("\n".join(lines) + "\n", file=f"<{name}: variant of {spec.name}>")


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


@functools.cache
def layout_spec(base: str, *, bias: bool = True, nonlinearity: str = "tanh", proj: bool = False,
                layers: int = 1, bidirectional: bool = False) -> Spec:
    """:func:`cell_spec`, stacked ``layers`` deep in one or two directions.

    One layer in one direction is the cell spec itself; otherwise
    :func:`~seqcheck.spec.compose.stacked` names every chain's symbols with torch's
    suffixes (``W_ii_l1_reverse``, ``h_l0``).

    >>> # torch.nn.LSTM(num_layers=2, proj_size=P): layer 1 reads layer 0's P-sized h
    >>> spec = layout_spec("lstm", proj=True, layers=2)
    >>> spec.name, spec.params["W_ii_l1"].shape, spec.states["h_l1"].shape
    ('lstm_proj_2layers', (H, P), (P,))
    """
    cell = cell_spec(base, bias=bias, nonlinearity=nonlinearity, proj=proj)
    if layers == 1 and not bidirectional:
        return cell
    from ...spec.compose import stacked

    return stacked(cell, layers=layers, bidirectional=bidirectional,
                   name=layout_spec_name(base, bias=bias, nonlinearity=nonlinearity, proj=proj,
                                         layers=layers, bidirectional=bidirectional))
