"""Hold an implementation to a spec: outputs, states and gradients on generated cases.

:func:`verify` draws cases with :mod:`seqcheck.strategies` -- dims, steps, batch,
witness weights (distinct per gate block), inputs and initial states -- runs the
target and the spec's compiled forward and backward pass (float64) on each, and
compares per-step outputs, final states and the gradients of a random projection
L = Σ_t ⟨P_t, y_t⟩ with respect to inputs, initial states and every parameter.
Hypothesis searches for a case that diverges and shrinks it; the result names the
first diverging step and value, the errors against the tolerance, the seed that
replays the search, and -- by trying single-equation changes of the spec -- which
equation or gate explains the divergence.

Tolerance (documented in docs/conventions.md): a comparison passes when
|actual − expected| ≤ atol + rtol·|expected| with

    rtol = 16·ε·(1 + T·S),   atol = rtol·m,   m = 1 + max|θ|·(D + H)

for values, and 16 times both for gradients, where ε is the target dtype's machine
epsilon, S the number of recurrent sweeps (chains) of the spec -- 1 for a cell, L·2 for
an L-layer bidirectional stack, whose longest path runs through every chain -- and max|θ|
the largest parameter. float64 targets are held to ≈ 1e-13, float32 ones to ≈ 1e-5 at
small sizes; both grow with T, with depth and with the size of the pre-activations.

``verify(..., save=PATH)`` writes the shrunk counterexample to an ``.npz`` and
``verify(..., replay=PATH)`` checks exactly that case again, with no search.

The target is never altered: a module instance is deep-copied, torch's and NumPy's
RNG states, torch's default dtype and grad mode are restored, also when the target
raises.
"""

from __future__ import annotations

import contextlib
import importlib
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..display import Displayable
from ..errors import SeqcheckError
from ..spec import Spec, load_spec, variant

__all__ = ["Divergence", "CaseCheck", "VerifyResult", "verify", "make_target", "resolve_target",
           "tolerance", "DECISIVE", "SavedCase", "save_case", "load_case"]

#: The search shrinks towards cases whose worst |Δ| exceeds this many tolerances.
DECISIVE = 8.0


@dataclass(frozen=True)
class Divergence:
    """One compared value outside the tolerance.

    Arguments:
        what: ``"output h"``, ``"final state c"``, ``"gradient W_hi"``, ``"gradient x"``...
        step: the step t (1-based) for per-step values, else None.
        index: the index within the compared array (batch row first).
        expected, actual: the spec's float64 value and the target's.
        tol: the tolerance that applied.
    """

    what: str
    step: int | None
    index: tuple
    expected: float
    actual: float
    tol: float

    @property
    def abs_err(self) -> float:
        return abs(self.actual - self.expected)

    @property
    def rel_err(self) -> float:
        return self.abs_err / max(abs(self.expected), 1e-300)

    def describe(self) -> str:
        at = f" at t = {self.step}" if self.step is not None else ""
        return (f"{self.what}{at}{list(self.index)}: expected {self.expected:.6g}, "
                f"actual {self.actual:.6g}; |Δ| = {self.abs_err:.3g} "
                f"(relative {self.rel_err:.3g}) > tolerance {self.tol:.3g}")

    def as_dict(self) -> dict:
        return {"what": self.what, "step": self.step, "index": list(self.index),
                "expected": self.expected, "actual": self.actual, "abs_err": self.abs_err,
                "rel_err": self.rel_err, "tolerance": self.tol}


@dataclass(frozen=True)
class CaseCheck:
    """The comparison on one case: ok, the divergences in order, or the target's exception.

    ``ratio`` is the largest |Δ| / tolerance (infinite for an exception): how clearly the
    case diverges.
    """

    ok: bool
    divergences: tuple[Divergence, ...] = ()
    error: str | None = None

    @property
    def ratio(self) -> float:
        if self.error is not None:
            return float("inf")
        return max((_ratio(d) for d in self.divergences), default=0.0)


def _ratio(d: Divergence) -> float:
    """|Δ| / tolerance; infinite for a NaN or infinite value, which no tolerance covers
    (a NaN ratio would compare false with everything and hide the divergence)."""
    r = d.abs_err / d.tol if d.tol > 0 else float("inf")
    return float("inf") if r != r else r


@dataclass(frozen=True)
class VerifyResult(Displayable):
    """The answer of :func:`verify`.

    Arguments:
        ok: the target conforms on every case tried.
        target, spec, layout: what was compared.
        examples: the number of cases the search could try; seed: replays it.
        dtype: the target's dtype.
        counterexample: the shrunk failing case (a :class:`seqcheck.strategies.Case`).
        check: the comparison on the counterexample.
        explanation: the single-equation change of the spec that makes the
            counterexample conform, if one was found.
    """

    ok: bool
    target: str
    spec: str
    layout: str
    examples: int
    seed: int
    dtype: str
    gradients: bool
    counterexample: object = None
    check: CaseCheck | None = None
    explanation: str | None = None
    replayed: str | None = None

    def __bool__(self) -> bool:
        return self.ok

    def format_text(self) -> str:
        head = (f"{self.target} against spec '{self.spec}' ({self.layout}, {self.dtype}, "
                f"{'outputs, states and gradients' if self.gradients else 'outputs and states'})")
        if self.replayed:
            where = f"the case saved in {self.replayed} (seed {self.seed})"
            if self.ok:
                return f"conforms: {head}\n  on {where}"
            lines = [f"does not conform: {head}",
                     f"  counterexample replayed from {where}: "
                     f"{self.counterexample.describe()}"]
        elif self.ok:
            return (f"conforms: {head}\n  {self.examples} generated cases, seed {self.seed}")
        else:
            lines = [f"does not conform: {head}",
                     f"  counterexample ({self.examples} cases searched, seed {self.seed}; "
                     f"replay with --seed {self.seed}): {self.counterexample.describe()}"]
        if self.check.error:
            lines.append(f"  the target raised: {self.check.error}")
        for d in self.check.divergences[:6]:
            lines.append(f"  {d.describe()}")
        if len(self.check.divergences) > 6:
            lines.append(f"  ... and {len(self.check.divergences) - 6} more values")
        if self.explanation:
            lines.append(f"  explained by: {self.explanation}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        out = {"ok": self.ok, "target": self.target, "spec": self.spec, "layout": self.layout,
               "examples": self.examples, "seed": self.seed, "dtype": self.dtype,
               "gradients": self.gradients, "replayed": self.replayed, "counterexample": None}
        if not self.ok:
            case = self.counterexample
            sizes = dict(case.sizes)
            out["counterexample"] = {
                "input_size": sizes.get("D"), "hidden_size": sizes.get("H"),
                "batch": case.batch, "steps": case.steps, "sizes": sizes,
                "error": self.check.error,
                "divergences": [d.as_dict() for d in self.check.divergences],
                "first": self.check.divergences[0].as_dict() if self.check.divergences else None,
                "explanation": self.explanation,
            }
        return out


def tolerance(dtype, steps: int, params: Mapping, sizes: Mapping, gradients: bool = False,
              sweeps: int = 1):
    """(rtol, atol) of the tolerance model in the module docstring.

    >>> # a float64 cell over 3 steps with weights up to 0.5, D = 1, H = 2: values
    >>> rtol, atol = tolerance("float64", 3, {"W": np.array([0.5, -0.25])}, {"D": 1, "H": 2})
    >>> round(rtol / np.finfo(np.float64).eps), round(atol / rtol, 3)
    (64, 2.5)
    """
    eps = float(np.finfo(np.dtype(dtype)).eps)
    rtol = 16 * eps * (1 + steps * max(1, sweeps))
    biggest = max((float(np.max(np.abs(p))) for p in params.values() if np.size(p)), default=1.0)
    m = 1 + biggest * sum(int(v) for v in sizes.values())
    atol = rtol * m
    if gradients:
        rtol, atol = 16 * rtol, 16 * atol
    return rtol, atol


def resolve_target(target):
    """A class, factory or module from ``"module:attr"``, ``"pkg.mod.Class"`` or an object.

    Only names are imported (``importlib``); nothing is evaluated.
    """
    if not isinstance(target, str):
        return target
    module_name, sep, attr = target.partition(":")
    if not sep:
        module_name, _, attr = target.rpartition(".")
    if not module_name or not attr:
        raise SeqcheckError(f"target {target!r} is not 'module:attr' or 'package.module.Class'")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise SeqcheckError(f"cannot import {module_name!r} for target {target!r}: {e}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SeqcheckError(f"{module_name!r} has no attribute {attr!r} (target {target!r})")
        obj = getattr(obj, part)
    return obj


@contextlib.contextmanager
def _preserved():
    """Restore every global state a check could touch: RNGs, default dtype, grad mode."""
    import sys

    torch = sys.modules.get("torch")  # a run that never loads torch has none to restore
    if torch is not None:
        torch_rng = torch.get_rng_state()
        dtype = torch.get_default_dtype()
        grad = torch.is_grad_enabled()
    numpy_rng = np.random.get_state()
    py_rng = random.getstate()
    try:
        yield
    finally:
        if torch is not None:
            torch.set_rng_state(torch_rng)
            torch.set_default_dtype(dtype)
            torch.set_grad_enabled(grad)
        np.random.set_state(numpy_rng)
        random.setstate(py_rng)


class Checker:
    """Runs one case on the target and on the spec and compares them."""

    def __init__(self, target, spec: Spec, dtype: str, gradients: bool):
        self.target = target
        self.spec = spec
        self.dtype = dtype
        self.gradients = gradients
        self._compiled: dict = {}
        self.observed = tuple(target.outputs)
        self.states = tuple(target.states)
        sequence = spec.sequence_inputs
        if len(sequence) != 1:
            raise SeqcheckError(f"spec {spec.name!r} has {len(sequence)} sequence inputs "
                                f"({', '.join(sequence) or 'none'}); verify feeds a target "
                                "exactly one")
        self.input = sequence[0]  # the target's x, whatever the spec calls it

    def compiled(self, spec: Spec):
        from ..backends import compile_numpy

        key = id(spec)
        if key not in self._compiled:
            seeded = tuple(dict.fromkeys(self.observed + self.states))
            self._compiled[key] = (spec, compile_numpy(spec, gradients=self.gradients,
                                                       seeded=seeded))
        return self._compiled[key][1]

    def sweeps(self, spec: Spec) -> int:
        """How many recurrent chains the spec runs (the S of the tolerance)."""
        from ..spec import make_schedule

        return sum(1 for sw in make_schedule(spec).sweeps if sw.direction)

    def run_spec(self, case, spec: Spec):
        c = self.compiled(spec)
        traj = c.forward(dict(case.params), dict(case.inputs),
                         initial={s: case.initial[s] for s in self.states})
        out = {"per_step": {v: np.asarray(traj[v]) for v in self.observed},
               "final": {s: np.asarray(traj.final[s]) for s in self.states}}
        if self.gradients:
            from ..spec import make_schedule

            schedule = make_schedule(spec)
            seeds = {}
            for v in c.seeded:
                if v in self.observed:
                    seeds[v] = case.seeds[v]
                else:  # a state seen only at the end of its sweep: seed that step
                    s = np.zeros_like(traj.raw[v])
                    last = 0 if schedule.sweep_of(v).direction < 0 else -1
                    s[last] = case.seeds[v][-1]
                    seeds[v] = s
            g = c.backward(traj, seeds)
            out["params"] = dict(g.params)
            out["x"] = np.asarray(g.inputs[self.input])
            out["initial"] = {s: np.asarray(g.initial[s]) for s in self.states}
        return out

    def check(self, case, spec: Spec | None = None) -> CaseCheck:
        spec = spec or self.spec
        try:
            actual = self.target.run(case, self.dtype, self.gradients)
        except Exception as e:  # noqa: BLE001 - any exception of the target is a finding
            return CaseCheck(False, (), f"{type(e).__name__}: {e}")
        expected = self.run_spec(case, spec)
        sweeps = self.sweeps(spec)
        rtol, atol = tolerance(self.dtype, case.steps, case.params, case.sizes, sweeps=sweeps)
        g_rtol, g_atol = tolerance(self.dtype, case.steps, case.params, case.sizes, True,
                                   sweeps=sweeps)
        divergences: list[Divergence] = []
        for v in self.observed:
            divergences += _compare(f"output {v}", expected["per_step"][v],
                                    actual.per_step[v], rtol, atol, per_step=True)
        for s in self.states:
            divergences += _compare(f"final state {s}", expected["final"][s],
                                    actual.final[s], rtol, atol)
        if self.gradients and not divergences:
            for name in expected["params"]:
                divergences += _compare(f"gradient {name}", expected["params"][name],
                                        actual.params[name], g_rtol, g_atol)
            divergences += _compare(f"gradient {self.input}", expected["x"], actual.x,
                                    g_rtol, g_atol,
                                    per_step=True)
            for s in self.states:
                divergences += _compare(f"gradient {s}_0", expected["initial"][s],
                                        actual.initial[s], g_rtol, g_atol)
        divergences.sort(key=lambda d: (d.step is None, d.step or 0))
        return CaseCheck(not divergences, tuple(divergences))


def _compare(what, expected, actual, rtol, atol, per_step=False) -> list[Divergence]:
    expected = np.atleast_1d(np.asarray(expected, dtype=np.float64))  # a scalar as (1,)
    actual = np.asarray(actual, dtype=np.float64).reshape(expected.shape)
    tol = atol + rtol * np.abs(expected)
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(actual - expected) <= tol)  # NaN in either is a divergence
    out = []
    for idx in zip(*np.nonzero(bad)):
        idx = tuple(int(i) for i in idx)
        step = idx[0] + 1 if per_step else None
        rest = idx[1:] if per_step else idx
        out.append(Divergence(what, step, rest, float(expected[idx]), float(actual[idx]),
                              float(tol[idx])))
    return out


# -- explaining a counterexample ------------------------------------------------------
def _mutations(spec: Spec):
    """Small changes of ``spec``: (description, {equation: new text}).

    Each is one change to one equation, except a permutation of stacked gate blocks,
    which exchanges the parameters of two equations at once.
    """
    names = sorted(spec.params, key=len, reverse=True)
    for eq in spec.equations:
        text = eq.text
        for a, b in (("sigmoid(", "tanh("), ("tanh(", "sigmoid(")):
            if a in text:
                yield (f"equation '{eq.target}' uses {b[:-1]} where the spec has {a[:-1]}",
                       {eq.target: text.replace(a, b, 1)})
        for m in re.finditer(r"\(1 - (\w+)\)", text):
            z = m.group(1)
            swapped = re.sub(rf"\(1 - {z}\)|\b{z}\b(?!\[)",
                             lambda k, z=z: z if k.group(0) != z else f"(1 - {z})", text)
            yield (f"equation '{eq.target}' exchanges {z} and 1 - {z}", {eq.target: swapped})
        for p in names:
            if re.search(rf"\+ {p}\b", text) and len(spec.params[p].shape) == 1:
                yield (f"equation '{eq.target}' leaves out the bias {p}",
                       {eq.target: re.sub(rf"\s*\+ {p}\b", "", text, count=1)})
    # two gates exchanging their parameters (a permutation of the stacked gate blocks)
    uses = {e.target: [p for p in spec.params if re.search(rf"\b{p}\b", e.text)]
            for e in spec.equations}
    targets = [e.target for e in spec.equations]
    for k, t1 in enumerate(targets):
        for t2 in targets[k + 1:]:
            renaming = _pairing(spec, uses[t1], uses[t2])
            if not renaming:
                continue
            both = {**renaming, **{b: a for a, b in renaming.items()}}
            pattern = re.compile(r"\b(" + "|".join(map(re.escape, both)) + r")\b")
            texts = {t: pattern.sub(lambda m, both=both: both[m.group(1)],
                                    spec.equation(t).text)
                     for t in (t1, t2)}
            yield (f"gates '{t1}' and '{t2}' exchange their parameters (a permutation of "
                   "the stacked gate blocks)", texts)


def _pairing(spec: Spec, p1: list, p2: list) -> dict | None:
    """A one-to-one pairing of two gates' parameters by role and shape, or None."""
    if not p1 or len(p1) != len(p2) or set(p1) & set(p2):
        return None
    pairs = {}
    for a in p1:
        match = [b for b in p2 if spec.params[b].shape == spec.params[a].shape
                 and _suffix_role(a) == _suffix_role(b) and b not in pairs.values()]
        if len(match) != 1:
            return None
        pairs[a] = match[0]
    return pairs


def _suffix_role(name: str) -> str:
    """``W_ii`` -> ``W_i``: the kind of a gate parameter without its gate letter."""
    return name[:-1]


def _explain(checker: Checker, case) -> str | None:
    spec = checker.spec
    if spec.path is None:
        return None
    seen = set()
    for description, texts in _mutations(spec):
        key = tuple(sorted(texts.items()))
        if key in seen:
            continue
        seen.add(key)
        try:
            mutated = variant(spec, equations=texts)
        except SeqcheckError:
            continue
        if checker.check(case, mutated).ok:
            return description + ": " + "; ".join(f"{t} = {x}" for t, x in texts.items())
    return None


def make_target(target, layout=None, *, attributes=None, mapping=None):
    """The :class:`~seqcheck.adapters.base.Target` for what a user named.

    Arguments:
        target: a Target (returned as is); ``"onnx:LSTM"`` / ``"onnxruntime:GRU"`` (an
            ONNX node run by that engine); or a torch module, class or factory, or a
            ``"module:attr"`` string naming one.
        layout: for a torch target, a :mod:`seqcheck.adapters.torch_nn` layout
            (default: recognised from torch's parameter names and shapes).
        attributes: ONNX attributes, ``{"direction": "reverse", "clip": 0.5, ...}``.
        mapping: a mapping file (path or loaded) for a module torch's layouts do not fit.
    """
    from ..adapters.base import Target

    if isinstance(target, Target):
        if layout is not None or attributes or mapping is not None:
            raise SeqcheckError("a Target carries its own layout; pass no layout, "
                                "attributes or mapping with it")
        return target
    if isinstance(target, str) and target.partition(":")[0] in ("onnx", "onnxruntime"):
        from ..adapters.onnx import parse_onnx_target

        parsed = parse_onnx_target(target)
        if parsed is not None:
            if layout is not None or mapping is not None:
                raise SeqcheckError(f"{target} is an ONNX node: its layout is ONNX's; "
                                    "a layout or mapping file does not apply")
            from ..adapters.onnx import OnnxTarget

            return OnnxTarget(*parsed, attributes=attributes)
    if attributes:
        raise SeqcheckError(f"attributes ({', '.join(attributes)}) apply to ONNX targets "
                            "(onnx:LSTM, onnxruntime:GRU, ...), not to "
                            f"{target if isinstance(target, str) else type(target).__name__}")
    obj = resolve_target(target)
    name = target if isinstance(target, str) else None
    if mapping is not None:
        if layout is not None:
            raise SeqcheckError("pass a layout or a mapping file, not both")
        from ..adapters.mapping import MappingTarget

        return MappingTarget(obj, mapping, name=name)
    from ..adapters.torch_nn import TorchTarget

    return TorchTarget(obj, layout, name=name)


def verify(target, spec=None, layout=None, *, attributes=None, mapping=None, dtype=None,
           max_examples: int = 100, seed: int = 0, gradients: bool | None = None,
           shrink: bool = True, explain: bool = True, save=None,
           replay=None) -> VerifyResult:
    """Search for a case on which ``target`` and ``spec`` disagree.

    Arguments:
        target: a torch.nn module class or factory called as ``target(input_size,
            hidden_size)``, a module instance (its sizes stay fixed; it is deep-copied),
            a ``"module:attr"`` string naming one, an ONNX node ``"onnx:LSTM"`` /
            ``"onnxruntime:GRU"``, or any :class:`~seqcheck.adapters.base.Target`.
        spec: a bundled spec name, a path, or a Spec; default: the spec of the
            equations the target documents (torch's for its cells, ONNX's operator
            equations for the given attributes).
        layout, attributes, mapping: see :func:`make_target`.
        dtype: the target's dtype (``"float32"`` or ``"float64"``, or a torch dtype);
            default: an instance's own dtype, else the target's first (float32).
        max_examples: cases to try; seed: makes the search reproducible.
        gradients: also compare gradients of a random projection of all outputs (default:
            whenever the target can differentiate; ONNX engines cannot).
        shrink, explain: shrink the counterexample, and look for the change of the spec
            that explains it (both on by default).
        save: a path; a counterexample found is written there (:func:`save_case`, an
            ``.npz``). Nothing is written when the target conforms.
        replay: a path written by ``save``; that one case is checked, with no search, in
            the saved dtype and gradient setting (see :func:`load_case`).
    Returns:
        A :class:`VerifyResult` (``bool(result)`` is ``result.ok``).

    >>> # torch's own LSTM cell conforms to the seed 004 LSTM, gradients included
    >>> import torch
    >>> verify(torch.nn.LSTMCell, max_examples=5).ok
    True
    """
    try:
        import hypothesis
        from hypothesis import HealthCheck, Phase, settings
    except ImportError as e:
        raise SeqcheckError(f"seqcheck verify needs hypothesis ({e.name} is missing): "
                            "pip install 'seqcheck[verify]'") from None
    from ..strategies import cases

    tgt = make_target(target, layout, attributes=attributes, mapping=mapping)
    if spec is None:
        spec = tgt.default_spec()
    elif not isinstance(spec, Spec):
        spec = load_spec(spec)
    saved = None
    if replay is not None:
        saved = load_case(replay)
        if saved.spec != spec.name:
            raise SeqcheckError(f"{replay} holds a counterexample to spec {saved.spec!r}, not "
                                f"{spec.name!r}\n  hint: pass spec={saved.spec!r} (--spec "
                                f"{saved.spec})")
        if dtype is not None and _dtype_name(dtype) != saved.dtype:
            raise SeqcheckError(f"{replay} was found in {saved.dtype}, not "
                                f"{_dtype_name(dtype)}\n  hint: leave out dtype to replay it "
                                "as saved")
        dtype = saved.dtype
        seed = saved.seed
        if gradients is None and saved.gradients and tgt.has_gradients:
            gradients = True
        elif gradients is None:
            gradients = False
    dtype = _dtype_name(dtype) if dtype is not None else tgt.dtypes[0]
    if dtype not in tgt.dtypes:
        raise SeqcheckError(f"{tgt.name} does not run in {dtype}; it runs in "
                            f"{', '.join(tgt.dtypes)}")
    if gradients is None:
        gradients = tgt.has_gradients
    elif gradients and not tgt.has_gradients:
        raise SeqcheckError(f"{tgt.name} cannot differentiate, so its gradients cannot be "
                            "compared\n  hint: verify outputs and states only "
                            "(--no-gradients, gradients=False)")
    unknown = [v for v in (*tgt.outputs, *tgt.states) if v not in spec.variables]
    if unknown:
        raise SeqcheckError(f"spec {spec.name!r} defines no {', '.join(unknown)}, which "
                            f"{tgt.name} returns ({tgt.description}); spec variables: "
                            f"{', '.join(spec.variables)}")
    fixed = tgt.fixed_sizes(spec)
    with _preserved():
        checker = Checker(tgt, spec, dtype, gradients)
        if saved is not None:
            return _replay(checker, saved, replay, explain)
        strategy = cases(spec, fixed_sizes=fixed)
        found = None
        worst: list = [0.0, None, None]

        def diverges(case) -> bool:
            # Shrink towards cases that diverge clearly: a case shrunk to the edge of the
            # tolerance (tiny weights where a defect barely shows) explains nothing.
            check = checker.check(case)
            if check.ratio > worst[0]:
                worst[:] = [check.ratio, case, check]
            return check.ratio > DECISIVE

        try:
            found = hypothesis.find(
                strategy, diverges,
                settings=settings(max_examples=max_examples, database=None, deadline=None,
                                  suppress_health_check=list(HealthCheck),
                                  phases=[Phase.generate, Phase.shrink] if shrink
                                  else [Phase.generate]),
                random=random.Random(seed),
            )
        except hypothesis.errors.NoSuchExample:
            if worst[0] > 1:  # only marginal divergences: report the clearest one, unshrunk
                found = worst[1]
        except hypothesis.errors.Flaky:
            # The same case diverged once and conformed when run again: the target is not
            # a function of its inputs. Report the divergent run, unshrunk.
            found, first = worst[1], worst[2]
            again = checker.check(found)
            note = ("the target is not deterministic: this case diverged on one run and "
                    + ("conformed" if again.ok else "diverged differently")
                    + " when run again on the same arrays")
            result = VerifyResult(False, tgt.name, spec.name, tgt.description, max_examples,
                                  seed, dtype, gradients, found, first, note)
            if save is not None:
                save_case(save, result)
            return result
        if found is None:
            return VerifyResult(True, tgt.name, spec.name, tgt.description, max_examples,
                                seed, dtype, gradients)
        final = checker.check(found)
        explanation = _explain(checker, found) if explain else None
    result = VerifyResult(False, tgt.name, spec.name, tgt.description, max_examples, seed,
                          dtype, gradients, found, final, explanation)
    if save is not None:
        save_case(save, result)
    return result


def _replay(checker: Checker, saved: SavedCase, path, explain: bool) -> VerifyResult:
    """Check the one saved case; its arrays must fit the spec at the saved sizes."""
    from ..strategies import case_shapes

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
    explanation = _explain(checker, case) if explain else None
    return VerifyResult(False, tgt.name, spec.name, tgt.description, 1, saved.seed,
                        checker.dtype, checker.gradients, case, check, explanation,
                        replayed=str(path))


# -- saving and replaying a counterexample ---------------------------------------------
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
    from ..strategies import Case

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
                   for g in _GROUPS})
    return SavedCase(case, str(data["target"]), str(data["spec"]), str(data["dtype"]),
                     int(data["seed"]), bool(data["gradients"]))


def _dtype_name(dtype) -> str:
    """``"float32"`` for torch.float32, np.float32, "float32"; refuses anything else."""
    name = str(dtype).replace("torch.", "")
    try:
        name = np.dtype(name).name
    except TypeError:
        pass
    if name not in ("float32", "float64"):
        raise SeqcheckError(f"dtype must be float32 or float64; got {dtype}")
    return name
