"""Gradient size per layer over training: plain SGD on two interleaved spirals.

The picture the material draws: train the same network with sigmoid and with ReLU hidden
layers and follow each layer's gradient norm ‖∂C/∂W_l‖_F over the iterations.  The data set is
small and seeded (two spirals in the plane, one per class), the output layer is a sigmoid unit
with the binary cross-entropy, the gradients are the derivation's float64 backprop
(:func:`symgrad.numeric.gradients`) of the mean cost over a seeded mini-batch, and the update
is W ← W − η ∂C/∂W, nothing more.

>>> x, y = spirals(100, seed=0)
>>> x.shape, y.shape, sorted(set(y[:, 0].tolist()))
((100, 2), (100, 1), [0.0, 1.0])
>>> run = train(training_network((2, 4, 1), "tanh"), steps=5, seed=0)
>>> len(run.layers[0]["grad_norm"]), run.activation
(5, 'tanh')
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symgrad.analysis.draws import INITS, draw
from symgrad.errors import UsageError

__all__ = ["DEFAULT_WIDTHS", "POINTS", "NOISE", "MAX_STEPS", "TrainingRun", "spirals",
           "training_network", "train", "training_json"]

#: the network trained when no --widths is given: two inputs, four hidden layers, one output
DEFAULT_WIDTHS = (2, 8, 8, 8, 8, 1)
#: the data set: points (half per spiral) and the standard deviation of their noise
POINTS = 200
NOISE = 0.05
MAX_STEPS = 100_000


def spirals(points: int = POINTS, seed: int = 0, noise: float = NOISE) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of ``points`` points in the plane (radius up to 1, one and a
    half turns each), label 0 for one and 1 for the other, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    half = points // 2
    t = np.sqrt(rng.uniform(0.0, 1.0, points)) * 3 * math.pi
    label = np.repeat([0.0, 1.0], [half, points - half])
    angle = t + math.pi * label
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / (3 * math.pi)
    return x + rng.normal(0.0, noise, x.shape), label[:, None]


def training_network(widths, activation: str):
    """``activation`` in the hidden layers, a sigmoid output with the binary cross-entropy."""
    from symgrad.model.network import Dense
    from symgrad.model.sizes import check_widths
    widths = check_widths(widths)
    if widths[0] != 2 or widths[-1] != 1 or len(widths) < 3:
        raise UsageError(f"widths={','.join(map(str, widths))!r}: the spirals have 2 inputs and "
                         "one label; give widths 2,n_1,...,1 with at least one hidden layer")
    return Dense(widths, [activation] * (len(widths) - 2) + ["sigmoid"], "cross-entropy")


@dataclass(frozen=True)
class TrainingRun:
    """One network's training: per layer the gradient norm at every iteration, the loss."""

    activation: str
    network: dict
    layers: tuple          # {"layer": l, "grad_norm": [one value per iteration]}
    loss: tuple            # the mini-batch's mean cost at every iteration
    accuracy: float        # on the whole data set after the last step

    def as_dict(self) -> dict:
        return {"activation": self.activation, "network": self.network,
                "layers": list(self.layers), "loss": list(self.loss), "accuracy": self.accuracy}


def _frobenius(g) -> float:
    return float(np.sqrt(np.sum(np.square(np.asarray(g, dtype=float)))))


def train(net, steps: int, *, learning_rate: float = 0.5, batch: int = 32, seed: int = 0,
          init: str = "xavier", points: int = POINTS) -> TrainingRun:
    """Plain SGD for ``steps`` iterations on the spirals; every iteration records each
    layer's ‖∂C/∂W_l‖_F of the mean cost over its mini-batch."""
    from symgrad.numeric import gradients
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise UsageError(f"train={steps!r}: must be an integer from 1 to {MAX_STEPS}")
    if init not in INITS or init == "nielsen-exploding":
        raise UsageError(f"init={init!r}: training starts from normal, xavier or he")
    x, y = spirals(points, seed)
    rng = np.random.default_rng(seed + 1)
    params, _, _ = draw(net, init, rng).arrays()
    norms = [[] for _ in net.layers]
    losses = []
    W = net.weight_name
    for _ in range(steps):
        pick = rng.integers(0, len(x), batch)
        g = gradients(net, {net.canonical(k): v for k, v in params.items()}, x[pick], y[pick])
        for l in net.layers:
            norms[l - 1].append(_frobenius(g[f"{W}_{l}"]) / batch)
        losses.append(_loss(net, params, x[pick], y[pick]))
        for name in params:
            params[name] = params[name] - learning_rate * np.asarray(g[net.canonical(name)]) / batch
    acts = [a.name for a in net.activations]
    return TrainingRun(acts[0], net.describe(),
                       tuple({"layer": l, "grad_norm": norms[l - 1]} for l in net.layers),
                       tuple(losses), _accuracy(net, params, x, y))


def _output(net, params, x) -> np.ndarray:
    a = x
    for l in net.layers:
        z = a @ params[f"W_{l}"].T + params[f"b_{l}"]
        act = net.sigma(l)
        with np.errstate(all="ignore"):
            a = act.numpy(z) if act.parameter is None else act.numpy(z, params[f"alpha_{l}"])
    return a


def _loss(net, params, x, y) -> float:
    a = np.clip(_output(net, params, x), 1e-15, 1 - 1e-15)
    return float(np.mean(net.cost.numpy(a, y)))


def _accuracy(net, params, x, y) -> float:
    return float(np.mean((_output(net, params, x) > 0.5) == (y > 0.5)))


def training_json(runs: list, *, steps: int, learning_rate: float, batch: int, seed: int,
                  init: str) -> dict:
    """``{"runs": [{"activation": ..., "layers": [{"layer": l, "grad_norm": [...]}]}], ...}``."""
    return {"data": {"kind": "two interleaved spirals", "points": POINTS, "noise": NOISE,
                     "seed": seed},
            "training": {"method": "plain SGD on the mean binary cross-entropy of a mini-batch",
                         "steps": steps, "learning_rate": learning_rate, "batch": batch,
                         "init": init, "seed": seed,
                         "grad_norm": "Frobenius norm of dC/dW_l of the mean cost, every "
                                      "iteration"},
            "runs": [r.as_dict() for r in runs]}
