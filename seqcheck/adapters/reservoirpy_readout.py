"""reservoirpy's readout (``Ridge``) and output feedback, held to seed 003's readout.

Seed 003 ("Training readouts") fits W_out = Y_target X^T (X X^T + beta I)^-1 on the
collected columns X = [1; h(n); x(n)]: every weight, the bias weight on the 1 included, is
penalised by beta -- reading (a), :func:`lecture_readout`. Its "extra feedback
projections" feed y(n-1) back, h~(n) = tanh(W_in [1; x(n)] + W h(n-1) + W_fb y(n-1)), with
y(n) = y_target(n) in that path under teacher forcing (spec ``esn_feedback``).

Read from reservoirpy 0.4.2 (``nodes/ridge.py``, ``node.py``, ``model.py``, ``esn.py``,
``utils/model_utils.py``, ``utils/graphflow.py``) and pinned in
tests/test_reservoirpy_readout.py:

1. ``Ridge.master`` sums ``worker``'s X^T X, X^T Y, sums and counts; with ``fit_bias=True``
   it centres both (``XXT -= n outer(x_mean, x_mean)``), solves
   ``linalg.solve(XXT + ridge I, YXT)`` and sets ``bias = y_mean - x_mean @ Wout``: the
   bias is **not** regularised -- reading (b), :func:`unpenalised_bias_readout`, which is
   ridge on [1; x] with beta on the weights only. Its docstring says the bias is "the
   first row of W_out" with "a constant term added to X", i.e. (a). ``fit_bias=False``
   sets ``bias = 0`` and solves on X as given: fed [1; x] it is exactly (a).
2. ``Ridge`` is a ``ParallelNode`` in 0.4.2: it has **no** ``partial_fit`` (0.3's
   ``partial_fit`` + ``fit()`` finalisation is gone). Chunks are accumulated by
   ``master(worker(x_k, y_k) for k)``, which ``fit`` does for a list of sequences
   (``ParallelNode.fit``): the sums are exact, so chunks, several sequences and one
   concatenated sequence give the same W_out and bias to rounding.
3. Feedback exists without a ``Wfb``: ``reservoir << readout`` (or ``ESN(feedback=True)``)
   is an edge of delay 1 whose buffer (zeros at first) is concatenated to the receiver's
   input, so ``Win[:, N_u:]`` plays W_fb. ``Model._step`` (run) builds the input as
   [external x, direct parents, buffers] = [u(n); y(n-1)]: seed 003's order and step.
   ``Model.fit`` teacher-forces: ``data_from_buffer`` shifts the target one step
   (y_target(n-1), 0 first). ``Model._learning_step`` (``partial_fit``, an online readout
   such as ``RLS``) builds [x, **buffers, parents**]: with the input reaching the
   reservoir through an ``Input`` node (``input_to_readout=True``), the reservoir reads
   [y(n-1); u(n)] -- the columns of Win exchanged against run and fit; fed the input
   directly (``input_to_readout=False``) it reads [u(n); y(n-1)].
   ``Model.initialize`` sorts the graph with the delayed edges kept unless the sender
   has a teacher, so ``run`` on a feedback model not yet fitted raises "Model has a
   cycle"; ``initialize(u, {"readout": y})`` first makes it run.

Tolerances (float64, eps = 2^-52): a readout case holds a reading when
||W - W_ref||_F / ||W_ref||_F <= 32 (S + F + 1) eps kappa, kappa the largest condition
number of the readings' matrices (forward error of a backward-stable solve of a formed
Gram matrix); a feedback case when max|obs - ref| / max(1, max|ref|) <= 64 T (N_x + N_u +
N_y + 1) eps (the draws are contractive, ||W||_2 <= 0.9).
"""

from __future__ import annotations

import numpy as np

from ..errors import SeqcheckError
from .reservoirpy import import_reservoirpy

__all__ = ["FEEDBACK_READINGS", "LECTURE_FEEDBACK", "LECTURE_READOUT", "READINGS", "READOUT_ROWS",
           "draw_feedback_case", "draw_readout_case", "feedback_reference", "fit_reservoirpy",
           "lecture_readout", "no_bias_readout", "readout_errors", "require_reservoirpy",
           "run_feedback_engine", "run_readout_row", "unpenalised_bias_readout"]

EPS = np.finfo(np.float64).eps


def _reservoirpy():
    """(reservoirpy, reservoirpy.nodes); a :class:`SeqcheckError` with the install hint
    unless reservoirpy >= 0.4 is installed (:func:`require_reservoirpy`, for a row)."""
    return import_reservoirpy("these rows read reservoirpy 0.4's Ridge and Model")


require_reservoirpy = _reservoirpy


# -- the readings: independent closed forms (seed 003, "Training readouts") -------------
def _augmented(X):
    """X (S, F), one sample per row (reservoirpy's layout) -> Xa (1 + F, S) = [1; x(n)]."""
    X = np.asarray(X, dtype=np.float64)
    return np.vstack([np.ones((1, X.shape[0])), X.T])


def _solve(Xa, Y, penalty):
    """W (N_y, 1 + F) = Y^T Xa^T (Xa Xa^T + penalty)^-1, as a solve of the symmetric system."""
    return np.linalg.solve(Xa @ Xa.T + penalty, Xa @ np.asarray(Y, dtype=np.float64)).T


def lecture_readout(X, Y, beta):
    """(a) W (N_y, 1 + F) = Y Xa^T (Xa Xa^T + beta I)^-1, Xa = [1; x]: the bias penalised.

    X: (S, F) collected features, Y: (S, N_y) targets; column 0 of W is the bias.
    """
    Xa = _augmented(X)
    return _solve(Xa, Y, beta * np.eye(Xa.shape[0]))


def unpenalised_bias_readout(X, Y, beta):
    """(b) beta on the weights only: (Xa Xa^T + beta diag(0, 1, ..., 1)); W (N_y, 1 + F)."""
    Xa = _augmented(X)
    return _solve(Xa, Y, beta * np.diag([0.0] + [1.0] * (Xa.shape[0] - 1)))


def no_bias_readout(X, Y, beta):
    """(c) no bias at all: W = [0, Y X^T (X X^T + beta I)^-1]; W (N_y, 1 + F)."""
    X = np.asarray(X, dtype=np.float64)
    W = _solve(X.T, Y, beta * np.eye(X.shape[1]))
    return np.hstack([np.zeros((W.shape[0], 1)), W])


LECTURE_READOUT = "the lecture's form (a), bias penalised"
#: reading -> closed form (X (S, F), Y (S, N_y), beta) -> W (N_y, 1 + F)
READINGS = {LECTURE_READOUT: lecture_readout,
            "form (b), bias unpenalised": unpenalised_bias_readout,
            "no bias": no_bias_readout}


def _conds(X, beta):
    Xa, F = _augmented(X), np.asarray(X).shape[1]
    G, P = Xa @ Xa.T, np.diag([0.0] + [1.0] * F)
    return max(np.linalg.cond(G + beta * np.eye(F + 1)), np.linalg.cond(G + beta * P),
               np.linalg.cond(G[1:, 1:] + beta * np.eye(F)))


def readout_errors(W, X, Y, beta) -> dict:
    """reading -> (relative error of W against it, the case's tolerance).

    W: (N_y, 1 + F), the fitted readout with its bias in column 0; X (S, F), Y (S, N_y)
    the collected data (all chunks); beta the ridge.
    """
    S, F = np.asarray(X).shape
    tol = 32 * (S + F + 1) * EPS * _conds(X, beta)
    out = {}
    for name, form in READINGS.items():
        ref = form(X, Y, beta)
        out[name] = (float(np.linalg.norm(W - ref) / max(np.linalg.norm(ref), 1e-300)), tol)
    return out


# -- draws --------------------------------------------------------------------------------
def draw_readout_case(rng) -> dict:
    """Features 1..6, outputs 1..3, samples 5..40 in 1..4 chunks, beta in [1e-6, 10].

    X has offsets (so the bias matters), Y = X A + c + noise with c of order 1.
    Returns {"chunks": [(X_k (S_k, F), Y_k (S_k, N_y))], "beta": float}.
    """
    F, N_y, S = int(rng.integers(1, 7)), int(rng.integers(1, 4)), int(rng.integers(5, 41))
    beta = float(10 ** rng.uniform(-6, 1))
    X = rng.normal(size=(S, F)) * rng.uniform(0.3, 2, F) + rng.uniform(-2, 2, F)
    Y = X @ rng.normal(size=(F, N_y)) + rng.uniform(-3, 3, N_y) + 0.1 * rng.normal(size=(S, N_y))
    k = int(rng.integers(2, 5))
    cuts = np.sort(rng.choice(np.arange(1, S), size=k - 1, replace=False))
    return {"chunks": list(zip(np.split(X, cuts), np.split(Y, cuts))), "beta": beta}


def draw_feedback_case(rng) -> dict:
    """N_x 2..8, N_u 1..3, N_y 1..3, T 3..25; ||W||_2 in [0.1, 0.9], lr in [0.1, 1].

    Returns W (N_x, N_x), M = [W_in[:, 1:], W_fb] (N_x, N_u + N_y) (reservoirpy's Win with
    the feedback columns last), b = W_in[:, 0] (N_x,), lr, W_out (N_y, 1 + N_x + N_u) on
    [1; h; u], u (T, N_u), y_target (T, N_y), beta.
    """
    N_x, N_u, N_y = (int(rng.integers(a, b)) for a, b in ((2, 9), (1, 4), (1, 4)))
    T = int(rng.integers(3, 26))
    W = rng.normal(size=(N_x, N_x))
    W *= rng.uniform(0.1, 0.9) / np.linalg.norm(W, 2)
    return {"W": W, "M": rng.uniform(-1, 1, (N_x, N_u + N_y)), "b": rng.uniform(-0.5, 0.5, N_x),
            "lr": float(rng.uniform(0.1, 1)), "u": rng.uniform(-1, 1, (T, N_u)),
            "W_out": rng.uniform(-0.5, 0.5, (N_y, 1 + N_x + N_u)),
            "y_target": rng.uniform(-1, 1, (T, N_y)), "beta": float(10 ** rng.uniform(-6, 0))}


def fit_reservoirpy(attributes: dict, chunks, beta):
    """Fit reservoirpy's Ridge as ``attributes`` say; returns (Wout (F', N_y), bias (N_y,)).

    chunks: [(X_k, Y_k)] in the design passed to Ridge. ``fit``: one concatenated array;
    ``fit, several sequences``: the list; ``worker/master over chunks``: Ridge's own
    accumulation; ``partial_fit``: raises SeqcheckError where Ridge has none (0.4.2)."""
    _, nodes = _reservoirpy()
    ridge = nodes.Ridge(ridge=beta, fit_bias=bool(attributes["fit_bias"]))
    how = attributes["fit"]
    if how == "fit":
        ridge.fit(np.vstack([x for x, _ in chunks]), np.vstack([y for _, y in chunks]))
    elif how == "fit, several sequences":
        ridge.fit([x for x, _ in chunks], [y for _, y in chunks])
    elif how == "worker/master over chunks":
        ridge.initialize(chunks[0][0], chunks[0][1])
        ridge.master(ridge.worker(x, y) for x, y in chunks)
    elif how == "partial_fit":
        if not hasattr(ridge, "partial_fit"):
            raise SeqcheckError(f"reservoirpy {_reservoirpy()[0].__version__}'s Ridge is a "
                                "ParallelNode: it has no partial_fit (chunks go through "
                                "worker/master, fit's list of sequences)")
        for x, y in chunks:
            ridge.partial_fit(x, y)
        ridge.fit()
    else:
        raise SeqcheckError(f"unknown fit {how!r}")
    return np.asarray(ridge.Wout, dtype=np.float64), np.asarray(ridge.bias, dtype=np.float64)


def _esn(case, readout, Win, input_to_readout=True):
    reservoirpy, nodes = _reservoirpy()
    res = nodes.Reservoir(name="reservoir", W=case["W"].copy(), bias=case["b"].copy(),
                          lr=case["lr"], Win=Win)
    return reservoirpy.ESN(reservoir=res, readout=readout, feedback=True,
                           input_to_readout=input_to_readout, return_reservoir_activity=True)


def run_feedback_engine(attributes: dict, case: dict) -> dict:
    """reservoirpy's ESN with ``feedback=True, input_to_readout=True`` on ``case``.

    ``run``: W_out fixed (Ridge ``Wout`` on [h; u], ``bias``), returns {"h", "y"} (T, ·);
    ``fit (teacher forcing)``: Ridge(fit_bias=False) fitted on u with a ones column
    (its Win column 0), returns {"W_out": (N_y, 1 + N_x + N_u)} on [1; h; u];
    ``partial_fit``: an RLS readout (``input_to_readout`` as the attributes say, default
    True), returns {"h", "y"}.
    """
    _, nodes = _reservoirpy()
    u, yt, Wo, N_x = case["u"], case["y_target"], case["W_out"], case["W"].shape[0]
    N_u = u.shape[1]
    how = attributes["feedback"]
    if how == "run":
        readout = nodes.Ridge(name="readout", Wout=np.vstack([Wo[:, 1:1 + N_x].T,
                                                              Wo[:, 1 + N_x:].T]),
                              bias=Wo[:, 0].copy())
        esn = _esn(case, readout, Win=case["M"].copy())
        if attributes.get("initialised") != "by run":
            esn.initialize(u, {"readout": yt})
        out = esn.run(u)
        return {"h": out["reservoir"], "y": out["readout"]}
    if how == "fit (teacher forcing)":
        M1 = np.hstack([case["M"][:, :N_u], np.zeros((N_x, 1)), case["M"][:, N_u:]])
        readout = nodes.Ridge(name="readout", ridge=case["beta"], fit_bias=False)
        _esn(case, readout, Win=M1).fit(np.hstack([u, np.ones((len(u), 1))]), yt)
        W = np.asarray(readout.Wout, dtype=np.float64).T + 0.0  # rows: h, u, 1
        W[:, -1] += np.asarray(readout.bias, dtype=np.float64)
        return {"W_out": np.hstack([W[:, -1:], W[:, :-1]])}
    if how == "partial_fit":
        out = _esn(case, nodes.RLS(name="readout"), case["M"].copy(),
                   attributes.get("input_to_readout", True)).partial_fit(u, yt)
        return {"h": out["reservoir"], "y": out["readout"]}
    raise SeqcheckError(f"unknown feedback {how!r}")


# -- feedback readings --------------------------------------------------------------------
LECTURE_FEEDBACK = "[u(n); y(n-1)]"
#: reading -> (where y enters Win: "uy" after u, "yu" before, "none"; the delay of y)
FEEDBACK_READINGS = {LECTURE_FEEDBACK: ("uy", 1), "[y(n-1); u(n)]": ("yu", 1),
                     "[u(n); y(n)]": ("uy", 0), "[u(n); y(n-2)]": ("uy", 2),
                     "no feedback": ("none", 1)}


def feedback_reference(case: dict, order: str = "uy", delay: int = 1, feed=None):
    """NumPy loop of spec ``esn_feedback`` read as ``order``/``delay``; h(0) = y(0) = 0.

    h(n) = (1 - lr) h(n-1) + lr tanh(W h(n-1) + M_u u(n) + M_y f(n) + b),
    y(n) = W_out [1; h(n); u(n)], f(n) = g(n - delay) (0 before the start), g = ``feed``
    (T, N_y) (a teacher, or an engine's own y) or, when None, the loop's own y. Returns
    h (T, N_x), y (T, N_y).
    """
    W, M, b, lr, u, Wo = (case[k] for k in ("W", "M", "b", "lr", "u", "W_out"))
    (T, N_u), N_y = u.shape, Wo.shape[0]
    if order not in ("uy", "yu", "none"):
        raise SeqcheckError(f"unknown order {order!r}: 'uy', 'yu' or 'none'")
    if feed is None and delay < 1:
        raise SeqcheckError("a loop cannot feed its own y(n) into h(n)")
    h, H, Y = np.zeros(W.shape[0]), [], []
    for n in range(T):
        past = Y if feed is None else feed
        f = past[n - delay] if n - delay >= 0 else np.zeros(N_y)
        if order == "uy":
            z = M[:, :N_u] @ u[n] + M[:, N_u:] @ f
        elif order == "yu":
            z = M[:, :N_y] @ f + M[:, N_y:] @ u[n]
        else:
            z = M[:, :N_u] @ u[n]
        h = (1 - lr) * h + lr * np.tanh(W @ h + z + b)
        H.append(h)
        Y.append(Wo @ np.concatenate([[1.0], h, u[n]]))
    return np.array(H), np.array(Y)


def _feedback_errors(attributes: dict, case: dict, observed: dict) -> dict:
    how = attributes["feedback"]
    T, N_x = case["u"].shape[0], case["W"].shape[0]
    tol = 64 * T * (N_x + case["M"].shape[1] + 1) * EPS
    out = {}
    for name, (order, delay) in FEEDBACK_READINGS.items():
        if how == "run" and delay == 0:
            continue
        if how == "fit (teacher forcing)":
            H, _ = feedback_reference(case, order, delay, feed=case["y_target"])
            X = np.hstack([H, case["u"]])
            ref = lecture_readout(X, case["y_target"], case["beta"])
            S, F = X.shape
            err = np.linalg.norm(observed["W_out"] - ref) / max(np.linalg.norm(ref), 1e-300)
            out[name] = (float(err), tol + 32 * (S + F + 1) * EPS * _conds(X, case["beta"]))
            continue
        feed = observed["y"] if how == "partial_fit" else None
        H, Y = feedback_reference(case, order, delay, feed=feed)
        pairs = [(observed["h"], H)] + ([(observed["y"], Y)] if how == "run" else [])
        err = max(np.abs(o - r).max() / max(1.0, np.abs(r).max()) for o, r in pairs)
        out[name] = (float(err), tol)
    return out


# -- rows -----------------------------------------------------------------------------------
#: the rows, each {"attributes": {...}}: run each with ``run_readout_row(row["attributes"])``
READOUT_ROWS = [{"attributes": a} for a in (
    {"readout": "Ridge", "fit_bias": True, "fit": "fit"},
    {"readout": "Ridge", "fit_bias": False, "fit": "fit"},
    {"readout": "Ridge", "fit_bias": True, "fit": "partial_fit"},
    {"readout": "Ridge", "fit_bias": False, "fit": "partial_fit"},
    {"readout": "Ridge", "fit_bias": True, "fit": "worker/master over chunks"},
    {"readout": "Ridge", "fit_bias": False, "fit": "worker/master over chunks"},
    {"readout": "Ridge", "fit_bias": True, "fit": "fit, several sequences"},
    {"readout": "Ridge", "fit_bias": False, "fit": "fit, several sequences"},
    {"readout": "ESN", "feedback": "run", "initialised": "by run"},
    {"readout": "ESN", "feedback": "run", "initialised": "initialize(u, {readout: y})"},
    {"readout": "ESN", "feedback": "fit (teacher forcing)"},
    {"readout": "ESN+RLS", "feedback": "partial_fit"},
    {"readout": "ESN+RLS", "feedback": "partial_fit", "input_to_readout": False},
)]


def _readout_case(attributes, rng, engine):
    """One drawn case: the engine's W (N_y, 1 + F) against every reading."""
    case = draw_readout_case(rng)
    bias = bool(attributes["fit_bias"])
    design = [(x if bias else np.hstack([np.ones((len(x), 1)), x]), y) for x, y in case["chunks"]]
    Wout, b = (engine or fit_reservoirpy)(attributes, design, case["beta"])
    Wout, b = np.asarray(Wout, dtype=np.float64), np.asarray(b, dtype=np.float64).reshape(-1)
    if bias:  # reservoirpy: y = x @ Wout + bias
        W = np.hstack([b[:, None], Wout.T])
    else:  # fed [1; x]: the ones column carries the bias (and Ridge's bias is zero)
        W = Wout.T.copy()
        W[:, 0] += b
    X, Y = (np.vstack(part) for part in zip(*case["chunks"]))
    return readout_errors(W, X, Y, case["beta"])


def run_readout_row(attributes: dict, *, seed: int = 0, cases: int = 25,
                    engine=None) -> tuple[str, str, dict]:
    """(verdict, detail, extra) of one row of :data:`READOUT_ROWS`, held to seed 003.

    verdict: ``conforms`` (every case holds the lecture's reading within its tolerance),
    ``diverges`` (the detail names the reading it follows, or none), ``raises`` (the
    engine's exception) or ``unavailable`` (reservoirpy missing, or the row's method is
    absent). extra: {"reading": the reading followed (or "none", or the verdict),
    "max_rel_error": worst relative error against it (None when nothing ran),
    "against": {reading: worst relative error}}.

    engine: replaces reservoirpy (a fake, for tests): for Ridge rows
    ``engine(attributes, chunks, beta) -> (Wout (F', N_y), bias (N_y,))`` as
    :func:`fit_reservoirpy`; for ESN rows ``engine(attributes, case) -> dict`` as
    :func:`run_feedback_engine`.
    """
    rng = np.random.default_rng(seed)
    ridge = attributes["readout"] == "Ridge"
    lecture = LECTURE_READOUT if ridge else LECTURE_FEEDBACK
    worst, ratio = {}, {}
    try:
        for _ in range(cases):
            if ridge:
                errors = _readout_case(attributes, rng, engine)
            else:
                case = draw_feedback_case(rng)
                observed = (engine or run_feedback_engine)(attributes, case)
                errors = _feedback_errors(attributes, case, observed)
            for name, (err, tol) in errors.items():
                worst[name] = max(worst.get(name, 0.0), err)
                ratio[name] = max(ratio.get(name, 0.0), err / tol)
    except SeqcheckError as e:
        return "unavailable", str(e).splitlines()[0], {"reading": "unavailable",
                                                       "max_rel_error": None}
    except Exception as e:  # the engine's own failure is the row's finding
        msg = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}"
        return "raises", msg, {"reading": "raises", "max_rel_error": None}
    held = [name for name in worst if ratio[name] <= 1.0]
    others = ", ".join(f"{n} {worst[n]:.1e}" for n in worst if n != lecture)
    extra = {"against": dict(worst)}
    if lecture in held:
        return "conforms", (f"follows {lecture} (seed 003) over {cases} cases, worst relative "
                            f"error {worst[lecture]:.1e}; against the others: {others}"), \
            {"reading": lecture, "max_rel_error": worst[lecture], **extra}
    if held:
        return "diverges", (f"follows {held[0]}, not {lecture} (seed 003): worst relative "
                            f"error {worst[held[0]]:.1e} against it, {worst[lecture]:.1e} "
                            "against the lecture's"), \
            {"reading": held[0], "max_rel_error": worst[held[0]], **extra}
    near = min(worst, key=lambda n: ratio[n])
    return "diverges", (f"follows none of the readings; nearest {near} (worst relative "
                        f"error {worst[near]:.1e}), {worst[lecture]:.1e} against "
                        f"{lecture}"), {"reading": "none", "max_rel_error": worst[lecture],
                                        **extra}
