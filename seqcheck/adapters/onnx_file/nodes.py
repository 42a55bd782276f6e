"""The recurrent nodes of a graph: each RNN, LSTM or GRU node read as seqcheck holds it.

:func:`read_node` turns one ``onnx.NodeProto`` into a :class:`RecurrentNode`: its inputs and
outputs by role (ONNX's ``X, W, R, B, sequence_lens, initial_h, initial_c, P`` and
``Y, Y_h, Y_c``), its ``layout``, and the attributes that change its equations, checked
and typed by :func:`seqcheck.adapters.onnx_attributes.validate_attributes` -- so anything
seqcheck does not model (a ``sequence_lens`` input of a graph, a different activation per
direction in a stack of layers) is an error, never ignored.
:func:`graph_spec` is the spec the operator documents for a stack of such nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ...errors import SeqcheckError
from ..onnx import stacked_slots
from ..onnx_attributes import DEFAULTS, OPS, show, validate_attributes
from ..onnx_equations import onnx_spec

__all__ = ["INPUTS", "OUTPUTS", "RecurrentNode", "graph_spec", "read_node"]

#: ONNX's input and output roles of RNN, LSTM and GRU, in the operator's order.
INPUTS = ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")
OUTPUTS = ("Y", "Y_h", "Y_c")


@dataclass(frozen=True)
class RecurrentNode:
    """One RNN, LSTM or GRU node of a graph.

    Attributes:
        index: its position in ``graph.node``.
        label: how messages name it (its name, else ``"LSTM node 3"``).
        op: ``"RNN"``, ``"LSTM"`` or ``"GRU"``.
        attributes: seqcheck's typed attributes (as ``validate_attributes`` returns them),
            ``peepholes = 1`` when the node reads an input P.
        layout: 0 (``X`` is ``[T, B, D]``) or 1 (``[B, T, D]``).
        hidden_size: H, as the node's attribute gives it (0 where it is left out).
        inputs, outputs: role -> tensor name, for the roles the node uses.
    """

    index: int
    label: str
    op: str
    attributes: Mapping
    layout: int
    hidden_size: int
    inputs: Mapping[str, str]
    outputs: Mapping[str, str]

    @property
    def directions(self) -> int:
        """nd: 2 for a bidirectional node, else 1."""
        return 2 if self.attributes.get("direction") == "bidirectional" else 1

    @property
    def reverse(self) -> bool:
        """Whether its only direction runs backwards in time."""
        return self.attributes.get("direction") == "reverse"

    def slots(self) -> dict[str, list[str]]:
        """``{"W": [W_iz, W_ir, W_in], "R": ..., "B": ..., ("P": ...)}`` for one direction."""
        return stacked_slots(self.op, bool(self.attributes.get("peepholes")))

    def describe(self) -> str:
        """``GRU 'gru_0' (linear_before_reset=1)``: the node and its attributes."""
        a = dict(self.attributes)
        if self.op == "GRU":  # the attribute that decides which GRU it is, always shown
            a.setdefault("linear_before_reset", 0)
        shown = ", ".join(f"{k}={show(v)}" for k, v in a.items()
                          if k == "linear_before_reset" or v != DEFAULTS[self.op].get(k, 0))
        words = [shown] * bool(shown) + ["layout=1"] * self.layout
        return self.label + (f" ({', '.join(words)})" if words else "")


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def read_node(node, index: int) -> RecurrentNode:
    """The :class:`RecurrentNode` of ``node`` (an ``onnx.NodeProto`` of op RNN, LSTM or GRU).

    Raises:
        SeqcheckError: an attribute or input seqcheck does not model, naming the node.

    >>> # torch's exported GRU: reset after the recurrent product, time-major
    >>> from onnx import helper
    >>> n = helper.make_node("GRU", ["x", "W", "R", "", "", "h0"], ["y", "h_n"],
    ...                      hidden_size=5, linear_before_reset=1)
    >>> r = read_node(n, 0)
    >>> r.describe(), sorted(r.inputs)
    ('GRU node 0 (linear_before_reset=1)', ['R', 'W', 'X', 'initial_h'])
    """
    from onnx import helper

    if node.domain not in ("", "ai.onnx") or node.op_type not in OPS:
        raise SeqcheckError(f"node {node.name or index} ({node.op_type}) is not an ONNX RNN, "
                            "LSTM or GRU node")
    op = node.op_type
    label = f"{op} {node.name!r}" if node.name else f"{op} node {index}"
    inputs = {role: name for role, name in zip(INPUTS, node.input) if name}
    outputs = {role: name for role, name in zip(OUTPUTS, node.output) if name}
    raw = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    layout = int(raw.pop("layout", 0))
    hidden = int(raw.pop("hidden_size", 0))
    if layout not in (0, 1):
        raise SeqcheckError(f"{label} has layout={layout}; ONNX defines 0 and 1")
    if "sequence_lens" in inputs:
        raise SeqcheckError(f"{label} reads sequence_lens ({inputs['sequence_lens']!r}): a "
                            "graph's own lengths input is not fed; seqcheck runs every "
                            "sequence of a graph's batch to the same length\n  hint: to check "
                            "how an engine runs sequence_lens, verify the node itself: "
                            f"seqcheck verify onnxruntime:{op} --lengths")
    attrs = {}
    for name, value in raw.items():
        if name == "direction":
            attrs[name] = _text(value)
        elif name == "activations":
            attrs[name] = _activations(label, [_text(v) for v in value],
                                       _text(raw.get("direction", "forward")))
        else:
            attrs[name] = value
    if op == "LSTM" and "P" in inputs:
        attrs["peepholes"] = 1
    try:
        attributes = validate_attributes(op, attrs)
    except SeqcheckError as e:
        raise SeqcheckError(f"{label}: {e}") from None
    return RecurrentNode(index, label, op, attributes, layout, hidden, inputs, outputs)


def _activations(label: str, names: list[str], direction: str) -> tuple[str, ...]:
    """The activations as :func:`validate_attributes` takes them: a bidirectional node lists
    both directions', one list where they agree."""
    half = len(names) // 2
    if direction == "bidirectional" and not len(names) % 2 and names[:half] == names[half:]:
        return tuple(names[:half])
    return tuple(names)


def graph_spec(nodes: Sequence[RecurrentNode]):
    """The spec of the equations ONNX documents for ``nodes``, bottom layer first.

    One node is :func:`~seqcheck.adapters.onnx_equations.onnx_spec` of its op and
    attributes; a stack of layers is that cell stacked by
    :func:`seqcheck.spec.compose.stacked` (every layer must have the same op and
    attributes).

    >>> from onnx import helper
    >>> n = helper.make_node("LSTM", ["x", "W", "R"], ["y"], hidden_size=2)
    >>> graph_spec([read_node(n, 0), read_node(n, 1)]).name
    'lstm_2layers'
    """
    from ...spec.compose import stacked

    first = nodes[0]
    if len(nodes) == 1:
        return onnx_spec(first.op, first.attributes)
    k = {"RNN": 1, "GRU": 2, "LSTM": 3}[first.op]
    if len(first.attributes.get("activations", ())) > k:
        raise SeqcheckError(f"{first.describe()} applies a different activation list per "
                            "direction: a stack of layers runs one cell in both directions")
    for node in nodes[1:]:
        if (node.op, dict(node.attributes)) != (first.op, dict(first.attributes)):
            raise SeqcheckError(
                f"the layers of the graph differ: {first.describe()} and {node.describe()}; "
                "a stacked spec runs one cell in every layer")
    direction = first.attributes.get("direction", "forward")
    cell = onnx_spec(first.op, {**first.attributes, "direction": "forward"})
    return stacked(cell, layers=len(nodes), bidirectional=direction == "bidirectional",
                   reverse=direction == "reverse")
