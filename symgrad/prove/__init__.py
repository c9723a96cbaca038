"""Proofs: every closed form equals the derivative of the composed cost (one engine for every
network, composed or by induction on the layer), each activation's and cost's derivative
equals SymPy's, and a spot check of a concrete network at one point."""
from __future__ import annotations

from symgrad.prove.proof import Proof  # noqa: F401
from symgrad.prove.engine import ENGINES  # noqa: F401
from symgrad.prove.local import prove_activation, prove_cost  # noqa: F401
from symgrad.prove.network import (  # noqa: F401
    COMPONENT_LIMIT, COMPOSED_COMPONENTS, COMPOSED_DEPTH, METHODS, choose_method, network_key,
    proof_network, prove, prove_all,
)
from symgrad.prove.spot import spot_check  # noqa: F401

__all__ = [
    "Proof", "ENGINES", "prove_activation", "prove_cost", "COMPONENT_LIMIT",
    "COMPOSED_COMPONENTS", "COMPOSED_DEPTH", "METHODS", "choose_method", "network_key",
    "proof_network", "prove", "prove_all", "spot_check",
]
