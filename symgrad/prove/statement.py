"""What the proofs check: the closed forms a derivation states (its *claims*), and the four
backpropagation equations written from the network alone (the *statement* they must match).

The statement names every local factor by the network's own symbols, never by the
derivation's: σ_l'(z^l_j) is the derivative of layer l's unit at its own pre-activation,
∂C/∂a^L_j the cost's derivative at output j::

    δ^L_j = σ_L'(z^L_j) ∂C/∂a^L_j     (a^L_j − y_j for a softmax output with cross-entropy)
    δ^l_j = σ_l'(z^l_j) Σ_k w^{l+1}_{kj} δ^{l+1}_k
    ∂C/∂b^l_j = Σ_i δ^l_{j,i},   ∂C/∂w^l_{jk} = Σ_i a^{l-1}_{k,i} δ^l_{j,i},
    ∂C/∂α_l = Σ_i Σ_j ∂a^l_{j,i}/∂α_l ∂C/∂a^l_{j,i}

>>> from symgrad import Chain, derive
>>> flat_factors(Statement(Chain(depth=3)).delta(2))
(Derivative(sigmoid(z_2), z_2), w_3, delta_3)
>>> [c.name for c in claims(derive(Chain(depth=2)), "expanded")]
['b_2', 'b_1', 'w_2', 'w_1']
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symgrad.derivation import Derivation, OrderedProduct
from symgrad.model.network import Network, cost_function

__all__ = ["Claim", "claims", "Statement", "flat_factors"]


@dataclass(frozen=True)
class Claim:
    """One closed form a derivation states: ∂C/∂``parameter`` = ``closed``, named ``name``
    (``b_3`` of a chain, the component ``w^1_1,2`` of a dense network)."""

    name: str
    parameter: sp.Symbol
    closed: sp.Expr
    #: the parameter (``b_3``, ``W_1``) and the component's index in it (``(1, 2)``)
    of: str = ""
    index: tuple = ()


def flat_factors(expr) -> tuple:
    """The factors of an ordered product, nested products flattened and the 1 of a linear
    layer left out."""
    if isinstance(expr, OrderedProduct):
        return tuple(f for a in expr.args for f in flat_factors(a))
    return () if expr is sp.S.One else (expr,)


def claims(d: Derivation, form: str = "expanded") -> list[Claim]:
    """What a derivation states: a chain's ordered products (``form`` ``expanded``, every
    factor written out, or ``recurrence``, in terms of the next δ); every component of a
    dense network's gradients."""
    net = d.network
    if net.is_chain:
        out = []
        for name in d.parameter_names():
            closed = d.closed_form(name) if form == "expanded" else d.recurrence_form(name)
            out.append(Claim(name, net.components(name)[0][1], closed, name))
        return out
    return [Claim(sym.name, sym, g, name, index) for name in d.parameter_names()
            for index, sym, g in d.component_gradients(name)]


class Statement:
    """The four equations of every layer of ``net`` in display atoms (see the module)."""

    def __init__(self, net: Network):
        self.net = net
        self._made: dict = {}

    def _once(self, what: str, make, *key):
        """Each atom and equation is made once: a network's symbols cost SymPy a lookup
        with assumptions every time they are made."""
        out = self._made.get((what, *key))
        if out is None:
            out = self._made[(what, *key)] = make(*key)
        return out

    def _samples(self):
        return [None] if self.net.samples == 1 else list(self.net.sample_range)

    def sigma_prime(self, l: int, j: int = 1, i=None):
        """σ_l'(z^l_j): layer l's unit differentiated at its pre-activation; 1 if linear."""
        net = self.net
        if net.sigma(l).is_linear:
            return sp.Integer(1)
        return self._once("σ'", lambda *k: sp.Derivative(net.unit(*k), net.z_(*k)), l, j, i)

    def slope_factor(self, l: int, j: int = 1, i=None):
        """∂a^l_j/∂α_l of a PReLU layer."""
        return sp.Derivative(self.net.unit(l, j, i), self.net.alpha(l))

    def dC_da(self, l: int, j: int = 1, i=None):
        """∂C/∂a^l_j: the cost's derivative at the output, Σ_k w^{l+1}_{kj} δ^{l+1}_k below."""
        return self._once("∂C/∂a", self._dC_da, l, j, i)

    def _dC_da(self, l, j, i):
        net = self.net
        if l == net.L:
            a = net.a_(l, j, i)
            return sp.Derivative(cost_function(a), a)
        return sp.Add(*[OrderedProduct(net.w_(l + 1, k, j), net.delta_(l + 1, k, i))
                        for k in range(1, net.n(l + 1) + 1)])

    def delta(self, l: int, j: int = 1, i=None):
        """δ^l_j = σ_l'(z^l_j) ∂C/∂a^l_j (a^L_j − y_j for softmax with cross-entropy)."""
        return self._once("δ", self._delta, l, j, i)

    def _delta(self, l, j, i):
        net = self.net
        if l == net.L and net.softmax_output:
            return net.a_(l, j, i) - net.y_(j, i)
        s = self.sigma_prime(l, j, i)
        rest = self.dC_da(l, j, i)
        return rest if s == 1 else OrderedProduct(s, rest)

    def bias(self, l: int, j: int = 1):
        """∂C/∂b^l_j = Σ_i δ^l_{j,i}."""
        return sp.Add(*[self.net.delta_(l, j, i) for i in self._samples()])

    def weight(self, l: int, j: int = 1, k: int = 1):
        """∂C/∂w^l_{jk} = Σ_i a^{l-1}_{k,i} δ^l_{j,i}."""
        net = self.net
        return sp.Add(*[OrderedProduct(net.a_(l - 1, k, i), net.delta_(l, j, i))
                        for i in self._samples()])

    def slope(self, l: int):
        """∂C/∂α_l = Σ_i Σ_j ∂a^l_{j,i}/∂α_l ∂C/∂a^l_{j,i}."""
        return sp.Add(*[OrderedProduct(self.slope_factor(l, j, i), self.dC_da(l, j, i))
                        for i in self._samples() for j in range(1, self.net.n(l) + 1)])

    def component(self, name: str, index: tuple):
        """The statement's ∂C/∂(component ``index`` of parameter ``name``)."""
        kind, l = self.net.parameter(name)
        return {"b": self.bias, "W": self.weight, "alpha": self.slope}[kind](l, *index)
