"""Seeded points that reach the hard regimes: what a gradient implementation gets wrong.

Every case is drawn layer by layer: W_l first, then b_l chosen so that z_l = W_l a_{l-1} + b_l
lands where the regime wants it (a float64 forward pass of the rounded decimals finds
a_{l-1}); every number is rounded to D significant digits as it is drawn, so the decimals
are the point.

>>> from symgrad.model.network import Chain
>>> params, inputs = draw(Chain(depth=3), "saturated", np.random.default_rng(0), 8)
>>> sorted(params), sorted(inputs)
(['b_1', 'b_2', 'b_3', 'w_1', 'w_2', 'w_3'], ['a_0', 'y'])
"""
from __future__ import annotations

import math

import numpy as np

from symgrad.errors import UsageError
from symgrad.model.activations import Softmax
from symgrad.model.network import Network
from symgrad.oracle.balls import KINKED
from symgrad.oracle.decimals import float_decimal

__all__ = ["REGIMES", "SATURATED_BANDS", "GELU_BANDS", "GELU_TANH_BANDS", "cycle", "draw",
           "check_regime", "has_kink"]

#: what each regime draws
REGIMES = {
    "ordinary": "w ~ N(0, scale²) (a dense W_l ~ N(0, scale²/n_{l-1})), b ~ N(0, 1), "
                "a_0, y ~ U(0, 1) (a dense x ~ N(0, 1))",
    "saturated": "units driven (each with probability --saturate, default 0.5) to |z| in "
                 "(20, 40), (40, 355), (355, 709) and (709, 1000), both signs: the tails of "
                 "every stable form, past where e^{2|z|} (355) and e^{|z|} (709) overflow "
                 "float64 (GELU: |z| in (8, 60), GELU-tanh: |z| in (4, 30), where their "
                 "tails are)",
    "kink": "units of the ReLU family, ELU and SELU within 1e-8 of their kink "
            "(z = ±k·1e-9), and z exactly 0 in layer 1 (a_0 = 1, b_1 = −w_1 a_0): the "
            "gradients there take the stated convention",
    "vanishing": "weights of size 10^(−⌈320/L⌉) after layer 1: gradients below 1e-300, "
                 "still exact",
    "exploding": "|w| = 100 with z at the point of largest σ' (z = 0, or z = 1 past a "
                 "kink): each layer multiplies the gradient by about 100 σ'(z) (×25 for "
                 "sigmoid)",
    "mixed": "the cases cycle through ordinary, saturated, kink (where the network has a "
             "kink), vanishing and exploding",
}
#: the bands of |z| of a saturated unit, cycled through
SATURATED_BANDS = ((20.0, 40.0), (40.0, 355.0), (355.0, 709.0), (709.0, 1000.0))
#: GELU's σ' decays as e^{−z²/2}: its tails are reached by |z| 20 to 60 (erfc underflows
#: float64 past 26, φ past 38), and |z| = 1000 would give gradients of 1e-400000 a layer
GELU_BANDS = ((8.0, 20.0), (20.0, 27.0), (27.0, 39.0), (39.0, 60.0))
#: GELU-tanh's σ' decays as e^{−2u}, 2u = 2√(2/π)(z + 0.044715 z³) ≈ 0.0714 z³: from z < −7.2
#: 1 + tanh u loses every float64 digit, e^{2|u|} overflows float32 past |z| ≈ 10.06 and
#: float64 past 21.15 (2|u| > 709.8), and σ'(2u) underflows float64 past 21.5; |z| = 30 gives
#: gradients of 1e-857 a layer already
GELU_TANH_BANDS = ((4.0, 7.2), (7.2, 10.1), (10.1, 21.2), (21.2, 30.0))
#: the activations whose saturated units take their own bands
_BANDS = {"gelu": GELU_BANDS, "gelu_tanh": GELU_TANH_BANDS}
_DYADIC = (0.5, 1.0, 1.5, 2.0, 0.25, 0.75)


def check_regime(regime: str) -> str:
    if regime not in REGIMES:
        raise UsageError(f"regime={regime!r}: must be one of {', '.join(REGIMES)}")
    return regime


def has_kink(net: Network) -> bool:
    return any(getattr(a, "name", "") in KINKED for a in net.activations)


def cycle(net: Network, regime: str, count: int) -> list:
    """The regime of each of ``count`` cases (``mixed`` cycles through the others)."""
    if regime != "mixed":
        return [regime] * count
    kinds = [r for r in ("ordinary", "saturated", "kink", "vanishing", "exploding")
             if r != "kink" or has_kink(net)]
    return [kinds[k % len(kinds)] for k in range(count)]


class _Draw:
    """One case being drawn: decimals of D digits and their float64 values."""

    def __init__(self, rng, digits: int):
        self.rng, self.digits = rng, digits

    def dec(self, values):
        """Round floats (nested) to D-digit decimals; returns (decimals, floats).  With
        D ≥ 17 the decimal of a float64 reads back as that float: the floats are kept."""
        arr = np.asarray(values, dtype=float)
        digits = self.digits
        flat = [float_decimal(v, digits) for v in arr.ravel().tolist()]
        floats = arr if digits >= 17 else np.array([float(t) for t in flat]).reshape(arr.shape)
        if arr.ndim == 0:
            return flat[0], floats
        return np.array(flat, dtype=object).reshape(arr.shape).tolist(), floats


def _activate(act, z, alpha):
    with np.errstate(all="ignore"):
        return act.numpy(z, alpha) if act.parameter is not None else act.numpy(z)


def _target_b(net, l, regime, z0, rng, p_saturate, scale_b):
    """b_l for z_l = z0 + b_l where the regime wants z_l."""
    act = net.sigma(l)
    n, N = z0.shape
    b = rng.normal(0.0, 1.0, n) * scale_b
    zcol = z0[:, 0]
    name = getattr(act, "name", "")
    if regime == "saturated" and not (l == net.L and (net.softmax_output or
                                                      net.cost_name == "cross-entropy")):
        hit = rng.uniform(size=n) < p_saturate
        if l == 1 or not hit.any():
            hit[rng.integers(n)] = True
        bands = _BANDS.get(name, SATURATED_BANDS)
        band = [bands[(l + j) % len(bands)] for j in range(n)]
        target = np.array([rng.uniform(*bd) for bd in band]) * rng.choice([-1.0, 1.0], n)
        b = np.where(hit, target - zcol, b)
    elif regime == "kink" and name in KINKED:
        # a chain stays alive above its first layer (z just right of the kink), so that
        # the gradient at the exact kink of layer 1 reaches the cost
        side = np.ones(n) if n == 1 else rng.choice([-1.0, 1.0], n)
        target = rng.integers(1, 10, n) * 1e-9 * side
        b = target - zcol
    elif regime == "exploding":
        target = 1.0 if name in KINKED else 0.0
        b = target - zcol
    return b


def _weights(net, l, regime, rng, scale):
    shape = (net.n(l), net.n(l - 1))
    if regime == "exploding":      # |w| = 100 (shared by the inputs of a dense unit)
        signs = rng.choice([-1.0, 1.0], shape) if net.n(l - 1) > 1 else np.ones(shape)
        return 100.0 / net.n(l - 1) * signs
    w = rng.normal(0.0, scale / math.sqrt(net.n(l - 1)), shape)
    if regime == "vanishing" and l > 1:
        w = w * 10.0 ** -math.ceil(320 / max(net.L - 1, 1))
    return w


def draw(net: Network, regime: str, rng, digits: int, *, scale: float = 1.0,
         saturate: float | None = None):
    """One case of ``regime`` as (parameters, inputs) of D-digit decimal strings: scalars
    for a chain, nested lists in the parameters' shapes otherwise."""
    check_regime(regime)
    d = _Draw(rng, digits)
    N, L = net.samples, net.L
    p_sat = 0.5 if saturate is None else float(saturate)
    if net.is_chain:
        x = rng.uniform(0.0, 1.0, (1, 1))
    else:
        x = rng.normal(0.0, 1.0, (N, net.n(0)))
    if regime == "vanishing" and L == 1:
        x = x * 1e-305
    if regime == "exploding":
        x = np.full_like(x, 0.5)
    exact_kink = regime == "kink" and getattr(net.sigma(1), "name", "") in KINKED
    if exact_kink:
        x = np.ones_like(x)
    x_text, a = d.dec(x)
    a = a.T                                        # rows: units, columns: samples
    params = {}
    for l in net.layers:
        act = net.sigma(l)
        W_text, W = d.dec(_weights(net, l, regime, rng, scale))
        if exact_kink and l == 1:
            row = rng.choice(_DYADIC, net.n(0)) * rng.choice([-1.0, 1.0], net.n(0))
            W_text[0], W[0] = d.dec(row)[0], row
        z0 = W @ a
        b = _target_b(net, l, regime, z0, rng, p_sat, 1.0)
        if exact_kink and l == 1:
            b[0] = -W[0].sum()                     # z^1_1 = 0 exactly for x = 1
        b_text, b = d.dec(b)
        params[f"W_{l}"], params[f"b_{l}"] = W_text, b_text
        alpha = None
        if net.has_slope(l):
            alpha_text, alpha = d.dec(rng.uniform(0.05, 0.3))
            params[f"alpha_{l}"] = alpha_text
        if not isinstance(act, Softmax):
            a = _activate(act, W @ a + b[:, None], alpha)
    y = _targets(net, rng, N)
    y_text, _ = d.dec(y)
    return _named(net, params, x_text, y_text)


def _targets(net, rng, N):
    nL = net.n(net.L)
    if net.softmax_output:
        return np.eye(nL)[rng.integers(0, nL, N)]
    if net.is_chain:
        return rng.uniform(0.0, 1.0, (1, 1))
    return rng.uniform(0.05, 0.95, (N, nL))


def _named(net, params, x_text, y_text):
    """The chain's scalars by their lecture names (w_l), a dense network's arrays."""
    if not net.is_chain:
        return params, {"x": x_text, "y": y_text}
    out = {}
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        value = params[f"{kind}_{l}"]
        out[name] = value if kind == "alpha" else (value[0][0] if kind == "W" else value[0])
    return out, {"a_0": x_text[0][0], "y": y_text[0][0]}
