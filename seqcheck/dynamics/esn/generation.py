"""Seed 003's step 1, 'generate the reservoir': a sparse random W at a chosen spectral radius.

A :class:`Reservoir` holds the fixed parameters of the spec ``esn`` (``esn_feedback``
with W_fb) and the settings that made them; :func:`reservoir` draws one
deterministically from a seed ('Reservoir properties': size, sparsity, spectral radius,
input scaling, leaking rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...errors import SeqcheckError
from .arguments import check_int, check_real

__all__ = ["Reservoir", "reservoir"]


@dataclass(frozen=True, eq=False)
class Reservoir:
    """A generated reservoir: the spec's fixed parameters and the settings that made them.

    Arguments:
        W_in: input weights ``(N_x, 1 + N_u)``, the bias in column 0 (read-only).
        W: reservoir weights ``(N_x, N_x)`` with spectral radius ``spectral_radius``.
        alpha: the leaking rate (the spec's ``alpha``; 1 is no leak).
        W_fb: output feedback weights ``(N_x, N_y)`` (spec ``esn_feedback``), or None.
        sparsity, spectral_radius, input_scaling, seed: the generation settings
            (``feedback_scaling`` too, None without feedback).
        outputs: N_y, the readout size the reservoir is meant for.
    """

    W_in: np.ndarray
    W: np.ndarray
    alpha: float
    W_fb: np.ndarray | None
    sparsity: float
    spectral_radius: float
    input_scaling: float
    seed: int
    outputs: int = 1
    feedback_scaling: float | None = None
    nonzeros: int = field(init=False)

    def __post_init__(self):
        for name in ("W_in", "W", "W_fb"):
            a = getattr(self, name)
            if a is not None:
                a = np.array(a, dtype=np.float64)
                a.setflags(write=False)
                object.__setattr__(self, name, a)
        n = self.W.shape[0] if self.W.ndim == 2 else -1
        fb_ok = self.W_fb is None or self.W_fb.shape == (n, self.outputs)
        if self.W.shape != (n, n) or self.W_in.ndim != 2 or self.W_in.shape[0] != n \
                or self.W_in.shape[1] < 2 or not fb_ok:
            fb = "" if self.W_fb is None else f", W_fb {self.W_fb.shape}"
            raise SeqcheckError(f"reservoir weights must be W (N_x, N_x), W_in (N_x, 1 + N_u)"
                                f" and W_fb (N_x, N_y = {self.outputs}); got W {self.W.shape},"
                                f" W_in {self.W_in.shape}{fb}")
        object.__setattr__(self, "nonzeros", int(np.count_nonzero(self.W)))

    def __repr__(self) -> str:
        fb = "" if self.W_fb is None else f", feedback_scaling={self.feedback_scaling}"
        return (f"Reservoir(N_x={self.size}, N_u={self.inputs}, N_y={self.outputs}, "
                f"sparsity={self.sparsity}, spectral_radius={self.spectral_radius}, "
                f"input_scaling={self.input_scaling}, alpha={self.alpha}, seed={self.seed}{fb})")

    @property
    def size(self) -> int:
        """N_x."""
        return self.W.shape[0]

    @property
    def inputs(self) -> int:
        """N_u."""
        return self.W_in.shape[1] - 1

    @property
    def spec_name(self) -> str:
        """The spec the parameters belong to: ``esn``, or ``esn_feedback`` with W_fb."""
        return "esn" if self.W_fb is None else "esn_feedback"

    def params(self, W_out=None) -> dict[str, np.ndarray]:
        """The spec's parameters; ``W_out`` ``(N_y, 1 + N_x + N_u)``, zeros if None."""
        if W_out is None:
            W_out = np.zeros((self.outputs, 1 + self.size + self.inputs))
        W_out = np.asarray(W_out, dtype=np.float64)
        want = (self.outputs, 1 + self.size + self.inputs)
        if W_out.shape != want:
            raise SeqcheckError(f"W_out has shape {W_out.shape}; this reservoir (N_x = "
                                f"{self.size}, N_u = {self.inputs}, N_y = {self.outputs}) "
                                f"reads it as N_y x (1 + N_x + N_u) = {want}")
        p = {"W_in": self.W_in, "W": self.W, "W_out": W_out, "alpha": np.float64(self.alpha)}
        if self.W_fb is not None:
            p["W_fb"] = self.W_fb
        return p


def reservoir(size: int, *, sparsity: float, spectral_radius: float, input_scaling: float,
              leak_rate: float, seed: int, inputs: int = 1, outputs: int = 1,
              feedback: bool = False, feedback_scaling: float = 1.0) -> Reservoir:
    """Generate a sparse random reservoir (seed 003, 'Reservoir properties').

    W has ``round(sparsity * size**2)`` nonzeros at uniformly random positions, each
    uniform in [-1, 1] ("sparsity (2-20%) and the distribution of nonzero elements
    (uniform distribution)"), then is scaled so that max|eig(W)| is exactly
    ``spectral_radius`` (to float64 rounding of ``np.linalg.eigvals``). W_in (bias in
    column 0) is uniform in [-input_scaling, input_scaling]; W_fb in
    [-feedback_scaling, feedback_scaling]. Everything comes from
    ``np.random.default_rng(seed)``, so a seed gives the same reservoir every time.

    Arguments:
        size: N_x. inputs: N_u. outputs: N_y.
        sparsity: the fraction of nonzero entries of W, in (0, 1].
        spectral_radius: rho > 0; leak_rate: alpha in (0, 1].
        input_scaling, feedback_scaling: half-widths of the uniform weights, >= 0.
        seed: a non-negative int. feedback: also draw W_fb (spec ``esn_feedback``).
    Returns:
        a :class:`Reservoir`: ``W_in (N_x, 1 + N_u)``, ``W (N_x, N_x)``, ``W_fb
        (N_x, N_y)`` or None.
    Raises:
        SeqcheckError: a setting out of range, or a pattern of nonzeros without a cycle
        (W nilpotent: its spectral radius is 0 whatever the values, so it cannot be
        rescaled).

    >>> # 5 % of a 100-unit W is nonzero, and the radius is the one asked for
    >>> res = reservoir(100, sparsity=0.05, spectral_radius=0.9, input_scaling=0.5,
    ...                 leak_rate=0.3, seed=0)
    >>> res.nonzeros, round(float(np.max(np.abs(np.linalg.eigvals(res.W)))), 12)
    (500, 0.9)
    """
    check_int("size", size, 1)
    check_int("inputs", inputs, 1)
    check_int("outputs", outputs, 1)
    check_int("seed", seed, 0)
    check_real("sparsity", sparsity, 0.0, 1.0, low_open=True)
    check_real("spectral_radius", spectral_radius, 0.0, math.inf, low_open=True)
    check_real("leak_rate", leak_rate, 0.0, 1.0, low_open=True)
    check_real("input_scaling", input_scaling, 0.0, math.inf)
    check_real("feedback_scaling", feedback_scaling, 0.0, math.inf)
    k = math.floor(sparsity * size * size + 0.5)
    if k == 0:
        raise SeqcheckError(f"sparsity {sparsity} of a {size} x {size} W gives "
                            f"{sparsity * size * size:.3g} nonzeros; at least one is needed: "
                            f"use sparsity >= {0.5 / size**2:.3g}")
    rng = np.random.default_rng(seed)
    flat = np.zeros(size * size)
    flat[rng.choice(size * size, size=k, replace=False)] = rng.uniform(-1.0, 1.0, size=k)
    W = flat.reshape(size, size)
    if not _has_cycle(W != 0):
        raise SeqcheckError(f"W's nonzero pattern ({k} of {size} x {size} entries; sparsity "
                            f"{sparsity}, seed {seed}) has no cycle, so W is nilpotent: its "
                            f"spectral radius is 0 and cannot be scaled to {spectral_radius}; "
                            "use another seed or a higher sparsity")
    for _ in range(2):  # the second pass corrects the rounding of the first
        W = W * (spectral_radius / _radius(W))
    W_in = rng.uniform(-input_scaling, input_scaling, size=(size, 1 + inputs))
    W_fb = (rng.uniform(-feedback_scaling, feedback_scaling, size=(size, outputs))
            if feedback else None)
    return Reservoir(W_in, W, float(leak_rate), W_fb, float(sparsity), float(spectral_radius),
                     float(input_scaling), int(seed), int(outputs),
                     float(feedback_scaling) if feedback else None)


def _radius(W: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def _has_cycle(pattern: np.ndarray) -> bool:
    """Whether the directed graph i <- j (pattern[i, j]) has a cycle (Kahn's algorithm).

    A pattern without a cycle makes every matrix on it nilpotent (permutable to strictly
    triangular form); with a cycle, random values give a nonzero radius almost surely.
    """
    indegree = pattern.sum(axis=1)
    ready = list(np.flatnonzero(indegree == 0))
    removed = 0
    while ready:
        j = ready.pop()
        removed += 1
        for i in np.flatnonzero(pattern[:, j]):
            indegree[i] -= 1
            if indegree[i] == 0:
                ready.append(i)
    return removed < pattern.shape[0]
