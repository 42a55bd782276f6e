"""Readable text and LaTeX for specs and derivations, in the lectures' notation.

SymPy's default printers show an element-wise ``tanh`` as a mapped lambda and name
symbols as stored (``adj_h[t+1]``). These subclasses print ``tanh(c_t)``, ``h_{t-1}``,
``\\bar{h}_{t+1}`` (the adjoint ∂L/∂h_{t+1}), ``\\delta_i`` (a named intermediate
adjoint), ``\\tilde{c}_t`` and ``⊙`` for the Hadamard product.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence, precedence_traditional
from sympy.printing.str import StrPrinter

from .spec.activations import Activation, parameter_text
from .spec.functions import clip

__all__ = ["TextPrinter", "MathPrinter", "elementwise_call", "inner_product", "text", "latex"]

_REF = re.compile(r"^(?P<base>.*?)(?:\[t(?P<off>[+-]\d+)\])?$")
GREEK = {"alpha", "beta", "gamma", "delta", "eta", "theta", "lambda", "mu", "sigma", "tau",
          "phi", "rho", "omega"}


def split_ref(name: str) -> tuple[str, int]:
    """``"h[t-1]"`` -> ``("h", -1)``; ``"W"`` -> ``("W", 0)``: the naming rule of
    :mod:`seqcheck.spec.symbols` read back."""
    m = _REF.match(name)
    return m.group("base"), int(m.group("off") or 0)


def time_label(offset: int) -> str:
    return "t" if offset == 0 else f"t{offset:+d}"


def matmul_sign(expr: sp.MatMul) -> tuple[bool, list]:
    """``(negative, factors)``: a product's sign, read off its numeric coefficient, and its
    factors with that sign taken out (a coefficient of -1 dropped).

    SymPy's printers ask ``could_extract_minus_sign``, which for a matrix product calls
    ``MatMul.doit`` and the assumption system: seconds for one LSTM derivation. A
    coefficient here is always explicit, so reading it is enough.

    >>> import sympy as sp
    >>> a = sp.MatrixSymbol("a", 2, 2)
    >>> matmul_sign(sp.MatMul(-2, a, a))
    (True, [2, a, a])
    """
    args = list(expr.args)
    head = args[0]
    if not getattr(head, "is_Matrix", False) and head.is_Number and head < 0:
        return True, (args[1:] if head == -1 else [-head, *args[1:]])
    return False, args


def _precedence(item, base) -> int:
    """``base(item)`` (a SymPy precedence function), for a matrix product without asking
    the assumption system (:func:`matmul_sign`)."""
    if isinstance(item, sp.MatMul):
        return PRECEDENCE["Add"] if matmul_sign(item)[0] else PRECEDENCE["Mul"]
    return base(item)


def _signed_terms(printer, expr) -> str:
    """``a + b - c``: negative coefficients as subtractions, positive terms first."""
    pos, neg = [], []
    for a in expr.args:
        coeff, rest = a.as_coeff_mmul() if isinstance(a, sp.MatMul) else (None, a)
        if coeff is not None and coeff.is_Number and coeff < 0:
            neg.append(printer._print(rest if coeff == -1 else sp.MatMul(
                -coeff, *(rest.args if isinstance(rest, sp.MatMul) else (rest,)))))
            continue
        t = printer._print(a)
        if t.startswith("-") and not t.startswith("-(") and " + " not in t and " - " not in t:
            neg.append(t[1:].lstrip())
        else:
            pos.append(t)
    out = " + ".join(pos) if pos else "-" + neg.pop(0)
    for n in neg:
        out += f" - {n}" if (" + " not in n and " - " not in n) else f" - ({n})"
    return out


def elementwise_call(expr) -> tuple[str, tuple] | None:
    """How a printer shows ``f.(v)``: ``(name, (v, *extra))`` for a named function of one
    argument (``("tanh", (v,))``), clip with its bound (``("clip", (v, c))``) or an
    activation with its parameters (``("leaky_relu", (v, 1/100))``); None for any other
    lambda body (a derivative such as H(c − |v|)), which a printer expands.

    >>> import sympy as sp
    >>> v = sp.MatrixSymbol("v", 2, 1)
    >>> elementwise_call(v.applyfunc(sp.tanh))
    ('tanh', (v,))
    """
    lam = expr.function
    if not isinstance(lam, sp.Lambda):
        return None
    (d,) = lam.variables
    body = lam.expr
    if isinstance(body, sp.Function) and body.args == (d,):
        return type(body).__name__, (expr.expr,)
    if isinstance(body, clip) and body.args[0] == d:  # clip(v, c): v and its bound
        return "clip", (expr.expr, body.args[1])
    if isinstance(body, Activation) and body.args[0] == d and not any(
            a.has(d) for a in body.args[1:]):  # leaky_relu(v, alpha): v and the parameters
        return type(body).__name__, (expr.expr, *body.args[1:])
    return None


def inner_product(arg) -> tuple | None:
    """``(a, b)`` when a trace's argument is ``aᵀ @ b``, so that tr(aᵀ b) = ⟨a, b⟩; else None.

    >>> import sympy as sp
    >>> a, b = sp.MatrixSymbol("a", 2, 1), sp.MatrixSymbol("b", 2, 1)
    >>> inner_product(a.T @ b), inner_product(a @ b.T)
    ((a, b), None)
    """
    if isinstance(arg, sp.MatMul) and len(arg.args) == 2 and isinstance(arg.args[0],
                                                                        sp.Transpose):
        return arg.args[0].arg, arg.args[1]
    return None


class TextPrinter(StrPrinter):
    """One-line text: ``d_i = adj_i ⊙ i ⊙ (1 - i)``, ``W_hiᵀ d_i``."""

    printmethod = "_seqcheck_text"

    def parenthesize(self, item, level, strict=False):
        if _precedence(item, precedence) < level or (not strict
                                                     and _precedence(item, precedence) <= level):
            return f"({self._print(item)})"
        return self._print(item)

    def _print_MatAdd(self, expr):
        return _signed_terms(self, expr)

    def _print_HadamardProduct(self, expr):
        return " ⊙ ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_HadamardPower(self, expr):
        return f"{self.parenthesize(expr.base, 60)}^∘{self._print(expr.exp)}"

    def _print_ElementwiseApplyFunction(self, expr):
        lam = expr.function
        call = elementwise_call(expr)
        if call is not None:
            name, (arg, *extra) = call
            show = parameter_text if isinstance(lam.expr, Activation) else self._print
            return f"{name}({', '.join([self._print(arg), *map(show, extra)])})"
        if isinstance(lam, sp.Lambda):
            (d,) = lam.variables
            body = lam.expr
            out = self._print(body.xreplace({d: sp.Symbol(f"({self._print(expr.expr)})")}))
            return f"({out})" if isinstance(body, sp.Add) else out
        return f"{lam}({self._print(expr.expr)})"

    def _print_Function(self, expr):
        if isinstance(expr, Activation):  # leaky_relu(s, 0.01): parameters as a spec writes them
            return expr._sympystr(self)
        return super()._print_Function(expr)

    def _print_Transpose(self, expr):
        return f"{self.parenthesize(expr.arg, 60)}ᵀ"

    def _print_OneMatrix(self, expr):
        return "1"

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_EntrySum(self, expr):
        return f"Σ({self._print(expr.arg)})"

    def _print_Trace(self, expr):
        pair = inner_product(expr.arg)
        if pair is not None:
            return f"⟨{self._print(pair[0])}, {self._print(pair[1])}⟩"
        return f"tr({self._print(expr.arg)})"

    def _print_DiagMatrix(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_MatrixSlice(self, expr):
        (start, stop, _), _ = expr.rowslice, expr.colslice
        return f"{self.parenthesize(expr.parent, 60)}[{self._print(start)}:{self._print(stop)}]"

    def _print_BlockMatrix(self, expr):
        sep = "; " if expr.blocks.shape[1] == 1 else ", "
        return "[" + sep.join(self._print(b) for b in expr.blocks) + "]"

    def _print_Identity(self, expr):
        return "1" if expr.shape == (1, 1) else "I"

    def _print_MatMul(self, expr):
        parts = []
        for a in expr.args:
            s = self.parenthesize(a, 50)
            parts.append(s)
        return " ".join(parts).replace("-1 ", "-")


class MathPrinter(LatexPrinter):
    """LaTeX in the lectures' notation (see the module docstring)."""

    printmethod = "_seqcheck_latex"

    def __init__(self, settings=None):
        super().__init__({"mat_symbol_style": "plain", **(settings or {})})
        self._verbatim: dict[str, str] = {}  # stand-ins for a lambda's argument, as printed

    def _print_MatAdd(self, expr):
        return _signed_terms(self, expr)

    def parenthesize(self, item, level, is_neg=False, strict=False) -> str:
        prec = _precedence(item, precedence_traditional)
        if (is_neg and strict) or prec < level or (not strict and prec <= level):
            return self._add_parens(self._print(item))
        return self._print(item)

    def _print_MatMul(self, expr):
        negative, args = matmul_sign(expr)
        level = PRECEDENCE["Mul"]
        parts = [self._print(a) if isinstance(a, sp.Mul) and not isinstance(a, sp.MatMul)
                 else self.parenthesize(a, level, False) for a in args]
        return ("- " if negative else "") + " ".join(parts)

    def _print_sigmoid(self, expr, exp=None):
        return rf"\sigma\left({self._print(expr.args[0])}\right)"

    def _print_Function(self, expr, exp=None):
        if isinstance(expr, Activation):  # \operatorname{LeakyRelu}_{0.01}\left(s\right)
            return expr._latex(self, exp)
        return super()._print_Function(expr, exp)

    def _print_Identity(self, expr):
        return "1" if expr.shape == (1, 1) else r"I"

    def _print_DiagMatrix(self, expr):
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    @staticmethod
    def latex_name(base: str) -> str:
        r"""A name in LaTeX: Greek heads, the rest as a subscript, ``_tilde`` as a tilde.

        >>> MathPrinter.latex_name("W_hi"), MathPrinter.latex_name("sigma_tilde")
        ('W_{hi}', '\\tilde{\\sigma}')
        """
        if base.endswith("_tilde"):
            return rf"\tilde{{{MathPrinter.latex_name(base[:-6])}}}"
        head, _, tail = base.partition("_")
        head = rf"\{head}" if head in GREEK else head
        return f"{head}_{{{tail}}}" if tail else head

    def _symbol(self, name: str, scalar_param=False) -> str:
        base, off = split_ref(name)
        if base.startswith("adj_"):
            inner = self.latex_name(base[4:])
            return rf"\bar{{{inner}}}_{{{time_label(off)}}}"
        if base.startswith("d_"):
            return rf"\delta^{{{self.latex_name(base[2:])}}}_{{{time_label(off)}}}"
        if base.startswith("dl_d"):
            return rf"\frac{{\partial \ell_t}}{{\partial {self.latex_name(base[4:])}_t}}"
        sub = f"_{{{time_label(off)}}}" if self.time_indexed(base) else ""
        return self.latex_name(base) + sub

    def time_indexed(self, base: str) -> bool:
        return base in self._variables

    _variables: frozenset = frozenset()

    def _print_MatrixSymbol(self, expr, style="plain"):
        return self._symbol(expr.name)

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in self._verbatim:
            return self._verbatim[expr.name]
        if expr.is_integer and expr.is_positive:  # a dim
            return self.latex_name(expr.name)
        return self._symbol(expr.name)

    def _print_ElementwiseApplyFunction(self, expr):
        lam = expr.function
        call = elementwise_call(expr)
        if call is not None and isinstance(lam.expr, Activation):
            return lam.expr.latex_call(self._print(call[1][0]), call[1][1:])
        if call is not None:
            name, args = call
            fn = {"sigmoid": r"\sigma", "tanh": r"\tanh", "exp": r"\exp",
                  "log": r"\log"}.get(name, rf"\operatorname{{{name}}}")
            return rf"{fn}\left({', '.join(self._print(a) for a in args)}\right)"
        if isinstance(lam, sp.Lambda):
            (d,) = lam.variables
            body = lam.expr
            arg = self._print(expr.expr)
            # Any other body (clip's derivative H(c - |a|)): the argument, printed once,
            # stands in for the lambda's variable; a symbol named after it would be
            # split at its underscores.
            stand_in = f"_arg{len(self._verbatim)}"
            self._verbatim[stand_in] = rf"\left({arg}\right)"
            out = self._print(body.xreplace({d: sp.Symbol(stand_in)}))
            return rf"\left({out}\right)" if isinstance(body, sp.Add) else out
        return super()._print_ElementwiseApplyFunction(expr)

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_HadamardPower(self, expr):
        return rf"{self.parenthesize(expr.base, 60)}^{{\circ {self._print(expr.exp)}}}"

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}"

    def _print_EntrySum(self, expr):
        return rf"\mathbf{{1}}^\top\left({self._print(expr.arg)}\right)"

    def _print_Trace(self, expr):
        pair = inner_product(expr.arg)
        if pair is not None:
            a, b = (self._print(e) for e in pair)
            return rf"\left\langle {a}, {b} \right\rangle"
        return super()._print_Trace(expr)

    def _print_BlockMatrix(self, expr):
        sep = r" \\ " if expr.blocks.shape[1] == 1 else " & "
        return r"\begin{bmatrix}" + sep.join(self._print(b) for b in expr.blocks) + \
            r"\end{bmatrix}"

    def _print_MatrixSlice(self, expr):
        (start, stop, _), _ = expr.rowslice, expr.colslice
        return rf"{self.parenthesize(expr.parent, 60)}_{{[{self._print(start)}:" \
               rf"{self._print(stop)}]}}"


def text(expr) -> str:
    """One-line text of a SymPy expression in the lectures' notation."""
    return TextPrinter().doprint(expr)


def latex(expr, variables=()) -> str:
    """LaTeX of a SymPy expression; names in ``variables`` get a time index (h_t)."""
    p = MathPrinter()
    p._variables = frozenset(variables)
    return p.doprint(expr)
