"""The live line of long commands (seqcheck/cli/progress.py) and the library's progress
callbacks behind it.

Each command runs three times on the same arguments: with a live line that never draws
(:data:`PLAIN`, the commands as they printed before there was one: each permanent line
with ``print``, nothing else), with stderr a pipe, and with stderr a terminal
(:class:`Terminal`). The pipe must see exactly what Plain sees, byte for byte; the
terminal the same stdout, the same permanent stderr lines once the live segments are
taken out, the live line saying what is done, and an erased line at the end. Under
``--json`` a terminal sees exactly what Plain sees. The library's callbacks are held to
what they count: the cases asked for, the first divergence (the checker's own ratios), the
candidates and sections in the result, and the same result as without a callback.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys

import pytest
import torch

from seqcheck import bench
from seqcheck.catalogue import spec_dir
from seqcheck.checks import conformance, engine_rows
from seqcheck.checks.identify import identify
from seqcheck.checks.verify import DECISIVE, Checker, verify
from seqcheck.cli import main
from seqcheck.cli.app import COMMANDS
from seqcheck.cli.progress import ERASE, callback, clear, echo, live_line, show
from seqcheck.dynamics.measure import sweep
from seqcheck.report import build_report
from seqcheck.report.html import to_html

LITERAL = spec_dir() / "literal"


class Terminal(io.StringIO):
    """stderr as a terminal: ``isatty()`` is True; no size (80 columns assumed)."""

    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def _plain_line(command: str, *, enabled: bool = True, stream=None):
    """A live line that never draws: what the commands printed before they had one."""
    yield {"stream": sys.stderr if stream is None else stream, "hidden": []}


#: The functions of seqcheck.cli.progress as Plain has them: a permanent line printed as
#: ``print(line, file=sys.stderr)`` prints it; what would have been shown only kept.
PLAIN = {
    "live_line": _plain_line,
    "show": lambda line, text: line["hidden"].append(text),
    "echo": lambda line, text: print(text, file=line["stream"]),
    "callback": lambda line, describe: None,
}


@pytest.fixture(autouse=True)
def _a_terminal_that_clears_lines(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")


def _run(monkeypatch, capsys, argv, stream=None, plain=False):
    """``seqcheck ARGV`` with stderr ``stream`` (default a pipe); Plain's line if ``plain``.
    Returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    stream = io.StringIO() if stream is None else stream
    with monkeypatch.context() as m:
        m.setattr(sys, "stderr", stream)
        if plain:
            for name, plain_version in PLAIN.items():
                if hasattr(COMMANDS[argv[0]], name):
                    m.setattr(COMMANDS[argv[0]], name, plain_version)
        code = main(list(argv))
    return code, capsys.readouterr().out, stream.getvalue()


def _permanent(err: str) -> str:
    """stderr without the live line: a segment after an erase that does not end a line was
    only ever shown in place."""
    first, *rest = err.split(ERASE)
    return first + "".join(s for s in rest if s.endswith("\n"))


def _live(err: str) -> list[str]:
    """What the live line said, in order."""
    return [s for s in err.split(ERASE)[1:] if s and not s.endswith("\n")]


def _erased(err: str) -> bool:
    """Whether a live line was drawn and nothing of it is left: after the last erase, at
    most permanent lines."""
    last = err.split(ERASE)[-1]
    return ERASE in err and (last == "" or last.endswith("\n"))


def _cut(line: str) -> str:
    """``line`` as an 80-column terminal shows it: cut to 79 columns, ending "..."."""
    return line if len(line) < 80 else line[:76] + "..."


def _check_command(monkeypatch, capsys, argv, live, same=lambda out: out):
    """The three runs of ``argv``; ``live`` must all be said, in this order, among what
    the live line says; ``same`` normalises stdout where it holds timings. Returns what
    the live line said."""
    code, out, err = _run(monkeypatch, capsys, argv, plain=True)
    assert _run(monkeypatch, capsys, argv) == (code, out, err)  # a pipe: byte for byte
    assert "\033" not in err and "\r" not in err
    t_code, t_out, t_err = _run(monkeypatch, capsys, argv, Terminal())
    assert (t_code, same(t_out)) == (code, same(out))
    assert _permanent(t_err) == err
    said = _live(t_err)
    assert all(s.startswith(f"{argv[0]}: ") and len(s) < 80 for s in said), said
    found = iter(said)
    assert all(any(s == want for s in found) for want in live), (live, said)
    assert _erased(t_err)  # erased when the command ends
    return said


def _check_json(monkeypatch, capsys, argv, same=lambda out: out):
    """Under --json a terminal sees exactly what the plain run prints."""
    code, out, err = _run(monkeypatch, capsys, argv, plain=True)
    t_code, t_out, t_err = _run(monkeypatch, capsys, argv, Terminal())
    assert (t_code, same(t_out), t_err) == (code, same(out), err)


# -- the commands -------------------------------------------------------------------------
def test_verify_counts_the_cases(monkeypatch, capsys):
    argv = ["verify", "torch.nn.RNNCell", "--max-examples", "3"]
    said = _check_command(monkeypatch, capsys, argv, [f"verify: case {k}/3" for k in (1, 2, 3)])
    assert said == [f"verify: case {k}/3" for k in (1, 2, 3)]
    _check_json(monkeypatch, capsys, [*argv, "--json"])


def test_verify_says_shrinking_once_a_case_diverges(monkeypatch, capsys):
    # onnx.reference ignores clip: the first case diverges, and is shrunk
    argv = ["verify", "onnx:RNN", "--attr", "clip=0.5", "--max-examples", "5"]
    said = _check_command(monkeypatch, capsys, argv, ["verify: case 1/5"])
    assert any(s.startswith("verify: shrinking (case ") for s in said)
    _check_json(monkeypatch, capsys, [*argv, "--json"])


def test_identify_counts_the_candidates(monkeypatch, capsys):
    argv = ["identify", "torch.nn.RNNCell", "--max-examples", "2"]
    said = _check_command(monkeypatch, capsys, argv, ["identify: candidate 1/1"])
    assert said == ["identify: candidate 1/1"]
    _check_json(monkeypatch, capsys, [*argv, "--json"])


def _two_torch_rows(engines=None):
    return engine_rows.entries(["torch"])[:2]


def _without_seconds(out: str) -> object:
    data = json.loads(out)
    for row in data["rows"]:
        row.pop("seconds")
    return data


def test_conformance_keeps_each_rows_verdict_below_the_live_line(monkeypatch, capsys):
    monkeypatch.setattr(conformance, "entries", _two_torch_rows)
    argv = ["conformance", "--max-examples", "2", "--dtype", "float64"]
    said = _check_command(monkeypatch, capsys, argv, [
        "conformance: entry 1/2 torch RNNCell (defaults)",
        "conformance: entry 1/2 torch RNNCell (defaults, float64): case 1/2",
        "conformance: entry 1/2 torch RNNCell (defaults, float64): case 2/2",
        "conformance: entry 2/2 torch LSTMCell (defaults)",
        "conformance: entry 2/2 torch LSTMCell (defaults, float64): case 2/2"])
    _, _, err = _run(monkeypatch, capsys, argv, Terminal())
    # each verdict on a line of its own, after the live line is erased
    assert ERASE + "  torch RNNCell (defaults, float64): conforms\n" in err
    assert len(said) == 6
    _check_json(monkeypatch, capsys, [*argv, "--json"], _without_seconds)


@pytest.fixture(scope="module")
def bench_replay():
    """A real bench run at a tiny size, its lines and rows kept to be replayed."""
    lines: list[str] = []
    rows = bench.run(quick=True, repeats=1, sizes=[(2, 3, 4, 5)], naive=False,
                     linear_steps=(2, 6), verify_case=False, dtypes=("float64",),
                     progress=lines.append)
    assert len(lines) >= 2
    return lines, rows


def test_bench_prints_its_lines_as_before_and_a_live_line_under_them(monkeypatch, capsys,
                                                                     bench_replay):
    lines, rows = bench_replay

    def replay(*, progress=None, **options):
        for line in lines:
            if progress is not None:
                progress(line)
        return rows

    monkeypatch.setattr(bench, "run", replay)
    said = _check_command(monkeypatch, capsys, ["bench", "--quick"], [
        _cut(f"bench: measurement {k}: {line.removeprefix('bench: ')}")
        for k, line in enumerate(lines, 1)])
    assert len(said) == len(lines)
    _, _, err = _run(monkeypatch, capsys, ["bench", "--quick"], plain=True)
    assert err == "".join(f"{line}\n" for line in lines)
    _check_json(monkeypatch, capsys, ["bench", "--json"])


def test_dynamics_names_each_radius(monkeypatch, capsys):
    argv = ["dynamics", "elman", "--radius", "0.5,1.5", "--steps", "5", "--size", "H=3",
            "D=2", "C=2", "--batch", "2"]
    said = _check_command(monkeypatch, capsys, argv, [
        "dynamics: deriving and compiling elman", "dynamics: radius 0.5 (1/2)",
        "dynamics: radius 1.5 (2/2)"])
    assert len(said) == 3
    _check_json(monkeypatch, capsys, [*argv, "--json"])


def test_report_names_each_section_and_writes_the_same_file(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "elman.md"
    argv = ["report", "elman", "--no-dynamics", "-o", "elman.md"]
    written = []

    def run(stream=None, plain=False):
        result = _run(monkeypatch, capsys, argv, stream, plain)
        written.append(out.read_text(encoding="utf-8"))
        return result

    sections = [s.title for s in build_report("elman", dynamics=False).sections]
    code, stdout, err = run(plain=True)
    assert run() == (code, stdout, err)
    t_code, t_out, t_err = run(Terminal())
    assert (t_code, t_out, _permanent(t_err)) == (code, stdout, err)
    assert written[0] == written[1] == written[2]
    assert _live(t_err) == [*(f"report: section {s}" for s in sections),
                            "report: figures, and writing elman.md"]
    assert t_err.endswith(ERASE)


def test_errata_checks_each_transcription_by_name(monkeypatch, capsys):
    files = [str(LITERAL / "seed000_eq13.toml"), str(LITERAL / "seed002_rescaling.toml")]
    said = _check_command(monkeypatch, capsys, ["errata", *files], [
        "errata: checking specs/literal/seed000_eq13.toml",
        "errata: checking specs/literal/seed002_rescaling.toml"])
    assert len(said) == 2
    _check_json(monkeypatch, capsys, ["errata", *files, "--json"])
    _check_json(monkeypatch, capsys, ["errata", *files, "--markdown"])


# -- the library's callbacks --------------------------------------------------------------
def test_verify_progress_counts_up_to_the_cases_asked_for():
    calls = []
    with_progress = verify(torch.nn.RNNCell, max_examples=4, progress=lambda *a: calls.append(a))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert with_progress.as_dict() == verify(torch.nn.RNNCell, max_examples=4).as_dict()


def test_verify_progress_turns_to_shrinking_at_the_first_divergence(monkeypatch):
    ratios = []
    check = Checker.check

    def recorded(self, case, *rest):
        result = check(self, case, *rest)
        ratios.append(result.ratio)
        return result

    monkeypatch.setattr(Checker, "check", recorded)
    calls = []
    result = verify("onnx:RNN", attributes={"clip": 0.5}, max_examples=20,
                    progress=lambda *a: calls.append(a))
    assert not result.ok
    first = next(k for k, r in enumerate(ratios) if r > DECISIVE)  # the checker's own word
    assert calls[:first + 1] == [(n, 20) for n in range(1, first + 2)]
    assert calls[first + 1:] == [(n, None) for n in range(first + 2, len(calls) + 1)]
    assert len(calls) > first + 1  # it was shrunk
    monkeypatch.setattr(Checker, "check", check)
    assert result.as_dict() == verify("onnx:RNN", attributes={"clip": 0.5},
                                      max_examples=20).as_dict()


def test_identify_progress_counts_every_candidate():
    calls = []
    result = identify(torch.nn.GRUCell, max_examples=1, progress=lambda *a: calls.append(a))
    n = len(result.candidates)
    assert n == 18 and calls == [(k, n) for k in range(1, n + 1)]  # 3 variants × 3! orders
    assert result.as_dict() == identify(torch.nn.GRUCell, max_examples=1).as_dict()


def test_conformance_status_follows_each_row(monkeypatch):
    entries = _two_torch_rows()
    monkeypatch.setattr(conformance, "entries", lambda engines=None: entries)
    said = []
    rows = conformance.run_conformance(max_examples=2, dtype="float32", status=said.append)
    quiet = conformance.run_conformance(max_examples=2, dtype="float32")
    heads = [f"entry {k}/2 torch {e.unit} (defaults, float32)" for k, e in enumerate(entries, 1)]
    assert said == [s for k, e in enumerate(entries) for s in (
        f"entry {k + 1}/2 torch {e.label}", f"{heads[k]}: case 1/2", f"{heads[k]}: case 2/2")]
    strip = [{**r.as_dict(), "seconds": None} for r in rows]
    assert strip == [{**r.as_dict(), "seconds": None} for r in quiet]


def test_sweep_progress_before_each_radius():
    calls = []
    sizes = {"D": 2, "H": 3, "C": 2}
    s = sweep("elman", [0.5, 1.0, 1.5], 6, 0, sizes, batch=2,
              progress=lambda *a: calls.append(a))
    assert calls == [(0, 3), (1, 3), (2, 3)]
    assert s.as_dict() == sweep("elman", [0.5, 1.0, 1.5], 6, 0, sizes, batch=2).as_dict()


def test_report_progress_names_each_section_before_it_is_made():
    result = verify(torch.nn.RNNCell, max_examples=2)
    titles = []
    doc = build_report("rnn_torch", dynamics=False, verify=result, progress=titles.append)
    assert titles == [s.title for s in doc.sections]
    assert titles[-1] == "Conformance"
    assert to_html(doc) == to_html(build_report("rnn_torch", dynamics=False, verify=result))


# -- the line itself ----------------------------------------------------------------------
def test_a_line_is_shown_only_on_a_terminal_that_can_clear_it(monkeypatch):
    for stream, enabled, term in ((io.StringIO(), True, "xterm"), (Terminal(), False, "xterm"),
                                  (Terminal(), True, "dumb")):
        monkeypatch.setenv("TERM", term)
        with live_line("verify", enabled=enabled, stream=stream) as live:
            show(live, "case 1/3")
            echo(live, "a line for good")
            show(live, "case 2/3")
            clear(live)
            assert not live["active"] and callback(live, str) is None
        assert stream.getvalue() == "a line for good\n"


def test_a_permanent_line_goes_under_an_erased_live_line():
    stream = Terminal()
    with live_line("bench", stream=stream) as live:
        callback(live, lambda k, n: f"measurement {k}/{n}")(1, 3)
        echo(live, "lstm: float64")
        clear(live)  # nothing to erase twice
        show(live, "measurement 2/3")
    assert stream.getvalue() == (ERASE + "bench: measurement 1/3" + ERASE + "lstm: float64\n"
                                 + ERASE + "bench: measurement 2/3" + ERASE)


def test_a_long_line_is_cut_to_the_width_and_erased_on_an_error():
    stream = Terminal()
    with pytest.raises(RuntimeError), live_line("conformance", stream=stream) as live:
        show(live, "x" * 200)
        show(live, "two\nlines")
        raise RuntimeError("the command failed")
    drawn, wrapped, end = stream.getvalue().split(ERASE)[1:]
    assert drawn == ("conformance: " + "x" * 200)[:76] + "..." and len(drawn) == 79
    assert wrapped == "conformance: two lines" and end == ""
