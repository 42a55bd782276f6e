"""Worked examples of seed 004, number by number, and the errors of example files.

Oracles: an LSTM written here in plain NumPy from seed 004's "Recap of LSTM" slide (it
never imports seqcheck), the rounding rule written out once more, and the arithmetic of a
few printed values done by hand in the comments. The golden data -- every printed number --
lives in reference/seed004_lstm_*.toml, never in this file.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from cells import GOLDEN_EXAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from seqcheck import ExampleError
from seqcheck.catalogue import reference_dir
from seqcheck.checks import VERDICTS, check_example, load_example, loads_example

SEED004 = ("seed004_lstm_2dec", "seed004_lstm_1dec")
GATES = {"i": "sigmoid", "f": "sigmoid", "o": "sigmoid", "c": "tanh"}  # c: the new memory


# -- an independent seed 004 LSTM -------------------------------------------------------
def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), never overflows


def lstm_oracle(params: dict, x: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> list[dict]:
    """Seed 004's LSTM, one step at a time; omitted parameters are zero.

    Arguments:
        params: ``W_i?`` (H, D), ``W_h?`` (H, H), ``b_i?``/``b_h?`` (H,), ``?`` in i f c o.
        x: (T, D); h0, c0: (H,).
    Returns:
        One dict per step with every variable (c_tilde included), y = softmax(h), and the
        environment an expression of that step sees (parameters, x, ``h[t-1]``, variables).
    """
    H, D = len(h0), x.shape[1]

    def p(name, shape):
        return np.asarray(params.get(name, np.zeros(shape)), dtype=np.float64)

    steps, h, c = [], np.asarray(h0, float), np.asarray(c0, float)
    for x_t in np.asarray(x, float):
        env = {n: np.asarray(v, float) for n, v in params.items()}
        env.update({"x": x_t, "h[t-1]": h, "c[t-1]": c})
        pre = {g: p(f"W_i{g}", (H, D)) @ x_t + p(f"b_i{g}", (H,)) + p(f"W_h{g}", (H, H)) @ h
               + p(f"b_h{g}", (H,)) for g in GATES}
        i, f, o = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"])
        c_tilde = np.tanh(pre["c"])
        c = f * c + i * c_tilde
        h = o * np.tanh(c)
        e = np.exp(h - h.max())
        env.update(i=i, f=f, o=o, c_tilde=c_tilde, c=c, h=h, y=e / e.sum())
        steps.append(env)
    return steps


_TERM = re.compile(r"^(\w+) @ (\w+(?:\[t-1\])?)$|^(\w+)$")


def oracle_expr(text: str, env: dict) -> np.ndarray:
    """The expressions the seed 004 files print: sums of ``A @ v`` and ``v`` terms."""
    total = 0.0
    for term in text.split(" + "):
        m = _TERM.match(term)
        assert m, f"the oracle does not know the expression form {text!r}"
        total = total + (env[m[1]] @ env[m[2]] if m[1] else env[m[3]])
    return total


def oracle_ok(entry: dict, exact: np.ndarray, decimals: int) -> bool:
    """The rounding rule: the printed value is the exact one rounded to its decimals."""
    if entry.get("reduce") == "argmax":
        printed = entry["value"]
        cls = printed if isinstance(printed, int) else int(np.argmax(printed))
        return cls == int(np.argmax(exact))
    d = entry.get("decimals", decimals)
    return bool(np.all(np.abs(np.asarray(entry["value"]) - exact) <= 0.5 * 10.0 ** -d + 1e-9))


def oracle_check(path: Path) -> list[tuple[np.ndarray, bool]]:
    """(exact value, ok) for every [[printed]] entry of an LSTM example file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    steps = lstm_oracle(data.get("params", {}), np.asarray(data["inputs"]["x"], float),
                        np.asarray(data["initial"]["h"], float),
                        np.asarray(data["initial"]["c"], float))
    out = []
    for e in data["printed"]:
        env = steps[e["t"] - 1]
        exact = oracle_expr(e["expr"], env) if "expr" in e else env[e["name"]]
        out.append((exact, oracle_ok(e, exact, data["decimals"])))
    return out


# -- golden: the two seed 004 walk-throughs ------------------------------------------------
@pytest.mark.parametrize("name", SEED004)
def test_flagged_entries_match_the_oracle(name):
    report = check_example(name)
    expected = oracle_check(reference_dir() / f"{name}.toml")
    assert len(report.entries) == len(expected)
    for entry, (exact, _) in zip(report.entries, expected):
        np.testing.assert_allclose(entry.exact, exact, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{entry.name} at t = {entry.t}")
    got = {k for k, e in enumerate(report.entries) if not e.ok}
    want = {k for k, (_, ok) in enumerate(expected) if not ok}
    assert got == want
    assert report.ok == (not want)


def test_the_oracle_sees_the_errata():
    # Guards the test above against passing with two empty sets.
    flagged = [k for k, (_, ok) in enumerate(oracle_check(reference_dir()
                                                           / "seed004_lstm_1dec.toml")) if not ok]
    assert len(flagged) >= 6


def _entry(report, t, name):
    (e,) = [e for e in report.entries if (e.t, e.name) == (t, name)]
    return e


def test_1dec_h1_is_rounding_drift():
    # Printed h_1 = [0.7, 0.0]. Exactly: o_1 = sigma([5, 3]) = [0.9933, 0.9526],
    # c_1 = sigma(4) tanh(1) = 0.9820 * 0.7616 = 0.7479, h_1 = 0.9933 tanh(0.7479) = 0.6296,
    # which rounds to 0.6: not ok. From the printed o_1 = [1.0, 1.0] and c_1 = [0.8, 0.0]:
    # 1.0 * tanh(0.8) = 0.6640, which rounds to the printed 0.7: local_ok.
    e = _entry(check_example("seed004_lstm_1dec"), 1, "h")
    assert e.exact[0] == pytest.approx(0.6296, abs=1e-4)
    assert e.local.tolist() == pytest.approx([np.tanh(0.8), 0.0], abs=1e-12)
    assert (e.ok, e.local_ok, e.verdict) == (False, True, "rounding drift")


def test_1dec_c1_is_rounding_drift():
    # Printed c_1 = [0.8, 0.0]; exactly 0.7479 (|0.8 - 0.7479| = 0.052 > 0.05). From the
    # printed operands: f_1 * c_0 + i_1 * c~_1 = 0.1 * 0.0 + 1.0 * 0.8 = 0.8, as printed.
    e = _entry(check_example("seed004_lstm_1dec"), 1, "c")
    assert e.local.tolist() == pytest.approx([0.8, 0.0], abs=1e-12)
    assert (e.ok, e.local_ok, e.verdict) == (False, True, "rounding drift")


def test_1dec_next_time_step_input_gate_is_a_slip():
    # Printed i_3 = [0.4, 0.0]. From the printed h_2 = [-0.7, 0.8] and x_3 = [0, 1]:
    # W_ii x_3 = [4, 2], W_hi h_2 = [-0.7, 4 * -0.7 - 2 * 0.8] = [-0.7, -4.4],
    # sigma([3.3, -2.4]) = [0.9644, 0.0832] -> [1.0, 0.1]: neither that nor the exact value.
    e = _entry(check_example("seed004_lstm_1dec"), 3, "i")
    assert e.local.tolist() == pytest.approx(sigmoid(np.array([3.3, -2.4])).tolist(), abs=1e-12)
    assert (e.ok, e.local_ok, e.verdict) == (False, False, "slip")


def test_1dec_next_time_step_memory_carries_the_slip():
    # Printed c_3 = [-0.7, 0.6]; exactly [-0.9326, 0.8337]. From the printed operands on the
    # same slide: f_3 * c_2 + i_3 * c~_3 = [0.4 * -0.8 + 0.4 * -1.0, 0.6 * 1.0 + 0.0 * -0.6]
    # = [-0.72, 0.6], as printed -- but i_3 is itself a slip.
    e = _entry(check_example("seed004_lstm_1dec"), 3, "c")
    assert e.local.tolist() == pytest.approx([-0.72, 0.6], abs=1e-12)
    assert (e.ok, e.local_ok, e.verdict) == (False, True, "slip carried forward")


def test_2dec_c1_is_right_but_not_from_the_printed_operands():
    # Printed c_1 = [0.75, 0.00]; exactly 0.7479: ok. From the printed operands:
    # 0.12 * 0.00 + 0.98 * 0.76 = 0.7448, which rounds to 0.74, not 0.75.
    e = _entry(check_example("seed004_lstm_2dec"), 1, "c")
    assert e.local.tolist() == pytest.approx([0.98 * 0.76, 0.0], abs=1e-12)
    assert (e.ok, e.local_ok, e.verdict) == (True, False, "ok (inconsistent with printed operands)")


def test_1dec_printed_subterm_at_t2():
    # eq. (73) prints W_hi h_1 = [0.7, 2.8] from the printed h_1 = [0.7, 0.0]:
    # [1 * 0.7 + 0 * 0.0, 4 * 0.7 - 2 * 0.0] = [0.7, 2.8]; exactly W_hi h_1 = [0.6296, 2.5186].
    e = _entry(check_example("seed004_lstm_1dec"), 2, "i term W_hi h")
    assert e.expr == "W_hi @ h[t-1]"
    assert e.local.tolist() == pytest.approx([0.7, 2.8], abs=1e-12)
    assert (e.ok, e.local_ok, e.verdict) == (False, True, "rounding drift")


def test_predictions_are_checked_as_classes():
    # "y_2 = softmax(h_2) = 1": h_2 = [-0.6883, 0.7411], so class 1.
    e = _entry(check_example("seed004_lstm_2dec"), 2, "y")
    assert (e.reduce, e.printed_class, e.ok) == ("argmax", 1, True)
    assert e.exact.tolist() == pytest.approx(np.exp([-0.6883, 0.7411]) / np.exp(
        [-0.6883, 0.7411]).sum(), abs=1e-4)


def test_report_dict_is_json_and_text_has_a_summary():
    report = check_example("seed004_lstm_1dec")
    d = json.loads(json.dumps(report.as_dict()))
    assert (d["spec"], d["ok"]) == ("lstm", False)
    assert d["source"] == "004_305c128a81bf6144.txt, 1-decimal walk-through"
    keys = {"t", "name", "printed", "exact", "ok", "local_ok", "local", "verdict", "where",
            "expr", "decimals"}
    assert all(keys <= set(v) for v in d["values"])
    assert sum(d["counts"].values()) == len(d["values"]) == len(report.entries)
    text = report.format_text()
    assert text.splitlines()[-1] == report.summary()
    assert report.summary() == ", ".join(
        f"{n} {v}" if v != "slip" else f"{n} slip{'' if n == 1 else 's'}"
        for v, n in report.counts().items() if n or v in ("slip", "rounding drift", "ok"))
    assert set(report.counts()) == set(VERDICTS)


def test_example_is_immutable():
    ex = load_example("seed004_lstm_2dec")
    with pytest.raises(ValueError):
        ex.params["W_ii"][0, 0] = 1.0
    with pytest.raises(ValueError):
        ex.printed[0].value[0] = 1.0
    with pytest.raises(TypeError):
        ex.params["W_xx"] = np.zeros(2)  # type: ignore[index]
    assert ex.params["b_ii"].tolist() == [0.0, 0.0] and ex.dims == {"D": 2, "H": 2}


# -- properties ------------------------------------------------------------------------------
def _toml(a) -> str:
    a = np.asarray(a)
    return repr(float(a)) if a.ndim == 0 else "[" + ", ".join(_toml(v) for v in a) + "]"


@st.composite
def rounded_examples(draw):
    """An LSTM walk-through printed by rounding its exact trajectory: (text, d, entries)."""
    D = draw(st.integers(1, 3))
    H = draw(st.integers(1, 3).filter(lambda h: h != D))
    T = draw(st.integers(1, 3))
    d = draw(st.integers(1, 3))
    values = st.integers(-300, 300).map(lambda k: k / 100)  # no underflow in products

    def array(*shape):
        return np.array(draw(st.lists(values, min_size=int(np.prod(shape)),
                                      max_size=int(np.prod(shape))))).reshape(shape)

    params = {f"W_i{g}": array(H, D) for g in "ifco"}
    params |= {f"W_h{g}": array(H, H) for g in "ifco"}
    params |= {f"b_i{g}": array(H) for g in "ifco"}
    x, h0, c0 = array(T, D), array(H), array(H)
    lines = ['spec = "lstm"', f"decimals = {d}", "[params]"]
    lines += [f"{n} = {_toml(v)}" for n, v in params.items()]
    lines += ["[initial]", f"h = {_toml(h0)}", f"c = {_toml(c0)}", "[inputs]", f"x = {_toml(x)}"]
    entries = []
    for t, env in enumerate(lstm_oracle(params, x, h0, c0), start=1):
        pre = "W_ii @ x + b_ii + W_hi @ h[t-1]"
        for name, expr in (("i pre-activation", pre), *((v, None) for v in
                                                       ("i", "f", "o", "c_tilde", "c", "h"))):
            exact = oracle_expr(expr, env) if expr else env[name]
            entries.append((t, name, np.round(exact, d)))
            lines += ["[[printed]]", f"t = {t}", f'name = "{name}"',
                      f"value = {_toml(np.round(exact, d))}"]
            lines += [f'expr = "{expr}"'] if expr else []
        lines += ["[[printed]]", f"t = {t}", 'name = "y"', 'reduce = "argmax"',
                  f"value = {int(np.argmax(env['y']))}"]
        entries.append((t, "y", None))
    return "\n".join(lines) + "\n", d, entries


@settings(max_examples=25)
@given(rounded_examples())
def test_rounded_exact_trajectory_is_all_ok(case):
    text, _, _ = case
    report = check_example(loads_example(text))
    assert report.ok, report.format_text()


@settings(max_examples=25)
@given(rounded_examples(), st.data())
def test_perturbing_one_component_flips_exactly_that_entry(case, data):
    text, d, entries = case
    vectors = [k for k, (_, _, v) in enumerate(entries) if v is not None]
    k = data.draw(st.sampled_from(vectors), label="entry")
    t, name, value = entries[k]
    j = data.draw(st.integers(0, value.size - 1), label="component")
    units = data.draw(st.sampled_from([-3, -2, 2, 3]), label="units of the last place")
    bad = value.copy()
    bad[j] = round(bad[j] + units * 10.0 ** -d, d)
    old, new = f"t = {t}\nname = \"{name}\"\nvalue = {_toml(value)}", \
        f"t = {t}\nname = \"{name}\"\nvalue = {_toml(bad)}"
    assert text.count(old) == 1
    report = check_example(loads_example(text.replace(old, new)))
    assert [e.ok for e in report.entries] == [i != k for i in range(len(report.entries))]


# -- errors in example files -------------------------------------------------------------------
BASE = GOLDEN_EXAMPLE

ERRORS = [
    pytest.param(
        'name = "i"', 'name = "ii"',
        [
            "example.toml:13:8: error[unknown-symbol]: 'ii' is not a variable of spec 'lstm'",
            '    13 | name = "ii"',
            '       |        ^^^^',
            "  hint: did you mean 'i'? the variables are i, f, o, c_tilde, c, h, y; for a "
            'printed intermediate, add expr = "..." and keep name as its label',
        ],
        id="unknown-variable",
    ),
    pytest.param(
        "value = [0.98, 0.88]", "value = [0.98, 0.88, 0.5]",
        [
            "example.toml:14:9: error[shape-mismatch]: printed value of 'i' at t = 1 has shape "
            "(3,), but 'i' has shape (H,) = (2,)",
            "    14 | value = [0.98, 0.88, 0.5]",
            "       |         ^^^^^^^^^^^^^^^^^",
            "  dims: D = 2 (from inputs 'x'), H = 2 (from initial 'h')",
            "  hint: transcribe the printed value as a list of 2 numbers",
        ],
        id="value-wrong-length",
    ),
    pytest.param(
        "t = 1", "t = 0",
        [
            "example.toml:12:5: error[step-out-of-range]: t = 0 is outside the walk-through's "
            "steps 1..2",
            "    12 | t = 0",
            "       |     ^",
            "  hint: t = 1 is the first row of [inputs]; values before it go in [initial]",
        ],
        id="t-zero",
    ),
    pytest.param(
        "t = 1", "t = 3",
        [
            "example.toml:12:5: error[step-out-of-range]: t = 3 is outside the walk-through's "
            "steps 1..2",
            "    12 | t = 3",
            "       |     ^",
            "  hint: [inputs] has 2 rows; add rows for the later steps, or fix t",
        ],
        id="t-after-last-step",
    ),
    pytest.param(
        "decimals = 2", 'decimals = 2\nsorce = "slides"',
        [
            "example.toml:3:1: error[unknown-key]: unknown key 'sorce' at the top level",
            '     3 | sorce = "slides"',
            "       | ^^^^^",
            "  hint: did you mean 'source'? allowed keys: spec, source, decimals, notes, params, "
            "initial, inputs, printed",
        ],
        id="unknown-top-level-key",
    ),
    pytest.param(
        'where = "eq. (11)"', 'were = "eq. (11)"',
        [
            "example.toml:15:1: error[unknown-key]: unknown key 'were' in [[printed]] entry 1",
            '    15 | were = "eq. (11)"',
            "       | ^^^^",
            "  hint: did you mean 'where'? allowed keys: t, name, value, where, expr, reduce, "
            "decimals, note",
        ],
        id="unknown-entry-key",
    ),
    pytest.param(
        "W_hi = [[1, 0], [4, -2]]", "W_hx = [[1, 0], [4, -2]]",
        [
            "example.toml:5:1: error[unknown-symbol]: unknown parameter 'W_hx': spec 'lstm' has "
            "no such parameter",
            "     5 | W_hx = [[1, 0], [4, -2]]",
            "       | ^^^^",
            "  hint: did you mean 'W_hi'? the parameters of spec 'lstm' are W_ii, W_if, W_ic, "
            "W_io, W_hi, W_hf, W_hc, W_ho, b_ii, b_if, b_ic, b_io, b_hi, b_hf, b_hc, b_ho",
        ],
        id="unknown-parameter",
    ),
    pytest.param(
        "W_hi = [[1, 0], [4, -2]]", "W_hi = [[1, 0, 0], [4, -2, 0]]",
        [
            "example.toml:5:8: error[shape-mismatch]: parameter 'W_hi' has shape (2, 3), but "
            "spec 'lstm' declares (H, H) = (2, 2)",
            "     5 | W_hi = [[1, 0, 0], [4, -2, 0]]",
            "       |        ^^^^^^^^^^^^^^^^^^^^^^^",
            "  dims: D = 2 (from inputs 'x'), H = 2 (from initial 'h')",
            "  hint: write W_hi as 2 rows of 2 numbers, or leave it out to default to zero",
        ],
        id="parameter-wrong-shape",
    ),
    pytest.param(
        "c = [0, 0]", "cc = [0, 0]",
        [
            "example.toml:8:1: error[unknown-symbol]: unknown initial value 'cc': spec 'lstm' "
            "has no such state",
            "     8 | cc = [0, 0]",
            "       | ^^",
            "  hint: did you mean 'c'? the states of spec 'lstm' are h, c",
        ],
        id="unknown-state",
    ),
    pytest.param(
        'name = "i"', 'name = "i pre-activation"\nexpr = "W_ii @ xx + W_hi @ h[t-1]"',
        [
            "example.toml:14:16: error[unknown-symbol]: unknown symbol 'xx'",
            '    14 | expr = "W_ii @ xx + W_hi @ h[t-1]"',
            "       |                ^^",
            "  hint: did you mean 'x'? declare it under [inputs], [states] or [params], or "
            "define it by an equation",
        ],
        id="expr-unknown-symbol",
    ),
    pytest.param(
        'name = "i"', 'name = "i pre-activation"\nexpr = "W_ii @ W_hi"',
        [
            "example.toml:14:9: error[shape-mismatch]: shape mismatch in '@': (H, D) @ (H, H); "
            "inner dims D and H differ",
            '    14 | expr = "W_ii @ W_hi"',
            "       |         ^^^^^^^^^^^",
            "  W_ii has shape (H, D)",
            "  W_hi has shape (H, H)",
            "  dims: D = 2 (from inputs 'x'), H = 2 (from initial 'h')",
            "  hint: check the orientation: W @ x needs W of shape (out, in); "
            "x @ W needs (in, out)",
        ],
        id="expr-shape-mismatch",
    ),
    pytest.param(
        'spec = "lstm"', 'spec = "lsmt"',
        [
            "example.toml:1:8: error[unknown-spec]: no bundled spec named 'lsmt' and no such file",
            '     1 | spec = "lsmt"',
            "       |        ^^^^^^",
            "  hint: did you mean 'lstm'? run 'seqcheck list' to see the specs, or pass a path "
            "to a .toml file",
        ],
        id="unknown-spec",
    ),
    pytest.param(
        'name = "i"\nvalue = [0.98, 0.88]', 'name = "y"\nreduce = "argmax"\nvalue = 2',
        [
            "example.toml:15:9: error[bad-value]: printed class of 'y' at t = 1 must be an index "
            "0..1 or a one-hot list of 2 numbers",
            "    15 | value = 2",
            "       |         ^",
            '  hint: value = 1 for "softmax(h_t) = 1"; value = [0.0, 1.0] for a one-hot target',
        ],
        id="class-out-of-range",
    ),
    pytest.param(
        "x = [[1, 0], [0, 1]]", "x = [[1, 0], [0]]",
        [
            "example.toml:10:5: error[type-error]: input 'x' is ragged: its rows have different "
            "lengths",
            "    10 | x = [[1, 0], [0]]",
            "       |     ^^^^^^^^^^^^^",
            "  hint: x = [[0.0, ...], ...]",
        ],
        id="ragged-input",
    ),
    pytest.param(
        "decimals = 2", "decimals = = 2",
        [
            "example.toml:2:12: error[toml-syntax]: invalid TOML: Invalid value",
            "     2 | decimals = = 2",
            "       |            ^",
            "  hint: check quotes, brackets and '=' on this line (TOML syntax: https://toml.io)",
        ],
        id="toml-syntax",
    ),
]


def test_base_example_is_valid():
    report = check_example(loads_example(BASE))
    assert [(e.t, e.name, e.verdict) for e in report.entries] == [(1, "i", "ok")]


@pytest.mark.parametrize("old, new, message", ERRORS)
def test_error_message(tmp_path, old, new, message):
    assert BASE.count(old) == 1
    path = tmp_path / "example.toml"
    path.write_text(BASE.replace(old, new), encoding="utf-8")
    with pytest.raises(ExampleError) as info:
        load_example(path)
    assert str(info.value).replace(str(path), "example.toml").splitlines() == message


def test_all_problems_are_reported_at_once(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(BASE.replace("W_hi =", "W_hx =").replace("t = 1", "t = 9"), encoding="utf-8")
    with pytest.raises(ExampleError) as info:
        load_example(path)
    assert [(d.kind, d.line, d.symbol) for d in info.value.diagnostics] == [
        ("unknown-symbol", 5, "W_hx"), ("step-out-of-range", 12, "i")]
    assert str(info.value).endswith(f"2 errors in example {path}")


def test_unknown_bundled_example_suggests_a_name():
    with pytest.raises(ExampleError) as info:
        load_example("seed004_lstm_2de")
    assert info.value.kind == "unknown-example"
    assert info.value.first.hint.startswith("did you mean 'seed004_lstm_2dec'?")
