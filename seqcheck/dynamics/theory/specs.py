"""The two small specs the theory runs through the compiled passes.

Before the split of ``theory.py`` into this package, these stood beside the claims they
serve: ``linear_rnn``, seed 000 eq. (26) with an input, whose state Jacobian is Wᵀ at
every step (:mod:`.linear`); and ``rnn_alternative``, seed 002's "Alternative formulation
for RNNs", whose Jacobian is W diag(tanh'(c_{t-1})) (:mod:`.products`). They are spec
text, not catalogue files, so that the bundled list stays the lectures' models; each is
loaded and validated like any spec.
"""

from __future__ import annotations

from ...spec import Spec, loads_spec

__all__ = ["ALTERNATIVE_RNN", "LINEAR_RNN", "alternative_rnn", "linear_rnn"]

LINEAR_RNN = '''
name = "linear_rnn"
title = "Linear recurrence with an input (seed 000 eq. 26, h_t = W^T h_{t-1}, plus U x_t)"
outputs = ["h"]

[[sources]]
file = "000_bdb039f7b454a225.txt"
where = "Long-term dependencies in RNNs"
equations = ["26"]
note = "with an input term U x_t, so that there is something to learn from"

[dims]
D = "input size"
H = "hidden size"

[inputs]
x = { shape = ["D"], doc = "input x_t" }

[states]
h = { shape = ["H"], init = "0", doc = "hidden state h_t" }

[params]
W = { shape = ["H", "H"], doc = "recurrent weights, applied transposed as in eq. 26" }
U = { shape = ["H", "D"], doc = "input weights" }

[equations]
h = "W.T @ h[t-1] + U @ x"
'''


def linear_rnn() -> Spec:
    """Seed 000 eq. (26) with an input, h_t = Wᵀ h_{t-1} + U x_t, as a spec.

    Its state Jacobian is Wᵀ at every step, so ∂h_t/∂h_τ = (W^(t-τ))ᵀ: eq. (27).

    Returns:
        The validated :class:`~seqcheck.spec.Spec` ``linear_rnn``.

    >>> linear_rnn().equation("h").shape
    (H,)
    """
    return loads_spec(LINEAR_RNN, file="<seqcheck.dynamics.theory.LINEAR_RNN>")


ALTERNATIVE_RNN = '''
name = "rnn_alternative"
title = "Seed 002's alternative formulation, c_t = W tanh(c_{t-1}) + U x_t + b"
notes = """
Seed 002 introduces it "to derive conclusions and intuitions"; it is Pascanu et al.'s
(2013) x_t = W_rec sigma(x_{t-1}) + W_in u_t + b. Its Jacobian is W diag(tanh'(c_{t-1})).
"""
outputs = ["c"]

[[sources]]
file = "002_eda597ced39c7a1d.txt"
where = "Alternative formulation for RNNs"
equations = ["c_t = W tanh(c_{t-1}) + U x_t + b"]

[dims]
D = "input size"
H = "state size"

[inputs]
x = { shape = ["D"], doc = "input x_t" }

[states]
c = { shape = ["H"], init = "0", doc = "state c_t (c_0 = 0)" }

[params]
W = { shape = ["H", "H"], doc = "recurrent weights" }
U = { shape = ["H", "D"], doc = "input weights" }
b = { shape = ["H"], doc = "bias" }

[equations]
c = "W @ tanh(c[t-1]) + U @ x + b"
'''


def alternative_rnn() -> Spec:
    """Seed 002's "Alternative formulation for RNNs", c_t = W tanh(c_{t-1}) + U x_t + b.

    Returns:
        The validated :class:`~seqcheck.spec.Spec` ``rnn_alternative``.

    >>> list(alternative_rnn().states)
    ['c']
    """
    return loads_spec(ALTERNATIVE_RNN, file="<seqcheck.dynamics.theory.ALTERNATIVE_RNN>")
