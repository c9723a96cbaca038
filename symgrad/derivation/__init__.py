"""From a network to its gradients: the δ recurrence in matrix and component form, and the
ordered products of the chain view."""
from __future__ import annotations

from symgrad.derivation.derivation import Derivation, derive, sigma_prime_matrix  # noqa: F401
from symgrad.derivation.nodes import CostGradient, OrderedProduct, SampleSum, delta_symbol  # noqa: F401
from symgrad.derivation.scalar import ChainView  # noqa: F401

__all__ = ["Derivation", "derive", "CostGradient", "OrderedProduct", "SampleSum", "delta_symbol",
           "ChainView", "sigma_prime_matrix"]
