"""One printer for every backend: SymPy expressions -> batched array code on ``_xp``.

Generated code calls an array namespace ``_xp`` (``_xp.tanh``, ``_xp.sigmoid``,
``_xp.dot``, ...) that each backend binds at run time to NumPy or torch, with a dtype
and a device (:mod:`seqcheck.backends.namespaces`). Operators the two share -- ``+ - *
/``, ``@`` and ``.T`` of a 2-D parameter -- are printed as operators, so the code reads
like the lecture's equations.

Layout: vectors live in the last axis, with batch axes in front, so the lecture's
column form ``W @ x`` is printed ``x @ W.T`` and the row form ``x @ W`` (seed 000
eq. 36) ``x @ W``. There is one ``_print_*`` method per matrix-expression class the
grammar and the derivation produce; any other class is a :class:`CompileError`
naming it, never partial code.
"""

from __future__ import annotations

from contextlib import contextmanager

import sympy as sp
from sympy import BlockMatrix, HadamardPower, HadamardProduct, MatAdd, MatMul, MatPow, OneMatrix
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.matrices.expressions.slice import MatrixSlice
from sympy.printing.numpy import NumPyPrinter

from ..errors import CompileError
from ..printing import split_ref
from ..spec.functions import ACTIVATIONS, EntrySum, LogSoftmax, Softmax, clip, relu, sigmoid
from .code_text import ident, is_atomic
from .code_text import paren_text as _paren_text
from .forms import column_of, lambda_of, negated

__all__ = ["ArrayPrinter", "HANDLED", "ident", "is_atomic"]

#: Matrix-expression classes the printer handles (exact classes: a subclass such as
#: SymPy's Inverse, a MatPow, must not slip through).
HANDLED = frozenset({MatAdd, MatMul, MatPow, HadamardProduct, HadamardPower,
                     ElementwiseApplyFunction, BlockMatrix, OneMatrix, sp.ZeroMatrix,
                     sp.Transpose, sp.MatrixSymbol, MatrixSlice, DiagMatrix, Softmax,
                     LogSoftmax})


def namespace_call(function: str, nargs: int = 1):
    """A ``_print_<Class>`` method writing ``_xp.<function>(a1, ..., a_nargs)`` of the first
    ``nargs`` arguments (SymPy's ``Heaviside(x, 0)`` carries H(0) as a second one)."""

    def print_call(self, expr) -> str:
        return f"_xp.{function}({', '.join(self._print(a) for a in expr.args[:nargs])})"

    print_call.__name__ = f"print_{function}"
    return print_call


class ArrayPrinter(NumPyPrinter):
    """Prints the grammar's (and the derivation's) SymPy expressions as batched array code.

    Arguments:
        batched: identifiers whose arrays carry batch axes (variables, inputs, adjoints);
            parameters are unbatched.
        where: a label for error messages (``"equation 'h'"``); any object whose ``str``
            gives it, so that building it can wait until an error needs it.
    """

    _module = "_xp"
    printmethod = "_seqcheck_array"
    # NumPyPrinter's tables name numpy.* at import time; ours name the namespace.
    _kf = {k: "_xp." + v.split(".", 1)[1] for k, v in NumPyPrinter._kf.items()
           if v.startswith("numpy.")}
    _kc = {k: "_xp." + v.split(".", 1)[1] for k, v in NumPyPrinter._kc.items()}

    def __init__(self, batched=frozenset(), where=""):
        super().__init__({"fully_qualified_modules": True, "inline": True})
        self.batched = set(batched)
        self.where = where
        #: True while printing code for every step at once: a vector-matrix product is
        #: then ``_xp.matmul(v, W)``, one (T·B)-row product on every backend.
        self.whole = False
        self._lambda_args: dict = {}

    @contextmanager
    def at_once(self, whole: bool = True):
        """Print code for every step at once (:attr:`whole`) inside the block; ``False``
        prints a product as one step's (the comments that name unstacked products)."""
        before, self.whole = self.whole, whole
        try:
            yield self
        finally:
            self.whole = before

    def matmul(self, v: str, weights: str) -> str:
        """``v @ weights``, or ``_xp.matmul(v, weights)`` while printing whole sequences."""
        return f"_xp.matmul({v}, {weights})" if self.whole else f"{_paren_text(v)} @ {weights}"

    def into(self, expr, dest: str) -> str | None:
        """``_xp.sigmoid(z, out=dest)``: ``expr`` computed straight into ``dest`` (a step's
        slot of a preallocated array), where its outermost operation is a sigmoid or tanh
        of a batched argument (so it has ``dest``'s shape), an element-wise product of a
        batched expression, or a sum of batched terms with no subtraction
        (``_xp.multiply(a * b, c, out=dest)``: the same operations in the same order as
        ``a * b * c``); None otherwise."""
        if isinstance(expr, (HadamardProduct, MatAdd)):
            return self._into_binary(expr, dest)
        if not isinstance(expr, ElementwiseApplyFunction) or not self.is_batched(expr.expr):
            return None
        body, var = lambda_of(expr)
        name = {sigmoid: "sigmoid", sp.tanh: "tanh"}.get(body.func)
        if name is None or body.args != (var,):
            return None
        return f"_xp.{name}({self._print(expr.expr)}, out={dest})"

    def _into_binary(self, expr, dest: str) -> str | None:
        if not self.is_batched(expr) or any(not a.free_symbols for a in expr.args):
            return None  # a constant operand prints as a number, which torch's out= refuses
        if isinstance(expr, MatAdd):
            if not all(self.is_batched(a) and not negated(a) for a in expr.args):
                return None
            ops, name, sep = [self._elementwise_operand(a) for a in expr.args], "add", " + "
        else:
            ops, name, sep = [_paren_text(self._elementwise_operand(a)) for a in expr.args], \
                "multiply", " * "
        return f"_xp.{name}({sep.join(ops[:-1])}, {ops[-1]}, out={dest})"

    def _print(self, expr, **kwargs):
        if isinstance(expr, MatrixExpr) and type(expr) not in HANDLED:
            return self._print_not_supported(expr)
        return super()._print(expr, **kwargs)

    # -- failure is an error, never a comment in the output ---------------------
    def _print_not_supported(self, expr):
        raise CompileError(
            f"the array printer cannot print {type(expr).__name__} ({expr})"
            + (f" in {self.where}" if self.where else "")
        )

    emptyPrinter = _print_not_supported

    def _paren(self, expr) -> str:
        return _paren_text(self._print(expr))

    def is_batched(self, expr) -> bool:
        return any(ident(*split_ref(s.name)) in self.batched
                   for s in expr.free_symbols if isinstance(s, (sp.MatrixSymbol, sp.Symbol)))

    # -- leaves -------------------------------------------------------------------
    def _print_MatrixSymbol(self, expr):
        return ident(*split_ref(expr.name))

    def _print_Symbol(self, expr):
        name, offset = split_ref(expr.name)
        if expr.is_integer and expr.is_positive:  # a dim
            return f"_dims[{name!r}]"
        return ident(name, offset)

    def _print_Dummy(self, expr):
        if expr in self._lambda_args:
            return self._lambda_args[expr]
        return self._print_not_supported(expr)

    def _shape(self, expr) -> str:
        rows, cols = expr.shape
        if cols == 1:
            return f"({self._print(rows)},)"
        return f"({self._print(rows)}, {self._print(cols)})"

    def _print_OneMatrix(self, expr):
        return f"_xp.ones({self._shape(expr)})"

    def _print_ZeroMatrix(self, expr):
        return f"_xp.zeros({self._shape(expr)})"

    # -- element-wise -------------------------------------------------------------
    def _elementwise_operand(self, a) -> str:
        """An operand of + or *: constant matrices print as scalars, which broadcast."""
        if isinstance(a, OneMatrix):
            return "1.0"
        if isinstance(a, sp.ZeroMatrix):
            return "0.0"
        if isinstance(a, MatMul):
            ones = [f for f in a.args if isinstance(f, OneMatrix)]
            rest = [f for f in a.args if not isinstance(f, OneMatrix)]
            if len(ones) == 1 and not any(getattr(f, "is_Matrix", False) for f in rest):
                return self._paren(sp.Mul(*rest))
        return self._print(a)

    def _print_MatAdd(self, expr):
        # Positive terms first, negative ones as subtractions: "1.0 - z", not "-1*z + 1.0".
        pos, neg = [], []
        for a in expr.args:
            if negated(a):
                coeff = a.args[0]
                rest = MatMul(*a.args[1:]).doit() if coeff == -1 else MatMul(-coeff, *a.args[1:])
                neg.append(self._elementwise_operand(rest))
            else:
                pos.append(self._elementwise_operand(a))
        text = " + ".join(pos) if pos else "-" + _paren_text(neg.pop(0))
        for n in neg:
            text += f" - {n}" if not (" + " in n or " - " in n) else f" - ({n})"
        return text

    def _print_HadamardProduct(self, expr):
        # '*' and '@' bind equally tightly in Python: every non-atomic operand gets parentheses.
        return " * ".join(_paren_text(self._elementwise_operand(a)) for a in expr.args)

    def _print_HadamardPower(self, expr):
        if expr.exp == -1:
            return f"1.0 / {self._paren(expr.base)}"
        return f"{self._paren(expr.base)} ** {self._paren(expr.exp)}"

    def _print_ElementwiseApplyFunction(self, expr):
        body, var = lambda_of(expr)
        # f(d) prints its own parentheses; any other body (1/d, d**2) needs them around d.
        plain_call = isinstance(body, sp.Function) and body.args == (var,)
        self._lambda_args[var] = self._print(expr.expr) if plain_call else self._paren(expr.expr)
        try:
            return self._print(body)
        finally:
            del self._lambda_args[var]

    # the spec functions: one namespace call each (ArrayNamespace)
    _print_sigmoid = namespace_call("sigmoid")
    _print_relu = namespace_call("relu")
    _print_clip = namespace_call("clip", 2)
    _print_affine = namespace_call("affine", 3)
    _print_leaky_relu = namespace_call("leaky_relu", 2)
    _print_thresholded_relu = namespace_call("thresholded_relu", 2)
    _print_scaled_tanh = namespace_call("scaled_tanh", 3)
    _print_hard_sigmoid = namespace_call("hard_sigmoid", 3)
    _print_elu = namespace_call("elu", 2)
    _print_softsign = namespace_call("softsign")
    _print_softplus = namespace_call("softplus")
    _print_Softmax = namespace_call("softmax")
    _print_LogSoftmax = namespace_call("log_softmax")
    _print_Abs = namespace_call("abs")  # what the derivatives are written with: clip', softsign'

    def _print_Heaviside(self, expr):
        """``_xp.step``, H(0) = 0: relu', clip' and the activations' derivatives."""
        if expr.args[1:] != (0,):  # another H(0) has no namespace member
            return self._print_not_supported(expr)
        return f"_xp.step({self._print(expr.args[0])})"

    def _print_Min(self, expr, function="minimum"):  # elu' reads exp(min(x, 0))
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"_xp.{function}({out}, {self._print(a)})"
        return out

    def _print_Max(self, expr):
        return self._print_Min(expr, "maximum")

    def _print_DiagMatrix(self, expr):
        # Only as a factor of a product (see _product); alone it would be a batched matrix.
        return self._print_not_supported(expr)

    # -- products -----------------------------------------------------------------
    def _print_MatMul(self, expr):
        coeffs = [a for a in expr.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in expr.args if getattr(a, "is_Matrix", False)]
        out = self._product(mats)
        if not coeffs:
            return out
        coeff = sp.Mul(*coeffs)
        c = self._paren(coeff)
        if out == "1.0":
            return c
        if coeff == -1:
            return f"-{_paren_text(out)}"
        return f"{c} * {_paren_text(out) if '@' in out else out}"

    def _print_MatPow(self, expr):
        # SymPy folds W @ (W @ v) into MatPow(W, 2); products expand it again.
        return self._product([expr])

    @staticmethod
    def _expand_powers(mats: list) -> list:
        out = []
        for a in mats:
            if isinstance(a, MatPow):
                k = a.exp
                if not (k.is_Integer and k > 0):
                    raise CompileError(f"the array printer cannot print the matrix power {a}")
                out.extend([a.base] * int(k))
            else:
                out.append(a)
        return out

    def _product(self, mats: list) -> str:
        mats = self._expand_powers(mats)
        if not mats:
            return "1.0"
        last = mats[-1]
        if last.shape[1] != 1:
            out = self._paren(last)
            for a in reversed(mats[:-1]):
                out = f"{self._paren(a)} @ {out}"
            return out
        # A vector (batch..., n) in the last axis: A @ v is v @ A.T, applied right to left;
        # diag(d) @ v is d * v.
        out = self._paren(last)
        for a in reversed(mats[:-1]):
            if isinstance(a, DiagMatrix):
                out = f"{self._paren(a.args[0])} * {_paren_text(out)}"
            else:
                out = self.matmul(out, self._transposed(a))
        return out

    def _transposed(self, a) -> str:
        if self.is_batched(a):
            raise CompileError(
                f"the array printer multiplies vectors by parameter matrices only; "
                f"'{a}' carries a batch axis" + (f" in {self.where}" if self.where else ""))
        if isinstance(a, sp.Transpose):
            return self._paren(a.arg)
        return f"{self._paren(a)}.T"

    def _print_Transpose(self, expr):
        if expr.arg.shape[1] == 1:
            return self._print_not_supported(expr)
        return f"{self._paren(expr.arg)}.T"

    def _print_Trace(self, expr):
        arg = expr.arg
        if (isinstance(arg, MatMul) and len(arg.args) == 2 and isinstance(arg.args[0], sp.Transpose)
                and arg.args[0].arg.shape[1] == 1):
            return f"_xp.dot({self._print(arg.args[0].arg)}, {self._print(arg.args[1])})"
        return self._print_not_supported(expr)

    def _print_EntrySum(self, expr):
        return f"_xp.sum_last({self._print(expr.arg)})"

    def _print_MatrixSlice(self, expr):
        rows, cols = expr.rowslice, expr.colslice
        if expr.parent.shape[1] != 1 and not self.is_batched(expr) and rows[2] == cols[2] == 1:
            r, c = (":" if a == 0 and b == n else f"{self._print(a)}:{self._print(b)}"
                    for (a, b, _), n in zip((rows, cols), expr.parent.shape))
            return f"{self._paren(expr.parent)}[{r}, {c}]"  # a block of a parameter
        if expr.parent.shape[1] != 1 or rows[2] != 1:
            return self._print_not_supported(expr)
        start, stop = self._print(rows[0]), self._print(rows[1])
        return f"{self._paren(expr.parent)}[..., {start}:{stop}]"

    def _print_BlockMatrix(self, expr):
        blocks = expr.blocks
        if blocks.shape[1] != 1:
            return self._print_not_supported(expr)
        parts = []
        for b in blocks:
            factors = b.args if isinstance(b, MatMul) else (b,)
            # SymPy's BlockMatrix turns a OneMatrix(1, 1) block into Identity(1).
            ones = [a for a in factors if isinstance(a, (OneMatrix, sp.Identity))]
            if ones:
                n = self._print(ones[0].shape[0])
                coeff = [a for a in factors if a is not ones[0]]
                arr = f"_xp.ones(({n},))"
                parts.append(f"{self._paren(sp.Mul(*coeff))} * {arr}" if coeff else arr)
            else:
                parts.append(self._print(b))
        return f"_xp.concat({', '.join(parts)})"

    # -- reductions over the batch (parameter gradients) -------------------------
    def batch_sum(self, expr) -> str:
        """Print ``expr`` summed over the batch axes (a parameter's gradient contribution).

        An outer product ``u vᵀ`` of batched vectors becomes ``u.T @ v`` (one matrix
        product that sums over the batch); a batched vector or scalar is summed over
        axis 0; an unbatched expression is printed as it is.
        """
        if not self.is_batched(expr):
            return self._print(expr)
        coeffs = [a for a in getattr(expr, "args", ()) if not getattr(a, "is_Matrix", False)] \
            if isinstance(expr, MatMul) else []
        mats = [a for a in expr.args if getattr(a, "is_Matrix", False)] \
            if isinstance(expr, MatMul) else [expr]
        v = column_of(mats[1]) if len(mats) == 2 else None
        if v is not None and mats[0].shape[1] == 1:
            u = mats[0]
            body = f"_xp.outer_sum({self._print(u)}, {self._print(v)})"
            if coeffs:
                body = f"{self._paren(sp.Mul(*coeffs))} * {body}"
            return body
        if not getattr(expr, "is_Matrix", False):  # a batched scalar (B, 1)
            return f"_xp.sum_all({self._print(expr)})"
        if expr.shape[1] != 1:
            raise CompileError(f"cannot reduce {expr} over the batch"
                               + (f" in {self.where}" if self.where else ""))
        return f"_xp.sum_batch({self._print(expr)})"


# The op table must cover every class the grammar and the derivatives produce (checked at
# import): the matrix expressions, the spec functions, and what their derivatives are made of.
_MISSING = [c.__name__ for c in (*HANDLED, sigmoid, relu, clip, EntrySum, *ACTIVATIONS.values(),
                                 sp.Heaviside, sp.Abs, sp.Min, sp.Max)
            if f"_print_{c.__name__}" not in vars(ArrayPrinter)]
if _MISSING:  # pragma: no cover - a broken install or an edit that forgot a rule
    raise ImportError(f"ArrayPrinter has no rule for {', '.join(_MISSING)}")
