"""Independent plain-NumPy oracles for the gated cells of the catalogue (LSTMs and GRUs).

Each function is written by hand from the printed equations -- not generated from a spec
and not importing seqcheck -- so that a spec (or the code generated from it) and its oracle
can only agree by both being right. The loops are deliberately naive: one step ``t`` at a
time, one batch row ``b`` at a time, on 1-D vectors, with each lecture's own orientation
(column form ``W @ x`` or row form ``x @ W``) and its own symbol names.

Conventions shared by every oracle:
    params: ``{name: array}`` with the spec's parameter names and shapes (see SHAPES).
    x: the input sequence, time-major ``(T, B, D)``.
    initial: optional ``{state: (B, H)}``; a state not given starts at zero.
    Returns: a :class:`Run` whose ``values`` map every variable to ``(T, B, H)`` and whose
        ``final`` maps every state to ``(B, H)``, its value after step T.
All arithmetic is float64 whatever the dtype of the arguments, so a float32 run is compared
with exact-input float64 math.

Saturated gates (sigma(-200) ~ 1e-87) multiplied over a few steps can leave the normal
range; rounding to a subnormal or to zero is then the correct IEEE result, so underflow
is allowed inside the oracles (the generated code allows it too). Overflow and invalid
operations still raise.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Run", "SHAPES", "ORACLES", "STATES", "STATE_DIMS", "param_shapes", "state_size",
           "sigmoid", "softmax", "lstm", "lstm_seed000", "lstm_seed001", "lstm_seed002",
           "lstm_coupled", "lstm_concat", "lstm_peephole", "lstm_proj", "gru", "gru_cho",
           "gru_lbr0"]


class Run(NamedTuple):
    values: dict[str, np.ndarray]
    final: dict[str, np.ndarray]


def sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)), element-wise, as (1 + tanh(a / 2)) / 2.

    tanh never overflows, so this is warning-free for any finite ``a``; it is also a
    different formula from the one the generated code uses. Far in the negative tail it
    rounds to 0 where the exact value is below ~1e-17, an absolute error far inside every
    tolerance used with it.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def softmax(v: np.ndarray) -> np.ndarray:
    """exp(v) / sum(exp(v)) of one vector ``(n,)``, shifted by its maximum (no overflow)."""
    e = np.exp(v - np.max(v))
    return e / np.sum(e)


#: Parameter shapes per spec, in terms of the input size "D" and hidden size "H".
SHAPES: dict[str, dict[str, tuple[str, ...]]] = {
    "lstm": {
        **{f"W_i{g}": ("H", "D") for g in "ifco"},
        **{f"W_h{g}": ("H", "H") for g in "ifco"},
        **{f"b_i{g}": ("H",) for g in "ifco"},
        **{f"b_h{g}": ("H",) for g in "ifco"},
    },
    "lstm_seed000": {
        **{f"W_x{g}": ("D", "H") for g in "fioc"},
        **{f"W_h{g}": ("H", "H") for g in "fioc"},
        **{f"b_{g}": ("H",) for g in "fioc"},
    },
    "lstm_seed001": {
        **{f"W_{g}1": ("H", "H") for g in "fio"},
        **{f"W_{g}2": ("H", "D") for g in "fio"},
        **{f"b_{g}": ("H",) for g in "fio"},
        "W": ("H", "D"),
        "b": ("H",),
    },
    "lstm_seed002": {
        **{f"U_{g}": ("D", "H") for g in "ifog"},
        **{f"W_{g}": ("H", "H") for g in "ifog"},
    },
    "lstm_coupled": {
        **{f"U_{g}": ("D", "H") for g in "fog"},
        **{f"W_{g}": ("H", "H") for g in "fog"},
    },
    "lstm_concat": {
        **{f"W_{g}": ("H", "H+D") for g in "fioc"},
        **{f"b_{g}": ("H",) for g in "fioc"},
    },
    "lstm_peephole": {
        **{f"W_i{g}": ("H", "D") for g in "ifco"},
        **{f"W_h{g}": ("H", "H") for g in "ifco"},
        **{f"b_i{g}": ("H",) for g in "ifco"},
        **{f"b_h{g}": ("H",) for g in "ifco"},
        **{f"P_{g}": ("H",) for g in "iof"},
    },
    "lstm_proj": {
        **{f"W_i{g}": ("H", "D") for g in "ifco"},
        **{f"W_h{g}": ("H", "P") for g in "ifco"},
        **{f"b_i{g}": ("H",) for g in "ifco"},
        **{f"b_h{g}": ("H",) for g in "ifco"},
        "W_hr": ("P", "H"),
    },
    "gru": {
        **{f"W_i{g}": ("H", "D") for g in "rzn"},
        **{f"W_h{g}": ("H", "H") for g in "rzn"},
        **{f"b_i{g}": ("H",) for g in "rzn"},
        **{f"b_h{g}": ("H",) for g in "rzn"},
    },
    "gru_cho": {
        "W_r": ("H", "D"), "U_r": ("H", "H"), "b_r": ("H",),
        "W_z": ("H", "D"), "U_z": ("H", "H"), "b_z": ("H",),
        "W": ("H", "D"), "U": ("H", "H"), "b": ("H",),
    },
    "gru_lbr0": {
        **{f"W_i{g}": ("H", "D") for g in "rzn"},
        **{f"W_h{g}": ("H", "H") for g in "rzn"},
        **{f"b_i{g}": ("H",) for g in "rzn"},
        **{f"b_h{g}": ("H",) for g in "rzn"},
    },
}

#: The recurrent states of each cell (those an ``initial`` may set).
STATES: dict[str, tuple[str, ...]] = {
    "lstm": ("h", "c"),
    "lstm_seed000": ("H", "C"),
    "lstm_seed001": ("C",),
    "lstm_seed002": ("m", "c"),
    "lstm_coupled": ("m", "c"),
    "lstm_concat": ("h", "C"),
    "lstm_peephole": ("h", "c"),
    "lstm_proj": ("h", "c"),
    "gru": ("h",),
    "gru_cho": ("h",),
    "gru_lbr0": ("h",),
}


#: States whose size is not the hidden size H (the projected h of lstm_proj has P entries).
STATE_DIMS: dict[str, dict[str, str]] = {"lstm_proj": {"h": "P"}}


def param_shapes(name: str, D: int, H: int, P: int = 1) -> dict[str, tuple[int, ...]]:
    """The parameter shapes of cell ``name`` at input size ``D``, hidden size ``H`` and
    projection size ``P`` (used by lstm_proj only)."""
    size = {"D": D, "H": H, "P": P, "H+D": H + D}
    return {p: tuple(size[s] for s in shape) for p, shape in SHAPES[name].items()}


def state_size(name: str, state: str, H: int, P: int = 1) -> int:
    """The size of ``state`` of cell ``name``: H, or P for lstm_proj's h."""
    return {"H": H, "P": P}[STATE_DIMS.get(name, {}).get(state, "H")]


def _prepare(params: dict, x: np.ndarray, initial: dict | None, states: tuple[str, ...],
             H: int, sizes: dict | None = None):
    """float64 copies of everything, and the initial states as ``{name: (B, n)}``, n = H
    unless ``sizes`` says otherwise."""
    params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    x = np.asarray(x, dtype=np.float64)
    B = x.shape[1]
    initial = dict(initial or {})
    unknown = set(initial) - set(states)
    if unknown:
        raise ValueError(f"unknown initial states {sorted(unknown)}; states are {states}")
    n = {s: (sizes or {}).get(s, H) for s in states}
    init = {s: np.asarray(initial[s], dtype=np.float64) if s in initial else np.zeros((B, n[s]))
            for s in states}
    return params, x, init


def _empty(T: int, B: int, H: int, names: str) -> dict[str, np.ndarray]:
    return {name: np.zeros((T, B, H)) for name in names.split()}


def _run(out: dict, states: tuple[str, ...]) -> Run:
    return Run(out, {s: out[s][-1] for s in states})


# -- LSTMs ---------------------------------------------------------------------------
def lstm(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """LSTM with two biases per gate, seed 004 "Recap of LSTM" (the PyTorch form).

    i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi), f_t and o_t likewise,
    c~_t = tanh(W_ic x_t + b_ic + W_hc h_{t-1} + b_hc), c_t = f_t * c_{t-1} + i_t * c~_t,
    h_t = o_t * tanh(c_t), y_t = softmax(h_t).

    Arguments:
        params: W_i{i,f,c,o} (H, D), W_h{i,f,c,o} (H, H), b_i{i,f,c,o}, b_h{i,f,c,o} (H,).
        x: (T, B, D).
        initial: optional h, c (B, H).
    Returns:
        values i, f, o, c_tilde, c, h, y (T, B, H); final h, c (B, H).
    """
    H = params["W_hi"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["lstm"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "i f o c_tilde c h y")
    with np.errstate(under="ignore"):
        for b in range(B):
            h, c = init["h"][b], init["c"][b]
            for t in range(T):
                xt = x[t, b]
                i = sigmoid(p["W_ii"] @ xt + p["b_ii"] + p["W_hi"] @ h + p["b_hi"])
                f = sigmoid(p["W_if"] @ xt + p["b_if"] + p["W_hf"] @ h + p["b_hf"])
                o = sigmoid(p["W_io"] @ xt + p["b_io"] + p["W_ho"] @ h + p["b_ho"])
                c_tilde = np.tanh(p["W_ic"] @ xt + p["b_ic"] + p["W_hc"] @ h + p["b_hc"])
                c = f * c + i * c_tilde
                h = o * np.tanh(c)
                y = softmax(h)
                for name, v in zip("i f o c_tilde c h y".split(), (i, f, o, c_tilde, c, h, y)):
                    out[name][t, b] = v
    return _run(out, STATES["lstm"])


def lstm_seed000(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """LSTM in row-vector form, seed 000 eq. (36)-(41) (index form: eq. (30)-(35)).

    F_t = sigma(X_t W_xf + H_{t-1} W_hf + b_f), I_t and O_t likewise,
    C~_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c), C_t = F_t * C_{t-1} + I_t * C~_t,
    H_t = O_t * tanh(C_t).

    Arguments:
        params: W_x{f,i,o,c} (D, H), W_h{f,i,o,c} (H, H), b_{f,i,o,c} (H,).
        x: the rows X_t, (T, B, D).
        initial: optional H, C (B, H).
    Returns:
        values F, I, O, C_tilde, C, H (T, B, H); final H, C (B, H).
    """
    Hn = params["W_hf"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["lstm_seed000"], Hn)
    T, B, _ = x.shape
    out = _empty(T, B, Hn, "F I O C_tilde C H")
    with np.errstate(under="ignore"):
        for b in range(B):
            Hs, Cs = init["H"][b], init["C"][b]
            for t in range(T):
                X = x[t, b]
                F = sigmoid(X @ p["W_xf"] + Hs @ p["W_hf"] + p["b_f"])  # eq. (36)
                I = sigmoid(X @ p["W_xi"] + Hs @ p["W_hi"] + p["b_i"])  # eq. (37)  # noqa: E741
                O = sigmoid(X @ p["W_xo"] + Hs @ p["W_ho"] + p["b_o"])  # eq. (38)
                C_tilde = np.tanh(X @ p["W_xc"] + Hs @ p["W_hc"] + p["b_c"])  # eq. (39)
                Cs = F * Cs + I * C_tilde  # eq. (40)
                Hs = O * np.tanh(Cs)  # eq. (41)
                for name, v in zip("F I O C_tilde C H".split(), (F, I, O, C_tilde, Cs, Hs)):
                    out[name][t, b] = v
    return _run(out, STATES["lstm_seed000"])


def lstm_seed001(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """LSTM whose gates read C^(t-1), seed 001 "Forget and Input Gates", "Output Gate".

    f = sigma(b_f + W_f1 C^(t-1) + W_f2 x^(t)), i likewise, s = tanh(b + W x^(t)),
    C^(t) = f C^(t-1) + i s, o = sigma(b_o + W_o1 C^(t-1) + W_o2 x^(t)), h^(t) = o tanh(C^(t)).
    The hidden state h feeds nothing back.

    Arguments:
        params: W_{f,i,o}1 (H, H), W_{f,i,o}2 (H, D), W (H, D), b_{f,i,o}, b (H,).
        x: (T, B, D).
        initial: optional C (B, H).
    Returns:
        values f, i, s, C, o, h (T, B, H); final C (B, H).
    """
    H = params["W_f1"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["lstm_seed001"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "f i s C o h")
    with np.errstate(under="ignore"):
        for b in range(B):
            C_prev = init["C"][b]
            for t in range(T):
                xt = x[t, b]
                f = sigmoid(p["b_f"] + p["W_f1"] @ C_prev + p["W_f2"] @ xt)
                i = sigmoid(p["b_i"] + p["W_i1"] @ C_prev + p["W_i2"] @ xt)
                s = np.tanh(p["b"] + p["W"] @ xt)
                C = f * C_prev + i * s
                o = sigmoid(p["b_o"] + p["W_o1"] @ C_prev + p["W_o2"] @ xt)
                h = o * np.tanh(C)
                for name, v in zip("f i s C o h".split(), (f, i, s, C, o, h)):
                    out[name][t, b] = v
                C_prev = C
    return _run(out, STATES["lstm_seed001"])


def lstm_seed002(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """LSTM without biases in row form, seed 002 "LSTM: Beefed up RNN".

    i = sigma(x_t U^(i) + m_{t-1} W^(i)), f and o likewise,
    c~_t = tanh(x_t U^g + m_{t-1} W^(g)), c_t = c_{t-1} * f + c~_t * i, m_t = tanh(c_t) * o.

    Arguments:
        params: U_{i,f,o,g} (D, H), W_{i,f,o,g} (H, H).
        x: the rows x_t, (T, B, D).
        initial: optional m, c (B, H).
    Returns:
        values i, f, o, c_tilde, c, m (T, B, H); final m, c (B, H).
    """
    H = params["W_i"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["lstm_seed002"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "i f o c_tilde c m")
    with np.errstate(under="ignore"):
        for b in range(B):
            m, c = init["m"][b], init["c"][b]
            for t in range(T):
                xt = x[t, b]
                i = sigmoid(xt @ p["U_i"] + m @ p["W_i"])
                f = sigmoid(xt @ p["U_f"] + m @ p["W_f"])
                o = sigmoid(xt @ p["U_o"] + m @ p["W_o"])
                c_tilde = np.tanh(xt @ p["U_g"] + m @ p["W_g"])
                c = c * f + c_tilde * i
                m = np.tanh(c) * o
                for name, v in zip("i f o c_tilde c m".split(), (i, f, o, c_tilde, c, m)):
                    out[name][t, b] = v
    return _run(out, STATES["lstm_seed002"])


def lstm_coupled(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """Seed 002's LSTM with coupled forget and input gates, "Beyond RNN & LSTM".

    f, o, c~_t as in :func:`lstm_seed002`; c_t = f_t * c_{t-1} + (1 - f_t) * c~_t;
    m_t = tanh(c_t) * o. There is no input gate.

    Arguments:
        params: U_{f,o,g} (D, H), W_{f,o,g} (H, H).
        x: the rows x_t, (T, B, D).
        initial: optional m, c (B, H).
    Returns:
        values f, o, c_tilde, c, m (T, B, H); final m, c (B, H).
    """
    H = params["W_f"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["lstm_coupled"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "f o c_tilde c m")
    with np.errstate(under="ignore"):
        for b in range(B):
            m, c = init["m"][b], init["c"][b]
            for t in range(T):
                xt = x[t, b]
                f = sigmoid(xt @ p["U_f"] + m @ p["W_f"])
                o = sigmoid(xt @ p["U_o"] + m @ p["W_o"])
                c_tilde = np.tanh(xt @ p["U_g"] + m @ p["W_g"])
                c = f * c + (1.0 - f) * c_tilde
                m = np.tanh(c) * o
                for name, v in zip("f o c_tilde c m".split(), (f, o, c_tilde, c, m)):
                    out[name][t, b] = v
    return _run(out, STATES["lstm_coupled"])


def lstm_concat(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """LSTM with stacked weights on [h(t-1), x(t)], seed 003 "LSTM memory cell summary".

    f(t) = sigma(W_f [h(t-1), x(t)] + b_f), i and o likewise,
    C~(t) = tanh(W_c [h(t-1), x(t)] + b_c), C(t) = f(t) * C(t-1) + i(t) * C~(t),
    h(t) = o(t) * tanh(C(t)). Seed 001's schematic slides print the same cell.

    Arguments:
        params: W_{f,i,o,c} (H, H + D), the first H columns acting on h(t-1);
            b_{f,i,o,c} (H,).
        x: (T, B, D).
        initial: optional h, C (B, H).
    Returns:
        values f, i, o, C_tilde, C, h (T, B, H); final h, C (B, H).
    """
    H = params["W_f"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["lstm_concat"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "f i o C_tilde C h")
    with np.errstate(under="ignore"):
        for b in range(B):
            h, C = init["h"][b], init["C"][b]
            for t in range(T):
                hx = np.concatenate([h, x[t, b]])
                f = sigmoid(p["W_f"] @ hx + p["b_f"])
                i = sigmoid(p["W_i"] @ hx + p["b_i"])
                o = sigmoid(p["W_o"] @ hx + p["b_o"])
                C_tilde = np.tanh(p["W_c"] @ hx + p["b_c"])
                C = f * C + i * C_tilde
                h = o * np.tanh(C)
                for name, v in zip("f i o C_tilde C h".split(), (f, i, o, C_tilde, C, h)):
                    out[name][t, b] = v
    return _run(out, STATES["lstm_concat"])


def lstm_peephole(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """LSTM with diagonal peepholes, as the ONNX LSTM operator documents it.

    In ONNX's notation, with ONNX's W_i = W_ii, R_i = W_hi, Wb_i = b_ii, Rb_i = b_hi:
    i_t = sigma(X_t W_i^T + H_{t-1} R_i^T + P_i * C_{t-1} + Wb_i + Rb_i), f_t likewise
    with P_f * C_{t-1}, c_t = tanh(X_t W_c^T + H_{t-1} R_c^T + Wb_c + Rb_c),
    C_t = f_t * C_{t-1} + i_t * c_t, o_t = sigma(... + P_o * C_t + ...) (the NEW cell state),
    H_t = o_t * tanh(C_t). Written here in ONNX's row form, x @ W.T.

    Arguments:
        params: W_i{i,f,c,o} (H, D), W_h{i,f,c,o} (H, H), b_i{i,f,c,o}, b_h{i,f,c,o},
            P_{i,o,f} (H,).
        x: (T, B, D).
        initial: optional h, c (B, H).
    Returns:
        values i, f, c_tilde, c, o, h (T, B, H); final h, c (B, H).
    """
    H = params["W_hi"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["lstm_peephole"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "i f c_tilde c o h")

    def pre(g, xt, Ht):  # X_t W_g^T + H_{t-1} R_g^T + Wb_g + Rb_g
        return xt @ p[f"W_i{g}"].T + Ht @ p[f"W_h{g}"].T + p[f"b_i{g}"] + p[f"b_h{g}"]

    with np.errstate(under="ignore"):
        for b in range(B):
            Ht, Ct = init["h"][b], init["c"][b]
            for t in range(T):
                xt = x[t, b]
                i = sigmoid(pre("i", xt, Ht) + p["P_i"] * Ct)
                f = sigmoid(pre("f", xt, Ht) + p["P_f"] * Ct)
                c_tilde = np.tanh(pre("c", xt, Ht))
                Ct = f * Ct + i * c_tilde
                o = sigmoid(pre("o", xt, Ht) + p["P_o"] * Ct)
                Ht = o * np.tanh(Ct)
                for name, v in zip("i f c_tilde c o h".split(), (i, f, c_tilde, Ct, o, Ht)):
                    out[name][t, b] = v
    return _run(out, STATES["lstm_peephole"])


def lstm_proj(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """LSTM with a recurrent projection, as torch.nn.LSTM(proj_size=P) documents it.

    The gates and the cell of :func:`lstm`, reading the projected h_{t-1} (P entries);
    h_t = W_hr (o_t * tanh(c_t)), with W_hr of shape (P, H): torch's documentation
    ("h_t = W_hr h_t") after Sak, Senior and Beaufays 2014 (arXiv:1402.1128), where the
    projected cell output r_t = W_rm m_t is what the gates read at the next step.

    Arguments:
        params: W_i{i,f,c,o} (H, D), W_h{i,f,c,o} (H, P), b_i{i,f,c,o}, b_h{i,f,c,o} (H,),
            W_hr (P, H).
        x: (T, B, D).
        initial: optional h (B, P), c (B, H).
    Returns:
        values i, f, o, c_tilde, c (T, B, H) and h (T, B, P); final h (B, P), c (B, H).
    """
    H, P = params["W_hi"].shape
    p, x, init = _prepare(params, x, initial, STATES["lstm_proj"], H, sizes={"h": P})
    T, B, _ = x.shape
    out = {**_empty(T, B, H, "i f o c_tilde c"), "h": np.zeros((T, B, P))}
    with np.errstate(under="ignore"):
        for b in range(B):
            h, c = init["h"][b], init["c"][b]
            for t in range(T):
                xt = x[t, b]
                i = sigmoid(p["W_ii"] @ xt + p["b_ii"] + p["W_hi"] @ h + p["b_hi"])
                f = sigmoid(p["W_if"] @ xt + p["b_if"] + p["W_hf"] @ h + p["b_hf"])
                o = sigmoid(p["W_io"] @ xt + p["b_io"] + p["W_ho"] @ h + p["b_ho"])
                c_tilde = np.tanh(p["W_ic"] @ xt + p["b_ic"] + p["W_hc"] @ h + p["b_hc"])
                c = f * c + i * c_tilde
                h = p["W_hr"] @ (o * np.tanh(c))  # the projection: P entries
                for name, v in zip("i f o c_tilde c h".split(), (i, f, o, c_tilde, c, h)):
                    out[name][t, b] = v
    return _run(out, STATES["lstm_proj"])


# -- GRUs ----------------------------------------------------------------------------
def gru(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """GRU as documented for torch.nn.GRU (reset after the recurrent product).

    r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), z_t likewise,
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn)),
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}.

    Arguments:
        params: W_i{r,z,n} (H, D), W_h{r,z,n} (H, H), b_i{r,z,n}, b_h{r,z,n} (H,).
        x: (T, B, D).
        initial: optional h (B, H).
    Returns:
        values r, z, n, h (T, B, H); final h (B, H).
    """
    H = params["W_hr"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["gru"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "r z n h")
    with np.errstate(under="ignore"):
        for b in range(B):
            h = init["h"][b]
            for t in range(T):
                xt = x[t, b]
                r = sigmoid(p["W_ir"] @ xt + p["b_ir"] + p["W_hr"] @ h + p["b_hr"])
                z = sigmoid(p["W_iz"] @ xt + p["b_iz"] + p["W_hz"] @ h + p["b_hz"])
                n = np.tanh(p["W_in"] @ xt + p["b_in"] + r * (p["W_hn"] @ h + p["b_hn"]))
                h = (1.0 - z) * n + z * h
                for name, v in zip("r z n h".split(), (r, z, n, h)):
                    out[name][t, b] = v
    return _run(out, STATES["gru"])


def gru_cho(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """GRU of Cho et al. 2014, section 2.3 (reset before the recurrent product), with biases.

    r = sigma(W_r x_t + U_r h_{t-1} + b_r), z = sigma(W_z x_t + U_z h_{t-1} + b_z),
    h~_t = tanh(W x_t + U (r * h_{t-1}) + b), h_t = z * h_{t-1} + (1 - z) * h~_t.

    Arguments:
        params: W_r, W_z, W (H, D); U_r, U_z, U (H, H); b_r, b_z, b (H,).
        x: (T, B, D).
        initial: optional h (B, H).
    Returns:
        values r, z, h_tilde, h (T, B, H); final h (B, H).
    """
    H = params["U"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["gru_cho"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "r z h_tilde h")
    with np.errstate(under="ignore"):
        for b in range(B):
            h = init["h"][b]
            for t in range(T):
                xt = x[t, b]
                r = sigmoid(p["W_r"] @ xt + p["U_r"] @ h + p["b_r"])
                z = sigmoid(p["W_z"] @ xt + p["U_z"] @ h + p["b_z"])
                h_tilde = np.tanh(p["W"] @ xt + p["U"] @ (r * h) + p["b"])
                h = z * h + (1.0 - z) * h_tilde
                for name, v in zip("r z h_tilde h".split(), (r, z, h_tilde, h)):
                    out[name][t, b] = v
    return _run(out, STATES["gru_cho"])


def gru_lbr0(params: dict, x: np.ndarray, initial: dict | None = None) -> Run:
    """GRU as the ONNX GRU operator documents it with linear_before_reset = 0.

    In ONNX's notation, with ONNX's W_z = W_iz, R_z = W_hz, Wb_z = b_iz, Rb_z = b_hz:
    z_t = sigma(X_t W_z^T + H_{t-1} R_z^T + Wb_z + Rb_z), r_t likewise,
    h_t = tanh(X_t W_h^T + (r_t * H_{t-1}) R_h^T + Rb_h + Wb_h) (reset before the product),
    H_t = (1 - z_t) * h_t + z_t * H_{t-1}. Written here in ONNX's row form, x @ W.T.

    Arguments:
        params: W_i{r,z,n} (H, D), W_h{r,z,n} (H, H), b_i{r,z,n}, b_h{r,z,n} (H,).
        x: (T, B, D).
        initial: optional h (B, H).
    Returns:
        values r, z, n, h (T, B, H); final h (B, H).
    """
    H = params["W_hr"].shape[0]
    p, x, init = _prepare(params, x, initial, STATES["gru_lbr0"], H)
    T, B, _ = x.shape
    out = _empty(T, B, H, "r z n h")
    with np.errstate(under="ignore"):
        for b in range(B):
            Ht = init["h"][b]
            for t in range(T):
                xt = x[t, b]
                z = sigmoid(xt @ p["W_iz"].T + Ht @ p["W_hz"].T + p["b_iz"] + p["b_hz"])
                r = sigmoid(xt @ p["W_ir"].T + Ht @ p["W_hr"].T + p["b_ir"] + p["b_hr"])
                n = np.tanh(xt @ p["W_in"].T + (r * Ht) @ p["W_hn"].T + p["b_hn"] + p["b_in"])
                Ht = (1.0 - z) * n + z * Ht
                for name, v in zip("r z n h".split(), (r, z, n, Ht)):
                    out[name][t, b] = v
    return _run(out, STATES["gru_lbr0"])


#: Catalogue name -> oracle (an explicit table; nothing registers itself on import).
ORACLES = {
    "lstm": lstm,
    "lstm_seed000": lstm_seed000,
    "lstm_seed001": lstm_seed001,
    "lstm_seed002": lstm_seed002,
    "lstm_coupled": lstm_coupled,
    "lstm_concat": lstm_concat,
    "lstm_peephole": lstm_peephole,
    "lstm_proj": lstm_proj,
    "gru": gru,
    "gru_cho": gru_cho,
    "gru_lbr0": gru_lbr0,
}
