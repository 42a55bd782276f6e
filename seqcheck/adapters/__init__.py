"""Stage: a real implementation -> a :class:`~.base.Target` that ``seqcheck.verify`` runs.

- :mod:`.torch_nn`: torch.nn's recurrent modules (and modules with their parameter names)
  in every configuration, through layouts;
- :mod:`.onnx`: ONNX RNN, LSTM and GRU nodes, run by onnx.reference or onnxruntime;
- :mod:`.mapping`: any torch module, through a user's mapping file;
- :mod:`.reservoirpy`: reservoirpy's reservoir nodes, for the echo state network spec;
- :mod:`.base`: the protocol, for an engine of one's own.

Importing this package imports neither torch, onnx nor reservoirpy; the targets import
them when used.
"""

from .base import Observed, Target, projection_loss
from .mapping import MappingTarget, load_mapping
from .onnx import OnnxTarget
from .reservoirpy import ReservoirpyTarget
from .torch_nn import FAMILIES, CellLayout, Family, Layout, SequenceLayout, TorchTarget, layout_for

__all__ = ["FAMILIES", "CellLayout", "Family", "Layout", "MappingTarget", "Observed",
           "OnnxTarget", "ReservoirpyTarget", "SequenceLayout", "Target", "TorchTarget",
           "layout_for", "load_mapping", "projection_loss"]
