"""Run generated modules: bind dims from arrays, call forward/backward, wrap the results.

Shared by the NumPy and torch backends; the backend only chooses the array namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy
import sympy as sp

from ..derive.gradients import Gradients
from ..errors import CompileError, ShapeError
from ..spec.grammar import format_shape
from ..spec.model import Spec
from ..spec.schedule import make_schedule
from .codegen import module_source

__all__ = ["Trajectory", "Gradients", "CompiledSpec", "load_module"]

_CODE_CACHE: dict[str, dict] = {}


def load_module(source: str, filename: str) -> dict:
    """Execute generated source once per distinct text and return its namespace.

    The source is our own printer's output over validated identifiers and exact numbers;
    no text from a spec file is executed.
    """
    ns = _CODE_CACHE.get(source)
    if ns is None:
        ns = {"__name__": "seqcheck_generated"}
        exec(compile(source, filename, "exec"), ns)  # noqa: S102
        _CODE_CACHE[source] = ns
    return ns


@dataclass(frozen=True)
class Trajectory:
    """The result of a forward pass.

    Arguments:
        values: every variable over time, ``(T, B, *shape)`` (scalars: ``(T, B)``).
        final: every state's value at the end of its sweep (t = T forward, t = 1
            backward), ``(B, *shape)``.
        dims: the binding of every dim.
        steps, batch: T and B.
        raw: the values as the generated code returned them (scalars keep a length-1
            axis), with the forward values it keeps for the backward pass (names
            starting with ``_``); the backward pass takes these.
        arrays: the inputs, parameters and initial states the pass ran on, converted.
    """

    values: Mapping[str, object]
    final: Mapping[str, object]
    dims: Mapping[str, int]
    steps: int
    batch: int
    raw: Mapping[str, object]
    arrays: Mapping[str, Mapping[str, object]]

    def __getitem__(self, name: str):
        return self.values[name]


def _expect(lead: tuple, shape: tuple) -> str:
    return format_shape((*lead, *shape))


def bind_dims(spec: Spec, arrays: dict, leading: dict[str, tuple]) -> tuple[dict, list[str]]:
    """Bind dims from array shapes (declaration order); returns the binding and the problems."""
    binding: dict[str, int] = {}
    source: dict[str, str] = {}
    problems: list[str] = []
    decls = {**spec.params, **spec.inputs, **spec.states}
    # Plain dims first, then check compound entries (1 + N_u) against the binding.
    for compound in (False, True):
        for name, arr in arrays.items():
            d = decls[name]
            lead = leading.get(name, ())
            shape = tuple(arr.shape)[len(lead):]
            if len(shape) != len(d.shape):
                if not compound:
                    problems.append(f"{name}: expected {len(lead) + len(d.shape)} axes "
                                    f"{_expect(lead, d.shape)}, got shape {tuple(arr.shape)}")
                continue
            for k, (sym, n) in enumerate(zip(d.shape, shape)):
                sym = sp.sympify(sym)
                if isinstance(sym, sp.Symbol):
                    if compound:
                        continue
                    if sym.name not in binding:
                        binding[sym.name] = int(n)
                        source[sym.name] = f"{name} axis {len(lead) + k}"
                    elif binding[sym.name] != n:
                        problems.append(f"{name}: axis {len(lead) + k} is {n}, but "
                                        f"{sym.name} = {binding[sym.name]} "
                                        f"(from {source[sym.name]})")
                elif compound:
                    want = sym.subs({sp.Symbol(k2, integer=True, positive=True): v
                                     for k2, v in binding.items()})
                    if want.is_Integer and int(want) != n:
                        problems.append(f"{name}: axis {len(lead) + k} is {n}, but {sym} = {want}")
    return binding, problems


def _nonfinite(a) -> tuple[tuple, int] | None:
    """The index of ``a``'s first NaN or ±inf (row-major) and their count, or None."""
    bad = ~(a.isfinite() if hasattr(a, "isfinite") else numpy.isfinite(a))  # torch or NumPy
    if not bool(bad.any()):
        return None
    flat = int(bad.reshape(-1).nonzero()[0][0])
    return tuple(int(i) for i in numpy.unravel_index(flat, tuple(a.shape))), int(bad.sum())


def _check_finite(split: Mapping) -> None:
    """Refuse NaN and ±inf in the arrays a pass runs on, naming the first one."""
    kinds = {"params": "parameter", "inputs": "input", "initial": "initial state"}
    for group, arrays in split.items():
        for name, a in arrays.items():
            found = _nonfinite(a)
            if found is not None:
                idx, count = found
                raise ShapeError(
                    f"{kinds[group]} '{name}' has a non-finite value {float(a[idx])} at index "
                    f"{list(idx)} ({count} of {int(numpy.prod(tuple(a.shape)))} entries are "
                    "NaN or ±inf); seqcheck compares finite values only\n  hint: replace "
                    "them (numpy.nan_to_num), or pass allow_nonfinite=True to run on them "
                    "anyway")


class CompiledSpec:
    """A spec compiled to generated code, run on one array namespace.

    Arguments:
        spec: the validated spec.
        namespace: a :mod:`~seqcheck.backends.namespaces` object (dtype, device).
        derivation: the spec's derivation, to compile ``backward`` too (optional).
        seeded: variables whose loss gradients the backward pass takes (default: outputs).
        stack, keep, hoist: the generator's passes
            (:func:`~seqcheck.backends.codegen.module_source`); on by default, off only to
            compare against the plain code.

    Call it (or :meth:`forward`) as ``compiled(params, inputs, initial=None, steps=None)``:
        params: ``{name: array}`` with exactly the declared shapes (all required).
        inputs: sequence inputs ``(T, B, ...)``, static inputs ``(B, ...)``.
        initial: optional ``{state: (B, ...)}`` overriding declared initial values.
        steps: T, needed only when the spec has no sequence input.
    """

    def __init__(self, spec: Spec, namespace, derivation=None, seeded=None, *,
                 stack: bool = True, keep: bool = True, hoist: bool = True):
        self.spec = spec
        self.xp = namespace
        self.derivation = derivation
        self.seeded = tuple(seeded if seeded is not None else spec.outputs)
        unknown = [v for v in self.seeded if v not in spec.variables]
        if unknown:
            raise ShapeError(f"cannot seed {', '.join(unknown)}: not variables of {spec.name!r}")
        self._passes = {"stack": stack, "keep": keep, "hoist": hoist}
        self.source = self._source(lists=False)
        ns = load_module(self.source, f"<seqcheck {namespace.name}: {spec.name}>")
        self._forward = ns["forward"]
        self._backward = ns.get("backward")
        self._forward_lists = None
        self._schedule = make_schedule(spec)

    def _source(self, lists: bool) -> str:
        try:
            return module_source(self.spec, self.derivation, self.seeded, lists=lists,
                                 **self._passes)
        except CompileError as e:
            raise CompileError(f"{self.xp.name} backend: {e}") from None

    def _forward_for(self, split: Mapping):
        """The generated forward to run: in place, unless autograd records this pass.

        Writing per-step values into preallocated arrays is what torch autograd cannot
        follow; when the namespace says it records the arrays (``records_autograd``), the
        list form of the same module runs (compiled on first use).
        """
        records = getattr(self.xp, "records_autograd", None)
        if records is None or not records([a for g in split.values() for a in g.values()]):
            return self._forward
        if self._forward_lists is None:
            source = self._source(lists=True)
            ns = load_module(source, f"<seqcheck {self.xp.name} (autograd): {self.spec.name}>")
            self._forward_lists = ns["forward"]
        return self._forward_lists

    @property
    def dtype(self):
        return self.xp.dtype

    def _arrays(self, params, inputs, initial, steps):
        spec = self.spec
        arrays, leading, problems = {}, {}, []
        for kind, given, declared in (("parameter", params, spec.params),
                                      ("input", inputs, spec.inputs),
                                      ("initial state", initial, spec.states)):
            unknown = sorted(set(given) - set(declared))
            missing = sorted(set(declared) - set(given)) if kind != "initial state" else []
            problems += [f"unknown {kind} '{n}' (declared: {', '.join(declared) or 'none'})"
                         for n in unknown]
            problems += [f"missing {kind} '{n}' of shape {declared[n].shape_str()}"
                         for n in missing]
            for n in [n for n in declared if n in given]:
                arrays[n] = self.xp.asarray(given[n])
                if kind == "input":
                    leading[n] = ("B",) if declared[n].static else ("T", "B")
                elif kind == "initial state":
                    leading[n] = ("B",)
        binding, shape_problems = bind_dims(spec, arrays, leading)
        problems += shape_problems
        T, B = steps, None
        for n, lead in leading.items():
            shape = tuple(arrays[n].shape)
            if len(lead) == 2 and len(shape) >= 2:
                if T is not None and shape[0] != T:
                    problems.append(f"input '{n}' has {shape[0]} steps, expected T = {T}")
                T = shape[0] if T is None else T
            if len(shape) >= len(lead):
                b = shape[len(lead) - 1]
                if B is not None and b != B:
                    problems.append(f"'{n}' has batch size {b}, expected B = {B}")
                B = b if B is None else B
        if T is None:
            problems.append("no sequence input gives the number of steps: pass steps=T")
        B = 1 if B is None else B
        unbound = [d.name for d in spec.dims if d.name not in binding]
        if unbound and not problems:
            problems.append(f"dims {', '.join(unbound)} are not bound by any array")
        if problems:
            decl = [f"  {n}: {_expect(leading.get(n, ()), d.shape)}"
                    for n, d in {**spec.params, **spec.inputs}.items()]
            bound = ", ".join(f"{k} = {v}" for k, v in binding.items()) or "none"
            raise ShapeError(
                f"arrays do not fit spec {spec.name!r}:\n  - " + "\n  - ".join(problems)
                + "\ndeclared shapes (T steps, B batch):\n" + "\n".join(decl)
                + f"\ndim bindings: {bound}" + (f", T = {T}" if T else "") + f", B = {B}")
        split = {
            "params": {n: arrays[n] for n in spec.params},
            # a scalar input (T, B) runs as a batched scalar (T, B, 1), like a scalar variable
            "inputs": {n: arrays[n][..., None] if spec.inputs[n].shape == () else arrays[n]
                       for n in spec.inputs},
            "initial": {n: arrays[n] for n in initial},
        }
        return split, binding, T, B

    def forward(self, params: Mapping, inputs: Mapping, initial: Mapping | None = None,
                steps: int | None = None, *, allow_nonfinite: bool = False) -> Trajectory:
        """Run the spec forward; see the class docstring.

        A NaN or ±inf in a parameter, input or initial state raises :class:`ShapeError`
        naming the array and the index of its first non-finite entry, because a
        comparison against such a pass would compare nothing. ``allow_nonfinite=True``
        runs on it anyway (to study how non-finite values propagate).
        """
        split, binding, T, B = self._arrays(params, inputs, dict(initial or {}), steps)
        if not allow_nonfinite:
            _check_finite(split)
        with self.xp.errstate():
            raw = self._forward_for(split)(split["params"], split["inputs"], split["initial"],
                                           T, B, binding, self.xp)
        # raw also holds the values the forward keeps for the backward ('_tanh_c', ...)
        values = {k: (v[..., 0] if self.spec.equation(k).shape == () else v)
                  for k, v in raw.items() if k in self.spec.variables}
        final = {}
        for s in self.spec.states:
            forward_in_time = (self._schedule.sweep_of(s).direction or 1) > 0
            final[s] = values[s][-1 if forward_in_time else 0]
        return Trajectory(MappingProxyType(values), MappingProxyType(final),
                          MappingProxyType(binding), T, B, MappingProxyType(raw),
                          MappingProxyType(split))

    __call__ = forward

    def backward(self, trajectory: Trajectory, seeds: Mapping) -> Gradients:
        """BPTT: gradients of L = Σ_t Σ_v ⟨seeds[v]_t, v_t⟩ w.r.t. everything.

        Arguments:
            trajectory: the forward pass to differentiate (its arrays are reused).
            seeds: ``{variable: (T, B, *shape)}``, ∂L/∂v_t for each seeded variable;
                a variable left out has a zero seed.
        Returns:
            :class:`Gradients`, shaped like what the forward pass took.
        """
        if self._backward is None:
            raise ShapeError("compiled without a derivation: pass derivation=derive(spec)")
        unknown = sorted(set(seeds) - set(self.seeded))
        if unknown:
            raise ShapeError(f"seeds for {', '.join(unknown)}, but this compilation seeds "
                             f"only {', '.join(self.seeded) or 'nothing'}")
        T, B = trajectory.steps, trajectory.batch
        full = {}
        for v in self.seeded:
            shape = tuple(trajectory.raw[v].shape)
            if v in seeds:
                s = self.xp.asarray(seeds[v])
                s = s.reshape(shape) if self.spec.equation(v).shape == () else s
                if tuple(s.shape) != shape:
                    raise ShapeError(f"seed for '{v}' has shape {tuple(s.shape)}, "
                                     f"expected {shape}")
                full[v] = s
            else:
                full[v] = self.xp.zeros(shape)
        a = trajectory.arrays
        with self.xp.errstate():
            out = self._backward(a["params"], a["inputs"], a["initial"], trajectory.raw, full,
                                 T, B, dict(trajectory.dims), self.xp)
        params = {n: g.reshape(tuple(a["params"][n].shape)) for n, g in out["params"].items()}
        inputs = {n: g[..., 0] if self.spec.inputs[n].shape == () else g  # (T, B) as given
                  for n, g in out["inputs"].items()}
        return Gradients(MappingProxyType(params), MappingProxyType(inputs),
                         MappingProxyType(dict(out["initial"])))
