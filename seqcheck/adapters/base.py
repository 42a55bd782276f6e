"""What :func:`seqcheck.verify` needs of an implementation: the :class:`Target` protocol.

A target wraps one implementation -- a torch module (:mod:`.torch_nn`), an ONNX node run
by an engine (:mod:`.onnx`), a module described by a user's mapping file
(:mod:`.mapping`) -- and runs it on a generated :class:`~seqcheck.strategies.Case`:

- ``case.params`` holds the spec's parameters by name; the target writes them into its
  own tensors (stacked, transposed, sliced: its layout);
- ``case.inputs["x"]`` is time-major ``(T, B, D)``, ``case.initial[s]`` is ``(B, n)``
  for every state the target carries;
- it returns an :class:`Observed`: every step's value of each spec variable in
  :attr:`Target.outputs`, and each state's value at the end of its sweep (t = T for a
  forward chain, t = 1 for a reverse one);
- a case may give each row its own length (``case.lengths``, for a spec with a mask
  input): a target with a ``min_length`` runs each row over its own steps, as its engine
  does, and returns 0 as the output of a padded step;
- with ``gradients=True`` it also returns the gradients of the projection loss
  :func:`projection_loss` with respect to every parameter, the input and the initial
  states, from its own autograd.

Targets never alter what the user handed in: they work on their own copies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Observed", "Target", "projection_loss"]


@dataclass(frozen=True)
class Observed:
    """What a target produced on one case, as float64 arrays.

    Arguments:
        per_step: ``{variable: (T, B, *shape)}`` for every variable in ``Target.outputs``.
        final: ``{state: (B, *shape)}`` for every state in ``Target.states``.
        params: gradients ``{spec parameter: array of its shape}``, or None.
        x: gradient of the input, ``(T, B, D)``, or None.
        initial: gradients ``{state: (B, *shape)}`` of the initial states, or None.
        per_step_slack, final_slack: for a target that computes the spec only
            approximately by design (a quantized module), how far each value may be from
            the spec's, added to the tolerance, in the shapes of ``per_step`` and
            ``final``; None for a target held to the spec itself.
    """

    per_step: Mapping[str, np.ndarray]
    final: Mapping[str, np.ndarray]
    params: Mapping[str, np.ndarray] | None = None
    x: np.ndarray | None = None
    initial: Mapping[str, np.ndarray] | None = None
    per_step_slack: Mapping[str, np.ndarray] | None = None
    final_slack: Mapping[str, np.ndarray] | None = None


class Target(ABC):
    """An implementation under verification; see the module docstring.

    Attributes (set by subclasses):
        name: the target as the user named it (``"torch.nn.LSTM"``, ``"onnxruntime:GRU"``).
        description: its layout in a few words, for reports.
        states: spec states the target takes initial values for and returns at the end.
        outputs: spec variables it returns at every step.
        dtypes: NumPy dtype names it runs in, the default first.
        has_gradients: whether it can differentiate (ONNX engines cannot).
        min_length: the shortest row it runs when a case's rows have their own lengths
            (``case.lengths``, :mod:`seqcheck.spec.lengths`): 0 or 1; None (the default)
            when it cannot run rows of their own lengths.
    """

    name: str
    description: str
    states: tuple[str, ...]
    outputs: tuple[str, ...]
    dtypes: tuple[str, ...] = ("float32", "float64")
    has_gradients: bool = True
    min_length: int | None = None

    @abstractmethod
    def default_spec(self):
        """The :class:`~seqcheck.spec.Spec` this kind of target documents that it follows."""

    def fixed_sizes(self, spec) -> dict[str, int] | None:
        """Dims the target cannot change (an instance's sizes), or None if it can be built
        at any size."""
        return None

    @abstractmethod
    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """Run the target on ``case`` in ``dtype``; see the module docstring."""


def projection_loss(case, outputs, states, per_step: Mapping, final: Mapping, lib=np):
    """The scalar L = Σ_t ⟨P_t, v_t⟩ that gradients are compared on.

    Every variable in ``outputs`` is projected at every step with ``case.seeds[v]``;
    a state not among the outputs (seen only at the end, like a torch LSTM's c) is
    projected at its last value with the seed's last step.

    Arguments:
        per_step, final: as in :class:`Observed`, arrays of ``lib`` (NumPy or torch).
        lib: ``numpy`` or ``torch``: the library the arrays belong to.

    >>> # one step, one output h = [1, 2] projected on [3, 4]: 1*3 + 2*4
    >>> from seqcheck.strategies import Case
    >>> case = Case({"H": 2}, 1, 1, {}, {}, {}, {"h": np.array([[[3.0, 4.0]]])})
    >>> float(projection_loss(case, ("h",), ("h",), {"h": np.array([[[1.0, 2.0]]])}, {}))
    11.0
    """
    loss = 0
    for v in outputs:
        seed = case.seeds[v]
        if lib is not np:
            seed = lib.as_tensor(seed, dtype=per_step[v].dtype, device=per_step[v].device)
        loss = loss + (per_step[v] * seed).sum()
    for s in states:
        if s not in outputs:
            seed = case.seeds[s][-1]
            if lib is not np:
                seed = lib.as_tensor(seed, dtype=final[s].dtype, device=final[s].device)
            loss = loss + (final[s] * seed).sum()
    return loss
