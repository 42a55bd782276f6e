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

    rtol = 16·ε·(1 + T),   atol = rtol·m,   m = 1 + max|θ|·(D + H)

for values, and 16 times both for gradients, where ε is the target dtype's machine
epsilon and max|θ| the largest parameter. float64 targets are held to ≈ 1e-13, float32
ones to ≈ 1e-5 at small sizes; both grow with T and with the size of the
pre-activations.

The target is never altered: a module instance is deep-copied, torch's and NumPy's
RNG states, torch's default dtype and grad mode are restored, also when the target
raises.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..errors import SeqcheckError
from ..spec import Spec, load_spec, variant

__all__ = ["Divergence", "CaseCheck", "VerifyResult", "verify", "resolve_target", "tolerance",
           "DECISIVE"]

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
        return max((d.abs_err / d.tol if d.tol > 0 else float("inf") for d in self.divergences),
                   default=0.0)


@dataclass(frozen=True)
class VerifyResult:
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

    def __bool__(self) -> bool:
        return self.ok

    def format_text(self) -> str:
        head = (f"{self.target} against spec '{self.spec}' ({self.layout}, {self.dtype}, "
                f"{'outputs, states and gradients' if self.gradients else 'outputs and states'})")
        if self.ok:
            return (f"conforms: {head}\n  {self.examples} generated cases, seed {self.seed}")
        case = self.counterexample
        lines = [f"does not conform: {head}",
                 f"  counterexample ({self.examples} cases searched, seed {self.seed}; "
                 f"replay with --seed {self.seed}): {case.describe()}"]
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
               "gradients": self.gradients, "counterexample": None}
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


def tolerance(dtype, steps: int, params: Mapping, sizes: Mapping, gradients: bool = False):
    """(rtol, atol) of the tolerance model in the module docstring."""
    eps = float(np.finfo(np.dtype(dtype)).eps)
    rtol = 16 * eps * (1 + steps)
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
    import torch

    torch_rng = torch.get_rng_state()
    numpy_rng = np.random.get_state()
    py_rng = random.getstate()
    dtype = torch.get_default_dtype()
    grad = torch.is_grad_enabled()
    try:
        yield
    finally:
        torch.set_rng_state(torch_rng)
        np.random.set_state(numpy_rng)
        random.setstate(py_rng)
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)


class _Checker:
    """Runs one case on the target and on the spec and compares them."""

    def __init__(self, target, spec: Spec, layout, dtype, gradients: bool):
        import torch

        self.torch = torch
        self.target = target
        self.spec = spec
        self.layout = layout
        self.dtype = dtype
        self.gradients = gradients
        self.instance = isinstance(target, torch.nn.Module)
        self._modules: dict = {}
        self._compiled: dict = {}
        self.observed = tuple(layout.outputs)

    def compiled(self, spec: Spec):
        from ..backends import compile_numpy

        key = id(spec)
        if key not in self._compiled:
            seeded = tuple(dict.fromkeys(self.observed + tuple(self.layout.states)))
            self._compiled[key] = (spec, compile_numpy(spec, gradients=True, seeded=seeded))
        return self._compiled[key][1]

    def module(self, sizes):
        D, H = sizes["D"], sizes["H"]
        if self.instance:
            # seqcheck's own copy: every parameter takes gradients, whatever the user froze
            m = copy.deepcopy(self.target).to(self.dtype)
            for p in m.parameters():
                p.requires_grad_(True)
            return m
        if (D, H) not in self._modules:
            m = self.target(D, H)
            self._modules[(D, H)] = m.to(self.dtype)
        return self._modules[(D, H)]

    def run_target(self, case):
        torch = self.torch
        module = self.module(case.sizes)
        self.layout.set_params(module, case.params)
        for p in module.parameters():
            p.grad = None
        x = torch.tensor(case.inputs["x"], dtype=self.dtype, requires_grad=True)
        initial = {s: torch.tensor(case.initial[s], dtype=self.dtype, requires_grad=True)
                   for s in self.layout.states}
        with torch.enable_grad():
            per_step, final = self.layout.run(module, x, initial)
            loss = 0
            for v in self.observed:
                loss = loss + (per_step[v] * torch.tensor(case.seeds[v], dtype=self.dtype)).sum()
            for s in self.layout.states:
                if s not in self.observed:
                    loss = loss + (final[s] * torch.tensor(case.seeds[s][-1],
                                                           dtype=self.dtype)).sum()
            if self.gradients:
                loss.backward()
        out = {
            "per_step": {v: per_step[v].detach().double().numpy() for v in self.observed},
            "final": {s: final[s].detach().double().numpy() for s in self.layout.states},
        }
        if self.gradients:
            out["params"] = self.layout.grads(module)
            out["x"] = x.grad.double().numpy()
            out["initial"] = {s: initial[s].grad.double().numpy() for s in self.layout.states}
        return out

    def run_spec(self, case, spec: Spec):
        c = self.compiled(spec)
        traj = c.forward(dict(case.params), dict(case.inputs),
                         initial={s: case.initial[s] for s in self.layout.states})
        out = {"per_step": {v: np.asarray(traj[v]) for v in self.observed},
               "final": {s: np.asarray(traj.final[s]) for s in self.layout.states}}
        if self.gradients:
            seeds = {}
            for v in c.seeded:
                if v in self.observed:
                    seeds[v] = case.seeds[v]
                else:  # a state seen only at the end: seed its last step
                    s = np.zeros_like(traj.raw[v])
                    s[-1] = case.seeds[v][-1]
                    seeds[v] = s
            g = c.backward(traj, seeds)
            out["params"] = dict(g.params)
            out["x"] = np.asarray(g.inputs["x"])
            out["initial"] = {s: np.asarray(g.initial[s]) for s in self.layout.states}
        return out

    def check(self, case, spec: Spec | None = None) -> CaseCheck:
        spec = spec or self.spec
        try:
            actual = self.run_target(case)
        except Exception as e:  # noqa: BLE001 - any exception of the target is a finding
            return CaseCheck(False, (), f"{type(e).__name__}: {e}")
        expected = self.run_spec(case, spec)
        np_dtype = np.float32 if self.dtype == self.torch.float32 else np.float64
        rtol, atol = tolerance(np_dtype, case.steps, case.params, case.sizes)
        g_rtol, g_atol = tolerance(np_dtype, case.steps, case.params, case.sizes, True)
        divergences: list[Divergence] = []
        for v in self.observed:
            divergences += _compare(f"output {v}", expected["per_step"][v],
                                    actual["per_step"][v], rtol, atol, per_step=True)
        for s in self.layout.states:
            divergences += _compare(f"final state {s}", expected["final"][s],
                                    actual["final"][s], rtol, atol)
        if self.gradients and not divergences:
            for name in expected["params"]:
                divergences += _compare(f"gradient {name}", expected["params"][name],
                                        actual["params"][name], g_rtol, g_atol)
            divergences += _compare("gradient x", expected["x"], actual["x"], g_rtol, g_atol,
                                    per_step=True)
            for s in self.layout.states:
                divergences += _compare(f"gradient {s}_0", expected["initial"][s],
                                        actual["initial"][s], g_rtol, g_atol)
        divergences.sort(key=lambda d: (d.step is None, d.step or 0))
        return CaseCheck(not divergences, tuple(divergences))


def _compare(what, expected, actual, rtol, atol, per_step=False) -> list[Divergence]:
    expected = np.asarray(expected, dtype=np.float64)
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


def _explain(checker: _Checker, case) -> str | None:
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


def _layout_name(layout) -> str:
    return f"layout of {getattr(layout, 'target', type(layout).__name__)}"


def verify(target, spec=None, layout=None, *, dtype=None, max_examples: int = 100,
           seed: int = 0, gradients: bool = True, shrink: bool = True,
           explain: bool = True) -> VerifyResult:
    """Search for a case on which ``target`` and ``spec`` disagree.

    Arguments:
        target: a torch.nn module class or factory called as ``target(input_size,
            hidden_size)``, a module instance (its sizes stay fixed; it is deep-copied),
            or a ``"module:attr"`` string naming one.
        spec: a bundled spec name, a path, or a Spec; default: the layout's spec (the
            equations torch documents for that kind of cell).
        layout: a :mod:`seqcheck.adapters.torch_nn` layout; default: recognised.
        dtype: the target's dtype (``torch.float32`` default, or ``torch.float64``).
        max_examples: cases to try; seed: makes the search reproducible.
        gradients: also compare gradients (of a random projection of all outputs).
        shrink, explain: shrink the counterexample, and look for the change of the spec
            that explains it (both on by default).
    Returns:
        A :class:`VerifyResult` (``bool(result)`` is ``result.ok``).

    >>> # torch's own LSTM cell conforms to the seed 004 LSTM, gradients included
    >>> import torch
    >>> verify(torch.nn.LSTMCell, max_examples=5).ok
    True
    """
    try:
        import hypothesis
        import torch
        from hypothesis import HealthCheck, Phase, settings
    except ImportError as e:
        raise SeqcheckError(f"seqcheck verify needs torch and hypothesis ({e.name} is missing): "
                            "pip install 'seqcheck[verify]'") from None

    from ..adapters.torch_nn import layout_for
    from ..strategies import cases

    obj = resolve_target(target)
    layout = layout or layout_for(obj)
    if spec is None:
        spec = load_spec(layout.spec_name)
    elif not isinstance(spec, Spec):
        spec = load_spec(spec)
    if dtype is None:  # an instance keeps its own dtype; a class is built in float32
        first = next(obj.parameters(), None) if isinstance(obj, torch.nn.Module) else None
        dtype = first.dtype if first is not None else torch.float32
    name = target if isinstance(target, str) else getattr(obj, "__qualname__", None) or \
        type(obj).__qualname__
    fixed = None
    if isinstance(obj, torch.nn.Module):  # an instance: its sizes stay as they are
        from ..backends.compiled import bind_dims

        fixed, problems = bind_dims(spec, layout.get_params(obj), {})
        if problems:
            raise SeqcheckError(f"the parameters of {name} do not fit spec {spec.name!r}: "
                                + "; ".join(problems))
    with _preserved():
        checker = _Checker(obj, spec, layout, dtype, gradients)
        strategy = cases(spec, fixed_sizes=fixed)
        found = None
        worst: list = [0.0, None]

        def diverges(case) -> bool:
            # Shrink towards cases that diverge clearly: a case shrunk to the edge of the
            # tolerance (tiny weights where a defect barely shows) explains nothing.
            ratio = checker.check(case).ratio
            if ratio > worst[0]:
                worst[:] = [ratio, case]
            return ratio > DECISIVE

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
        if found is None:
            return VerifyResult(True, str(name), spec.name, _layout_name(layout), max_examples,
                                seed, str(dtype).replace("torch.", ""), gradients)
        final = checker.check(found)
        explanation = _explain(checker, found) if explain else None
    return VerifyResult(False, str(name), spec.name, _layout_name(layout), max_examples, seed,
                        str(dtype).replace("torch.", ""), gradients, found, final, explanation)
