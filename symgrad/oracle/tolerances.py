"""Tolerances that separate bugs from rounding: what a correct float implementation attains.

The question is "is this within what a correct float64 (or float32) implementation of the
recurrence commits?"  The answer is a running error bound (Higham, *Accuracy and Stability
of Numerical Algorithms*, §3) of the backpropagation recurrence evaluated with *stable* forms
(:mod:`symgrad.oracle.rounding`), in absolute terms, first order in the unit roundoff u of
the dtype, componentwise, at the reference's own forward and backward pass::

    reading:   e(x) = u|x|, e(W) = u|W|, e(b) = u|b|   (0 for a number the dtype holds)
    z_l:       e_z = |W_l| e_a + (n_{l-1} + 2) u (|W_l| |a_{l-1}| + |b_l|)
    a_l, σ_l': e_a = |σ'(z)| e_z + u S_σ(z),   e_d = |σ''(z)| e_z + u S_σ'(z)
    ∂C/∂a_L:   e_r = |C''| e_a + e_y + u S_C
    δ_L:       e_δ = |r| e_d + |d| e_r + u|δ|     (softmax: e_a + e_y + u|δ|)
    δ_l:       e_R = |W|ᵀ e_δ + (n_{l+1} + 2) u |W|ᵀ|δ|,   e_δ = |R| e_d + |d| e_R + u|δ|
    ∂C/∂b_l:   Σ_i e_δ + N u Σ_i |δ|,    ∂C/∂W_l: e_δ |a|ᵀ + |δ| e_aᵀ + (N + 1) u |δ||a|ᵀ

every operation adding the dtype's smallest normal number (underflow, flushed to zero or
not, so that a gradient far below the dtype's range is judged by the absolute error it can
have: XLA and GPUs flush subnormals), and an operation whose
operands and result the dtype holds exactly adding nothing (w = 100, z = 0, σ(0) = 1/2: the
exploding chain is exact in floats).  The tolerance of each component is :data:`SAFETY`
times its bound: about u × depth × the condition of each factor.  Two things are not judged:
a component whose true value lies beyond the dtype's largest number, and the components at
and below a layer with a unit within rounding of its kink (a correct implementation may take
either branch there).

The same bound with the textbook σ' (``form="textbook"``: σ(1 − σ), 1 − tanh², ...) is the
window of the ``unstable`` verdict: outside the stable tolerance, inside what the formulas
PyTorch and JAX differentiate commit.

>>> from symgrad.model.network import Chain
>>> from symgrad.oracle.reference import reference
>>> ref = reference(Chain(depth=2, activation="tanh"), {"w_2": 1, "w_1": 1, "b_2": 0,
...                 "b_1": 12}, {"a_0": 0, "y": 0}, digits=20)
>>> tol = tolerances(ref)
>>> bool(tol["b_2"] < 1e-13), bool(tol["b_1"] < 1e-13)          # stable: no loss at tanh(12)
(True, True)
>>> bool(tolerances(ref, form="textbook")["b_1"] > 1e-6)        # 1 − tanh² at 12 cancels
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from symgrad.model.activations import Softmax
from symgrad.oracle.decimals import ball_float
from symgrad.oracle.dtypes import DType, dtype_of, exact_sum, exact_sums, representable
from symgrad.oracle.reference import Reference
from symgrad.oracle.rounding import near_switch, scales

__all__ = ["SAFETY", "Bounds", "error_bounds",
           "tolerances", "OPEN_REASONS"]

#: each component's tolerance is SAFETY times its first-order error bound
SAFETY = 4.0
#: the activations with a kink at z = 0 and the largest |σ'| of their two branches
KINK_SLOPES = {"relu": 1.0, "leaky_relu": 1.0, "prelu": 1.0, "elu": 1.0, "selu": 1.7581}


def _floats(ref: Reference) -> dict:
    """The reference's pass as float64 arrays [j][i] per layer, cached on the reference."""
    if "floats" in ref.cache:
        return ref.cache["floats"]
    tr, net = ref.evaluation.trace, ref.network

    peak = {}

    def rows(part, l):
        value = tr.rows(part, l)
        if value is None:
            peak.setdefault(part, []).append(0.0)
            return None
        out = [[float(v) for v in r] for r in value]
        peak.setdefault(part, []).append(max(abs(v) for r in out for v in r))
        return np.array(out)
    P = ref.point.parameters
    out = {"W": [None] + [np.array(P[f"W_{l}"], dtype=float) for l in net.layers],
           "b": [None] + [np.array(P[f"b_{l}"], dtype=float)[:, None] for l in net.layers],
           "alpha": [None] + [float(P[f"alpha_{l}"]) if net.has_slope(l) else None
                              for l in net.layers],
           "y": np.array(ref.point.y, dtype=float).T}
    for part in ("z", "a", "d", "r", "delta"):
        out[part] = [rows(part, l) if (l or part == "a") else None for l in range(net.L + 1)]
        if part != "a":
            peak[part][0] = 0.0
    out["peak"] = peak
    ref.cache["floats"] = out
    return out


def _masks(ref: Reference, dt: DType) -> dict:
    """Which inputs the dtype holds exactly, and which a, σ' are exact numbers of it."""
    key = ("masks", dt.name)
    if key not in ref.cache:
        net, P, tr = ref.network, ref.point.parameters, ref.evaluation.trace

        def grid(rows):
            return np.array([[representable(v, dt) for v in r] for r in rows], dtype=bool)
        m = {"x": grid(ref.point.x).T, "y": grid(ref.point.y).T,
             "W": [None] + [grid(P[f"W_{l}"]) for l in net.layers],
             "b": [None] + [grid([P[f"b_{l}"]]).T for l in net.layers]}
        for part in ("a", "d"):
            m[part] = [None] + [None if tr.rows(part, l) is None else grid(tr.rows(part, l))
                                for l in net.layers]
        ref.cache[key] = m
    return ref.cache[key]


@dataclass(frozen=True)
class Bounds:
    """Absolute first-order error bounds by canonical name (arrays in the parameter's
    shape, ``"cost"`` a 0-d array) and the components not judged (``open``: a key of
    :data:`OPEN_REASONS`, 0 where judged)."""

    errors: dict
    open: dict
    form: str
    dtype: DType


def _forward(ref, F, M, dt, form):
    """e_a[l], e_z[l], e_d[l] for every layer, the highest layer with a unit within
    rounding of its kink and the highest whose z rounding moves by more than 5 % of
    1 + |z| (0 for none): past that the first-order model, and the float pass, lose z."""
    net, u, h = ref.network, dt.u, dt.tiny
    e_a = [np.where(M["x"], 0.0, u * np.abs(F["a"][0]))]
    e_z, e_d, kink_layer, lost_layer = [None], [None], 0, 0
    for l in net.layers:
        W, A, B = np.abs(F["W"][l]), np.abs(F["a"][l - 1]), np.abs(F["b"][l])
        n = W.shape[1]
        exact_in = M["W"][l].all(axis=1)[:, None] & M["b"][l] & (e_a[-1] == 0).all(axis=0)[None, :]
        exact_in &= exact_sums(F["W"][l], F["a"][l - 1], F["b"][l], dt)
        # e_z = |W| e_a + (n + 2) u (|W||a| + |b|), nothing where every partial sum is exact
        ez = W @ e_a[-1] + np.where(exact_in, 0.0, (n + 2) * u * (W @ A + B) + n * h)
        e_z.append(ez)
        if np.any(SAFETY * ez > 0.05 * (1 + np.abs(F["z"][l]))):
            lost_layer = l
        act = net.sigma(l)
        if isinstance(act, Softmax):        # a = softmax(z): |Δ log a_j| ≤ 2 max |e_z|
            a = np.abs(F["a"][l])
            e_a.append(a * (2 * ez.max(axis=0, keepdims=True) + (n + 3) * u) + h)
            e_d.append(None)
            continue
        z, a, d = F["z"][l], F["a"][l], F["d"][l]
        s = scales(act.name, z, a, d, activation=act, u=u, log_huge=math.log(dt.huge))
        sd = s.of_derivative(form)
        quiet = ez == 0
        ea = np.abs(d) * ez + np.where(quiet & M["a"][l], 0.0, u * s.of_value(form) + h)
        e_d.append(s.second * ez + np.where(quiet & M["d"][l], 0.0, u * sd + h))
        if act.name in KINK_SLOPES:
            either = (np.abs(z) <= SAFETY * ez) & (ez > 0)
            if np.any(either):
                # the other branch: a moves by up to max|σ'| (|z| + e_z), σ' flips
                slope = max(KINK_SLOPES[act.name], abs(F["alpha"][l] or 0))
                ea = ea + np.where(either, slope * (np.abs(z) + ez), 0.0)
                kink_layer = l
        elif act.kink is not None:           # a custom kink (SymPy's σ' at it is nobody's)
            either = near_switch(act, z, SAFETY * ez)
            if np.any(either):
                r = SAFETY * ez
                slope = np.maximum(np.abs(act.numpy_derivative(z - r)),
                                   np.abs(act.numpy_derivative(z + r)))
                ea = ea + np.where(either, slope * 2 * r, 0.0)
                kink_layer = l
        e_a.append(ea)
    return e_a, e_z, e_d, (kink_layer, lost_layer)


def _output(net, dt: DType, a, r, delta, y, y_exact, e_aL):
    """(e_r, e_δ) of the output layer from its arrays: e_r = e(∂C/∂a_L) and e_δ None for an
    elementwise cost, (None, e_δ) for softmax with cross-entropy (δ_L = a_L − y)."""
    u, h = dt.u, dt.tiny
    e_y = np.where(y_exact, 0.0, u * np.abs(y))
    if net.softmax_output:
        return None, e_aL + e_y + u * np.abs(delta) + h
    name = net.cost.name
    with np.errstate(all="ignore"):
        if name in ("quadratic", "squared-error"):
            k = 1.0 if name == "quadratic" else 2.0
            e_r = k * (e_aL + e_y) + u * np.abs(r) + h
        elif name == "cross-entropy":      # r = (a − y)/(a(1 − a))
            da = np.abs((1 - 2 * a) * r - 1) / np.abs(a * (1 - a))
            e_r = da * e_aL + e_y / np.abs(a * (1 - a)) + 6 * u * np.abs(r) + h
            # the dtype cannot hold a_L apart from 0 or 1: r is lost, not rounded
            e_r = np.where(SAFETY * (e_aL + u) > 0.05 * np.minimum(np.abs(a), np.abs(1 - a)),
                           np.inf, e_r)
        else:                               # a custom cost: a numerical slope of r
            step = 1e-6 * np.maximum(np.abs(a), 1)
            lo = np.asarray(net.cost.numpy_derivative(a - step, y), dtype=float)
            hi = np.asarray(net.cost.numpy_derivative(a + step, y), dtype=float)
            e_r = 2 * np.abs(hi - lo) / (2 * step) * (e_aL + e_y) + 16 * u * np.abs(r) + h
    return e_r, None


def _sum_rows(x):
    return x.sum(axis=1)


def error_bounds(ref: Reference, dtype="float64", form: str = "stable", *,
                 matrices: bool = False) -> Bounds:
    """The first-order error bounds of a correct ``dtype`` implementation (see the module);
    ``form`` ``"stable"`` or ``"textbook"``.  A chain takes a loop over floats (the same
    equations with n = N = 1, twenty times faster; ``matrices`` forces the array path, the
    tests check the two agree).  Cached on the reference."""
    dt = dtype_of(dtype)
    key = ("bounds", dt.name, form)
    if key in ref.cache:
        return ref.cache[key]
    if ref.network.is_chain and not matrices:
        ref.cache[key] = _chain_bounds(ref, dt, form)
        return ref.cache[key]
    F, M = _floats(ref), _masks(ref, dt)
    net, u, h, L = ref.network, dt.u, dt.tiny, ref.network.L
    with np.errstate(all="ignore"):
        e_a, e_z, e_d, (kink_layer, lost_layer) = _forward(ref, F, M, dt, form)
        e_r, e_delta = _output(net, dt, F["a"][L], F["r"][L], F["delta"][L], F["y"], M["y"],
                               e_a[L])
        if e_r is not None and not np.all(np.isfinite(e_r)):
            lost_layer = L
        if e_delta is None:                  # δ_L = r ⊙ σ'(z_L)
            e_delta = np.abs(F["r"][L]) * e_d[L] + np.abs(F["d"][L]) * e_r \
                + u * np.abs(F["delta"][L]) + h
        errors, e_R = {}, e_r
        for l in range(L, 0, -1):
            D, A = np.abs(F["delta"][l]), np.abs(F["a"][l - 1])
            N = D.shape[1]
            errors[f"b_{l}"] = _sum_rows(e_delta) + (N - 1) * u * _sum_rows(D) + N * h
            errors[f"W_{l}"] = e_delta @ A.T + D @ e_a[l - 1].T + (N + 1) * u * (D @ A.T) \
                + N * h
            if net.has_slope(l):             # ∂C/∂α = Σ slope(z) r, slope = z on the left
                left = F["z"][l] <= 0
                Z, R = np.abs(F["z"][l]) * left, np.abs(F["r"][l])
                count = Z.size
                errors[f"alpha_{l}"] = np.array(np.sum(Z * e_R + R * e_z[l] * left)
                                                + (count + 1) * u * np.sum(Z * R) + count * h)
            if l > 1:
                W = np.abs(F["W"][l])
                e_R = W.T @ e_delta + (W.shape[0] + 2) * u * (W.T @ D) + W.shape[0] * h
                e_delta = np.abs(F["r"][l - 1]) * e_d[l - 1] + np.abs(F["d"][l - 1]) * e_R \
                    + u * np.abs(F["delta"][l - 1]) + h
        errors["cost"] = np.array(_cost_error(ref, F, e_a, e_z, u, h))
    bounds = Bounds(_shaped(ref, errors), _open(ref, kink_layer, _overflow_layer(F, dt),
                                                lost_layer), form, dt)
    ref.cache[key] = bounds
    return bounds


def _chain_forward(ref, dt: DType, form: str, v: dict, x: dict):
    """e_a, e_z, e_d of a chain over floats, layer by layer, with the highest layer at a kink
    within rounding and the highest whose z is lost (the equations of :func:`_forward`)."""
    net, L, u, h = ref.network, ref.network.L, dt.u, dt.tiny
    S2, SA, SD = [0.0] * (L + 1), [0.0] * (L + 1), [0.0] * (L + 1)
    for act in set(net.activations):
        idx = [l for l, a in enumerate(net.activations, 1) if a is act]
        arr = [np.array([v[p][l] for l in idx]) for p in ("z", "a", "d")]
        s = scales(act.name, *arr, activation=act, u=dt.u, log_huge=math.log(dt.huge))
        for l, s2, sa, sd in zip(idx, s.second.tolist(), s.of_value(form).tolist(),
                                 s.of_derivative(form).tolist()):
            S2[l], SA[l], SD[l] = s2, sa, sd
    Wv, Av, Bv, Zv, Dv = v["W"], v["a"], v["b"], v["z"], v["d"]
    xW, xb, xa, xd = x["W"], x["b"], x["a"], x["d"]
    e_a = [0.0 if xa[0] else u * abs(Av[0])]
    e_z, e_d, kink_layer, lost_layer = [0.0], [0.0], 0, 0
    acts = net.activations
    kinked = [False] + [a.kink is not None for a in acts]
    for l in range(1, L + 1):
        w, z, d, prev = abs(Wv[l]), Zv[l], abs(Dv[l]), e_a[l - 1]
        exact = prev == 0 and xW[l] and xb[l] and exact_sum(Wv[l], Av[l - 1], Bv[l], dt)
        ez = w * prev + (0.0 if exact else 3 * u * (w * abs(Av[l - 1]) + abs(Bv[l])) + h)
        if SAFETY * ez > 0.05 * (1 + abs(z)):
            lost_layer = l
        ea = d * ez + (0.0 if ez == 0 and xa[l] else u * SA[l] + h)
        e_d.append(S2[l] * ez + (0.0 if ez == 0 and xd[l] else u * SD[l] + h))
        e_z.append(ez)
        if not kinked[l]:
            e_a.append(ea)
            continue
        act = acts[l - 1]
        name = act.name
        if name in KINK_SLOPES and 0 < ez and abs(z) <= SAFETY * ez:
            slope = max(KINK_SLOPES[name], abs(v["alpha"][l]))
            ea, kink_layer = ea + slope * (abs(z) + ez), l
        elif act.kink is not None and name not in KINK_SLOPES:
            r = SAFETY * ez
            if near_switch(act, np.array(z), np.array(r)):
                slope = max(abs(float(act.numpy_derivative(np.array(z + t)))) for t in (-r, r))
                ea, kink_layer = ea + slope * 2 * r, l
        e_a.append(ea)
    return e_a, e_z, e_d, kink_layer, lost_layer


def _chain_values(ref, dt: DType):
    """A chain's pass as floats per layer (index l) and which numbers the dtype holds."""
    tr, P, net = ref.evaluation.trace, ref.point.parameters, ref.network
    v = {p: [0.0] + [float(b) for b in getattr(tr, p)[1:]] for p in ("z", "d", "r", "delta")}
    v["a"] = [float(b) for b in tr.a]
    v["W"] = [0.0] + [float(P[f"W_{l}"][0][0]) for l in net.layers]
    v["b"] = [0.0] + [float(P[f"b_{l}"][0]) for l in net.layers]
    v["alpha"] = [0.0] + [float(P[f"alpha_{l}"]) if a.parameter is not None else 0.0
                          for l, a in enumerate(net.activations, 1)]
    # a ball is a number of the dtype only if it is exact (is_exact first: most are not)
    x = {"d": [False] + [b.is_exact() and representable(b, dt) for b in tr.d[1:]],
         "a": [b.is_exact() and representable(b, dt) for b in tr.a]}
    x["W"] = [False] + [representable(P[f"W_{l}"][0][0], dt) for l in net.layers]
    x["b"] = [False] + [representable(P[f"b_{l}"][0], dt) for l in net.layers]
    return v, x


def _chain_bounds(ref, dt: DType, form: str) -> Bounds:
    """:func:`error_bounds` of a chain: n = N = 1, every product a float product."""
    net, L, u, h = ref.network, ref.network.L, dt.u, dt.tiny
    v, x = _chain_values(ref, dt)
    e_a, e_z, e_d, kink_layer, lost_layer = _chain_forward(ref, dt, form, v, x)
    y = float(ref.point.y[0][0])
    e_r, _ = _output(net, dt, np.array(v["a"][L]), np.array(v["r"][L]), None, np.array(y),
                     representable(ref.point.y[0][0], dt), np.array(e_a[L]))
    e_r = float(e_r)
    lost_layer = L if not np.isfinite(e_r) else lost_layer
    e_R = e_r
    e_delta = abs(v["r"][L]) * e_d[L] + abs(v["d"][L]) * e_r + u * abs(v["delta"][L]) + h
    slopes = [False] + [a.parameter is not None for a in net.activations]
    e_b, e_w, e_alpha = [0.0] * (L + 1), [0.0] * (L + 1), {}
    Dl, Al, Rl, dl, Wl = v["delta"], v["a"], v["r"], v["d"], v["W"]
    for l in range(L, 0, -1):
        D, A = abs(Dl[l]), abs(Al[l - 1])
        e_b[l] = e_delta + h
        e_w[l] = e_delta * A + D * e_a[l - 1] + 2 * u * D * A + h
        if slopes[l] and v["z"][l] <= 0:
            Z, R = abs(v["z"][l]), abs(Rl[l])
            e_alpha[l] = Z * e_R + R * e_z[l] + 2 * u * Z * R + h
        elif slopes[l]:
            e_alpha[l] = h
        if l > 1:                            # e_R = |w| e_δ + 3u|w||δ|, e_δ = |r| e_d + |d| e_R
            w = abs(Wl[l])
            e_R = w * e_delta + 3 * u * w * D + h
            e_delta = abs(Rl[l - 1]) * e_d[l - 1] + abs(dl[l - 1]) * e_R \
                + u * abs(Dl[l - 1]) + h
    # one array a kind, each parameter a view of it in its shape: b_l (1,), W_l (1, 1)
    B, Wt = np.array(e_b)[:, None], np.array(e_w)[:, None, None]
    errors = {}
    for l in range(L, 0, -1):
        errors[f"b_{l}"], errors[f"W_{l}"] = B[l], Wt[l]
        if l in e_alpha:
            errors[f"alpha_{l}"] = np.array(e_alpha[l])
    C = abs(float(ref.evaluation.cost))
    errors["cost"] = np.array(abs(v["r"][L]) * e_a[L] + 2 * u * C + h)
    peaks = {p: [abs(t) for t in v[p]] for p in ("z", "a", "delta", "r")}
    overflow = _overflow_layer({"peak": peaks}, dt)
    return Bounds(errors, _open(ref, kink_layer, overflow, lost_layer), form, dt)


def _cost_error(ref, F, e_a, e_z, u, h) -> float:
    """e(C) = Σ |∂C/∂a| e_a + (count + 1) u Σ |C_i| (softmax: Σ |y| (2 max e_z + n u |lse|))."""
    net, L = ref.network, ref.network.L
    C = abs(ball_float(ref.evaluation.cost))
    count = F["a"][L].size
    if net.softmax_output:
        spread = 2 * e_z[L].max(axis=0) + net.n(L) * u * (np.abs(F["z"][L]).max(axis=0) + 1)
        return float(np.sum(np.abs(F["y"]) * spread) + (count + 1) * u * C + count * h)
    return float(np.sum(np.abs(F["r"][L]) * e_a[L]) + (count + 1) * u * C + count * h)


def _shaped(ref, errors: dict) -> dict:
    """Each bound as a float array in its parameter's shape: W_l (n_l, n_{l-1}), b_l
    (n_l,), α_l () (a NaN from inf · 0 counts as inf where it is read)."""
    return {name: np.asarray(value, dtype=float) for name, value in errors.items()}


#: why a component is not judged (the values of ``Bounds.open``)
OPEN_REASONS = {1: "not judged: a unit lies within rounding of its kink (either branch is "
                   "right)",
                2: "not judged: a value on its path lies beyond the dtype's range",
                3: "not judged: the dtype's rounding moves a z on its path by more than 5 % "
                   "(an ill-conditioned forward pass: a correct implementation computes "
                   "another point)"}


def _overflow_layer(F, dt: DType) -> int:
    """The highest layer whose δ or ∂C/∂a lies beyond the dtype's largest number (every
    layer when the forward pass does): a correct implementation overflows there."""
    peak = F["peak"]
    L = len(peak["delta"]) - 1
    if max(peak["z"][1:] + peak["a"][1:]) > dt.huge:
        return L
    return next((l for l in range(L, 0, -1)
                 if max(peak["delta"][l], peak["r"][l]) > dt.huge), 0)


@lru_cache(maxsize=64)
def _layout(net) -> tuple:
    """(canonical name, layer, shape) of every parameter."""
    out = []
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        out.append((f"{kind}_{l}", l, net.parameter_shape(name)))
    return tuple(out)


@lru_cache(maxsize=256)
def _flags(shape: tuple, flag: int) -> np.ndarray:
    """A read-only array of ``flag`` in ``shape``, shared by every parameter of that shape."""
    out = np.full(shape, flag, dtype=int)
    out.flags.writeable = False
    return out


def _open(ref, kink_layer: int, overflow_layer: int, lost_layer: int) -> dict:
    """For every component: 0 judged, else the reason (:data:`OPEN_REASONS`).  A lost z
    loses every later z, and every gradient depends on some of them: nothing is judged."""
    if lost_layer:
        overflow_layer, lost_layer = min(overflow_layer, ref.network.L), ref.network.L
    out = {}
    for key, l, shape in _layout(ref.network):
        flag = 2 if l <= overflow_layer else 3 if l <= lost_layer else 1 if l <= kink_layer \
            else 0
        out[key] = _flags(shape, flag)
    out["cost"] = np.array(2 if overflow_layer == ref.network.L else 3 if lost_layer else 0)
    return out


def tolerances(ref: Reference, dtype="float64", *, safety: float = SAFETY,
               form: str = "stable") -> dict:
    """The relative tolerance SAFETY · e/|g| of every gradient (and ``"cost"``) for a
    correct ``dtype`` implementation: a float for a chain's scalars, an array in the
    parameter's shape otherwise; ``inf`` where a component is not judged or is 0 with a
    non-zero bound."""
    b = error_bounds(ref, dtype, form)
    out = {}
    for name in ref.names() + ["cost"]:
        key = "cost" if name == "cost" else "{}_{}".format(*ref.network.parameter(name))
        truth = np.vectorize(lambda x: abs(ball_float(x)), otypes=[float])(
            np.array(ref.ball(name), dtype=object))
        with np.errstate(all="ignore"):
            rel = np.where(b.open[key] > 0, np.inf, safety * b.errors[key] / truth)
        rel = np.nan_to_num(rel, nan=0.0, posinf=np.inf)
        out[name] = rel.item() if rel.ndim == 0 or (ref.network.is_chain and rel.size == 1) \
            else rel
    return out

