"""The fixed function table of the spec grammar, as SymPy objects.

Element-wise functions are SymPy :class:`~sympy.Function` classes; applied to a
matrix expression they become an ``ElementwiseApplyFunction`` (the lectures'
``sigma(a)`` on a vector). ``softmax`` is not element-wise -- each output
depends on every input -- so it is a matrix expression of its own,
:class:`Softmax`.

ONNX's activations with constant parameters (``leaky_relu(v, 0.2)``) are the
:class:`~seqcheck.spec.activations.Activation` classes of :mod:`seqcheck.spec.activations`,
re-exported here with the logistic :class:`sigmoid`.

The table is closed: a call of any other name is a spec error, never a lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from .activations import (
    ACTIVATIONS,
    Activation,
    Param,
    affine,
    elu,
    hard_sigmoid,
    leaky_relu,
    scaled_tanh,
    sigmoid,
    softplus,
    softsign,
    thresholded_relu,
)

__all__ = ["sigmoid", "relu", "clip", "Softmax", "LogSoftmax", "EntrySum", "FunctionInfo",
           "FUNCTIONS", "Activation", "ACTIVATIONS", "Param", "affine", "leaky_relu",
           "thresholded_relu", "scaled_tanh", "hard_sigmoid", "elu", "softsign", "softplus"]


class relu(sp.Function):  # noqa: N801
    """Rectified linear unit max(0, x) (seed 001, "ReLU")."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.Max(0, x)
        return None

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sp.Max(0, x)

    def _latex(self, printer, exp=None):
        arg = printer._print(self.args[0])
        base = rf"\operatorname{{relu}}\left({arg}\right)"
        return base if exp is None else rf"{base}^{{{exp}}}"


class clip(sp.Function):  # noqa: N801
    """x limited to [-c, c], min(max(x, -c), c): ONNX's ``clip`` attribute of its RNN, LSTM
    and GRU operators, applied to the pre-activation of every gate.

    The derivatives are taken strictly inside and outside the band (on its edges |x| = c
    the function has none; these values are the ones torch.clamp's autograd gives for x):

        ∂clip/∂x = 1 where |x| < c, else 0;    ∂clip/∂c = sign(x) where |x| > c, else 0.
    """

    nargs = 2

    @classmethod
    def eval(cls, x, c):
        if x.is_Number and c.is_Number:
            return sp.Min(sp.Max(x, -c), c)
        return None

    def fdiff(self, argindex=1):
        x, c = self.args
        if argindex == 1:
            return sp.Heaviside(c - sp.Abs(x), 0)
        if argindex == 2:
            return sp.Heaviside(x - c, 0) - sp.Heaviside(-x - c, 0)
        raise sp.ArgumentIndexError(self, argindex)

    def _eval_rewrite_as_Max(self, x, c, **kwargs):
        return sp.Min(sp.Max(x, -c), c)

    def _latex(self, printer, exp=None):
        x, c = (printer._print(a) for a in self.args)
        base = rf"\operatorname{{clip}}\left({x}, {c}\right)"
        return base if exp is None else rf"{base}^{{{exp}}}"


class _OneMatrixArgument:
    """The construction of a SymPy object of one matrix-expression argument, ``arg``: any
    other argument is a ``TypeError`` naming what the class takes."""

    __slots__ = ()
    takes = "matrix"  # what the TypeError says the argument must be

    def __new__(cls, arg):
        arg = sp.sympify(arg)
        if not getattr(arg, "is_Matrix", False):
            raise TypeError(f"{cls.__name__} takes a {cls.takes} expression, got {arg!r}")
        return super().__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]


class _VectorFunction(_OneMatrixArgument, MatrixExpr):
    """A vector -> vector function applied to a column vector expression."""

    is_commutative = False
    latex_name = ""
    takes = "vector"

    @property
    def shape(self):
        return self.arg.shape

    def _latex(self, printer):
        return rf"{self.latex_name}\left({printer._print(self.arg)}\right)"

    def _sympystr(self, printer):
        return f"{type(self).__name__.lower()}({printer._print(self.arg)})"


class Softmax(_VectorFunction):
    """softmax(v)_k = exp(v_k) / sum_j exp(v_j) (seed 001 forward propagation; seed 000 eq. 44)."""

    latex_name = r"\operatorname{softmax}"

    def _entry(self, i, j, **kwargs):
        # Explicit entries exist only at a concrete size (as_explicit after binding dims).
        n = self.arg.shape[0]
        total = sp.Add(*[sp.exp(self.arg[k, j]) for k in range(int(n))])
        return sp.exp(self.arg[i, j]) / total


class LogSoftmax(_VectorFunction):
    """log_softmax(v)_k = v_k - log sum_j exp(v_j), the stable log of :class:`Softmax`."""

    latex_name = r"\operatorname{log\,softmax}"

    def _entry(self, i, j, **kwargs):
        n = self.arg.shape[0]
        total = sp.Add(*[sp.exp(self.arg[k, j]) for k in range(int(n))])
        return self.arg[i, j] - sp.log(total)


class EntrySum(_OneMatrixArgument, sp.Expr):
    """The sum of the entries of a vector (a scalar): ``sum(v)``; also a broadcast's adjoint."""

    is_commutative = True

    def doit(self, **hints):
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if getattr(arg, "is_Matrix", False) and all(sp.sympify(n).is_Integer for n in arg.shape):
            m = arg.as_explicit()
            return sp.Add(*[m[i, j] for i in range(m.rows) for j in range(m.cols)])
        return EntrySum(arg)

    def _eval_is_real(self):
        return True

    def _latex(self, printer):
        return rf"\textstyle\sum\left({printer._print(self.arg)}\right)"

    def _sympystr(self, printer):
        return f"sum({printer._print(self.arg)})"


@dataclass(frozen=True)
class FunctionInfo:
    """One entry of the grammar's function table.

    Arguments:
        name: the name written in a spec.
        kind: ``"elementwise"`` (applies entry by entry), ``"bounded"`` (entry by entry,
            with a scalar bound as its second argument), ``"vector"`` (vector -> vector),
            ``"reduce"`` (vector -> scalar),
            ``"identity"`` (returns its argument) or ``"concat"`` (stacks vectors).
        sympy: the SymPy function (elementwise) or matrix-expression class (vector).
        doc: one line for ``--help`` and the docs.
        params: the arguments after the first, each a :class:`Param` (name, default). For
            ``"elementwise"`` they are number literals, a default taking the place of one
            not written (``leaky_relu(v)`` is ``leaky_relu(v, 0.01)``); for ``"bounded"``
            the one bound, required, a positive number or a scalar parameter's name.
    """

    name: str
    kind: str
    sympy: object
    doc: str
    params: tuple[Param, ...] = ()


FUNCTIONS: dict[str, FunctionInfo] = {
    f.name: f
    for f in [
        FunctionInfo("sigmoid", "elementwise", sigmoid, "logistic 1/(1+exp(-x)), element-wise"),
        FunctionInfo("tanh", "elementwise", sp.tanh, "hyperbolic tangent, element-wise"),
        FunctionInfo("relu", "elementwise", relu, "max(0, x), element-wise"),
        FunctionInfo("clip", "bounded", clip,
                     "clip(v, c): v limited to [-c, c], element-wise (c > 0: a number or a "
                     "scalar parameter)", (Param("c"),)),
        *(FunctionInfo(cls.__name__, "elementwise", cls, doc, cls.params) for cls, doc in [
            (affine, "affine(v, alpha=1, beta=0): alpha*v + beta (ONNX Affine)"),
            (leaky_relu, "leaky_relu(v, alpha=0.01): v if v >= 0 else alpha*v (ONNX LeakyRelu)"),
            (thresholded_relu,
             "thresholded_relu(v, alpha=1): v if v > alpha else 0 (ONNX ThresholdedRelu)"),
            (scaled_tanh, "scaled_tanh(v, alpha=1, beta=1): alpha*tanh(beta*v) (ONNX ScaledTanh)"),
            (hard_sigmoid, "hard_sigmoid(v, alpha=0.2, beta=0.5): min(max(alpha*v + beta, 0), 1) "
                           "(ONNX HardSigmoid)"),
            (elu, "elu(v, alpha=1): v if v >= 0 else alpha*(exp(v) - 1) (ONNX Elu)"),
            (softsign, "softsign(v): v / (1 + |v|) (ONNX Softsign)"),
            (softplus, "softplus(v): log(1 + exp(v)), computed stably (ONNX Softplus)"),
        ]),
        FunctionInfo("exp", "elementwise", sp.exp, "exponential, element-wise"),
        FunctionInfo("log", "elementwise", sp.log, "natural logarithm, element-wise"),
        FunctionInfo("sqrt", "elementwise", sp.sqrt, "square root, element-wise"),
        FunctionInfo("softmax", "vector", Softmax, "exp(v) / sum(exp(v)) over a vector"),
        FunctionInfo("log_softmax", "vector", LogSoftmax, "log(softmax(v)), computed stably"),
        FunctionInfo("sum", "reduce", EntrySum, "sum of the entries of a vector (a scalar)"),
        FunctionInfo("identity", "identity", None, "returns its argument unchanged"),
        FunctionInfo("concat", "concat", None, "stacks vectors (and scalars) into one vector"),
    ]
}
