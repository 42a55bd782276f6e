"""Formula transcriptions (specs/formulas/): the grammar, the loader's located errors, the
evaluator against independent NumPy computations, and each kind of check on a planted wrong
formula that it must flag and a correct one that it must pass.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqcheck import SpecError
from seqcheck.cli import main
from seqcheck.errata import find_errata
from seqcheck.errata.formulas import Case, check_formula, load_formulas
from seqcheck.errata.formulas.evaluate import Evaluator, Fault, Let, node_texts
from seqcheck.errata.formulas.grammar import parse_formula
from seqcheck.errata.formulas.load import free_indices
from seqcheck.spec.grammar import ExprError


def _file(tmp_path, body: str, name: str = "f.toml"):
    path = tmp_path / name
    path.write_text('seed = "000_bdb039f7b454a225.txt"\n\n' + textwrap.dedent(body), "utf-8")
    return path


def _one(tmp_path, body: str):
    (f,) = load_formulas(_file(tmp_path, body))
    return check_formula(f)


def _value(text: str, arrays: dict, sizes: dict | None = None, bases: dict | None = None):
    tree = parse_formula(text)
    ev = Evaluator({}, Case(sizes or {}, arrays, bases or {}), node_texts(tree, text))
    return ev.value(tree, {})


# -- the evaluator against NumPy ----------------------------------------------------------
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_sums_and_products_by_brute_force_equal_numpy(n, m, seed):
    rng = np.random.default_rng(seed)
    W, h = rng.normal(size=(n, m)), rng.normal(size=m)
    arrays, sizes = {"W": W, "h": h}, {"N": n, "M": m}
    for i in range(1, n + 1):
        got = _value(f"sum(W[{i}, k] * h[k], k, 1, M)", arrays, sizes)
        assert got == pytest.approx((W @ h)[i - 1], rel=1e-12, abs=1e-12)
    assert _value("prod(h[k], k, 1, M)", arrays, sizes) == pytest.approx(np.prod(h), rel=1e-12)
    assert _value("sum(h[k], k, 2, 1)", arrays, sizes) == 0  # an empty range
    assert _value("norm(W)", arrays, sizes) == pytest.approx(np.sqrt((W**2).sum()), rel=1e-12)


@given(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2**32 - 1))
def test_an_index_origin_reads_the_printed_indices(m, n, seed):
    """w[m, n] with m in -M..M: the 2-D cross-correlation at one point, against NumPy."""
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=(2 * m + 1, 2 * n + 1)), rng.normal(size=(2 * m + 1, 2 * n + 1))
    got = _value("sum(sum(x[a, b] * w[a, b], b, -N, N), a, -M, M)", {"w": w, "x": x},
                 {"M": m, "N": n}, {"w": (-m, -n), "x": (-m, -n)})
    assert got == pytest.approx(float((x * w).sum()), rel=1e-12, abs=1e-12)


def test_definitions_are_read_whole_or_entry_by_entry():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    texts, lets = {}, {}
    for key, params, text in (("W", (), "A @ A"), ("c", ("k",), "1 if k == 0 else 2 * c[k - 1]")):
        tree = parse_formula(text)
        texts.update(node_texts(tree, text))
        lets[key] = Let(key, params, tree, text)
    for text, want in (("W[2, 1]", (A @ A)[1, 0]), ("c[5]", 32), ("trace(W)", np.trace(A @ A))):
        tree = parse_formula(text)
        ev = Evaluator(lets, Case({}, {"A": A}), {**texts, **node_texts(tree, text)})
        assert ev.value(tree, {}) == want


def test_shapes_must_match_and_entries_exist():
    a = {"A": np.eye(2), "v": np.ones(2)}
    with pytest.raises(Fault, match=r"comparison of shapes \(2, 2\) and \(2,\)"):
        _value("A <= v", a)
    with pytest.raises(Fault, match=r"v\[3\] is outside its indices 1\.\.2"):
        _value("v[3]", a)
    with pytest.raises(Fault, match="is not an integer"):
        _value("v[1 / 2]", a)


# -- each kind: a planted wrong formula flagged, the correct one passed --------------------
SUM = """
[[formula]]
id = "row-sum"
place = "eq. (30)"
kind = "sum"
printed = 'sum_j W_ik h_k'
sizes = {{ H = [1, 3] }}
for_all = {{ i = ["1", "H"] }}
claim = "{claim}"
[formula.arrays]
W = {{ shape = ["H", "H"] }}
h = {{ shape = ["H"] }}
"""


def test_a_sum_with_a_free_index_is_flagged_without_a_draw(tmp_path):
    found, _ = _one(tmp_path, SUM.format(claim="sum(W[i, k] * h[k], j, 1, H) == (W @ h)[i]"))
    assert found.how == "violated" and found.kind == "sum"
    assert "k is a free index: nothing binds it in W[i, k], h[k]" in found.finding
    assert "the sum over j never uses j" in found.finding


def test_a_sum_over_a_wrong_range_gets_the_smallest_counterexample(tmp_path):
    found, _ = _one(tmp_path, SUM.format(claim="sum(W[i, k] * h[k], k, 2, H) == (W @ h)[i]"))
    # the dropped term W[i, 1] h[1] is nonzero in the smallest case: H = 1, and one row
    assert "counterexample H = 1;" in found.finding and "at i = 1:" in found.finding
    _, confirmed = _one(tmp_path, SUM.format(claim="sum(W[i, k] * h[k], k, 1, H) == (W @ h)[i]"))
    assert confirmed and "holds on" in confirmed[0]


BOUND = """
[[formula]]
id = "decay"
place = "after eq. (28)"
kind = "bound"
printed = 'lambda_i < 1: decay'
sizes = {{ H = [1, 3] }}
claim = "implies({premise} and norm(v) > 0, norm(W.T @ v) < norm(v))"
[formula.arrays]
Q = {{ shape = ["H", "H"], draw = "orthogonal" }}
lam = {{ shape = ["H"] }}
v = {{ shape = ["H"] }}
[formula.let]
W = "Q @ diag(lam) @ Q.T"
"""


def test_a_bound_without_moduli_shrinks_to_lambda_minus_one(tmp_path):
    found, _ = _one(tmp_path, BOUND.format(premise="all(lam[i] < 1, i, 1, H)"))
    assert found.kind == "bound"
    assert "H = 1" in found.finding and "lam = [-1]" in found.finding
    _, confirmed = _one(tmp_path, BOUND.format(premise="all(abs(lam[i]) < 1, i, 1, H)"))
    assert confirmed


def test_a_matrix_bounded_by_a_vector_is_a_finding(tmp_path):
    found, _ = _one(tmp_path, BOUND.format(premise="True_").replace(
        'claim = "implies(True_ and norm(v) > 0, norm(W.T @ v) < norm(v))"',
        'claim = "W.T <= v"'))
    assert "cannot be evaluated" in found.finding and "shapes" in found.finding


PROBABILITY = """
[[formula]]
id = "attention-weights"
place = "eq. (44)"
kind = "probability"
printed = 'alpha_i = exp(a_i) / sum_j exp(a_j)'
sizes = {{ m = [1, 4] }}
claim = "all(alpha[i] >= 0, i, 1, m) and sum(alpha[i], i, 1, m) == 1"
[formula.arrays]
a = {{ shape = ["m"] }}
[formula.let]
"alpha[i]" = "exp(a[i]) / sum(exp(a[j]), j, {lo}, m)"
"""


def test_a_denominator_over_the_wrong_range_is_not_normalised(tmp_path):
    found, _ = _one(tmp_path, PROBABILITY.format(lo=2))
    assert found.kind == "probability" and "counterexample m = 1" in found.finding
    _, confirmed = _one(tmp_path, PROBABILITY.format(lo=1))
    assert confirmed


UPDATE = """
[[formula]]
id = "leak"
place = "Reservoir computing"
kind = "update"
printed = 'h(n) = (1 - a) h(n-1) + a h~(n)'
claim = "{printed} == (1 - a) * h + a * g"
[formula.arrays]
a = {{ shape = [], low = 0, high = 1 }}
h = {{ shape = [] }}
g = {{ shape = [] }}
"""


def test_lost_parentheses_in_an_update_are_flagged(tmp_path):
    found, _ = _one(tmp_path, UPDATE.format(printed="1 - a * h + a * g"))
    assert found.kind == "update" and "counterexample" in found.finding
    _, confirmed = _one(tmp_path, UPDATE.format(printed="(1 - a) * h + a * g"))
    assert confirmed


def test_an_erratum_reports_its_corrected_form_checked(tmp_path):
    body = SUM.format(claim="sum(W[i, k] * h[k], k, 2, H) == (W @ h)[i]").replace(
        'for_all =', 'problem = "starts at 2"\ncorrected = "sum from 1"\ncorrected_claim = '
        '"sum(W[i, k] * h[k], k, 1, H) == (W @ h)[i]"\nfor_all =')
    found, _ = _one(tmp_path, body)
    assert found.problem == "starts at 2" and found.corrected == "sum from 1"
    assert "The corrected form holds on 100 drawn cases" in found.finding


def test_a_corrected_form_that_fails_is_an_error_of_the_file(tmp_path):
    body = SUM.format(claim="sum(W[i, k] * h[k], k, 2, H) == (W @ h)[i]").replace(
        'for_all =', 'problem = "p"\ncorrected = "c"\ncorrected_claim = '
        '"sum(W[i, k] * h[k], k, 1, H - 1) == (W @ h)[i]"\nfor_all =')
    with pytest.raises(SpecError, match="the corrected claim of 'row-sum' fails too"):
        _one(tmp_path, body)


# -- malformed files: located errors --------------------------------------------------------
@pytest.mark.parametrize("claim, kind, message, symbol", [
    ("sum(W[i, k] * hh[k], k, 1, H) == 0", "unknown-name", "'hh' is declared nowhere", "hh"),
    ("sums(h[k], k, 1, H) == 0", "unknown-function", "did you mean 'sum'", "sums"),
    ("h.shape == 0", "forbidden-construct", "attribute .shape", None),
    ("(lambda: 1) == 1", "forbidden-construct", "Lambda", None),
    ("h[1:2] == 0", "forbidden-construct", "slice", None),
    ("'x' == 0", "forbidden-construct", "is not a number", None),
    ("sum(h[k], 1, 1, H) == 0", "bad-call", "index of sum", "sum"),
])
def test_bad_claims_are_located_errors(tmp_path, claim, kind, message, symbol):
    path = _file(tmp_path, SUM.format(claim=claim))
    with pytest.raises(SpecError) as e:
        load_formulas(path)
    d = e.value.diagnostics[0]
    assert d.kind == kind and message in d.message + (d.hint or "")
    claim_line = next(n for n, line in enumerate(path.read_text().splitlines(), 1)
                      if line.startswith("claim"))
    assert (d.file, d.line) == (str(path), claim_line) and d.col > 1
    if symbol:
        assert d.symbol == symbol


@pytest.mark.parametrize("edit, kind, message", [
    (("kind = \"sum\"", "kind = \"summ\""), "bad-formula", "unknown kind"),
    (("place =", "plaec ="), "unknown-key", "did you mean 'place'"),
    (("sizes = { H = [1, 3] }", "sizes = { H = [1, 99] }"), "bad-formula", "size H"),
    (("W = { shape", "W = { draw = \"gauss\", shape"), "bad-formula", "unknown draw"),
    (("for_all =", "problem = \"p\"\nfor_all ="), "missing-key", "together"),
])
def test_bad_entries_are_located_errors(tmp_path, edit, kind, message):
    path = _file(tmp_path, SUM.format(claim="sum(W[i, k] * h[k], k, 1, H) == (W @ h)[i]")
                 .replace(*edit))
    with pytest.raises(SpecError) as e:
        load_formulas(path)
    d = e.value.diagnostics[0]
    assert d.kind == kind and message in d.message + (d.hint or "") and d.line > 1


def test_the_second_formulas_arrays_are_located_in_the_second_entry(tmp_path):
    one = SUM.format(claim="sum(W[i, k] * h[k], k, 1, H) == (W @ h)[i]")
    two = one.replace('"row-sum"', '"two"').replace('h = { shape = ["H"] }',
                                                   'h = { shape = ["K"] }')
    path = _file(tmp_path, one + two)
    with pytest.raises(SpecError) as e:
        load_formulas(path)
    d = e.value.diagnostics[0]
    assert "'K' in the shape of h" in d.message
    assert path.read_text().splitlines()[d.line - 1].startswith('h = { shape = ["K"]')


def test_the_command_runs_given_files_and_exits_2_on_a_bad_one(tmp_path, capsys):
    good = _file(tmp_path, SUM.format(claim="sum(W[i, k] * h[k], k, 1, H) == (W @ h)[i]"))
    assert main(["errata", str(good)]) == 0
    out = capsys.readouterr()
    assert "claims checked that hold (1)" in out.out
    assert "checking" not in out.err  # the live line is for a terminal only
    bad = _file(tmp_path, SUM.format(claim="hh[1] == 0"), "bad.toml")
    assert main(["errata", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:" in err and "hh" in err and "Traceback" not in err
    said = []
    report = find_errata([good], progress=said.append)
    assert report.errata == () and len(report.confirmed) == 1
    assert said == [f"{good}#row-sum"]


# -- hostile text: only located errors or findings, never a crash ---------------------------
_TOKENS = ["W", "h", "H", "i", "k", "j", "1", "0.5", "-", "+", "*", "/", "**", "@", "(", ")",
           "[", "]", ",", " ", "==", "<", "and", "not", "sum(", "prod(", "all(", "norm(",
           "matpow(", "inv(", "softmax(", "max(", ".T", "if", "else", "'", "lambda", ":",
           "__import__", "x.y", "1e308", "1e400", "0x10", "[1:2]"]


@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=25).map("".join))
def test_any_claim_text_is_a_located_error_a_finding_or_a_verdict(tmp_path_factory, text):
    body = SUM.format(claim="CLAIM").replace('"CLAIM"', repr(text).replace("\\\\", "\\"))
    path = _file(tmp_path_factory.mktemp("fuzz"), body)
    try:
        formulas = load_formulas(path)
    except SpecError as e:
        assert e.diagnostics[0].line > 0
        return
    (f,) = formulas
    free_indices(f, f.claim, f.lets)
    case = Case({"H": 2}, {"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "h": np.array([1.0, 0.0])})
    ev = Evaluator(f.lets, case, f.texts)
    for i in (1, 2):
        try:
            ev.value(f.claim, {"i": i})
        except Fault as e:
            assert str(e)


def test_a_number_run_into_a_keyword_parses_without_a_python_warning():
    """Python reads ``1if`` as ``1 if`` and warns ("invalid decimal literal"); the formula
    grammar reads it the same way and prints nothing."""
    import ast
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(parse_formula("1if i == 1 else 0"), ast.IfExp)
        with pytest.raises(ExprError, match="syntax"):
            parse_formula("1if")
