"""Counterexamples are saved and replayed exactly: verify(save=...), verify(replay=...),
seqcheck verify --save / --replay."""

import numpy as np
import pytest
from test_verify import LSTMCellByHand, _factory

from seqcheck import SeqcheckError
from seqcheck.checks.verify import load_case, verify
from seqcheck.cli import main

DEFECT = _factory(LSTMCellByHand, "i and f swapped")


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    """The planted defect, found by a search and saved."""
    path = tmp_path_factory.mktemp("replay") / "case.npz"
    result = verify(DEFECT, spec="lstm", max_examples=40, seed=3, save=path)
    assert not result.ok
    return result, path


def test_a_saved_counterexample_replays_bit_for_bit(found):
    result, path = found
    replayed = verify(DEFECT, spec="lstm", replay=path)
    assert not replayed.ok and replayed.replayed == str(path)
    assert replayed.check.divergences == result.check.divergences  # every field, exactly
    first, again = result.check.divergences[0], replayed.check.divergences[0]
    assert (again.what, again.step, again.index) == (first.what, first.step, first.index)
    assert again.expected == first.expected and again.actual == first.actual
    assert replayed.explanation == result.explanation
    assert f"replayed from the case saved in {path}" in replayed.format_text()


def test_the_file_holds_the_whole_case_in_float64(found):
    result, path = found
    saved, case = load_case(path), result.counterexample
    assert (saved.spec, saved.dtype, saved.seed, saved.gradients) == (
        result.spec, result.dtype, result.seed, result.gradients)
    assert saved.target == result.target
    got = saved.case
    assert (dict(got.sizes), got.steps, got.batch) == (dict(case.sizes), case.steps, case.batch)
    for group in ("params", "inputs", "initial", "seeds"):
        want, have = getattr(case, group), getattr(got, group)
        assert set(have) == set(want)
        for name in want:
            assert have[name].dtype == np.float64
            np.testing.assert_array_equal(have[name], want[name])


def test_a_fixed_target_conforms_on_the_replayed_case(found):
    _, path = found
    result = verify(_factory(LSTMCellByHand, None), spec="lstm", replay=path)
    assert result.ok and result.examples == 1
    assert f"on the case saved in {path}" in result.format_text()


def test_the_same_seed_gives_the_same_cases_and_verdict():
    runs = [verify(DEFECT, spec="lstm", max_examples=30, seed=11) for _ in range(2)]
    assert runs[0].ok == runs[1].ok is False
    a, b = (r.counterexample for r in runs)
    assert (dict(a.sizes), a.steps, a.batch) == (dict(b.sizes), b.steps, b.batch)
    for group in ("params", "inputs", "initial", "seeds"):
        for name, arr in getattr(a, group).items():
            np.testing.assert_array_equal(arr, getattr(b, group)[name])
    assert runs[0].check.divergences == runs[1].check.divergences


def test_a_truncated_file_is_a_clear_error(found, tmp_path):
    _, path = found
    broken = tmp_path / "broken.npz"
    broken.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(SeqcheckError, match="truncated, corrupted or not written by seqcheck"):
        verify(DEFECT, spec="lstm", replay=broken)


def test_a_file_that_is_not_a_counterexample_is_refused(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(SeqcheckError, match="is not a seqcheck counterexample"):
        load_case(other)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SeqcheckError, match="no counterexample file .*\n  hint: write one"):
        verify(DEFECT, spec="lstm", replay=tmp_path / "absent.npz")


def test_a_case_for_another_spec_is_refused(found):
    _, path = found
    with pytest.raises(SeqcheckError, match="counterexample to spec 'lstm', not 'gru'"):
        verify(DEFECT, spec="gru", replay=path)


def test_arrays_that_do_not_fit_are_refused(found, tmp_path):
    _, path = found
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    name = next(k for k in data if k.startswith("params/"))
    data[name] = data[name][..., :-1] if data[name].shape[-1] > 1 else np.zeros((7, 7))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **data)
    with pytest.raises(SeqcheckError, match="the saved params .* do not fit spec 'lstm'"):
        verify(DEFECT, spec="lstm", replay=bad)


def test_cli_save_and_replay(tmp_path, capsys):
    path = tmp_path / "cli.npz"
    target = "test_replay:DEFECT"
    assert main(["verify", target, "--spec", "lstm", "--max-examples", "30", "--seed", "3",
                 "--save", str(path)]) == 1
    searched = capsys.readouterr().out
    assert path.exists()
    assert main(["verify", target, "--spec", "lstm", "--replay", str(path)]) == 1
    replayed = capsys.readouterr().out
    assert f"replayed from the case saved in {path}" in replayed
    # the divergence lines are the same text
    assert searched.splitlines()[2:] == replayed.splitlines()[2:]
    assert main(["verify", "test_verify:LSTMCellByHand", "--spec", "lstm", "--replay",
                 str(path)]) == 0
    assert main(["verify", target, "--spec", "lstm", "--replay",
                 str(tmp_path / "absent.npz")]) == 2
    assert "no counterexample file" in capsys.readouterr().err
