"""Which spec and layout does a target follow? ``seqcheck identify TARGET``.

The candidates are every order of the stacked gate blocks: torch's LSTM i, f, g, o;
ONNX's i, o, f, c; Keras's i, f, c, o; and every other order. Each is combined with
the spec variants that libraries actually differ by (DESIGN.md "Conventions"): for a GRU,
the reset applied after the recurrent product (torch, cuDNN, ONNX
linear_before_reset = 1) or before it (Cho et al. 2014, ONNX's default), and which of
z and 1 - z weights the old state. Each candidate is checked with :func:`verify` on
outputs and states. The result lists the candidates that conform, or the nearest one
and how many tolerances it misses by.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from ..errors import SeqcheckError
from ..spec import Spec, variant
from .verify import resolve_target, verify

__all__ = ["Candidate", "Identification", "identify", "VARIANTS"]

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
    """One spec variant with one gate order, and how it fared."""

    spec: str
    variant: str
    order: tuple[str, ...]
    ok: bool
    ratio: float

    def describe(self) -> str:
        known = KNOWN_ORDERS.get(self.order)
        order = f"gate order ({', '.join(self.order)})" + (f", {known}" if known else "")
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
                                "ok": c.ok, "ratio": c.ratio} for c in self.candidates]}


def _variant_spec(base: Spec, overrides: dict) -> Spec:
    return variant(base, equations=overrides) if overrides else base


def identify(target, *, max_examples: int = 10, seed: int = 0, dtype=None) -> Identification:
    """Find which spec variant and gate order ``target`` follows.

    Arguments:
        target: as for :func:`~seqcheck.checks.verify.verify`.
        max_examples: cases per candidate; seed: reproducible.
    Returns:
        An :class:`Identification`, conforming candidates first, then by distance.

    >>> # torch's GRU cell: torch's own gate order and reset placement
    >>> import torch
    >>> identify(torch.nn.GRUCell, max_examples=3).matches[0].order
    ('r', 'z', 'n')
    """
    from ..adapters.torch_nn import layout_for

    obj = resolve_target(target)
    base_layout = layout_for(obj)
    family = base_layout.family
    # a configured module (layers, directions, bias=False, relu, proj_size) follows its
    # layout's spec; the variants are written in the plain unit's names
    base = base_layout.spec()
    variants = VARIANTS.get(family.spec_name) if base.name == family.spec_name else None
    gates = GATE_NAMES[family.spec_name]
    results = []
    for described, overrides in variants or (("the spec as written", {}),):
        spec = _variant_spec(base, overrides)
        for perm in itertools.permutations(range(family.blocks)):
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
    name = target if isinstance(target, str) else getattr(obj, "__qualname__", type(obj).__name__)
    return Identification(str(name), tuple(results))
