"""Seed 003's steps 2 and 4: run a reservoir through the compiled spec, free or teacher-forced.

Every run goes through the compiled spec (``esn``, ``esn_feedback``, or
:func:`teacher_forcing_spec`, the variant that feeds the target back), so what is run
here is exactly what the spec says. Arrays are time-major: inputs ``(T, B, N_u)``,
states ``(T, B, N_x)``.
"""

from __future__ import annotations

import functools

import numpy as np

from ...errors import SeqcheckError
from .generation import Reservoir

__all__ = ["TEACHER_H_TILDE", "free_run", "run_reservoir", "teacher_forced",
           "teacher_forcing_spec"]

#: The teacher-forced feedback (seed 003: "teacher forcing: y(n) = y^target(n)"): the
#: fed-back output is an input holding y^target(n-1) instead of the state y[t-1].
TEACHER_H_TILDE = "tanh(W_in @ concat(1, x) + W @ h[t-1] + W_fb @ y_teacher)"


@functools.cache
def _compiled(name: str):
    from ...backends import compile_numpy
    from ...spec import load_spec

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
    from ...spec import load_spec, variant

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
    >>> from seqcheck.dynamics.esn import reservoir
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
    >>> from seqcheck.dynamics.esn import reservoir
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
    >>> from seqcheck.dynamics.esn import reservoir
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


def _sequence(name: str, a, width: int, like=None) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 3 or a.shape[2] != width or (like is not None and a.shape[:2] != like.shape[:2]):
        want = f"({'T, B' if like is None else f'{like.shape[0]}, {like.shape[1]}'}, {width})"
        raise SeqcheckError(f"{name} must be time-major {want}; got shape {a.shape}")
    return a
