"""Use seqcheck in your own test suite.

>>> # in a test of a fused LSTM cell of your own:
>>> # from seqcheck.testing import assert_conforms
>>> # assert_conforms(MyFusedLSTMCell, spec="lstm", max_examples=200)
"""

from __future__ import annotations

from .errors import CheckFailed

__all__ = ["assert_conforms"]


def assert_conforms(target, spec=None, layout=None, **options):
    """Raise :class:`~seqcheck.errors.CheckFailed` unless ``target`` conforms to ``spec``.

    Arguments are those of :func:`seqcheck.verify`; the exception carries the
    :class:`~seqcheck.checks.verify.VerifyResult` (``.result``) and its message is the
    result's text: the shrunk counterexample, where it diverges, and the seed.
    Returns:
        The result, when it conforms.
    """
    from .checks.verify import verify

    result = verify(target, spec=spec, layout=layout, **options)
    if not result.ok:
        raise CheckFailed(result, result.format_text())
    return result
