"""The activations as numbers for the audit's own witness: f and f' of each, complex-safe
(the complex step differentiates through them), written here on purpose rather than taken
from symgrad's derivation: the audit judges formulas by an independent computation.

>>> float(NETWORK_FUNCTIONS["tanh"][1](0.0))
1.0
"""
from __future__ import annotations

import numpy as np

__all__ = ["NETWORK_FUNCTIONS", "EXACT_FUNCTIONS"]


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _re(z):
    return np.real(z) if np.iscomplexobj(z) else z


#: f and f' used inside the instance (complex-safe; ReLU-like ones smoothed)
NETWORK_FUNCTIONS = {
    "sigmoid": (_sig, lambda z: _sig(z) * (1 - _sig(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
    "relu": (lambda z: np.log(1 + np.exp(2 * z)) / 2, lambda z: _sig(2 * z)),
    "leaky_relu": (lambda z: 0.1 * z + 0.45 * np.log(1 + np.exp(2 * z)),
                   lambda z: 0.1 + 0.9 * _sig(2 * z)),
    "softplus": (lambda z: np.log(1 + np.exp(z)), _sig),
    "elu": (lambda z: np.where(_re(z) > 0, z, np.exp(z) - 1),
            lambda z: np.where(_re(z) > 0, 1.0, np.exp(z))),
    "silu": (lambda z: z * _sig(z), lambda z: _sig(z) * (1 + z * (1 - _sig(z)))),
}
#: the exact functions, for formulas about the activation itself (kinks: f'(0) = left branch)
EXACT_FUNCTIONS = dict(NETWORK_FUNCTIONS)
EXACT_FUNCTIONS.update({
    "relu": (lambda z: np.where(_re(z) > 0, z, 0.0), lambda z: np.where(_re(z) > 0, 1.0, 0.0)),
    "leaky_relu": (lambda z: np.where(_re(z) > 0, z, 0.01 * z),
                   lambda z: np.where(_re(z) > 0, 1.0, 0.01)),
})
