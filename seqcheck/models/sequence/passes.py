"""Sequence models built from per-step specs: Seq2Vec readouts and the encoder–decoder.

A per-step spec says how one step updates the state; these models say what is done
with the whole trajectory (seed 000 eq. 18–19, 22–25):

- :func:`seq2vec` reads a class distribution off the final state, p(y | x_{1:T}) =
  Cat(y | S(W h_T)) (eq. 22), or off the time-average of the bidirectional state
  h_t = [h→_t; h←_t], h̄ = (1/T) Σ_t h_t (eq. 23–25, with the readout corrected to
  S(W h̄); see docs/errata.md);
- :func:`encoder_decoder` runs an encoder over x_{1:T}, takes its final state as the
  context c = f_e(x_{1:T}) (eq. 18), and runs a Vec2Seq decoder from c for T' steps,
  y_{1:T'} = f_d(c) (eq. 19; the decoder is seed 000 eq. 8–11, spec ``vec2seq``).

Forward passes are the compiled specs' (:func:`seqcheck.compile_numpy`); gradients are
the specs' derived BPTT passes, seeded where the readout and the loss put their
gradients (the final step, every step, or the decoder's outputs) and chained from the
decoder's static input back into the encoder's final state. Nothing here is unrolled
symbolically, so the cost is linear in T.

Shapes: T steps, B examples, C classes; ``x`` is ``(T, B, D)``, labels are ``(B,)``
integers (Seq2Vec) or ``(T', B)`` integers (encoder–decoder).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import numpy as np

from ...errors import ShapeError

__all__ = ["Seq2VecPass", "EncoderDecoderPass", "seq2vec", "encoder_decoder"]


@cache
def _compiled(spec_name: str, seeded: tuple[str, ...], dtype: str):
    from ...backends import compile_numpy
    from ...spec import load_spec

    return compile_numpy(load_spec(spec_name), np.dtype(dtype), gradients=True, seeded=seeded)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _labels(labels, shape: tuple[int, ...], classes: int, what: str) -> np.ndarray:
    y = np.asarray(labels)
    if y.shape != shape or not np.issubdtype(y.dtype, np.integer):
        raise ShapeError(f"{what} must be integers of shape {shape}, got {y.dtype} {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= classes):
        raise ShapeError(f"{what} must lie in 0..{classes - 1}, got {y.min()}..{y.max()}")
    return y


def _one_hot(y: np.ndarray, classes: int, dtype) -> np.ndarray:
    return np.eye(classes, dtype=dtype)[y]


@dataclass(frozen=True)
class Seq2VecPass:
    """One Seq2Vec pass.

    Arguments:
        summary: the vector the readout reads, ``(B, S)``: h_T (eq. 22) or h̄ (eq. 25).
        logits: W @ summary, ``(B, C)``.
        probs: S(logits), ``(B, C)``; each row a probability vector.
        loss: −log probs[label] per example, ``(B,)`` (None without labels).
        gradients: ∂Σ loss/∂(every parameter, the readout ``W`` and the input ``x``)
            (None without labels).
    """

    summary: np.ndarray
    logits: np.ndarray
    probs: np.ndarray
    loss: np.ndarray | None
    gradients: Mapping[str, np.ndarray] | None


def seq2vec(params: Mapping, W, x, labels=None, *, pooling: str = "last",
            spec: str | None = None, dtype=np.float64) -> Seq2VecPass:
    """Classify a sequence from its final state or its time-averaged state.

    ``pooling="last"`` (seed 000 eq. 22): p(y | x_{1:T}) = Cat(y | S(W h_T)) over spec
    ``rnn`` (eq. 15–16; its output layer o is not used). ``pooling="mean"`` (eq. 23–25):
    h_t = [h→_t; h←_t] of spec ``birnn`` (its per-step output y is not used),
    h̄ = (1/T) Σ_t h_t and p(y | x_{1:T}) = Cat(y | S(W h̄)).

    Arguments:
        params: the spec's parameters (``seqcheck show rnn`` / ``birnn`` lists them).
        W: readout, ``(C, H)`` for ``last``, ``(C, 2H)`` for ``mean``.
        x: inputs, ``(T, B, D)``.
        labels: optional class labels, ``(B,)`` integers; with them the pass carries the
            cross-entropy −log p(y | x_{1:T}) and its gradients.
        pooling: ``"last"`` or ``"mean"``.
        spec: another bundled spec with the same state names (``h`` for ``last``;
            ``h_fwd`` and ``h_bwd`` for ``mean``), e.g. ``"elman"``.
        dtype: ``numpy.float64`` or ``numpy.float32``.
    Returns:
        :class:`Seq2VecPass`. The gradient of the readout is ∂L/∂W = (p − e_y) summaryᵀ
        summed over the batch; the state's adjoint Wᵀ(p − e_y) is seeded at t = T
        (``last``) or at every step with weight 1/T (``mean``) into the spec's BPTT.
    """
    if pooling not in ("last", "mean"):
        raise ShapeError(f"pooling must be 'last' or 'mean', not {pooling!r}")
    states = ("h",) if pooling == "last" else ("h_fwd", "h_bwd")
    name = spec or ("rnn" if pooling == "last" else "birnn")
    dt = np.dtype(dtype)
    from ...spec import load_spec

    missing = [s for s in states if s not in load_spec(name).states]
    if missing:
        raise ShapeError(f"spec {name!r} has no state {', '.join(missing)} for pooling "
                         f"{pooling!r}")
    comp = _compiled(name, states, dt.name)
    traj = comp.forward(params, {"x": x})
    T, B = traj.steps, traj.batch
    if pooling == "last":
        summary = np.asarray(traj.final["h"])
    else:
        both = np.concatenate([np.asarray(traj["h_fwd"]), np.asarray(traj["h_bwd"])], axis=-1)
        summary = both.mean(axis=0)
    W = np.asarray(W, dtype=dt)
    if W.ndim != 2 or W.shape[1] != summary.shape[-1]:
        raise ShapeError(f"readout W must have shape (C, {summary.shape[-1]}), got {W.shape}")
    logits = summary @ W.T
    probs = _softmax(logits)
    if labels is None:
        return Seq2VecPass(summary, logits, probs, None, None)
    y = _labels(labels, (B,), W.shape[0], "labels")
    loss = -_log_softmax(logits)[np.arange(B), y]
    g_logits = probs - _one_hot(y, W.shape[0], dt)             # (B, C)
    g_summary = g_logits @ W                                   # (B, S)
    if pooling == "last":
        seed = np.zeros_like(np.asarray(traj["h"]))
        seed[-1] = g_summary                                   # h_T only
        seeds = {"h": seed}
    else:
        H = np.asarray(traj["h_fwd"]).shape[-1]
        per_step = np.broadcast_to(g_summary / T, (T, B, g_summary.shape[-1]))
        seeds = {"h_fwd": per_step[..., :H], "h_bwd": per_step[..., H:]}
    grads = comp.backward(traj, seeds)
    out = {**{k: np.asarray(v) for k, v in grads.params.items()},
           "W": g_logits.T @ summary, "x": np.asarray(grads.inputs["x"])}
    return Seq2VecPass(summary, logits, probs, loss, MappingProxyType(out))


@dataclass(frozen=True)
class EncoderDecoderPass:
    """One encoder–decoder pass.

    Arguments:
        context: c = h_T of the encoder, ``(B, H)`` (seed 000 eq. 18).
        logits: the decoder's o_t, ``(T', B, C)``.
        probs: ŷ_t = S(o_t), ``(T', B, C)`` (eq. 11).
        loss: Σ_t −log ŷ_t[y_t] per example, ``(B,)`` (None without targets).
        gradients: ``{"encoder": {...}, "decoder": {...}, "x": ∂L/∂x (T, B, D),
            "context": ∂L/∂c (B, H)}`` (None without targets).
    """

    context: np.ndarray
    logits: np.ndarray
    probs: np.ndarray
    loss: np.ndarray | None
    gradients: Mapping[str, object] | None


def encoder_decoder(encoder_params: Mapping, decoder_params: Mapping, x, steps: int,
                    targets=None, *, encoder: str = "rnn", decoder: str = "vec2seq",
                    dtype=np.float64) -> EncoderDecoderPass:
    """Map x_{1:T} to T' output distributions through a context vector.

    c = f_e(x_{1:T}) = h_T of the encoder spec (seed 000 eq. 18; seed 001 "Encoder-Decoder
    RNN": "a simple function of the hidden state of the last hidden layer", here the
    identity), and y_{1:T'} = f_d(c) (eq. 19): the decoder spec ``vec2seq`` (eq. 8–11)
    with its fixed input x := c, so its W_xh is ``(M, H + C)``.

    Arguments:
        encoder_params, decoder_params: the two specs' parameters.
        x: encoder inputs, ``(T, B, D)``.
        steps: T', the number of decoder steps (independent of T).
        targets: optional ``(T', B)`` integer targets; with them the pass carries the
            summed cross-entropy and gradients of both specs' parameters, of ``x`` and of c.
        encoder, decoder: bundled spec names; the encoder must have a state ``h``, the
            decoder a static input ``x`` and an output ``o`` (its logits).
    Returns:
        :class:`EncoderDecoderPass`. Gradients: the decoder's BPTT is seeded with
        ŷ_t − e_{y_t} on o_t; its gradient w.r.t. its static input is ∂L/∂c, which
        seeds the encoder's BPTT at h_T.
    """
    dt = np.dtype(dtype)
    enc = _compiled(encoder, ("h",), dt.name)
    dec = _compiled(decoder, ("o",), dt.name)
    if not (dec.spec.inputs.get("x") and dec.spec.inputs["x"].static):
        raise ShapeError(f"decoder spec {decoder!r} needs a static input 'x' for the context")
    enc_traj = enc.forward(encoder_params, {"x": x})
    context = np.asarray(enc_traj.final["h"])
    dec_traj = dec.forward(decoder_params, {"x": context}, steps=steps)
    logits = np.asarray(dec_traj["o"])
    probs = _softmax(logits)
    if targets is None:
        return EncoderDecoderPass(context, logits, probs, None, None)
    C = logits.shape[-1]
    y = _labels(targets, logits.shape[:2], C, "targets")
    logp = _log_softmax(logits)
    loss = -np.take_along_axis(logp, y[..., None], axis=-1)[..., 0].sum(axis=0)
    dec_grads = dec.backward(dec_traj, {"o": probs - _one_hot(y, C, dt)})
    g_context = np.asarray(dec_grads.inputs["x"])
    seed = np.zeros_like(np.asarray(enc_traj["h"]))
    seed[-1] = g_context
    enc_grads = enc.backward(enc_traj, {"h": seed})
    grads = {
        "encoder": MappingProxyType({k: np.asarray(v) for k, v in enc_grads.params.items()}),
        "decoder": MappingProxyType({k: np.asarray(v) for k, v in dec_grads.params.items()}),
        "x": np.asarray(enc_grads.inputs["x"]),
        "context": g_context,
    }
    return EncoderDecoderPass(context, logits, probs, loss, MappingProxyType(grads))
