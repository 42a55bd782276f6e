"""Reverse-mode rules: one vector-Jacobian product per SymPy class, beside its forward meaning.

For a node ``y = f(a, b, ...)`` and the adjoint ``ḡ = ∂L/∂y`` (same shape as ``y``),
:func:`vjp` returns each child with its adjoint ``ā = (∂y/∂a)ᵀ ḡ``. Each rule is short
enough to check by eye against its forward meaning, and ``tests/test_derive_rules.py``
checks each one against exact index-level differentiation at small concrete sizes.

SymPy's own ``MatrixExpr.diff`` is not used: it fails on Hadamard products of
element-wise functions and on an LSTM cell, and returns a wrong result for
``Tr(cᵀ tanh.(W x + U h))`` w.r.t. ``h`` (DESIGN.md). SymPy stays the language;
the calculus is this table.

``jac=True`` propagates a matrix of adjoint columns instead of one vector (used for the
state Jacobian ∂s_t/∂s_{t-1}): element-wise scalings become products with
``diag(·)``, which a column-by-column rule needs.
"""

from __future__ import annotations

import sympy as sp
from sympy import BlockMatrix, HadamardPower, HadamardProduct, MatAdd, MatMul, MatPow, OneMatrix
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from ..errors import SeqcheckError
from ..spec.functions import EntrySum, LogSoftmax, Softmax, sigmoid

__all__ = ["DerivationError", "vjp", "is_constant", "RULES"]


class DerivationError(SeqcheckError):
    """An expression has no reverse-mode rule (names the class and the equation)."""


def is_constant(e) -> bool:
    """A node with no adjoint to propagate: numbers, dims, constant matrices."""
    if isinstance(e, (OneMatrix, sp.ZeroMatrix, sp.Identity)):
        return True
    if getattr(e, "is_Matrix", False):
        return False
    return not any(not (s.is_integer and s.is_positive) for s in e.free_symbols)


def _scale(g, y, jac: bool):
    """``ḡ ∘ y`` (one adjoint column) or ``diag(y) ḡ`` (several)."""
    return _flat(DiagMatrix(y), g) if jac else sp.hadamard_product(g, y)


def _flat(*factors):
    """The product, flattened by hand and not evaluated: SymPy's canonicalization asks its
    assumption system whether each DiagMatrix is invertible, which takes seconds."""
    args = []
    for f in factors:
        args.extend(f.args if isinstance(f, MatMul) else (f,))
    kept = [a for a in args if not isinstance(a, sp.Identity)]
    if any(getattr(a, "is_Matrix", False) for a in kept):  # I is a unit unless it is alone
        args = kept
    return MatMul(*args) if len(args) > 1 else args[0]


def _inner(g, p):
    """⟨ḡ, p⟩ for vectors: a scalar (batched: one per row)."""
    return EntrySum(sp.hadamard_product(g, p))


# -- element-wise sum -------------------------------------------------------------------
def _vjp_matadd(node: MatAdd, g, out, jac):
    """y = a + b + ... (+ s·1, a broadcast scalar)  ⇒  ā = ḡ for every term; s̄ = Σ ḡ."""
    kids = []
    for term in node.args:
        if is_constant(term):
            continue
        if isinstance(term, MatMul):
            ones = [f for f in term.args if isinstance(f, OneMatrix)]
            rest = [f for f in term.args if not isinstance(f, OneMatrix)]
            if len(ones) == 1 and not any(getattr(f, "is_Matrix", False) for f in rest):
                if jac:
                    if sp.Mul(*rest).atoms(sp.Trace, EntrySum):
                        raise DerivationError("a broadcast scalar of vectors inside a state "
                                              "Jacobian")
                    continue
                kids.append((sp.Mul(*rest), EntrySum(g)))
                continue
        kids.append((term, g))
    return kids


# -- matrix product ---------------------------------------------------------------------
def _vjp_matmul(node: MatMul, g, out, jac):
    """y = c·A₁⋯Aₙ  ⇒  Āₖ = c·(A₁⋯Aₖ₋₁)ᵀ ḡ (Aₖ₊₁⋯Aₙ)ᵀ;  c̄ = ⟨ḡ, A₁⋯Aₙ⟩ (c a scalar)."""
    coeff = sp.Mul(*[a for a in node.args if not getattr(a, "is_Matrix", False)])
    mats = []
    for a in node.args:
        if isinstance(a, MatPow) and a.exp.is_Integer and a.exp > 0:
            mats.extend([a.base] * int(a.exp))  # W @ (W @ v) arrives as MatPow(W, 2)
        elif getattr(a, "is_Matrix", False):
            mats.append(a)
    kids = []
    for k, a in enumerate(mats):
        if is_constant(a) or (jac and a.shape[1] != 1):
            # With several adjoint columns only vectors (the states) receive adjoints;
            # a matrix factor is a parameter, whose adjoint would be a third-order tensor.
            continue
        left = [m.T for m in reversed(mats[:k])]
        right = [m.T for m in reversed(mats[k + 1:])]
        if jac:
            kids.append((a, _flat(*([coeff] if coeff != 1 else []), *left, g, *right)))
        else:
            kids.append((a, MatMul(coeff, *left, g, *right).doit()))
    if not is_constant(coeff):
        if jac:
            # Only vectors receive adjoint columns; a coefficient made of scalars (a leak
            # rate α) has none to pass on, but one made of vectors (⟨u, v⟩) would.
            if coeff.atoms(sp.Trace, EntrySum):
                raise DerivationError("a scalar coefficient of vectors inside a state Jacobian")
            return kids
        product = MatMul(*mats).doit()
        if product.shape[1] != 1:
            raise DerivationError(f"a scalar coefficient of the matrix term {product}")
        kids.append((coeff, _inner(g, product)))
    return kids


# -- element-wise product and power ---------------------------------------------------
def _vjp_hadamard(node: HadamardProduct, g, out, jac):
    """y = a₁ ∘ ⋯ ∘ aₙ  ⇒  āₖ = ḡ ∘ Π_{j≠k} aⱼ."""
    kids = []
    for k, a in enumerate(node.args):
        if is_constant(a):
            continue
        others = [b for j, b in enumerate(node.args) if j != k]
        factor = others[0] if len(others) == 1 else sp.hadamard_product(*others)
        kids.append((a, _scale(g, factor, jac)))
    return kids


def _vjp_hadamard_power(node: HadamardPower, g, out, jac):
    """y = b^∘p  ⇒  b̄ = ḡ ∘ (p · b^∘(p−1))."""
    b, p = node.base, node.exp
    if p == 2:
        factor = 2 * b
    else:
        factor = p * HadamardPower(b, p - 1)
    return [(b, _scale(g, factor, jac))]


# -- element-wise functions -----------------------------------------------------------
def _vjp_elementwise(node: ElementwiseApplyFunction, g, out, jac):
    """y = f.(a)  ⇒  ā = ḡ ∘ f'.(a); with the output y: σ' = y∘(1−y), tanh' = 1−y∘y, exp' = y.

    y = f.(a; c) with a scalar c in the body (clip(a, c))  ⇒  also c̄ = Σ ḡ ∘ ∂f/∂c.(a).
    With several adjoint columns (jac) a scalar receives none, as in the product rule.
    """
    lam = node.function
    if not isinstance(lam, sp.Lambda):
        d = sp.Dummy("d")
        lam = sp.Lambda(d, lam(d))
    (d,) = lam.variables
    body = lam.expr
    a = node.expr
    n = a.shape[0]
    y = out if out is not None else node
    if body == sigmoid(d):
        deriv = sp.hadamard_product(y, OneMatrix(*y.shape) - y)
    elif body == sp.tanh(d):
        deriv = OneMatrix(*y.shape) - HadamardPower(y, 2)
    elif body == sp.exp(d):
        deriv = y
    else:
        dbody = body.diff(d)
        if dbody.is_number:
            deriv = dbody * OneMatrix(n, a.shape[1])
        else:
            deriv = ElementwiseApplyFunction(sp.Lambda(d, dbody), a)
    kids = [(a, _scale(g, deriv, jac))]
    for s in sorted(body.free_symbols - {d}, key=str):
        if not jac and not is_constant(s):
            partial = ElementwiseApplyFunction(sp.Lambda(d, body.diff(s)), a)
            kids.append((s, EntrySum(sp.hadamard_product(g, partial))))
    return kids


# -- structure --------------------------------------------------------------------------
def _vjp_transpose(node: sp.Transpose, g, out, jac):
    """y = Aᵀ  ⇒  Ā = ḡᵀ."""
    return [(node.arg, g.T)]


def _vjp_block(node: BlockMatrix, g, out, jac):
    """y = [a; b; ...] (concat)  ⇒  ā = ḡ[rows of a], b̄ = ḡ[rows of b], ..."""
    kids, start = [], sp.Integer(0)
    for block in node.blocks:
        n = block.shape[0]
        piece = g[start:start + n, :]
        start = start + n
        factors = block.args if isinstance(block, MatMul) else (block,)
        ones = [f for f in factors if isinstance(f, (OneMatrix, sp.Identity))]
        if ones:  # a scalar s stacked as s·1
            s = sp.Mul(*[f for f in factors if f is not ones[0]])
            if not is_constant(s):
                kids.append((s, EntrySum(piece)))
            continue
        kids.append((block, piece))
    return kids


def _vjp_softmax(node: Softmax, g, out, jac):
    """y = softmax(v)  ⇒  v̄ = y ∘ ḡ − y ⟨y, ḡ⟩   (the Jacobian diag(y) − y yᵀ, applied to ḡ)."""
    y = out if out is not None else node
    if jac:
        return [(node.arg, _flat(DiagMatrix(y), g) - _flat(y, y.T, g))]
    yg = sp.hadamard_product(y, g)
    return [(node.arg, yg - EntrySum(yg) * y)]


def _vjp_log_softmax(node: LogSoftmax, g, out, jac):
    """z = log softmax(v)  ⇒  v̄ = ḡ − softmax(v) Σ ḡ."""
    if jac:
        p = Softmax(node.arg)
        return [(node.arg, g - p * (OneMatrix(1, p.shape[0]) * g))]
    return [(node.arg, g - EntrySum(g) * Softmax(node.arg))]


def _vjp_trace(node: sp.Trace, g, out, jac):
    """s = ⟨a, b⟩ = Tr(aᵀ b)  ⇒  ā = s̄ b,  b̄ = s̄ a."""
    arg = node.arg
    if not (isinstance(arg, MatMul) and len(arg.args) == 2 and isinstance(arg.args[0], sp.Transpose)
            and arg.args[0].arg.shape[1] == 1):
        raise DerivationError(f"no rule for the trace {node}")
    a, b = arg.args[0].arg, arg.args[1]
    return [(x, MatMul(g, y).doit()) for x, y in ((a, b), (b, a)) if not is_constant(x)]


def _vjp_entry_sum(node: EntrySum, g, out, jac):
    """s = Σᵢ vᵢ  ⇒  v̄ = s̄ · 1."""
    return [(node.arg, g * OneMatrix(*node.arg.shape))]


#: The rule table, by SymPy class. ``tests/test_derive_rules.py`` checks every entry.
RULES = {
    MatAdd: _vjp_matadd,
    MatMul: _vjp_matmul,
    MatPow: lambda node, g, out, jac: _vjp_matmul(MatMul(node, evaluate=False), g, out, jac),
    HadamardProduct: _vjp_hadamard,
    HadamardPower: _vjp_hadamard_power,
    ElementwiseApplyFunction: _vjp_elementwise,
    sp.Transpose: _vjp_transpose,
    BlockMatrix: _vjp_block,
    Softmax: _vjp_softmax,
    LogSoftmax: _vjp_log_softmax,
    sp.Trace: _vjp_trace,
    EntrySum: _vjp_entry_sum,
}


def vjp(node, g, out=None, jac: bool = False) -> list[tuple[object, object]]:
    """The children of ``node`` with their adjoints, given the node's adjoint ``g``.

    Arguments:
        node: a SymPy matrix expression (or a Trace/EntrySum scalar) of the grammar.
        g: the adjoint of ``node``, the same shape (``jac``: one column per direction).
        out: an expression for the node's value, used by rules that are cheaper in
            terms of the output (σ, tanh, exp, softmax); the equation's own symbol for
            the root of an equation.
        jac: propagate several adjoint columns at once.
    Returns:
        ``[(child, child_adjoint), ...]``; constant children are left out.
    Raises:
        DerivationError: a class without a rule.

    >>> # the adjoint of h = tanh(a) in terms of h itself
    >>> import sympy as sp
    >>> from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    >>> a, h, g = (sp.MatrixSymbol(n, 3, 1) for n in ("a", "h", "adj_h"))
    >>> vjp(ElementwiseApplyFunction(sp.tanh, a), g, out=h)
    [(a, HadamardProduct(-HadamardPower(h, 2) + 1, adj_h))]
    """
    rule = RULES.get(type(node))
    if rule is None:
        raise DerivationError(f"no reverse-mode rule for {type(node).__name__} ({node})")
    return rule(node, g, out, jac)
