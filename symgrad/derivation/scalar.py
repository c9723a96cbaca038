"""The chain view: where every width is 1, each gradient as the lecture's ordered product.

For a chain the recurrence δ_l = σ_l'(z_l) w_{l+1} δ_{l+1} unrolls into products whose
factors stand in network order::

    ∂C/∂b_l = σ'(z_l) w_{l+1} σ'(z_{l+1}) ⋯ w_L σ'(z_L) ∂C/∂a_L
    ∂C/∂w_l = a_{l-1} ∂C/∂b_l,      ∂C/∂α_l = ∂a_l/∂α_l ∂C/∂a_l

Every factor of every closed form is a slice of one shared tuple (:attr:`ChainView.tail`),
so holding all 2L products costs linear memory.  This is a view of the one derivation
(:class:`~symgrad.derivation.derivation.Derivation` inherits it), not a second one: its
factors are the derivation's own component forms σ_l'(z_l), w_l and ∂C/∂a_L.

>>> from symgrad.model.network import Chain
>>> from symgrad.derivation.derivation import derive
>>> d = derive(Chain(depth=3))
>>> d.delta_factors(3)
(Derivative(sigmoid(z_3), z_3), Derivative(C(a_3), a_3))
>>> d.recurrence_form("w_1").args
(a_0, Derivative(sigmoid(z_1), z_1), w_2, delta_2)
"""
from __future__ import annotations

from functools import cached_property

import sympy as sp

from symgrad.errors import UsageError
from symgrad.derivation.nodes import OrderedProduct, delta_symbol

__all__ = ["ChainView"]


class ChainView:
    """The ordered-product (Nielsen) forms of a chain; mixed into the derivation."""

    def _chain_only(self, what: str) -> None:
        if not self.network.is_chain:
            raise UsageError(f"{what}: the ordered-product form is for chains (every width "
                             "1, one sample); a dense network has gradient_matrix() and "
                             "component_gradients()")

    # -- the local factors ------------------------------------------------------------------
    @cached_property
    def sigma_primes(self) -> tuple:
        """σ_1'(z_1), ..., σ_L'(z_L) of a chain (1 for a linear layer)."""
        self._chain_only("sigma_primes")
        return tuple(self.sigma_prime(l) for l in self.network.layers)

    def repeated_factor(self, j: int) -> tuple:
        """∂a_j/∂a_{j-1} = w_j σ_j'(z_j), the factor every earlier layer picks up."""
        return (self.network.w_(j), self.sigma_primes[j - 1])

    @cached_property
    def tail(self) -> tuple:
        """w_1, σ_1'(z_1), w_2, σ_2'(z_2), ..., w_L, σ_L'(z_L), ∂C/∂a_L: every factor of
        every closed form is a slice of this one tuple."""
        net = self.network
        out = []
        for l, s in zip(net.layers, self.sigma_primes):
            out += [net.w_(l), s]
        out.append(self.dC_da())
        return tuple(out)

    @cached_property
    def recurrence(self) -> tuple:
        """The factors of δ_l in terms of δ_{l+1}, for l = 1..L:
        δ_L = σ_L'(z_L) ∂C/∂a_L,  δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}."""
        net, L, s = self.network, self.L, self.sigma_primes
        out = [(s[l - 1], net.w_(l + 1), delta_symbol(l + 1)) for l in range(1, L)]
        return tuple(out) + ((s[L - 1], self.dC_da()),)

    # -- the closed forms -------------------------------------------------------------------
    def delta_factors(self, l: int) -> tuple:
        """The factors of δ_l = ∂C/∂z_l written out in network order:
        σ_l'(z_l) w_{l+1} σ_{l+1}'(z_{l+1}) ... ∂C/∂a_L."""
        self._check_layer(l)
        return self.tail[2 * l - 1:]

    def dC_da_layer(self, l: int) -> tuple:
        """The factors of ∂C/∂a_l = w_{l+1} σ'(z_{l+1}) ... ∂C/∂a_L."""
        return self.tail[2 * l:]

    def factors(self, parameter: str) -> tuple:
        """The closed form of ∂C/∂parameter as factors in network order, with the
        trivial factor 1 of a linear layer left out."""
        self._chain_only(f"parameter={parameter!r}")
        kind, l = self.network.parameter(parameter)
        if kind == "b":
            out = self.delta_factors(l)
        elif kind == "W":
            out = (self.network.a_(l - 1),) + self.delta_factors(l)
        else:
            out = (self.slope_factor(l),) + self.dC_da_layer(l)
        if not self.has_linear_layer:
            return out
        return tuple(f for f in out if f is not sp.S.One) or (sp.Integer(1),)

    @cached_property
    def has_linear_layer(self) -> bool:
        """Some σ' is the constant 1 (a linear layer), left out of the products."""
        return any(s is sp.S.One for s in self.sigma_primes)

    def closed_form(self, parameter: str) -> OrderedProduct:
        """∂C/∂parameter as an :class:`OrderedProduct` (display form)."""
        return OrderedProduct(*self.factors(parameter))

    def recurrence_form(self, parameter: str) -> OrderedProduct:
        """∂C/∂parameter in terms of the next δ: δ_l = σ'(z_l) w_{l+1} δ_{l+1}."""
        self._chain_only(f"parameter={parameter!r}")
        net = self.network
        kind, l = net.parameter(parameter)
        if kind == "alpha":
            rest = (net.w_(l + 1), delta_symbol(l + 1)) if l < self.L else (self.dC_da(),)
            return OrderedProduct(self.slope_factor(l), *rest)
        head = (net.a_(l - 1),) if kind == "W" else ()
        return OrderedProduct(*head, *self.recurrence[l - 1])

    def gradient(self, parameter: str, concrete: bool | str = False) -> sp.Expr:
        """∂C/∂parameter of a chain as an evaluated SymPy expression.

        ``concrete=False`` keeps σ' and ∂C/∂a_L symbolic, ``True`` substitutes the
        closed forms in z, ``"a"`` writes σ' in terms of the outputs a_l where possible.
        """
        factors = self.factors(parameter)
        if concrete:
            factors = [self.concrete(f, in_a=(concrete == "a")) for f in factors]
        return sp.Mul(*factors)

    @cached_property
    def output_delta(self) -> sp.Expr:
        """δ_L = σ_L'(z_L) ∂C/∂a_L written with a_L, cancelled where it cancels
        (sigmoid with cross-entropy: δ_L = a_L - y)."""
        self._chain_only("output_delta")
        return sp.factor(sp.cancel(self.concrete(self.sigma_primes[-1], in_a=True)
                                   * self.concrete(self.dC_da())))

    @property
    def output_delta_cancels(self) -> bool:
        """True where σ_L'(z_L) ∂C/∂a_L is a polynomial in a_L and y (no division)."""
        num, den = sp.fraction(sp.together(self.output_delta))
        return not den.free_symbols
