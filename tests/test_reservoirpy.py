"""reservoirpy's reservoir nodes as verify targets of the seed 003 ESN spec.

The finding, pinned: ``Reservoir`` conforms to ``esn`` (the leak after tanh);
``IPReservoir`` leaks the pre-activation (reservoirpy 0.3's "external" equation) and
conforms to ``external_spec()`` only; ``LocalPlasticityReservoir`` documents that
equation but computes tanh((1 - lr) x(n-1) + lr (...)), ``local_plasticity_spec()``.
All three coincide at lr = 1. Oracles: the specs through ``seqcheck.verify``; reservoirpy's
own Ridge node for the readout; a fresh interpreter for the lazy import.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from seqcheck import load_spec, verify
from seqcheck.adapters.reservoirpy import (
    NODES,
    ReservoirpyTarget,
    external_spec,
    local_plasticity_spec,
)
from seqcheck.dynamics.esn import design_matrix, reservoir, ridge_readout, run_reservoir
from seqcheck.errors import SeqcheckError
from seqcheck.strategies import Case

SPECS = {"esn": lambda: load_spec("esn"), "external": external_spec,
         "local_plasticity": local_plasticity_spec}


def _verify(node, spec, **kw):
    return verify(ReservoirpyTarget(node, **kw), spec=SPECS[spec](), gradients=False,
                  max_examples=15)


@pytest.mark.parametrize("sparse", [True, False], ids=["csr", "dense"])
def test_reservoir_conforms_to_the_esn_spec_without_its_readout(sparse):
    target = ReservoirpyTarget(sparse=sparse)
    assert target.default_spec().name == "esn" and target.outputs == target.states == ("h",)
    result = verify(target, spec="esn", gradients=False, max_examples=30)
    assert result.ok, result.format_text()
    # the spec's readout (W_out, y) is drawn but never compared: the target computes no y
    assert "W_out" in load_spec("esn").params and "y" in load_spec("esn").outputs


@pytest.mark.parametrize("node, spec, step", [
    ("Reservoir", "external", 1),
    ("IPReservoir", "esn", 1),
    ("LocalPlasticityReservoir", "esn", 1),
    ("IPReservoir", "local_plasticity", 2),
    ("LocalPlasticityReservoir", "external", 2),
])
def test_each_node_diverges_from_the_other_equations(node, spec, step):
    result = _verify(node, spec)
    assert not result.ok
    first = result.check.divergences[0]
    assert first.what == "output h" and first.step == step
    # from h(0) = 0 the leak placement shows at once: alpha tanh(a) vs tanh(alpha a)
    assert result.counterexample.steps == step and result.counterexample.sizes["N_x"] == 1


@pytest.mark.parametrize("node", list(NODES))
def test_each_node_conforms_to_the_equations_its_code_follows(node):
    target = ReservoirpyTarget(node)
    result = verify(target, gradients=False, max_examples=15)  # target.default_spec()
    assert result.ok, result.format_text()
    documented = verify(target, spec=target.documented_spec(), gradients=False,
                        max_examples=15)
    assert documented.ok == (node != "LocalPlasticityReservoir")


def test_the_three_nodes_coincide_without_leak():
    rng = np.random.default_rng(0)
    params = {"W_in": rng.uniform(-1, 1, (3, 3)), "W": rng.uniform(-1, 1, (3, 3)),
              "W_out": np.zeros((1, 6)), "alpha": np.float64(1.0)}
    case = Case({"N_u": 2, "N_x": 3, "N_y": 1}, 4, 2, params,
                {"x": rng.uniform(-1, 1, (4, 2, 2))}, {"h": np.zeros((2, 3))}, {})
    runs = [ReservoirpyTarget(node).run(case, "float64", False).per_step["h"] for node in NODES]
    for h in runs[1:]:
        np.testing.assert_allclose(h, runs[0], rtol=1e-14, atol=1e-15)
    case = Case(case.sizes, 4, 2, params | {"alpha": np.float64(0.5)}, case.inputs,
                case.initial, {})
    leaky = [ReservoirpyTarget(node).run(case, "float64", False).per_step["h"] for node in NODES]
    assert all(np.abs(h - leaky[0]).max() > 1e-3 for h in leaky[1:])


def test_a_transposed_recurrent_matrix_is_found():
    class Transposed(ReservoirpyTarget):
        def run(self, case, dtype, gradients):
            flipped = Case(case.sizes, case.steps, case.batch,
                           case.params | {"W": case.params["W"].T}, case.inputs,
                           case.initial, case.seeds)
            return super().run(flipped, dtype, gradients)

    result = verify(Transposed(), spec="esn", gradients=False, max_examples=30)
    assert not result.ok and result.counterexample.sizes["N_x"] >= 2
    assert result.check.divergences[0].what == "output h"


def test_the_targets_refuse_what_they_cannot_do():
    with pytest.raises(SeqcheckError) as e:
        ReservoirpyTarget("ES2N")
    assert str(e.value) == ("unknown reservoirpy node 'ES2N'; seqcheck runs Reservoir, "
                            "IPReservoir, LocalPlasticityReservoir")
    with pytest.raises(SeqcheckError, match="(?s)cannot differentiate.*--no-gradients"):
        verify(ReservoirpyTarget(), spec="esn", gradients=True, max_examples=2)


def test_a_missing_reservoirpy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "reservoirpy", None)
    monkeypatch.setitem(sys.modules, "reservoirpy.nodes", None)
    with pytest.raises(SeqcheckError) as e:
        ReservoirpyTarget()
    assert str(e.value).startswith("reservoirpy is not installed (")
    assert str(e.value).endswith("): pip install 'seqcheck[esn]'")


def test_reservoirpy_0_3_is_refused(monkeypatch):
    import reservoirpy

    monkeypatch.setattr(reservoirpy, "__version__", "0.3.12")
    with pytest.raises(SeqcheckError) as e:
        ReservoirpyTarget()
    assert str(e.value) == (
        "reservoirpy 0.3.12 is installed; seqcheck's targets follow the nodes of reservoirpy "
        "0.4 (0.3's Reservoir has another constructor): pip install 'reservoirpy>=0.4'")


def test_importing_the_adapter_does_not_import_reservoirpy():
    code = ("import sys, seqcheck.adapters.reservoirpy, seqcheck.dynamics.esn; "
            "print('reservoirpy' in sys.modules, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_reservoirpy_ridge_without_bias_is_seed_003s_readout():
    """reservoirpy's Ridge on [1; h; x] with fit_bias=False solves the slide's
    W_out = Y H^T (H H^T + beta I)^-1; with fit_bias=True it centres the data and leaves
    the bias unregularised, which the slide's formula does not."""
    from reservoirpy.nodes import Ridge

    res = reservoir(30, sparsity=0.2, spectral_radius=0.9, input_scaling=1.0,
                    leak_rate=0.5, seed=0)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (200, 1, 1))
    y = np.sin(3 * np.roll(x, 2, axis=0))
    H = design_matrix(run_reservoir(res, x)["h"], x, washout=20)
    Y = y[20:, 0].T
    W_out = ridge_readout(H, Y, beta=1e-2)
    plain = Ridge(ridge=1e-2, fit_bias=False).fit(H.T, Y.T)
    np.testing.assert_allclose(plain.Wout.T, W_out, rtol=1e-8, atol=1e-10)
    centred = Ridge(ridge=1e-2, fit_bias=True).fit(H[1:].T, Y.T)
    assert np.abs(centred.Wout.T - W_out[:, 1:]).max() > 1e-6
