"""Saving a counterexample, reading it back and replaying it with no search.

``verify(..., save=PATH)`` writes the shrunk counterexample with :func:`save_case` to an
``.npz`` (every array float64, read back with ``allow_pickle=False``);
``verify(..., replay=PATH)`` reads it with :func:`load_case` and :func:`replay_case`
checks exactly that case again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SeqcheckError
from .checker import Checker
from .explain import explain_divergence
from .result import VerifyResult

__all__ = ["SavedCase", "save_case", "load_case", "replay_case"]

_FORMAT = "seqcheck-counterexample-1"
_GROUPS = ("params", "inputs", "initial", "seeds")


@dataclass(frozen=True)
class SavedCase:
    """A counterexample read back by :func:`load_case`: the case and how it was found."""

    case: object
    target: str
    spec: str
    dtype: str
    seed: int
    gradients: bool


def save_case(path, result: VerifyResult) -> None:
    """Write ``result``'s counterexample to ``path`` (``.npz``, every array float64).

    The file holds the case (sizes, steps, batch, params, inputs, initial states, seeds),
    the target and spec names, the dtype, the seed and the gradient setting; it is read
    with ``allow_pickle=False``.
    """
    if result.ok or result.counterexample is None:
        raise SeqcheckError("the target conforms: there is no counterexample to save")
    case = result.counterexample
    arrays = {"format": np.array(_FORMAT), "target": np.array(result.target),
              "spec": np.array(result.spec), "dtype": np.array(result.dtype),
              "seed": np.array(result.seed, dtype=np.int64),
              "gradients": np.array(result.gradients),
              "steps": np.array(case.steps, dtype=np.int64),
              "batch": np.array(case.batch, dtype=np.int64)}
    arrays.update({f"sizes/{k}": np.array(v, dtype=np.int64) for k, v in case.sizes.items()})
    if case.lengths is not None:
        arrays["lengths"] = np.asarray(case.lengths, dtype=np.int64)
    for group in _GROUPS:
        arrays.update({f"{group}/{n}": np.asarray(a, dtype=np.float64)
                       for n, a in getattr(case, group).items()})
    try:
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    except OSError as e:
        raise SeqcheckError(f"cannot write the counterexample to {path}: {e}") from None


def load_case(path) -> SavedCase:
    """Read a counterexample written by :func:`save_case`; any problem is a SeqcheckError."""
    from ...strategies import Case

    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise SeqcheckError(f"no counterexample file {path}\n  hint: write one with "
                            "verify(..., save=PATH) or seqcheck verify TARGET --save FILE") \
            from None
    except Exception as e:  # noqa: BLE001 - zipfile, NumPy and OS errors alike
        raise SeqcheckError(f"cannot read {path} as a saved counterexample ({type(e).__name__}: "
                            f"{e}); the file is truncated, corrupted or not written by "
                            "seqcheck verify --save") from None
    need = ("format", "target", "spec", "dtype", "seed", "gradients", "steps", "batch")
    missing = [k for k in need if k not in data]
    if missing or str(data["format"]) != _FORMAT:
        raise SeqcheckError(f"{path} is not a seqcheck counterexample ({_FORMAT}): "
                            + (f"missing {', '.join(missing)}" if missing
                               else f"format {str(data['format'])!r}"))

    def group(prefix):
        return {k[len(prefix) + 1:]: v for k, v in data.items() if k.startswith(prefix + "/")}

    case = Case(sizes={k: int(v) for k, v in group("sizes").items()},
                steps=int(data["steps"]), batch=int(data["batch"]),
                **{g: {n: np.asarray(a, dtype=np.float64) for n, a in group(g).items()}
                   for g in _GROUPS},
                lengths=data.get("lengths"))
    return SavedCase(case, str(data["target"]), str(data["spec"]), str(data["dtype"]),
                     int(data["seed"]), bool(data["gradients"]))


def replay_case(checker: Checker, saved: SavedCase, path, explain: bool) -> VerifyResult:
    """Check the one saved case; its arrays must fit the spec at the saved sizes.

    Arguments:
        checker: the checker of the target and spec to replay on.
        saved: what :func:`load_case` read from ``path``.
        path: the file, named in the result and in errors.
        explain: look for the change of the spec that explains a divergence.
    Returns:
        A :class:`~seqcheck.checks.verify.result.VerifyResult` with ``replayed=str(path)``
        and ``examples == 1``.
    """
    from ...strategies import case_shapes

    spec, case = checker.spec, saved.case
    missing = [d.name for d in spec.dims if d.name not in case.sizes]
    if missing or set(case.sizes) - {d.name for d in spec.dims}:
        raise SeqcheckError(f"{path}: sizes {dict(case.sizes)} do not name the dims of spec "
                            f"{spec.name!r} ({', '.join(d.name for d in spec.dims)})")
    fixed = checker.target.fixed_sizes(spec) or {}
    clash = {k: v for k, v in fixed.items() if case.sizes.get(k) != v}
    if clash:
        raise SeqcheckError(f"{path}: the case has sizes {dict(case.sizes)}, but the target "
                            f"is fixed at {clash}\n  hint: replay it on a target built with "
                            "the saved sizes (a class or factory)")
    plan = case_shapes(spec, case.sizes)
    want = {"params": plan.params, "inputs": plan.inputs(case.steps, case.batch),
            "initial": plan.initial(case.batch), "seeds": plan.seeds(case.steps, case.batch)}
    for group, shapes in want.items():
        have = {n: tuple(a.shape) for n, a in getattr(case, group).items()}
        if have != {n: tuple(sh) for n, sh in shapes.items()}:
            raise SeqcheckError(f"{path}: the saved {group} {have} do not fit spec "
                                f"{spec.name!r} at {case.describe()}; expected "
                                f"{ {n: tuple(sh) for n, sh in shapes.items()} }")
    check = checker.check(case)
    tgt = checker.target
    if check.ok:
        return VerifyResult(True, tgt.name, spec.name, tgt.description, 1, saved.seed,
                            checker.dtype, checker.gradients, replayed=str(path))
    explanation = explain_divergence(checker, case) if explain else None
    return VerifyResult(False, tgt.name, spec.name, tgt.description, 1, saved.seed,
                        checker.dtype, checker.gradients, case, check, explanation,
                        replayed=str(path))
