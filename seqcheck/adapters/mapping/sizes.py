"""An instance's sizes, read off its parameter shapes through a mapping: :func:`infer_sizes`.

A module passed as an instance is built already; its dims are not given but solved for:
every slice has its spec parameter's extent, and every target axis ends where its last
slice ends, a system of linear equations in the dims.
"""

from __future__ import annotations

import sympy as sp

from .model import Mapping, MappingError, Where, evaluate, probe_sizes
from .plan import shapes_text, sizes_text, unknown_tensors

__all__ = ["infer_sizes"]


def infer_sizes(mapping: Mapping, module, target: str) -> dict[str, int]:
    """The instance's dims, solved from its tensor shapes through the mapping.

    Every target axis must end where its last slice ends (at probe sizes, which
    slice that is), and every slice has its spec parameter's extent; the solution
    must be unique, in positive integers.

    Arguments:
        mapping: the validated mapping.
        module: the ``nn.Module`` instance; only its parameters' shapes are read.
        target: how to print it.
    Returns:
        ``{dim: size}`` for every dim of ``mapping.build``.
    Raises:
        MappingError: a target parameter named in the mapping is missing, or the shapes
            give no sizes, several, or sizes that are not positive integers.
    """
    tensors = {n: tuple(p.shape) for n, p in module.named_parameters()}
    unknown = unknown_tensors(mapping, tensors, target)
    if unknown:
        raise MappingError(unknown)
    probe = probe_sizes(mapping)
    equations, ends = [], {}
    for pname, s in mapping.params.items():
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
        declared = mapping.spec.params[pname].shape
        if len(declared) == len(extents):
            equations += [sp.sympify(d) - e for d, e in zip(declared, extents)
                          if e is not None]
    for (tensor, a), stops in ends.items():
        last = max(stops, key=lambda e: evaluate(e, probe))
        equations.append(last - tensors[tensor][a])
    # plain symbols: a rational or negative solution is shown, not silently dropped
    plain = {mapping.spec.dim(d).symbol: sp.Symbol(d) for d in mapping.build}
    equations = [e for e in (sp.expand(q.subs(plain)) for q in equations) if e != 0]
    solutions = sp.solve(equations, list(plain.values()), dict=True) if equations else []
    whole = [x for x in solutions if all(v in x and x[v].is_Integer and x[v] > 0
                                         for v in plain.values())]
    if len(whole) == 1:
        return {d: int(whole[0][sp.Symbol(d)]) for d in mapping.build}
    if not solutions:
        found = "no sizes fit its shapes"
    elif any(len(x) < len(plain) for x in solutions):
        found = "its shapes leave " + ", ".join(
            d for d in mapping.build if all(sp.Symbol(d) not in x for x in solutions)) \
            + " undetermined"
    else:
        found = "its shapes give " + "; ".join(
            sizes_text({str(k): v for k, v in x.items()}) for x in solutions) \
            + ", not positive integers"
    raise MappingError(Where(mapping.file).error(
        "unknown-sizes", f"cannot read the sizes {', '.join(mapping.build)} of the given "
        f"{target} off its parameters through the mapping: {found}",
        details=(f"its parameters: {shapes_text(tensors)}",),
        hint="pass them: MappingTarget(module, mapping, sizes={"
             + ", ".join(f"{d!r}: ..." for d in mapping.build) + "}), or pass the class "
             "to check the mapping at probe sizes"))
