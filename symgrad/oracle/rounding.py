"""How a float implementation's σ and σ' err: the error scales of the stable forms and of the
textbook forms PyTorch and JAX differentiate.

For every activation, from float64 arrays of z, a = σ(z) and d = σ'(z):

* ``second``: |σ''(z)|, how an error in z moves σ'(z);
* ``value``: S_σ, the absolute error of a stable σ(z) in units of the unit roundoff u;
* ``stable``: S_σ', the same for a stable σ'(z) (e^{-|z|}/(1 + e^{-|z|})², sech² as
  4e^{-2|z|}/(1 + e^{-2|z|})², Φ as erfc(−z/√2)/2, 1 − σ(z) as σ(−z));
* ``textbook``: S_σ' of the textbook form, where it differs: ELU's and SELU's σ' as
  expm1(z) + 1 (JAX's derivative of expm1: absolute error u), σ' = s(1 − s) (1 − s has the
  absolute error of s, about u: every digit lost for z > 36), tanh' = 1 − tanh² (every
  digit lost for |z| > 19), Φ = (1 + erf(z/√2))/2 (for z < −8), silu's 1 − s, GELU-tanh's
  1 + tanh u and 1 − tanh² u (for z < −7.2); and
  ``value_textbook`` for GELU's σ itself, z(1 + erf(z/√2))/2 as PyTorch computes it, and
  SiLU's z/(1 + e^{−z}), which is 0 once e^{−z} overflows (z < −log of the dtype's
  largest number, ``log_huge``) though z·σ(z) is still a number there;
* ``fix``: what to write instead, said beside an ``unstable`` verdict.

Each scale counts the roundings of its formula (a few u each, rounded up to 4–8); the
tolerances multiply them by :data:`~symgrad.oracle.tolerances.SAFETY`.

>>> import numpy as np
>>> s = scales("sigmoid", np.array([40.0]), np.array([1.0]), np.array([4.2e-18]))
>>> bool(s.stable[0] < 1e-16 < 1 < s.textbook[0])   # s(1 − s) at z = 40: 1 − s errs by u
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from symgrad.model.activations import SELU_ALPHA, SELU_LAMBDA, Activation, get_activation
from symgrad.model.catalog import real_derivative

__all__ = ["Scales", "scales", "FIXES", "custom_second", "custom_switches", "near_switch"]

#: the stable form that replaces each textbook σ' (said with an ``unstable`` verdict)
FIXES = {
    "sigmoid": "σ'(z) = s(1 − s) loses every digit for z > 36; use "
               "e^{−|z|}/(1 + e^{−|z|})²",
    "tanh": "tanh'(z) = 1 − tanh²(z) loses every digit for |z| > 19; use "
            "4e^{−2|z|}/(1 + e^{−2|z|})²",
    "gelu": "gelu(z) = zΦ(z) and gelu'(z) with Φ(z) = (1 + erf(z/√2))/2 lose every digit of "
            "Φ for z < −8; use Φ(z) = erfc(−z/√2)/2",
    "gelu_tanh": "gelu_tanh(z) = 0.5z(1 + tanh u) and its derivative (1 + tanh u)/2 + "
                 "z(1 − tanh² u)u'/2, u = √(2/π)(z + 0.044715z³), lose every digit of "
                 "1 + tanh u and 1 − tanh² u for u < −19 (z < −7.2); use (1 + tanh u)/2 = "
                 "σ(2u) = e^{2u}/(1 + e^{2u}) for u < 0 and (1 − tanh² u)/4 = σ'(2u) = "
                 "e^{−2|u|}/(1 + e^{−2|u|})²",
    "elu": "elu'(z) = expm1(z) + 1 (how JAX differentiates expm1) loses every digit for "
           "z < −37; use e^z",
    "selu": "selu'(z) = λα(expm1(z) + 1) (how JAX differentiates expm1) loses every digit "
            "for z < −37; use λα e^z",
    "silu": "silu'(z) = s(1 + z(1 − s)) loses the digits of 1 − s for large z, and "
            "s = 1/(1 + e^{−z}) is 0 once e^{−z} overflows while z·s is still a number; use "
            "1 − s = σ(−z) = e^{−z}/(1 + e^{−z}) and s = e^{z}/(1 + e^{z}) for z < 0",
}

_erfc = np.vectorize(math.erfc, otypes=[float])
#: λα of SELU, the factor of its left branch λα(e^z − 1)
_SELU_SCALE = float(SELU_LAMBDA * SELU_ALPHA)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


@dataclass(frozen=True)
class Scales:
    second: np.ndarray
    value: np.ndarray
    stable: np.ndarray
    textbook: np.ndarray
    #: S_σ of the textbook σ where it differs (GELU's z(1 + erf(z/√2))/2: Φ errs by u)
    value_textbook: np.ndarray | None = None

    def of_value(self, form: str) -> np.ndarray:
        return self.value_textbook if form == "textbook" and self.value_textbook is not None \
            else self.value

    def of_derivative(self, form: str) -> np.ndarray:
        return self.textbook if form == "textbook" else self.stable


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _left(z):
    return (z <= 0).astype(float)


def scales(name: str, z: np.ndarray, a: np.ndarray, d: np.ndarray, *,
           activation: Activation | None = None, u: float = 2.0 ** -53,
           log_huge: float = math.log(np.finfo(np.float64).max)) -> Scales:
    """The error scales of activation ``name`` at z (a = σ(z), d = σ'(z) given), for the
    dtype of unit roundoff ``u`` whose largest number is e^log_huge.

    >>> s = scales("silu", np.array([-710.0]), np.array([-1.6e-306]), np.array([-1.6e-306]))
    >>> bool(s.value[0] < 1e-300), bool(s.value_textbook[0] * 2.0 ** -53 >= 1.6e-306)
    (True, True)
    """
    A, D, Z = np.abs(a), np.abs(d), np.abs(z)
    with np.errstate(all="ignore"):
        if name == "sigmoid":
            return Scales(D * np.abs(1 - 2 * a), 4 * A, 8 * D, 5 * A + 2 * D)
        if name == "tanh":
            return Scales(2 * A * D, 4 * A, 8 * D, 9 * A * A + 2 * D)
        if name == "softplus":
            return Scales(D * _sigmoid(-z), 4 * A, 8 * D, 8 * D)
        if name in ("relu", "linear"):
            return Scales(0 * Z, 0 * Z, 0 * Z, 0 * Z)
        if name in ("leaky_relu", "prelu"):
            return Scales(0 * Z, A, D * _left(z), D * _left(z))
        if name in ("elu", "selu"):
            # JAX differentiates expm1 as expm1(z) + 1: α(λ) u absolute on the left branch
            left = _left(z)
            scale = 1.0 if name == "elu" else _SELU_SCALE
            return Scales(D * left, 6 * A, 6 * D, 6 * D + 4 * scale * left)
        if name == "silu":
            s, t = _sigmoid(z), _sigmoid(-z)
            stable = 8 * s * (1 + Z * t)
            lost = -z > log_huge               # 1/(1 + e^{−z}) = 0: a and σ' are lost whole
            return Scales(np.abs(s * t * (2 + z * (t - s))), 6 * A, stable,
                          stable + 5 * Z * s * s + np.where(lost, D / u, 0.0),
                          6 * A + np.where(lost, A / u, 0.0))
        if name == "gelu":
            phi = np.exp(-z * z / 2) * _INV_SQRT_2PI
            Phi = _erfc(-z / math.sqrt(2)) / 2
            stable = 8 * (Phi + Z * phi)
            return Scales(np.abs(phi * (2 - z * z)), 8 * A, stable, stable + 4, 8 * A + 2 * Z)
        if name == "gelu_tanh":
            return _gelu_tanh(z, A, Z)
        second = custom_second(activation or get_activation(name))(z)
        second = np.where(np.isfinite(second), np.abs(second), np.inf)
        stable = 16 * D + 16 * Z * second
        return Scales(second, 16 * A + 16 * Z * D, stable, stable)


#: gelu_tanh's 2u = z(A + B z²): A = 2√(2/π), B = 0.044715 A; past |z| = 64, σ'(2u) = 0
_GT_A = 2 * math.sqrt(2 / math.pi)
_GT_B = 0.044715 * _GT_A


def _gelu_tanh(z, A, Z) -> Scales:
    """gelu_tanh = z s, s = σ(x), x = 2u, t = σ(−x), x' = A + 3Bz²:
    σ' = s + z x' s t, σ'' = s t (2x' + 6Bz² + z x'² (t − s)).  The stable form carries x as
    a double word; the textbook 0.5z(1 + tanh u) errs by u in 1 + tanh u and 1 − tanh² u,
    and its rounded u (relative error ~3u) moves σ by z s t·3|x| and σ' by
    s t (1 + |z x'|)·3|x|."""
    zc = np.clip(z, -64.0, 64.0)
    x = zc * (_GT_A + _GT_B * zc * zc)
    dx = _GT_A + 3 * _GT_B * zc * zc
    s, t = _sigmoid(x), _sigmoid(-x)
    st = s * t
    second = np.abs(st * (2 * dx + 6 * _GT_B * zc * zc + zc * dx * dx * (t - s)))
    stable = 4 * s + 8 * np.abs(zc * dx) * st
    shifted = 4 * np.abs(x) * st
    return Scales(second, 6 * A, stable, stable + 4 + 2 * np.abs(zc) * dx
                  + shifted * (1 + np.abs(zc * dx)), 6 * A + 2 * Z + shifted * np.abs(zc))


@lru_cache(maxsize=None)
def custom_second(act: Activation):
    """σ''(z) of any activation as a NumPy function: SymPy's derivative of the table's σ',
    the Dirac delta at a kink dropped (the kink itself is judged apart, as either branch).

    >>> from symgrad.model.activations import get_activation
    >>> float(custom_second(get_activation("custom:Max(x/5, x)"))(np.array(0.0)))
    0.0
    """
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    f = sp.lambdify(args, real_derivative(act.derivative_expression, act.z), modules="numpy")
    if act.parameter is None:
        return lambda z: np.asarray(f(z), dtype=float) * np.ones_like(z)
    return lambda z: np.asarray(f(z, 0.25), dtype=float) * np.ones_like(z)


@lru_cache(maxsize=None)
def custom_switches(act: Activation) -> tuple:
    """The arguments g(z) of the Heaviside and sign functions in a custom activation's σ',
    as NumPy functions: σ' jumps only where one of them changes sign (its kinks).

    >>> from symgrad.model.activations import get_activation
    >>> [float(g(np.array(2.0))) for g in custom_switches(get_activation("custom:Abs(x - 1)"))]
    [1.0]
    """
    args = sorted({f.args[0] for f in act.derivative_expression.atoms(sp.Heaviside, sp.sign)},
                  key=sp.default_sort_key)
    return tuple(sp.lambdify([act.z], g, modules="numpy") for g in args)


def near_switch(act: Activation, z: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Where a custom kinked σ' may take either branch: one of its switches g changes sign
    (or is 0) between z − radius and z + radius.

    >>> from symgrad.model.activations import get_activation
    >>> near_switch(get_activation("custom:Max(x/5, x)"), np.array([1e-17, 0.5]),
    ...             np.array([1e-16, 1e-16])).tolist()
    [True, False]
    """
    out = np.zeros(np.shape(z), dtype=bool)
    with np.errstate(all="ignore"):
        for g in custom_switches(act):
            lo = np.asarray(g(z - radius), dtype=float) * np.ones_like(z)
            hi = np.asarray(g(z + radius), dtype=float) * np.ones_like(z)
            out |= (lo * hi <= 0) | ~np.isfinite(lo * hi)
    return out
