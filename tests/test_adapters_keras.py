"""Keras 3's recurrent cells and layers (seqcheck.adapters.keras) held to their specs.

Oracles:
- ``tests/oracles/keras_cells.py``: plain NumPy transcribed from Keras 3.15.1's own source
  (``LSTMCell.call``, ``GRUCell.call``, ``SimpleRNNCell.call``, ``RNN.call``,
  ``Bidirectional.call``), in Keras's arrays; first pinned here against Keras itself on
  random weights (the gate orders, the GRU biases, the order ``go_backwards`` returns);
- then ``seqcheck.verify``: the adapter's layouts against the compiled specs, outputs,
  states and torch autograd's gradients, float32 and float64;
- planted defects in Keras's own form (a GRU whose cell swaps z and r, an LSTM cell that
  drops its bias, a transposed kernel, a Bidirectional that leaves the backward sequence
  reversed, the wrong GRU reset placement), which must not conform, with the divergence
  named;
- what Keras does that the spec does not, pinned: float64 matrix products computed in
  float32 (keras-team/keras#23704) where a layer runs its cell through ``keras.ops``, on
  torch and on jax (where a float64 SimpleRNN does not run at all).

Keras runs on torch in this process (``before_import`` picks it, as the CLI does, before
keras is first imported); the jax backend and the CLI run in subprocesses.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
import textwrap

from seqcheck.adapters.keras import before_import

before_import()  # as seqcheck's CLI does, before any keras module is imported

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras", reason="the Keras adapter needs keras 3 (seqcheck[keras])")
pytest.importorskip("torch", reason="the in-process Keras tests run Keras on torch")
if keras.backend.backend() != "torch":
    pytest.skip("this module runs Keras on torch in-process (KERAS_BACKEND is set to "
                f"{keras.backend.backend()!r}); the jax backend is tested in a subprocess",
                allow_module_level=True)

from keras import ops  # noqa: E402
from oracles import keras_cells as oracle  # noqa: E402

import seqcheck  # noqa: E402
from seqcheck import SeqcheckError  # noqa: E402
from seqcheck.adapters.keras import KerasTarget, configuration_of  # noqa: E402
from seqcheck.adapters.keras.choose import backend_to_set  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")
L = keras.layers
B, T, D, H = 2, 4, 3, 5  # H != D: a transposed block cannot fit


def _numpy(t):
    """A torch tensor as float64 NumPy (np.array(tensor) warns under NumPy 2)."""
    return t.detach().cpu().double().numpy()


def _set_random(cell, rng):
    """Random weights, different per gate block; returns (kernel, recurrent_kernel, bias)."""
    out = []
    for var in (cell.kernel, cell.recurrent_kernel, cell.bias):
        if var is None:
            out.append(None)
            continue
        value = rng.normal(size=tuple(var.shape))
        var.assign(value)
        out.append(value)
    return tuple(out)


# -- (a) the oracle is Keras: NumPy transcriptions pinned against Keras itself ---------------
LAYERS = [
    # cell, keyword arguments, the oracle's options
    pytest.param("LSTM", {}, {}, id="LSTM"),
    pytest.param("LSTM", {"use_bias": False}, {}, id="LSTM-nobias"),
    pytest.param("GRU", {}, {"reset_after": True}, id="GRU"),
    pytest.param("GRU", {"reset_after": False}, {"reset_after": False}, id="GRU-lbr0"),
    pytest.param("GRU", {"reset_after": False, "use_bias": False}, {"reset_after": False},
                 id="GRU-lbr0-nobias"),
    pytest.param("SimpleRNN", {}, {}, id="SimpleRNN"),
    pytest.param("SimpleRNN", {"activation": "relu"},
                 {"activation": lambda a: np.maximum(a, 0.0)}, id="SimpleRNN-relu"),
]
#: layers whose float64 run keeps float64 throughout: the torch backend's own
#: _fallback_lstm / _fallback_gru (torch.matmul); the others multiply through keras.ops.matmul
EXACT64 = {"LSTM", "GRU"}


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "go_backwards"])
@pytest.mark.parametrize("cell, kwargs, options", LAYERS)
def test_the_oracle_is_keras_layer(cell, kwargs, options, go_backwards):
    rng = np.random.default_rng(7)
    layer = getattr(L, cell)(H, return_sequences=True, return_state=True,
                             go_backwards=go_backwards, dtype="float64", **kwargs)
    layer.build((None, None, D))
    weights = _set_random(layer.cell, rng)
    x = rng.normal(size=(B, T, D))
    initial = [rng.normal(size=(B, H)) for _ in range(oracle.CELLS[cell][1])]
    seq, *states = layer(x, initial_state=initial)
    # the oracle returns the steps in the order taken: with go_backwards, t = T first
    want_seq, want_states = oracle.layer(cell, x, initial, weights, go_backwards=go_backwards,
                                         **options)
    exact = cell in EXACT64 and kwargs.get("reset_after", True)
    tol = 1e-12 if exact else 1e-5
    np.testing.assert_allclose(_numpy(seq), want_seq, rtol=tol, atol=tol)
    for got, want in zip(states, want_states, strict=True):
        np.testing.assert_allclose(_numpy(got), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_the_oracle_is_keras_cell(cell):
    rng = np.random.default_rng(8)
    step = getattr(L, cell + "Cell")(H, dtype="float64")
    step.build((None, D))
    weights = _set_random(step, rng)
    states = [rng.normal(size=(B, H)) for _ in range(oracle.CELLS[cell][1])]
    want = list(states)
    for _ in range(T):
        x_t = rng.normal(size=(B, D))
        _, states = step(x_t, states)
        _, want = oracle.CELLS[cell][0](x_t, want, *weights)
    for got, value in zip(states, want, strict=True):
        np.testing.assert_allclose(_numpy(got), value, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_the_oracle_is_keras_bidirectional(cell):
    rng = np.random.default_rng(9)
    wrapper = L.Bidirectional(getattr(L, cell)(H, return_sequences=True, return_state=True,
                                               dtype="float64"), dtype="float64")
    wrapper.build((None, None, D))
    forward = _set_random(wrapper.forward_layer.cell, rng)
    backward = _set_random(wrapper.backward_layer.cell, rng)
    x = rng.normal(size=(B, T, D))
    initial = [rng.normal(size=(B, H)) for _ in range(2 * oracle.CELLS[cell][1])]
    seq, *states = wrapper(x, initial_state=initial)
    want_seq, want_states = oracle.bidirectional(cell, x, initial, forward, backward)
    np.testing.assert_allclose(_numpy(seq), want_seq, rtol=1e-12, atol=1e-12)
    for got, want in zip(states, want_states, strict=True):
        np.testing.assert_allclose(_numpy(got), want, rtol=1e-12, atol=1e-12)


def test_keras_multiplies_float64_in_float32_on_torch():
    """keras.ops.matmul of two float64 arrays is float32 on torch (keras-team/keras#23704):
    a float64 cell computes its products in float32; torch.matmul in the fused LSTM does not."""
    a = ops.convert_to_tensor(np.full((2, 2), 1 / 3), dtype="float64")
    assert str(ops.matmul(a, a).dtype) == "torch.float32"
    step = L.SimpleRNNCell(2, dtype="float64")
    step.build((None, 2))
    step.kernel.assign(np.full((2, 2), 1 / 3))
    step.recurrent_kernel.assign(np.zeros((2, 2)))
    out, _ = step(np.full((1, 2), 1 / 3), [np.zeros((1, 2))])
    exact = np.tanh(2 / 9)
    assert 1e-12 < abs(_numpy(out)[0, 0] - exact) < 1e-6


# -- (b) every supported class conforms --------------------------------------------------------
CLASSES = [
    pytest.param(L.LSTM, "lstm", ("float32", "float64"), id="LSTM"),
    pytest.param(L.GRU, "gru", ("float32", "float64"), id="GRU"),
    pytest.param(L.SimpleRNN, "rnn_torch", ("float32",), id="SimpleRNN"),
    pytest.param(L.LSTMCell, "lstm", ("float32",), id="LSTMCell"),
    pytest.param(L.GRUCell, "gru", ("float32",), id="GRUCell"),
    pytest.param(L.SimpleRNNCell, "rnn_torch", ("float32",), id="SimpleRNNCell"),
]


@pytest.mark.parametrize("cls, spec, dtypes", CLASSES)
def test_keras_classes_conform(cls, spec, dtypes):
    target = KerasTarget(cls)
    assert target.default_spec().name == spec and target.dtypes == ("float32", "float64")
    for dtype in dtypes:
        result = seqcheck.verify(cls, dtype=dtype, max_examples=12, seed=3)
        assert result.ok, str(result)
        assert result.gradients and result.spec == spec


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.GRUCell], ids=["SimpleRNN", "GRUCell"])
def test_float64_through_keras_ops_diverges_by_float32_rounding(cls):
    """Where Keras multiplies through keras.ops.matmul its float64 run is float32-accurate,
    and verify says so: divergences far over the float64 tolerance, far under float32's."""
    result = seqcheck.verify(cls, dtype="float64", max_examples=10, seed=3)
    assert not result.ok
    worst = max(abs(d.actual - d.expected) for d in result.check.divergences)
    assert all(abs(d.actual - d.expected) > d.tol for d in result.check.divergences)
    assert worst < 1e-5


INSTANCES = [
    pytest.param(lambda: L.GRU(4, reset_after=False), "gru_lbr0", id="GRU-lbr0"),
    pytest.param(lambda: L.GRU(3, go_backwards=True, dtype="float64"), "gru_reverse",
                 id="GRU-backwards"),
    pytest.param(lambda: L.LSTM(3, go_backwards=True, use_bias=False, dtype="float64"),
                 "lstm_nobias_reverse", id="LSTM-nobias-backwards"),
    pytest.param(lambda: L.SimpleRNN(3, activation="relu", go_backwards=True),
                 "rnn_torch_relu_reverse", id="SimpleRNN-relu-backwards"),
    pytest.param(lambda: L.Bidirectional(L.LSTM(3)), "lstm_bidirectional", id="Bi-LSTM"),
    pytest.param(lambda: L.Bidirectional(L.GRU(3, dtype="float64"), dtype="float64"),
                 "gru_bidirectional", id="Bi-GRU-float64"),
    pytest.param(lambda: L.Bidirectional(L.SimpleRNN(3), merge_mode=None),
                 "rnn_torch_bidirectional", id="Bi-SimpleRNN-merge-None"),
    pytest.param(lambda: L.Bidirectional(L.GRU(2, reset_after=False, use_bias=False)),
                 "gru_lbr0_nobias_bidirectional", id="Bi-GRU-lbr0-nobias"),
    pytest.param(lambda: L.RNN(L.LSTMCell(3), return_sequences=False), "lstm", id="RNN-cell"),
    pytest.param(lambda: L.GRU(3, unroll=True, return_state=True), "gru", id="GRU-unroll"),
    pytest.param(lambda: L.LSTMCell(3, implementation=1, dropout=0.5), "lstm",
                 id="LSTMCell-impl1-dropout"),
]


@pytest.mark.parametrize("make, spec", INSTANCES)
def test_configured_instances_conform(make, spec):
    obj = make()
    result = seqcheck.verify(obj, max_examples=10, seed=4)
    assert result.ok, str(result)
    assert result.spec == spec and result.dtype == obj.dtype_policy.compute_dtype


def test_an_instance_keeps_its_sizes_and_is_left_untouched():
    layer = L.LSTM(3, return_sequences=False)
    layer.build((None, None, 2))
    before = [_numpy(v.value) for v in layer.trainable_variables]
    target = KerasTarget(layer)
    assert target.fixed_sizes(target.default_spec()) == {"H": 3, "D": 2}
    assert target.dtypes == ("float32",)
    assert seqcheck.verify(layer, max_examples=5, seed=5).ok
    assert not layer.return_sequences and not layer.return_state
    for v, b in zip(layer.trainable_variables, before, strict=True):
        np.testing.assert_array_equal(_numpy(v.value), b)
    assert all(v.value.grad is None for v in layer.trainable_variables)
    unbuilt = KerasTarget(L.GRU(4))
    assert unbuilt.fixed_sizes(unbuilt.default_spec()) == {"H": 4}


def test_a_copy_keeps_use_cudnn():
    """use_cudnn is not in Keras's config: with use_cudnn=False an LSTM runs its cell
    (keras.ops, float32 products), with "auto" the torch backend's _fallback_lstm."""
    assert seqcheck.verify(L.LSTM(3, dtype="float64"), max_examples=5, seed=6).ok
    assert not seqcheck.verify(L.LSTM(3, use_cudnn=False, dtype="float64"),
                               max_examples=5, seed=6).ok


# -- (c) planted defects in Keras's own form ---------------------------------------------------
class SwappedGRUCell(L.GRUCell):
    """GRUCell.call (implementation 2, reset_after) with the z and r gates exchanged."""

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        x_z, x_r, x_h = ops.split(ops.matmul(inputs, self.kernel) + self.bias[0], 3, axis=-1)
        inner = ops.matmul(h_tm1, self.recurrent_kernel) + self.bias[1]
        rec_z, rec_r, rec_h = ops.split(inner, 3, axis=-1)
        r = ops.sigmoid(x_z + rec_z)  # planted: z's blocks drive r, and r's drive z
        z = ops.sigmoid(x_r + rec_r)
        hh = ops.tanh(x_h + r * rec_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h]


class SwappedGRU(L.GRU):
    """A GRU whose cell swaps z and r; use_cudnn=False, since the torch backend's fused
    path (_fallback_gru) reads only the cell's weights and never calls it."""

    def __init__(self, units, **kwargs):
        kwargs.pop("use_cudnn", None)
        super().__init__(units, use_cudnn=False, **kwargs)
        self.cell = SwappedGRUCell(units, dtype=kwargs.get("dtype"), name="gru_cell")


class NoBiasLSTMCell(L.LSTMCell):
    """LSTMCell.call (implementation 2) that leaves out the bias."""

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_tm1, self.recurrent_kernel)
        z0, z1, z2, z3 = ops.split(z, 4, axis=1)
        c = ops.sigmoid(z1) * c_tm1 + ops.sigmoid(z0) * ops.tanh(z2)
        h = ops.sigmoid(z3) * ops.tanh(c)
        return h, [h, c]


class TransposedSimpleRNNCell(L.SimpleRNNCell):
    """SimpleRNNCell.call with x @ kernel.T: it runs only where D = H."""

    def call(self, sequence, states, training=False):
        prev = states[0] if isinstance(states, (list, tuple)) else states
        h = ops.matmul(sequence, ops.transpose(self.kernel)) + self.bias
        output = ops.tanh(h + ops.matmul(prev, self.recurrent_kernel))
        return output, [output]


class UnflippedBidirectional(L.Bidirectional):
    """Bidirectional.call (concat, initial states given) that forgets to flip the backward
    layer's sequence back to time order."""

    def call(self, sequences, initial_state=None, mask=None, training=None):
        half = len(initial_state) // 2
        y, *forward = self.forward_layer(sequences, initial_state=initial_state[:half])
        y_rev, *backward = self.backward_layer(sequences, initial_state=initial_state[half:])
        return (ops.concatenate([y, y_rev], axis=-1), *forward, *backward)


def test_a_gru_whose_cell_swaps_z_and_r_is_found():
    result = seqcheck.verify(KerasTarget(SwappedGRU), max_examples=20, seed=7)
    assert not result.ok
    assert result.check.divergences[0].what == "output h"
    assert "gates 'r' and 'z' exchange their parameters" in result.explanation


def test_an_lstm_cell_that_drops_its_bias_is_found():
    result = seqcheck.verify(KerasTarget(NoBiasLSTMCell), max_examples=20, seed=8)
    assert not result.ok
    assert {d.what for d in result.check.divergences} & {"output h", "output c"}


def test_a_transposed_kernel_on_a_square_case_is_found():
    cell = TransposedSimpleRNNCell(3)
    cell.build((None, 3))  # D = H = 3: kernel.T has the kernel's shape
    result = seqcheck.verify(KerasTarget(cell), max_examples=20, seed=9)
    assert not result.ok
    assert result.counterexample.sizes == {"D": 3, "H": 3}
    assert result.check.divergences[0].what == "output h"


def test_a_backward_sequence_left_in_reverse_order_is_found():
    """The final states are right; only the backward chain's per-step h is out of order."""
    result = seqcheck.verify(KerasTarget(UnflippedBidirectional(L.GRU(3))), max_examples=20,
                             seed=13)
    assert not result.ok
    assert {d.what for d in result.check.divergences} == {"output h_l0_reverse"}


def test_the_wrong_reset_placement_is_found():
    """reset_after=False puts the reset before the product (spec gru_lbr0): held to spec
    gru (the reset after it) the same layer diverges."""
    layer = L.GRU(3, reset_after=False)
    assert seqcheck.verify(layer, max_examples=5, seed=10).ok
    result = seqcheck.verify(layer, spec="gru", max_examples=20, seed=10)
    assert not result.ok
    assert result.check.divergences[0].what == "output h"


# -- (d) what is refused, and why ---------------------------------------------------------------
class ExtraWeightLSTMCell(L.LSTMCell):
    """An LSTM cell with a peephole vector the layout does not place."""

    def build(self, input_shape):
        super().build(input_shape)
        self.peephole = self.add_weight(shape=(self.units,), name="peephole")


REFUSED = [
    pytest.param(lambda: L.SimpleRNN(3, activation="sigmoid"),
                 "keras.layers.SimpleRNN's cell has activation='sigmoid'; a Keras "
                 "SimpleRNNCell is held to its spec with activation 'tanh' or 'relu'",
                 id="activation"),
    pytest.param(lambda: L.LSTM(3, recurrent_activation="hard_sigmoid"),
                 "keras.layers.LSTM's cell has recurrent_activation='hard_sigmoid'; a Keras "
                 "LSTMCell is held to its spec with recurrent_activation='sigmoid'",
                 id="recurrent-activation"),
    pytest.param(lambda: L.GRUCell(3, activation="relu"),
                 "keras.layers.GRUCell has activation='relu'; a Keras GRUCell is held to its "
                 "spec with activation 'tanh'", id="gru-activation"),
    pytest.param(lambda: L.GRU(3, stateful=True),
                 "keras.layers.GRU has stateful=True: it starts each call from the states the "
                 "previous call left, so its outputs are not a function of its inputs and "
                 "initial states alone", id="stateful"),
    pytest.param(lambda: L.Bidirectional(L.LSTM(3), merge_mode="sum"),
                 "keras.layers.Bidirectional(keras.layers.LSTM) has merge_mode='sum': it "
                 "returns the two chains' h merged into one value per step, which no spec "
                 "variable is", id="merge-sum"),
    pytest.param(lambda: L.Bidirectional(L.LSTM(3, dtype="float64")),
                 "keras.layers.Bidirectional(keras.layers.LSTM) has dtype 'float32' but its "
                 "forward_layer 'float64': Bidirectional casts its inputs and outputs to its "
                 "own dtype", id="bidirectional-dtype"),
    pytest.param(lambda: L.LSTM(3, dtype="mixed_float16"),
                 "keras.layers.LSTM has dtype policy 'mixed_float16' (variables float32, "
                 "computation float16); seqcheck verifies one dtype throughout, float32 or "
                 "float64", id="mixed-precision"),
    pytest.param(lambda: L.RNN([L.GRUCell(3), L.GRUCell(3)]),
                 "keras.layers.RNN runs a list of cells (StackedRNNCells); it is held to a "
                 "spec when its cell is an LSTMCell, GRUCell or SimpleRNNCell", id="stacked"),
    pytest.param(lambda: L.Bidirectional, "keras.layers.Bidirectional wraps a layer: pass an "
                 "instance around one, e.g. keras.layers.Bidirectional(keras.layers.LSTM(8))",
                 id="bidirectional-class"),
    pytest.param(lambda: L.RNN, "keras.layers.RNN wraps a cell: pass an instance around one, "
                 "e.g. keras.layers.RNN(keras.layers.GRUCell(8))", id="rnn-class"),
    pytest.param(lambda: L.Dense(3), "keras.layers.Dense is not a Keras recurrent cell or "
                 "layer; supported: keras.layers.LSTM, GRU", id="not-recurrent"),
]


@pytest.mark.parametrize("make, message", REFUSED)
def test_what_the_spec_cannot_express_is_refused(make, message):
    with pytest.raises(SeqcheckError) as info:
        KerasTarget(make())
    assert str(info.value).startswith(message), str(info.value)


def test_a_trainable_variable_the_layout_does_not_place_is_refused():
    layer = L.RNN(ExtraWeightLSTMCell(2))
    layer.build((None, None, 3))
    for obj, name, layout in [
            (ExtraWeightLSTMCell, "test_adapters_keras.ExtraWeightLSTMCell",
             "keras.layers.LSTMCell does not place: peephole; it holds kernel, "
             "recurrent_kernel, bias only"),
            (layer, "keras.layers.RNN", "keras.layers.LSTM does not place: peephole; it "
             "holds cell.kernel, cell.recurrent_kernel, cell.bias only")]:
        with pytest.raises(SeqcheckError) as info:
            KerasTarget(obj)
        assert str(info.value).startswith(
            f"{name} has trainable variables that the layout of {layout}, and a variable "
            "left out would be ignored\n"), str(info.value)


# -- (e) the backend is chosen before keras is imported; the CLI ---------------------------------
def _keras_home(tmp_path, backend):
    if backend is not None:
        (tmp_path / "keras.json").write_text(json.dumps({"backend": backend}))
    return {"KERAS_HOME": str(tmp_path)}


@pytest.mark.parametrize("environ, importable, expected", [
    pytest.param({"KERAS_BACKEND": "jax"}, {"torch", "jax"}, None, id="KERAS_BACKEND-set"),
    pytest.param({}, {"torch", "jax"}, "torch", id="no-keras.json:tensorflow-missing"),
    pytest.param({"json": "tensorflow"}, {"jax"}, "jax", id="tensorflow-missing:jax"),
    pytest.param({"json": "jax"}, {"torch", "jax"}, None, id="keras.json-jax-installed"),
    pytest.param({"json": "numpy"}, {"numpy", "torch"}, None, id="keras.json-numpy"),
    pytest.param({"json": "jax"}, set(), None, id="nothing-installed"),
])
def test_before_import_sets_a_backend_only_where_keras_would_fail(tmp_path, environ,
                                                                   importable, expected):
    env = dict(environ)
    env.update(_keras_home(tmp_path, env.pop("json", None)))
    assert backend_to_set(env, {}, importable.__contains__) == expected
    assert backend_to_set(env, {"keras": object()}, importable.__contains__) is None


def _python(code: str, env_updates: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env.update(env_updates)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout,
                          cwd=os.path.dirname(__file__))


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is not None,
                    reason="tensorflow is installed: Keras's default backend is importable")
def test_the_cli_verifies_keras_gru_with_keras_backend_unset(tmp_path):
    run = _python("""
        import sys
        import seqcheck.adapters.keras
        assert "keras" not in sys.modules          # the adapter imports keras lazily
        from seqcheck.adapters.keras import before_import
        print("set", before_import())              # as the CLI calls it
        from seqcheck.cli import main
        sys.exit(main(["verify", "keras.layers.GRU", "--max-examples", "10"]))
    """, _keras_home(tmp_path, None))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "set torch" in run.stdout
    assert "conforms: keras.layers.GRU against spec 'gru'" in run.stdout


def test_on_jax_keras_conforms_and_a_swapped_gate_is_found(tmp_path):
    """The jax backend: stateless_call differentiated by jax.vjp (float32: jax without x64)."""
    defect = inspect.getsource(SwappedGRUCell) + "\n" + inspect.getsource(SwappedGRU)
    run = _python(textwrap.dedent("""
        import json, sys
        import keras, seqcheck
        from keras import ops
        from seqcheck.adapters.keras import KerasTarget
        L = keras.layers
    """) + textwrap.dedent(defect) + textwrap.dedent("""
        out = {"backend": keras.backend.backend(), "dtypes": KerasTarget(L.GRU).dtypes}
        for label, obj in [("GRU", L.GRU), ("LSTMCell", L.LSTMCell),
                           ("Bi", L.Bidirectional(L.LSTM(2), merge_mode=None))]:
            r = seqcheck.verify(obj, max_examples=2, seed=12)
            out[label] = [r.ok, r.spec, r.gradients]
        masked = seqcheck.verify(L.LSTM, lengths=True, max_examples=3, seed=12)
        out["masked"] = [masked.ok, masked.spec, masked.gradients]
        r = seqcheck.verify(KerasTarget(SwappedGRU), max_examples=3, seed=12, shrink=False,
                            explain=False)
        out["swapped"] = [r.ok, r.check.divergences[0].what if r.check else None]
        # float64 needs jax's x64 mode; then Keras's products are still float32-accurate
        import jax
        import numpy as np
        from oracles import keras_cells as oracle
        jax.config.update("jax_enable_x64", True)
        out["dtypes64"] = KerasTarget(L.GRU).dtypes
        rng = np.random.default_rng(0)
        x, h, c = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
        lstm = L.LSTM(3, return_sequences=True, return_state=True, dtype="float64")
        lstm.build((None, None, 2))
        weights = [rng.normal(size=tuple(v.shape)) for v in lstm.trainable_variables]
        for v, w in zip(lstm.trainable_variables, weights):
            v.assign(w)
        seq = np.asarray(lstm(x, initial_state=[h, c])[0])
        out["lstm64"] = float(np.abs(seq - oracle.layer("LSTM", x, [h, c], weights)[0]).max())
        try:
            L.SimpleRNN(3, dtype="float64")(x, initial_state=[h])
            out["simple64"] = "ran"
        except TypeError as e:
            out["simple64"] = str(e).split(chr(10))[0]
        print(json.dumps(out))
    """), {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "JAX_ENABLE_X64": "0"}, timeout=540)
    assert run.returncode == 0, run.stdout + run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["backend"] == "jax" and out["dtypes"] == ["float32"]
    assert out["GRU"] == [True, "gru", True]
    assert out["LSTMCell"] == [True, "lstm", True]
    assert out["Bi"] == [True, "lstm_bidirectional", True]
    assert out["masked"] == [True, "lstm_lengths", True]  # mask= through stateless_call
    assert out["swapped"] == [False, "output h"]
    assert out["dtypes64"] == ["float32", "float64"]
    assert 1e-12 < out["lstm64"] < 1e-5  # keras.ops.matmul: float64 in, float32 out
    assert "Exception encountered when calling SimpleRNN.call()" in out["simple64"]


def test_configuration_of_reads_keras_attributes():
    config = configuration_of(L.Bidirectional(L.GRU(3, reset_after=False, use_bias=False)),
                              "bi")
    assert (config.kind, config.spec_name, config.outputs) == (
        "bidirectional", "gru_lbr0_nobias_bidirectional", ("h_l0", "h_l0_reverse"))
    assert config.states == ("h_l0", "h_l0_reverse")


# -- masking: rows of their own lengths ---------------------------------------------------
@pytest.mark.parametrize("layer", [
    L.LSTM, L.GRU, lambda: L.GRU(3, reset_after=False), L.SimpleRNN,
    lambda: L.LSTM(3, go_backwards=True), lambda: L.Bidirectional(L.LSTM(3)),
], ids=["LSTM", "GRU", "GRU-reset_before", "SimpleRNN", "LSTM-go_backwards",
        "Bidirectional"])
def test_masked_layers_run_each_row_over_its_own_steps(layer):
    target = KerasTarget(layer if isinstance(layer, type) else layer())
    result = seqcheck.verify(target, lengths=True, max_examples=15)
    assert result.ok and result.gradients, result.format_text()
    assert result.spec.endswith("_lengths") and target.min_length == 0


def test_keras_carries_the_last_output_through_a_rows_padding():
    # What Keras itself returns (backend.rnn, zero_output_for_mask=False): a masked step's
    # output is the row's last real one, and its state is held; the target reports 0 there.
    layer = L.LSTM(2, return_sequences=True, return_state=True)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 4, 3)).astype("float32")
    mask = np.array([[True, True, False, False], [True] * 4])
    seq, h, c = (_numpy(v) for v in layer(x, mask=mask))
    alone, h_alone, _ = (_numpy(v) for v in layer(x[:1, :2]))
    np.testing.assert_allclose(seq[0, 2:], np.repeat(seq[0, 1:2], 2, axis=0), rtol=0, atol=0)
    np.testing.assert_allclose(seq[0, :2], alone[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(h[0], h_alone[0], rtol=1e-6, atol=1e-6)


def test_a_cell_takes_no_lengths():
    with pytest.raises(SeqcheckError, match="cannot run rows of their own lengths"):
        seqcheck.verify(KerasTarget(L.LSTMCell), lengths=True, max_examples=2)


def test_a_masked_lstm_runs_its_cell_and_is_float32_accurate_in_float64():
    # Finding: keras/src/backend/torch/rnn.py's lstm raises NotImplementedError for a mask
    # ("Masking is not supported by either the cuDNN or fallback path"), so a masked LSTM
    # runs the generic loop through its cell's keras.ops, whose matmul computes float64 in
    # float32 (keras-team/keras#23704): about 1e-8 off, where the unmasked layer conforms.
    masked = seqcheck.verify(KerasTarget(L.LSTM), lengths=True, dtype="float64",
                             max_examples=15)
    assert not masked.ok
    worst = max(d.abs_err for d in masked.check.divergences)
    assert 1e-12 < worst < 1e-6
    assert seqcheck.verify(KerasTarget(L.LSTM), dtype="float64", max_examples=15).ok
    assert seqcheck.verify(KerasTarget(L.LSTM), lengths=True, max_examples=15).ok  # float32
