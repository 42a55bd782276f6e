"""The verify target of a Keras recurrent cell or layer: :class:`KerasTarget`."""

from __future__ import annotations

from ...errors import SeqcheckError
from ..base import Observed, Target
from ..blocks import assemble
from .calls import RUNNERS, variable_at
from .choose import keras_backend
from .recognise import SUPPORTED, configuration_of, kind_of, public_name

__all__ = ["KerasTarget", "object_target"]

#: the units a class is built with to read its configuration
_PROBE_UNITS = 2
#: kind -> (what it wraps, an example), for classes that cannot be built from units alone
_WRAPS = {"rnn": ("a cell", "keras.layers.RNN(keras.layers.GRUCell(8))"),
          "bidirectional": ("a layer", "keras.layers.Bidirectional(keras.layers.LSTM(8))")}


class KerasTarget(Target):
    """A Keras 3 cell, layer or Bidirectional under verification, on the torch or jax backend.

    Arguments:
        target: an instance (copied once per input size; its units, and its input size
            once built, stay fixed; it runs in its own dtype) or a class, built for each
            case as ``cls(H, dtype=dtype)`` on input size D.
        name: how to print it (default: the class's name, ``keras.layers.GRU``).

    seqcheck's copy returns every step and the final states (``return_sequences`` and
    ``return_state`` on: they choose what a layer returns, not what it computes) and is
    called with ``training=False``. See :mod:`seqcheck.adapters.keras` for the layouts.
    """

    def __init__(self, target, name: str | None = None):
        backend = keras_backend()
        self.runner = RUNNERS[backend]()
        self.instance = not isinstance(target, type)
        cls = type(target) if self.instance else target
        found = kind_of(cls)
        label = name or public_name(cls)
        if found is None:
            raise SeqcheckError(f"{label} is not a Keras recurrent cell or layer; {SUPPORTED}")
        if not self.instance and found[1] in _WRAPS:
            what, example = _WRAPS[found[1]]
            raise SeqcheckError(f"{label} wraps {what}: pass an instance around one, "
                                f"e.g. {example}")
        self.target = target
        inner = getattr(target, "forward_layer", None)
        if self.instance and inner is not None and name is None:
            label = f"{label}({public_name(type(inner))})"
        self.name = label
        probe = target if self.instance else self._construct(_PROBE_UNITS, "float32")
        self.config = configuration_of(probe, self.name)
        self.layout = self.config.layout()
        if not probe.built:  # build a probe (a copy) to see what variables it makes
            probe = self._copy() if self.instance else probe
            probe.build(self._input_shape(_PROBE_UNITS + 1))
        self._check_variables(probe)
        self.dtypes = self.runner.dtypes()
        if self.instance:
            own = target.dtype_policy.compute_dtype
            if own not in self.dtypes:
                raise SeqcheckError(f"{self.name} runs in {own}; Keras on {backend} here runs "
                                    f"{', '.join(self.dtypes)}\n  hint: for float64 on jax, "
                                    "enable jax's x64 mode (JAX_ENABLE_X64=1)")
            self.dtypes = (own,)
        self.states = self.config.states
        self.outputs = self.config.outputs
        # rows of their own lengths: a layer takes Keras's mask (calls.forward); a cell none
        self.min_length = None if self.config.kind == "cell" else 0
        self.description = (f"Keras {self.config.describe()} on the {backend} backend, "
                            f"{self._blocks()}")
        self._built: dict = {}

    def _input_shape(self, D: int) -> tuple:
        return (None, D) if self.config.kind == "cell" else (None, None, D)

    def _blocks(self) -> str:
        gates = self.config.family.gates
        order = f"column blocks {', '.join(gates)}" if gates else "one block"
        return f"kernel (D, {len(gates) or 1}H) {order}"

    def default_spec(self):
        return self.config.spec()

    def fixed_sizes(self, spec) -> dict[str, int] | None:
        if not self.instance:
            return None
        fixed = {"H": int(self._units(self.target))}
        if self.target.built:
            fixed["D"] = int(variable_at(self.target, next(iter(self.layout))).shape[0])
        dims = {d.name for d in spec.dims}
        missing = sorted(set(fixed) - dims)
        if missing:
            raise SeqcheckError(f"{self.name} has fixed sizes {fixed}, but spec {spec.name!r} "
                                f"has no dim {', '.join(missing)}")
        return fixed

    # -- building seqcheck's own copies --------------------------------------------------
    def _construct(self, units: int, dtype: str):
        try:
            return self.target(units, dtype=dtype)
        except Exception as e:  # noqa: BLE001 - a user's class may refuse in any way
            raise SeqcheckError(f"cannot build {self.name}({units}, dtype={dtype!r}): "
                                f"{type(e).__name__}: {e}\n  hint: seqcheck builds a Keras "
                                "class as cls(units, dtype=...); pass an instance to verify "
                                "one that takes other arguments") from None

    def _units(self, obj) -> int:
        if self.config.kind == "cell":
            return obj.units
        layer = obj.forward_layer if self.config.kind == "bidirectional" else obj
        return layer.cell.units

    def layer(self, sizes, dtype: str):
        """The object a case runs on: seqcheck's own, built at the case's sizes."""
        key = (sizes["D"], sizes["H"], dtype)
        if key in self._built:
            return self._built[key]
        obj = self._copy() if self.instance else self._construct(sizes["H"], dtype)
        found = configuration_of(obj, self.name)
        built = obj.dtype_policy.compute_dtype
        if found != self.config or built != dtype:
            how = "its copy is" if self.instance else f"{self.name}({sizes['H']}) built"
            raise SeqcheckError(f"{how} a {built} {found.describe()}, not the {dtype} "
                                f"{self.config.describe()} seqcheck holds to spec "
                                f"{self.config.spec_name!r}")
        if not obj.built:
            obj.build(self._input_shape(sizes["D"]))
        self._check_variables(obj)
        if self.config.kind != "cell":
            for layer in (obj, getattr(obj, "forward_layer", None),
                          getattr(obj, "backward_layer", None)):
                if layer is not None:
                    layer.return_sequences = layer.return_state = True
        self._built[key] = obj
        return obj

    def _copy(self):
        """A fresh copy of the instance, Keras's way: ``cls.from_config(get_config())``
        (as ``Bidirectional.__init__`` copies its layer), with what the config leaves out
        and changes the code path: ``use_cudnn`` and the cell's ``implementation``."""
        try:
            obj = type(self.target).from_config(self.target.get_config())
        except Exception as e:  # noqa: BLE001 - a user's class may refuse in any way
            raise SeqcheckError(
                f"cannot copy {self.name} with {type(self.target).__name__}.from_config("
                f"get_config()): {type(e).__name__}: {e}\n  hint: give the class a "
                "get_config() its __init__ accepts, or pass the class itself") from None
        for old, new in zip(self._layers(self.target), self._layers(obj)):
            if hasattr(old, "use_cudnn"):
                new.use_cudnn = old.use_cudnn
            old_cell, new_cell = getattr(old, "cell", old), getattr(new, "cell", new)
            for attr in ("implementation", "dropout_mask_count"):
                if attr in vars(old_cell):
                    setattr(new_cell, attr, getattr(old_cell, attr))
        return obj

    def _layers(self, obj) -> list:
        if self.config.kind == "bidirectional":
            return [obj.forward_layer, obj.backward_layer]
        return [obj]

    def _check_variables(self, obj) -> None:
        """Every trainable variable is placed by the layout, in the shape it expects."""
        import numpy as np

        from ...strategies.shapes import case_shapes

        kernel = variable_at(obj, next(iter(self.layout)))
        sizes = {"D": int(kernel.shape[0]), "H": int(self._units(obj))}
        shapes = case_shapes(self.config.spec(), sizes).params
        zeros = {p: np.zeros(shape) for p, shape in shapes.items()}
        placed = set()
        for path, block in self.layout.items():
            var = variable_at(obj, path)
            placed.add(id(var))
            want = assemble(block, zeros).shape
            if tuple(var.shape) != want:
                raise SeqcheckError(
                    f"{self.name}: {path} has shape {tuple(var.shape)}; the layout of "
                    f"keras.layers.{self.config.describe()} at D={sizes['D']}, "
                    f"H={sizes['H']} expects {want}")
        extra = [v.name for v in obj.trainable_variables if id(v) not in placed]
        if extra:
            raise SeqcheckError(
                f"{self.name} has trainable variables that the layout of "
                f"keras.layers.{self.config.describe()} does not place: {', '.join(extra)}; "
                f"it holds {', '.join(self.layout)} only, and a variable left out would be "
                "ignored\n  " + SUPPORTED)

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        """See :meth:`seqcheck.adapters.base.Target.run`."""
        obj = self.layer(case.sizes, dtype)
        return self.runner.run(obj, self.config, self.layout, case, dtype, gradients,
                               self.name)


def object_target(obj, name: str | None = None) -> KerasTarget:
    """The hook :mod:`seqcheck.adapters.engines` calls for objects of package ``keras``."""
    return KerasTarget(obj, name)

