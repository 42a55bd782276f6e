"""The verify target of a JAX cell: :class:`JaxTarget`, a step function over a parameter pytree.

A JAX cell is a pure function of a parameter pytree, one input step and the carried
state. :class:`JaxTarget` holds one through

- ``build(sizes, dtype) -> (params, step)``: the engine's parameter pytree (its values are
  overwritten) and ``step(params, x_t, states) -> (states, outputs)``, ``states`` a tuple in
  the order of :attr:`JaxTarget.states` and ``outputs`` one in the order of
  :attr:`JaxTarget.outputs`;
- a layout ``{pytree path: Block}`` (:mod:`seqcheck.adapters.blocks`) saying how each leaf
  of the pytree is built from the spec's parameters. A path joins the pytree's keys with
  ``/``: ``"weight_ih"`` (an equinox field), ``"hi/kernel"`` (flax.linen's
  ``params["hi"]["kernel"]``), ``"dense_i/kernel"`` (a flax.nnx attribute).

A case is run one step at a time: ``x_t`` ``(B, D)``, every step's states and outputs
observed. A ``step`` that takes one example (``batched=False``: equinox's cells, a
textbook cell) is mapped over the batch with ``jax.vmap``; flax's cells take the batch.

Gradients are JAX's own reverse mode: the VJP of each step (``jax.vjp`` of ``step``), chained
back through time from the cotangents of the projection loss L = Σ_t ⟨P_t, v_t⟩
(:func:`seqcheck.adapters.base.projection_loss`), whose cotangent with respect to an output
v_t is its seed P_t. One compiled step and one compiled VJP serve every number of steps T,
so a search compiles once per batch size and sizes, not once per T (XLA's compile of a
whole unrolled sequence with its gradient takes seconds).

``"float64"`` runs with ``jax_enable_x64`` switched on; the user's setting is restored after
every run (and every build), also when the engine raises. jax is imported only inside
functions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

import numpy as np

from ...errors import SeqcheckError
from ..base import Observed, Target
from ..blocks import Block, assemble, check_covers, grads_of

__all__ = ["INSTALL", "JaxTarget", "check_paths", "enable_x64", "fixed_from_leaves",
           "pytree_paths", "require_jax"]

INSTALL = "pip install 'seqcheck[jax]'"


def require_jax():
    """The jax module; a :class:`SeqcheckError` with the install hint if it is missing."""
    try:
        import jax
    except ImportError as e:
        raise SeqcheckError(f"JAX targets need jax ({e.name} is missing): {INSTALL}") from None
    return jax


@contextlib.contextmanager
def enable_x64(on: bool):
    """``jax_enable_x64`` set to ``on`` inside the block, the previous value restored after.

    >>> import jax
    >>> before = jax.config.read("jax_enable_x64")
    >>> with enable_x64(not before):
    ...     inside = jax.config.read("jax_enable_x64")
    >>> inside != before, jax.config.read("jax_enable_x64") == before
    (True, True)
    """
    jax = require_jax()
    before = bool(jax.config.read("jax_enable_x64"))
    if before != on:
        jax.config.update("jax_enable_x64", on)
    try:
        yield
    finally:
        if bool(jax.config.read("jax_enable_x64")) != before:
            jax.config.update("jax_enable_x64", before)


def _key_name(key) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)


def pytree_paths(tree) -> tuple[list[str], list, object]:
    """The ``/``-joined key path of every leaf of ``tree``, the leaves, and the treedef.

    >>> import numpy as np
    >>> paths, leaves, _ = pytree_paths({"hi": {"kernel": np.ones((2, 2)), "bias": np.ones(2)}})
    >>> paths
    ['hi/bias', 'hi/kernel']
    """
    jax = require_jax()
    flat, treedef = jax.tree_util.tree_flatten_with_path(tree)
    return (["/".join(_key_name(k) for k in path) for path, _ in flat],
            [leaf for _, leaf in flat], treedef)


def _np_dtype(dtype: str):
    if dtype not in ("float32", "float64"):
        raise SeqcheckError(f"dtype must be float32 or float64; got {dtype!r}")
    return np.dtype(dtype)


class _Compiled:
    """One built engine at one set of sizes and dtype: its pytree and compiled step.

    ``step_vjp`` returns a step's states and outputs with the VJP of given cotangents:
    the forward pass of a gradient run calls it with zero cotangents, so that one
    compile per batch size serves both passes.
    """

    def __init__(self, params, step, batched: bool):
        import jax

        self.paths, leaves, self.treedef = pytree_paths(params)
        self.shapes = {p: tuple(a.shape) for p, a in zip(self.paths, leaves)}
        mapped = step if batched else jax.vmap(step, in_axes=(None, 0, 0))

        def step_vjp(params, x_t, states, ct_states, ct_outputs):
            (new, outputs), pullback = jax.vjp(mapped, params, x_t, states)
            return new, outputs, pullback((ct_states, ct_outputs))

        self.step = jax.jit(mapped)
        self.step_vjp = jax.jit(step_vjp)


class JaxTarget(Target):
    """A JAX cell under verification, written through a ``{pytree path: Block}`` layout.

    Arguments:
        build: ``build(sizes, dtype) -> (params, step)``; see the module docstring.
            ``sizes`` holds the spec's dims (``{"D": 3, "H": 4}``), ``dtype`` is
            ``"float32"`` or ``"float64"`` (called with ``jax_enable_x64`` set for it).
        layout: ``{path: Block}``, every leaf of ``params`` once; held to ``spec`` with
            :func:`~seqcheck.adapters.blocks.check_covers`.
        spec: the :class:`~seqcheck.spec.Spec` the cell documents that it follows.
        states: spec states the cell carries, in the order of ``step``'s state tuple.
        outputs: spec variables ``step`` returns every step (default: ``states``).
        batched: whether ``step`` takes the batch ``(B, D)``; else it takes one example
            ``(D,)`` and is mapped with ``jax.vmap``.
        fixed: dims the cell cannot change (an instance's), or None.
        dtypes: what it runs in, the default first.
        name, description: for reports.

    ``build`` is called once per sizes and dtype; its step and VJP are compiled once per
    batch size there.
    """

    def __init__(self, build: Callable, layout: Mapping[str, Block], spec, *,
                 states: tuple[str, ...], outputs: tuple[str, ...] | None = None,
                 batched: bool = False, fixed: Mapping[str, int] | None = None,
                 dtypes: tuple[str, ...] = ("float32", "float64"), name: str = "jax cell",
                 description: str | None = None):
        check_covers(layout, spec, name)
        self.build, self.layout, self.spec = build, dict(layout), spec
        self.states = tuple(states)
        self.outputs = tuple(outputs) if outputs is not None else self.states
        if not set(self.outputs) <= set(self.states):
            raise SeqcheckError(f"{name}: the outputs of a JAX cell are states it carries; "
                                f"{', '.join(sorted(set(self.outputs) - set(self.states)))} "
                                f"is not among {', '.join(self.states)}")
        self.batched, self.fixed = batched, dict(fixed) if fixed else None
        self.dtypes, self.name = tuple(dtypes), name
        self.description = description or (
            f"JAX step function over a parameter pytree ({', '.join(self.layout)})")
        self._compiled: dict = {}

    @classmethod
    def from_function(cls, step: Callable, params, layout: Mapping[str, Block], spec, *,
                      states: tuple[str, ...] = ("h",), batched: bool = False,
                      name: str | None = None) -> JaxTarget:
        """A pure JAX cell ``step(params, x_t, state) -> state`` with its parameter pytree.

        Arguments:
            step: a jax-traceable function; ``state`` is one array when the cell carries
                one state, else a tuple in the order of ``states``; x_t is ``(D,)`` (or
                ``(B, D)`` with ``batched=True``).
            params: the parameter pytree (dicts, tuples, equinox modules...); its shapes
                fix the sizes, its values are overwritten by every case.
            layout: ``{path: Block}``, a path joining the pytree's keys with ``/``.
            spec: a bundled spec name or a Spec.
            states: the spec states the cell carries; every step's are observed.
        Returns:
            A JaxTarget; pass it to :func:`seqcheck.verify`.

        >>> # a textbook Elman cell, column-vector weights as spec rnn_torch writes them
        >>> import jax.numpy as jnp, numpy as np
        >>> from seqcheck.adapters.blocks import Term
        >>> def step(p, x, h):
        ...     return jnp.tanh(p["W"] @ x + p["b"] + p["U"] @ h)
        >>> params = {"W": np.zeros((3, 2)), "U": np.zeros((3, 3)), "b": np.zeros(3)}
        >>> layout = {"W": Term(("W_ih",)), "U": Term(("W_hh",)), "b": Term(("b_ih", "b_hh"))}
        >>> target = JaxTarget.from_function(step, params, layout, "rnn_torch")
        >>> target.fixed_sizes(target.default_spec())
        {'D': 2, 'H': 3}
        """
        from ...spec import Spec, load_spec

        spec = spec if isinstance(spec, Spec) else load_spec(spec)
        states = tuple(states)

        def canonical(p, x_t, carried):
            new = step(p, x_t, carried[0] if len(states) == 1 else tuple(carried))
            new = (new,) if len(states) == 1 else tuple(new)
            return new, new

        paths, leaves, _ = pytree_paths(params)
        check_covers(layout, spec, name or getattr(step, "__name__", "step"))
        fixed = fixed_from_leaves(layout, spec, dict(zip(paths, leaves)),
                                  name or "the function's parameters")
        return cls(lambda sizes, dtype: (params, canonical), layout, spec, states=states,
                   batched=batched, fixed=fixed, name=name or getattr(step, "__name__", "step"),
                   description=f"pure JAX step function, parameters {', '.join(layout)}")

    def default_spec(self):
        return self.spec

    def fixed_sizes(self, spec) -> dict[str, int] | None:
        if self.fixed is None:
            return None
        return {d.name: self.fixed[d.name] for d in spec.dims if d.name in self.fixed}

    def compiled(self, sizes: Mapping[str, int], dtype: str) -> _Compiled:
        """The built engine for ``sizes`` and ``dtype`` (built and compiled once)."""
        key = (tuple(sorted(sizes.items())), dtype)
        if key not in self._compiled:
            with enable_x64(dtype == "float64"):
                params, step = self.build(dict(sizes), dtype)
                engine = _Compiled(params, step, self.batched)
            check_paths(self.layout, engine.paths, self.name)
            self._compiled[key] = engine
        return self._compiled[key]

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """See :meth:`seqcheck.adapters.base.Target.run`."""
        np_dtype = _np_dtype(dtype)
        engine = self.compiled(case.sizes, dtype)
        with enable_x64(dtype == "float64"):
            return self._run(engine, case, np_dtype, gradients)

    def _params(self, engine: _Compiled, case, np_dtype):
        import jax
        import jax.numpy as jnp

        leaves = []
        for path in engine.paths:
            value = np.asarray(assemble(self.layout[path], case.params), dtype=np_dtype)
            if value.shape != engine.shapes[path]:
                raise SeqcheckError(f"{self.name}: the layout builds {path} of shape "
                                    f"{value.shape} from the case's parameters, but the "
                                    f"engine's {path} is {engine.shapes[path]}")
            leaves.append(jnp.asarray(value))
        return jax.tree_util.tree_unflatten(engine.treedef, leaves)

    def _run(self, engine: _Compiled, case, np_dtype, gradients: bool) -> Observed:
        import jax

        params = self._params(engine, case, np_dtype)
        (x,) = case.inputs.values() if len(case.inputs) == 1 else (case.inputs["x"],)
        x = np.asarray(x, dtype=np_dtype)  # sliced in NumPy: no compiled slice per shape
        states = tuple(np.asarray(case.initial[s], dtype=np_dtype) for s in self.states)
        zeros = tuple(np.zeros_like(s) for s in states)
        at = [self.states.index(v) for v in self.outputs]
        before, outs = [], []
        for t in range(x.shape[0]):
            before.append(states)
            if gradients:
                states, observed, _ = engine.step_vjp(params, x[t], states, zeros,
                                                      tuple(zeros[k] for k in at))
            else:
                states, observed = engine.step(params, x[t], states)
            outs.append(observed)
        per_step = {v: np.stack([np.asarray(o[k], dtype=np.float64) for o in outs])
                    for k, v in enumerate(self.outputs)}
        final = {s: np.asarray(states[k], dtype=np.float64) for k, s in enumerate(self.states)}
        if not gradients:
            return Observed(per_step=per_step, final=final)
        # reverse mode through time: the cotangent of the states after step t is what the
        # later steps send back, plus, after the last step, the seed of a state that is not
        # observed at every step (projection_loss)
        ct = [np.asarray(case.seeds[s][-1], dtype=np_dtype) if s not in self.outputs
              else zeros[k] for k, s in enumerate(self.states)]
        grads = {p: np.zeros(engine.shapes[p]) for p in engine.paths}
        dx = np.zeros(x.shape)
        for t in reversed(range(x.shape[0])):
            seeds = tuple(np.asarray(case.seeds[v][t], dtype=np_dtype) for v in self.outputs)
            _, _, (d_params, d_x, d_states) = engine.step_vjp(params, x[t], before[t],
                                                              tuple(ct), seeds)
            for path, g in zip(engine.paths, jax.tree_util.tree_leaves(d_params)):
                grads[path] += np.asarray(g, dtype=np.float64)
            dx[t] = np.asarray(d_x, dtype=np.float64)
            ct = [np.asarray(d) for d in d_states]
        return Observed(per_step=per_step, final=final,
                        params=grads_of(self.layout, grads), x=dx,
                        initial={s: np.asarray(ct[k], dtype=np.float64)
                                 for k, s in enumerate(self.states)})


def fixed_from_leaves(layout: Mapping[str, Block], spec, leaves: Mapping[str, np.ndarray],
                      what: str) -> dict[str, int]:
    """The spec's dims as an engine's arrays ``{path: array}`` fix them, read through
    ``layout``; a :class:`SeqcheckError` naming every leaf that does not fit."""
    from ...backends.compiled import bind_dims

    check_paths(layout, list(leaves), what)
    try:
        spec_params = grads_of(layout, {p: np.asarray(a) for p, a in leaves.items()})
    except ValueError as e:
        raise SeqcheckError(f"the parameters of {what} do not split into spec "
                            f"{spec.name!r}'s blocks: {e}") from None
    fixed, problems = bind_dims(spec, spec_params, {})
    if problems:
        raise SeqcheckError(f"the parameters of {what} do not fit spec {spec.name!r}: "
                            + "; ".join(problems))
    return fixed


def check_paths(layout: Mapping[str, Block], paths, what: str) -> None:
    """Raise unless the engine's pytree has exactly the layout's paths."""
    unknown = sorted(set(layout) - set(paths))
    unplaced = sorted(set(paths) - set(layout))
    if unknown or unplaced:
        problems = ([f"the layout places {', '.join(unknown)}, which it does not have"]
                    if unknown else []) + (
            [f"it has {', '.join(unplaced)}, which the layout does not place"]
            if unplaced else [])
        raise SeqcheckError(f"the parameters of {what} do not fit the layout: "
                            + "; ".join(problems) + "\n  its parameters: "
                            + ", ".join(sorted(paths)))
