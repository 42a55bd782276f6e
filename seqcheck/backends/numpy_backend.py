"""The NumPy backend: a spec (and its derivation) as generated code run on NumPy arrays.

Layout: time-major. A sequence input ``x`` of shape ``(D,)`` is passed as ``(T, B, D)``,
a static input as ``(B, D)``, parameters unbatched with exactly their declared shapes;
every variable comes back as ``(T, B, *shape)``. float64 by default, float32 on request.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

from ..errors import CompileError, ShapeError
from ..printing import split_ref
from ..spec.grammar import Typed
from ..spec.model import Spec
from .codegen import module_source
from .compiled import CompiledSpec, Gradients, Trajectory, load_module
from .namespaces import NumpyNamespace
from .printer import ArrayPrinter, ident

__all__ = ["compile_numpy", "compile_expression", "numpy_source", "Trajectory", "Gradients"]


def numpy_source(spec: Spec, gradients: bool = False) -> str:
    """The generated module for ``spec`` (``forward``, and ``backward`` with gradients)."""
    if not gradients:
        return module_source(spec)
    from ..derive import derive

    return module_source(spec, derive(spec), spec.outputs)


def compile_numpy(spec: Spec, dtype=np.float64, *, gradients: bool = False,
                  seeded=None) -> CompiledSpec:
    """Compile ``spec`` to a batched NumPy forward pass, and BPTT with ``gradients=True``.

    Arguments:
        spec: a validated spec.
        dtype: ``numpy.float64`` (default) or ``numpy.float32``.
        gradients: also compile the derived backward pass (:meth:`CompiledSpec.backward`).
        seeded: variables whose loss gradients the backward pass takes (default: outputs).
    Returns:
        A :class:`~seqcheck.backends.compiled.CompiledSpec`; ``.source`` is the code.

    >>> # the seed 004 LSTM in float32; .source is the generated, readable module
    >>> from seqcheck import load_spec
    >>> fwd = compile_numpy(load_spec("lstm"), dtype=np.float32)
    >>> [line.strip() for line in fwd.source.splitlines() if line.strip().startswith("h = _xp")]
    ['h = _xp.multiply(_xp.tanh(c), o, out=h_seq[_t])']
    """
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise CompileError(f"the numpy backend supports float32 and float64, not {dt}")
    derivation = None
    if gradients:
        from ..derive import derive

        derivation = derive(spec)
    return CompiledSpec(spec, NumpyNamespace(dt), derivation, seeded)


class _Lazy:
    """Text computed only when shown (printing a SymPy expression costs milliseconds)."""

    def __init__(self, make):
        self._make = make

    def __str__(self) -> str:
        return self._make()

    def __bool__(self) -> bool:
        return True


def compile_expression(spec: Spec, typed: Typed, dtype=np.float64):
    """Compile one typed expression of ``spec`` to ``f(env, dims) -> array``.

    Arguments:
        spec: the spec whose names the expression uses.
        typed: e.g. ``spec.parse("W_ii @ x + b_ii")``.
    Returns:
        A function taking ``env``: ``{symbol name: array}``, where a delayed name is
        spelled ``"h[t-1]"``; vectors are ``(..., n)``. ``f.names`` lists what it needs.
    """
    expr = typed.expr
    names = sorted(s.name for s in expr.free_symbols
                   if isinstance(s, (sp.MatrixSymbol, sp.Symbol)) and not s.is_integer)
    batched = {ident(*split_ref(n)) for n in names if split_ref(n)[0] not in spec.params}
    p = ArrayPrinter(batched, where=_Lazy(lambda: f"expression {typed.expr}"))
    body = p._print(expr)
    lines = ["def evaluate(env, _dims, _xp):"]
    lines += [f"    {ident(*split_ref(n))} = env[{n!r}]" for n in names]
    lines.append(f"    return {body}")
    fn = load_module("\n".join(lines) + "\n", "<seqcheck expression>")["evaluate"]
    xp = NumpyNamespace(dtype)
    dims_all = {d.name for d in spec.dims}

    def evaluate(env: Mapping, dims: Mapping | None = None):
        arrs = {k: np.asarray(v, dtype=xp.dtype) for k, v in env.items()}
        missing = [n for n in names if n not in arrs]
        if missing:
            raise ShapeError(f"expression needs values for {', '.join(missing)}")
        with np.errstate(over="ignore", under="ignore"):
            return fn(arrs, dict(dims or dict.fromkeys(dims_all)), xp)

    evaluate.names = tuple(names)  # type: ignore[attr-defined]
    evaluate.shape = typed.shape  # type: ignore[attr-defined]
    return evaluate
