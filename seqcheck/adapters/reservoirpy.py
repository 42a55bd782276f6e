"""reservoirpy's reservoir nodes as :class:`~.base.Target` s of the seed 003 ESN spec.

reservoirpy (>= 0.4) has three nodes that run leaky tanh reservoirs, and no longer an
``equation="internal" | "external"`` switch on ``Reservoir`` (0.3 had one). Read from
their ``_step`` methods (reservoirpy 0.4.2), with x = ``state["out"]``, u the input and
b the bias:

- ``Reservoir``: x(n) = (1 - lr) x(n-1) + lr tanh(W x(n-1) + W_in u(n) + b) -- the leak
  after the nonlinearity, seed 003's form: it conforms to spec ``esn``;
- ``IPReservoir`` (intrinsic plasticity, gains a = 1, b = 0 until trained):
  r(n) = (1 - lr) r(n-1) + lr (W x(n-1) + W_in u(n) + b), x(n) = tanh(r(n)) -- the leak
  on the pre-activation (0.3's "external" equation): :func:`external_spec`;
- ``LocalPlasticityReservoir`` (untrained): x(n) = tanh((1 - lr) x(n-1) + lr (W x(n-1) +
  W_in u(n) + b)). Its docstring states the external equation, leaking r(n-1), but
  its code leaks x(n-1) = tanh(r(n-1)): :func:`local_plasticity_spec`.

The three agree at lr = 1 and differ for every lr < 1 (docs/dynamics.md, "Echo state
networks"). A target writes the case's ``W`` (as a CSR matrix, reservoirpy's own
format, unless ``sparse=False``), ``W_in[:, 1:]`` as ``Win``, ``W_in[:, 0]`` as
``bias`` and ``alpha`` as ``lr`` into a fresh node per batch row, sets the row's h(0)
as ``state["out"]``, and returns x(n) per step as the spec's h. The readout (W_out, y)
is not run: only ``h`` is compared. reservoirpy is imported when a target is made.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np

from ..errors import SeqcheckError
from .base import Observed, Target

__all__ = ["NODES", "ReservoirpyTarget", "external_spec", "import_reservoirpy",
           "local_plasticity_spec"]

#: node name -> (the spec its code follows, the spec its docstring states)
NODES = {
    "Reservoir": ("esn", "esn"),
    "IPReservoir": ("external", "external"),
    "LocalPlasticityReservoir": ("local_plasticity", "external"),
}


@functools.cache
def external_spec():
    """``esn`` with the leak on the pre-activation (reservoirpy 0.3's "external" form).

    r(n) = (1 - alpha) r(n-1) + alpha (W_in [1; x(n)] + W h(n-1)), h(n) = tanh(r(n)),
    r(0) = 0; the readout is unchanged.

    >>> print(external_spec().equation("h").text)
    tanh(r)
    """
    from ..spec import load_spec, loads_spec

    base = Path(load_spec("esn").path).resolve().as_posix()
    text = f"""
name = "esn_external"
title = "ESN with the leak on the pre-activation (reservoirpy IPReservoir)"
extends = '{base}'
[states]
r = {{ shape = ["N_x"], init = "0", doc = "leaky pre-activation r(n) (r(0) = 0)" }}
[equations]
r = "(1 - alpha) * r[t-1] + alpha * (W_in @ concat(1, x) + W @ h[t-1])"
h = "tanh(r)"
"""
    return loads_spec(text, file="<esn_external>")


@functools.cache
def local_plasticity_spec():
    """``esn`` as reservoirpy's LocalPlasticityReservoir computes it (untrained).

    h(n) = tanh((1 - alpha) h(n-1) + alpha (W_in [1; x(n)] + W h(n-1))).

    >>> print(local_plasticity_spec().equation("h").text)
    tanh((1 - alpha) * h[t-1] + alpha * (W_in @ concat(1, x) + W @ h[t-1]))
    """
    from ..spec import load_spec, variant

    return variant(load_spec("esn"), name="esn_local_plasticity",
                   title="ESN as reservoirpy's LocalPlasticityReservoir computes it",
                   equations={"h": "tanh((1 - alpha) * h[t-1] + alpha * (W_in @ concat(1, x) "
                                   "+ W @ h[t-1]))"})


def _spec(kind: str):
    from ..spec import load_spec

    return {"esn": lambda: load_spec("esn"), "external": external_spec,
            "local_plasticity": local_plasticity_spec}[kind]()


def import_reservoirpy(reads: str = "seqcheck's targets follow the nodes of reservoirpy 0.4 "
                                     "(0.3's Reservoir has another constructor)"):
    """(reservoirpy, reservoirpy.nodes); a :class:`SeqcheckError` with the install hint
    when it is missing, or older than 0.4 (``reads``: what of 0.4 the caller relies on)."""
    try:
        import reservoirpy
        import reservoirpy.nodes as nodes
    except ImportError as e:
        raise SeqcheckError(f"reservoirpy is not installed ({e}): pip install "
                            "'seqcheck[esn]'") from None
    version = reservoirpy.__version__
    if tuple(int(p) for p in re.findall(r"\d+", version)[:2]) < (0, 4):
        raise SeqcheckError(f"reservoirpy {version} is installed; {reads}: pip install "
                            "'reservoirpy>=0.4'")
    return reservoirpy, nodes


def _nodes():
    return import_reservoirpy()[1]


class ReservoirpyTarget(Target):
    """One of reservoirpy's reservoir nodes, run on seqcheck's cases; see the module.

    Arguments:
        node: ``"Reservoir"`` (default; conforms to ``esn``), ``"IPReservoir"`` or
            ``"LocalPlasticityReservoir"``.
        sparse: pass W as a ``scipy.sparse.csr_matrix``, as reservoirpy's initialisers
            make it (default), or as a dense array.

    ``IPReservoir`` carries a second state, r, that h(0) does not determine, so its
    target starts every row from reservoirpy's zeros (``states = ()``) and the spec from
    its declared h(0) = 0.

    >>> # reservoirpy's Reservoir holds to seed 003's leaky ESN
    >>> from seqcheck import verify
    >>> verify(ReservoirpyTarget(), spec="esn", gradients=False, max_examples=5).ok
    True
    """

    outputs = ("h",)
    dtypes = ("float64",)
    has_gradients = False

    def __init__(self, node: str = "Reservoir", *, sparse: bool = True):
        if node not in NODES:
            raise SeqcheckError(f"unknown reservoirpy node {node!r}; seqcheck runs "
                                f"{', '.join(NODES)}")
        self._cls = getattr(_nodes(), node)
        self.node, self.sparse = node, bool(sparse)
        self.name = f"reservoirpy.nodes.{node}"
        self.states = () if node == "IPReservoir" else ("h",)
        self.description = (f"W{' as CSR' if sparse else ''}, W_in[:, 1:] as Win, "
                            "W_in[:, 0] as bias, alpha as lr; one node per batch row")

    def default_spec(self):
        """The spec the node's code follows (see :data:`NODES` for what it documents)."""
        return _spec(NODES[self.node][0])

    def documented_spec(self):
        """The spec the node's docstring states."""
        return _spec(NODES[self.node][1])

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        if gradients:
            raise SeqcheckError(f"{self.name} cannot differentiate")
        if dtype != "float64":
            raise SeqcheckError(f"{self.name} runs in float64 here, not {dtype}")
        p = case.params
        W = np.array(p["W"], dtype=np.float64)
        if self.sparse:
            from scipy import sparse

            W = sparse.csr_matrix(W)
        W_in = np.array(p["W_in"], dtype=np.float64)
        x = np.asarray(case.inputs["x"], dtype=np.float64)
        rows = []
        for b in range(case.batch):
            node = self._cls(W=W, Win=W_in[:, 1:].copy(), bias=W_in[:, 0].copy(),
                             lr=float(p["alpha"]), input_dim=x.shape[2])
            node.initialize(x[:, b])
            if self.states:
                node.state = {**node.state, "out": np.array(case.initial["h"][b], dtype=float)}
            rows.append(np.asarray(node.run(x[:, b].copy()), dtype=np.float64))
        h = np.stack(rows, axis=1)
        return Observed({"h": h}, {s: h[-1] for s in self.states})
