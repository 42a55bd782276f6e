"""Spec and example texts that several test files write out: small one-equation cells
(h = f(W h_{t-1} + U x [+ b])) and the golden files of the error-message tests."""


def one_state_cell(name: str, equation: str, *, bias: bool = False) -> str:
    """Spec text of a cell with state h (H), input x (D), weights W (H, H), U (H, D), and
    a bias b (H) when ``bias``; ``equation`` is the right-hand side of h.

    >>> "h = \\"W @ h[t-1]\\"" in one_state_cell("linear", "W @ h[t-1]")
    True
    """
    b = 'b = { shape = ["H"] }\n' if bias else ""
    return f"""
name = "{name}"
outputs = ["h"]
[dims]
H = "hidden size"
D = "input size"
[inputs]
x = {{ shape = ["D"] }}
[states]
h = {{ shape = ["H"], init = "0" }}
[params]
W = {{ shape = ["H", "H"] }}
U = {{ shape = ["H", "D"] }}
{b}[equations]
h = "{equation}"
"""


#: The cell whose golden error messages tests/test_spec_errors.py and
#: tests/test_bad_input_table.py assert: their line and column numbers count in this text.
GOLDEN_CELL = '''name = "cell"
title = "a test cell"
outputs = ["h"]

[dims]
D = "input size"
H = "hidden size"

[inputs]
x = { shape = ["D"] }

[states]
h = { shape = ["H"], init = "0" }

[params]
W = { shape = ["H", "H"] }
U = { shape = ["H", "D"] }
b = { shape = ["H"] }

[equations]
h = "tanh(W @ h[t-1] + U @ x + b)"
'''
#: Its one equation, as a line of GOLDEN_CELL (the anchor for replacements).
GOLDEN_EQ = 'h = "tanh(W @ h[t-1] + U @ x + b)"'

#: The worked-example file whose golden error messages tests/test_example.py and
#: tests/test_bad_input_table.py assert: their line numbers count in this text.
GOLDEN_EXAMPLE = '''spec = "lstm"
decimals = 2
[params]
W_ii = [[4, 4], [2, 2]]
W_hi = [[1, 0], [4, -2]]
[initial]
h = [0, 0]
c = [0, 0]
[inputs]
x = [[1, 0], [0, 1]]
[[printed]]
t = 1
name = "i"
value = [0.98, 0.88]
where = "eq. (11)"
'''
