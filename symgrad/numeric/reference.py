"""The independent reference: the composed forward pass differentiated by reverse-mode
automatic differentiation over its elementary operations, at high precision.

Why it is independent of what it checks: the closed forms come from the derivation (the δ
recurrence, the activation table's σ' formulas, the cost's ∂C/∂a), while the reference
evaluates only the forward pass, z_l = W_l a_{l-1} + b_l with a_l = σ_l(z_l) written from each
activation's and the cost's SymPy *expression*, and lets :mod:`symgrad.numeric.reverse`
differentiate each elementary operation by its own rule.  No derivative formula of symgrad
enters it.  Its work is a constant times the forward pass's, so linear in depth per point.

Its error is estimated from two working precisions (digits + 20 and half as many digits
more); where they disagree beyond ``digits`` + 2 digits the precision doubles, up to five
times.  A unit of a kinked activation sitting exactly at its kink marks every component whose
gradient passes through it ``kink``: the gradient does not exist there.

>>> import mpmath
>>> from symgrad.model.network import Chain
>>> point, inputs = {"w_1": 0.5, "b_1": -0.25, "w_2": 1.5, "b_2": 0.125}, {"a_0": 1, "y": 0}
>>> ref = reference_gradients(Chain(depth=2), point, inputs, digits=30)["b_1"]
>>> mpmath.nstr(ref.value, 20), ref.error < 1e-40
('0.053377456713818993627', True)
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import gmpy2
import numpy as np

from symgrad.model.activations import Softmax
from symgrad.numeric.forward import forward
from symgrad.numeric.highprec import compile_mpfr, elementwise, mpfr_array, to_mpf, to_mpfr, working
from symgrad.numeric.points import (DEFAULT_DIGITS, GUARD_DIGITS, Point, components, network_of,
                                    parse_digits, read_point)
from symgrad.numeric.reverse import TAPE_NAMESPACE, Var, gradient, recording
from symgrad.numeric.witnesses import Estimate, has_kink

__all__ = ["reference_gradients", "condition_estimates"]


@lru_cache(maxsize=None)
def _tape_activation(act):
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    return compile_mpfr(args, act.expression, TAPE_NAMESPACE)


@lru_cache(maxsize=None)
def _tape_cost(cost):
    return compile_mpfr([cost.a, cost.y], cost.expression, TAPE_NAMESPACE)


def _leaves(values: np.ndarray) -> np.ndarray:
    return elementwise(lambda v: Var(to_mpfr(v)), values)


def _composed_cost(point: Point):
    """C of the forward pass on the tape, and the parameters' leaves and z_l values."""
    net = point.network
    p = {n: _leaves(v) for n, v in point.parameters.items()}
    W = [None] + [p[f"{net.weight_name}_{l}"] for l in net.layers]
    b = [None] + [p[f"b_{l}"] for l in net.layers]
    alpha = [None] + [p[f"alpha_{l}"][()] if net.has_slope(l) else None for l in net.layers]
    exp, log = TAPE_NAMESPACE["exp"], TAPE_NAMESPACE["log"]

    def units(l, z):
        act = net.sigma(l)
        if isinstance(act, Softmax):
            return z, None        # the cost below is written in z_L
        f = _tape_activation(act)
        return (elementwise(f, z) if alpha[l] is None else elementwise(f, z, alpha[l])), None

    layers = forward(W, b, mpfr_array(point.inputs["a_0"]), units)
    y = mpfr_array(point.inputs["y"])
    z_L, a_L, _ = layers[-1]
    if net.softmax_output:   # −Σ_j y_j (z_j − ln Σ_m e^{z_m}) per sample
        log_sum = [log(sum(exp(v) for v in row)) for row in z_L]
        cost = -sum(yj * (zj - ls) for row, yrow, ls in zip(z_L, y, log_sum)
                    for zj, yj in zip(row, yrow))
    else:
        cost = elementwise(_tape_cost(net.cost), a_L, y).sum()
    return cost, p, [None] + [z for z, _, _ in layers]


def _kinks(point: Point, z: list) -> set:
    """The (layer, unit) of every kinked unit sitting exactly at its kink."""
    net, out = point.network, set()
    for l in net.layers:
        alpha = point.parameters.get(f"alpha_{l}")
        if has_kink(net.sigma(l), None if alpha is None else float(alpha[()])):
            for (_, j), v in np.ndenumerate(z[l]):
                if v.value == 0:
                    out.add((l, j))
    return out


def _through_kink(net, name: str, index: tuple, kinks: set) -> bool:
    kind, l = net.parameter(name)
    return any(m > l or (m == l and kind != "alpha" and index[0] == j) for m, j in kinks)


def _gradients_once(point: Point, digits: int, comps: list) -> dict:
    """{label: (∂C/∂θ as MPFR, through a kink)} at ``digits`` working digits."""
    net = point.network
    with working(digits), recording() as tape:
        cost, leaves, z = _composed_cost(point)
        kinks = _kinks(point, z)
        if isinstance(cost, Var):
            gradient(cost, tape)
        return {label: (gmpy2.mpfr(leaves[name][index].adjoint),
                        _through_kink(net, name, index, kinks)) for label, name, index in comps}


def reference_gradients(network, parameters: Mapping, inputs: Mapping, *,
                        digits: int = DEFAULT_DIGITS, names=None) -> dict:
    """``{label: Estimate}`` (labels of :func:`~symgrad.numeric.points.components`): the
    reference value as an mpf, its error estimate (an mpf) and the kink flag."""
    net = network_of(network)
    digits = parse_digits(digits)
    point = read_point(net, parameters, inputs)
    comps = components(net, names)
    low_digits = digits + 2 * GUARD_DIGITS
    high_digits = low_digits + digits // 2 + GUARD_DIGITS
    low = _gradients_once(point, low_digits, comps)
    pending, out = [c for c in comps], {}
    for _ in range(5):
        high = _gradients_once(point, high_digits, pending)
        still = []
        with working(high_digits):
            for c in pending:
                (v1, k1), (v2, k2) = low[c[0]], high[c[0]]
                error = abs(v2 - v1)
                out[c[0]] = Estimate(to_mpf(v2), to_mpf(error), kink=k1 or k2)
                if not (k1 or k2) and error > gmpy2.mpfr(10) ** -(digits + 2) * abs(v2):
                    still.append(c)
        if not still:
            break
        pending, low, high_digits = still, high, 2 * high_digits
    return {label: out[label] for label, _, _ in comps}


def condition_estimates(network, parameters: Mapping, inputs: Mapping, *, trials: int = 3,
                        seed: int = 0, names=None) -> dict:
    """A statistical estimate of each gradient's relative condition number: the largest
    relative change of ∂C/∂θ, over ``trials`` random sign patterns, when every parameter and
    input moves by one float64 rounding (relative 2⁻⁵³), divided by 2⁻⁵³.  A float64
    evaluation can be expected to reach about κ ε relative accuracy, no better.

    >>> from symgrad.model.network import Chain
    >>> point = {**{f"w_{l}": 100.0 for l in (1, 2, 3)}, **{f"b_{l}": -50.0 for l in (1, 2, 3)}}
    >>> condition_estimates(Chain(depth=3), point, {"a_0": 0.5, "y": 0.0})["b_1"] > 1e4
    True
    """
    net = network_of(network)
    point = read_point(net, parameters, inputs)
    comps = components(net, names)
    rng = np.random.default_rng(seed)
    digits = 40
    base = _gradients_once(point, digits, comps)
    kappa = {label: 0.0 for label, _, _ in comps}
    for _ in range(trials):
        with working(digits):
            q = Point(net, {n: _moved(v, rng) for n, v in point.parameters.items()},
                      {n: _moved(v, rng) for n, v in point.inputs.items()})
        g = _gradients_once(q, digits, comps)
        with working(digits):
            for label in kappa:
                b, v = base[label][0], g[label][0]
                if b != 0:
                    kappa[label] = max(kappa[label], float(abs(v - b) / (_U53() * abs(b))))
    return kappa


def _U53():
    return gmpy2.mpfr(2) ** -53


def _moved(values: np.ndarray, rng) -> np.ndarray:
    """Every value times 1 ± 2⁻⁵³, the sign drawn for each."""
    up, down = 1 + _U53(), 1 - _U53()
    signs = rng.choice([-1, 1], values.shape)
    return elementwise(lambda v, s: to_mpfr(v) * (up if s > 0 else down), values, signs)
