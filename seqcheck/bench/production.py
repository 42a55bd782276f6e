"""Benchmark 6 of ``seqcheck bench``: verify at the production size, against torch's own
forward and backward at that size.

``verify_at_size("torch.nn.LSTM", size="production")``
(:mod:`seqcheck.checks.verify.at_size`): torch.nn.LSTM(512, 1024, num_layers=4,
bidirectional=True) at T = 256, B = 8, in float32. On each case it compares every output,
final state and gradient with the spec's float64 passes, under the measured tolerance,
which needs one more run of the spec's passes in float32. The baseline is what the user's
own training step costs: the same module's forward and autograd backward, on the same
case, in the same process, with the same threads. The row records the process's peak
memory and the worst compared entry's share of its tolerance.
"""

from __future__ import annotations

import time

from .table import row

__all__ = ["bench_production"]


def bench_production(cases: int, recorded, say, size: str = "production") -> list[dict]:
    """One row: verify of ``cases`` cases at ``size`` against one torch forward + backward.

    The baseline runs after the check, on case 0's module and values, timed once after
    one untimed run (at this size one run takes seconds, and a warm-up is enough for
    torch to settle its kernels).
    """
    from ..checks.verify.at_size import parse_size, verify_at_size

    profile = parse_size(size)

    def tell(k: int, n: int) -> None:
        say(f"bench: verify at size {profile.name}, case {k + 1} of {n}")

    result = verify_at_size("torch.nn.LSTM", size=profile, cases=cases, progress=tell)
    if not result.ok:  # pragma: no cover - torch's own LSTM conforms
        raise RuntimeError(f"torch.nn.LSTM does not conform at size {size}:\n"
                           f"{result.format_text()}")
    say(f"bench: torch.nn.LSTM forward + backward at size {profile.name}")
    baseline = _torch_step(profile)
    per_case = sum(result.seconds) / len(result.seconds)
    params = {**dict(profile.sizes), "T": profile.steps, "B": profile.batch,
              **dict(profile.module), "cases": len(result.seconds),
              "total_seconds": sum(result.seconds), "peak_memory_bytes": result.peak_memory,
              "worst_margin": max(result.margins), "openblas_kernels": result.blas}
    note = (f"{len(result.seconds)} cases in {sum(result.seconds):.1f} s; peak memory "
            f"{result.peak_memory / 2 ** 30:.1f} GiB; worst entry used "
            f"{max(result.margins):.2g} of its tolerance")
    return [row(f"verify one case at size {profile.name} ({profile.describe()}, float32, "
                "all gradients)", per_case,
                "torch.nn.LSTM forward + autograd backward, same configuration",
                baseline, recorded, params, note=note)]


def _torch_step(profile) -> float:
    """Seconds of one forward + autograd backward of torch.nn.LSTM at ``profile``'s size
    (float32, random inputs, a random projection of every output as the loss), after one
    untimed step: at this size one step takes seconds."""
    import torch

    D, H = profile.sizes["D"], profile.sizes["H"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = torch.nn.LSTM(D, H, **dict(profile.module))
        layers = module.num_layers * (2 if module.bidirectional else 1)
        x = torch.rand(profile.steps, profile.batch, D, requires_grad=True)
        h0 = torch.rand(layers, profile.batch, H, requires_grad=True)
        c0 = torch.rand(layers, profile.batch, H, requires_grad=True)
        seed = torch.rand(profile.steps, profile.batch, H * (2 if module.bidirectional else 1))

    def step() -> None:
        out, (h, c) = module(x, (h0, c0))
        ((out * seed).sum() + h.sum() + c.sum()).backward()

    step()
    t0 = time.perf_counter()
    step()
    return time.perf_counter() - t0
