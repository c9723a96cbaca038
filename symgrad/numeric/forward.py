"""The forward pass, written once for every arithmetic: float64 and float32 arrays, MPFR
numbers in object arrays, and the reference's differentiable tape numbers::

    z_l = W_l a_{l-1} + b_l,      a_l = σ_l(z_l)

Rows of ``a`` are samples (so z_l = a_{l-1} W_lᵀ + b_l row by row); where every width is 1
and ``a`` holds a batch of *points* (each with its own w_l), the product is elementwise.

>>> import numpy as np
>>> W = [None, np.array([[2.0, 0.0], [0.0, 3.0]])]
>>> b = [None, np.array([1.0, -1.0])]
>>> [(z, a)] = [(z, a) for z, a, _ in forward(W, b, np.array([[1.0, 1.0]]),
...                                          lambda l, z: (np.maximum(z, 0), None))]
>>> z.tolist(), a.tolist()
([[3.0, 2.0]], [[3.0, 2.0]])
"""
from __future__ import annotations

from typing import Callable, Sequence

__all__ = ["affine", "forward"]


def affine(W, a, b, elementwise: bool = False):
    """z_l = W_l a_{l-1} + b_l: ``a @ W_lᵀ + b_l`` for rows of samples, ``W_l * a + b_l`` for a
    batch of chain points (every width 1)."""
    return (W * a if elementwise else a @ W.T) + b


def forward(W: Sequence, b: Sequence, a0, activation: Callable, elementwise: bool = False) -> list:
    """[(z_l, a_l, extra_l)] for l = 1..L, with ``W[l]``, ``b[l]`` (index 0 unused) and
    ``activation(l, z_l) -> (a_l, extra_l)`` (extra: σ_l'(z_l) where the caller computes it
    alongside, else None)."""
    out, a = [], a0
    for l in range(1, len(W)):
        z = affine(W[l], a, b[l], elementwise)
        a, extra = activation(l, z)
        out.append((z, a, extra))
    return out
