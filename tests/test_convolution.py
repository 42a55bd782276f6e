"""seed 001's convolution, cross-correlation and pooling against numpy, torch and loops.

Oracles: numpy.convolve / numpy.correlate (1-D); torch.nn.functional.conv1d / conv2d,
which compute cross-correlation, under autograd; an explicit quadruple loop written here
from the slide's sum; torch's max_pool2d / avg_pool2d under autograd.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from seqcheck.errors import SeqcheckError, ShapeError
from seqcheck.models import convolution as cv

pytestmark = pytest.mark.usefixtures("torch_one_thread")

TOL = dict(rtol=1e-12, atol=1e-12)


def t4(a):
    """(H, W) → torch (1, 1, H, W) float64."""
    return torch.tensor(np.array(a, dtype=np.float64))[None, None]  # a copy: flips are views


def loop_sum(x, w, sign, m_range, n_range, mode):
    """s[i, j] = Σ_m Σ_n x[i + sign·m, j + sign·n] w[m, n], x and w zero outside, by hand."""
    H, W = x.shape
    M, N = (w.shape[0] - 1) // 2, (w.shape[1] - 1) // 2
    rows = range(H) if mode == "same" else range(M, H - M)
    cols = range(W) if mode == "same" else range(N, W - N)
    s = np.zeros((len(rows), len(cols)))
    for a, i in enumerate(rows):
        for b, j in enumerate(cols):
            for m in range(m_range[0], m_range[1] + 1):
                for n in range(n_range[0], n_range[1] + 1):
                    p, q = i + sign * m, j + sign * n
                    if 0 <= p < H and 0 <= q < W and -M <= m <= M and -N <= n <= N:
                        s[a, b] += x[p, q] * w[m + M, n + N]
    return s


@st.composite
def image_and_kernel(draw, valid=False):
    M = draw(st.integers(0, 2))
    N = draw(st.integers(0, 2))
    lo_h, lo_w = (2 * M + 1, 2 * N + 1) if valid else (1, 1)
    H = draw(st.integers(lo_h, lo_h + 5))
    W = draw(st.integers(lo_w, lo_w + 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(H, W)), rng.normal(size=(2 * M + 1, 2 * N + 1)), rng


# ----------------------------------------------------------------------------- 1-D

@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**32 - 1),
       st.sampled_from(["full", "same", "valid"]))
def test_convolution_1d_is_numpy_convolve(L, K, seed, mode):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=L), rng.normal(size=K)
    np.testing.assert_allclose(cv.convolution_1d(x, w, mode), np.convolve(x, w, mode), **TOL)
    # the identity: convolution is cross-correlation with the flipped kernel
    np.testing.assert_allclose(cv.convolution_1d(x, w, mode),
                               cv.cross_correlation_1d(x, cv.flip(w), mode), **TOL)


@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_cross_correlation_1d_is_numpy_correlate_and_torch_conv1d(L, K, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=L), rng.normal(size=K)
    modes = ["full", "valid"] + (["same"] if L >= K else [])
    for mode in modes:
        np.testing.assert_allclose(cv.cross_correlation_1d(x, w, mode),
                                   np.correlate(x, w, mode), **TOL, err_msg=mode)
    if L >= K:  # conv1d without padding is the valid cross-correlation
        ref = F.conv1d(torch.tensor(x)[None, None], torch.tensor(w)[None, None])[0, 0]
        np.testing.assert_allclose(cv.cross_correlation_1d(x, w, "valid"), ref.numpy(), **TOL)
        ref = F.conv1d(torch.tensor(x)[None, None], torch.tensor(w)[None, None],
                       padding=K - 1)[0, 0]
        np.testing.assert_allclose(cv.cross_correlation_1d(x, w, "full"), ref.numpy(), **TOL)


# ----------------------------------------------------------------------------- 2-D forward

@given(image_and_kernel(), st.sampled_from(["same", "valid"]))
def test_2d_sums_match_the_quadruple_loop_and_torch(case, mode):
    x, w, _ = case
    M, N = (w.shape[0] - 1) // 2, (w.shape[1] - 1) // 2
    if mode == "valid" and (x.shape[0] < w.shape[0] or x.shape[1] < w.shape[1]):
        mode = "same"
    ranges = cv.kernel_ranges(w)
    corr = cv.cross_correlation_2d(x, w, mode)
    conv = cv.convolution_2d(x, w, mode)
    np.testing.assert_allclose(corr, loop_sum(x, w, 1, *ranges, mode), **TOL)
    np.testing.assert_allclose(conv, loop_sum(x, w, -1, *ranges, mode), **TOL)
    pad = (M, N) if mode == "same" else 0
    np.testing.assert_allclose(corr, F.conv2d(t4(x), t4(w), padding=pad)[0, 0].numpy(), **TOL)
    np.testing.assert_allclose(
        conv, F.conv2d(t4(x), t4(cv.flip(w)), padding=pad)[0, 0].numpy(), **TOL)
    # the identity, both ways
    np.testing.assert_allclose(conv, cv.cross_correlation_2d(x, cv.flip(w), mode), **TOL)
    np.testing.assert_allclose(corr, cv.convolution_2d(x, cv.flip(w), mode), **TOL)


@given(image_and_kernel(), st.integers(-3, 3), st.integers(0, 3), st.integers(-3, 3),
       st.integers(0, 3))
def test_explicit_ranges_match_the_quadruple_loop(case, ml, mspan, nl, nspan):
    x, w, _ = case
    m_range, n_range = (ml, ml + mspan), (nl, nl + nspan)
    for sign, fn in [(1, cv.cross_correlation_2d), (-1, cv.convolution_2d)]:
        np.testing.assert_allclose(fn(x, w, m_range=m_range, n_range=n_range),
                                   loop_sum(x, w, sign, m_range, n_range, "same"), **TOL)


# ----------------------------------------------------------------------------- printed ranges

@given(st.integers(0, 2), st.integers(3, 7), st.integers(3, 7), st.integers(0, 2**32 - 1))
def test_printed_ranges_are_correct_when_m_equals_n(M, H, W, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(H, W)), rng.normal(size=(2 * M + 1, 2 * M + 1))
    assert cv.printed_cross_correlation_ranges(w) == cv.kernel_ranges(w)
    np.testing.assert_array_equal(cv.cross_correlation_2d_as_printed(x, w),
                                  cv.cross_correlation_2d(x, w))


def test_printed_ranges_differ_when_m_exceeds_n_and_a_witness_is_found():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 6))
    witnesses = []
    for M in range(3):
        for N in range(3):
            w = rng.normal(size=(2 * M + 1, 2 * N + 1))
            printed = cv.cross_correlation_2d_as_printed(x, w)
            correct = cv.cross_correlation_2d(x, w)
            if not np.allclose(printed, correct):
                i, j = np.unravel_index(np.argmax(np.abs(printed - correct)), printed.shape)
                witnesses.append((M, N, i, j))
                # the difference is exactly the dropped kernel rows m = −M..−N−1
                missing = cv.cross_correlation_2d(x, w, m_range=(-M, -N - 1),
                                                  n_range=(-N, N))
                np.testing.assert_allclose(correct - printed, missing, **TOL)
                # and the loop with the printed limits agrees with the function
                np.testing.assert_allclose(
                    printed, loop_sum(x, w, 1, (-N, M), (-N, N), "same"), **TOL)
    # a witness exists, and exactly the kernels with N < M have one (for N > M the extra
    # rows −N..−M−1 lie outside the kernel, where w is zero)
    assert witnesses
    assert sorted({(M, N) for M, N, _, _ in witnesses}) == [(1, 0), (2, 0), (2, 1)]


# ----------------------------------------------------------------------------- 2-D gradients

@given(image_and_kernel(valid=True), st.sampled_from(["same", "valid"]))
def test_2d_vjps_match_torch_autograd(case, mode):
    x, w, rng = case
    M, N = (w.shape[0] - 1) // 2, (w.shape[1] - 1) // 2
    pad = (M, N) if mode == "same" else 0
    for flip, vjp in [(False, cv.cross_correlation_2d_vjp), (True, cv.convolution_2d_vjp)]:
        tx = t4(x).requires_grad_(True)
        tw = t4(cv.flip(w) if flip else w).requires_grad_(True)
        out = F.conv2d(tx, tw, padding=pad)
        g = rng.normal(size=out.shape[-2:])
        (out * t4(g)).sum().backward()
        grads = vjp(x, w, g, mode)
        gw_ref = tw.grad[0, 0].numpy()
        np.testing.assert_allclose(grads.x, tx.grad[0, 0].numpy(), **TOL)
        np.testing.assert_allclose(grads.w, cv.flip(gw_ref) if flip else gw_ref, **TOL)


@given(image_and_kernel(), st.integers(-2, 0), st.integers(0, 2))
def test_2d_vjp_with_ranges_is_the_adjoint(case, ml, mh):
    # ⟨g, s(x, w)⟩ is bilinear: ⟨g, s(x, w)⟩ = ⟨∂/∂x, x⟩ = ⟨∂/∂w, w⟩ exactly
    x, w, rng = case
    ranges = dict(m_range=(ml, mh), n_range=cv.kernel_ranges(w)[1])
    for fn, vjp in [(cv.cross_correlation_2d, cv.cross_correlation_2d_vjp),
                    (cv.convolution_2d, cv.convolution_2d_vjp)]:
        g = rng.normal(size=x.shape)
        value = np.sum(g * fn(x, w, **ranges))
        grads = vjp(x, w, g, **ranges)
        np.testing.assert_allclose(np.sum(grads.x * x), value, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(np.sum(grads.w * w), value, rtol=1e-10, atol=1e-10)


def test_float32_stays_float32():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(5, 6)), rng.normal(size=(3, 3))
    for fn in (cv.convolution_2d, cv.cross_correlation_2d):
        out32 = fn(x.astype(np.float32), w.astype(np.float32))
        assert out32.dtype == np.float32
        np.testing.assert_allclose(out32, fn(x, w), rtol=1e-5, atol=1e-5)
    out = cv.max_pooling(x.astype(np.float32), 2)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, cv.max_pooling(x, 2).astype(np.float32))


# ----------------------------------------------------------------------------- pooling

@st.composite
def pooling_case(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(kh, kh + 5)), draw(st.integers(kw, kw + 5))
    C = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # few distinct values: ties inside windows are common
    x = rng.integers(-2, 3, size=(C, H, W)).astype(np.float64) if draw(st.booleans()) \
        else rng.normal(size=(C, H, W))
    return x, (kh, kw), (sh, sw), rng


@given(pooling_case())
def test_max_pooling_and_its_gradient_match_torch(case):
    x, size, stride, rng = case
    tx = torch.tensor(x).requires_grad_(True)
    out = F.max_pool2d(tx, size, stride)
    g = rng.normal(size=out.shape)
    (out * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(cv.max_pooling(x, size, stride), out.detach().numpy())
    np.testing.assert_allclose(cv.max_pooling_vjp(x, g, size, stride), tx.grad.numpy(), **TOL)


@given(pooling_case())
def test_average_pooling_and_its_gradient_match_torch(case):
    x, size, stride, rng = case
    tx = torch.tensor(x).requires_grad_(True)
    out = F.avg_pool2d(tx, size, stride)
    g = rng.normal(size=out.shape)
    (out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(cv.average_pooling(x, size, stride), out.detach().numpy(), **TOL)
    np.testing.assert_allclose(cv.average_pooling_vjp(x, g, size, stride), tx.grad.numpy(),
                               **TOL)


@given(pooling_case())
def test_weighted_average_pooling_is_a_strided_cross_correlation(case):
    x, size, stride, rng = case
    v = rng.uniform(0.1, 1, size=size)
    tx = torch.tensor(x)[:, None].requires_grad_(True)  # channels as batch
    out = F.conv2d(tx, torch.tensor(v / v.sum())[None, None], stride=stride)[:, 0]
    g = rng.normal(size=out.shape)
    (out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(cv.average_pooling(x, size, stride, weights=v),
                               out.detach().numpy(), **TOL)
    np.testing.assert_allclose(cv.average_pooling_vjp(x, g, size, stride, weights=v),
                               tx.grad[:, 0].numpy(), **TOL)


def test_max_pooling_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.array([[1.0, 3.0], [3.0, 3.0]])
    tx = torch.tensor(x).requires_grad_(True)
    F.max_pool2d(tx[None], 2)[0].sum().backward()
    ours = cv.max_pooling_vjp(x, np.ones((1, 1)), 2)
    np.testing.assert_array_equal(ours, tx.grad.numpy())
    np.testing.assert_array_equal(ours, (np.arange(4) == np.argmax(x)).reshape(2, 2))


def test_a_stride_of_k_downsamples_by_about_k():
    x = np.random.default_rng(0).normal(size=(12, 12))
    for k in (1, 2, 3, 4):
        assert cv.average_pooling(x, 1, k).shape == (-(-12 // k), -(-12 // k))
        np.testing.assert_array_equal(cv.max_pooling(x, 1, k), x[::k, ::k])


# ----------------------------------------------------------------------------- errors

ERRORS = [
    pytest.param(lambda: cv.convolution_2d(np.zeros((4, 4)), np.zeros((2, 3))), ShapeError,
                 "the kernel w of shape (2, 3) has no centre: w[m, n] runs over m = −M..M, "
                 "n = −N..N, so its shape must be (2M+1, 2N+1) with both sizes odd",
                 id="even-kernel"),
    pytest.param(lambda: cv.cross_correlation_2d(np.zeros(4), np.zeros((3, 3))), ShapeError,
                 "x must be a non-empty matrix, got shape (4,)", id="vector-x"),
    pytest.param(lambda: cv.cross_correlation_2d(np.zeros((2, 5)), np.zeros((3, 3)), "valid"),
                 ShapeError, "mode 'valid' needs x at least as large as the kernel: x has "
                 "shape (2, 5), w has shape (3, 3)", id="valid-too-small"),
    pytest.param(lambda: cv.cross_correlation_2d(np.zeros((4, 4)), np.zeros((3, 3)), "full"),
                 SeqcheckError, "unknown mode 'full'; choose one of same, valid",
                 id="mode-2d"),
    pytest.param(lambda: cv.convolution_2d(np.zeros((4, 4)), np.zeros((3, 3)),
                                           m_range=(1, -1)),
                 SeqcheckError, "m_range must be a pair of integers (lo, hi) with lo <= hi, "
                 "got (1, -1)", id="empty-range"),
    pytest.param(lambda: cv.cross_correlation_2d_vjp(np.zeros((4, 4)), np.zeros((3, 3)),
                                                     np.zeros((2, 2))),
                 ShapeError, "grad must have the output's shape (4, 4), got (2, 2)",
                 id="vjp-grad"),
    pytest.param(lambda: cv.convolution_1d(np.zeros((2, 2)), np.zeros(2)), ShapeError,
                 "x and w must be non-empty vectors, got shapes (2, 2) and (2,)",
                 id="matrix-1d"),
    pytest.param(lambda: cv.convolution_1d(np.zeros(3), np.zeros(2), "circular"),
                 SeqcheckError, "unknown mode 'circular'; choose one of full, same, valid",
                 id="mode-1d"),
    pytest.param(lambda: cv.max_pooling(np.zeros((2, 5)), 3), ShapeError,
                 "x must be (..., H, W) with H >= 3 and W >= 3 (the window), got shape (2, 5)",
                 id="window-too-big"),
    pytest.param(lambda: cv.max_pooling(np.zeros((4, 4)), 2, 0), SeqcheckError,
                 "stride must be a positive integer or a pair of them, got 0", id="stride-0"),
    pytest.param(lambda: cv.max_pooling_vjp(np.zeros((4, 4)), np.zeros((3, 3)), 2),
                 ShapeError, "grad must have the output's shape (2, 2), got (3, 3)",
                 id="pool-grad"),
    pytest.param(lambda: cv.average_pooling(np.zeros((4, 4)), 2, weights=np.ones(4)),
                 ShapeError, "weights must have the window's shape (2, 2), got (4,)",
                 id="weights-shape"),
    pytest.param(lambda: cv.average_pooling(np.zeros((4, 4)), 2, weights=-np.ones((2, 2))),
                 SeqcheckError, "weights must be non-negative with a positive sum",
                 id="weights-negative"),
]


@pytest.mark.parametrize(("call", "kind", "message"), ERRORS)
def test_bad_arguments_raise_with_a_message(call, kind, message):
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == message


def test_catalogue_entries_point_at_their_functions():
    by_name = {e.name: e for e in cv.ENTRIES}
    for name in ("convolution_1d", "convolution_2d", "cross_correlation_2d", "max_pooling",
                 "average_pooling"):
        e = by_name[name]
        assert e.kind == "function" and e.load() is getattr(cv, name)
        assert e.sources[0].file == "001_ad6a511fc6b6ab34.txt"
        assert "tests/test_convolution.py" in e.tests
