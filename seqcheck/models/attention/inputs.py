"""The input checks of the attention functions (seed 000 eq. 43–48).

Every public attention function runs its arguments through these before computing: one
common floating type, finite entries, and shapes that fit (q ``(Q,)`` or ``(n, Q)``, K
``(m, K)``, V ``(m, v)``, the additive score's parameters, the upstream gradient g). Each
message names the function called.
"""

from __future__ import annotations

import numpy as np

from ...errors import SeqcheckError, ShapeError

__all__ = [
    "ADDITIVE", "as_floats", "check_qk", "check_v", "check_dot", "check_additive", "check_g",
    "checked_scores",
]

#: The additive score's parameters, in signature order.
ADDITIVE = ("w_a", "W_q", "W_k", "b_a")


def as_floats(fn: str, named: dict[str, object]) -> dict[str, np.ndarray]:
    """The arrays in their common floating type; non-finite entries are refused.

    Arguments:
        fn: the public function's name, for the messages.
        named: ``{argument name: array-like}``.
    Returns:
        ``{argument name: array}``, float32 if every input is float32 (or smaller), else
        float64.

    >>> # integers and float32 give float64
    >>> as_floats("f", {"q": [1, 2], "K": np.ones(2, np.float32)})["q"].dtype
    dtype('float64')
    """
    arrays = {k: np.asarray(v) for k, v in named.items()}
    dtype = np.result_type(*arrays.values(), np.float32)
    if not np.issubdtype(dtype, np.floating):
        raise SeqcheckError(f"{fn}: attention takes real arrays, got dtype {dtype}")
    out = {k: a.astype(dtype, copy=False) for k, a in arrays.items()}
    for k, a in out.items():
        if not np.all(np.isfinite(a)):
            raise SeqcheckError(f"{fn}: {k} has non-finite entries; attention is defined for "
                                "finite inputs")
    return out


def check_qk(fn: str, q: np.ndarray, K: np.ndarray) -> None:
    """q is ``(Q,)`` or ``(n, Q)`` and K is ``(m, K)`` with m ≥ 1."""
    if q.ndim not in (1, 2):
        raise ShapeError(f"{fn}: q must have shape (Q,) or (n, Q), got {q.shape}")
    if K.ndim != 2:
        raise ShapeError(f"{fn}: K must have shape (m, K), got {K.shape}")
    if K.shape[0] == 0:
        raise ShapeError(f"{fn}: attention needs at least one key (m >= 1), got K {K.shape}")


def check_v(fn: str, K: np.ndarray, V: np.ndarray) -> None:
    """V is ``(m, v)``, one row per key of K ``(m, K)``."""
    if V.ndim != 2:
        raise ShapeError(f"{fn}: V must have shape (m, v), got {V.shape}")
    if V.shape[0] != K.shape[0]:
        raise ShapeError(f"{fn}: K and V must have one row per key, got K {K.shape} "
                         f"(m = {K.shape[0]}) and V {V.shape} (m = {V.shape[0]})")


def check_dot(fn: str, q: np.ndarray, K: np.ndarray) -> None:
    """The dot scores (eq. 45, 46) need queries and keys of one size, Q == K."""
    if q.shape[-1] != K.shape[1]:
        raise ShapeError(f"{fn}: the dot score q^T k_i needs Q == K, got q {q.shape} "
                         f"(Q = {q.shape[-1]}) and K {K.shape} (K = {K.shape[1]}); "
                         "the additive score takes keys of another size")


def check_additive(fn: str, q: np.ndarray, K: np.ndarray, p: dict[str, np.ndarray]) -> None:
    """The additive score's w_a ``(A,)``, W_q ``(A, Q)``, W_k ``(A, K)``, b_a ``(A,)`` in ``p``."""
    w_a, W_q, W_k, b_a = (p[k] for k in ADDITIVE)
    if w_a.ndim != 1:
        raise ShapeError(f"{fn}: w_a must have shape (A,), got {w_a.shape}")
    A, Q, Kd = w_a.shape[0], q.shape[-1], K.shape[1]
    for name, a, want, dims in (("W_q", W_q, (A, Q), "(A, Q)"), ("W_k", W_k, (A, Kd), "(A, K)"),
                                ("b_a", b_a, (A,), "(A,)")):
        if a.shape != want:
            raise ShapeError(f"{fn}: {name} must have shape {dims} = {want} with A = {A} from "
                             f"w_a {w_a.shape}, got {a.shape}")


def check_g(fn: str, g: np.ndarray, shape: tuple[int, ...]) -> None:
    """The upstream gradient g = ∂L/∂output has the output's shape."""
    if g.shape != shape:
        raise ShapeError(f"{fn}: the upstream gradient g must have the output's shape "
                         f"{shape}, got {g.shape}")


def checked_scores(fn: str, s: np.ndarray) -> np.ndarray:
    """The scores s, refused if one overflowed to ±inf or nan."""
    if not np.all(np.isfinite(s)):
        wider = "" if s.dtype == np.float64 else " or compute in float64"
        raise SeqcheckError(f"{fn}: a score overflowed {s.dtype}; scale the inputs down{wider}")
    return s
