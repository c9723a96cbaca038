"""Random draws of a network's parameters and inputs: one set of initialisation schemes for
every network, a chain being the network of widths 1 (fan-in = fan-out = 1).

Parameters are drawn in the derivation's column convention (W_l is n_l × n_{l-1}) as float64
arrays; the exploding scheme's biases b^l_j = −100 Σ_k a^{l-1}_k are kept besides as ``mpf``
(:attr:`Draw.exact`), so they make every z^l_j exactly 0 at the working precision.

>>> from symgrad.model.network import Chain, Dense
>>> d = draw(Chain(depth=2), "nielsen-exploding", np.random.default_rng(0))
>>> d.params["W_2"].tolist(), d.exact["b_2"]
([[100.0]], [mpf('-50.0')])
>>> d = draw(Dense([3, 2, 2]), "xavier", np.random.default_rng(0))
>>> d.params["W_1"].shape, d.params["b_1"].tolist()
((2, 3), [0.0, 0.0])
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np

from symgrad.errors import UsageError
from symgrad.model.activations import Softmax

__all__ = ["INITS", "PRELU_ALPHA", "Draw", "draw"]

#: the initialisation schemes; in a chain every fan-in and fan-out is 1
INITS = {
    "normal": "every weight and bias ~ N(0, 1) (Nielsen's chapter 5)",
    "xavier": "w^l_jk ~ N(0, 2/(n_{l-1} + n_l)), N(0, 1) in a chain; b_l = 0",
    "he": "w^l_jk ~ N(0, 2/n_{l-1}), N(0, 2) in a chain; b_l = 0",
    "nielsen-exploding": "every w^l_jk = 100 and b^l_j = -100 sum_k a^{l-1}_k, so every "
                         "z^l_j = 0 and each layer back multiplies by 100 sigma'(0) "
                         "(one sample in the loss)",
}
#: PReLU's slope in the draws (PyTorch's default initial value)
PRELU_ALPHA = 0.25


@dataclass(frozen=True)
class Draw:
    """One draw: ``params`` (float64 arrays, column convention: W_l is n_l × n_{l-1}), ``x``
    and ``y`` (one row per sample of the loss); ``exact`` holds the parameters that need more
    than float64 (the exploding scheme's biases, as lists of mpf)."""

    params: dict
    x: np.ndarray
    y: np.ndarray
    exact: dict

    def arrays(self) -> tuple[dict, np.ndarray, np.ndarray]:
        """The draw in float64."""
        return dict(self.params), self.x, self.y

    def mp(self) -> tuple[dict, list, list]:
        """The draw as nested lists of mpf, every float read exactly, ``exact`` as it is."""
        def nested(v):
            return [nested(u) for u in v] if np.ndim(v) else mpmath.mpf(float(v))
        params = {k: self.exact.get(k) or nested(v) for k, v in self.params.items()}
        return params, nested(self.x), nested(self.y)


def draw(net, init: str, rng: np.random.Generator) -> Draw:
    """One random draw for ``net`` from the scheme ``init``: inputs x from U(0, 1) per entry,
    targets y one-hot for a softmax output and U(0, 1) otherwise, then the parameters."""
    if init not in INITS:
        raise UsageError(f"init={init!r}: must be one of {', '.join(INITS)}")
    x = rng.uniform(0.0, 1.0, (net.samples, net.n(0)))
    n_out = net.n(net.L)
    y = np.eye(n_out)[rng.integers(0, n_out, net.samples)] if net.softmax_output else \
        rng.uniform(0.0, 1.0, (net.samples, n_out))
    exact = {}
    if init == "nielsen-exploding":
        params, exact = _exploding(net, x)
    else:
        params = _random(net, init, rng)
    for l in net.layers:
        if net.has_slope(l):
            params[f"alpha_{l}"] = np.array(PRELU_ALPHA)
    return Draw(params, x, y, exact)


def _random(net, init: str, rng) -> dict:
    params = {}
    for l in net.layers:
        n_in, n_out = net.n(l - 1), net.n(l)
        std = {"normal": 1.0, "xavier": math.sqrt(2.0 / (n_in + n_out)),
               "he": math.sqrt(2.0 / n_in)}[init]
        params[f"W_{l}"] = rng.normal(0.0, std, (n_out, n_in))
        params[f"b_{l}"] = rng.normal(0.0, 1.0, n_out) if init == "normal" else np.zeros(n_out)
    return params


def _exploding(net, x) -> tuple[dict, dict]:
    """w = 100, b^l_j = −100 Σ_k a^{l-1}_k: z^l_j = 0 exactly at mpmath's precision (the
    float64 biases are those values rounded)."""
    if net.samples != 1:
        raise UsageError(f"samples-in-loss={net.samples}: init nielsen-exploding needs exactly "
                         "1 (b_1 = -100 sum_k x_k zeroes z_1 for one input only)")
    params, exact = {}, {}
    with mpmath.workdps(60):
        s = mpmath.fsum(mpmath.mpf(float(v)) for v in x[0])    # Σ_k a^0_k
        for l in net.layers:
            n, act = net.n(l), net.sigma(l)
            params[f"W_{l}"] = np.full((n, net.n(l - 1)), 100.0)
            exact[f"b_{l}"] = [-100 * s] * n
            params[f"b_{l}"] = np.array([float(v) for v in exact[f"b_{l}"]])
            if isinstance(act, Softmax):
                break
            s = n * act.mp(mpmath.mpf(0), PRELU_ALPHA)        # every a^l_j = σ(0)
    return params, exact
