"""Benchmark 2 of ``seqcheck bench``: the compiled ``lstm`` spec against torch.nn.LSTM.

The compiled spec, forward + derived backward, in NumPy and in torch, against
``torch.nn.LSTM`` forward + autograd backward, in float64 and float32, on the same
weights, inputs and seed; both sides' gradients are compared once, so that a row times
the same computation on both sides.
"""

from __future__ import annotations

from .table import row
from .timing import alternate

__all__ = ["bench_lstm"]


def _lstm_case(B: int, D: int, H: int, T: int, dtype: str, seed: int = 0):
    """A torch.nn.LSTM, the same weights as the spec's parameters, an input and a seed."""
    import numpy as np
    import torch

    tdt = getattr(torch, dtype)
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(D, H).to(tdt)
    w_ih, w_hh = lstm.weight_ih_l0.detach(), lstm.weight_hh_l0.detach()
    b_ih, b_hh = lstm.bias_ih_l0.detach(), lstm.bias_hh_l0.detach()
    params = {}
    for k, g in enumerate("ifco"):  # torch's gate order i, f, g, o
        rows = slice(k * H, (k + 1) * H)
        params[f"W_i{g}"] = w_ih[rows].numpy().copy()
        params[f"W_h{g}"] = w_hh[rows].numpy().copy()
        params[f"b_i{g}"] = b_ih[rows].numpy().copy()
        params[f"b_h{g}"] = b_hh[rows].numpy().copy()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, D)).astype(dtype)
    seed_h = rng.standard_normal((T, B, H)).astype(dtype)
    return lstm, params, x, seed_h


def _max_rel(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _lstm_runners(spec, B: int, D: int, H: int, T: int, dtype: str) -> dict:
    """The three sides of benchmark 2 on one case, as zero-argument callables.

    ``numpy`` and ``torch``: the compiled spec, forward + derived backward, seeding h only
    (torch.nn.LSTM returns h_t at every step, c only at T). ``nn``: torch.nn.LSTM forward,
    the spec's y = softmax(h) computed but not seeded, autograd backward to the weights,
    x and the initial states (what the derived backward returns too).
    """
    import numpy as np
    import torch

    from ..backends import compile_numpy
    from ..backends.torch_backend import compile_torch

    lstm, params, x, seed_h = _lstm_case(B, D, H, T, dtype)
    tdt = getattr(torch, dtype)
    cn = compile_numpy(spec, dtype=np.dtype(dtype), gradients=True, seeded=["h"])
    ct = compile_torch(spec, dtype=tdt, gradients=True, seeded=["h"])
    tparams = {k: torch.from_numpy(v) for k, v in params.items()}
    tx, tseed = torch.from_numpy(x), torch.from_numpy(seed_h)

    def run_numpy():
        traj = cn.forward(params, {"x": x})
        return cn.backward(traj, {"h": seed_h})

    def run_torch():
        with torch.no_grad():
            traj = ct.forward(tparams, {"x": tx})
            return ct.backward(traj, {"h": tseed})

    def run_nn():
        lstm.zero_grad(set_to_none=True)
        xs = tx.detach().requires_grad_(True)
        h0 = torch.zeros((1, B, H), dtype=tdt, requires_grad=True)
        c0 = torch.zeros((1, B, H), dtype=tdt, requires_grad=True)
        out, _ = lstm(xs, (h0, c0))
        torch.softmax(out, dim=-1)
        (out * tseed).sum().backward()
        return xs.grad, lstm.weight_hh_l0.grad[:H]

    return {"numpy": run_numpy, "torch": run_torch, "nn": run_nn, "case": (params, x, seed_h),
            "compiled": (cn, ct)}


def bench_lstm(sizes, dtypes, repeats: int, threads, say) -> list[dict]:
    """The rows of benchmark 2: compiled NumPy and torch against torch.nn.LSTM.

    Arguments:
        sizes: (B, D, H, T) of each case; dtypes: "float64" and/or "float32".
        repeats: timed rounds (median); threads: recorded in every row.
        say: called with a line before each measurement.
    """
    from ..spec import load_spec

    spec = load_spec("lstm")
    rows = []
    for B, D, H, T in sizes:
        for dtype in dtypes:
            say(f"lstm: (B, D, H, T) = {(B, D, H, T)}, {dtype}")
            r = _lstm_runners(spec, B, D, H, T, dtype)
            # the same computation on both sides: compare gradients once (also a warm-up)
            gx_ref, gw_ref = r["nn"]()
            agree = {}
            for side in ("numpy", "torch"):
                g = r[side]()
                agree[side] = max(_max_rel(g.inputs["x"], gx_ref),
                                  _max_rel(g.params["W_hi"], gw_ref))
            s_np, s_t, s_nn = alternate([r["numpy"], r["torch"], r["nn"]], repeats)
            base = f"torch.nn.LSTM fwd + autograd bwd, {dtype}"
            shape = {"B": B, "D": D, "H": H, "T": T, "dtype": dtype}
            for side, secs in (("numpy", s_np), ("torch", s_t)):
                rows.append(row(
                    f"compiled {side} fwd+bwd, {dtype}, (B,D,H,T) = ({B},{D},{H},{T})",
                    secs, base, s_nn, threads, {**shape, "max_rel_diff": agree[side]},
                    note=f"gradients agree to {agree[side]:.0e} (relative)"))
    return rows
