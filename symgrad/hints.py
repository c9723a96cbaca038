"""Likely causes of a failed gradient check, read off the numbers.

* :func:`common_factor`: every gradient is the reference times one constant, and the
  constant says which: 1/(N·n_L) is a mean taken where a sum is declared (``nn.MSELoss()``
  checked as squared-error), 2 is (a − y)² where ½(a − y)² is declared, −1 a flipped sign.
* :func:`activation_alternatives`: networks that differ from the declared one in a way
  implementations often do without saying so (the tanh approximation of GELU, which
  ``jax.nn.gelu`` computes by default, in place of the exact erf form, and back); the
  checker compares the numbers with each, and a match is the likely cause.

>>> from symgrad.model.network import Dense
>>> net = Dense([3, 4, 3], "gelu", "squared-error", samples=5)
>>> [text[:40] for _, text in activation_alternatives(net)]
['the numbers match the tanh approximation']
>>> describe_factor(1 / 15, net, 1e-3)
"every gradient is 0.06667 = 1/15 times the reference: a mean over the N·n_L = 5·3 = 15 samples and outputs where a sum is declared (nn.MSELoss and nn.BCELoss take the mean by default: declare cost 'mse' or reduction='mean')"
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

from symgrad.arrays import activation_for
from symgrad.model.network import Network

__all__ = ["common_factor", "describe_factor", "activation_alternatives"]


def _parts(net, reduction: str) -> tuple[list, list]:
    """The factors a loss is commonly off by, each with what it means: the reduction (a
    mean where a sum is declared, or back) and the ½ of the quadratic cost (missing where
    the quadratic cost is declared, or there where squared-error is)."""
    N, nL = net.samples, net.n(net.L)
    if net.softmax_output:       # PyTorch's cross-entropy mean divides by N only
        k, what = N, f"the N = {N} samples"
        module = "nn.CrossEntropyLoss takes the mean by default: declare reduction='mean'"
    else:
        k, what = N * nL, f"the N·n_L = {N}·{nL} = {N * nL} samples and outputs"
        module = ("nn.MSELoss and nn.BCELoss take the mean by default: declare cost 'mse' "
                  "or reduction='mean'")
    reductions, halves = [], []
    if k > 1 and reduction == "sum":
        reductions.append((Fraction(1, k), f"a mean over {what} where a sum is declared "
                                           f"({module})"))
        if N not in (1, k):
            reductions.append((Fraction(1, N), f"a mean over the N = {N} samples where a sum "
                                               "is declared (symgrad's mean divides by "
                                               "N·n_L)"))
    if k > 1 and reduction == "mean":
        reductions.append((Fraction(k), f"a sum where the mean over {what} is declared "
                                        "(declare reduction='sum')"))
    if net.cost_name == "quadratic":
        halves.append((Fraction(2), "(a − y)² without the ½ where ½(a − y)² is declared "
                                    "(declare 'squared-error', or 'mse' for the mean)"))
    if net.cost_name == "squared-error":
        halves.append((Fraction(1, 2), "½(a − y)² where (a − y)² is declared (declare "
                                       "'quadratic')"))
    return reductions, halves


def describe_factor(r: float, net, tolerance: float, reduction: str = "sum") -> str:
    """What a common factor r between the implementation and the reference likely means
    (every reading that fits, where two coincide)."""
    shown = f"every gradient is {r:.4g}"
    flip = "; and the sign is flipped (∂C/∂a_L = y − a_L?)" if r < 0 else ""
    reductions, halves = _parts(net, reduction)
    readings = []
    combos = [(p,) for p in reductions + halves] + list(itertools.product(reductions, halves))
    for combo in combos:
        value = math.prod(f for f, _ in combo)
        if value != 1 and abs(abs(r) - float(value)) <= tolerance * float(value):
            readings.append((value, " and ".join(text for _, text in combo)))
    if readings:
        value = readings[0][0]
        words = "; or ".join(text for _, text in readings)
        return f"{shown} = {'-' if r < 0 else ''}{value} times the reference: {words}{flip}"
    if r < 0 and abs(abs(r) - 1) <= tolerance:
        return f"{shown} times the reference: the sign is flipped (∂C/∂a_L = y − a_L?)"
    return (f"{shown} times the reference: a constant factor in the loss or in ∂C/∂a_L "
            f"(a reduction, a ½, a learning rate?)")


def common_factor(report, net, reduction: str = "sum") -> str | None:
    """The hint when every sizeable gradient component is the reference times one constant
    r ≠ 1 (within a loose tolerance); None otherwise."""
    ratios, tols = [], []
    for b in report.blocks:
        ref, got = b.reference.reshape(-1), b.actual.reshape(-1)
        largest = float(np.abs(ref).max(initial=0.0))
        sizeable = np.abs(ref) >= 1e-3 * largest
        if largest > 0:
            ratios.append(got[sizeable] / ref[sizeable])
            tols.append(b.tolerance.reshape(-1)[sizeable])
    ratios = np.concatenate(ratios) if ratios else np.array([])
    if ratios.size < 2 or not np.all(np.isfinite(ratios)):
        return None
    tols = np.concatenate(tols)
    tols = tols[np.isfinite(tols)]
    r = float(np.median(ratios))
    loose = max(1e-3, 4 * float(np.median(tols)) if tols.size else 1e-3)
    if r == 0 or abs(r - 1) <= loose or np.any(np.abs(ratios - r) > loose * abs(r)):
        return None
    return describe_factor(r, net, loose, reduction)


_TANH_TEXT = ("the numbers match the tanh approximation of GELU, 0.5 z (1 + tanh(√(2/π) "
              "(z + 0.044715 z³))) (nn.GELU(approximate='tanh'); jax.nn.gelu computes it by "
              "default, approximate=True), where the network declares the exact erf form "
              "z Φ(z): declare 'gelu_tanh', or compute the exact form (approximate='none' in "
              "PyTorch, approximate=False in JAX)")
_EXACT_TEXT = ("the numbers match the exact GELU z Φ(z) (nn.GELU(), jax.nn.gelu(x, "
               "approximate=False)) where the network declares the tanh approximation: "
               "declare 'gelu'")


def activation_alternatives(net) -> list[tuple[Network, str]]:
    """Networks that differ from ``net`` only where implementations often differ without
    saying so, each with the hint to give when the numbers match it."""
    exact, tanh = activation_for("gelu"), activation_for("gelu_tanh")
    out = []
    for old, new, text in ((exact, tanh, _TANH_TEXT), (tanh, exact, _EXACT_TEXT)):
        if old in net.activations:
            acts = [new if a is old else a for a in net.activations]
            out.append((Network(net.widths, acts, net.cost, net.samples), text))
    return out
