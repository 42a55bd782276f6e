"""Holding a module to a :class:`~.file.Mapping`: :class:`MappingTarget`."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from ...errors import Diagnostic, SeqcheckError
from ...spec import Spec
from ...spec.grammar import did_you_mean, format_shape
from ..base import Observed, Target, projection_loss
from .file import Mapping, MappingError, Slice, Where, evaluate, load_mapping, probe_sizes

__all__ = ["MappingTarget"]


# -- holding a module to a mapping ----------------------------------------------------
@dataclass(frozen=True)
class _Placed:
    """A spec parameter's slice resolved on one module: ``tensor[key]``, maybe ``.T``."""

    tensor: str
    key: tuple
    transpose: bool

    def view(self, tensor):
        v = tensor[self.key]
        return v.T if self.transpose else v


class MappingTarget(Target):
    """Any torch module under verification through a :class:`Mapping`.

    Arguments:
        target: a class or factory called as ``target(*sizes)`` with the mapping's
            ``build`` dims (``target(input_size, hidden_size)``), or an ``nn.Module``
            instance (deep-copied for every case, never altered; its sizes stay fixed).
        mapping: a :class:`Mapping`, or the path of a mapping file.
        sizes: an instance's ``{dim: size}``, where they cannot be read off its
            parameters through the mapping.
        name: how to print the target (default: its class or factory name).
    Raises:
        MappingError: the mapping does not fit the module, checked at once (:meth:`check`)
            on a module built at :func:`probe_sizes`, or on the instance.

    >>> # torch's GRU cell held to spec gru through a mapping of its stacked tensors
    >>> import torch
    >>> from seqcheck.adapters.mapping import loads_mapping
    >>> rows = {"r": "0:H", "z": "H:2*H", "n": "2*H:3*H"}
    >>> text = 'spec = "gru"\\ncall = "cell"\\nstates = ["h"]\\n[params]\\n' + "".join(
    ...     f'{p}_{s}{g} = "{t}_{s}h[{rows[g]}]"\\n'
    ...     for p, t in (("W", "weight"), ("b", "bias")) for s in "ih" for g in "rzn")
    >>> target = MappingTarget(torch.nn.GRUCell, loads_mapping(text))
    >>> target.outputs, target.states, target.fixed_sizes(target.default_spec())
    (('h',), ('h',), None)
    """

    def __init__(self, target, mapping: Mapping | str | Path, *,
                 sizes: MappingType[str, int] | None = None, name: str | None = None):
        import torch

        self.mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
        self.target = target
        self.instance = isinstance(target, torch.nn.Module)
        if not self.instance and not callable(target):
            raise SeqcheckError(f"expected a torch.nn.Module, its class, or a factory called "
                                f"as target({', '.join(self.mapping.build)}); got "
                                f"{type(target).__name__}")
        if sizes is not None and not self.instance:
            raise SeqcheckError("sizes= gives an instance's sizes; a class or factory is "
                                "built at each case's sizes")
        self.name = name or _name(type(target) if self.instance else target)
        m = self.mapping
        self.description = f"mapping {Path(m.file).name} ({m.call} call)"
        self.states = m.states
        self.outputs = m.outputs
        first = next(target.parameters(), None) if self.instance else None
        default = str(first.dtype).replace("torch.", "") if first is not None else "float32"
        self.dtypes = (default, *(d for d in ("float32", "float64") if d != default))
        self._modules: dict = {}
        self._plans: dict = {}
        if self.instance:
            self._sizes = dict(sizes) if sizes is not None else self._infer_sizes()
        else:
            self._sizes = None
        self.check()

    # -- Target ---------------------------------------------------------------------
    def default_spec(self) -> Spec:
        """The mapping's spec: its parameter names are the ones the mapping maps."""
        return self.mapping.spec

    def fixed_sizes(self, spec) -> dict[str, int] | None:
        """An instance's sizes by dim name; None for a class or factory."""
        if self._sizes is None:
            return None
        if {d.name for d in spec.dims} != set(self._sizes):
            raise SeqcheckError(f"{self.name} is mapped onto spec '{self.mapping.spec.name}' "
                                f"(dims {', '.join(self._sizes)}), not onto spec '{spec.name}'")
        return dict(self._sizes)

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """See :meth:`seqcheck.adapters.base.Target.run`: write ``case.params`` through the
        mapping, call the target as the mapping says, and read gradients back through the
        same slices of ``.grad``."""
        import torch

        m = self.mapping
        if set(case.params) != set(m.params):
            raise SeqcheckError(
                f"the case's parameters ({', '.join(sorted(case.params))}) are not the ones "
                f"mapping {m.file} maps ({', '.join(sorted(m.params))}): verify {self.name} "
                f"against spec '{m.spec.name}'")
        tdtype = _torch_dtype(dtype)
        sizes = dict(case.sizes)
        module = self.module(sizes, dtype)
        plan = self._plan(module, sizes)
        tensors = dict(module.named_parameters())
        with torch.no_grad():
            for name, placed in plan.items():
                view = placed.view(tensors[placed.tensor])
                view.copy_(torch.from_numpy(np.array(case.params[name], dtype=np.float64)))
            for f in m.fixed.values():
                tensors[f.tensor].fill_(f.value)
        for p in tensors.values():
            p.grad = None
        x = torch.tensor(np.array(case.inputs[m.input]), dtype=tdtype,
                         requires_grad=gradients)
        initial = {s: torch.tensor(np.array(case.initial[s]), dtype=tdtype,
                                   requires_grad=gradients) for s in self.states}
        with torch.enable_grad():
            if m.call == "cell":
                per_step, final = self._run_cell(module, x, initial, sizes)
            else:
                per_step, final = self._run_sequence(module, x, initial, sizes)
            if gradients:
                projection_loss(case, self.outputs, self.states, per_step, final,
                                lib=torch).backward()
        observed = Observed(
            per_step={v: per_step[v].detach().double().numpy() for v in self.outputs},
            final={s: final[s].detach().double().numpy() for s in self.states})
        if not gradients:
            return observed
        grads = {}
        for name, placed in plan.items():
            t = tensors[placed.tensor]
            g = t.grad if t.grad is not None else torch.zeros_like(t)
            grads[name] = np.array(placed.view(g).detach().double().numpy())
        return Observed(observed.per_step, observed.final, grads, _grad(x),
                        {s: _grad(initial[s]) for s in self.states})

    # -- modules --------------------------------------------------------------------
    def module(self, sizes: MappingType[str, int], dtype: str = "float64"):
        """The module a case runs on: seqcheck's own, every parameter taking gradients.

        Arguments:
            sizes: ``{dim: size}``; an instance's must be its own.
            dtype: a NumPy dtype name.
        Returns:
            A deep copy of the instance, or the class built at ``sizes`` (cached).
        """
        import copy

        if self.instance:
            self._check_instance_sizes(sizes)
            m = copy.deepcopy(self.target).to(_torch_dtype(dtype))
            for p in m.parameters():
                p.requires_grad_(True)
            return m
        key = (tuple(sizes[d] for d in self.mapping.build), dtype)
        if key not in self._modules:
            self._modules[key] = self._build(key[0]).to(_torch_dtype(dtype))
        return self._modules[key]

    def _build(self, args: tuple[int, ...]):
        """``target(*args)``, a module, built without touching torch's RNG."""
        import torch

        call = f"{self.name}({', '.join(map(str, args))})"
        with torch.random.fork_rng(devices=[]):
            try:
                module = self.target(*args)
            except Exception as e:
                raise SeqcheckError(
                    f"could not build {call}: {type(e).__name__}: {e}\n  hint: the mapping "
                    f"says the target is built as target({', '.join(self.mapping.build)}) "
                    "(its 'build' key); otherwise pass an instance") from e
        if not isinstance(module, torch.nn.Module):
            raise SeqcheckError(f"{call} returned {type(module).__name__}, not a "
                                "torch.nn.Module")
        return module

    def _check_instance_sizes(self, sizes) -> None:
        if dict(sizes) != self._sizes:
            raise SeqcheckError(f"this {self.name} instance has sizes {_sizes_text(self._sizes)}"
                                f"; it cannot run at {_sizes_text(sizes)}")

    # -- validation -----------------------------------------------------------------
    def check(self, sizes: MappingType[str, int] | None = None) -> None:
        """Validate the mapping against a module at ``sizes``, reporting every problem.

        Arguments:
            sizes: ``{dim: size}``; default :func:`probe_sizes` for a class or factory,
                the instance's own sizes for an instance.
        Raises:
            MappingError: unknown target parameters, indices out of range, slices whose
                shape is not the spec parameter's, target elements mapped twice or not at
                all; each located in the mapping file.
        """
        if sizes is not None and set(sizes) != set(self.mapping.build):
            raise SeqcheckError(f"sizes must give every dim of spec "
                                f"'{self.mapping.spec.name}' ({', '.join(self.mapping.build)}); "
                                f"got {_sizes_text(sizes) or 'none'}")
        if self.instance:
            sizes = dict(self._sizes if sizes is None else sizes)
            self._check_instance_sizes(sizes)
            self._plan(self.target, sizes)
        else:
            sizes = dict(probe_sizes(self.mapping) if sizes is None else sizes)
            self._plan(self._build(tuple(sizes[d] for d in self.mapping.build)), sizes)

    def _how(self, sizes) -> str:
        if self.instance:
            return f"the sizes of the given {self.name}"
        args = ", ".join(str(sizes[d]) for d in self.mapping.build)
        return f"the target built as {self.name}({args})"

    def _plan(self, module, sizes: dict[str, int]) -> dict[str, _Placed]:
        key = tuple(sorted(sizes.items()))
        if key not in self._plans:
            self._plans[key] = _Planner(self.mapping, module, sizes, self._how(sizes),
                                        self.name).plan()
        return self._plans[key]

    def _infer_sizes(self) -> dict[str, int]:
        """The instance's dims, solved from its tensor shapes through the mapping.

        Every target axis must end where its last slice ends (at probe sizes, which
        slice that is), and every slice has its spec parameter's extent; the solution
        must be unique, in positive integers.
        """
        m = self.mapping
        tensors = {n: tuple(p.shape) for n, p in self.target.named_parameters()}
        unknown = _unknown_tensors(m, tensors, self.name)
        if unknown:
            raise MappingError(unknown)
        probe = probe_sizes(m)
        equations, ends = [], {}
        for pname, s in m.params.items():
            shape = tensors[s.tensor]
            if len(s.index) > len(shape):
                continue  # reported by check, at whatever sizes
            extents = []
            for a, length in enumerate(shape):
                ix = s.index[a] if a < len(s.index) else None
                if ix is not None and ix.integer:
                    ends.setdefault((s.tensor, a), []).append(ix.start + 1)
                    continue
                start = sp.Integer(0) if ix is None or ix.start is None else ix.start
                stop = sp.Integer(length) if ix is None or ix.stop is None else ix.stop
                if ix is not None and ix.stop is not None:
                    ends.setdefault((s.tensor, a), []).append(ix.stop)
                step = None if ix is None else ix.step
                extents.append(stop - start if step is None or step == 1 else None)
            if s.transpose:
                extents.reverse()
            declared = m.spec.params[pname].shape
            if len(declared) == len(extents):
                equations += [sp.sympify(d) - e for d, e in zip(declared, extents)
                              if e is not None]
        for (tensor, a), stops in ends.items():
            last = max(stops, key=lambda e: evaluate(e, probe))
            equations.append(last - tensors[tensor][a])
        # plain symbols: a rational or negative solution is shown, not silently dropped
        plain = {m.spec.dim(d).symbol: sp.Symbol(d) for d in m.build}
        equations = [e for e in (sp.expand(q.subs(plain)) for q in equations) if e != 0]
        solutions = sp.solve(equations, list(plain.values()), dict=True) if equations else []
        whole = [x for x in solutions if all(v in x and x[v].is_Integer and x[v] > 0
                                             for v in plain.values())]
        if len(whole) == 1:
            return {d: int(whole[0][sp.Symbol(d)]) for d in m.build}
        if not solutions:
            found = "no sizes fit its shapes"
        elif any(len(x) < len(plain) for x in solutions):
            found = "its shapes leave " + ", ".join(
                d for d in m.build if all(sp.Symbol(d) not in x for x in solutions)) \
                + " undetermined"
        else:
            found = "its shapes give " + "; ".join(
                _sizes_text({str(k): v for k, v in x.items()}) for x in solutions) \
                + ", not positive integers"
        raise MappingError(Where(m.file).error(
            "unknown-sizes", f"cannot read the sizes {', '.join(m.build)} of the given "
            f"{self.name} off its parameters through the mapping: {found}",
            details=(f"its parameters: {_shapes_text(tensors)}",),
            hint="pass them: MappingTarget(module, mapping, sizes={"
                 + ", ".join(f"{d!r}: ..." for d in m.build) + "}), or pass the class "
                 "to check the mapping at probe sizes"))

    # -- calls ----------------------------------------------------------------------
    def _run_cell(self, module, x, initial: dict, sizes) -> tuple[dict, dict]:
        import torch

        states = self.states
        state = (tuple(initial[s] for s in states) if len(states) > 1
                 else initial[states[0]])
        trace = {s: [] for s in states}
        B = x.shape[1]
        for t in range(x.shape[0]):
            state = module(x[t], state)
            values = _unpack(state, len(states), f"{self.name}(x_t, state) at step {t + 1}",
                             "state", states)
            for s, v in zip(states, values):
                _expect(v, (B, *self._shape(s, sizes)), f"{s} at step {t + 1}", self.name)
                trace[s].append(v)
        per_step = {s: torch.stack(trace[s]) for s in states}
        return per_step, {s: trace[s][-1] for s in states}

    def _run_sequence(self, module, x, initial: dict, sizes) -> tuple[dict, dict]:
        m = self.mapping
        T, B = x.shape[0], x.shape[1]
        hx = [initial[s].unsqueeze(0) if m.state_layer_axis else initial[s]
              for s in self.states]
        result = module(x.transpose(0, 1) if m.batch_first else x,
                        tuple(hx) if len(hx) > 1 else hx[0])
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise SeqcheckError(f"{self.name}(x, state) returned {type(result).__name__}; "
                                "a sequence target returns (output, state)")
        out, last = result
        outs = _unpack(out, len(self.outputs), f"{self.name}(x, state)'s output", "output",
                       self.outputs)
        lasts = _unpack(last, len(self.states), f"{self.name}(x, state)'s state", "state",
                        self.states)
        per_step, final = {}, {}
        for v, o in zip(self.outputs, outs):
            shape = self._shape(v, sizes)
            _expect(o, (B, T, *shape) if m.batch_first else (T, B, *shape), f"output {v}",
                    self.name)
            per_step[v] = o.transpose(0, 1) if m.batch_first else o
        for s, v in zip(self.states, lasts):
            shape = (B, *self._shape(s, sizes))
            _expect(v, (1, *shape) if m.state_layer_axis else shape, f"final {s}", self.name)
            final[s] = v[0] if m.state_layer_axis else v
        return per_step, final

    def _shape(self, name: str, sizes) -> tuple[int, ...]:
        return tuple(evaluate(sp.sympify(d), sizes) for d in self.mapping.spec.shape_of(name))


class _Planner:
    """Resolves every slice of a mapping on one module at one set of sizes."""

    def __init__(self, mapping: Mapping, module, sizes: dict[str, int], how: str,
                 target: str):
        self.m = mapping
        self.tensors = {n: p for n, p in module.named_parameters()}
        self.sizes = sizes
        self.target = target
        self.dims = (f"dims: {_sizes_text(sizes)} ({how})",)
        self.items: list[Diagnostic] = []

    def plan(self) -> dict[str, _Placed]:
        self.items += _unknown_tensors(self.m, self.tensors, self.target)
        placed = {}
        for name, s in self.m.params.items():
            p = self._place(name, s) if s.tensor in self.tensors else None
            if p is not None:
                placed[name] = p
        if not self.items:
            self._coverage(placed)
        if self.items:
            raise MappingError(self.items)
        return placed

    def _place(self, name: str, s: Slice) -> _Placed | None:
        shape = tuple(self.tensors[s.tensor].shape)
        if len(s.index) > len(shape):
            self.items.append(s.where.error(
                "index-error", f"{name} = {s.text} has {len(s.index)} indices, but "
                f"{s.tensor} has {len(shape)} ax{'i' if len(shape) == 1 else 'e'}s "
                f"(shape {format_shape(shape)})", symbol=name,
                hint="give at most one index per axis"))
            return None
        key, got, ok = [], [], True
        for a, length in enumerate(shape):
            if a >= len(s.index):
                key.append(slice(None))
                got.append(length)
                continue
            ix = s.index[a]
            k, why = ix.resolve(length, self.sizes)
            if why is not None:
                self.items.append(ix.where.error(
                    "out-of-range", f"{why} (axis {a} of {s.tensor})", symbol=name,
                    details=self.dims, hint=f"{s.tensor} has shape {format_shape(shape)}; "
                    "bounds are never clipped or counted from the end"))
                ok = False
                continue
            key.append(k)
            if not ix.integer:
                got.append(len(range(k.start, k.stop, k.step)))
        if not ok:
            return None
        if s.transpose:
            if len(got) != 2:
                self.items.append(s.where.error(
                    "index-error", f"'.T' needs a 2-D slice, but {s.indexed} is "
                    f"{len(got)}-D", symbol=name, hint="remove '.T'"))
                return None
            got.reverse()
        declared = self.m.spec.params[name].shape
        want = tuple(evaluate(sp.sympify(d), self.sizes) for d in declared)
        if tuple(got) != want:
            self.items.append(s.where.error(
                "shape-mismatch", f"{name} = {s.text} has shape {format_shape(tuple(got))}, "
                f"but spec '{self.m.spec.name}' declares {name} {format_shape(declared)} = "
                f"{format_shape(want)}", symbol=name, details=self.dims,
                hint=self._shape_hint(s, tuple(got), want)))
            return None
        return _Placed(s.tensor, tuple(key), s.transpose)

    @staticmethod
    def _shape_hint(s: Slice, got: tuple, want: tuple) -> str:
        if len(got) == 2 and got[::-1] == want:
            return ("remove '.T': the target stores it as the spec does" if s.transpose else
                    "add '.T': the target stores it transposed")
        return "the slice must have the spec parameter's shape at every size; check its bounds"

    def _coverage(self, placed: dict[str, _Placed]) -> None:
        owners = {n: np.full(tuple(t.shape), -1, dtype=np.int64)
                  for n, t in self.tensors.items()}
        names = list(placed)
        for k, name in enumerate(names):
            p = placed[name]
            owner = owners[p.tensor]
            mask = np.zeros(owner.shape, dtype=bool)
            mask[p.key] = True  # a boolean mask: an all-integer key selects one element
            for other in dict.fromkeys(owner[mask & (owner >= 0)].tolist()):
                both = mask & (owner == other)
                first = names[other]
                s = self.m.params[name]
                self.items.append(s.where.error(
                    "overlap", f"{first} and {name} both map {_region(p.tensor, both)}",
                    symbol=name, details=(f'{first} = "{self.m.params[first].text}" at line '
                                          f"{self.m.params[first].where.line}", *self.dims),
                    hint="each target element belongs to exactly one spec parameter; check "
                         "the blocks' bounds"))
            owner[mask & (owner < 0)] = k
        for f in self.m.fixed.values():
            used = owners[f.tensor] >= 0
            if used.any():
                by = ", ".join(names[k] for k in dict.fromkeys(owners[f.tensor][used].tolist()))
                self.items.append(f.where.error(
                    "overlap", f"{f.tensor} is fixed, but [params] maps "
                    f"{_region(f.tensor, used)} ({by})", symbol=f.tensor,
                    hint="a tensor under [fixed] must not be mapped under [params]"))
            owners[f.tensor][...] = len(names)
        for tensor, owner in owners.items():
            free = owner < 0
            if not free.any():
                continue
            if free.all():
                what = (f"no spec parameter maps {tensor} (the whole tensor, shape "
                        f"{format_shape(free.shape)})")
                hint = ("map its elements to spec parameters, or fix its value under "
                        f"[fixed] if the spec does not use it: {tensor} = 0.0")
            else:
                what = (f"no spec parameter maps {_region(tensor, free)} ({int(free.sum())} of "
                        f"{free.size} elements of {tensor})")
                hint = ("map these elements to a spec parameter: verify must set every "
                        "element the target computes with")
            self.items.append(self.m.table.error("uncovered", what, symbol=tensor,
                                                 details=self.dims, hint=hint))


def _unknown_tensors(m: Mapping, tensors: MappingType, target: str) -> list[Diagnostic]:
    """A located error for every name in the mapping that is not a target parameter."""
    out = []
    named = [(s.tensor, s.name_where) for s in m.params.values()]
    for tensor, where in named + [(f.tensor, f.where) for f in m.fixed.values()]:
        if tensor not in tensors:
            close = did_you_mean(tensor, tensors)
            out.append(where.error(
                "unknown-target-param", f"{target} has no parameter '{tensor}'",
                symbol=tensor, hint=(f"did you mean '{close}'? " if close else "")
                + f"its parameters are {_shapes_text(tensors) or 'none'}"))
    return out


def _region(tensor: str, mask: np.ndarray, limit: int = 3) -> str:
    """Where ``mask`` is true, as at most ``limit`` boxes of ``tensor``.

    >>> # elements 3 and 15..19 of a (20,) bias
    >>> _region("bias", np.isin(np.arange(20), [3, 15, 16, 17, 18, 19]))
    'bias[3:4] and bias[15:20]'
    """
    if mask.ndim == 0:
        return tensor
    boxes, left = [], mask.copy()
    while left.any() and len(boxes) < limit:
        start = tuple(int(i) for i in np.argwhere(left)[0])
        stop = [i + 1 for i in start]
        for a in reversed(range(mask.ndim)):  # grow the box along the last axis first
            while stop[a] < mask.shape[a]:
                # only the slab the box would gain is looked at: linear in the box's size
                slab = tuple(slice(stop[b], stop[b] + 1) if b == a else slice(start[b], stop[b])
                             for b in range(mask.ndim))
                if not left[slab].all():
                    break
                stop[a] += 1
        box = tuple(slice(i, j) for i, j in zip(start, stop))
        left[box] = False
        boxes.append(f"{tensor}[{', '.join(f'{i}:{j}' for i, j in zip(start, stop))}]")
    rest = int(left.sum())
    if rest:
        return ", ".join(boxes) + f" and {rest} more element{'s' * (rest > 1)}"
    return ", ".join(boxes[:-1]) + (" and " if len(boxes) > 1 else "") + boxes[-1]


def _unpack(value, n: int, what: str, noun: str, names: tuple[str, ...]) -> tuple:
    import torch

    if n == 1:
        if isinstance(value, torch.Tensor):
            return (value,)
        raise SeqcheckError(f"{what} is {type(value).__name__}; with one {noun} "
                            f"({names[0]}) the target takes and returns a bare tensor")
    if isinstance(value, (tuple, list)) and len(value) == n \
            and all(isinstance(v, torch.Tensor) for v in value):
        return tuple(value)
    got = f"{len(value)} values" if isinstance(value, (tuple, list)) else type(value).__name__
    raise SeqcheckError(f"{what} is {got}; expected a tuple of {n} tensors "
                        f"({', '.join(names)})")


def _expect(tensor, shape: tuple, what: str, target: str) -> None:
    if tuple(tensor.shape) != tuple(shape):
        raise SeqcheckError(f"{target}: {what} has shape {tuple(tensor.shape)}; expected "
                            f"{tuple(shape)}")


def _grad(leaf) -> np.ndarray:
    """A leaf's gradient as float64; zero where the loss did not depend on it."""
    if leaf.grad is None:
        return np.zeros(tuple(leaf.shape))
    return leaf.grad.double().numpy()


def _sizes_text(sizes: MappingType[str, int]) -> str:
    return ", ".join(f"{d} = {v}" for d, v in sizes.items())


def _shapes_text(tensors: MappingType) -> str:
    return ", ".join(f"{n} {format_shape(tuple(t.shape) if hasattr(t, 'shape') else t)}"
                     for n, t in tensors.items())


def _torch_dtype(dtype):
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    return torch.from_numpy(np.zeros(0, dtype=np.dtype(dtype))).dtype


def _name(factory: Callable) -> str:
    return getattr(factory, "__name__", None) or type(factory).__name__
