"""Explaining a counterexample: the small change of the spec that makes it conform.

:func:`explain_divergence` tries single-equation changes of the spec -- sigmoid for tanh
and back, z exchanged with 1 - z, a GRU's reset on the other side of the recurrent
product, a bias left out, two gates exchanging their parameters
(a permutation of the stacked gate blocks) -- each as a variant spec built with
``extends``, and re-checks the counterexample on it. The first that conforms is the
explanation.
"""

from __future__ import annotations

import re

from ...errors import SeqcheckError
from ...spec import Spec, variant
from .checker import Checker

__all__ = ["explain_divergence"]


def _mutations(spec: Spec):
    """Small changes of ``spec``: (description, {equation: new text}[, dropped params]).

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
        yield from _reset_placements(eq.target, text)
        for p in names:
            if re.search(rf"\+ {p}\b", text) and len(spec.params[p].shape) == 1:
                yield (f"equation '{eq.target}' leaves out the bias {p}",
                       {eq.target: re.sub(rf"\s*\+ {p}\b", "", text, count=1)}, (p,))
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


#: r * (W_hn @ h[t-1] + b_hn), the reset after the recurrent product (torch, cuDNN)
_RESET_AFTER = re.compile(r"(\w+) \* \((\w+) @ (\w+\[t-1\]) \+ (\w+)\)")
#: W_hn @ (r * h[t-1]) + b_hn, the reset before it (Cho et al. 2014), the bias optional
_RESET_BEFORE = re.compile(r"(\w+) @ \((\w+) \* (\w+\[t-1\])\)( \+ \w+)?")


def _reset_placements(target: str, text: str):
    """The GRU's reset moved to the other side of the recurrent product, either way."""
    if _RESET_AFTER.search(text):
        yield (f"equation '{target}' applies the reset before the recurrent product "
               "(Cho et al. 2014; ONNX linear_before_reset=0)",
               {target: _RESET_AFTER.sub(r"\2 @ (\1 * \3) + \4", text, count=1)})
    if _RESET_BEFORE.search(text):
        yield (f"equation '{target}' applies the reset after the recurrent product "
               "(torch, cuDNN; ONNX linear_before_reset=1)",
               {target: _RESET_BEFORE.sub(lambda m: f"{m[2]} * ({m[1]} @ {m[3]}{m[4] or ''})",
                                          text, count=1)})


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


def explain_divergence(checker: Checker, case) -> str | None:
    """The first change of ``checker.spec`` on which ``case`` conforms, described, or None.

    Arguments:
        checker: the checker that found ``case`` diverging (its target and spec).
        case: the counterexample (a :class:`seqcheck.strategies.Case`).
    Returns:
        ``"<what changed>: <equation> = <new text>; ..."``, or None when no change
        explains it or the spec has no file to vary (``extends`` needs a path).
    """
    spec = checker.spec
    if spec.path is None:
        return None
    seen = set()
    for description, texts, *dropped in _mutations(spec):
        key = tuple(sorted(texts.items()))
        if key in seen:
            continue
        seen.add(key)
        try:
            mutated = variant(spec, equations=texts, drop=dropped[0] if dropped else ())
        except SeqcheckError:
            continue
        if checker.check(case, mutated).ok:
            return description + ": " + "; ".join(f"{t} = {x}" for t, x in texts.items())
    return None
