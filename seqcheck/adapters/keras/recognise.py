"""What a Keras object is: its :class:`~.layouts.Configuration`, or an error naming what
does not fit.

The unit comes from the class (a subclass is held with its parent's layout): a cell
(``LSTMCell``, ``GRUCell``, ``SimpleRNNCell``), a layer (``LSTM``, ``GRU``, ``SimpleRNN``,
or ``keras.layers.RNN`` around one of those cells), or ``Bidirectional`` around such a
layer. The configuration comes from the cell's attributes as Keras 3.15.1 sets them in
``__init__`` (``keras/src/layers/rnn/lstm.py``, ``gru.py``, ``simple_rnn.py``,
``bidirectional.py``). What the spec cannot express is refused: another activation or
recurrent activation, ``stateful=True``, a Bidirectional merge other than ``concat`` or
``None``, mixed or mixed-precision dtypes. What does not change the function is accepted:
initializers (``unit_forget_bias`` among them), regularizers, constraints, ``unroll``,
``implementation``, ``use_cudnn``, and ``dropout``/``recurrent_dropout``, which Keras
applies only in training mode: seqcheck calls every layer with ``training=False``.
"""

from __future__ import annotations

from ...errors import SeqcheckError
from .layouts import FAMILIES, Configuration, Family

__all__ = ["SUPPORTED", "configuration_of", "kind_of", "public_name"]

SUPPORTED = ("supported: keras.layers.LSTM, GRU (reset_after True or False), SimpleRNN "
             "(activation 'tanh' or 'relu'), their cells LSTMCell, GRUCell, SimpleRNNCell, "
             "keras.layers.RNN around one of those cells, and Bidirectional around one of "
             "those layers (merge_mode 'concat' or None), with or without use_bias, "
             "go_backwards, and their subclasses")
_DTYPES = ("float32", "float64")


def public_name(cls) -> str:
    """``keras.layers.GRU`` for Keras's own classes, ``module.Class`` for any other."""
    import keras

    name = cls.__name__
    if getattr(keras.layers, name, None) is cls:
        return f"keras.layers.{name}"
    return f"{cls.__module__}.{cls.__qualname__}"


def kind_of(cls) -> tuple[Family | None, str] | None:
    """``(family, kind)`` of a Keras class: kind ``"cell"``, ``"layer"``, ``"rnn"`` (a
    ``keras.layers.RNN`` whose unit is its cell's) or ``"bidirectional"``; None for any
    other class."""
    import keras

    layers = keras.layers
    for family in FAMILIES:
        if issubclass(cls, getattr(layers, family.cell)):
            return family, "cell"
    for family in FAMILIES:
        if issubclass(cls, getattr(layers, family.layer)):
            return family, "layer"
    if issubclass(cls, layers.Bidirectional):
        return None, "bidirectional"
    if issubclass(cls, layers.RNN):
        return None, "rnn"
    return None


def configuration_of(obj, name: str) -> Configuration:
    """The configuration of a Keras cell, layer or Bidirectional instance.

    Raises:
        SeqcheckError: an object outside :data:`SUPPORTED`, or configured in a way the
            spec cannot express, naming the attribute and what is accepted.
    """
    found = kind_of(type(obj))
    if found is None:
        raise SeqcheckError(f"{name} is not a Keras recurrent cell or layer; {SUPPORTED}")
    family, kind = found
    if kind == "cell":
        return _cell(obj, family, name)
    if kind == "bidirectional":
        return _bidirectional(obj, name)
    return _layer(obj, family, name)


def _dtype(layer, name: str) -> str:
    policy = layer.dtype_policy
    compute, variable = policy.compute_dtype, policy.variable_dtype
    if compute != variable or compute not in _DTYPES:
        raise SeqcheckError(
            f"{name} has dtype policy {policy.name!r} (variables {variable}, computation "
            f"{compute}); seqcheck verifies one dtype throughout, float32 or float64\n"
            "  hint: build it with dtype='float32' or dtype='float64'")
    return compute


def _activation_name(fn) -> str:
    return repr(getattr(fn, "__name__", fn))


def _cell(cell, family: Family, name: str) -> Configuration:
    """The fields a cell's attributes give, checked against what the spec expresses."""
    import keras

    activations = keras.activations
    accepted = {"tanh": activations.tanh}
    if family.layer == "SimpleRNN":
        accepted["relu"] = activations.relu
    activation = next((k for k, fn in accepted.items() if cell.activation is fn), None)
    if activation is None:
        choices = " or ".join(f"'{k}'" for k in accepted)
        raise SeqcheckError(
            f"{name} has activation={_activation_name(cell.activation)}; a Keras "
            f"{family.cell} is held to its spec with activation {choices}\n  {SUPPORTED}")
    if family.gates and cell.recurrent_activation is not activations.sigmoid:
        raise SeqcheckError(
            f"{name} has recurrent_activation="
            f"{_activation_name(cell.recurrent_activation)}; a Keras {family.cell} is held "
            f"to its spec with recurrent_activation='sigmoid'\n  {SUPPORTED}")
    _dtype(cell, name)
    return Configuration(family, "cell", use_bias=bool(cell.use_bias),
                         reset_after=bool(getattr(cell, "reset_after", True)),
                         activation=activation)


def _layer(layer, family: Family | None, name: str) -> Configuration:
    cell = getattr(layer, "cell", None)
    found = kind_of(type(cell)) if cell is not None else None
    if found is None or found[1] != "cell" or (family is not None and found[0] != family):
        what = "a list of cells (StackedRNNCells)" if isinstance(cell, (list, tuple)) or \
            type(cell).__name__ == "StackedRNNCells" else type(cell).__name__
        wanted = f"a {family.cell}" if family else "an LSTMCell, GRUCell or SimpleRNNCell"
        raise SeqcheckError(f"{name} runs {what}; it is held to a spec when its cell is "
                            f"{wanted}\n  {SUPPORTED}")
    if getattr(layer, "stateful", False):
        raise SeqcheckError(
            f"{name} has stateful=True: it starts each call from the states the previous "
            "call left, so its outputs are not a function of its inputs and initial states "
            f"alone\n  hint: verify it with stateful=False\n  {SUPPORTED}")
    dtype = _dtype(layer, name)
    config = _cell(cell, found[0], f"{name}'s cell")
    if dtype != _dtype(cell, f"{name}'s cell"):
        raise SeqcheckError(f"{name} has dtype {layer.dtype_policy.name!r} but its cell "
                            f"{cell.dtype_policy.name!r}; give both one dtype")
    return Configuration(config.family, "layer", use_bias=config.use_bias,
                         reset_after=config.reset_after, activation=config.activation,
                         go_backwards=bool(layer.go_backwards))


def _bidirectional(wrapper, name: str) -> Configuration:
    merge = wrapper.merge_mode
    if merge not in ("concat", None):
        raise SeqcheckError(
            f"{name} has merge_mode={merge!r}: it returns the two chains' h merged into one "
            "value per step, which no spec variable is\n  hint: use merge_mode='concat' "
            "(the default) or None, which return both chains' h")
    found = {}
    for side in ("forward_layer", "backward_layer"):
        layer = getattr(wrapper, side)
        kind = kind_of(type(layer))
        if kind is None or kind[1] not in ("layer", "rnn"):
            raise SeqcheckError(f"{name}.{side} is a {type(layer).__name__}; {SUPPORTED}")
        found[side] = _layer(layer, kind[0], f"{name}.{side}")
        if _dtype(layer, f"{name}.{side}") != _dtype(wrapper, name):
            raise SeqcheckError(
                f"{name} has dtype {wrapper.dtype_policy.name!r} but its {side} "
                f"{layer.dtype_policy.name!r}: Bidirectional casts its inputs and outputs to "
                "its own dtype\n  hint: give the wrapper the layer's dtype, "
                "Bidirectional(layer, dtype=...)")
    forward, backward = found["forward_layer"], found["backward_layer"]
    if forward.go_backwards or not backward.go_backwards:
        raise SeqcheckError(f"{name} has forward_layer.go_backwards={forward.go_backwards} "
                            f"and backward_layer.go_backwards={backward.go_backwards}; "
                            "seqcheck holds the forward layer running forwards and the "
                            "backward one backwards")
    if (forward.family, forward.use_bias, forward.reset_after, forward.activation) != (
            backward.family, backward.use_bias, backward.reset_after, backward.activation):
        raise SeqcheckError(f"{name} pairs a forward {forward.describe()} with a backward "
                            f"{backward.describe()}; a bidirectional spec runs one unit, "
                            "configured alike, in both directions")
    return Configuration(forward.family, "bidirectional", use_bias=forward.use_bias,
                         reset_after=forward.reset_after, activation=forward.activation)
