"""Per-layer gradient sizes: vanishing, stable or exploding, measured at high precision.

Every earlier layer's gradient is a later one's times more factors w_j σ'(z_j)::

    ∂C/∂b_l = σ'(z_l) · Π_{j=l+1}^{L} w_j σ'(z_j) · ∂C/∂a_L

so over random draws of the parameters the size |∂C/∂b_l| changes roughly geometrically
with the distance L − l from the output.  :func:`analyze` draws parameters from an
initialisation scheme, evaluates every gradient with :func:`symgrad.numeric.chain.mp_gradients`
(the Derivation's recurrence in mpmath, so 1e-40 is a number, not zero), and summarises
per layer: the mean size over the draws with its spread, the ratio to the last layer, a
fitted factor per layer and a verdict.

>>> from symgrad import Chain, derive
>>> a = analyze(derive(Chain(depth=5)), init="nielsen-exploding", samples=3, seed=0)
>>> a.rate, a.verdict
(25.0, 'exploding')
>>> [round(float(r)) for r in a.ratio_to_last]
[390625, 15625, 625, 25, 1]
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass

import mpmath
import numpy as np

from symgrad.errors import UsageError
from symgrad.derivation import Derivation
from symgrad.numeric.chain import mp_gradients

__all__ = ["INITS", "DENSE_INITS", "LayerStats", "Analysis", "draw_parameters", "analyze",
           "dense_network", "draw_dense_parameters", "dense_gradient_norms", "analyze_dense",
           "plot_analyses", "VANISHING_RATE", "EXPLODING_RATE", "PLOT_MARKER", "MP_BUDGET",
           "OUTPUTS", "PRECISIONS"]

#: the initialisation schemes; a chain has fan-in = fan-out = 1 in every layer
INITS = {
    "normal": "w_l ~ N(0, 1), b_l ~ N(0, 1) (Nielsen's chapter 5)",
    "xavier": "w_l ~ N(0, 2/(fan_in + fan_out)) = N(0, 1) for one neuron a layer, b_l = 0",
    "he": "w_l ~ N(0, 2/fan_in) = N(0, 2), b_l = 0",
    "nielsen-exploding": "w_l = 100 and b_l = -100 a_{l-1}, so z_l = 0 and w_l σ'(z_l) = 100 σ'(0)",
}
#: the schemes for dense layers (fan-in n_{l-1}, fan-out n_l); inputs x ~ U(0, 1) per entry
DENSE_INITS = {
    "normal": "every w^l_jk and b^l_j ~ N(0, 1)",
    "xavier": "w^l_jk ~ N(0, 2/(n_{l-1} + n_l)), b_l = 0",
    "he": "w^l_jk ~ N(0, 2/n_{l-1}), b_l = 0",
    "nielsen-exploding": "every w^l_jk = 100 and b^l_j = -100 Σ_k a^{l-1}_k, so every z^l_j = 0 "
                         "(one sample in the loss)",
}
#: a fitted factor per layer below this is vanishing, above EXPLODING_RATE exploding
VANISHING_RATE = 0.5
EXPLODING_RATE = 2.0
#: written into the plot's metadata: a file carrying it may be replaced
PLOT_MARKER = "symgrad analyze"
#: PReLU's slope in the draws (PyTorch's default initial value)
PRELU_ALPHA = 0.25


def draw_parameters(d: Derivation, init: str, rng: np.random.Generator) -> tuple[dict, dict]:
    """One random ``(parameters, inputs)`` pair for ``d`` from the scheme ``init``;
    a_0 and y are drawn from U(0, 1).

    >>> from symgrad import Chain, derive
    >>> p, x = draw_parameters(derive(Chain(depth=2)), "nielsen-exploding", np.random.default_rng(0))
    >>> p["w_1"], p["w_2"], p["b_2"]
    (100, 100, mpf('-50.0'))
    """
    if init not in INITS:
        raise UsageError(f"init={init!r}: must be one of {', '.join(INITS)}")
    net = d.network
    L = net.depth
    a0, y = (float(v) for v in rng.uniform(0.0, 1.0, 2))
    params: dict = {}
    if init == "nielsen-exploding":
        a_prev = mpmath.mpf(a0)
        for l in net.layers:
            params[f"w_{l}"] = 100
            # b_l = −w_l a_{l−1}, so z_l = w_l a_{l−1} + b_l = 0 and a_l = σ_l(0)
            params[f"b_{l}"] = -100 * a_prev  # exact at the working precision
            a_prev = net.sigma(l).mp(mpmath.mpf(0), PRELU_ALPHA)
    else:
        std = {"normal": 1.0, "xavier": 1.0, "he": math.sqrt(2.0)}[init]
        w = rng.normal(0.0, std, L)
        b = rng.normal(0.0, 1.0, L) if init == "normal" else np.zeros(L)
        for l in net.layers:
            params[f"w_{l}"] = float(w[l - 1])
            params[f"b_{l}"] = float(b[l - 1])
    for l in net.layers:
        if net.has_slope(l):
            params[f"alpha_{l}"] = PRELU_ALPHA
    return params, {"a_0": a0, "y": y}


@dataclass(frozen=True)
class LayerStats:
    """|∂C/∂b_l| and |∂C/∂w_l| over the draws for one layer."""

    layer: int
    grad_b: mpmath.mpf              # mean over the draws of |∂C/∂b_l|
    grad_w: mpmath.mpf              # mean over the draws of |∂C/∂w_l|
    ratio_to_last: mpmath.mpf       # grad_b / grad_b of the last layer
    spread_b: tuple                 # (10th, 90th) percentile of |∂C/∂b_l| over the draws
    zero_fraction: float            # share of draws where ∂C/∂b_l is exactly 0

    def as_dict(self) -> dict:
        return {"layer": self.layer, "grad_b": _num(self.grad_b), "grad_w": _num(self.grad_w),
                "ratio_to_last": _num(self.ratio_to_last),
                "spread_b": [_num(self.spread_b[0]), _num(self.spread_b[1])],
                "zero_fraction": self.zero_fraction}


def _num(x) -> float | str:
    """A JSON number; below the float64 range a decimal string keeps the value."""
    x = mpmath.mpf(x)
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
    rate: float | None              # fitted factor per layer back: |∂C/∂b_l| ≈ |∂C/∂b_L| rate^(L−l)
    verdict: str
    reason: str
    #: how the gradients were evaluated (the mpmath recurrence at some digits, or float64)
    evaluation: str = "mpmath recurrence (symgrad.numeric.chain.mp_gradients), 30 digits"

    @property
    def dense(self) -> bool:
        return self.network.get("kind") == "dense"

    @property
    def ratio_to_last(self) -> list:
        return [s.ratio_to_last for s in self.layers]

    @property
    def init_description(self) -> str:
        return (DENSE_INITS if self.dense else INITS)[self.init]

    def as_dict(self) -> dict:
        return {"network": self.network, "activation": self.activation, "init": self.init,
                "init_description": self.init_description, "samples": self.samples,
                "seed": self.seed, "evaluation": self.evaluation,
                "layers": [s.as_dict() for s in self.layers],
                "rate_per_layer": self.rate, "verdict": self.verdict, "reason": self.reason}


def _percentile(values: list, q: float):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def _fit_rate(means: list) -> float | None:
    """exp of the least-squares slope of ln(mean |∂C/∂b_l|) against L − l (the distance
    from the output), over the layers with a nonzero mean; computed in mpmath."""
    L = len(means)
    points = [(L - l, mpmath.log(m)) for l, m in enumerate(means, 1) if m > 0]
    if len(points) < 2:
        return None
    xs, ys = zip(*points)
    mx, my = mpmath.fsum(xs) / len(xs), mpmath.fsum(ys) / len(ys)
    sxx = mpmath.fsum((x - mx) ** 2 for x in xs)
    slope = mpmath.fsum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return float(mpmath.exp(slope))


def analyze(d: Derivation, *, init: str = "normal", samples: int = 100, seed: int = 0,
            digits: int = 30) -> Analysis:
    """Per-layer |∂C/∂b_l| and |∂C/∂w_l| over ``samples`` draws from ``init``.

    The values come from :func:`symgrad.numeric.chain.mp_gradients` at ``digits`` digits: the
    Derivation's recurrence, so a gradient of 1e-40 is resolved, not rounded to zero.

    >>> from symgrad import Chain, derive
    >>> a = analyze(derive(Chain(depth=8)), init="normal", samples=50, seed=1)
    >>> a.verdict, a.rate < 0.5
    ('vanishing', True)
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise UsageError(f"samples={samples!r}: must be an integer >= 1")
    net = d.network
    L = net.depth
    rng = np.random.default_rng(seed)
    sizes_b = [[] for _ in range(L)]
    sizes_w = [[] for _ in range(L)]
    with mpmath.workdps(digits + 10):
        for _ in range(samples):
            params, inputs = draw_parameters(d, init, rng)
            g = mp_gradients(d, params, inputs, digits=digits)
            for l in net.layers:
                sizes_b[l - 1].append(abs(g[f"b_{l}"]))
                sizes_w[l - 1].append(abs(g[f"w_{l}"]))
        layers, rate = _summarise(sizes_b, sizes_w, samples)
    verdict, reason = _verdict(rate, layers, L)
    if layers[0].zero_fraction > 0:
        reason += (f"; ∂C/∂b_1 is exactly 0 in {layers[0].zero_fraction:.1%} of the draws "
                   "(a unit with σ'(z) = 0 on the path: dead ReLU or kink convention)")
    names = sorted({a.name for a in net.activations}, key=[a.name for a in net.activations].index)
    return Analysis(net.describe(), ",".join(names), init, samples, seed, layers, rate,
                    verdict, reason, f"mpmath recurrence (symgrad.numeric.chain.mp_gradients), "
                    f"{digits} digits")


def _summarise(sizes_b: list, sizes_w: list, samples: int) -> tuple[tuple, float | None]:
    """Per layer the mean size over the draws, its 10th–90th percentile, the ratio to the
    last layer and the share of exact zeros; and the fitted factor per layer."""
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


def _verdict(rate, layers, L, size: str = "|∂C/∂b_l|") -> tuple[str, str]:
    if L == 1:
        return "stable", "one layer: no factor w_j σ'(z_j) between it and the output"
    if rate is None:
        return "vanishing", ("the mean gradient is exactly 0 in all but at most one layer "
                             "(dead units: σ' = 0)")
    first = layers[0].ratio_to_last
    tail = (f"{size} changes by a factor ≈ {rate:.3g} per layer back from the output "
            f"(least-squares fit of ln mean {size} over {L} layers); layer 1 gets "
            f"{mpmath.nstr(first, 3)} times layer {L}'s gradient")
    if rate < VANISHING_RATE:
        return "vanishing", tail + f" (factor < {VANISHING_RATE})"
    if rate > EXPLODING_RATE:
        return "exploding", tail + f" (factor > {EXPLODING_RATE})"
    return "stable", tail + f" (factor within [{VANISHING_RATE}, {EXPLODING_RATE}])"


# --- dense layers ------------------------------------------------------------------------------
#
# For a layer of many neurons the size of its gradient is a norm:  ‖∂C/∂b_l‖ = ‖δ_l‖ (Euclidean)
# and ‖∂C/∂W_l‖_F = ‖δ_l a_{l−1}ᵀ‖_F, summed over the samples of the loss.  The recurrence
#     δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l)
# plays the part of the chain's factor w_{l+1} σ'(z_l): each layer back multiplies ‖δ‖ by
# roughly ‖W_{l+1}ᵀ‖ · typical σ', so sigmoid (σ' ≤ 1/4) falls behind layer by layer.

#: how the last layer is chosen when one activation is compared: "same" (the activation in
#: every layer, Nielsen's all-sigmoid network of chapter 5) or "linear" (the material's
#: three-layer network with a linear output)
OUTPUTS = ("same", "linear")
#: "mp": the 30-digit reference (dense_numeric.gradients_mp); "float64": float64 backprop;
#: "auto": the reference while the work stays within MP_BUDGET
PRECISIONS = ("auto", "mp", "float64")
#: weight·sample products (Σ_l n_l n_{l-1} times the samples in the loss, over all draws) that
#: "auto" evaluates in mpmath; about 13 µs each here, so the budget is about half a minute
MP_BUDGET = 2_000_000


def dense_network(widths, activation, *, output: str = "same", cost="quadratic",
                  samples_in_loss: int = 1):
    """The dense network compared for one activation: ``activation`` in every hidden layer
    and, with ``output="same"``, in the output layer too (Nielsen's all-sigmoid network),
    with ``output="linear"`` a linear output layer; with the ``softmax-cross-entropy`` cost
    the output layer is softmax.

    >>> dense_network([4, 3, 2], "relu", output="linear")
    Dense(widths=[4, 3, 2], activations=['relu', 'linear'], cost='quadratic', samples=1)
    """
    from symgrad.model.network import Dense, check_widths
    from symgrad.model.costs import SOFTMAX_CE, get_cost
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


def draw_dense_parameters(net, init: str, rng: np.random.Generator) -> tuple[dict, np.ndarray,
                                                                              np.ndarray]:
    """One random ``(parameters, x, y)`` for the Dense network ``net`` from the scheme
    ``init``: x has ``net.samples`` rows with entries from U(0, 1) (pixel-like inputs), y is
    one-hot for a softmax output and U(0, 1) otherwise.

    >>> from symgrad.model.network import Dense
    >>> p, x, y = draw_dense_parameters(Dense([3, 2, 2]), "nielsen-exploding",
    ...                                 np.random.default_rng(0))
    >>> p["W_2"].tolist(), p["b_2"].round(9).tolist()   # b^2_j = -100 (σ(0) + σ(0))
    ([[100.0, 100.0], [100.0, 100.0]], [-100.0, -100.0])
    """
    from symgrad.model.activations import Softmax
    if init not in DENSE_INITS:
        raise UsageError(f"init={init!r}: must be one of {', '.join(DENSE_INITS)}")
    x = rng.uniform(0.0, 1.0, (net.samples, net.n(0)))
    n_out = net.n(net.L)
    y = (np.eye(n_out)[rng.integers(0, n_out, net.samples)] if net.softmax_output
         else rng.uniform(0.0, 1.0, (net.samples, n_out)))
    params: dict = {}
    if init == "nielsen-exploding":
        if net.samples != 1:
            raise UsageError(f"samples-in-loss={net.samples}: init nielsen-exploding needs "
                             "exactly 1 (b_1 = -100 Σ_k x_k zeroes z_1 for one input only)")
        with mpmath.workdps(40):
            s = mpmath.fsum(mpmath.mpf(float(v)) for v in x[0])   # Σ_k a^{l-1}_k
            for l in net.layers:
                n, act = net.n(l), net.sigma(l)
                b = float(-100 * s)
                params[f"{net.weight_name}_{l}"] = np.full((n, net.n(l - 1)), 100.0)
                params[f"b_{l}"] = np.full(n, b)
                # z^l_j = 100 Σ_k a^{l-1}_k + b^l_j = 0 (up to rounding b to float64)
                z = 100 * s + mpmath.mpf(b)
                if isinstance(act, Softmax):
                    break
                s = n * act.mp(z, PRELU_ALPHA)
    else:
        for l in net.layers:
            n_in, n_out = net.n(l - 1), net.n(l)
            std = {"normal": 1.0, "xavier": math.sqrt(2.0 / (n_in + n_out)),
                   "he": math.sqrt(2.0 / n_in)}[init]
            params[f"{net.weight_name}_{l}"] = rng.normal(0.0, std, (n_out, n_in))
            params[f"b_{l}"] = (rng.normal(0.0, 1.0, n_out) if init == "normal"
                                else np.zeros(n_out))
    for l in net.layers:
        if net.has_slope(l):
            params[f"alpha_{l}"] = np.array(PRELU_ALPHA)
    return {name: params[name] for name in net.parameter_names()}, x, y


def _norm64(g: np.ndarray) -> mpmath.mpf:
    # ‖g‖ = m ‖g/m‖ with m = max |g_j|: no underflow of the squares below 1e-154
    m = float(np.abs(g).max()) if g.size else 0.0
    return mpmath.mpf(m * float(np.linalg.norm(g / m))) if m > 0 else mpmath.mpf(0)


def dense_gradient_norms(network, params: dict, x, y, *, evaluation: str = "mp",
                         digits: int = 30) -> tuple[list, list]:
    """([‖∂C/∂b_l‖ for l = 1..L], [‖∂C/∂W_l‖_F for l = 1..L]) as ``mpf``, from the
    ``digits``-digit reference (``evaluation="mp"``) or float64 backprop (``"float64"``).

    >>> from symgrad.model.network import Dense
    >>> net = Dense([1, 1, 1], "linear")
    >>> p = {"W_1": np.array([[2.0]]), "b_1": np.array([0.0]), "W_2": np.array([[3.0]]),
    ...      "b_2": np.array([1.0])}
    >>> nb, nw = dense_gradient_norms(net, p, [[1.0]], [[0.0]])
    >>> [float(v) for v in nb], [float(v) for v in nw]   # a_2 = 3·2·1 + 1 = 7, δ_2 = 7
    ([21.0, 7.0], [21.0, 14.0])
    """
    from symgrad.numeric.dense import gradients, gradients_mp
    net = getattr(network, "network", network)
    if evaluation == "float64":
        g = gradients(network, params, x, y)
        return ([_norm64(g[f"b_{l}"]) for l in net.layers],
                [_norm64(g[f"{net.weight_name}_{l}"]) for l in net.layers])
    if evaluation != "mp":
        raise UsageError(f"evaluation={evaluation!r}: must be mp or float64")
    G = gradients_mp(network, params, x, y, dps=digits)
    with mpmath.workdps(digits + 10):
        # ‖δ_l‖ = sqrt(Σ_j (δ^l_j)²),  ‖∂C/∂W_l‖_F = sqrt(Σ_jk (a^{l-1}_k δ^l_j)²)
        nb = [mpmath.sqrt(mpmath.fsum(v * v for v in G[f"b_{l}"])) for l in net.layers]
        nw = [mpmath.sqrt(mpmath.fsum(v * v for row in G[f"{net.weight_name}_{l}"] for v in row))
              for l in net.layers]
    return nb, nw


def _mp_work(net) -> int:
    return net.samples * sum(net.n(l) * net.n(l - 1) for l in net.layers)


def analyze_dense(network, *, init: str = "normal", samples: int = 20, seed: int = 0,
                  digits: int = 30, precision: str = "auto", label: str | None = None
                  ) -> Analysis:
    """Per-layer ‖∂C/∂b_l‖ and ‖∂C/∂W_l‖_F of a Dense network (or its derivation) over
    ``samples`` draws from ``init``, summarised as for chains (mean, spread, ratio to the
    last layer, fitted factor per layer, verdict).  ``precision``: "mp" (the ``digits``-digit
    reference), "float64", or "auto" (the reference within :data:`MP_BUDGET`); the
    Analysis' ``evaluation`` says which was used.

    In the exploding case every z is 0 and δ_{l+1} is a constant vector for l ≤ L − 2, so
    δ_l = W_{l+1}ᵀ δ_{l+1} ⊙ σ'(0) has norm 100 σ'(0) √(n_l n_{l+1}) ‖δ_{l+1}‖:

    >>> from symgrad.model.network import Dense
    >>> a = analyze_dense(Dense([2, 3, 3, 2]), init="nielsen-exploding", samples=2)
    >>> round(float(a.layers[0].grad_b / a.layers[1].grad_b), 12), a.verdict
    (75.0, 'exploding')
    """
    from symgrad.derivation import Derivation
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise UsageError(f"samples={samples!r}: must be an integer >= 1")
    if precision not in PRECISIONS:
        raise UsageError(f"precision={precision!r}: must be one of {', '.join(PRECISIONS)}")
    if init not in DENSE_INITS:
        raise UsageError(f"init={init!r}: must be one of {', '.join(DENSE_INITS)}")
    net = network.network if isinstance(network, Derivation) else network
    L = net.L
    work = _mp_work(net) * samples
    if precision == "auto":
        precision = "mp" if work <= MP_BUDGET else "float64"
    if precision == "mp":
        evaluation = f"{digits}-digit mpmath reference (symgrad.numeric.dense.gradients_mp)"
    else:
        evaluation = ("float64 backprop (symgrad.numeric.dense.gradients)"
                      + (f": {work:,} weight·sample products over the draws exceed the "
                         f"{MP_BUDGET:,} evaluated at high precision; --precision mp forces it"
                         if work > MP_BUDGET else ""))
    rng = np.random.default_rng(seed)
    sizes_b = [[] for _ in range(L)]
    sizes_w = [[] for _ in range(L)]
    for _ in range(samples):
        params, x, y = draw_dense_parameters(net, init, rng)
        nb, nw = dense_gradient_norms(network, params, x, y, evaluation=precision,
                                      digits=digits)
        for l in net.layers:
            sizes_b[l - 1].append(nb[l - 1])
            sizes_w[l - 1].append(nw[l - 1])
    with mpmath.workdps(digits + 10):
        layers, rate = _summarise(sizes_b, sizes_w, samples)
    verdict, reason = _verdict(rate, layers, L, size="‖∂C/∂b_l‖")
    if layers[0].zero_fraction > 0:
        reason += (f"; ∂C/∂b_1 is exactly 0 in {layers[0].zero_fraction:.1%} of the draws "
                   "(every unit of a layer with σ'(z) = 0: dead ReLUs or the kink convention)")
    return Analysis(net.describe(), label or net.sigma(1).name, init, samples, seed, layers,
                    rate, verdict, reason, evaluation)


# --- the plot ---------------------------------------------------------------------------------

def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise UsageError("plot: matplotlib is not installed; install the extra: "
                         "pip install 'symgrad[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _replaceable(path: str, force: bool) -> None:
    if not os.path.exists(path) or force:
        return
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if PLOT_MARKER.encode() not in head:
        raise UsageError(f"plot={path!r}: exists and was not written by symgrad; pass --force "
                         "to replace it")


def plot_analyses(analyses: list[Analysis], path: str, *, force: bool = False) -> str:
    """Per-layer mean |∂C/∂b_l| on a log axis, one line per analysis, the 10th–90th
    percentile band shaded; written whole or not at all (.png or .svg)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".svg"):
        raise UsageError(f"plot={path!r}: must end in .png or .svg")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"plot={path!r}: the folder {directory!r} does not exist")
    _replaceable(path, force)
    plt = _matplotlib()
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    for a in analyses:
        ls = [s.layer for s in a.layers]
        # log10 of the mean (values below float64's range stay exact through mpmath)
        mean = [float(mpmath.log10(s.grad_b)) if s.grad_b > 0 else np.nan for s in a.layers]
        lo = [float(mpmath.log10(s.spread_b[0])) if s.spread_b[0] > 0 else np.nan for s in a.layers]
        hi = [float(mpmath.log10(s.spread_b[1])) if s.spread_b[1] > 0 else np.nan for s in a.layers]
        rate = f"×{a.rate:.2g} per layer" if a.rate is not None else "all zero"
        line, = ax.plot(ls, mean, marker="o", ms=4, label=f"{a.activation}: {a.verdict} ({rate})")
        ax.fill_between(ls, lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)
    a0 = analyses[0]
    ax.set_xlabel("layer l (1 = next to the input)")
    if a0.dense:
        net = a0.network
        ax.set_ylabel(r"$\log_{10}$ mean $\|\partial C/\partial b_l\|$")
        out = "linear output" if net["activations"][-1] == "linear" else f"cost {net['cost']}"
        ax.set_title(f"Gradient size per layer: widths {','.join(map(str, net['widths']))}, "
                     f"{out}, init {a0.init},\n{a0.samples} draws (band: 10th–90th "
                     f"percentile); {a0.evaluation.split(' (')[0]}", fontsize=10)
    else:
        ax.set_ylabel(r"$\log_{10}$ mean $|\partial C/\partial b_l|$")
        ax.set_title(f"Gradient size per layer: depth {a0.network['depth']}, init {a0.init}, "
                     f"{a0.samples} draws (band: 10th–90th percentile)", fontsize=10)
    ax.set_xticks(range(1, a0.network["depth"] + 1))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    metadata = {"Creator": PLOT_MARKER} if ext == ".svg" else {"Software": PLOT_MARKER}
    fd, tmp = tempfile.mkstemp(prefix=".symgrad-", suffix=ext, dir=directory)
    os.close(fd)
    try:
        fig.savefig(tmp, format=ext[1:], metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        plt.close(fig)
    return path
