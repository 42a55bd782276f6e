"""Stage: compiled backward pass -> one-step windows and state Jacobians ∂s_t/∂s_{t-1}.

The causal gradient algorithms of seed 003 -- real-time recurrent learning
(:mod:`.rtrl`) and truncated BPTT (:mod:`.truncated`) -- and the state Jacobians
here are all built from one piece: the compiled BPTT pass run on a *window* of
steps ``[start, stop)``, re-entered from the true state before the window through
``initial``. Nothing is derived twice: every derivative comes from the derived
backward pass (:mod:`.adjoint`).

The state ``s`` is the concatenation of every delayed state, each flattened in its
declared order (``[h; c]`` for the LSTM). A window started from ``s_{t-1}``
reproduces the forward pass exactly only when each step reads the past through
``s_{t-1}`` alone, so these algorithms accept specs whose states are read at
``[t-1]`` only and whose sweeps all run forward in time.
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

import numpy as np

from ..errors import ShapeError
from ..spec.model import Spec
from ..spec.schedule import make_schedule
from ..spec.symbols import ref_name
from .rules import DerivationError

__all__ = ["StateJacobians", "state_jacobians", "Windows", "backward_chain", "causal_states"]


def backward_chain(spec: Spec) -> tuple[tuple[str, ...], list[str]] | None:
    """The first sweep of ``spec`` that runs backward in time, and the reads that make it so.

    Arguments:
        spec: a validated spec.
    Returns:
        ``(variables, reads)``: the sweep's variables, and ``"v reads name[t+k]"`` for each
        read of a later step; None when no sweep runs backward in time.

    >>> # the bidirectional RNN's backward chain reads the next step
    >>> from seqcheck import load_spec
    >>> backward_chain(load_spec("birnn")), backward_chain(load_spec("elman"))
    ((('h_bwd',), ['h_bwd reads h_bwd[t+1]']), None)
    """
    for sweep in make_schedule(spec).sweeps:
        if sweep.direction < 0:
            reads = [f"{v} reads {ref_name(r.name, r.offset)}" for v in sweep.variables
                     for r in spec.equation(v).refs if r.offset > 0]
            return tuple(sweep.variables), reads
    return None


def causal_states(spec: Spec, algorithm: str) -> tuple[str, ...]:
    """The delayed states of ``spec``, checked to form a one-step, forward-in-time recurrence.

    Arguments:
        spec: a validated spec.
        algorithm: named in the error message (``"real-time recurrent learning"``).
    Returns:
        The states read at ``[t-1]``, in declared order: the blocks of ``s``.
    Raises:
        DerivationError: a backward-in-time chain, a read further back than ``[t-1]``, or
            a delayed input.
    """
    if (chain := backward_chain(spec)) is not None:
        variables, reads = chain
        raise DerivationError(
            f"{algorithm} needs every recurrence to run forward in time, but spec "
            f"{spec.name!r} has a backward-in-time chain: {', '.join(reads)} "
            f"(so {', '.join(variables)} "
            f"{'runs' if len(variables) == 1 else 'run'} t = T..1)\n"
            f"  {algorithm} is causal (seed 003): the gradient at step t may use only "
            "steps 1..t, and this chain carries step t+1 back into step t\n"
            "  hint: use the full BPTT of the compiled backward pass for this spec")
    for name, offsets in spec.delayed_refs().items():
        bad = sorted(o for o in offsets if o != -1)
        if name not in spec.states or bad:
            refs = ", ".join(ref_name(name, o) for o in (bad or sorted(offsets)))
            what = "a state" if name in spec.states else "an input"
            raise DerivationError(
                f"{algorithm} carries the state s_t = f(s_{{t-1}}, x_t) one step at a time, "
                f"but spec {spec.name!r} reads {what} at {refs}\n"
                "  hint: introduce a state holding the older value (e.g. h_prev = h[t-1]) so "
                "that every delayed read is a state at [t-1]")
    delayed = spec.delayed_refs()
    return tuple(s for s in spec.states if s in delayed)


class Windows:
    """Forward and backward passes of a compiled spec over windows of a trajectory.

    Arguments:
        compiled: a :class:`~seqcheck.backends.compiled.CompiledSpec` with gradients.
        trajectory: the full forward pass; windows re-enter it from its true states.
        algorithm: named in error messages.

    Attributes: ``states`` (the blocks of ``s``), ``blocks`` (``((state, slice), ...)``),
    ``n`` (the size of ``s``), ``sizes`` (flattened size of each parameter).
    """

    def __init__(self, compiled, trajectory, algorithm: str):
        spec = compiled.spec
        self.states = causal_states(spec, algorithm)
        if compiled.derivation is None:
            raise DerivationError(f"{algorithm} runs the derived backward pass, but spec "
                                  f"{spec.name!r} was compiled without it: pass gradients=True")
        self.seeded = compiled.seeded
        missing = tuple(s for s in self.states if s not in compiled.seeded)
        if missing:  # the same code, also taking seeds on the states (no new derivation)
            compiled = type(compiled)(spec, compiled.xp, compiled.derivation,
                                      compiled.seeded + missing)
        self.compiled, self.traj, self.spec = compiled, trajectory, spec
        blocks, start = [], 0
        for s in self.states:
            size = prod(tuple(trajectory.values[s].shape)[2:])
            blocks.append((s, slice(start, start + size)))
            start += size
        self.blocks, self.n = tuple(blocks), start
        self.sizes = {p: prod(tuple(a.shape)) for p, a in trajectory.arrays["params"].items()}
        self.dtype = np.asarray(trajectory.raw[self.states[0]] if self.states else 0.0).dtype

    @property
    def n_params(self) -> int:
        return sum(self.sizes.values())

    def check_seeds(self, seeds) -> None:
        """Seeds name variables the caller's compilation seeds, with the trajectory's shapes."""
        unknown = sorted(set(seeds) - set(self.seeded))
        if unknown:
            raise ShapeError(f"seeds for {', '.join(unknown)}, but this compilation seeds "
                             f"only {', '.join(self.seeded) or 'nothing'}")
        for v, s in seeds.items():
            want = tuple(self.traj.values[v].shape)
            if tuple(np.shape(s)) not in (want, tuple(self.traj.raw[v].shape)):
                raise ShapeError(f"seed for '{v}' has shape {tuple(np.shape(s))}, expected "
                                 f"{want} (T, B, *shape)")

    def run(self, start: int, stop: int, rows=slice(None)):
        """The forward pass over steps ``start..stop-1`` (0-based) for batch ``rows``.

        Re-entered from the true state before ``start``; at ``start = 0`` from the
        trajectory's own initial values (declared ones stay declared, so their
        dependence on parameters reaches the backward pass).
        """
        traj, spec = self.traj, self.spec
        inputs = {n: (a[start:stop, rows] if n in spec.sequence_inputs else a[rows])
                  for n, a in traj.arrays["inputs"].items()}
        if start == 0:
            initial = {s: a[rows] for s, a in traj.arrays["initial"].items()}
        else:
            initial = {s: traj.values[s][start - 1][rows] for s in self.states}
        return self.compiled.forward(traj.arrays["params"], inputs, initial, steps=stop - start)

    def backward(self, window, seeds: dict):
        """BPTT on ``window`` with seeds ``{v: (B, *shape)}`` at its last step only."""
        full = {}
        for v, seed in seeds.items():
            shape = tuple(window.raw[v].shape)
            z = np.zeros(shape, dtype=self.dtype)
            z[-1] = np.asarray(seed).reshape(shape[1:])
            full[v] = z
        return self.compiled.backward(window, full)

    def state_seeds(self, rows: np.ndarray) -> dict:
        """Seeds ``{state: (B, *shape)}`` putting ``rows`` (B, n) on ``s`` at one step."""
        B = rows.shape[0]
        return {s: rows[:, sl].reshape(B, *tuple(self.traj.values[s].shape)[2:])
                for s, sl in self.blocks}

    def flat_state(self, per_state) -> np.ndarray:
        """``{state: (B, *shape)}`` (e.g. ``Gradients.initial``) as ``(B, n)``."""
        parts = [np.asarray(per_state[s]).reshape(np.shape(per_state[s])[0], -1)
                 for s in self.states]
        return np.concatenate(parts, axis=1)

    def flat_params(self, grads) -> np.ndarray:
        """``{param: declared shape}`` as one ``(|θ|,)`` vector, in declared order."""
        return np.concatenate([np.asarray(grads[p]).reshape(-1) for p in self.sizes])

    def unflat_params(self, flat: np.ndarray) -> dict:
        """The inverse of :meth:`flat_params`: ``{param: declared shape}``."""
        out, start = {}, 0
        for p, size in self.sizes.items():
            shape = tuple(self.traj.arrays["params"][p].shape)
            out[p] = flat[start:start + size].reshape(shape).astype(self.dtype)
            start += size
        return out


class StateJacobians(NamedTuple):
    """J_t = ∂s_t/∂s_{t-1} at every step and batch row, and where each state sits in ``s``.

    Arguments:
        jacobians: ``(T, B, n, n)``; row i is component i of s_t, column j component j
            of s_{t-1}.
        blocks: ``((state, slice), ...)``: state ``name`` is ``s[slice]``, flattened.
    """

    jacobians: np.ndarray
    blocks: tuple[tuple[str, slice], ...]

    def block(self, row: str, column: str) -> np.ndarray:
        """∂row_t/∂column_{t-1}, ``(T, B, n_row, n_column)``."""
        where = dict(self.blocks)
        return self.jacobians[:, :, where[row], where[column]]


def state_jacobians(compiled, trajectory) -> StateJacobians:
    """The one-step state Jacobians J_t = ∂s_t/∂s_{t-1} along a trajectory.

    ``s`` concatenates every delayed state (``[h; c]`` for the LSTM). Seed 000 eq.
    (26)-(28) shows why these matter: for h_t = Wᵀ h_{t-1} the Jacobian is Wᵀ at every
    step, and the gradient across τ steps is its τ-th power, whose eigenvalues vanish or
    explode; seed 002 ("Another look at the gradients") writes ∂c_t/∂c_τ as the
    recursive product of the factors ∂c_k/∂c_{k-1} computed here. Row i of J_t is the
    gradient w.r.t. ``initial`` of the compiled backward pass on the one-step window t,
    re-entered from s_{t-1}, with a unit seed on component i of s_t (every other seed
    zero).

    Arguments:
        compiled: a spec compiled with ``gradients=True`` whose recurrences run forward
            in time (states read at ``[t-1]`` only).
        trajectory: its forward pass, ``T`` steps of batch ``B``.
    Returns:
        :class:`StateJacobians`: ``jacobians`` ``(T, B, n, n)`` (``n`` = size of ``s``;
        step t = 1 is taken at the initial state) and ``blocks``.
    Raises:
        DerivationError: a backward-in-time chain (birnn) or a read other than ``[t-1]``.

    >>> # the seed 004 LSTM: with W_h* = 0 the cell block ∂c_t/∂c_{t-1} is diag(f_t)
    >>> from seqcheck import load_spec, compile_numpy
    >>> lstm = compile_numpy(load_spec("lstm"), gradients=True)
    >>> p = {k: np.full((2,) * len(d.shape), 0.5) for k, d in lstm.spec.params.items()}
    >>> p.update({k: np.zeros((2, 2)) for k in ("W_hi", "W_hf", "W_hc", "W_ho")})
    >>> traj = lstm(p, {"x": np.ones((3, 1, 2))})
    >>> J = state_jacobians(lstm, traj)
    >>> J.jacobians.shape, [name for name, _ in J.blocks]
    ((3, 1, 4, 4), ['h', 'c'])
    >>> bool(np.allclose(J.block("c", "c")[2, 0], np.diag(traj["f"][2, 0])))
    True
    """
    w = Windows(compiled, trajectory, "the state Jacobian")
    T, B, n = trajectory.steps, trajectory.batch, w.n
    out = np.zeros((T, B, n, n), dtype=w.dtype)
    unit = np.zeros((B, n), dtype=w.dtype)
    for t in range(T):
        window = w.run(t, t + 1)
        for i in range(n):
            unit[:] = 0.0
            unit[:, i] = 1.0  # rows of the batch are independent: seed them all at once
            g = w.backward(window, w.state_seeds(unit))
            out[t, :, i, :] = w.flat_state(g.initial)
    return StateJacobians(out, w.blocks)
