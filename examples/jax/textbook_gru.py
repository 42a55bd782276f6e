"""A textbook GRU written as a pure JAX function, row-vector form, stacked kernels.

``step(params, x_t, h)`` with x_t of shape (D,) and h of shape (H,); ``PARAMS`` is the
parameter pytree (its shapes fix D = 2, H = 3). Held to the bundled spec ``gru`` by
``textbook_gru.toml``::

    PYTHONPATH=examples/jax seqcheck verify textbook_gru:step \
        --mapping examples/jax/textbook_gru.toml
"""

import jax
import jax.numpy as jnp
import numpy as np

PARAMS = {"W": np.zeros((2, 9)), "U": np.zeros((3, 9)), "b": np.zeros(9), "b_n": np.zeros(3)}


def step(p, x, h):
    """x @ W with W (D, 3H) in blocks r, z, n; the reset after the recurrent product."""
    H = h.shape[-1]
    xw = x @ p["W"] + p["b"]
    hu = h @ p["U"]
    r = jax.nn.sigmoid(xw[:H] + hu[:H])
    z = jax.nn.sigmoid(xw[H:2 * H] + hu[H:2 * H])
    n = jnp.tanh(xw[2 * H:] + r * (hu[2 * H:] + p["b_n"]))
    return (1.0 - z) * n + z * h


def swapped(p, x, h):
    """The same cell reading its r and z blocks the wrong way round."""
    H = h.shape[-1]
    xw = x @ p["W"] + p["b"]
    hu = h @ p["U"]
    z = jax.nn.sigmoid(xw[:H] + hu[:H])
    r = jax.nn.sigmoid(xw[H:2 * H] + hu[H:2 * H])
    n = jnp.tanh(xw[2 * H:] + r * (hu[2 * H:] + p["b_n"]))
    return (1.0 - z) * n + z * h
