"""Every kind of spec error, with its exact message (file:line:col, caret, details, fix).

One valid base spec; each case replaces one piece of its text and asserts the whole
message line by line, and the first diagnostic's kind, line, column, symbol and
equation. Messages are API: a change here is a deliberate change of what users read.
"""

import pytest
from cells import GOLDEN_CELL, GOLDEN_EQ

from seqcheck import SpecError, loads_spec

BASE, EQ = GOLDEN_CELL, GOLDEN_EQ


def test_base_spec_is_valid():
    spec = loads_spec(BASE, file="cell.toml")
    assert spec.variables == ("h",)
    assert [str(d) for d in spec.equation("h").shape] == ["H"]


CASES = [
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + Ux @ x + b)"',
        ('unknown-symbol', 21, 24, 'Ux', 'h'),
        [
            "cell.toml:21:24: error[unknown-symbol]: unknown symbol 'Ux'",
            '    21 | h = "tanh(W @ h[t-1] + Ux @ x + b)"',
            '       |                        ^^',
            "  hint: did you mean 'U'? declare it under [inputs], [states] or [params], or define it by an equation",
        ],
        id='unknown-symbol',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + x @ U + b)"',
        ('shape-mismatch', 21, 24, None, 'h'),
        [
            "cell.toml:21:24: error[shape-mismatch]: shape mismatch in '@': (D,) @ (H, D); inner dims D and H differ",
            '    21 | h = "tanh(W @ h[t-1] + x @ U + b)"',
            '       |                        ^^^^^',
            '  x has shape (D,)',
            '  U has shape (H, D)',
            '  dims: D (input size) = unbound, H (hidden size) = unbound -- symbolic: no sizes are bound in a spec',
            '  hint: check the orientation: W @ x needs W of shape (out, in); x @ W needs (in, out)',
        ],
        id='shape-mismatch-matmul',
    ),
    pytest.param(
        'b = { shape = ["H"] }',
        'b = { shape = ["D"] }',
        ('shape-mismatch', 21, 11, None, 'h'),
        [
            "cell.toml:21:11: error[shape-mismatch]: shape mismatch in '+': (H,) + (D,)",
            '    21 | h = "tanh(W @ h[t-1] + U @ x + b)"',
            '       |           ^^^^^^^^^^^^^^^^^^^^^^',
            '  W @ h[t-1] + U @ x has shape (H,)',
            '  b has shape (D,)',
            '  dims: D (input size) = unbound, H (hidden size) = unbound -- symbolic: no sizes are bound in a spec',
            '  hint: element-wise operands need equal shapes (a scalar broadcasts)',
        ],
        id='shape-mismatch-add',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + U @ x + b) @ U"',
        ('shape-mismatch', 21, 5, 'h', 'h'),
        [
            "cell.toml:21:5: error[shape-mismatch]: equation for state 'h' has shape (D,), but the state is declared (H,)",
            '    21 | h = "tanh(W @ h[t-1] + U @ x + b) @ U"',
            '       |     ^',
            '  dims: D (input size) = unbound, H (hidden size) = unbound -- symbolic: no sizes are bound in a spec',
            '  hint: fix the equation or the declared shape',
        ],
        id='shape-mismatch-state',
    ),
    pytest.param(
        EQ,
        'a = "W @ h + b"\nh = "tanh(a + U @ x)"',
        ('algebraic-loop', 21, 10, 'h', 'a'),
        [
            'cell.toml:21:10: error[algebraic-loop]: algebraic loop inside a step: a -> h -> a',
            '    21 | a = "W @ h + b"',
            '       |          ^',
            "  'a' at step t needs 'h' at the same step t, which needs 'a' again",
            "  hint: if the previous step is meant, write h[t-1]; if an input is meant, use the input's name",
        ],
        id='algebraic-loop',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h + U @ x + b)"',
        ('algebraic-loop', 21, 15, 'h', 'h'),
        [
            'cell.toml:21:15: error[algebraic-loop]: algebraic loop inside a step: h -> h',
            '    21 | h = "tanh(W @ h + U @ x + b)"',
            '       |               ^',
            "  'h' at step t needs 'h' at the same step t, which needs 'h' again",
            "  hint: if the previous step is meant, write h[t-1]; if an input is meant, use the input's name",
        ],
        id='algebraic-loop-self',
    ),
    pytest.param(
        ', init = "0"',
        '',
        ('missing-initial-value', 21, 15, 'h', 'h'),
        [
            "cell.toml:21:15: error[missing-initial-value]: 'h' is used at t-1 but has no initial value",
            '    21 | h = "tanh(W @ h[t-1] + U @ x + b)"',
            '       |               ^^^^^^',
            '  hint: give it an initial value: init = "0" in its [states] entry',
        ],
        id='missing-initial-value-state',
    ),
    pytest.param(
        EQ,
        'a = "U @ x + b"\nh = "tanh(W @ h[t-1] + a[t-1])"',
        ('missing-initial-value', 22, 24, 'a', 'h'),
        [
            "cell.toml:22:24: error[missing-initial-value]: 'a' is used at t-1 but has no initial value",
            '    22 | h = "tanh(W @ h[t-1] + a[t-1])"',
            '       |                        ^^^^^^',
            '  hint: declare it under [states] with an initial value: a = { shape = [...], init = "0" }',
        ],
        id='missing-initial-value-intermediate',
    ),
    pytest.param(
        'b = { shape = ["H"] }',
        'b = { shape = ["H"] }\nV = { shape = ["H", "H"] }',
        ('unused-symbol', 19, 1, 'V', None),
        [
            "cell.toml:19:1: error[unused-symbol]: parameter 'V' is declared but never used",
            '    19 | V = { shape = ["H", "H"] }',
            '       | ^',
            '  hint: use it in an equation or remove it',
        ],
        id='unused-parameter',
    ),
    pytest.param(
        'x = { shape = ["D"] }',
        'x = { shape = ["D"] }\nz = { shape = ["D"] }',
        ('unused-symbol', 11, 1, 'z', None),
        [
            "cell.toml:11:1: error[unused-symbol]: input 'z' is declared but never used",
            '    11 | z = { shape = ["D"] }',
            '       | ^',
            '  hint: use it in an equation or remove it',
        ],
        id='unused-input',
    ),
    pytest.param(
        'H = "hidden size"',
        'H = "hidden size"\nK = "unused size"',
        ('unused-symbol', 8, 1, 'K', None),
        [
            "cell.toml:8:1: error[unused-symbol]: dim 'K' is declared but no shape uses it",
            '     8 | K = "unused size"',
            '       | ^',
            '  hint: use it in a shape or remove it',
        ],
        id='unused-dim',
    ),
    pytest.param(
        'title = "a test cell"',
        'title = "a test cell"\noutput = ["h"]',
        ('unknown-key', 3, 1, 'output', None),
        [
            "cell.toml:3:1: error[unknown-key]: unknown top-level key 'output'",
            '     3 | output = ["h"]',
            '       | ^^^^^^',
            "  hint: did you mean 'outputs'? allowed keys: name, title, extends, drop, sources, notes, dims, inputs, states, params, equations, outputs, erratum",
        ],
        id='unknown-key-top',
    ),
    pytest.param(
        'x = { shape = ["D"] }',
        'x = { shape = ["D"], sahpe = ["D"] }',
        ('unknown-key', 10, 22, 'sahpe', None),
        [
            "cell.toml:10:22: error[unknown-key]: unknown key 'sahpe' in [inputs] entry 'x'",
            '    10 | x = { shape = ["D"], sahpe = ["D"] }',
            '       |                      ^^^^^',
            "  hint: did you mean 'shape'? allowed keys: doc, init, mask, shape, static",
        ],
        id='unknown-key-entry',
    ),
    pytest.param(
        'name = "cell"',
        'name = "cell',
        ('toml-syntax', 1, 13, None, None),
        [
            "cell.toml:1:13: error[toml-syntax]: invalid TOML: Illegal character '\\n'",
            '     1 | name = "cell',
            '       |             ^',
            "  hint: check quotes, brackets and '=' on this line (TOML syntax: https://toml.io)",
        ],
        id='toml-syntax',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + U @ x + b"',
        ('syntax-error', 21, 6, None, 'h'),
        [
            "cell.toml:21:6: error[syntax-error]: invalid expression syntax: '(' was never closed",
            '    21 | h = "tanh(W @ h[t-1] + U @ x + b"',
            '       |      ^',
            '  hint: expressions use + - * / @, .T, v[t-1], numbers and calls of the function table',
        ],
        id='syntax-error',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + U.__class__ @ x + b)"',
        ('forbidden-construct', 21, 24, '__class__', 'h'),
        [
            "cell.toml:21:24: error[forbidden-construct]: attribute access '.__class__' is not allowed; only '.T' (transpose) is",
            '    21 | h = "tanh(W @ h[t-1] + U.__class__ @ x + b)"',
            '       |                        ^^^^^^^^^^^',
            '  hint: write v.T for a transpose; other attributes are never looked up',
        ],
        id='forbidden-attribute',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + (lambda: U)() @ x + b)"',
        ('forbidden-construct', 21, 25, None, 'h'),
        [
            'cell.toml:21:25: error[forbidden-construct]: a lambda is not allowed in an expression',
            '    21 | h = "tanh(W @ h[t-1] + (lambda: U)() @ x + b)"',
            '       |                         ^^^^^^^^^',
            '  hint: expressions use + - * / @, .T, v[t-1], numbers and calls of the function table',
        ],
        id='forbidden-lambda',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + [u for u in U] @ x + b)"',
        ('forbidden-construct', 21, 24, None, 'h'),
        [
            'cell.toml:21:24: error[forbidden-construct]: a comprehension is not allowed in an expression',
            '    21 | h = "tanh(W @ h[t-1] + [u for u in U] @ x + b)"',
            '       |                        ^^^^^^^^^^^^^^',
            '  hint: expressions use + - * / @, .T, v[t-1], numbers and calls of the function table',
        ],
        id='forbidden-comprehension',
    ),
    pytest.param(
        EQ,
        'h = "import os"',
        ('forbidden-construct', 21, 6, None, 'h'),
        [
            'cell.toml:21:6: error[forbidden-construct]: an import is not allowed in an expression',
            '    21 | h = "import os"',
            '       |      ^',
            '  hint: a spec expression is a single right-hand side, e.g. tanh(W @ x + b)',
        ],
        id='forbidden-import',
    ),
    pytest.param(
        EQ,
        'h = "eval(W @ h[t-1] + U @ x + b)"',
        ('unknown-function', 21, 6, 'eval', 'h'),
        [
            "cell.toml:21:6: error[unknown-function]: 'eval' is not in the function table",
            '    21 | h = "eval(W @ h[t-1] + U @ x + b)"',
            '       |      ^^^^',
            '  hint: available functions: sigmoid, tanh, relu, clip, affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus, exp, log, sqrt, softmax, log_softmax, sum, identity, concat',
        ],
        id='forbidden-call',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[0] + U @ x + b)"',
        ('forbidden-construct', 21, 15, None, 'h'),
        [
            "cell.toml:21:15: error[forbidden-construct]: the subscript 'h[0]' is not allowed; only a time index v[t-k] or v[t+k] with a positive integer k is",
            '    21 | h = "tanh(W @ h[0] + U @ x + b)"',
            '       |               ^^^^',
            '  hint: write h[t-1] for the previous step or h[t+1] for the next',
        ],
        id='forbidden-subscript',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + U @ x ** 2 + b)"',
        ('forbidden-construct', 21, 28, None, 'h'),
        [
            "cell.toml:21:28: error[forbidden-construct]: the operator '**' is not part of the grammar",
            '    21 | h = "tanh(W @ h[t-1] + U @ x ** 2 + b)"',
            '       |                            ^^^^^^',
            '  hint: use + - * / @ and the functions exp, log, sqrt',
        ],
        id='forbidden-power',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + U @ x + \'b\')"',
        ('forbidden-construct', 21, 32, None, 'h'),
        [
            "cell.toml:21:32: error[forbidden-construct]: the literal 'b' is not a number",
            '    21 | h = "tanh(W @ h[t-1] + U @ x + \'b\')"',
            '       |                                ^^^',
            '  hint: only integer and decimal numbers may appear in expressions',
        ],
        id='forbidden-string',
    ),
    pytest.param(
        EQ,
        'h = "tahn(W @ h[t-1] + U @ x + b)"',
        ('unknown-function', 21, 6, 'tahn', 'h'),
        [
            "cell.toml:21:6: error[unknown-function]: 'tahn' is not in the function table",
            '    21 | h = "tahn(W @ h[t-1] + U @ x + b)"',
            '       |      ^^^^',
            "  hint: did you mean 'tanh'? available functions: sigmoid, tanh, relu, clip, affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus, exp, log, sqrt, softmax, log_softmax, sum, identity, concat",
        ],
        id='unknown-function-typo',
    ),
    pytest.param(
        'U = { shape = ["H", "D"] }',
        'U = { shape = ["H", "Din"] }',
        ('unknown-dim', 17, 15, 'U', None),
        [
            "cell.toml:17:15: error[unknown-dim]: unknown dim 'Din'",
            '    17 | U = { shape = ["H", "Din"] }',
            '       |               ^',
            '  hint: declare it under [dims]',
        ],
        id='unknown-dim',
    ),
    pytest.param(
        'outputs = ["h"]',
        'outputs = ["hh"]',
        ('unknown-symbol', 3, 11, 'hh', None),
        [
            "cell.toml:3:11: error[unknown-symbol]: output 'hh' is not defined by an equation",
            '     3 | outputs = ["hh"]',
            '       |           ^',
            "  hint: did you mean 'h'? outputs name equation targets",
        ],
        id='unknown-output',
    ),
    pytest.param(
        'h = { shape = ["H"], init = "0" }',
        'h = { shape = ["H"], init = "0" }\nc = { shape = ["H"], init = "0" }',
        ('missing-equation', 14, 1, 'c', None),
        [
            "cell.toml:14:1: error[missing-equation]: state 'c' has no equation",
            '    14 | c = { shape = ["H"], init = "0" }',
            '       | ^',
            '  hint: add  c = "..."  under [equations], or remove the state',
        ],
        id='missing-equation',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + U @ x + b)"\nb = "U @ x"',
        ('bad-target', 22, 1, 'b', 'b'),
        [
            "cell.toml:22:1: error[bad-target]: equation assigns to parameter 'b'",
            '    22 | b = "U @ x"',
            '       | ^',
            '  hint: parameters are given, not computed; rename the target',
        ],
        id='assign-to-parameter',
    ),
    pytest.param(
        'b = { shape = ["H"] }',
        'b = { shape = ["H"] }\nt = { shape = ["H"] }',
        ('bad-name', 19, 1, 't', None),
        [
            "cell.toml:19:1: error[bad-name]: 't' is reserved and cannot name a parameter",
            '    19 | t = { shape = ["H"] }',
            '       | ^',
            "  hint: 't' is the time index and function names cannot be redefined; rename it",
        ],
        id='reserved-name',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W[t-1] @ h[t-1] + U @ x + b)"',
        ('bad-reference', 21, 11, 'W', 'h'),
        [
            "cell.toml:21:11: error[bad-reference]: parameter 'W' does not change over time",
            '    21 | h = "tanh(W[t-1] @ h[t-1] + U @ x + b)"',
            '       |           ^^^^^^',
            '  hint: write W, not W[t-1]',
        ],
        id='parameter-with-time-index',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + W @ h[t+1] + U @ x + b)"',
        ('mixed-recurrence', 21, 1, 'h', 'h'),
        [
            "cell.toml:21:1: error[mixed-recurrence]: 'h' is on a recurrence that uses both earlier and later steps (h); it has no causal order",
            '    21 | h = "tanh(W @ h[t-1] + W @ h[t+1] + U @ x + b)"',
            '       | ^',
            '  hint: split it into a forward chain and a backward chain joined afterwards, as a bidirectional RNN does',
        ],
        id='mixed-recurrence',
    ),
    pytest.param(
        EQ,
        f'h = "{"tanh(" * 160}W @ h[t-1] + U @ x + b{")" * 160}"',
        ('too-large', 21, 756, None, 'h'),
        [
            'cell.toml:21:756: error[too-large]: the expression is nested too deeply (limits: depth 150, 2000 nodes)',
            '    21 | ...tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(...',
            '       |                                                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: split it into several equations with intermediate variables',
        ],
        id='too-deep',
    ),
    pytest.param(
        EQ,
        'h = "tanh(W @ h[t-1] + U @ x + 1' + '0' * 60 + ' * b)"',
        ('too-large', 21, 32, None, 'h'),
        [
            'cell.toml:21:32: error[too-large]: the number has 61 digits; the limit is 40',
            '    21 | h = "tanh(W @ h[t-1] + U @ x + 1000000000000000000000000000000000000000000000000000000000000 * b)"',
            '       |                                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: write the number in scientific notation or as a parameter',
        ],
        id='too-many-digits',
    ),
    pytest.param(
        'init = "0"',
        'init = "x"',
        ('bad-reference', 13, 30, 'x', None),
        [
            "cell.toml:13:30: error[bad-reference]: 'x' cannot be used here; an initial value may only use parameters and static inputs",
            '    13 | h = { shape = ["H"], init = "x" }',
            '       |                              ^',
            '  hint: use a number (0) or a parameter, e.g. init = "h0"',
        ],
        id='bad-init',
    ),
    pytest.param(
        'title = "a test cell"',
        'title = "a test cell"\nextends = "lstn"',
        ('unknown-spec', 3, 11, 'lstn', None),
        [
            "cell.toml:3:11: error[unknown-spec]: no bundled spec named 'lstn' and no such file",
            '     3 | extends = "lstn"',
            '       |           ^',
            "  hint: did you mean 'lstm'? run 'seqcheck list' to see the specs, or pass a path to a .toml file",
        ],
        id='unknown-extends',
    ),
]


@pytest.mark.parametrize(("old", "new", "where", "message"), CASES)
def test_error_message(old, new, where, message):
    assert old in BASE
    with pytest.raises(SpecError) as info:
        loads_spec(BASE.replace(old, new, 1), file="cell.toml")
    err = info.value
    assert str(err).splitlines() == message
    assert (err.kind, err.line, err.col, err.symbol, err.equation) == where


def test_every_error_kind_has_a_case():
    kinds = {where[0] for _, _, where, _ in (c.values for c in CASES)}
    assert kinds >= {
        "unknown-symbol", "shape-mismatch", "algebraic-loop", "missing-initial-value",
        "unused-symbol", "unknown-key", "toml-syntax", "syntax-error", "forbidden-construct",
        "unknown-function", "unknown-dim", "missing-equation", "bad-target", "bad-name",
        "bad-reference", "mixed-recurrence", "too-large", "unknown-spec",
    }


def test_all_problems_are_reported_at_once():
    text = BASE.replace(EQ, 'h = "tanh(W @ h[t-1] + Ux @ x + b)"').replace(
        'x = { shape = ["D"] }', 'x = { shape = ["D"], sahpe = 1 }'
    )
    with pytest.raises(SpecError) as info:
        loads_spec(text, file="cell.toml")
    kinds = [d.kind for d in info.value.diagnostics]
    assert kinds == ["unknown-key"]  # key errors stop before equations are read
    text = BASE.replace(EQ, 'a = "Ux @ x"\nh = "tanh(W @ h[t-1] + a + c)"')
    with pytest.raises(SpecError) as info:
        loads_spec(text, file="cell.toml")
    assert [(d.kind, d.symbol, d.line) for d in info.value.diagnostics] == [
        ("unknown-symbol", "Ux", 21),
        ("unknown-symbol", "c", 22),
    ]
    assert str(info.value).splitlines()[-1] == "2 errors in spec cell.toml"


def test_positions_in_a_multiline_expression():
    text = BASE.replace(EQ, 'h = """\ntanh(W @ h[t-1]\n     + U @ y + b)"""')
    with pytest.raises(SpecError) as info:
        loads_spec(text, file="cell.toml")
    d = info.value.first
    assert (d.kind, d.line, d.col, d.symbol) == ("unknown-symbol", 23, 12, "y")
    assert d.source_line == "     + U @ y + b)\"\"\""


def test_errors_in_a_variant_point_into_the_variant(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(BASE)
    variant = tmp_path / "variant.toml"
    variant.write_text(
        'name = "variant"\nextends = "base.toml"\n\n[equations]\nh = "tanh(W @ h[t-1] + U @ x + bb)"\n'
    )
    from seqcheck import load_spec

    with pytest.raises(SpecError) as info:
        load_spec(variant)
    d = info.value.first
    assert (d.file, d.line, d.col, d.symbol) == (str(variant), 5, 32, "bb")
    assert "did you mean 'b'?" in d.hint


def test_a_number_run_into_a_keyword_is_an_error_without_a_python_warning():
    """``1if`` makes Python's parser warn ("invalid decimal literal") before it fails; the
    error is seqcheck's own, and nothing else is printed."""
    import warnings

    from seqcheck.spec.grammar import ExprError, parse_expression

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ExprError):
            parse_expression("1if x else 2")
