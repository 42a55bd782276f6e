"""Dynamically quantized torch LSTM and GRU (``torch.ao.nn.quantized.dynamic``) as targets.

``torch.ao.quantization.quantize_dynamic`` replaces a float ``torch.nn.LSTM`` or ``GRU``
by a module whose weights are int8 (one scale per tensor, zero point 0) or float16, and
whose int8 products quantize each input of a product -- x_t and h_{t-1} -- to 8 bits on
the fly (``torch/ao/nn/quantized/dynamic/modules/rnn.py``, torch 2.13). It computes the
spec's equations only approximately, so :class:`QuantizedTarget` says how far from them
it may be, per case and per value, and verify holds it to that (``Observed`` slack):

- the weights' part exactly: the equations run in float64 (an independent NumPy LSTM and
  GRU in torch's layout, here) once with the case's weights and once with the weights the
  module holds (dequantized), and their difference is allowed;
- the activations' part as a bound: a product ``W a`` whose input is quantized with step
  s errs by at most ``|W| (s/2)`` elementwise; with s taken over x and h together, from
  the range of all of x and of every step's h, and 7-bit levels (fbgemm's reduce_range),
  it is no smaller than the engine's own step. The errors are carried through the gates
  with their Lipschitz constants (sigmoid 1/4, tanh 1), the products and the recurrence,
  step by step, from the float64 values of the quantized weights.

Cases hold the spec's parameters: each case builds a float torch module with them,
quantizes it as a user would (``quantize_dynamic``, the engine's own observers), and
writes the quantized weights into the target (a copy of the instance, or a module its
factory builds) with ``set_weight_bias``; the target's own ``forward`` runs. No
gradients: quantized modules do not differentiate.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

import numpy as np

from ...errors import SeqcheckError
from ..base import Observed, Target
from .modules import factory_name

__all__ = ["QuantizedTarget", "is_quantized", "quantize", "quantized_factory"]

_UNITS = ("LSTM", "GRU")
_LEVELS = 127  # 7-bit activations (reduce_range): the coarsest step the engine may use


@contextlib.contextmanager
def _quiet():
    """torch's deprecation notices of torch.ao.quantization, during quantizing only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"torch\.ao\.quantization is deprecated",
                                DeprecationWarning)
        warnings.filterwarnings("ignore", r"torch\.quantize_per_tensor", UserWarning)
        yield


def is_quantized(obj) -> bool:
    """Whether ``obj`` is a dynamically quantized torch LSTM or GRU (or their class)."""
    import torch

    cls = obj if isinstance(obj, type) else type(obj)
    if not issubclass(cls, torch.nn.Module):
        return False
    with _quiet():
        import torch.ao.nn.quantized.dynamic as qdynamic
    return any(issubclass(cls, getattr(qdynamic, u)) for u in _UNITS)


def quantize(module, dtype):
    """``module`` (a float torch.nn.LSTM or GRU) dynamically quantized to ``dtype``
    (``torch.qint8`` or ``torch.float16``), as ``quantize_dynamic`` does it."""
    import torch

    with _quiet():
        return torch.ao.quantization.quantize_dynamic(
            torch.nn.Sequential(module), {type(module)}, dtype=dtype)[0]


def quantized_factory(unit, dtype=None):
    """A factory ``(input_size, hidden_size) -> module``: ``torch.nn.<unit>`` (or the class
    ``unit``, an LSTM or GRU) built, then dynamically quantized (default ``torch.qint8``;
    ``"qint8"`` and ``"float16"`` name the two).

    >>> make = quantized_factory("GRU")
    >>> type(make(3, 2)).__module__
    'torch.ao.nn.quantized.dynamic.modules.rnn'
    """
    import torch

    cls = getattr(torch.nn, unit, None) if isinstance(unit, str) else unit
    if not (isinstance(cls, type) and issubclass(cls, (torch.nn.LSTM, torch.nn.GRU))):
        shown = unit if isinstance(unit, str) else factory_name(unit)
        raise SeqcheckError(f"quantize_dynamic quantizes torch.nn.LSTM and GRU; got {shown}")
    dtype = {None: torch.qint8, "qint8": torch.qint8, "float16": torch.float16}.get(dtype, dtype)
    if dtype not in (torch.qint8, torch.float16):
        raise SeqcheckError(f"dynamic quantization takes qint8 or float16 weights; got {dtype}")

    def make(input_size: int, hidden_size: int):
        return quantize(cls(input_size, hidden_size), dtype)

    make.__name__ = (f"quantize_dynamic({factory_name(cls)}, "
                     f"{str(dtype).replace('torch.', '')})")
    return make


class QuantizedTarget(Target):
    """A dynamically quantized LSTM or GRU, one layer, one direction (any ``bias``,
    ``batch_first``), held to its float module's spec within the slack of the module
    docstring.

    Arguments:
        target: a quantized instance (its sizes stay fixed), or a factory such as
            :func:`quantized_factory`, called as ``target(input_size, hidden_size)``.
        name: how to print it.
    """

    has_gradients = False
    dtypes = ("float32",)

    def __init__(self, target, name: str | None = None):
        import torch

        self.instance = isinstance(target, torch.nn.Module)
        probe = target if self.instance else target(3, 5)
        with _quiet():
            import torch.ao.nn.quantized.dynamic as qdynamic
        unit = next((u for u in _UNITS if isinstance(probe, getattr(qdynamic, u))), None)
        if unit is None:
            raise SeqcheckError(f"{type(probe).__name__} is not a dynamically quantized "
                                "torch LSTM or GRU (torch.ao.nn.quantized.dynamic)")
        if probe.num_layers != 1 or probe.bidirectional:
            raise SeqcheckError("a quantized target has one layer and one direction; "
                                f"this one has num_layers={probe.num_layers}, "
                                f"bidirectional={probe.bidirectional}")
        self.target, self.unit = target, unit
        self.weight_dtype = probe.dtype
        self.bias, self.batch_first = bool(probe.bias), bool(probe.batch_first)
        self.size = (probe.input_size, probe.hidden_size)
        from .recognise import layout_for

        self.layout = layout_for(getattr(torch.nn, unit)(*self.size, bias=self.bias,
                                                         batch_first=self.batch_first))
        self.name = name or (f"quantized {unit}" if self.instance else factory_name(target))
        weights = str(self.weight_dtype).replace("torch.", "")
        self.description = (f"layout of torch.nn.{unit} with {weights} weights"
                            + (" and 8-bit activations" if weights == "qint8" else "")
                            + "; slack from the quantization, per case (its weights' effect "
                              "exactly, its activations' as a bound)")
        self.states, self.outputs = tuple(self.layout.states), tuple(self.layout.outputs)

    def default_spec(self):
        return self.layout.spec()

    def fixed_sizes(self, spec) -> dict[str, int] | None:
        return dict(zip(("D", "H"), self.size)) if self.instance else None

    def run(self, case, dtype: str, gradients: bool) -> Observed:
        import torch

        if gradients:
            raise SeqcheckError(f"{self.name} cannot differentiate (quantized modules have "
                                "no autograd); verify it with gradients=False")
        D, H = case.sizes["D"], case.sizes["H"]
        float_module = getattr(torch.nn, self.unit)(D, H, bias=self.bias,
                                                     batch_first=self.batch_first)
        self.layout.set_params(float_module, case.params)
        quantized = quantize(float_module, self.weight_dtype)  # the engine's own observers
        module = copy.deepcopy(self.target) if self.instance else self.target(D, H)
        with _quiet():
            module.set_weight_bias({**quantized.get_weight(), **quantized.get_bias()})
        x = torch.tensor(case.inputs["x"], dtype=torch.float32)
        h0, *c0 = (torch.tensor(case.initial[s], dtype=torch.float32)[None]
                   for s in self.states)  # (1, B, H): torch's (layers, batch, hidden)
        with torch.no_grad():
            out, last = module(x.transpose(0, 1) if self.batch_first else x,
                               (h0, *c0) if c0 else h0)
        out = out.transpose(0, 1) if self.batch_first else out
        last = dict(zip(self.states, last if c0 else (last,)))
        exact = _float_weights(float_module)
        held = {**exact, **_held_weights(quantized)}
        x64 = np.asarray(case.inputs["x"], dtype=np.float64)
        init = {s: np.asarray(case.initial[s], dtype=np.float64) for s in self.states}
        want, _ = _forward(self.unit, exact, x64, init, None)
        got, bound = _forward(self.unit, held, x64, init,
                              self.weight_dtype == torch.qint8)
        slack = {v: np.abs(got[v] - want[v]) + bound[v] for v in got}

        def array(t):
            return t.detach().double().numpy()

        return Observed(per_step={"h": array(out)},
                        final={s: array(last[s][0]) for s in self.states},
                        per_step_slack={v: slack[v] for v in self.outputs},
                        final_slack={s: slack[s][-1] for s in self.states})


def _float_weights(module) -> dict[str, np.ndarray]:
    return {n: p.detach().double().numpy() for n, p in module.named_parameters()}


def _held_weights(module) -> dict[str, np.ndarray]:
    """The weights the quantized module computes with, dequantized, in float64."""
    out = {}
    for name, w in module.get_weight().items():
        w = w.dequantize() if w.is_quantized else w
        out[name] = w.double().numpy()
    return out


def _forward(unit, w, x, initial, quantized_activations):
    """Every step's h (and c) of torch's LSTM or GRU in float64, and, with
    ``quantized_activations``, the bound of the module docstring on what quantizing the
    products' inputs changes (zero otherwise): ``({state: (T, B, H)}, same shape)``."""
    W, R = w["weight_ih_l0"], w["weight_hh_l0"]
    b = w.get("bias_ih_l0", np.zeros(W.shape[0]))
    rb = w.get("bias_hh_l0", np.zeros(W.shape[0]))
    h = initial["h"]
    c = initial.get("c")
    step_x = (max(x.max(), 0) - min(x.min(), 0)) / _LEVELS
    dh = np.zeros_like(h)
    dc = np.zeros_like(h) if c is not None else None
    hs, cs, dhs, dcs = [], [], [], []
    sig = _sigmoid
    for x_t in x:
        s = 0.0
        if quantized_activations:  # half the coarsest step over x and the engine's h
            step_h = (max((h + dh).max(), 0) - min((h - dh).min(), 0)) / _LEVELS
            s = max(step_x, step_h) / 2
        ex = np.abs(W) @ np.full(W.shape[1], s)                     # (kH,)
        eh = (dh + s) @ np.abs(R).T                                 # (B, kH)
        gx, gh = x_t @ W.T + b, h @ R.T + rb
        if unit == "LSTM":
            i, f, g, o = np.split(gx + gh, 4, axis=1)
            e_i, e_f, e_g, e_o = np.split(ex + eh, 4, axis=1)
            i, f, g, o = sig(i), sig(f), np.tanh(g), sig(o)
            di, df, do = (np.minimum(e / 4, 1) for e in (e_i, e_f, e_o))
            dg = np.minimum(e_g, 2)
            c_new = f * c + i * g
            dc = df * (np.abs(c) + dc) + f * dc + di * (np.abs(g) + dg) + i * dg
            tc = np.tanh(c_new)
            dtc = np.minimum(dc, 2)
            h, c = o * tc, c_new
            dh = do * (np.abs(tc) + dtc) + o * dtc
            cs.append(c)
            dcs.append(dc)
        else:  # GRU, torch's equations: n = tanh(W_in x + b_in + r (W_hn h + b_hn))
            xr, xz, xn = np.split(gx, 3, axis=1)
            hr, hz, hn = np.split(gh, 3, axis=1)
            er, ez, en = np.split(np.broadcast_to(ex, eh.shape), 3, axis=1)
            fr, fz, fn = np.split(eh, 3, axis=1)
            r, z = sig(xr + hr), sig(xz + hz)
            n = np.tanh(xn + r * hn)
            dr, dz = np.minimum((er + fr) / 4, 1), np.minimum((ez + fz) / 4, 1)
            dn = np.minimum(en + dr * (np.abs(hn) + fn) + r * fn, 2)
            h_new = (1 - z) * n + z * h
            dh = dn + dz * (np.abs(h - n) + dh + dn) + z * (dh + dn)
            h = h_new
        hs.append(h)
        dhs.append(dh)
    got = {"h": np.stack(hs)}
    bound = {"h": np.stack(dhs)}
    if unit == "LSTM":
        got["c"], bound["c"] = np.stack(cs), np.stack(dcs)
    return got, bound


def _sigmoid(a):
    return 0.5 * (1 + np.tanh(a / 2))  # no overflow for large |a|
