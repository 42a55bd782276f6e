"""Stage: Spec (+ Derivation) -> generated source -> callables on NumPy or torch."""

from .compiled import CompiledSpec, Gradients, Trajectory
from .numpy_backend import compile_numpy, numpy_source
from .printer import ArrayPrinter

__all__ = ["ArrayPrinter", "CompiledSpec", "Gradients", "Trajectory", "compile_numpy",
           "numpy_source"]
