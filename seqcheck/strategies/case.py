"""Whole verification cases: the :class:`Case` record and the :func:`cases` strategy.

A case is everything one forward/backward comparison needs: a size per dim, the number
of steps T, the batch size B, parameters, inputs, initial states and projection seeds.
:func:`cases` composes the size strategies (:mod:`.sizes`) and the value draws
(:mod:`.values`) into one strategy that shrinks to small dims, T = 1 or 2 and B = 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from hypothesis import strategies as st

from ..spec import Spec
from ..spec.lengths import step_mask
from .arguments import check_bounds
from .shapes import case_shapes
from .sizes import batch_sizes, dim_sizes, steps
from .values import draw_initial_states, draw_parameters, draw_projections, draw_sequences

__all__ = ["Case", "cases"]


@dataclass(frozen=True, eq=False)
class Case:
    """One generated verification case: sizes, parameters, inputs, initial states, seeds.

    Arguments:
        sizes: ``{dim name: size}``.
        steps: T.
        batch: B.
        params: ``{parameter: array}`` with the declared shapes.
        inputs: sequence inputs ``(T, B, n)``, static inputs ``(B, n)``.
        initial: ``{state: (B, n)}`` for every state read at another step.
        seeds: ``{output variable: (T, B, *shape)}`` projections for the gradient check.
        lengths: for a spec with a mask input, each row's own number of steps ``(B,)``
            (0 <= L_b <= T; the mask input is drawn from them); None: every row runs T.
    """

    sizes: Mapping[str, int]
    steps: int
    batch: int
    params: Mapping[str, np.ndarray]
    inputs: Mapping[str, np.ndarray]
    initial: Mapping[str, np.ndarray]
    seeds: Mapping[str, np.ndarray]
    lengths: np.ndarray | None = None

    def __post_init__(self):
        for attr in ("sizes", "params", "inputs", "initial", "seeds"):
            object.__setattr__(self, attr, MappingProxyType(dict(getattr(self, attr))))
        if self.lengths is not None:
            lengths = np.array(self.lengths, dtype=np.int64)
            lengths.setflags(write=False)
            object.__setattr__(self, "lengths", lengths)

    def describe(self) -> str:
        """A short line for a counterexample: ``"D=1, H=2; T=2 steps; batch B=2"``.

        >>> # what a shrunk LSTM counterexample prints
        >>> Case({"D": 1, "H": 2}, 2, 2, {}, {}, {}, {}).describe()
        'D=1, H=2; T=2 steps; batch B=2'
        """
        dims = ", ".join(f"{n}={k}" for n, k in self.sizes.items()) or "no dims"
        text = f"{dims}; T={self.steps} step{'s' * (self.steps != 1)}; batch B={self.batch}"
        if self.lengths is not None:
            text += f"; lengths {self.lengths.tolist()}"
        return text


def cases(spec: Spec, *, fixed_sizes: Mapping[str, int] | None = None, max_steps: int = 6,
          max_batch: int = 4, witness: bool = True,
          min_length: int = 0, lengths: bool = False) -> st.SearchStrategy[Case]:
    """Whole verification cases for ``spec``, shrinking to small dims, T = 1 or 2, B = 2.

    Composes :func:`dim_sizes` (1 to 4), :func:`steps`, :func:`batch_sizes`,
    :func:`parameters`, :func:`sequences`, :func:`initial_states` and
    :func:`projections`; parameters, inputs and initial states draw their scales
    separately, so large weights meet small inputs and the other way round.

    Arguments:
        spec: the spec to generate cases for.
        fixed_sizes: dims whose sizes cannot change (a module instance's).
        max_steps: the most steps T (at least 1).
        max_batch: the largest batch B (at least 2).
        witness: draw witness weights (see :func:`parameters`).
        min_length: for a spec with a mask input (:mod:`seqcheck.spec.lengths`), the
            shortest row drawn (torch's packed sequences take no empty row: 1). Each row's
            length is drawn from min_length..T, unsorted, and shrinks towards min_length,
            keeping the row whose length exposes a defect short.
        lengths: draw each row's length for a spec without a mask input too (the case's
            ``lengths`` set, no mask among its inputs): a target fed lengths that the spec
            ignores.
    Returns:
        a strategy of :class:`Case`.

    >>> # the smallest seed 004 LSTM case that runs two steps
    >>> from hypothesis import find
    >>> from seqcheck import load_spec
    >>> find(cases(load_spec("lstm")), lambda case: case.steps >= 2).describe()
    'D=1, H=1; T=2 steps; batch B=2'
    """
    parts = (dim_sizes(spec, fixed=fixed_sizes), steps(max(1, min_length), max_steps),
             batch_sizes(2, max_batch))
    draw_lengths = lengths or spec.mask_input is not None
    return _cases(spec, *parts, check_bounds(spec, None), witness, {},
                  min_length if draw_lengths else None)


@st.composite
def _cases(draw, spec, sizes, steps, batch, limits, witness, plans, min_length=None) -> Case:
    # the draw functions are called directly: a strategy built per example would cost a
    # source inspection each time (Hypothesis labels a composite by its function's source)
    sizes = draw(sizes, label="sizes")
    T, B = draw(steps, label="steps"), draw(batch, label="batch")
    key = tuple(sizes.values())
    if key not in plans:
        plans[key] = case_shapes(spec, sizes)
    plan = plans[key]
    mask = spec.mask_input
    shapes = {n: s for n, s in plan.inputs(T, B).items() if n != mask}
    inputs = draw_sequences(draw, shapes, None)
    lengths = None
    if min_length is not None:  # rows of their own lengths
        lengths = np.array([draw(st.integers(min_length, T), label=f"length of row {b + 1}")
                            for b in range(B)])
        if mask is not None:
            inputs[mask] = step_mask(lengths, T)
    return Case(
        sizes=sizes,
        steps=T,
        batch=B,
        params=draw_parameters(draw, plan.params, limits, None, witness),
        inputs=inputs,
        initial=draw_initial_states(draw, plan.initial(B), None),
        seeds=draw_projections(draw, plan.seeds(T, B)),
        lengths=lengths,
    )
