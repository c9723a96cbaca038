"""The layer bound: sup |σ'| turned into a bound on the gradient of a chain.

The closed form ∂C/∂b_l = σ'(z_l) w_{l+1} σ'(z_{l+1}) ⋯ w_L σ'(z_L) ∂C/∂a_L has L − l + 1
factors σ', each at most sup|σ'| in size, so

    |∂C/∂b_l| ≤ |∂C/∂a_L| · Π_{j=l+1}^{L} |w_j| · (sup|σ'|)^{L−l+1}

>>> from symgrad import Chain, derive
>>> from symgrad.printing.printers import latex
>>> print(latex(layer_bound(derive(Chain(depth=4)), 2).display))
\\left|{\\frac{\\partial C}{\\partial b_{2}}}\\right| \\leq \\left|{w_{3}}\\right| \\left|{w_{4}}\\right| \\left|{\\frac{\\partial C}{\\partial a_{4}}}\\right| \\left(\\frac{1}{4}\\right)^{3}
>>> three_sigmoid_layers()
Eq((1/4)**3, 1/64)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symgrad.bounds.supremum import supremum
from symgrad.derivation.derivation import OrderedProduct
from symgrad.errors import UsageError
from symgrad.model.activations import Activation, get_activation

__all__ = ["LayerBound", "layer_bound", "general_layer_bound", "sup_symbol",
           "three_sigmoid_layers"]

_C = sp.Symbol("C", real=True)


def sup_symbol(activation: Activation, l: int | None = None) -> sp.Expr:
    """sup |σ_l'| for layer l as an exact expression; PReLU's alpha becomes alpha_l.

    >>> sup_symbol(get_activation("prelu"), 2)
    Max(1, Abs(alpha_2))
    """
    s = supremum(activation)
    if not s.certified or s.value is None:
        known = "is only known as an enclosure" if s.certified else "could not be certified"
        raise UsageError(f"activation={activation.name!r}: sup|σ'| {known}; no exact layer "
                         "bound is stated")
    if activation.parameter is not None and l is not None:
        return s.value.xreplace({activation.parameter: sp.Symbol(f"alpha_{l}", real=True)})
    return s.value


@dataclass(frozen=True)
class LayerBound:
    """|∂C/∂b_l| ≤ |∂C/∂a_L| · Π_{j=l+1}^{L} |w_j| · Π_{j=l}^{L} sup|σ_j'| for one layer."""

    layer: int
    #: |∂C/∂b_l|
    lhs: sp.Expr
    #: the bound as factors in network order: |w_{l+1}| … |w_L| |∂C/∂a_L| and the sup factor
    rhs: OrderedProduct
    #: Π_{j=l}^{L} sup|σ_j'|, (sup|σ'|)^{L−l+1} for one activation
    sup_factor: sp.Expr
    steps: tuple = field(default=())

    @property
    def relation(self) -> sp.Le:
        """The bound as an evaluated SymPy relation (for numerics)."""
        return sp.Le(self.lhs, self.rhs.doit(), evaluate=False)

    @property
    def display(self) -> sp.Le:
        """The bound with the right side in network order (for printing)."""
        return sp.Le(self.lhs, self.rhs, evaluate=False)


def layer_bound(d, l: int) -> LayerBound:
    """The bound on |∂C/∂b_l| of a chain's derivation ``d``, read off its closed form: every
    σ' factor of ``d.factors("b_l")`` (the factors ``d.sigma_prime(j)``) replaced by its
    supremum, every other factor by its size.

    >>> from symgrad import Chain, derive
    >>> b = layer_bound(derive(Chain(depth=4, activation="tanh")), 1)
    >>> b.sup_factor, b.rhs.args
    (1, (Abs(w_2), Abs(w_3), Abs(w_4), Abs(Derivative(C(a_4), a_4))))
    >>> layer_bound(derive(Chain(depth=4)), 2).sup_factor
    1/64
    """
    net = d.network
    if not (isinstance(l, int) and 1 <= l <= d.L):
        raise UsageError(f"layer={l!r}: must be 1..{d.L}")
    factors = d.factors(f"b_{l}")
    # σ_j'(z_j) of layer j, as it stands among the factors (a linear layer's 1 does not)
    sigma_primes = {d.sigma_prime(j): j for j in range(1, d.L + 1)}
    kept, sups = [], []
    for f in factors:
        j = sigma_primes.get(f)
        if j is None:
            kept.append(sp.Abs(f))  # w_j or ∂C/∂a_L: its size
        else:
            sups.append(sup_symbol(net.sigma(j), j))  # |σ_j'(z_j)| ≤ sup|σ_j'|
    sup_factor = sp.Mul(*sups)  # a linear layer's sup|σ'| = 1 drops out with its factor
    shown = sp.Pow(sups[0], len(sups), evaluate=False) \
        if len(set(sups)) == 1 and len(sups) > 1 else sup_factor
    rhs = OrderedProduct(*kept, shown) if sup_factor != 1 else OrderedProduct(*kept)
    steps = (f"∂C/∂b_{l} = " + " ".join(map(sp.sstr, factors)),
             "|xy| = |x||y| and |σ_j'(z_j)| ≤ sup|σ_j'| for every σ' factor")
    lhs = sp.Abs(sp.Derivative(_C, sp.Symbol(f"b_{l}", real=True)))
    return LayerBound(l, lhs, rhs, sup_factor, steps)


def general_layer_bound(activation="sigmoid") -> sp.Le:
    """The bound for every depth L and layer l, with Π and the exact sup; the right side is
    an :class:`OrderedProduct` (``.doit()`` evaluates it).

    >>> from symgrad.printing.printers import latex
    >>> print(latex(general_layer_bound("sigmoid")))
    \\left|{\\frac{\\partial C}{\\partial b_{l}}}\\right| \\leq \\left|{\\frac{\\partial C}{\\partial a_{L}}}\\right| \\prod_{j=l + 1}^{L} \\left|{{w}_{j}}\\right| \\left(\\frac{1}{4}\\right)^{L - l + 1}
    """
    act = get_activation(activation)
    l, L, j = sp.symbols("l L j", integer=True, positive=True)
    w = sp.IndexedBase("w", real=True)
    S = sup_symbol(act)
    if act.name == "selu":  # the exact rational λα, shown as λα
        S = sp.Mul(sp.Symbol("lambda", positive=True), sp.Symbol("alpha", positive=True),
                   evaluate=False)
    lhs = sp.Abs(sp.Derivative(_C, sp.Symbol("b_l", real=True)))
    # |∂C/∂a_L| · Π_{j=l+1}^{L} |w_j| · (sup|σ'|)^{L−l+1}
    rhs = OrderedProduct(sp.Abs(sp.Derivative(_C, sp.Symbol("a_L", real=True))),
                         sp.Product(sp.Abs(w[j]), (j, l + 1, L)),
                         sp.Pow(S, L - l + 1, evaluate=False))
    return sp.Le(lhs, rhs, evaluate=False)


def three_sigmoid_layers() -> sp.Eq:
    """The material's statement: three sigmoid layers multiply at most (1/4)^3 = 1/64 into
    the gradient (the factors σ'(z_{L−2}) σ'(z_{L−1}) σ'(z_L) of ∂C/∂b_{L−2})."""
    s = sup_symbol(get_activation("sigmoid"))
    return sp.Eq(sp.Pow(s, 3, evaluate=False), s ** 3, evaluate=False)
