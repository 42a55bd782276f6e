"""NumPy's OpenBLAS: which kernels it runs, and whether the processor has faster ones.

NumPy's wheels bundle OpenBLAS built with ``DYNAMIC_ARCH``: when the library loads, it
reads the processor and picks one set of kernels for the whole process, unless
``OPENBLAS_CORETYPE`` names one. The variable is read once, when the library loads.

On the AMD EPYC (family 26, Zen 5, with AVX-512) of benchmarks/README.md, OpenBLAS
0.3.31 picks its SkylakeX (AVX-512) kernels itself; that machine's environment sets
``OPENBLAS_CORETYPE=Haswell``, which runs the AVX2 kernels instead. Measured there,
two threads:

=====================================  ========  ========
                                       Haswell   SkylakeX
=====================================  ========  ========
float64 (2048, 2048) @ (2048, 4096)    122 GF/s  204 GF/s
float32 the same                       247 GF/s  454 GF/s
float64 (8, 1024) @ (1024, 4096)       2.34 ms   0.83 ms
float32 the same                       0.53 ms   0.91 ms
=====================================  ========  ========

seqcheck never overrides the variable. :func:`kernel_hint` says when the kernels in use
leave AVX-512 unused; ``seqcheck verify --size`` prints it after a run of 10 s or more,
and ``seqcheck bench`` records the kernels in every row.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

__all__ = ["AVX512_FLAGS", "AVX512_CORES", "cpu_flags", "kernel_hint", "openblas_core",
           "openblas_functions"]

#: The AVX-512 subsets OpenBLAS's SkylakeX kernels execute.
AVX512_FLAGS = frozenset({"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"})
#: OpenBLAS's kernel sets that use AVX-512.
AVX512_CORES = frozenset({"SkylakeX", "Cooperlake", "SapphireRapids"})


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The first processor's flags in ``/proc/cpuinfo`` (or in ``cpuinfo``); empty where
    there is no such file."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as fh:
                cpuinfo = fh.read()
        except OSError:  # not Linux
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def kernel_hint(core: str | None, flags: frozenset[str],
                environ: Mapping[str, str] | None = None) -> str | None:
    """A line saying that OpenBLAS runs kernels without AVX-512 on a processor that has
    it, and what to change; None when there is nothing to say.

    >>> print(kernel_hint("Haswell", AVX512_FLAGS, {"OPENBLAS_CORETYPE": "Haswell"}))
    ... # doctest: +ELLIPSIS
    NumPy's OpenBLAS runs its Haswell kernels (OPENBLAS_CORETYPE=Haswell) on a processor...
    >>> kernel_hint("SkylakeX", AVX512_FLAGS, {}) is None
    True
    """
    environ = os.environ if environ is None else environ
    if core is None or core in AVX512_CORES or not AVX512_FLAGS <= flags:
        return None
    pinned = environ.get("OPENBLAS_CORETYPE")
    how = ("unset OPENBLAS_CORETYPE (or set it to SkylakeX)" if pinned
           else "set OPENBLAS_CORETYPE=SkylakeX before NumPy loads")
    return (f"NumPy's OpenBLAS runs its {core} kernels"
            f"{f' (OPENBLAS_CORETYPE={pinned})' if pinned else ''} on a processor with "
            f"AVX-512; {how} for its AVX-512 kernels, which make the float64 reference "
            "about 1.6 times as fast (docs/architecture.md, \"NumPy's BLAS\")")


@functools.cache
def openblas_functions() -> dict | None:
    """``{"get_num_threads", "set_num_threads", "get_corename"}`` of NumPy's OpenBLAS,
    as ctypes functions, or None where it is not found.

    The library is found among the loaded ones (``/proc/self/maps``), so no extra
    dependency (threadpoolctl) is needed. Importing NumPy loads it, once per process, so
    the answer is looked up once.
    """
    import ctypes

    import numpy  # noqa: F401  (loads the BLAS library)

    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                try:
                    found = {name: getattr(lib, f"{prefix}_{name}{suffix}") for name in
                             ("get_num_threads", "set_num_threads", "get_corename")}
                except AttributeError:
                    continue
                found["get_num_threads"].restype = ctypes.c_int
                found["set_num_threads"].argtypes = [ctypes.c_int]
                found["get_corename"].restype = ctypes.c_char_p
                return found
    return None


def openblas_core() -> str | None:
    """The kernel set NumPy's OpenBLAS runs (``"Haswell"``, ``"SkylakeX"``), or None."""
    found = openblas_functions()
    return None if found is None else found["get_corename"]().decode()
