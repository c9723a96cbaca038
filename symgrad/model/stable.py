"""Stable float forms of the activations: one σ and one σ' per activation.

Every function here keeps the float type it is given (float32 stays float32, float64 stays
float64; integers become float64), stays finite and free of overflow warnings for |z| up to
1e4, and respects the activation's proven supremum at every float: σ' ≤ 1/4 for the sigmoid,
tanh' ≤ 1.  The float64 backprop, the finite differences and the complex step all use these
forms, and nothing else evaluates σ' in floating point.

* :func:`logistic_derivative` is the one formula for e/(1 + e)² with e = e^{-|u|}: sigmoid'(z)
  (e = e^{-|z|}) and tanh'(z) = 4 sigmoid'(2z) (e = e^{-2|z|}) both come from it.  The formula
  rounds up to one ulp above the supremum 1/4 near u = 0 (z = 1e-9 gives 0.25000000000000006
  in float64, and vectorised ``np.exp`` rounds differently from ``math.exp``); the true value
  never exceeds 1/4, so ``min(·, 1/4)`` removes only rounding error.
* :func:`stable_float` rewrites a custom expression (SymPy) where floats lose it:
  log(1 + e^u) as softplus(u), e^{mu} (1 + e^u)^{-k} as σ(u)^m σ(-u)^{k-m}, 1 - tanh(u)² as
  sech²(u), log(1 + u) as log1p(u), e^u - 1 as expm1(u); :data:`STABLE_NUMPY` evaluates the
  functions it introduces for real and complex input (the complex step needs them analytic).

>>> z = np.array([-1e-9, 0.0, 1e-9, -40.0], dtype=np.float32)
>>> s, ds = sigmoid_with_prime(z)
>>> ds.dtype, bool(ds.max() <= 0.25), float(tanh_prime(np.float64(1e-9)))
(dtype('float32'), True, 1.0)
>>> x = sp.Symbol("x", real=True)
>>> stable_float(x * sp.tanh(sp.log(1 + sp.exp(x))))
x*tanh(softplus(x))
"""
from __future__ import annotations

import importlib.util
import math
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

__all__ = ["floating", "logistic_derivative", "sigmoid", "sigmoid_prime", "sigmoid_with_prime",
           "tanh", "tanh_prime", "tanh_with_prime", "relu", "relu_prime", "piecewise_linear",
           "prelu", "prelu_prime", "linear", "linear_prime", "softplus", "elu", "silu",
           "silu_prime", "gelu", "gelu_prime", "gelu_tanh", "gelu_tanh_prime", "erf_array",
           "erfc_array", "ERF_ANALYTIC",
           "stable_float", "STABLE_NUMPY", "ERF_NUMPY"]


def floating(z) -> np.ndarray:
    """z as an array of its own float (or complex) type; integers and bools as float64."""
    z = np.asarray(z)
    return z if z.dtype.kind in "fc" else z.astype(np.float64)


def logistic_derivative(e):
    """e/(1 + e)² for e = e^{-|u|} in [0, 1]: the logistic σ'(u), at most 1/4 at every float."""
    r = 1.0 / (1.0 + e)
    return np.minimum(e * r * r, 0.25)


# --- the sigmoid family --------------------------------------------------------------------

def _logistic(u):
    # σ(u) = 1/(1 + e) for Re u ≥ 0 and e/(1 + e) below, e = e^{-|Re u|}-sized: no overflow;
    # analytic, so it serves the complex step too
    neg = u.real < 0
    e = np.exp(np.where(neg, u, -u))
    return np.where(neg, e / (1.0 + e), 1.0 / (1.0 + e))


def sigmoid(z):
    """σ(z) = 1/(1 + e^{-z}), stable on both sides."""
    return _logistic(floating(z))


def sigmoid_with_prime(z):
    """(σ(z), σ'(z)) from one exponential e = e^{-|z|}: σ = 1/(1 + e) for z ≥ 0, e/(1 + e)
    below; σ' = :func:`logistic_derivative` (e)."""
    z = floating(z)
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)                            # e = e^{-|z|}
    r = e + 1.0
    np.reciprocal(r, out=r)                     # r = 1/(1 + e)
    er = e * r
    sigma = np.where(z >= 0, r, er)
    np.multiply(er, r, out=er)
    return sigma, np.minimum(er, 0.25, out=er)  # the same arithmetic as logistic_derivative


def sigmoid_prime(z):
    """σ'(z) = e^{-|z|}/(1 + e^{-|z|})² ≤ 1/4."""
    return logistic_derivative(np.exp(-np.abs(floating(z))))


def tanh(z):
    return np.tanh(floating(z))


def tanh_prime(z):
    """tanh'(z) = sech²(z) = 4 σ'(2z), e = e^{-2|z|} (as e^{-|z|} squared: no overflow at
    1e308): no 1 - tanh² cancellation, and at most 1 at every float."""
    e = np.exp(-np.abs(floating(z)))
    return 4.0 * logistic_derivative(e * e)


def tanh_with_prime(z):
    """(tanh(z), tanh'(z))."""
    z = floating(z)
    return np.tanh(z), tanh_prime(z)


def softplus(z):
    """softplus(z) = log(1 + e^z) = max(z, 0) + log(1 + e^{-|z|}), for real and complex z
    (the complex log1p to first order in Im, all the complex step needs)."""
    z = floating(z)
    neg = z.real < 0
    e = np.exp(np.where(neg, z, -z))
    return np.where(neg, 0.0, z) + _log1p(e)


def _log1p(e):
    if np.iscomplexobj(e):  # NumPy's complex log1p loses the real part's relative accuracy
        return np.log1p(e.real) + 1j * (e.imag / (1.0 + e.real))
    return np.log1p(e)


def silu(z):
    z = floating(z)
    return z * _logistic(z)


def silu_prime(z):
    """silu'(z) = σ(z) (1 + z σ(-z)), 1 - σ(z) = σ(-z) without cancellation."""
    z = floating(z)
    return _logistic(z) * (1.0 + z * _logistic(-z))


# --- piecewise linear ----------------------------------------------------------------------

def relu(z):
    return np.maximum(floating(z), 0.0)


def relu_prime(z):
    """relu'(z) = 1 for z > 0, 0 for z ≤ 0 (the convention at the kink)."""
    z = floating(z)
    return (z > 0).astype(z.dtype)


def piecewise_linear(slope: float):
    """(σ, σ') of z ↦ z for z > 0, slope·z below (leaky ReLU)."""
    def f(z):
        z = floating(z)
        return np.where(z > 0, z, slope * z)

    def df(z):
        z = floating(z)
        return np.where(z > 0, 1.0, slope).astype(z.dtype)

    return f, df


def prelu(z, alpha):
    z = floating(z)
    return np.where(z > 0, z, alpha * z)


def prelu_prime(z, alpha):
    z = floating(z)
    return np.where(z > 0, 1.0, alpha * np.ones_like(z))


def linear(z):
    return floating(z) * 1.0


def linear_prime(z):
    return np.ones_like(floating(z))


def elu(alpha: float, scale: float = 1.0):
    """(σ, σ') of scale·z for z > 0, scale·alpha·(e^z − 1) below (ELU, SELU); e^z − 1 as
    expm1 (no cancellation near 0)."""
    def f(z):
        z = floating(z)
        return scale * np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))

    def df(z):
        z = floating(z)
        return scale * np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))

    return f, df


# --- GELU ----------------------------------------------------------------------------------

_erfc = np.frompyfunc(math.erfc, 1, 1)
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _Phi(z):
    # Φ(z) = erfc(-z/√2)/2, accurate in both tails (frompyfunc gives objects: back to z's type)
    return 0.5 * np.asarray(_erfc(-z / _SQRT2), dtype=z.dtype)


def gelu(z):
    z = floating(z)
    return z * _Phi(z)


def gelu_prime(z):
    """gelu'(z) = Φ(z) + z φ(z), φ(z) = e^{-z²/2}/√(2π)."""
    z = floating(z)
    return _Phi(z) + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)


# --- GELU's tanh approximation --------------------------------------------------------------
# gelu_tanh(z) = z (1 + tanh u)/2 = z σ(2u), u = √(2/π)(z + 0.044715 z³); σ(2u) = 1 − σ(−2u)
# needs no 1 + tanh u, which loses every digit for u ≪ 0.  2u = z(A + B z²), A = 2√(2/π),
# B = 0.044715 A, is carried as a double word v + dv (error-free products and sums): e^{2u}
# turns an error δ in 2u into a relative error δ of the value, and |2u| reaches 745 where
# σ(2u) is still a normal float64, so a plainly rounded 2u would cost |2u| ulp.

#: |z| beyond which σ(2u) is exactly 0 or 1 and σ'(2u) is 0 in every float type (2|u| > 2e4):
#: z is clipped there before z³, which would overflow past |z| ≈ 1.7e102
_GELU_TANH_CLIP = 64.0
_GELU_TANH_A = 2 * sp.sqrt(2 / sp.pi)
_GELU_TANH_B = sp.Rational(44715, 1000000) * _GELU_TANH_A
_A_FLOAT, _B_FLOAT = float(_GELU_TANH_A), float(_GELU_TANH_B)


@lru_cache(maxsize=None)
def _double_word(value: sp.Expr, dtype) -> tuple:
    """(hi, lo) in ``dtype`` with hi + lo = value to about twice the dtype's precision."""
    hi = dtype.type(float(sp.N(value, 40)))
    return hi, dtype.type(float(sp.N(value - sp.Rational(float(hi)), 40)))


def _two_product(a, b, split):
    """(p, e) with p = fl(a b) and p + e = a b exactly (Dekker: Veltkamp splits of a, b)."""
    p = a * b

    def halves(x):
        t = split * x
        hi = t - (t - x)
        return hi, x - hi
    ah, al = halves(a)
    bh, bl = halves(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _twice_u(z):
    """2u = z(A + B z²) as (v, dv), v + dv to about twice z's precision (|z| ≤ the clip)."""
    dtype = z.dtype
    split = dtype.type(2 ** ((np.finfo(dtype).nmant + 2) // 2) + 1)   # 2^27 + 1 for float64
    (Ah, Al), (Bh, Bl) = _double_word(_GELU_TANH_A, dtype), _double_word(_GELU_TANH_B, dtype)
    s, ds = _two_product(z, z, split)                    # z² = s + ds
    p, dp = _two_product(Bh, s, split)                   # B z² = p + dp
    dp = dp + (Bh * ds + Bl * s)
    t = Ah + p                                           # A + B z² = t + dt (two-sum)
    w = t - Ah
    dt = ((Ah - (t - w)) + (p - w)) + (dp + Al)
    v, dv = _two_product(t, z, split)                    # z (t + dt) = v + dv
    return v, dv + dt * z


def _gelu_tanh_parts(z):
    """(v, E, r, 2u', z clipped) for real z: 2u ≈ v, E = e^{−|2u|/2} = e^{−|v|/2}(1 − sign(v) dv/2)
    (the first order of e^{−sign(v) dv/2}, exact to dv²), r = 1/(1 + E²) and 2u' = A + 3B z².
    e = e^{−|2u|} is kept as E·E, multiplied in after the other factors: e alone is
    subnormal for |2u| > 708 where z e and z 2u' e are still normal floats."""
    zc = np.clip(z, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    v, dv = _twice_u(zc)
    E = np.exp(-0.5 * np.abs(v)) * (1 - 0.5 * np.sign(v) * dv)
    return v, E, 1 / (1 + E * E), _A_FLOAT + 3 * _B_FLOAT * zc * zc, zc


def _complex_parts(z):
    # the complex step: σ(x) = _logistic(x), σ'(x) = σ(x)σ(−x), x = 2u, analytic
    x = z * (_A_FLOAT + _B_FLOAT * z * z)
    return _logistic(x), _logistic(x) * _logistic(-x), _A_FLOAT + 3 * _B_FLOAT * z * z


def gelu_tanh(z):
    """gelu_tanh(z) = z σ(2u) = z (1 + tanh u)/2, u = √(2/π)(z + 0.044715 z³); σ(2u) = r
    for 2u ≥ 0, e r = (z E) E r below.

    >>> float(gelu_tanh(np.float64(1.0))), float(gelu_tanh(np.float64(-1e200)))
    (0.8411919906082768, -0.0)
    """
    z = floating(z)
    if np.iscomplexobj(z):
        return z * _complex_parts(z)[0]
    v, E, r, _, _ = _gelu_tanh_parts(z)
    return np.where(v >= 0, z * r, (z * E) * E * r)


def gelu_tanh_prime(z):
    """gelu_tanh'(z) = σ(2u) + z 2u' σ'(2u) (= (1 + tanh u)/2 + z (1 − tanh² u) u'/2), σ'(2u)
    = e r² (at most 1/4: :func:`logistic_derivative`); past 2u < −64, z 2u' e r² as
    ((z 2u') E) E r².  σ'(2u) is exactly 0 where |z| is large: no inf·0, and z 2u' is
    formed only below the clip.

    >>> float(gelu_tanh_prime(np.float64(0.0))), float(gelu_tanh_prime(np.float64(1e200)))
    (0.5, 1.0)
    """
    z = floating(z)
    if np.iscomplexobj(z):
        s, ds, du2 = _complex_parts(z)
        return s + z * (ds * du2)
    v, E, r, du2, zc = _gelu_tanh_parts(z)
    s = np.where(v >= 0, r, E * E * r)
    deep = ((zc * du2) * E) * E * (r * r)        # zc = z wherever E is not 0
    return s + np.where(v < -64, deep, z * (logistic_derivative(E * E) * du2))


# --- custom expressions --------------------------------------------------------------------

_SOFTPLUS = sp.Function("softplus")
_LOGISTIC = sp.Function("logistic")
_SECH2 = sp.Function("sech2")


def _one_plus_exp(base) -> sp.Expr | None:
    """v where base = 1 + e^v, else None."""
    if base.is_Add and len(base.args) == 2 and sp.S.One in base.args:
        other = base.args[0] if base.args[1] == 1 else base.args[1]
        if isinstance(other, sp.exp):
            return other.args[0]
    return None


def _logistic_product(term: sp.Mul) -> sp.Expr:
    """e^{mv} (1 + e^v)^{-k} = σ(v)^m σ(-v)^{k-m} (0 ≤ m ≤ k): no inf·0 for large v."""
    factors = list(term.args)
    for i, f in enumerate(factors):
        v = _one_plus_exp(f.base) if f.is_Pow and f.exp.is_Integer and f.exp < 0 else None
        if v is None:
            continue
        k = -f.exp
        for j, g in enumerate(factors):
            m = sp.cancel(g.args[0] / v) if isinstance(g, sp.exp) else None
            if m is not None and m.is_Integer and 0 < m <= k:
                rest = [h for n, h in enumerate(factors) if n not in (i, j)]
                return sp.Mul(*rest, _LOGISTIC(v) ** m * _LOGISTIC(-v) ** (k - m))
    return term


def stable_float(expr: sp.Expr) -> sp.Expr:
    """The same function, written so that floats evaluate it without overflow or
    cancellation (see the module's description); evaluate with :data:`STABLE_NUMPY`.

    >>> z = sp.Symbol("z", real=True)
    >>> stable_float(sp.exp(-z) / (1 + sp.exp(-z)) ** 2)
    logistic(-z)*logistic(z)
    >>> stable_float(1 / (1 + sp.exp(-z))), stable_float(sp.log(1 + z**2) + sp.exp(z) - 1)
    (logistic(z), expm1(z) + log1p(z**2))
    """
    u = sp.Wild("u")
    expr = expr.replace(sp.log(sp.exp(u) + 1), _SOFTPLUS(u))      # log(1 + e^u)
    expr = expr.replace(1 - sp.tanh(u) ** 2, _SECH2(u))            # 1 − tanh²(u) = sech²(u)
    expr = expr.replace(lambda e: e.is_Mul, _logistic_product)
    expr = expr.replace(lambda e: e.is_Pow and e.exp.is_Integer and e.exp < 0
                        and _one_plus_exp(e.base) is not None,
                        lambda e: _LOGISTIC(-_one_plus_exp(e.base)) ** -e.exp)
    expr = expr.replace(sp.log(u + 1), log1p(u))                  # log(1 + u)
    return expr.replace(lambda e: e.is_Add and sp.S.NegativeOne in e.args, _expm1_in_sum)


def _expm1_in_sum(total: sp.Add) -> sp.Expr:
    """e^u − 1 + rest  →  expm1(u) + rest (no cancellation near u = 0)."""
    terms = list(total.args)
    for term in terms:
        if isinstance(term, sp.exp):
            terms.remove(term)
            terms.remove(sp.S.NegativeOne)
            return sp.Add(expm1(term.args[0]), *terms)
    return total


def _sech2(u):
    u = floating(u)
    if np.iscomplexobj(u):
        return 1.0 / np.cosh(u) ** 2
    return tanh_prime(u)


@lru_cache(maxsize=None)
def _special():
    """scipy.special, imported on first use (half a second), or None without SciPy."""
    try:
        import scipy.special as special
    except ImportError:  # pragma: no cover - real arguments only
        return None
    return special


#: SciPy's erf takes complex arguments (the complex step); SciPy is not a dependency, and
#: found here without being imported
ERF_ANALYTIC = importlib.util.find_spec("scipy") is not None


def erf_array(x):
    """erf elementwise: SciPy's (complex arguments too) where installed, else math.erf."""
    special = _special()
    if special is not None:
        return special.erf(x)
    return np.vectorize(math.erf, otypes=[float])(x)


def erfc_array(x):
    """erfc elementwise: SciPy's (complex arguments too) where installed, else math.erfc."""
    special = _special()
    if special is not None:
        return special.erfc(x)
    return np.vectorize(math.erfc, otypes=[float])(x)


#: erf and erfc for arrays (lambdify's modules)
ERF_NUMPY = {"erf": erf_array, "erfc": erfc_array}
#: the functions :func:`stable_float` introduces, for real and complex arrays
STABLE_NUMPY = {"softplus": softplus, "logistic": sigmoid, "sech2": _sech2}
