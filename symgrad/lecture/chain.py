"""A chain's derivation written out step by step, as data: a tuple of :class:`Step`.

========================  =====================================================================
``forward``               z_l = w_l a_{l-1} + b_l, a_l = σ(z_l), C(a_L, y)
``chain rule``            ∂C/∂b_l = ∂C/∂a_L ∂a_L/∂z_L ∂z_L/∂a_{L-1} ... ∂z_l/∂b_l
``local derivatives``     ∂a_j/∂z_j = σ'(z_j), ∂z_j/∂a_{j-1} = w_j, ∂z_j/∂b_j = 1, ∂z_j/∂w_j = a_{j-1}
``backpropagation``       ∂a_j/∂a_{j-1} = w_j σ'(z_j), δ_l = σ'(z_l) w_{l+1} δ_{l+1}
``closed forms``          ∂C/∂b_1 = σ'(z_1) w_2 σ'(z_2) ... ∂C/∂a_L, factors in network order
``bounds``                |σ'| ≤ sup|σ'|, so |∂C/∂b_l| ≤ (1/4)^{L-l+1} |w_{l+1}| ... |∂C/∂a_L|
``concrete``              σ'(z_j) = a_j (1 - a_j), ∂C/∂a_L = a_L - y, the closed forms with both
========================  =====================================================================

The formulas are the Derivation's own (:meth:`~symgrad.derivation.Derivation.closed_form`),
the words come from :mod:`symgrad.lecture.prose`, which reads :mod:`symgrad.lecture.facts`.

>>> from symgrad import Chain, derive
>>> steps = derivation_steps(derive(Chain(depth=4)))
>>> [s.group for s in steps][:3]
['forward', 'chain rule', 'chain rule']
>>> steps[1].equations[2].terms[1].args[:3]
(Derivative(C(a_4), a_4), Derivative(a_4, z_4), Derivative(z_4, a_3))
"""
from __future__ import annotations

import sympy as sp

from symgrad.derivation import Derivation, OrderedProduct, delta_symbol
from symgrad.lecture import prose
from symgrad.lecture.facts import Facts, facts_of, named
from symgrad.lecture.nodes import (Preactivation, Step, cost_symbol, eq, generic, gradient_of,
                                   partial, sigma_of, sigma_prime_of)

__all__ = ["derivation_steps", "in_output_form", "coefficient"]


def derivation_steps(d: Derivation, notation: str = "nielsen") -> tuple[Step, ...]:
    """The derivation of the chain ``d`` step by step, grouped as in
    :data:`~symgrad.lecture.nodes.GROUPS`."""
    f = facts_of(d)
    return (_forward(f) + _chain_rule(f) + _local(f, notation) + _backprop(f) + _closed(f)
            + _bounds(f) + _concrete(f))


def _forward(f: Facts) -> tuple[Step, ...]:
    net = f.network
    eqs = []
    for l in net.layers:
        eqs.append(eq(net.z_(l), "=", Preactivation(net.w_(l), net.a_(l - 1), net.b_(l))))
        eqs.append(eq(net.a_(l), "=", net.unit(l)))
    eqs.append(eq(cost_symbol(), "=", net.cost(net.a_(f.L), net.y_())))
    return (Step("forward", prose.forward_rule(f), tuple(eqs)),)


def _path(f: Facts, l: int) -> list:
    """∂C/∂a_L ∂a_L/∂z_L ∂z_L/∂a_{L-1} ... ∂a_l/∂z_l: from the cost back to z_l."""
    net = f.network
    out = [f.derivation.dC_da()]
    for j in range(f.L, l - 1, -1):
        out.append(partial(net.a_(j), net.z_(j)))
        if j > l:
            out.append(partial(net.z_(j), net.a_(j - 1)))
    return out


def _chain_rule(f: Facts) -> tuple[Step, ...]:
    net, L = f.network, f.L
    steps = []
    for kind in ("b", "w"):
        eqs = tuple(eq(gradient_of(f"{kind}_{l}"), "=",
                       OrderedProduct(*_path(f, l), partial(net.z_(l), getattr(net, kind + "_")(l))))
                    for l in range(L, 0, -1))
        steps.append(Step("chain rule", prose.chain_rule_rule(f, kind), eqs))
    slopes = [l for l in range(L, 0, -1) if net.has_slope(l)]
    if slopes:
        eqs = []
        for l in slopes:
            path = [f.derivation.dC_da()]
            for j in range(L, l, -1):
                path += [partial(net.a_(j), net.z_(j)), partial(net.z_(j), net.a_(j - 1))]
            path.append(partial(net.a_(l), net.alpha(l)))
            eqs.append(eq(gradient_of(f"alpha_{l}"), "=", OrderedProduct(*path)))
        steps.append(Step("chain rule", prose.slope_chain_rule(f), tuple(eqs)))
    return tuple(steps)


def _local(f: Facts, notation: str) -> tuple[Step, ...]:
    net = f.network
    zj, aj, aj1 = generic("z", "j"), generic("a", "j"), generic("a", "j-1")
    wj, bj, alj = generic("w", "j"), generic("b", "j"), generic("alpha", "j")
    eqs = []
    if f.uniform is not None:
        act = f.uniform.activation
        eqs.append(eq(partial(aj, zj), "=", sigma_prime_of(act, zj, alj),
                      *(("=", sp.Integer(1)) if act.is_linear else ())))
    else:
        for l in net.layers:
            act = net.sigma(l)
            eqs.append(eq(partial(net.a_(l), net.z_(l)), "=",
                          sigma_prime_of(act, net.z_(l), net.alpha(l)),
                          *(("=", sp.Integer(1)) if act.is_linear else ())))
    eqs += [eq(partial(zj, aj1), "=", wj), eq(partial(zj, bj), "=", sp.Integer(1)),
            eq(partial(zj, wj), "=", aj1)]
    slopes = [l for l in net.layers if net.has_slope(l)]
    if slopes:
        act = net.sigma(slopes[0])
        eqs.append(eq(partial(aj, alj), "=", act.parameter_derivative(zj, alj)))
    return (Step("local derivatives", prose.local_rule(f, notation), tuple(eqs)),)


def _recurrence_factors(f: Facts, l: int) -> tuple:
    """δ_l's factors in terms of δ_{l+1}, a linear layer's id' = 1 left out."""
    return tuple(x for x in f.derivation.recurrence[l - 1] if x != 1) or (sp.Integer(1),)


def _backprop(f: Facts) -> tuple[Step, ...]:
    net, L, d = f.network, f.L, f.derivation
    steps = []
    eqs = []
    for j in range(2, L + 1):
        if f.uniform is not None:   # one generic row says it for every layer
            if j > 2:
                break
            act = f.uniform.activation
            zj, aj, aj1, wj = generic("z", "j"), generic("a", "j"), generic("a", "j-1"), generic("w", "j")
            rf = wj if act.is_linear else OrderedProduct(wj, sigma_prime_of(act, zj, generic("alpha", "j")))
            eqs.append(eq(partial(aj, aj1), "=", OrderedProduct(partial(zj, aj1), partial(aj, zj)),
                          "=", rf))
            continue
        factors = [x for x in d.repeated_factor(j) if x != 1]
        eqs.append(eq(partial(net.a_(j), net.a_(j - 1)), "=",
                      OrderedProduct(partial(net.z_(j), net.a_(j - 1)), partial(net.a_(j), net.z_(j))),
                      "=", OrderedProduct(*factors) if len(factors) > 1 else factors[0]))
    if eqs:
        steps.append(Step("backpropagation", prose.repeated_factor_rule(f), tuple(eqs)))
    eqs = [eq(delta_symbol(l), "=", OrderedProduct(*_recurrence_factors(f, l)))
           for l in range(L, 0, -1)]
    eqs += [eq(gradient_of("b_l"), "=", generic("delta", "l")),
            eq(gradient_of("w_l"), "=", OrderedProduct(generic("a", "l-1"), generic("delta", "l")))]
    steps.append(Step("backpropagation", prose.recurrence_rule(f), tuple(eqs)))
    if f.uniform is not None and not f.uniform.linear and L > 1:
        act = f.uniform.activation
        j, l = sp.Symbol("j", real=True), sp.Symbol("l", real=True)
        body = OrderedProduct(generic("w", "j"), sigma_prime_of(act, generic("z", "j"), generic("alpha", "j")))
        prod = OrderedProduct(sigma_prime_of(act, generic("z", "l"), generic("alpha", "l")),
                              sp.Product(body, (j, l + 1, L)), d.dC_da())
        steps.append(Step("backpropagation", prose.unrolled_rule(f), (eq(gradient_of("b_l"), "=", prod),)))
    return tuple(steps)


def _closed(f: Facts) -> tuple[Step, ...]:
    d = f.derivation
    eqs = tuple(eq(gradient_of(p), "=", d.closed_form(p)) for p in d.parameter_names())
    return (Step("closed forms", prose.closed_rule(f), eqs),)


# -- bounds ------------------------------------------------------------------------------------

def coefficient(bounds: list) -> sp.Expr:
    """Π of the bounds with equal values grouped as powers, kept unevaluated: (1/4)^3."""
    powers = []
    for s in map(named, bounds):
        if s == 1:
            continue
        for i, (base, n) in enumerate(powers):
            if base == s:
                powers[i] = (base, n + 1)
                break
        else:
            powers.append((s, 1))
    if not powers:
        return sp.Integer(1)
    terms = [sp.Pow(b, n, evaluate=False) if n > 1 else b for b, n in powers]
    return terms[0] if len(terms) == 1 else OrderedProduct(*terms)


def _bounds(f: Facts) -> tuple[Step, ...]:
    net, L, d = f.network, f.L, f.derivation
    if not f.sigma_layers(1) or not f.bounded:
        return ()
    shown = []
    for j in f.sigma_layers(1):
        act = f.layer(j)
        if act not in shown:
            shown.append(act)
    eqs = tuple(eq(sp.Abs(sigma_prime_of(a.activation, a.activation.z)), "<=", named(a.bound))
                for a in shown)
    headline = prose.sentences(*[prose.bound_sentence(a) for a in shown], end="")
    steps = [Step("bounds", prose.sup_rule(f, shown), eqs, headline)]
    # with a cancelling cost σ_L'(z_L) ∂C/∂a_L = a_L − y stays one factor, not bounded by sup|σ'|
    last = sp.Abs(OrderedProduct(d.sigma_primes[-1], d.dC_da())) if f.output_cancels \
        else sp.Abs(d.dC_da())
    eqs = []
    for l in range(L, 0, -1):
        coeff = coefficient(f.coefficient(l))
        factors = ([coeff] if coeff != 1 else []) + [sp.Abs(net.w_(j)) for j in range(l + 1, L + 1)]
        eqs.append(eq(sp.Abs(gradient_of(f"b_{l}")), "<=", OrderedProduct(*factors, last)))
    steps.append(Step("bounds", prose.layer_bound_rule(f), tuple(eqs), prose.bound_headline(f)))
    return tuple(steps)


# -- the concrete activation and cost ---------------------------------------------------------

def in_output_form(act, a: sp.Expr) -> sp.Expr | None:
    """σ' with the output a substituted from the activation table, its factors kept in the
    table's order: a (1 - a), not SymPy's sorted (1 - a) a."""
    if act.derivative_in_a_expression is None:
        return None
    base = act.derivative_in_a(sp.Symbol("a", real=True))
    if isinstance(base, sp.Mul):
        return OrderedProduct(*[x.xreplace({sp.Symbol("a", real=True): a})
                                for x in base.as_ordered_factors()])
    return act.derivative_in_a(a)


def _concrete(f: Facts) -> tuple[Step, ...]:
    net, L, d = f.network, f.L, f.derivation
    steps, eqs = [], []
    a = sp.Symbol("a", real=True)
    for act_facts in f.activations:
        act = act_facts.activation
        if act.is_linear:
            continue
        z = act.z
        form = in_output_form(act, sigma_of(act, z))   # σ'(z) = σ(z) (1 − σ(z)), as taught
        eqs.append(eq(sigma_prime_of(act, z), "=",
                      form if form is not None else named(act.derivative(z, act.parameter))))
        if act_facts.in_output is None:
            continue
        layers = f.layers_of(act_facts)
        rows = [(generic("z", "j"), generic("a", "j"), generic("alpha", "j"))] if f.uniform \
            else [(net.z_(m), net.a_(m), net.alpha(m)) for m in layers]
        for zz, aa, al in rows:
            form = in_output_form(act, aa)
            if form is None:
                form = named(act_facts.in_output.xreplace({a: aa}))
            eqs.append(eq(sigma_prime_of(act, zz, al), "=", form))
    if eqs:
        steps.append(Step("concrete", prose.concrete_activation_rule(f), tuple(eqs)))
    dCda = net.cost.derivative(net.a_(L), net.y_())
    eqs = [eq(d.dC_da(), "=", dCda)]
    if f.output_cancels:
        sp_a = net.sigma(L).derivative_in_a(net.a_(L))
        eqs.append(eq(delta_symbol(L), "=", OrderedProduct(d.sigma_primes[-1], d.dC_da()), "=",
                      OrderedProduct(sp_a, dCda), "=", d.output_delta))
    elif net.sigma(L).is_linear:
        eqs.append(eq(delta_symbol(L), "=", d.dC_da(), "=", dCda))
    steps.append(Step("concrete", prose.cost_rule(f), tuple(eqs)))
    eqs = tuple(eq(gradient_of(p), "=", OrderedProduct(*_concrete_factors(f, p)))
                for p in d.parameter_names())
    steps.append(Step("concrete", prose.substituted_rule(f), eqs))
    return tuple(steps)


def _concrete_factors(f: Facts, parameter: str) -> list:
    net, d = f.network, f.derivation
    factors = list(d.factors(parameter))
    if f.output_cancels and factors[-2:] == [d.sigma_primes[-1], d.dC_da()]:
        factors[-2:] = [d.output_delta]
    out = []
    for x in factors:
        if x in d.sigma_primes:
            l = d.sigma_primes.index(x) + 1
            form = net.sigma(l).derivative_in_a(net.a_(l))
            out.append(form if form is not None else x)   # a piecewise σ' stays as it is
        elif x == d.dC_da():
            out.append(net.cost.derivative(net.a_(f.L), net.y_()))
        else:
            out.append(x)
    return out
