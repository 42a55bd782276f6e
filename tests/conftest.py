"""A strict test environment: floating-point errors raise, Hypothesis has a derandomised
``ci`` profile (selected when CI is set, or with --hypothesis-profile=ci)."""

import os

# One BLAS thread per test process: the suite runs on 2 workers on 2 cores, and OpenBLAS's
# own threads only contend on the small products tests use. Set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _strict_floating_point():
    """Every overflow, division by zero or invalid operation in a test is an error."""
    with np.errstate(all="raise"):
        yield


@pytest.fixture(scope="module")
def torch_one_thread():
    """One intra-op torch thread for a module's tests (DESIGN: two workers on two cores
    would otherwise oversubscribe); the previous count is restored afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
