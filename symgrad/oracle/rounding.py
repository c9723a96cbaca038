"""How a float implementation's σ and σ' err: the error scales of the stable forms and of the
textbook forms PyTorch and JAX differentiate.

For every activation, from float64 arrays of z, a = σ(z) and d = σ'(z):

* ``second``: |σ''(z)|, how an error in z moves σ'(z);
* ``value``: S_σ, the absolute error of a stable σ(z) in units of the unit roundoff u;
* ``stable``: S_σ', the same for a stable σ'(z) (e^{-|z|}/(1 + e^{-|z|})², sech² as
  4e^{-2|z|}/(1 + e^{-2|z|})², Φ as erfc(−z/√2)/2, 1 − σ(z) as σ(−z));
* ``textbook``: S_σ' of the textbook form, where it differs: σ' = s(1 − s) (1 − s has the
  absolute error of s, about u: every digit lost for z > 36), tanh' = 1 − tanh² (every
  digit lost for |z| > 19), Φ = (1 + erf(z/√2))/2 (for z < −8), silu's 1 − s; and
  ``value_textbook`` for GELU's σ itself, z(1 + erf(z/√2))/2 as PyTorch computes it;
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

from symgrad.model.activations import Activation, get_activation

__all__ = ["Scales", "scales", "FIXES", "custom_second"]

#: the stable form that replaces each textbook σ' (said with an ``unstable`` verdict)
FIXES = {
    "sigmoid": "σ'(z) = s(1 − s) loses every digit for z > 36; use "
               "e^{−|z|}/(1 + e^{−|z|})²",
    "tanh": "tanh'(z) = 1 − tanh²(z) loses every digit for |z| > 19; use "
            "4e^{−2|z|}/(1 + e^{−2|z|})²",
    "gelu": "gelu(z) = zΦ(z) and gelu'(z) with Φ(z) = (1 + erf(z/√2))/2 lose every digit of "
            "Φ for z < −8; use Φ(z) = erfc(−z/√2)/2",
    "silu": "silu'(z) = s(1 + z(1 − s)) loses the digits of 1 − s for large z; use "
            "1 − s = σ(−z) = e^{−z}/(1 + e^{−z})",
}

_erfc = np.vectorize(math.erfc, otypes=[float])
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
           activation: Activation | None = None) -> Scales:
    """The error scales of activation ``name`` at z (a = σ(z), d = σ'(z) given)."""
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
            left = _left(z)
            return Scales(D * left, 6 * A, 6 * D, 6 * D)
        if name == "silu":
            s, t = _sigmoid(z), _sigmoid(-z)
            stable = 8 * s * (1 + Z * t)
            return Scales(np.abs(s * t * (2 + z * (t - s))), 6 * A, stable,
                          stable + 5 * Z * s * s)
        if name == "gelu":
            phi = np.exp(-z * z / 2) * _INV_SQRT_2PI
            Phi = _erfc(-z / math.sqrt(2)) / 2
            stable = 8 * (Phi + Z * phi)
            return Scales(np.abs(phi * (2 - z * z)), 8 * A, stable, stable + 4, 8 * A + 2 * Z)
        second = custom_second(activation or get_activation(name))(z)
        second = np.where(np.isfinite(second), np.abs(second), np.inf)
        stable = 16 * D + 16 * Z * second
        return Scales(second, 16 * A + 16 * Z * D, stable, stable)


@lru_cache(maxsize=None)
def custom_second(act: Activation):
    """σ''(z) of any activation as a NumPy function (SymPy's derivative of the table's σ')."""
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    f = sp.lambdify(args, sp.diff(act.derivative_expression, act.z), modules="numpy")
    if act.parameter is None:
        return lambda z: np.asarray(f(z), dtype=float) * np.ones_like(z)
    return lambda z: np.asarray(f(z, 0.25), dtype=float) * np.ones_like(z)
