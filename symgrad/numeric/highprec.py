"""High precision: MPFR numbers (gmpy2, correctly rounded, exponents far beyond float64's),
the forward pass of any network at a chosen precision, and SymPy expressions compiled to MPFR.

Every function here works inside :func:`working` (the precision in decimal digits, the
exponent range as wide as MPFR allows, so gradients of 1e-5000 stay representable); values
come back to the rest of symgrad as ``mpmath.mpf``, converted exactly.

>>> from symgrad.model.network import Chain
>>> from symgrad.numeric.points import read_point
>>> with working(30):
...     z, a = forward_values(read_point(Chain(depth=1), {"w_1": 2, "b_1": "-1"},
...                                      {"a_0": "0.5", "y": 0}))
>>> to_mpf(z[1][0, 0]), to_mpf(a[1][0, 0])
(mpf('0.0'), mpf('0.5'))
"""
from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction
from functools import lru_cache

import gmpy2
import mpmath
import numpy as np
import sympy as sp
from mpmath.libmp import dps_to_prec

from symgrad.model.activations import Softmax, without_cancellation
from symgrad.numeric.forward import forward
from symgrad.numeric.points import Point

__all__ = ["working", "bits", "to_mpfr", "to_mpfr_exact", "to_mpf", "mpfr_array", "mpf_nested", "NAMESPACE",
           "compile_mpfr", "activation_function", "cost_function", "forward_values",
           "cost_value", "elementwise"]

_MPFR = type(gmpy2.mpfr(0))


def bits(digits: int) -> int:
    """Binary precision of ``digits`` decimal digits (as mpmath counts them)."""
    return dps_to_prec(digits)


@contextmanager
def working(digits: int):
    """MPFR at ``digits`` decimal digits with the widest exponent range."""
    with gmpy2.context(precision=bits(digits), emax=gmpy2.get_emax_max(),
                       emin=gmpy2.get_emin_min()):
        yield


def to_mpfr(value):
    """An exact value (float, int, Fraction, decimal string, mpf or MPFR) rounded once to the
    working precision."""
    if type(value) is _MPFR:
        return gmpy2.mpfr(value)
    if isinstance(value, Fraction):
        return gmpy2.mpfr(gmpy2.mpq(value.numerator, value.denominator))
    if isinstance(value, (int, float, str)):
        return gmpy2.mpfr(value)
    sign, man, exp, _ = mpmath.mpf(value)._mpf_
    return gmpy2.mul_2exp(gmpy2.mpfr(-man if sign else man), exp)


def to_mpfr_exact(x):
    """A float, int, mpf or MPFR number as an MPFR number of just the precision it needs
    (exact, whatever the working precision)."""
    if type(x) is _MPFR:
        return x
    if isinstance(x, float):
        return gmpy2.mpfr(x, 53)
    sign, man, exp, bc = mpmath.mpf(x)._mpf_ if not hasattr(x, "_mpf_") else x._mpf_
    if not man:
        return gmpy2.mpfr(mpmath.mpf(x)) if exp else gmpy2.mpfr(0)
    return gmpy2.mul_2exp(gmpy2.mpfr(-man if sign else man, max(bc, 1)), exp)


def to_mpf(x) -> mpmath.mpf:
    """An MPFR number as an mpf, exactly (mpf and Python numbers pass through mpmath.mpf)."""
    if type(x) is not _MPFR:
        return mpmath.mpf(x)
    if not gmpy2.is_finite(x):
        return mpmath.mpf(str(x))
    man, exp = x.as_mantissa_exp()
    return mpmath.mp.make_mpf(mpmath.libmp.from_man_exp(int(man), int(exp)))


def mpfr_array(values: np.ndarray) -> np.ndarray:
    """An object array of exact values as MPFR numbers at the working precision."""
    out = np.empty(values.shape, dtype=object)
    for index, v in np.ndenumerate(values):
        out[index] = to_mpfr(v)
    return out


def mpf_nested(value):
    """An MPFR number or array as mpf, nested lists in the array's shape."""
    if isinstance(value, np.ndarray):
        return [mpf_nested(v) for v in value] if value.ndim else mpf_nested(value[()])
    return to_mpf(value)


def _heaviside(u, h0=0.5):
    return gmpy2.mpfr(0) if u < 0 else gmpy2.mpfr(1) if u > 0 else gmpy2.mpfr(h0)


def _sign(u):
    return gmpy2.mpfr((u > 0) - (u < 0))


#: the functions lambdify's mpmath printer writes, as MPFR functions (the constants through
#: functions, so that they take the working precision at call time)
NAMESPACE = {"mpf": gmpy2.mpfr, "exp": gmpy2.exp, "log": gmpy2.log, "log1p": gmpy2.log1p,
             "sqrt": gmpy2.sqrt, "tanh": gmpy2.tanh, "sinh": gmpy2.sinh, "cosh": gmpy2.cosh,
             "sin": gmpy2.sin, "cos": gmpy2.cos, "atan": gmpy2.atan, "erf": gmpy2.erf,
             "erfc": gmpy2.erfc, "erfc_of_negative": lambda u: gmpy2.erfc(-u),
             "Heaviside": _heaviside, "sign": _sign, "const_pi": gmpy2.const_pi,
             "const_e": lambda: gmpy2.exp(1)}

_CONSTANTS = {sp.pi: sp.Function("const_pi")(), sp.E: sp.Function("const_e")()}


def compile_mpfr(args, expr: sp.Expr, namespace: dict = NAMESPACE):
    """``expr`` (rewritten without cancellation) as a Python function of ``args`` over the
    numbers of ``namespace`` (MPFR by default; the reference passes its tape numbers)."""
    expr = without_cancellation(sp.sympify(expr)).xreplace(_CONSTANTS)
    return sp.lambdify(list(args), expr, modules=[namespace, "mpmath"])


@lru_cache(maxsize=None)
def activation_function(act):
    """σ of an activation as an MPFR function of z (and α for PReLU)."""
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    return compile_mpfr(args, act.expression)


@lru_cache(maxsize=None)
def cost_function(cost):
    """C(a, y) of an elementwise cost as an MPFR function."""
    return compile_mpfr([cost.a, cost.y], cost.expression)


def elementwise(f, *arrays) -> np.ndarray:
    """f applied entry by entry to object arrays (broadcast together); an object array."""
    if isinstance(arrays[0], np.ndarray) and not any(isinstance(a, np.ndarray)
                                                     for a in arrays[1:]):
        out = np.empty(arrays[0].shape, dtype=object)     # one array and numbers: no broadcast
        flat, rest = out.reshape(-1), arrays[1:]
        for k, v in enumerate(arrays[0].reshape(-1)):
            flat[k] = f(v, *rest)
        return out
    arrays = np.broadcast_arrays(*[a if isinstance(a, np.ndarray) else _scalar(a)
                                   for a in arrays])
    out = np.empty(arrays[0].shape, dtype=object)
    flat = out.reshape(-1)
    for k, args in enumerate(zip(*[a.reshape(-1) for a in arrays])):
        flat[k] = f(*args)
    return out


def _scalar(value) -> np.ndarray:
    array = np.empty((), dtype=object)
    array[()] = value
    return array


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    # a_j = exp(z_j) / Σ_m exp(z_m) per row (MPFR does not overflow)
    e = elementwise(gmpy2.exp, z)
    return e / e.sum(axis=1, keepdims=True)


def _parameters(point: Point) -> tuple[list, list, list]:
    net = point.network
    W, b, alpha = [None], [None], [None]
    for l in net.layers:
        W.append(mpfr_array(point.parameters[f"{net.weight_name}_{l}"]))
        b.append(mpfr_array(point.parameters[f"b_{l}"]))
        alpha.append(to_mpfr(point.parameters[f"alpha_{l}"][()]) if net.has_slope(l) else None)
    return W, b, alpha


def forward_values(point: Point) -> tuple[list, list]:
    """z_l and a_l (index 0..L, ``z[0]`` None) of every sample as object arrays of N rows,
    at the working precision."""
    net = point.network
    W, b, alpha = _parameters(point)

    def units(l, z):
        act = net.sigma(l)
        if isinstance(act, Softmax):
            return _softmax_rows(z), None
        f = activation_function(act)
        return (elementwise(f, z) if alpha[l] is None else elementwise(f, z, alpha[l])), None

    a0 = mpfr_array(point.inputs["a_0"])
    layers = forward(W, b, a0, units)
    return [None] + [z for z, _, _ in layers], [a0] + [a for _, a, _ in layers]


def cost_value(point: Point, a_L: np.ndarray):
    """C = Σ_i Σ_j C(a^L_{j,i}, y_{j,i}) (−Σ y ln a for a softmax output)."""
    net = point.network
    y = mpfr_array(point.inputs["y"])
    if net.softmax_output:
        return -(y * elementwise(gmpy2.log, a_L)).sum()
    return elementwise(cost_function(net.cost), a_L, y).sum()
