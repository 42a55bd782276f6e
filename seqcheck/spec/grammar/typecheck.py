"""The typechecker: a :class:`ParsedExpr` -> a :class:`Typed` SymPy matrix expression.

Names are resolved through the caller's :class:`Scope`; shapes are checked NumPy-style
(``()`` scalar, ``(n,)`` vector, ``(n, m)`` matrix, with SymPy dims), a 1-D vector following
NumPy's ``@`` semantics and scalars broadcasting in ``+ - * /``. A shape mismatch names
every operand's shape and the binding of every dim.
"""

from __future__ import annotations

import ast

import sympy as sp
from sympy import BlockMatrix, HadamardPower, OneMatrix, Trace
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from ..activations import parameter_text
from ..functions import FUNCTIONS
from .parse import position, segment, time_offset
from .shapes import format_shape, same_dim, same_shape, sympy_shape
from .tables import BINOPS
from .values import ExprError, ParsedExpr, Reference, Scope, Typed

__all__ = ["typecheck"]


class _Typer:
    """Types one parsed expression: one method per construct, each returning a :class:`Typed`."""

    def __init__(self, parsed: ParsedExpr, scope: Scope):
        self.text = parsed.text
        self.scope = scope

    def fail(self, node, kind, message, hint=None, details=(), symbol=None):
        raise ExprError(
            kind, message, **position(self.text, node), hint=hint, details=details, symbol=symbol
        )

    def seg(self, node) -> str:
        return segment(self.text, node)

    def shape_error(self, node, what: str, parts: list[tuple[ast.AST, Typed]], hint: str):
        details = tuple(
            f"{self.seg(n)} has shape {format_shape(v.shape)}" for n, v in parts
        ) + tuple(self.scope.dim_lines())
        self.fail(node, "shape-mismatch", what, hint=hint, details=details)

    # dispatch
    def visit(self, node) -> Typed:
        if isinstance(node, ast.Constant):
            seg = self.seg(node)
            value = sp.Integer(node.value) if isinstance(node.value, int) else sp.Rational(seg)
            return Typed(value, ())
        if isinstance(node, ast.Name):
            if node.id == "t":
                self.fail(
                    node,
                    "forbidden-construct",
                    "'t' may only appear inside a time index such as h[t-1]",
                    hint="the current step is implicit: write h for h[t]",
                )
            return self.scope.resolve(Reference(node.id, 0, **position(self.text, node)))
        if isinstance(node, ast.Subscript):
            offset = time_offset(self.text, node)
            return self.scope.resolve(Reference(node.value.id, offset, **position(self.text, node)))
        if isinstance(node, ast.Attribute):
            return self.transpose(self.visit(node.value))
        if isinstance(node, ast.UnaryOp):
            v = self.visit(node.operand)
            if isinstance(node.op, ast.UAdd):
                return v
            return Typed(-v.expr, v.shape)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        self.fail(node, "forbidden-construct", f"'{self.seg(node)}' is not part of the grammar")

    @staticmethod
    def transpose(v: Typed) -> Typed:
        if len(v.shape) < 2:  # NumPy: .T of a scalar or 1-D vector is itself
            return v
        return Typed(v.expr.T, (v.shape[1], v.shape[0]))

    @staticmethod
    def ones(shape: tuple):
        return OneMatrix(*sympy_shape(shape))

    def binop(self, node: ast.BinOp) -> Typed:
        a, b = self.visit(node.left), self.visit(node.right)
        op = BINOPS[type(node.op)]
        parts = [(node.left, a), (node.right, b)]
        if op == "@":
            return self.matmul(node, a, b, parts)
        if a.is_scalar and b.is_scalar:
            e = {"+": a.expr + b.expr, "-": a.expr - b.expr, "*": a.expr * b.expr}.get(op)
            return Typed(e if e is not None else a.expr / b.expr, ())
        if op in "+-":
            sign = 1 if op == "+" else -1
            if a.is_scalar:
                return Typed(a.expr * self.ones(b.shape) + sign * b.expr, b.shape)
            if b.is_scalar:
                return Typed(a.expr + sign * b.expr * self.ones(a.shape), a.shape)
            if not same_shape(a.shape, b.shape):
                self.shape_error(
                    node,
                    f"shape mismatch in '{op}': {format_shape(a.shape)} {op} "
                    f"{format_shape(b.shape)}",
                    parts,
                    "element-wise operands need equal shapes (a scalar broadcasts)",
                )
            return Typed(a.expr + sign * b.expr, a.shape)
        if op == "*":
            if a.is_scalar or b.is_scalar:
                return Typed(a.expr * b.expr, b.shape if a.is_scalar else a.shape)
            if not same_shape(a.shape, b.shape):
                self.shape_error(
                    node,
                    f"shape mismatch in '*': {format_shape(a.shape)} * {format_shape(b.shape)}",
                    parts,
                    "'*' is element-wise and needs equal shapes; for a matrix product use '@'",
                )
            return Typed(sp.hadamard_product(a.expr, b.expr), a.shape)
        # division
        if b.is_scalar:
            return Typed(a.expr * (1 / b.expr), a.shape)
        inv = HadamardPower(b.expr, -1)
        if a.is_scalar:
            return Typed(a.expr * inv, b.shape)
        if not same_shape(a.shape, b.shape):
            self.shape_error(
                node,
                f"shape mismatch in '/': {format_shape(a.shape)} / {format_shape(b.shape)}",
                parts,
                "'/' is element-wise and needs equal shapes (a scalar broadcasts)",
            )
        return Typed(sp.hadamard_product(a.expr, inv), a.shape)

    def matmul(self, node, a: Typed, b: Typed, parts) -> Typed:
        if a.is_scalar or b.is_scalar:
            self.shape_error(
                node,
                "'@' needs a vector or matrix on both sides, got a scalar",
                parts,
                "use '*' to scale by a scalar",
            )
        inner_a = a.shape[-1]
        inner_b = b.shape[0]
        if not same_dim(inner_a, inner_b):
            self.shape_error(
                node,
                f"shape mismatch in '@': {format_shape(a.shape)} @ {format_shape(b.shape)}; "
                f"inner dims {inner_a} and {inner_b} differ",
                parts,
                "check the orientation: W @ x needs W of shape (out, in); x @ W needs (in, out)",
            )
        if len(a.shape) == 2 and len(b.shape) == 2:
            return Typed(a.expr * b.expr, (a.shape[0], b.shape[1]))
        if len(a.shape) == 2:  # matrix @ vector
            return Typed(a.expr * b.expr, (a.shape[0],))
        if len(b.shape) == 2:  # vector @ matrix == (matrix.T @ vector), a 1-D result
            return Typed(b.expr.T * a.expr, (b.shape[1],))
        return Typed(Trace(a.expr.T * b.expr), ())  # inner product of two vectors

    def call(self, node: ast.Call) -> Typed:
        name = node.func.id
        info = FUNCTIONS[name]
        if info.kind == "elementwise" and info.params:
            return self.parametrised(node, info)
        args = [self.visit(a) for a in node.args]
        if info.kind == "concat":
            if not args:
                self.fail(node, "arity", "concat() needs at least one argument",
                          hint="concat(a, b)")
            blocks, total = [], sp.Integer(0)
            for arg_node, v in zip(node.args, args):
                if len(v.shape) == 2:
                    self.shape_error(
                        arg_node,
                        f"concat() stacks vectors and scalars, got shape {format_shape(v.shape)}",
                        [(arg_node, v)],
                        "concat takes vectors (1-D) and scalars",
                    )
                if v.is_scalar:
                    blocks.append([v.expr * OneMatrix(1, 1)] if v.expr != 1 else [OneMatrix(1, 1)])
                    total += 1
                else:
                    blocks.append([v.expr])
                    total += v.shape[0]
            if len(blocks) == 1:
                return Typed(blocks[0][0], (total,))
            return Typed(BlockMatrix(blocks), (total,))
        if info.kind == "bounded":
            return self.bounded(node, info, args)
        if len(args) != 1:
            self.fail(
                node,
                "arity",
                f"{name}() takes exactly one argument, got {len(args)}",
                hint=f"write {name}(x)",
            )
        (v,) = args
        if info.kind == "identity":
            return v
        if info.kind in ("reduce", "vector"):  # vector -> scalar, vector -> vector
            if len(v.shape) != 1:
                self.shape_error(
                    node,
                    f"{name}() takes a vector, got shape {format_shape(v.shape)}",
                    [(node.args[0], v)],
                    f"apply {name} to a 1-D vector",
                )
            return Typed(info.sympy(v.expr), () if info.kind == "reduce" else v.shape)
        if v.is_scalar:
            return Typed(info.sympy(v.expr), ())
        return Typed(ElementwiseApplyFunction(info.sympy, v.expr), v.shape)

    def bounded(self, node: ast.Call, info, args: list[Typed]) -> Typed:
        """``clip(v, c)``: element-wise in v; c a positive number or a scalar's name."""
        name = info.name
        if len(args) != 2:
            self.fail(node, "arity", f"{name}() takes exactly two arguments, got {len(args)}",
                      hint=f"write {name}(v, 0.5) for v limited to [-0.5, 0.5]")
        (v, c), bound = args, node.args[1]
        number = isinstance(bound, ast.Constant) and bool(c.expr.is_positive)
        if not (number or (isinstance(bound, ast.Name) and c.is_scalar)):
            self.fail(bound, "forbidden-construct",
                      f"the bound of {name}() must be a positive number or the name of a "
                      f"scalar parameter, not '{self.seg(bound)}'",
                      hint=f"write {name}(v, 0.5), or {name}(v, c) with c = {{ shape = [] }} "
                           "under [params]")
        if v.is_scalar:
            return Typed(info.sympy(v.expr, c.expr), ())
        d = sp.Dummy("d")
        return Typed(ElementwiseApplyFunction(sp.Lambda(d, info.sympy(d, c.expr)), v.expr),
                     v.shape)

    def parametrised(self, node: ast.Call, info) -> Typed:
        """``leaky_relu(v, 0.2)``: element-wise in v; each parameter a number literal (a
        negative one too), kept exact; one not written takes its default."""
        name, params = info.name, info.params
        given = node.args[1:]
        if not node.args or len(given) > len(params):
            listed = ", ".join(f"{p.name}={parameter_text(p.default)}" for p in params)
            count = f"{len(params)} parameter{'s' if len(params) > 1 else ''}"
            example = ", ".join(parameter_text(p.default) for p in params)
            self.fail(node, "arity",
                      f"{name}() takes a vector v and at most {count} ({listed}), got "
                      f"{len(node.args)} argument{'' if len(node.args) == 1 else 's'}",
                      hint=f"write {name}(v) for the defaults, or {name}(v, {example})")
        for k, (arg, param) in enumerate(zip(given, params)):
            if not _is_number(arg):
                upto = params[:k + 1]  # positional: the parameters before it are written too
                example = ", ".join(parameter_text(p.default) for p in upto)
                listed = ", ".join(f"{p.name}={parameter_text(p.default)}" for p in upto)
                self.fail(arg, "forbidden-construct",
                          f"the parameter {param.name} of {name}() must be a number, not "
                          f"'{self.seg(arg)}'",
                          hint=f"parameters are constants written as numbers, e.g. {name}(v, "
                               f"{example}) (the default{'s' if k else ''} {listed})",
                          symbol=arg.id if isinstance(arg, ast.Name) else None)
        v = self.visit(node.args[0])
        values = [self.visit(a).expr for a in given]
        values += [p.default for p in params[len(given):]]
        if v.is_scalar:
            return Typed(info.sympy(v.expr, *values), ())
        return Typed(ElementwiseApplyFunction(sp.Lambda(_ARG, info.sympy(_ARG, *values)),
                                              v.expr), v.shape)


def _is_number(node) -> bool:
    """A number literal, or one with a sign: ``0.2``, ``-0.5``, ``+1``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant)


#: The variable of every parametrised function's Lambda: one for all, so that two texts
#: of one function (``leaky_relu(v)``, ``leaky_relu(v, 0.01)``) are equal expressions.
_ARG = sp.Dummy("d")


def typecheck(parsed: ParsedExpr, scope: Scope) -> Typed:
    """Type an expression: resolve names through ``scope``, check shapes, build SymPy.

    Arguments:
        parsed: the output of :func:`parse_expression`.
        scope: resolves names (with time offsets) to typed symbols.
    Returns:
        The SymPy expression and its shape.
    Raises:
        ExprError: unknown symbols (raised by the scope) and shape mismatches.
    """
    return _Typer(parsed, scope).visit(parsed.tree.body)
