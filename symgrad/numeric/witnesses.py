"""Float witnesses of a gradient, each with its own error estimate: central differences with
Richardson extrapolation and the complex step, both of the float64 *cost* (never of a
gradient formula), for every network and every component.

Both evaluate rows of perturbed points at once (:func:`stencil_costs`): each row moves one
component by one step, enters the layer loop at that component's layer and runs to the cost,
so a chain of depth L needs O(rows · L) work without a Python loop per row.

>>> from symgrad.model.network import Chain
>>> from symgrad.derivation import derive
>>> from symgrad.numeric.float64 import compile_numpy
>>> f = compile_numpy(derive(Chain(depth=2)))
>>> point, inputs = {"w_1": 0.5, "b_1": -0.25, "w_2": 1.5, "b_2": 0.125}, {"a_0": 1.0, "y": 0.0}
>>> e = finite_differences(f, point, inputs)["b_1"]
>>> abs(e.value - 0.0533774567138189) <= 10 * e.error < 1e-9
True
>>> e = complex_step(f, point, inputs)["b_1"]
>>> abs(e.value - 0.0533774567138189) <= e.error < 1e-15
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import mpmath
import numpy as np

from symgrad.model.activations import Activation, Softmax
from symgrad.numeric.float64 import NumpyGradients, unit_forms
from symgrad.numeric.points import EPS, components, parse_batch, parse_parameters, read_point

__all__ = ["Estimate", "has_kink", "kinked_layers", "float_point", "stencil_costs",
           "finite_differences", "complex_step", "cost_rounding"]


@dataclass(frozen=True)
class Estimate:
    """A witness's value of one gradient with its estimated absolute error.

    ``kink`` is set when the witness's evaluation met a kink of a kinked activation (a z^l_j
    changed sign within the stencil, or sat exactly at 0): the gradient does not exist there
    as a two-sided limit.
    """

    value: object
    error: object
    kink: bool = False

    @property
    def resolved(self) -> bool:
        """The estimate means something: finite, no kink, error below the magnitude."""
        v, e = mpmath.mpf(self.value), mpmath.mpf(self.error)
        return not self.kink and mpmath.isfinite(v) and mpmath.isfinite(e) and e < abs(v)


def has_kink(act, alpha=None) -> bool:
    """True when σ' jumps at 0 (relu, leaky_relu, prelu with α ≠ 1, selu), so C is not
    differentiable where a z^l_j is 0; elu (α = 1) is C¹ and has none.

    >>> from symgrad.model.activations import get_activation
    >>> [has_kink(get_activation(n)) for n in ("relu", "elu", "selu", "sigmoid")]
    [True, False, True, False]
    """
    if not isinstance(act, Activation) or act.kink is None:
        return False
    side = np.array([-1e-300, 1e-300])
    df = unit_forms(act).derivative
    left, right = df(side) if act.parameter is None else \
        df(side, 0.25 if alpha is None else float(alpha))
    return bool(left != right)


def kinked_layers(net, alphas: Mapping) -> list[int]:
    """The layers whose activation has a kink (at the point's α_l for PReLU)."""
    return [l for l in net.layers if has_kink(net.sigma(l), alphas.get(f"alpha_{l}"))]


def float_point(f: NumpyGradients, parameters: Mapping, inputs: Mapping):
    """(parameters in their shapes, x, y) as float arrays: the witnesses' center."""
    net = f.network
    point = read_point(net, parameters, inputs)
    params = parse_parameters(net, {n: v.astype(float) for n, v in point.parameters.items()})
    x, y = parse_batch(net, point.inputs["a_0"].astype(float), point.inputs["y"].astype(float))
    return params, x, y


def stencil_costs(f: NumpyGradients, params: dict, x, y, comps: list, row_component,
                  steps: np.ndarray):
    """The float cost at ``params`` with component ``comps[row_component[r]]`` (label, name,
    index) moved by ``steps[r]``, one row each; and per row whether a kinked layer's z^l_j
    changed sign against the center (the stencil crossed a kink)."""
    net = f.network
    W, b, alpha = f.arrays(params)
    trace: list = []
    f.backprop(W, b, alpha, x, y, False, trace)                 # the center, l = L..1
    zc = {l: t[0] for l, t in zip(range(net.L, 0, -1), trace)}
    ac = [x] + [t[1] for t in reversed(trace)]
    kinks = set(kinked_layers(net, params))
    # per row: the layer, the kind (0 W, 1 b, 2 α) and the unit j, input k it moves
    where = np.array([(net.parameter(name)[1], "Wba".index(net.parameter(name)[0][0]),
                       *(tuple(index) + (0, 0))[:2]) for _, name, index in comps], dtype=int)
    layer, kind, j, k = where[np.asarray(row_component)].T
    order = np.argsort(layer, kind="stable")
    R, N = len(steps), x.shape[0]
    ids = np.empty(0, dtype=int)
    active = np.empty((0, N, net.n(0)), dtype=steps.dtype)
    crossed = np.zeros(R, dtype=bool)
    for l in net.layers:
        new = order[layer[order] == l]
        if len(new):
            ids = np.concatenate([ids, new])
            base = np.broadcast_to(ac[l - 1], (len(new),) + ac[l - 1].shape)
            active = np.concatenate([active, base.astype(steps.dtype)])
        if not len(ids):
            active = np.empty((0, N, net.n(l)), dtype=steps.dtype)
            continue
        z = active @ W[l].T + b[l]                                  # z_l = W_l a_{l-1} + b_l
        pos = np.arange(len(ids) - len(new), len(ids))
        m = kind[new] == 0                                          # w^l_jk: z^l_j += h a^{l-1}_k
        z[pos[m], :, j[new][m]] += steps[new][m, None] * ac[l - 1][:, k[new][m]].T
        m = kind[new] == 1                                          # b^l_j: z^l_j += h
        z[pos[m], :, j[new][m]] += steps[new][m, None]
        act = net.sigma(l)
        if isinstance(act, Softmax):
            out = z
        elif alpha[l] is None:
            out = unit_forms(act).value(z)
        else:                                                       # α_l += h
            rows_alpha = np.full((len(ids), 1, 1), alpha[l], dtype=steps.dtype)
            m = kind[new] == 2
            rows_alpha[pos[m], 0, 0] += steps[new][m]
            out = unit_forms(act).value(z, rows_alpha)
        if l in kinks:
            crossed[ids] |= (np.sign(z.real) != np.sign(zc[l])).any(axis=(1, 2))
        active = out if l < net.L else (z, out)
    costs = np.zeros(R, dtype=steps.dtype)
    if len(ids):
        costs[ids] = f.cost_rows(active[0], active[1], y).sum(axis=(1, 2))
    return costs, crossed


#: the finite-difference step ladder: h_k = 2^-(3+k) max(|θ|, 1), k = 0..20
_FD_LADDER = 2.0 ** -np.arange(3, 24)


def finite_differences(f: NumpyGradients, parameters: Mapping, inputs: Mapping, *,
                       names=None, condition: Mapping | None = None,
                       magnitudes: Mapping | None = None) -> dict:
    """``{label: Estimate}``: central differences of the float64 cost on a ladder of steps per
    component, with Richardson extrapolation.

    For each step h: D(h) = (C(θ + h) − C(θ − h))/(2h) = C' + c h² + …, extrapolated as
    R(h) = (4 D(h/2) − D(h))/3.  The error of R(h) is estimated as |R(h) − R(h/2)| plus the
    rounding of the float64 cost (:func:`cost_rounding`) amplified by 3/h; each component takes
    the step with the smallest estimate among those whose stencils cross no kink.  The float64
    cost is the exact cost of a nearby problem, so no step does better than the gradient's
    condition allows: 8 (L + κ) ε |R| is added, κ from ``condition`` where given.

    No step resolves a gradient far below the noise floor 3 noise / h_0 of the largest step
    h_0: where ``magnitudes`` (sizes of the gradients by label) puts one below a tenth of it,
    that component is not evaluated and comes back unresolved, its error the floor.
    """
    params, x, y = float_point(f, parameters, inputs)
    comps = components(f.network, names)
    noise = cost_rounding(f, params, x, y)
    out = {}
    for label, name, index in comps:
        floor = 3 * noise / (_FD_LADDER[0] * max(abs(float(params[name][index])), 1.0))
        if label in (magnitudes or {}) and abs(mpmath.mpf(magnitudes[label])) < floor / 10:
            out[label] = Estimate(math.nan, floor)
    evaluated = [c for c in comps if c[0] not in out]
    if evaluated:
        out.update(_richardson(f, params, x, y, evaluated, noise, condition or {}))
    return {label: out[label] for label, _, _ in comps}


def _richardson(f: NumpyGradients, params: dict, x, y, comps: list, noise: float,
                condition: Mapping) -> dict:
    theta = np.array([float(params[name][index]) for _, name, index in comps])
    K = len(_FD_LADDER)
    h = np.maximum(np.abs(theta), 1.0)[:, None] * _FD_LADDER[None, :]       # (P, K)
    rows = np.repeat(np.arange(len(comps)), 2 * K)
    with np.errstate(all="ignore"):
        C, crossed = stencil_costs(f, params, x, y, comps, rows,
                                   np.stack([h, -h], axis=-1).reshape(-1))
        C, crossed = C.reshape(len(comps), K, 2), crossed.reshape(len(comps), K, 2)
        D = (C[..., 0] - C[..., 1]) / (2 * h)                               # D(h_k)
        R = (4 * D[:, 1:] - D[:, :-1]) / 3                                  # R(h_k)
        err = np.abs(R[:, :-1] - R[:, 1:]) + 3 * noise / h[:, :K - 2]
    cross = crossed.any(axis=-1)
    bad = cross[:, :-2] | cross[:, 1:-1] | cross[:, 2:] | ~np.isfinite(err) | ~np.isfinite(R[:, :-1])
    err = np.where(bad, np.inf, err)
    out = {}
    for i, (label, _, _) in enumerate(comps):
        k = int(np.argmin(err[i]))
        if np.isfinite(err[i, k]):
            value = float(R[i, k])
            kappa = float(condition.get(label, 0.0))
            out[label] = Estimate(value, float(err[i, k]) + 8 * (f.L + kappa) * EPS * abs(value))
        else:
            out[label] = Estimate(math.nan, math.inf, kink=bool(cross[i, -1]))
    return out


def cost_rounding(f: NumpyGradients, params: dict, x, y) -> float:
    """A first-order bound on the rounding error of the float64 cost: every operation of
    the forward pass errs by one ε relative; an error in z^l_j reaches C through δ^l_j, one in
    a^l_j through ∂C/∂a^l_j::

        4 ε (Σ|C_i| + Σ_l Σ |δ_l| (|a_{l-1}| |W_l|ᵀ + |b_l| + |z_l|) + Σ_l Σ |∂C/∂a_l| |a_l|)
    """
    trace: list = []
    W, b, alpha = f.arrays(params)
    with np.errstate(all="ignore"):
        f.backprop(W, b, alpha, x, y, False, trace)
        total = float(np.abs(f.cost_rows(trace[0][0], trace[0][1], y)).sum())
        a_prev = [x] + [a for _, a, _, _ in reversed(trace)]
        for l, (z, a, delta, dC_da) in zip(range(f.L, 0, -1), trace):
            total += float((np.abs(delta) * (np.abs(a_prev[l - 1]) @ np.abs(W[l]).T
                                             + np.abs(b[l]) + np.abs(z))).sum())
            total += float((np.abs(delta if dC_da is None else dC_da) * np.abs(a)).sum())
    return 4 * EPS * total if math.isfinite(total) else math.inf


#: the complex step: h = 2^-40 max(|θ|, 1), checked against 2h
_CS_STEP = 2.0 ** -40


def complex_step(f: NumpyGradients, parameters: Mapping, inputs: Mapping, *, names=None,
                 condition: Mapping | None = None) -> dict | None:
    """``{label: Estimate}`` by the complex step C'(θ) ≈ Im C(θ + ih)/h (no cancellation), or
    None when an activation of the network is not analytic.  The error estimate is
    |D(h) − D(2h)|/3 (the h² term) plus 8 (L + κ) ε |D| for rounding."""
    net = f.network
    if not all(isinstance(act, Softmax) or act.analytic for act in net.activations):
        return None
    params, x, y = float_point(f, parameters, inputs)
    comps = components(net, names)
    h = np.array([max(abs(float(params[name][index])), 1.0) * _CS_STEP for _, name, index in comps])
    rows = np.repeat(np.arange(len(comps)), 2)
    with np.errstate(all="ignore"):
        C, _ = stencil_costs(f, params, x, y, comps, rows,
                             1j * np.stack([h, 2 * h], axis=-1).reshape(-1))
        D = C.imag.reshape(len(comps), 2) / np.stack([h, 2 * h], axis=-1)
    out = {}
    for i, (label, _, _) in enumerate(comps):
        d1, d2 = float(D[i, 0]), float(D[i, 1])
        kappa = float(condition.get(label, 0.0)) if condition else 0.0
        err = abs(d1 - d2) / 3 + 8 * (f.L + max(kappa, 1.0)) * EPS * abs(d1)
        if abs(d1) * h[i] < 1e-290 or not math.isfinite(d1):  # Im C underflowed
            err = math.inf
        out[label] = Estimate(d1, err)
    return out
