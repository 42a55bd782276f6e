"""reservoirpy's Ridge readout and output feedback, held to seed 003's readout.

Findings pinned (read from reservoirpy 0.4.2's source, see the module's docstring):
``Ridge(fit_bias=True)`` leaves the bias unregularised (form (b)), ``fit_bias=False`` on
[1; x] is the lecture's form (a); Ridge has no ``partial_fit``, and chunks (worker/master),
several sequences and one concatenated sequence agree; the feedback enters as
[u(n); y(n-1)] in run and (teacher-forced) fit, as [y(n-1); u(n)] in an online
``partial_fit`` with the input reaching the reservoir through an Input node
(``input_to_readout=True``; [u(n); y(n-1)] without it), and ``run`` of a feedback model
not yet initialised with a teacher raises.
Oracles: ``np.linalg.lstsq`` on augmented least-squares systems, centred regression,
``tests/oracles/rnn.py``'s seed 003 ESN loops, and reservoirpy's own source facts.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import rnn as oracles

import seqcheck.adapters.reservoirpy_readout as ro
from seqcheck.errors import SeqcheckError

A, B, C = ro.LECTURE_READOUT, "form (b), bias unpenalised", "no bias"
UY, YU = ro.LECTURE_FEEDBACK, "[y(n-1); u(n)]"


def _data(seed):
    case = ro.draw_readout_case(np.random.default_rng(seed))
    X = np.vstack([x for x, _ in case["chunks"]])
    return X, np.vstack([y for _, y in case["chunks"]]), case["beta"], case


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def _tol(X, beta):
    return next(iter(ro.readout_errors(np.zeros((1, X.shape[1] + 1)), X,
                                       np.ones((len(X), 1)), beta).values()))[1]


# -- the closed forms, checked against each other and against least squares ------------
@settings(max_examples=40)
@given(seed=st.integers(0, 10**6))
def test_the_closed_forms_are_their_least_squares_problems(seed):
    X, Y, beta, _ = _data(seed)
    S, F = X.shape
    Xa = np.hstack([np.ones((S, 1)), X])
    tol = _tol(X, beta)
    # (a): min ||Xa w - y||^2 + beta ||w||^2, every weight (bias included) penalised
    aug = np.vstack([Xa, np.sqrt(beta) * np.eye(F + 1)])
    rhs = np.vstack([Y, np.zeros((F + 1, Y.shape[1]))])
    assert _rel(ro.lecture_readout(X, Y, beta), np.linalg.lstsq(aug, rhs, rcond=None)[0].T) < tol
    # (b): the bias row of the penalty left out
    pen = np.sqrt(beta) * np.eye(F + 1)[1:]
    aug_b = np.vstack([Xa, pen])
    lst_b = np.linalg.lstsq(aug_b, np.vstack([Y, np.zeros((F, Y.shape[1]))]), rcond=None)[0].T
    W_b = ro.unpenalised_bias_readout(X, Y, beta)
    assert _rel(W_b, lst_b) < tol
    # (b) is centred ridge: the weights from centred data, the bias from the means
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    w = np.linalg.solve(Xc.T @ Xc + beta * np.eye(F), Xc.T @ Yc)
    centred = np.hstack([(Y.mean(0) - X.mean(0) @ w)[:, None], w.T])
    assert _rel(W_b, centred) < tol
    # (c): no intercept at all
    lst_c = np.linalg.lstsq(np.vstack([X, np.sqrt(beta) * np.eye(F)]),
                            np.vstack([Y, np.zeros((F, Y.shape[1]))]), rcond=None)[0].T
    W_c = ro.no_bias_readout(X, Y, beta)
    assert np.all(W_c[:, 0] == 0) and _rel(W_c[:, 1:], lst_c) < tol


def test_the_readings_differ_and_meet_where_they_should():
    X, Y, beta, _ = _data(3)
    forms = {name: f(X, Y, beta) for name, f in ro.READINGS.items()}
    # with offsets in X and Y, penalising the bias changes W by far more than rounding
    assert _rel(forms[A], forms[B]) > 1e6 * _tol(X, beta)
    assert _rel(forms[C], forms[A]) > 1e6 * _tol(X, beta)
    # beta -> 0 with more samples than features: (a) and (b) are both least squares
    S = len(X)
    assert S > X.shape[1] + 1
    exact = np.linalg.lstsq(np.hstack([np.ones((S, 1)), X]), Y, rcond=None)[0].T
    for f in (ro.lecture_readout, ro.unpenalised_bias_readout):
        assert _rel(f(X, Y, 0.0), exact) < _tol(X, 1e-12)


def test_the_numpy_feedback_loop_is_the_catalogue_oracle():
    rng = np.random.default_rng(7)
    for _ in range(10):
        case = ro.draw_feedback_case(rng)
        N_u = case["u"].shape[1]
        p = {"W_in": np.hstack([case["b"][:, None], case["M"][:, :N_u]]), "W": case["W"],
             "W_fb": case["M"][:, N_u:], "W_out": case["W_out"], "alpha": case["lr"]}
        x = case["u"][:, None, :]
        for name, order in (("esn_feedback", "uy"), ("esn", "none")):
            run = getattr(oracles, name)(p, x)
            H, Y = ro.feedback_reference(case, order, 1)
            np.testing.assert_allclose(H, run.values["h"][:, 0], rtol=0, atol=1e-14)
            np.testing.assert_allclose(Y, run.values["y"][:, 0], rtol=0, atol=1e-14)
    with pytest.raises(SeqcheckError, match="cannot feed its own y"):
        ro.feedback_reference(case, "uy", 0)


# -- reservoirpy's source facts --------------------------------------------------------
def test_what_reservoirpy_0_4_2_provides():
    import reservoirpy
    from reservoirpy.node import OnlineNode, ParallelNode
    from reservoirpy.nodes import RLS, Reservoir, Ridge

    assert reservoirpy.__version__ == "0.4.2"
    assert issubclass(Ridge, ParallelNode) and not hasattr(Ridge(), "partial_fit")
    assert issubclass(RLS, OnlineNode)
    # no Wfb: the reservoir's signature has no feedback matrix; feedback is Win's columns
    assert "Wfb" not in Reservoir.__init__.__code__.co_varnames
    # the docstring promises the bias as the first row of W_out over a constant input
    assert "first row" in Ridge.__doc__ and "constant" in Ridge.__doc__


def test_chunks_sequences_and_one_array_give_one_readout():
    for seed in range(5):
        X, Y, beta, case = _data(seed)
        for fit_bias in (True, False):
            design = case["chunks"] if fit_bias else [
                (np.hstack([np.ones((len(x), 1)), x]), y) for x, y in case["chunks"]]
            fits = [ro.fit_reservoirpy({"fit_bias": fit_bias, "fit": how}, design, beta)
                    for how in ("fit", "fit, several sequences", "worker/master over chunks")]
            for Wout, bias in fits[1:]:
                assert _rel(Wout, fits[0][0]) < _tol(X, beta)
                assert np.abs(bias - fits[0][1]).max() <= _tol(X, beta) * np.abs(fits[0][1]).max()


# -- the rows: every finding by its verdict and reading -----------------------------------
EXPECTED = {
    (True, "fit"): ("diverges", B), (False, "fit"): ("conforms", A),
    (True, "partial_fit"): ("unavailable", "unavailable"),
    (False, "partial_fit"): ("unavailable", "unavailable"),
    (True, "worker/master over chunks"): ("diverges", B),
    (False, "worker/master over chunks"): ("conforms", A),
    (True, "fit, several sequences"): ("diverges", B),
    (False, "fit, several sequences"): ("conforms", A),
    ("run", "by run"): ("raises", "raises"),
    ("run", "initialize(u, {readout: y})"): ("conforms", UY),
    ("fit (teacher forcing)", None): ("conforms", UY),
    ("partial_fit", None): ("diverges", YU),
    ("partial_fit", "no input_to_readout"): ("conforms", UY),
}


def _key(a):
    if a["readout"] == "Ridge":
        return a["fit_bias"], a["fit"]
    if a.get("input_to_readout") is False:
        return a["feedback"], "no input_to_readout"
    return a["feedback"], a.get("initialised")


def test_the_rows_are_plain_and_each_expected_once():
    rows = [r["attributes"] for r in ro.READOUT_ROWS]
    assert json.loads(json.dumps(rows)) == rows
    assert sorted(map(str, map(_key, rows))) == sorted(map(str, EXPECTED))


@pytest.mark.parametrize("attributes", [r["attributes"] for r in ro.READOUT_ROWS],
                         ids=lambda a: ",".join(str(v) for v in a.values()))
def test_each_row_has_its_finding(attributes):
    verdict, detail, extra = ro.run_readout_row(attributes, seed=1, cases=15)
    assert (verdict, extra["reading"]) == EXPECTED[_key(attributes)], detail
    assert "\n" not in detail and json.dumps(extra)
    if verdict in ("conforms", "diverges"):
        assert extra["max_rel_error"] < 1e-9 and detail.startswith(f"follows {extra['reading']}")
        others = [v for k, v in extra["against"].items() if k != extra["reading"]]
        assert min(others) > 1e-3  # every other reading is far off
    if verdict == "diverges":
        lecture = A if attributes["readout"] == "Ridge" else UY
        assert f"not {lecture} (seed 003)" in detail
    if verdict == "unavailable":
        assert "has no partial_fit" in detail
    if verdict == "raises":
        assert detail.startswith("ValueError: Model has a cycle")


# -- planted defects, found by the same comparison ----------------------------------------
def _lecture_fake(attributes, chunks, beta, *, drop_last=False, scale=1.0, bias_free=False):
    """A Ridge-like fitter on [1; x] (fit_bias=False rows), written from the closed forms."""
    chunks = chunks[:-1] if drop_last else chunks
    X1 = np.vstack([x for x, _ in chunks])
    Y = np.vstack([y for _, y in chunks])
    P = np.eye(X1.shape[1])
    if bias_free:
        P[0, 0] = 0.0
    Wout = np.linalg.solve(X1.T @ X1 + scale * beta * P, X1.T @ Y)
    return Wout, np.zeros(Y.shape[1])


ROW = {"readout": "Ridge", "fit_bias": False, "fit": "worker/master over chunks"}


def test_a_faithful_fake_conforms():
    assert ro.run_readout_row(ROW, engine=_lecture_fake)[0] == "conforms"


@pytest.mark.parametrize("defect, reading", [
    ({"drop_last": True}, "none"),        # partial_fit losing its last chunk
    ({"scale": 0.5}, "none"),             # beta halved
    ({"bias_free": True}, B),             # the ones column left out of the penalty
])
def test_a_planted_readout_defect_is_found(defect, reading):
    def fake(attributes, chunks, beta):
        return _lecture_fake(attributes, chunks, beta, **defect)

    verdict, detail, extra = ro.run_readout_row(ROW, engine=fake)
    assert (verdict, extra["reading"]) == ("diverges", reading), detail


@pytest.mark.parametrize("order, delay, reading", [("yu", 1, YU), ("uy", 2, "[u(n); y(n-2)]"),
                                                   ("none", 1, "no feedback")])
def test_a_planted_feedback_defect_is_found(order, delay, reading):
    def fake(attributes, case):
        H, Y = ro.feedback_reference(case, order, delay)
        return {"h": H, "y": Y}

    verdict, detail, extra = ro.run_readout_row({"readout": "ESN", "feedback": "run"},
                                                engine=fake, cases=10)
    assert (verdict, extra["reading"]) == ("diverges", reading), detail


def test_an_engine_that_fails_is_a_raises_row():
    def boom(attributes, chunks, beta):
        raise RuntimeError("solver blew up\nsecond line")

    verdict, detail, extra = ro.run_readout_row(ROW, engine=boom)
    assert (verdict, detail, extra["max_rel_error"]) == ("raises", "RuntimeError: solver blew up",
                                                        None)


# -- without reservoirpy --------------------------------------------------------------------
def test_a_missing_reservoirpy_is_unavailable_with_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "reservoirpy", None)
    monkeypatch.setitem(sys.modules, "reservoirpy.nodes", None)
    with pytest.raises(SeqcheckError) as e:
        ro.fit_reservoirpy(ROW, [(np.ones((3, 2)), np.ones((3, 1)))], 1.0)
    assert str(e.value).startswith("reservoirpy is not installed (")
    assert str(e.value).endswith("): pip install 'seqcheck[esn]'")
    for row in ro.READOUT_ROWS:
        verdict, detail, extra = ro.run_readout_row(row["attributes"], cases=2)
        assert (verdict, detail) == ("unavailable", str(e.value))


def test_an_old_reservoirpy_is_refused(monkeypatch):
    import reservoirpy

    monkeypatch.setattr(reservoirpy, "__version__", "0.3.11")
    verdict, detail, _ = ro.run_readout_row(ROW, cases=1)
    assert verdict == "unavailable" and "pip install 'reservoirpy>=0.4'" in detail


def test_importing_the_module_imports_no_reservoirpy():
    code = ("import sys, seqcheck.adapters.reservoirpy_readout as m; "
            "assert 'reservoirpy' not in sys.modules; print(len(m.READOUT_ROWS))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == str(len(ro.READOUT_ROWS)), out.stderr
