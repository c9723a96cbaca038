"""A worked example: the forward and the backward pass at one seeded point, every number printed.

The point has short decimals (weights and biases with one decimal, inputs in (0, 1)), so a
student can recompute it.  Every value is computed exactly where it is rational and to 30
digits where it is not (:class:`Point`), printed to six significant digits (fewer only where
the value is an exact short decimal), and every gradient is checked against symgrad's
reference (:func:`symgrad.oracle.reference` for a chain, the 50-digit dense reference
:func:`symgrad.numeric.gradients_mp` for layers of many neurons).  The last table is the
vanishing gradient as numbers: each layer's gradient against the last one's.

>>> from symgrad import Chain, derive
>>> p = point(derive(Chain(depth=3)), seed=0)
>>> sorted(p.parameters)
['W_1', 'W_2', 'W_3', 'b_1', 'b_2', 'b_3']
>>> p.agreement < 1e-25
True
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from symgrad.errors import UsageError
from symgrad.lecture.facts import short_decimal
from symgrad.model.activations import Softmax

__all__ = ["Point", "point", "shown", "MAX_EXAMPLE_NUMBERS", "WORKING_DIGITS"]

#: the worked example prints every number: a network with more is refused
MAX_EXAMPLE_NUMBERS = 500
WORKING_DIGITS = 30


def shown(value) -> sp.Number:
    """A value as printed: an exact decimal of at most six significant digits as it is, any
    other value rounded to six significant digits, trailing zeros kept (so a number printed
    with fewer than six digits is exact)."""
    value = sp.sympify(value)
    if value.is_Rational:
        q = short_decimal(value)
        if sp.Rational(str(q)) == value if not q.is_Integer else q == value:
            return q
    text = mpmath.nstr(mpmath.mpf(sp.Float(value, WORKING_DIGITS)._mpf_), 6, min_fixed=-4,
                       max_fixed=6, strip_zeros=False)
    return sp.Float(text, 6)


def _number(x) -> sp.Expr:
    """Exact where rational, else a Float of WORKING_DIGITS digits."""
    x = sp.sympify(x)
    return x if x.is_Rational else sp.Float(sp.N(x, WORKING_DIGITS), WORKING_DIGITS)


def _apply(f, value):
    return _number(f(value))


@dataclass(frozen=True)
class Point:
    """The worked example's numbers: parameters and inputs (exact), the forward pass z_l, a_l,
    the activation derivatives, the errors δ_l and the gradients, layer by layer (each a
    SymPy Matrix of samples × units for a dense network, a number for a chain); the
    reference's gradients and the largest relative difference from them."""

    derivation: object
    parameters: dict
    x: object
    y: object
    z: dict
    a: dict
    primes: dict
    delta: dict
    gradients: dict
    reference: str
    agreement: float

    @property
    def network(self):
        return self.derivation.network


def _draw(net, seed: int):
    """Weights and biases with one decimal, inputs and targets in (0, 1) with one decimal
    (one-hot targets for a softmax); row-convention shapes for a dense network."""
    rng = np.random.default_rng(seed)
    tenth = lambda v: sp.Rational(int(round(float(v) * 10)), 10)   # noqa: E731
    params = {}
    for l in net.layers:
        n_in, n_out = net.n(l - 1), net.n(l)
        params[f"W_{l}"] = sp.Matrix(n_in, n_out, [tenth(v) for v in rng.normal(0, 1, n_in * n_out)])
        params[f"b_{l}"] = sp.Matrix(1, n_out, [tenth(v) for v in rng.normal(0, 0.5, n_out)])
        if net.has_slope(l):
            params[f"alpha_{l}"] = sp.Rational(1, 4)
    N = net.samples
    x = sp.Matrix(N, net.n(0), [tenth(v) or sp.Rational(1, 10) for v in rng.uniform(0, 1, N * net.n(0))])
    if net.softmax_output:
        y = sp.zeros(N, net.n(net.L))
        for i, k in enumerate(rng.integers(0, net.n(net.L), N)):
            y[i, int(k)] = 1
    else:
        y = sp.Matrix(N, net.n(net.L), [tenth(v) for v in rng.uniform(0.05, 0.95, N * net.n(net.L))])
    return params, x, y


def _forward(net, params, x):
    z, a, primes = {}, {0: x}, {}
    for l in net.layers:
        act = net.sigma(l)
        zl = (a[l - 1] * params[f"W_{l}"] + sp.ones(x.rows, 1) * params[f"b_{l}"]).applyfunc(_number)
        z[l] = zl
        if isinstance(act, Softmax):
            a[l] = sp.Matrix([[_number(sp.exp(v) / sum(sp.exp(u) for u in zl.row(i)))
                               for v in zl.row(i)] for i in range(zl.rows)])
            continue
        alpha = params.get(f"alpha_{l}")
        a[l] = zl.applyfunc(lambda v: _apply(lambda t: act(t, alpha), v))
        primes[l] = zl.applyfunc(lambda v: _apply(lambda t: act.derivative(t, alpha), v))
    return z, a, primes


def _backward(net, params, a, primes, y):
    L = net.L
    aL = a[L]
    if net.softmax_output:
        delta = {L: (aL - y).applyfunc(_number)}
    else:
        dC = sp.Matrix(aL.rows, aL.cols, lambda i, j: _number(net.cost.derivative(aL[i, j], y[i, j])))
        delta = {L: dC.multiply_elementwise(primes[L]).applyfunc(_number)}
    for l in range(L - 1, 0, -1):
        back = delta[l + 1] * params[f"W_{l + 1}"].T            # row convention: δ_{l+1} W_{l+1}ᵀ
        delta[l] = back.multiply_elementwise(primes[l]).applyfunc(_number)
    grads = {}
    for l in net.layers:
        grads[f"b_{l}"] = (sp.ones(1, a[0].rows) * delta[l]).applyfunc(_number)
        grads[f"W_{l}"] = (a[l - 1].T * delta[l]).applyfunc(_number)
        if net.has_slope(l):
            act, alpha = net.sigma(l), params[f"alpha_{l}"]
            upstream = delta[l + 1] * params[f"W_{l + 1}"].T if l < L else dC
            slope = sp.Matrix(a[l].rows, a[l].cols,
                              lambda i, j: act.parameter_derivative(_z_of(a, l, i, j, net, params), alpha))
            grads[f"alpha_{l}"] = _number(sum(slope.multiply_elementwise(upstream)))
    return delta, grads


def _z_of(a, l, i, j, net, params):
    return (a[l - 1] * params[f"W_{l}"] + sp.ones(a[0].rows, 1) * params[f"b_{l}"])[i, j]


def _decimal(v) -> Fraction:
    q = sp.Rational(v)
    return Fraction(int(q.p), int(q.q))


def _check(net, params, x, y, grads) -> tuple[str, float]:
    """The reference's name and the largest relative difference of the example's gradients
    from it (the parameters read exactly as written, never through a float)."""
    if net.is_chain:
        from symgrad.oracle import reference
        p = {net.canonical(k): _decimal(v[0, 0] if isinstance(v, sp.MatrixBase) else v)
             for k, v in params.items()}
        ref = reference(net, p, {"a_0": _decimal(x[0, 0]), "y": _decimal(y[0, 0])}).gradients
        pairs = [(_scalar(grads[k]), ref[net.canonical(k)]) for k in grads]
        name = "symgrad.oracle.reference"
    else:
        from symgrad.numeric import gradients_mp_decimal
        col = {k: ([[_decimal(u) for u in row] for row in v.T.tolist()] if k.startswith("W")
                   else [_decimal(u) for u in v] if k.startswith("b") else _decimal(v))
               for k, v in params.items()}
        rows = lambda m: [[_decimal(u) for u in row] for row in m.tolist()]   # noqa: E731
        ref = gradients_mp_decimal(net, col, rows(x), rows(y))
        pairs = []
        for k, g in grads.items():
            if k.startswith("W"):
                pairs += zip(list(g.T), [v for row in ref[k] for v in row])
            elif k.startswith("b"):
                pairs += zip(list(g), ref[k])
            else:
                pairs.append((g, ref[k]))
        name = "symgrad.numeric.gradients_mp_decimal"
    worst = 0.0
    for mine, theirs in pairs:
        mine, theirs = mpmath.mpf(sp.Float(mine, WORKING_DIGITS)._mpf_), mpmath.mpf(theirs)
        scale = max(abs(theirs), mpmath.mpf(10) ** -300)
        worst = max(worst, float(abs(mine - theirs) / scale))
    return name, worst


def _scalar(v):
    return v[0, 0] if isinstance(v, sp.MatrixBase) else v


def point(d, seed: int = 0) -> Point:
    """The worked example's numbers at the point drawn with ``seed``."""
    net = d.network
    count = net.parameter_count() + net.samples * sum(net.widths)
    if count > MAX_EXAMPLE_NUMBERS:
        raise UsageError(f"sections=example: the worked example prints every number, "
                         f"{count} for this network; at most {MAX_EXAMPLE_NUMBERS} "
                         "(smaller --widths or --samples-in-loss)")
    params, x, y = _draw(net, seed)
    z, a, primes = _forward(net, params, x)
    delta, grads = _backward(net, params, a, primes, y)
    with mpmath.workdps(60):
        name, worst = _check(net, params, x, y, grads)
    return Point(d, params, x, y, z, a, primes, delta, grads, name, worst)
