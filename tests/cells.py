"""Small one-equation specs that several test files write out: h = f(W h_{t-1} + U x [+ b])."""


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
