"""From a network to its closed-form gradients: one pure function, :func:`derive`.

The gradients are the four backpropagation equations, held as the recurrence (linear in
depth), in matrix and in component form::

    δ_L = ∇_{a_L} C ⊙ σ_L'(z_L)                 δ^L_j = σ_L'(z^L_j) ∂C/∂a^L_j
    δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l)        δ^l_j = σ_l'(z^l_j) Σ_k w^{l+1}_{kj} δ^{l+1}_k
    ∂C/∂b_l = δ_l                               ∂C/∂b^l_j = δ^l_j
    ∂C/∂W_l = δ_l a_{l-1}ᵀ                      ∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j

with δ_L = a_L − y for a softmax output with cross-entropy, and every gradient summed over
the N samples of the loss.  Where every width is 1 (a chain) the derivation also offers the
scalar view of :class:`~symgrad.derivation.scalar.ChainView`: each gradient as the ordered
product of the lecture.

>>> from symgrad.model.network import Chain, Dense
>>> d = derive(Chain(depth=4))
>>> d.factors("b_2")
(Derivative(sigmoid(z_2), z_2), w_3, Derivative(sigmoid(z_3), z_3), w_4, Derivative(sigmoid(z_4), z_4), Derivative(C(a_4), a_4))
>>> d.gradient("w_4", concrete=True)
a_3*(a_4 - y)*exp(-z_4)/(1 + exp(-z_4))**2
>>> d = derive(Dense([2, 3, 2]))
>>> d.delta_matrix(1)
HadamardProduct(W_2.T*delta_2, Lambda(_z, Derivative(sigmoid(_z), _z)).(z_1))
>>> d.weight_gradient(2, 1, 3)
a^1_3*delta^2_1
>>> d.delta_component(1, 2)
Derivative(sigmoid(z^1_2), z^1_2)*(w^2_1,2*delta^2_1 + w^2_2,2*delta^2_2)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symgrad.errors import UsageError
from symgrad.model.activations import Activation, Softmax
from symgrad.model.network import Network, cost_function, layer_function
from symgrad.derivation.nodes import CostGradient, OrderedProduct, SampleSum
from symgrad.derivation.scalar import ChainView

__all__ = ["Derivation", "derive", "OrderedProduct", "sigma_prime_matrix"]


def sigma_prime_matrix(act: Activation, z, alpha=None):
    """σ'(z) elementwise: a function applied to every component of z."""
    f = layer_function(act)
    t = sp.Dummy("z", real=True)
    inner = f(t, alpha) if alpha is not None else f(t)
    return ElementwiseApplyFunction(sp.Lambda(t, sp.Derivative(inner, t)), z)


@dataclass(frozen=True)
class Derivation(ChainView):
    """The closed-form gradients of a :class:`~symgrad.model.network.Network`.

    Nothing is computed until asked for: the matrix forms, the component forms and (for a
    chain) the ordered products are built on first use, each layer from the next.
    """

    network: Network

    @property
    def L(self) -> int:
        return self.network.L

    def parameter_names(self) -> list[str]:
        return self.network.parameter_names()

    def _check_layer(self, l):
        if not (isinstance(l, int) and 1 <= l <= self.L):
            raise UsageError(f"layer={l!r}: must be 1..{self.L}")

    # -- matrix forms -----------------------------------------------------------------------
    @cached_property
    def deltas(self) -> tuple:
        """δ_1, ..., δ_L in matrix form, each in terms of the next."""
        net, L = self.network, self.L
        out = [None] * L
        for l in range(L, 0, -1):
            act = net.sigma(l)
            if l == L and net.softmax_output:
                out[l - 1] = sp.MatAdd(net.a(L), -net.y())  # δ_L = a_L − y
                continue
            # ∇_{a_L} C at the output, W_{l+1}ᵀ δ_{l+1} below it
            rest = CostGradient(net.a(L)) if l == L else \
                sp.MatMul(sp.Transpose(net.W(l + 1)), net.delta(l + 1))
            alpha = net.alpha(l) if net.has_slope(l) else None
            # δ_l = rest ⊙ σ_l'(z_l); a linear layer's σ' = 1 drops out
            out[l - 1] = rest if act.is_linear else \
                sp.HadamardProduct(rest, sigma_prime_matrix(act, net.z(l), alpha))
        return tuple(out)

    def delta_matrix(self, l: int) -> sp.MatrixExpr:
        """δ_L = ∇_{a_L} C ⊙ σ_L'(z_L) (a_L − y for softmax with cross-entropy);
        δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l)."""
        self._check_layer(l)
        return self.deltas[l - 1]

    def _per_sample(self, term_of_i) -> sp.MatrixExpr:
        net = self.network
        if net.samples == 1:
            return term_of_i(None)
        i = sp.Symbol("i", integer=True, positive=True)
        return SampleSum(term_of_i(i), i, net.samples)

    def gradient_matrix(self, name: str) -> sp.MatrixExpr:
        """∂C/∂b_l = δ_l, ∂C/∂W_l = δ_l a_{l-1}ᵀ (each summed over the samples);
        ∂C/∂α_l = (∂a_l/∂α_l)ᵀ ∂C/∂a_l."""
        net = self.network
        kind, l = net.parameter(name)
        if kind == "b":
            return self._per_sample(lambda i: net.delta(l, i))
        if kind == "W":
            return self._per_sample(lambda i: sp.MatMul(net.delta(l, i),
                                                        sp.Transpose(net.a(l - 1, i))))
        return self._per_sample(lambda i: sp.MatMul(sp.Transpose(self.slope_matrix(l, i)),
                                                    self.dC_da_matrix(l, i)))

    def slope_matrix(self, l: int, i=None) -> sp.MatrixExpr:
        """∂a_l/∂α_l elementwise, the learned slope's local factor of a PReLU layer."""
        net = self.network
        f = layer_function(net.sigma(l))
        t = sp.Dummy("z", real=True)
        return ElementwiseApplyFunction(
            sp.Lambda(t, sp.Derivative(f(t, net.alpha(l)), net.alpha(l))), net.z(l, i))

    def dC_da_matrix(self, l: int, i=None) -> sp.MatrixExpr:
        """∂C/∂a_l: ∇_{a_L} C at the output, W_{l+1}ᵀ δ_{l+1} below it."""
        net = self.network
        if l == net.L:
            return CostGradient(net.a(l, i))
        return sp.MatMul(sp.Transpose(net.W(l + 1)), net.delta(l + 1, i))

    # -- component forms --------------------------------------------------------------------
    def sigma_prime(self, l: int, j: int = 1, i=None) -> sp.Expr:
        """σ_l'(z^l_j) as an unevaluated derivative; 1 for a linear layer."""
        net = self.network
        act = net.sigma(l)
        if isinstance(act, Softmax):
            raise UsageError(f"layer={l}: a softmax layer has no elementwise derivative")
        if act.is_linear:
            return sp.Integer(1)  # id'(z) = 1 drops out of every product
        unit = net.unit(l, j, i)
        return sp.Derivative(unit, unit.args[0])

    def slope_factor(self, l: int, j: int = 1, i=None) -> sp.Expr:
        """∂a^l_j/∂α_l, the learned slope's local factor (PReLU layers)."""
        net = self.network
        return sp.Derivative(net.unit(l, j, i), net.alpha(l))

    def dC_da(self, j: int = 1, i=None) -> sp.Expr:
        """∂C/∂a^L_j of an elementwise cost, unevaluated."""
        a = self.network.a_(self.L, j, i)
        return sp.Derivative(cost_function(a), a)

    def dC_da_component(self, l: int, j: int = 1, i=None) -> sp.Expr:
        """∂C/∂a^l_j = Σ_k w^{l+1}_{kj} δ^{l+1}_k (l < L), ∂C/∂a^L_j at the output."""
        net = self.network
        if l == self.L:
            return self.dC_da(j, i)
        return sp.Add(*[OrderedProduct(net.w_(l + 1, k, j), net.delta_(l + 1, k, i))
                        for k in range(1, net.n(l + 1) + 1)])

    def delta_component(self, l: int, j: int = 1, i=None) -> sp.Expr:
        """δ^l_j in terms of the next layer's δ^{l+1}_k (the recurrence):
        δ^L_j = σ_L'(z^L_j) ∂C/∂a^L_j (a^L_j − y_j for softmax with cross-entropy),
        δ^l_j = σ_l'(z^l_j) Σ_k w^{l+1}_{kj} δ^{l+1}_k."""
        net = self.network
        self._check_layer(l)
        if l == self.L and net.softmax_output:
            return net.a_(l, j, i) - net.y_(j, i)
        sp_ = self.sigma_prime(l, j, i)
        rest = self.dC_da_component(l, j, i)
        return rest if sp_ == 1 else OrderedProduct(sp_, rest)

    def _samples(self):
        return [None] if self.network.samples == 1 else list(self.network.sample_range)

    def weight_gradient(self, l: int, j: int = 1, k: int = 1) -> sp.Expr:
        """∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j, summed over the samples."""
        net = self.network
        return sp.Add(*[OrderedProduct(net.a_(l - 1, k, i), net.delta_(l, j, i))
                        for i in self._samples()])

    def bias_gradient(self, l: int, j: int = 1) -> sp.Expr:
        """∂C/∂b^l_j = δ^l_j, summed over the samples."""
        return sp.Add(*[self.network.delta_(l, j, i) for i in self._samples()])

    def slope_gradient(self, l: int) -> sp.Expr:
        """∂C/∂α_l = Σ_i Σ_j ∂a^l_j/∂α_l ∂C/∂a^l_j."""
        net = self.network
        return sp.Add(*[OrderedProduct(self.slope_factor(l, j, i), self.dC_da_component(l, j, i))
                        for i in self._samples() for j in range(1, net.n(l) + 1)])

    def component_gradients(self, name: str) -> list[tuple]:
        """[(index, parameter symbol, closed form)] for every component of one parameter."""
        kind, l = self.network.parameter(name)
        out = []
        for idx, sym in self.network.components(name):
            if kind == "W":
                g = self.weight_gradient(l, *idx)
            elif kind == "b":
                g = self.bias_gradient(l, *idx)
            else:
                g = self.slope_gradient(l)
            out.append((idx, sym, g))
        return out

    # -- concrete forms ---------------------------------------------------------------------
    def _closed(self, d: sp.Derivative, in_a: bool) -> sp.Expr:
        """One display derivative replaced by the activation's or the cost's closed form."""
        net = self.network
        inner, (var,) = d.expr, d.variables
        if inner.func == cost_function:
            a = inner.args[0]
            return net.cost.derivative(a, _target_of(net, a))
        act = next(s for s in net.activations if isinstance(s, Activation)
                   and s.name == inner.func.__name__)
        z = inner.args[0]
        alpha = inner.args[1] if len(inner.args) > 1 else None
        if var != z:
            return act.parameter_derivative(z, alpha)
        if in_a:  # σ' in terms of the unit's own output, where the lecture writes it so
            in_terms_of_a = act.derivative_in_a(_output_of(z))
            if in_terms_of_a is not None:
                return in_terms_of_a
        return act.derivative(z, alpha)

    def concrete(self, expr: sp.Expr, in_a: bool = False) -> sp.Expr:
        """Replace every display σ_l'(z^l_j), ∂a^l_j/∂α_l and ∂C/∂a^L_j in ``expr`` by the
        activation's and cost's closed forms (in terms of the outputs a where ``in_a`` and
        the lecture writes σ' so).

        >>> from symgrad.model.network import Dense
        >>> d = derive(Dense([3, 2, 2, 1], activations=["tanh", "tanh", "linear"], cost="sse"))
        >>> d.concrete(d.delta_component(3, 1))
        2*a^3_1 - 2*y_1
        """
        if isinstance(expr, sp.Derivative):  # one display factor
            return self._closed(expr, in_a)
        expr = expr.doit(deep=False) if isinstance(expr, OrderedProduct) else expr
        if expr.has(OrderedProduct):
            expr = expr.replace(lambda e: isinstance(e, OrderedProduct),
                                lambda e: e.doit(deep=False))
        if not expr.has(sp.Derivative):
            return expr
        return expr.replace(lambda e: isinstance(e, sp.Derivative),
                            lambda e: self._closed(e, in_a))


def _renamed(symbol: sp.Symbol, head: str) -> sp.Symbol:
    # z_3 -> a_3, z^2_1,4 -> a^2_1,4 (the same layer, unit and sample)
    return sp.Symbol(head + symbol.name[1:], real=True)


def _output_of(z: sp.Symbol) -> sp.Symbol:
    return _renamed(z, "a")


def _target_of(net: Network, a: sp.Symbol) -> sp.Symbol:
    """y_j (y in a chain) of the output a^L_j, with the same sample."""
    if net.is_chain:
        return net.y_()
    rest = a.name.split("_", 1)[1].split(",")
    return net.y_(int(rest[0]), int(rest[1]) if len(rest) > 1 else None)


def derive(network: Network) -> Derivation:
    """Derive the closed-form gradients of a network: linear time and memory in depth, and
    nothing is built before it is asked for.

    >>> from symgrad.model.network import Chain
    >>> d = derive(Chain(depth=3, activation="tanh"))
    >>> d.closed_form("b_1").args
    (Derivative(tanh(z_1), z_1), w_2, Derivative(tanh(z_2), z_2), w_3, Derivative(tanh(z_3), z_3), Derivative(C(a_3), a_3))
    """
    if not isinstance(network, Network):
        raise UsageError(f"network={network!r}: must be a Network (Chain(...) or Dense(...))")
    return Derivation(network)
