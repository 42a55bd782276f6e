"""Stage: compiled backward pass -> truncated backpropagation through time.

Seed 003 ("Backpropagation through time – online with truncation"): "if there are no
batches and the network is supposed to work continuously, the number of recursive
steps for weight updates has to be finite"; "with truncation backpropagate loss within
a limited window of time"; "beyond the truncation there is no memory effect".

The convention here is the on-line reading of the slide (Williams & Peng's 1990
BPTT(h), which updates at every step): the loss ℓ_t at step t is backpropagated through
the last k steps, t-k+1..t, and the state s_{t-k} entering that window is a constant.
Every loss gets the same window, whatever its position in the sequence, and k ≥ T is
exactly BPTT. The weights are held fixed: the result is the sum of the per-step updates
an on-line learner would make, none of them applied.

This is *not* PyTorch-style chunking (split the sequence into chunks of k steps,
``detach()`` the state between chunks, backpropagate each chunk's summed loss): there
the last loss of a chunk sees k steps and the first sees one, so the gradient depends
on where the chunks are cut. Chunking costs O(T) step-backwards; this definition O(T·k).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from .gradients import Gradients
from .jacobian import Windows
from .rules import DerivationError

__all__ = ["truncated_bptt"]


def truncated_bptt(compiled, params: Mapping, inputs: Mapping, seeds: Mapping, k: int,
                   initial: Mapping | None = None, steps: int | None = None) -> Gradients:
    """Gradients of L = Σ_t ℓ_t, each ℓ_t backpropagated through its last k steps only.

    ℓ_t = Σ_v ⟨seeds[v]_t, v_t⟩. For every t the compiled backward pass runs on the
    window of steps max(1, t-k+1)..t, re-entered from the true forward state before the
    window (a constant), with seeds at the window's last step only; the results are
    summed. A window that starts at step 1 starts from the initial values, so losses at
    t ≤ k reach them (and the parameters a declared initial value depends on).

    Arguments:
        compiled: a spec compiled with ``gradients=True`` whose recurrences run forward in
            time (states read at ``[t-1]`` only).
        params: ``{name: array}``, exactly the declared shapes.
        inputs: sequence inputs ``(T, B, ...)``, static inputs ``(B, ...)``.
        seeds: ``{variable: (T, B, *shape)}``, ∂ℓ_t/∂v_t for variables the compilation
            seeds; a variable left out has a zero seed.
        k: the truncation window, a positive number of steps; k ≥ T gives full BPTT.
        initial: optional ``{state: (B, *shape)}``, as for the forward pass.
        steps: T, needed only when the spec has no sequence input.
    Returns:
        :class:`~seqcheck.derive.gradients.Gradients`: ``params`` (declared shapes,
        summed over the batch), ``inputs`` (``(T, B, ...)``; static ``(B, ...)``) and
        ``initial`` (``{state: (B, *shape)}``, from the losses at t ≤ k).
    Raises:
        DerivationError: k not a positive integer; a backward-in-time chain (birnn:
            truncation is causal); a read other than ``[t-1]``.

    >>> # with a window of one step, the seed 000 RNN's loss at t ignores h_{t-1}'s past
    >>> from seqcheck import load_spec, compile_numpy
    >>> rnn = compile_numpy(load_spec("rnn"), gradients=True)
    >>> rng = np.random.default_rng(0)
    >>> p = {k: rng.normal(size=s) for k, s in [("W_xh", (3, 2)), ("W_hh", (3, 3)),
    ...                                         ("W_ho", (2, 3)), ("b_h", 3), ("b_o", 2)]}
    >>> x = {"x": rng.normal(size=(4, 1, 2))}
    >>> seeds = {"o": np.zeros((4, 1, 2))}
    >>> seeds["o"][3] = 1.0  # the loss at the last step only
    >>> g = truncated_bptt(rnn, p, x, seeds, k=1)
    >>> bool(np.all(g.inputs["x"][:3] == 0)), bool(np.any(g.inputs["x"][3] != 0))
    (True, True)
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise DerivationError(f"the truncation window k must be a positive integer number "
                              f"of steps, got k={k!r}")
    traj = compiled.forward(params, inputs, initial, steps)
    w = Windows(compiled, traj, "truncated BPTT")
    w.check_seeds(seeds)
    spec, T = compiled.spec, traj.steps
    g_params = np.zeros(w.n_params, dtype=np.float64)
    g_inputs = {n: np.zeros(np.shape(a), dtype=np.float64)
                for n, a in traj.arrays["inputs"].items()}
    g_initial: dict[str, np.ndarray] = {}
    for t in range(T):
        start = max(0, t - k + 1)
        window = w.run(start, t + 1)
        g = w.backward(window, {v: np.asarray(s)[t] for v, s in seeds.items()})
        g_params += w.flat_params(g.params)
        for n, a in g.inputs.items():
            if n in spec.sequence_inputs:
                g_inputs[n][start:t + 1] += np.asarray(a)
            else:
                g_inputs[n] += np.asarray(a)
        if start == 0:
            for s, a in g.initial.items():
                g_initial[s] = g_initial.get(s, 0.0) + np.asarray(a)
    return Gradients(
        MappingProxyType(w.unflat_params(g_params)),
        MappingProxyType({n: a.astype(w.dtype) for n, a in g_inputs.items()}),
        MappingProxyType({s: np.asarray(a, dtype=w.dtype) for s, a in g_initial.items()}))
