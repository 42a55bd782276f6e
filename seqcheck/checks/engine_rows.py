"""The rows of the conformance matrix (:mod:`.conformance`): one function per engine.

Each function returns the :class:`Entry` values of one engine: which unit, with which
attributes, built how, held to which spec. :data:`ENGINE_ROWS` names them in the order the
matrix runs them; a new engine is one function and one row (its adapter module builds the
targets; docs/architecture.md, "A new target engine").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..errors import SeqcheckError

__all__ = ["ENGINE_NAMES", "ENGINE_ROWS", "Entry", "entries", "format_attributes"]


@dataclass(frozen=True)
class Entry:
    """One row to run: an engine's unit with some attributes.

    Arguments:
        engine: ``"torch"``, ``"torch-cuda"``, ``"onnx"`` or ``"onnxruntime"``.
        unit: the class or operator, e.g. ``"LSTMCell"``, ``"GRU"``.
        attributes: what the row sets, as ``{name: value}`` (empty: the defaults).
        make: builds the :class:`~seqcheck.adapters.base.Target` (and may raise
            :class:`SeqcheckError` when the engine is missing).
        baseline: for an attribute row, the attributes without the one it sets, to tell
            an ignored attribute from a wrong result (None: no such comparison).
        spec: what to hold the target to (default: its ``default_spec()``).
        lengths: the row's cases give each batch row its own length
            (:mod:`seqcheck.spec.lengths`), the shortest ``min_length`` (default: the
            target's); its baseline is then fed the same lengths and held to the
            equations without them.
        readings: for a row whose attribute the operator's text lets be read two ways,
            ``((label, spec factory), ...)``, the default reading first (the row's spec):
            the row reports which one the engine follows.
        values: every attribute's value on the row, defaults included (``--json``).
        check: for a row that is not a verify search (reservoirpy's readout fit),
            ``check(cases, seed) -> (spec, verdict, detail, extra)``, run in float64;
            ``make`` then only checks that the engine is installed.
    """

    engine: str
    unit: str
    attributes: dict
    make: Callable
    baseline: Callable | None = None
    spec: Callable | None = None
    lengths: bool = False
    min_length: int | None = None
    check: Callable | None = None
    readings: tuple = ()
    values: dict | None = None

    @property
    def label(self) -> str:
        return f"{self.unit} ({format_attributes(self.attributes)})"


def format_attributes(attributes: dict) -> str:
    """``clip=0.5, activations=Sigmoid,Relu``: as ``--attr`` takes them."""
    def show(v) -> str:
        return ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)

    return ", ".join(f"{k}={show(v)}" for k, v in attributes.items()) or "defaults"


def _torch_entries(device: str) -> list[Entry]:
    engine = "torch" if device == "cpu" else f"torch-{device}"
    rows = [("RNNCell", {}), ("LSTMCell", {}), ("GRUCell", {}),
            ("RNN", {}), ("LSTM", {}), ("GRU", {}),
            ("LSTM", {"batch_first": True}),
            ("RNN", {"nonlinearity": "relu"}),
            ("LSTM", {"num_layers": 2}), ("GRU", {"bidirectional": True}),
            ("LSTM", {"num_layers": 2, "bidirectional": True}),
            ("GRU", {"bias": False}), ("LSTM", {"proj_size": 2})]
    packed = [("LSTM", {}, True), ("LSTM", {}, False), ("GRU", {"bidirectional": True}, False),
              ("RNN", {"batch_first": True}, False),
              ("LSTM", {"num_layers": 2, "bidirectional": True}, True)]
    out = []
    for unit, attrs in rows:
        out.append(Entry(engine, unit, dict(attrs),
                         functools.partial(_torch_target, unit, attrs, device)))
    for unit, attrs, enforce in packed:  # PackedSequence rows (adapters/torch_nn/packing.py)
        make = functools.partial(_torch_target, unit, attrs, device, enforce)
        out.append(Entry(engine, unit, {**attrs, "lengths": "PackedSequence",
                                        "enforce_sorted": enforce}, make, lengths=True))
    return out


def _torch_target(unit: str, attrs: dict, device: str, enforce_sorted: bool = False):
    import torch

    from ..adapters.torch_nn import TorchTarget

    cls = getattr(torch.nn, unit)
    factory = functools.partial(cls, **attrs) if attrs else cls
    kwargs = {"device": device} if device != "cpu" else {}
    return TorchTarget(factory, name=f"torch.nn.{unit}", enforce_sorted=enforce_sorted,
                       **kwargs)


def _torchscript_entries() -> list[Entry]:
    """torch.nn's units as TorchScript: the cells scripted, the sequence modules traced
    (torch cannot run a scripted LSTM, GRU or RNN: they have no ``forward``)."""
    from ..adapters.torch_nn import TorchTarget
    from ..adapters.torch_nn.modules import torchscript_factory

    out = []
    for how, units in (("script", ("RNNCell", "LSTMCell", "GRUCell")),
                       ("trace", ("RNN", "LSTM", "GRU"))):
        for unit in units:
            factory = torchscript_factory(unit, how)
            make = functools.partial(TorchTarget, factory, name=factory.__name__)
            out.append(Entry("torchscript", unit, {"compiled by": f"torch.jit.{how}"}, make))
    return out


def _onnx_entries(engine: str) -> list[Entry]:
    from ..adapters.onnx import OPS, OnnxTarget, attribute_variants

    out = []
    for op in OPS:
        for attrs in attribute_variants(op):
            make = functools.partial(OnnxTarget, engine, op, dict(attrs))
            baseline = None
            if len(attrs) == 1 or (len(attrs) == 2 and "activation_alpha" in attrs):
                baseline = functools.partial(OnnxTarget, engine, op, _without(attrs))
            out.append(Entry(engine, op, dict(attrs), make, baseline,
                             readings=_onnx_readings(op, attrs), values=_values(op, attrs)))
        for shortest, attrs in _LENGTH_ROWS:  # the node's sequence_lens input
            node = {k: v for k, v in attrs.items() if k != "sequence_lens"}
            make = functools.partial(OnnxTarget, engine, op, node)
            out.append(Entry(engine, op, dict(attrs), make, make, lengths=True,
                             min_length=shortest, values={**_values(op, node),
                                                          "sequence_lens": attrs["sequence_lens"]}))
    return out


def _without(attrs: dict) -> dict:
    """The row's attributes without the one it tests: a parameter row's baseline is the
    activation with its defaults; any other row's, the node's defaults."""
    if "activation_alpha" in attrs or "activation_beta" in attrs:
        return {k: v for k, v in attrs.items() if not k.startswith("activation_")}
    return {}


def _values(op: str, attrs: dict) -> dict:
    """Every attribute of an ONNX row, defaults included, as JSON values."""
    from ..adapters.onnx_attributes import DEFAULTS, validate_attributes

    full = {**DEFAULTS[op], **validate_attributes(op, attrs)}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in full.items()}


def _onnx_readings(op: str, attrs: dict) -> tuple:
    """((label, spec factory), ...) for the first attribute of the row whose reading
    changes its equations (:data:`~seqcheck.adapters.onnx_attributes.READINGS`)."""
    from ..adapters.onnx_attributes import DEFAULTS, READINGS, validate_attributes
    from ..adapters.onnx_equations import onnx_spec, reads

    full = {**DEFAULTS[op], **validate_attributes(op, attrs)}
    for name, options in READINGS.items():
        if reads(name, op, full):
            return tuple((f"{name}: {o}", functools.partial(onnx_spec, op, attrs, {name: o}))
                         for o in options)
    return ()


#: (shortest row, attributes) of the ONNX rows that feed ``sequence_lens``: rows of 1..T
#: steps in each direction, and rows that may be empty (0 steps).
_LENGTH_ROWS = ((1, {"sequence_lens": "1..T"}),
                (1, {"sequence_lens": "1..T", "direction": "reverse"}),
                (1, {"sequence_lens": "1..T", "direction": "bidirectional"}),
                (0, {"sequence_lens": "0..T"}))


def _reservoirpy_entries() -> list[Entry]:
    """Each reservoir node against seed 003's ESN and against what its docstring states."""
    from ..adapters.reservoirpy import NODES, ReservoirpyTarget
    from ..spec import load_spec

    out = []
    for node in NODES:
        make = functools.partial(ReservoirpyTarget, node)
        out.append(Entry("reservoirpy", node, {"held to": "esn (seed 003)"}, make,
                         spec=functools.partial(load_spec, "esn")))
        if NODES[node][1] != "esn":
            out.append(Entry("reservoirpy", node, {"held to": "its docstring"}, make,
                             spec=lambda make=make: make().documented_spec()))
    return out + _readout_entries()


def _readout_entries() -> list[Entry]:
    """reservoirpy's readout fit and output feedback against seed 003's ridge readout
    (:mod:`seqcheck.adapters.reservoirpy_readout`): not a verify search, a check of its own."""
    from ..adapters.reservoirpy_readout import READOUT_ROWS, require_reservoirpy

    out = []
    for row in READOUT_ROWS:
        attrs = dict(row["attributes"])
        out.append(Entry("reservoirpy", attrs.pop("readout"), attrs, require_reservoirpy,
                         check=functools.partial(_readout_check, row["attributes"])))
    return out


def _readout_check(attributes: dict, cases: int, seed: int) -> tuple[str, str, str, dict]:
    from ..adapters.reservoirpy_readout import run_readout_row

    verdict, detail, extra = run_readout_row(attributes, seed=seed, cases=cases)
    return ("esn" if attributes["readout"] == "Ridge" else "esn_feedback"), verdict, detail, \
        extra


def _compiled_entries() -> list[Entry]:
    """torch.nn's cells after ``torch.compile`` (inductor, dynamic shapes): the code torch
    generates, forward and backward. torch's RNN, LSTM and GRU are not rows: dynamo runs
    them eagerly unless ``torch._dynamo.config.allow_rnn`` is set (tests/test_torch_compiled.py)."""
    from ..adapters.torch_nn import TorchTarget
    from ..adapters.torch_nn.modules import compiled_factory

    out = []
    for unit in ("RNNCell", "LSTMCell", "GRUCell"):
        factory = compiled_factory(unit, backend="inductor", dynamic=True)
        make = functools.partial(TorchTarget, factory, name=f"torch.compile(torch.nn.{unit})")
        out.append(Entry("torch-compile", unit, {"compiled by": "torch.compile (inductor)"},
                         make))
    return out


def _quantized_entries() -> list[Entry]:
    """torch.nn's LSTM and GRU after ``torch.ao.quantization.quantize_dynamic``, int8 and
    float16 weights, held to torch's equations within the slack their quantization
    allows (:mod:`seqcheck.adapters.torch_nn.quantized`)."""
    import torch

    from ..adapters.torch_nn.quantized import QuantizedTarget, quantized_factory

    return [Entry("torch-quantized", unit, {"weights": str(dtype).replace("torch.", "")},
                  functools.partial(QuantizedTarget, quantized_factory(unit, dtype)))
            for dtype in (torch.qint8, torch.float16) for unit in ("LSTM", "GRU")]


def _jax_entries() -> list[Entry]:
    """equinox's and flax's cells, each held to the spec its library's source computes
    (docs/engines.md, "JAX"); built at the sizes each case draws."""
    from ..adapters.jax import CELLS
    from ..spec import load_spec

    out = [Entry("jax", name, {}, functools.partial(_jax_target, name)) for name in CELLS]
    # flax.nnx.GRUCell's docstring writes torch's GRU, b_hn included; its code has no b_hn
    out.append(Entry("jax", "flax.nnx.GRUCell", {"held to": "gru (its docstring)"},
                     functools.partial(_jax_target, "flax.nnx.GRUCell"),
                     spec=functools.partial(load_spec, "gru")))
    return out


def _jax_target(name: str):
    from ..adapters.jax import object_target
    from .verify.targets import resolve_target

    return object_target(resolve_target(name), name)


def _keras_entries() -> list[Entry]:
    """Keras 3's layers and cells on the backend it runs on here (torch, else jax), each
    held to the spec its configuration follows (docs/engines.md, "Keras 3")."""
    rows = [("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}), ("SimpleRNN", {}),
            ("LSTMCell", {}), ("GRUCell", {}), ("SimpleRNNCell", {}),
            ("LSTM", {"go_backwards": True})]
    out = [Entry("keras", unit, dict(attrs), functools.partial(_keras_target, unit, attrs))
           for unit, attrs in rows]
    out.append(Entry("keras", "Bidirectional", {"layer": "LSTM"},
                     functools.partial(_keras_target, "Bidirectional", {})))
    masked = [("LSTM", {}), ("GRU", {"reset_after": False}), ("SimpleRNN", {}),
              ("LSTM", {"go_backwards": True}), ("Bidirectional", {"layer": "LSTM"})]
    for unit, attrs in masked:  # rows of their own lengths, through Keras's mask=
        build = {} if unit == "Bidirectional" else attrs
        out.append(Entry("keras", unit, {**attrs, "mask": "lengths 0..T"},
                         functools.partial(_keras_target, unit, build), lengths=True))
    return out


def _keras_target(unit: str, attributes: dict):
    from ..adapters.keras import KerasTarget
    from ..adapters.keras.choose import import_keras

    keras = import_keras()
    cls = getattr(keras.layers, unit)
    if unit == "Bidirectional":
        return KerasTarget(cls(keras.layers.LSTM(3)), name="keras.layers.Bidirectional(LSTM)")
    if not attributes:
        return KerasTarget(cls, name=f"keras.layers.{unit}")
    return KerasTarget(cls(3, **attributes), name=f"keras.layers.{unit}")


def _export_entries() -> list[Entry]:
    """torch.nn's sequence modules exported by each of torch's ONNX exporters and run on
    onnxruntime, held to the module's own spec: does the exported graph compute what the
    module does?"""
    from ..adapters.onnx_file.export import EXPORTERS

    units = [("RNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"bidirectional": True}),
             ("LSTM", {"num_layers": 2})]
    return [Entry("onnx-export", unit, {**attrs, "exporter": exporter},
                  functools.partial(_exported, unit, attrs, exporter))
            for exporter in EXPORTERS for unit, attrs in units]


def _exported(unit: str, attributes: dict, exporter: str):
    import torch

    from ..adapters.onnx_file import export_targets

    cls = getattr(torch.nn, unit)
    factory = functools.partial(cls, **attributes) if attributes else cls
    [exported] = export_targets(factory, [exporter], name=f"torch.nn.{unit}")
    if exported.target is None:
        raise SeqcheckError(exported.error)
    return exported.target


def _cuda_entries() -> list[Entry]:
    if not _cuda_available():
        raise SeqcheckError("engine torch-cuda: torch sees no CUDA device here")
    return _torch_entries("cuda")


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


#: engine name -> its rows, in the order the matrix runs them.
ENGINE_ROWS: dict[str, Callable[[], list[Entry]]] = {
    "torch": functools.partial(_torch_entries, "cpu"),
    "torch-cuda": _cuda_entries,
    "torchscript": _torchscript_entries,
    "torch-compile": _compiled_entries,
    "torch-quantized": _quantized_entries,
    "jax": _jax_entries,
    "keras": _keras_entries,
    "onnx": functools.partial(_onnx_entries, "onnx"),
    "onnxruntime": functools.partial(_onnx_entries, "onnxruntime"),
    "onnx-export": _export_entries,
    "reservoirpy": _reservoirpy_entries,
}

#: The engines the matrix has rows for, in the order it runs them.
ENGINE_NAMES = tuple(ENGINE_ROWS)


def entries(engines: Iterable[str] | None = None) -> list[Entry]:
    """Every row of the matrix, for ``engines`` (default: all that exist here).

    Arguments:
        engines: a subset of :data:`ENGINE_NAMES`. Named explicitly, ``"torch-cuda"``
            without a CUDA device is an error; by default it is left out.
    """
    wanted = list(engines) if engines is not None else None
    unknown = sorted(set(wanted or ()) - set(ENGINE_NAMES))
    if unknown:
        raise SeqcheckError(f"unknown engine {', '.join(unknown)}; "
                            f"choose from {', '.join(sorted(ENGINE_NAMES))}")
    out: list[Entry] = []
    for name, rows in ENGINE_ROWS.items():
        if wanted is not None and name not in wanted:
            continue
        if wanted is None and name == "torch-cuda" and not _cuda_available():
            continue
        out += rows()
    return out
