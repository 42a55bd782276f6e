"""What the generated LSTM code could reach: a hand-written prototype of the suggested output.

    python benchmarks/fused_lstm.py [--size B D H T] [--repeats N]

Not part of seqcheck: a measurement behind the suggestions in benchmarks/README.md
("where the time goes"). It computes exactly what the compiled ``lstm`` spec computes
with ``seeded=["h"]`` (every variable i, f, o, c_tilde, c, h, y over time; gradients of
every parameter, of x and of the initial states), written the way a code generator could
emit it:

1. the four gates' weights stacked once per call (W_i: (4H, D), W_h: (4H, H));
2. the input projection hoisted out of the time loop: one (T·B, D) @ (D, 4H) product;
3. per step one (B, H) @ (H, 4H) product, the three sigmoids on one (B, 3H) slice, and
   results written in place into preallocated (T, B, ...) arrays (no final stack);
4. in the backward loop only what the recurrence needs (element-wise work and one
   (B, 4H) @ (4H, H) product); the parameter and input gradients after the loop as
   three large products over the stored (T, B, 4H) gate adjoints;
5. NumPy: sigmoid as 0.5·tanh(z/2) + 0.5 (stable, one transcendental, no ``where``).

It checks its values and gradients against the compiled spec, then times itself, the
compiled spec and torch.nn.LSTM (forward + autograd backward) alternately, one thread.
Two more rows, ``gemms_only_t`` and ``gemms_only_np``, make the prototype's matrix products
alone (:func:`torch_gemms`, :func:`numpy_gemms`): the floor of code that multiplies step
by step with torch's GEMM (MKL) or NumPy's (OpenBLAS).
"""

from __future__ import annotations

import argparse

import numpy as np

GATES = ("i", "f", "o", "c")  # the three sigmoid gates first, then the new memory


def _stacked(params, xp_cat):
    Wi = xp_cat([params[f"W_i{g}"] for g in GATES])
    Wh = xp_cat([params[f"W_h{g}"] for g in GATES])
    b = xp_cat([params[f"b_i{g}"] for g in GATES]) + xp_cat([params[f"b_h{g}"] for g in GATES])
    return Wi, Wh, b


def numpy_forward(params, x):
    T, B, D = x.shape
    Wi, Wh, b = _stacked(params, np.concatenate)
    H = Wh.shape[1]
    Z = (x.reshape(T * B, D) @ Wi.T + b).reshape(T, B, 4 * H)  # hoisted input projection
    C = np.empty((T, B, H), x.dtype)
    Hs = np.empty((T, B, H), x.dtype)
    TC = np.empty((T, B, H), x.dtype)  # tanh(c), kept for the backward pass
    Y = np.empty((T, B, H), x.dtype)
    h = np.zeros((B, H), x.dtype)
    c = np.zeros((B, H), x.dtype)
    for t in range(T):
        z = Z[t]
        z += h @ Wh.T
        s = z[:, :3 * H]
        np.multiply(s, 0.5, out=s)  # sigmoid(z) = 0.5 tanh(z / 2) + 0.5, in place
        np.tanh(s, out=s)
        np.multiply(s, 0.5, out=s)
        np.add(s, 0.5, out=s)
        np.tanh(z[:, 3 * H:], out=z[:, 3 * H:])
        i, f, o, ct = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        c_new = C[t]
        np.multiply(f, c, out=c_new)
        c_new += i * ct
        np.tanh(c_new, out=TC[t])
        np.multiply(TC[t], o, out=Hs[t])
        h, c = Hs[t], c_new
        e = np.exp(h - h.max(axis=-1, keepdims=True))
        np.divide(e, e.sum(axis=-1, keepdims=True), out=Y[t])
    G = Z  # now the gate values
    return {"i": G[..., :H], "f": G[..., H:2 * H], "o": G[..., 2 * H:3 * H],
            "c_tilde": G[..., 3 * H:], "c": C, "h": Hs, "y": Y, "_tanh_c": TC, "_G": G}


def numpy_backward(params, x, values, seed_h):
    T, B, D = x.shape
    Wi, Wh, _ = _stacked(params, np.concatenate)
    H = Wh.shape[1]
    G, C, Hs, TC = values["_G"], values["c"], values["h"], values["_tanh_c"]
    dZ = np.empty((T, B, 4 * H), x.dtype)
    dh_next = np.zeros((B, H), x.dtype)
    dc = np.zeros((B, H), x.dtype)
    zero = np.zeros((B, H), x.dtype)
    for t in range(T - 1, -1, -1):
        g = G[t]
        i, f, o, ct = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
        tc = TC[t]
        c_prev = C[t - 1] if t else zero
        dh = seed_h[t] + dh_next
        dc += dh * o * (1 - tc * tc)
        dz = dZ[t]
        np.multiply(dc * ct, i * (1 - i), out=dz[:, :H])
        np.multiply(dc * c_prev, f * (1 - f), out=dz[:, H:2 * H])
        np.multiply(dh * tc, o * (1 - o), out=dz[:, 2 * H:3 * H])
        np.multiply(dc * i, 1 - ct * ct, out=dz[:, 3 * H:])
        dc *= f
        dh_next = dz @ Wh
    flat = dZ.reshape(T * B, 4 * H)
    gWi = flat.T @ x.reshape(T * B, D)
    gWh = dZ[1:].reshape((T - 1) * B, 4 * H).T @ Hs[:-1].reshape((T - 1) * B, H)
    gb = flat.sum(axis=0)
    gx = (flat @ Wi).reshape(T, B, D)
    out = {}
    for k, gname in enumerate(GATES):
        rows = slice(k * H, (k + 1) * H)
        out[f"W_i{gname}"], out[f"W_h{gname}"] = gWi[rows], gWh[rows]
        out[f"b_i{gname}"] = out[f"b_h{gname}"] = gb[rows]
    return {"params": out, "inputs": {"x": gx}, "initial": {"h": dh_next, "c": dc}}


def torch_forward(params, x):
    import torch

    T, B, D = x.shape
    Wi, Wh, b = _stacked(params, torch.cat)
    H = Wh.shape[1]
    Z = torch.addmm(b, x.reshape(T * B, D), Wi.T).reshape(T, B, 4 * H)
    G = torch.empty_like(Z)
    C = x.new_empty((T, B, H))
    Hs = x.new_empty((T, B, H))
    TC = x.new_empty((T, B, H))
    h = x.new_zeros((B, H))
    c = x.new_zeros((B, H))
    WhT = Wh.T
    for t in range(T):
        z = torch.addmm(Z[t], h, WhT)
        g = G[t]
        torch.sigmoid(z[:, :3 * H], out=g[:, :3 * H])
        torch.tanh(z[:, 3 * H:], out=g[:, 3 * H:])
        c = torch.addcmul(g[:, H:2 * H] * c, g[:, :H], g[:, 3 * H:], out=C[t])
        h = torch.mul(torch.tanh(c, out=TC[t]), g[:, 2 * H:3 * H], out=Hs[t])
    Y = torch.softmax(Hs, dim=-1)  # y does not feed the recurrence: one call for all steps
    return {"i": G[..., :H], "f": G[..., H:2 * H], "o": G[..., 2 * H:3 * H],
            "c_tilde": G[..., 3 * H:], "c": C, "h": Hs, "y": Y, "_tanh_c": TC, "_G": G}


def torch_backward(params, x, values, seed_h):
    import torch

    T, B, D = x.shape
    Wi, Wh, _ = _stacked(params, torch.cat)
    H = Wh.shape[1]
    G, C, Hs, TC = values["_G"], values["c"], values["h"], values["_tanh_c"]
    # everything that needs no recurrence, for all steps at once
    Gi, Gf, Go, Gc = G[..., :H], G[..., H:2 * H], G[..., 2 * H:3 * H], G[..., 3 * H:]
    C_prev = torch.cat([x.new_zeros((1, B, H)), C[:-1]])
    dI_c, dF_c, dCT_c = Gc * Gi * (1 - Gi), C_prev * Gf * (1 - Gf), Gi * (1 - Gc * Gc)
    dO_h = TC * Go * (1 - Go)
    dC_h = Go * (1 - TC * TC)
    dZ = x.new_empty((T, B, 4 * H))
    dh_next = x.new_zeros((B, H))
    dc = x.new_zeros((B, H))
    for t in range(T - 1, -1, -1):
        dh = seed_h[t] + dh_next
        dc = torch.addcmul(dc, dh, dC_h[t])
        dz = dZ[t]
        torch.mul(dc.unsqueeze(1), torch.stack((dI_c[t], dF_c[t]), 1)
                  .view(B, 2, H), out=dz[:, :2 * H].view(B, 2, H))
        torch.mul(dh, dO_h[t], out=dz[:, 2 * H:3 * H])
        torch.mul(dc, dCT_c[t], out=dz[:, 3 * H:])
        dc = dc * Gf[t]
        dh_next = dz @ Wh
    flat = dZ.reshape(T * B, 4 * H)
    gWi = flat.T @ x.reshape(T * B, D)
    gWh = dZ[1:].reshape((T - 1) * B, 4 * H).T @ Hs[:-1].reshape((T - 1) * B, H)
    gb = flat.sum(dim=0)
    gx = (flat @ Wi).reshape(T, B, D)
    out = {}
    for k, gname in enumerate(GATES):
        rows = slice(k * H, (k + 1) * H)
        out[f"W_i{gname}"], out[f"W_h{gname}"] = gWi[rows], gWh[rows]
        out[f"b_i{gname}"] = out[f"b_h{gname}"] = gb[rows]
    return {"params": out, "inputs": {"x": gx}, "initial": {"h": dh_next, "c": dc}}


def torch_gemms(params, x):
    """Only the matrix products of :func:`torch_forward` and :func:`torch_backward`.

    The same shapes and the same operands' layouts, one after another, with no
    element-wise work between them: the floor of any code that makes these products
    with torch's own GEMM (MKL) one step at a time.
    """
    import torch

    _gemms(params, x, torch.cat, x.new_zeros)


def numpy_gemms(params, x):
    """The same products as :func:`torch_gemms`, with NumPy's OpenBLAS."""
    _gemms(params, x, np.concatenate, lambda shape: np.zeros(shape, x.dtype))


def _gemms(params, x, cat, zeros):
    T, B, D = x.shape
    Wi, Wh, b = _stacked(params, cat)
    H = Wh.shape[1]
    x.reshape(T * B, D) @ Wi.T  # the input products of every step at once
    h = zeros((B, H))
    WhT = Wh.T
    for _ in range(T):
        h @ WhT
    dZ = zeros((T, B, 4 * H))
    Hs = zeros((T, B, H))
    for t in range(T - 1, -1, -1):
        dZ[t] @ Wh
    flat = dZ.reshape(T * B, 4 * H)
    flat.T @ x.reshape(T * B, D)
    dZ[1:].reshape((T - 1) * B, 4 * H).T @ Hs[:-1].reshape((T - 1) * B, H)
    flat @ Wi


def _runners(spec, B, D, H, T, dtype) -> list:
    """[prototype numpy, prototype torch, compiled numpy, compiled torch, torch GEMMs only,
    NumPy GEMMs only, torch.nn.LSTM]."""
    import torch

    from seqcheck.bench.lstm import _lstm_runners

    r = _lstm_runners(spec, B, D, H, T, dtype)
    params, x, seed_h = r["case"]
    tparams = {k: torch.from_numpy(v) for k, v in params.items()}
    tx, tseed = torch.from_numpy(x), torch.from_numpy(seed_h)

    def prototype_np():
        v = numpy_forward(params, x)
        return v, numpy_backward(params, x, v, seed_h)

    def prototype_t():
        with torch.no_grad():
            v = torch_forward(tparams, tx)
            return v, torch_backward(tparams, tx, v, tseed)

    def gemms_only_t():
        with torch.no_grad():
            torch_gemms(tparams, tx)

    def gemms_only_np():
        numpy_gemms(params, x)

    compiled_np, compiled_t, nn = r["numpy"], r["torch"], r["nn"]
    compiled_np.__name__, compiled_t.__name__, nn.__name__ = "compiled_np", "compiled_t", "nn"
    compiled_np.compiled, compiled_np.case = r["compiled"][0], r["case"]
    return [prototype_np, prototype_t, compiled_np, compiled_t, gemms_only_t, gemms_only_np, nn]


def main(argv=None) -> None:
    from seqcheck import load_spec
    from seqcheck.bench.lstm import _max_rel
    from seqcheck.bench.timing import Threads, alternate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, nargs=4, default=[32, 64, 128, 100],
                    metavar=("B", "D", "H", "T"))
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args(argv)
    B, D, H, T = a.size
    spec = load_spec("lstm")
    with Threads(1), np.errstate(under="ignore"):
        for dtype in ("float64", "float32"):
            fns = _runners(spec, B, D, H, T, dtype)
            cn = fns[2].compiled
            params, x, seed_h = fns[2].case
            traj = cn.forward(params, {"x": x})
            ref = cn.backward(traj, {"h": seed_h})
            worst = 0.0
            for v, g in (fns[0](), fns[1]()):
                for name in ("i", "f", "o", "c_tilde", "c", "h", "y"):
                    worst = max(worst, _max_rel(np.asarray(v[name]), traj.raw[name]))
                for name, r in ref.params.items():
                    worst = max(worst, _max_rel(np.asarray(g["params"][name]), r))
                worst = max(worst, _max_rel(np.asarray(g["inputs"]["x"]),
                                                  ref.inputs["x"]))
                for name in ("h", "c"):
                    worst = max(worst, _max_rel(np.asarray(g["initial"][name]),
                                                      ref.initial[name]))
            secs = alternate(fns, a.repeats)
            base = secs[-1]
            print(f"{dtype} (B, D, H, T) = {(B, D, H, T)}; prototype vs compiled spec: "
                  f"max rel diff {worst:.1e}")
            for fn, s in zip(fns, secs):
                print(f"  {fn.__name__:<13} {s * 1e3:8.1f} ms  {s / base:5.2f}× torch.nn.LSTM")


if __name__ == "__main__":
    main()
