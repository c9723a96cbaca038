"""Other people's backpropagation, for the oracle to judge.

* :class:`Backprop` is backpropagation through a one-neuron chain written by hand in NumPy,
  the textbook way (σ' from the unit's output where the textbook does so: sigmoid
  ``a(1 - a)``, tanh ``1 - a²``), vectorised over a batch of points::

      δ_L = σ_L'(z_L) ∂C/∂a_L
      δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}
      ∂C/∂b_l = δ_l,   ∂C/∂w_l = a_{l-1} δ_l,   ∂C/∂α_l = ∂a_l/∂α_l · w_{l+1} δ_{l+1}

* :data:`MUTANTS` are deliberately wrong variants of it, one bug each, each a subclass that
  overrides the one step it gets wrong.
* :class:`StableBackprop` is the same recurrence with the stable σ' of the activation table
  (e^{-|z|}/(1 + e^{-|z|})², 4e^{-2|z|}/(1 + e^{-2|z|})², ...), in float64 or float32;
  :class:`DenseBackprop` is the stable recurrence for dense layers (NumPy matrices).
* :func:`torch_autograd` and :func:`jax_autograd` are PyTorch's and JAX's autograd on the same
  chain (imported lazily); :func:`results_for` runs an implementation on every case of a
  vector document and returns its results document.

Every implementation takes ``(params, inputs)`` as dicts of arrays keyed ``"w_1"``, ``"b_1"``,
``"alpha_1"``, ``"a_0"``, ``"y"`` (one entry per point of the batch) and returns a dict of
arrays keyed ``"cost"`` and by parameter name.

>>> from symgrad.model.network import Chain
>>> net = Chain(depth=2)
>>> params = {"w_1": np.array([0.5]), "b_1": np.array([0.0]),
...           "w_2": np.array([2.0]), "b_2": np.array([-1.0])}
>>> inputs = {"a_0": np.array([0.0]), "y": np.array([1.0])}
>>> g = Backprop(net)(params, inputs)
>>> float(g["b_2"][0])      # z_2 = 2 σ(0) - 1 = 0: δ_2 = σ'(0)(σ(0) - 1) = 1/4 · (-1/2)
-0.125
>>> float(g["b_1"][0])      # δ_1 = σ'(0) w_2 δ_2 = 1/4 · 2 · (-1/8)
-0.0625
>>> float(MUTANTS["sign_error"](net)(params, inputs)["b_1"][0])
0.0625
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from symgrad.model.activations import SELU_ALPHA, SELU_LAMBDA
from symgrad.model.network import Chain

__all__ = ["Backprop", "StableBackprop", "DenseBackprop", "MUTANTS", "torch_autograd",
           "jax_autograd", "textbook_sigma_prime", "stack_batch", "results_for",
           "chain_batch"]

_SELU_L = float(SELU_LAMBDA)
_SELU_A = float(SELU_ALPHA)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_erf = np.vectorize(math.erf, otypes=[float])


def _Phi(z):
    # Φ(z) = (1 + erf(z/√2))/2
    return 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))


def textbook_sigma_prime(name: str, z, a, alpha=None):
    """σ'(z) the way a textbook (and PyTorch's autograd) writes it, from z and a = σ(z);
    ``None`` for an activation the table does not know (custom ones)."""
    with np.errstate(over="ignore"):
        if name == "sigmoid":
            return a * (1.0 - a)                         # σ' = a(1 - a)
        if name == "tanh":
            return 1.0 - a * a                           # tanh' = 1 - a²
        if name == "relu":
            return (z > 0).astype(z.dtype)               # 1 for z > 0, 0 at and below the kink
        if name == "leaky_relu":
            return np.where(z > 0, 1.0, 0.01).astype(z.dtype)
        if name == "prelu":
            return np.where(z > 0, 1.0, alpha).astype(z.dtype)
        if name == "linear":
            return np.ones_like(z)
        if name == "softplus":
            return 1.0 / (1.0 + np.exp(-z))              # softplus' = σ(z)
        if name == "elu":
            return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))).astype(z.dtype)
        if name == "selu":
            return np.where(z > 0, _SELU_L, _SELU_L * _SELU_A * np.exp(np.minimum(z, 0.0)))
        if name == "silu":
            s = 1.0 / (1.0 + np.exp(-z))
            return s * (1.0 + z * (1.0 - s))             # silu' = σ(z)(1 + z(1 - σ(z)))
        if name == "gelu":
            return _Phi(z) + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)   # Φ(z) + z φ(z)
        if name == "gelu_tanh":    # (1 + tanh u)/2 + z (1 − tanh² u) u'/2, as PyTorch writes it
            c = np.sqrt(2.0 / np.pi)
            t = np.tanh(c * (z + 0.044715 * z ** 3))
            return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * z * z)
    return None


def stack_batch(net: Chain, params: Mapping, inputs: Mapping, dtype=np.float64):
    """(w, b, alpha, a_0, y) as arrays, w[l-1] the batch of w_l; alpha is 1 where unused."""
    L = net.depth
    w = np.stack([np.asarray(params[f"w_{l}"], dtype=dtype) for l in range(1, L + 1)])
    b = np.stack([np.asarray(params[f"b_{l}"], dtype=dtype) for l in range(1, L + 1)])
    alpha = np.stack([np.asarray(params[f"alpha_{l}"], dtype=dtype) if net.has_slope(l)
                      else np.ones_like(b[l - 1]) for l in range(1, L + 1)])
    return (w, b, alpha, np.asarray(inputs["a_0"], dtype=dtype),
            np.asarray(inputs["y"], dtype=dtype))


class Backprop:
    """Correct backpropagation through a chain, by hand, vectorised over points.

    Subclasses (the mutants) override exactly one step; ``bug`` says which, in words.
    """

    bug = "none: the correct recurrence"
    dtype = np.float64

    def __init__(self, net: Chain, dtype=None):
        self.net = net
        if dtype is not None:
            self.dtype = np.dtype(dtype).type

    # -- the local rules, one method each -------------------------------------------------
    def sigma_prime(self, l: int, z, a, alpha):
        """σ_l'(z_l)."""
        act = self.net.sigma(l)
        out = textbook_sigma_prime(act.name, z, a, alpha)
        if out is None:  # a custom activation: its own NumPy derivative
            out = act.numpy_derivative(z)
        return np.asarray(out, dtype=z.dtype)

    def cost_prime(self, a_L, y):
        """∂C/∂a_L."""
        name = self.net.cost.name
        if name == "quadratic":
            return a_L - y                               # C = ½(a - y)²
        if name == "cross-entropy":
            return (a_L - y) / (a_L * (1.0 - a_L))       # C = -[y ln a + (1 - y) ln(1 - a)]
        return np.asarray(self.net.cost.numpy_derivative(a_L, y), dtype=a_L.dtype)

    def output_delta(self, sp_L, dC_da):
        """δ_L = σ_L'(z_L) ∂C/∂a_L."""
        return sp_L * dC_da

    def hidden_delta(self, l: int, sp, w, delta_next):
        """δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}; ``sp[l]`` is σ_l'(z_l), ``w[l]`` is w_l."""
        return sp[l] * w[l + 1] * delta_next

    def grad_b(self, l: int, delta, a):
        """∂C/∂b_l = δ_l."""
        return delta[l]

    def grad_w(self, l: int, delta, a):
        """∂C/∂w_l = a_{l-1} δ_l."""
        return a[l - 1] * delta[l]

    def grad_alpha(self, l: int, z, dC_da_l):
        """∂C/∂α_l = ∂a_l/∂α_l ∂C/∂a_l, with ∂a_l/∂α_l = z_l for z_l ≤ 0, else 0."""
        return np.where(z[l] > 0, 0.0, z[l]) * dC_da_l

    # -- the passes -----------------------------------------------------------------------
    def forward(self, w, b, alpha, a0):
        """z_l = w_l a_{l-1} + b_l, a_l = σ_l(z_l); lists indexed by layer (z[0] unused)."""
        z, a = [None], [a0]
        for l in range(1, self.net.depth + 1):
            act = self.net.sigma(l)
            z_l = w[l - 1] * a[l - 1] + b[l - 1]
            a_l = act.numpy(z_l, alpha[l - 1]) if act.parameter is not None else act.numpy(z_l)
            z.append(z_l)
            a.append(np.asarray(a_l, dtype=self.dtype))
        return z, a

    def __call__(self, params: Mapping, inputs: Mapping) -> dict:
        net, L = self.net, self.net.depth
        w, b, alpha, a0, y = stack_batch(net, params, inputs, self.dtype)
        # index by layer: w[l] is w_l
        w = np.concatenate([np.zeros_like(w[:1]), w])
        alpha = np.concatenate([np.ones_like(alpha[:1]), alpha])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            z, a = self.forward(w[1:], b, alpha[1:], a0)
            sp = [None] + [self.sigma_prime(l, z[l], a[l], alpha[l]) for l in range(1, L + 1)]
            dC_da = self.cost_prime(a[L], y)
            delta = [None] * (L + 1)
            delta[L] = self.output_delta(sp[L], dC_da)
            for l in range(L - 1, 0, -1):
                delta[l] = self.hidden_delta(l, sp, w, delta[l + 1])
            out = {"cost": np.asarray(net.cost.numpy(a[L], y), dtype=np.float64)}
            for l in range(L, 0, -1):
                out[f"b_{l}"] = self.grad_b(l, delta, a)
            for l in range(L, 0, -1):
                out[f"w_{l}"] = self.grad_w(l, delta, a)
            for l in range(L, 0, -1):
                if net.has_slope(l):
                    # ∂C/∂a_l = w_{l+1} δ_{l+1}, or ∂C/∂a_L at the output
                    dC_da_l = dC_da if l == L else w[l + 1] * delta[l + 1]
                    out[f"alpha_{l}"] = self.grad_alpha(l, z, dC_da_l)
        return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


class StableBackprop(Backprop):
    """The correct recurrence with the activation table's stable σ' (any float dtype)."""

    bug = "none: the stable forms"

    def sigma_prime(self, l, z, a, alpha):
        act = self.net.sigma(l)
        out = act.numpy_derivative(z, alpha) if act.parameter is not None \
            else act.numpy_derivative(z)
        return np.asarray(out, dtype=z.dtype)

    def cost_prime(self, a_L, y):
        return np.asarray(super().cost_prime(a_L, y), dtype=a_L.dtype)


# --- the mutants: one wrong step each ----------------------------------------------------------

class MissingSigmaPrime(Backprop):
    bug = "missing σ': δ_l = w_{l+1} δ_{l+1} in the hidden layers"

    def hidden_delta(self, l, sp, w, delta_next):
        return w[l + 1] * delta_next


class OutputForInput(Backprop):
    bug = "a_l in place of a_{l-1}: ∂C/∂w_l = a_l δ_l"

    def grad_w(self, l, delta, a):
        return a[l] * delta[l]


class OffByOneLayer(Backprop):
    bug = "off-by-one layer: δ_l = σ'(z_{l+1}) w_{l+1} δ_{l+1}"

    def hidden_delta(self, l, sp, w, delta_next):
        return sp[l + 1] * w[l + 1] * delta_next


class SignError(Backprop):
    bug = "sign error: ∂C/∂a_L = y - a_L"

    def cost_prime(self, a_L, y):
        return -super().cost_prime(a_L, y)


class OwnWeight(Backprop):
    bug = "w_l in place of w_{l+1}: δ_l = σ'(z_l) w_l δ_{l+1}"

    def hidden_delta(self, l, sp, w, delta_next):
        return sp[l] * w[l] * delta_next


class DroppedCostDerivative(Backprop):
    bug = "dropped ∂C/∂a_L: δ_L = σ'(z_L)"

    def output_delta(self, sp_L, dC_da):
        return sp_L


class Float32RoundTrip(Backprop):
    bug = "float32 round-trip: the whole pass in float32, returned as float64"
    dtype = np.float32

    def sigma_prime(self, l, z, a, alpha):
        return super().sigma_prime(l, z, a, alpha).astype(np.float32)


class OneLayerOff(Backprop):
    bug = "0.1% error in one layer: δ_l of the middle layer times 1.001"

    def hidden_delta(self, l, sp, w, delta_next):
        delta = super().hidden_delta(l, sp, w, delta_next)
        return delta * 1.001 if l == (self.net.depth + 1) // 2 else delta


class NegativeBranch(Backprop):
    bug = "bug only for z < 0: the stable σ' branch e^z/(1 + e^z) lost its square"

    def sigma_prime(self, l, z, a, alpha):
        correct = super().sigma_prime(l, z, a, alpha)
        if self.net.sigma(l).name != "sigmoid":
            return correct
        e = np.exp(np.minimum(z, 0.0))
        return np.where(z < 0, e / (1.0 + e), correct)


class BiasTimesInput(Backprop):
    bug = "copy-paste: ∂C/∂b_l = a_{l-1} δ_l"

    def grad_b(self, l, delta, a):
        return a[l - 1] * delta[l]


class SigmaPrimeOfOutput(Backprop):
    bug = "σ' at the output: σ'(a_l) in place of σ'(z_l)"

    def sigma_prime(self, l, z, a, alpha):
        # σ'(σ(z)): the classic sigmoid_prime(sigmoid(z))
        return super().sigma_prime(l, a, self.net.sigma(l).numpy(a), alpha)


class MissingBias(Backprop):
    bug = "σ' without the bias: σ'(w_l a_{l-1}) in place of σ'(w_l a_{l-1} + b_l)"

    def forward(self, w, b, alpha, a0):
        z, a = super().forward(w, b, alpha, a0)
        self._b = b
        return z, a

    def sigma_prime(self, l, z, a, alpha):
        z_nobias = z - self._b[l - 1]
        return super().sigma_prime(l, z_nobias, self.net.sigma(l).numpy(z_nobias), alpha)


class DoubledCost(Backprop):
    bug = "∂C/∂a_L = 2(a_L - y): the derivative of (a - y)², not of ½(a - y)²"

    def cost_prime(self, a_L, y):
        return 2.0 * super().cost_prime(a_L, y)


class LoopStopsOneShort(Backprop):
    bug = "loop off by one: the backward loop stops at layer 2, δ_1 is left as δ_2"

    def hidden_delta(self, l, sp, w, delta_next):
        return delta_next if l == 1 else super().hidden_delta(l, sp, w, delta_next)


class FirstLayerDoubled(Backprop):
    bug = "factor 2 in the input layer only: ∂C/∂w_1 and ∂C/∂b_1 doubled"

    def grad_b(self, l, delta, a):
        return 2.0 * delta[l] if l == 1 else delta[l]

    def grad_w(self, l, delta, a):
        return 2.0 * a[l - 1] * delta[l] if l == 1 else a[l - 1] * delta[l]


class OverflowingSigmaPrime(Backprop):
    bug = "σ' overflows: e^{-z}/(1 + e^{-z})² as written (0 below z = −355, NaN below −709)"

    def sigma_prime(self, l, z, a, alpha):
        if self.net.sigma(l).name != "sigmoid":
            return super().sigma_prime(l, z, a, alpha)
        e = np.exp(-z)                                  # overflows for z < −709
        return e / (1.0 + e) ** 2                       # (1 + e)² overflows for z < −355


class ReluPrimeOneAtZero(Backprop):
    bug = "relu'(0) = 1: the right branch where the vectors state the left"

    def sigma_prime(self, l, z, a, alpha):
        if self.net.sigma(l).name == "relu":
            return (z >= 0).astype(z.dtype)
        return super().sigma_prime(l, z, a, alpha)


class Float32Delta(Backprop):
    bug = "float32 storage of one layer's δ in a float64 pass"

    def hidden_delta(self, l, sp, w, delta_next):
        delta = super().hidden_delta(l, sp, w, delta_next)
        return delta.astype(np.float32).astype(delta.dtype) \
            if l == (self.net.depth + 1) // 2 else delta


#: name -> mutant class, in the order the mutation table lists them
MUTANTS: dict[str, type[Backprop]] = {
    "missing_sigma_prime": MissingSigmaPrime,
    "a_l_for_a_l-1": OutputForInput,
    "off_by_one_layer": OffByOneLayer,
    "sign_error": SignError,
    "w_l_for_w_l+1": OwnWeight,
    "dropped_dC_da_L": DroppedCostDerivative,
    "float32_round_trip": Float32RoundTrip,
    "0.1%_in_one_layer": OneLayerOff,
    "bug_only_z<0": NegativeBranch,
    "db_equals_a_delta": BiasTimesInput,
    "sigma_prime_of_a": SigmaPrimeOfOutput,
    "sigma_prime_without_bias": MissingBias,
    "doubled_cost_derivative": DoubledCost,
    "loop_stops_one_short": LoopStopsOneShort,
    "first_layer_doubled": FirstLayerDoubled,
    "sigma_prime_overflows": OverflowingSigmaPrime,
    "relu_prime_1_at_0": ReluPrimeOneAtZero,
    "float32_delta_one_layer": Float32Delta,
}


# --- PyTorch autograd ----------------------------------------------------------------------

def _torch_activation(name: str):
    import torch
    import torch.nn.functional as F
    table = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
        "linear": lambda z: z,
        # F.softplus returns z itself above threshold=20 (a gradient of exactly 1, off by
        # e^{-20} ≈ 2e-9); above 40 the float64 σ(z) is 1 anyway
        "softplus": lambda z: F.softplus(z, threshold=40.0),
        "elu": F.elu,
        "selu": F.selu,
        "silu": F.silu,
        "gelu": F.gelu,
        "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
    }
    return table.get(name)


def torch_autograd(net: Chain, params: Mapping, inputs: Mapping, dtype="float64") -> dict:
    """∂C/∂(every parameter) by ``torch.autograd`` for a batch of points (one backward pass
    of the summed cost: the points do not interact).  Returns float64 NumPy arrays."""
    import torch
    tdtype = getattr(torch, dtype)
    L = net.depth
    leaves = {name: torch.tensor(np.asarray(params[name], dtype=np.float64), dtype=tdtype,
                                 requires_grad=True) for name in net.parameter_names()}
    a = torch.tensor(np.asarray(inputs["a_0"], dtype=np.float64), dtype=tdtype)
    y = torch.tensor(np.asarray(inputs["y"], dtype=np.float64), dtype=tdtype)
    for l in range(1, L + 1):
        z = leaves[f"w_{l}"] * a + leaves[f"b_{l}"]
        name = net.sigma(l).name
        if name == "prelu":
            alpha = leaves[f"alpha_{l}"]
            a = torch.where(z > 0, z, alpha * z)
        else:
            f = _torch_activation(name)
            if f is None:
                raise ValueError(f"activation={name!r}: no PyTorch form in the tests")
            a = f(z)
    cost_name = net.cost.name
    if cost_name == "quadratic":
        cost = 0.5 * (a - y) ** 2
    elif cost_name == "cross-entropy":
        cost = -(y * torch.log(a) + (1 - y) * torch.log1p(-a))
    else:
        raise ValueError(f"cost={cost_name!r}: no PyTorch form in the tests")
    names = list(leaves)
    grads = torch.autograd.grad(cost.sum(), [leaves[n] for n in names])
    out = {"cost": cost.detach().to(torch.float64).numpy()}
    out.update({n: g.detach().to(torch.float64).numpy() for n, g in zip(names, grads)})
    return out


def jax_autograd(net: Chain, params: Mapping, inputs: Mapping, dtype="float64") -> dict:
    """∂C/∂(every parameter) by ``jax.grad`` for a batch of points (float64 enabled)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    table = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
             "leaky_relu": lambda z: jax.nn.leaky_relu(z, 0.01), "linear": lambda z: z,
             "softplus": jax.nn.softplus, "elu": jax.nn.elu, "selu": jax.nn.selu,
             "silu": jax.nn.silu, "gelu": lambda z: jax.nn.gelu(z, approximate=False),
             "gelu_tanh": lambda z: jax.nn.gelu(z, approximate=True)}
    names = net.parameter_names()
    jdtype = getattr(jnp, dtype)

    def cost(values, a, y):
        for l in range(1, net.depth + 1):
            z = values[f"w_{l}"] * a + values[f"b_{l}"]
            name = net.sigma(l).name
            a = jnp.where(z > 0, z, values[f"alpha_{l}"] * z) if name == "prelu" \
                else table[name](z)
        if net.cost.name == "quadratic":
            return jnp.sum(0.5 * (a - y) ** 2)
        return jnp.sum(-(y * jnp.log(a) + (1 - y) * jnp.log1p(-a)))

    values = {n: jnp.asarray(np.asarray(params[n], dtype=np.float64), dtype=jdtype)
              for n in names}
    a0 = jnp.asarray(np.asarray(inputs["a_0"], dtype=np.float64), dtype=jdtype)
    y = jnp.asarray(np.asarray(inputs["y"], dtype=np.float64), dtype=jdtype)
    grads = jax.grad(cost)(values, a0, y)
    return {n: np.asarray(grads[n], dtype=np.float64) for n in names}


class DenseBackprop:
    """The stable recurrence of a dense network in NumPy, any float dtype: z = W a + b per
    sample column, δ_L = ∇C ⊙ σ'(z_L) (a − y for softmax), δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l),
    ∂C/∂W_l = δ_l a_{l-1}ᵀ summed over the samples."""

    def __init__(self, net, dtype=np.float64):
        self.net, self.dtype = net, np.dtype(dtype).type

    def __call__(self, params: Mapping, x, y) -> dict:
        net, t = self.net, self.dtype
        W = {l: np.asarray(params[f"W_{l}"], dtype=t) for l in net.layers}
        b = {l: np.asarray(params[f"b_{l}"], dtype=t)[:, None] for l in net.layers}
        al = {l: t(params[f"alpha_{l}"]) for l in net.layers if net.has_slope(l)}
        a, z, d = {0: np.asarray(x, dtype=t).T}, {}, {}
        with np.errstate(all="ignore"):
            for l in net.layers:
                z[l] = W[l] @ a[l - 1] + b[l]
                act = net.sigma(l)
                if act.name == "softmax":
                    e = np.exp(z[l] - z[l].max(axis=0))
                    a[l] = e / e.sum(axis=0)
                    continue
                args = (z[l], al[l]) if l in al else (z[l],)
                a[l] = np.asarray(act.numpy(*args), dtype=t)
                d[l] = np.asarray(act.numpy_derivative(*args), dtype=t)
            Y = np.asarray(y, dtype=t).T
            L = net.L
            if net.softmax_output:
                delta = a[L] - Y
            else:
                r = {L: np.asarray(net.cost.numpy_derivative(a[L], Y), dtype=t)}
                delta = r[L] * d[L]
            out = {}
            for l in range(L, 0, -1):
                out[f"b_{l}"] = delta.sum(axis=1)
                out[f"W_{l}"] = delta @ a[l - 1].T
                if l in al:
                    rl = r[l]
                    out[f"alpha_{l}"] = np.sum(np.where(z[l] > 0, 0, z[l]) * rl)
                if l > 1:
                    r = {l - 1: W[l].T @ delta}
                    delta = r[l - 1] * d[l - 1]
        return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def chain_batch(doc: dict):
    """The cases of a chain's vector document as one batch: float64 arrays by name."""
    cases = doc["cases"]
    params = {n: np.array([float(c["parameters"][n]) for c in cases])
              for n in cases[0]["parameters"]}
    inputs = {n: np.array([float(c["inputs"][n]) for c in cases]) for n in ("a_0", "y")}
    return params, inputs


def results_for(implementation, net, doc: dict) -> dict:
    """The results document of ``implementation`` on every case of a vector document:
    a chain's implementation takes the whole batch, a dense one case by case; every value
    a JSON number (NaN and infinities as JSON writes them)."""
    cases = []
    if net.is_chain:
        grads = implementation(*chain_batch(doc))
        for k in range(len(doc["cases"])):
            cases.append({"gradients": {n: float(grads[n][k]) for n in net.parameter_names()}})
        return {"cases": cases}
    for case in doc["cases"]:
        g = implementation({n: np.array(v, dtype=float) for n, v in case["parameters"].items()},
                           np.array(case["inputs"]["x"], dtype=float),
                           np.array(case["inputs"]["y"], dtype=float))
        cases.append({"gradients": {n: np.asarray(g[n]).tolist() for n in net.parameter_names()}})
    return {"cases": cases}
