"""Stage: Spec -> Derivation (reverse-mode adjoint equations of one step)."""

from .adjoint import Contribution, Derivation, EquationAdjoint, derive
from .jacobian import StateJacobians, state_jacobians
from .rtrl import rtrl
from .rules import DerivationError, vjp
from .truncated import truncated_bptt

__all__ = ["Contribution", "Derivation", "DerivationError", "EquationAdjoint", "derive", "vjp",
           "StateJacobians", "state_jacobians", "rtrl", "truncated_bptt"]
