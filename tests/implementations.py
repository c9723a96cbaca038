"""Other people's backpropagation, for the oracle to judge.

* :class:`Backprop` is backpropagation through a one-neuron chain written by hand in NumPy,
  the textbook way (σ' from the unit's output where the textbook does so: sigmoid
  ``a(1 - a)``, tanh ``1 - a²``), vectorised over a batch of points::

      δ_L = σ_L'(z_L) ∂C/∂a_L
      δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}
      ∂C/∂b_l = δ_l,   ∂C/∂w_l = a_{l-1} δ_l,   ∂C/∂α_l = ∂a_l/∂α_l · w_{l+1} δ_{l+1}

* :data:`MUTANTS` are deliberately wrong variants of it, one bug each, each a subclass that
  overrides the one step it gets wrong.
* :func:`torch_autograd` is PyTorch's autograd on the same chain (torch imported lazily).

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

__all__ = ["Backprop", "MUTANTS", "torch_autograd", "textbook_sigma_prime", "stack_batch"]

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

    def __init__(self, net: Chain):
        self.net = net

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
