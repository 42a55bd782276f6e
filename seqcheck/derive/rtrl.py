"""Stage: compiled backward pass -> real-time recurrent learning (Williams & Zipser, 1989).

Seed 003 ("Other learning algorithms for RNNs") lists real-time recurrent learning:
"the exact gradients are calculated and the synaptic updates are made at every step
during network's processing stage", at "very high computational cost". RTRL runs
forward in time and carries the sensitivity of the state to every parameter,

    P_t = ds_t/dθ = J_t P_{t-1} + M_t,     J_t = ∂s_t/∂s_{t-1},  M_t = ∂s_t/∂θ |_{s_{t-1}},

so that each step's loss ℓ_t gets its exact gradient at step t,

    dℓ_t/dθ = ∂ℓ_t/∂θ |_{s_{t-1}} + (∂ℓ_t/∂s_{t-1}) P_{t-1},

the sum over τ ≤ t of seed 002's ∂ℓ_t/∂c_t · ∂c_t/∂c_τ · ∂c_τ/∂W ("Another look at the
gradients"), accumulated forward instead of backward. Summed over t it equals BPTT.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .jacobian import Windows

__all__ = ["rtrl"]


def rtrl(compiled, params: Mapping, inputs: Mapping, seeds: Mapping,
         initial: Mapping | None = None, steps: int | None = None) -> dict:
    """Parameter gradients of L = Σ_t Σ_v ⟨seeds[v]_t, v_t⟩ by real-time recurrent learning.

    An exact reference algorithm, written for clarity, not speed. Every derivative comes
    from one-step windows of the compiled backward pass, re-entered from the true state
    s_{t-1}: the real seeds at step t give ∂ℓ_t/∂θ and ∂ℓ_t/∂s_{t-1}; a unit seed on
    component i of s_t, per batch row, gives row i of J_t (the gradient w.r.t. the
    window's initial state) and of M_t (the parameter gradient). At step 1 the window
    starts from the initial values themselves, so a declared initial value that depends
    on parameters is differentiated too.

    Cost, for n state components, |θ| parameters, T steps and batch B: n one-step
    backward passes per step and row, O(T·B·n·|θ|) -- n times BPTT's O(T·B·|θ|) -- plus
    the dense products J_t P_{t-1}, O(T·B·n²·|θ|). Memory is O(B·n·|θ|) for P whatever
    T is (BPTT stores the whole trajectory, O(T·B·n)): the reason RTRL exists, learning
    online without storing the past.

    Arguments:
        compiled: a spec compiled with ``gradients=True`` whose recurrences run forward in
            time (states read at ``[t-1]`` only).
        params: ``{name: array}``, exactly the declared shapes.
        inputs: sequence inputs ``(T, B, ...)``, static inputs ``(B, ...)``.
        seeds: ``{variable: (T, B, *shape)}``, ∂L/∂v_t for variables the compilation
            seeds; a variable left out has a zero seed.
        initial: optional ``{state: (B, *shape)}``, as for the forward pass (constants).
        steps: T, needed only when the spec has no sequence input.
    Returns:
        ``{name: array of the declared shape}``: dL/dθ summed over the batch, equal to
        ``compiled.backward(...).params``.
    Raises:
        DerivationError: a backward-in-time chain (birnn: RTRL is causal) or a read other
            than ``[t-1]``.

    >>> # RTRL on the seed 000 RNN agrees with BPTT (the compiled backward pass)
    >>> from seqcheck import load_spec, compile_numpy
    >>> rnn = compile_numpy(load_spec("rnn"), gradients=True)
    >>> rng = np.random.default_rng(0)
    >>> p = {k: rng.normal(size=s) for k, s in [("W_xh", (3, 2)), ("W_hh", (3, 3)),
    ...                                         ("W_ho", (2, 3)), ("b_h", 3), ("b_o", 2)]}
    >>> x, seeds = {"x": rng.normal(size=(4, 1, 2))}, {"o": rng.normal(size=(4, 1, 2))}
    >>> bptt = rnn.backward(rnn(p, x), seeds).params
    >>> bool(np.allclose(rtrl(rnn, p, x, seeds)["W_hh"], bptt["W_hh"]))
    True
    """
    traj = compiled.forward(params, inputs, initial, steps)
    w = Windows(compiled, traj, "real-time recurrent learning")
    w.check_seeds(seeds)
    T, B, n = traj.steps, traj.batch, w.n
    grad = np.zeros(w.n_params, dtype=np.float64)
    P = np.zeros((B, n, w.n_params), dtype=np.float64)  # ds_{t-1}/dθ per batch row
    unit = np.zeros((1, n), dtype=w.dtype)
    for t in range(T):
        # ℓ_t: direct ∂ℓ_t/∂θ (summed over rows) and ∂ℓ_t/∂s_{t-1} through P_{t-1}
        window = w.run(t, t + 1)
        g = w.backward(window, {v: np.asarray(s)[t] for v, s in seeds.items()})
        grad += w.flat_params(g.params)
        if n:
            grad += np.einsum("bi,bip->p", w.flat_state(g.initial), P)
        if t == T - 1 or not n:
            break  # P_T is never used
        # P_t = J_t P_{t-1} + M_t, row by row of the batch (parameter gradients sum rows)
        new = np.empty_like(P)
        for b in range(B):
            row = w.run(t, t + 1, rows=slice(b, b + 1))
            J = np.empty((n, n))
            for i in range(n):
                unit[:] = 0.0
                unit[0, i] = 1.0
                gi = w.backward(row, w.state_seeds(unit))
                J[i] = w.flat_state(gi.initial)[0]
                new[b, i] = w.flat_params(gi.params)  # M_t, row i
            new[b] += J @ P[b]
        P = new
    return w.unflat_params(grad)

