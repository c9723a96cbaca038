"""Per-layer gradient sizes: vanishing, stable or exploding, measured at high precision.

Every earlier layer's gradient is a later one's times more factors w_j σ'(z_j)::

    ∂C/∂b_l = σ'(z_l) · Π_{j=l+1}^{L} w_j σ'(z_j) · ∂C/∂a_L

so over random draws of the parameters the size |∂C/∂b_l| changes roughly geometrically
with the distance L − l from the output.  :func:`analyze` draws parameters from an
initialisation scheme, evaluates every gradient with :func:`symgrad.numeric.mp_gradients`
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

from .activations import UsageError
from .derive import Derivation
from .numeric import mp_gradients

__all__ = ["INITS", "LayerStats", "Analysis", "draw_parameters", "analyze", "plot_analyses",
           "VANISHING_RATE", "EXPLODING_RATE", "PLOT_MARKER"]

#: the initialisation schemes; a chain has fan-in = fan-out = 1 in every layer
INITS = {
    "normal": "w_l ~ N(0, 1), b_l ~ N(0, 1) (Nielsen's chapter 5)",
    "xavier": "w_l ~ N(0, 2/(fan_in + fan_out)) = N(0, 1) for one neuron a layer, b_l = 0",
    "he": "w_l ~ N(0, 2/fan_in) = N(0, 2), b_l = 0",
    "nielsen-exploding": "w_l = 100 and b_l = -100 a_{l-1}, so z_l = 0 and w_l σ'(z_l) = 100 σ'(0)",
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

    @property
    def ratio_to_last(self) -> list:
        return [s.ratio_to_last for s in self.layers]

    def as_dict(self) -> dict:
        return {"network": self.network, "activation": self.activation, "init": self.init,
                "init_description": INITS[self.init], "samples": self.samples,
                "seed": self.seed, "layers": [s.as_dict() for s in self.layers],
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

    The values come from :func:`symgrad.numeric.mp_gradients` at ``digits`` digits: the
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
        means_b = [mpmath.fsum(v) / samples for v in sizes_b]
        means_w = [mpmath.fsum(v) / samples for v in sizes_w]
        last = means_b[-1]
        layers = tuple(
            LayerStats(l, means_b[l - 1], means_w[l - 1],
                       means_b[l - 1] / last if last != 0 else mpmath.nan,
                       (_percentile(sizes_b[l - 1], 0.1), _percentile(sizes_b[l - 1], 0.9)),
                       sum(1 for v in sizes_b[l - 1] if v == 0) / samples)
            for l in net.layers)
        rate = _fit_rate(means_b)
    verdict, reason = _verdict(rate, layers, L)
    if layers[0].zero_fraction > 0:
        reason += (f"; ∂C/∂b_1 is exactly 0 in {layers[0].zero_fraction:.1%} of the draws "
                   "(a unit with σ'(z) = 0 on the path: dead ReLU or kink convention)")
    names = sorted({a.name for a in net.activations}, key=[a.name for a in net.activations].index)
    return Analysis(net.describe(), ",".join(names), init, samples, seed, layers, rate,
                    verdict, reason)


def _verdict(rate, layers, L) -> tuple[str, str]:
    if L == 1:
        return "stable", "one layer: no factor w_j σ'(z_j) between it and the output"
    if rate is None:
        return "vanishing", ("the mean gradient is exactly 0 in all but at most one layer "
                             "(dead units: σ' = 0)")
    first = layers[0].ratio_to_last
    tail = (f"|∂C/∂b_l| changes by a factor ≈ {rate:.3g} per layer back from the output "
            f"(least-squares fit of ln mean |∂C/∂b_l| over {L} layers); layer 1 gets "
            f"{mpmath.nstr(first, 3)} times layer {L}'s gradient")
    if rate < VANISHING_RATE:
        return "vanishing", tail + f" (factor < {VANISHING_RATE})"
    if rate > EXPLODING_RATE:
        return "exploding", tail + f" (factor > {EXPLODING_RATE})"
    return "stable", tail + f" (factor within [{VANISHING_RATE}, {EXPLODING_RATE}])"


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
