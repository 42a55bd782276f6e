"""How a Keras object is called on a case, and how each backend differentiates it.

:func:`forward` calls a cell, layer or Bidirectional the way Keras 3.15.1 defines them, in
``keras.ops`` only (so the same code runs on torch tensors and on traced jax arrays):

- a cell once per step, ``cell(x_t, [h, c], training=False)`` -> ``(h, [h, c])``
  (``LSTMCell.call``; a GRU or SimpleRNN cell takes and returns ``[h]``);
- a layer once, batch-major, ``layer(x (B, T, D), initial_state=[h, c], training=False)``
  with ``return_sequences`` and ``return_state`` on -> ``(sequence, h, c)``
  (``RNN.call``). With ``go_backwards`` the sequence comes back in the order the steps
  were taken, t = T first (``backend.rnn``'s loop and the torch backend's
  ``_fallback_lstm``/``_fallback_gru``, which flip the input and not the output): it is
  flipped back to time order;
- a Bidirectional once, ``initial_state=[h_f, c_f, h_b, c_b]`` -> ``(sequence (B, T, 2H),
  h_f, c_f, h_b, c_b)``, its backward half already in time order
  (``Bidirectional.call`` flips it back); with ``merge_mode=None`` the two halves come
  separately.

A backend is a class (:class:`TorchRunner`, :class:`JaxRunner`) with one method, ``run``:
it writes the case's parameters into Keras's variables, calls :func:`forward` and returns
the :class:`~seqcheck.adapters.base.Observed` values and, with gradients, torch autograd's
or ``jax.vjp``'s gradients of the projection loss.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError
from ..base import Observed, projection_loss
from ..blocks import assemble, grads_of
from .layouts import Configuration

__all__ = ["JaxRunner", "RUNNERS", "TorchRunner", "forward", "variable_at"]


def variable_at(obj, path: str):
    """The Keras variable at attribute path ``path`` (``"forward_layer.cell.kernel"``)."""
    value = obj
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            raise SeqcheckError(f"{type(obj).__name__} has no variable {path} (Keras's name "
                                "for it in this layout); was it built?")
    return value


def _expect(value, shape: tuple, what: str, name: str):
    got = tuple(int(n) for n in value.shape)
    if got != shape:
        raise SeqcheckError(f"{name} returned {what} of shape {got}; expected {shape}")


def forward(config: Configuration, call, x, initial: dict, name: str,
            mask=None) -> tuple[dict, dict]:
    """Run one case through ``call`` (the object, or a stateless stand-in for it).

    Arguments:
        config: what the object is (:class:`~.layouts.Configuration`).
        call: called as the object is (``call(x_t, states)`` for a cell, ``call(x,
            initial_state=...)`` for a layer), always with ``training=False``.
        x: the input, time-major ``(T, B, D)``, a tensor of the backend.
        initial: ``{state: (B, H)}`` for every state of ``config.states``.
        name: the object's name, for errors.
        mask: for rows of their own lengths, ``(T, B)`` booleans, True on a row's own
            steps: a layer is called with Keras's ``mask=`` (batch-major), which holds the
            states through a row's padding and carries its last output there
            (``backend.rnn``, ``zero_output_for_mask=False``); the padded steps' outputs
            are then set to 0, as the spec language defines them.
    Returns:
        ``(per_step, final)``: ``{output: (T, B, H)}`` and ``{state: (B, H)}`` tensors.
    """
    from keras import ops

    T, B = int(x.shape[0]), int(x.shape[1])
    states = config.family.states
    width = int(initial[config.states[0]].shape[-1])
    if config.kind == "cell":
        carry = [initial[s] for s in states]
        trace: dict = {s: [] for s in states}
        for t in range(T):
            _, carry = call(x[t], carry, training=False)
            carry = list(carry) if isinstance(carry, (list, tuple)) else [carry]
            if len(carry) != len(states):
                raise SeqcheckError(f"{name}(x_t, states) returned {len(carry)} states; a "
                                    f"{config.family.cell} returns {', '.join(states)}")
            for s, v in zip(states, carry):
                _expect(v, (B, width), f"state {s} at step {t + 1}", name)
                trace[s].append(v)
        return ({s: ops.stack(trace[s]) for s in states},
                {s: trace[s][-1] for s in states})
    given = [initial[s + sfx] for sfx, _ in config.chains for s in states]
    masked = {} if mask is None else {"mask": ops.transpose(mask, (1, 0))}
    result = call(ops.transpose(x, (1, 0, 2)), initial_state=given, training=False, **masked)
    result = list(result) if isinstance(result, (list, tuple)) else [result]
    merged = config.kind == "bidirectional" and len(result) == 1 + len(given)
    halves = 1 if config.kind == "layer" or merged else 2
    if len(result) != halves + len(given):
        raise SeqcheckError(f"{name}(x, initial_state=...) returned {len(result)} values; "
                            f"with return_sequences and return_state Keras returns the "
                            f"sequence and {len(given)} final states")
    sequences, last = result[:halves], result[halves:]
    if merged:
        _expect(sequences[0], (B, T, 2 * width), "its sequence", name)
        sequences = [sequences[0][..., :width], sequences[0][..., width:]]
    per_step = {}
    for (sfx, _), seq in zip(config.chains, sequences):
        _expect(seq, (B, T, width), f"the sequence of h{sfx}", name)
        seq = ops.transpose(seq, (1, 0, 2))
        if config.go_backwards:  # Keras returns the reversed sequence
            seq = ops.flip(seq, axis=0)
        if mask is not None:  # Keras carries the last output through the padding: 0 there
            seq = seq * ops.expand_dims(ops.cast(mask, seq.dtype), -1)
        per_step[states[0] + sfx] = seq
    final = {}
    for (sfx, _), k in zip(config.chains, range(0, len(last), len(states))):
        for s, v in zip(states, last[k:k + len(states)]):
            _expect(v, (B, width), f"final state {s}{sfx}", name)
            final[s + sfx] = v
    return per_step, final


class TorchRunner:
    """Keras on torch: its variables wrap ``torch.nn.Parameter`` s (``variable.value``),
    so the layer itself runs under torch autograd."""

    name = "torch"

    def dtypes(self) -> tuple[str, ...]:
        return ("float32", "float64")

    def run(self, obj, config: Configuration, layout: dict, case, dtype: str,
            gradients: bool, name: str) -> Observed:
        import keras
        import torch

        variables = {path: variable_at(obj, path) for path in layout}
        for path, var in variables.items():
            var.assign(assemble(layout[path], case.params).astype(dtype))
            var.value.grad = None

        def tensor(a):
            return keras.ops.convert_to_tensor(np.array(a, dtype=dtype)).requires_grad_(
                gradients)

        x = tensor(case.inputs["x"])
        initial = {s: tensor(case.initial[s]) for s in config.states}
        with torch.enable_grad():
            per_step, final = forward(config, obj, x, initial, name, _mask(case))
            if gradients:
                projection_loss(case, config.outputs, config.states, per_step, final,
                                lib=torch).backward()

        def array(t):
            return t.detach().cpu().double().numpy()

        def grad(t):  # None: it took no part in the loss, its gradient is zero
            return array(t.grad) if t.grad is not None else np.zeros(tuple(t.shape))

        return Observed(
            per_step={v: array(per_step[v]) for v in config.outputs},
            final={s: array(final[s]) for s in config.states},
            params=grads_of(layout, {p: grad(v.value) for p, v in variables.items()})
            if gradients else None,
            x=grad(x) if gradients else None,
            initial={s: grad(initial[s]) for s in config.states} if gradients else None)


class JaxRunner:
    """Keras on jax: ``stateless_call`` with the case's values in place of the layer's
    variables, differentiated by ``jax.vjp`` (float64 only where jax has x64 enabled)."""

    name = "jax"

    def __init__(self):
        self._compiled: dict = {}

    def dtypes(self) -> tuple[str, ...]:
        import jax

        return ("float32", "float64") if jax.config.jax_enable_x64 else ("float32",)

    def _function(self, obj, config: Configuration, gradients: bool, name: str):
        """``(values, x, initial, seeds) -> (per_step, final[, gradients])``, jit-compiled
        once per object (and again, by jax, for each new set of shapes)."""
        import jax

        key = (id(obj), gradients)
        if key in self._compiled and self._compiled[key][0] is obj:
            return self._compiled[key][1]
        fixed = [v.value for v in obj.non_trainable_variables]

        def run(values, x, initial, mask):
            def call(*args, **kwargs):
                return obj.stateless_call(values, fixed, *args, **kwargs)[0]

            return forward(config, call, x, initial, name, mask)

        def differentiated(values, x, initial, seeds, mask):
            out, vjp = jax.vjp(lambda v, a, i: run(v, a, i, mask), values, x, initial)
            return out, vjp(seeds)

        function = jax.jit(differentiated if gradients
                           else lambda values, x, initial, seeds, mask: run(values, x, initial,
                                                                            mask))
        self._compiled[key] = (obj, function)
        return function

    def run(self, obj, config: Configuration, layout: dict, case, dtype: str,
            gradients: bool, name: str) -> Observed:
        import jax.numpy as jnp

        trainable = list(obj.trainable_variables)
        index = {id(v): k for k, v in enumerate(trainable)}
        values = [v.value for v in trainable]
        for path, block in layout.items():
            values[index[id(variable_at(obj, path))]] = jnp.asarray(
                assemble(block, case.params), dtype=dtype)
        x = jnp.asarray(case.inputs["x"], dtype=dtype)
        initial = {s: jnp.asarray(case.initial[s], dtype=dtype) for s in config.states}
        # the cotangents of projection_loss: every step of an output, the end of a state
        seeds = ({v: jnp.asarray(case.seeds[v], dtype=dtype) for v in config.outputs},
                 {s: jnp.zeros_like(initial[s]) if s in config.outputs
                  else jnp.asarray(case.seeds[s][-1], dtype=dtype) for s in config.states})
        mask = _mask(case)
        result = self._function(obj, config, gradients, name)(
            values, x, initial, seeds, None if mask is None else jnp.asarray(mask))
        (per_step, final), (g_values, g_x, g_initial) = result if gradients else (
            result, (None, None, None))

        def array(a):
            return np.asarray(a, dtype=np.float64)

        return Observed(
            per_step={v: array(per_step[v]) for v in config.outputs},
            final={s: array(final[s]) for s in config.states},
            params=grads_of(layout, {p: array(g_values[index[id(variable_at(obj, p))]])
                                     for p in layout}) if gradients else None,
            x=array(g_x) if gradients else None,
            initial={s: array(g_initial[s]) for s in config.states} if gradients else None)


def _mask(case):
    """``(T, B)`` booleans, True on a row's own steps, for a case whose rows have their own
    lengths; else None."""
    if case.lengths is None:
        return None
    from ...spec.lengths import step_mask

    return step_mask(case.lengths, case.steps) > 0


#: Keras backend -> how seqcheck runs and differentiates a layer on it.
RUNNERS = {"torch": TorchRunner, "jax": JaxRunner}
