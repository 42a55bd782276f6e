"""The conformance matrix: every engine, every recurrent unit, every attribute variant.

``seqcheck conformance`` verifies torch.nn's recurrent modules (on the CPU, and on CUDA
when torch sees a GPU), ONNX's RNN, LSTM and GRU nodes run by onnx.reference and by
onnxruntime, across the attribute variants each documents, against the spec of the
equations it documents for those attributes, in every dtype it runs in; and
reservoirpy's reservoir nodes against seed 003's echo state network and against the
equations their docstrings state.

A row that does not conform is examined further, so the table says *how* it differs:

- the engine raised (``raises``), with its message;
- it conforms to the equations *without* the attribute the row sets (``ignores``): the
  engine accepts the attribute and silently computes something else;
- otherwise it ``diverges``, with the first divergence of the shrunk counterexample and
  the single change of the spec that explains it, when one is found.

An engine that is not installed is listed as ``unavailable``, with the install hint;
nothing is skipped silently.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..errors import SeqcheckError
from .verify import verify

__all__ = ["ENGINE_NAMES", "Row", "Entry", "entries", "run_conformance", "format_table",
           "format_attributes"]


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
    """

    engine: str
    unit: str
    attributes: dict
    make: Callable
    baseline: Callable | None = None
    spec: Callable | None = None

    @property
    def label(self) -> str:
        return f"{self.unit} ({format_attributes(self.attributes)})"


@dataclass(frozen=True)
class Row:
    """The outcome of one entry in one dtype."""

    engine: str
    unit: str
    attributes: dict
    dtype: str
    spec: str
    verdict: str  # conforms, diverges, ignores, raises, unavailable
    detail: str = ""
    gradients: bool = False
    seconds: float = 0.0
    examples: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"engine": self.engine, "unit": self.unit, "attributes": self.attributes,
                "dtype": self.dtype, "spec": self.spec, "verdict": self.verdict,
                "ok": self.verdict == "conforms", "detail": self.detail,
                "gradients": self.gradients, "examples": self.examples,
                "seconds": round(self.seconds, 3), **self.extra}


# -- the entries ----------------------------------------------------------------------
def _torch_entries(device: str) -> list[Entry]:
    from ..adapters.torch_nn import TorchTarget

    engine = "torch" if device == "cpu" else f"torch-{device}"
    rows = [("RNNCell", {}), ("LSTMCell", {}), ("GRUCell", {}),
            ("RNN", {}), ("LSTM", {}), ("GRU", {}),
            ("LSTM", {"batch_first": True}),
            ("RNN", {"nonlinearity": "relu"}),
            ("LSTM", {"num_layers": 2}), ("GRU", {"bidirectional": True}),
            ("LSTM", {"num_layers": 2, "bidirectional": True}),
            ("GRU", {"bias": False}), ("LSTM", {"proj_size": 2})]
    out = []
    for unit, attrs in rows:
        def make(unit=unit, attrs=attrs):
            import torch

            cls = getattr(torch.nn, unit)
            factory = functools.partial(cls, **attrs) if attrs else cls
            kwargs = {"device": device} if device != "cpu" else {}
            return TorchTarget(factory, name=f"torch.nn.{unit}", **kwargs)
        out.append(Entry(engine, unit, dict(attrs), make))
    return out


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


def _onnx_entries() -> list[Entry]:
    from ..adapters.onnx import ENGINES, OPS, OnnxTarget, attribute_variants

    out = []
    for engine in ENGINES:
        for op in OPS:
            for attrs in attribute_variants(op):
                make = functools.partial(OnnxTarget, engine, op, dict(attrs))
                baseline = None
                if len(attrs) == 1:
                    baseline = functools.partial(OnnxTarget, engine, op, {})
                out.append(Entry(engine, op, dict(attrs), make, baseline))
    return out


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
    return out


#: The engines the matrix has rows for, in the order it runs them.
ENGINE_NAMES = ("torch", "torch-cuda", "torchscript", "onnx", "onnxruntime", "reservoirpy")


def entries(engines: Iterable[str] | None = None) -> list[Entry]:
    """Every row of the matrix, for ``engines`` (default: all that exist here).

    Arguments:
        engines: a subset of ``"torch"``, ``"torch-cuda"``, ``"torchscript"``, ``"onnx"``,
            ``"onnxruntime"``, ``"reservoirpy"``.
    """
    wanted = set(engines) if engines is not None else None
    known = set(ENGINE_NAMES)
    if wanted is not None and not wanted <= known:
        raise SeqcheckError(f"unknown engine {', '.join(sorted(wanted - known))}; "
                            f"choose from {', '.join(sorted(known))}")
    out: list[Entry] = []
    if wanted is None or "torch" in wanted:
        out += _torch_entries("cpu")
    if wanted is None or "torch-cuda" in wanted:
        cuda = _cuda_available()
        if cuda:
            out += _torch_entries("cuda")
        elif wanted is not None:
            raise SeqcheckError("engine torch-cuda: torch sees no CUDA device here")
    if wanted is None or "torchscript" in wanted:
        out += _torchscript_entries()
    if wanted is None or wanted & {"onnx", "onnxruntime"}:
        out += [e for e in _onnx_entries() if wanted is None or e.engine in wanted]
    if wanted is None or "reservoirpy" in wanted:
        out += _reservoirpy_entries()
    return out


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


# -- running ----------------------------------------------------------------------------
def _run_one(entry: Entry, max_examples: int, seed: int, dtype: str | None) -> list[Row]:
    try:
        target = entry.make()
    except SeqcheckError as e:
        return [Row(entry.engine, entry.unit, entry.attributes, dtype or "-", "-",
                    "unavailable", str(e).splitlines()[0])]
    spec = entry.spec() if entry.spec is not None else target.default_spec()
    rows = []
    for dt in ([dtype] if dtype else target.dtypes):
        if dt not in target.dtypes:
            rows.append(Row(entry.engine, entry.unit, entry.attributes, dt, spec.name,
                            "unavailable", f"runs in {', '.join(target.dtypes)} only"))
            continue
        start = time.perf_counter()
        result = verify(target, spec=spec, dtype=dt, max_examples=max_examples, seed=seed)
        verdict, detail = "conforms", ""
        if not result.ok:
            verdict, detail = _diagnose(entry, result, max_examples, seed, dt)
        rows.append(Row(entry.engine, entry.unit, entry.attributes, dt, spec.name, verdict,
                        detail, result.gradients, time.perf_counter() - start, max_examples))
    return rows


def _diagnose(entry: Entry, result, max_examples: int, seed: int, dtype: str):
    check = result.check
    if check.error is not None:
        return "raises", check.error.splitlines()[0]
    if entry.baseline is not None:
        target = entry.make()
        try:
            base_spec = entry.baseline().default_spec()
            again = verify(target, spec=base_spec, dtype=dtype, max_examples=max_examples,
                           seed=seed, explain=False)
        except SeqcheckError:
            again = None
        if again is not None and again.ok:
            return "ignores", (f"accepts {format_attributes(entry.attributes)} and computes the "
                               "equations without it")
    first = check.divergences[0].describe() if check.divergences else ""
    if result.explanation:
        first += f"; explained by: {result.explanation}"
    return "diverges", first


def run_conformance(engines: Iterable[str] | None = None, *, max_examples: int = 25,
                    seed: int = 0, dtype: str | None = None,
                    progress: Callable[[Row], None] | None = None) -> list[Row]:
    """Run the matrix; one :class:`Row` per entry and dtype.

    Arguments:
        engines: see :func:`entries`.
        max_examples: generated cases per row; seed: replays the whole matrix.
        dtype: only this dtype (default: every dtype each target runs in).
        progress: called with each row as it is done.
    """
    rows = []
    for entry in entries(engines):
        for row in _run_one(entry, max_examples, seed, dtype):
            rows.append(row)
            if progress is not None:
                progress(row)
    return rows


def format_attributes(attributes: dict) -> str:
    """``clip=0.5, activations=Sigmoid,Relu``: as ``--attr`` takes them."""
    def show(v) -> str:
        return ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)

    return ", ".join(f"{k}={show(v)}" for k, v in attributes.items()) or "defaults"


def format_table(rows: list[Row]) -> str:
    """The matrix as aligned text, then each finding in full.

    Columns: engine, unit, attributes, dtype, spec, verdict ("outputs only" where the
    engine has no gradients to compare).
    """
    head = ("engine", "unit", "attributes", "dtype", "spec", "verdict")
    body = []
    for r in rows:
        verdict = r.verdict
        if verdict == "conforms" and not r.gradients:
            verdict += " (outputs only)"
        body.append((r.engine, r.unit, format_attributes(r.attributes), r.dtype, r.spec, verdict))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in (head, tuple("-" * w for w in widths), *body)]
    notes = [f"  {r.engine} {r.unit} ({format_attributes(r.attributes)}, {r.dtype}): {r.detail}"
             for r in rows if r.verdict != "conforms" and r.detail]
    if notes:
        lines += ["", "findings:", *notes]
    return "\n".join(lines)
