"""ONNX RNN, LSTM and GRU nodes, run by onnx.reference or onnxruntime, as verification targets.

An :class:`OnnxTarget` builds a model of ONE node (opset 22, :mod:`.onnx_model`) whose
weights, biases, initial states and peepholes are graph *inputs*, fed per case; the model
is built once per dtype and hidden size. ``onnx:LSTM`` runs it with ``onnx.reference``'s
``ReferenceEvaluator``, ``onnxruntime:LSTM`` with an ``onnxruntime.InferenceSession`` on the
CPU (one thread). The spec parameters of a :class:`~seqcheck.strategies.Case` are stacked
into ONNX's tensors (``nd`` = 2 for ``direction = "bidirectional"``, else 1; k = 1, 3, 4
blocks for RNN, GRU, LSTM)::

    ONNX     shape            blocks, top to bottom      spec parameters (one direction)
    -------  ---------------  -------------------------  -------------------------------------
    X        [T, B, D]        x_t                        x
    W        [nd, k*H, D]     LSTM i, o, f, c            W_ii, W_io, W_if, W_ic
                              GRU z, r, h                W_iz, W_ir, W_in
                              RNN                        W_ih
    R        [nd, k*H, H]     the same gate order        W_hi, W_ho, W_hf, W_hc / W_hz, ... / W_hh
    B        [nd, 2*k*H]      Wb in gate order, then Rb  b_ii, b_io, b_if, b_ic, b_hi, ... b_hc
    P        [nd, 3*H]        i, o, f (LSTM peepholes)   P_i, P_o, P_f
    initial  [nd, B, H]       initial_h, initial_c       h, c
    Y        [T, nd, B, H]    every step's H_t           h (per step)
    Y_h/Y_c  [nd, B, H]       the last H_t, C_t          h, c (final)

Direction 0 is the forward chain and direction 1 the reverse one; a bidirectional node's
spec names them with :func:`seqcheck.spec.compose.stacked`'s suffixes ``_l0`` and
``_l0_reverse`` (``W_ii_l0_reverse``, ``h_l0``); one direction keeps the cell's names. A
reverse chain's final state is its value at t = 1, as ONNX's ``Y_h`` holds it. With
``layout = 1`` X is ``[B, T, D]``, the states ``[B, nd, H]`` and Y ``[B, T, nd, H]``; the
target transposes. A case whose rows have their own lengths (``case.lengths``) is fed as
``sequence_lens`` (int32 ``[B]``, 0 allowed).

:meth:`OnnxTarget.default_spec` is the spec of the equations the operator documents for
the node's attributes (:mod:`.onnx_attributes`: direction, clip, activations and their
alpha and beta, input_forget, linear_before_reset, layout, and seqcheck's ``peepholes``
switch that feeds P; :mod:`.onnx_equations` writes the spec).

What the engines do (onnx 1.23.2, onnxruntime 1.31.1; each point is pinned by a test in
tests/test_onnx.py or tests/test_onnx_operator.py, and listed in docs/engines.md):
onnxruntime runs float32 only (no float64 RNN kernel; its float64 LSTM and GRU kernels
raise), raises for ``layout = 1``, takes 0 for the absent alpha and beta of Affine,
ThresholdedRelu and ScaledTanh, overflows in Softplus beyond 88.7, and gives a row of
length 0 a zero final state; it conforms everywhere else. onnx.reference runs float32 and
float64 and conforms in direction, layout, peepholes and linear_before_reset, but
silently ignores ``clip`` (all three ops), ``input_forget``, ``sequence_lens`` and the
LSTM's and GRU's ``activations``; its RNN raises for any activation but Tanh.

onnx and onnxruntime are imported only when a target is built.
"""

from __future__ import annotations

import functools
import importlib
import zlib
from collections.abc import Mapping

import numpy as np

from ..errors import SeqcheckError
from .base import Observed, Target
from .onnx_attributes import (
    DEFAULTS,
    OPS,
    attribute_variants,
    check_op,
    parse_attributes,
    show,
    validate_attributes,
)
from .onnx_equations import onnx_spec
from .onnx_model import GATES as _GATES
from .onnx_model import OPSET, node_model

__all__ = ["ENGINES", "OPS", "OPSET", "OnnxTarget", "attribute_variants", "onnx_spec",
           "named_target", "parse_attributes", "parse_onnx_target", "stacked_slots"]

ENGINES = ("onnx", "onnxruntime")
_INSTALL = "pip install 'seqcheck[onnx]'"

_PEEPHOLES = ("P_i", "P_o", "P_f")  # ONNX's P: i, o, f

#: (engine, op) -> why the engine cannot run float64.
_NO_FLOAT64 = {
    ("onnxruntime", "RNN"): "onnxruntime has no float64 RNN kernel (NOT_IMPLEMENTED)",
    ("onnxruntime", "LSTM"): "onnxruntime's float64 LSTM kernel raises 'LSTM operator does "
                             "not support double yet'",
    ("onnxruntime", "GRU"): "onnxruntime's float64 GRU kernel raises 'GRU operator does not "
                            "support double yet'",
}


# -- naming a target and its attributes --------------------------------------------------
def parse_onnx_target(text: str) -> tuple[str, str] | None:
    """``"onnx:LSTM"`` -> ``("onnx", "LSTM")``; None for a name that is not an ONNX target.

    Raises:
        SeqcheckError: an ONNX engine with an unknown operator, naming the valid ones.

    >>> # the engine, then the operator (any case)
    >>> parse_onnx_target("onnxruntime:gru"), parse_onnx_target("torch.nn.LSTM")
    (('onnxruntime', 'GRU'), None)
    """
    if not isinstance(text, str):
        return None
    engine, sep, op = text.partition(":")
    if not sep or engine not in ENGINES:
        return None
    if op.upper() in OPS:
        return engine, op.upper()
    from ..spec.suggest import did_you_mean

    close = did_you_mean(op.upper(), OPS)
    hint = f"did you mean '{engine}:{close}'? " if close else ""
    raise SeqcheckError(f"unknown ONNX operator {op!r} in target {text!r}\n  hint: {hint}"
                        f"choose from {', '.join(f'{engine}:{o}' for o in OPS)}")


def named_target(text: str, attributes: Mapping | None = None) -> OnnxTarget | None:
    """The node ``"onnx:LSTM"`` names, with ``attributes``; None for a name that is not an
    ONNX target. The hook :mod:`.engines` calls."""
    parsed = parse_onnx_target(text)
    return None if parsed is None else OnnxTarget(*parsed, attributes=attributes)


# -- the target -----------------------------------------------------------------------------
class OnnxTarget(Target):
    """One ONNX RNN, LSTM or GRU node, run by ``engine``, as a verification target.

    Arguments:
        engine: ``"onnx"`` (onnx.reference) or ``"onnxruntime"`` (its CPU kernels).
        op: ``"RNN"``, ``"LSTM"`` or ``"GRU"``.
        attributes: ``{name: value}`` as :func:`parse_attributes` returns them (strings
            are accepted too); see the module docstring.
    Raises:
        SeqcheckError: an unknown engine, op or attribute, or the engine not installed.

    >>> # onnxruntime's bidirectional GRU: h of both chains every step, both final states
    >>> target = OnnxTarget("onnxruntime", "GRU", {"direction": "bidirectional"})
    >>> target.outputs, target.dtypes, target.default_spec().name
    (('h_l0', 'h_l0_reverse'), ('float32',), 'gru_lbr0_bidirectional')
    """

    has_gradients = False
    min_length = 0  # sequence_lens may hold 0: a row with no step

    def __init__(self, engine: str, op: str, attributes: Mapping | None = None):
        if engine not in ENGINES:
            raise SeqcheckError(f"unknown ONNX engine {engine!r}; choose from "
                                f"{', '.join(ENGINES)}")
        if attributes is not None and not isinstance(attributes, Mapping):
            raise SeqcheckError(f"attributes must be a dict {{name: value}}, got "
                                f"{type(attributes).__name__}\n  hint: parse_attributes "
                                "turns 'name=value' strings into one")
        self.engine, self.op = engine, check_op(op)
        self.attributes = validate_attributes(self.op, attributes or {})
        self._all = {**DEFAULTS[self.op], **self.attributes}
        _engine_module(engine)  # fail here, not in the middle of a search
        bidirectional = self._all["direction"] == "bidirectional"
        self._suffixes = ("_l0", "_l0_reverse") if bidirectional else ("",)
        state_names = ("h", "c") if self.op == "LSTM" else ("h",)
        self.name = f"{engine}:{self.op}"
        self.outputs = tuple(f"h{s}" for s in self._suffixes)
        self.states = tuple(f"{v}{s}" for v in state_names for s in self._suffixes)
        self.dtypes = ("float32",) if (engine, self.op) in _NO_FLOAT64 else \
            ("float32", "float64")
        shown = ", ".join(f"{k}={show(v)}" for k, v in self.attributes.items())
        order = ", ".join("h" if g == "n" and self.op == "GRU" else g
                          for g in _GATES[self.op])
        self.description = (f"ONNX {self.op} node, opset {OPSET}, "
                            f"{shown or 'default attributes'}; W, R, B stacked in gate "
                            f"order {order}")

    def default_spec(self):
        """The equations ONNX documents for this op and these attributes (see
        :func:`onnx_spec`)."""
        return _cached_spec(self.op, _key(self._all))

    def check_dtype(self, dtype: str) -> None:
        """Raise :class:`SeqcheckError`, naming the fix, if the engine cannot run ``dtype``."""
        if dtype in self.dtypes:
            return
        if dtype in ("float32", "float64"):
            raise SeqcheckError(
                f"{self.name} runs in float32 only: {_NO_FLOAT64[(self.engine, self.op)]}\n"
                f"  hint: verify it in float32, or run the node with onnx.reference "
                f"(onnx:{self.op}) for float64")
        raise SeqcheckError(f"dtype must be float32 or float64; got {dtype!r}")

    def model(self, dtype: str, hidden_size: int, lengths: bool = False):
        """The ``onnx.ModelProto`` of the node, inputs X, W, R, B, initial_h (, initial_c, P).

        Arguments:
            dtype: ``"float32"`` or ``"float64"``, the element type of every input.
            hidden_size: H; T, B and D are left symbolic.
            lengths: the node reads ``sequence_lens`` (int32 ``[B]``), a graph input.

        >>> # the inputs an LSTM node with peepholes takes (opset 22)
        >>> m = OnnxTarget("onnx", "LSTM", {"peepholes": 1}).model("float32", 3)
        >>> [i.name for i in m.graph.input], m.opset_import[0].version
        (['X', 'W', 'R', 'B', 'initial_h', 'initial_c', 'P'], 22)
        """
        import onnx

        model = onnx.ModelProto()
        model.CopyFrom(node_model(self.op, _key(self._all), dtype, int(hidden_size),
                                   bool(lengths)))
        return model

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """Run the node on ``case`` (see :class:`~seqcheck.adapters.base.Target`).

        Every weight block is read from ``case.params`` by its spec name. A block the
        case does not carry but the node needs -- the forget gate's under
        ``input_forget = 1``, or peepholes checked against a spec without them -- is
        filled with fixed pseudo-random values, never zeros, so that an engine that uses
        it where the spec does not shows. A case parameter the node has no place for is
        an error. The engine runs with NumPy's floating-point warnings off (onnx.reference
        overflows ``exp`` in saturated sigmoids, harmlessly); a non-finite output is a
        divergence like any other.

        Returns:
            per-step ``h`` (``(T, B, H)``, one per direction) and the final ``h`` (and
            ``c``), as float64 copies.
        """
        if gradients:
            raise SeqcheckError(f"{self.name} cannot differentiate: ONNX engines run "
                                "forward only\n  hint: verify outputs and states only "
                                "(gradients=False)")
        self.check_dtype(dtype)
        if "x" not in case.inputs:
            raise SeqcheckError(f"{self.name} reads the sequence input x; the case has "
                                f"{', '.join(case.inputs) or 'none'}")
        x = np.asarray(case.inputs["x"])
        T, B = x.shape[:2]
        H = int(case.sizes["H"]) if "H" in case.sizes else int(case.initial[self.states[0]]
                                                                 .shape[-1])
        feeds = self._feeds(case, np.dtype(dtype), x, H)
        batch_major = self._all.get("layout") == 1  # X [B, T, D], initial [B, nd, H]
        if batch_major:
            for name in ("X", "initial_h", "initial_c"):
                if name in feeds:
                    feeds[name] = np.ascontiguousarray(feeds[name].swapaxes(0, 1))
        lengths = case.lengths is not None
        if lengths:  # rows of their own lengths: the node's sequence_lens, int32 [B]
            feeds["sequence_lens"] = np.asarray(case.lengths, dtype=np.int32)
        runner = _runner(self.engine, self.op, _key(self._all), dtype, H, lengths)
        with np.errstate(all="ignore"):
            results = runner(feeds)
        nd = len(self._suffixes)
        names = ("Y", "Y_h", "Y_c")[:len(results)]
        shapes = {"Y": (T, nd, B, H), "Y_h": (nd, B, H), "Y_c": (nd, B, H)}
        if batch_major:
            shapes = {"Y": (B, T, nd, H), "Y_h": (B, nd, H), "Y_c": (B, nd, H)}
        out = {}
        for name, value in zip(names, results):
            value = np.array(value, dtype=np.float64)
            if value.shape != shapes[name]:
                raise SeqcheckError(f"{self.name} returned {name} of shape {value.shape}; "
                                    f"ONNX specifies {list(shapes[name])}"
                                    + (" for layout = 1" if batch_major else ""))
            # time-major as layout 0 writes it: Y [T, nd, B, H], Y_h and Y_c [nd, B, H]
            out[name] = value.transpose(1, 2, 0, 3) if batch_major and name == "Y" else \
                value.swapaxes(0, 1) if batch_major else value
        per_step = {f"h{s}": out["Y"][:, d] for d, s in enumerate(self._suffixes)}
        final = {f"h{s}": out["Y_h"][d] for d, s in enumerate(self._suffixes)}
        if self.op == "LSTM":
            final.update({f"c{s}": out["Y_c"][d] for d, s in enumerate(self._suffixes)})
        return Observed(per_step, final)

    def _slots(self) -> dict[str, list[str]]:
        """ONNX input -> the spec parameters stacked in it, for one direction."""
        return stacked_slots(self.op, bool(self._all.get("peepholes")))

    def _feeds(self, case, dtype: np.dtype, x: np.ndarray, H: int) -> dict[str, np.ndarray]:
        params = case.params
        slots = self._slots()
        names = {p + s for s in self._suffixes for ps in slots.values() for p in ps}
        extra = sorted(set(params) - names)
        if extra:
            raise SeqcheckError(f"{self.name} ({self.description}) has no place for "
                                f"parameters {', '.join(extra)}")
        fillable = set(_PEEPHOLES)
        if self._all.get("input_forget"):  # either gate may be the other's complement
            fillable |= {f"{w}{g}" for w in ("W_i", "W_h", "b_i", "b_h") for g in "if"}
        D = x.shape[-1]
        feeds = {"X": x.astype(dtype)}
        for slot, stems in slots.items():
            per_direction = []
            for s in self._suffixes:
                blocks = []
                for stem in stems:
                    shape = {"W": (H, D), "R": (H, H)}.get(slot, (H,))
                    if stem + s in params:
                        block = np.asarray(params[stem + s], dtype=np.float64)
                        if block.shape != shape:
                            raise SeqcheckError(f"{stem + s} has shape {block.shape}; "
                                                f"{self.name} stacks blocks of shape {shape} "
                                                f"in {slot}")
                    elif stem in fillable:
                        block = _filler(stem + s, shape)
                    else:
                        raise SeqcheckError(f"{self.name} needs parameter {stem + s} (a block "
                                            f"of {slot}); the case has "
                                            f"{', '.join(params) or 'none'}")
                    blocks.append(block)
                per_direction.append(np.concatenate(blocks))
            feeds[slot] = np.stack(per_direction).astype(dtype)
        for v in ("h", "c")[:2 if self.op == "LSTM" else 1]:
            missing = [v + s for s in self._suffixes if v + s not in case.initial]
            if missing:
                raise SeqcheckError(f"{self.name} needs initial values for "
                                    f"{', '.join(missing)}")
            feeds[f"initial_{v}"] = np.stack([np.asarray(case.initial[v + s])
                                              for s in self._suffixes]).astype(dtype)
        return feeds


def stacked_slots(op: str, peepholes: bool = False) -> dict[str, list[str]]:
    """ONNX input -> the spec parameters stacked in it, top to bottom, for one direction.

    >>> # the GRU's W holds z, r, h: spec W_iz, W_ir, W_in (see the module docstring)
    >>> stacked_slots("GRU")["W"], stacked_slots("LSTM", peepholes=True)["P"]
    (['W_iz', 'W_ir', 'W_in'], ['P_i', 'P_o', 'P_f'])
    """
    gates = _GATES[check_op(op)]
    slots = {"W": [f"W_i{g}" for g in gates], "R": [f"W_h{g}" for g in gates],
             "B": [f"b_i{g}" for g in gates] + [f"b_h{g}" for g in gates]}
    if peepholes:
        slots["P"] = list(_PEEPHOLES)
    return slots


def _filler(name: str, shape: tuple) -> np.ndarray:
    """Fixed pseudo-random values in [-1, 1] for a block no spec parameter stands for."""
    return np.random.default_rng(zlib.crc32(name.encode())).uniform(-1.0, 1.0, shape)


def _key(attributes: Mapping) -> tuple:
    return tuple(sorted(attributes.items()))


@functools.lru_cache(maxsize=32)
def _cached_spec(op: str, key: tuple):
    return onnx_spec(op, {k: v for k, v in key if v is not None})


# -- building and running the model ---------------------------------------------------------
def _engine_module(engine: str):
    name = "onnx.reference" if engine == "onnx" else "onnxruntime"
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise SeqcheckError(f"ONNX targets ({engine}:...) need the {e.name} package, which is "
                            f"not installed: {_INSTALL}") from None


@functools.lru_cache(maxsize=64)
def _runner(engine: str, op: str, key: tuple, dtype: str, H: int, lengths: bool = False):
    """``feeds -> [Y, Y_h(, Y_c)]`` for the node, built once per (engine, op, attributes,
    dtype, H, whether it reads sequence_lens)."""
    model = node_model(op, key, dtype, H, lengths)
    module = _engine_module(engine)
    if engine == "onnx":
        evaluator = module.ReferenceEvaluator(model)
        return lambda feeds: evaluator.run(None, feeds)
    options = module.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 4  # failures arrive as exceptions; no copy on stderr
    session = module.InferenceSession(model.SerializeToString(), options,
                                      providers=["CPUExecutionProvider"])
    return lambda feeds: session.run(None, feeds)
