"""Independent plain-NumPy transcriptions of the recurrent cells of equinox and flax.

Written line by line from the libraries' own source, in their own arrays, names and
orientation, never from a spec and never importing seqcheck, jax, equinox or flax:

- ``eqx_lstm``: equinox 0.13.8, ``equinox/nn/_rnn.py``, ``LSTMCell.__call__``: one input
  vector ``(D,)``; ``lin = weight_ih @ x + weight_hh @ h (+ bias)`` split into the row
  blocks i, f, g, o; carry and result ``(h, c)``;
- ``eqx_gru``: the same file, ``GRUCell.__call__``: ``igates = split(weight_ih @ x + bias)``,
  ``hgates = split(weight_hh @ h)`` in the blocks r, z, n (equinox calls z ``inp``);
  ``n = tanh(i_n + r * (h_n + bias_n))``; result ``n + z * (h - n)``;
- ``linen_lstm``: flax 0.12.8, ``flax/linen/recurrent.py``, ``LSTMCell.__call__``: one
  Dense per gate and side, ``i = sigmoid(x @ ii.kernel + h @ hi.kernel + hi.bias)`` (the
  input Denses have no bias), gate names i, f, g, o; carry ``(c, h)``, returns
  ``((c, h), h)``. ``OptimizedLSTMCell.__call__`` concatenates the same parameters and
  splits the product: the same function (``linen_optimized_lstm`` says so by its own loop);
- ``linen_gru``: ``GRUCell.__call__``: ``ir``, ``iz``, ``in`` with bias, ``hr``, ``hz``
  without, ``hn`` with; ``n = tanh(x @ in.kernel + in.bias + r * (h @ hn.kernel +
  hn.bias))``, ``h' = (1 - z) * n + z * h``; returns ``(h', h')``;
- ``linen_simple``: ``SimpleCell.__call__``: ``tanh(x @ i.kernel + i.bias + h @ h.kernel)``
  (``+ h`` inside the tanh with ``residual``); returns ``(h', h')``;
- ``nnx_lstm``: flax 0.12.8, ``flax/nnx/nn/recurrent.py``, ``LSTMCell.__call__``: linen's
  LSTM with the attribute ``if_`` for the forget gate's input Linear;
- ``nnx_optimized_lstm``: ``OptimizedLSTMCell.__call__``: ``dense_i(x) + dense_h(h)``
  (``dense_i`` without bias), one ``(·, 4H)`` kernel each, split into i, f, g, o;
- ``nnx_gru``: ``GRUCell.__call__``: ``dense_i`` ``(D, 3H)`` with bias, ``dense_h``
  ``(H, 3H)`` WITHOUT bias, blocks r, z, n; ``n = tanh(xi_n + r * hh_n)``: there is no
  recurrent bias inside the reset product (its docstring writes one; its code has none);
- ``nnx_simple``: ``SimpleCell.__call__``: ``tanh(dense_i(x) + dense_h(h))``.

Kernels of flax are ``(in, out)`` and multiply row vectors (``x @ kernel``); equinox's
weights are ``(out, in)`` and multiply column vectors. Every function takes one batch as
matrices ``(B, ·)`` (equinox's cells run one row at a time here, as ``jax.vmap`` runs
them), ``params`` as the library's nested dict of arrays, and returns float64.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "eqx_lstm", "eqx_gru", "linen_lstm", "linen_optimized_lstm",
           "linen_gru", "linen_simple", "nnx_lstm", "nnx_optimized_lstm", "nnx_gru",
           "nnx_simple", "unroll"]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) as (1 + tanh(a / 2)) / 2: no overflow for any finite a."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _f64(tree):
    if isinstance(tree, dict):
        return {k: _f64(v) for k, v in tree.items()}
    if isinstance(tree, tuple):
        return tuple(_f64(v) for v in tree)
    return None if tree is None else np.asarray(tree, dtype=np.float64)


# -- equinox: column vectors, one row of the batch at a time -----------------------------
def eqx_lstm(params, x, carry):
    """equinox LSTMCell. params weight_ih (4H, D), weight_hh (4H, H), bias (4H,) or None;
    x (B, D); carry (h, c) each (B, H). Returns the new carry (h, c)."""
    p, x, (h_all, c_all) = _f64(params), _f64(x), _f64(carry)
    hs, cs = [], []
    for b in range(x.shape[0]):
        lin = p["weight_ih"] @ x[b] + p["weight_hh"] @ h_all[b]
        if p.get("bias") is not None:
            lin = lin + p["bias"]
        i, f, g, o = np.split(lin, 4)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c = f * c_all[b] + i * g
        hs.append(o * np.tanh(c))
        cs.append(c)
    return np.stack(hs), np.stack(cs)


def eqx_gru(params, x, hidden):
    """equinox GRUCell. params weight_ih (3H, D), weight_hh (3H, H), bias (3H,) and
    bias_n (H,), or both None; x (B, D); hidden (B, H). Returns the new hidden (B, H)."""
    p, x, h_all = _f64(params), _f64(x), _f64(hidden)
    out = []
    for b in range(x.shape[0]):
        bias = p["bias"] if p.get("bias") is not None else 0.0
        bias_n = p["bias_n"] if p.get("bias_n") is not None else 0.0
        hidden_b = h_all[b]
        igates = np.split(p["weight_ih"] @ x[b] + bias, 3)
        hgates = np.split(p["weight_hh"] @ hidden_b, 3)
        reset = sigmoid(igates[0] + hgates[0])
        inp = sigmoid(igates[1] + hgates[1])
        new = np.tanh(igates[2] + reset * (hgates[2] + bias_n))
        out.append(new + inp * (hidden_b - new))
    return np.stack(out)


# -- flax.linen: row vectors, kernels (in, out) ------------------------------------------
def _dense(p, name, v):
    y = v @ p[name]["kernel"]
    return y + p[name]["bias"] if "bias" in p[name] else y


def linen_lstm(params, x, carry, forget="if"):
    """flax.linen LSTMCell. params {ii, if, ig, io: {kernel (D, H)}, hi, hf, hg, ho:
    {kernel (H, H), bias (H,)}}; x (B, D); carry (c, h). Returns ((c, h), h)."""
    p, x, (c, h) = _f64(params), _f64(x), _f64(carry)
    i = sigmoid(_dense(p, "ii", x) + _dense(p, "hi", h))
    f = sigmoid(_dense(p, forget, x) + _dense(p, "hf", h))
    g = np.tanh(_dense(p, "ig", x) + _dense(p, "hg", h))
    o = sigmoid(_dense(p, "io", x) + _dense(p, "ho", h))
    new_c = f * c + i * g
    new_h = o * np.tanh(new_c)
    return (new_c, new_h), new_h


def linen_optimized_lstm(params, x, carry):
    """flax.linen OptimizedLSTMCell: the kernels of ``i{g}`` and ``h{g}`` concatenated in
    the order i, f, g, o, one product each, split back. Same params as linen_lstm."""
    p, x, (c, h) = _f64(params), _f64(x), _f64(carry)
    order = "ifgo"
    k_i = np.concatenate([p[f"i{g}"]["kernel"] for g in order], axis=-1)
    k_h = np.concatenate([p[f"h{g}"]["kernel"] for g in order], axis=-1)
    b_h = np.concatenate([p[f"h{g}"]["bias"] for g in order], axis=-1)
    y_h = np.split(h @ k_h + b_h, 4, axis=-1)
    y_i = np.split(x @ k_i, 4, axis=-1)
    i, f = sigmoid(y_h[0] + y_i[0]), sigmoid(y_h[1] + y_i[1])
    g, o = np.tanh(y_h[2] + y_i[2]), sigmoid(y_h[3] + y_i[3])
    new_c = f * c + i * g
    new_h = o * np.tanh(new_c)
    return (new_c, new_h), new_h


def linen_gru(params, x, h):
    """flax.linen GRUCell. params {ir, iz, in: {kernel (D, H), bias}, hr, hz: {kernel
    (H, H)}, hn: {kernel, bias}}; x (B, D); h (B, H). Returns (h', h')."""
    p, x, h = _f64(params), _f64(x), _f64(h)
    r = sigmoid(_dense(p, "ir", x) + _dense(p, "hr", h))
    z = sigmoid(_dense(p, "iz", x) + _dense(p, "hz", h))
    n = np.tanh(_dense(p, "in", x) + r * _dense(p, "hn", h))
    new_h = (1.0 - z) * n + z * h
    return new_h, new_h


def linen_simple(params, x, h, residual=False):
    """flax.linen SimpleCell. params {i: {kernel (D, H), bias}, h: {kernel (H, H)}}."""
    p, x, h = _f64(params), _f64(x), _f64(h)
    new = _dense(p, "i", x) + _dense(p, "h", h)
    if residual:
        new = new + h
    new = np.tanh(new)
    return new, new


# -- flax.nnx ------------------------------------------------------------------------------
def nnx_lstm(params, x, carry):
    """flax.nnx LSTMCell: linen_lstm with the forget gate's input Linear named ``if_``."""
    return linen_lstm(params, x, carry, forget="if_")


def nnx_optimized_lstm(params, x, carry):
    """flax.nnx OptimizedLSTMCell. params {dense_i: {kernel (D, 4H)}, dense_h: {kernel
    (H, 4H), bias (4H,)}}; carry (c, h). Returns ((c, h), h)."""
    p, x, (c, h) = _f64(params), _f64(x), _f64(carry)
    y = _dense(p, "dense_i", x) + _dense(p, "dense_h", h)
    i, f, g, o = np.split(y, 4, axis=-1)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    new_c = f * c + i * g
    new_h = o * np.tanh(new_c)
    return (new_c, new_h), new_h


def nnx_gru(params, x, h):
    """flax.nnx GRUCell. params {dense_i: {kernel (D, 3H), bias (3H,)}, dense_h: {kernel
    (H, 3H)}}; x (B, D); h (B, H). Returns (h', h')."""
    p, x, h = _f64(params), _f64(x), _f64(h)
    xi_r, xi_z, xi_n = np.split(_dense(p, "dense_i", x), 3, axis=-1)
    hh_r, hh_z, hh_n = np.split(_dense(p, "dense_h", h), 3, axis=-1)
    r = sigmoid(xi_r + hh_r)
    z = sigmoid(xi_z + hh_z)
    n = np.tanh(xi_n + r * hh_n)
    new_h = (1.0 - z) * n + z * h
    return new_h, new_h


def nnx_simple(params, x, h):
    """flax.nnx SimpleCell. params {dense_i: {kernel (D, H), bias}, dense_h: {kernel}}."""
    p, x, h = _f64(params), _f64(x), _f64(h)
    new = np.tanh(_dense(p, "dense_i", x) + _dense(p, "dense_h", h))
    return new, new


def unroll(cell, params, x, carry, returns_output: bool = True):
    """Run ``cell`` over ``x`` (T, B, D) from ``carry``: every step's carry (and, for flax
    cells, which return ``(carry, output)``, every output). Returns (carries, outputs)."""
    carries, outputs = [], []
    for t in range(np.asarray(x).shape[0]):
        result = cell(params, np.asarray(x)[t], carry)
        carry, out = result if returns_output else (result, None)
        carries.append(carry)
        outputs.append(out)
    return carries, outputs
