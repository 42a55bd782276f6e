"""The lectures' claims about vanishing and exploding gradients, as computations.

Each function turns one printed claim into numbers that a test compares with an
independent oracle (``numpy.linalg``) or with the state Jacobians J_t = ∂s_t/∂s_{t-1}
of the derived backward pass (:func:`seqcheck.derive.state_jacobians`):

- seed 000 eq. (26)-(28) and seed 003 "Long-term dependencies problem": the linear
  recurrence h_t = Wᵀ h_{t-1} and its eigen-decomposition (:func:`eq28_forms`,
  :func:`linear_norm_bounds`);
- seed 002 "Another look at the gradients" and "Vanishing gradients": the recursive product
  ∂c_t/∂c_τ = Π_{t≥k>τ} ∂c_k/∂c_{k-1} (:func:`jacobian_product`, :func:`product_norms`,
  :func:`alternative_product`) and its bound η^(t-τ), which Pascanu et al. (2013) make
  precise (:func:`pascanu_rate`, :func:`can_explode`, :func:`check_rate`);
- seed 000 eq. (29): leaky units (:func:`leaky_rates`); seed 002 "LSTM": the cell's
  constant error carousel (:func:`carousel_gain`).

Orientation: J_t has row i = component i of s_t and column j = component j of s_{t-1}, so
∂s_t/∂s_τ = J_t J_{t-1} ⋯ J_{τ+1}, and a row-vector adjoint ∂L/∂s_t times it is ∂L/∂s_τ
(seed 002's left-to-right product). Norms are spectral (2-)norms.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import SeqcheckError, ShapeError
from ..spec import Spec, loads_spec

__all__ = [
    "EigenForms",
    "NormBounds",
    "RateCheck",
    "alternative_product",
    "alternative_rnn",
    "can_explode",
    "carousel_gain",
    "check_rate",
    "eq28_forms",
    "jacobian_product",
    "leaky_rates",
    "linear_norm_bounds",
    "linear_recurrence",
    "linear_rnn",
    "pascanu_rate",
    "product_norms",
]


# -- seed 000 eq. (26)-(28): the linear recurrence ------------------------------------------

def linear_recurrence(W, h0, steps: int) -> np.ndarray:
    """Iterate seed 000 eq. (26), h_t = Wᵀ h_{t-1}, from h_0.

    Arguments:
        W: ``(n, n)``.
        h0: ``(n,)``.
        steps: the last t.
    Returns:
        ``(steps + 1, n)``: h_0, h_1, ..., h_steps.

    >>> # a diagonal W scales each coordinate by its eigenvalue at every step
    >>> linear_recurrence(np.diag([0.5, 2.0]), np.ones(2), 3)[-1]
    array([0.125, 8.   ])
    """
    W, h = np.asarray(W, dtype=float), np.asarray(h0, dtype=float)
    out = [h]
    for _ in range(steps):
        h = W.T @ h
        out.append(h)
    return np.stack(out)


class EigenForms(NamedTuple):
    """h_t of seed 000 eq. (27) and (28), for W = V diag(λ) V⁻¹; each ``(n,)``.

    Arguments:
        W: ``(n, n)``, V diag(λ) V⁻¹.
        eq27: (W^t)ᵀ h_0, eq. (27), with W^t a product of t factors.
        printed: Vᵀ Λ^t V h_0, eq. (28) as printed (Q := V).
        corrected: V⁻ᵀ Λ^t Vᵀ h_0; Q Λ^t Qᵀ h_0 for an orthogonal V = Q.
    """

    W: np.ndarray
    eq27: np.ndarray
    printed: np.ndarray
    corrected: np.ndarray


def eq28_forms(V, lam, h0, t: int) -> EigenForms:
    """Seed 000 eq. (27) and (28) side by side, for W = V diag(λ) V⁻¹.

    Seed 003 ("Long-term dependencies problem") prints the premise seed 000 leaves out:
    W = Q Λ Qᵀ (Q orthogonal, its columns the eigenvectors) ⇒ h(t) = Qᵀ Λ^t Q h(0).
    But W^t = Q Λ^t Qᵀ, which is symmetric, so (W^t)ᵀ h_0 = Q Λ^t Qᵀ h_0. The printed
    form swaps Q and Qᵀ: it is the recurrence of Qᵀ Λ Q, another matrix with the same
    eigenvalues, and it changes when one eigenvector's sign is flipped. For a general
    diagonalisable W = V Λ V⁻¹, (W^t)ᵀ = V⁻ᵀ Λ^t Vᵀ.

    Arguments:
        V: ``(n, n)`` invertible, real; the lecture's Q when orthogonal.
        lam: ``(n,)`` real eigenvalues.
        h0: ``(n,)``.
        t: the power, ``t >= 0``.
    Returns:
        :class:`EigenForms`.

    >>> # W = Q diag(2, 1/2) Qᵀ with Q a rotation by 45°: the printed form is wrong
    >>> c = np.sqrt(0.5)
    >>> f = eq28_forms([[c, -c], [c, c]], [2.0, 0.5], [1.0, 0.0], 3)
    >>> f.eq27.round(4), f.corrected.round(4), f.printed.round(4)
    (array([4.0625, 3.9375]), array([4.0625, 3.9375]), array([ 4.0625, -3.9375]))
    """
    V = np.asarray(V)
    lam, h0 = np.asarray(lam), np.asarray(h0, dtype=float)
    n = h0.shape[0]
    if V.shape != (n, n) or lam.shape != (n,):
        raise ShapeError(f"eq28_forms: V must be ({n}, {n}) and lam ({n},) for h0 of shape "
                         f"({n},), got V {V.shape} and lam {lam.shape}")
    if np.iscomplexobj(V) or np.iscomplexobj(lam):
        raise SeqcheckError("eq28_forms: eq. (28) is about a real Λ; for complex eigenvalues "
                            "use linear_norm_bounds, which takes W itself")
    if t < 0:
        raise SeqcheckError(f"eq28_forms: t must be >= 0, got {t}")
    V, lam = V.astype(float), lam.astype(float)
    W = V @ np.diag(lam) @ np.linalg.inv(V)
    Wt = np.eye(n)
    for _ in range(t):
        Wt = Wt @ W
    power = lam ** t
    return EigenForms(
        W=W,
        eq27=Wt.T @ h0,
        printed=V.T @ (power * (V @ h0)),
        corrected=np.linalg.solve(V.T, power * (V.T @ h0)),
    )


class NormBounds(NamedTuple):
    """Bounds on ‖h_t‖₂ for h_t = (W^t)ᵀ h_0, from W = V Λ V⁻¹ (floats).

    Arguments:
        rho: the spectral radius max |λ_i|.
        lower: ρ^t ‖c_top‖ / ‖V‖₂, where c = Vᵀ h_0 and c_top keeps its entries with
            |λ_i| = ρ: it grows like ρ^t unless h_0 has no component there.
        upper: κ₂(V) ρ^t ‖h_0‖: it vanishes like ρ^t when ρ < 1.
    """

    rho: float
    lower: float
    upper: float


def linear_norm_bounds(W, h0, t: int, *, top_rtol: float = 1e-9) -> NormBounds:
    """How fast ‖h_t‖ vanishes or grows under seed 000 eq. (26): rate ρ, not λ_i.

    Seed 000 (after eq. 28) says "λ_i < 1: decay to zero, λ_i > 1: exploding". The
    moduli decide: h_t = V⁻ᵀ Λ^t Vᵀ h_0 gives ρ^t ‖c_top‖/‖V‖ ≤ ‖h_t‖ ≤ κ(V) ρ^t ‖h_0‖, so
    an eigenvalue −2 (< 1) explodes. W must be diagonalisable (κ₂(V) ≤ 10¹²); a
    defective W, such as a Jordan block, is refused.

    Arguments:
        W: ``(n, n)`` real.
        h0: ``(n,)``.
        t: the step, ``t >= 0``.
        top_rtol: eigenvalues with |λ_i| ≥ ρ (1 − top_rtol) count as top ones.
    Returns:
        :class:`NormBounds`.
    Raises:
        SeqcheckError: W is not diagonalisable to working precision.

    >>> # an eigenvalue -2 is below 1, and the state still doubles at every step
    >>> b = linear_norm_bounds(np.diag([-2.0, 0.5]), [1.0, 1.0], 10)
    >>> b.rho, b.lower, round(b.upper, 2)
    (2.0, 1024.0, 1448.15)
    """
    W, h0 = np.asarray(W, dtype=float), np.asarray(h0, dtype=float)
    lam, V = np.linalg.eig(W)
    rho = float(np.max(np.abs(lam)))
    c = V.T @ h0
    top = np.abs(lam) >= rho * (1.0 - top_rtol)
    sv = np.linalg.svd(V, compute_uv=False)
    if not sv[-1] > sv[0] * 1e-12:  # a defective W: W = V Λ V⁻¹ does not exist
        kappa = sv[0] / sv[-1] if sv[-1] > 0 else np.inf
        raise SeqcheckError(f"linear_norm_bounds: W is not diagonalisable to working "
                            f"precision: its eigenvectors have κ₂(V) = {kappa:.3g} > 1e12, "
                            "and the bounds need W = V Λ V⁻¹")
    return NormBounds(
        rho=rho,
        lower=float(rho ** t * np.linalg.norm(c[top]) / sv[0]),
        upper=float(sv[0] / sv[-1] * rho ** t * np.linalg.norm(h0)),
    )


LINEAR_RNN = '''
name = "linear_rnn"
title = "Linear recurrence with an input (seed 000 eq. 26, h_t = W^T h_{t-1}, plus U x_t)"
outputs = ["h"]

[[sources]]
file = "000_bdb039f7b454a225.txt"
where = "Long-term dependencies in RNNs"
equations = ["26"]
note = "with an input term U x_t, so that there is something to learn from"

[dims]
D = "input size"
H = "hidden size"

[inputs]
x = { shape = ["D"], doc = "input x_t" }

[states]
h = { shape = ["H"], init = "0", doc = "hidden state h_t" }

[params]
W = { shape = ["H", "H"], doc = "recurrent weights, applied transposed as in eq. 26" }
U = { shape = ["H", "D"], doc = "input weights" }

[equations]
h = "W.T @ h[t-1] + U @ x"
'''


def linear_rnn() -> Spec:
    """Seed 000 eq. (26) with an input, h_t = Wᵀ h_{t-1} + U x_t, as a spec.

    Its state Jacobian is Wᵀ at every step, so ∂h_t/∂h_τ = (W^(t-τ))ᵀ: eq. (27).

    Returns:
        The validated :class:`~seqcheck.spec.Spec` ``linear_rnn``.

    >>> linear_rnn().equation("h").shape
    (H,)
    """
    return loads_spec(LINEAR_RNN, file="<seqcheck.dynamics.theory.LINEAR_RNN>")


# -- seed 002: the recursive product and its bound ----------------------------------------

def _jacobians(jacobians) -> np.ndarray:
    J = np.asarray(jacobians)
    if J.ndim != 4 or J.shape[2] != J.shape[3]:
        raise ShapeError(f"state Jacobians must have shape (T, B, n, n), got {J.shape}")
    return J


def jacobian_product(jacobians, t: int, tau: int) -> np.ndarray:
    """∂s_t/∂s_τ = J_t J_{t-1} ⋯ J_{τ+1}: seed 002's recursive product, t ≥ k > τ.

    Arguments:
        jacobians: ``(T, B, n, n)``; ``jacobians[k - 1]`` is J_k = ∂s_k/∂s_{k-1}
            (``StateJacobians.jacobians``).
        t, tau: steps with ``0 <= tau <= t <= T``.
    Returns:
        ``(B, n, n)``; the identity when ``t == tau``.

    >>> # two steps of J = 2 I give 4 I
    >>> J = np.broadcast_to(2 * np.eye(2), (3, 1, 2, 2))
    >>> jacobian_product(J, 3, 1)[0]
    array([[4., 0.],
           [0., 4.]])
    """
    J = _jacobians(jacobians)
    T, B, n = J.shape[0], J.shape[1], J.shape[-1]
    if not 0 <= tau <= t <= T:
        raise SeqcheckError(f"jacobian_product: need 0 <= tau <= t <= T = {T}, "
                            f"got t = {t}, tau = {tau}")
    out = np.broadcast_to(np.eye(n), (B, n, n)).copy()
    with np.errstate(under="ignore"):  # a vanishing product flushing to zero is the finding
        for k in range(t, tau, -1):
            out = out @ J[k - 1]
    return out


def product_norms(jacobians) -> np.ndarray:
    """‖∂s_T/∂s_τ‖₂ for τ = 0..T: how much of the gradient at T reaches step τ.

    Arguments:
        jacobians: ``(T, B, n, n)``, as for :func:`jacobian_product`.
    Returns:
        ``(T + 1, B)``; row τ is ‖J_T ⋯ J_{τ+1}‖₂ (row T is 1).

    >>> J = np.broadcast_to(0.5 * np.eye(2), (3, 1, 2, 2))
    >>> product_norms(J)[:, 0]
    array([0.125, 0.25 , 0.5  , 1.   ])
    """
    from .measure import jacobian_products

    J = _jacobians(jacobians)
    T, B = J.shape[0], J.shape[1]
    out = np.empty((T + 1, B))
    with np.errstate(under="ignore"):  # a vanishing product flushing to zero is the finding
        for k, (log_scale, Q) in enumerate(jacobian_products(J, to_initial=True)):
            out[T - k] = np.exp(log_scale) * np.linalg.norm(Q, ord=2, axis=(-2, -1))
    return out


class RateCheck(NamedTuple):
    """A bound lower^(T-τ) ≤ ‖∂s_T/∂s_τ‖₂ ≤ upper^(T-τ) checked at every τ and batch row.

    Arguments:
        claim: what is checked, with its lecture place.
        norms: ``(T + 1, B)`` from :func:`product_norms`.
        upper, lower: ``(T + 1,)`` the bounds at each τ.
        rtol: the relative slack allowed for rounding.
    """

    claim: str
    norms: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    rtol: float

    @property
    def violations(self) -> list[str]:
        """One line per (τ, row) where a bound fails, worst ratio first."""
        T = self.norms.shape[0] - 1
        found = []
        for bound, sign, word in ((self.upper, 1, ">"), (self.lower, -1, "<")):
            b = bound[:, None]
            excess = sign * (self.norms - b) - self.rtol * b
            for tau, row in zip(*np.nonzero(excess > 0)):
                n, lim = self.norms[tau, row], bound[tau]
                ratio = (n / lim if lim > 0 else np.inf) if sign > 0 else \
                    (lim / n if n > 0 else np.inf)
                found.append((ratio, f"‖∂s_T/∂s_τ‖₂ at τ = {tau} (T = {T}), row {row}: "
                              f"{n:.6g} {word} bound {lim:.6g}"))
        return [line for _, line in sorted(found, key=lambda f: -f[0])]

    @property
    def ok(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        bad = self.violations
        head = f"{self.claim}: {'holds' if not bad else f'fails at {len(bad)} places'}"
        return "\n  ".join([head, *bad[:5]])


def check_rate(jacobians, upper_rate: float, lower_rate: float = 0.0, *, claim: str = "",
               rtol: float = 1e-9) -> RateCheck:
    """Check lower_rate^(T-τ) ≤ ‖∂s_T/∂s_τ‖₂ ≤ upper_rate^(T-τ) for every τ.

    The upper bound is seed 002's "≤ η^(t-τ)" ("Another look at the gradients") with
    η ≥ every ‖J_k‖₂ (:func:`pascanu_rate`, :func:`leaky_rates`). The lower bound follows
    from ‖J_T ⋯ J_{τ+1}‖₂ ≥ Π_k σ_min(J_k) ≥ lower_rate^(T-τ).

    Arguments:
        jacobians: ``(T, B, n, n)``, as for :func:`jacobian_product`.
        upper_rate, lower_rate: per-step rates, ``lower_rate >= 0``.
        claim: a label for the result.
        rtol: relative slack for rounding.
    Returns:
        :class:`RateCheck`; ``.ok`` says whether the bounds hold.

    >>> # three steps of 0.5 I stay within 0.6^(T-τ), and not within 0.4^(T-τ)
    >>> J = np.broadcast_to(0.5 * np.eye(2), (3, 1, 2, 2))
    >>> check_rate(J, 0.6).ok, check_rate(J, 0.4).ok
    (True, False)
    """
    norms = product_norms(jacobians)
    T = norms.shape[0] - 1
    k = T - np.arange(T + 1)
    return RateCheck(claim=claim or f"lower {lower_rate:.6g}, upper {upper_rate:.6g} per step",
                     norms=norms, upper=float(upper_rate) ** k,
                     lower=float(lower_rate) ** k if lower_rate > 0 else np.zeros(T + 1),
                     rtol=rtol)


def pascanu_rate(W, gamma: float) -> float:
    """η = σ_max(W) γ, a bound on every ‖∂h_t/∂h_{t-1}‖₂ of h_t = f(W h_{t-1} + U x_t + b).

    Pascanu et al. (2013), cited by seed 002 ("Regularization on the recurrent weights"):
    ∂h_t/∂h_{t-1} = diag(f'(a_t)) W with |f'| ≤ γ, so ‖∂h_t/∂h_τ‖₂ ≤ η^(t-τ), seed 002's
    "≤ η^(t-τ)". η < 1 is sufficient for vanishing. The same holds for seed 002's
    alternative formulation c_t = W tanh(c_{t-1}) + U x_t + b, whose Jacobian is
    W diag(tanh'(c_{t-1})).

    Arguments:
        W: ``(n, n)`` the recurrent weights.
        gamma: sup |f'| (:data:`~seqcheck.dynamics.recurrence.GAMMA`: 1 for tanh, 1/4 for
            sigmoid).
    Returns:
        η (float).

    >>> from seqcheck.dynamics.recurrence import GAMMA
    >>> pascanu_rate(3.0 * np.eye(2), GAMMA["sigmoid"])
    0.75
    """
    return float(np.linalg.norm(np.asarray(W, dtype=float), ord=2) * gamma)


def can_explode(W, gamma: float) -> bool:
    """Pascanu et al.'s necessary condition for exploding gradients: σ_max(W) > 1/γ.

    If σ_max(W) ≤ 1/γ, then η ≤ 1 and ‖∂h_t/∂h_τ‖₂ ≤ 1 for all t ≥ τ, whatever the
    inputs and biases: the gradient cannot grow. The converse fails: with σ_max(W) > 1/γ
    saturated units still make it vanish.

    Arguments:
        W: ``(n, n)`` the recurrent weights.
        gamma: sup |f'| (:data:`~seqcheck.dynamics.recurrence.GAMMA`).
    Returns:
        ``True`` when σ_max(W) γ > 1.

    >>> # σ_max = 3 < 1/γ = 4: a sigmoid RNN with this W cannot explode
    >>> can_explode(3.0 * np.eye(2), 0.25)
    False
    """
    return pascanu_rate(W, gamma) > 1.0


def leaky_rates(W, alpha: float, gamma: float) -> tuple[float, float]:
    """Per-step bounds on the leaky unit's Jacobian, seed 000 eq. (29).

    Spec ``leaky_rnn`` reads eq. (29) as h_t = α h_{t-1} + (1 − α) h̃_t with
    h̃_t = f(W h_{t-1} + ...), so ∂h_t/∂h_{t-1} = α I + (1 − α) diag(f'(a_t)) W and
    |α| − |1 − α| η ≤ σ_min, σ_max ≤ |α| + |1 − α| η with η = σ_max(W) γ. For α near 1
    the gradient can neither vanish nor explode fast: that is why leaky units help.

    Arguments:
        W: ``(n, n)`` the recurrent weights (``W_hh``).
        alpha: the leak weight of the previous state.
        gamma: sup |f'| (:data:`~seqcheck.dynamics.recurrence.GAMMA`).
    Returns:
        ``(upper, lower)`` per-step rates for :func:`check_rate` (``lower`` clipped at 0).

    >>> # α = 3/4 and η = 1/2: the gradient shrinks by at most 0.625 and at least 0.875 a step
    >>> leaky_rates(0.5 * np.eye(2), 0.75, 1.0)
    (0.875, 0.625)
    """
    eta = pascanu_rate(W, gamma)
    a, b = abs(float(alpha)), abs(1.0 - float(alpha))
    return a + b * eta, max(0.0, a - b * eta)


ALTERNATIVE_RNN = '''
name = "rnn_alternative"
title = "Seed 002's alternative formulation, c_t = W tanh(c_{t-1}) + U x_t + b"
notes = """
Seed 002 introduces it "to derive conclusions and intuitions"; it is Pascanu et al.'s
(2013) x_t = W_rec sigma(x_{t-1}) + W_in u_t + b. Its Jacobian is W diag(tanh'(c_{t-1})).
"""
outputs = ["c"]

[[sources]]
file = "002_eda597ced39c7a1d.txt"
where = "Alternative formulation for RNNs"
equations = ["c_t = W tanh(c_{t-1}) + U x_t + b"]

[dims]
D = "input size"
H = "state size"

[inputs]
x = { shape = ["D"], doc = "input x_t" }

[states]
c = { shape = ["H"], init = "0", doc = "state c_t (c_0 = 0)" }

[params]
W = { shape = ["H", "H"], doc = "recurrent weights" }
U = { shape = ["H", "D"], doc = "input weights" }
b = { shape = ["H"], doc = "bias" }

[equations]
c = "W @ tanh(c[t-1]) + U @ x + b"
'''


def alternative_rnn() -> Spec:
    """Seed 002's "Alternative formulation for RNNs", c_t = W tanh(c_{t-1}) + U x_t + b.

    Returns:
        The validated :class:`~seqcheck.spec.Spec` ``rnn_alternative``.

    >>> list(alternative_rnn().states)
    ['c']
    """
    return loads_spec(ALTERNATIVE_RNN, file="<seqcheck.dynamics.theory.ALTERNATIVE_RNN>")


def alternative_product(W, c, t: int, tau: int, *, as_printed: bool = False) -> np.ndarray:
    """Seed 002 "Vanishing gradients": ∂c_t/∂c_τ = Π_k W · ∂tanh(c_{k-1}), by formula.

    The slide writes the product over t ≥ k ≥ τ; ∂c_t/∂c_τ has the t − τ factors
    t ≥ k > τ. With ``as_printed=True`` the extra factor k = τ is included, which gives
    ∂c_t/∂c_{τ-1} instead.

    Arguments:
        W: ``(H, H)``.
        c: ``(T + 1, B, H)``: c_0, c_1, ..., c_T (the initial state, then the trajectory).
        t, tau: steps with ``0 <= tau <= t <= T`` (``1 <= tau`` when ``as_printed``).
        as_printed: use the slide's bounds t ≥ k ≥ τ.
    Returns:
        ``(B, H, H)``: W diag(1 − tanh²(c_{t-1})) ⋯ W diag(1 − tanh²(c_{first-1})).

    >>> # at c = 0 every factor is W: three factors as printed, two as it should be
    >>> c = np.zeros((4, 1, 1))
    >>> alternative_product([[2.0]], c, 3, 1)[0], alternative_product([[2.0]], c, 3, 1,
    ...     as_printed=True)[0]
    (array([[4.]]), array([[8.]]))
    """
    W, c = np.asarray(W, dtype=float), np.asarray(c, dtype=float)
    T, B, H = c.shape[0] - 1, c.shape[1], c.shape[2]
    first = tau if as_printed else tau + 1
    if not (0 <= tau <= t <= T and first >= 1):
        raise SeqcheckError(f"alternative_product: need 0 <= tau <= t <= T = {T} (tau >= 1 as "
                            f"printed), got t = {t}, tau = {tau}")
    out = np.broadcast_to(np.eye(H), (B, H, H)).copy()
    for k in range(t, first - 1, -1):
        out = out @ (W[None] * (1.0 - np.tanh(c[k - 1]) ** 2)[:, None, :])
    return out


# -- seed 002 "LSTM": the constant error carousel -----------------------------------------

def carousel_gain(f, t: int, tau: int) -> np.ndarray:
    """Π_{t≥k>τ} f_k: the cell path's share of ∂c_t/∂c_τ in an LSTM.

    Seed 002 ("LSTM"): "the previous state c_{t-1} is connected to new c_t with no
    nonlinearity ... the only other factor is the forget gate f". The block ∂c_t/∂c_{t-1}
    of the state Jacobian is diag(f_t) exactly (docs/derivation.md); when the gates do not
    read h_{t-1} (W_h* = 0), ∂c_t/∂c_τ = diag(Π f_k), which stays near I when f ≈ 1.

    Arguments:
        f: ``(T, B, H)`` the forget gate along a trajectory (``traj["f"]``).
        t, tau: steps with ``0 <= tau <= t <= T``.
    Returns:
        ``(B, H)`` the diagonal of the cell path's ∂c_t/∂c_τ.

    >>> carousel_gain(np.full((4, 1, 2), 0.5), 4, 1)
    array([[0.125, 0.125]])
    """
    f = np.asarray(f, dtype=float)
    T = f.shape[0]
    if not 0 <= tau <= t <= T:
        raise SeqcheckError(f"carousel_gain: need 0 <= tau <= t <= T = {T}, got t = {t}, "
                            f"tau = {tau}")
    return np.prod(f[tau:t], axis=0)
