"""Weights and inputs to measure with: random parameters at a chosen spectral radius.

:func:`scaled_params` draws a spec's parameters and rescales its recurrent weights
(:func:`~.recurrence.recurrence`) to a spectral radius ρ, the quantity of seed 000 eq.
(26)-(28) and of seed 003's echo state networks; :func:`random_inputs` draws the input
batch from a separate stream, and :func:`resolve_sizes` binds every dim. Every draw is
deterministic in its seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import sympy as sp

from ..errors import SeqcheckError
from ..spec.model import Spec
from .recurrence import recurrence

__all__ = ["DEFAULT_SIZE", "as_spec", "random_inputs", "resolve_sizes", "scaled_params"]

DEFAULT_SIZE = 32
"""The size of every dim that :func:`resolve_sizes` is not told."""


def as_spec(spec: Spec | str) -> Spec:
    """``spec`` itself, or the bundled spec of that name.

    >>> as_spec("elman").name
    'elman'
    """
    if isinstance(spec, Spec):
        return spec
    from ..spec import load_spec

    return load_spec(spec)


def resolve_sizes(spec: Spec | str, sizes: Mapping[str, int] | None = None) -> dict[str, int]:
    """Every dim of ``spec`` bound to a size: ``sizes`` where given, else :data:`DEFAULT_SIZE`.

    >>> resolve_sizes("lstm", {"H": 4})
    {'D': 32, 'H': 4}
    """
    spec = as_spec(spec)
    names = [d.name for d in spec.dims]
    unknown = sorted(set(sizes or {}) - set(names))
    if unknown:
        raise SeqcheckError(f"spec {spec.name!r} has no dim {', '.join(map(repr, unknown))}; "
                            f"its dims are {', '.join(names)}")
    out = {}
    for n in names:
        v = (sizes or {}).get(n, DEFAULT_SIZE)
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise SeqcheckError(f"size of dim {n!r} must be a positive integer, got {v!r}")
        out[n] = int(v)
    return out


def _shape(shape: tuple, dims: Mapping[str, int]) -> tuple[int, ...]:
    subs = {sp.Symbol(k, integer=True, positive=True): v for k, v in dims.items()}
    return tuple(int(sp.sympify(s).subs(subs)) for s in shape)


def scaled_params(spec: Spec | str, radius: float | None, sizes: Mapping[str, int] | None = None,
                  seed: int = 0, *, recurrent: Sequence[str] | None = None,
                  fixed: Mapping | None = None) -> dict[str, np.ndarray]:
    """Random parameters whose recurrent weights have spectral radius exactly ``radius``.

    Draws, deterministically from ``seed`` and in declared order: matrices
    N(0, 1/fan-in) (fan-in = number of columns), vectors (biases) N(0, 0.1²), scalars
    (leak rates such as alpha) uniform on [0.25, 0.75]. ``fixed`` then overrides
    values by name. Then every recurrent block (:func:`~.recurrence.recurrence`) is
    multiplied by one common factor so that ρ, the largest spectral radius of a square
    block, equals ``radius``: the gated specs' blocks are rescaled jointly and keep
    their relative sizes. ρ is set, not the norm: for a non-normal matrix
    σ_max ≥ ρ, and the measured gradients follow ρ only over long lags.

    Arguments:
        spec: a spec or bundled name.
        radius: the spectral radius to set (≥ 0), or None to leave the draw as is.
        sizes: ``{dim: size}``; missing dims get :data:`DEFAULT_SIZE`.
        seed: the same seed gives the same draw, whatever the radius.
        recurrent: parameter names overriding the recurrent weights found.
        fixed: ``{name: value}`` set before rescaling.
    Returns:
        ``{name: float64 array of the declared shape}``.

    >>> # seed 001's Elman RNN: W_1 rescaled to spectral radius 1.5
    >>> p = scaled_params("elman", 1.5, {"D": 2, "H": 4, "C": 3}, seed=0)
    >>> round(float(np.abs(np.linalg.eigvals(p["W_1"])).max()), 12), p["W_2"].shape
    (1.5, (4, 2))
    """
    spec = as_spec(spec)
    dims = resolve_sizes(spec, sizes)
    rng = np.random.default_rng([seed, 0])
    params: dict[str, np.ndarray] = {}
    for name, d in spec.params.items():
        shape = _shape(d.shape, dims)
        if len(shape) == 0:
            params[name] = np.array(rng.uniform(0.25, 0.75))
        elif len(shape) == 1:
            params[name] = rng.normal(0.0, 0.1, shape)
        else:
            params[name] = rng.normal(0.0, 1.0, shape) / math.sqrt(shape[-1])
    unknown = sorted(set(fixed or {}) - set(params))
    if unknown:
        raise SeqcheckError(f"fixed names {', '.join(unknown)}, which are not parameters of "
                            f"spec {spec.name!r}: {', '.join(params)}")
    params.update({k: np.array(v, dtype=float) for k, v in (fixed or {}).items()})
    if radius is None:
        return params
    if not (isinstance(radius, (int, float, np.floating)) and math.isfinite(radius)
            and radius >= 0):
        raise SeqcheckError(f"radius must be a finite number ≥ 0, got {radius!r}")
    rec = recurrence(spec, recurrent)
    rho, _ = rec.spectrum(params, dims)
    if rho is None:
        raise SeqcheckError(rec.no_radius_message())
    if rho == 0:
        raise SeqcheckError(f"the recurrent weights of spec {spec.name!r} drawn with seed "
                            f"{seed} have spectral radius 0 and cannot be rescaled to {radius}")
    scale = {p: np.zeros(np.shape(params[p]), dtype=bool) for p in rec.weights}
    for block in rec.blocks:  # each entry once, even where two blocks share a parameter
        scale[block.param][block.index(dims)] = True
    for p, mask in scale.items():
        params[p] = np.where(mask, params[p] * (radius / rho), params[p])
    return params


def random_inputs(spec: Spec | str, steps: int, sizes: Mapping[str, int] | None = None,
                  seed: int = 0, batch: int = 4, scale: float = 0.1) -> dict[str, np.ndarray]:
    """A random input batch, uniform on [-scale, scale], deterministic from ``seed``.

    Drawn from a stream separate from :func:`scaled_params`'s, so the inputs do not
    change with the weights. The default amplitude is small so that the inputs do not
    saturate the units by themselves and the recurrent weights set the dynamics.

    Returns:
        sequence inputs ``(steps, batch, *shape)``, static inputs ``(batch, *shape)``.

    >>> {k: v.shape for k, v in random_inputs("esn", 5, {"N_u": 2}, batch=3).items()}
    {'x': (5, 3, 2)}
    """
    spec = as_spec(spec)
    dims = resolve_sizes(spec, sizes)
    if steps < 1 or batch < 1:
        raise SeqcheckError(f"steps and batch must be ≥ 1, got steps = {steps}, batch = {batch}")
    rng = np.random.default_rng([seed, 1])
    return {n: rng.uniform(-scale, scale, ((batch,) if d.static else (steps, batch))
                              + _shape(d.shape, dims))
            for n, d in spec.inputs.items()}
