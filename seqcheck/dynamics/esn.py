"""Echo state networks end to end: reservoir, echo state property, ridge readout, tasks.

Seed 003's recipe ('Reservoir computing - overall recipe'): 1. generate the reservoir
(W_in, W); 2. apply the inputs x(n) and collect the states h(n); 3. compute the linear
readout by ridge regression; 4. use the network on new data. Every run goes through the
*compiled spec*: ``esn`` (specs/esn.toml), ``esn_feedback`` for output feedback, and a
variant of it for teacher forcing, so what is trained and measured here is exactly
what the spec says:

    h~(n) = tanh(W_in [1; x(n)] + W h(n-1) [+ W_fb y(n-1)])
    h(n)  = (1 - alpha) h(n-1) + alpha h~(n)
    y(n)  = W_out [1; h(n); x(n)]

Arrays are time-major like the compiled specs: inputs ``(T, B, N_u)``, states
``(T, B, N_x)``. The readout works in the slide's column convention: the design matrix
H has one column per sample, ``(1 + N_x + N_u, samples)``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from ..errors import SeqcheckError

__all__ = ["EchoStateReport", "Reservoir", "design_matrix", "echo_state_property",
           "fit_readout", "free_run", "reservoir", "ridge_readout", "run_reservoir",
           "teacher_forced", "teacher_forcing_spec"]

#: The teacher-forced feedback (seed 003: "teacher forcing: y(n) = y^target(n)"): the
#: fed-back output is an input holding y^target(n-1) instead of the state y[t-1].
TEACHER_H_TILDE = "tanh(W_in @ concat(1, x) + W @ h[t-1] + W_fb @ y_teacher)"


# -- reservoir generation -------------------------------------------------------------
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


# -- running the compiled specs ---------------------------------------------------------
@functools.cache
def _compiled(name: str):
    from ..backends import compile_numpy
    from ..spec import load_spec

    return compile_numpy(teacher_forcing_spec() if name == "teacher" else load_spec(name))


@functools.cache
def teacher_forcing_spec():
    """``esn_feedback`` with the fed-back output read from an input ``y_teacher``.

    Seed 003 ('Reservoir computing - fundamentals', extra feedback projections): "could
    be used for providing feedback for training - teacher forcing: y(n) = y^target(n)".
    The variant replaces ``W_fb @ y[t-1]`` by ``W_fb @ y_teacher``, where ``y_teacher``
    at step n holds y^target(n-1); y(n) is still computed by the readout.

    Returns:
        the variant :class:`~seqcheck.spec.Spec` ``esn_teacher_forced``.

    >>> teacher_forcing_spec().equation("h_tilde").text == TEACHER_H_TILDE
    True
    """
    from ..spec import load_spec, variant

    return variant(load_spec("esn_feedback"), name="esn_teacher_forced",
                   title="Echo state network, teacher-forced feedback (seed 003)",
                   equations={"h_tilde": TEACHER_H_TILDE},
                   inputs={"y_teacher": (["N_y"], "teacher output y_target(n-1)")})


def run_reservoir(res: Reservoir, x, *, W_out=None, initial=None):
    """Run the compiled spec (``esn``, or ``esn_feedback`` fed its own output).

    Arguments:
        res: the reservoir.
        x: inputs ``(T, B, N_u)``.
        W_out: readout ``(N_y, 1 + N_x + N_u)``; zeros if None (states only). A
            reservoir with feedback needs it: y(n-1) is fed back.
        initial: ``{"h": (B, N_x)}`` (and ``"y": (B, N_y)`` with feedback); zeros if left
            out (the spec's h(0) = 0).
    Returns:
        the :class:`~seqcheck.backends.Trajectory`: ``traj["h"]`` ``(T, B, N_x)``,
        ``traj["y"]`` ``(T, B, N_y)``.

    >>> # a reservoir started at h(0) = 0 on a zero input stays at tanh of its bias
    >>> res = reservoir(4, sparsity=0.5, spectral_radius=0.5, input_scaling=1.0,
    ...                 leak_rate=1.0, seed=1)
    >>> traj = run_reservoir(res, np.zeros((3, 1, 1)))
    >>> traj["h"].shape, bool(np.allclose(traj["h"][0, 0], np.tanh(res.W_in[:, 0])))
    ((3, 1, 4), True)
    """
    if res.W_fb is not None and W_out is None:
        raise SeqcheckError("this reservoir feeds its output back (W_fb): pass W_out to run "
                            "it free, or use teacher_forced(...) to feed the targets")
    x = _sequence("x", x, res.inputs)
    return _compiled(res.spec_name)(res.params(W_out), {"x": x}, initial=initial)


def teacher_forced(res: Reservoir, x, y_target, *, W_out=None, initial=None):
    """Run ``esn_feedback`` with the target fed back instead of the output.

    h~(n) = tanh(W_in [1; x(n)] + W h(n-1) + W_fb y^target(n-1)), y^target(0) = y(0)
    (``initial["y"]``, default 0), through :func:`teacher_forcing_spec`.

    Arguments:
        res: a reservoir with ``W_fb`` (``feedback=True``).
        x: inputs ``(T, B, N_u)``; y_target: targets ``(T, B, N_y)``.
        W_out: the readout for ``traj["y"]`` (zeros if None; the states do not
            depend on it).
        initial: ``{"h": (B, N_x), "y": (B, N_y)}``, zeros if left out.
    Returns:
        the trajectory: ``traj["h"]`` ``(T, B, N_x)``, ``traj["y"]`` ``(T, B, N_y)``.

    >>> # with y^target = 0 the teacher-forced states are those of the reservoir alone
    >>> res = reservoir(5, sparsity=0.4, spectral_radius=0.8, input_scaling=1.0,
    ...                 leak_rate=0.5, seed=2, feedback=True)
    >>> x = np.linspace(-1, 1, 6).reshape(6, 1, 1)
    >>> plain = reservoir(5, sparsity=0.4, spectral_radius=0.8, input_scaling=1.0,
    ...                   leak_rate=0.5, seed=2)
    >>> forced = teacher_forced(res, x, np.zeros((6, 1, 1)))["h"]
    >>> bool(np.allclose(forced, run_reservoir(plain, x)["h"]))
    True
    """
    if res.W_fb is None:
        raise SeqcheckError("teacher forcing feeds the target back through W_fb; this "
                            "reservoir has none: generate it with feedback=True")
    x = _sequence("x", x, res.inputs)
    y_target = _sequence("y_target", y_target, res.outputs, like=x)
    initial = dict(initial or {})
    y0 = np.asarray(initial.get("y", np.zeros(y_target.shape[1:])), dtype=np.float64)
    y_teacher = np.concatenate([y0[None], y_target[:-1]])
    return _compiled("teacher")(res.params(W_out), {"x": x, "y_teacher": y_teacher},
                                initial=initial)


def free_run(res: Reservoir, W_out, x, *, initial):
    """Generate with the network's own output fed back (``esn_feedback``), e.g. after
    teacher forcing; seed 003: "in on-line learning the use of y(n) for feedback is
    preferred for the stability".

    Arguments:
        res: a reservoir with ``W_fb``; W_out: ``(N_y, 1 + N_x + N_u)``.
        x: inputs ``(T, B, N_u)``.
        initial: ``{"h": (B, N_x), "y": (B, N_y)}``: where to continue from.
    Returns:
        the trajectory, ``traj["y"]`` ``(T, B, N_y)`` the generated outputs.

    >>> # free running with y(0) = 0 and W_out = 0 feeds back nothing
    >>> res = reservoir(5, sparsity=0.4, spectral_radius=0.8, input_scaling=1.0,
    ...                 leak_rate=0.5, seed=2, feedback=True)
    >>> x = np.ones((4, 1, 1))
    >>> y = free_run(res, np.zeros((1, 7)), x, initial={"h": np.zeros((1, 5))})["y"]
    >>> bool(np.all(y == 0))
    True
    """
    if res.W_fb is None:
        raise SeqcheckError("free running feeds the output back through W_fb; this "
                            "reservoir has none: use run_reservoir(...)")
    return run_reservoir(res, x, W_out=W_out, initial=initial)


# -- the echo state property ------------------------------------------------------------
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


# -- the ridge readout -------------------------------------------------------------------
def design_matrix(h, x, washout: int = 0) -> np.ndarray:
    """H = [1; h(n); x(n)] with one column per sample after the washout.

    Arguments:
        h: states ``(T, B, N_x)``; x: inputs ``(T, B, N_u)``.
        washout: leading steps to drop ("the need to deal with initial transients").
    Returns:
        ``(1 + N_x + N_u, (T - washout) * B)``, columns in time-major order.

    >>> design_matrix(np.full((3, 1, 2), 0.5), np.full((3, 1, 1), 2.0), washout=1)
    array([[1. , 1. ],
           [0.5, 0.5],
           [0.5, 0.5],
           [2. , 2. ]])
    """
    h, x = np.asarray(h, dtype=np.float64), np.asarray(x, dtype=np.float64)
    if h.ndim != 3 or x.ndim != 3 or h.shape[:2] != x.shape[:2]:
        raise SeqcheckError(f"h (T, B, N_x) and x (T, B, N_u) must share T and B; got "
                            f"{h.shape} and {x.shape}")
    check_int("washout", washout, 0)
    if washout >= h.shape[0]:
        raise SeqcheckError(f"washout {washout} leaves no sample of T = {h.shape[0]} steps")
    ones = np.ones(h.shape[:2] + (1,))
    return _columns(np.concatenate([ones, h, x], axis=-1), washout)


def _columns(a: np.ndarray, washout: int) -> np.ndarray:
    return a[washout:].reshape(-1, a.shape[-1]).T


def ridge_readout(H, Y, beta: float) -> np.ndarray:
    """W_out = Y H^T (H H^T + beta I)^-1 (seed 003, 'Training readouts').

    Solved as (H H^T + beta I) W_out^T = H Y^T with ``np.linalg.solve`` (the matrix is
    symmetric, positive definite for beta > 0); no inverse is formed.

    Arguments:
        H: design matrix ``(F, n)``; Y: targets ``(N_y, n)``, one column per sample.
        beta: the ridge parameter, >= 0.
    Returns:
        W_out ``(N_y, F)``.

    >>> # an exact linear map is recovered when beta = 0
    >>> H = np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])
    >>> ridge_readout(H, np.array([[1.0, 3.0, 5.0]]), beta=0.0)
    array([[1., 2.]])
    """
    H, Y = np.asarray(H, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if H.ndim != 2 or Y.ndim != 2 or H.shape[1] != Y.shape[1]:
        raise SeqcheckError(f"H (F, n) and Y (N_y, n) must have one column per sample; got "
                            f"{H.shape} and {Y.shape}")
    check_real("beta", beta, 0.0, math.inf)
    try:
        return np.linalg.solve(H @ H.T + beta * np.eye(H.shape[0]), H @ Y.T).T
    except np.linalg.LinAlgError:
        raise SeqcheckError(f"H H^T + beta I is singular ({H.shape[0]} features, "
                            f"{H.shape[1]} samples, beta = {beta}): use beta > 0") from None


def fit_readout(h, x, y_target, *, washout: int, beta: float) -> np.ndarray:
    """Ridge readout from collected states: :func:`design_matrix` then :func:`ridge_readout`.

    Arguments:
        h: ``(T, B, N_x)``; x: ``(T, B, N_u)``; y_target: ``(T, B, N_y)``.
        washout: leading steps left out; beta: the ridge parameter.
    Returns:
        W_out ``(N_y, 1 + N_x + N_u)``, the spec's readout parameter.

    >>> # y = 2 x is read off the input row of [1; h; x]
    >>> x = np.linspace(-1, 1, 5).reshape(5, 1, 1)
    >>> W_out = fit_readout(np.zeros((5, 1, 2)), x, 2 * x, washout=0, beta=1e-12)
    >>> np.round(W_out, 6) + 0.0
    array([[0., 0., 0., 2.]])
    """
    y_target = np.asarray(y_target, dtype=np.float64)
    H = design_matrix(h, x, washout)
    if y_target.ndim != 3 or y_target.shape[:2] != np.shape(h)[:2]:
        raise SeqcheckError(f"y_target must be (T, B, N_y) with the T and B of h "
                            f"{np.shape(h)[:2]}; got {y_target.shape}")
    return ridge_readout(H, _columns(y_target, washout), beta)


# -- argument checks --------------------------------------------------------------------
def check_int(name: str, value, lowest: int) -> None:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < lowest:
        raise SeqcheckError(f"{name} must be an int >= {lowest}, got {value!r}")


def check_real(name: str, value, low: float, high: float, low_open: bool = False) -> None:
    ok = (isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if low_open else value >= low) and value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{']' if high < math.inf else ')'}"
        raise SeqcheckError(f"{name} must be a finite number in {interval}, got {value!r}")


def _sequence(name: str, a, width: int, like=None) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 3 or a.shape[2] != width or (like is not None and a.shape[:2] != like.shape[:2]):
        want = f"({'T, B' if like is None else f'{like.shape[0]}, {like.shape[1]}'}, {width})"
        raise SeqcheckError(f"{name} must be time-major {want}; got shape {a.shape}")
    return a
