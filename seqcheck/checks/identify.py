"""Which spec and layout does a target follow? ``seqcheck identify TARGET``.

The candidates are every order of the stacked gate blocks: torch's LSTM i, f, g, o;
ONNX's i, o, f, c; Keras's i, f, c, o; and every other order. Each is combined with
the spec variants that libraries actually differ by (DESIGN.md "Conventions"): for a GRU,
the reset applied after the recurrent product (torch, cuDNN, ONNX
linear_before_reset = 1) or before it (Cho et al. 2014, ONNX's default), and which of
z and 1 - z weights the old state. Each candidate is checked with :func:`verify` on
outputs and states. The result lists the candidates that conform, or the nearest one
and how many tolerances it misses by.

A target with a mapping file (a textbook cell, a fused one) is searched the same way
over its mapping: each candidate reads the slices the file assigns to one gate as
another gate's (:func:`gate_letters`, :func:`relabel_gates`), so the answer says which
gate each mapped block really holds. Every other target (a JAX or Keras cell, an ONNX
node or graph) is searched over relabelled specs: each candidate's equations read the
parameters of the gate whose block holds them, which says the same of the blocks the
target's adapter places.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType

from ..errors import SeqcheckError
from ..spec import Spec, variant
from .verify import make_target, resolve_target, verify

__all__ = ["Candidate", "Identification", "identify", "gate_letters", "relabel_gates",
           "VARIANTS"]

#: Named gate orders, by family spec, as the blocks of torch's stacked tensors.
GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn_torch": ("h",)}
KNOWN_ORDERS = {
    ("i", "f", "g", "o"): "PyTorch / cuDNN",
    ("i", "o", "f", "g"): "ONNX (i, o, f, c)",
    ("r", "z", "n"): "PyTorch / cuDNN",
    ("z", "r", "n"): "ONNX (z, r, h)",
}

#: Spec variants by family: (name, equation overrides in the family spec's names).
VARIANTS = {
    "gru": (
        ("reset after the recurrent product (PyTorch, cuDNN; ONNX linear_before_reset=1)", {}),
        ("reset before the recurrent product (Cho et al. 2014; ONNX linear_before_reset=0)",
         {"n": "tanh(W_in @ x + b_in + W_hn @ (r * h[t-1]) + b_hn)"}),
        ("z weights the candidate, 1 - z the old state",
         {"h": "z * n + (1 - z) * h[t-1]"}),
    ),
}


@dataclass(frozen=True)
class Candidate:
    """One spec variant with one gate order, and how it fared.

    ``order``: for a torch layout, the gates of its stacked blocks, top to bottom; for a
    mapping, the gates its blocks hold, in the order ``stated`` (its gates as the file
    names them).
    """

    spec: str
    variant: str
    order: tuple[str, ...]
    ok: bool
    ratio: float
    stated: tuple[str, ...] = ()
    by: str = "mapping"  # what placed the blocks: a mapping file, or an engine's layout

    def describe(self) -> str:
        known = KNOWN_ORDERS.get(self.order)
        order = f"gate order ({', '.join(self.order)})" + (f", {known}" if known else "")
        if self.stated:
            placed = "mapped" if self.by == "mapping" else "laid out"
            order = (f"the {self.by} as written" if self.order == self.stated else
                     f"the blocks {placed} as ({', '.join(self.stated)}) hold "
                     f"({', '.join(self.order)})")
        how = "conforms" if self.ok else f"misses by {self.ratio:.3g} tolerances"
        return f"spec '{self.spec}', {self.variant}, {order}: {how}"


@dataclass(frozen=True)
class Identification:
    """All candidates tried, best first."""

    target: str
    candidates: tuple[Candidate, ...]

    @property
    def matches(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.ok)

    def format_text(self) -> str:
        if self.matches:
            lines = [f"{self.target} conforms to:"]
            lines += [f"  {c.describe()}" for c in self.matches]
        else:
            lines = [f"{self.target} conforms to no candidate; the nearest:"]
            lines += [f"  {c.describe()}" for c in self.candidates[:3]]
        lines.append(f"  ({len(self.candidates)} candidates tried)")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"target": self.target, "ok": bool(self.matches),
                "candidates": [{"spec": c.spec, "variant": c.variant, "order": list(c.order),
                                "ok": c.ok, "ratio": c.ratio,
                                **({"stated": list(c.stated)} if c.stated else {})}
                               for c in self.candidates]}


def _variant_spec(base: Spec, overrides: dict) -> Spec:
    return variant(base, equations=overrides) if overrides else base


def gate_letters(spec: Spec) -> tuple[str, ...]:
    """The gates of ``spec``: the last letters of its largest family of parameters that
    differ in the last letter only (``W_ii``, ``W_if``, ...), in declaration order; () for
    a spec with one block.

    >>> from seqcheck import load_spec
    >>> [gate_letters(load_spec(name)) for name in ("lstm", "gru", "elman")]
    [('i', 'f', 'c', 'o'), ('r', 'z', 'n'), ()]
    """
    families = defaultdict(list)
    for name in spec.params:
        if len(name) > 1 and name[-1].isalpha():
            families[name[:-1]].append(name[-1])
    counts = Counter(tuple(v) for v in families.values() if len(v) > 1)
    if not counts:
        return ()
    return max(counts, key=lambda letters: (counts[letters], len(letters)))


def relabel_gates(spec: Spec, params, holds: dict[str, str]) -> dict:
    """``params`` (``{spec parameter: value}``) with each gate parameter's value moved to
    the gate it ``holds`` (``{stated gate: gate held}``): ``W_if``'s value becomes
    ``W_io``'s if the slices stated as f hold o.

    >>> from seqcheck import load_spec
    >>> relabel_gates(load_spec("gru"), {"W_ir": 1, "W_iz": 2, "W_in": 3},
    ...               {"r": "z", "z": "r", "n": "n"})
    {'W_iz': 1, 'W_ir': 2, 'W_in': 3}
    """
    letters = set(gate_letters(spec))
    gated = {stem for stem in {n[:-1] for n in spec.params}
             if {f"{stem}{g}" for g in letters} <= set(spec.params)}
    return {(name[:-1] + holds[name[-1]] if name[:-1] in gated and name[-1] in letters
             else name): value for name, value in params.items()}


def _told(progress, count: int):
    """A function to call before each of ``count`` candidates: ``progress(k, count)``."""
    numbers = itertools.count(1)
    return (lambda: None) if progress is None else (lambda: progress(next(numbers), count))


def _identify_mapped(obj, mapping, name, *, max_examples, seed, dtype,
                     progress=None) -> Identification:
    from ..adapters.mapping import Mapping, load_mapping

    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    base = mapping.spec
    stated = gate_letters(base) or ("h",)
    variants = VARIANTS.get(base.name) or (("the spec as written", {}),)
    next_candidate = _told(progress, len(variants) * math.factorial(len(stated)))
    results = []
    for described, overrides in variants:
        spec = _variant_spec(base, overrides)
        for held in itertools.permutations(stated):
            next_candidate()
            holds = dict(zip(stated, held))
            moved = replace(mapping, spec=spec, params=MappingProxyType(
                relabel_gates(base, mapping.params, holds)))
            try:
                r = verify(obj, spec=spec, mapping=moved, dtype=dtype, max_examples=max_examples,
                           seed=seed, gradients=False, shrink=False, explain=False)
            except SeqcheckError:
                continue
            ratio = 0.0 if r.ok else r.check.ratio
            results.append(Candidate(base.name, described, held, r.ok, ratio, stated))
    results.sort(key=lambda c: (not c.ok, c.ratio, c.order != c.stated))
    return Identification(name, tuple(results))


def _relabelled(spec: Spec, holds: dict[str, str]) -> Spec:
    """``spec`` with each gate's equation reading the parameters of the gate whose block
    holds it: where the blocks placed as f hold o, o's equation uses W_if."""
    import re

    if all(a == b for a, b in holds.items()):
        return spec
    renamed = relabel_gates(spec, {p: p for p in spec.params}, holds)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, renamed)) + r")\b")
    return variant(spec, equations={
        eq.target: pattern.sub(lambda m: renamed[m.group(1)], eq.text)
        for eq in spec.equations})


def _identify_engine(held, name, *, max_examples, seed, dtype,
                     progress=None) -> Identification:
    """Any other target (JAX, Keras, ONNX graphs): the spec's gates relabelled instead of
    the target's layout, so the answer says which gate each block its adapter places
    really holds."""
    base = held.default_spec()
    stated = gate_letters(base) or ("h",)
    variants = VARIANTS.get(base.name) or (("the spec as written", {}),)
    next_candidate = _told(progress, len(variants) * math.factorial(len(stated)))
    results = []
    for described, overrides in variants:
        spec = _variant_spec(base, overrides)
        for order in itertools.permutations(stated):
            next_candidate()
            try:
                r = verify(held, spec=_relabelled(spec, dict(zip(stated, order))), dtype=dtype,
                           max_examples=max_examples, seed=seed, gradients=False,
                           shrink=False, explain=False)
            except SeqcheckError:
                continue
            ratio = 0.0 if r.ok else r.check.ratio
            results.append(Candidate(base.name, described, order, r.ok, ratio, stated,
                                     by="layout"))
    results.sort(key=lambda c: (not c.ok, c.ratio, c.order != c.stated))
    return Identification(name, tuple(results))


def identify(target, *, mapping=None, max_examples: int = 10, seed: int = 0,
             dtype=None, progress: Callable[[int, int], None] | None = None
             ) -> Identification:
    """Find which spec variant and gate order ``target`` follows.

    Arguments:
        target: as for :func:`~seqcheck.checks.verify.verify`.
        mapping: a mapping file (path or loaded) for a target without torch's layout;
            the candidates are then the gates its mapped blocks may hold.
        max_examples: cases per candidate; seed: reproducible.
        progress: called before each candidate is checked, with ``(k, candidates)``: the
            k-th of all the gate orders and variants to try.
    Returns:
        An :class:`Identification`, conforming candidates first, then by distance.

    >>> # torch's GRU cell: torch's own gate order and reset placement
    >>> import torch
    >>> identify(torch.nn.GRUCell, max_examples=3).matches[0].order
    ('r', 'z', 'n')
    """
    from ..adapters.base import Target
    from ..adapters.engines import engine_of, object_target
    from ..adapters.torch_nn import layout_for

    search = {"max_examples": max_examples, "seed": seed, "dtype": dtype, "progress": progress}
    if isinstance(target, Target):
        return _identify_engine(target, target.name, **search)
    if engine_of(target) is not None or str(target).endswith(".onnx"):
        held = make_target(target)
        return _identify_engine(held, held.name, **search)
    obj = resolve_target(target)
    name = target if isinstance(target, str) else getattr(obj, "__qualname__", type(obj).__name__)
    if mapping is not None:
        return _identify_mapped(obj, mapping, str(name), **search)
    held = object_target(obj, str(name))
    if held is not None:
        return _identify_engine(held, str(name), **search)
    base_layout = layout_for(obj)
    family = base_layout.family
    # a configured module (layers, directions, bias=False, relu, proj_size) follows its
    # layout's spec; the variants are written in the plain unit's names
    base = base_layout.spec()
    variants = VARIANTS.get(family.spec_name) if base.name == family.spec_name else None
    gates = GATE_NAMES[family.spec_name]
    variants = variants or (("the spec as written", {}),)
    next_candidate = _told(progress, len(variants) * math.factorial(family.blocks))
    results = []
    for described, overrides in variants:
        spec = _variant_spec(base, overrides)
        for perm in itertools.permutations(range(family.blocks)):
            next_candidate()
            stacks = tuple((stem, tuple(names[k] for k in perm)) for stem, names in family.stacks)
            layout = replace(base_layout, family=replace(family, stacks=stacks))
            try:
                r = verify(obj, spec=spec, layout=layout, dtype=dtype, max_examples=max_examples,
                           seed=seed, gradients=False, shrink=False, explain=False)
            except SeqcheckError:
                continue
            order = tuple(gates[perm.index(k)] for k in range(family.blocks))
            ratio = 0.0 if r.ok else r.check.ratio
            results.append(Candidate(base.name, described, order, r.ok, ratio))
    results.sort(key=lambda c: (not c.ok, c.ratio))
    return Identification(str(name), tuple(results))
