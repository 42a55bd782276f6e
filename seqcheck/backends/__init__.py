"""Stage 3: Spec -> generated source -> callables (NumPy now; torch loads lazily)."""

from .numpy_backend import NumpyForward, NumpyPrinter, Trajectory, compile_numpy, numpy_source

__all__ = ["NumpyForward", "NumpyPrinter", "Trajectory", "compile_numpy", "numpy_source"]
