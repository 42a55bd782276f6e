"""The NumPy printer against SymPy itself, and the forward pass's array contract.

For every equation of every catalogue spec, the generated NumPy code must agree with
SymPy's explicit evaluation of the same expression at small concrete sizes (every
dim a different size). This checks the printer rule by rule, independently of the
hand-written oracles in ``oracles/``.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import CompileError, ShapeError, catalogue, compile_numpy, load_spec, loads_spec
from seqcheck.backends.namespaces import NumpyNamespace
from seqcheck.backends.numpy_backend import compile_expression
from seqcheck.backends.printer import ArrayPrinter as NumpyPrinter
from seqcheck.spec.functions import relu, sigmoid
from seqcheck.spec.grammar import Typed

SIZES = (2, 3, 4, 5)


def _bind(spec):
    return {d.symbol: SIZES[k % len(SIZES)] for k, d in enumerate(spec.dims)}


def _explicit(expr, dims, values):
    """Evaluate a SymPy matrix (or scalar) expression exactly-then-numerically."""
    e = expr.subs(dims)
    repl = {}
    for s in e.free_symbols:
        v = values[s.name]
        repl[s] = sp.Matrix(np.atleast_2d(v).T) if isinstance(s, sp.MatrixSymbol) and \
            s.shape[1] == 1 else (sp.Matrix(v) if isinstance(s, sp.MatrixSymbol) else sp.Float(v))
    e = e.as_explicit() if hasattr(e, "as_explicit") else e.doit()
    e = e.xreplace(repl)
    e = e.replace(sigmoid, lambda a: 1 / (1 + sp.exp(-a))).replace(
        relu, lambda a: sp.Max(0, a)
    )
    return np.array(sp.N(e.doit() if hasattr(e, "doit") else e, 30), dtype=float)


@pytest.mark.parametrize("name", catalogue.spec_names())
@settings(max_examples=3)
@given(seed=st.integers(0, 2**32 - 1))
def test_printer_agrees_with_sympy(name, seed):
    spec = load_spec(name)
    dims = _bind(spec)
    rng = np.random.default_rng(seed)
    values = {}
    for e in spec.equations:
        for r in e.refs:
            label = spec.symbol(r.name, r.offset).name
            shape = tuple(int(sp.sympify(n).subs(dims)) for n in spec.shape_of(r.name))
            values.setdefault(label, rng.uniform(-1.5, 1.5, size=shape))
    bound = {str(k): v for k, v in dims.items()}
    for e in spec.equations:
        fn = compile_expression(spec, Typed(e.expr, e.shape))
        env = {n: values[n] for n in fn.names}
        got = np.asarray(fn(env, bound), dtype=float)
        want = _explicit(e.expr, dims, values)
        want = want.reshape(got.shape)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{name}: equation {e.target} = {e.text}")


def test_generated_source_is_readable_python():
    c = compile_numpy(load_spec("lstm"))
    src = c.source
    # the step's sum, written into its slot by the last addition (in place) ...
    assert "        c = _xp.add(c_tm1 * f, c_tilde * i, out=c_seq[_t])" in src
    # ... or as the math reads, in the list form that torch autograd follows
    assert "        c = c_tm1 * f + c_tilde * i" in c._source(lists=True)
    assert "h_tm1 = h_seq[_t - 1] if _t >= 1 else h_init" in src
    compile(src, "lstm", "exec")


def test_row_and_column_forms_print_as_their_math():
    # seed 004 writes W_ii x (W of shape (H, D)); seed 000 writes X W_xf (W of shape (d, n)).
    # (the code without the stacking pass, which would join these products; over every
    # step at once, before the loop, a product is one (T·B)-row _xp.matmul)
    from seqcheck.backends.codegen import module_source

    assert "_xp.matmul(x, W_ii.T)" in module_source(load_spec("lstm"), stack=False)
    assert "_xp.matmul(X, W_xf)" in module_source(load_spec("lstm_seed000"), stack=False)


def test_a_sequence_of_rows_is_one_product():
    # NumPy's own ``@`` multiplies a (T, B, n) stack as T products; matmul folds the rows
    xp = NumpyNamespace(np.float64)
    rng = np.random.default_rng(0)
    a, w = rng.normal(size=(5, 3, 4)), rng.normal(size=(4, 6))
    expected = np.einsum("tbi,ij->tbj", a, w)
    np.testing.assert_allclose(xp.matmul(a, w), expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(xp.matmul(a[:, 0], w), expected[:, 0], rtol=1e-13, atol=1e-13)
    # a non-contiguous view (a gate's slice of the stacked deltas) too
    np.testing.assert_allclose(xp.matmul(a[..., 1:3], w[1:3]),
                               np.einsum("tbi,ij->tbj", a[..., 1:3], w[1:3]), rtol=1e-13,
                               atol=1e-13)


def test_unprintable_expression_is_an_error_naming_it():
    with pytest.raises(CompileError, match="cannot print Inverse"):
        NumpyPrinter(where="a test").doprint(sp.Inverse(sp.MatrixSymbol("A", 3, 3)))


def test_arrays_that_do_not_fit_name_every_binding():
    spec = load_spec("elman")
    fwd = compile_numpy(spec)
    rng = np.random.default_rng(0)
    params = {"W_1": rng.normal(size=(4, 4)), "W_2": rng.normal(size=(4, 3)),
              "V": rng.normal(size=(2, 4)), "b": rng.normal(size=4), "c": rng.normal(size=5)}
    with pytest.raises(ShapeError) as info:
        fwd(params, {"x": rng.normal(size=(6, 2, 3))})
    msg = str(info.value)
    assert "  - c: axis 0 is 5, but C = 2 (from V axis 0)" in msg
    assert "  b: (H,)" in msg
    assert "dim bindings: H = 4, D = 3, C = 2, T = 6, B = 2" in msg
    with pytest.raises(ShapeError, match="unknown parameter 'W_3'"):
        fwd({**params, "c": np.zeros(2), "W_3": np.zeros(2)}, {"x": rng.normal(size=(6, 2, 3))})
    with pytest.raises(ShapeError, match="missing parameter 'V' of shape \\(C, H\\)"):
        fwd({k: v for k, v in params.items() if k != "V"}, {"x": rng.normal(size=(6, 2, 3))})


def test_initial_state_override_and_dtype():
    spec = load_spec("elman")
    rng = np.random.default_rng(1)
    params = {"W_1": rng.normal(size=(4, 4)), "W_2": rng.normal(size=(4, 3)),
              "V": rng.normal(size=(2, 4)), "b": rng.normal(size=4), "c": rng.normal(size=2)}
    x = rng.normal(size=(3, 2, 3))
    h0 = rng.normal(size=(2, 4))
    t64 = compile_numpy(spec)(params, {"x": x}, initial={"h": h0})
    expect = np.tanh(params["b"] + h0 @ params["W_1"].T + x[0] @ params["W_2"].T)
    np.testing.assert_allclose(t64["h"][0], expect, rtol=1e-14)
    t32 = compile_numpy(spec, dtype=np.float32)(params, {"x": x}, initial={"h": h0})
    assert t32["h"].dtype == np.float32
    np.testing.assert_allclose(t32["h"], t64["h"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(t64.final["h"], t64["h"][-1])


# -- equations that read no sequence input -------------------------------------------------
_TIMELESS = """
name = "timeless"
outputs = ["p", "k"]
[dims]
C = "classes"
S = "summary size"
[inputs]
hbar = { shape = ["S"], static = true }
[params]
W = { shape = ["C", "S"] }
b = { shape = ["C"] }
[equations]
p = "W @ softmax(hbar) + b"
k = "1 + 1/10 + 1/100"
"""


@settings(max_examples=20, deadline=None)
@given(C=st.integers(1, 4), S=st.integers(1, 4), T=st.integers(1, 4), B=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1), backend=st.sampled_from(["numpy", "torch"]))
def test_an_equation_over_static_inputs_and_numbers_is_the_same_at_every_step(
        C, S, T, B, seed, backend):
    # Such an equation runs once for all steps; its values are still (T, B, ...), and its
    # gradients sum the seeds of every step, as autograd through the broadcast does.
    import torch

    from seqcheck.backends.torch_backend import compile_torch

    spec = loads_spec(_TIMELESS)
    rng = np.random.default_rng(seed)
    W, b, hbar = rng.normal(size=(C, S)), rng.normal(size=C), rng.normal(size=(B, S))
    seeds = {"p": rng.normal(size=(T, B, C)), "k": rng.normal(size=(T, B, 1))}
    if backend == "numpy":
        comp = compile_numpy(spec, gradients=True)
    else:
        comp = compile_torch(spec, dtype=torch.float64, gradients=True)
    traj = comp.forward({"W": W, "b": b}, {"hbar": hbar}, steps=T)
    assert tuple(traj["p"].shape) == (T, B, C) and tuple(traj["k"].shape) == (T, B)
    np.testing.assert_array_equal(np.asarray(traj["k"]), 1.11)
    grads = comp.backward(traj, seeds)
    tW, tb, th = (torch.tensor(a, requires_grad=True) for a in (W, b, hbar))
    p = (torch.softmax(th, -1) @ tW.T + tb).expand(T, B, C)
    np.testing.assert_allclose(np.asarray(traj["p"]), p.detach().numpy(), rtol=1e-13, atol=1e-14)
    (torch.as_tensor(seeds["p"]) * p).sum().backward()
    for got, want in ((grads.params["W"], tW), (grads.params["b"], tb), (grads.inputs["hbar"], th)):
        np.testing.assert_allclose(np.asarray(got), want.grad.numpy(), rtol=1e-12, atol=1e-13)


def _protocol_members(proto) -> set[str]:
    names = set(proto.__annotations__)
    names |= {k for k, v in vars(proto).items() if callable(v) and not k.startswith("_")}
    return names


def test_array_namespace_protocol_names_everything_a_backend_is_asked_for():
    """docs/architecture.md's contract for a new backend is complete: every ``_xp.<name>``
    the printer and the code generator can write, every function of the spec table, and
    every member ``CompiledSpec`` calls, is a member of ``ArrayNamespace``; and both
    namespaces offer all of them."""
    import re
    from pathlib import Path

    import seqcheck.backends as backends
    from seqcheck.backends.namespaces import ArrayNamespace, NumpyNamespace, TorchNamespace
    from seqcheck.spec.functions import FUNCTIONS

    members = _protocol_members(ArrayNamespace)
    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in Path(backends.__file__).parent.rglob("*.py"))
    asked = (set(re.findall(r"_xp\.(\w+)\(", source)) | set(re.findall(r"self\.xp\.(\w+)", source))
             | set(re.findall(r'namespace_call\("(\w+)"', source)))
    printed = {NumpyPrinter()._print(info.sympy(sp.Symbol("a"))).split("(")[0]
               for info in FUNCTIONS.values() if info.kind == "elementwise"}
    asked |= {p.removeprefix("_xp.") for p in printed}
    assert {"tanh", "exp", "log", "sqrt", "sigmoid", "step", "shift"} <= asked  # probe reads code
    assert asked <= members, f"not in ArrayNamespace: {sorted(asked - members)}"
    for ns in (NumpyNamespace(), TorchNamespace()):
        assert isinstance(ns, ArrayNamespace)
        assert not [m for m in members if not hasattr(ns, m)]
