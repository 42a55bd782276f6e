"""Engine layouts as blocks (seqcheck.adapters.blocks): assemble and split are adjoint.

The oracle for ``split`` is the definition of a gradient: for any linear functional
⟨G, assemble(p)⟩ of the engine's array, the gradient with respect to each spec parameter
is what ``split(G)`` returns -- checked against a central difference of that functional,
which uses ``assemble`` alone. The layouts are drawn: gate blocks of any count, either
orientation, summed biases, stacks and nested concatenations.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcheck.adapters.blocks import (
    Concat,
    Stack,
    Term,
    assemble,
    check_covers,
    gates,
    grads_of,
    params_of,
    split,
)
from seqcheck.errors import SeqcheckError
from seqcheck.spec import load_spec


@st.composite
def layouts(draw):
    """A kernel of k gate blocks (each (H, D), maybe transposed) and a summed bias."""
    k = draw(st.integers(1, 4))
    H, D = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    transpose = draw(st.booleans())
    letters = "abcd"[:k]
    kernel = gates("W_{g}", letters, transpose=transpose, axis=1 if transpose else 0)
    stacked = draw(st.booleans())
    if stacked:  # Keras's GRU bias: (2, k*H), an input row and a recurrent row
        bias = Stack((gates("b_i{g}", letters), gates("b_h{g}", letters)))
    else:  # one bias per gate for the spec's two
        bias = gates("b_i{g}+b_h{g}", letters)
    shapes = {**{f"W_{g}": (H, D) for g in letters},
              **{f"b_{s}{g}": (H,) for s in "ih" for g in letters}}
    elements = st.integers(-20, 20).map(lambda v: v / 10)  # no underflow in products
    params = {n: np.array(draw(st.lists(elements, min_size=int(np.prod(s)),
                                        max_size=int(np.prod(s))))).reshape(s)
              for n, s in shapes.items()}
    return {"kernel": kernel, "bias": bias}, params, shapes


@given(layouts(), st.integers(0, 2**31 - 1))
def test_split_is_the_gradient_of_assemble(drawn, seed):
    layout, params, shapes = drawn
    rng = np.random.default_rng(seed)
    arrays = {path: assemble(block, params) for path, block in layout.items()}
    G = {path: rng.standard_normal(a.shape) for path, a in arrays.items()}

    def functional(p):
        return sum(float((G[path] * assemble(block, p)).sum()) for path, block in layout.items())

    grads = grads_of(layout, G, shapes)
    assert set(grads) == set(params)
    eps = 1e-6
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            up, down = dict(params), dict(params)
            up[name], down[name] = value.copy(), value.copy()
            up[name][idx] += eps
            down[name][idx] -= eps
            numeric[idx] = (functional(up) - functional(down)) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, atol=1e-6)


@given(layouts())
def test_split_inverts_assemble_on_unsummed_blocks(drawn):
    layout, params, shapes = drawn
    kernel = layout["kernel"]
    back = split(kernel, assemble(kernel, params), shapes)
    assert set(back) == set(params_of(kernel))
    for name, value in back.items():
        np.testing.assert_array_equal(value, params[name])


def test_unequal_widths_need_the_shapes():
    # an LSTM with a projection: h has P entries, c has H; blocks of two widths
    block = Concat((Term(("A",)), Term(("B",))), axis=0)
    params = {"A": np.ones((2, 3)), "B": np.full((1, 3), 2.0)}
    joined = assemble(block, params)
    assert joined.shape == (3, 3)
    back = split(block, joined, {"A": (2, 3), "B": (1, 3)})
    np.testing.assert_array_equal(back["A"], params["A"])
    np.testing.assert_array_equal(back["B"], params["B"])


def test_check_covers_names_every_fault():
    spec = load_spec("gru")
    good = {"kernel": gates("W_i{g}", "zrn", transpose=True, axis=1),
            "recurrent": gates("W_h{g}", "zrn", transpose=True, axis=1),
            "bias": Stack((gates("b_i{g}", "zrn"), gates("b_h{g}", "zrn")))}
    check_covers(good, spec, "a Keras GRU")
    bad = {**good, "recurrent": gates("W_h{g}", "zrz", transpose=True, axis=1),
           "extra": Term(("W_xx",))}
    with pytest.raises(SeqcheckError) as info:
        check_covers(bad, spec, "a Keras GRU")
    assert str(info.value) == (
        "the layout of a Keras GRU does not fit spec 'gru': not placed: W_hn; "
        "not parameters of the spec: W_xx; placed twice: W_hz")


def test_a_sum_the_spec_does_not_depend_on_as_a_sum_is_refused():
    spec = load_spec("gru")
    layout = {"kernel": gates("W_i{g}", "zrn", transpose=True, axis=1),
              "recurrent": gates("W_h{g}", "zrn", transpose=True, axis=1),
              "bias": gates("b_i{g}+b_h{g}", "zrn")}
    with pytest.raises(SeqcheckError) as info:
        check_covers(layout, spec, "a one-bias GRU")
    assert str(info.value) == (
        "the layout of a one-bias GRU does not fit spec 'gru': b_in + b_hn is not a sum in "
        "n = tanh(W_in @ x + b_in + r * (W_hn @ h[t-1] + b_hn))")


def test_an_empty_term_is_refused():
    with pytest.raises(SeqcheckError, match="at least one"):
        Term(())
