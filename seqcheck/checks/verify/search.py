"""The search for a counterexample: :func:`verify`.

:func:`verify` builds the target (:mod:`.targets`), draws cases with
:mod:`seqcheck.strategies` -- dims, steps, batch, witness weights (distinct per gate
block), inputs and initial states -- and lets Hypothesis search for one on which the
:class:`~seqcheck.checks.verify.checker.Checker` finds a divergence, and shrink it. The
result names the first diverging step and value, the errors against the tolerance, the
seed that replays the search and, from :mod:`.explain`, which equation or gate explains
the divergence. With ``replay=PATH`` it checks one saved case instead (:mod:`.replay`).

The target is never altered: a module instance is deep-copied, torch's and NumPy's
RNG states, torch's default dtype and grad mode are restored, also when the target
raises.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable

import numpy as np

from ...errors import SeqcheckError
from ...spec import Spec, load_spec
from .checker import Checker
from .explain import explain_divergence
from .replay import load_case, replay_case, save_case
from .result import VerifyResult
from .targets import make_target

__all__ = ["DECISIVE", "describe_progress", "dtype_name", "preserved", "settle", "verify"]

#: The search shrinks towards cases whose worst |Δ| exceeds this many tolerances.
DECISIVE = 8.0


@contextlib.contextmanager
def preserved():
    """Restore every global state a check could touch: RNGs, default dtype, grad mode."""
    import sys

    torch = sys.modules.get("torch")  # a run that never loads torch has none to restore
    if torch is not None:
        torch_rng = torch.get_rng_state()
        dtype = torch.get_default_dtype()
        grad = torch.is_grad_enabled()
    numpy_rng = np.random.get_state()
    py_rng = random.getstate()
    try:
        yield
    finally:
        if torch is not None:
            torch.set_rng_state(torch_rng)
            torch.set_default_dtype(dtype)
            torch.set_grad_enabled(grad)
        np.random.set_state(numpy_rng)
        random.setstate(py_rng)


def verify(target, spec=None, layout=None, *, attributes=None, mapping=None, dtype=None,
           max_examples: int = 100, seed: int = 0, gradients: bool | None = None,
           shrink: bool = True, explain: bool = True, save=None, replay=None,
           progress: Callable[[int, int | None], None] | None = None,
           lengths: bool | str = False, min_length: int | None = None) -> VerifyResult:
    """Search for a case on which ``target`` and ``spec`` disagree.

    Arguments:
        target: a torch.nn module class or factory called as ``target(input_size,
            hidden_size)``, a module instance (its sizes stay fixed; it is deep-copied),
            a ``"module:attr"`` string naming one, an ONNX node ``"onnx:LSTM"`` /
            ``"onnxruntime:GRU"``, or any :class:`~seqcheck.adapters.base.Target`.
        spec: a bundled spec name, a path, or a Spec; default: the spec of the
            equations the target documents (torch's for its cells, ONNX's operator
            equations for the given attributes).
        layout, attributes, mapping: see :func:`make_target`.
        dtype: the target's dtype (``"float32"`` or ``"float64"``, or a torch dtype);
            default: an instance's own dtype, else the target's first (float32).
        max_examples: cases to try; seed: makes the search reproducible.
        gradients: also compare gradients of a random projection of all outputs (default:
            whenever the target can differentiate; ONNX engines cannot).
        shrink, explain: shrink the counterexample, and look for the change of the spec
            that explains it (both on by default).
        save: a path; a counterexample found is written there (:func:`save_case`, an
            ``.npz``). Nothing is written when the target conforms.
        replay: a path written by ``save``; that one case is checked, with no search, in
            the saved dtype and gradient setting (see :func:`load_case`).
        progress: called as each case is about to be checked, with ``(n, max_examples)``
            for the n-th generated case, and, once a case has diverged, with ``(n, None)``
            while Hypothesis shrinks it, however many cases that takes
            (:func:`describe_progress` words it). For a target that conforms, n runs
            up to ``max_examples``.
        lengths: run rows of their own lengths (:func:`seqcheck.spec.lengths.with_lengths`
            of the spec, unless it has a mask input already): each case draws a length
            per row, from the target's ``min_length`` to T, unsorted; the target runs them
            as its engine does (ONNX ``sequence_lens``, torch ``PackedSequence``).
            ``"fed"``: the target is fed the drawn lengths but held to the spec as it is,
            every row over all T steps -- what an engine that ignores them computes.
        min_length: the shortest row drawn (default: the target's ``min_length``; never
            shorter than it).
    Returns:
        A :class:`VerifyResult` (``bool(result)`` is ``result.ok``).

    >>> # torch's own LSTM cell conforms to the seed 004 LSTM, gradients included
    >>> import torch
    >>> verify(torch.nn.LSTMCell, max_examples=5).ok
    True
    """
    try:
        import hypothesis
        from hypothesis import HealthCheck, Phase, settings
    except ImportError as e:
        raise SeqcheckError(f"seqcheck verify needs hypothesis ({e.name} is missing): "
                            "pip install 'seqcheck[verify]'") from None
    from ...strategies import cases

    tgt = make_target(target, layout, attributes=attributes, mapping=mapping)
    if spec is None:
        spec = tgt.default_spec()
    elif not isinstance(spec, Spec):
        spec = load_spec(spec)
    if lengths not in (False, True, "fed"):
        raise SeqcheckError(f"lengths must be True, False or 'fed'; got {lengths!r}")
    if lengths is True and spec.mask_input is None:
        from ...spec.lengths import with_lengths

        spec = with_lengths(spec)
    saved = None
    if replay is not None:
        saved = load_case(replay)
        if saved.spec != spec.name:
            raise SeqcheckError(f"{replay} holds a counterexample to spec {saved.spec!r}, not "
                                f"{spec.name!r}\n  hint: pass spec={saved.spec!r} (--spec "
                                f"{saved.spec})")
        if dtype is not None and dtype_name(dtype) != saved.dtype:
            raise SeqcheckError(f"{replay} was found in {saved.dtype}, not "
                                f"{dtype_name(dtype)}\n  hint: leave out dtype to replay it "
                                "as saved")
        dtype = saved.dtype
        seed = saved.seed
        if gradients is None and saved.gradients and tgt.has_gradients:
            gradients = True
        elif gradients is None:
            gradients = False
    dtype, gradients = settle(tgt, spec, dtype, gradients, lengths == "fed")
    shortest = _shortest(tgt, min_length)
    fixed = tgt.fixed_sizes(spec)
    with preserved():
        checker = Checker(tgt, spec, dtype, gradients)
        if saved is not None:
            return replay_case(checker, saved, replay, explain)
        strategy = cases(spec, fixed_sizes=fixed, min_length=shortest,
                         lengths=lengths == "fed")
        found = None
        worst: list = [0.0, None, None]
        # find() stops generating at the first case that diverges; later calls shrink it
        tried: list = [0, max_examples]

        def diverges(case) -> bool:
            tried[0] += 1
            if progress is not None:
                progress(*tried)
            # Shrink towards cases that diverge clearly: a case shrunk to the edge of the
            # tolerance (tiny weights where a defect barely shows) explains nothing.
            check = checker.check(case)
            if check.ratio > worst[0]:
                worst[:] = [check.ratio, case, check]
            if check.ratio > DECISIVE:
                tried[1] = None
            return check.ratio > DECISIVE

        try:
            found = hypothesis.find(
                strategy, diverges,
                settings=settings(max_examples=max_examples, database=None, deadline=None,
                                  suppress_health_check=list(HealthCheck),
                                  phases=[Phase.generate, Phase.shrink] if shrink
                                  else [Phase.generate]),
                random=random.Random(seed),
            )
        except hypothesis.errors.NoSuchExample:
            if worst[0] > 1:  # only marginal divergences: report the clearest one, unshrunk
                found = worst[1]
        except hypothesis.errors.Flaky:
            # The same case diverged once and conformed when run again: the target is not
            # a function of its inputs. Report the divergent run, unshrunk.
            found, first = worst[1], worst[2]
            again = checker.check(found)
            note = ("the target is not deterministic: this case diverged on one run and "
                    + ("conformed" if again.ok else "diverged differently")
                    + " when run again on the same arrays")
            result = VerifyResult(False, tgt.name, spec.name, tgt.description, max_examples,
                                  seed, dtype, gradients, found, first, note)
            if save is not None:
                save_case(save, result)
            return result
        if found is None:
            return VerifyResult(True, tgt.name, spec.name, tgt.description, max_examples,
                                seed, dtype, gradients)
        final = checker.check(found)
        explanation = explain_divergence(checker, found) if explain else None
    result = VerifyResult(False, tgt.name, spec.name, tgt.description, max_examples, seed,
                          dtype, gradients, found, final, explanation)
    if save is not None:
        save_case(save, result)
    return result


def _shortest(tgt, min_length: int | None) -> int:
    """The shortest row a search draws: ``min_length``, else the target's own."""
    own = tgt.min_length or 0
    if min_length is None:
        return own
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < own:
        raise SeqcheckError(f"min_length must be an integer of at least {own} for {tgt.name}"
                            f" (the shortest row it runs); got {min_length!r}")
    return min_length


def settle(tgt, spec: Spec, dtype, gradients: bool | None,
           lengths: bool = False) -> tuple[str, bool]:
    """The dtype and gradient setting a check of ``tgt`` against ``spec`` runs with
    (default: the target's first dtype; gradients where it can differentiate), ``lengths``
    true when the target is fed rows of their own lengths without a mask in the spec.

    Raises:
        SeqcheckError: a dtype the target does not run in, gradients it cannot give, or
            an output or state the spec does not define.
    """
    dtype = dtype_name(dtype) if dtype is not None else tgt.dtypes[0]
    if dtype not in tgt.dtypes:
        raise SeqcheckError(f"{tgt.name} does not run in {dtype}; it runs in "
                            f"{', '.join(tgt.dtypes)}")
    if gradients is None:
        gradients = tgt.has_gradients
    elif gradients and not tgt.has_gradients:
        raise SeqcheckError(f"{tgt.name} cannot differentiate, so its gradients cannot be "
                            "compared\n  hint: verify outputs and states only "
                            "(--no-gradients, gradients=False)")
    if (lengths or spec.mask_input is not None) and tgt.min_length is None:
        raise SeqcheckError(f"{tgt.name} cannot run rows of their own lengths, which spec "
                            f"{spec.name!r} has (its mask input {spec.mask_input!r})\n  hint: "
                            "verify it on full rows (without --lengths), or against a spec "
                            "without a mask input")
    unknown = [v for v in (*tgt.outputs, *tgt.states) if v not in spec.variables]
    if unknown:
        raise SeqcheckError(f"spec {spec.name!r} defines no {', '.join(unknown)}, which "
                            f"{tgt.name} returns ({tgt.description}); spec variables: "
                            f"{', '.join(spec.variables)}")
    return dtype, gradients


def describe_progress(n: int, total: int | None) -> str:
    """What :func:`verify`'s ``progress`` reports, in words.

    >>> describe_progress(12, 25), describe_progress(40, None)
    ('case 12/25', 'shrinking (case 40)')
    """
    return f"case {n}/{total}" if total is not None else f"shrinking (case {n})"


def dtype_name(dtype) -> str:
    """``"float32"`` for torch.float32, np.float32, "float32"; refuses anything else."""
    name = str(dtype).replace("torch.", "")
    try:
        name = np.dtype(name).name
    except TypeError:
        pass
    if name not in ("float32", "float64"):
        raise SeqcheckError(f"dtype must be float32 or float64; got {dtype}")
    return name
