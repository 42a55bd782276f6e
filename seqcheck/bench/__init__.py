"""``seqcheck bench``: speed as ratios against a baseline timed in the same process.

Six benchmarks (benchmarks/README.md explains them and holds measured numbers):

1. **derive** (:mod:`.derivation`) -- load the ``lstm`` spec, derive BPTT symbolically
   and generate the forward/backward source, against naive SymPy: the LSTM's scalar
   equations at H = D = 2 unrolled T steps, ``sympy.diff`` of L = Σ h_T w.r.t. every
   parameter scalar. Our derivation is per step: ``derive(spec)`` never sees T, so the
   rows at T = 10, 100, 1000 time the same work and their ratio stays flat, while the
   naive baseline grows steeply with T (it runs in a child process under a time limit).
2. **lstm** (:mod:`.lstm`) -- the compiled ``lstm`` spec, forward + derived backward, in
   NumPy and in torch, against ``torch.nn.LSTM`` forward + autograd backward, float64
   and float32.
3. **linear-T** (:mod:`.linear`) -- compiled NumPy forward + backward at a long T against
   a short T: time and peak traced memory should both grow linearly (ratio ≈ T ratio),
   and the per-step generated loops never hit a recursion limit.
4. **verify** (:mod:`.gradcheck`) -- verify's check of one case against
   ``torch.autograd.gradcheck`` on the same case.
5. **latency** (:mod:`.latency`) -- ``import seqcheck``, ``seqcheck list``, ``show lstm``
   and ``derive lstm`` as whole processes, against ``python -c pass`` and ``python -c
   "import sympy"`` started the same way; each row says whether it met its target.
6. **production** (:mod:`.production`) -- verify of torch.nn.LSTM at the production size
   (D = 512, H = 1024, four bidirectional layers, T = 256, B = 8, every gradient), per
   case, against torch's own forward + backward at that size; with peak memory. Not in
   quick mode.

Every row is ``{"name", "seconds", "baseline", "baseline_seconds", "ratio", "threads",
"params", "note"}`` with ``ratio == seconds / baseline_seconds``; ``threads`` is
``{"torch": n, "openblas": n or None, "openblas kernels": name or None}`` (thread counts,
and :func:`seqcheck.blas.openblas_core`), ``params`` the benchmark's sizes and checks.
A baseline that ran past its time limit is reported with ``baseline_seconds`` = the
limit and ``"baseline_timed_out": True`` (so the ratio is an upper bound). Timings are medians
over ``repeats``, after a warm-up, with candidate and baseline alternated; torch and
NumPy's OpenBLAS both run with ``threads`` threads (1 by default), restored afterwards.
Nothing here asserts a speed: tests check the structure only.

The package: :mod:`.timing` (the harness), :mod:`.table` (rows and their table), one
module per benchmark, and :mod:`.suite` (:func:`run` and the default sizes).
"""

from .derivation import naive_sympy_gradients
from .linear import spec_shape
from .suite import (
    DERIVE_STEPS,
    DTYPES,
    LINEAR_STEPS,
    NAIVE_STEPS,
    QUICK_NAIVE_STEPS,
    QUICK_SIZES,
    SIZES,
    run,
)
from .table import format_table

__all__ = ["run", "format_table", "naive_sympy_gradients", "SIZES", "QUICK_SIZES",
           "DERIVE_STEPS", "NAIVE_STEPS", "QUICK_NAIVE_STEPS", "LINEAR_STEPS", "DTYPES",
           "spec_shape"]
