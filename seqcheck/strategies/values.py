"""The values of a case: parameters, inputs, initial states and projection seeds.

Each public function checks its arguments and returns a Hypothesis strategy; the
``draw_*`` functions beside them do the drawing, so that :func:`~seqcheck.strategies.cases`
can call them directly inside one composite. Two choices aim at bugs that pass ordinary
tests: witness weights (every parameter entry distinct, so a permutation of gate blocks
changes what an implementation computes with) and distinct inputs (so batch rows and
time steps differ).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ..errors import ShapeError
from ..spec import Spec
from .arguments import check_bounds, check_count, check_scale
from .grid import draw_scale, draw_values
from .shapes import case_shapes

__all__ = ["parameters", "sequences", "initial_states", "projections", "draw_parameters",
           "draw_sequences", "draw_initial_states", "draw_projections"]


def parameters(spec: Spec, sizes: Mapping[str, int], scale: float | None = None,
               witness: bool = True, bounds: Mapping[str, tuple[float, float] | None] | None
               = None) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """Float64 parameters of exactly the declared shapes, by default witness weights.

    Witness weights: with ``witness=True`` every entry of every parameter differs from
    every other entry of every parameter (one draw of distinct grid points, split in
    declaration order), so any permutation of gate blocks (W_ii vs W_if; PyTorch's i, f,
    g, o vs ONNX's i, o, f, c) changes what an implementation computes with. ONNX's golden
    tests (``test_lstm_defaults``: ``weight_scale * np.ones``) and Keras's
    (``Constant(0.01)`` kernels) use uniform weights, which hide such permutations. One
    draw in eight, and what shrinking reaches first, is an evenly spaced ramp over
    ``[-scale, scale]`` in declaration order: distinct, and easy to read in a counterexample.

    Magnitudes: entries lie in ``[-scale, scale]``, ``scale`` drawn from :data:`SCALES`
    unless given; 6 saturates sigmoid and tanh gates and drives LSTM cell states beyond
    ±1 (seed 004's c_t = f_t * c_{t-1} + i_t * c~_t grows by up to 1 a step when f_t, i_t
    are near 1).

    Bounded parameters: a parameter named in ``bounds`` lies in ``[low, high]`` instead,
    whatever the scale. By default every scalar parameter does in ``[0, 1]``: the
    catalogue's scalars are leak rates (seed 000 eq. 29, seed 003's ESN alpha), which
    make the update a convex combination only there. Entries of ``bounds`` override the
    default per parameter; ``None`` as the bounds of one lifts them.

    Arguments:
        spec: the spec whose parameters to draw.
        sizes: ``{dim name: size}`` for every dim; compound dims (``1 + N_u``) are
            evaluated with them.
        scale: the magnitude of the unbounded parameters, or None to draw one.
        witness: every entry distinct (True), or each entry drawn on its own (False).
        bounds: ``{parameter: (low, high) or None}``, merged over the default.
    Returns:
        a strategy of ``{parameter: float64 array}`` with the declared shapes, e.g.
        ``W_ii: (H, D)``, ``alpha: ()``.

    >>> # the seed 003 ESN at N_u = 1, N_x = 2, N_y = 1: W_in has its bias column
    >>> from hypothesis import find
    >>> from seqcheck import load_spec
    >>> esn = load_spec("esn")
    >>> p = find(parameters(esn, {"N_u": 1, "N_x": 2, "N_y": 1}), lambda p: True)
    >>> {name: a.shape for name, a in p.items()}
    {'W_in': (2, 2), 'W': (2, 2), 'W_out': (1, 4), 'alpha': ()}
    >>> # all 13 entries distinct, and the leak rate in [0, 1]
    >>> len(set(np.concatenate([a.ravel() for a in p.values()]))), bool(0 <= p["alpha"] <= 1)
    (13, True)
    """
    shapes = case_shapes(spec, sizes).params
    limits = check_bounds(spec, bounds)
    check_scale(scale)
    return _parameters(shapes, limits, scale, witness)


def draw_parameters(draw, shapes, limits, scale, witness) -> dict[str, np.ndarray]:
    s = draw_scale(draw, scale, "parameter scale")
    ranges = {n: limits.get(n, (-s, s)) for n in shapes}
    out = draw_values(draw, shapes, ranges, witness, "witness weights" if witness else "weights")
    if witness and limits:
        # distinct lattice points, but on two grids: a bounded entry may meet a free one
        flat = np.concatenate([a.ravel() for a in out.values()])
        assume(len(np.unique(flat)) == flat.size)
    return out


_parameters = st.composite(draw_parameters)


def sequences(spec: Spec, sizes: Mapping[str, int], T: int, B: int,
              scale: float | None = None) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """Inputs for ``T`` steps of a batch of ``B``; every entry distinct, so rows differ.

    Distinct entries across all inputs make every batch row and every time step differ
    from every other: an implementation that mixes up time-major and batch-major layouts,
    or broadcasts one row over the batch, reads different values.

    Arguments:
        spec: the spec whose inputs to draw.
        sizes: ``{dim name: size}`` for every dim.
        T, B: steps and batch size.
        scale: the inputs' magnitude, or None to draw one from :data:`SCALES`.
    Returns:
        a strategy of ``{input: float64 array}``: sequence inputs ``(T, B, n)``, static
        inputs ``(B, n)``.

    >>> # two steps of a batch of two for the seed 004 LSTM at D = 3
    >>> from hypothesis import find
    >>> from seqcheck import load_spec
    >>> find(sequences(load_spec("lstm"), {"D": 3, "H": 1}, T=2, B=2), lambda x: True)["x"].shape
    (2, 2, 3)
    """
    check_count("steps T", T)
    check_count("batch size B", B)
    check_scale(scale)
    return _sequences(case_shapes(spec, sizes).inputs(T, B), scale)


def draw_sequences(draw, shapes, scale) -> dict[str, np.ndarray]:
    s = draw_scale(draw, scale, "input scale")
    return draw_values(draw, shapes, dict.fromkeys(shapes, (-s, s)), True, "inputs")


_sequences = st.composite(draw_sequences)


def initial_states(spec: Spec, sizes: Mapping[str, int], B: int,
                   scale: float | None = None) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """Initial values ``(B, n)`` for every state read at another step.

    Each state is all zeros one draw in four (the declared ``init = "0"`` of the
    catalogue, and what shrinking reaches) and random otherwise. A backward-in-time state
    (birnn's h_bwd, read at t+1) gets its value after the last step.

    Arguments:
        spec: the spec whose states to draw.
        sizes: ``{dim name: size}`` for every dim.
        B: batch size.
        scale: the magnitude, or None to draw one from :data:`SCALES`.
    Returns:
        a strategy of ``{state: float64 array (B, *shape)}``.

    >>> # the seed 004 LSTM reads both h[t-1] and c[t-1]
    >>> from hypothesis import find
    >>> from seqcheck import load_spec
    >>> h0 = find(initial_states(load_spec("lstm"), {"D": 1, "H": 3}, B=2), lambda s: True)
    >>> {name: a.shape for name, a in h0.items()}
    {'h': (2, 3), 'c': (2, 3)}
    """
    check_count("batch size B", B)
    check_scale(scale)
    return _initial_states(case_shapes(spec, sizes).initial(B), scale)


def draw_initial_states(draw, shapes, scale) -> dict[str, np.ndarray]:
    s = draw_scale(draw, scale, "initial-state scale")
    out = {}
    for name, shape in shapes.items():
        if draw(st.integers(0, 3), label=f"{name} random") == 0:
            out[name] = np.zeros(shape)
        else:
            out |= draw_values(draw, {name: shape}, {name: (-s, s)}, False, f"{name} initial")
    return out


_initial_states = st.composite(draw_initial_states)


def projections(spec: Spec, sizes: Mapping[str, int], T: int, B: int,
                outputs=None) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """Projection seeds P for the gradient check L = Σ_t Σ_v ⟨P_v[t], v_t⟩.

    Entries are distinct and non-zero in ``[-1, 1]``: a zero seed checks nothing, and a
    uniform one is blind to whole directions (ones on y = softmax(h) give L = T B,
    whose gradient is zero).

    Arguments:
        spec: the spec whose variables to project.
        sizes: ``{dim name: size}`` for every dim.
        T, B: steps and batch size.
        outputs: the variables to seed, or None for ``spec.outputs``.
    Returns:
        a strategy of ``{variable: float64 array (T, B, *shape)}``, the ``seeds`` argument
        of a compiled spec's ``backward``.

    >>> # a seed for each of the seed 004 LSTM's outputs h, c and y = softmax(h)
    >>> from hypothesis import find
    >>> from seqcheck import load_spec
    >>> P = find(projections(load_spec("lstm"), {"D": 1, "H": 3}, T=2, B=2), lambda P: True)
    >>> {name: a.shape for name, a in P.items()}
    {'h': (2, 2, 3), 'c': (2, 2, 3), 'y': (2, 2, 3)}
    """
    check_count("steps T", T)
    check_count("batch size B", B)
    names = tuple(spec.outputs if outputs is None else outputs)
    unknown = [v for v in names if v not in spec.variables]
    if unknown:
        raise ShapeError(f"cannot project {', '.join(map(repr, unknown))}: not variables of "
                         f"spec {spec.name!r} (variables: {', '.join(spec.variables)})")
    return _projections(case_shapes(spec, sizes, names).seeds(T, B))


def draw_projections(draw, shapes) -> dict[str, np.ndarray]:
    return draw_values(draw, shapes, dict.fromkeys(shapes, (-1.0, 1.0)), True, "seeds")


_projections = st.composite(draw_projections)
