"""The sizes of a case: a size per dim, the number of steps T and the batch size B.

:func:`dim_sizes` usually gives the dims distinct sizes (H != D), so that a transposed
weight fails; :func:`steps` and :func:`batch_sizes` shrink to T = 1 or 2 and B = 2.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from ..spec import Spec
from .arguments import check_fixed, check_range

__all__ = ["dim_sizes", "steps", "batch_sizes"]


def dim_sizes(spec: Spec, min_size: int = 1, max_size: int = 4,
              fixed: Mapping[str, int] | None = None) -> st.SearchStrategy[dict[str, int]]:
    """A size for every dim of ``spec``, usually all different (H != D).

    Three draws in four give the free dims distinct sizes, also distinct from the fixed
    ones where the range leaves room, so that a transposed weight (H, D) vs (D, H) fails
    on shape or value; the fourth draws each size on its own, which is the branch
    shrinking reaches, down to every free dim at ``min_size``.

    Arguments:
        spec: the spec whose dims to size.
        min_size, max_size: the range of a free dim's size, ``1 <= min_size <= max_size``.
        fixed: sizes that cannot change (a module instance's ``{"D": 3, "H": 5}``).
    Returns:
        a strategy of ``{dim name: size}`` in the spec's dim order.

    >>> # the smallest sizes of the seed 004 LSTM with its input size pinned at 3
    >>> from hypothesis import find
    >>> from seqcheck import load_spec
    >>> find(dim_sizes(load_spec("lstm"), fixed={"D": 3}), lambda sizes: True)
    {'D': 3, 'H': 1}
    """
    check_range("dim size", min_size, max_size, lowest=1)
    fixed = check_fixed(spec, fixed)
    names = tuple(d.name for d in spec.dims)
    free = tuple(n for n in names if n not in fixed)
    pool = tuple(k for k in range(min_size, max_size + 1) if k not in fixed.values())
    if len(pool) < len(free):  # not enough room to avoid the fixed sizes: free dims only
        pool = tuple(range(min_size, max_size + 1))
    return _sizes(names, fixed, free, pool, min_size, max_size)


@st.composite
def _sizes(draw, names, fixed, free, pool, min_size, max_size) -> dict[str, int]:
    n = len(free)
    if n and len(pool) >= n and draw(st.integers(0, 3), label="distinct dims") > 0:
        drawn = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n, unique=True),
                     label="distinct sizes")
    else:
        drawn = [draw(st.integers(min_size, max_size), label=name) for name in free]
    sizes = {**fixed, **dict(zip(free, drawn, strict=True))}
    return {name: sizes[name] for name in names}


def steps(min_steps: int = 1, max_steps: int = 6) -> st.SearchStrategy[int]:
    """The number of time steps T of a case; shrinks towards ``min_steps``.

    Arguments:
        min_steps, max_steps: the range, ``1 <= min_steps <= max_steps``.
    Returns:
        a strategy of ints.

    >>> # the fewest steps that still show a recurrence, h_1 feeding h_2
    >>> from hypothesis import find
    >>> find(steps(), lambda T: T >= 2)
    2
    """
    check_range("steps", min_steps, max_steps, lowest=1)
    return st.integers(min_steps, max_steps)


def batch_sizes(min_size: int = 2, max_size: int = 4) -> st.SearchStrategy[int]:
    """The batch size B of a case; at least 2 by default so that rows can differ.

    A batch of one cannot show rows mixed up, nor an implementation that reduces over
    the batch axis where it should not.

    Arguments:
        min_size, max_size: the range, ``1 <= min_size <= max_size``.
    Returns:
        a strategy of ints.

    >>> # what a failing case's batch shrinks to
    >>> from hypothesis import find
    >>> find(batch_sizes(), lambda B: True)
    2
    """
    check_range("batch size", min_size, max_size, lowest=1)
    return st.integers(min_size, max_size)
