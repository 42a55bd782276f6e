"""Literal spec transcriptions (``specs/literal/``): what the validator rejects, and the
claims the lectures make about what it accepts.

Two kinds of literal transcription are kept in the repository, and nothing here is typed
in by hand: every finding is what the tool reports when it is run on them.

- ``specs/literal/*.toml``: specs transcribed exactly as printed, each with an
  ``[erratum]`` table (where it is printed, what is printed, the corrected form, and the
  corrected catalogue spec or entry). A transcription the validator **rejects** (an
  algebraic loop, a dimension clash) is reported with its located diagnostic. One it
  accepts carries a **claim** the lecture makes about it, which is evaluated on drawn
  values and reported when it is **contradicted**:

  ============= ===============================================================
  claim         the lecture says
  ============= ===============================================================
  ``equal``     two variables are the same (``variables = [a, b]``) at every step
  ``probability`` each listed variable is a probability vector (a Cat parameter)
  ``value``     a variable has the printed value (``values = {v = "1e-5"}``), at
                the printed precision: half a unit of its last printed digit
  ============= ===============================================================

  ``orthogonal = [names]`` draws those parameters orthogonal; ``steps``, ``sizes`` (dim
  sizes, default 3) and ``seed`` fix the draw, so a run is reproducible.

- ``reference/*.toml``: the worked examples, transcribed number by number. Every entry
  :func:`~seqcheck.checks.example.check_example` calls a slip (or a slip carried
  forward) is **computed** to be wrong.

A claim that holds is listed as confirmed, so a transcription that stops finding its
erratum is seen. :func:`check_literal` runs one.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import sympy

from ..errors import Diagnostic, SpecError
from ..spec.locate import TomlIndex, read_toml
from .report import Erratum

__all__ = ["check_literal", "CLAIMS", "relative_path"]

CLAIMS = ("equal", "probability", "value")
_REQUIRED = ("place", "printed", "corrected")
_OPTIONAL = ("problem", "spec", "entry", "claim", "variables", "values", "orthogonal", "steps",
             "sizes", "seed")
#: |a - b| <= _EQUAL_RTOL (1 + |a|) counts as equal: float64 over a few steps.
_EQUAL_RTOL = 1e-9


def _bad(path: Path, index: TomlIndex, key: tuple, message: str, hint: str) -> SpecError:
    pos = index.value(key)
    return SpecError(Diagnostic(kind="bad-erratum", message=message, file=str(path),
                                line=pos.line, col=pos.col, symbol=key[-1],
                                source_line=index.line_text(pos.line), hint=hint))


def _table(path: Path) -> tuple[dict, TomlIndex]:
    text = path.read_text(encoding="utf-8")
    index = TomlIndex(text)
    data = read_toml(text, str(path), index, SpecError)
    err = data.get("erratum")
    if not isinstance(err, dict):
        raise _bad(path, index, ("name",), "a literal transcription needs an [erratum] table",
                   "add [erratum] with place, printed and corrected (docs/errata.md)")
    for key in err:
        if key not in _REQUIRED + _OPTIONAL:
            raise _bad(path, index, ("erratum", key), f"unknown key '{key}' in [erratum]",
                       "allowed keys: " + ", ".join(_REQUIRED + _OPTIONAL))
    for key in _REQUIRED:
        if not isinstance(err.get(key), str) or not err[key].strip():
            raise _bad(path, index, ("erratum",), f"[erratum] needs '{key}' as a string",
                       f"add {key} = \"...\" to [erratum]")
    claim = err.get("claim")
    if claim is not None and claim not in CLAIMS:
        raise _bad(path, index, ("erratum", "claim"), f"unknown claim {claim!r}",
                   "a claim is one of: " + ", ".join(CLAIMS))
    return {**err, "_sources": data.get("sources", [])}, index


def _draw(spec, err: dict, index: TomlIndex, path: Path):
    """Sizes, parameters and inputs for a claim, reproducibly from the [erratum] table."""
    rng = np.random.default_rng(int(err.get("seed", 0)))
    sizes = {d.name: int(err.get("sizes", {}).get(d.name, 3)) for d in spec.dims}
    subs = {d.symbol: sizes[d.name] for d in spec.dims}

    def shape(decl) -> tuple[int, ...]:
        return tuple(int(sympy.sympify(e).xreplace(subs)) for e in decl.shape)

    orthogonal = err.get("orthogonal", [])
    for name in orthogonal:
        if name not in spec.params:
            raise _bad(path, index, ("erratum", "orthogonal"),
                       f"'{name}' is not a parameter of the transcription",
                       "list square matrix parameters: " + ", ".join(spec.params))
    params = {}
    for name, d in spec.params.items():
        s = shape(d)
        if name in orthogonal:
            q, r = np.linalg.qr(rng.normal(size=s))
            params[name] = q * np.sign(np.diag(r))  # Haar-distributed
        else:
            params[name] = rng.normal(size=s)
    steps = int(err.get("steps", 3))
    inputs = {n: rng.normal(size=((1,) if d.static else (steps, 1)) + shape(d))
              for n, d in spec.inputs.items()}
    return sizes, params, inputs, steps


def _vector(a) -> str:
    """An array at 4 digits, as the claims' messages print it."""
    return np.array2string(np.asarray(a, dtype=float), precision=4, suppress_small=True,
                           separator=", ")


def _claim_equal(spec, traj, err) -> tuple[str | None, list[str]]:
    a_name, b_name = err["variables"]
    a, b = np.asarray(traj[a_name]), np.asarray(traj[b_name])
    bad = np.abs(a - b) > _EQUAL_RTOL * (1 + np.abs(a))
    if not bad.any():
        return None, [f"{a_name} = {b_name} at every step"]
    t = int(np.argwhere(bad)[0][0])
    return (f"{a_name} and {b_name} differ from t = {t + 1}: "
            f"{a_name}_{t + 1} = {_vector(a[t, 0])}, "
            f"{b_name}_{t + 1} = {_vector(b[t, 0])} (max |Δ| over {len(a)} steps "
            f"{float(np.abs(a - b).max()):.3g})"), []


def _claim_probability(spec, traj, err) -> tuple[str | None, list[str]]:
    for v in err["variables"]:
        p = np.asarray(traj[v])
        total, low = p.sum(axis=-1), p.min(axis=-1)
        bad = (np.abs(total - 1) > 1e-12) | (low < 0)
        if bad.any():
            t, b = (int(i) for i in np.argwhere(bad)[0])
            return (f"{v} = {_vector(p[t, b])} is not a probability vector: "
                    "its entries sum to "
                    f"{float(total[t, b]):.4g}" + (f" and its smallest is {float(low[t, b]):.4g}"
                                                   if low[t, b] < 0 else "")), []
    return None, [f"{', '.join(err['variables'])} is a probability vector at every step"]


def _claim_value(spec, traj, err, index, path) -> tuple[str | None, list[str]]:
    findings, holds = [], []
    for v, text in err.get("values", {}).items():
        if v not in spec.variables:
            raise _bad(path, index, ("erratum", "values", v), f"'{v}' is not a variable",
                       "name variables of the transcription: " + ", ".join(spec.variables))
        try:
            printed = Decimal(str(text))
        except InvalidOperation:
            raise _bad(path, index, ("erratum", "values", v),
                       f"printed value {text!r} is not a number",
                       "write the value as printed, e.g. \"1e-5\" or \"1.1111\"") from None
        unit = Decimal(1).scaleb(printed.as_tuple().exponent)
        got = float(np.asarray(traj[v]).reshape(-1)[0])
        expr = spec.equation(v).expr
        exact = ""
        if not getattr(expr, "free_symbols", {1}):
            exact = f" (exactly {expr})"
        elif all(s.name in spec.variables for s in expr.free_symbols):
            resolved = expr
            for _ in spec.variables:
                resolved = resolved.xreplace({s: spec.equation(s.name).expr
                                              for s in resolved.free_symbols})
            if not resolved.free_symbols:
                exact = f" (exactly {resolved})"
        if abs(Decimal(repr(got)) - printed) <= unit / 2:
            holds.append(f"{v} = {text} as printed{exact}")
        else:
            findings.append(f"{v} computes to {got:.5g}{exact}, printed {text}: "
                            f"{got / float(printed):.2f} times the printed value")
    return ("; ".join(findings) or None), holds


def relative_path(path: Path) -> str:
    """``path`` relative to the data directory's parent (``specs/literal/x.toml``), or as
    given when it lies elsewhere."""
    from ..catalogue import data_dir

    try:
        return str(Path(path).resolve().relative_to(data_dir("specs").parent))
    except ValueError:
        return str(path)


def check_literal(path: str | Path) -> tuple[Erratum | None, tuple[str, ...]]:
    """Run seqcheck on one literal transcription.

    Arguments:
        path: a ``specs/literal/*.toml`` file with an ``[erratum]`` table.
    Returns:
        ``(erratum or None, confirmed claims)``: the erratum when the validator rejects
        the transcription or its claim is contradicted; the claims that hold.
    Raises:
        SpecError: the file or its ``[erratum]`` table is malformed, a claim names
            unknown variables, or the corrected spec or entry does not exist.
    """
    from ..spec import load_spec

    path = Path(path)
    err, index = _table(path)
    if err.get("spec"):
        load_spec(err["spec"])  # the corrected form is in the catalogue
    if err.get("entry"):
        from ..models import entry

        entry(err["entry"])
    rel = relative_path(path)
    sources = err["_sources"]
    seed = sources[0].get("file", "") if sources else ""
    base = dict(seed=seed, place=err["place"], printed=err["printed"],
                corrected=err["corrected"], transcription=rel, problem=err.get("problem", ""))
    claim = err.get("claim")
    try:
        spec = load_spec(path)
    except SpecError as e:
        if claim is not None:
            raise
        d = e.diagnostics[0]
        finding = f"{d.kind} at line {d.line}, column {d.col}: {d.message}"
        if d.hint and d.hint.startswith("did you mean"):
            finding += f" ({d.hint.split('?')[0]}?)"
        return Erratum(**base, finding=finding, how="rejected", kind=d.kind), ()
    if claim is None:
        raise _bad(path, index, ("erratum",), "the validator accepts this transcription and "
                   "[erratum] states no claim to check", "add claim = \"equal\", "
                   "\"probability\" or \"value\" with its variables (docs/errata.md)")
    if claim in ("equal", "probability"):
        names = err.get("variables")
        ok = isinstance(names, list) and names and all(n in spec.variables for n in names)
        if not ok or (claim == "equal" and len(names) != 2):
            raise _bad(path, index, ("erratum", "variables"),
                       f"claim {claim!r} needs 'variables' naming "
                       + ("two variables" if claim == "equal" else "variables"),
                       "variables of the transcription: " + ", ".join(spec.variables))
    from ..backends import compile_numpy

    _, params, inputs, steps = _draw(spec, err, index, path)
    traj = compile_numpy(spec).forward(params, inputs, steps=steps)
    if claim == "equal":
        finding, holds = _claim_equal(spec, traj, err)
    elif claim == "probability":
        finding, holds = _claim_probability(spec, traj, err)
    else:
        finding, holds = _claim_value(spec, traj, err, index, path)
    confirmed = tuple(f"{rel}: {h}" for h in holds)
    if finding is None:
        return None, confirmed
    return Erratum(**base, finding=finding, how="contradicted", kind=claim), confirmed
