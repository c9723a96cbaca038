"""Numbers for dense networks: float64 backprop vectorized over a batch, an mpmath reference,
finite differences.

Arrays follow the batch convention of the material (one sample per row): ``x`` is
N × n_0, ``y`` is N × n_L, each layer's Z_l and A_l are N × n_l, while the parameters keep
the network's shapes (W_l is n_l × n_{l-1}, b_l has n_l entries, α_l is a number)::

    Z_l = A_{l-1} W_lᵀ + b_l                      (z_l = W_l a_{l-1} + b_l, row by row)
    Δ_L = ∇_{A_L} C ⊙ σ_L'(Z_L)                   (A_L − Y for softmax with cross-entropy)
    Δ_l = (Δ_{l+1} W_{l+1}) ⊙ σ_l'(Z_l)           (δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l))
    ∂C/∂W_l = Δ_lᵀ A_{l-1} = Σ_i δ_{l,i} a_{l-1,i}ᵀ,     ∂C/∂b_l = Σ_i δ_{l,i}

The cost is summed over the rows of the batch (C = Σ_i C_i).  Which factors each layer
carries is read from the :class:`~symgrad.derivation.Derivation` (a linear layer has no σ'
factor; a cancelling output pair such as sigmoid with cross-entropy uses the Derivation's
cancelled δ_L = a_L − y); σ and σ' are the activations' stable NumPy forms.

>>> from symgrad.model.network import Dense, Network
>>> net = Dense([2, 3, 2])
>>> params = random_parameters(net, seed=1)
>>> x, y = random_batch(net, 4, seed=2)
>>> g = gradients(net, params, x, y)
>>> sorted(g), g["W_1"].shape
(['W_1', 'W_2', 'b_1', 'b_2'], (3, 2))
>>> ref = gradients_mp(net, params, x, y)
>>> float(abs(g["W_1"] - np.array(ref["W_1"], dtype=float)).max()) < 1e-15
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from symgrad.model.activations import Activation
from symgrad.errors import UsageError
from symgrad.model.network import Dense, Network
from symgrad.derivation import Derivation, derive
from symgrad.model.activations import Softmax

__all__ = ["random_parameters", "random_batch", "check_parameters", "check_batch", "forward",
           "cost", "gradients", "gradients_mp", "gradients_mp_decimal", "cost_mp", "finite_differences",
           "compare_gradients", "TOLERANCES", "Plan", "plan", "DenseCheck", "check_dense"]

#: relative tolerances against the 50-digit reference, per dtype (named, as in jax's tests)
TOLERANCES = {"float64": 1e-12, "finite-differences": 1e-6}


# --- input checks -----------------------------------------------------------------------------

def _is_parameter(net, name) -> bool:
    try:
        net.parameter(name)
    except UsageError:
        return False
    return True


def check_parameters(net: Dense, params) -> dict:
    """``params`` as float64 arrays of the network's shapes, or a one-line :class:`UsageError`
    naming the array, the shape given and the shape expected."""
    if not isinstance(params, dict):
        raise UsageError(f"params={type(params).__name__}: must be a dict with keys "
                         f"{', '.join(net.parameter_names())}")
    names = net.parameter_names()
    given = {}
    for key, value in params.items():
        name = net.canonical(key) if _is_parameter(net, key) else key
        if name in given:
            raise UsageError(f"params: {name} given twice (as {key!r} too)")
        given[name] = value
    params = given
    missing = [n for n in names if n not in params]
    extra = [n for n in params if n not in names]
    if missing or extra:
        raise UsageError(f"params: keys {sorted(params)!r} given; expected exactly "
                         f"{', '.join(names)}")
    out = {}
    for name in names:
        want = net.parameter_shape(name)
        arr = np.asarray(params[name], dtype=float)
        if arr.shape != want:
            kind, l = net.parameter(name)
            what = {"W": f"(n_{l}, n_{l - 1})", "b": f"(n_{l},)", "alpha": "() (a number)"}[kind]
            raise UsageError(f"{name}: shape {arr.shape} given, expected {want} = {what}")
        out[name] = arr
    return out


def check_batch(net: Dense, x, y):
    """``x`` as N × n_0 and ``y`` as N × n_L float64 arrays (a single sample may be given
    as a vector), or a one-line :class:`UsageError`."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x = x[None, :] if x.ndim == 1 else x
    y = y[None, :] if y.ndim == 1 else y
    n0, nL = net.n(0), net.n(net.L)
    if x.ndim != 2 or x.shape[1] != n0:
        raise UsageError(f"x: shape {x.shape} given, expected (N, {n0}) = (samples, n_0)")
    if y.ndim != 2 or y.shape != (x.shape[0], nL):
        raise UsageError(f"y: shape {y.shape} given, expected ({x.shape[0]}, {nL}) = "
                         "(samples of x, n_L)")
    return x, y


def random_parameters(net: Dense, seed: int = 0, scale: str | float = "fan-in") -> dict:
    """Seeded N(0, s²) weights (s = 1/√n_{l-1} for ``"fan-in"``), N(0, 1) biases, α_l = 0.25."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        shape = net.parameter_shape(name)
        if kind == "alpha":
            out[name] = np.array(0.25)
        elif kind == "W":
            s = 1 / math.sqrt(net.n(l - 1)) if scale == "fan-in" else float(scale)
            out[name] = rng.normal(0.0, s, shape)
        else:
            out[name] = rng.normal(0.0, 1.0, shape)
    return out


def random_batch(net: Dense, samples: int, seed: int = 0):
    """Seeded inputs N(0, 1) and targets: one-hot rows for a softmax output, uniform in (0, 1)
    otherwise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, net.n(0)))
    nL = net.n(net.L)
    if net.softmax_output:
        y = np.eye(nL)[rng.integers(0, nL, samples)]
    else:
        y = rng.uniform(0.05, 0.95, (samples, nL))
    return x, y


# --- the plan: what each layer carries, read from the Derivation --------------------------

@dataclass(frozen=True)
class Plan:
    """Per layer: the activation, whether δ_l carries a σ' factor, and the output rule."""

    network: Dense
    activations: tuple
    has_sigma_prime: tuple
    #: "softmax", "cancelled" (δ_L a polynomial in a_L, y) or "product" (σ' ⊙ ∇C)
    output_rule: str
    #: the cancelled δ_L^j as a NumPy function of (a, y), where output_rule is "cancelled"
    output_delta: object = None


def plan(d: Derivation) -> Plan:
    """Read the evaluation plan off a derivation."""
    net = d.network
    has = tuple(not isinstance(net.sigma(l), Softmax) and d.sigma_prime(l, 1) != 1
                for l in net.layers)
    if net.softmax_output:
        return Plan(net, net.activations, has, "softmax")
    # δ^L_j = σ_L'(z^L_j) ∂C/∂a^L_j, written with a^L_j where the activation allows it
    act, L = net.sigma(net.L), net.L
    a, y = net.a_(L, 1), net.y_(1)
    in_a = act.derivative_in_a(a)
    if in_a is not None and has[-1]:
        dC = net.cost.derivative(a, y)
        cancelled = sp.factor(sp.cancel(in_a * dC))
        num, den = sp.fraction(sp.together(cancelled))
        if not den.free_symbols and sp.fraction(sp.together(dC))[1].free_symbols:
            f = sp.lambdify([a, y], cancelled, modules="numpy")
            return Plan(net, net.activations, has, "cancelled", f)
    return Plan(net, net.activations, has, "product")


@lru_cache(maxsize=256)
def _plan_of(net: Dense) -> Plan:
    return plan(derive(net))


def _as_plan(network_or_derivation) -> Plan:
    if isinstance(network_or_derivation, Derivation):
        return plan(network_or_derivation)
    if isinstance(network_or_derivation, Network):
        return _plan_of(network_or_derivation)
    if isinstance(network_or_derivation, Plan):
        return network_or_derivation
    raise UsageError(f"network={network_or_derivation!r}: must be a Dense network or its "
                     "Derivation")


# --- float64 ----------------------------------------------------------------------------------

def _softmax(z):
    # exp(z − max z) / Σ exp(z − max z): no overflow
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _sigma(act, z, alpha):
    return act.numpy(z, alpha) if act.parameter is not None else act.numpy(z)


def _sigma_prime(act, z, alpha):
    return act.numpy_derivative(z, alpha) if act.parameter is not None else act.numpy_derivative(z)


def _sigmoid_and_prime(z):
    # e = e^{-|z|} ∈ (0, 1], r = 1/(1 + e):  σ(z) = r (z ≥ 0) or e r (z < 0),  σ'(z) = e r²
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    er = e * r
    return np.where(z >= 0, r, er), er * r


def _tanh_and_prime(z):
    # tanh'(z) = sech²(z) = 4 e/(1 + e)², e = e^{-2|z|}: no 1 − tanh² cancellation
    e = np.exp(-2.0 * np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.tanh(z), 4.0 * e * r * r


#: σ and σ' from one exponential, for the activations where that saves work (same stable
#: formulas as the activation table's; the tests compare both with the 50-digit reference)
_FUSED = {"sigmoid": _sigmoid_and_prime, "tanh": _tanh_and_prime}


def _layer(act, z, alpha, need_prime: bool):
    """(a, σ'(z) or None) of one layer."""
    if need_prime and act.name in _FUSED:
        return _FUSED[act.name](z)
    a = _sigma(act, z, alpha)
    return a, (_sigma_prime(act, z, alpha) if need_prime else None)


def forward(net: Dense, params: dict, x, *, checked: bool = False):
    """[(Z_1, A_1), ..., (Z_L, A_L)] for a batch ``x`` (N × n_0)."""
    if not checked:
        params = check_parameters(net, params)
        x = np.asarray(x, dtype=float)
        x = x[None, :] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != net.n(0):
            raise UsageError(f"x: shape {x.shape} given, expected (N, {net.n(0)}) = (samples, n_0)")
    out, a = [], x
    for l in net.layers:
        act = net.sigma(l)
        z = a @ params[f"{net.weight_name}_{l}"].T + params[f"b_{l}"]      # z_l = W_l a_{l-1} + b_l
        a = _softmax(z) if isinstance(act, Softmax) else _sigma(act, z, params.get(f"alpha_{l}"))
        out.append((z, a))
    return out


def cost(net: Dense, params: dict, x, y) -> float:
    """C = Σ_i C_i over the batch, in float64."""
    params = check_parameters(net, params)
    x, y = check_batch(net, x, y)
    return _cost(net, params, x, y)


def _cost(net, params, x, y) -> float:
    z, a = forward(net, params, x, checked=True)[-1]
    if net.softmax_output:
        # −Σ y_j ln softmax_j(z) = −Σ y_j (z_j − m − ln Σ e^{z − m})
        m = z.max(axis=1, keepdims=True)
        log_s = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        return float(-(y * log_s).sum())
    return float(net.cost.numpy(a, y).sum())


def gradients(network, params: dict, x, y) -> dict:
    """∂C/∂θ for every parameter array (same shapes as ``params``), C summed over the batch.

    ``network`` is a :class:`~symgrad.derivation.Dense` network or its derivation."""
    p = _as_plan(network)
    net = p.network
    params = check_parameters(net, params)
    x, y = check_batch(net, x, y)
    return _backprop(p, params, x, y)


@lru_cache(maxsize=None)
def _slope_function(act: Activation):
    """∂σ/∂α as a NumPy function of (z, α), generated from the activation's expression."""
    return sp.lambdify([act.z, act.parameter], sp.diff(act.expression, act.parameter),
                       modules="numpy")


def _backprop(p: Plan, params, x, y) -> dict:
    net = p.network
    L = net.L
    # the forward pass, keeping a_l and σ_l'(z_l) of every layer that carries the factor
    a_out, primes, zs = [x], [], []
    a = x
    for l in net.layers:
        act = p.activations[l - 1]
        z = a @ params[f"{net.weight_name}_{l}"].T + params[f"b_{l}"]      # z_l = W_l a_{l-1} + b_l
        if isinstance(act, Softmax):
            a, prime = _softmax(z), None
        else:
            a, prime = _layer(act, z, params.get(f"alpha_{l}"), p.has_sigma_prime[l - 1])
        a_out.append(a)
        primes.append(prime)
        zs.append(z)
    grads = {}
    aL = a_out[-1]
    dC_da = None
    if p.output_rule == "softmax":
        delta = aL - y                                   # δ_L = a_L − y
    elif p.output_rule == "cancelled":
        delta = p.output_delta(aL, y)                    # sigmoid + cross-entropy: a_L − y
    else:
        dC_da = net.cost.numpy_derivative(aL, y)         # ∇_{a_L} C
        delta = dC_da if primes[-1] is None else dC_da * primes[-1]  # ∇_{a_L} C ⊙ σ_L'(z_L)
    for l in range(L, 0, -1):
        if net.has_slope(l):
            # ∂C/∂α_l = Σ_i Σ_j ∂a^l_j/∂α_l ∂C/∂a^l_j
            slope = _slope_function(p.activations[l - 1])(zs[l - 1], params[f"alpha_{l}"])
            grads[f"alpha_{l}"] = np.asarray(float((slope * dC_da).sum()))
        grads[f"{net.weight_name}_{l}"] = delta.T @ a_out[l - 1]         # Σ_i δ_{l,i} a_{l-1,i}ᵀ
        grads[f"b_{l}"] = delta.sum(axis=0)               # Σ_i δ_{l,i}
        if l > 1:
            dC_da = delta @ params[f"{net.weight_name}_{l}"]              # ∂C/∂a_{l-1} = W_lᵀ δ_l, row by row
            prime = primes[l - 2]                         # δ_{l-1} = (W_lᵀ δ_l) ⊙ σ'(z_{l-1})
            delta = dC_da if prime is None else dC_da * prime
    return {name: grads[name] for name in net.parameter_names()}


# --- mpmath reference -------------------------------------------------------------------------

def _mp_rows(arr) -> list:
    return [[mpmath.mpf(float(v)) for v in row] for row in np.atleast_2d(arr)]


def _mp_forward(net: Dense, P: dict, xs: list):
    """Per sample: [(z_l, a_l)] as lists of mpf, the recurrence at mpmath's precision."""
    out = []
    for x in xs:
        a, layers = x, []
        for l in net.layers:
            W, b, act = P[f"{net.weight_name}_{l}"], P[f"b_{l}"], net.sigma(l)
            z = [mpmath.fsum(W[j][k] * a[k] for k in range(len(a))) + b[j]
                 for j in range(len(b))]
            if isinstance(act, Softmax):
                m = max(z)
                e = [mpmath.exp(v - m) for v in z]
                s = mpmath.fsum(e)
                a = [v / s for v in e]
            else:
                alpha = P.get(f"alpha_{l}")
                a = [act.mp(v, alpha) for v in z]
            layers.append((z, a))
        out.append(layers)
    return out


def _mp_params(net: Dense, params: dict) -> dict:
    P = {}
    for name, arr in params.items():
        kind, _ = net.parameter(name)
        if kind == "W":
            P[name] = _mp_rows(arr)
        elif kind == "b":
            P[name] = [mpmath.mpf(float(v)) for v in arr]
        else:
            P[name] = mpmath.mpf(float(arr))
    return P


def cost_mp(net: Dense, params: dict, x, y, *, dps: int = 50):
    """C = Σ_i C_i at ``dps`` digits (the inputs taken exactly as the float64 values)."""
    params = check_parameters(net, params)
    x, y = check_batch(net, x, y)
    with mpmath.workdps(dps):
        return _cost_mp(net, _mp_params(net, params), _mp_rows(x), _mp_rows(y))


def _cost_mp(net, P, xs, ys):
    total = []
    for layers, yrow in zip(_mp_forward(net, P, xs), ys):
        z, a = layers[-1]
        if net.softmax_output:
            m = max(z)
            log_s = mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in z))
            total += [-yj * (zj - m - log_s) for yj, zj in zip(yrow, z)]
        else:
            total += [net.cost.mp(aj, yj) for aj, yj in zip(a, yrow)]
    return mpmath.fsum(total)


def gradients_mp(network, params: dict, x, y, *, dps: int = 50) -> dict:
    """The reference: the Derivation's recurrence evaluated at ``dps`` digits with the
    activations' and cost's mpmath forms (generated from their SymPy expressions).  Returns
    nested lists of ``mpf`` in the parameters' shapes (W_l as a list of rows)."""
    if isinstance(network, Derivation):
        network = network.network
    net = network
    if not isinstance(net, Network):
        raise UsageError(f"network={network!r}: must be a Dense network or its Derivation")
    params = check_parameters(net, params)
    x, y = check_batch(net, x, y)
    with mpmath.workdps(dps):
        return _mp_backprop(net, _mp_params(net, params), _mp_rows(x), _mp_rows(y))


def gradients_mp_decimal(network, params: dict, x, y, *, dps: int = 50) -> dict:
    """Like :func:`gradients_mp`, but the parameters and the batch are read exactly as
    given -- nested lists (W_l as rows, x and y as N rows) of decimal strings, ints,
    Fractions or ``mpf`` -- at ``dps`` digits, never through a float; the result also holds
    ``"cost"``.  This is what test vectors are computed from.

    >>> from symgrad.model.network import Dense
    >>> g = gradients_mp_decimal(Dense([1, 1], "linear"), {"w_1": [["0.1"]], "b_1": ["0"]},
    ...                          [["3"]], [["0"]], dps=30)
    >>> # z = 0.3 exactly as written, C = z²/2: ∂C/∂w = z a_0 = 0.9, ∂C/∂b = z, C = 0.045
    >>> [mpmath.nstr(v, 25) for v in (g["w_1"][0][0], g["b_1"][0], g["cost"])]
    ['0.9', '0.3', '0.045']
    """
    net = network.network if isinstance(network, Derivation) else network
    if not isinstance(net, Network):
        raise UsageError(f"network={network!r}: must be a Dense network or its Derivation")
    with mpmath.workdps(dps):
        def mp(v):   # a decimal string at this precision; ints and Fractions exactly
            if hasattr(v, "denominator") and not isinstance(v, bool):
                return mpmath.mpf(int(v.numerator)) / int(v.denominator)
            return mpmath.mpf(v)
        P = {}
        for name in net.parameter_names():
            kind, _ = net.parameter(name)
            v = params[name]
            P[name] = ([[mp(u) for u in row] for row in v] if kind == "W"
                       else [mp(u) for u in v] if kind == "b" else mp(v))
        xs = [[mp(u) for u in row] for row in x]
        ys = [[mp(u) for u in row] for row in y]
        G = _mp_backprop(net, P, xs, ys)
        G["cost"] = _cost_mp(net, P, xs, ys)
        return G


def _mp_backprop(net: Dense, P: dict, xs: list, ys: list) -> dict:
    """The backward recurrence at mpmath's current precision over mpf parameters ``P`` and
    samples ``xs``, ``ys`` (lists of rows)."""
    L = net.L
    G = {}
    for name in net.parameter_names():
        shape = net.parameter_shape(name)
        G[name] = ([[mpmath.mpf(0)] * shape[1] for _ in range(shape[0])] if len(shape) == 2
                   else [mpmath.mpf(0)] * shape[0] if shape else [mpmath.mpf(0)])
    for x_i, y_i, layers in zip(xs, ys, _mp_forward(net, P, xs)):
        zL, aL = layers[-1]
        act = net.sigma(L)
        if net.softmax_output:
            dC_da, delta = None, [a - t for a, t in zip(aL, y_i)]      # δ_L = a_L − y
        else:
            dC_da = [net.cost.mp_derivative(a, t) for a, t in zip(aL, y_i)]
            delta = [d * act.mp_derivative(z, P.get(f"alpha_{L}"))    # σ_L'(z) ∂C/∂a
                     for d, z in zip(dC_da, zL)]
        for l in range(L, 0, -1):
            a_prev = x_i if l == 1 else layers[l - 2][1]
            z_l = layers[l - 1][0]
            if net.has_slope(l):
                f = net.sigma(l)
                slope = [mpmath.diff(lambda al: f.mp(z, al), P[f"alpha_{l}"]) for z in z_l]
                G[f"alpha_{l}"][0] += mpmath.fsum(s * d for s, d in zip(slope, dC_da))
            Wg, bg = G[f"{net.weight_name}_{l}"], G[f"b_{l}"]
            for j, dj in enumerate(delta):
                bg[j] += dj                                             # δ^l_j
                row = Wg[j]
                for k, ak in enumerate(a_prev):
                    row[k] += ak * dj                                   # a^{l-1}_k δ^l_j
            if l > 1:
                W = P[f"{net.weight_name}_{l}"]
                act = net.sigma(l - 1)
                # ∂C/∂a^{l-1}_k = Σ_j w^l_{jk} δ^l_j;  δ^{l-1}_k = σ'(z^{l-1}_k) ∂C/∂a^{l-1}_k
                dC_da = [mpmath.fsum(W[j][k] * delta[j] for j in range(len(delta)))
                         for k in range(len(a_prev))]
                alpha = P.get(f"alpha_{l - 1}")
                delta = [d * act.mp_derivative(z, alpha)
                         for d, z in zip(dC_da, layers[l - 2][0])]
    for name in net.parameter_names():
        if net.parameter_shape(name) == ():
            G[name] = G[name][0]
    return G


# --- finite differences -----------------------------------------------------------------------

def finite_differences(net: Dense, params: dict, x, y, *, method: str = "central",
                       names=None) -> dict:
    """∂C/∂θ by differences of the float64 cost, every component of every array (or of
    ``names``): ``central`` (h = ε^{1/3} max(1, |θ|), error O(h²) + O(ε/h)) or ``richardson``
    (central at h and h/2 combined, error O(h⁴)).  An independent witness; its noise is
    about 1e-10 relative to the cost."""
    if method not in ("central", "richardson"):
        raise UsageError(f"method={method!r}: must be 'central' or 'richardson'")
    params = check_parameters(net, params)
    x, y = check_batch(net, x, y)
    eps = np.finfo(float).eps
    out = {}
    for name in (names or net.parameter_names()):
        net.parameter(name)
        base = params[name]
        g = np.zeros_like(base)
        flat, gflat = base.reshape(-1), g.reshape(-1)
        for idx in range(flat.size):
            theta = flat[idx]
            h = eps ** (1 / 3) * max(1.0, abs(theta)) * (2.0 if method == "richardson" else 1.0)

            def central(step):
                trial = dict(params)
                arr = base.copy().reshape(-1)
                arr[idx] = theta + step
                trial[name] = arr.reshape(base.shape)
                up = _cost(net, trial, x, y)
                arr[idx] = theta - step
                trial[name] = arr.reshape(base.shape)
                return (up - _cost(net, trial, x, y)) / (2 * step)

            gflat[idx] = central(h) if method == "central" else \
                (4 * central(h / 2) - central(h)) / 3
        out[name] = g
    return out


def compare_gradients(numeric: dict, reference: dict) -> dict:
    """Per array: max_j |g_j − r_j| / max_j |r_j|, the error relative to the array's scale
    (a component that is tiny beside its neighbours does not dominate), with the reference
    given as nested ``mpf`` lists or arrays.

    >>> round(compare_gradients({"b_1": np.array([1.0, 2.002])}, {"b_1": [1, 2]})["b_1"], 9)
    0.001
    """
    out = {}
    for name, g in numeric.items():
        r = np.array(reference[name], dtype=object).reshape(-1)
        g = np.asarray(g, dtype=float).reshape(-1)
        if r.shape != g.shape:
            raise UsageError(f"{name}: {g.size} numeric components against {r.size} in the reference")
        err = max((abs(mpmath.mpf(float(gv)) - mpmath.mpf(rv)) for gv, rv in zip(g, r)),
                  default=mpmath.mpf(0))
        scale = max((abs(mpmath.mpf(rv)) for rv in r), default=mpmath.mpf(0))
        out[name] = float(err / scale) if scale else float(err)
    return out


# --- a check report ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DenseCheck:
    """float64 backprop and finite differences against the high-precision reference, per
    point and parameter array (errors relative to the array's largest reference entry)."""

    network: Dense
    rows: tuple          # (point, array, float64 error, finite-difference error)
    digits: int
    samples: int

    @property
    def passed(self) -> bool:
        return all(f64 < TOLERANCES["float64"] and fd < TOLERANCES["finite-differences"]
                   for _, _, f64, fd in self.rows)

    def as_dict(self) -> dict:
        return {"network": self.network.describe(), "digits": self.digits,
                "batch": self.samples, "tolerances": dict(TOLERANCES), "passed": self.passed,
                "results": [{"point": p, "parameter": n, "float64_error": f, "fd_error": fd,
                             "status": "pass" if f < TOLERANCES["float64"]
                             and fd < TOLERANCES["finite-differences"] else "fail"}
                            for p, n, f, fd in self.rows]}

    def text(self) -> str:
        out = [f"{self.network!r}: float64 backprop and Richardson finite differences against "
               f"the {self.digits}-digit reference, batch of {self.samples}",
               f"{'point':>5}  {'array':<9} {'float64 err':>11} {'fd err':>9}  status"]
        for p, n, f, fd in self.rows:
            ok = f < TOLERANCES["float64"] and fd < TOLERANCES["finite-differences"]
            out.append(f"{p:>5}  {n:<9} {f:11.2e} {fd:9.2e}  {'pass' if ok else 'FAIL'}")
        out.append(f"{'passed' if self.passed else 'FAILED'} (float64 within "
                   f"{TOLERANCES['float64']:g}, finite differences within "
                   f"{TOLERANCES['finite-differences']:g}, relative to each array's scale)")
        return "\n".join(out) + "\n"


def check_dense(d, *, points: int = 3, seed: int = 0, digits: int = 50,
                samples: int | None = None) -> DenseCheck:
    """Check every gradient array of a dense network at ``points`` seeded random points
    (parameters by :func:`random_parameters`, a batch by :func:`random_batch` of the
    network's ``samples`` rows unless ``samples`` is given).

    >>> from symgrad.model.network import Dense
    >>> check_dense(Dense([3, 4, 2], "tanh"), points=1).passed
    True
    """
    net = d.network if isinstance(d, Derivation) else d
    n = samples or net.samples
    rows = []
    for p in range(points):
        params = random_parameters(net, seed=seed + 2 * p)
        x, y = random_batch(net, n, seed=seed + 2 * p + 1)
        ref = gradients_mp(net, params, x, y, dps=digits)
        f64 = compare_gradients(gradients(net, params, x, y), ref)
        fd = compare_gradients(finite_differences(net, params, x, y, method="richardson"), ref)
        rows += [(p, name, f64[name], fd[name]) for name in net.parameter_names()]
    return DenseCheck(network=net, rows=tuple(rows), digits=digits, samples=n)
