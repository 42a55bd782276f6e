"""Stacked products in the generated ``forward``: one matrix product per shared operand.

The equations of a gated cell multiply one operand by several weights: the LSTM's four
gates each compute ``W_h* @ h[t-1]`` (and ``W_i* @ x``). :func:`stack_products` finds the
products ``A_k @ v`` (``A_k`` a parameter matrix or its transpose, ``v`` a vector free
of matrix products) that share their operand ``v`` and replaces each by a slice of one
product ``v @ [A_1; A_2; ...].T``, with the weights concatenated once, before any loop
(:class:`Stack`). A product whose operand differs (GRU's ``W_hn @ (r ⊙ h[t-1])`` beside
``W_hr @ h[t-1]``) stays as it is.

In the row layout of the generated code (vectors in the last axis) the stacked weights
are ``_xp.concat(A_1.T, A_2.T, ...)``, shape ``(n, ΣH_k)``; the product is ``(B, ΣH_k)``
and member k is its slice ``[..., o_k:o_k + H_k]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy import MatMul, MatrixSymbol, Transpose

from ...printing import split_ref
from ...spec.model import Spec
from ..printer import ArrayPrinter, ident
from .reads import unused_name

__all__ = ["FusedInputs", "Stack", "fuse_inputs", "operand_tag", "stack_products",
           "weight_factor"]


def weight_factor(a, spec: Spec) -> bool:
    """A parameter matrix (2-D) or its transpose: what a stacked product may stack."""
    if isinstance(a, Transpose):
        a = a.arg
    return (isinstance(a, MatrixSymbol) and a.name in spec.params
            and len(spec.params[a.name].shape) == 2)


def _weight_product(e, spec: Spec):
    """``(A, v)`` for ``e = A @ v`` with a weight factor A and a product-free vector v."""
    if not isinstance(e, MatMul) or len(e.args) != 2:
        return None
    a, v = e.args
    if not weight_factor(a, spec) or not getattr(v, "is_Matrix", False) or v.shape[1] != 1:
        return None
    if v.has(MatMul) or weight_factor(v, spec):
        return None
    return a, v


def operand_tag(v, used: set[str], stem: str = "v") -> str:
    """A readable, unused identifier part for the operand ``v``: ``h_tm1``, ``x``, ``v2``."""
    return unused_name(ident(*split_ref(v.name)) if isinstance(v, MatrixSymbol) else stem,
                       used)


@dataclass(frozen=True)
class Stack:
    """One stacked product ``operand @ weights`` standing for several ``A_k @ operand``.

    Arguments:
        product: the identifier of the product's value, ``(..., ΣH_k)``.
        weights: the identifier of the stacked weights, ``(n, ΣH_k)``.
        operand: the shared column vector ``v`` (SymPy).
        factors: the ``A_k`` in stacking order (``(H_k, n)`` each).
        bounds: ``(start, stop)`` of each member in the product's last axis (SymPy dims).
    """

    product: str
    weights: str
    operand: object
    factors: tuple
    bounds: tuple

    def weights_line(self, p: ArrayPrinter) -> str:
        """``_W_h_tm1 = _xp.concat(W_hi.T, W_hf.T, ...)``: the weights, stacked once."""
        return f"{self.weights} = _xp.concat({', '.join(p._print(a.T) for a in self.factors)})"

    def product_text(self, p: ArrayPrinter) -> str:
        """The stacked product: ``h_tm1 @ _W_h_tm1`` (``_xp.matmul`` over whole sequences)."""
        return p.matmul(p._print(self.operand), self.weights)

    def comment(self, p: ArrayPrinter) -> str:
        """What the product stands for, as the unstacked code would print it."""
        with p.at_once(False):
            return ", ".join(p._print(MatMul(a, self.operand)) for a in self.factors)


def stack_products(exprs: list, spec: Spec, used: set[str], stem: str = "v"
                   ) -> tuple[list, list[Stack]]:
    """Replace the products that share an operand by slices of one stacked product each.

    Arguments:
        exprs: SymPy expressions (one loop body, or the hoisted input parts of a sweep).
        spec: the spec whose parameters are the weights.
        used: identifier parts already taken (updated), so names stay unique per module.
        stem: the tag of an operand that is not a plain name.
    Returns:
        The expressions with each stacked member replaced by a
        :class:`~sympy.matrices.expressions.slice.MatrixSlice` of the product's symbol,
        and the :class:`Stack` of each group of at least two distinct products, in the
        order their first member appears.
    """
    groups: dict[object, dict[object, object]] = {}
    for e in exprs:
        for node in sp.preorder_traversal(e):
            found = _weight_product(node, spec)
            if found is not None:
                a, v = found
                groups.setdefault(v, {}).setdefault(a, node)
    stacks, repl = [], {}
    for v, members in groups.items():
        if len(members) < 2:
            continue
        tag = operand_tag(v, used, stem)
        factors = tuple(members)
        starts, total = [], sp.Integer(0)
        for a in factors:
            starts.append(total)
            total = total + a.shape[0]
        stack = Stack(product=f"_{tag}_W", weights=f"_W_{tag}", operand=v, factors=factors,
                      bounds=tuple((s, s + a.shape[0]) for s, a in zip(starts, factors)))
        whole = MatrixSymbol(stack.product, total, 1)
        for a, (start, stop) in zip(factors, stack.bounds):
            repl[members[a]] = whole[start:stop, 0]
        stacks.append(stack)
    if not repl:
        return list(exprs), []
    return [e.xreplace(repl) for e in exprs], stacks


@dataclass(frozen=True)
class FusedInputs:
    """The hoisted input parts of a stack's members, added once per step to its product.

    When each member of a recurrent :class:`Stack` is added to its equation's hoisted
    input part (``h_tm1 @ W_hi.T + i_in``), the input parts are laid side by side in one
    ``(T, B, ΣH_k)`` array and the step computes ``h_tm1 @ _W_h_tm1 + _h_tm1_W_in[_t]``:
    one addition instead of one per member.

    Arguments:
        name: the identifier of the side-by-side input parts.
        labels: the hoisted labels it replaces (no longer read in the loop).
        parts: each member's input part as SymPy, in stacking order, when it is a slice
            of a hoisted stacked product plus parameters only (then the array is that
            product plus one concatenated bias); else None (the labels' arrays are
            concatenated).
        hoisted: the hoisted :class:`Stack` the parts slice, with ``parts``.
    """

    name: str
    labels: tuple
    parts: tuple | None
    hoisted: Stack | None

    def line(self, p: ArrayPrinter) -> str:
        """``_h_tm1_W_in = _x_W + _xp.concat(b_hi + b_ii, ...)`` (every step at once)."""
        if self.parts is None:
            return f"{self.name} = _xp.concat({', '.join(f'{n}_seq' for n in self.labels)})"
        if all(r is None for r in self.parts):
            return f"{self.name} = {self.hoisted.product}"
        return (f"{self.name} = {self.hoisted.product} + "
                f"_xp.concat({', '.join(p._print(r) for r in self.parts)})")


def _slice_of(stack: Stack, k: int):
    start, stop = stack.bounds[k]
    return MatrixSymbol(stack.product, stack.bounds[-1][1], 1)[start:stop, 0]


def fuse_inputs(stack: Stack, bodies: list, hoisted: dict, hoisted_stacks: list, spec: Spec
                ) -> tuple[list, FusedInputs] | None:
    """Fold the hoisted input parts of ``stack``'s members into one per-step addition.

    Arguments:
        stack: a recurrent stack of one loop.
        bodies: the loop's bodies, with ``stack``'s members as slices.
        hoisted: ``{label: expression}`` of the sweep's hoisted parts (after stacking).
        hoisted_stacks: the stacks among the hoisted parts.
    Returns:
        The bodies with each member's sum ``slice + label`` reduced to the slice, and the
        :class:`FusedInputs`; None when some member is not added to exactly one label
        that nothing else reads.
    """
    found = []
    for k in range(len(stack.factors)):
        sl = _slice_of(stack, k)
        sums = [(i, node) for i, e in enumerate(bodies) for node in sp.preorder_traversal(e)
                if isinstance(node, sp.MatAdd) and sl in node.args]
        if len(sums) != 1:
            return None
        i, node = sums[0]
        labels = [a for a in node.args if isinstance(a, MatrixSymbol) and a.name in hoisted]
        if len(labels) != 1 or sum(e.count(labels[0]) for e in bodies) != 1:
            return None
        found.append((node, labels[0]))
    if len({lab for _, lab in found}) != len(found):
        return None
    repl = {node: sp.MatAdd(*[a for a in node.args if a != lab]) for node, lab in found}
    labels = tuple(lab.name for _, lab in found)
    parts, source = _input_parts(stack, [hoisted[n] for n in labels], hoisted_stacks, spec)
    fused = FusedInputs(f"{stack.product}_in", labels, parts, source)
    return [e.xreplace(repl) for e in bodies], fused


def _input_parts(stack: Stack, exprs: list, hoisted_stacks: list, spec: Spec):
    """``(parts, hoisted stack)`` when every input part is its slice of one hoisted stack
    (laid out like ``stack``) plus parameters only; else ``(None, None)``."""
    for hs in hoisted_stacks:
        if len(hs.bounds) != len(stack.bounds) or any(
                sp.simplify(a[1] - a[0] - (b[1] - b[0])) != 0
                for a, b in zip(hs.bounds, stack.bounds)):
            continue
        parts = []
        for k, e in enumerate(exprs):
            sl = _slice_of(hs, k)
            terms = list(e.args) if isinstance(e, sp.MatAdd) else [e]
            if sl not in terms:
                break
            rest = [t for t in terms if t != sl]
            if any(not ({s.name for s in t.free_symbols if hasattr(s, "name")
                         and not getattr(s, "is_integer", False)} <= set(spec.params))
                   for t in rest):
                break
            parts.append(sp.MatAdd(*rest) if len(rest) > 1 else (rest[0] if rest else None))
        else:
            if all(r is None for r in parts) or all(r is not None for r in parts):
                return tuple(parts), hs
    return None, None
