"""Echo state networks end to end: reservoir, echo state property, ridge readout, tasks.

Seed 003's recipe ('Reservoir computing - overall recipe'): 1. generate the reservoir
(W_in, W); 2. apply the inputs x(n) and collect the states h(n); 3. compute the linear
readout by ridge regression; 4. use the network on new data. Every run goes through the
*compiled spec*: ``esn`` (specs/esn.toml), ``esn_feedback`` for output feedback, and a
variant of it for teacher forcing, so what is trained and measured here is exactly
what the spec says:

    h~(n) = tanh(W_in [1; x(n)] + W h(n-1) [+ W_fb y(n-1)])
    h(n)  = (1 - alpha) h(n-1) + alpha h~(n)
    y(n)  = W_out [1; h(n); x(n)]

Arrays are time-major like the compiled specs: inputs ``(T, B, N_u)``, states
``(T, B, N_x)``. The readout works in the slide's column convention: the design matrix
H has one column per sample, ``(1 + N_x + N_u, samples)``.

Every name is importable from here:

- :mod:`.generation`: step 1, :class:`Reservoir` and :func:`reservoir`;
- :mod:`.running`: steps 2 and 4 through the compiled specs, :func:`run_reservoir`,
  :func:`teacher_forced` (:func:`teacher_forcing_spec`) and :func:`free_run`;
- :mod:`.readout`: step 3, :func:`design_matrix`, :func:`ridge_readout`, :func:`fit_readout`;
- :mod:`.echo_state`: the echo state property, :func:`echo_state_property`;
- :mod:`.arguments`: the argument checks the others share.
"""

from .arguments import check_int, check_real
from .echo_state import EchoStateReport, echo_state_property
from .generation import Reservoir, reservoir
from .readout import design_matrix, fit_readout, ridge_readout
from .running import TEACHER_H_TILDE, free_run, run_reservoir, teacher_forced, teacher_forcing_spec

__all__ = ["EchoStateReport", "Reservoir", "TEACHER_H_TILDE", "check_int", "check_real",
           "design_matrix", "echo_state_property", "fit_readout", "free_run", "reservoir",
           "ridge_readout", "run_reservoir", "teacher_forced", "teacher_forcing_spec"]
