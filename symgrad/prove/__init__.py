"""Proofs: each closed form equals the differentiated composed cost."""
from __future__ import annotations

from symgrad.prove.chain import (  # noqa: F401
    Proof, prove_chain, prove_activation, prove_cost, prove_all, COMPOSED_LIMIT,
)
from symgrad.prove.dense import (  # noqa: F401
    prove_dense, prove_dense_all, spot_check, DENSE_COMPOSED_LIMIT,
)

__all__ = [
    'Proof', 'prove_chain', 'prove_activation', 'prove_cost', 'prove_all', 'COMPOSED_LIMIT',
    'prove_dense', 'prove_dense_all', 'spot_check', 'DENSE_COMPOSED_LIMIT',
]
