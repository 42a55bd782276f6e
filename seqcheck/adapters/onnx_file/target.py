"""The verify target of an ONNX graph: :class:`OnnxFileTarget`, run by onnxruntime or
onnx.reference through the graph's own inputs and outputs."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

from ...errors import SeqcheckError
from ..base import Observed, Target
from .graph import Recognised, recognise
from .nodes import graph_spec

__all__ = ["ENGINES", "OnnxFileTarget"]

ENGINES = ("onnxruntime", "onnx")
_INSTALL = "pip install 'seqcheck[onnx]'"
_STATE = {"initial_h": "h", "initial_c": "c"}


def _engine(engine: str):
    """The engine's module (onnx.reference or onnxruntime); onnx itself reads the graph."""
    name = "onnx.reference" if engine == "onnx" else "onnxruntime"
    try:
        importlib.import_module("onnx")
        return importlib.import_module(name)
    except ImportError as e:
        raise SeqcheckError(f"ONNX graphs run on {engine}, which needs the {e.name} package, "
                            f"not installed: {_INSTALL}") from None


class OnnxFileTarget(Target):
    """An ONNX graph of recurrent nodes and reshapes as a verification target.

    Arguments:
        model: a path to an ``.onnx`` file, or an ``onnx.ModelProto`` (copied).
        spec: the spec it is held to by default (a name, path or Spec); default the
            spec of the equations its nodes' attributes document (:func:`graph_spec`).
        mapping: a mapping file (path or loaded, ``call = "sequence"``) naming the
            initializers that hold each spec parameter (:mod:`.placement`); it also gives
            the default spec and ``batch_first``. Without one, the parameters are written
            at the nodes, as ONNX stacks them.
        engine: ``"onnxruntime"`` (its CPU kernels, one thread) or ``"onnx"``
            (``onnx.reference``).
        name: how to print it (default: the file's name).
        batch_first: how the graph's users feed it x: True ``[B, T, D]``, False
            ``[T, B, D]``; default: as the graph reads it (found by tracing).
        placements: :class:`~.placement.Placed` blocks saying which initializer elements
            hold which spec parameter, or a function of the writable initializers
            (``{name: value}``) returning them (what :func:`~.export.export_targets` does).
    Raises:
        SeqcheckError: the graph is not one recurrent node or a stack of them plus
            reshapes (saying what was found), or the engine is not installed.

    Every case writes the spec's parameters into the initializers the nodes' W, R, B and
    P copy (:mod:`.graph`) -- at the nodes, in ONNX's stacking, or where a mapping or
    ``placements`` say -- feeds x and the initial states through the graph's own inputs
    in their layout, and reads every step's h and the final states back from the graph's
    own outputs. Elements the spec has no parameter for keep the graph's values.

    >>> # a GRU exported by torch: held to ONNX's GRU with linear_before_reset = 1
    >>> import torch
    >>> from seqcheck.adapters.onnx_file import export_model
    >>> target = OnnxFileTarget(export_model(torch.nn.GRU(3, 2), "torchscript"))
    >>> target.default_spec().name, target.outputs, target.states
    ('gru', ('h',), ('h',))
    >>> sorted(target.fixed_sizes(target.default_spec()).items())
    [('D', 3), ('H', 2)]
    """

    has_gradients = False

    def __init__(self, model, spec=None, mapping=None, engine: str = "onnxruntime",
                 name: str | None = None, batch_first: bool | None = None,
                 placements=None):
        if engine not in ENGINES:
            raise SeqcheckError(f"unknown ONNX engine {engine!r}; choose from "
                                f"{', '.join(ENGINES)}")
        _engine(engine)
        self.engine = engine
        self.recognised: Recognised = recognise(model)
        self.name = name or (Path(model).name if isinstance(model, (str, Path)) else
                             "ONNX model")
        self._spec = spec
        self._fixed: dict[str, float] = {}
        self._placements = None
        if placements is not None:
            self._placements = list(placements(self.recognised.weights) if callable(placements)
                                    else placements)
        self._mapping = None
        if mapping is not None:
            batch_first = self._read_mapping(mapping, batch_first)
        self._check_layout(batch_first)
        layers = self.recognised.layers
        bidirectional = layers[0].node.directions == 2
        from ...spec.compose import suffix

        self._chains = [(k, d, suffix(k, d == 1 or layer.node.reverse, layers=len(layers),
                                      bidirectional=bidirectional))
                        for k, layer in enumerate(layers) for d in range(layer.node.directions)]
        self._traces: dict = {}
        held = self._held(*self._probe())
        self.outputs = tuple(f"h{s}" for k, d, s in self._chains if held[(k, d, "Y")])
        self.states = tuple(
            [f"h{s}" for k, d, s in self._chains if held[(k, d, "Y_h")] or held[(k, d, "Y")]]
            + [f"c{s}" for k, d, s in self._chains if held[(k, d, "Y_c")]])
        if not self.states:
            raise SeqcheckError(f"the outputs of {self.name} hold none of Y, Y_h and Y_c of "
                                "its recurrent nodes whole: there is nothing to compare")
        mapping = self._mapping
        if mapping is not None and (set(mapping.states), set(mapping.outputs)) != (
                set(self.states), set(self.outputs)):
            raise SeqcheckError(
                f"{mapping.file} says the graph returns states {', '.join(mapping.states)} "
                f"and per-step outputs {', '.join(mapping.outputs)}; its outputs hold states "
                f"{', '.join(self.states)} and per-step {', '.join(self.outputs) or 'none'}")
        self.dtypes = (self.recognised.dtype,)
        self._unplaced: list[str] = []
        self._documents: str | None = None
        self._runner = None

    def _read_mapping(self, mapping, batch_first):
        """Take the spec, layout and weight placement a mapping file gives."""
        from .placement import read_mapping

        self._mapping, self._placements, self._fixed = read_mapping(
            mapping, self.recognised, self.name)
        if self._spec is None:
            self._spec = self._mapping.spec
        if batch_first is not None and batch_first != self._mapping.batch_first:
            raise SeqcheckError(f"{self._mapping.file} says batch_first = "
                                f"{str(self._mapping.batch_first).lower()}, the caller "
                                f"{batch_first}")
        return self._mapping.batch_first

    def _check_layout(self, batch_first: bool | None) -> None:
        rec = self.recognised
        axes = rec.sizes.axes[rec.x]
        if batch_first is None:
            return
        wanted = ("B", "T") if batch_first else ("T", "B")
        if tuple(axes[:2]) != wanted:
            read = ", ".join(str(a) for a in axes)
            raise SeqcheckError(
                f"{self.name} reads x from input {rec.x!r} as [{read}], but its users feed "
                f"it [{', '.join(wanted)}, D] (batch_first={batch_first}): the graph "
                "exchanges the time and batch axes (a Transpose too many, or missing)")

    # -- what it is ----------------------------------------------------------------------------
    @property
    def description(self) -> str:
        rec = self.recognised
        axes = rec.sizes.axes[rec.x]
        parts = [" -> ".join(layer.node.describe() for layer in rec.layers),
                 f"x: input {rec.x!r} [{', '.join(str(a) for a in axes)}]", *rec.notes]
        if self._documents:
            parts.insert(1, f"its attributes document spec {self._documents!r}")
        if self._mapping is not None:
            parts.append(f"parameters placed by {Path(self._mapping.file).name}")
        elif self._placements is not None:
            parts.append("parameters placed where the exporter put the module's")
        if self._unplaced:
            parts.append(f"no place in the graph for {', '.join(self._unplaced)}")
        return f"ONNX graph on {self.engine}: " + "; ".join(parts)

    def default_spec(self):
        from ...spec import Spec, load_spec

        if self._spec is None:
            self._spec = graph_spec([layer.node for layer in self.recognised.layers])
        elif not isinstance(self._spec, Spec):
            self._spec = load_spec(self._spec)
        return self._spec

    def slots(self) -> dict[str, tuple[int, int, str, int]]:
        """Spec parameter -> ``(layer, direction, ONNX input role, block)`` it is written to."""
        out = {}
        for k, d, s in self._chains:
            for role, stems in self.recognised.layers[k].node.slots().items():
                for j, stem in enumerate(stems):
                    out[stem + s] = (k, d, role, j)
        return out

    def fixed_sizes(self, spec) -> dict[str, int]:
        """The sizes the graph's weights fix, after checking ``spec``'s parameters fit them."""
        from ...backends.compiled import bind_dims

        slots, layers = self.slots(), self.recognised.layers
        try:
            documented = graph_spec([layer.node for layer in layers]).name
        except SeqcheckError:
            documented = None
        self._documents = documented if documented != spec.name else None
        if self._placements is not None:
            from .placement import placed_sizes

            self._unplaced = []
            return placed_sizes(self._placements, spec, layers[0].D, self.name)
        unknown = sorted(set(spec.params) - set(slots))
        if unknown:
            raise SeqcheckError(
                f"spec {spec.name!r} has parameters {', '.join(unknown)}, which have no "
                f"place in {self.name} ({' -> '.join(la.node.describe() for la in layers)}"
                f"; its nodes hold {', '.join(list(slots)[:8])}, ...)\n  hint: hold it to "
                "a spec with ONNX's parameter names (lstm, gru, rnn_torch, and their "
                "stacked forms)")
        arrays, self._unplaced = {}, []
        origins = self._trace("inputs", *self.recognised.probe)
        for p in spec.params:
            k, d, role, j = slots[p]
            layer = layers[k]
            width = {"W": layer.D, "R": layer.H}.get(role)
            arrays[p] = np.empty((layer.H, width) if width else (layer.H,))
            name = layer.node.inputs.get(role)
            if name is None or origins.constant(name)[d, j * layer.H:(j + 1) * layer.H].any():
                self._unplaced.append(p)
        fixed, problems = bind_dims(spec, arrays, {})
        if problems:
            raise SeqcheckError(f"the weights of {self.name} do not fit spec {spec.name!r}: "
                                + "; ".join(problems))
        fixed.setdefault("D", layers[0].D)
        return {k: v for k, v in fixed.items() if k in {str(d.name) for d in spec.dims}}

    # -- running a case ------------------------------------------------------------------------
    def _probe(self) -> tuple[int, int]:
        """Where the graph's outputs can be traced: its declared sizes, else each T its
        outputs declare (the probe is then kept for checking the spec)."""
        T, B = self.recognised.probe
        failed = None
        for t in dict.fromkeys([T, *self.recognised.declared]):
            try:
                self._trace("outputs", t, B)
                return t, B
            except SeqcheckError as e:
                failed = e
        raise failed

    def _trace(self, side: str, T: int, B: int):
        key = (side, T, B)
        if key not in self._traces:
            rec = self.recognised
            self._traces[key] = (rec.trace_inputs if side == "inputs" else rec.trace_outputs)(
                T, B)
        return self._traces[key]

    def _reads(self, T: int, B: int) -> dict[str, list]:
        """Node output -> ``(graph output, node flat indices, graph flat indices)`` pieces."""
        origins = self._trace("outputs", T, B)
        reads: dict[str, list] = {}
        for out in origins.ids:
            for source, src, sink in origins.pieces(out):
                reads.setdefault(source, []).append((out, src, sink))
        return reads

    def _held(self, T: int, B: int) -> dict:
        """``(layer, direction, output role) -> bool``: whether the outputs hold it whole."""
        reads, rec, out = self._reads(T, B), self.recognised, {}
        shapes = rec.output_shapes(T, B)
        for k, d, _ in self._chains:
            layer = rec.layers[k]
            for role in ("Y", "Y_h", "Y_c"):
                name = layer.node.outputs.get(role)
                mask = np.zeros(shapes[name] if name else (0,), bool)
                for _, src, _ in reads.get(name, ()):
                    mask.reshape(-1)[src] = True
                out[(k, d, role)] = bool(name) and bool(_direction(mask, role, d,
                                                                   layer.node.layout).all())
        return out

    def _weights(self, params, k: int, role: str):
        """Layer ``k``'s ONNX tensor ``role`` from ``params``, and where params set it."""
        layer = self.recognised.layers[k]
        stems, H = layer.node.slots()[role], layer.H
        width = {"W": (layer.D,), "R": (H,)}.get(role, ())
        nd = layer.node.directions
        value = np.zeros((nd, len(stems) * H, *width))
        mask = np.zeros(value.shape, bool)
        for kk, d, s in self._chains:
            if kk != k:
                continue
            for j, stem in enumerate(stems):
                if stem + s in params:
                    block = np.asarray(params[stem + s], dtype=np.float64)
                    if block.shape != (H, *width):
                        raise SeqcheckError(f"{stem + s} has shape {block.shape}; "
                                            f"{layer.node.label} holds blocks of shape "
                                            f"{(H, *width)} in {role}")
                    value[d, j * H:(j + 1) * H] = block
                    mask[d, j * H:(j + 1) * H] = True
        return value, mask

    def _feeds(self, case, x: np.ndarray, T: int, B: int) -> dict[str, np.ndarray]:
        rec = self.recognised
        arrays = {name: np.zeros(shape) for name, shape in rec.input_shapes(T, B).items()}
        arrays.update({name: np.array(v, dtype=np.float64) for name, v in rec.weights.items()})
        wanted = {}
        for k, layer in enumerate(rec.layers):
            node = layer.node
            if k == 0:
                wanted[node.inputs["X"]] = (x.transpose(1, 0, 2) if node.layout else x, None)
            for role, v in _STATE.items():
                if role not in node.inputs:
                    continue
                value = np.zeros(layer.shape(role, T, B))
                for kk, d, s in self._chains:
                    if kk == k and v + s in self.states:
                        _direction(value, role, d, node.layout)[...] = case.initial[v + s]
                wanted[node.inputs[role]] = (value, None)
            for role in ("W", "R", "B", "P"):
                if role in node.inputs and self._placements is None:
                    wanted[node.inputs[role]] = self._weights(case.params, k, role)
        if self._placements is not None:
            from .placement import write

            for tensor, value in self._fixed.items():
                arrays[tensor][...] = value
            write(self._placements, arrays, case.params)
        origins = self._trace("inputs", T, B)
        for sink, (value, mask) in wanted.items():
            for source, src, at in origins.pieces(sink):
                if mask is not None:
                    keep = mask.reshape(-1)[at]
                    src, at = src[keep], at[keep]
                arrays[source].reshape(-1)[src] = value.reshape(-1)[at]
        return {name: a.astype(rec.dtype) for name, a in arrays.items()}

    def _run(self, feeds: dict) -> dict[str, np.ndarray]:
        if self._runner is None:
            module, model = _engine(self.engine), self.recognised.model
            names = [o.name for o in model.graph.output]
            if self.engine == "onnx":
                evaluator = module.ReferenceEvaluator(model)
                self._runner = lambda f: dict(zip(names, evaluator.run(None, f)))
            else:
                options = module.SessionOptions()
                options.intra_op_num_threads = options.inter_op_num_threads = 1
                options.log_severity_level = 4  # failures arrive as exceptions
                session = module.InferenceSession(model.SerializeToString(), options,
                                                  providers=["CPUExecutionProvider"])
                self._runner = lambda f: dict(zip(names, session.run(None, f)))
        with np.errstate(all="ignore"):  # onnx.reference overflows exp in saturated gates
            return self._runner(feeds)

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """Run the graph on ``case`` (see :class:`~seqcheck.adapters.base.Target`)."""
        if gradients:
            raise SeqcheckError(f"{self.name} cannot differentiate: ONNX engines run forward "
                                "only\n  hint: verify outputs and states only (gradients=False)")
        if dtype not in self.dtypes:
            raise SeqcheckError(f"{self.name} holds {self.recognised.dtype} data; it runs in "
                                f"{self.recognised.dtype} only, not {dtype}")
        x = np.asarray(case.inputs["x"], dtype=np.float64)
        T, B = x.shape[:2]
        outputs = self._run(self._feeds(case, x, T, B))
        rec, reads = self.recognised, self._reads(T, B)
        values = {}
        for name, shape in rec.output_shapes(T, B).items():
            value = np.full(shape, np.nan)
            for out, src, at in reads.get(name, ()):
                value.reshape(-1)[src] = np.asarray(outputs[out], np.float64).reshape(-1)[at]
            values[name] = value
        per_step, final = {}, {}
        for k, d, s in self._chains:
            node = rec.layers[k].node
            y = values.get(node.outputs.get("Y", ""))
            if f"h{s}" in self.outputs:
                per_step[f"h{s}"] = _direction(y, "Y", d, node.layout)
            if f"h{s}" in self.states:
                h_n = values.get(node.outputs.get("Y_h", ""))
                if h_n is not None and not np.isnan(_direction(h_n, "Y_h", d, node.layout)).any():
                    final[f"h{s}"] = _direction(h_n, "Y_h", d, node.layout)
                else:  # the last step of its sweep: t = T forwards, t = 1 backwards
                    steps = _direction(y, "Y", d, node.layout)
                    final[f"h{s}"] = steps[0 if (d == 1 or node.reverse) else -1]
            if f"c{s}" in self.states:
                final[f"c{s}"] = _direction(values[node.outputs["Y_c"]], "Y_c", d, node.layout)
        return Observed(per_step, final)


def _direction(value: np.ndarray, role: str, d: int, layout: int) -> np.ndarray:
    """Direction ``d`` of a node's ``role`` array, time-major: Y -> ``[T, B, H]``, a state
    -> ``[B, H]`` (a view, so it can be written to)."""
    if role == "Y":
        return value[:, d] if layout == 0 else value[:, :, d].swapaxes(0, 1)
    return value[d] if layout == 0 else value[:, d]
