"""Independent plain-NumPy oracles for the plain-RNN family of the catalogue.

Each function is written by hand from the lecture's printed equations -- not generated
from a spec and not importing seqcheck -- so that a spec (or the code generated from it)
and its oracle can only agree by both being right. The loops are deliberately naive:
one step ``t`` at a time, one batch row ``b`` at a time, and the lecture's column-vector
products ``W @ v`` on 1-D vectors.

Conventions shared by every oracle:
    params: ``{name: array}`` with the spec's parameter names; matrices as printed
        (``W_xh`` is ``(H, D)`` and multiplies ``x_t`` from the left).
    x: the input sequence, time-major ``(T, B, D)``.
    Returns: an :class:`Run` whose ``values`` map every variable to ``(T, B, n)`` and
        whose ``final`` maps every state to ``(B, n)``: its value after the last step of
        its chain (t = T for a forward chain, t = 1 for a backward one).
Every initial state (h_0, or h_{T+1} for a backward chain) is zero.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Run", "softmax", "rnn", "elman", "elman_nobias", "jordan", "leaky_rnn", "esn",
           "esn_feedback", "birnn", "deep_birnn", "deep_rnn"]


class Run(NamedTuple):
    values: dict[str, np.ndarray]
    final: dict[str, np.ndarray]


def softmax(v: np.ndarray) -> np.ndarray:
    """exp(v) / sum(exp(v)) of one vector ``(n,)``, shifted by its maximum.

    After the shift every exponent is <= 0, so nothing overflows; a probability below the
    smallest normal float correctly rounds to zero, hence underflow is allowed here.
    """
    with np.errstate(under="ignore"):
        e = np.exp(v - np.max(v))
    return e / np.sum(e)


def _float64(params: dict, x: np.ndarray) -> tuple[dict, np.ndarray]:
    """Copies in float64, so that a float32 run is compared with exact-input float64 math."""
    return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}, np.asarray(
        x, dtype=np.float64)


def _empty(T: int, B: int, **sizes: int) -> dict[str, np.ndarray]:
    return {name: np.zeros((T, B, n)) for name, n in sizes.items()}


def rnn(params: dict, x: np.ndarray) -> Run:
    """Aligned seq2seq RNN, seed 000 eq. 15-17 (the corrected eq. 13-14).

    a_t = b_h + W_hh h_{t-1} + W_xh x_t;  h_t = tanh(a_t);  o_t = b_o + W_ho h_t.

    Arguments:
        params: W_xh (H, D), W_hh (H, H), W_ho (C, H), b_h (H,), b_o (C,).
        x: (T, B, D).
    Returns:
        values a, h (T, B, H), o (T, B, C); final h (B, H).
    """
    params, x = _float64(params, x)
    W_xh, W_hh, W_ho = params["W_xh"], params["W_hh"], params["W_ho"]
    b_h, b_o = params["b_h"], params["b_o"]
    T, B, _ = x.shape
    H, C = W_hh.shape[0], W_ho.shape[0]
    out = _empty(T, B, a=H, h=H, o=C)
    for b in range(B):
        h = np.zeros(H)
        for t in range(T):
            a = b_h + W_hh @ h + W_xh @ x[t, b]
            h = np.tanh(a)
            o = b_o + W_ho @ h
            out["a"][t, b], out["h"][t, b], out["o"][t, b] = a, h, o
    return Run(out, {"h": out["h"][-1]})


def elman(params: dict, x: np.ndarray) -> Run:
    """Elman RNN with softmax outputs, seed 001 (Forward Propagation slide).

    a^(t) = b + W_1 h^(t-1) + W_2 x^(t);  h^(t) = tanh(a^(t));  o^(t) = c + V h^(t);
    y_hat^(t) = softmax(o^(t)).

    Arguments:
        params: W_1 (H, H), W_2 (H, D), V (C, H), b (H,), c (C,).
        x: (T, B, D).
    Returns:
        values a, h (T, B, H), o, y_hat (T, B, C); final h (B, H).
    """
    params, x = _float64(params, x)
    W_1, W_2, V, b_, c = params["W_1"], params["W_2"], params["V"], params["b"], params["c"]
    T, B, _ = x.shape
    H, C = W_1.shape[0], V.shape[0]
    out = _empty(T, B, a=H, h=H, o=C, y_hat=C)
    for b in range(B):
        h = np.zeros(H)
        for t in range(T):
            a = b_ + W_1 @ h + W_2 @ x[t, b]
            h = np.tanh(a)
            o = c + V @ h
            out["a"][t, b], out["h"][t, b], out["o"][t, b] = a, h, o
            out["y_hat"][t, b] = softmax(o)
    return Run(out, {"h": out["h"][-1]})


def elman_nobias(params: dict, x: np.ndarray) -> Run:
    """Bias-free Elman RNN, seed 002 ("Recurrent Neural Network (RNN): Only two equations").

    c_t = tanh(U x_t + W c_{t-1});  y_t = softmax(V c_t).

    Arguments:
        params: U (H, D), W (H, H), V (C, H).
        x: (T, B, D).
    Returns:
        values c (T, B, H), y (T, B, C); final c (B, H).
    """
    params, x = _float64(params, x)
    U, W, V = params["U"], params["W"], params["V"]
    T, B, _ = x.shape
    H, C = W.shape[0], V.shape[0]
    out = _empty(T, B, c=H, y=C)
    for b in range(B):
        c = np.zeros(H)
        for t in range(T):
            c = np.tanh(U @ x[t, b] + W @ c)
            out["c"][t, b], out["y"][t, b] = c, softmax(V @ c)
    return Run(out, {"c": out["c"][-1]})


def jordan(params: dict, x: np.ndarray) -> Run:
    """Output-to-hidden recurrence, seed 003 ("Recurrent connection from output to hidden
    units"), with f = tanh and the two biases named b and c.

    h(t) = tanh(W y(t-1) + U x(t) + b);  y(t) = V h(t) + c;  y(0) = 0.

    Arguments:
        params: W (H, C), U (H, D), V (C, H), b (H,), c (C,).
        x: (T, B, D).
    Returns:
        values h (T, B, H), y (T, B, C); final y (B, C).
    """
    params, x = _float64(params, x)
    W, U, V, b_, c = params["W"], params["U"], params["V"], params["b"], params["c"]
    T, B, _ = x.shape
    H, C = U.shape[0], V.shape[0]
    out = _empty(T, B, h=H, y=C)
    for b in range(B):
        y = np.zeros(C)
        for t in range(T):
            h = np.tanh(W @ y + U @ x[t, b] + b_)
            y = V @ h + c
            out["h"][t, b], out["y"][t, b] = h, y
    return Run(out, {"y": out["y"][-1]})


def leaky_rnn(params: dict, x: np.ndarray) -> Run:
    """Leaky-unit RNN: seed 000 eq. 29 applied to the RNN of eq. 15-17.

    a_t = b_h + W_hh h_{t-1} + W_xh x_t;  h~_t = tanh(a_t);
    h_t = alpha h_{t-1} + (1 - alpha) h~_t;  o_t = b_o + W_ho h_t.

    Arguments:
        params: those of :func:`rnn` and alpha (a scalar, shape ()).
        x: (T, B, D).
    Returns:
        values a, h_tilde, h (T, B, H), o (T, B, C); final h (B, H).
    """
    params, x = _float64(params, x)
    W_xh, W_hh, W_ho = params["W_xh"], params["W_hh"], params["W_ho"]
    b_h, b_o, alpha = params["b_h"], params["b_o"], float(params["alpha"])
    T, B, _ = x.shape
    H, C = W_hh.shape[0], W_ho.shape[0]
    out = _empty(T, B, a=H, h_tilde=H, h=H, o=C)
    for b in range(B):
        h = np.zeros(H)
        for t in range(T):
            a = b_h + W_hh @ h + W_xh @ x[t, b]
            h_tilde = np.tanh(a)
            h = alpha * h + (1 - alpha) * h_tilde
            out["a"][t, b], out["h_tilde"][t, b], out["h"][t, b] = a, h_tilde, h
            out["o"][t, b] = b_o + W_ho @ h
    return Run(out, {"h": out["h"][-1]})


def esn(params: dict, x: np.ndarray) -> Run:
    """Echo state network, seed 003 ("Reservoir computing - fundamentals").

    h~(n) = tanh(W_in [1; x(n)] + W h(n-1));  h(n) = (1 - alpha) h(n-1) + alpha h~(n);
    y(n) = W_out [1; h(n); x(n)].

    Arguments:
        params: W_in (N_x, 1 + N_u), W (N_x, N_x), W_out (N_y, 1 + N_x + N_u), alpha ().
        x: (T, B, N_u).
    Returns:
        values h_tilde, h (T, B, N_x), y (T, B, N_y); final h (B, N_x).
    """
    return _esn(params, x, feedback=False)


def esn_feedback(params: dict, x: np.ndarray) -> Run:
    """Echo state network with output feedback, seed 003 ("Reservoir computing -
    fundamentals", extra feedback projections from the output to the hidden layer).

    h~(n) = tanh(W_in [1; x(n)] + W h(n-1) + W_fb y(n-1)), y(0) = 0; h(n) and y(n) as in
    :func:`esn`.

    Arguments:
        params: those of :func:`esn` and W_fb (N_x, N_y).
        x: (T, B, N_u).
    Returns:
        values h_tilde, h (T, B, N_x), y (T, B, N_y); final h (B, N_x), y (B, N_y).
    """
    return _esn(params, x, feedback=True)


def _esn(params: dict, x: np.ndarray, feedback: bool) -> Run:
    params, x = _float64(params, x)
    W_in, W, W_out = params["W_in"], params["W"], params["W_out"]
    alpha = float(params["alpha"])
    T, B, _ = x.shape
    N_x, N_y = W.shape[0], W_out.shape[0]
    out = _empty(T, B, h_tilde=N_x, h=N_x, y=N_y)
    for b in range(B):
        h, y = np.zeros(N_x), np.zeros(N_y)
        for t in range(T):
            pre = W_in @ np.concatenate(([1.0], x[t, b])) + W @ h
            if feedback:
                pre = pre + params["W_fb"] @ y
            h_tilde = np.tanh(pre)
            h = (1 - alpha) * h + alpha * h_tilde
            y = W_out @ np.concatenate(([1.0], h, x[t, b]))
            out["h_tilde"][t, b], out["h"][t, b], out["y"][t, b] = h_tilde, h, y
    final = {"h": out["h"][-1]}
    if feedback:
        final["y"] = out["y"][-1]
    return Run(out, final)


def birnn(params: dict, x: np.ndarray) -> Run:
    """Bidirectional RNN, seed 003 ("bidirectional neural networks"; seed 000 eq. 23-24),
    with f = tanh and g = softmax.

    h->_t = tanh(W_fwd x_t + V_fwd h->_{t-1} + b_fwd), h->_0 = 0;
    h<-_t = tanh(W_bwd x_t + V_bwd h<-_{t+1} + b_bwd), h<-_{T+1} = 0;
    y_t = softmax(U [h->_t; h<-_t] + c).

    Arguments:
        params: W_fwd, W_bwd (H, D), V_fwd, V_bwd (H, H), b_fwd, b_bwd (H,), U (C, 2H), c (C,).
        x: (T, B, D).
    Returns:
        values h_fwd, h_bwd (T, B, H), y (T, B, C); final h_fwd (at t = T) and h_bwd
        (at t = 1), each (B, H).
    """
    params, x = _float64(params, x)
    p = params
    T, B, _ = x.shape
    H, C = p["V_fwd"].shape[0], p["U"].shape[0]
    out = _empty(T, B, h_fwd=H, h_bwd=H, y=C)
    for b in range(B):
        h = np.zeros(H)
        for t in range(T):  # t = 1..T
            h = np.tanh(p["W_fwd"] @ x[t, b] + p["V_fwd"] @ h + p["b_fwd"])
            out["h_fwd"][t, b] = h
        h = np.zeros(H)
        for t in reversed(range(T)):  # t = T..1
            h = np.tanh(p["W_bwd"] @ x[t, b] + p["V_bwd"] @ h + p["b_bwd"])
            out["h_bwd"][t, b] = h
        for t in range(T):
            both = np.concatenate((out["h_fwd"][t, b], out["h_bwd"][t, b]))
            out["y"][t, b] = softmax(p["U"] @ both + p["c"])
    return Run(out, {"h_fwd": out["h_fwd"][-1], "h_bwd": out["h_bwd"][0]})


def deep_birnn(params: dict, x: np.ndarray) -> Run:
    """Deep bidirectional RNN of seed 003 ("Shallow vs deep bidirectional neural networks"),
    two layers, one tower per direction, f = tanh and g = softmax.

    Layer i of a direction reads the same direction's layer i - 1 (layer 0 is x):
    h->(i)_t = tanh(W_fwd<i> h->(i-1)_t + V_fwd<i> h->(i)_{t-1} + b_fwd<i>), from 0;
    h<-(i)_t = tanh(W_bwd<i> h<-(i-1)_t + V_bwd<i> h<-(i)_{t+1} + b_bwd<i>), from 0 after T;
    y_t = softmax(U [h->(2)_t; h<-(2)_t] + c).

    Returns:
        values h_fwd1, h_bwd1 (T, B, H1), h_fwd2, h_bwd2 (T, B, H2), y (T, B, C); final
        forward chains at t = T, backward chains at t = 1.
    """
    params, x = _float64(params, x)
    p = params
    T, B, _ = x.shape
    H1, H2, C = p["V_fwd1"].shape[0], p["V_fwd2"].shape[0], p["U"].shape[0]
    out = _empty(T, B, h_fwd1=H1, h_bwd1=H1, h_fwd2=H2, h_bwd2=H2, y=C)
    for b in range(B):
        for layer, below in ((1, None), (2, 1)):
            for d, steps in (("fwd", range(T)), ("bwd", reversed(range(T)))):
                h = np.zeros(p[f"V_{d}{layer}"].shape[0])
                for t in steps:
                    inp = x[t, b] if below is None else out[f"h_{d}{below}"][t, b]
                    h = np.tanh(p[f"W_{d}{layer}"] @ inp + p[f"V_{d}{layer}"] @ h
                                + p[f"b_{d}{layer}"])
                    out[f"h_{d}{layer}"][t, b] = h
        for t in range(T):
            top = np.concatenate((out["h_fwd2"][t, b], out["h_bwd2"][t, b]))
            out["y"][t, b] = softmax(p["U"] @ top + p["c"])
    final = {f"h_fwd{k}": out[f"h_fwd{k}"][-1] for k in (1, 2)}
    final.update({f"h_bwd{k}": out[f"h_bwd{k}"][0] for k in (1, 2)})
    return Run(out, final)


def deep_rnn(params: dict, x: np.ndarray) -> Run:
    """Two stacked RNN layers, seed 000 eq. 20-21 (eq. 20's bias h^l read as b_h^l).

    h1_t = tanh(W_xh1 x_t + W_hh1 h1_{t-1} + b_h1);
    h2_t = tanh(W_xh2 h1_t + W_hh2 h2_{t-1} + b_h2);  o_t = W_ho h2_t + b_o.

    Arguments:
        params: W_xh1 (H1, D), W_hh1 (H1, H1), b_h1 (H1,), W_xh2 (H2, H1), W_hh2 (H2, H2),
            b_h2 (H2,), W_ho (C, H2), b_o (C,).
        x: (T, B, D).
    Returns:
        values h1 (T, B, H1), h2 (T, B, H2), o (T, B, C); final h1, h2.
    """
    params, x = _float64(params, x)
    p = params
    T, B, _ = x.shape
    H1, H2, C = p["W_hh1"].shape[0], p["W_hh2"].shape[0], p["W_ho"].shape[0]
    out = _empty(T, B, h1=H1, h2=H2, o=C)
    for b in range(B):
        h1, h2 = np.zeros(H1), np.zeros(H2)
        for t in range(T):
            h1 = np.tanh(p["W_xh1"] @ x[t, b] + p["W_hh1"] @ h1 + p["b_h1"])
            h2 = np.tanh(p["W_xh2"] @ h1 + p["W_hh2"] @ h2 + p["b_h2"])
            out["h1"][t, b], out["h2"][t, b] = h1, h2
            out["o"][t, b] = p["W_ho"] @ h2 + p["b_o"]
    return Run(out, {"h1": out["h1"][-1], "h2": out["h2"][-1]})
