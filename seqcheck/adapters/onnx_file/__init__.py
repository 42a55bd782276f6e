"""ONNX graphs as verification targets: a user's ``.onnx`` file, or torch's own exports.

:class:`OnnxFileTarget` (:mod:`.target`) holds a graph of one RNN, LSTM or GRU node -- or a
stack of them, each reading the Y of the one below -- and the ops that move data around
them (Transpose, Reshape, Squeeze, Unsqueeze, Slice, Concat, Gather, Expand, Identity, and
Shape and friends computing their shapes). :func:`~.graph.recognise` finds, by a traced
evaluation (:mod:`.tracing`), where each element of the nodes' inputs comes from:

===============  ==========================================================================
node input       comes from
===============  ==========================================================================
X                one graph input, in its own layout (a Transpose: batch-first); an upper
                 layer's X from the Y of the node below
initial_h / _c   graph inputs (torch's h0 sliced per layer); where the graph fixes them
                 (left out, a constant) seqcheck feeds the node directly
W, R, B, P       initializers, directly or through Slice / Concat / Unsqueeze; these
                 become graph inputs, so one session serves every case
Y, Y_h, Y_c      read back from the graph's outputs (through a Squeeze, a Transpose and a
                 Reshape of the directions side by side, ...)
===============  ==========================================================================

The spec parameters of each case are stacked as ONNX stacks them
(:func:`seqcheck.adapters.onnx.stacked_slots`: LSTM i, o, f, c; GRU z, r, h) and written,
through the traced copies, into the initializers the nodes read: the initializers are then
free parameters, whatever order the graph concatenates them in. Where something says which
initializer holds which parameter -- a mapping file naming them, or the torch module a
graph was exported from (:mod:`.placement`) -- they are written there instead, and a graph
or an exporter that puts a gate's weights where another gate reads them is found.
Layer ``k``, direction ``d`` holds the chain named by
:func:`seqcheck.spec.compose.suffix` (``W_iz_l1_reverse``; one chain keeps the cell's
names). The default spec is the one the nodes' attributes document
(:func:`~.nodes.graph_spec`); :mod:`.export` exports torch modules with each of torch's
exporters and holds the graphs to the module's own spec.

onnx, onnxruntime and torch are imported inside functions only.
"""

from .export import EXPORTERS, Exported, export_model, export_targets
from .graph import Recognised, recognise
from .nodes import RecurrentNode, graph_spec, read_node
from .placement import Placed
from .target import ENGINES, OnnxFileTarget

__all__ = ["ENGINES", "EXPORTERS", "Exported", "OnnxFileTarget", "Placed", "Recognised",
           "RecurrentNode", "export_model", "export_targets", "graph_spec", "read_node",
           "recognise"]
