"""Following data through a graph's reshapes: which element of which tensor lands where.

Between a graph's inputs, its initializers and its recurrent nodes there are only ops that
move data (Transpose, Reshape, Squeeze, Slice, Concat, ...) and ops that compute shapes for
them (Shape, Gather, ...). :func:`trace` finds, for every element of some *sink* tensors
(the nodes' inputs, or the graph's outputs), the element of a *source* tensor (a graph
input, an initializer, a node's output) it is a copy of -- whatever the ops in between:

- the sub-graph computing the sinks from the sources (the recurrent nodes cut out) is
  evaluated twice with ``onnx.reference``, every source element tagged with its own id
  ``k`` as the value ``k + 1``, then as ``3 (k + 1) + 0.5``;
- an element that reads ``v`` and then ``3 v + 0.5`` is a copy of element ``v - 1``;
  one that reads the same twice is a constant of the graph (a Constant node's zeros);
  anything else was computed from the data, and the graph is not reshapes only.

The two tags tell a copy from any affine change of it (``2 x`` or ``x + c`` read ``2 v``
then ``6 v + 1``, not ``6 v + 1.5``), and float64 holds every tag exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError

__all__ = ["MOVES", "Origins", "needed", "sub_model", "trace"]

#: Ops that only move data or compute shapes: what the graph around its nodes may hold.
MOVES = ("Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Slice",
         "Split", "Concat", "Gather", "Expand", "Shape", "Constant", "ConstantOfShape",
         "Cast", "Size", "Range")


@dataclass(frozen=True)
class Origins:
    """Where each element of the sinks comes from, at one set of source shapes.

    Attributes:
        sources: the tagged tensors, in the order of their ids.
        offsets: the first id of each source (one more entry: the total).
        ids: sink -> int64 array of its shape: the source element's id, -1 for a constant.
        values: sink -> its value (float64), which holds the constants.
    """

    sources: tuple[str, ...]
    offsets: tuple[int, ...]
    ids: Mapping[str, np.ndarray]
    values: Mapping[str, np.ndarray]

    def pieces(self, sink: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``(source, source flat indices, sink flat indices)`` for each source of ``sink``.

        >>> o = Origins(("a", "b"), (0, 2, 5), {"s": np.array([3, -1, 1])}, {})
        >>> [(s, i.tolist(), j.tolist()) for s, i, j in o.pieces("s")]
        [('a', [1], [2]), ('b', [1], [0])]
        """
        flat = self.ids[sink].reshape(-1)
        out = []
        for k, name in enumerate(self.sources):
            lo, hi = self.offsets[k], self.offsets[k + 1]
            where = np.flatnonzero((flat >= lo) & (flat < hi))
            if where.size:
                out.append((name, flat[where] - lo, where))
        return out

    def origin(self, sink: str) -> set[str]:
        """The sources ``sink`` copies elements of."""
        return {name for name, _, _ in self.pieces(sink)}

    def in_order(self, sink: str) -> list[str]:
        """The sources ``sink`` copies, in the order their first elements appear in it."""
        return [name for name, _, at in sorted(self.pieces(sink), key=lambda p: p[2].min())]

    def constant(self, sink: str) -> np.ndarray:
        """Boolean mask of ``sink``'s elements that are constants of the graph."""
        return self.ids[sink] < 0


def needed(graph, sinks, sources) -> list:
    """The nodes that compute ``sinks`` from ``sources``, in the graph's order."""
    producer = {out: node for node in graph.node for out in node.output}
    keep, frontier = set(), [s for s in sinks if s not in sources]
    while frontier:
        name = frontier.pop()
        node = producer.get(name)
        if node is None or id(node) in keep:
            continue
        keep.add(id(node))
        frontier.extend(i for i in node.input if i and i not in sources)
    return [node for node in graph.node if id(node) in keep]


def sub_model(model, sinks, sources: Mapping[str, tuple]):
    """The model computing ``sinks`` from ``sources`` (float64 inputs), nothing else."""
    from onnx import TensorProto, helper

    g = model.graph
    nodes = needed(g, sinks, sources)
    produced = {o for n in nodes for o in n.output}
    initializers = [i for i in g.initializer if i.name not in sources]
    inputs = [helper.make_tensor_value_info(name, TensorProto.DOUBLE, None) for name in sources]
    outputs, seen = [], set()
    for s in sinks:
        if s in seen:
            continue
        seen.add(s)
        if s not in produced and s not in sources and s not in {i.name for i in initializers}:
            raise SeqcheckError(f"tensor {s!r} is computed by no node of the graph")
        outputs.append(helper.make_tensor_value_info(s, TensorProto.UNDEFINED, None))
    graph = helper.make_graph(nodes, "seqcheck_trace", inputs, outputs, initializers)
    out = helper.make_model(graph, opset_imports=list(model.opset_import))
    out.ir_version = model.ir_version
    return out, sorted({n.op_type for n in nodes})


def trace(model, sinks, sources: Mapping[str, tuple], what: Mapping[str, str],
          at: str = "these sizes") -> Origins:
    """Where every element of ``sinks`` comes from (see the module docstring).

    Arguments:
        model: the ``onnx.ModelProto``; its recurrent nodes' outputs must be among the
            sources or unused by the sinks.
        sinks: tensor names.
        sources: tensor name -> its shape at the sizes traced.
        what: sink -> how messages name it (``"X of LSTM node 0"``).
        at: the sizes, for messages (``"T=3, B=2"``).
    Raises:
        SeqcheckError: the sub-graph cannot be evaluated at these shapes, or computes a
            sink from the data with arithmetic.
    """
    from onnx.reference import ReferenceEvaluator

    sub, ops = sub_model(model, sinks, sources)
    names = tuple(sources)
    sizes = [int(np.prod(sources[n], dtype=np.int64)) for n in names]
    offsets = tuple(int(v) for v in np.concatenate([[0], np.cumsum(sizes)]))
    total = offsets[-1]
    first = {n: (np.arange(offsets[k], offsets[k + 1], dtype=np.float64) + 1).reshape(
        sources[n]) for k, n in enumerate(names)}
    second = {n: 3 * v + 0.5 for n, v in first.items()}
    wanted = list(dict.fromkeys(sinks))
    try:
        evaluator = ReferenceEvaluator(sub)
        with np.errstate(all="ignore"):
            one = evaluator.run(wanted, first)
            two = evaluator.run(wanted, second)
    except Exception as e:  # noqa: BLE001 - onnx.reference raises anything
        raise SeqcheckError(f"the graph's reshapes cannot be evaluated at {at}: "
                            f"{type(e).__name__}: {e}") from None
    ids, values = {}, {}
    for sink, a, b in zip(wanted, one, two):
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        copied = (b == 3 * a + 0.5) & (a >= 1) & (a <= total) & (a == np.round(a))
        constant = (a == b) & ~copied
        if not (copied | constant).all():
            moving = [o for o in ops if o not in MOVES]
            raise SeqcheckError(
                f"the graph computes {what.get(sink, repr(sink))} from its inputs with "
                f"arithmetic ({', '.join(moving) or ', '.join(ops)}), not only by reshaping: "
                "seqcheck reads graphs of RNN, LSTM and GRU nodes and the ops that move data "
                f"between them ({', '.join(MOVES[:10])}, ...)")
        ids[sink] = np.where(copied, a - 1, -1).astype(np.int64)
        values[sink] = a
    return Origins(names, offsets, ids, values)
