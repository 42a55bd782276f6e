"""Stage: a real implementation (a torch.nn module) -> a layout mapping it onto a spec.

Importing this package does not import torch; the layouts import it when used.
"""

from .torch_nn import FAMILIES, CellLayout, Family, Layout, SequenceLayout, layout_for

__all__ = ["FAMILIES", "CellLayout", "Family", "Layout", "SequenceLayout", "layout_for"]
