"""A recurrent language model: eq. 49's factorisation and its cross-entropy loss.

"Language models are generative sequences of the form p(x_1, ..., x_T) = Π_t
p(x_t | x_{1:t-1})" (seed 000 eq. 49). A recurrent network computes each factor: the
input at step t is the previous token, x_t = onehot(token_{t-1}), and the softmax
output ŷ_t is the distribution of the next token, p(token_t | token_{<t}) = ŷ_t[token_t].
Its training loss is the total of the per-step losses (seed 001, Forward Propagation
slide: L = Σ_t L^(t)), each the cross-entropy −log ŷ_t[y_t], which is −log P of the
sequence (seed 002, "Cross-entropy loss" slide).

Step 1 has no previous token, so it reads a *start* token. By default the input has one
more entry than the vocabulary, D = C + 1, and index C is a beginning-of-sequence symbol
that is read but never predicted; with D = C the start token must be named.

Gradients come from the spec's derived BPTT, through the ``cross_entropy`` loss variant
(:func:`seqcheck.derive.losses.with_loss` on the logits o): ℓ_t = −Σ_i d_ti
log_softmax(o_t)_i with d_t = onehot(token_t), seeded with 1 at every step. Seeding the
probabilities ŷ with −1/ŷ at the target gives the same gradient (the softmax VJP turns it
into ŷ − d), but divides by ŷ, which underflows to 0 for a confident wrong prediction;
the log-softmax is computed stably (conventions.md) and its log-probabilities are exact
where log(ŷ) would be −inf.

Shapes (time-major, as every compiled spec): tokens are ``(T, B)`` integers in 0..C−1.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import numpy as np

from ...backends.compiled import CompiledSpec, bind_dims
from ...errors import SeqcheckError, ShapeError
from ...spec.model import Spec

__all__ = [
    "MAX_ENUMERATED", "LanguageModel", "LogProb", "CrossEntropy",
    "language_model", "sequence_log_prob", "cross_entropy", "total_probability",
]

#: Largest number of sequences C^T that :func:`total_probability` enumerates.
MAX_ENUMERATED = 1 << 16


@dataclass(frozen=True, eq=False)
class LanguageModel:
    """A spec with a softmax output, read as a next-token model, and its loss variant.

    Arguments:
        spec: the base spec (e.g. ``elman``).
        trained: the base with the ``cross_entropy`` loss on the logits (target ``d``).
        compiled: ``trained`` compiled to NumPy float64 with BPTT seeded on ``loss``.
        input: the sequence input that reads the previous token (``x``, shape (D,)).
        logits: the variable the softmax reads (``o``, shape (C,)).
        probs: the softmax output (``y_hat``).
    Build one with :func:`language_model`.
    """

    spec: Spec
    trained: Spec
    compiled: CompiledSpec
    input: str
    logits: str
    probs: str

    def sizes(self, params: Mapping) -> tuple[int, int]:
        """(D, C): the input size and the vocabulary size, bound from the parameters."""
        arrays = {n: np.asarray(v) for n, v in params.items() if n in self.spec.params}
        binding, problems = bind_dims(self.spec, arrays, {})
        d_dim = str(self.spec.inputs[self.input].shape[0])
        c_dim = str(self.spec.shape_of(self.logits)[0])
        if problems or d_dim not in binding or c_dim not in binding:
            missing = [n for n in self.spec.params if n not in params]
            raise ShapeError(
                f"cannot read the sizes {d_dim} and {c_dim} of spec {self.spec.name!r} off "
                "the parameters:\n  - " + "\n  - ".join(
                    problems + [f"missing parameter '{n}'" for n in missing]
                    or ["no parameter binds them"]))
        return binding[d_dim], binding[c_dim]


@cache
def _by_name(name: str, logits: str, probs: str) -> LanguageModel:
    from ...spec import load_spec

    return _build(load_spec(name), logits, probs)


def _build(spec: Spec, logits: str, probs: str) -> LanguageModel:
    from ...backends import compile_numpy
    from ...derive.losses import with_loss

    seq = spec.sequence_inputs
    if len(seq) != 1 or spec.static_inputs:
        raise SeqcheckError(
            f"a language model reads one sequence input (the previous token); spec "
            f"{spec.name!r} has sequence inputs {list(seq)} and static inputs "
            f"{list(spec.static_inputs)}")
    for role, name in (("logits", logits), ("probs", probs)):
        if name not in spec.variables:
            raise SeqcheckError(f"{role}={name!r} is not a variable of spec {spec.name!r} "
                                f"(variables: {', '.join(spec.variables)})")
    text = spec.equation(probs).text.replace(" ", "")
    if text != f"softmax({logits})":
        raise SeqcheckError(
            f"spec {spec.name!r} computes {probs} = {spec.equation(probs).text}, not "
            f"softmax({logits}); a language model reads a softmax distribution")
    if len(spec.inputs[seq[0]].shape) != 1:
        raise SeqcheckError(f"the token input {seq[0]!r} of spec {spec.name!r} must be a "
                            f"vector, got shape {spec.inputs[seq[0]].shape_str()}")
    trained = with_loss(spec, "cross_entropy", on=logits)
    compiled = compile_numpy(trained, gradients=True, seeded=("loss",))
    return LanguageModel(spec, trained, compiled, seq[0], logits, probs)


def language_model(spec: str | Spec | CompiledSpec | LanguageModel = "elman", *,
                   logits: str = "o", probs: str = "y_hat") -> LanguageModel:
    """A next-token model from a spec whose ``probs`` is ``softmax(logits)``.

    Arguments:
        spec: a catalogue name, a spec loaded from a file, a compiled spec (its spec is
            used), or a :class:`LanguageModel` (returned as is).
        logits, probs: the variables o and ŷ = softmax(o) (the ``elman`` spec's names).
    Returns:
        The :class:`LanguageModel`; built once per catalogue name.
    Raises:
        SeqcheckError: the spec has not one sequence input, or ``probs`` is not the
            softmax of ``logits``.

    >>> # seed 001's Elman network, read as a language model
    >>> lm = language_model("elman")
    >>> lm.input, lm.logits, lm.probs, lm.trained.name
    ('x', 'o', 'y_hat', 'elman_cross_entropy')
    """
    if isinstance(spec, LanguageModel):
        return spec
    if isinstance(spec, str):
        return _by_name(spec, logits, probs)
    if isinstance(spec, CompiledSpec):
        spec = spec.spec
    if not isinstance(spec, Spec):
        raise SeqcheckError(f"expected a spec name, Spec, CompiledSpec or LanguageModel, got "
                            f"{type(spec).__name__}")
    return _build(spec, logits, probs)


@dataclass(frozen=True)
class LogProb:
    """Log-probabilities of B token sequences under eq. 49.

    Arguments:
        total: log p(x_1, ..., x_T) per sequence, ``(B,)``.
        steps: log p(x_t | x_{1:t-1}), ``(T, B)``; ``total`` is their sum over t.
        probs: ŷ_t, the next-token distributions, ``(T, B, C)``.
    """

    total: np.ndarray
    steps: np.ndarray
    probs: np.ndarray


@dataclass(frozen=True)
class CrossEntropy:
    """The cross-entropy L = −Σ_b Σ_t log ŷ_t[y_t] and its gradients.

    Arguments:
        loss: L, summed over the steps and the batch (a float).
        per_sequence: −log p of each sequence, ``(B,)``.
        per_step: L^(t) = −log ŷ_t[y_t], ``(T, B)``.
        grads: ∂L/∂θ for every parameter of the spec, of its declared shape.
        initial: ∂L/∂(each delayed state's initial value), ``(B, ...)``.
    """

    loss: float
    per_sequence: np.ndarray
    per_step: np.ndarray
    grads: Mapping[str, np.ndarray]
    initial: Mapping[str, np.ndarray]


def _tokens(tokens, vocab: int) -> np.ndarray:
    y = np.asarray(tokens)
    if y.ndim != 2 or not np.issubdtype(y.dtype, np.integer):
        hint = ("\n  hint: tokens are time-major (T, B); one sequence s is "
                "numpy.asarray(s)[:, None]" if y.ndim == 1 else "")
        raise ShapeError(f"tokens must be integers of shape (T, B), got {y.dtype} of shape "
                         f"{y.shape}{hint}")
    if y.shape[0] < 1 or y.shape[1] < 1:
        raise ShapeError(f"tokens need at least one step and one sequence, got shape {y.shape}")
    if y.min() < 0 or y.max() >= vocab:
        bad = tuple(int(i) for i in np.argwhere((y < 0) | (y >= vocab))[0])
        raise ShapeError(f"token {int(y[bad])} at (t, b) = {bad} is outside the vocabulary "
                         f"0..{vocab - 1} (C = {vocab})")
    return y


def _start(start, inputs: int, vocab: int) -> int:
    if inputs < vocab:
        raise ShapeError(f"the input size D = {inputs} is smaller than the vocabulary "
                         f"C = {vocab}; the input reads the previous token, so D must be C "
                         f"or C + 1")
    if start is None:
        if inputs != vocab + 1:
            raise ShapeError(
                f"no start token: with D = C = {vocab} the first step's input must be named"
                f"\n  hint: pass start=k (0 <= k < {inputs}), or give the input one more "
                f"entry (D = {vocab + 1}) for a beginning-of-sequence symbol")
        return vocab
    if isinstance(start, bool) or not isinstance(start, numbers.Integral) or not (
            0 <= start < inputs):
        raise ShapeError(f"start must be an input index in 0..{inputs - 1}, got {start!r}")
    return int(start)


def _run(model, params: Mapping, tokens, start):
    lm = language_model(model)
    inputs, vocab = lm.sizes(params)
    y = _tokens(tokens, vocab)
    first = _start(start, inputs, vocab)
    T, B = y.shape
    x = np.zeros((T, B, inputs))
    x[0, :, first] = 1.0
    prev = y[:-1]
    x[np.arange(1, T)[:, None], np.arange(B)[None, :], prev] = 1.0  # x_t = onehot(token_{t-1})
    d = np.eye(vocab)[y]
    traj = lm.compiled.forward(params, {lm.input: x, "d": d})
    return lm, traj


def sequence_log_prob(model, params: Mapping, tokens, *, start: int | None = None) -> LogProb:
    """log p(x_1, ..., x_T) = Σ_t log p(x_t | x_{1:t-1}) (seed 000 eq. 49), per sequence.

    Arguments:
        model: a :class:`LanguageModel`, or what :func:`language_model` takes.
        params: the spec's parameters (``elman``: W_1 (H, H), W_2 (H, D), V (C, H),
            b (H,), c (C,)).
        tokens: ``(T, B)`` integers in 0..C−1.
        start: the input index read at step 1 (default C, when D = C + 1).
    Returns:
        :class:`LogProb`: the totals ``(B,)``, the per-step terms ``(T, B)``, ŷ ``(T, B, C)``.
    Raises:
        ShapeError: tokens out of the vocabulary, no start token, arrays that do not fit.

    >>> # with zero weights every next token is uniform: log p = T log(1/C)
    >>> import numpy as np
    >>> p = {"W_1": np.zeros((2, 2)), "W_2": np.zeros((2, 4)), "V": np.zeros((3, 2)),
    ...      "b": np.zeros(2), "c": np.zeros(3)}
    >>> lp = sequence_log_prob("elman", p, np.array([[0], [2]]))
    >>> bool(np.isclose(lp.total[0], 2 * np.log(1 / 3)))
    True
    """
    lm, traj = _run(model, params, tokens, start)
    steps = -np.asarray(traj.values["loss"])
    return LogProb(steps.sum(axis=0), steps, np.asarray(traj.values[lm.probs]))


def cross_entropy(model, params: Mapping, tokens, *, start: int | None = None) -> CrossEntropy:
    """L = −Σ_b Σ_t log ŷ_t[y_t] (seed 001: L = Σ_t L^(t)) and ∂L/∂θ through the derived BPTT.

    Arguments:
        model: a :class:`LanguageModel`, or what :func:`language_model` takes.
        params: the spec's parameters.
        tokens: ``(T, B)`` integers in 0..C−1; the targets y_t, whose predecessors are
            the inputs.
        start: the input index read at step 1 (default C, when D = C + 1).
    Returns:
        :class:`CrossEntropy`: L, −log p per sequence ``(B,)``, per step ``(T, B)``, and
        the gradients of L (summed over the batch) for every parameter.

    >>> # the gradient of the loss w.r.t. the output bias: Σ_t (ŷ_t − onehot(y_t))
    >>> import numpy as np
    >>> p = {"W_1": np.zeros((2, 2)), "W_2": np.zeros((2, 4)), "V": np.zeros((3, 2)),
    ...      "b": np.zeros(2), "c": np.zeros(3)}
    >>> np.round(cross_entropy("elman", p, np.array([[0], [0]])).grads["c"], 4)
    array([-1.3333,  0.6667,  0.6667])
    """
    lm, traj = _run(model, params, tokens, start)
    per_step = np.asarray(traj.values["loss"])
    g = lm.compiled.backward(traj, {"loss": np.ones_like(per_step)})
    return CrossEntropy(float(math.fsum(per_step.ravel())), per_step.sum(axis=0), per_step,
                        MappingProxyType(dict(g.params)), MappingProxyType(dict(g.initial)))


def total_probability(model, params: Mapping, steps: int, *,
                      start: int | None = None) -> float:
    """Σ over all C^T sequences of p(x_1, ..., x_T): 1 by eq. 49's factorisation.

    Each factor p(x_t | x_{1:t-1}) is a softmax row, which sums to 1 over x_t; summing
    the product over x_T, then x_{T−1}, ... peels the factors off one by one. The sum is
    taken by exact enumeration, all sequences in one batch.

    Arguments:
        model: a :class:`LanguageModel`, or what :func:`language_model` takes.
        params: the spec's parameters.
        steps: T.
        start: the input index read at step 1 (default C, when D = C + 1).
    Returns:
        The total probability (``math.fsum`` of the C^T terms).
    Raises:
        ShapeError: C^T above :data:`MAX_ENUMERATED`, or T < 1.

    >>> # any weights: the probabilities of the 27 sequences of length 3 sum to 1
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = {"W_1": rng.normal(size=(2, 2)), "W_2": rng.normal(size=(2, 4)),
    ...      "V": rng.normal(size=(3, 2)), "b": rng.normal(size=2), "c": rng.normal(size=3)}
    >>> round(total_probability("elman", p, 3), 12)
    1.0
    """
    lm = language_model(model)
    _, vocab = lm.sizes(params)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ShapeError(f"steps must be a positive integer, got {steps!r}")
    if vocab ** steps > MAX_ENUMERATED:
        raise ShapeError(f"C^T = {vocab}^{steps} = {vocab ** steps} sequences is above the "
                         f"limit of {MAX_ENUMERATED} for exact enumeration")
    every = np.array(list(itertools.product(range(vocab), repeat=int(steps))),
                     dtype=np.int64).T
    lp = sequence_log_prob(lm, params, every, start=start)
    return math.fsum(np.exp(lp.total))
