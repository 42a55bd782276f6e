"""Remedies for exploding and vanishing gradients from seed 002, run on real trajectories.

- "Gradient clipping for exploding gradients": :func:`clip_gradient_norm`, the slide's
  pseudocode over one array or a dict of arrays (one global norm).
- "Regularization on the recurrent weights" (Pascanu et al. 2013): :func:`pascanu_regulariser`
  evaluates Ω through the derived state Jacobians of any forward-in-time spec;
  :func:`regulariser_gradient` differentiates it with torch autograd (imported lazily).
- "Rescaling vanishing gradients?": :data:`SEED002_CONTRIBUTIONS` and :func:`rescaled`
  redo the slide's arithmetic exactly; :func:`per_step_contributions` measures the same
  shape on a trajectory, one loss term ∂L_k/∂W at a time.

Orientation: adjoints are row vectors, a_t = ∂L/∂s_t of shape ``(B, n)``, and
a_{t+1} J_{t+1} (J from :func:`seqcheck.derive.state_jacobians`) is the part of ∂L/∂s_t
that flows through s_{t+1}: seed 002's (∂L/∂c_{t+1}) (∂c_{t+1}/∂c_t).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from ..derive.jacobian import StateJacobians, causal_states, state_jacobians
from ..errors import SeqcheckError, ShapeError

__all__ = [
    "SEED002_CONTRIBUTIONS",
    "ClippedGradients",
    "Regulariser",
    "RegulariserGradient",
    "clip_gradient_norm",
    "pascanu_regulariser",
    "per_step_contributions",
    "regulariser_gradient",
    "rescaled",
]


# -- seed 002, "Gradient clipping for exploding gradients" --------------------------------

class ClippedGradients(NamedTuple):
    """The result of :func:`clip_gradient_norm`.

    Arguments:
        gradients: the clipped gradient, as given: one array, or ``{name: array}``.
        norm: ‖g‖₂ before clipping (the global norm over every array of a dict).
        scale: the factor applied, θ0/‖g‖ when ‖g‖ > θ0, else 1.0.
    """

    gradients: object
    norm: float
    scale: float


def _norm(arrays: list[np.ndarray]) -> float:
    """‖·‖₂ of the concatenation, scaled so that a huge (exploding) gradient does not overflow."""
    big = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if big == 0.0:
        return 0.0
    return big * float(np.sqrt(sum(np.sum((a / big) ** 2) for a in arrays)))


def clip_gradient_norm(gradients, threshold: float) -> ClippedGradients:
    """Seed 002's pseudocode: g ← ∂L/∂W; if ‖g‖ > θ0: g ← (θ0/‖g‖) g, else do nothing.

    The direction is kept and the norm becomes exactly θ0. For a dict, ‖g‖ is the norm of
    all arrays together, as torch.nn.utils.clip_grad_norm_ computes it. torch multiplies by
    min(1, θ0/(‖g‖ + 10⁻⁶)) instead: its result is smaller by the factor
    ‖g‖/(‖g‖ + 10⁻⁶), and it also scales a gradient with θ0 − 10⁻⁶ < ‖g‖ ≤ θ0, which the
    pseudocode leaves alone.

    Arguments:
        gradients: an array, or ``{name: array}`` (e.g. ``Gradients.params``).
        threshold: θ0 > 0.
    Returns:
        :class:`ClippedGradients`; new arrays (float64), the inputs are not modified.
    Raises:
        SeqcheckError: θ0 not positive and finite, or a non-finite gradient entry.

    >>> # ‖(3, 4)‖ = 5 > 1: scaled to norm 1, same direction
    >>> clip_gradient_norm(np.array([3.0, 4.0]), 1.0)
    ClippedGradients(gradients=array([0.6, 0.8]), norm=5.0, scale=0.2)
    """
    if not (np.isfinite(threshold) and threshold > 0):
        raise SeqcheckError(f"clip_gradient_norm: the threshold θ0 must be positive and "
                            f"finite, got {threshold!r}")
    named = isinstance(gradients, Mapping)
    arrays = {k: np.array(v, dtype=float) for k, v in
              (gradients.items() if named else [(None, gradients)])}
    bad = [k for k, a in arrays.items() if not np.all(np.isfinite(a))]
    if bad:
        where = f" in {', '.join(map(str, bad))}" if named else ""
        raise SeqcheckError(f"clip_gradient_norm: the gradient has non-finite entries{where}; "
                            "clipping rescales a finite gradient and cannot recover them")
    norm = _norm(list(arrays.values()))
    scale = threshold / norm if norm > threshold else 1.0
    clipped = {k: a * scale if scale != 1.0 else a for k, a in arrays.items()}
    return ClippedGradients(clipped if named else clipped[None], norm, scale)


# -- seed 002, "Regularization on the recurrent weights" ----------------------------------

class Regulariser(NamedTuple):
    """Pascanu's Ω along a trajectory, with the pieces it is made of.

    Arguments:
        value: Ω = Σ_b Σ_t Ω_t (float).
        terms: ``(T, B)``; row t is Ω_t = (‖a_{t+1} J_{t+1}‖ / ‖a_{t+1}‖ − 1)², t = 0..T-1.
        adjoints: ``(T, B, n)``; row t − 1 is a_t = ∂L/∂s_t, t = 1..T.
        carried: ``(T, B, n)``; row t is a_{t+1} J_{t+1}, t = 0..T-1.
        jacobians: the :class:`~seqcheck.derive.StateJacobians` used.
    """

    value: float
    terms: np.ndarray
    adjoints: np.ndarray
    carried: np.ndarray
    jacobians: StateJacobians


def _state_seeds(spec, states, trajectory, seeds, dtype) -> np.ndarray:
    """``{state: (T, B, *shape)}`` as one ``(T, B, n)`` array in the order of ``states``."""
    T, B = trajectory.steps, trajectory.batch
    unknown = sorted(set(seeds) - set(states))
    if unknown:
        raise ShapeError(f"Ω takes the per-step loss gradients ∂ℓ_t/∂s_t on the states "
                         f"({', '.join(states)}) of spec {spec.name!r}, got seeds for "
                         f"{', '.join(unknown)}\n  hint: for a loss on an output, pass its "
                         "gradient with respect to the state")
    parts = []
    for s in states:
        shape = tuple(trajectory.values[s].shape)
        if s in seeds:
            a = np.asarray(seeds[s], dtype=dtype)
            if a.shape != shape:
                raise ShapeError(f"seed for state '{s}' has shape {a.shape}, expected {shape} "
                                 "(T, B, *shape)")
        else:
            a = np.zeros(shape, dtype=dtype)
        parts.append(a.reshape(T, B, -1))
    return np.concatenate(parts, axis=2)


def pascanu_regulariser(compiled, trajectory, seeds: Mapping) -> Regulariser:
    """Ω = Σ_t (‖(∂L/∂s_{t+1}) (∂s_{t+1}/∂s_t)‖ / ‖∂L/∂s_{t+1}‖ − 1)², seed 002.

    Seed 002 ("Regularization on the recurrent weights", after Pascanu et al. 2013) adds Ω
    to "force the error signal not to vanish": each term is zero when one step back keeps
    the norm of the error signal. L = Σ_t ℓ_t with ∂ℓ_t/∂s_t given by ``seeds``; the
    adjoints follow a_T = ∂ℓ_T/∂s_T, a_t = ∂ℓ_t/∂s_t + a_{t+1} J_{t+1}, with J from the
    derived backward pass. Each batch row is its own sequence; Ω sums over the rows.

    Arguments:
        compiled: a spec compiled with ``gradients=True`` whose states are read at
            ``[t-1]`` only.
        trajectory: its forward pass, T steps of batch B.
        seeds: ``{state: (T, B, *shape)}``, ∂ℓ_t/∂s_t on the states (others zero).
    Returns:
        :class:`Regulariser`.
    Raises:
        ShapeError: seeds on a non-state, or of the wrong shape.
        SeqcheckError: ∂L/∂s_{t+1} = 0 for some t and row, where Ω_t is undefined.

    >>> # h_t = tanh(W_1 h_{t-1} + W_2 x_t + b) with W_1 = I/2 at h = 0: one step back
    >>> # halves the error signal, so each Ω_t is (1/2 - 1)^2 = 1/4
    >>> from seqcheck import compile_numpy, load_spec
    >>> elman = compile_numpy(load_spec("elman"), gradients=True)
    >>> p = {"W_1": np.eye(2) / 2, "W_2": np.zeros((2, 1)), "V": np.zeros((1, 2)),
    ...      "b": np.zeros(2), "c": np.zeros(1)}
    >>> traj = elman(p, {"x": np.zeros((3, 1, 1))})
    >>> pascanu_regulariser(elman, traj, {"h": np.ones((3, 1, 2))}).terms[:, 0]
    array([0.25, 0.25, 0.25])
    """
    sj = state_jacobians(compiled, trajectory)
    states = tuple(name for name, _ in sj.blocks)
    J = sj.jacobians
    P = _state_seeds(compiled.spec, states, trajectory, seeds, J.dtype)
    T = trajectory.steps
    a = np.empty_like(P)
    a[T - 1] = P[T - 1]
    for t in range(T - 2, -1, -1):
        a[t] = P[t] + np.einsum("bi,bij->bj", a[t + 1], J[t + 1])
    carried = np.einsum("tbi,tbij->tbj", a, J)
    den = np.linalg.norm(a, axis=2)
    zero = np.argwhere(den == 0.0)
    if zero.size:
        t, row = zero[0]
        raise SeqcheckError(f"Ω_t is undefined at t = {t} (batch row {row}): ∂L/∂s_{t + 1} "
                            "= 0, and Ω_t divides by its norm\n  hint: seed a loss on a "
                            "step at or after t + 1 for every batch row")
    terms = (np.linalg.norm(carried, axis=2) / den - 1.0) ** 2
    return Regulariser(float(terms.sum()), terms, a, carried, sj)


class RegulariserGradient(NamedTuple):
    """dΩ/dθ for every parameter θ of the spec.

    Arguments:
        value: Ω (float), as :func:`pascanu_regulariser` computes it.
        gradients: ``{param: array of the declared shape}``.
        derivative: ``"total"`` or ``"immediate"`` (see :func:`regulariser_gradient`).
    """

    value: float
    gradients: Mapping[str, np.ndarray]
    derivative: str


def _initial_state(spec, trajectory, s: str) -> np.ndarray:
    given = trajectory.arrays["initial"]
    if s in given:
        return np.asarray(given[s], dtype=float)
    init = spec.states[s].init
    if init is None or not init.expr.is_number:
        raise SeqcheckError(f"state '{s}' of spec {spec.name!r} starts from "
                            f"{spec.states[s].init_text!r}, which depends on parameters; "
                            "the regulariser's gradient needs its value\n  hint: run the "
                            "forward pass with initial={...} for this state")
    return np.full((trajectory.batch, *tuple(trajectory.values[s].shape)[2:]), float(init.expr))


def regulariser_gradient(compiled, trajectory, seeds: Mapping, *,
                         derivative: str = "total") -> RegulariserGradient:
    """dΩ/dθ of :func:`pascanu_regulariser`'s Ω, by torch autograd through the spec.

    The lecture prints Ω and not its derivative. Two are computed:

    - ``"total"`` (default): the exact gradient of Ω as a function of the parameters; the
      states, the adjoints ∂L/∂s_{t+1} and the Jacobians all move with θ.
    - ``"immediate"``: ∂L/∂s_{t+1} and s_t are held constant, so only J_{t+1}'s own
      dependence on θ through step t+1 counts; for Pascanu et al.'s
      x_t = W σ(x_{t-1}) + ... (seed 002's alternative formulation) this is their ∂⁺Ω/∂W
      with ∂E/∂x_{k+1} treated as a constant.

    J_{t+1} is recomputed from the spec's generated torch forward pass (one step from
    s_t) with ``create_graph=True``, so the result holds for any forward-in-time spec.

    Arguments:
        compiled: as for :func:`pascanu_regulariser` (only its spec is used).
        trajectory: the forward pass whose parameters, inputs and initial states are used.
        seeds: ``{state: (T, B, *shape)}``, ∂ℓ_t/∂s_t.
        derivative: ``"total"`` or ``"immediate"``.
    Returns:
        :class:`RegulariserGradient`.
    Raises:
        SeqcheckError: an unknown ``derivative``; an initial state declared through
            parameters and not given; ∂L/∂s_{t+1} = 0.

    >>> # the Elman RNN at h = 0 with W_1 = I/2 and a_t ∝ (1, 1): holding a_t, each of the
    >>> # three terms (‖a W_1‖/‖a‖ - 1)² has gradient 2 (1/2 - 1) aᵀ(a W_1)/(‖a W_1‖ ‖a‖)
    >>> from seqcheck import compile_numpy, load_spec
    >>> elman = compile_numpy(load_spec("elman"), gradients=True)
    >>> p = {"W_1": np.eye(2) / 2, "W_2": np.zeros((2, 1)), "V": np.zeros((1, 2)),
    ...      "b": np.zeros(2), "c": np.zeros(1)}
    >>> traj = elman(p, {"x": np.zeros((3, 1, 1))})
    >>> g = regulariser_gradient(elman, traj, {"h": np.ones((3, 1, 2))}, derivative="immediate")
    >>> g.value, g.gradients["W_1"]
    (0.75, array([[-1.5, -1.5],
           [-1.5, -1.5]]))
    """
    import torch

    from ..backends.torch_backend import compile_torch

    if derivative not in ("total", "immediate"):
        raise SeqcheckError(f"regulariser_gradient: derivative must be 'total' or "
                            f"'immediate', got {derivative!r}")
    spec = compiled.spec
    states = causal_states(spec, "the gradient of Pascanu's regulariser")
    step = compile_torch(spec)
    T, B = trajectory.steps, trajectory.batch
    P = torch.as_tensor(_state_seeds(spec, states, trajectory, seeds, np.float64))
    params = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True)
              for k, v in trajectory.arrays["params"].items()}
    inputs = trajectory.arrays["inputs"]
    s = {k: torch.as_tensor(_initial_state(spec, trajectory, k)) for k in states}
    jac = []
    for t in range(T):
        start = {k: (v.detach().requires_grad_(True)
                     if derivative == "immediate" or not v.requires_grad else v)
                 for k, v in s.items()}
        window = {k: (a[t:t + 1] if k in spec.sequence_inputs else a) for k, a in inputs.items()}
        out = step.forward(params, window, start)
        s = {k: out.values[k][0] for k in states}
        flat = torch.cat([s[k].reshape(B, -1) for k in states], dim=1)
        rows = []
        for i in range(flat.shape[1]):
            g = torch.autograd.grad(flat[:, i].sum(), [start[k] for k in states],
                                    create_graph=True, allow_unused=True)
            rows.append(torch.cat([(gk if gk is not None else torch.zeros_like(start[k]))
                                   .reshape(B, -1) for k, gk in zip(states, g)], dim=1))
        jac.append(torch.stack(rows, dim=1))  # (B, n, n): row i is ∂s_t[i]/∂s_{t-1}
    J = torch.stack(jac)
    Ja = J.detach() if derivative == "immediate" else J
    adj = [P[T - 1]]
    for t in range(T - 2, -1, -1):
        adj.append(P[t] + torch.einsum("bi,bij->bj", adj[-1], Ja[t + 1]))
    a = torch.stack(adj[::-1])
    den = a.norm(dim=2)
    if bool((den == 0).any()):
        t, row = (int(i) for i in torch.nonzero(den == 0)[0])
        raise SeqcheckError(f"Ω_t is undefined at t = {t} (batch row {row}): ∂L/∂s_{t + 1} "
                            "= 0, and Ω_t divides by its norm")
    omega = ((torch.einsum("tbi,tbij->tbj", a, J).norm(dim=2) / den - 1.0) ** 2).sum()
    grads = torch.autograd.grad(omega, list(params.values()), allow_unused=True)
    out = {k: (g.detach().numpy() if g is not None else np.zeros_like(v.detach().numpy()))
           for (k, v), g in zip(params.items(), grads)}
    return RegulariserGradient(float(omega.detach()), out, derivative)


# -- seed 002, "Rescaling vanishing gradients?" -------------------------------------------

# "Let's say ∂L1/∂W ∝ 1, ∂L2/∂W ∝ 1/10, ∂L3/∂W ∝ 1/100, ∂L4/∂W ∝ 1/1000, ∂L5/∂W ∝ 1/10000"
SEED002_CONTRIBUTIONS = tuple(Fraction(1, 10 ** k) for k in range(5))


def rescaled(contributions) -> tuple[Fraction, ...]:
    """The contributions ∂L_k/∂W after rescaling their sum ∂L/∂W to 1, exactly.

    Seed 002 ("More intuitively"): rescaling the total rescales every term by the same
    factor, so the long-term terms stay negligible. With the slide's contributions the sum
    is 11111/10000 = 1.1111 and the fifth becomes 1/11111 ≈ 9.0 · 10⁻⁵ (the slide prints
    "∝ 10⁻⁵").

    Arguments:
        contributions: numbers (ints or Fractions; floats are taken exactly).
    Returns:
        ``tuple`` of Fractions summing to 1.
    Raises:
        SeqcheckError: the contributions sum to zero.

    >>> r = rescaled(SEED002_CONTRIBUTIONS)
    >>> sum(SEED002_CONTRIBUTIONS), r[4], float(r[4])
    (Fraction(11111, 10000), Fraction(1, 11111), 9.000090000900009e-05)
    """
    parts = tuple(Fraction(c) for c in contributions)
    total = sum(parts, Fraction(0))
    if total == 0:
        raise SeqcheckError("rescaled: the contributions sum to 0; there is nothing to "
                            "rescale to 1")
    return tuple(p / total for p in parts)


def per_step_contributions(compiled, trajectory, seeds: Mapping, param: str) -> np.ndarray:
    """∂ℓ_k/∂θ for each loss term ℓ_k = Σ_v ⟨seed_v,k, v_k⟩ alone, k = 1..T.

    Seed 002 ("Rescaling vanishing gradients?"): weights are shared and the loss is summed
    over steps, so ∂L/∂W = Σ_k ∂L_k/∂W. Row k − 1 is the compiled backward pass with every
    seed zero except step k's; the rows sum to the full gradient.

    Arguments:
        compiled: a spec compiled with ``gradients=True``.
        trajectory: its forward pass.
        seeds: ``{variable: (T, B, *shape)}`` as for ``compiled.backward``.
        param: the parameter θ.
    Returns:
        ``(T, *shape of θ)``.
    Raises:
        ShapeError: an unknown parameter.

    >>> # h_t = h_{t-1}/2 + x_t with x = (1, 0, 0) and ℓ_k = h_k: ∂ℓ_k/∂U = 2^-(k-1)
    >>> from seqcheck.dynamics.theory import linear_rnn
    >>> from seqcheck import compile_numpy
    >>> lin = compile_numpy(linear_rnn(), gradients=True)
    >>> x = np.zeros((3, 1, 1)); x[0] = 1.0
    >>> traj = lin({"W": np.full((1, 1), 0.5), "U": np.ones((1, 1))}, {"x": x})
    >>> per_step_contributions(lin, traj, {"h": np.ones((3, 1, 1))}, "U")[:, 0, 0]
    array([1.  , 0.5 , 0.25])
    """
    if param not in compiled.spec.params:
        raise ShapeError(f"per_step_contributions: {param!r} is not a parameter of spec "
                         f"{compiled.spec.name!r} (parameters: "
                         f"{', '.join(compiled.spec.params)})")
    T = trajectory.steps
    full = {v: np.asarray(s) for v, s in seeds.items()}
    out = []
    for k in range(T):
        one = {}
        for v, s in full.items():
            z = np.zeros_like(s)
            z[k] = s[k]
            one[v] = z
        out.append(np.asarray(compiled.backward(trajectory, one).params[param]))
    return np.stack(out)
