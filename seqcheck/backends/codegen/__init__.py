"""Spec (+ Derivation) -> one readable Python module with ``forward`` and ``backward``.

The module runs on an array namespace ``_xp`` (NumPy or torch, :mod:`.namespaces`).

``forward(params, inputs, initial, _T, _B, _dims, _xp)`` evaluates the sweeps of the
spec (:mod:`seqcheck.spec.schedule`) and returns every variable stacked over time,
``(T, B, ...)``. Per-step values are kept in Python lists, which torch autograd can
follow (no in-place writes).

``backward(params, inputs, initial, values, seeds, _T, _B, _dims, _xp)`` is BPTT as the
derivation writes it: the sweeps in reverse order, each step's variables in reverse
order, each variable's adjoint the sum of its seed ∂ℓ/∂v_t, its same-step
contributions and its contributions from other steps (``gacc_v``); parameter gradients
are summed over steps and batch. It returns ``{"params": ..., "inputs": ...,
"initial": ...}``.

The package: :mod:`.module` writes the module (:func:`module_source`), :mod:`.forward` its
``forward``, :mod:`.backward` its ``backward``, and :mod:`.reads` the bindings both open with.
"""

from .module import module_source

__all__ = ["module_source"]
