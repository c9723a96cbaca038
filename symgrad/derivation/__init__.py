"""From a network to its gradients: the δ recurrence, matrix, component and scalar (chain) forms."""
from __future__ import annotations

from symgrad.derivation.dense import (  # noqa: F401
    Dense, DenseDerivation, derive_dense, Softmax, SOFTMAX, SQUARED_ERROR, CostGradient,
    SampleSum, SoftmaxOf, check_widths, dense_cost, MAX_WIDTH, MAX_SAMPLES, SOFTMAX_CE,
)
from symgrad.derivation.derivation import (  # noqa: F401
    Derivation, OrderedProduct, derive, delta_symbol,
)

__all__ = [
    'Dense', 'DenseDerivation', 'derive_dense', 'Softmax', 'SOFTMAX', 'SQUARED_ERROR',
    'CostGradient', 'SampleSum', 'SoftmaxOf', 'check_widths', 'dense_cost', 'MAX_WIDTH',
    'MAX_SAMPLES', 'SOFTMAX_CE', 'Derivation', 'OrderedProduct', 'derive', 'delta_symbol',
]
