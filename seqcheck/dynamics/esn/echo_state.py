"""The echo state property, checked as contraction: do two runs from different h(0) merge?

Seed 003: the state must come to depend on the input history alone; ρ(W) < 1 is neither
necessary nor sufficient with tanh units and input, a contracting step is sufficient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError
from .arguments import check_int, check_real
from .generation import Reservoir
from .running import run_reservoir

__all__ = ["EchoStateReport", "echo_state_property"]


@dataclass(frozen=True)
class EchoStateReport:
    """Two trajectories of one input from different initial states: do they merge?

    Arguments:
        distance: ``(T,)``, ||h(n) - h'(n)||_2 for n = 1..T.
        initial_distance: ||h(0) - h'(0)||_2.
        washout, tol: ``converged`` is ``max(distance[washout:]) <= tol``.
        settled_at: the first step n from which every distance is <= tol, or None.
        effective_radius: rho((1 - alpha) I + alpha W), the radius of the leaky update's
            linearisation at h = 0 with tanh' = 1.
        sigma_max: the largest singular value of W.
        lipschitz: (1 - alpha) + alpha sigma_max(W), a Lipschitz constant of one step
            in h (|tanh'| <= 1), so distance[n-1] <= lipschitz**n initial_distance.
    """

    distance: np.ndarray
    initial_distance: float
    washout: int
    tol: float
    settled_at: int | None
    effective_radius: float
    sigma_max: float
    lipschitz: float

    @property
    def converged(self) -> bool:
        """Every distance after the washout is within ``tol``."""
        return bool(np.max(self.distance[self.washout:], initial=0.0) <= self.tol)

    @property
    def sufficient(self) -> bool:
        """(1 - alpha) + alpha sigma_max(W) < 1: the step contracts for every input."""
        return self.lipschitz < 1

    def as_dict(self) -> dict:
        return {"initial_distance": self.initial_distance,
                "final_distance": float(self.distance[-1]),
                "max_after_washout": float(np.max(self.distance[self.washout:], initial=0.0)),
                "steps": int(self.distance.size), "washout": self.washout, "tol": self.tol,
                "settled_at": self.settled_at, "converged": self.converged,
                "effective_radius": self.effective_radius, "sigma_max": self.sigma_max,
                "lipschitz": self.lipschitz, "sufficient": self.sufficient}


def echo_state_property(res: Reservoir, x, *, washout: int = 100, tol: float = 1e-8,
                        initial=None, seed: int = 0) -> EchoStateReport:
    """Check the echo state property as contraction, on one input sequence.

    The state should come to depend on the input history alone, whatever h(0) was:
    two runs of the compiled ``esn`` spec on the same input from different initial
    states must merge. rho(W) < 1 is neither necessary nor sufficient for that with tanh units and
    input (seed 003: "for nonlinear networks, the system can still be contractive and
    stable for rho > 1"); what is sufficient is a contracting step,
    (1 - alpha) + alpha sigma_max(W) < 1, because |tanh'| <= 1.

    Arguments:
        res: a reservoir without feedback.
        x: one input sequence ``(T, N_u)``.
        washout: steps allowed for the initial states to be forgotten.
        tol: the distance below which the runs count as merged.
        initial: the two initial states ``(2, N_x)``; default uniform in [-1, 1] from
            ``np.random.default_rng(seed)``.
    Returns:
        an :class:`EchoStateReport`.

    >>> # rho = 0.3 at 5 % sparsity: sigma_max < 1, so contraction is guaranteed
    >>> from seqcheck.dynamics.esn import reservoir
    >>> res = reservoir(100, sparsity=0.05, spectral_radius=0.3, input_scaling=1.0,
    ...                 leak_rate=1.0, seed=0)
    >>> rep = echo_state_property(res, np.sin(np.arange(300) / 4)[:, None])
    >>> rep.sufficient, rep.converged
    (True, True)
    """
    if res.W_fb is not None:
        raise SeqcheckError("echo_state_property checks the input-driven reservoir (spec "
                            "esn); this one feeds its output back: generate it without "
                            "feedback to check W and W_in")
    check_int("washout", washout, 0)
    check_real("tol", tol, 0.0, math.inf, low_open=True)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != res.inputs or x.shape[0] <= washout:
        raise SeqcheckError(f"x must be one sequence (T, N_u) with N_u = {res.inputs} and "
                            f"T > washout = {washout}; got shape {x.shape}")
    if initial is None:
        initial = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(2, res.size))
    initial = np.asarray(initial, dtype=np.float64)
    if initial.shape != (2, res.size):
        raise SeqcheckError(f"initial must hold two states (2, N_x) = (2, {res.size}); "
                            f"got shape {initial.shape}")
    h = run_reservoir(res, np.repeat(x[:, None, :], 2, axis=1), initial={"h": initial})["h"]
    distance = _norms(h[:, 0] - h[:, 1])
    above = np.flatnonzero(distance > tol)
    settled = 1 if above.size == 0 else (int(above[-1]) + 2 if above[-1] + 1 < x.shape[0]
                                         else None)
    eig = np.linalg.eigvals(res.W)
    sigma = float(np.linalg.norm(res.W, 2))
    a = res.alpha
    return EchoStateReport(distance, float(_norms(initial[0] - initial[1])), washout,
                           float(tol), settled, float(np.max(np.abs((1 - a) + a * eig))),
                           sigma, (1 - a) + a * sigma)


def _norms(d: np.ndarray) -> np.ndarray:
    """||d||_2 over the last axis, with underflow of tiny differences to zero allowed."""
    with np.errstate(under="ignore"):
        return np.sqrt(np.sum(d * d, axis=-1))
