"""Hypothesis strategies that generate verification cases for a spec.

A case is everything one forward/backward comparison needs: a size per dim, the number of
steps T, the batch size B, parameters, inputs, initial states and projection seeds. Every
value comes from Hypothesis draws (a byte per entry, scaled onto a grid), never from a drawn
seed fed to a random generator, so a failing case shrinks: to small dims, T = 1 or 2, B = 2
and small magnitudes. Grid values are binary fractions of few bits, exact in float32 at the
default sizes, so casting a case for a float32 implementation loses nothing.

Two choices aim at bugs that pass ordinary tests:

- witness weights: every parameter entry differs from every other, so a permutation of
  gate blocks (PyTorch's i, f, g, o against ONNX's i, o, f, c) changes the parameters an
  implementation sees. ONNX's and Keras's golden tests use uniform weights, which hide it;
- distinct inputs: every input entry differs from every other, so batch rows differ and a
  time-major / batch-major mix-up changes what the model reads.

``seqcheck.strategies`` needs Hypothesis; ``import seqcheck`` does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from types import MappingProxyType

import numpy as np
import sympy as sp

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as e:  # a test and verification dependency, not a runtime one
    raise ImportError("seqcheck.strategies needs Hypothesis: pip install hypothesis "
                      "(or pip install 'seqcheck[dev]')") from e

from .errors import SeqcheckError, ShapeError
from .spec import Spec
from .spec.grammar import did_you_mean

__all__ = [
    "SCALES",
    "Case",
    "batch_sizes",
    "cases",
    "dim_sizes",
    "initial_states",
    "parameters",
    "projections",
    "sequences",
    "steps",
]

SCALES = (0.5, 1.0, 3.0, 6.0)  # first is what shrinking reaches; 6 saturates sigmoid and tanh
UNIT = (0.0, 1.0)  # default bounds of a scalar parameter: a leak rate


# -- sizes --------------------------------------------------------------------------------
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
    _check_range("dim size", min_size, max_size, lowest=1)
    fixed = _check_fixed(spec, fixed)
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
    _check_range("steps", min_steps, max_steps, lowest=1)
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
    _check_range("batch size", min_size, max_size, lowest=1)
    return st.integers(min_size, max_size)


# -- values -------------------------------------------------------------------------------
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
    limits = _check_bounds(spec, bounds)
    _check_scale(scale)
    return _parameters(shapes, limits, scale, witness)


def _draw_parameters(draw, shapes, limits, scale, witness) -> dict[str, np.ndarray]:
    s = _draw_scale(draw, scale, "parameter scale")
    ranges = {n: limits.get(n, (-s, s)) for n in shapes}
    out = _values(draw, shapes, ranges, witness, "witness weights" if witness else "weights")
    if witness and limits:
        # distinct lattice points, but on two grids: a bounded entry may meet a free one
        flat = np.concatenate([a.ravel() for a in out.values()])
        assume(len(np.unique(flat)) == flat.size)
    return out


_parameters = st.composite(_draw_parameters)


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
    _check_count("steps T", T)
    _check_count("batch size B", B)
    _check_scale(scale)
    return _sequences(case_shapes(spec, sizes).inputs(T, B), scale)


def _draw_sequences(draw, shapes, scale) -> dict[str, np.ndarray]:
    s = _draw_scale(draw, scale, "input scale")
    return _values(draw, shapes, dict.fromkeys(shapes, (-s, s)), True, "inputs")


_sequences = st.composite(_draw_sequences)


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
    _check_count("batch size B", B)
    _check_scale(scale)
    return _initial_states(case_shapes(spec, sizes).initial(B), scale)


def _draw_initial_states(draw, shapes, scale) -> dict[str, np.ndarray]:
    s = _draw_scale(draw, scale, "initial-state scale")
    out = {}
    for name, shape in shapes.items():
        if draw(st.integers(0, 3), label=f"{name} random") == 0:
            out[name] = np.zeros(shape)
        else:
            out |= _values(draw, {name: shape}, {name: (-s, s)}, False, f"{name} initial")
    return out


_initial_states = st.composite(_draw_initial_states)


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
    _check_count("steps T", T)
    _check_count("batch size B", B)
    names = tuple(spec.outputs if outputs is None else outputs)
    unknown = [v for v in names if v not in spec.variables]
    if unknown:
        raise ShapeError(f"cannot project {', '.join(map(repr, unknown))}: not variables of "
                         f"spec {spec.name!r} (variables: {', '.join(spec.variables)})")
    return _projections(case_shapes(spec, sizes, names).seeds(T, B))


def _draw_projections(draw, shapes) -> dict[str, np.ndarray]:
    return _values(draw, shapes, dict.fromkeys(shapes, (-1.0, 1.0)), True, "seeds")


_projections = st.composite(_draw_projections)


# -- cases --------------------------------------------------------------------------------
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
    """

    sizes: Mapping[str, int]
    steps: int
    batch: int
    params: Mapping[str, np.ndarray]
    inputs: Mapping[str, np.ndarray]
    initial: Mapping[str, np.ndarray]
    seeds: Mapping[str, np.ndarray]

    def __post_init__(self):
        for attr in ("sizes", "params", "inputs", "initial", "seeds"):
            object.__setattr__(self, attr, MappingProxyType(dict(getattr(self, attr))))

    def describe(self) -> str:
        """A short line for a counterexample: ``"D=1, H=2; T=2 steps; batch B=2"``.

        >>> # what a shrunk LSTM counterexample prints
        >>> Case({"D": 1, "H": 2}, 2, 2, {}, {}, {}, {}).describe()
        'D=1, H=2; T=2 steps; batch B=2'
        """
        dims = ", ".join(f"{n}={k}" for n, k in self.sizes.items()) or "no dims"
        return f"{dims}; T={self.steps} step{'s' * (self.steps != 1)}; batch B={self.batch}"


def cases(spec: Spec, *, fixed_sizes: Mapping[str, int] | None = None, max_steps: int = 6,
          max_batch: int = 4, witness: bool = True) -> st.SearchStrategy[Case]:
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
    Returns:
        a strategy of :class:`Case`.

    >>> # the smallest seed 004 LSTM case that runs two steps
    >>> from hypothesis import find
    >>> from seqcheck import load_spec
    >>> find(cases(load_spec("lstm")), lambda case: case.steps >= 2).describe()
    'D=1, H=1; T=2 steps; batch B=2'
    """
    parts = (dim_sizes(spec, fixed=fixed_sizes), steps(1, max_steps), batch_sizes(2, max_batch))
    return _cases(spec, *parts, _check_bounds(spec, None), witness, {})


@st.composite
def _cases(draw, spec, sizes, steps, batch, limits, witness, plans) -> Case:
    # the draw functions are called directly: a strategy built per example would cost a
    # source inspection each time (Hypothesis labels a composite by its function's source)
    sizes = draw(sizes, label="sizes")
    T, B = draw(steps, label="steps"), draw(batch, label="batch")
    key = tuple(sizes.values())
    if key not in plans:
        plans[key] = case_shapes(spec, sizes)
    plan = plans[key]
    return Case(
        sizes=sizes,
        steps=T,
        batch=B,
        params=_draw_parameters(draw, plan.params, limits, None, witness),
        inputs=_draw_sequences(draw, plan.inputs(T, B), None),
        initial=_draw_initial_states(draw, plan.initial(B), None),
        seeds=_draw_projections(draw, plan.seeds(T, B)),
    )


# -- shapes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Shapes:
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


def case_shapes(spec: Spec, sizes: Mapping[str, int], outputs=None) -> _Shapes:
    _check_sizes(spec, sizes)
    delayed = spec.delayed_refs()
    inputs = {n: _shape(spec, d.shape, sizes, f"input '{n}'") for n, d in spec.inputs.items()}
    return _Shapes(
        params={n: _shape(spec, d.shape, sizes, f"parameter '{n}'")
                for n, d in spec.params.items()},
        sequence={n: s for n, s in inputs.items() if not spec.inputs[n].static},
        static={n: s for n, s in inputs.items() if spec.inputs[n].static},
        states={n: _shape(spec, d.shape, sizes, f"state '{n}'")
                for n, d in spec.states.items() if n in delayed},
        outputs={v: _shape(spec, spec.shape_of(v), sizes, f"variable '{v}'")
                 for v in (spec.outputs if outputs is None else outputs)},
    )


# -- drawing on the grid ------------------------------------------------------------------
def _draw_scale(draw, scale: float | None, label: str) -> float:
    return float(scale) if scale is not None else draw(st.sampled_from(SCALES), label=label)


def _lattice(draw, count: int, distinct: bool, label: str) -> tuple[np.ndarray, int]:
    """``count`` integers m in [-M, M), and M.

    One draw in eight is plain: the ramp m = 2 i + 1 - N over N (distinct; N >= count a
    power of two) or zeros, which shrinking reaches in one step. Otherwise one byte per
    entry, read as k in [-128, 127] (zigzag: bytes 0, 1, 2, 3 are k = 0, -1, 1, -2, so
    shrinking a byte shrinks |k|); distinct entries are m = 2 (k N + i) + 1, which differ
    whatever the k and are never 0. A single ``binary`` draw per group keeps generation
    quick; ``arrays(..., unique=True)`` shrank hundreds of times slower.
    """
    N = max(2, 1 << max(count - 1, 0).bit_length())
    i = np.arange(count)
    if count == 0 or draw(st.integers(0, 7), label=f"{label}: random") == 0:
        return (2 * i + 1 - N, N) if distinct else (np.zeros(count, dtype=np.int64), 1)
    raw = draw(st.binary(min_size=count, max_size=count), label=label)
    u = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    k = (u >> 1) ^ -(u & 1)
    return (2 * (k * N + i) + 1, 256 * N) if distinct else (k, 128)


def _split(flat: np.ndarray, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        out[name] = flat[start:start + n].reshape(shape)
        start += n
    return out


def _values(draw, shapes: Mapping[str, tuple[int, ...]], ranges: Mapping[str, tuple],
            distinct: bool, label: str) -> dict[str, np.ndarray]:
    """Float64 arrays of the given shapes on a grid of each one's ``(low, high)`` range.

    The entries lie in [low, high] and shrink towards its middle; with ``distinct``, the
    entries of all the arrays together are distinct lattice points, none in the middle.
    """
    count = sum(math.prod(s) for s in shapes.values())
    m, M = _lattice(draw, count, distinct, label)
    out = _split(m, shapes)
    for name, ints in out.items():
        low, high = ranges[name]
        out[name] = (low + high) / 2 + (high - low) / 2 * (ints / M)
    return out


# -- argument checks ----------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check_range(what: str, low, high, lowest: int) -> None:
    for name, v in ((f"smallest {what}", low), (f"largest {what}", high)):
        if not _is_int(v):
            raise ShapeError(f"{name} must be an int, got {v!r} (type {type(v).__name__})")
        if v < lowest:
            raise ShapeError(f"{name} must be at least {lowest}, got {v}")
    if low > high:
        raise ShapeError(f"smallest {what} {low} is larger than the largest, {high}")


def _check_count(what: str, value) -> None:
    if not _is_int(value) or value < 1:
        raise ShapeError(f"{what} must be an int >= 1, got {value!r}")


def _check_fixed(spec: Spec, fixed) -> dict[str, int]:
    names = [d.name for d in spec.dims]
    out = {}
    for name, size in dict(fixed or {}).items():
        if name not in names:
            close = did_you_mean(name, names)
            raise ShapeError(f"cannot fix the size of '{name}': spec {spec.name!r} has no such "
                             f"dim (dims: {', '.join(names) or 'none'})"
                             + (f"; did you mean '{close}'?" if close else ""))
        if not _is_int(size) or size < 1:
            raise ShapeError(f"fixed size of '{name}' must be an int >= 1, got {size!r}")
        out[name] = int(size)
    return out


def _check_sizes(spec: Spec, sizes: Mapping[str, int]) -> None:
    names = [d.name for d in spec.dims]
    missing = [n for n in names if n not in sizes]
    unknown = [n for n in sizes if n not in names]
    if missing or unknown:
        problems = ([f"no size for {', '.join(missing)}"] if missing else []) + \
                   ([f"no dim {', '.join(unknown)}"] if unknown else [])
        raise ShapeError(f"sizes {dict(sizes)} do not fit spec {spec.name!r}: "
                         f"{'; '.join(problems)} (dims: {', '.join(names) or 'none'})")
    bad = {n: k for n, k in sizes.items() if not _is_int(k) or k < 1}
    if bad:
        raise ShapeError(f"sizes must be ints >= 1, got {bad}")


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


def _check_scale(scale) -> None:
    if scale is not None and (not isinstance(scale, Real) or isinstance(scale, bool)
                              or not math.isfinite(scale) or scale <= 0):
        raise SeqcheckError(f"scale must be a finite number > 0 or None (to draw one of "
                            f"{SCALES}), got {scale!r}")


def _check_bounds(spec: Spec, bounds) -> dict[str, tuple[float, float]]:
    limits = {n: UNIT for n, d in spec.params.items() if d.shape == ()}
    for name, lim in dict(bounds or {}).items():
        if name not in spec.params:
            close = did_you_mean(name, list(spec.params))
            raise SeqcheckError(f"bounds for '{name}': spec {spec.name!r} has no such "
                                f"parameter (parameters: {', '.join(spec.params) or 'none'})"
                                + (f"; did you mean '{close}'?" if close else ""))
        if lim is None:
            limits.pop(name, None)
            continue
        try:
            low, high = (float(v) for v in lim)
        except (TypeError, ValueError):
            raise SeqcheckError(f"bounds for '{name}' must be (low, high) or None, "
                                f"got {lim!r}") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise SeqcheckError(f"bounds for '{name}' must be finite with low < high, "
                                f"got ({low}, {high})")
        limits[name] = (low, high)
    return limits
