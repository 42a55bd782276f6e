"""Variable sequence lengths: a spec whose rows each run over their own number of steps.

A batch of sequences of different lengths is padded to the longest, T steps; row b is
L_b steps long (0 <= L_b <= T, in any order). Its steps t > L_b are padding, and the
language gives them one meaning, whatever engine computes the model (ONNX's
``sequence_lens``, torch's ``PackedSequence``):

- a step mask m_t (1 for t <= L_b, 0 on padding) is an input declared ``mask = true``;
- on a padded step every state keeps its value: a state equation v = e becomes

      v_t = m_t e + (1 - m_t) v_{t-1}      (a forward chain)
      v_t = m_t e + (1 - m_t) v_{t+1}      (a backward chain),

  so a forward chain's final state is its value at t = L_b, and a backward chain carries
  its initial value through the padding and starts at each row's own end, t = L_b (seed
  000 eq. 23-24's backward recursion, started at the row's last real input);
- a per-step output is 0 on a padded step (what ONNX's ``Y`` and torch's
  ``pad_packed_sequence`` hold there): verify compares m_t y_t, and the projection loss
  of the gradient check sums over the real steps only.

:func:`with_lengths` writes that spec for any spec: the state equations rewritten, the
mask declared; it is validated, derived and compiled like any other. A spec may also be
written by hand with a mask input (docs/spec-language.md, "Variable sequence lengths").
"""

from __future__ import annotations

import numpy as np

from ..errors import SeqcheckError
from .load import loads_spec
from .model import Spec
from .toml_text import spec_text, toml_string

__all__ = ["MASK", "with_lengths", "step_mask"]

#: The mask input's name in a spec :func:`with_lengths` writes.
MASK = "valid"
_MASK_DOC = "1 on a row's own steps, 0 on its padding"


def with_lengths(spec: Spec, *, mask: str = MASK, name: str | None = None) -> Spec:
    """``spec`` run on rows of their own lengths: see the module docstring.

    Arguments:
        spec: any spec with sequence inputs and no mask input yet.
        mask: the name of the new per-step scalar input (default ``valid``).
        name: of the new spec (default ``<name>_lengths``).
    Raises:
        SeqcheckError: the spec has a mask already, or a declaration named ``mask``.

    >>> # an LSTM's cell state is held through a row's padding
    >>> from seqcheck import load_spec
    >>> print(with_lengths(load_spec("lstm")).equation("c").text)
    valid * (f * c[t-1] + i * c_tilde) + (1 - valid) * c[t-1]
    """
    from .schedule import make_schedule

    if spec.mask_input is not None:
        raise SeqcheckError(f"spec {spec.name!r} has a mask input already "
                            f"({spec.mask_input!r}): its rows have their own lengths")
    taken = {*spec.inputs, *spec.states, *spec.params, *spec.variables,
             *(d.name for d in spec.dims)}
    if mask in taken:
        raise SeqcheckError(f"spec {spec.name!r} already has a {mask!r}; name the mask "
                            "otherwise: with_lengths(spec, mask=...)")
    if not spec.sequence_inputs:
        raise SeqcheckError(f"spec {spec.name!r} has no sequence input: there is nothing "
                            "for a row's length to cut")
    schedule = make_schedule(spec)
    equations = {}
    for e in spec.equations:
        text = e.text
        if e.target in spec.states and schedule.sweep_of(e.target).direction:
            held = f"{e.target}[t{'-' if schedule.sweep_of(e.target).direction > 0 else '+'}1]"
            text = f"{mask} * ({e.text}) + (1 - {mask}) * {held}"
        equations[e.target] = text
    notes = (f"{spec.notes.strip()}\n\n" if spec.notes.strip() else "") + (
        f"Variable sequence lengths (seqcheck.spec.lengths.with_lengths of spec "
        f"'{spec.name}'): {mask} is 1 on a row's own steps and 0 on its padding; every "
        "state keeps its value through the padding.")
    text = spec_text(spec, name=name or f"{spec.name}_lengths",
                     title=f"{spec.title or spec.name}, rows of their own lengths",
                     notes=notes, equations=equations,
                     inputs={mask: "{ shape = [], mask = true, doc = "
                                   f"{toml_string(_MASK_DOC)} }}"})
    return loads_spec(text, file=f"<{spec.name} with lengths>")


def step_mask(lengths, steps: int) -> np.ndarray:
    """The mask input of rows of ``lengths``: ``(T, B)``, 1.0 where t <= L_b.

    >>> step_mask([2, 0, 3], 3).T.tolist()
    [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.ndim != 1 or np.any(lengths < 0) or np.any(lengths > steps):
        raise SeqcheckError(f"lengths must be one integer per row, each from 0 to T = {steps}; "
                            f"got {lengths.tolist()}")
    t = np.arange(1, steps + 1)[:, None]
    return (t <= lengths[None, :]).astype(np.float64)
