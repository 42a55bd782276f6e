"""Gradient dynamics: vanishing and exploding gradients measured, bounded and explained;
echo state networks end to end.

- :mod:`.measure`: state-Jacobian products ‖∂s_T/∂s_{T−k}‖ against the lag, growth
  rate, spectral radius and σ_max of the recurrent weights, a verdict
  (``seqcheck dynamics``); :mod:`.results` holds its records and their text,
  :mod:`.sampling` draws the weights at a spectral radius and the inputs,
  :mod:`.recurrence` reads the recurrent weights and the activation off a spec;
  :mod:`.plot` draws the sweep.
- :mod:`.theory`: the lectures' claims (seed 000 eq. 26–29, seed 002, Pascanu et al.
  2013) as functions a property test checks.
- :mod:`.remedies`: gradient-norm clipping and Pascanu's regulariser (seed 002).
- :mod:`.esn` and :mod:`.tasks`: reservoirs, the echo state property, the ridge readout,
  teacher forcing, and a one-step prediction task (seed 003).

Importing this package loads neither torch nor matplotlib.
"""

from .esn import (
    EchoStateReport,
    Reservoir,
    echo_state_property,
    fit_readout,
    free_run,
    reservoir,
    ridge_readout,
    run_reservoir,
    teacher_forced,
)
from .measure import jacobian_products, measure, sweep
from .plot import plot_sweep
from .recurrence import GAMMA, Recurrence, recurrence
from .remedies import clip_gradient_norm, pascanu_regulariser, regulariser_gradient
from .results import Dynamics, Sweep
from .sampling import scaled_params
from .tasks import TaskResult, esn_task, mackey_glass, sine
from .theory import eq28_forms, linear_recurrence, pascanu_rate

__all__ = [
    "GAMMA",
    "Dynamics",
    "EchoStateReport",
    "Recurrence",
    "Reservoir",
    "Sweep",
    "TaskResult",
    "clip_gradient_norm",
    "echo_state_property",
    "eq28_forms",
    "esn_task",
    "fit_readout",
    "free_run",
    "jacobian_products",
    "linear_recurrence",
    "mackey_glass",
    "measure",
    "pascanu_rate",
    "pascanu_regulariser",
    "plot_sweep",
    "recurrence",
    "regulariser_gradient",
    "reservoir",
    "ridge_readout",
    "run_reservoir",
    "scaled_params",
    "sine",
    "sweep",
    "teacher_forced",
]
