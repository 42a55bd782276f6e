"""Recognising a graph: its recurrent layers, where x, the states and the weights enter it.

:func:`recognise` reads an ``onnx.ModelProto`` as one RNN, LSTM or GRU node -- or a stack
of them, each reading the one below -- plus ops that move data (:mod:`.tracing`):

1. the recurrent nodes are read (:mod:`.nodes`) and T and B found in the graph's
   inputs, freeing what the graph declared fixed (:mod:`.shapes`);
2. one traced evaluation says where every element of every node input comes from: the
   bottom node's X from one graph input (through a Transpose, if batch-first), each
   upper node's X from the Y of the node below, initial_h and initial_c from graph inputs,
   and W, R, B, P from initializers;
3. the working model: every initializer that W, R, B or P copies is made a graph input
   (one session then serves every case, its values written per case), and a state the
   graph fixes -- left out (ONNX: zeros), or held in a constant -- becomes a graph input
   at the node, so that verify can set it.

What the graph's outputs hold of each node's Y, Y_h and Y_c is traced per case by the
target (:mod:`.target`), which also rebuilds this wiring at every case's T and B.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError
from .nodes import OUTPUTS, RecurrentNode, read_node
from .shapes import FreeSizes, free_sizes, tensor_shapes
from .tracing import Origins, needed, trace

__all__ = ["Layer", "Recognised", "recognise"]

_FLOATS = {1: "float32", 11: "float64"}  # TensorProto.FLOAT, DOUBLE
_STATES = {"initial_h": "h", "initial_c": "c"}


@dataclass(frozen=True)
class Layer:
    """One recurrent node in its place in the stack.

    Attributes:
        node: the node.
        H, D: its hidden size and input width.
        promoted: state roles (``"initial_h"``) the graph fixed, now graph inputs at the node.
    """

    node: RecurrentNode
    H: int
    D: int
    promoted: Mapping[str, str]

    def shape(self, role: str, T: int, B: int) -> tuple[int, ...]:
        """The shape of the node's input or output ``role`` at ``T`` and ``B``."""
        nd, H, layout = self.node.directions, self.H, self.node.layout
        shapes = {"X": (T, B, self.D), "Y": (T, nd, B, H), "Y_h": (nd, B, H),
                  "Y_c": (nd, B, H), "initial_h": (nd, B, H), "initial_c": (nd, B, H)}
        shape = shapes[role]
        if layout == 1:  # batch-major: B first (X [B, T, D], Y [B, T, nd, H], Y_h [B, nd, H])
            shape = {"X": (B, T, self.D), "Y": (B, T, nd, H)}.get(role, (B, nd, H))
        return shape


@dataclass(frozen=True)
class Recognised:
    """A graph read as a stack of recurrent layers (see the module docstring).

    Attributes:
        model: the working model (sizes freed, weights and fixed states as inputs).
        layers: bottom layer first.
        x: the graph input that holds the sequence.
        sizes: the T and B axes of the graph's own inputs.
        weights: working-model input -> its value in the graph (an initializer's).
        dtype: the element type of the graph's data, ``"float32"`` or ``"float64"``.
        notes: what seqcheck changed or found, for the target's description.
        probe: the T and B the graph was read at.
        declared: the sizes the graph's outputs declare (T candidates for a graph that
            fixes T inside).
    """

    model: object
    layers: tuple[Layer, ...]
    x: str
    sizes: FreeSizes
    weights: Mapping[str, np.ndarray]
    dtype: str
    notes: tuple[str, ...]
    probe: tuple[int, int]
    declared: tuple[int, ...]

    def input_shapes(self, T: int, B: int) -> dict[str, tuple]:
        """Every input of the working model, with its shape at ``T`` and ``B``."""
        out = {name: self.sizes.shape(name, T, B) for name in self.sizes.axes}
        out.update({name: tuple(v.shape) for name, v in self.weights.items()})
        for layer in self.layers:
            for role, name in layer.promoted.items():
                out[name] = layer.shape(role, T, B)
        return out

    def output_shapes(self, T: int, B: int) -> dict[str, tuple]:
        """Every output of every recurrent node, with its shape at ``T`` and ``B``."""
        return {layer.node.outputs[role]: layer.shape(role, T, B)
                for layer in self.layers for role in OUTPUTS if role in layer.node.outputs}

    def trace_inputs(self, T: int, B: int) -> Origins:
        """Where every element of every node input comes from, at ``T`` and ``B``."""
        sinks, what = [], {}
        for layer in self.layers:
            for role, name in layer.node.inputs.items():
                sinks.append(name)
                what.setdefault(name, f"{role} of {layer.node.label}")
        sources = {**self.input_shapes(T, B), **self.output_shapes(T, B)}
        return trace(self.model, sinks, sources, what, f"T={T}, B={B}")

    def trace_outputs(self, T: int, B: int) -> Origins:
        """Where every element of every graph output comes from, at ``T`` and ``B``."""
        outputs = [o.name for o in self.model.graph.output]
        sources = {**self.input_shapes(T, B), **self.output_shapes(T, B)}
        return trace(self.model, outputs, sources, {o: f"graph output {o!r}" for o in outputs},
                     f"T={T}, B={B}")


def _load(model):
    import onnx

    if isinstance(model, onnx.ModelProto):
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        return copy
    try:
        return onnx.load(str(model))
    except Exception as e:  # noqa: BLE001 - onnx raises DecodeError, OSError, ...
        raise SeqcheckError(f"cannot read {model} as an ONNX model: {type(e).__name__}: "
                            f"{e}") from None


def _recurrent(model) -> list[RecurrentNode]:
    g = model.graph
    for node in g.node:
        if any(a.type in (5, 10) for a in node.attribute):  # GRAPH, GRAPHS: If, Loop, Scan
            raise SeqcheckError(f"the graph holds control flow ({node.op_type} "
                                f"{node.name!r}); seqcheck reads graphs of RNN, LSTM and GRU "
                                "nodes and the reshapes between them")
    nodes = [read_node(n, k) for k, n in enumerate(g.node)
             if n.op_type in ("RNN", "LSTM", "GRU") and n.domain in ("", "ai.onnx")]
    if not nodes:
        ops = Counter(n.op_type for n in g.node)
        found = ", ".join(f"{op} x{k}" for op, k in sorted(ops.items())) or "no nodes"
        raise SeqcheckError(
            f"the graph has no RNN, LSTM or GRU node (it holds {found}): an unrolled "
            "recurrence is not recognised; seqcheck reads graphs of RNN, LSTM and GRU nodes "
            "and the reshapes between them")
    return nodes


def _order(nodes, origins: Origins, data: set[str]) -> tuple[list, str]:
    """The nodes bottom first, and the graph input the bottom one reads."""
    below, x, bottom = {}, None, None
    by_output = {n.outputs.get("Y"): k for k, n in enumerate(nodes)}
    for k, node in enumerate(nodes):
        name = node.inputs["X"]
        src = origins.origin(name)
        if origins.constant(name).any() or len(src) != 1:
            raise SeqcheckError(f"X of {node.label} is not a copy of one tensor (it copies "
                                f"{', '.join(sorted(src)) or 'nothing'}"
                                + (" and holds constants" if origins.constant(name).any()
                                   else "") + ")")
        (source,) = src
        if source in by_output:
            below[k] = by_output[source]
        elif source in data:
            if x is not None:
                raise SeqcheckError(f"two recurrent nodes read the graph's inputs ({x!r} and "
                                    f"{source!r}): seqcheck reads one node or a stack")
            x, bottom = source, k
        else:
            raise SeqcheckError(f"X of {node.label} copies {source!r}, which is neither a "
                                "graph input nor the Y of a recurrent node")
    if bottom is None:
        raise SeqcheckError("no recurrent node reads the graph's inputs")
    order = [bottom]
    while len(order) < len(nodes):
        above = [k for k, j in below.items() if j == order[-1]]
        if len(above) != 1:
            raise SeqcheckError(f"{len(above)} recurrent nodes read the Y of "
                                f"{nodes[order[-1]].label}; seqcheck reads one node or a stack")
        order.append(above[0])
    return [nodes[k] for k in order], x


def _weight_notes(layer: Layer, origins: Origins) -> list[str]:
    notes = []
    for role in ("W", "R", "B", "P"):
        name = layer.node.inputs.get(role)
        if name is None:
            notes += ["B left out (ONNX: zeros)"] if role == "B" else []
            continue
        held = origins.in_order(name)
        fixed = int(origins.constant(name).sum())
        notes.append(f"{role} from {', '.join(held) or 'constants'}"
                     + (f" ({fixed} elements fixed by the graph)" if held and fixed else ""))
    return notes


def recognise(model) -> Recognised:
    """Read ``model`` (a path or an ``onnx.ModelProto``) as a stack of recurrent layers.

    Raises:
        SeqcheckError: what was found that is not one recurrent node (or a stack of them)
            plus reshapes.
    """
    model = _load(model)
    g = model.graph
    initializers = {i.name: i for i in g.initializer}
    data = [i.name for i in g.input if i.name not in initializers]
    for i in g.input:
        if i.name in data and i.type.tensor_type.elem_type not in _FLOATS:
            raise SeqcheckError(f"graph input {i.name!r} is not float32 or float64; seqcheck "
                                "feeds a graph its sequence and states only")
    nodes = _recurrent(model)
    declared = sorted({d.dim_value for o in g.output for d in o.type.tensor_type.shape.dim
                       if d.dim_value > 1})
    model, sizes = free_sizes(model, nodes, data)
    g = model.graph
    shapes = tensor_shapes(model)
    H = {}
    for node in nodes:
        r = shapes.get(node.inputs["R"]) or ()
        H[node.index] = node.hidden_size or (r[2] if len(r) == 3 and isinstance(r[2], int)
                                             else 0)
        if not H[node.index]:
            raise SeqcheckError(f"cannot tell the hidden size of {node.label}: it has no "
                                "hidden_size attribute and R's shape is not known")
    floats = {n: tuple(i.dims) for n, i in initializers.items() if i.data_type in _FLOATS}
    sinks = [name for n in nodes for name in n.inputs.values()]
    what = {name: f"{role} of {n.label}" for n in nodes for role, name in n.inputs.items()}
    for T, B in _probes(sizes, data, declared):
        sources = {**{n: sizes.shape(n, T, B) for n in data}, **floats}
        for node in nodes:  # Y's shape does not depend on D
            for role in OUTPUTS:
                if role in node.outputs:
                    sources[node.outputs[role]] = Layer(node, H[node.index], 0, {}).shape(
                        role, T, B)
        try:
            origins = trace(model, sinks, sources, what, f"T={T}, B={B}")
            break
        except SeqcheckError as e:
            failed = e
    else:
        raise failed
    ordered, x = _order(nodes, origins, set(data))
    state_inputs, weights, notes, layers = set(), {}, [], []
    for node in ordered:
        D = int(origins.ids[node.inputs["X"]].shape[2])  # [T, B, D] or [B, T, D]
        promoted = {}
        for role in ("initial_h", "initial_c")[:2 if node.op == "LSTM" else 1]:
            name = node.inputs.get(role)
            held = origins.origin(name) & set(data) if name else set()
            if held and not origins.constant(name).any() and not (
                    origins.origin(name) - set(data)):
                state_inputs |= held
                continue
            if held:
                raise SeqcheckError(f"{role} of {node.label} is partly a copy of graph inputs "
                                    f"({', '.join(sorted(held))}) and partly not")
            promoted[role] = f"seqcheck.{node.label}.{role}".replace(" ", "_").replace("'", "")
            notes.append(f"{role} of {node.label}: " + (
                "fixed by the graph, fed at the node" if name else "left out (ONNX: zeros), "
                                                                     "fed at the node"))
        for role in ("W", "R", "B", "P"):
            name = node.inputs.get(role)
            if name is None:
                continue
            for source in origins.in_order(name):
                if source in state_inputs or source == x or source not in {*floats, *data}:
                    raise SeqcheckError(f"{role} of {node.label} copies {source!r}, which "
                                        "is not an initializer")
                weights[source] = None
        layers.append(Layer(node, H[node.index], D, promoted))
    for layer in layers:
        notes.append(f"{layer.node.label}: {', '.join(_weight_notes(layer, origins))}")
    _check_distinct(origins, layers, x, state_inputs)
    _promote(model, weights, initializers, layers, _elem(model, x),
             lambda name: sizes.shape(name, T, B))
    layers = [Layer(_reread(g, layer), layer.H, layer.D, layer.promoted) for layer in layers]
    notes = [*(f"freed: {r}" for r in sizes.rewrites), *notes]
    return Recognised(model, tuple(layers), x, sizes, weights, _FLOATS[_elem(model, x)],
                      tuple(notes), (T, B), tuple(declared))


def _promote(model, weights: dict, initializers: Mapping, layers, elem: int, shape) -> None:
    """Step 3 of the module docstring: the weights' initializers, and the states the graph
    fixes, become graph inputs of ``model`` (changed in place); ``weights`` gets values."""
    from onnx import helper, numpy_helper

    g = model.graph
    for name in list(weights):
        init = initializers.get(name)
        if init is None:  # a weight the graph already takes as an input
            weights[name] = np.zeros(shape(name))
            continue
        weights[name] = numpy_helper.to_array(init).copy()
        g.initializer.remove(next(i for i in g.initializer if i.name == name))
        if name not in {i.name for i in g.input}:
            g.input.append(helper.make_tensor_value_info(name, init.data_type, list(init.dims)))
    for layer in layers:
        node = g.node[layer.node.index]
        for role, name in layer.promoted.items():
            position = 5 if role == "initial_h" else 6
            while len(node.input) <= position:
                node.input.append("")
            node.input[position] = name
            nd, H = layer.node.directions, layer.H
            dims = ["B", nd, H] if layer.node.layout else [nd, "B", H]
            g.input.append(helper.make_tensor_value_info(name, elem, dims))
    # what computed a fixed state is now dead, and may not run at other sizes: drop it
    kept = [type(n).FromString(n.SerializeToString())
            for n in needed(g, [o.name for o in g.output], {i.name for i in g.input})]
    del g.node[:]
    g.node.extend(kept)


def _reread(g, layer: Layer) -> RecurrentNode:
    """The layer's node in the working model, found by its outputs (nodes were dropped)."""
    outputs = list(layer.node.outputs.values())
    index = next(k for k, n in enumerate(g.node) if [o for o in n.output if o] == outputs)
    return read_node(g.node[index], index)


def _elem(model, name: str) -> int:
    return next(i for i in model.graph.input if i.name == name).type.tensor_type.elem_type


def _check_distinct(origins: Origins, layers, x: str, state_inputs: set) -> None:
    """No element of the graph's inputs may feed two places verify sets apart."""
    used: list[np.ndarray] = []
    for layer in layers:
        roles = ["initial_h", "initial_c"] + (["X"] if layer is layers[0] else [])
        for role in roles:
            name = layer.node.inputs.get(role)
            if name and role not in layer.promoted:
                used.append(origins.ids[name].reshape(-1))
    ids = np.concatenate(used) if used else np.zeros(0, np.int64)
    if len(np.unique(ids)) != len(ids):
        raise SeqcheckError(f"one element of the graph's inputs ({x!r}, "
                            f"{', '.join(sorted(state_inputs)) or 'no state input'}) feeds "
                            "two of x, initial_h and initial_c: the graph ties values that "
                            "verify sets apart")


def _probes(sizes: FreeSizes, data, declared) -> list[tuple[int, int]]:
    """T and B to read the graph at: those its inputs declared, else 2 and 3, then each
    size its outputs declare as T (a graph that fixes T inside runs at that T only)."""
    example: dict[str, int] = {}
    for name in data:
        for role, size in sizes.example(name).items():
            example.setdefault(role, size)
    T, B = example.get("T", 2), example.get("B", 3)
    return list(dict.fromkeys([(T, B), *((t, B) for t in declared)]))
