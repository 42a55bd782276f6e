"""The public loaders: spec text or a spec file -> a validated :class:`Spec`.

Loading is the validation: every problem found is collected as a located
:class:`~seqcheck.errors.Diagnostic` (file, line, column, equation, symbol, fix)
and raised together as one :class:`~seqcheck.errors.SpecError`, so a user fixes
a file in one round. The stages are :mod:`.layers` (the file and its ``extends`` chain,
merged) and :mod:`.build` (the checks and the spec). The typing of an extra expression is
:meth:`Spec.parse` (through :func:`seqcheck.spec.scope.type_expression`), and
``parse_in_spec`` stays here as another name for it.
"""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostics
from ..grammar import Typed
from ..model import Spec
from .build import build_spec
from .layers import merge, read_layers, read_source

__all__ = ["loads_spec", "load_spec", "parse_in_spec"]


def loads_spec(text: str, *, file: str = "<string>") -> Spec:
    """Parse and validate spec text.

    Arguments:
        text: TOML source of a spec.
        file: name used in error messages (and for resolving a relative ``extends``).
    Returns:
        The validated :class:`Spec`.
    Raises:
        SpecError: with one located diagnostic per problem found.

    >>> # a one-equation spec: a linear recurrence h_t = W h_{t-1} + U x_t
    >>> spec = loads_spec('''
    ... name = "linear"
    ... outputs = ["h"]
    ... [dims]
    ... H = "hidden size"
    ... D = "input size"
    ... [inputs]
    ... x = { shape = ["D"] }
    ... [states]
    ... h = { shape = ["H"], init = "0" }
    ... [params]
    ... W = { shape = ["H", "H"] }
    ... U = { shape = ["H", "D"] }
    ... [equations]
    ... h = "W @ h[t-1] + U @ x"
    ... ''')
    >>> spec.equation("h").shape
    (H,)
    """
    diags = Diagnostics()
    layers = read_layers(text, file, diags)
    diags.raise_if_any()
    merged = merge(layers, diags)
    spec = build_spec(merged, diags, file)
    diags.raise_if_any()
    assert spec is not None  # build_spec returns None only with diagnostics
    return spec


def load_spec(source: str | Path) -> Spec:
    """Load a spec by catalogue name (``"lstm"``) or file path.

    Arguments:
        source: a bundled spec name, or the path of a ``.toml`` file.
    Returns:
        The validated :class:`Spec`.
    Raises:
        SpecError: unknown name, unreadable file, or an invalid spec.

    >>> # the seed 004 LSTM, with its two biases per gate
    >>> load_spec("lstm").variables
    ('i', 'f', 'o', 'c_tilde', 'c', 'h', 'y')
    """
    text, path = read_source(source)
    return loads_spec(text, file=str(path))


def parse_in_spec(spec: Spec, text: str) -> Typed:
    """Type an extra expression in the scope of ``spec`` (all its names, delays to states):
    :meth:`Spec.parse`.

    Arguments:
        spec: the spec whose inputs, states, parameters and equation targets are in scope.
        text: the expression.
    Returns:
        The SymPy expression and its NumPy-style shape.
    Raises:
        SpecError: one diagnostic, located in the file ``<expression>``.

    >>> # a pre-activation of the LSTM's input gate is a vector of the hidden size
    >>> parse_in_spec(load_spec("lstm"), "W_ii @ x + b_ii + W_hi @ h[t-1] + b_hi").shape
    (H,)
    """
    return spec.parse(text)
