"""Stage: Spec -> Derivation (reverse-mode adjoint equations of one step)."""

from .adjoint import Contribution, Derivation, EquationAdjoint, derive
from .rules import DerivationError, vjp

__all__ = ["Contribution", "Derivation", "DerivationError", "EquationAdjoint", "derive", "vjp"]
