"""Verify at one fixed, possibly production, size: a handful of cases, every gradient.

The search of :func:`~seqcheck.checks.verify.verify` draws small cases and shrinks them.
That is where defects are cheapest to find and to read. A user who ships a 4-layer
bidirectional LSTM at hidden size 1024 also wants to know that this very configuration
conforms at the lengths it runs, with the kernels torch picks for those shapes (oneDNN's
fused RNN, blocked GEMMs). Those paths are not taken at D = H = 2.

:func:`verify_at_size` checks ``cases`` cases at one size (:class:`Size`; the profile
``"production"`` is D = 512, H = 1024, four bidirectional layers for torch's RNN, LSTM
and GRU, T = 256, B = 8) and reports per-case time, the process's peak memory and how
much of its tolerance the worst compared entry used. What differs from the search:

- **Values come from NumPy, seeded** (``numpy.random.default_rng([seed, k])`` for case
  k). Four bidirectional LSTM layers at H = 1024 have 88 million parameters, far more
  than a Hypothesis draw can hold, and shrinking would leave the size anyway. Each
  weight matrix is uniform on ±f/√fan-in (torch's initialisation at f = 1), with
  f = 1, 3, 1/3 in turn, so that some case saturates the gates. Scalars lie in [0, 1],
  like the search's leak rates. Inputs and seeds are uniform on [-1, 1], initial states
  on [-1/2, 1/2]. Every value is rounded to the target's dtype first, so the float64
  reference computes on exactly the numbers the target receives.
- **The tolerance is measured** (``Checker(..., rounding="measured")``, :mod:`.rounding`):
  at most 16 times the spec's own float32 rounding on the case. The a-priori model is
  orders of magnitude too loose at this size and would hide a gate that reads a wrong
  bias.
- **The first diverging case ends the run.** Its divergences name the layer and
  direction (``final state c_l2_reverse``, ``gradient W_hf_l1``), and it is not shrunk.
"""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ...display import Displayable
from ...errors import SeqcheckError
from .result import CaseCheck, VerifyResult

__all__ = ["Size", "PROFILES", "parse_size", "size_case", "verify_at_size", "SizedResult"]

#: torch.nn classes that take ``num_layers`` and ``bidirectional``.
_STACKED = ("RNN", "LSTM", "GRU")
#: The weight scale f of case k is FACTORS[k % 3] (times 1/√fan-in).
FACTORS = (1.0, 3.0, 1 / 3)
#: The text shows the BLAS hint (``SizedResult.hint``) when the cases took this long.
NOTE_SECONDS = 10.0


@dataclass(frozen=True)
class Size:
    """One size to verify at.

    Arguments:
        name: ``"production"``, or the spelling it was parsed from.
        sizes: ``{dim: size}``, e.g. ``{"D": 512, "H": 1024}``.
        steps, batch: T and B.
        cases: how many cases to check by default.
        module: constructor arguments for torch's RNN, LSTM and GRU classes
            (``{"num_layers": 4, "bidirectional": True}``); ignored for other targets.
    """

    name: str
    sizes: Mapping[str, int]
    steps: int
    batch: int
    cases: int = 3
    module: Mapping[str, object] = field(default_factory=dict)

    def describe(self) -> str:
        """``"D=512, H=1024, T=256, B=8"``, with the module arguments where there are any.

        >>> PROFILES["production"].describe()
        'D=512, H=1024, T=256, B=8 (num_layers=4, bidirectional=True)'
        """
        dims = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        extra = ", ".join(f"{k}={v!r}" for k, v in self.module.items())
        return f"{dims}, T={self.steps}, B={self.batch}" + (f" ({extra})" if extra else "")


#: Named sizes.
PROFILES: dict[str, Size] = {
    "production": Size("production", {"D": 512, "H": 1024}, steps=256, batch=8, cases=3,
                       module={"num_layers": 4, "bidirectional": True}),
}


def parse_size(text: str) -> Size:
    """A :class:`Size` from a profile name or ``"D=64,H=128,T=100,B=8"``.

    T and B are required; every other ``NAME=N`` is a dim. ``layers=N`` and
    ``bidirectional=1`` set the module arguments of torch's RNN, LSTM and GRU.

    >>> parse_size("D=3,H=5,T=7,B=2,layers=2").describe()
    'D=3, H=5, T=7, B=2 (num_layers=2)'
    """
    if text in PROFILES:
        return PROFILES[text]
    values: dict[str, int] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or not name.isidentifier() or not value.strip().isdigit():
            raise SeqcheckError(f"size {text!r}: {part.strip()!r} is not NAME=N\n  hint: a "
                                f"profile ({', '.join(PROFILES)}) or D=64,H=128,T=100,B=8")
        if name in values:
            raise SeqcheckError(f"size {text!r}: {name} is given twice")
        values[name] = int(value)
    missing = [k for k in ("T", "B") if k not in values]
    if missing:
        raise SeqcheckError(f"size {text!r} gives no {' and no '.join(missing)}\n  hint: "
                            "T is the number of steps and B the batch, e.g. T=100,B=8")
    if values["T"] < 1 or values["B"] < 1:
        raise SeqcheckError(f"size {text!r}: T and B must be at least 1")
    module: dict[str, object] = {}
    if "layers" in values:
        module["num_layers"] = values.pop("layers")
    if "bidirectional" in values:
        module["bidirectional"] = bool(values.pop("bidirectional"))
    steps, batch = values.pop("T"), values.pop("B")
    return Size(text, values, steps, batch, module=module)


def size_case(spec, sizes: Mapping[str, int], steps: int, batch: int, outputs, seed: int,
              k: int, dtype: str):
    """Case ``k`` of the run seeded ``seed``: see the module docstring for its values.

    Arguments:
        spec: the spec; sizes: a size for each of its dims.
        outputs: the variables that get projection seeds (the target's outputs and states).
        dtype: the target's dtype; every value is exactly representable in it.
    """
    from ...strategies import Case
    from ...strategies.shapes import case_shapes

    shapes = case_shapes(spec, sizes, outputs=tuple(outputs))
    rng = np.random.default_rng([seed, k])
    factor = FACTORS[k % len(FACTORS)]
    exact = np.dtype(dtype)

    def uniform(low, high, shape):
        return rng.uniform(low, high, shape).astype(exact).astype(np.float64)

    def parameter(shape):
        if not shape:  # a scalar: a leak rate in [0, 1]
            return uniform(0.0, 1.0, shape)
        bound = factor / math.sqrt(shape[-1] if len(shape) > 1 else shape[0])
        return uniform(-bound, bound, shape)

    params = {n: parameter(s) for n, s in shapes.params.items()}
    inputs = {n: uniform(-1, 1, (steps, batch, *s)) for n, s in shapes.sequence.items()}
    inputs.update({n: uniform(-1, 1, (batch, *s)) for n, s in shapes.static.items()})
    initial = {n: uniform(-0.5, 0.5, (batch, *s)) for n, s in shapes.states.items()}
    seeds = {n: uniform(-1, 1, (steps, batch, *s)) for n, s in shapes.outputs.items()}
    return Case(dict(sizes), steps, batch, params, inputs, initial, seeds)


def _peak_memory() -> int:
    """The process's peak resident memory so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


@dataclass(frozen=True)
class SizedResult(Displayable):
    """The answer of :func:`verify_at_size`: the verify result, and what the run cost.

    Arguments:
        result: a :class:`VerifyResult` (its ``examples`` are the cases checked).
        size: the size.
        seconds: the wall-clock seconds of each case checked (target, reference passes
            and comparison).
        margins: per case, the largest |Δ| / tolerance over every compared entry.
        peak_memory: the process's peak resident memory in bytes, at the end.
        blas: the kernels NumPy's OpenBLAS ran (:func:`seqcheck.blas.openblas_core`).
        hint: what would make the float64 reference faster on this processor
            (:func:`seqcheck.blas.kernel_hint`), or None; the text shows it when the
            cases took :data:`NOTE_SECONDS` or more.
    """

    result: VerifyResult
    size: Size
    seconds: tuple[float, ...]
    margins: tuple[float, ...]
    peak_memory: int
    blas: str | None = None
    hint: str | None = None

    def __bool__(self) -> bool:
        return self.result.ok

    @property
    def ok(self) -> bool:
        return self.result.ok

    def format_text(self) -> str:
        total = sum(self.seconds)
        lines = [self.result.format_text(),
                 f"  at size {self.size.name}: {self.size.describe()}; {len(self.seconds)} "
                 f"case{'s' * (len(self.seconds) != 1)} in {total:.1f} s "
                 f"({total / max(len(self.seconds), 1):.1f} s each); peak memory "
                 f"{self.peak_memory / 2 ** 30:.2f} GiB"]
        if self.result.ok and self.margins:
            lines.append(f"  the worst compared entry used {max(self.margins):.2g} of its "
                         "tolerance (16 times the spec's own float32 rounding on the case)")
        if self.hint and sum(self.seconds) >= NOTE_SECONDS:  # where the time matters
            lines.append(f"  note: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {**self.result.as_dict(),
                "size": {"name": self.size.name, "sizes": dict(self.size.sizes),
                         "steps": self.size.steps, "batch": self.size.batch,
                         "module": dict(self.size.module)},
                "seconds": list(self.seconds), "margins": list(self.margins),
                "peak_memory_bytes": self.peak_memory, "openblas_kernels": self.blas,
                "hint": self.hint}


def configured(target, size: Size):
    """``target`` built with the size's module arguments where it is torch's RNN, LSTM
    or GRU class (named or as the class); any other target is returned as it is."""
    from .targets import resolve_target

    if not size.module:
        return target
    obj = resolve_target(target) if isinstance(target, str) and ":" not in target \
        and target.startswith("torch.nn.") else target
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is an optional dependency
        return target
    if isinstance(obj, type) and obj.__name__ in _STACKED and getattr(torch.nn, obj.__name__,
                                                                      None) is obj:
        from ...adapters.torch_nn.modules import configured_factory

        return configured_factory(obj, **size.module)
    return target


def verify_at_size(target, spec=None, *, attributes=None, mapping=None,
                   size: Size | str = "production",
                   cases: int | None = None, seed: int = 0, dtype=None,
                   gradients: bool | None = None,
                   progress: Callable[[int, int], None] | None = None) -> SizedResult:
    """Check ``target`` against ``spec`` on ``cases`` cases at one size.

    Arguments:
        target, spec, attributes, mapping, dtype, gradients: as for
            :func:`~seqcheck.checks.verify.verify`.
            A torch RNN, LSTM or GRU class is built with the size's module arguments.
        size: a :class:`Size`, a profile name or ``"D=..,H=..,T=..,B=.."``.
        cases: how many cases (default the size's own).
        seed: case k's values come from ``numpy.random.default_rng([seed, k])``.
        progress: called with (cases done, cases) before each case.
    """
    from ...blas import cpu_flags, kernel_hint, openblas_core
    from ...spec import Spec, load_spec
    from .checker import Checker
    from .search import preserved, settle
    from .targets import make_target

    size = parse_size(size) if isinstance(size, str) else size
    cases = size.cases if cases is None else cases
    if cases < 1:
        raise SeqcheckError("verify at a size needs at least one case")
    tgt = make_target(configured(target, size), attributes=attributes, mapping=mapping)
    spec = tgt.default_spec() if spec is None else spec if isinstance(spec, Spec) \
        else load_spec(spec)
    dtype, gradients = settle(tgt, spec, dtype, gradients)
    sizes = _bind_sizes(spec, size, tgt.fixed_sizes(spec) or {})
    seconds: list[float] = []
    margins: list[float] = []
    found = check = None
    with preserved():
        checker = Checker(tgt, spec, dtype, gradients, rounding="measured")
        outputs = dict.fromkeys((*tgt.outputs, *tgt.states))
        for k in range(cases):
            if progress is not None:
                progress(k, cases)
            case = size_case(spec, sizes, size.steps, size.batch, outputs, seed, k, dtype)
            t0 = time.perf_counter()
            check: CaseCheck = checker.check(case)
            seconds.append(time.perf_counter() - t0)
            margins.append(check.margin if check.margin is not None else check.ratio)
            if not check.ok:
                found = case
                break
    result = VerifyResult(found is None, tgt.name, spec.name, tgt.description, len(seconds),
                          seed, dtype, gradients, found, None if found is None else check)
    core = openblas_core()
    return SizedResult(result, size, tuple(seconds), tuple(margins), _peak_memory(), core,
                       kernel_hint(core, cpu_flags()))


def _bind_sizes(spec, size: Size, fixed: Mapping[str, int]) -> dict[str, int]:
    """A size for every dim of ``spec``: the target's own (an instance), else the size's."""
    dims = [d.name for d in spec.dims]
    out = {}
    for d in dims:
        given, own = size.sizes.get(d), fixed.get(d)
        if given is not None and own is not None and given != own:
            raise SeqcheckError(f"the target's {d} is {own}, the size asks for {given}")
        value = own if own is not None else given
        if value is None:
            raise SeqcheckError(f"size {size.name!r} gives no {d} (spec {spec.name!r} has "
                                f"dims {', '.join(dims)})\n  hint: add {d}=N")
        out[d] = int(value)
    extra = sorted(set(size.sizes) - set(dims))
    if extra:
        raise SeqcheckError(f"spec {spec.name!r} has no dim {', '.join(extra)} (its dims: "
                            f"{', '.join(dims)})")
    return out
