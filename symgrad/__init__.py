"""symgrad: backpropagation gradients of layered networks, derived symbolically,
proven, printed as lecture formulas, and evaluated as an exact reference.

The public names load on first use, so ``symgrad --help`` answers without importing SymPy.

>>> from symgrad import Chain, derive
>>> derive(Chain(depth=2)).factors("b_1")[1]
w_2
"""
from __future__ import annotations

import importlib

__all__ = ["ACTIVATIONS", "Activation", "UsageError", "activation_names", "get_activation",
           "COSTS", "Cost", "cost_names", "get_cost", "Derivation", "OrderedProduct", "derive",
           "Chain", "Dense", "Network"]
__version__ = "0.2.0"

#: where each public name lives
_HOME = {
    "UsageError": "symgrad.errors",
    "ACTIVATIONS": "symgrad.model.activations", "Activation": "symgrad.model.activations",
    "activation_names": "symgrad.model.activations", "get_activation": "symgrad.model.activations",
    "COSTS": "symgrad.model.costs", "Cost": "symgrad.model.costs",
    "cost_names": "symgrad.model.costs", "get_cost": "symgrad.model.costs",
    "Chain": "symgrad.model.network", "Dense": "symgrad.model.network",
    "Network": "symgrad.model.network",
    "Derivation": "symgrad.derivation.derivation", "OrderedProduct": "symgrad.derivation.derivation",
    "derive": "symgrad.derivation.derivation",
}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
