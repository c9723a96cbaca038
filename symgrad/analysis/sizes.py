"""Per-layer gradient sizes over random draws: vanishing, stable, exploding or dead.

One computation for every network, a chain being the network of widths 1: per draw, every
layer's ‖∂C/∂b_l‖ (Euclidean; |∂C/∂b_l| in a chain) and ‖∂C/∂W_l‖_F, from the derivation's
recurrence at ``digits`` digits (:func:`symgrad.numeric.gradients_mp_decimal`, the parameters
read exactly as drawn, so 1e-40 is a number and the exploding scheme's ×25 is exact) or in
float64 (:func:`symgrad.numeric.gradients`).  The summary per layer: the mean over the draws,
its 10th–90th percentile, the ratio to the last layer and the share of draws where the
gradient is exactly 0; then a fitted factor per layer back and a verdict.  A network whose
first layer gets exactly 0 in most draws (one-neuron ReLU chains: a unit with z < 0 stops
everything below it) is *dead*, not stable, whatever the fitted factor says.

>>> from symgrad.model.network import Chain
>>> a = analyze(Chain(depth=5), init="nielsen-exploding", samples=3, seed=0)
>>> a.rate, a.verdict
(25.0, 'exploding')
>>> [round(float(r)) for r in a.ratio_to_last]
[390625, 15625, 625, 25, 1]
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from symgrad.analysis.draws import INITS, draw
from symgrad.errors import UsageError

__all__ = ["PRECISIONS", "UNDERFLOW", "VANISHING_RATE", "EXPLODING_RATE", "DEAD_FRACTION",
           "LayerStats", "Analysis", "gradient_norms", "analyze", "dense_network", "OUTPUTS"]

#: "mp": every draw at high precision; "float64"; "auto": float64, underflow again at mp
PRECISIONS = ("auto", "mp", "float64")
#: a fitted factor per layer below this is vanishing, above EXPLODING_RATE exploding
VANISHING_RATE = 0.5
EXPLODING_RATE = 2.0
#: ∂C/∂b_1 exactly 0 in at least this share of the draws: the verdict is "dead"
DEAD_FRACTION = 0.5
#: how the last layer is chosen when one activation is compared across dense layers
OUTPUTS = ("same", "linear")


@dataclass(frozen=True)
class LayerStats:
    """‖∂C/∂b_l‖ and ‖∂C/∂W_l‖_F of one layer over the draws."""

    layer: int
    grad_b: mpmath.mpf              # mean over the draws of ‖∂C/∂b_l‖
    grad_w: mpmath.mpf              # mean over the draws of ‖∂C/∂W_l‖_F
    ratio_to_last: mpmath.mpf       # grad_b / grad_b of the last layer
    spread_b: tuple                 # (10th, 90th) percentile of ‖∂C/∂b_l‖
    zero_fraction: float            # share of the draws where ∂C/∂b_l is exactly 0

    def as_dict(self) -> dict:
        return {"layer": self.layer, "grad_b": _num(self.grad_b), "grad_w": _num(self.grad_w),
                "ratio_to_last": _num(self.ratio_to_last),
                "spread_b": [_num(self.spread_b[0]), _num(self.spread_b[1])],
                "zero_fraction": self.zero_fraction}


def _num(x) -> float | str:
    """A JSON number; outside float64's range a decimal string keeps the value."""
    x = mpmath.mpf(x)
    if mpmath.isnan(x):
        return "nan"
    if x == 0 or 1e-300 < abs(x) < 1e300:
        return float(x)
    return mpmath.nstr(x, 17)


@dataclass(frozen=True)
class Analysis:
    """The per-layer gradient sizes of one network under one initialisation."""

    network: dict
    activation: str
    init: str
    samples: int
    seed: int
    layers: tuple                   # LayerStats for l = 1..L
    rate: float | None              # ‖∂C/∂b_l‖ ≈ ‖∂C/∂b_L‖ rate^(L−l), least squares
    verdict: str
    reason: str
    evaluation: str

    @property
    def dense(self) -> bool:
        return self.network.get("kind") == "dense"

    @property
    def ratio_to_last(self) -> list:
        return [s.ratio_to_last for s in self.layers]

    @property
    def dead_fraction(self) -> float:
        """The share of draws in which the first layer's gradient is exactly 0."""
        return self.layers[0].zero_fraction

    @property
    def init_description(self) -> str:
        return INITS[self.init]

    def as_dict(self) -> dict:
        return {"network": self.network, "activation": self.activation, "init": self.init,
                "init_description": self.init_description, "samples": self.samples,
                "seed": self.seed, "evaluation": self.evaluation,
                "layers": [s.as_dict() for s in self.layers], "rate_per_layer": self.rate,
                "dead_fraction": self.dead_fraction, "verdict": self.verdict,
                "reason": self.reason}


def _norm64(g: np.ndarray) -> mpmath.mpf:
    # ‖g‖ = m ‖g/m‖ with m = max |g_j|: no underflow of the squares below 1e-154
    g = np.atleast_1d(np.asarray(g, dtype=float))
    m = float(np.abs(g).max()) if g.size else 0.0
    return mpmath.mpf(m * float(np.linalg.norm(g / m))) if m > 0 else mpmath.mpf(0)


def gradient_norms(net, d, evaluation: str = "mp", digits: int = 30) -> tuple[list, list]:
    """([‖∂C/∂b_l‖ for l = 1..L], [‖∂C/∂W_l‖_F for l = 1..L]) of one draw ``d`` as mpf."""
    W = net.weight_name
    if evaluation == "float64":
        from symgrad.numeric import gradients
        params, x, y = d.arrays()
        g = gradients(net, {net.canonical(k): v for k, v in params.items()}, x, y)
        return ([_norm64(g[f"b_{l}"]) for l in net.layers],
                [_norm64(g[f"{W}_{l}"]) for l in net.layers])
    if evaluation != "mp":
        raise UsageError(f"evaluation={evaluation!r}: must be mp or float64")
    from symgrad.numeric import gradients_mp_decimal
    with mpmath.workdps(digits + 10):   # the values come back at the ambient precision
        params, x, y = d.mp()
        G = gradients_mp_decimal(net, {net.canonical(k): v for k, v in params.items()}, x, y,
                                 dps=digits)
        nb = [mpmath.sqrt(mpmath.fsum(v * v for v in _flat(G[f"b_{l}"]))) for l in net.layers]
        nw = [mpmath.sqrt(mpmath.fsum(v * v for v in _flat(G[f"{W}_{l}"]))) for l in net.layers]
    return nb, nw


def _flat(v) -> list:
    if isinstance(v, (list, tuple)):
        return [u for item in v for u in _flat(item)]
    return [v]


def _percentile(values: list, q: float):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def _fit_rate(means: list) -> float | None:
    """exp of the least-squares slope of ln(mean size) against L − l, over the layers with a
    nonzero mean."""
    L = len(means)
    points = [(L - l, mpmath.log(m)) for l, m in enumerate(means, 1) if m > 0]
    if len(points) < 2:
        return None
    xs, ys = zip(*points)
    mx, my = mpmath.fsum(xs) / len(xs), mpmath.fsum(ys) / len(ys)
    sxx = mpmath.fsum((x - mx) ** 2 for x in xs)
    return float(mpmath.exp(mpmath.fsum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx))


def _summarise(sizes_b: list, sizes_w: list, samples: int) -> tuple[tuple, float | None]:
    means_b = [mpmath.fsum(v) / samples for v in sizes_b]
    means_w = [mpmath.fsum(v) / samples for v in sizes_w]
    last = means_b[-1]
    layers = tuple(
        LayerStats(l, means_b[l - 1], means_w[l - 1],
                   means_b[l - 1] / last if last != 0 else mpmath.nan,
                   (_percentile(sizes_b[l - 1], 0.1), _percentile(sizes_b[l - 1], 0.9)),
                   sum(1 for v in sizes_b[l - 1] if v == 0) / samples)
        for l in range(1, len(sizes_b) + 1))
    return layers, _fit_rate(means_b)


def _verdict(rate, layers, size: str) -> tuple[str, str]:
    L = len(layers)
    dead = layers[0].zero_fraction
    if dead >= DEAD_FRACTION:
        return "dead", (f"∂C/∂b_1 is exactly 0 in {dead:.1%} of the draws: a unit on the path "
                        "has σ'(z) = 0 (a dead ReLU, or its kink), and no gradient passes below "
                        "it" + ("" if dead == 1 else "; a mean over the draws hides that the "
                                "first layer gets nothing in most of them"))
    if L == 1:
        return "stable", "one layer: no factor w_j σ'(z_j) between it and the output"
    if rate is None:
        return "dead", "the mean gradient is exactly 0 in all but at most one layer"
    tail = (f"{size} changes by a factor ≈ {rate:.3g} per layer back from the output "
            f"(least-squares fit of ln mean {size} over {L} layers); layer 1 gets "
            f"{mpmath.nstr(layers[0].ratio_to_last, 3)} times layer {L}'s gradient")
    if dead > 0:
        tail += f"; ∂C/∂b_1 is exactly 0 in {dead:.1%} of the draws (dead units)"
    if rate < VANISHING_RATE:
        return "vanishing", tail + f" (factor < {VANISHING_RATE})"
    if rate > EXPLODING_RATE:
        return "exploding", tail + f" (factor > {EXPLODING_RATE})"
    return "stable", tail + f" (factor within [{VANISHING_RATE}, {EXPLODING_RATE}])"


#: below this a float64 norm is taken as underflow and the draw is evaluated again at high precision
UNDERFLOW = 1e-280


def _underflowed(net, nb: list) -> bool:
    """A float64 norm too small to trust: subnormal, or exactly 0 where no activation of the
    network has a zero derivative (so 0 can only be underflow)."""
    can_be_zero = any(_has_zero_derivative(a) for a in net.activations)
    return any(0 < v < UNDERFLOW or (v == 0 and not can_be_zero) for v in nb)


def _has_zero_derivative(act) -> bool:
    """σ' is exactly 0 somewhere on a whole interval (ReLU for z < 0), judged on a grid."""
    if not hasattr(act, "numpy_derivative"):
        return False
    z = np.linspace(-20.0, 20.0, 4001)
    with np.errstate(all="ignore"):
        g = act.numpy_derivative(z) if act.parameter is None else act.numpy_derivative(z, 0.0)
    return bool(np.count_nonzero(np.asarray(g) == 0) > 10)


def _describe(precision: str, digits: int, again: int, samples: int) -> str:
    if precision == "mp":
        return (f"{digits}-digit recurrence (symgrad.numeric.gradients_mp_decimal, the draws "
                "read exactly)")
    return ("float64 backprop (symgrad.numeric.gradients)"
            + (f"; {again} of {samples} draws evaluated again at {digits} digits where float64 "
               "underflowed" if again else ""))


def analyze(network, *, init: str = "normal", samples: int = 100, seed: int = 0,
            digits: int = 30, precision: str = "auto", label: str | None = None) -> Analysis:
    """Per-layer gradient sizes of ``network`` (a Network or its Derivation) over ``samples``
    draws from ``init``.  ``precision``: "mp" (every draw at ``digits`` digits), "float64",
    or "auto" (float64, and a draw whose norms underflow float64 again at ``digits`` digits)."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise UsageError(f"samples={samples!r}: must be an integer >= 1")
    if precision not in PRECISIONS:
        raise UsageError(f"precision={precision!r}: must be one of {', '.join(PRECISIONS)}")
    net = getattr(network, "network", network)
    rng = np.random.default_rng(seed)
    sizes_b = [[] for _ in net.layers]
    sizes_w = [[] for _ in net.layers]
    again = 0
    for _ in range(samples):
        d = draw(net, init, rng)
        nb, nw = gradient_norms(net, d, "mp" if precision == "mp" else "float64", digits)
        if precision == "auto" and _underflowed(net, nb):
            nb, nw = gradient_norms(net, d, "mp", digits)
            again += 1
        for l in net.layers:
            sizes_b[l - 1].append(nb[l - 1])
            sizes_w[l - 1].append(nw[l - 1])
    with mpmath.workdps(digits + 10):
        layers, rate = _summarise(sizes_b, sizes_w, samples)
    verdict, reason = _verdict(rate, layers, "|∂C/∂b_l|" if net.is_chain else "‖∂C/∂b_l‖")
    names = list(dict.fromkeys(a.name for a in net.activations))
    described = _describe("mp" if precision == "mp" else "float64", digits, again, samples)
    return Analysis(net.describe(), label or ",".join(names), init, samples, seed, layers, rate,
                    verdict, reason, described)


def dense_network(widths, activation, *, output: str = "same", cost="quadratic",
                  samples_in_loss: int = 1):
    """The dense network compared for one activation: ``activation`` in every hidden layer
    and, with ``output="same"``, in the output layer too (Nielsen's all-sigmoid network);
    ``output="linear"``: a linear output layer; the softmax-cross-entropy cost: softmax.

    >>> dense_network([4, 3, 2], "relu", output="linear")
    Dense(widths=[4, 3, 2], activations=['relu', 'linear'], cost='quadratic', samples=1)
    """
    from symgrad.model.costs import SOFTMAX_CE, get_cost
    from symgrad.model.network import Dense
    from symgrad.model.sizes import check_widths
    if output not in OUTPUTS:
        raise UsageError(f"output={output!r}: must be one of {', '.join(OUTPUTS)}")
    widths = check_widths(widths)
    if get_cost(cost) == SOFTMAX_CE:
        if output == "linear":
            raise UsageError("output='linear': the cost softmax-cross-entropy has a softmax "
                             "output layer; leave --output at same")
        return Dense(widths, activation, cost, samples=samples_in_loss)
    L = len(widths) - 1
    last = activation if output == "same" else "linear"
    return Dense(widths, [activation] * (L - 1) + [last], cost, samples=samples_in_loss)
