"""seqcheck.blas: which kernels NumPy's OpenBLAS runs, and the hint where AVX-512 is idle.

The oracle for :func:`openblas_core` is OpenBLAS itself in a fresh interpreter, told by
``OPENBLAS_CORETYPE`` which kernels to load.
"""

import subprocess
import sys

import pytest

from seqcheck.blas import (
    AVX512_CORES,
    AVX512_FLAGS,
    cpu_flags,
    kernel_hint,
    openblas_core,
    openblas_functions,
)

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
flags\t\t: fpu sse2 avx avx2 fma {extra}

processor\t: 1
flags\t\t: fpu
"""


def test_the_flags_are_the_first_processors():
    flags = cpu_flags(CPUINFO.format(extra="avx512f avx512bw"))
    assert {"avx2", "avx512f", "avx512bw"} <= flags and "fpu" in flags
    assert cpu_flags("processor : 0\n") == frozenset()


@pytest.mark.parametrize("pinned", [None, "Haswell"])
def test_avx2_kernels_on_an_avx512_processor_get_a_hint(pinned):
    environ = {} if pinned is None else {"OPENBLAS_CORETYPE": pinned}
    flags = cpu_flags(CPUINFO.format(extra=" ".join(sorted(AVX512_FLAGS))))
    hint = kernel_hint("Haswell", flags, environ)
    assert "Haswell kernels" in hint and "AVX-512" in hint
    if pinned:
        assert "(OPENBLAS_CORETYPE=Haswell)" in hint and "unset OPENBLAS_CORETYPE" in hint
    else:
        assert "set OPENBLAS_CORETYPE=SkylakeX before NumPy loads" in hint


def test_no_hint_where_there_is_nothing_faster_or_nothing_known():
    avx512 = cpu_flags(CPUINFO.format(extra=" ".join(sorted(AVX512_FLAGS))))
    partial = cpu_flags(CPUINFO.format(extra="avx512f"))  # no BW/DQ/VL: SkylakeX won't run
    for core in AVX512_CORES:
        assert kernel_hint(core, avx512, {}) is None
    assert kernel_hint("Haswell", partial, {}) is None
    assert kernel_hint(None, avx512, {}) is None


def test_the_threads_of_numpys_openblas_can_be_read_and_set():
    found = openblas_functions()
    assert found is not None, "NumPy's wheels bundle OpenBLAS"
    before = found["get_num_threads"]()
    try:
        found["set_num_threads"](1)
        assert found["get_num_threads"]() == 1
    finally:
        found["set_num_threads"](before)


@pytest.mark.parametrize("core", ["Haswell", "SkylakeX"])
def test_the_core_read_back_is_the_one_openblas_loaded(core):
    if core == "SkylakeX" and not AVX512_FLAGS <= cpu_flags():
        core = "Haswell"  # SkylakeX's kernels would not run on this processor
    if "avx2" not in cpu_flags():
        core = "Prescott"  # the oldest x86-64 kernels OpenBLAS builds
    code = "from seqcheck.blas import openblas_core; print(openblas_core())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**_environ(), "OPENBLAS_CORETYPE": core}, check=True)
    assert out.stdout.strip() == core
    assert openblas_core() is not None


def _environ():
    import os

    return {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
