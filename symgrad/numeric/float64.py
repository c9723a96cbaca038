"""Generated float64 (or float32) backprop: one layer loop for every network, read off the
derivation (which layers carry a σ' factor, the output rule), with one stable σ and σ' per
activation (:mod:`symgrad.model.stable`; custom expressions through
:func:`~symgrad.model.stable.stable_float`)::

    forward:   z_l = W_l a_{l-1} + b_l,   a_l = σ_l(z_l)
    backward:  δ_L = ∇_{a_L} C ⊙ σ_L'(z_L)  (a_L − y for softmax, and where it cancels)
               δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l)
               ∂C/∂b_l = Σ_i δ_{l,i},  ∂C/∂W_l = Σ_i δ_{l,i} a_{l-1,i}ᵀ,
               ∂C/∂α_l = Σ_i (∂a_l/∂α_l)ᵀ ∂C/∂a_l

Two layouts share the loop: *samples* (any network: the parameters in their shapes, rows of
``x`` are the samples the loss sums over: matrix products) and *points* (a chain: every value
an array over a batch of points, each its own chain: elementwise products).

>>> from symgrad.model.network import Chain, Dense
>>> from symgrad.derivation import derive
>>> f = compile_numpy(derive(Chain(depth=2)))
>>> point = {"w_1": 0.5, "b_1": -0.25, "w_2": 1.5, "b_2": 0.125}
>>> float(f(point, {"a_0": 1.0, "y": 0.0})["b_1"])    # doctest: +ELLIPSIS
0.0533774567138189...
>>> g = gradients(Dense([2, 3, 2]), {"W_1": np.ones((3, 2)), "b_1": np.zeros(3),
...               "W_2": np.ones((2, 3)), "b_2": np.zeros(2)}, [[1.0, -1.0]], [[0.5, 0.5]])
>>> g["W_1"].shape, round(float(g["b_2"][0]), 9)      # (σ(3/2) − 1/2) σ'(3/2)
((3, 2), 0.047365106)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

import numpy as np
import sympy as sp

from symgrad.derivation import Derivation
from symgrad.errors import UsageError
from symgrad.model import stable
from symgrad.model.activations import ACTIVATIONS, Activation, Softmax
from symgrad.model.costs import COSTS
from symgrad.numeric.forward import forward
from symgrad.numeric.points import network_of, parse_batch, parse_parameters

__all__ = ["UnitForms", "unit_forms", "cost_forms", "NumpyGradients", "compile_numpy",
           "gradients"]

#: σ and σ' from one exponential, keyed by the table's σ' (the same formula)
_FUSED = {stable.sigmoid_prime: stable.sigmoid_with_prime, stable.tanh_prime: stable.tanh_with_prime}
_MODULES = [stable.STABLE_NUMPY, stable.ERF_NUMPY, "numpy"]


def _generated(args, expr: sp.Expr) -> Callable:
    """A custom expression as stable NumPy code, returning an array of its input's type."""
    f = sp.lambdify(args, stable.stable_float(expr), modules=_MODULES)

    def evaluate(*values):
        values = [stable.floating(v) for v in values]
        with np.errstate(all="ignore"):
            out = np.asarray(f(*values))
        kind = np.result_type(*values)
        return np.broadcast_to(out.astype(kind, copy=False), np.broadcast_shapes(
            *(np.shape(v) for v in values))).copy()

    return evaluate


@dataclass(frozen=True)
class UnitForms:
    """σ, σ', (σ, σ') in one pass, and ∂σ/∂α (PReLU) of one activation, for arrays."""

    value: Callable
    derivative: Callable
    with_derivative: Callable
    slope: Callable | None


@lru_cache(maxsize=None)
def unit_forms(act: Activation) -> UnitForms:
    """The float forms of an activation: the table's stable forms for a built-in, stable
    code generated from the expression for a custom one."""
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    slope = _generated(args, sp.diff(act.expression, act.parameter)) if act.parameter else None
    if ACTIVATIONS.get(act.name) is act and not act.name.startswith("custom:"):
        f, df = act.numpy, act.numpy_derivative
    else:
        f, df = _generated(args, act.expression), _generated(args, act.derivative_expression)
    both = _FUSED.get(df) or (lambda *z: (f(*z), df(*z)))
    return UnitForms(f, df, both, slope)


@lru_cache(maxsize=None)
def cost_forms(cost) -> tuple[Callable, Callable]:
    """C(a, y) and ∂C/∂a for arrays: the table's forms, or stable generated code."""
    if COSTS.get(cost.name) is cost and not cost.name.startswith("custom:"):
        return cost.numpy, cost.numpy_derivative
    return (_generated([cost.a, cost.y], cost.expression),
            _generated([cost.a, cost.y], cost.derivative_expression))


def _softmax(z):
    # exp(z − max z) / Σ exp(z − max z) along the units: no overflow
    e = np.exp(z - z.real.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _cancelled_output_delta(d: Derivation) -> Callable | None:
    """δ^L_j(a, y) where σ_L' written with a_L cancels the division in ∂C/∂a (sigmoid with
    cross-entropy: a_L − y), else None."""
    net = d.network
    act, L = net.sigma(net.L), net.L
    if isinstance(act, Softmax) or act.derivative_in_a(net.a_(L)) is None or act.is_linear:
        return None
    a, y = net.a_(L, 1), net.y_(1)
    dC = net.cost.derivative(a, y)
    cancelled = sp.factor(sp.cancel(act.derivative_in_a(a) * dC))
    if sp.fraction(sp.together(cancelled))[1].free_symbols or \
            not sp.fraction(sp.together(dC))[1].free_symbols:
        return None
    return sp.lambdify([a, y], cancelled, modules="numpy")


class NumpyGradients:
    """float64 (or float32) gradients of a derivation; see the module's description.

    ``f(parameters, inputs)`` returns ``{"cost": C, name: ∂C/∂name, ...}``: for a chain every
    value may be an array over a batch of points (all broadcast to one shape); for any other
    network the parameters have their shapes and ``a_0``, ``y`` hold the samples as rows.
    """

    def __init__(self, d: Derivation, dtype=np.float64):
        if not isinstance(d, Derivation):
            raise UsageError(f"derivation={d!r}: must be a Derivation (symgrad.derive(...))")
        net = self.network = d.network
        self.derivation, self.L, self.dtype = d, d.L, np.dtype(dtype)
        self.parameter_names = net.parameter_names()
        self.units = [None] + [None if isinstance(net.sigma(l), Softmax) else unit_forms(net.sigma(l))
                               for l in net.layers]
        self.has_prime = [None] + [self.units[l] is not None and d.sigma_prime(l) != 1
                                   for l in net.layers]
        self.cost, self.cost_derivative = (None, None) if net.softmax_output else cost_forms(net.cost)
        self.cancelled = None if net.softmax_output else _cancelled_output_delta(d)
        self.w = net.weight_name
        self.shapes = {n: net.parameter_shape(n) for n in self.parameter_names}
        #: the names of W_l, b_l and α_l (None without a slope), l = 1..L
        self.layer_names = ([f"{self.w}_{l}" for l in net.layers], [f"b_{l}" for l in net.layers],
                            [f"alpha_{l}" if net.has_slope(l) else None for l in net.layers])

    def __repr__(self) -> str:
        return f"NumpyGradients({self.network!r}, dtype={self.dtype.name})"

    # -- the layer loop -----------------------------------------------------------------------
    def _unit(self, alpha: list, need_prime: bool):
        def unit(l, z):
            forms = self.units[l]
            if forms is None:
                return _softmax(z), None
            args = (z,) if alpha[l] is None else (z, alpha[l])
            if need_prime and self.has_prime[l]:
                return forms.with_derivative(*args)
            return forms.value(*args), None
        return unit

    def _output_delta(self, a_L, y, sigma_prime):
        """δ_L, and ∇_{a_L} C where it was computed."""
        if self.cost is None:
            return a_L - y, None                              # softmax: δ_L = a_L − y
        if self.cancelled is not None:
            return self.cancelled(a_L, y), None               # sigmoid + cross-entropy
        dC_da = self.cost_derivative(a_L, y)                  # ∇_{a_L} C
        return (dC_da if sigma_prime is None else dC_da * sigma_prime), dC_da  # ⊙ σ_L'(z_L)

    def backprop(self, W: list, b: list, alpha: list, x, y, elementwise: bool, trace=None,
                 out=None):
        """(C, {name: ∂C/∂name}) over the layer loop; ``trace`` (a list) receives
        (z_l, a_l, δ_l, ∂C/∂a_l) for l = L..1.  With ``out`` (points: an array of one row per
        parameter, in ``parameter_names`` order) the gradients are written into its rows."""
        layers = forward(W, b, x, self._unit(alpha, True), elementwise)
        a = [x] + [a for _, a, _ in layers]
        z, L = [None] + [z for z, _, _ in layers], self.L
        total = (lambda v: v) if elementwise else np.sum
        with np.errstate(all="ignore"):
            cost = total(self.cost_rows(z[L], a[L], y))
        delta, dC_da = self._output_delta(a[L], y, layers[L - 1][2])
        grads = {} if out is None else {n: out[k] for k, n in enumerate(self.parameter_names)}
        for l in range(L, 0, -1):
            if l < L:
                dC_da = delta * W[l + 1] if elementwise else delta @ W[l + 1]  # W_{l+1}ᵀ δ_{l+1}
                s = layers[l - 1][2]
                delta = dC_da if s is None else dC_da * s       # ⊙ σ_l'(z_l)
            if trace is not None:
                trace.append((z[l], a[l], delta, dC_da))
            if out is not None:                                  # ∂C/∂b_l = δ_l, ∂C/∂w_l = a_{l-1} δ_l
                grads[f"b_{l}"][...] = delta
                np.multiply(a[l - 1], delta, out=grads[f"{self.w}_{l}"])
            else:
                grads[f"b_{l}"] = delta if elementwise else delta.sum(axis=0)
                grads[f"{self.w}_{l}"] = a[l - 1] * delta if elementwise else delta.T @ a[l - 1]
            if alpha[l] is not None:
                if dC_da is None:
                    dC_da = self.cost_derivative(a[L], y)
                slope = self.units[l].slope(z[l], alpha[l]) * dC_da  # ∂a_l/∂α_l ∂C/∂a_l
                if out is not None:
                    grads[f"alpha_{l}"][...] = slope
                else:
                    grads[f"alpha_{l}"] = slope if elementwise else slope.sum()
        return cost, grads

    def cost_rows(self, z_L, a_L, y):
        """C per point (points) or per entry (samples); softmax as −Σ y (z − log Σ e^z)."""
        if self.cost is None:
            m = z_L.real.max(axis=-1, keepdims=True)
            log_s = z_L - m - np.log(np.exp(z_L - m).sum(axis=-1, keepdims=True))
            return -(y * log_s)
        return self.cost(a_L, y)

    # -- the two layouts ----------------------------------------------------------------------
    def arrays(self, params: Mapping) -> tuple[list, list, list]:
        """W_l, b_l, α_l (index 1..L) from a mapping of the parameters."""
        return tuple([None] + [None if n is None else params[n] for n in names]
                     for names in self.layer_names)

    def samples(self, params: Mapping, x, y, trace=None) -> dict:
        """``{"cost": C, name: ∂C/∂name}``, parameters in their shapes, samples as rows."""
        net = self.network
        params = parse_parameters(net, params, self.dtype)
        x, y = parse_batch(net, x, y, self.dtype)
        with np.errstate(all="ignore"):
            cost, grads = self.backprop(*self.arrays(params), x, y, False, trace)
        return {"cost": cost, **{n: np.asarray(grads[n]).reshape(self.shapes[n])
                                 for n in self.parameter_names}}

    def points(self, parameters: Mapping, inputs: Mapping) -> tuple[dict, tuple]:
        """A chain's gradients over a batch of points: (``{name: array}``, batch shape, the
        gradients as one array of a row per parameter)."""
        v = _broadcast_values(self.network, parameters, inputs, self.dtype)
        shape = np.shape(v["a_0"])
        rows = np.empty((len(self.parameter_names),) + shape, dtype=self.dtype)
        with np.errstate(all="ignore"):
            cost, grads = self.backprop(*self.arrays(v), v["a_0"], v["y"], True, out=rows)
        return {"cost": np.broadcast_to(cost, shape), **grads}, shape, rows

    def __call__(self, parameters: Mapping, inputs: Mapping) -> dict:
        if not self.network.is_chain:
            return self.samples(parameters, inputs["a_0"], inputs["y"])
        out, shape, _ = self.points(parameters, inputs)
        return {n: (v.reshape(()) if shape == (1,) and v.shape == (1,) else v) for n, v in out.items()}

    def packed(self, parameters: Mapping, inputs: Mapping) -> tuple[np.ndarray, np.ndarray]:
        """A chain's ``(cost, G)``: the cost as a ``(batch,)`` array and the gradients as a
        ``(batch, parameters)`` array, columns in ``parameter_names`` order."""
        out, shape, rows = self.points(parameters, inputs)
        flat = int(np.prod(shape))
        return out["cost"].reshape(flat), rows.reshape(len(rows), flat).T


def _broadcast_values(net, parameters: Mapping, inputs: Mapping, dtype) -> dict:
    """Every value of a chain's batch of points as an array of one broadcast shape."""
    if not net.is_chain:
        raise UsageError(f"network={net!r}: a batch of points is for chains; give the "
                         "parameters in their shapes and the samples as rows")
    names = net.parameter_names()
    known = set(names) | {"a_0", "y"}
    vals = {}
    for name, value in list(parameters.items()) + list(inputs.items()):
        key = name if name in known else net.canonical(name)
        try:
            vals[key] = np.asarray(value, dtype=dtype)
        except (TypeError, ValueError):
            raise UsageError(f"{name}={value!r}: must be a float or an array of floats") from None
        if not np.isfinite(vals[key].sum()) and not np.all(np.isfinite(vals[key])):
            raise UsageError(f"{name}: must be finite (found inf or nan)")
    for name in names + ["a_0", "y"]:
        if name not in vals:
            what = "input" if name in ("a_0", "y") else "parameter"
            raise UsageError(f"{what}={name!r}: missing")
    try:
        shape = np.broadcast_shapes(*(np.shape(v) for v in vals.values())) or (1,)
    except ValueError:
        shapes = ", ".join(f"{n}{np.shape(v)}" for n, v in vals.items() if np.ndim(v))
        raise UsageError(f"shapes={shapes}: must broadcast to one batch shape") from None
    vals["a_0"] = np.broadcast_to(vals["a_0"], shape)
    return vals


def compile_numpy(d: Derivation, dtype=np.float64) -> NumpyGradients:
    """float64 (or float32) gradients generated from ``d``: see :class:`NumpyGradients`.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> f = compile_numpy(derive(Chain(depth=2, cost="cross-entropy")))
    >>> g = f({"w_1": 1.0, "b_1": 0.0, "w_2": 1.0, "b_2": 1e4}, {"a_0": 0.0, "y": 0.25})
    >>> float(g["b_2"])                 # δ_L = a_L − y: finite although a_L rounds to 1
    0.75
    """
    return NumpyGradients(d, dtype)


@lru_cache(maxsize=64)
def _compiled(net, dtype) -> NumpyGradients:
    from symgrad.derivation import derive
    return NumpyGradients(derive(net), dtype)


def gradients(network, params: Mapping, x, y, *, dtype=np.float64) -> dict:
    """∂C/∂θ for every parameter (same shapes as ``params``), C summed over the rows of
    ``x`` and ``y``; ``network`` is a Network or its Derivation."""
    if isinstance(network, Derivation):
        f = NumpyGradients(network, dtype)
    else:
        f = _compiled(network_of(network), np.dtype(dtype))
    out = f.samples(params, x, y)
    out.pop("cost")
    return out
