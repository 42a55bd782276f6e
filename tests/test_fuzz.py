"""Untrusted spec, mapping and example files: only the error family escapes, nothing is
executed, every input is answered within a time limit, and the documented limits hold.

The generators are those of ``scripts/fuzz_long.py`` (its long run is recorded in
docs/robustness.md); here Hypothesis drives them, a bounded number of times.
"""

import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqcheck
from seqcheck import SpecError
from seqcheck.spec.grammar import LIMITS

_PATH = Path(__file__).resolve().parents[1] / "scripts" / "fuzz_long.py"
_SPEC = importlib.util.spec_from_file_location("fuzz_long", _PATH)
fuzz = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fuzz)
fuzz.warm_up()


def _assert_safe(kind: str, text: str, file: str = "<string>") -> str:
    outcome, seconds, events = fuzz.run_one(kind, text, file)
    where = f"{kind} input {json.dumps(text[:500])}"
    assert not outcome.startswith("ESCAPED"), f"{outcome} escaped for {where}"
    assert not events, f"watched events {events} while loading {where}"
    assert seconds < fuzz.LIMIT_S, f"{seconds:.2f} s for {where}"
    return outcome


@settings(max_examples=150)
@given(st.randoms(use_true_random=False))
def test_random_expressions(rng):
    expr = rng.choice([fuzz.random_expression, fuzz.token_soup])(rng)
    _assert_safe("spec", fuzz.spec_with_equation(expr))


@settings(max_examples=40)
@given(st.randoms(use_true_random=False))
def test_limit_expressions(rng):
    _assert_safe("spec", fuzz.spec_with_equation(fuzz.limit_expression(rng)))


@settings(max_examples=100)
@given(st.text(max_size=60))
def test_arbitrary_text_as_expression(expr):
    _assert_safe("spec", fuzz.spec_with_equation(expr))


@settings(max_examples=120)
@given(st.sampled_from(fuzz.CORPUS), st.randoms(use_true_random=False))
def test_mutated_files(entry, rng):
    kind, path, text = entry
    _assert_safe(kind, fuzz.mutate(rng, text), str(path))


@pytest.mark.parametrize("kind,path,text", fuzz.CORPUS, ids=[p.name for _, p, _ in fuzz.CORPUS])
def test_corpus_loads_unmutated(kind, path, text):
    assert _assert_safe(kind, text, str(path)) == "parsed"


def test_audit_hook_sees_execution():
    """Meta-test: the hook reports an exec and a fresh import made while watching."""
    fuzz.install_audit_hook()
    fuzz.WATCH["events"], fuzz.WATCH["on"] = [], True
    try:
        exec("1")  # noqa: S102
        with pytest.raises(ImportError):
            __import__("seqcheck_fuzz_no_such_module")
    finally:
        fuzz.WATCH["on"] = False
    assert {e for e, _ in fuzz.WATCH["events"]} >= {"exec", "import"}


def _error(equation: str = "h[t-1]", shape: str = '"H"') -> SpecError:
    text = fuzz.spec_with_equation(equation).replace('h = { shape = ["H"]',
                                                     f"h = {{ shape = [{shape}]")
    with pytest.raises(SpecError) as info:
        seqcheck.loads_spec(text)
    return info.value


LIMIT_CASES = [
    pytest.param("(" * 1000 + "h[t-1]" + ")" * 1000, "syntax-error",
                 "invalid expression syntax: too many nested parentheses", id="parentheses"),
    pytest.param("tanh(" * (LIMITS["depth"] + 1) + "h[t-1]" + ")" * (LIMITS["depth"] + 1),
                 "too-large", f"the expression is nested too deeply (limits: depth "
                 f"{LIMITS['depth']}, {LIMITS['nodes']} nodes)", id="depth"),
    pytest.param("-" * 5000 + "h[t-1]", "too-large",
                 "the expression cannot be parsed within the resource limits (RecursionError)",
                 id="unary-chain"),
    pytest.param(" + ".join(["h[t-1]"] * 1500), "too-large",
                 "the expression is 13497 characters long; the limit is 10000", id="chars"),
    pytest.param("1" * 5000 + " * h[t-1]", "too-large",
                 f"the number has 5000 digits; the limit is {LIMITS['digits']}",
                 id="digits-over-int-str-limit"),
    pytest.param("0x" + "f" * 41 + " * h[t-1]", "too-large",
                 f"the number has 41 digits; the limit is {LIMITS['digits']}", id="hex-digits"),
    pytest.param("1e999 * h[t-1]", "forbidden-construct", "the number 1e999 is not finite",
                 id="infinite"),
    pytest.param("__import__('os').system('true')", "forbidden-construct",
                 "only functions of the table can be called, not "
                 "'__import__('os').system'", id="import-call"),
]


@pytest.mark.parametrize("equation,kind,message", LIMIT_CASES)
def test_limits_are_refused_with_the_documented_kind(equation, kind, message):
    e = _error(equation)
    assert (e.kind, e.first.message) == (kind, message)


def test_deep_toml_is_refused():
    for load in fuzz.LOADERS.values():
        with pytest.raises(seqcheck.SeqcheckError) as info:
            load("x = " + "[" * 5000 + "]" * 5000)
        assert info.value.kind == "too-large"
        assert info.value.first.message == (
            "invalid TOML: arrays or inline tables are nested too deeply to parse")


@pytest.mark.parametrize("entry,message", [
    ('"' + "H*" * 3000 + 'H"', "shape entry of 6001 characters is too long; the limit is 200"),
    ('"' + "(" * 1000 + "H" + ")" * 1000 + '"',
     "shape entry of 2001 characters is too long; the limit is 200"),
], ids=["long-product", "deep-parentheses"])
def test_huge_shape_entries_are_refused(entry, message):
    e = _error(shape=entry)
    assert (e.kind, e.first.message) == ("too-large", message)
