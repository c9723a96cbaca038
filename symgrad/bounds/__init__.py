"""Bounds: sup |σ'| of every activation, certified, and the layer bound it gives."""
from __future__ import annotations

from symgrad.bounds.core import (  # noqa: F401
    Candidate, Supremum, NotCertified, supremum, suprema, interval, LayerBound, layer_bound,
    general_layer_bound, sup_symbol, three_sigmoid_layers, CERTIFY_BITS,
)

__all__ = [
    'Candidate', 'Supremum', 'NotCertified', 'supremum', 'suprema', 'interval',
    'LayerBound', 'layer_bound', 'general_layer_bound', 'sup_symbol',
    'three_sigmoid_layers', 'CERTIFY_BITS',
]
