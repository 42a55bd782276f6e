"""Benchmark 4 of ``seqcheck bench``: verify's check of one case against gradcheck.

seqcheck verify's :class:`~seqcheck.checks.verify.Checker` on one torch.nn.LSTMCell case
(outputs, states and every gradient) against ``torch.autograd.gradcheck`` of the same
gradients on the same case, in fast and slow mode.
"""

from __future__ import annotations

from .table import row
from .timing import alternate, time_once

__all__ = ["bench_verify"]


def bench_verify(quick: bool, recorded, say) -> list[dict]:
    """seqcheck verify's check of one case against torch.autograd.gradcheck on the same case.

    The case: torch.nn.LSTMCell, D = H = 16, T = 10, B = 1, float64; verify compares the
    outputs, states and the gradients w.r.t. inputs, initial states and all parameters.
    gradcheck checks the same gradients numerically (slow mode: one pair of forward runs
    per input; fast mode: one random direction). Quick mode runs fast mode only.
    """
    import numpy as np
    import torch

    from ..adapters.torch_nn import TorchTarget
    from ..checks.verify import Checker
    from ..spec import load_spec
    from ..strategies import Case

    D = H = 16
    T, B = 10, 1
    rng = np.random.default_rng(0)
    spec = load_spec("lstm")
    sizes = {"D": D, "H": H}
    params = {n: rng.uniform(-0.5, 0.5, [sizes[str(k)] for k in d.shape])
              for n, d in spec.params.items()}
    case = Case(sizes, T, B, params, {"x": rng.uniform(-1, 1, (T, B, D))},
                {"h": rng.uniform(-1, 1, (B, H)), "c": rng.uniform(-1, 1, (B, H))},
                {v: rng.uniform(-1, 1, (T, B, H)) for v in ("h", "c")})
    target = TorchTarget(torch.nn.LSTMCell)
    checker = Checker(target, spec, "float64", gradients=True)
    if not checker.check(case).ok:  # pragma: no cover - torch's own cell conforms
        raise RuntimeError("torch.nn.LSTMCell does not conform on the benchmark case")
    cell = target.module(case.sizes, "float64")
    names = [n for n, _ in cell.named_parameters()]

    def unrolled(x, h, c, *weights):
        hs = []
        for t in range(T):
            h, c = torch.func.functional_call(cell, dict(zip(names, weights)), (x[t], (h, c)))
            hs.append(torch.cat([h, c], dim=-1))
        return torch.stack(hs)

    args = (torch.tensor(case.inputs["x"], requires_grad=True),
            torch.tensor(case.initial["h"], requires_grad=True),
            torch.tensor(case.initial["c"], requires_grad=True),
            *[p.detach().clone().requires_grad_(True) for p in cell.parameters()])
    label = (f"verify one case (LSTMCell, D = H = {H}, T = {T}, float64, outputs, states "
             "and all gradients)")
    repeats = 3 if quick else 5
    verify_s = alternate([lambda: checker.check(case)], repeats)[0]
    rows = []
    modes = (("fast", True),) if quick else (("fast", True), ("slow", False))
    for mode, fast in modes:
        say(f"bench: gradcheck ({mode} mode) on the same case")
        seconds = time_once(lambda fast=fast: torch.autograd.gradcheck(
            unrolled, args, fast_mode=fast))
        rows.append(row(label, verify_s, f"torch.autograd.gradcheck ({mode} mode), same case",
                        seconds, recorded, {"D": D, "H": H, "T": T, "B": B},
                        note="verify also compares outputs and states"))
    return rows
