"""Spec (+ Derivation) -> one readable Python module with ``forward`` and ``backward``.

The module runs on an array namespace ``_xp`` (NumPy or torch, :mod:`.namespaces`).

``forward(params, inputs, initial, _T, _B, _dims, _xp)`` evaluates the sweeps of the
spec (:mod:`seqcheck.spec.schedule`) and returns every variable over time,
``(T, B, ...)``, with the values its backward reads rather than recomputes (names
starting with ``_``). Per-step values are written into preallocated arrays; the list
form (``lists=True``), stacked after each loop, is the one torch autograd can follow.

``backward(params, inputs, initial, values, seeds, _T, _B, _dims, _xp)`` is BPTT as the
derivation writes it: the sweeps in reverse order, each step's variables in reverse
order, each variable's adjoint the sum of its seed ∂ℓ/∂v_t, its same-step
contributions and its contributions from other steps (``gacc_v``); parameter gradients
are summed over steps and batch. It returns ``{"params": ..., "inputs": ...,
"initial": ...}``.

The package: :mod:`.module` writes the module (:func:`module_source`), :mod:`.forward` its
``forward``, :mod:`.backward` its ``backward``, and :mod:`.reads` the bindings both open with.
Passes for speed, each general over the derived equations: :mod:`.stacking` (products
sharing an operand as one product, and their input parts added once), :mod:`.deltas`
(the backward's deltas side by side, each sum over them one product), :mod:`.keep`
(forward values the backward reads) and :mod:`.factors` (the backward step's factors that
read only forward values, made for every step before its loop).
"""

from .module import module_source

__all__ = ["module_source"]
