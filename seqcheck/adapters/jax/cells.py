"""What each recurrent cell of equinox and flax computes, and where the spec's parameters lie.

One :class:`Cell` row per class, established from the library's source (equinox 0.13.8,
flax 0.12.8; the ``source`` of each row names the file and function) and pinned by an
independent NumPy transcription in ``tests/oracles/jax_cells.py``:

- **equinox** stacks the gates in row blocks of ``weight_ih`` ``(kH, D)`` and
  ``weight_hh`` ``(kH, H)`` (column vectors, as the specs write W); the LSTM's one ``bias``
  ``(4H,)`` stands for the spec's ``b_i* + b_h*``; the GRU's ``bias`` ``(3H,)`` is
  ``b_ir + b_hr``, ``b_iz + b_hz``, ``b_in`` and ``bias_n`` is ``b_hn``, inside the reset
  product. Carry ``(h, c)``.
- **flax** multiplies row vectors: every kernel is ``(in, out)``, the transpose of the
  spec's W. linen names one Dense per gate and side (``ii``, ``hi``, ..., the candidate
  ``g`` being the spec's ``c_tilde``); the LSTMs' biases live on the recurrent side
  (``hi/bias`` = ``b_ii + b_hi``), the GRU's on the input side for r and z (``ir/bias``
  = ``b_ir + b_hr``) and on both sides for n (``in/bias`` = ``b_in``, ``hn/bias`` =
  ``b_hn``). Carry ``(c, h)`` for the LSTMs, and every flax cell returns ``(carry, h)``.
- **flax.nnx** fuses the gates into ``dense_i`` / ``dense_h`` for OptimizedLSTMCell and
  GRUCell (columns i, f, g, o and r, z, n). nnx's GRUCell has no recurrent bias at all
  (``dense_h`` is built with ``use_bias=False``): ``n = tanh(W_in x + b_in + r * W_hn h)``.
  Its docstring writes ``r * (W_hn h + b_hn)``; the code does not. It follows spec
  ``gru_no_b_hn`` (spec gru without ``b_hn``), built here.

Defaults the layouts hold: ``gate_fn`` sigmoid and ``activation_fn`` tanh (flax), no
``residual`` (SimpleCell). A cell configured otherwise is refused by name.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ...errors import SeqcheckError
from ..blocks import Block, Concat, Term, gates

__all__ = ["CELLS", "Cell", "cell_named", "known_class", "recognise", "spec_of"]


@dataclass(frozen=True)
class Cell:
    """One class of a JAX library and the spec it computes.

    Attributes:
        name: the public name, ``"flax.linen.GRUCell"``.
        library: ``"equinox"``, ``"flax.linen"`` or ``"flax.nnx"``.
        spec: the bundled spec (or variant) its default configuration follows.
        layout: ``{pytree path: Block}`` of its parameters.
        carry: the spec states in the library's carry order (flax's LSTM: ``("c", "h")``).
        biases: the layout's paths that ``use_bias=False`` removes (equinox).
        source: the file and function the row was read from.
    """

    name: str
    library: str
    spec: str
    layout: Mapping[str, Block]
    carry: tuple[str, ...]
    biases: tuple[str, ...] = ()
    source: str = ""

    def layout_for(self, bias: bool = True) -> dict[str, Block]:
        """The layout, without the bias paths when ``bias`` is False."""
        return {p: b for p, b in self.layout.items() if bias or p not in self.biases}

    def spec_name(self, bias: bool = True) -> str:
        return self.spec if bias else f"{self.spec}_nobias"


def _t(name: str) -> Term:
    return Term((name,), transpose=True)


_LSTM = "ifco"  # the spec's gate letters in equinox's and flax's order i, f, g, o

_EQX_LSTM = {"weight_ih": gates("W_i{g}", _LSTM), "weight_hh": gates("W_h{g}", _LSTM),
             "bias": gates("b_i{g}+b_h{g}", _LSTM)}
_GRU_BIAS = Concat((Term(("b_ir", "b_hr")), Term(("b_iz", "b_hz")), Term(("b_in",))))
_EQX_GRU = {"weight_ih": gates("W_i{g}", "rzn"), "weight_hh": gates("W_h{g}", "rzn"),
            "bias": _GRU_BIAS, "bias_n": Term(("b_hn",))}


def _per_gate_lstm(forget_input: str) -> dict[str, Block]:
    """flax's per-gate Dense names: i{g} (kernel only) and h{g} (kernel, bias)."""
    layout: dict[str, Block] = {}
    for g, s in zip("ifgo", _LSTM):
        layout[f"{forget_input if g == 'f' else 'i' + g}/kernel"] = _t(f"W_i{s}")
        layout[f"h{g}/kernel"] = _t(f"W_h{s}")
        layout[f"h{g}/bias"] = Term((f"b_i{s}", f"b_h{s}"))
    return layout


_LINEN_GRU = {"ir/kernel": _t("W_ir"), "iz/kernel": _t("W_iz"), "in/kernel": _t("W_in"),
              "hr/kernel": _t("W_hr"), "hz/kernel": _t("W_hz"), "hn/kernel": _t("W_hn"),
              "ir/bias": Term(("b_ir", "b_hr")), "iz/bias": Term(("b_iz", "b_hz")),
              "in/bias": Term(("b_in",)), "hn/bias": Term(("b_hn",))}
_NNX_OPTIMIZED_LSTM = {"dense_i/kernel": gates("W_i{g}", _LSTM, transpose=True, axis=1),
                       "dense_h/kernel": gates("W_h{g}", _LSTM, transpose=True, axis=1),
                       "dense_h/bias": gates("b_i{g}+b_h{g}", _LSTM)}
_NNX_GRU = {"dense_i/kernel": gates("W_i{g}", "rzn", transpose=True, axis=1),
            "dense_i/bias": _GRU_BIAS,
            "dense_h/kernel": gates("W_h{g}", "rzn", transpose=True, axis=1)}
_SIMPLE_BIAS = Term(("b_ih", "b_hh"))

_EQX, _LINEN, _NNX = ("equinox/nn/_rnn.py", "flax/linen/recurrent.py",
                      "flax/nnx/nn/recurrent.py")

#: Every class seqcheck holds, by public name.
CELLS: dict[str, Cell] = {c.name: c for c in (
    Cell("equinox.nn.LSTMCell", "equinox", "lstm", _EQX_LSTM, ("h", "c"), ("bias",),
         f"{_EQX}, LSTMCell.__call__"),
    Cell("equinox.nn.GRUCell", "equinox", "gru", _EQX_GRU, ("h",), ("bias", "bias_n"),
         f"{_EQX}, GRUCell.__call__"),
    Cell("flax.linen.LSTMCell", "flax.linen", "lstm", _per_gate_lstm("if"), ("c", "h"),
         source=f"{_LINEN}, LSTMCell.__call__"),
    Cell("flax.linen.OptimizedLSTMCell", "flax.linen", "lstm", _per_gate_lstm("if"),
         ("c", "h"), source=f"{_LINEN}, OptimizedLSTMCell.__call__ and DenseParams"),
    Cell("flax.linen.GRUCell", "flax.linen", "gru", _LINEN_GRU, ("h",),
         source=f"{_LINEN}, GRUCell.__call__"),
    Cell("flax.linen.SimpleCell", "flax.linen", "rnn_torch",
         {"i/kernel": _t("W_ih"), "i/bias": _SIMPLE_BIAS, "h/kernel": _t("W_hh")}, ("h",),
         source=f"{_LINEN}, SimpleCell.__call__"),
    Cell("flax.nnx.LSTMCell", "flax.nnx", "lstm", _per_gate_lstm("if_"), ("c", "h"),
         source=f"{_NNX}, LSTMCell.__init__ and __call__"),
    Cell("flax.nnx.OptimizedLSTMCell", "flax.nnx", "lstm", _NNX_OPTIMIZED_LSTM, ("c", "h"),
         source=f"{_NNX}, OptimizedLSTMCell.__init__ and __call__"),
    Cell("flax.nnx.GRUCell", "flax.nnx", "gru_no_b_hn", _NNX_GRU, ("h",),
         source=f"{_NNX}, GRUCell.__init__ and __call__"),
    Cell("flax.nnx.SimpleCell", "flax.nnx", "rnn_torch",
         {"dense_i/kernel": _t("W_ih"), "dense_i/bias": _SIMPLE_BIAS,
          "dense_h/kernel": _t("W_hh")}, ("h",),
         source=f"{_NNX}, SimpleCell.__init__ and __call__"),
)}

#: The module each library's classes are defined in (their ``__module__``).
_DEFINED_IN = {"equinox": "equinox", "flax.linen": "flax.linen", "flax.nnx": "flax.nnx"}


def cell_named(name: str) -> Cell:
    """The row of a public class name; a :class:`SeqcheckError` listing them otherwise."""
    if name not in CELLS:
        raise SeqcheckError(f"no JAX cell {name!r}; seqcheck knows {', '.join(CELLS)}")
    return CELLS[name]


def known_class(cell: Cell):
    """The class a row names, or None where the installed library has no such class.

    The library is imported only if it already is (an object of it exists).
    """
    module_name, _, attr = cell.name.rpartition(".")
    top = module_name.partition(".")[0]
    if top not in sys.modules:
        return None
    return getattr(importlib.import_module(module_name), attr, None)


def recognise(obj) -> tuple[Cell, type]:
    """The row of a class, a subclass or an instance of one (walking the MRO to the first
    known class), and that class.

    Raises:
        SeqcheckError: ``obj`` is of no known class; the message lists them.
    """
    cls = obj if isinstance(obj, type) else type(obj)
    for base in cls.__mro__:
        module = getattr(base, "__module__", "") or ""
        for cell in CELLS.values():
            if module.startswith(_DEFINED_IN[cell.library]) and known_class(cell) is base:
                return cell, base
    what = ("class " if isinstance(obj, type) else "an instance of ") + \
        f"{cls.__module__}.{cls.__qualname__}"
    raise SeqcheckError(
        f"{what} is not a recurrent cell seqcheck knows\n  hint: seqcheck holds these "
        f"classes, their subclasses and instances: {', '.join(CELLS)}; any other JAX cell "
        "through JaxTarget.from_function(step, params, layout, spec)")


@functools.cache
def spec_of(name: str):
    """The spec a row names: a bundled spec, ``<spec>_nobias`` (every bias dropped, as
    torch's ``bias=False`` layouts build it) or ``gru_no_b_hn``.

    >>> spec_of("gru_no_b_hn").equation("n").text
    'tanh(W_in @ x + b_in + r * (W_hn @ h[t-1]))'
    """
    from ...spec import load_spec, loads_spec
    from ...spec.toml_text import toml_string

    if name.endswith("_nobias"):
        from ..torch_nn.specs import cell_spec

        return cell_spec(name[: -len("_nobias")], bias=False)
    if name != "gru_no_b_hn":
        return load_spec(name)
    gru = load_spec("gru")
    notes = ("flax.nnx.GRUCell (flax 0.12.8, flax/nnx/nn/recurrent.py, GRUCell): dense_i "
             "(D, 3H) has a bias, dense_h (H, 3H) has none, so the candidate is "
             "n = tanh(W_in x + b_in + r * (W_hn h)). Spec gru with its b_hn dropped.")
    text = "\n".join([
        'name = "gru_no_b_hn"',
        "title = " + toml_string("GRU without the recurrent bias of the candidate "
                                 "(reset after the recurrent product; flax.nnx.GRUCell)"),
        "notes = " + toml_string(notes),
        "extends = " + toml_string(Path(gru.path).resolve().as_posix()),
        'drop = ["b_hn"]',
        "",
        "[equations]",
        'n = "tanh(W_in @ x + b_in + r * (W_hn @ h[t-1]))"',
    ])
    return loads_spec(text + "\n", file="<gru_no_b_hn: variant of gru>")
