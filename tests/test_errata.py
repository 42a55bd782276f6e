"""`seqcheck errata`: the literal transcriptions and worked examples, run by the tool.

Each finding is checked against an independent computation of what the lecture prints
and what is right: matrix powers for eq. 26-28, a softmax for eq. 25, fractions for
seed 002's rescaling, the worked-example checker's own verdicts; and each literal spec
is checked to be faithful to the printed formula by running it on chosen values.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from seqcheck import SpecError, check_example, compile_numpy, load_spec
from seqcheck.catalogue import example_names, literal_paths, spec_dir
from seqcheck.checks.example import CARRIED, SLIP
from seqcheck.cli import main
from seqcheck.errata import check_literal, find_errata

LITERAL = spec_dir() / "literal"


@pytest.fixture(scope="module")
def report():
    return find_errata()


def _by_file(report, name):
    return [e for e in report.errata if e.transcription == f"specs/literal/{name}.toml"]


@pytest.mark.parametrize("name, how, kind", [
    ("seed000_eq7", "rejected", "shape-mismatch"),
    ("seed000_eq13", "rejected", "algebraic-loop"),
    ("seed000_eq20", "rejected", "algebraic-loop"),
    ("seed000_eq25", "contradicted", "probability"),
    ("seed000_eq28", "contradicted", "equal"),
    ("seed002_rescaling", "contradicted", "value"),
    ("seed003_wout", "rejected", "shape-mismatch"),
    ("seed002_rnn_example", "rejected", "shape-mismatch"),
])
def test_every_literal_transcription_yields_its_erratum(report, name, how, kind):
    (found,) = _by_file(report, name)
    assert (found.how, found.kind) == (how, kind)
    assert found.place and found.printed and found.corrected and found.seed.endswith(".txt")


def test_every_literal_transcription_is_run(report):
    names = {p.stem for p in literal_paths()}
    seen = {e.transcription.split("/")[-1].removesuffix(".toml") for e in report.errata
            if e.transcription.startswith("specs/")}
    assert names == seen


def test_rejections_are_the_validators_diagnostics(report):
    for e in report.errata:
        if e.how != "rejected":
            continue
        path = LITERAL / e.transcription.split("/")[-1]
        with pytest.raises(SpecError) as info:
            load_spec(path)
        d = info.value.diagnostics[0]
        assert e.finding == f"{d.kind} at line {d.line}, column {d.col}: {d.message}"


def test_eq28_transcription_is_faithful_and_the_printed_form_is_wrong():
    # Independent: W = Q diag(lam) Q^T; eq. 27 is (W^t)^T h0; eq. 28 prints Q^T L^t Q h0.
    rng = np.random.default_rng(11)
    H, T = 3, 4
    Q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    lam, h0 = rng.normal(size=H), rng.normal(size=(1, H))
    W = Q @ np.diag(lam) @ Q.T
    traj = compile_numpy(load_spec(LITERAL / "seed000_eq28.toml")).forward(
        {"Q": Q, "lam": lam}, {"h0": h0}, steps=T)
    for t in range(1, T + 1):
        eq27 = np.linalg.matrix_power(W, t).T @ h0[0]
        eq28 = Q.T @ np.diag(lam**t) @ Q @ h0[0]
        corrected = Q @ np.diag(lam**t) @ Q.T @ h0[0]
        np.testing.assert_allclose(traj["h"][t - 1, 0], eq27, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(traj["g"][t - 1, 0], eq28, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(eq27, corrected, rtol=1e-12, atol=1e-12)
        assert np.abs(eq28 - eq27).max() > 1e-3


def test_eq25_printed_readout_is_not_a_distribution_and_the_corrected_one_is(report):
    rng = np.random.default_rng(2)
    W, hbar = rng.normal(size=(3, 4)), rng.normal(size=(1, 4))
    traj = compile_numpy(load_spec(LITERAL / "seed000_eq25.toml")).forward(
        {"W": W}, {"hbar": hbar}, steps=1)
    e = np.exp(hbar[0] - hbar[0].max())
    np.testing.assert_allclose(traj["p"][0, 0], W @ (e / e.sum()), rtol=1e-13)
    z = W @ hbar[0]
    corrected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert abs(corrected.sum() - 1) < 1e-15 and abs(traj["p"][0, 0].sum() - 1) > 1e-3
    (found,) = _by_file(report, "seed000_eq25")
    assert "is not a probability vector" in found.finding


def test_seed002_rescaling_is_exact_and_the_printed_sum_is_confirmed(report):
    terms = [Fraction(1, 10**k) for k in range(5)]
    total = sum(terms)
    assert total == Fraction(11111, 10000)           # the printed 1.1111, exactly
    assert terms[-1] / total == Fraction(1, 11111)   # not 1e-5
    (found,) = _by_file(report, "seed002_rescaling")
    assert found.finding.startswith("rescaled5 computes to 9.0001e-05 (exactly 1/11111), "
                                    "printed 1e-5")
    assert ("specs/literal/seed002_rescaling.toml: total = 1.1111 as printed "
            "(exactly 11111/10000)") in report.confirmed


def test_worked_example_slips_are_the_checkers_verdicts(report):
    want = []
    for name in example_names():
        for e in check_example(name).entries:
            if e.verdict in (SLIP, CARRIED):
                want.append((f"reference/{name}.toml:{e.line}", e.verdict))
    got = [(e.transcription, e.kind) for e in report.errata if e.how == "computed"]
    assert got == want and len(got) == 6


# -- malformed [erratum] tables ----------------------------------------------------------
_GOOD = LITERAL / "seed000_eq28.toml"


def _variant(tmp_path, old: str, new: str):
    text = _GOOD.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "lit.toml"
    p.write_text(text.replace(old, new), encoding="utf-8")
    return p


@pytest.mark.parametrize("old, new, message", [
    ('place = "eq. 28 (seed 003', 'plaice = "eq. 28 (seed 003',
     "unknown key 'plaice' in [erratum]"),
    ('claim = "equal"', 'claim = "same"', "unknown claim 'same'"),
    ('variables = ["h", "g"]', 'variables = ["h", "q"]',
     "claim 'equal' needs 'variables' naming two variables"),
    ('orthogonal = ["Q"]', 'orthogonal = ["P"]', "'P' is not a parameter of the transcription"),
    ('corrected = "h_t = Q Λ^t Q^T h_0"\n', '',
     "[erratum] needs 'corrected' as a string"),
    ('claim = "equal"\n', '',
     "the validator accepts this transcription and [erratum] states no claim to check"),
])
def test_bad_erratum_tables_are_located_errors(tmp_path, old, new, message):
    path = _variant(tmp_path, old, new)
    with pytest.raises(SpecError) as info:
        check_literal(path)
    d = info.value.diagnostics[0]
    assert d.kind == "bad-erratum" and d.message == message
    assert d.file == str(path) and d.line > 0 and d.hint


def test_a_claim_that_holds_is_confirmed_not_reported(tmp_path):
    path = _variant(tmp_path, 'g = "Q.T @ (lam * (Q @ g[t-1]))"',
                    'g = "Q @ (lam * (Q.T @ g[t-1]))"')
    found, confirmed = check_literal(path)
    assert found is None and confirmed == (f"{path}: h = g at every step",)


def test_cli_errata_text_and_json(capsys):
    assert main(["errata"]) == 0
    text = capsys.readouterr().out
    assert text.rstrip().endswith("14 errata: 5 rejected, 3 contradicted, 6 computed")
    assert "from:      specs/literal/seed000_eq13.toml" in text
    assert main(["errata", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["errata"]) == 14 and data["confirmed"]
    assert {e["how"] for e in data["errata"]} == {"rejected", "contradicted", "computed"}
