"""Time and batch in a graph's inputs: which axes they are, and graphs built for one size.

verify draws the steps T and the batch B of every case, so it must know which axis of
each graph input is T and which is B. :func:`free_sizes` finds them with ONNX's own shape
inference (``onnx.shape_inference.infer_shapes``, with data propagation through
Shape/Gather/Concat): every axis of every input is given a symbol of its own, and the
symbols that reach the time and batch axes of the recurrent nodes' ``X``, ``initial_h``
and ``initial_c`` are T and B.

An exported graph often fixes T and B: torch's exporters write the example input's sizes
into the declared input shapes, and the dynamo exporter also into the constant shape of
the Reshape that follows the node (``[4, 2, 5]``, torch 2.13). What a graph *declares*
fixed, seqcheck frees: the declared sizes become symbols, and an entry of a constant
Reshape shape that repeats such a size at the same axis becomes 0 (ONNX Reshape with
``allowzero = 0``: copy that axis), which is the same reshape at the declared size. Each
such rewrite is listed in the target's description (a Reshape with ``allowzero = 1`` and
no 0 in its shape reads it the same with ``allowzero = 0``, which the rewrite then sets).
An axis the graph declares free but
then fixes inside (a Reshape to a constant T) is left as it is: the graph raises at any
other size, and verify reports what it raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError

__all__ = ["FreeSizes", "free_sizes", "tensor_shapes"]

#: (time axis, batch axis) of X and the batch axis of initial_h / initial_c, by layout.
_X_AXES = {0: (0, 1), 1: (1, 0)}
_STATE_BATCH = {0: 1, 1: 0}


@dataclass(frozen=True)
class FreeSizes:
    """How each graph input's shape follows a case's T and B.

    Attributes:
        axes: input -> per axis ``"T"``, ``"B"`` or the fixed size.
        declared: input -> the shape the graph declared (sizes and symbols).
        rewrites: what was changed to free sizes the graph declared fixed, one line each.
    """

    axes: Mapping[str, tuple]
    declared: Mapping[str, tuple]
    rewrites: tuple[str, ...]

    def shape(self, name: str, T: int, B: int) -> tuple[int, ...]:
        """Input ``name``'s shape for a case of ``T`` steps and batch ``B``.

        >>> FreeSizes({"x": ("B", "T", 3)}, {"x": (2, 4, 3)}, ()).shape("x", 6, 1)
        (1, 6, 3)
        """
        return tuple(T if a == "T" else B if a == "B" else a for a in self.axes[name])

    def example(self, name: str) -> dict[str, int]:
        """The T and B the graph declared for input ``name`` (where it fixed them)."""
        out = {}
        for role, size in zip(self.axes[name], self.declared[name]):
            if role in ("T", "B") and isinstance(size, int) and size > 0:
                out[role] = size
        return out


def _dims(value_info) -> tuple:
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        return ()
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                 for d in t.shape.dim)


def tensor_shapes(model) -> dict[str, tuple]:
    """Every tensor's shape as ONNX shape inference gives it: sizes, symbols or None."""
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    g = inferred.graph
    shapes = {i.name: tuple(i.dims) for i in g.initializer}
    for vi in (*g.input, *g.value_info, *g.output):
        shapes.setdefault(vi.name, _dims(vi))
    return shapes


def _symbol(name: str, axis: int) -> str:
    return f"{name}#{axis}"


def _constant_shape(model, name: str):
    """(the int64 constant named ``name``, where it lives) or None."""
    from onnx import numpy_helper

    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init), init
    for node in model.graph.node:
        if node.op_type == "Constant" and list(node.output) == [name]:
            for a in node.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t), node
    return None


def _free_reshapes(model, shapes: Mapping, fixed: Mapping[str, int]) -> list[str]:
    """Rewrite constant Reshape shapes that repeat a size the graph declared (see above)."""
    from onnx import numpy_helper

    rewrites = []
    for k, node in enumerate(model.graph.node):
        if node.op_type != "Reshape" or len(node.input) < 2:
            continue
        found = _constant_shape(model, node.input[1])
        dims = shapes.get(node.input[0]) or ()
        if found is None:
            continue
        value = np.array(found[0], dtype=np.int64).reshape(-1)
        allowzero = [a for a in node.attribute if a.name == "allowzero" and a.i]
        if allowzero and (value == 0).any():  # a literal 0 extent: 0 cannot copy an axis
            continue
        new = value.copy()
        for i, (entry, dim) in enumerate(zip(value, dims)):
            if isinstance(dim, str) and dim in fixed and fixed[dim] == entry:
                new[i] = 0
        if (new == value).all():
            continue
        for a in allowzero:  # no 0 in the shape: allowzero = 0 reads it the same way
            node.attribute.remove(a)
        name = f"{node.input[1]}_free{k}"
        model.graph.initializer.append(numpy_helper.from_array(new, name))
        node.input[1] = name
        rewrites.append(f"Reshape {node.name or k}: constant shape {value.tolist()} -> "
                        f"{new.tolist()} (0 copies the axis)")
    return rewrites


def free_sizes(model, nodes: Sequence, data_inputs: Sequence[str]):
    """Free the graph's T and B: returns ``(model, FreeSizes)``; ``model`` is changed.

    Arguments:
        model: an ``onnx.ModelProto`` (edited in place: input shapes, Reshape constants).
        nodes: the graph's :class:`~.nodes.RecurrentNode` s.
        data_inputs: the graph inputs that are not initializers.
    Raises:
        SeqcheckError: the time or batch axis of a node's X cannot be followed back to
            the graph's inputs.
    """
    g = model.graph
    declared, fixed = {}, {}
    by_name = {i.name: i for i in g.input}
    for name in data_inputs:
        dims = _dims(by_name[name])
        declared[name] = dims
        shape = by_name[name].type.tensor_type.shape
        for axis, d in enumerate(shape.dim):
            symbol = _symbol(name, axis)
            if d.HasField("dim_value") and d.dim_value > 0:
                fixed[symbol] = d.dim_value
            d.Clear()
            d.dim_param = symbol
    for out in g.output:  # declared output shapes would hold the example's sizes
        out.type.tensor_type.ClearField("shape")
    del g.value_info[:]
    rewrites: list[str] = []
    for _ in range(4):  # each rewrite can free the shape a later Reshape sees
        shapes = tensor_shapes(model)
        done = _free_reshapes(model, shapes, fixed)
        if not done:
            break
        rewrites += done
    roles: dict[str, str] = {}
    for node in nodes:
        t_axis, b_axis = _X_AXES[node.layout]
        x = shapes.get(node.inputs["X"]) or ()
        if len(x) != 3:
            raise SeqcheckError(f"cannot follow the shape of {node.label}'s input X "
                                f"({node.inputs['X']!r}) back to the graph's inputs: shape "
                                f"inference gives {list(x) or 'nothing'}")
        pairs = [(x[t_axis], "T"), (x[b_axis], "B")]
        for role in ("initial_h", "initial_c"):
            state = shapes.get(node.inputs.get(role, "")) or ()
            if len(state) == 3:
                pairs.append((state[_STATE_BATCH[node.layout]], "B"))
        for symbol, role in pairs:
            if isinstance(symbol, str) and "#" in symbol:
                if roles.setdefault(symbol, role) != role:
                    raise SeqcheckError(f"axis {symbol.split('#')[1]} of input "
                                        f"{symbol.split('#')[0]!r} is both the time and the "
                                        "batch axis of the graph's recurrent nodes")
    for role, what in (("T", "time"), ("B", "batch")):
        declared_sizes = {s: fixed[s] for s, r in roles.items() if r == role and s in fixed}
        if len(set(declared_sizes.values())) > 1:
            shown = ", ".join(f"input {s.split('#')[0]!r} axis {s.split('#')[1]} = {n}"
                              for s, n in sorted(declared_sizes.items()))
            raise SeqcheckError(f"the graph's declared sizes contradict its recurrent "
                                f"nodes: {shown} are all the {what} axis of a node, so the "
                                "graph cannot run at the sizes it declares (a Transpose "
                                "that exchanges the wrong axes?)")
        if role not in roles.values():
            x = shapes.get(nodes[0].inputs["X"])
            raise SeqcheckError(f"cannot tell which axis of the graph's inputs is the {what} "
                                f"axis of {nodes[0].label}'s X: shape inference gives "
                                f"{list(x)}, which no input axis reaches")
    axes = {}
    for name in data_inputs:
        shape = by_name[name].type.tensor_type.shape
        row = []
        for axis, d in enumerate(shape.dim):
            symbol = _symbol(name, axis)
            role = roles.get(symbol)
            if role is not None:
                d.dim_param = role
                row.append(role)
            elif symbol in fixed:
                d.Clear()
                d.dim_value = fixed[symbol]
                row.append(fixed[symbol])
            else:
                raise SeqcheckError(
                    f"axis {axis} of graph input {name!r} (declared "
                    f"{declared[name][axis]!r}) is neither a fixed size nor the time or batch "
                    "axis of a recurrent node's X, initial_h or initial_c")
        axes[name] = tuple(row)
    return model, FreeSizes(axes, declared, tuple(rewrites))
