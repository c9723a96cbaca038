r"""A concrete instance of the document's network and the truth about it, by differentiating
the composed cost itself.

The truth never uses a backpropagation formula: every derivative is a complex step through
the forward pass.  To get ∂C/∂q for any quantity q (a parameter, z_l, a_l), the forward pass
is run again with q + i·h (h = 1e-30) and the imaginary part of the cost divided by h is the
derivative, exact to rounding for the analytic functions used here:

    ∂C/∂q = Im C(q + i h) / h + O(h²)

Jacobians ∂X/∂Y between two quantities come the same way (perturb Y, read X).  Activations
whose derivative is piecewise constant (ReLU, leaky ReLU) are replaced in the instance by a
smooth stand-in with the same shape, so σ'(z_2) and σ'(z_3) differ and a factor of the wrong
layer cannot pass by accident; the exact ReLU is used where a formula is about the function
itself (ReLU'(z) = 0 for z ≤ 0).

>>> from .network import NetworkSpec
>>> spec = NetworkSpec(2, (1, 1, 1), ("sigmoid", "sigmoid"))
>>> inst = Instance(spec)
>>> g = inst.grad(("bias", 2, 0))
>>> a2 = inst.value(("act", 2, 0)); y = inst.value(("target", None, 0))
>>> bool(abs(g[0, 0] - (a2 * (1 - a2) * (a2 - y))[0, 0]) < 1e-12)
True
"""
from __future__ import annotations

import numpy as np

from .errors import NotUnderstood
from .functions import NETWORK_FUNCTIONS

__all__ = ["Instance", "STEP"]

#: the complex step
STEP = 1e-30


class Instance:
    """Random weights, biases, inputs and targets for a :class:`NetworkSpec`, the forward
    pass, and the true derivatives (cached)."""

    def __init__(self, spec, seed: int = 7):
        for fn in spec.activations:
            if fn not in NETWORK_FUNCTIONS:
                raise NotUnderstood(f"the {fn} activation is not evaluated by the audit")
        self.spec = spec
        rng = np.random.default_rng(seed)
        n, L, row = spec.widths, spec.depth, spec.convention == "row"
        self.W, self.b = {}, {}
        for k in range(1, L + 1):
            shape = (n[k - 1], n[k]) if row else (n[k], n[k - 1])
            self.W[k] = rng.uniform(0.4, 1.2, shape) * rng.choice([-1.0, 1.0], shape)
            self.b[k] = rng.uniform(-0.5, 0.5, (1, n[k]) if row else (n[k], 1))
        vec = (lambda m: (1, m)) if row else (lambda m: (m, 1))
        self.x = [rng.uniform(-1.0, 1.0, vec(n[0])) for _ in range(spec.samples)]
        lo, hi = (0.15, 0.85) if spec.cost_name == "cross-entropy" or self._log_cost() \
            else (-1.0, 1.0)
        self.y = [rng.uniform(lo, hi, vec(n[L])) for _ in range(spec.samples)]
        self.row = row
        self._cache = {}
        self.state = self.forward()

    def _log_cost(self) -> bool:
        from .sir import (Apply, walk)
        return self.spec.cost is not None and any(isinstance(m, Apply) and m.fn == "ln"
                                                  for m in walk(self.spec.cost))

    # -- the forward pass -----------------------------------------------------------------
    def forward(self, inject=None, subset=None) -> dict:
        """pre[(l, i)], act[(l, i)], the cost terms and the total; ``inject`` = (kind, layer,
        sample, flat index) adds i·h there."""
        kind, layer, sample, flat = inject if inject else (None, None, None, None)
        W, b = self.W, self.b
        if kind in ("weight", "bias"):
            src = dict(W if kind == "weight" else b)
            m = src[layer].astype(complex)
            m.flat[flat] += 1j * STEP
            src[layer] = m
            W, b = (src, b) if kind == "weight" else (W, src)
        pre, act = {}, {}
        fns = [NETWORK_FUNCTIONS[f][0] for f in self.spec.activations]
        for i in range(self.spec.samples):
            a = self.x[i].astype(complex)
            if (kind, sample) in (("input", i), ("act", i)) and layer in (0, None):
                a = a.copy()
                a.flat[flat] += 1j * STEP
            act[(0, i)] = a
            for k in range(1, self.spec.depth + 1):
                z = a @ W[k] + b[k] if self.row else W[k] @ a + b[k]
                if (kind, layer, sample) == ("pre", k, i):
                    z = z.copy()
                    z.flat[flat] += 1j * STEP
                a = fns[k - 1](z)
                if (kind, layer, sample) == ("act", k, i):
                    a = a.copy()
                    a.flat[flat] += 1j * STEP
                pre[(k, i)], act[(k, i)] = z, a
        state = {"pre": pre, "act": act}
        terms = self._cost_terms(state, subset)
        state["terms"], state["total"] = terms, sum(terms)
        return state

    def _cost_terms(self, state, subset) -> list:
        from .evaluate import Evaluator
        L, N = self.spec.depth, self.spec.samples
        if self.spec.cost is not None:
            terms = []
            for i in range(N):
                ev = Evaluator(self, {"_sample": i}, state=state, subset={i}, complex_ok=True)
                terms.append(ev.scalar(self.spec.cost))
            return terms
        out = []
        for i in range(N):
            a, y = state["act"][(L, i)], self.y[i]
            if self.spec.cost_name == "cross-entropy":
                t = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
            elif self.spec.cost_name == "squared-error":
                t = np.sum((a - y) * (a - y))
            else:
                t = np.sum((a - y) * (a - y)) / 2
            out.append(t)
        return out

    def _summed(self) -> bool:
        from .sir import (BigSum, walk)
        return any(isinstance(n, BigSum) for n in walk(self.spec.cost))

    # -- values and the truth -------------------------------------------------------------
    def value(self, q) -> np.ndarray:
        """The real value of (kind, layer, sample)."""
        kind, layer, i = q
        if kind in ("pre", "act"):
            return np.real(self.state[kind][(layer, i)])
        if kind == "input":
            x = self.x[i]
            return x.T if self.spec.input_column and self.row else x
        if kind == "target":
            return self.y[i]
        if kind == "weight":
            return self.W[layer]
        if kind == "bias":
            return self.b[layer]
        if kind == "cost":
            s = self.state
            return np.array([[np.real(s["total"] if i is None else s["terms"][i])]])
        raise NotUnderstood(f"no value for {kind}")

    def _size(self, q) -> tuple:
        return self.value(q).shape

    def grad(self, q, term: int | None = None) -> np.ndarray:
        """∂C/∂q in the shape of q (C the total cost, or sample ``term``'s part of it)."""
        key = ("grad", q, term)
        if key not in self._cache:
            shape = self._size(q)
            out = np.empty(int(np.prod(shape)))
            kind, layer, i = q
            for k in range(out.size):
                s = self.forward((kind if kind != "input" else "input", layer, i, k))
                c = s["total"] if term is None else s["terms"][term]
                out[k] = np.imag(c) / STEP
            self._cache[key] = out.reshape(shape)
        return self._cache[key]

    def jacobian(self, num, den) -> np.ndarray:
        """∂num/∂den with a row per component of num and a column per component of den
        (the flattened parameter, for a weight)."""
        key = ("jac", num, den)
        if key not in self._cache:
            kind, layer, i = den
            cols = int(np.prod(self._size(den)))
            nk, nl, ni = num
            rows = int(np.prod(self._size(num)))
            out = np.zeros((rows, cols))
            for k in range(cols):
                s = self.forward((kind, layer, i, k))
                v = self._node(s, num)
                out[:, k] = np.imag(np.asarray(v)).ravel() / STEP
            self._cache[key] = out
        return self._cache[key]

    def _node(self, s, q):
        kind, layer, i = q
        if kind in ("pre", "act"):
            return s[kind][(layer, i)]
        if kind == "input":
            return s["act"][(0, i)]
        raise NotUnderstood(f"a derivative of the {kind}")
