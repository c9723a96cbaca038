"""The former home of the dense proofs, kept while code still imports from it: the names
are :mod:`symgrad.prove`'s, the one engine for every network (import from there; this module
goes once nothing imports it)."""
from __future__ import annotations

from symgrad.prove.network import COMPOSED_COMPONENTS as DENSE_COMPOSED_LIMIT  # noqa: F401
from symgrad.prove.network import prove as prove_dense, prove_all as prove_dense_all  # noqa: F401
from symgrad.prove.spot import spot_check  # noqa: F401

__all__ = ["prove_dense", "prove_dense_all", "spot_check", "DENSE_COMPOSED_LIMIT"]
