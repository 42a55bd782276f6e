"""ONNX's activation functions of its RNN, GRU and LSTM operators, as SymPy functions.

Each is element-wise in its first argument ``x`` and takes constant parameters after it
(:attr:`Activation.params`, with the default of the ONNX operator of the same name); a
parameter not given takes its default, so ``leaky_relu(x)`` *is* ``leaky_relu(x, 1/100)``.
:meth:`Activation.formula` is the operator's formula in elementary SymPy (``Piecewise``,
``Min``/``Max``, ``exp``, ``log``, ``tanh``, ``Abs``), for checks; ``fdiff`` is the
derivative the code generator prints.

At a kink the derivative is the one torch's own function gives under autograd (the
oracle of the tests): ``H(·)`` is the Heaviside step with H(0) = 0, as ``relu`` and ``clip``
use it. Derivatives never multiply a possible overflow by zero: elu′ reads
``exp(min(x, 0))``, which is at most 1.

The logistic :class:`sigmoid` is here too, as softplus′; :mod:`seqcheck.spec.functions`,
the function table, re-exports it with the rest.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import sympy as sp
from sympy.core.logic import fuzzy_and

__all__ = ["sigmoid", "Param", "Activation", "affine", "leaky_relu", "thresholded_relu",
           "scaled_tanh", "hard_sigmoid", "elu", "softsign", "softplus", "ACTIVATIONS",
           "parameter_text"]


class Param(NamedTuple):
    """One parameter of a spec function: its name and its default (None: required)."""

    name: str
    default: sp.Expr | None = None


def parameter_text(value) -> str:
    """A parameter as a spec writes it: a terminating rational as a decimal, else p/q.

    >>> # 1/100 is read from the spec's 0.01, and printed back the same way
    >>> parameter_text(sp.Rational(1, 100)), parameter_text(sp.Integer(-2)), \\
    ...     parameter_text(sp.Rational(1, 3))
    ('0.01', '-2', '1/3')
    """
    value = sp.sympify(value)
    if not value.is_Rational:
        return str(value)
    p, q = int(value.p), int(value.q)
    twos, fives, rest = 0, 0, q
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"{p}/{q}"
    digits = max(twos, fives)
    exact = Decimal(p * 10**digits // q).scaleb(-digits)
    text = f"{exact:f}"
    return text if len(text) <= 12 else f"{exact.normalize():E}"


def _heaviside(x):
    """H(x) with H(0) = 0 (the step the array printer prints as ``_xp.step``)."""
    return sp.Heaviside(x, 0)


class sigmoid(sp.Function):  # noqa: N801 - SymPy function classes are lower case
    """Logistic sigmoid 1 / (1 + exp(-x)) (seed 000 eq. 30, "sigma")."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return 1 / (1 + sp.exp(-x))
        return None

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        arg = printer._print(self.args[0])
        base = rf"\sigma\left({arg}\right)"
        return base if exp is None else rf"{base}^{{{exp}}}"


class Activation(sp.Function):
    """An element-wise spec function ``f(x, *params)`` with constant parameters.

    Subclasses set :attr:`params`, :attr:`onnx_name` and :meth:`formula`, and give
    ``fdiff`` for the first argument. Numbers evaluate (``leaky_relu(-2, 1/10)`` is -1/5);
    parameters left out take their defaults.
    """

    params: tuple[Param, ...] = ()
    onnx_name = ""

    def __new__(cls, x, *values, **options):
        if len(values) > len(cls.params):
            raise TypeError(f"{cls.__name__} takes x and at most {len(cls.params)} "
                            f"parameters, got {len(values)}")
        values = (*values, *(p.default for p in cls.params[len(values):]))
        return super().__new__(cls, x, *values, **options)

    @classmethod
    def formula(cls, x, *values):
        """The operator's formula in elementary SymPy functions."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    @classmethod
    def _evaluate(cls, x, *values):
        if all(a.is_Number and a.is_finite for a in (x, *values)):
            return cls.formula(x, *values)
        return None

    def _eval_rewrite_as_Piecewise(self, *args, **kwargs):
        return self.formula(*args)

    def _eval_is_real(self):
        return fuzzy_and(a.is_real for a in self.args)

    @classmethod
    def latex_call(cls, arg: str, values) -> str:
        r"""``\operatorname{LeakyRelu}_{0.01}\left(arg\right)``: the parameters as a subscript."""
        sub = r",\,".join(parameter_text(v) for v in values)
        head = rf"\operatorname{{{cls.onnx_name}}}" + (f"_{{{sub}}}" if sub else "")
        return rf"{head}\left({arg}\right)"

    def _latex(self, printer, exp=None):
        base = self.latex_call(printer._print(self.args[0]), self.args[1:])
        return base if exp is None else rf"{base}^{{{exp}}}"

    def _sympystr(self, printer):
        args = [printer._print(self.args[0]), *map(parameter_text, self.args[1:])]
        return f"{type(self).__name__}({', '.join(args)})"


class affine(Activation):  # noqa: N801 - SymPy function classes are lower case
    """ONNX Affine: alpha·x + beta; the derivative is alpha."""

    params = (Param("alpha", sp.Integer(1)), Param("beta", sp.Integer(0)))
    onnx_name = "Affine"

    @classmethod
    def eval(cls, x, alpha, beta):
        return cls._evaluate(x, alpha, beta)

    @classmethod
    def formula(cls, x, alpha, beta):
        return alpha * x + beta

    def fdiff(self, argindex=1):
        return self.args[1]


class leaky_relu(Activation):  # noqa: N801
    """ONNX LeakyRelu: x if x >= 0 else alpha·x; the derivative at 0 is alpha (as
    ``torch.nn.functional.leaky_relu``'s): 1 where x > 0, alpha where x <= 0."""

    params = (Param("alpha", sp.Rational(1, 100)),)
    onnx_name = "LeakyRelu"

    @classmethod
    def eval(cls, x, alpha):
        return cls._evaluate(x, alpha)

    @classmethod
    def formula(cls, x, alpha):
        return sp.Piecewise((x, x >= 0), (alpha * x, True))

    def fdiff(self, argindex=1):
        x, alpha = self.args
        step = _heaviside(x)
        return step + alpha * (1 - step)


class thresholded_relu(Activation):  # noqa: N801
    """ONNX ThresholdedRelu: x if x > alpha else 0 (the operator's ``Less(alpha, x)``, as
    onnxruntime and ``torch.nn.functional.threshold`` compute it); the derivative is
    H(x - alpha), 0 at x = alpha as torch's."""

    params = (Param("alpha", sp.Integer(1)),)
    onnx_name = "ThresholdedRelu"

    @classmethod
    def eval(cls, x, alpha):
        return cls._evaluate(x, alpha)

    @classmethod
    def formula(cls, x, alpha):
        return sp.Piecewise((x, x > alpha), (0, True))

    def fdiff(self, argindex=1):
        x, alpha = self.args
        return _heaviside(x - alpha)


class scaled_tanh(Activation):  # noqa: N801
    """ONNX ScaledTanh: alpha·tanh(beta·x); the derivative is alpha·beta·(1 - tanh²(beta·x))."""

    params = (Param("alpha", sp.Integer(1)), Param("beta", sp.Integer(1)))
    onnx_name = "ScaledTanh"

    @classmethod
    def eval(cls, x, alpha, beta):
        return cls._evaluate(x, alpha, beta)

    @classmethod
    def formula(cls, x, alpha, beta):
        return alpha * sp.tanh(beta * x)

    def fdiff(self, argindex=1):
        x, alpha, beta = self.args
        return alpha * beta * (1 - sp.tanh(beta * x) ** 2)


class hard_sigmoid(Activation):  # noqa: N801
    """ONNX HardSigmoid: min(max(alpha·x + beta, 0), 1); the derivative is alpha strictly
    inside the band 0 < alpha·x + beta < 1 and 0 on and beyond its edges (as
    ``torch.nn.functional.hardsigmoid``'s, and clip's)."""

    params = (Param("alpha", sp.Rational(1, 5)), Param("beta", sp.Rational(1, 2)))
    onnx_name = "HardSigmoid"

    @classmethod
    def eval(cls, x, alpha, beta):
        return cls._evaluate(x, alpha, beta)

    @classmethod
    def formula(cls, x, alpha, beta):
        return sp.Min(sp.Max(alpha * x + beta, 0), 1)

    def fdiff(self, argindex=1):
        x, alpha, beta = self.args
        z = alpha * x + beta
        return alpha * _heaviside(z) * _heaviside(1 - z)


class elu(Activation):  # noqa: N801
    """ONNX Elu: x if x >= 0 else alpha·(exp(x) - 1); the derivative is 1 where x > 0 and
    alpha·exp(x) where x <= 0 (alpha at 0, as ``torch.nn.functional.elu``'s), written with
    exp(min(x, 0)) so that a large x never overflows."""

    params = (Param("alpha", sp.Integer(1)),)
    onnx_name = "Elu"

    @classmethod
    def eval(cls, x, alpha):
        return cls._evaluate(x, alpha)

    @classmethod
    def formula(cls, x, alpha):
        return sp.Piecewise((x, x >= 0), (alpha * (sp.exp(x) - 1), True))

    def fdiff(self, argindex=1):
        x, alpha = self.args
        step = _heaviside(x)
        return step + alpha * sp.exp(sp.Min(x, 0)) * (1 - step)


class softsign(Activation):  # noqa: N801
    """ONNX Softsign: x / (1 + |x|); the derivative is 1 / (1 + |x|)²."""

    onnx_name = "Softsign"

    @classmethod
    def eval(cls, x):
        return cls._evaluate(x)

    @classmethod
    def formula(cls, x):
        return x / (1 + sp.Abs(x))

    def fdiff(self, argindex=1):
        return 1 / (1 + sp.Abs(self.args[0])) ** 2


class softplus(Activation):  # noqa: N801
    """ONNX Softplus: log(1 + exp(x)), computed as log1p(exp(-|x|)) + max(x, 0); the
    derivative is sigmoid(x)."""

    onnx_name = "Softplus"

    @classmethod
    def eval(cls, x):
        return cls._evaluate(x)

    @classmethod
    def formula(cls, x):
        return sp.log(1 + sp.exp(x))

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])


#: The activations by their spec name.
ACTIVATIONS: dict[str, type[Activation]] = {
    f.__name__: f for f in (affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid,
                            elu, softsign, softplus)
}
