# ruff: noqa: E501  (golden messages are compared line by line and must stay whole)
"""Malformed spec, mapping and worked-example files: one table, every message in full.

Each row is one untrusted file, written under a fixed name: ``cell.toml`` (a spec, read by
``load_spec`` and ``seqcheck lint``), ``mapping.toml`` (a mapping file, read by
``load_mapping`` and ``seqcheck verify --mapping``) or ``example.toml`` (a worked example,
read by ``load_example`` and ``seqcheck example``). Each is a valid base file with one piece
replaced; the row gives the whole message line by line -- location, caret, details, hint --
and the first diagnostic's file, line, column and symbol. The ``too-large`` rows cover every
limit of ``seqcheck.spec.grammar.LIMITS``, shape entries and what ``tomllib`` cannot read.
"""

import subprocess
import sys

import pytest
from cells import GOLDEN_CELL, GOLDEN_EQ, GOLDEN_EXAMPLE

from seqcheck import SeqcheckError, load_spec
from seqcheck.adapters.mapping import MappingError, load_mapping
from seqcheck.checks.example_file import load_example
from seqcheck.cli import main
from seqcheck.errors import ExampleError, SpecError

SPEC, EQ = GOLDEN_CELL, GOLDEN_EQ

MAPPING = '''spec = "rnn_torch"
call = "cell"
states = ["h"]

[params]
W_ih = "weight_ih"
W_hh = "weight_hh"
b_ih = "bias_ih"
b_hh = "bias_hh[0:H]"
'''

EXAMPLE = GOLDEN_EXAMPLE


def in_spec(old, new):
    return "spec", _replace(SPEC, old, new)


def in_mapping(old, new):
    return "mapping", _replace(MAPPING, old, new)


def in_example(old, new):
    return "example", _replace(EXAMPLE, old, new)


def _replace(base, old, new):
    if base.count(old) != 1:
        raise ValueError(f"{old!r} must occur once in the base file")
    return base.replace(old, new)


def balanced(leaves):
    """A sum of ``leaves`` terms as a balanced tree: many nodes, little depth."""
    return "b" if leaves == 1 else f"({balanced(leaves // 2)}+{balanced(leaves // 2)})"


DEEP = 5000  # over what tomllib and Python's parser can nest

ROWS = [
    pytest.param(
        in_spec('title = "a test cell"', 'title = "a test cell'),
        ('cell.toml', 2, 21, None),
        [
            "cell.toml:2:21: error[toml-syntax]: invalid TOML: Illegal character '\\n'",
            '     2 | title = "a test cell',
            '       |                     ^',
            "  hint: check quotes, brackets and '=' on this line (TOML syntax: https://toml.io)",
        ],
        id='spec-toml-syntax',
    ),
    pytest.param(
        in_spec('x = { shape = ["D"] }', 'x = { sahpe = ["D"] }'),
        ('cell.toml', 10, 7, 'sahpe'),
        [
            "cell.toml:10:7: error[unknown-key]: unknown key 'sahpe' in [inputs] entry 'x'",
            '    10 | x = { sahpe = ["D"] }',
            '       |       ^^^^^',
            "  hint: did you mean 'shape'? allowed keys: doc, init, mask, shape, static",
        ],
        id='spec-unknown-key',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tanh(W @ h[t-1] + U @ x + )"'),
        ('cell.toml', 21, 32, None),
        [
            'cell.toml:21:32: error[syntax-error]: invalid expression syntax: invalid syntax',
            '    21 | h = "tanh(W @ h[t-1] + U @ x + )"',
            '       |                                ^',
            '  hint: expressions use + - * / @, .T, v[t-1], numbers and calls of the function table',
        ],
        id='spec-syntax-error',
    ),
    pytest.param(
        in_spec(EQ, '''h = "__import__('os').system('true')"'''),
        ('cell.toml', 21, 6, None),
        [
            "cell.toml:21:6: error[forbidden-construct]: only functions of the table can be called, not '__import__('os').system'",
            '    21 | h = "__import__(\'os\').system(\'true\')"',
            '       |      ^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: available functions: sigmoid, tanh, relu, clip, affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus, exp, log, sqrt, softmax, log_softmax, sum, identity, concat',
        ],
        id='spec-import-call',
    ),
    pytest.param(
        in_spec(EQ, 'h = "W.__class__ @ h[t-1]"'),
        ('cell.toml', 21, 6, '__class__'),
        [
            "cell.toml:21:6: error[forbidden-construct]: attribute access '.__class__' is not allowed; only '.T' (transpose) is",
            '    21 | h = "W.__class__ @ h[t-1]"',
            '       |      ^^^^^^^^^^^',
            '  hint: write v.T for a transpose; other attributes are never looked up',
        ],
        id='spec-attribute',
    ),
    pytest.param(
        in_spec(EQ, 'h = "(lambda: W)() @ h[t-1]"'),
        ('cell.toml', 21, 7, None),
        [
            'cell.toml:21:7: error[forbidden-construct]: a lambda is not allowed in an expression',
            '    21 | h = "(lambda: W)() @ h[t-1]"',
            '       |       ^^^^^^^^^',
            '  hint: expressions use + - * / @, .T, v[t-1], numbers and calls of the function table',
        ],
        id='spec-lambda',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tahn(W @ h[t-1] + U @ x + b)"'),
        ('cell.toml', 21, 6, 'tahn'),
        [
            "cell.toml:21:6: error[unknown-function]: 'tahn' is not in the function table",
            '    21 | h = "tahn(W @ h[t-1] + U @ x + b)"',
            '       |      ^^^^',
            "  hint: did you mean 'tanh'? available functions: sigmoid, tanh, relu, clip, affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus, exp, log, sqrt, softmax, log_softmax, sum, identity, concat",
        ],
        id='spec-unknown-function',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tanh(W @ h[t-1] + Ux @ x + b)"'),
        ('cell.toml', 21, 24, 'Ux'),
        [
            "cell.toml:21:24: error[unknown-symbol]: unknown symbol 'Ux'",
            '    21 | h = "tanh(W @ h[t-1] + Ux @ x + b)"',
            '       |                        ^^',
            "  hint: did you mean 'U'? declare it under [inputs], [states] or [params], or define it by an equation",
        ],
        id='spec-unknown-symbol',
    ),
    pytest.param(
        in_spec('U = { shape = ["H", "D"] }', 'U = { shape = ["H", "Din"] }'),
        ('cell.toml', 17, 15, 'U'),
        [
            "cell.toml:17:15: error[unknown-dim]: unknown dim 'Din'",
            '    17 | U = { shape = ["H", "Din"] }',
            '       |               ^',
            '  hint: declare it under [dims]',
        ],
        id='spec-unknown-dim',
    ),
    pytest.param(
        in_spec('U = { shape = ["H", "D"] }', 'U = { shape = ["H", -2] }'),
        ('cell.toml', 17, 15, 'U'),
        [
            'cell.toml:17:15: error[unknown-dim]: shape entry -2 must be positive',
            '    17 | U = { shape = ["H", -2] }',
            '       |               ^',
            '  hint: a shape entry is a dim, a positive integer, or a sum or product like "2*H + 1"',
        ],
        id='spec-shape-negative',
    ),
    pytest.param(
        in_spec('U = { shape = ["H", "D"] }', 'U = { shape = ["H", "D ** 2"] }'),
        ('cell.toml', 17, 15, 'U'),
        [
            "cell.toml:17:15: error[unknown-dim]: shape entry 'D ** 2' may only add and multiply dims and integers",
            '    17 | U = { shape = ["H", "D ** 2"] }',
            '       |               ^',
            '  hint: a shape entry is a dim, a positive integer, or a sum or product like "2*H + 1"',
        ],
        id='spec-shape-power',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tanh(W @ h[t-1] + x @ U + b)"'),
        ('cell.toml', 21, 24, None),
        [
            "cell.toml:21:24: error[shape-mismatch]: shape mismatch in '@': (D,) @ (H, D); inner dims D and H differ",
            '    21 | h = "tanh(W @ h[t-1] + x @ U + b)"',
            '       |                        ^^^^^',
            '  x has shape (D,)',
            '  U has shape (H, D)',
            '  dims: D (input size) = unbound, H (hidden size) = unbound -- symbolic: no sizes are bound in a spec',
            '  hint: check the orientation: W @ x needs W of shape (out, in); x @ W needs (in, out)',
        ],
        id='spec-shape-mismatch',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tanh(W @ h + U @ x + b)"'),
        ('cell.toml', 21, 15, 'h'),
        [
            'cell.toml:21:15: error[algebraic-loop]: algebraic loop inside a step: h -> h',
            '    21 | h = "tanh(W @ h + U @ x + b)"',
            '       |               ^',
            "  'h' at step t needs 'h' at the same step t, which needs 'h' again",
            "  hint: if the previous step is meant, write h[t-1]; if an input is meant, use the input's name",
        ],
        id='spec-algebraic-loop',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tanh(W @ h[t-1] + U @ x + b) * 1e999"'),
        ('cell.toml', 21, 37, None),
        [
            'cell.toml:21:37: error[forbidden-construct]: the number 1e999 is not finite',
            '    21 | h = "tanh(W @ h[t-1] + U @ x + b) * 1e999"',
            '       |                                     ^^^^^',
            '  hint: use a finite number',
        ],
        id='spec-infinite-number',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tanh(W @ h[t-5000] + U @ x + b)"'),
        ('cell.toml', 21, 15, None),
        [
            "cell.toml:21:15: error[forbidden-construct]: the subscript 'h[t-5000]' is not allowed; only a time index v[t-k] or v[t+k] with a positive integer k is",
            '    21 | h = "tanh(W @ h[t-5000] + U @ x + b)"',
            '       |               ^^^^^^^^^',
            '  hint: write h[t-1] for the previous step or h[t+1] for the next',
        ],
        id='spec-time-index-far',
    ),
    pytest.param(
        in_spec(EQ, 'h = "' + " + ".join(["b"] * 3500) + '"'),
        ('cell.toml', 21, 6, None),
        [
            'cell.toml:21:6: error[too-large]: the expression is 13997 characters long; the limit is 10000',
            '    21 | h = "b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b + b +...',
            '       |      ^',
            '  hint: split it into several equations with intermediate variables',
        ],
        id='spec-too-large-chars',
    ),
    pytest.param(
        in_spec(EQ, 'h = "' + "tanh(" * 151 + "h[t-1]" + ")" * 151 + '"'),
        ('cell.toml', 21, 756, None),
        [
            'cell.toml:21:756: error[too-large]: the expression is nested too deeply (limits: depth 150, 2000 nodes)',
            '    21 | ...tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(h[t-1])))))))))))))))))))))))))))))))))))))))...',
            '       |                                                      ^^^^^^^^^^^^',
            '  hint: split it into several equations with intermediate variables',
        ],
        id='spec-too-large-depth',
    ),
    pytest.param(
        in_spec(EQ, f'h = "{balanced(2048)}"'),
        ('cell.toml', 21, 4205, None),
        [
            'cell.toml:21:4205: error[too-large]: the expression is too large (limits: depth 150, 2000 nodes)',
            '    21 | ...b+b)+(b+b))))+((((b+b)+(b+b))+((b+b)+(b+b)))+(((b+b)+(b+b))+((b+b)+(b+b)))))+(((((b+b)+(b+b))+((b+b)...',
            '       |                                                      ^',
            '  hint: split it into several equations with intermediate variables',
        ],
        id='spec-too-large-nodes',
    ),
    pytest.param(
        in_spec(EQ, 'h = "' + " + ".join(["W @ h[t-1]"] * 700) + '"'),
        ('cell.toml', 21, 7203, None),
        [
            'cell.toml:21:7203: error[too-large]: the expression is nested too deeply (limits: depth 150, 2000 nodes)',
            '    21 | ... + W @ h[t-1] + W @ h[t-1] + W @ h[t-1] + W @ h[t-1] + W @ h[t-1] + W @ h[t-1] + W @ h[t-1] + W @ h[...',
            '       |                                                      ^',
            '  a chain of operators like a + b + c counts one level per operator; 149 of the 151 levels here are + - * / @',
            '  hint: split it into several equations with intermediate variables',
        ],
        id='spec-too-large-long-sum',
    ),
    pytest.param(
        in_spec(EQ, 'h = "' + "-" * DEEP + 'h[t-1]"'),
        ('cell.toml', 21, 6, None),
        [
            'cell.toml:21:6: error[too-large]: the expression cannot be parsed within the resource limits (RecursionError)',
            '    21 | h = "-----------------------------------------------------------------------------------------------...',
            '       |      ^',
            '  hint: keep nesting below 150 levels',
        ],
        id='spec-too-large-unary',
    ),
    pytest.param(
        in_spec(EQ, 'h = "tanh(W @ h[t-1] + U @ x + b) * ' + "1" * 41 + '"'),
        ('cell.toml', 21, 37, None),
        [
            'cell.toml:21:37: error[too-large]: the number has 41 digits; the limit is 40',
            '    21 | h = "tanh(W @ h[t-1] + U @ x + b) * 11111111111111111111111111111111111111111"',
            '       |                                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: write the number in scientific notation or as a parameter',
        ],
        id='spec-too-large-digits',
    ),
    pytest.param(
        in_spec(EQ, 'h = "' + "7" * 5000 + ' * h[t-1]"'),
        ('cell.toml', 21, 6, None),
        [
            'cell.toml:21:6: error[too-large]: the number has 5000 digits; the limit is 40',
            '    21 | h = "77777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777...',
            '       |      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: write the number in scientific notation or as a parameter',
        ],
        id='spec-too-large-int-str-digits',
    ),
    pytest.param(
        in_spec(EQ, 'h = "0x' + "f" * 41 + ' * h[t-1]"'),
        ('cell.toml', 21, 6, None),
        [
            'cell.toml:21:6: error[too-large]: the number has 41 digits; the limit is 40',
            '    21 | h = "0xfffffffffffffffffffffffffffffffffffffffff * h[t-1]"',
            '       |      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: write the number in scientific notation or as a parameter',
        ],
        id='spec-too-large-hex-digits',
    ),
    pytest.param(
        in_spec('U = { shape = ["H", "D"] }', 'U = { shape = ["' + " + ".join(["H"] * 2000) + '", "D"] }'),
        ('cell.toml', 17, 15, 'U'),
        [
            'cell.toml:17:15: error[too-large]: shape entry of 7997 characters is too long; the limit is 200',
            '    17 | U = { shape = ["H + H + H + H + H + H + H + H + H + H + H + H + H + H + H + H + H + H + H + H + H + ...',
            '       |               ^',
            '  hint: keep a shape entry within 200 characters and its numbers within 40 digits; declare a dim under [dims] for a large size',
        ],
        id='spec-too-large-shape-entry',
    ),
    pytest.param(
        in_spec('U = { shape = ["H", "D"] }', 'U = { shape = ["H", ' + "9" * 50 + '] }'),
        ('cell.toml', 17, 15, 'U'),
        [
            'cell.toml:17:15: error[too-large]: the number in a shape entry has 50 digits; the limit is 40',
            '    17 | U = { shape = ["H", 99999999999999999999999999999999999999999999999999] }',
            '       |               ^',
            '  hint: keep a shape entry within 200 characters and its numbers within 40 digits; declare a dim under [dims] for a large size',
        ],
        id='spec-too-large-shape-integer',
    ),
    pytest.param(
        in_spec('U = { shape = ["H", "D"] }', 'U = { shape = ["H", "D + ' + "9" * 50 + '"] }'),
        ('cell.toml', 17, 15, 'U'),
        [
            'cell.toml:17:15: error[too-large]: the number in a shape entry has 50 digits; the limit is 40',
            '    17 | U = { shape = ["H", "D + 99999999999999999999999999999999999999999999999999"] }',
            '       |               ^',
            '  hint: keep a shape entry within 200 characters and its numbers within 40 digits; declare a dim under [dims] for a large size',
        ],
        id='spec-too-large-shape-integer-text',
    ),
    pytest.param(
        in_spec('title = "a test cell"', 'title = "a test cell"\nsources = ' + "9" * 5000),
        ('cell.toml', 3, 11, None),
        [
            "cell.toml:3:11: error[too-large]: invalid TOML: the number has 5000 digits, over Python's limit of 4300 for reading an integer",
            '     3 | sources = 999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999...',
            '       |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: numbers in spec, mapping and example files have at most 40 digits',
        ],
        id='spec-too-large-toml-integer',
    ),
    pytest.param(
        in_spec('title = "a test cell"', 'title = "a test cell"\nnotes = ' + "[" * DEEP + "]" * DEEP),
        ('cell.toml', 3, 5008, None),
        [
            'cell.toml:3:5008: error[too-large]: invalid TOML: arrays or inline tables are nested too deeply to parse',
            '     3 | ...[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]...',
            '       |                                                      ^',
            '  5000 levels of [ and { are open here',
            '  hint: spec, mapping and example files nest arrays at most two levels deep',
        ],
        id='spec-too-large-toml-nesting',
    ),
    pytest.param(
        in_mapping('call = "cell"', 'call = "cell'),
        ('mapping.toml', 2, 13, None),
        [
            "mapping.toml:2:13: error[toml-syntax]: invalid TOML: Illegal character '\\n'",
            '     2 | call = "cell',
            '       |             ^',
            "  hint: check quotes, brackets and '=' on this line (TOML syntax: https://toml.io)",
        ],
        id='mapping-toml-syntax',
    ),
    pytest.param(
        in_mapping('call = "cell"', 'call = "cell"\nbacth_first = true'),
        ('mapping.toml', 3, 1, 'bacth_first'),
        [
            "mapping.toml:3:1: error[unknown-key]: unknown key 'bacth_first'",
            '     3 | bacth_first = true',
            '       | ^^^^^^^^^^^',
            "  hint: did you mean 'batch_first'? allowed keys: spec, call, build, states, outputs, batch_first, state_layer_axis, notes, params, fixed",
        ],
        id='mapping-unknown-key',
    ),
    pytest.param(
        in_mapping('states = ["h"]\n', ''),
        ('mapping.toml', 0, 0, None),
        [
            "mapping.toml: error[missing-key]: the mapping has no 'states'",
            '  hint: add  states = ...  (the state tuple the target takes and returns)',
        ],
        id='mapping-missing-key',
    ),
    pytest.param(
        in_mapping('states = ["h"]', 'states = "h"'),
        ('mapping.toml', 3, 10, None),
        [
            "mapping.toml:3:10: error[type-error]: 'states' must be a non-empty list of names",
            '     3 | states = "h"',
            '       |          ^^^',
            '  hint: states = ["h", "c"]',
        ],
        id='mapping-type-error',
    ),
    pytest.param(
        in_mapping('call = "cell"', 'call = "cel"'),
        ('mapping.toml', 2, 8, None),
        [
            'mapping.toml:2:8: error[bad-value]: call must be "cell" or "sequence", not \'cel\'',
            '     2 | call = "cel"',
            '       |        ^^^^^',
            '  hint: did you mean \'cell\'? "cell": state = target(x_t, state) once per step; "sequence": output, state = target(x, state) once',
        ],
        id='mapping-bad-call',
    ),
    pytest.param(
        in_mapping('spec = "rnn_torch"', 'spec = "rnn_trch"'),
        ('mapping.toml', 1, 8, 'rnn_trch'),
        [
            "mapping.toml:1:8: error[unknown-spec]: no bundled spec named 'rnn_trch' and no such file",
            '     1 | spec = "rnn_trch"',
            '       |        ^^^^^^^^^^',
            "  hint: did you mean 'rnn_torch'? run 'seqcheck list' to see the specs, or pass a path to a .toml file",
        ],
        id='mapping-unknown-spec',
    ),
    pytest.param(
        in_mapping('states = ["h"]', 'states = ["hh"]'),
        ('mapping.toml', 3, 10, 'hh'),
        [
            "mapping.toml:3:10: error[unknown-state]: unknown state 'hh'",
            '     3 | states = ["hh"]',
            '       |          ^^^^^^',
            "  hint: did you mean 'h'? the states of spec 'rnn_torch' are h",
        ],
        id='mapping-unknown-state',
    ),
    pytest.param(
        in_mapping('W_ih = "weight_ih"', 'W_xh = "weight_ih"'),
        ('mapping.toml', 6, 1, 'W_xh'),
        [
            "mapping.toml:6:1: error[unknown-param]: unknown spec parameter 'W_xh'",
            '     6 | W_xh = "weight_ih"',
            '       | ^^^^',
            "  hint: did you mean 'W_ih'? the parameters of spec 'rnn_torch' are W_ih, W_hh, b_ih, b_hh",
            "mapping.toml:5:2: error[missing-param]: spec 'rnn_torch' parameter W_ih is not mapped",
            '     5 | [params]',
            '       |  ^^^^^^',
            '  hint: add W_ih = "tensor[...]" under [params]: verify writes every spec parameter into the target',
            '2 errors in mapping mapping.toml',
        ],
        id='mapping-unknown-param',
    ),
    pytest.param(
        in_mapping('b_hh = "bias_hh[0:H]"\n', ''),
        ('mapping.toml', 5, 2, 'b_hh'),
        [
            "mapping.toml:5:2: error[missing-param]: spec 'rnn_torch' parameter b_hh is not mapped",
            '     5 | [params]',
            '       |  ^^^^^^',
            '  hint: add b_hh = "tensor[...]" under [params]: verify writes every spec parameter into the target',
        ],
        id='mapping-missing-param',
    ),
    pytest.param(
        in_mapping('b_hh = "bias_hh[0:H]"', 'b_hh = "bias_hh[0:H"'),
        ('mapping.toml', 9, 16, 'b_hh'),
        [
            "mapping.toml:9:16: error[syntax-error]: invalid syntax in the mapping of 'b_hh': '[' was never closed",
            '     9 | b_hh = "bias_hh[0:H"',
            '       |                ^',
            '  hint: write NAME, NAME[index, ...] or NAME[index, ...].T',
        ],
        id='mapping-syntax-error',
    ),
    pytest.param(
        in_mapping('b_hh = "bias_hh[0:H]"', '''b_hh = "__import__('os').bias"'''),
        ('mapping.toml', 9, 19, 'b_hh'),
        [
            "mapping.toml:9:19: error[forbidden-construct]: unexpected '('os').bias' in the mapping of 'b_hh'",
            '     9 | b_hh = "__import__(\'os\').bias"',
            '       |                   ^^^^^^^^^^^',
            '  hint: nothing is called: a mapping value is NAME, NAME[index, ...] or NAME[index, ...].T',
        ],
        id='mapping-forbidden-call',
    ),
    pytest.param(
        in_mapping('b_hh = "bias_hh[0:H]"', 'b_hh = "bias_hh[0:Q]"'),
        ('mapping.toml', 9, 19, 'Q'),
        [
            "mapping.toml:9:19: error[unknown-dim]: unknown dim 'Q' in a bound",
            '     9 | b_hh = "bias_hh[0:Q]"',
            '       |                   ^',
            "  hint: bounds use the dims of spec 'rnn_torch': D, H",
        ],
        id='mapping-unknown-dim',
    ),
    pytest.param(
        in_mapping('b_hh = "bias_hh[0:H]"', 'b_hh = "bias_hh[0:' + "+".join(["H"] * 200) + ']"'),
        ('mapping.toml', 9, 9, 'b_hh'),
        [
            "mapping.toml:9:9: error[too-large]: the mapping of 'b_hh' is longer than 300 characters",
            '     9 | b_hh = "bias_hh[0:H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+H+...',
            '       |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: a mapping value is NAME, NAME[index, ...] or NAME[index, ...].T, with short bounds',
        ],
        id='mapping-too-large-text',
    ),
    pytest.param(
        in_mapping('b_hh = "bias_hh[0:H]"', 'b_hh = "bias_hh[0:' + "9" * 50 + ']"'),
        ('mapping.toml', 9, 19, None),
        [
            'mapping.toml:9:19: error[too-large]: the number has 50 digits; the limit is 40',
            '     9 | b_hh = "bias_hh[0:99999999999999999999999999999999999999999999999999]"',
            '       |                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            "  hint: bounds are integer literals and the spec's dims with + - * (e.g. 2*H, D+H)",
        ],
        id='mapping-too-large-bound',
    ),
    pytest.param(
        in_mapping('call = "cell"', 'call = "cell"\nnotes = ' + "9" * 5000),
        ('mapping.toml', 3, 9, None),
        [
            "mapping.toml:3:9: error[too-large]: invalid TOML: the number has 5000 digits, over Python's limit of 4300 for reading an integer",
            '     3 | notes = 99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999...',
            '       |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: numbers in spec, mapping and example files have at most 40 digits',
        ],
        id='mapping-too-large-toml-integer',
    ),
    pytest.param(
        in_mapping('call = "cell"', 'call = "cell"\nnotes = ' + "[" * DEEP + "]" * DEEP),
        ('mapping.toml', 3, 5008, None),
        [
            'mapping.toml:3:5008: error[too-large]: invalid TOML: arrays or inline tables are nested too deeply to parse',
            '     3 | ...[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]...',
            '       |                                                      ^',
            '  5000 levels of [ and { are open here',
            '  hint: spec, mapping and example files nest arrays at most two levels deep',
        ],
        id='mapping-too-large-toml-nesting',
    ),
    pytest.param(
        in_example("decimals = 2", "decimals = = 2"),
        ('example.toml', 2, 12, None),
        [
            'example.toml:2:12: error[toml-syntax]: invalid TOML: Invalid value',
            '     2 | decimals = = 2',
            '       |            ^',
            "  hint: check quotes, brackets and '=' on this line (TOML syntax: https://toml.io)",
        ],
        id='example-toml-syntax',
    ),
    pytest.param(
        in_example("decimals = 2", 'decimals = 2\nsorce = "slides"'),
        ('example.toml', 3, 1, 'sorce'),
        [
            "example.toml:3:1: error[unknown-key]: unknown key 'sorce' at the top level",
            '     3 | sorce = "slides"',
            '       | ^^^^^',
            "  hint: did you mean 'source'? allowed keys: spec, source, decimals, notes, params, initial, inputs, printed",
        ],
        id='example-unknown-top-key',
    ),
    pytest.param(
        in_example('where = "eq. (11)"', 'were = "eq. (11)"'),
        ('example.toml', 15, 1, 'were'),
        [
            "example.toml:15:1: error[unknown-key]: unknown key 'were' in [[printed]] entry 1",
            '    15 | were = "eq. (11)"',
            '       | ^^^^',
            "  hint: did you mean 'where'? allowed keys: t, name, value, where, expr, reduce, decimals, note",
        ],
        id='example-unknown-entry-key',
    ),
    pytest.param(
        in_example('name = "i"', 'name = "ii"'),
        ('example.toml', 13, 8, 'ii'),
        [
            "example.toml:13:8: error[unknown-symbol]: 'ii' is not a variable of spec 'lstm'",
            '    13 | name = "ii"',
            '       |        ^^^^',
            '  hint: did you mean \'i\'? the variables are i, f, o, c_tilde, c, h, y; for a printed intermediate, add expr = "..." and keep name as its label',
        ],
        id='example-unknown-variable',
    ),
    pytest.param(
        in_example("value = [0.98, 0.88]", "value = [0.98, 0.88, 0.5]"),
        ('example.toml', 14, 9, None),
        [
            "example.toml:14:9: error[shape-mismatch]: printed value of 'i' at t = 1 has shape (3,), but 'i' has shape (H,) = (2,)",
            '    14 | value = [0.98, 0.88, 0.5]',
            '       |         ^^^^^^^^^^^^^^^^^',
            "  dims: D = 2 (from inputs 'x'), H = 2 (from initial 'h')",
            '  hint: transcribe the printed value as a list of 2 numbers',
        ],
        id='example-value-wrong-length',
    ),
    pytest.param(
        in_example("t = 1", "t = 0"),
        ('example.toml', 12, 5, 'i'),
        [
            "example.toml:12:5: error[step-out-of-range]: t = 0 is outside the walk-through's steps 1..2",
            '    12 | t = 0',
            '       |     ^',
            '  hint: t = 1 is the first row of [inputs]; values before it go in [initial]',
        ],
        id='example-t-zero',
    ),
    pytest.param(
        in_example("W_hi = [[1, 0], [4, -2]]", "W_hx = [[1, 0], [4, -2]]"),
        ('example.toml', 5, 1, 'W_hx'),
        [
            "example.toml:5:1: error[unknown-symbol]: unknown parameter 'W_hx': spec 'lstm' has no such parameter",
            '     5 | W_hx = [[1, 0], [4, -2]]',
            '       | ^^^^',
            "  hint: did you mean 'W_hi'? the parameters of spec 'lstm' are W_ii, W_if, W_ic, W_io, W_hi, W_hf, W_hc, W_ho, b_ii, b_if, b_ic, b_io, b_hi, b_hf, b_hc, b_ho",
        ],
        id='example-unknown-parameter',
    ),
    pytest.param(
        in_example("W_hi = [[1, 0], [4, -2]]", "W_hi = [[1, 0, 0], [4, -2, 0]]"),
        ('example.toml', 5, 8, 'W_hi'),
        [
            "example.toml:5:8: error[shape-mismatch]: parameter 'W_hi' has shape (2, 3), but spec 'lstm' declares (H, H) = (2, 2)",
            '     5 | W_hi = [[1, 0, 0], [4, -2, 0]]',
            '       |        ^^^^^^^^^^^^^^^^^^^^^^^',
            "  dims: D = 2 (from inputs 'x'), H = 2 (from initial 'h')",
            '  hint: write W_hi as 2 rows of 2 numbers, or leave it out to default to zero',
        ],
        id='example-parameter-wrong-shape',
    ),
    pytest.param(
        in_example("c = [0, 0]", "cc = [0, 0]"),
        ('example.toml', 8, 1, 'cc'),
        [
            "example.toml:8:1: error[unknown-symbol]: unknown initial value 'cc': spec 'lstm' has no such state",
            '     8 | cc = [0, 0]',
            '       | ^^',
            "  hint: did you mean 'c'? the states of spec 'lstm' are h, c",
        ],
        id='example-unknown-state',
    ),
    pytest.param(
        in_example("x = [[1, 0], [0, 1]]", "x = [[1, 0], [0]]"),
        ('example.toml', 10, 5, 'x'),
        [
            "example.toml:10:5: error[type-error]: input 'x' is ragged: its rows have different lengths",
            '    10 | x = [[1, 0], [0]]',
            '       |     ^^^^^^^^^^^^^',
            '  hint: x = [[0.0, ...], ...]',
        ],
        id='example-ragged-input',
    ),
    pytest.param(
        in_example('spec = "lstm"', 'spec = "lsmt"'),
        ('example.toml', 1, 8, 'lsmt'),
        [
            "example.toml:1:8: error[unknown-spec]: no bundled spec named 'lsmt' and no such file",
            '     1 | spec = "lsmt"',
            '       |        ^^^^^^',
            "  hint: did you mean 'lstm'? run 'seqcheck list' to see the specs, or pass a path to a .toml file",
        ],
        id='example-unknown-spec',
    ),
    pytest.param(
        in_example("value = [0.98, 0.88]", "value = [0.98, inf]"),
        ('example.toml', 14, 9, None),
        [
            "example.toml:14:9: error[type-error]: printed value of 'i' at t = 1 must be finite (no inf or nan)",
            '    14 | value = [0.98, inf]',
            '       |         ^^^^^^^^^^^',
            '  hint: write it as a list of 2 numbers, transcribed as printed',
        ],
        id='example-non-finite-value',
    ),
    pytest.param(
        in_example("value = [0.98, 0.88]", 'value = [0.98, "0.88"]'),
        ('example.toml', 14, 9, None),
        [
            "example.toml:14:9: error[type-error]: printed value of 'i' at t = 1 must be a number or a list of numbers",
            '    14 | value = [0.98, "0.88"]',
            '       |         ^^^^^^^^^^^^^^',
            '  hint: write it as a list of 2 numbers',
        ],
        id='example-string-value',
    ),
    pytest.param(
        in_example("decimals = 2", "decimals = -1"),
        ('example.toml', 2, 12, None),
        [
            "example.toml:2:12: error[type-error]: 'decimals' must be a non-negative integer",
            '     2 | decimals = -1',
            '       |            ^^',
            '  hint: decimals = 2 for values printed like 0.98',
        ],
        id='example-negative-decimals',
    ),
    pytest.param(
        in_example('name = "i"', '''name = "i pre-activation"\nexpr = "__import__('os').system('true')"'''),
        ('example.toml', 14, 9, None),
        [
            "example.toml:14:9: error[forbidden-construct]: only functions of the table can be called, not '__import__('os').system'",
            '    14 | expr = "__import__(\'os\').system(\'true\')"',
            '       |         ^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: available functions: sigmoid, tanh, relu, clip, affine, leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus, exp, log, sqrt, softmax, log_softmax, sum, identity, concat',
        ],
        id='example-expr-import',
    ),
    pytest.param(
        in_example('name = "i"', 'name = "i pre-activation"\nexpr = "' + " + ".join(["W_ii @ x"] * 1200) + '"'),
        ('example.toml', 14, 9, None),
        [
            'example.toml:14:9: error[too-large]: the expression is 13197 characters long; the limit is 10000',
            '    14 | expr = "W_ii @ x + W_ii @ x + W_ii @ x + W_ii @ x + W_ii @ x + W_ii @ x + W_ii @ x + W_ii @ x + W_ii...',
            '       |         ^',
            '  hint: record a shorter printed sub-term as its own [[printed]] entry',
        ],
        id='example-expr-too-large-chars',
    ),
    pytest.param(
        in_example('name = "i"', 'name = "i pre-activation"\nexpr = "W_ii @ x * ' + "3" * 45 + '"'),
        ('example.toml', 14, 20, None),
        [
            'example.toml:14:20: error[too-large]: the number has 45 digits; the limit is 40',
            '    14 | expr = "W_ii @ x * 333333333333333333333333333333333333333333333"',
            '       |                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: write the number in scientific notation or as a parameter',
        ],
        id='example-expr-too-large-digits',
    ),
    pytest.param(
        in_example("decimals = 2", "decimals = " + "9" * 5000),
        ('example.toml', 2, 12, None),
        [
            "example.toml:2:12: error[too-large]: invalid TOML: the number has 5000 digits, over Python's limit of 4300 for reading an integer",
            '     2 | decimals = 99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999...',
            '       |            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
            '  hint: numbers in spec, mapping and example files have at most 40 digits',
        ],
        id='example-too-large-toml-integer',
    ),
    pytest.param(
        in_example("decimals = 2", "decimals = 2\nnotes = " + "[" * DEEP + "]" * DEEP),
        ('example.toml', 3, 5008, None),
        [
            'example.toml:3:5008: error[too-large]: invalid TOML: arrays or inline tables are nested too deeply to parse',
            '     3 | ...[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]...',
            '       |                                                      ^',
            '  5000 levels of [ and { are open here',
            '  hint: spec, mapping and example files nest arrays at most two levels deep',
        ],
        id='example-too-large-toml-nesting',
    ),

]

FILES = {"spec": "cell.toml", "mapping": "mapping.toml", "example": "example.toml"}
LOADERS = {"spec": load_spec, "mapping": load_mapping, "example": load_example}
ERRORS = {"spec": SpecError, "mapping": MappingError, "example": ExampleError}
COMMANDS = {  # the command that reads each kind of file
    "spec": ["lint", FILES["spec"]],
    "mapping": ["verify", "torch.nn:RNNCell", "--mapping", FILES["mapping"]],
    "example": ["example", FILES["example"]],
}


def _write(tmp_path, monkeypatch, kind, text):
    monkeypatch.chdir(tmp_path)  # messages then name the file as the user gave it
    (tmp_path / FILES[kind]).write_text(text, encoding="utf-8")


def test_every_kind_has_at_least_ten_rows():
    counts = {kind: 0 for kind in FILES}
    for row in ROWS:
        counts[row.values[0][0]] += 1
    assert min(counts.values()) >= 10, counts
    ids = [row.id for row in ROWS]
    assert len(set(ids)) == len(ids)


def test_the_base_files_are_valid(tmp_path, monkeypatch):
    for kind, text in {"spec": SPEC, "mapping": MAPPING, "example": EXAMPLE}.items():
        _write(tmp_path, monkeypatch, kind, text)
        LOADERS[kind](FILES[kind])


@pytest.mark.parametrize(("file", "where", "message"), ROWS)
def test_the_loader_gives_the_exact_message(tmp_path, monkeypatch, file, where, message):
    kind, text = file
    _write(tmp_path, monkeypatch, kind, text)
    with pytest.raises(SeqcheckError) as info:
        LOADERS[kind](FILES[kind])
    err = info.value
    assert type(err) is ERRORS[kind]
    assert str(err).splitlines() == message
    first = err.diagnostics[0]
    assert (err.file, err.line, err.col, err.symbol) == where
    assert (first.file, first.line, first.col, first.symbol) == where
    assert first.hint and f"  hint: {first.hint}" in message


@pytest.mark.parametrize(("file", "where", "message"), ROWS)
def test_the_command_line_exits_2_with_the_message(tmp_path, monkeypatch, capsys, file,
                                                  where, message):
    kind, text = file
    _write(tmp_path, monkeypatch, kind, text)
    code = main(COMMANDS[kind])
    _, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err
    assert err.splitlines() == message


@pytest.mark.parametrize(("file", "where", "message"),
                         [r for r in ROWS if r.id.endswith("too-large-toml-nesting")])
def test_a_separate_process_exits_2_without_a_traceback(tmp_path, monkeypatch, file, where,
                                                        message):
    # the deepest input, in a fresh interpreter: its exit status and all it writes
    kind, text = file
    _write(tmp_path, monkeypatch, kind, text)
    proc = subprocess.run([sys.executable, "-m", "seqcheck", *COMMANDS[kind]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == message
