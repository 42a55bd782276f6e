"""The plain-RNN family of the catalogue against independent hand-written oracles.

Every spec is compiled to NumPy and run on random dims, steps, batches and values; its
trajectory must equal the oracle in ``tests/oracles/rnn.py`` (written from the lecture
equations, not from the specs) for every variable and every final state. Parameter
shapes are written out here by hand as well, so a spec that declares a transposed or
mis-sized weight fails the shape check of the compiled forward pass.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import rnn as oracles

from seqcheck import SpecError, compile_numpy, load_spec
from seqcheck.catalogue import literal_paths, spec_dir, spec_names


@dataclass(frozen=True)
class Model:
    """A spec name, its oracle, its dims and its parameter shapes as functions of the dims.

    ``x`` names the dim of the per-step input; ``scalars`` are parameters of shape () drawn
    from [0, 1] (leak weights), where the lectures use them. ``float32_atol`` is the
    absolute tolerance of the float32 run (see TOLERANCES).
    """

    oracle: Callable
    dims: tuple[str, ...]
    x: str
    shapes: Callable[[dict], dict[str, tuple[int, ...]]]
    scalars: tuple[str, ...] = ()
    float32_atol: float = 1e-5


def _rnn_shapes(d):  # seed 000 eq. 15-17
    return {"W_xh": (d["H"], d["D"]), "W_hh": (d["H"], d["H"]), "W_ho": (d["C"], d["H"]),
            "b_h": (d["H"],), "b_o": (d["C"],)}


def _esn_shapes(d):  # seed 003, reservoir computing (W_out size corrected)
    return {"W_in": (d["N_x"], 1 + d["N_u"]), "W": (d["N_x"], d["N_x"]),
            "W_out": (d["N_y"], 1 + d["N_x"] + d["N_u"])}


MODELS = {
    "rnn": Model(oracles.rnn, ("D", "H", "C"), "D", _rnn_shapes),
    "elman": Model(oracles.elman, ("D", "H", "C"), "D", lambda d: {
        "W_1": (d["H"], d["H"]), "W_2": (d["H"], d["D"]), "V": (d["C"], d["H"]),
        "b": (d["H"],), "c": (d["C"],)}),
    "elman_nobias": Model(oracles.elman_nobias, ("D", "H", "C"), "D", lambda d: {
        "U": (d["H"], d["D"]), "W": (d["H"], d["H"]), "V": (d["C"], d["H"])}),
    "jordan": Model(oracles.jordan, ("D", "H", "C"), "D", lambda d: {
        "W": (d["H"], d["C"]), "U": (d["H"], d["D"]), "V": (d["C"], d["H"]),
        "b": (d["H"],), "c": (d["C"],)}, float32_atol=1e-3),
    "leaky_rnn": Model(oracles.leaky_rnn, ("D", "H", "C"), "D", _rnn_shapes, ("alpha",)),
    "esn": Model(oracles.esn, ("N_u", "N_x", "N_y"), "N_u", _esn_shapes, ("alpha",)),
    "esn_feedback": Model(oracles.esn_feedback, ("N_u", "N_x", "N_y"), "N_u", lambda d: {
        **_esn_shapes(d), "W_fb": (d["N_x"], d["N_y"])}, ("alpha",), float32_atol=1e-3),
    "birnn": Model(oracles.birnn, ("D", "H", "C"), "D", lambda d: {
        "W_fwd": (d["H"], d["D"]), "V_fwd": (d["H"], d["H"]), "b_fwd": (d["H"],),
        "W_bwd": (d["H"], d["D"]), "V_bwd": (d["H"], d["H"]), "b_bwd": (d["H"],),
        "U": (d["C"], 2 * d["H"]), "c": (d["C"],)}),
    "deep_birnn": Model(oracles.deep_birnn, ("D", "H1", "H2", "C"), "D", lambda d: {
        **{f"W_{k}1": (d["H1"], d["D"]) for k in ("fwd", "bwd")},
        **{f"V_{k}1": (d["H1"], d["H1"]) for k in ("fwd", "bwd")},
        **{f"b_{k}1": (d["H1"],) for k in ("fwd", "bwd")},
        **{f"W_{k}2": (d["H2"], d["H1"]) for k in ("fwd", "bwd")},
        **{f"V_{k}2": (d["H2"], d["H2"]) for k in ("fwd", "bwd")},
        **{f"b_{k}2": (d["H2"],) for k in ("fwd", "bwd")},
        "U": (d["C"], 2 * d["H2"]), "c": (d["C"],)}),
    "deep_rnn": Model(oracles.deep_rnn, ("D", "H1", "H2", "C"), "D", lambda d: {
        "W_xh1": (d["H1"], d["D"]), "W_hh1": (d["H1"], d["H1"]), "b_h1": (d["H1"],),
        "W_xh2": (d["H2"], d["H1"]), "W_hh2": (d["H2"], d["H2"]), "b_h2": (d["H2"],),
        "W_ho": (d["C"], d["H2"]), "b_o": (d["C"],)}),
}
NEW_SPECS = [n for n in MODELS if n != "elman"]

#: Per-dtype tolerances. float64: both sides do the same arithmetic in another order
#: (worst seen over 3000 draws per spec: 3e-15 beyond rtol).
#: float32: the compiled pass rounds every step to float32 (eps 6e-8) while the oracle
#: runs in float64 on the same float32-rounded values; sums of up to 11 products of
#: size <= 4 that cancel leave absolute errors of a few 1e-6, hence atol 1e-5. Where the
#: output y_{t-1} feeds back (jordan, esn_feedback) the loop amplifies that rounding at
#: every step (worst seen over 6000 draws: 5.4e-5), hence Model.float32_atol = 1e-3 there.
TOLERANCES = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


@functools.cache
def _compiled(name: str, dtype) -> Callable:
    return compile_numpy(load_spec(name), dtype=dtype)


def _problem(model: Model, dims: dict, T: int, B: int, seed: int, dtype) -> tuple[dict, dict]:
    """Params and inputs with values in [-2, 2] (leak weights in [0, 1]), rounded to dtype.

    Rows of the batch differ (continuous draws), so a mixed-up batch axis shows.
    """
    rng = np.random.default_rng(seed)
    params = {k: rng.uniform(-2, 2, size=s).astype(dtype) for k, s in model.shapes(dims).items()}
    for k in model.scalars:
        params[k] = np.asarray(rng.uniform(0, 1), dtype=dtype)
    x = rng.uniform(-2, 2, size=(T, B, dims[model.x])).astype(dtype)
    return params, {"x": x}


def _assert_matches(name: str, dims: dict, T: int, B: int, seed: int, dtype) -> None:
    model = MODELS[name]
    params, inputs = _problem(model, dims, T, B, seed, dtype)
    traj = _compiled(name, dtype)(params, inputs)
    ref = model.oracle(params, inputs["x"])
    assert dict(traj.dims) == dims
    assert set(traj.values) == set(ref.values), "variables differ from the oracle's"
    assert set(traj.final) == set(ref.final), "states differ from the oracle's"
    tol = dict(TOLERANCES[dtype])
    if dtype == np.float32:
        tol["atol"] = model.float32_atol
    for var, want in ref.values.items():
        got = traj.values[var]
        assert got.dtype == dtype, f"{name}.{var}: dtype {got.dtype}, expected {dtype}"
        np.testing.assert_allclose(got, want, **tol, err_msg=f"{name}: variable {var!r}")
    for state, want in ref.final.items():
        np.testing.assert_allclose(traj.final[state], want, **tol,
                                   err_msg=f"{name}: final state {state!r}")


@st.composite
def _cases(draw, name: str):
    dims = {d: draw(st.integers(1, 5), label=d) for d in MODELS[name].dims}
    T = draw(st.integers(1, 6), label="T")
    B = draw(st.integers(1, 4), label="B")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    return dims, T, B, seed


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(MODELS))
@settings(max_examples=25)
@given(data=st.data())
def test_spec_matches_oracle(name, dtype, data):
    dims, T, B, seed = data.draw(_cases(name))
    _assert_matches(name, dims, T, B, seed, dtype)


@pytest.mark.parametrize("name", list(MODELS))
def test_spec_matches_oracle_all_dims_distinct(name):
    # Hypothesis may happen to draw H == D; here every dim differs, so any swapped
    # axis or transposed weight is a shape error or a wrong value.
    dims = dict(zip(MODELS[name].dims, (2, 3, 4, 5)))
    _assert_matches(name, dims, T=5, B=3, seed=20240501, dtype=np.float64)


@settings(max_examples=25)
@given(dims=st.fixed_dictionaries({"D": st.integers(1, 5), "H": st.integers(1, 5),
                                   "C": st.integers(1, 5)}),
       T=st.integers(1, 6), B=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_leaky_rnn_with_alpha_zero_is_rnn(dims, T, B, seed):
    # seed 000 eq. 29 with alpha = 0 keeps none of h_{t-1}: the plain RNN of eq. 15-17.
    params, inputs = _problem(MODELS["rnn"], dims, T, B, seed, np.float64)
    plain = _compiled("rnn", np.float64)(params, inputs)
    leaky = _compiled("leaky_rnn", np.float64)({**params, "alpha": np.float64(0.0)}, inputs)
    for var in ("a", "h", "o"):
        np.testing.assert_allclose(leaky.values[var], plain.values[var], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(leaky.values["h_tilde"], plain.values["h"], rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(leaky.final["h"], plain.final["h"], rtol=1e-12, atol=1e-12)


def test_birnn_backward_chain_carries_the_last_input_to_the_first_step():
    # seed 000 eq. 24: h<-_1 depends on x_T through h<-_2, ..., h<-_T; h->_t for t < T
    # does not. Changing only the last input must move h_bwd at t = 1.
    name, dims, T, B = "birnn", {"D": 2, "H": 3, "C": 4}, 4, 2
    params, inputs = _problem(MODELS[name], dims, T, B, seed=7, dtype=np.float64)
    changed = inputs["x"].copy()
    changed[-1] += 1.0
    fwd = _compiled(name, np.float64)
    before, after = fwd(params, inputs), fwd(params, {"x": changed})
    assert np.all(np.abs(after.values["h_bwd"][0] - before.values["h_bwd"][0]) > 1e-9)
    np.testing.assert_array_equal(after.values["h_fwd"][:-1], before.values["h_fwd"][:-1])
    np.testing.assert_allclose(after.final["h_bwd"], after.values["h_bwd"][0], rtol=0, atol=0)
    ref = oracles.birnn(params, changed)
    np.testing.assert_allclose(after.values["h_bwd"], ref.values["h_bwd"], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["esn", "esn_feedback"])
def test_float32_readout_is_float32_arithmetic(name):
    # y(n) = W_out [1; h(n); x(n)] (seed 003) in a float32 pass must be float32 arithmetic
    # on the float32 h and x. Regression: the 1 of concat(1, ...) was printed as
    # numpy.eye(1), a float64 array, which silently promoted the product to float64.
    dims = {"N_u": 3, "N_x": 4, "N_y": 5}
    params, inputs = _problem(MODELS[name], dims, T=6, B=4, seed=11, dtype=np.float32)
    traj = _compiled(name, np.float32)(params, inputs)
    h, x = traj.values["h"], inputs["x"]
    ones = np.ones(h.shape[1:-1] + (1,), dtype=np.float32)
    # one step at a time, as the forward pass multiplies, so the rounding is the same
    y32 = np.stack([np.concatenate([ones, h[t], x[t]], axis=-1) @ params["W_out"].T
                    for t in range(len(h))])
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(traj.values["y"], y32)


def test_catalogue_lists_the_plain_rnn_family():
    names = spec_names()
    assert set(MODELS) <= set(names), sorted(set(MODELS) - set(names))


# -- literal transcriptions the validator must reject ---------------------------------
LITERAL = {
    # file: (target whose printed equation loops, the cycle, the corrected catalogue spec)
    "seed000_eq13.toml": ("h", "h -> h", "rnn"),
    "seed000_eq20.toml": ("h2", "h2 -> h2", "deep_rnn"),
}


def _equation_line(path: Path, target: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("[equations]")
    for k, line in enumerate(lines[start:], start=start + 1):
        if re.match(rf"{re.escape(target)}\s*=", line):
            return k
    raise AssertionError(f"no equation for {target!r} in {path}")


@pytest.mark.parametrize("file", list(LITERAL))
def test_literal_transcription_is_an_algebraic_loop(file):
    path = spec_dir() / "literal" / file
    assert path in literal_paths()
    target, cycle, corrected = LITERAL[file]
    with pytest.raises(SpecError) as info:
        load_spec(path)
    first = info.value.diagnostics[0]
    assert first.kind == "algebraic-loop"
    assert first.line == _equation_line(path, target)
    assert first.equation == target and first.symbol == target
    assert first.message == f"algebraic loop inside a step: {cycle}"
    # The notes name the catalogue spec that holds the corrected form, and it loads.
    notes = tomllib.loads(path.read_text(encoding="utf-8"))["notes"]
    assert f"'{corrected}'" in notes
    load_spec(corrected)


def test_literal_transcriptions_are_not_in_the_catalogue():
    assert not {p.stem for p in literal_paths()} & set(spec_names())
