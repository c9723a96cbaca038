"""The pictures: gradient size per layer over the draws, and per layer over training.

Both write the file they are given (``.png`` or ``.svg``, chosen by its extension) with
:data:`PLOT_MARKER` in its metadata; replacing a file whole or not at all is the caller's
business (:func:`symgrad.cli.output.replacing`).  matplotlib is an extra: without it the
functions raise one clear :class:`~symgrad.errors.UsageError`.
"""
from __future__ import annotations

import os

import mpmath
import numpy as np

from symgrad.errors import UsageError

__all__ = ["PLOT_MARKER", "SMOOTH", "matplotlib_pyplot", "plot_analyses", "plot_training", "save"]

#: written into every plot's metadata: a file carrying it may be replaced
PLOT_MARKER = "symgrad analyze"
#: the training curves are drawn with their running mean over this many iterations
SMOOTH = 25


def matplotlib_pyplot():
    """matplotlib's pyplot on the Agg backend, or one UsageError naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise UsageError("plot: matplotlib is not installed; install the extra: "
                         "pip install 'symgrad[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, path: str, marker: str = PLOT_MARKER) -> None:
    """Save ``fig`` to ``path`` (PNG or SVG by the extension, another name as PNG) with the
    marker in its metadata, then close it."""
    plt = matplotlib_pyplot()
    ext = os.path.splitext(path)[1].lower()
    kind = "svg" if ext == ".svg" else "png"
    metadata = {"Creator": marker} if kind == "svg" else {"Software": marker}
    try:
        fig.savefig(path, format=kind, metadata=metadata)
    finally:
        plt.close(fig)


def _log10(v) -> float:
    return float(mpmath.log10(v)) if v > 0 else np.nan


def plot_analyses(analyses: list, path: str) -> str:
    """Mean gradient size per layer on a log axis, one line per analysis, the 10th–90th
    percentile band shaded."""
    plt = matplotlib_pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    for a in analyses:
        ls = [s.layer for s in a.layers]
        how = (f"layer 1 exactly 0 in {a.dead_fraction:.0%} of the draws" if a.verdict == "dead"
               else f"×{a.rate:.2g} per layer" if a.rate is not None else "all zero")
        line, = ax.plot(ls, [_log10(s.grad_b) for s in a.layers], marker="o", ms=4,
                        label=f"{a.activation}: {a.verdict} ({how})")
        ax.fill_between(ls, [_log10(s.spread_b[0]) for s in a.layers],
                        [_log10(s.spread_b[1]) for s in a.layers], color=line.get_color(),
                        alpha=0.15, linewidth=0)
    a0 = analyses[0]
    net = a0.network
    ax.set_xlabel("layer l (1 = next to the input)")
    if a0.dense:
        ax.set_ylabel(r"$\log_{10}$ mean $\|\partial C/\partial b_l\|$")
        out = "linear output" if net["activations"][-1] == "linear" else f"cost {net['cost']}"
        ax.set_title(f"Gradient size per layer: widths {','.join(map(str, net['widths']))}, "
                     f"{out}, init {a0.init},\n{a0.samples} draws (band: 10th–90th "
                     f"percentile); {a0.evaluation.split(' (')[0]}", fontsize=10)
    else:
        ax.set_ylabel(r"$\log_{10}$ mean $|\partial C/\partial b_l|$")
        ax.set_title(f"Gradient size per layer: depth {net['depth']}, init {a0.init}, "
                     f"{a0.samples} draws (band: 10th–90th percentile)", fontsize=10)
    ax.set_xticks(range(1, net["depth"] + 1))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    save(fig, path)
    return path


def plot_training(runs: list, path: str, *, steps: int, learning_rate: float) -> str:
    """One panel per run (sigmoid, ReLU, ...) side by side: each layer's ‖∂C/∂W_l‖_F against
    the iteration, log scale, the same axes for every panel."""
    plt = matplotlib_pyplot()
    fig, axes = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 4.2), dpi=110,
                             sharey=True, squeeze=False)
    for ax, run in zip(axes[0], runs):
        for layer in run.layers:
            values = np.asarray(layer["grad_norm"], dtype=float)
            steps_ = np.arange(1, len(values) + 1)
            line, = ax.plot(steps_, np.where(values > 0, values, np.nan), lw=0.5, alpha=0.3)
            k = min(SMOOTH, len(values))
            mean = np.convolve(values, np.ones(k) / k, mode="valid")
            ax.plot(steps_[k - 1:], np.where(mean > 0, mean, np.nan), lw=1.8,
                    color=line.get_color(), label=f"layer {layer['layer']}")
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        widths = ",".join(map(str, run.network["widths"]))
        ax.set_title(f"{run.activation} hidden layers (widths {widths})\n"
                     f"accuracy after training {run.accuracy:.0%}", fontsize=10)
        ax.grid(True, alpha=0.3, which="both")
    axes[0][0].set_ylabel(r"$\|\partial C/\partial W_l\|_F$ of the mini-batch mean")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Gradient size per layer while training on two spirals: plain SGD, "
                 f"{steps} iterations, learning rate {learning_rate:g}\n(thin: every iteration; "
                 f"thick: the mean over {SMOOTH} iterations)", fontsize=11)
    fig.tight_layout()
    save(fig, path)
    return path
