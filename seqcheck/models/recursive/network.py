"""The recursive net: its parameters, forward pass and backpropagation through structure.

    leaf k reading input i:       h_k = tanh(U x_i + b)
    internal k, children l and r:  h_k = tanh(W_L h_l + W_R h_r + b)
    root r:                        o   = V h_r + c

batched over B examples that share the tree: ``x`` is ``(N, B, D)``, the states
``(2N - 1, B, H)`` in the tree's post-order, ``o`` ``(B, C)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ...errors import SeqcheckError, ShapeError
from .tree import Tree

__all__ = ["PARAMS", "TreeStates", "TreeGradients", "shape_str", "tree_forward", "tree_backward"]

#: The parameters and their shapes over the dims D (input), H (hidden), C (output).
PARAMS = {"U": ("H", "D"), "W_L": ("H", "H"), "W_R": ("H", "H"), "b": ("H",),
          "V": ("C", "H"), "c": ("C",)}


@dataclass(frozen=True)
class TreeStates:
    """The forward pass over a tree.

    Arguments:
        tree: the tree.
        h: every node's state, ``(2N - 1, B, H)``, in the tree's post-order.
        o: the root's output V h_root + c, ``(B, C)``.
        x: the inputs it ran on, ``(N, B, D)``.
    """

    tree: Tree
    h: np.ndarray
    o: np.ndarray
    x: np.ndarray


@dataclass(frozen=True)
class TreeGradients:
    """Gradients of L = ⟨seed_o, o⟩ + Σ_k ⟨seed_h[k], h_k⟩ (summed over the batch).

    Arguments:
        params: ``{name: array of the parameter's shape}`` for U, W_L, W_R, b, V, c.
        x: ∂L/∂x, ``(N, B, D)``.
        h: ∂L/∂h_k in total (the seed plus what flows down from the parent), ``(2N - 1, B, H)``.
    """

    params: Mapping[str, np.ndarray]
    x: np.ndarray
    h: np.ndarray


def _arrays(tree: Tree, params: Mapping, x) -> tuple[dict, np.ndarray]:
    if not isinstance(tree, Tree):
        raise SeqcheckError(f"expected a Tree, got {type(tree).__name__}; build one with "
                            "Tree.from_nested, Tree.balanced or Tree.chain")
    unknown = sorted(set(params) - set(PARAMS))
    missing = [n for n in PARAMS if n not in params]
    problems = [f"unknown parameter '{n}'" for n in unknown]
    problems += [f"missing parameter '{n}' of shape {shape_str(PARAMS[n])}" for n in missing]
    p = {n: np.asarray(params[n], dtype=np.float64) for n in PARAMS if n in params}
    x = np.asarray(x, dtype=np.float64)
    dims: dict[str, int] = {}
    where: dict[str, str] = {}
    for name, arr, shape in [("x", x, ("N", "B", "D"))] + [
            (n, p[n], PARAMS[n]) for n in PARAMS if n in p]:
        if arr.ndim != len(shape):
            problems.append(f"{name}: expected {len(shape)} axes {shape_str(shape)}, "
                            f"got shape {arr.shape}")
            continue
        for k, (d, size) in enumerate(zip(shape, arr.shape)):
            if d not in dims:
                dims[d], where[d] = size, f"{name} axis {k}"
            elif dims[d] != size:
                problems.append(f"{name}: axis {k} is {size}, but {d} = {dims[d]} "
                                f"(from {where[d]})")
    if "N" in dims and dims["N"] != tree.n_leaves:
        problems.append(f"x has {dims['N']} inputs, but the tree has {tree.n_leaves} leaves")
    if problems:
        bound = ", ".join(f"{k} = {v}" for k, v in dims.items()) or "none"
        raise ShapeError(
            "arrays do not fit the recursive net:\n  - " + "\n  - ".join(problems)
            + "\ndeclared shapes (N inputs, B batch):\n"
            + "\n".join(f"  {n}: {shape_str(s)}" for n, s in
                        [("x", ("N", "B", "D")), *PARAMS.items()])
            + f"\ndim bindings: {bound}")
    return p, x


def shape_str(shape: tuple) -> str:
    return "(" + ", ".join(shape) + ("," if len(shape) == 1 else "") + ")"


def tree_forward(tree: Tree, params: Mapping, x) -> TreeStates:
    """The recursive net's forward pass over ``tree``, batched over B examples.

    Arguments:
        tree: the :class:`Tree` (N leaves), shared by the batch.
        params: ``U (H, D)``, ``W_L (H, H)``, ``W_R (H, H)``, ``b (H,)``, ``V (C, H)``,
            ``c (C,)``.
        x: the inputs, ``(N, B, D)``; leaf ``i`` reads ``x[i]``.
    Returns:
        :class:`TreeStates` with every node's h ``(2N - 1, B, H)`` and o ``(B, C)``.
    Raises:
        ShapeError: arrays that do not fit, with every dim binding.

    >>> # a balanced tree over four inputs, one example, H = 2
    >>> import numpy as np
    >>> p = {"U": np.eye(2), "W_L": np.eye(2), "W_R": -np.eye(2), "b": np.zeros(2),
    ...      "V": np.ones((1, 2)), "c": np.zeros(1)}
    >>> tree_forward(Tree.balanced(4), p, np.zeros((4, 1, 2))).h.shape
    (7, 1, 2)
    """
    p, x = _arrays(tree, params, x)
    B, H = x.shape[1], p["b"].shape[0]
    h = np.empty((tree.n_nodes, B, H))
    with np.errstate(under="ignore"):  # underflow to zero is harmless (tiny products)
        for k, (a, r, i) in enumerate(zip(tree.left, tree.right, tree.leaf)):
            if i != -1:
                h[k] = np.tanh(x[i] @ p["U"].T + p["b"])
            else:
                h[k] = np.tanh(h[a] @ p["W_L"].T + h[r] @ p["W_R"].T + p["b"])
        o = h[-1] @ p["V"].T + p["c"]
    return TreeStates(tree, h, o, x)


def tree_backward(states: TreeStates, params: Mapping, seed_o, seed_h=None) -> TreeGradients:
    """Backpropagation through structure: the gradients of L = ⟨seed_o, o⟩ + Σ_k ⟨seed_h[k], h_k⟩.

    Each rule sits under its forward equation; a = the pre-activation, so
    ∂L/∂a_k = ∂L/∂h_k ⊙ (1 - h_k²) (tanh' = 1 - tanh²).

    Arguments:
        states: the forward pass (:func:`tree_forward`).
        params: the parameters it ran on.
        seed_o: ∂L/∂o, ``(B, C)``.
        seed_h: optional ∂L/∂h_k from a loss at any node, ``(2N - 1, B, H)``.
    Returns:
        :class:`TreeGradients`: every parameter, the inputs, and each node's total ∂L/∂h.

    >>> # the gradient of the first output w.r.t. b, on a two-leaf tree
    >>> import numpy as np
    >>> p = {"U": np.eye(1), "W_L": np.eye(1), "W_R": np.eye(1), "b": np.zeros(1),
    ...      "V": np.ones((1, 1)), "c": np.zeros(1)}
    >>> s = tree_forward(Tree.balanced(2), p, np.zeros((2, 1, 1)))
    >>> tree_backward(s, p, np.ones((1, 1))).params["b"]
    array([3.])
    """
    tree = states.tree
    p, x = _arrays(tree, params, states.x)
    B, C = states.o.shape
    seed_o = np.asarray(seed_o, dtype=np.float64)
    if seed_o.shape != (B, C):
        raise ShapeError(f"seed_o has shape {seed_o.shape}, expected (B, C) = {(B, C)}")
    dh = np.zeros_like(states.h)
    if seed_h is not None:
        seed_h = np.asarray(seed_h, dtype=np.float64)
        if seed_h.shape != states.h.shape:
            raise ShapeError(f"seed_h has shape {seed_h.shape}, expected (2N - 1, B, H) = "
                             f"{states.h.shape}")
        dh += seed_h
    with np.errstate(under="ignore"):  # a gradient vanishing along a deep path underflows
        g, dx = _backward(tree, p, x, states, seed_o, dh)
    return TreeGradients(MappingProxyType(g), dx, dh)


def _backward(tree: Tree, p: dict, x: np.ndarray, states: TreeStates, seed_o: np.ndarray,
              dh: np.ndarray) -> tuple[dict, np.ndarray]:
    """Accumulates into ``dh`` (the seeds on entry, the totals on return)."""
    g = {n: np.zeros_like(v) for n, v in p.items()}
    dx = np.zeros_like(x)
    # o = V h_root + c
    g["V"] += seed_o.T @ states.h[-1]
    g["c"] += seed_o.sum(axis=0)
    dh[-1] += seed_o @ p["V"]
    for k in range(tree.n_nodes - 1, -1, -1):  # parents before children
        da = dh[k] * (1.0 - states.h[k] ** 2)
        g["b"] += da.sum(axis=0)
        a, r, i = tree.left[k], tree.right[k], tree.leaf[k]
        if i != -1:
            # h_k = tanh(U x_i + b)
            g["U"] += da.T @ x[i]
            dx[i] += da @ p["U"]
        else:
            # h_k = tanh(W_L h_l + W_R h_r + b)
            g["W_L"] += da.T @ states.h[a]
            g["W_R"] += da.T @ states.h[r]
            dh[a] += da @ p["W_L"]
            dh[r] += da @ p["W_R"]
    return g, dx
