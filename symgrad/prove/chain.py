"""The former home of the chain's proofs, kept while code still imports from it: the names
are :mod:`symgrad.prove`'s, the one engine for every network (import from there; this module
goes once nothing imports it)."""
from __future__ import annotations

from symgrad.prove.local import prove_activation, prove_cost  # noqa: F401
from symgrad.prove.network import COMPOSED_DEPTH as COMPOSED_LIMIT  # noqa: F401
from symgrad.prove.network import prove as prove_chain, prove_all  # noqa: F401
from symgrad.prove.proof import Proof  # noqa: F401

__all__ = ["Proof", "prove_chain", "prove_activation", "prove_cost", "prove_all",
           "COMPOSED_LIMIT"]
