"""Fuzz the loaders of untrusted files: spec expressions, and mutated spec, mapping and example
files. The same generators back ``tests/test_fuzz.py`` (bounded); this script runs them long.

Each input is loaded with an audit hook watching for execution, imports, process spawning,
unpickling and file opens outside the project's spec folders. An input passes when the loader
returns, or raises a :class:`seqcheck.SeqcheckError`, within ``LIMIT_S`` seconds, and nothing
watched happened. See docs/robustness.md.

    python scripts/fuzz_long.py --inputs 100000 --seed 0 --processes 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from collections import Counter
from pathlib import Path

import seqcheck
from seqcheck import SeqcheckError
from seqcheck.adapters.mapping import loads_mapping
from seqcheck.checks.example_file import loads_example

ROOT = Path(__file__).resolve().parents[1]
#: Seconds one input may take: a limit, not a benchmark.
LIMIT_S = 2.0
LOADERS = {"spec": seqcheck.loads_spec, "mapping": loads_mapping, "example": loads_example}
_FILES = [(kind, path, path.read_text(encoding="utf-8"))
          for kind, pattern in (("spec", "specs/*.toml"), ("mapping", "examples/mapping/*.toml"),
                                ("example", "reference/*.toml"))
          for path in sorted(ROOT.glob(pattern))]
# examples/mapping also holds the user spec its mapping names: a file without 'spec =' is a spec.
CORPUS = tuple(("spec" if kind == "mapping" and "\nspec =" not in "\n" + text else kind, p, text)
               for kind, p, text in _FILES)
#: Folders a loader may read: the bundled catalogue and the corpus's own folders (a mapping
#: names its spec by a path relative to itself).
READABLE = tuple({str(p.parent) for _, p, _ in CORPUS} | {str(Path(seqcheck.__file__).parent)})

MINIMAL_SPEC = """name = "fuzz"
outputs = ["h"]
[dims]
H = "hidden size"
D = "input size"
[inputs]
x = {{ shape = ["D"] }}
[states]
h = {{ shape = ["H"], init = "0" }}
[params]
W = {{ shape = ["H", "H"] }}
U = {{ shape = ["H", "D"] }}
[equations]
h = {equation}
"""

# -- the audit hook ---------------------------------------------------------------------------
# Audit hooks cannot be removed: install one per process, active only while WATCH["on"].
WATCH: dict = {"on": False, "events": []}
_WATCHED = {"exec", "import", "pickle.find_class", "os.system", "subprocess.Popen", "os.exec",
            "os.posix_spawn", "os.spawn", "os.fork", "ctypes.dlopen", "compile", "open"}


#: File name of the NumPy code seqcheck prints from a typed expression (backends/numpy_backend).
GENERATED = "<seqcheck expression>"


def _hook(event: str, args: tuple) -> None:
    if not WATCH["on"] or event not in _WATCHED:
        return
    if event == "import" and args[0] in sys.modules:
        return
    if event == "compile" and args[1] == "<unknown>":
        return  # ast.parse: builds a tree, compiles no code (exec would show any execution)
    if args and GENERATED in repr(args[0]) + repr(args[1:2]):
        return  # an example's `expr` entries: code printed from the checked SymPy tree
    if event == "open":
        path = str(args[0])
        # '<unknown>': CPython reads ast.parse's file name back for a SyntaxError's text line
        if isinstance(args[0], int) or path == "<unknown>" or path.startswith(READABLE):
            return
    WATCH["events"].append((event, repr(args)[:200]))


def install_audit_hook() -> None:
    if not WATCH.get("installed"):
        sys.addaudithook(_hook)
        WATCH["installed"] = True


# -- generators -------------------------------------------------------------------------------
TOKENS = ["h", "x", "W", "U", "t", "h[t-1]", "h[t+1]", "+", "-", "*", "/", "@", "**", "(", ")",
          "[", "]", ",", ".", ".T", "tanh", "sigmoid", "concat", "clip", "softmax", "0", "1",
          "0.5", "1e999", "-1e-999", "0x1f", "1_000", "__import__", "eval", "exec", "open",
          "lambda", ":", "for", "in", "if", "else", "not", "and", ":=", "*", "**", "'os'",
          '"', "'", "f'", "{", "}", "#", "\\", "\n", " ", "ĥ", "ｈ", "α", "\x00", "\u202e", "...",
          "yield", "await", "import", ";", "=", "==", "<", "|", "~", "%", "//", "@="]
TEMPLATES = [
    "__import__('os').system('true')", "eval('1')", "exec('x=1')", "open('/etc/passwd')",
    "(lambda: h)()", "[h for h in x]", "{h: x}", "f'{h}'", "*h", "(y := h)", "h.__class__",
    "h.__class__.__mro__[1].__subclasses__()", "tanh(*h)", "tanh(x=h)", "h if x else h",
    "globals()", "getattr(h, 'T')", "h[0]", "h[t-0]", "h[::2]", "print(h)", "sum(h, start=1)",
    "b'x'", "'a' + 'b'", "None", "True * h", "h[t-1][t-1]", "x.T.T.T @ U.T", "W @ h[t-1] @ W",
    "tanh(W @ h[t-1] + U @ x)", "clip(h[t-1], -0.5)", "concat()", "concat(h, x, 1)",
]


def _atom(rng: random.Random) -> str:
    return rng.choice(["h[t-1]", "U @ x", "x", "W", "0.5", "2", "h", "1e-3", "α", "ĥ"])


def random_expression(rng: random.Random, depth: int = 0) -> str:
    """A Python-ish expression: mostly well-formed, with hostile constructs mixed in."""
    r = rng.random()
    if depth > 6 or r < 0.25:
        return _atom(rng)
    if r < 0.45:
        op = rng.choice(["+", "-", "*", "/", "@", "**", "//", "%", "<", "and"])
        return f"{random_expression(rng, depth + 1)} {op} {random_expression(rng, depth + 1)}"
    if r < 0.6:
        fn = rng.choice(["tanh", "sigmoid", "exp", "softmax", "concat", "clip", "relu", "eval",
                         "__import__", "getattr", "tahn"])
        args = ", ".join(random_expression(rng, depth + 1) for _ in range(rng.randint(0, 3)))
        return f"{fn}({args})"
    if r < 0.7:
        return f"({random_expression(rng, depth + 1)}).{rng.choice(['T', '__class__', 'T.T'])}"
    if r < 0.8:
        return rng.choice(TEMPLATES)
    if r < 0.9:
        return "-" + random_expression(rng, depth + 1)
    return f"({random_expression(rng, depth + 1)})"


def limit_expression(rng: random.Random) -> str:
    """Deep nesting, long sums, huge and non-finite numbers."""
    n = rng.choice([10, 149, 151, 500, 1000, 3000, 100_000])
    return rng.choice([
        lambda: "(" * n + "h[t-1]" + ")" * n,
        lambda: "tanh(" * n + "h[t-1]" + ")" * n,
        lambda: "-" * n + "h[t-1]",
        lambda: " + ".join(["h[t-1]"] * n),
        lambda: "1" * n + " * h[t-1]",
        lambda: "0x" + "f" * n + " * h[t-1]",
        lambda: "0." + "0" * n + "1 * h[t-1]",
        lambda: "1e" + "9" * min(n, 20) + " * h[t-1]",
        lambda: "h[t-" + "9" * min(n, 50) + "]",
    ])()


def token_soup(rng: random.Random) -> str:
    return "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 30)))


def spec_with_equation(expr: str) -> str:
    return MINIMAL_SPEC.format(equation=json.dumps(expr))


def mutate(rng: random.Random, text: str, steps: int = 3) -> str:
    """``steps`` random line and byte mutations of ``text``."""
    for _ in range(rng.randint(1, steps)):
        lines = text.split("\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        k = rng.randrange(len(text) + 1)
        junk = rng.choice(["\x00", "\ufeff", "\u202e", "ĥ", "[", "]", "{", "}", '"', "'''", "=",
                           "\\", "#", "\n", "[[", "1e999", "-", "0" * 50, "é", "\r"])
        text = _mutation(rng, text, lines, i, j, k, junk)
    return text


def _mutation(rng, text: str, lines: list, i: int, j: int, k: int, junk: str) -> str:
    op = rng.randrange(7)
    if op == 0:  # delete a line
        return "\n".join(lines[:i] + lines[i + 1:])
    if op == 1:  # duplicate a line
        return "\n".join(lines[:i] + [lines[i]] + lines[i:])
    if op == 2 and i < j:  # swap two lines
        return "\n".join(lines[:i] + [lines[j]] + lines[i + 1:j] + [lines[i]] + lines[j + 1:])
    if op == 3:  # flip a character
        return text[:k] + chr(rng.randrange(1, 0x3000)) + text[k + 1:]
    if op == 4:  # truncate
        return text[:k]
    if op == 5:  # insert a hostile piece
        return text[:k] + junk + text[k:]
    return text[:k] + "".join(chr(rng.randrange(0, 0x250)) for _ in range(5)) + text[k:]


def generate(rng: random.Random) -> tuple[str, str, str]:
    """One fuzz input: (loader name, text, file name)."""
    r = rng.random()
    if r < 0.7:
        expr = rng.choice([random_expression, limit_expression, token_soup])(rng)
        return "spec", spec_with_equation(expr), "<string>"
    kind, path, text = rng.choice(CORPUS)
    return kind, mutate(rng, text), str(path)


# -- running ----------------------------------------------------------------------------------
def run_one(kind: str, text: str, file: str) -> tuple[str, float, list]:
    """Load one input. Returns the outcome (``parsed``, ``error:<kind>`` or
    ``ESCAPED:<type>: <message>``), the seconds taken and the watched events seen."""
    install_audit_hook()
    WATCH["events"] = []
    WATCH["on"] = True
    start = time.perf_counter()
    try:
        LOADERS[kind](text, file=file)
        outcome = "parsed"
    except SeqcheckError as e:
        outcome = f"error:{getattr(e, 'kind', type(e).__name__)}"
    except BaseException as e:  # noqa: BLE001 -- recording what escapes is the point
        outcome = f"ESCAPED:{type(e).__name__}: {str(e)[:200]}"
    finally:
        WATCH["on"] = False
    return outcome, time.perf_counter() - start, list(WATCH["events"])


def warm_up() -> None:
    """Load every corpus file once unwatched, so lazy imports happen before watching."""
    import sympy.sets.setexpr  # noqa: F401 -- SymPy imports it lazily on some shape errors

    for kind, path, text in CORPUS:
        LOADERS[kind](text, file=str(path))
    for expr in TEMPLATES + ["tahn(h)", "q"]:
        try:
            seqcheck.loads_spec(spec_with_equation(expr))
        except SeqcheckError:
            pass


def _chunk(args: tuple[int, int, int]) -> dict:
    seed, start, count = args
    warm_up()
    outcomes: Counter = Counter()
    failures, max_s = [], 0.0
    for n in range(start, start + count):
        rng = random.Random(f"{seed}:{n}")
        kind, text, file = generate(rng)
        outcome, seconds, events = run_one(kind, text, file)
        outcomes[outcome.split(":")[0] if outcome.startswith("ESCAPED") else outcome] += 1
        max_s = max(max_s, seconds)
        if outcome.startswith("ESCAPED") or events or seconds > LIMIT_S:
            failures.append({"input": n, "kind": kind, "outcome": outcome, "seconds": seconds,
                             "events": events, "text": text[:300]})
    return {"outcomes": outcomes, "failures": failures, "max_s": max_s}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    chunks = 64
    size = -(-args.inputs // chunks)
    jobs = [(args.seed, s, min(size, args.inputs - s)) for s in range(0, args.inputs, size)]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(_chunk, jobs, chunksize=1)
    outcomes: Counter = Counter()
    failures = []
    for r in results:
        outcomes.update(r["outcomes"])
        failures.extend(r["failures"])
    print(f"inputs: {sum(outcomes.values())} (seed {args.seed}, {args.processes} processes, "
          f"{time.perf_counter() - start:.0f} s)")
    for outcome, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print(f"  {outcome}: {n}")
    print(f"escaped exceptions: {sum(f['outcome'].startswith('ESCAPED') for f in failures)}")
    print(f"watched events: {sum(bool(f['events']) for f in failures)}")
    print(f"over {LIMIT_S} s: {sum(f['seconds'] > LIMIT_S for f in failures)}")
    print(f"max time per input: {max(r['max_s'] for r in results):.3f} s")
    for f in failures[:20]:
        print(json.dumps(f, ensure_ascii=True))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
