"""Named hypothesis strategies for chains, their parameters and pre-activations.

``chains(max_depth=...)`` draws a :class:`~symgrad.model.network.Chain` (one activation for every
layer, or a different one per layer); ``chain_points(chain)`` draws parameters whose
weights range from tiny (1e-8) to huge (1e3) in size, of either sign.
"""
from __future__ import annotations

from hypothesis import strategies as st

from symgrad.model.activations import activation_names
from symgrad.model.network import Chain

__all__ = ["ACTIVATION_NAMES", "activation_names_st", "chains", "weights", "chain_points",
           "preactivations", "every_float"]

ACTIVATION_NAMES = activation_names()


def activation_names_st():
    """One built-in activation name."""
    return st.sampled_from(ACTIVATION_NAMES)


@st.composite
def chains(draw, *, max_depth: int = 30, activations=ACTIVATION_NAMES, mixed: bool = True):
    """A chain of 1..max_depth layers; with ``mixed`` some chains get one activation a layer."""
    depth = draw(st.integers(1, max_depth))
    if mixed and draw(st.booleans()):
        acts = draw(st.lists(st.sampled_from(list(activations)), min_size=depth,
                             max_size=depth))
    else:
        acts = draw(st.sampled_from(list(activations)))
    return Chain(depth=depth, activation=acts)


def weights(min_exponent: int = -8, max_exponent: int = 3):
    """±m·10^e with m in [1, 10) and e in [min_exponent, max_exponent]: tiny to huge."""
    return st.builds(lambda s, m, e: s * m * 10.0 ** e, st.sampled_from([-1.0, 1.0]),
                     st.floats(1.0, 9.999), st.integers(min_exponent, max_exponent))


@st.composite
def chain_points(draw, chain: Chain):
    """(parameters, inputs) for ``chain``: weights from :func:`weights`, biases in
    [-5, 5], PReLU slopes in [-2, 2] (so |alpha| > 1 occurs), a_0 in [-2, 2], y in [0, 1]."""
    params = {}
    for l in chain.layers:
        params[f"w_{l}"] = draw(weights())
        params[f"b_{l}"] = draw(st.floats(-5, 5))
        if chain.has_slope(l):
            params[f"alpha_{l}"] = draw(st.floats(-2, 2))
    inputs = {"a_0": draw(st.floats(-2, 2)), "y": draw(st.floats(0, 1))}
    return params, inputs


def preactivations(limit: float = 40.0):
    """A pre-activation z in [-limit, limit] (where σ' is not yet flat to 60 digits)."""
    return st.floats(-limit, limit, allow_nan=False)


def every_float():
    """Any float64 but NaN: subnormals, ±0, ±1e308, ±inf included."""
    return st.floats(allow_nan=False, allow_infinity=True, allow_subnormal=True)
