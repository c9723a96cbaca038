"""From a network to its closed-form gradients: one pure function, :func:`derive`.

The gradients are held as the backpropagation recurrence (linear in depth)::

    δ_L = σ_L'(z_L) ∂C/∂a_L
    δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}            (l < L)
    ∂C/∂b_l = δ_l,   ∂C/∂w_l = a_{l-1} δ_l,   ∂C/∂α_l = ∂a_l/∂α_l ∂C/∂a_l

and expanded into the ordered product of the lecture only on request:

>>> d = derive(Chain(depth=4))
>>> d.factors("b_2")
(Derivative(sigmoid(z_2), z_2), w_3, Derivative(sigmoid(z_3), z_3), w_4, Derivative(sigmoid(z_4), z_4), Derivative(C(a_4), a_4))
>>> d.gradient("w_4", concrete=True)
a_3*(a_4 - y)*exp(-z_4)/(1 + exp(-z_4))**2
>>> d.gradient("b_4", concrete="a")
a_4*(1 - a_4)*(a_4 - y)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from symgrad.errors import UsageError
from symgrad.model.network import Chain, cost_function, layer_function

__all__ = ["Derivation", "OrderedProduct", "derive", "delta_symbol"]


class OrderedProduct(sp.Expr):
    """A product kept in the order its factors stand in the network.

    SymPy sorts the factors of a ``Mul``; the lecture keeps network order.  This is the
    display form; :meth:`doit` gives the evaluated ``Mul`` for numerics and proofs.

    >>> x, y = sp.symbols("x y")
    >>> OrderedProduct(y, x).args
    (y, x)
    >>> OrderedProduct(y, x).doit()
    x*y
    """

    is_commutative = True

    def __new__(cls, *factors):
        return sp.Basic.__new__(cls, *[sp.sympify(f) for f in factors])

    @property
    def factors(self) -> tuple:
        return self.args

    def doit(self, **hints):
        deep = hints.get("deep", True)
        return sp.Mul(*[f.doit(**hints) if deep else f for f in self.args])

    def _eval_subs(self, old, new):  # keep order under substitution
        return None

    def _sympystr(self, printer):
        return "*".join(printer.parenthesize(f, sp.printing.precedence.PRECEDENCE["Mul"])
                        for f in self.args)


def delta_symbol(l: int) -> sp.Symbol:
    """δ_l = ∂C/∂z_l as a symbol (printed ``\\delta_{l}``)."""
    return sp.Symbol(f"delta_{l}", real=True)


@dataclass(frozen=True)
class Derivation:
    """The closed-form gradients of a :class:`~symgrad.model.network.Chain`.

    ``sigma_prime[l-1]`` is σ_l'(z_l) as an unevaluated derivative (the display form),
    ``dC_da`` is ∂C/∂a_L likewise, ``recurrence[l-1]`` the factors of δ_l in terms of
    δ_{l+1}.  :meth:`concrete` maps every display factor to the activation's and cost's
    own closed forms.
    """

    network: Chain
    sigma_prime: tuple
    dC_da: sp.Expr
    recurrence: tuple
    slope_factor: dict = field(default_factory=dict)

    # -- the parameters ---------------------------------------------------------------------
    @property
    def L(self) -> int:
        return self.network.depth

    def parameter_names(self) -> list[str]:
        return self.network.parameter_names()

    # -- local factors ----------------------------------------------------------------------
    def repeated_factor(self, j: int) -> tuple:
        """∂a_j/∂a_{j-1} = w_j σ_j'(z_j), the factor every earlier layer picks up."""
        return (self.network.w(j), self.sigma_prime[j - 1])

    @cached_property
    def _tail(self) -> tuple:
        """w_1, σ_1'(z_1), w_2, σ_2'(z_2), ..., w_L, σ_L'(z_L), ∂C/∂a_L: every factor
        of every closed form is a slice of this one tuple."""
        out = []
        for l in self.network.layers:
            out += [self.network.w(l), self.sigma_prime[l - 1]]
        out.append(self.dC_da)
        return tuple(out)

    def delta(self, l: int) -> tuple:
        """The factors of δ_l = ∂C/∂z_l written out in network order:
        σ_l'(z_l) w_{l+1} σ_{l+1}'(z_{l+1}) ... ∂C/∂a_L."""
        if not 1 <= l <= self.L:
            raise UsageError(f"layer={l}: must be 1..{self.L}")
        return self._tail[2 * l - 1:]

    def dC_da_layer(self, l: int) -> tuple:
        """The factors of ∂C/∂a_l = w_{l+1} σ'(z_{l+1}) ... ∂C/∂a_L."""
        return self._tail[2 * l:]

    def factors(self, parameter: str) -> tuple:
        """The closed form of ∂C/∂parameter as factors in network order, with the
        trivial factor 1 of a linear layer left out."""
        kind, l = self.network.parameter(parameter)
        if kind == "b":
            out = self.delta(l)
        elif kind == "w":
            out = (self.network.a(l - 1),) + self.delta(l)
        else:
            out = (self.slope_factor[l],) + self.dC_da_layer(l)
        return tuple(f for f in out if f is not sp.S.One) or (sp.Integer(1),)

    def closed_form(self, parameter: str) -> OrderedProduct:
        """∂C/∂parameter as an :class:`OrderedProduct` (display form)."""
        return OrderedProduct(*self.factors(parameter))

    def recurrence_form(self, parameter: str) -> OrderedProduct:
        """∂C/∂parameter in terms of the next δ: δ_l = σ'(z_l) w_{l+1} δ_{l+1}."""
        kind, l = self.network.parameter(parameter)
        head = {"b": (), "w": (self.network.a(l - 1),)}.get(kind)
        if head is None:
            rest = (self.network.w(l + 1), delta_symbol(l + 1)) if l < self.L else (self.dC_da,)
            return OrderedProduct(self.slope_factor[l], *rest)
        return OrderedProduct(*head, *self.recurrence[l - 1])

    # -- concrete forms ---------------------------------------------------------------------
    @cached_property
    def _concrete_z(self) -> dict:
        net = self.network
        m = {self.dC_da: net.cost.derivative(net.a(self.L), net.y)}
        for l in net.layers:
            if self.sigma_prime[l - 1] != 1:
                m[self.sigma_prime[l - 1]] = net.sigma(l).derivative(net.z(l), net.alpha(l))
        for l, f in self.slope_factor.items():
            m[f] = net.sigma(l).parameter_derivative(net.z(l), net.alpha(l))
        return m

    @cached_property
    def _concrete_a(self) -> dict:
        net = self.network
        m = dict(self._concrete_z)
        for l in net.layers:
            in_a = net.sigma(l).derivative_in_a(net.a(l))
            if in_a is not None and self.sigma_prime[l - 1] != 1:
                m[self.sigma_prime[l - 1]] = in_a
        return m

    def concrete(self, factor: sp.Expr, in_a: bool = False) -> sp.Expr:
        """A display factor replaced by its closed form: σ'(z_l) by the activation's
        derivative (in terms of a_l where ``in_a`` and the lecture writes it so),
        ∂C/∂a_L by the cost's."""
        table = self._concrete_a if in_a else self._concrete_z
        return table.get(factor, factor)

    def gradient(self, parameter: str, concrete: bool | str = False) -> sp.Expr:
        """∂C/∂parameter as an evaluated SymPy expression.

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
        return sp.factor(sp.cancel(self.concrete(self.sigma_prime[-1], in_a=True)
                                   * self.concrete(self.dC_da)))

    @property
    def output_delta_cancels(self) -> bool:
        """True where σ_L'(z_L) ∂C/∂a_L is a polynomial in a_L and y (no division)."""
        num, den = sp.fraction(sp.together(self.output_delta))
        return not den.free_symbols

    # -- Jupyter (printing is imported here, never at module level: it reads derive) --------
    def _repr_latex_(self) -> str:
        from symgrad.printing.printers import repr_latex
        return repr_latex(self)

    def _repr_markdown_(self) -> str:
        from symgrad.printing.printers import repr_markdown
        return repr_markdown(self)


def derive(network: Chain) -> Derivation:
    """Derive the closed-form gradients of a chain: linear time and memory in depth.

    >>> d = derive(Chain(depth=3, activation="tanh"))
    >>> d.closed_form("b_1").args
    (Derivative(tanh(z_1), z_1), w_2, Derivative(tanh(z_2), z_2), w_3, Derivative(tanh(z_3), z_3), Derivative(C(a_3), a_3))
    """
    from symgrad.derivation.dense import Dense, derive_dense  # lazy: a dense network has its own derivation
    if isinstance(network, Dense):
        return derive_dense(network)
    if not isinstance(network, Chain):
        raise UsageError(f"network={network!r}: must be a Chain")
    net = network
    L = net.depth
    # σ_l'(z_l), the display form: d/dz_l σ_l(z_l), unevaluated
    sigma_prime = []
    slope_factor = {}
    for l in net.layers:
        f = layer_function(net.sigma(l))
        if net.sigma(l).is_linear:
            sigma_prime.append(sp.Integer(1))  # id'(z) = 1 drops out of every product
        elif net.has_slope(l):
            sigma_prime.append(sp.Derivative(f(net.z(l), net.alpha(l)), net.z(l)))
            # ∂a_l/∂α_l, the learned slope's local factor
            slope_factor[l] = sp.Derivative(f(net.z(l), net.alpha(l)), net.alpha(l))
        else:
            sigma_prime.append(sp.Derivative(f(net.z(l)), net.z(l)))
    # ∂C/∂a_L
    dC_da = sp.Derivative(cost_function(net.a(L)), net.a(L))
    # δ_L = σ_L'(z_L) ∂C/∂a_L;  δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}
    recurrence = [None] * L
    recurrence[L - 1] = (sigma_prime[L - 1], dC_da)
    for l in range(L - 1, 0, -1):
        recurrence[l - 1] = (sigma_prime[l - 1], net.w(l + 1), delta_symbol(l + 1))
    return Derivation(network=net, sigma_prime=tuple(sigma_prime), dC_da=dC_da,
                      recurrence=tuple(recurrence), slope_factor=slope_factor)
