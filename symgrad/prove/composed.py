"""The composed proof: differentiate the whole network's cost, compare every closed form.

The engine builds the cost C = Σ_i Σ_j c(a^L_{j,i}, y_{j,i}) of the fully composed network,
every activation an undefined function σ_l (the identity on a linear layer, two arguments
on a PReLU layer) and the elementwise cost an undefined function c; a softmax output with
cross-entropy is written out (C_i = −Σ_j y_j (z^L_j − ln Σ_m exp z^L_m), with
y_{n_L} = 1 − Σ_{j<n_L} y_j).  Each local factor of the statement reads as the engine
writes it -- σ_l'(z^l_j) as ∂a^l_j/∂b^l_j, ∂C/∂a^L_j as what multiplies σ_L'(z^L_j) in
∂C/∂b^L_j -- and δ^l_j as the derivation's own recurrence; then every claim, read from
those objects, must equal the engine's derivative of C by its parameter, and every ordered
product must keep its factors in network order.  For a chain the claims are the ordered
products, for a dense network every component.

>>> from symgrad import Chain, derive
>>> from symgrad.prove.engine import engine_module
>>> prove_composed(derive(Chain(depth=3)), engine_module("symengine"), "expanded")
([], ['b_3', 'b_2', 'b_1', 'w_3', 'w_2', 'w_1'])
"""
from __future__ import annotations

import re

import sympy as sp

from symgrad.derivation import Derivation, OrderedProduct
from symgrad.model.activations import Softmax
from symgrad.prove.engine import Reader, other_factor, same
from symgrad.prove.statement import Statement, claims

__all__ = ["ComposedNetwork", "prove_composed", "in_network_order"]

#: a layer symbol of either notation: kind and layer (``w_3``, ``w^3_1,2``, ``delta^2_1``)
_LAYER = re.compile(r"^([a-z]+)(?:\^(\d+)|_(\d+))")


class ComposedNetwork:
    """The composed network of a derivation in the engine's objects: :attr:`cost`, the
    engine symbol of every parameter component (:attr:`params`) and a :class:`Reader`
    whose table holds every atom a closed form is made of."""

    def __init__(self, d: Derivation, se):
        self.d, self.se, net = d, se, d.network
        self.statement = Statement(net)
        self.params = {}
        atoms = {}
        for name in net.parameter_names():
            for _, sym in net.components(name):
                atoms[sym] = self.params[sym] = se.Symbol(sym.name)
        self.read = Reader(se, atoms)
        c = se.Function("c")
        terms = []
        for i in ([None] if net.samples == 1 else list(net.sample_range)):
            a = self._inputs(i)
            y = [se.Symbol(net.y_(j, i).name) for j in range(1, net.n(net.L) + 1)]
            if net.softmax_output:
                y[-1] = 1 - se.Add(*y[:-1])                       # Σ_j y_j = 1
            atoms.update({net.y_(j, i): yj for j, yj in enumerate(y, 1)})
            for l in net.layers:
                a, z = self._layer(l, i, a)
                if isinstance(net.sigma(l), Softmax):
                    # C_i = −Σ_j y_j ln softmax_j(z) = −Σ_j y_j (z_j − ln Σ_m e^{z_m})
                    total = se.Add(*[se.exp(zj) for zj in z])
                    terms += [-yj * (zj - se.log(total)) for yj, zj in zip(y, z)]
            if not net.softmax_output:
                for j, (aj, yj) in enumerate(zip(a, y), 1):
                    terms.append(c(aj, yj))
                    # ∂C/∂a^L_j as the engine writes it: what multiplies σ_L'(z^L_j)
                    s = atoms.get(self.statement.sigma_prime(net.L, j, i), se.Integer(1))
                    atoms[self.statement.dC_da(net.L, j, i)] = \
                        other_factor(terms[-1].diff(atoms[net.b_(net.L, j)]), s, se)
        self.cost = se.Add(*terms)
        self._deltas()

    def _inputs(self, i) -> list:
        net, se = self.d.network, self.se
        a = [se.Symbol(net.a_(0, k, i).name) for k in range(1, net.n(0) + 1)]
        self.read.atoms.update({net.a_(0, k, i): ak for k, ak in enumerate(a, 1)})
        return a

    def _layer(self, l: int, i, a: list) -> tuple[list, list]:
        """Layer l of sample i: z^l_j = Σ_k w^l_{jk} a^{l-1}_k + b^l_j, a^l_j = σ_l(z^l_j),
        and its local factors σ_l'(z^l_j), ∂a^l_j/∂α_l as the engine writes them."""
        net, se, atoms, s = self.d.network, self.se, self.read.atoms, self.statement
        act = net.sigma(l)
        sigma = se.Function(f"sigma_{l}")
        alpha = atoms.get(net.alpha(l)) if net.has_slope(l) else None
        z = [se.Add(atoms[net.b_(l, j)], *[atoms[net.w_(l, j, k)] * a[k - 1]
                                            for k in range(1, net.n(l - 1) + 1)])
             for j in range(1, net.n(l) + 1)]
        if isinstance(act, Softmax):
            total = se.Add(*[se.exp(zj) for zj in z])
            out = [se.exp(zj) / total for zj in z]
        elif act.is_linear:
            out = z
        else:
            out = [sigma(zj, alpha) if alpha is not None else sigma(zj) for zj in z]
        for j, aj in enumerate(out, 1):
            atoms[net.a_(l, j, i)] = aj
            if not isinstance(act, Softmax) and not act.is_linear:
                atoms[s.sigma_prime(l, j, i)] = aj.diff(atoms[net.b_(l, j)])
            if alpha is not None:
                atoms[s.slope_factor(l, j, i)] = aj.diff(alpha)
        return out, z

    def _deltas(self) -> None:
        """δ^l_j from the derivation's own recurrence, the output layer first."""
        d, net = self.d, self.d.network
        for l in range(net.L, 0, -1):
            for i in ([None] if net.samples == 1 else list(net.sample_range)):
                for j in range(1, net.n(l) + 1):
                    try:
                        self.read.atoms[net.delta_(l, j, i)] = \
                            self.read(d.delta_component(l, j, i))
                    except KeyError:   # not this network's: every claim through it fails
                        continue


def _position(f, L: int) -> float | None:
    """Where a factor stands in the network: a^{l-1} before w^l before σ_l'(z^l) and δ^l,
    ∂C/∂a^L last; None for a factor that is not one layer's (a sum)."""
    if isinstance(f, sp.Derivative):
        inner = f.expr
        if getattr(inner, "func", None) is not None and inner.func.__name__ == "C":
            return L + 1.0
        f = inner.args[0] if inner.args else None
    m = _LAYER.match(getattr(f, "name", ""))
    if m is None:
        return None
    kind, layer = m.group(1), int(m.group(2) or m.group(3))
    return layer + {"a": 0.5, "w": -0.25, "W": -0.25}.get(kind, 0.0)


def in_network_order(expr, L: int) -> bool:
    """Every ordered product in ``expr`` keeps its factors in network order."""
    if isinstance(expr, OrderedProduct):
        known = [p for p in (_position(f, L) for f in expr.args) if p is not None]
        if any(p > q for p, q in zip(known, known[1:])):
            return False
    return all(in_network_order(a, L) for a in expr.args
               if isinstance(a, (OrderedProduct, sp.Add)))


def prove_composed(d: Derivation, se, form: str = "expanded", scale=1) -> tuple[list, list]:
    """(failures, names) of every claim of ``d`` against the engine's derivative of the
    composed cost; ``scale`` multiplies each closed form first (a proof that must fail)."""
    net = d.network
    comp = ComposedNetwork(d, se)
    factor = se.Integer(1) if scale == 1 else se.sympify(sp.nsimplify(scale))
    failures, names = [], []
    for claim in claims(d, form):
        names.append(claim.name)
        try:
            closed = factor * comp.read(claim.closed)
        except KeyError:                       # a factor of no layer of this network
            closed = None
        if closed is None or not in_network_order(claim.closed, net.L) or \
                not same(comp.cost.diff(comp.params[claim.parameter]), closed, se):
            failures.append(claim.name)
    return failures, names
