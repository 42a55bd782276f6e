"""Attention from seed 000 eq. 43–48: outputs, every gradient, and the lectures' claims.

Oracles: torch.nn.functional.scaled_dot_product_attention under float64 autograd (with
scale=1 for the plain dot score, eq. 45); an additive (Bahdanau) attention written here
in torch (eq. 47) under autograd; central differences in float64; the probability theory
of the score's variance (eq. 46).
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from seqcheck.errors import SeqcheckError, ShapeError
from seqcheck.models import attention as att
from seqcheck.models.attention import (
    attention_additive,
    attention_additive_vjp,
    attention_dot,
    attention_dot_vjp,
    attention_scaled_dot,
    attention_scaled_dot_vjp,
    attention_weights,
    dot_score,
    scaled_dot_score,
    score_variance,
    self_attention,
    self_attention_vjp,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

PARAMS = ("w_a", "W_q", "W_k", "b_a")
FORWARD = {"dot": attention_dot, "scaled_dot": attention_scaled_dot,
           "additive": attention_additive}
VJP = {"dot": attention_dot_vjp, "scaled_dot": attention_scaled_dot_vjp,
       "additive": attention_additive_vjp}
# float64 against float64: a few ulps of the largest term (scores stay below ~40)
F64 = {"rtol": 1e-10, "atol": 1e-12}


def arrays(shape, lo=-2.0, hi=2.0):
    """Entries on a grid of 4097 points in [lo, hi]: no subnormal values, whose products
    would underflow in the comparisons themselves under conftest's strict errstate."""
    return hnp.arrays(np.float64, shape,
                      elements=st.integers(0, 4096).map(lambda k: lo + (hi - lo) * k / 4096))


@st.composite
def problems(draw, kind, n=None):
    """q (Q,) or (n, Q), K (m, K), V (m, v), the additive parameters, and g = ∂L/∂output.

    The dot scores need Q == K; the additive one is drawn with independent Q, K and A.
    """
    if n is None:
        n = draw(st.none() | st.integers(1, 4))
    m, v = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    Q = draw(st.integers(1, 5))
    Kd = draw(st.integers(1, 5)) if kind == "additive" else Q
    q = draw(arrays((Q,) if n is None else (n, Q)))
    K, V = draw(arrays((m, Kd))), draw(arrays((m, v)))
    params = {}
    if kind == "additive":
        A = draw(st.integers(1, 4))
        params = {"w_a": draw(arrays((A,))), "W_q": draw(arrays((A, Q))),
                  "W_k": draw(arrays((A, Kd))), "b_a": draw(arrays((A,)))}
    g = draw(arrays((v,) if n is None else (n, v)))
    return q, K, V, params, g


# -- the torch oracle ------------------------------------------------------------------------

def torch_attention(kind, q, K, V, **p):
    """Attention in torch: SDPA for the dot scores, eq. 43, 44, 47 written out for additive."""
    q2 = q[None] if q.dim() == 1 else q
    if kind == "additive":
        u = (q2 @ p["W_q"].T)[:, None, :] + (K @ p["W_k"].T)[None, :, :] + p["b_a"]
        alpha = torch.softmax(torch.tanh(u) @ p["w_a"], dim=-1)
        out = alpha @ V
    else:
        scale = 1.0 if kind == "dot" else None  # None: SDPA's own 1/sqrt(E)
        out = F.scaled_dot_product_attention(q2, K, V, scale=scale)
    return out[0] if q.dim() == 1 else out


def torch_reference(kind, q, K, V, params, g):
    """torch's output and its autograd gradients, as NumPy float64."""
    named = {"q": q, "K": K, "V": V, **params}
    t = {k: torch.tensor(a, dtype=torch.float64, requires_grad=True) for k, a in named.items()}
    out = torch_attention(kind, t["q"], t["K"], t["V"], **{k: t[k] for k in params})
    grads = torch.autograd.grad(out, list(t.values()), torch.tensor(g))
    return out.detach().numpy(), {k: d.numpy() for k, d in zip(t, grads)}


def call(kind, q, K, V, params, g=None):
    args = (q, K, V, *(params[k] for k in PARAMS)) if kind == "additive" else (q, K, V)
    return FORWARD[kind](*args) if g is None else VJP[kind](*args, g)


def flat(grads):
    return {"q": grads.q, "K": grads.K, "V": grads.V, **grads.params}


@pytest.mark.parametrize("kind", list(FORWARD))
@settings(max_examples=40)
@given(data=st.data())
def test_output_and_every_gradient_match_torch_autograd(kind, data):
    q, K, V, params, g = data.draw(problems(kind))
    out, want = torch_reference(kind, q, K, V, params, g)
    np.testing.assert_allclose(call(kind, q, K, V, params), out, **F64)
    got = flat(call(kind, q, K, V, params, g))
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], **F64, err_msg=f"∂L/∂{name}")
        assert got[name].dtype == np.float64


@pytest.mark.parametrize("score", ["dot", "scaled_dot", "additive"])
@settings(max_examples=25)
@given(data=st.data())
def test_self_attention_matches_torch_with_x_as_query_key_and_value(score, data):
    n, d = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    X, g = data.draw(arrays((n, d))), data.draw(arrays((n, d)))
    params = {}
    if score == "additive":
        A = data.draw(st.integers(1, 3))
        params = {"w_a": data.draw(arrays((A,))), "W_q": data.draw(arrays((A, d))),
                  "W_k": data.draw(arrays((A, d))), "b_a": data.draw(arrays((A,)))}
    # eq. 48: y_i = Attention(x_i, (x_1, x_1), ..., (x_n, x_n)); one tensor in all three places
    t = {k: torch.tensor(a, requires_grad=True) for k, a in {"X": X, **params}.items()}
    Y = torch_attention(score, t["X"], t["X"], t["X"], **{k: t[k] for k in params})
    want = dict(zip(t, torch.autograd.grad(Y, list(t.values()), torch.tensor(g))))
    np.testing.assert_allclose(self_attention(X, score, params or None), Y.detach().numpy(),
                               **F64)
    grads = self_attention_vjp(X, g, score, params or None)
    np.testing.assert_allclose(grads.X, want["X"].numpy(), **F64)
    assert set(grads.params) == set(params)
    for k in params:
        np.testing.assert_allclose(grads.params[k], want[k].numpy(), **F64, err_msg=k)
    # each y_i is the attention of the single query x_i over all inputs
    for i in range(n):
        np.testing.assert_allclose(self_attention(X, score, params or None)[i],
                                   call(score, X[i], X, X, params), **F64)


# -- central differences ---------------------------------------------------------------------

def central_differences(f, arrays_, h=1e-6):
    """∂f/∂(every entry of every array) by (f(x + h) − f(x − h)) / 2h, in float64."""
    out = {}
    for name, a in arrays_.items():
        d = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus, minus = dict(arrays_), dict(arrays_)
            plus[name], minus[name] = a.copy(), a.copy()
            plus[name][idx] += h
            minus[name][idx] -= h
            d[idx] = (f(**plus) - f(**minus)) / (2 * h)
        out[name] = d
    return out


@pytest.mark.parametrize("kind", list(FORWARD))
@pytest.mark.parametrize("n", [None, 3])
def test_gradients_match_central_differences(kind, n):
    rng = np.random.default_rng(48)
    Q, Kd, A, m, v = 3, (4 if kind == "additive" else 3), 2, 5, 2
    named = {"q": rng.standard_normal((Q,) if n is None else (n, Q)),
             "K": rng.standard_normal((m, Kd)), "V": rng.standard_normal((m, v))}
    if kind == "additive":
        named |= {"w_a": rng.standard_normal(A), "W_q": rng.standard_normal((A, Q)),
                  "W_k": rng.standard_normal((A, Kd)), "b_a": rng.standard_normal(A)}
    g = rng.standard_normal((v,) if n is None else (n, v))

    def loss(q, K, V, **params):  # L = <g, Attention(q, K, V)>, so ∂L/∂output = g
        return float(np.sum(g * call(kind, q, K, V, params)))

    want = central_differences(loss, named)
    got = flat(call(kind, named["q"], named["K"], named["V"],
                    {k: named[k] for k in PARAMS if k in named}, g))
    # truncation h²·|f'''| ≈ 1e-12 plus rounding ε·|L|/h ≈ 1e-10
    for name in named:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-8,
                                   err_msg=f"∂L/∂{name}")


def test_self_attention_gradient_matches_central_differences():
    rng = np.random.default_rng(480)
    X, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    want = central_differences(lambda X: float(np.sum(g * self_attention(X))), {"X": X})["X"]
    np.testing.assert_allclose(self_attention_vjp(X, g).X, want, rtol=1e-6, atol=1e-8)


# -- eq. 44: the weights are a probability vector, even for huge scores ----------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=60)
@given(data=st.data())
def test_weights_are_a_probability_vector_for_scores_up_to_1e4(dtype, data):
    width = np.finfo(dtype).bits
    scores = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
                                  elements=st.floats(-1e4, 1e4, width=width,
                                                     allow_subnormal=False)))
    # conftest turns every NumPy floating-point error into an exception and pytest every
    # warning into an error: a naive exp(1e4) would fail here
    alpha = attention_weights(scores)
    eps = np.finfo(dtype).eps
    assert alpha.dtype == dtype
    assert np.all(alpha >= 0) and np.all(alpha <= 1)
    np.testing.assert_allclose(alpha.sum(axis=-1), 1.0, rtol=0, atol=4 * scores.shape[-1] * eps)
    top = np.argmax(scores, axis=-1)
    assert np.all(np.take_along_axis(alpha, top[..., None], -1) >= 1 / scores.shape[-1] - eps)
    want = torch.softmax(torch.tensor(scores.astype(np.float64)), dim=-1)
    np.testing.assert_allclose(alpha, want.numpy(), rtol=0, atol=8 * eps)


@settings(max_examples=40)
@given(q=arrays((1,), -100, 100), K=arrays((4, 1), -100, 100), V=arrays((4, 2)),
       g=arrays((2,)))
def test_attention_and_gradients_are_finite_for_scores_up_to_1e4(q, K, V, g):
    # Q = 1 and entries up to 100: dot scores reach ±1e4
    out, want = torch_reference("dot", q, K, V, {}, g)
    np.testing.assert_allclose(attention_dot(q, K, V), out, **F64)
    # a convex combination of the values
    assert np.all(attention_dot(q, K, V) >= V.min(axis=0) - 1e-12)
    assert np.all(attention_dot(q, K, V) <= V.max(axis=0) + 1e-12)
    got = flat(attention_dot_vjp(q, K, V, g))
    for name in want:  # ∂L/∂q and ∂L/∂K carry a factor K or q of size up to 100
        assert np.all(np.isfinite(got[name]))
        # weights of e^-700 give gradients near 1e-300, and rtol·|want| underflows in the
        # comparison itself (not in the code under test)
        with np.errstate(under="ignore"):
            np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-9,
                                       err_msg=f"∂L/∂{name}")


# -- eq. 48: self-attention is permutation-equivariant ----------------------------------------

@pytest.mark.parametrize("score", ["dot", "scaled_dot", "additive"])
@settings(max_examples=30)
@given(data=st.data())
def test_permuting_the_inputs_permutes_the_outputs_and_gradients(score, data):
    n, d = data.draw(st.integers(2, 6)), data.draw(st.integers(1, 4))
    X, g = data.draw(arrays((n, d))), data.draw(arrays((n, d)))
    perm = np.array(data.draw(st.permutations(range(n))))
    params = None
    if score == "additive":
        A = data.draw(st.integers(1, 3))
        params = {"w_a": data.draw(arrays((A,))), "W_q": data.draw(arrays((A, d))),
                  "W_k": data.draw(arrays((A, d))), "b_a": data.draw(arrays((A,)))}
    np.testing.assert_allclose(self_attention(X[perm], score, params),
                               self_attention(X, score, params)[perm], **F64)
    moved, kept = self_attention_vjp(X[perm], g[perm], score, params), \
        self_attention_vjp(X, g, score, params)
    np.testing.assert_allclose(moved.X, kept.X[perm], **F64)
    for k in moved.params:  # parameters are shared by all positions: unchanged
        np.testing.assert_allclose(moved.params[k], kept.params[k], **F64)


# -- eq. 46: "scaled by sqrt(d) to ensure the variance of the score remains 1" -------------

N_SCORES = 20_000


def sample_variance_sd(d: int, n: int) -> float:
    """The standard deviation of the sample variance of n scores qᵀk/√d.

    With z_j = q_j k_j (q_j, k_j independent N(0, 1)): E z_j² = 1, E z_j⁴ = 9, so
    S = Σ_j z_j/√d has σ² = 1 and fourth moment μ4 = (9d + 3d(d − 1))/d² = 3 + 6/d.
    The unbiased sample variance then has variance μ4/n − σ⁴(n − 3)/(n(n − 1)).
    """
    return math.sqrt((3 + 6 / d) / n - (n - 3) / (n * (n - 1)))


@pytest.mark.parametrize("d", [1, 2, 8, 32, 128, 512])
def test_scaled_scores_have_unit_variance_for_every_d(d):
    # 6 standard deviations of the sample variance (≈ 0.12 at d = 1, ≈ 0.06 for large d):
    # the sample variance of 20 000 scores is close to normal, so a correct implementation
    # would fail with probability below 1e-8; a missing or doubled √d is off by d − 1 or
    # 1 − 1/d, far more than this at every d ≥ 2 (d = 1 cannot tell them apart)
    tol = 6 * sample_variance_sd(d, N_SCORES)
    assert abs(score_variance(d, N_SCORES, rng=d) - 1) <= tol
    assert abs(score_variance(d, N_SCORES, rng=1000 + d, scaled=False) / d - 1) <= tol


def test_unscaled_score_variance_grows_with_d():
    ds = [1, 4, 16, 64, 256]
    unscaled = [score_variance(d, N_SCORES, rng=7 + d, scaled=False) for d in ds]
    scaled = [score_variance(d, N_SCORES, rng=70 + d) for d in ds]
    # each step multiplies the expected variance by 4; the sampling error is ≤ 12 % (above)
    assert all(b > 3 * a for a, b in zip(unscaled, unscaled[1:]))
    assert max(scaled) - min(scaled) < 0.25


@settings(max_examples=40)
@given(data=st.data())
def test_dot_score_is_scaled_score_times_sqrt_d(data):
    q, K, _, _, _ = data.draw(problems("dot"))
    d = K.shape[1]
    np.testing.assert_allclose(dot_score(q, K), scaled_dot_score(q, K) * math.sqrt(d), **F64)
    # and the scores are the printed qᵀk_i, one per key
    want = np.array([[qq @ k for k in K] for qq in np.atleast_2d(q)])
    np.testing.assert_allclose(np.atleast_2d(dot_score(q, K)), want, **F64)


# -- eq. 43: special cases that fix the answer ------------------------------------------------

@pytest.mark.parametrize("kind", list(FORWARD))
@settings(max_examples=30)
@given(data=st.data())
def test_one_key_returns_its_value(kind, data):
    q, K, V, params, _ = data.draw(problems(kind).filter(lambda p: p[1].shape[0] == 1))
    out = call(kind, q, K, V, params)
    np.testing.assert_array_equal(out, np.broadcast_to(V[0], out.shape))


@pytest.mark.parametrize("kind", list(FORWARD))
@settings(max_examples=30)
@given(data=st.data())
def test_equal_scores_give_the_mean_of_the_values(kind, data):
    q, K, V, params, _ = data.draw(problems(kind))
    K = np.broadcast_to(K[:1], K.shape).copy()  # m copies of one key: every score equal
    out = call(kind, q, K, V, params)
    np.testing.assert_allclose(out, np.broadcast_to(V.mean(axis=0), out.shape), **F64)


@pytest.mark.parametrize("kind", list(FORWARD))
@settings(max_examples=20)
@given(data=st.data())
def test_a_batch_of_queries_is_the_queries_one_at_a_time(kind, data):
    q, K, V, params, g = data.draw(problems(kind, n=data.draw(st.integers(1, 4))))
    batch, grads = call(kind, q, K, V, params), call(kind, q, K, V, params, g)
    singles = [call(kind, q[i], K, V, params, g[i]) for i in range(len(q))]
    np.testing.assert_allclose(batch, [call(kind, qi, K, V, params) for qi in q], **F64)
    np.testing.assert_allclose(grads.q, [s.q for s in singles], **F64)
    # K, V and the parameters are shared: their gradients add up over the queries
    for name, total in flat(grads).items():
        if name != "q":
            np.testing.assert_allclose(total, sum(flat(s)[name] for s in singles), **F64)


# -- precision -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(FORWARD))
@settings(max_examples=20)
@given(data=st.data())
def test_float32_in_float32_out_close_to_float64(kind, data):
    q, K, V, params, g = data.draw(problems(kind))
    p32 = {k: a.astype(np.float32) for k, a in params.items()}
    args32 = (q.astype(np.float32), K.astype(np.float32), V.astype(np.float32), p32)
    out32, grads32 = call(kind, *args32), call(kind, *args32, g.astype(np.float32))
    assert out32.dtype == np.float32
    # the float64 result of the float32-rounded inputs; float32 rounding of scores below
    # ~40 and a handful of operations: a few hundred float32 ulps at most
    args64 = (*(a.astype(np.float64) for a in args32[:3]),
              {k: a.astype(np.float64) for k, a in p32.items()})
    np.testing.assert_allclose(out32, call(kind, *args64), rtol=1e-4, atol=1e-5)
    g64 = flat(call(kind, *args64, g.astype(np.float32).astype(np.float64)))
    for name, a in flat(grads32).items():
        assert a.dtype == np.float32, name
        np.testing.assert_allclose(a, g64[name], rtol=1e-4, atol=1e-4, err_msg=name)


def test_mixed_and_integer_inputs_compute_in_float64():
    q32 = np.ones(2, np.float32)
    K, V = np.array([[1, 0], [0, 1]]), np.array([[1.0], [3.0]], np.float32)
    assert attention_dot(q32, K, V).dtype == np.float64
    assert attention_dot(q32, K.astype(np.float32), V).dtype == np.float32
    assert attention_weights(np.array([1, 2, 3])).dtype == np.float64


# -- errors ------------------------------------------------------------------------------------

Z = np.zeros
ADD = {"w_a": Z(2), "W_q": Z((2, 3)), "W_k": Z((2, 4)), "b_a": Z(2)}

BAD = [
    pytest.param(lambda: attention_dot(Z((2, 3, 4)), Z((5, 4)), Z((5, 2))),
                 "attention_dot: q must have shape (Q,) or (n, Q), got (2, 3, 4)", id="q-rank"),
    pytest.param(lambda: attention_dot(Z(4), Z(4), Z((4, 2))),
                 "attention_dot: K must have shape (m, K), got (4,)", id="K-rank"),
    pytest.param(lambda: attention_scaled_dot(Z(4), Z((5, 4)), Z(5)),
                 "attention_scaled_dot: V must have shape (m, v), got (5,)", id="V-rank"),
    pytest.param(lambda: attention_dot(Z(4), Z((0, 4)), Z((0, 2))),
                 "attention_dot: attention needs at least one key (m >= 1), got K (0, 4)",
                 id="no-keys"),
    pytest.param(lambda: attention_dot(Z(4), Z((5, 4)), Z((4, 2))),
                 "attention_dot: K and V must have one row per key, got K (5, 4) (m = 5) "
                 "and V (4, 2) (m = 4)", id="m-mismatch"),
    pytest.param(lambda: attention_dot(Z(3), Z((5, 4)), Z((5, 2))),
                 "attention_dot: the dot score q^T k_i needs Q == K, got q (3,) (Q = 3) and "
                 "K (5, 4) (K = 4); the additive score takes keys of another size",
                 id="dot-Q-ne-K"),
    pytest.param(lambda: scaled_dot_score(Z((2, 3)), Z((5, 4))),
                 "scaled_dot_score: the dot score q^T k_i needs Q == K, got q (2, 3) (Q = 3) "
                 "and K (5, 4) (K = 4); the additive score takes keys of another size",
                 id="scaled-score-Q-ne-K"),
    pytest.param(lambda: attention_additive(Z(3), Z((5, 4)), Z((5, 2)), Z((2, 1)), Z((2, 3)),
                                            Z((2, 4)), Z(2)),
                 "attention_additive: w_a must have shape (A,), got (2, 1)", id="w_a-rank"),
    pytest.param(lambda: attention_additive(Z(3), Z((5, 4)), Z((5, 2)), Z(2), Z((2, 4)),
                                            Z((2, 4)), Z(2)),
                 "attention_additive: W_q must have shape (A, Q) = (2, 3) with A = 2 from "
                 "w_a (2,), got (2, 4)", id="W_q-shape"),
    pytest.param(lambda: attention_additive_vjp(Z(3), Z((5, 4)), Z((5, 2)), Z(2), Z((2, 3)),
                                                Z((2, 3)), Z(2), Z(2)),
                 "attention_additive_vjp: W_k must have shape (A, K) = (2, 4) with A = 2 "
                 "from w_a (2,), got (2, 3)", id="W_k-shape"),
    pytest.param(lambda: attention_additive(Z(3), Z((5, 4)), Z((5, 2)), Z(2), Z((2, 3)),
                                            Z((2, 4)), Z(3)),
                 "attention_additive: b_a must have shape (A,) = (2,) with A = 2 from w_a "
                 "(2,), got (3,)", id="b_a-shape"),
    pytest.param(lambda: attention_dot_vjp(Z(4), Z((5, 4)), Z((5, 2)), Z((1, 2))),
                 "attention_dot_vjp: the upstream gradient g must have the output's shape "
                 "(2,), got (1, 2)", id="g-shape"),
    pytest.param(lambda: self_attention(Z(4)),
                 "self_attention: X must have shape (n, d) with n >= 1, one input x_i per "
                 "row, got (4,)", id="X-rank"),
    pytest.param(lambda: self_attention_vjp(Z((0, 3)), Z((0, 3))),
                 "self_attention_vjp: X must have shape (n, d) with n >= 1, one input x_i per "
                 "row, got (0, 3)", id="X-empty"),
    pytest.param(lambda: self_attention(Z((3, 4)), "additive", ADD),
                 "self_attention: W_q must have shape (A, Q) = (2, 4) with A = 2 from w_a "
                 "(2,), got (2, 3)", id="self-W_q"),
    pytest.param(lambda: attention_weights(Z((2, 0))),
                 "attention_weights: scores must have shape (m,) or (n, m) with m >= 1, "
                 "got (2, 0)", id="weights-empty"),
    pytest.param(lambda: att.softmax_vjp(Z(3), Z(4)),
                 "softmax_vjp: weights must be (m,) or (n, m) and g the same shape, got "
                 "weights (3,) and g (4,)", id="softmax-vjp"),
]


@pytest.mark.parametrize("bad, message", BAD)
def test_bad_shapes_raise_shape_error_naming_the_shapes(bad, message):
    with pytest.raises(ShapeError) as info:
        bad()
    assert str(info.value) == message


OTHER = [
    pytest.param(lambda: self_attention(Z((3, 2)), "cosine"),
                 "self_attention: unknown score 'cosine'; choose one of 'dot', 'scaled_dot', "
                 "'additive'", id="unknown-score"),
    pytest.param(lambda: self_attention(Z((3, 2)), "dot", {"w_a": Z(2)}),
                 "self_attention: the dot score has no parameters, got w_a", id="dot-params"),
    pytest.param(lambda: self_attention(Z((3, 2)), "additive", {"w_a": Z(2), "W_q": Z((2, 2)),
                                                                "v_a": Z(2)}),
                 "self_attention: the additive score takes params w_a, W_q, W_k, b_a; missing "
                 "W_k, b_a; unknown v_a", id="additive-keys"),
    pytest.param(lambda: self_attention(Z((3, 2)), "additive", [("w_a", Z(2))]),
                 "self_attention: params must be a mapping of names to arrays, got list",
                 id="params-not-mapping"),
    pytest.param(lambda: attention_dot(np.array([np.nan, 0.0]), Z((1, 2)), Z((1, 1))),
                 "attention_dot: q has non-finite entries; attention is defined for finite "
                 "inputs", id="nan"),
    pytest.param(lambda: attention_dot(np.array([1e300, 0.0]), np.array([[1e300, 0.0]]),
                                       Z((1, 1))),
                 "attention_dot: a score overflowed float64; scale the inputs down",
                 id="overflow"),
    pytest.param(lambda: attention_dot(np.array([1e20, 0.0], np.float32),
                                       np.array([[1e20, 0.0]], np.float32), Z((1, 1), np.float32)),
                 "attention_dot: a score overflowed float32; scale the inputs down or compute "
                 "in float64", id="overflow-float32"),
    pytest.param(lambda: attention_dot(np.ones(2, complex), Z((1, 2)), Z((1, 1))),
                 "attention_dot: attention takes real arrays, got dtype complex128",
                 id="complex"),
    pytest.param(lambda: score_variance(0, 10), "score_variance: d must be an int >= 1, got 0",
                 id="variance-d"),
    pytest.param(lambda: score_variance(3, 1.5),
                 "score_variance: n must be an int >= 2, got 1.5", id="variance-n"),
]


@pytest.mark.parametrize("bad, message", OTHER)
def test_other_bad_input_raises_seqcheck_error(bad, message):
    with pytest.raises(SeqcheckError) as info:
        bad()
    assert not isinstance(info.value, ShapeError)
    assert str(info.value) == message


def test_entries_name_their_functions_and_equations():
    by_name = {e.name: e for e in att.ENTRIES}
    assert set(by_name) == {"attention_dot", "attention_scaled_dot", "attention_additive",
                            "self_attention"}
    for name, e in by_name.items():
        assert e.kind == "function" and e.tests == ("tests/test_attention.py",)
        assert e.load() is getattr(att, name)
        assert e.sources[0].file == "000_bdb039f7b454a225.txt"
    assert by_name["attention_scaled_dot"].sources[0].equations == ("43", "44", "46")
    assert "48" in by_name["self_attention"].sources[0].equations
