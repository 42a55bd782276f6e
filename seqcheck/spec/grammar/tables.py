"""The grammar's tables: resource limits, the constructs it refuses with their names in
error messages, its binary operators, and the hints several messages share.

The parser (:mod:`.parse`) and the typechecker (:mod:`.typecheck`) read them, and
docs/robustness.md lists the limits.
"""

from __future__ import annotations

import ast

__all__ = [
    "LIMITS",
    "FORBIDDEN_CONSTRUCTS",
    "STATEMENTS",
    "BINOPS",
    "REFUSED_OPERATORS",
    "GRAMMAR_HINT",
    "SPLIT_HINT",
    "NUMBER_HINT",
]

#: Resource limits for untrusted expression text.
LIMITS = {"chars": 10_000, "depth": 150, "nodes": 2_000, "digits": 40}

#: Expression nodes outside the grammar, by what an error message calls them.
FORBIDDEN_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator",
    ast.IfExp: "a conditional expression",
    ast.Dict: "a dict literal",
    ast.Set: "a set literal",
    ast.List: "a list literal",
    ast.Tuple: "a tuple",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "a starred argument",
    ast.Slice: "a slice",
}

#: Statements, which a right-hand side never is, by what an error message calls them.
STATEMENTS: dict[type[ast.AST], str] = {
    ast.Import: "an import",
    ast.ImportFrom: "an import",
    ast.Assign: "an assignment",
    ast.AugAssign: "an assignment",
    ast.AnnAssign: "an assignment",
    ast.FunctionDef: "a function definition",
    ast.AsyncFunctionDef: "a function definition",
    ast.ClassDef: "a class definition",
    ast.Delete: "a del statement",
    ast.Global: "a global statement",
    ast.Nonlocal: "a nonlocal statement",
    ast.For: "a loop",
    ast.While: "a loop",
    ast.With: "a with statement",
    ast.Raise: "a raise statement",
    ast.Try: "a try statement",
    ast.Assert: "an assert statement",
    ast.If: "an if statement",
    ast.Return: "a return statement",
    ast.Pass: "a pass statement",
}

#: The grammar's binary operators, by their spelling.
BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@",
}

#: Python operators that people write and the grammar refuses, by their spelling.
REFUSED_OPERATORS: dict[type[ast.operator], str] = {ast.Pow: "**", ast.FloorDiv: "//",
                                                    ast.Mod: "%"}

GRAMMAR_HINT = "expressions use + - * / @, .T, v[t-1], numbers and calls of the function table"
SPLIT_HINT = "split it into several equations with intermediate variables"
NUMBER_HINT = "write the number in scientific notation or as a parameter"
