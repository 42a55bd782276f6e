"""The lectures' claims about vanishing and exploding gradients, as computations.

Each function turns one printed claim into numbers that a test compares with an
independent oracle (``numpy.linalg``) or with the state Jacobians J_t = ∂s_t/∂s_{t-1}
of the derived backward pass (:func:`seqcheck.derive.state_jacobians`):

- :mod:`.linear`, seed 000 eq. (26)-(28) and seed 003 "Long-term dependencies problem":
  the linear recurrence h_t = Wᵀ h_{t-1} and its eigen-decomposition (:func:`eq28_forms`,
  :func:`linear_norm_bounds`);
- :mod:`.products`, seed 002 "Another look at the gradients" and "Vanishing gradients":
  the recursive product ∂c_t/∂c_τ = Π_{t≥k>τ} ∂c_k/∂c_{k-1} (:func:`jacobian_product`,
  :func:`product_norms`, :func:`alternative_product`); seed 002 "LSTM": the cell's
  constant error carousel (:func:`carousel_gain`);
- :mod:`.bounds`: the product's bound η^(t-τ), which Pascanu et al. (2013) make precise
  (:func:`pascanu_rate`, :func:`can_explode`, :func:`check_rate`), and seed 000 eq. (29)'s
  leaky units (:func:`leaky_rates`);
- :mod:`.specs`: the specs ``linear_rnn`` and ``rnn_alternative`` they run through.

Orientation: J_t has row i = component i of s_t and column j = component j of s_{t-1}, so
∂s_t/∂s_τ = J_t J_{t-1} ⋯ J_{τ+1}, and a row-vector adjoint ∂L/∂s_t times it is ∂L/∂s_τ
(seed 002's left-to-right product). Norms are spectral (2-)norms.

Its names are all importable from here.
"""

from .bounds import RateCheck, can_explode, check_rate, leaky_rates, pascanu_rate
from .linear import EigenForms, NormBounds, eq28_forms, linear_norm_bounds, linear_recurrence
from .products import alternative_product, carousel_gain, jacobian_product, product_norms
from .specs import ALTERNATIVE_RNN, LINEAR_RNN, alternative_rnn, linear_rnn

__all__ = [
    "ALTERNATIVE_RNN",
    "LINEAR_RNN",
    "EigenForms",
    "NormBounds",
    "RateCheck",
    "alternative_product",
    "alternative_rnn",
    "can_explode",
    "carousel_gain",
    "check_rate",
    "eq28_forms",
    "jacobian_product",
    "leaky_rates",
    "linear_norm_bounds",
    "linear_recurrence",
    "linear_rnn",
    "pascanu_rate",
    "product_norms",
]
