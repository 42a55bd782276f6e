"""equinox, flax.linen and flax.nnx cells as JaxTargets (:mod:`.target`): how each library is
built, split into a parameter pytree and called one step.

- equinox: a class is built as ``cls(D, H, dtype=..., key=...)``; a module (class or
  instance) is split by ``eqx.partition`` into its floating arrays and the rest, called as
  ``module(x_t, carry)`` on one example, mapped over the batch with ``jax.vmap``;
- flax.linen: a class is built as ``cls(features=H, dtype=..., param_dtype=...)`` and its
  parameters shaped by ``init``; an unbound instance fixes H and is initialised at each
  case's D; a bound one (``module.bind(variables)``) or a ``(module, variables)`` pair
  fixes both; called as ``module.apply({"params": p, ...}, carry, x_t)`` on the batch;
- flax.nnx: a class is built as ``cls(D, H, rngs=nnx.Rngs(0), dtype=..., param_dtype=...)``;
  a module is split by ``nnx.split`` into its ``Param`` pytree and the rest, merged back by
  ``nnx.merge`` for each call ``module(carry, x_t)`` on the batch.

Classes are built with ``eval_shape``: only the shapes, the case writes every value.

A class is built with its computation dtype set to the run's dtype (as a torch module is
moved to it); an instance keeps its own: one with a fixed flax ``dtype`` runs in that
dtype only. Every value of the pytree is overwritten by the case; an instance is never
altered (equinox modules are immutable, flax's variables are not written, nnx modules
are split, not changed). A subclass is held with its parent's layout; one whose
parameters differ from the parent's is refused, naming them.
"""

from __future__ import annotations

import inspect

import numpy as np

from ...errors import SeqcheckError
from .cells import Cell, recognise, spec_of
from .target import JaxTarget, fixed_from_leaves, pytree_paths, require_jax

__all__ = ["object_target"]

#: Constructor defaults the layouts are established for; any other value is refused.
_DEFAULTS = ("gate_fn", "activation_fn", "residual")


def object_target(obj, name: str | None = None) -> JaxTarget:
    """The target of an equinox or flax recurrent cell: a class, a subclass, an instance,
    a bound flax.linen module or a ``(linen module, variables)`` pair.

    The hook :mod:`seqcheck.adapters.engines` calls for objects of equinox and flax.

    >>> # flax.linen's GRU cell: spec gru, its one carry h seen at every step
    >>> import flax.linen as nn
    >>> target = object_target(nn.GRUCell)
    >>> target.default_spec().name, target.states, target.outputs
    ('gru', ('h',), ('h',))
    """
    require_jax()
    variables = None
    if isinstance(obj, tuple):
        if len(obj) != 2 or not isinstance(obj[1], dict):
            raise SeqcheckError("a pair names a flax.linen module and its variables, "
                                f"(module, {{'params': ...}}); got a tuple of {len(obj)}")
        obj, variables = obj
    cell, base = recognise(obj)
    cls = obj if isinstance(obj, type) else type(obj)
    shown = name or (f"{cell.name}" if cls is base else
                     f"{cls.__module__}.{cls.__qualname__} (subclass of {cell.name})")
    if variables is not None and cell.library != "flax.linen":
        raise SeqcheckError(f"{shown} holds its own parameters; pass it alone, not with "
                            "variables (only a flax.linen module takes them apart)")
    build = {"equinox": _equinox, "flax.linen": _linen, "flax.nnx": _nnx}[cell.library]
    return build(obj, cell, base, shown, variables)


def _is_abstract(leaf) -> bool:
    import jax

    return isinstance(leaf, jax.ShapeDtypeStruct)


def _is_inexact(leaf) -> bool:
    """A floating array, or the shape of one (``eval_shape``'s ShapeDtypeStruct)."""
    import jax.numpy as jnp

    return (hasattr(leaf, "shape") and hasattr(leaf, "dtype")
            and jnp.issubdtype(leaf.dtype, jnp.inexact))


def _dtype_name(dtype) -> str:
    return np.dtype(dtype).name


def _run_dtypes(first: str) -> tuple[str, ...]:
    return (first, *(d for d in ("float32", "float64") if d != first))


def _computation_dtypes(module, shown: str, default: str) -> tuple[str, ...]:
    """flax's ``dtype`` attribute: None computes in the parameters' dtype (both run);
    a float dtype fixes the computation to it."""
    dtype = getattr(module, "dtype", None)
    if dtype is None:
        return _run_dtypes(default)
    name = _dtype_name(dtype)
    if name not in ("float32", "float64"):
        raise SeqcheckError(f"{shown} computes in {name} (dtype={name}); seqcheck verifies "
                            "float32 and float64 cells\n  hint: build it with dtype=None "
                            "or jnp.float32")
    return (name,)


def _check_defaults(module, cell: Cell, defaults: dict, shown: str) -> None:
    """Refuse a configuration the layout was not established for (never ignore it)."""
    for field in _DEFAULTS:
        if field in defaults and getattr(module, field, defaults[field]) is not \
                defaults[field]:
            value = getattr(module, field)
            raise SeqcheckError(
                f"{shown} has {field}={getattr(value, '__name__', value)!r}; seqcheck's "
                f"layout of {cell.name} holds its default "
                f"{field}={getattr(defaults[field], '__name__', defaults[field])!r} "
                f"(spec {cell.spec})\n  hint: verify it through JaxTarget.from_function "
                "with a spec of its own")


def _states_of(cell: Cell, carried):
    return carried if len(cell.carry) > 1 else carried[0]


def _tuple(cell: Cell, value) -> tuple:
    return tuple(value) if len(cell.carry) > 1 else (value,)


def _flax_outputs(cell: Cell) -> tuple[str, ...]:
    """A flax cell returns ``(carry, h)``: h observed from its output, c from the carry."""
    return ("h", *(s for s in cell.carry if s != "h"))


def _flax_step(cell: Cell, call):
    """``step`` of :class:`JaxTarget` around ``call(params, carry, x) -> (carry, out)``."""
    others = [k for k, s in enumerate(cell.carry) if s != "h"]

    def step(p, x_t, carried):
        new, out = call(p, _states_of(cell, carried), x_t)
        new = _tuple(cell, new)
        return new, (out, *(new[k] for k in others))

    return step


def _construct(make, shown: str, arguments: str):
    """``make()``, a class built by seqcheck; a subclass that cannot be is refused."""
    try:
        return make()
    except Exception as e:  # noqa: BLE001 - a subclass's constructor may take other arguments
        raise SeqcheckError(f"cannot build {shown}({arguments}): {type(e).__name__}: "
                            f"{e}\n  hint: pass an instance; its sizes are then fixed") from None


# -- equinox --------------------------------------------------------------------------------
def _equinox(obj, cell: Cell, base: type, shown: str, variables) -> JaxTarget:
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    instance = not isinstance(obj, type)
    bias = bool(getattr(obj, "use_bias", True)) if instance else True
    layout, spec = cell.layout_for(bias), spec_of(cell.spec_name(bias))

    def split(module):
        params, static = eqx.partition(module, _is_inexact)

        def step(p, x_t, carried):
            new = _tuple(cell, eqx.combine(p, static)(x_t, _states_of(cell, carried)))
            return new, new

        return params, step

    if instance:
        paths, leaves, _ = pytree_paths(split(obj)[0])
        fixed = fixed_from_leaves(layout, spec, dict(zip(paths, leaves)), shown)
        dtypes = _run_dtypes(_dtype_name(leaves[0].dtype))
        return JaxTarget(lambda sizes, dtype: split(obj), layout, spec, states=cell.carry,
                         fixed=fixed, dtypes=dtypes, name=shown,
                         description=_describe(cell, layout, "instance"))

    def build(sizes, dtype):  # shapes only: the case writes every value
        D, H = int(sizes["D"]), int(sizes["H"])
        return split(_construct(lambda: eqx.filter_eval_shape(
            obj, D, H, dtype=jnp.dtype(dtype), key=jax.random.key(0)), shown,
            f"{D}, {H}, dtype={dtype}, key=..."))

    return JaxTarget(build, layout, spec, states=cell.carry, name=shown,
                     description=_describe(cell, layout, "class"))


# -- flax.linen -----------------------------------------------------------------------------
def _linen(obj, cell: Cell, base: type, shown: str, variables) -> JaxTarget:
    import jax
    import jax.numpy as jnp
    from flax import linen as nn

    defaults = {f: base.__dataclass_fields__[f].default for f in _DEFAULTS
                if f in base.__dataclass_fields__}
    layout, spec = cell.layout_for(), spec_of(cell.spec)
    if not isinstance(obj, type) and obj.scope is not None:
        obj, variables = obj.unbind()

    def init(module, D: int, dtype: str):
        x = jnp.zeros((1, D), dtype)
        carry = tuple(jnp.zeros((1, module.features), dtype) for _ in cell.carry)
        return jax.eval_shape(module.init, jax.random.key(0), _states_of(cell, carry), x)

    def split(module, variables):
        others = {k: v for k, v in variables.items() if k != "params"}

        def call(p, carry, x_t):
            return module.apply({"params": p, **others}, carry, x_t)

        return variables["params"], _flax_step(cell, call)

    if isinstance(obj, type):
        def build(sizes, dtype):
            H = int(sizes["H"])
            module = _construct(lambda: obj(features=H, dtype=jnp.dtype(dtype),
                                            param_dtype=jnp.dtype(dtype)), shown,
                                f"features={H}, dtype={dtype}, param_dtype={dtype}")
            _check_defaults(module, cell, defaults, shown)
            return split(module, init(module, int(sizes["D"]), dtype))

        return JaxTarget(build, layout, spec, states=cell.carry, outputs=_flax_outputs(cell),
                         batched=True, name=shown,
                         description=_describe(cell, layout, "class"))
    if not isinstance(obj, nn.Module):
        raise SeqcheckError(f"{shown} is not a flax.linen module instance")
    _check_defaults(obj, cell, defaults, shown)
    if variables is None:  # an unbound definition: its H is fixed, its D is the case's
        fixed = {"H": int(obj.features)}
        default = _dtype_name(obj.param_dtype)

        def build(sizes, dtype):
            return split(obj, init(obj, int(sizes["D"]), dtype))
    else:
        if "params" not in variables:
            raise SeqcheckError(f"the variables of {shown} have no 'params' collection; "
                                f"they have {', '.join(variables) or 'none'}")
        paths, leaves, _ = pytree_paths(variables["params"])
        fixed = fixed_from_leaves(layout, spec, dict(zip(paths, leaves)), shown)
        default = _dtype_name(leaves[0].dtype)

        def build(sizes, dtype):
            return split(obj, variables)

    return JaxTarget(build, layout, spec, states=cell.carry, outputs=_flax_outputs(cell),
                     batched=True, fixed=fixed,
                     dtypes=_computation_dtypes(obj, shown, default), name=shown,
                     description=_describe(cell, layout, "instance"))


# -- flax.nnx -------------------------------------------------------------------------------
def _nnx(obj, cell: Cell, base: type, shown: str, variables) -> JaxTarget:
    import jax
    import jax.numpy as jnp
    from flax import nnx

    signature = inspect.signature(base.__init__).parameters
    defaults = {f: signature[f].default for f in _DEFAULTS if f in signature}
    layout, spec = cell.layout_for(), spec_of(cell.spec)

    def split(module):
        graphdef, params, rest = nnx.split(module, nnx.Param, ...)
        if any(_is_abstract(leaf) for leaf in jax.tree_util.tree_leaves(rest)):
            raise SeqcheckError(f"{shown} holds arrays besides its nnx.Param parameters "
                                f"({', '.join(pytree_paths(rest)[0])}); seqcheck writes "
                                "only the parameters\n  hint: pass an instance")

        def call(p, carry, x_t):
            return nnx.merge(graphdef, p, rest)(carry, x_t)

        return nnx.to_pure_dict(params), _flax_step(cell, call)

    if isinstance(obj, type):
        def build(sizes, dtype):  # shapes only: the case writes every value
            D, H = int(sizes["D"]), int(sizes["H"])
            module = _construct(lambda: nnx.eval_shape(lambda: obj(
                D, H, rngs=nnx.Rngs(0), dtype=jnp.dtype(dtype), param_dtype=jnp.dtype(dtype))),
                shown, f"{D}, {H}, rngs=nnx.Rngs(0), dtype={dtype}, param_dtype={dtype}")
            _check_defaults(module, cell, defaults, shown)
            return split(module)

        return JaxTarget(build, layout, spec, states=cell.carry, outputs=_flax_outputs(cell),
                         batched=True, name=shown,
                         description=_describe(cell, layout, "class"))
    _check_defaults(obj, cell, defaults, shown)
    paths, leaves, _ = pytree_paths(split(obj)[0])
    fixed = fixed_from_leaves(layout, spec, dict(zip(paths, leaves)), shown)
    dtypes = _computation_dtypes(obj, shown, _dtype_name(leaves[0].dtype))
    return JaxTarget(lambda sizes, dtype: split(obj), layout, spec, states=cell.carry,
                     outputs=_flax_outputs(cell), batched=True, fixed=fixed, dtypes=dtypes,
                     name=shown, description=_describe(cell, layout, "instance"))


def _describe(cell: Cell, layout, kind: str) -> str:
    return (f"{cell.name} {kind}: {', '.join(layout)}; carry {', '.join(cell.carry)}; layout "
            f"from {cell.source}")
