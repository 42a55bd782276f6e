"""JAX cells as verification targets: equinox, flax.linen, flax.nnx and pure functions.

:func:`object_target` (:mod:`.libraries`) holds a class of :data:`CELLS` (:mod:`.cells`),
a subclass, or an instance; :meth:`JaxTarget.from_function` (:mod:`.target`) holds any
pure step function with its parameter pytree. Both run through a ``{pytree path: Block}``
layout (:mod:`seqcheck.adapters.blocks`)::

    ================================  ===============  ======  =====================
    target                            spec             carry   per-step outputs
    ================================  ===============  ======  =====================
    ``equinox.nn.LSTMCell``           ``lstm``         (h, c)  h, c (the carry)
    ``equinox.nn.GRUCell``            ``gru``          h       h
    ``use_bias=False`` (equinox)      ``<spec>_nobias``
    ``flax.linen.LSTMCell``           ``lstm``         (c, h)  h (its output), c
    ``flax.linen.OptimizedLSTMCell``  ``lstm``         (c, h)  h (its output), c
    ``flax.linen.GRUCell``            ``gru``          h       h (its output)
    ``flax.linen.SimpleCell``         ``rnn_torch``    h       h (its output)
    ``flax.nnx.LSTMCell``             ``lstm``         (c, h)  h (its output), c
    ``flax.nnx.OptimizedLSTMCell``    ``lstm``         (c, h)  h (its output), c
    ``flax.nnx.GRUCell``              ``gru_no_b_hn``  h       h (its output)
    ``flax.nnx.SimpleCell``           ``rnn_torch``    h       h (its output)
    ================================  ===============  ======  =====================

A flax cell returns ``(carry, output)``: its per-step h is the output (what
``flax.linen.RNN`` stacks), its final states and recurrence the carry. docs/engines.md
records what each class computes and which lines of the library say so.

>>> # equinox's LSTM cell, built at the sizes each case draws
>>> import equinox as eqx
>>> target = object_target(eqx.nn.LSTMCell)
>>> target.default_spec().name, target.states, target.fixed_sizes(target.default_spec())
('lstm', ('h', 'c'), None)

jax, equinox and flax are imported only inside functions: ``import seqcheck`` and this
package load none of them (``pip install 'seqcheck[jax]'``).
"""

from .cells import CELLS, Cell, spec_of
from .libraries import object_target
from .target import JaxTarget, enable_x64

__all__ = ["CELLS", "Cell", "JaxTarget", "enable_x64", "object_target", "spec_of"]
