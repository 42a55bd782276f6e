"""The concrete shapes of a spec's declarations at one set of dim sizes.

:func:`case_shapes` evaluates every declared shape (compound dims such as ``1 + N_u``
included) at given sizes, for the parameters, the sequence and static inputs, the states
read at another step and the output variables; :class:`CaseShapes` adds the time and
batch axes of a case. The value strategies draw arrays of exactly these shapes, and
``verify --replay`` checks a saved case against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from ..errors import ShapeError
from ..spec import Spec
from .arguments import check_sizes

__all__ = ["CaseShapes", "case_shapes"]


@dataclass(frozen=True)
class CaseShapes:
    """The concrete shapes of a spec's declarations at one set of sizes."""

    params: dict[str, tuple[int, ...]]
    sequence: dict[str, tuple[int, ...]]  # per step and row
    static: dict[str, tuple[int, ...]]  # per row
    states: dict[str, tuple[int, ...]]  # states read at another step, per row
    outputs: dict[str, tuple[int, ...]]  # per step and row

    def inputs(self, T: int, B: int) -> dict[str, tuple[int, ...]]:
        return {n: ((B,) + s if n in self.static else (T, B) + s)
                for n, s in {**self.sequence, **self.static}.items()}

    def initial(self, B: int) -> dict[str, tuple[int, ...]]:
        return {n: (B,) + s for n, s in self.states.items()}

    def seeds(self, T: int, B: int) -> dict[str, tuple[int, ...]]:
        return {n: (T, B) + s for n, s in self.outputs.items()}


def case_shapes(spec: Spec, sizes: Mapping[str, int], outputs=None) -> CaseShapes:
    """The shapes of ``spec``'s declarations at ``sizes``.

    Arguments:
        spec: the spec.
        sizes: ``{dim name: size}`` for every dim of ``spec``.
        outputs: the variables to give seed shapes, or None for ``spec.outputs``.
    Returns:
        a :class:`CaseShapes`; its ``inputs``, ``initial`` and ``seeds`` add the T and B axes.

    >>> # the seed 003 ESN at N_u = 1: W_in has its bias column (1 + N_u)
    >>> from seqcheck import load_spec
    >>> case_shapes(load_spec("esn"), {"N_u": 1, "N_x": 2, "N_y": 1}).params["W_in"]
    (2, 2)
    """
    check_sizes(spec, sizes)
    delayed = spec.delayed_refs()
    inputs = {n: _shape(spec, d.shape, sizes, f"input '{n}'") for n, d in spec.inputs.items()}
    return CaseShapes(
        params={n: _shape(spec, d.shape, sizes, f"parameter '{n}'")
                for n, d in spec.params.items()},
        sequence={n: s for n, s in inputs.items() if not spec.inputs[n].static},
        static={n: s for n, s in inputs.items() if spec.inputs[n].static},
        states={n: _shape(spec, d.shape, sizes, f"state '{n}'")
                for n, d in spec.states.items() if n in delayed},
        outputs={v: _shape(spec, spec.shape_of(v), sizes, f"variable '{v}'")
                 for v in (spec.outputs if outputs is None else outputs)},
    )


def _shape(spec: Spec, declared: tuple, sizes: Mapping[str, int], what: str) -> tuple[int, ...]:
    """The concrete shape of a declaration (``(1 + N_u,)`` -> ``(3,)`` at N_u = 2)."""
    binding = {d.symbol: sp.Integer(sizes[d.name]) for d in spec.dims}
    shape = []
    for n in declared:
        value = sp.sympify(n).xreplace(binding)
        if not value.is_Integer or value < 0:
            raise ShapeError(f"{what}: dim {n} is {value} at {dict(sizes)}, not a size")
        shape.append(int(value))
    return tuple(shape)
