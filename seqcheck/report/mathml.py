"""Presentation MathML in the lectures' notation, for HTML reports.

:class:`MathMLPrinter` subclasses SymPy's ``MathMLPresentationPrinter`` the way
:class:`seqcheck.printing.MathPrinter` subclasses the LaTeX printer, and prints the same
notation: ``tanh(c_t)``, ``h_{t-1}``, ``W_{hi}``, ``c̃_t``, ``⊙``, the adjoint ``h̄_{t+1}``
(∂L/∂h_{t+1}), a named intermediate adjoint ``δ^i_t`` and ``∂ℓ_t/∂h_t``. The output is
well-formed XML with character references only (SymPy's own printer writes HTML entity
names such as ``&InvisibleTimes;``, which an XML parser rejects), and uses only MathML
Core elements, so that browsers render it without scripts.
"""

from __future__ import annotations

import html.entities
import re
from xml.sax.saxutils import escape

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE, precedence_traditional
from sympy.printing.printer import Printer

from ..printing import GREEK, elementwise_call, split_ref, time_label
from ..spec.activations import ACTIVATIONS, Activation, parameter_text

__all__ = ["MathMLPrinter", "mathml", "precedence"]

_FUNCTION_NAMES = {"sigmoid": "σ", "tanh": "tanh", "exp": "exp", "log": "log",
                   **{name: f.onnx_name for name, f in ACTIVATIONS.items()}}  # LeakyRelu, ...
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}


def _entity_to_char(m: re.Match) -> str:
    name = m.group(1)
    if name in _XML_ENTITIES:
        return m.group(0)
    char = html.entities.html5.get(name + ";")
    if char is None:
        raise ValueError(f"unknown entity &{name}; in MathML output")
    return escape(char)


def precedence(item) -> int:
    """A precedence read off the class, for matrix expressions.

    SymPy's ``precedence_traditional`` asks whether a matrix product could extract a minus
    sign, which evaluates the product (and the assumptions system) at every level: seconds
    for one LSTM gradient. Scalars keep SymPy's precedence.
    """
    if not getattr(item, "is_Matrix", False):
        return precedence_traditional(item)
    if isinstance(item, sp.MatAdd):
        return PRECEDENCE["Add"]
    if isinstance(item, sp.MatMul):
        first = item.args[0]
        negative = getattr(first, "is_Number", False) and first < 0
        return PRECEDENCE["Add"] if negative else PRECEDENCE["Mul"]
    if isinstance(item, sp.HadamardProduct):
        return PRECEDENCE["Mul"]
    if isinstance(item, (sp.MatPow, sp.HadamardPower, sp.Transpose)):
        return PRECEDENCE["Pow"]
    return PRECEDENCE["Atom"]


class MathMLPrinter(MathMLPresentationPrinter):
    """Presentation MathML of one expression (see the module docstring).

    Arguments:
        variables: names printed with a time index (``h`` → h_t).
    """

    printmethod = "_seqcheck_mathml"

    def __init__(self, variables=(), settings=None):
        super().__init__({"mat_symbol_style": "plain", **(settings or {})})
        self._variables = frozenset(variables)
        self._verbatim: dict[str, object] = {}  # stand-ins for a lambda's argument

    def doprint(self, expr) -> str:
        return self.serialize(Printer._print(self, expr))

    def serialize(self, node) -> str:
        """An element as XML text. SymPy's doprint encodes to ASCII; we keep UTF-8 and turn
        entity names into characters, which XML parsers accept."""
        return _ENTITY.sub(_entity_to_char, node.toxml())

    def equation(self, lhs, rhs, sum_t: bool = False):
        """``lhs = rhs`` (``lhs = Σ_t rhs``) as one row; ``lhs`` is an element."""
        row = self._el("mrow", lhs, self._mo("="))
        if sum_t:
            row.appendChild(self._el("munder", self._mo("∑"), self._mi("t")))
        row.appendChild(self._print(rhs))
        return row

    def partial(self, of: str, wrt: str, of_time: bool = False, wrt_offset: int | None = None):
        """∂of/∂wrt as a fraction; ``of_time``: of_t; ``wrt_offset``: wrt at t + offset."""
        of_el = self._name(of, [self._t(0)] if of_time else [])
        wrt_el = self._name(wrt, [] if wrt_offset is None else [self._t(wrt_offset)])
        return self._el("mfrac", self._el("mrow", self._mo("∂"), of_el),
                        self._el("mrow", self._mo("∂"), wrt_el))

    # -- element helpers ------------------------------------------------------------
    def _el(self, tag: str, *children, text: str | None = None, **attrs):
        node = self.dom.createElement(tag)
        for k, v in attrs.items():
            node.setAttribute(k, v)
        if text is not None:
            node.appendChild(self.dom.createTextNode(escape(text)))
        for c in children:
            node.appendChild(c)
        return node

    def _mo(self, text: str, **attrs):
        return self._el("mo", text=text, **attrs)

    def _mi(self, text: str, **attrs):
        return self._el("mi", text=text, **attrs)

    def parenthesize(self, item, level, strict=False):
        p = precedence(item)
        if p < level or (not strict and p <= level):
            return self._paren(self._print(item))
        return self._print(item)

    def _paren(self, node, left="(", right=")"):
        return self._el("mrow", self._mo(left), node, self._mo(right))

    def _call(self, name_node, *args):
        inner = self._el("mrow")
        for k, a in enumerate(args):
            if k:
                inner.appendChild(self._mo(","))
            inner.appendChild(a)
        return self._el("mrow", name_node, self._mo("\u2061"), self._paren(inner))

    # -- names ----------------------------------------------------------------------
    def _name(self, base: str, subscripts=()):
        """``W_hi`` → W with subscript hi; ``c_tilde`` → c̃; extra subscripts (the time)."""
        if base.endswith("_tilde"):
            core = self._el("mover", self._name(base[:-6]), self._mo("~"), accent="true")
            return self._sub(core, list(subscripts))
        head, _, tail = base.partition("_")
        core = self._mi(_greek(head))
        subs = ([self._mi(tail)] if tail else []) + list(subscripts)
        return self._sub(core, subs)

    def _sub(self, core, subs):
        if not subs:
            return core
        row = self._el("mrow")
        for k, s in enumerate(subs):
            if k:
                row.appendChild(self._mo(",", separator="true"))
            row.appendChild(s)
        return self._el("msub", core, row)

    def _t(self, offset: int):
        return self._mi(time_label(offset)) if offset == 0 else self._el("mrow", *(
            [self._mi("t"), self._mo("+" if offset > 0 else "−"), self._el("mn", text=str(abs(
                offset)))]))

    def _symbol(self, name: str):
        base, off = split_ref(name)
        if base.startswith("adj_"):
            bar = self._el("mover", self._name(base[4:]), self._mo("¯"), accent="true")
            return self._el("msub", bar, self._t(off))
        if base.startswith("d_"):
            return self._el("msubsup", self._mi("δ"), self._t(off), self._name(base[2:]))
        if base.startswith("dl_d"):
            num = self._el("mrow", self._mo("∂"), self._el("msub", self._mi("ℓ"), self._mi("t")))
            den = self._el("mrow", self._mo("∂"), self._name(base[4:], [self._mi("t")]))
            return self._el("mfrac", num, den)
        if base in self._variables:
            return self._name(base, [self._t(off)])
        return self._name(base)

    def _print_MatrixSymbol(self, expr):
        return self._symbol(expr.name)

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in self._verbatim:
            return self._paren(self._print(self._verbatim[expr.name]))
        if expr.is_integer and expr.is_positive:  # a dim
            return self._name(expr.name)
        return self._symbol(expr.name)

    # -- operators ------------------------------------------------------------------
    def _print_MatAdd(self, expr):
        pos, neg = [], []
        for a in expr.args:
            coeff, rest = a.as_coeff_mmul() if isinstance(a, sp.MatMul) else (None, a)
            if coeff is not None and coeff.is_Number and coeff < 0:
                neg.append(rest if coeff == -1 else sp.MatMul(-coeff, rest))
            else:
                pos.append(a)
        row = self._el("mrow")
        for k, a in enumerate(pos):
            if k:
                row.appendChild(self._mo("+"))
            row.appendChild(self._print(a))
        for a in neg:
            row.appendChild(self._mo("−"))
            row.appendChild(self._paren(self._print(a)) if isinstance(a, sp.MatAdd)
                            else self._print(a))
        return row

    def _print_MatMul(self, expr):
        args = list(expr.args)
        row = self._el("mrow")
        if args and args[0] == -1:
            row.appendChild(self._mo("−"))
            args = args[1:]
        for k, a in enumerate(args):
            if k:
                row.appendChild(self._mo("\u2062"))
            row.appendChild(self.parenthesize(a, precedence(expr), False))
        return row

    def _print_HadamardProduct(self, expr):
        row = self._el("mrow")
        for k, a in enumerate(expr.args):
            if k:
                row.appendChild(self._mo("⊙"))
            row.appendChild(self.parenthesize(a, 50, False))
        return row

    def _print_HadamardPower(self, expr):
        exp = self._el("mrow", self._mo("∘"), self._print(expr.exp))
        return self._el("msup", self.parenthesize(expr.base, 60, False), exp)

    def _print_Transpose(self, expr):
        arg = expr.arg
        base = self._print(arg) if isinstance(arg, sp.MatrixSymbol) else \
            self._paren(self._print(arg))
        return self._el("msup", base, self._mi("T", mathvariant="normal"))

    def _print_ElementwiseApplyFunction(self, expr):
        lam = expr.function
        call = elementwise_call(expr)
        if call is not None and isinstance(lam.expr, Activation):
            name, (arg, *values) = call
            return self._call(self._activation(name, values), self._print(arg))
        if call is not None:
            name, args = call
            head = self._mi("clip") if name == "clip" else self._fn(name)
            return self._call(head, *(self._print(a) for a in args))
        if isinstance(lam, sp.Lambda):
            (d,) = lam.variables
            body = lam.expr
            # Any other body: the argument, printed in parentheses, stands in for the
            # lambda's variable (as in MathPrinter).
            stand_in = f"_arg{len(self._verbatim)}"
            self._verbatim[stand_in] = expr.expr
            out = self._print(body.xreplace({d: sp.Symbol(stand_in)}))
            return self._paren(out) if isinstance(body, sp.Add) else out
        return self._call(self._mi(str(lam)), self._print(expr.expr))

    def _fn(self, name: str):
        return self._mi(_FUNCTION_NAMES.get(name, name))

    def _activation(self, name: str, values):
        """``LeakyRelu`` with its parameters as a subscript, ``LeakyRelu_{0.01}``."""
        if not values:
            return self._fn(name)
        sub = self._el("mrow")
        for k, v in enumerate(values):
            if k:
                sub.appendChild(self._mo(",", separator="true"))
            text = parameter_text(v)
            if text.startswith("-"):
                sub.appendChild(self._mo("−"))
            sub.appendChild(self._el("mn", text=text.removeprefix("-")))
        return self._el("msub", self._fn(name), sub)

    def _print_Function(self, expr):
        if isinstance(expr, Activation):  # a scalar leaky_relu(s, 0.01)
            name = type(expr).__name__
            return self._call(self._activation(name, expr.args[1:]), self._print(expr.args[0]))
        return self._call(self._fn(type(expr).__name__), *[self._print(a) for a in expr.args])

    def _print_OneMatrix(self, expr):
        return self._mi("1", mathvariant="bold")

    def _print_ZeroMatrix(self, expr):
        return self._el("mn", text="0")

    def _print_Identity(self, expr):
        return self._el("mn", text="1") if expr.shape == (1, 1) else self._mi("I")

    def _print_DiagMatrix(self, expr):
        return self._call(self._mi("diag"), self._print(expr.args[0]))

    def _print_EntrySum(self, expr):
        ones = self._el("msup", self._mi("1", mathvariant="bold"),
                        self._mi("T", mathvariant="normal"))
        return self._el("mrow", ones, self._paren(self._print(expr.arg)))

    def _print_Trace(self, expr):
        arg = expr.arg
        if isinstance(arg, sp.MatMul) and len(arg.args) == 2 and isinstance(arg.args[0],
                                                                            sp.Transpose):
            inner = self._el("mrow", self._print(arg.args[0].arg), self._mo(","),
                             self._print(arg.args[1]))
            return self._paren(inner, "⟨", "⟩")
        return self._call(self._mi("tr"), self._print(arg))

    def _print_BlockMatrix(self, expr):
        blocks = expr.blocks
        table = self._el("mtable")
        for i in range(blocks.shape[0]):
            tr = self._el("mtr")
            for j in range(blocks.shape[1]):
                tr.appendChild(self._el("mtd", self._print(blocks[i, j])))
            table.appendChild(tr)
        return self._paren(table, "[", "]")

    def _print_MatrixSlice(self, expr):
        (start, stop, _), _ = expr.rowslice, expr.colslice
        rng = self._el("mrow", self._mo("["), self._print(start), self._mo(":"),
                       self._print(stop), self._mo("]"))
        return self._el("msub", self.parenthesize(expr.parent, 60, False), rng)


def _greek(head: str) -> str:
    if head in GREEK:
        return html.entities.html5[f"{head};"]
    return head


def mathml(expr, variables=(), display: bool = False) -> str:
    """A ``<math>`` element for a SymPy expression; names in ``variables`` get a time index.

    Arguments:
        expr: a SymPy (matrix) expression.
        variables: names printed as ``name_t``.
        display: a block formula (``display="block"``) instead of an inline one.
    Returns:
        The MathML text, well-formed XML.

    >>> # the LSTM's cell update, as the lecture writes it
    >>> from seqcheck import load_spec
    >>> spec = load_spec("lstm")
    >>> out = mathml(spec.equation("c").expr, spec.variables + ("x",))
    >>> out.startswith("<math>") and "⊙" in out
    True
    """
    body = MathMLPrinter(variables).doprint(expr)
    opening = '<math display="block">' if display else "<math>"
    return f"{opening}{body}</math>"
