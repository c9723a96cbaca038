"""Bounds: sup |σ'| of every activation, certified by ball arithmetic, and the layer bound
it gives.

Modules, one responsibility each: :mod:`~symgrad.bounds.enclosure` (exact-endpoint
enclosures and outward-rounded decimals), :mod:`~symgrad.bounds.interval` (ball arithmetic
over a finite box, python-flint's arb), :mod:`~symgrad.bounds.tails` (interval arithmetic on
a ray), :mod:`~symgrad.bounds.roots` (every zero of a function, isolated and enclosed),
:mod:`~symgrad.bounds.branches` (the smooth pieces of σ'), :mod:`~symgrad.bounds.candidates`
(critical points and limits on one piece), :mod:`~symgrad.bounds.supremum` (the decision),
:mod:`~symgrad.bounds.layer` (the bound on ∂C/∂b_l).
"""
from __future__ import annotations

from symgrad.bounds.candidates import Candidate
from symgrad.bounds.enclosure import Enclosure
from symgrad.bounds.interval import CERTIFY_BITS, NotCertified, interval
from symgrad.bounds.layer import (LayerBound, general_layer_bound, layer_bound, sup_symbol,
                                  three_sigmoid_layers)
from symgrad.bounds.supremum import Supremum, suprema, supremum

__all__ = [
    "Candidate", "Enclosure", "Supremum", "NotCertified", "supremum", "suprema", "interval",
    "LayerBound", "layer_bound", "general_layer_bound", "sup_symbol",
    "three_sigmoid_layers", "CERTIFY_BITS",
]
