"""The one-node ONNX model an :class:`~.onnx.OnnxTarget` runs: :func:`node_model`.

Every tensor is a graph input (W, R, B, initial states, peepholes, and ``sequence_lens``
when rows have their own lengths), fed per case, so one model serves every case of a
dtype and hidden size. ``layout = 1`` makes X ``[B, T, D]`` and the states ``[B, nd, H]``;
a bidirectional node lists its activations (and their alphas and betas) for both
directions (:func:`~.onnx_equations.node_activations`).
"""

from __future__ import annotations

import functools

from .onnx_attributes import DEFAULT_ACTIVATIONS
from .onnx_equations import node_activations

__all__ = ["GATES", "IR_VERSION", "OPSET", "node_model"]

#: The opset of the built models (RNN, LSTM and GRU last changed in opset 22).
OPSET = 22
IR_VERSION = 10  # what opset 22 needs; onnxruntime 1.31 reads IR versions up to 13
#: ONNX's gate order in the stacked W, R and B; a gate g is spec W_i{g}, W_h{g}, b_i{g}, b_h{g}.
GATES = {"RNN": ("h",), "LSTM": ("i", "o", "f", "c"), "GRU": ("z", "r", "n")}


@functools.lru_cache(maxsize=64)
def node_model(op: str, key: tuple, dtype: str, H: int, lengths: bool = False):
    """The ``onnx.ModelProto`` of one node: ``op`` with the attributes ``key`` (every
    attribute, sorted ``(name, value)`` pairs), inputs of ``dtype``, hidden size H; T, B
    and D symbolic; ``sequence_lens`` a graph input when ``lengths``. Cached: callers copy
    it before changing it."""
    from onnx import TensorProto, helper

    a = dict(key)
    nd = 2 if a["direction"] == "bidirectional" else 1
    k = len(GATES[op])
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    batch_major = a.get("layout") == 1
    state = ["B", nd, H] if batch_major else [nd, "B", H]
    inputs = [("X", ["B", "T", "D"] if batch_major else ["T", "B", "D"]),
              ("W", [nd, k * H, "D"]), ("R", [nd, k * H, H]), ("B", [nd, 2 * k * H]),
              ("initial_h", state)]
    node_inputs = ["X", "W", "R", "B", "sequence_lens" if lengths else "", "initial_h"]
    outputs = ["Y", "Y_h"]
    if op == "LSTM":
        inputs.append(("initial_c", state))
        node_inputs.append("initial_c")
        outputs.append("Y_c")
        if a["peepholes"]:
            inputs.append(("P", [nd, 3 * H]))
            node_inputs.append("P")
    attrs = {"hidden_size": H, "direction": a["direction"]}
    names, alphas, betas = node_activations(op, a)  # both directions' on a bidirectional node
    if a["activations"] != DEFAULT_ACTIVATIONS[op]:
        attrs["activations"] = list(names)
    if alphas:
        attrs["activation_alpha"] = list(alphas)
    if betas:
        attrs["activation_beta"] = list(betas)
    if a["clip"] is not None:
        attrs["clip"] = a["clip"]
    for name in ("input_forget", "linear_before_reset", "layout"):
        if a.get(name):
            attrs[name] = a[name]
    node = helper.make_node(op, node_inputs, outputs, **attrs)
    values = [helper.make_tensor_value_info(n, elem, s) for n, s in inputs]
    if lengths:
        values.insert(4, helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, ["B"]))
    graph = helper.make_graph(
        [node], f"seqcheck_{op.lower()}", values,
        [helper.make_tensor_value_info(n, elem, None) for n in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="seqcheck")
    model.ir_version = IR_VERSION
    return model
