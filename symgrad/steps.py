"""The derivation written out step by step, as data: a tuple of :class:`Step`.

Each step is one or more equations and the rule that justifies them, in a group:

========================  =====================================================================
``forward``               z_l = w_l a_{l-1} + b_l, a_l = σ(z_l), C(a_L, y)
``chain rule``            ∂C/∂b_l = ∂C/∂a_L ∂a_L/∂z_L ∂z_L/∂a_{L-1} ... ∂z_l/∂b_l
``local derivatives``     ∂a_j/∂z_j = σ'(z_j), ∂z_j/∂a_{j-1} = w_j, ∂z_j/∂b_j = 1, ∂z_j/∂w_j = a_{j-1}
``backpropagation``       ∂a_j/∂a_{j-1} = w_j σ'(z_j) (the repeated factor), δ_l = σ'(z_l) w_{l+1} δ_{l+1}
``closed forms``          ∂C/∂b_1 = σ'(z_1) w_2 σ'(z_2) ... ∂C/∂a_L, factors in network order
``bounds``                |σ'| ≤ sup σ', so |∂C/∂b_l| ≤ (1/4)^{L-l+1} |w_{l+1}| ... |∂C/∂a_L|
``concrete``              σ'(z_j) = a_j (1 - a_j), ∂C/∂a_L = a_L - y, the closed forms with both
========================  =====================================================================

Everything here is SymPy expressions and plain words; the printers and the document
templates of :mod:`symgrad.lecture` decide how it looks.  The closed forms are the
Derivation's own (:meth:`~symgrad.derive.Derivation.closed_form`), never re-derived.

>>> from symgrad import Chain, derive
>>> steps = derivation_steps(derive(Chain(depth=4)))
>>> [s.group for s in steps][:3]
['forward', 'chain rule', 'chain rule']
>>> eq = steps[1].equations[2]          # the chain rule for b_2
>>> eq.terms[1].args[:3]
(Derivative(C(a_4), a_4), Derivative(a_4, z_4), Derivative(z_4, a_3))
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .activations import Activation
from .derive import Derivation, OrderedProduct, delta_symbol
from .network import layer_function

__all__ = ["Equation", "Step", "Preactivation", "GROUPS", "derivation_steps",
           "derivative_sup", "generic", "uniform_activation"]

#: the groups, in the order a lecture presents them
GROUPS = ("forward", "chain rule", "local derivatives", "backpropagation", "closed forms",
          "bounds", "concrete")


@dataclass(frozen=True)
class Equation:
    """``terms[0] relations[0] terms[1] relations[1] ...``; relations are ``=``, ``<=``, ``<``."""

    terms: tuple
    relations: tuple

    def __post_init__(self):
        if len(self.relations) != len(self.terms) - 1 or len(self.terms) < 2:
            raise ValueError("an equation needs one relation between each two terms")


def eq(*items) -> Equation:
    """``eq(lhs, "=", rhs, "<=", bound)`` -> an :class:`Equation`."""
    return Equation(terms=tuple(items[0::2]), relations=tuple(items[1::2]))


@dataclass(frozen=True)
class Step:
    """One step of a derivation.

    ``rule`` is the justification as prose: a tuple of strings (words) and SymPy
    expressions or :class:`Equation` objects (inline formulas), printed in order.
    """

    group: str
    rule: tuple
    equations: tuple

    def __post_init__(self):
        # a rule given as one string, or with nested word groups, becomes one flat tuple
        flat, todo = [], [self.rule]
        while todo:
            item = todo.pop(0)
            if isinstance(item, (tuple, list)):
                todo[:0] = list(item)
            else:
                flat.append(item)
        object.__setattr__(self, "rule", tuple(flat))
        if self.group not in GROUPS:
            raise ValueError(f"group={self.group!r}: must be one of {', '.join(GROUPS)}")


class Preactivation(sp.Expr):
    """z_l = w_l a_{l-1} + b_l kept as its three parts, so each notation writes it its own
    way (``w_{l} a_{l-1} + b_{l}`` or, in the row convention, ``h_{l-1} W_{l} + b_{l}``).

    >>> w, a, b = sp.symbols("w_1 a_0 b_1")
    >>> Preactivation(w, a, b).doit()
    a_0*w_1 + b_1
    """

    is_commutative = True

    def __new__(cls, w, a, b):
        return sp.Basic.__new__(cls, sp.sympify(w), sp.sympify(a), sp.sympify(b))

    def doit(self, **hints):
        w, a, b = self.args
        return w * a + b

    def _sympystr(self, printer):
        w, a, b = self.args
        return f"{printer._print(w)}*{printer._print(a)} + {printer._print(b)}"


def generic(kind: str, index: str) -> sp.Symbol:
    """A layer symbol with a symbolic index: ``generic("a", "j-1")`` is a_{j-1}."""
    return sp.Symbol(f"{kind}_{index}", real=True)


def uniform_activation(d: Derivation) -> Activation | None:
    """The one activation of every layer, or None for a mixed chain."""
    acts = d.network.activations
    return acts[0] if len(set(acts)) == 1 else None


def _sigma_prime(act: Activation, z: sp.Symbol, alpha: sp.Symbol) -> sp.Expr:
    """σ'(z) as the unevaluated display derivative (also for the linear layer's id')."""
    f = layer_function(act)
    return sp.Derivative(f(z, alpha) if act.parameter is not None else f(z), z)


def _sigma_of(act: Activation, z: sp.Symbol, alpha: sp.Symbol) -> sp.Expr:
    f = layer_function(act)
    return f(z, alpha) if act.parameter is not None else f(z)


def _partial(num, den) -> sp.Derivative:
    return sp.Derivative(num, den)


def _C() -> sp.Symbol:
    return sp.Symbol("C", real=True)


def _lhs(name: str) -> sp.Derivative:
    return sp.Derivative(_C(), sp.Symbol(name, real=True))


# -- the supremum of |σ'| --------------------------------------------------------------------

def derivative_sup(act: Activation):
    """``(sup |σ'|, where it is attained or None)`` over the reals, as
    :func:`symgrad.bounds.supremum` proves it; None where the supremum has no short exact
    value (SiLU's is an interval enclosure, SELU's a 60-digit rational) or depends on a
    learned slope (PReLU).

    >>> from symgrad.activations import get_activation
    >>> derivative_sup(get_activation("sigmoid"))
    (1/4, 0)
    >>> derivative_sup(get_activation("relu"))
    (1, None)
    """
    from .bounds import supremum
    s = supremum(act)
    if not s.certified or s.value is None or s.value.free_symbols or len(sp.sstr(s.value)) > 40:
        return None
    at = s.attained_at if isinstance(s.attained_at, sp.Expr) and s.attained_at.is_number else None
    return s.value, at


# -- the steps --------------------------------------------------------------------------------

def derivation_steps(d: Derivation) -> tuple[Step, ...]:
    """The derivation of ``d`` step by step, grouped as in :data:`GROUPS`."""
    return (_forward(d) + _chain_rule(d) + _local(d) + _backprop(d) + _closed(d)
            + _bounds(d) + _concrete(d))


def _forward(d: Derivation) -> tuple[Step, ...]:
    net = d.network
    L = net.depth
    eqs = []
    for l in net.layers:
        eqs.append(eq(net.z(l), "=", Preactivation(net.w(l), net.a(l - 1), net.b(l))))
        eqs.append(eq(net.a(l), "=", net.activation_display(l)))
    eqs.append(eq(_C(), "=", net.cost(net.a(L), net.y)))
    zl, al = generic("z", "l"), generic("a", "l")
    rule = ("The input ", net.a(0), f" passes through {L} layer{'s' if L > 1 else ''} of one "
            "neuron each. Layer ", sp.Symbol("l"), " forms the weighted input ",
            eq(zl, "=", Preactivation(generic("w", "l"), generic("a", "l-1"), generic("b", "l"))),
            " and the activation ", al, "; the cost ", _C(), " compares the output ",
            net.a(L), " with the target ", net.y, ".")
    return (Step("forward", rule, tuple(eqs)),)


def _path(d: Derivation, l: int) -> list:
    """∂C/∂a_L ∂a_L/∂z_L ∂z_L/∂a_{L-1} ... ∂a_l/∂z_l: from the cost back to z_l."""
    net = d.network
    out = [d.dC_da]
    for j in range(net.depth, l - 1, -1):
        out.append(_partial(net.a(j), net.z(j)))
        if j > l:
            out.append(_partial(net.z(j), net.a(j - 1)))
    return out


def _chain_rule(d: Derivation) -> tuple[Step, ...]:
    net = d.network
    L = net.depth
    steps = []
    for kind in ("b", "w"):
        eqs = tuple(eq(_lhs(f"{kind}_{l}"), "=",
                       OrderedProduct(*_path(d, l), _partial(net.z(l), getattr(net, kind)(l))))
                    for l in range(L, 0, -1))
        what = "bias" if kind == "b" else "weight"
        p = generic(kind, "l")
        rule = (f"The {what} ", p, " reaches the cost only through ", generic("z", "l"), ", ",
                generic("a", "l"), ", ", generic("z", "l+1"), ", ..., ", net.a(L),
                ". The chain rule multiplies the derivatives along this path, from the cost "
                "back to the parameter:")
        steps.append(Step("chain rule", rule, eqs))
    slopes = [l for l in range(L, 0, -1) if net.has_slope(l)]
    if slopes:
        eqs = []
        for l in slopes:
            path = [d.dC_da]
            for j in range(L, l, -1):
                path += [_partial(net.a(j), net.z(j)), _partial(net.z(j), net.a(j - 1))]
            path.append(_partial(net.a(l), net.alpha(l)))
            eqs.append(eq(_lhs(f"alpha_{l}"), "=", OrderedProduct(*path)))
        rule = ("The learned slope ", generic("alpha", "l"), " acts on ", generic("a", "l"),
                " directly:")
        steps.append(Step("chain rule", rule, tuple(eqs)))
    return tuple(steps)


def _local(d: Derivation) -> tuple[Step, ...]:
    net = d.network
    L = net.depth
    act = uniform_activation(d)
    j = "j"
    zj, aj, aj1 = generic("z", j), generic("a", j), generic("a", "j-1")
    wj, bj, alj = generic("w", j), generic("b", j), generic("alpha", j)
    eqs = []
    if act is not None:
        row = [_partial(aj, zj), "=", _sigma_prime(act, zj, alj)]
        if act.is_linear:
            row += ["=", sp.Integer(1)]
        eqs.append(eq(*row))
    else:
        for l in net.layers:
            s = net.sigma(l)
            row = [_partial(net.a(l), net.z(l)), "=", _sigma_prime(s, net.z(l), net.alpha(l))]
            if s.is_linear:
                row += ["=", sp.Integer(1)]
            eqs.append(eq(*row))
    eqs += [eq(_partial(zj, aj1), "=", wj), eq(_partial(zj, bj), "=", sp.Integer(1)),
            eq(_partial(zj, wj), "=", aj1)]
    slopes = [l for l in net.layers if net.has_slope(l)]
    if slopes:
        s = net.sigma(slopes[0])
        eqs.append(eq(_partial(aj, alj), "=", s.parameter_derivative(zj, alj)))
    rule = ("Each factor is the derivative of one forward equation with respect to its input, "
            "for every layer ", eq(sp.Symbol("j"), "=", sp.Symbol("1")), ", ..., ", sp.Integer(L),
            ":")
    return (Step("local derivatives", rule, tuple(eqs)),)


def _backprop(d: Derivation) -> tuple[Step, ...]:
    net = d.network
    L = net.depth
    act = uniform_activation(d)
    steps = []
    # the repeated factor ∂a_j/∂a_{j-1} = ∂z_j/∂a_{j-1} ∂a_j/∂z_j = w_j σ'(z_j)
    if act is not None:
        j = "j"
        zj, aj, aj1, wj = generic("z", j), generic("a", j), generic("a", "j-1"), generic("w", j)
        rf = OrderedProduct(wj, _sigma_prime(act, zj, generic("alpha", j))) \
            if not act.is_linear else wj
        eqs = (eq(_partial(aj, aj1), "=",
                  OrderedProduct(_partial(zj, aj1), _partial(aj, zj)), "=", rf),)
    else:
        eqs = tuple(eq(_partial(net.a(j), net.a(j - 1)), "=",
                       OrderedProduct(_partial(net.z(j), net.a(j - 1)), _partial(net.a(j), net.z(j))),
                       "=", OrderedProduct(*[f for f in d.repeated_factor(j) if f != 1])
                       if d.sigma_prime[j - 1] != 1 else net.w(j))
                    for j in range(2, L + 1))
    if eqs:
        rule = ("Going from one layer to the next multiplies the gradient by the same kind of "
                "factor, the derivative of a layer's output with respect to its input:")
        steps.append(Step("backpropagation", rule, eqs))
    # the recurrence δ_L = σ'(z_L) ∂C/∂a_L, δ_l = σ'(z_l) w_{l+1} δ_{l+1}
    eqs = [eq(delta_symbol(l), "=", d.recurrence_form(f"b_{l}")) for l in range(L, 0, -1)]
    eqs += [eq(_lhs("b_l"), "=", generic("delta", "l")),
            eq(_lhs("w_l"), "=", OrderedProduct(generic("a", "l-1"), generic("delta", "l")))]
    rule = ("With the error ", eq(generic("delta", "l"), "=", _partial(_C(), generic("z", "l"))),
            " of layer ", sp.Symbol("l"), ", every layer's error is the next layer's error "
            "times that factor; this recurrence is backpropagation:")
    steps.append(Step("backpropagation", rule, tuple(eqs)))
    if act is not None and not act.is_linear and L > 1:
        j, l = sp.Symbol("j", real=True), sp.Symbol("l", real=True)
        body = OrderedProduct(generic("w", "j"), _sigma_prime(act, generic("z", "j"),
                                                             generic("alpha", "j")))
        prod = OrderedProduct(_sigma_prime(act, generic("z", "l"), generic("alpha", "l")),
                              sp.Product(body, (j, l + 1, L)), d.dC_da)
        rule = ("Unrolled, the gradient of an early layer carries one such factor for every "
                "layer between it and the output:")
        steps.append(Step("backpropagation", rule, (eq(_lhs("b_l"), "=", prod),)))
    return tuple(steps)


def _closed(d: Derivation) -> tuple[Step, ...]:
    eqs = tuple(eq(_lhs(p), "=", d.closed_form(p)) for p in d.parameter_names())
    rule = ("Substituting the local derivatives into the chain rule and writing the factors "
            "in the order the layers stand in the network gives every gradient in closed form:")
    return (Step("closed forms", rule, eqs),)


def _bounds(d: Derivation) -> tuple[Step, ...]:
    net = d.network
    L = net.depth
    sups = [derivative_sup(net.sigma(l)) for l in net.layers]
    if any(s is None for s in sups):
        return ()
    steps = []
    # sup |σ'| of each activation
    eqs, seen = [], []
    for l in net.layers:
        act = net.sigma(l)
        if act in seen or act.is_linear:
            continue
        seen.append(act)
        sup, at = sups[l - 1]
        z = act.z
        eqs.append(eq(sp.Abs(_sigma_prime(act, z, act.parameter)), "<=", sup))
    if eqs:
        rule = ("The activation's derivative is bounded over all real ", sp.Symbol("z"),
                " (proven by symgrad bounds)", _attained_words(net, sups), ":")
        steps.append(Step("bounds", rule, tuple(eqs)))
    # |∂C/∂b_l| ≤ Π_{j=l}^{L} sup|σ_j'| · |w_{l+1}| ... |w_L| · |∂C/∂a_L|
    eqs = []
    for l in range(L, 0, -1):
        coeff = _coefficient([sups[j - 1][0] for j in range(l, L + 1)])
        factors = ([coeff] if coeff != 1 else []) + [sp.Abs(net.w(j)) for j in range(l + 1, L + 1)]
        eqs.append(eq(sp.Abs(_lhs(f"b_{l}")), "<=", OrderedProduct(*factors, sp.Abs(d.dC_da))))
    steps.append(Step("bounds", _bound_words(d, sups), tuple(eqs)))
    return tuple(steps)


def _coefficient(sups: list) -> sp.Expr:
    """Π sup_j with equal values grouped as powers, kept unevaluated: (1/4)^3."""
    powers = []
    for s in sups:
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


def _attained_words(net, sups) -> tuple:
    words = []
    for l in net.layers:
        act = net.sigma(l)
        sup, at = sups[l - 1]
        if at is not None and not act.is_linear:
            words = ["; the largest value ", sup, " is taken at ", eq(act.z, "=", at)]
            break
    return tuple(words)


def _bound_words(d: Derivation, sups) -> tuple:
    net = d.network
    L = net.depth
    values = [s for s, _ in sups]
    small = [v for v in values if v < 1]
    words = ["Every factor ", OrderedProduct(generic("w", "j"),
                                            _sigma_prime(net.sigma(L), generic("z", "j"),
                                                         generic("alpha", "j")))
             if uniform_activation(d) is not None else generic("w", "j"),
             " between a bias and the output is therefore at most the weight times that bound. "]
    if small and uniform_activation(d) is not None and L >= 3:
        s = small[0]
        words += ["Three such layers multiply at most ",
                  eq(sp.Pow(s, 3, evaluate=False), "=", s ** 3),
                  " into the gradient, so unless the weights are larger than ", 1 / s,
                  " the gradients of the early layers vanish; with ",
                  eq(generic("w", "j"), "=", sp.Integer(100)), " and ",
                  eq(generic("z", "j"), "=", sp.Integer(0)), " each factor is ",
                  100 * s, " and they explode instead."]
    elif small:
        words += ["The layers whose activation derivative is below 1 shrink the bound by that "
                  "factor each, the others leave it to the weights."]
    else:
        words += ["The activation alone does not shrink the bound: whether the gradients of "
                  "the early layers vanish or explode is decided by the weights and by how often "
                  "the derivative stays below its largest value."]
    return tuple(words)


def _concrete(d: Derivation) -> tuple[Step, ...]:
    net = d.network
    L = net.depth
    steps = []
    # the activation's derivative, in terms of its output where the lecture writes it so
    eqs, notes, seen = [], [], []
    uniform = uniform_activation(d) is not None
    for l in net.layers:
        act = net.sigma(l)
        if act in seen or act.is_linear:
            continue
        seen.append(act)
        z, alpha = act.z, act.parameter
        sp_z = _sigma_prime(act, z, alpha)
        in_a = _in_output_form(act, _sigma_of(act, z, alpha))
        if in_a is not None:
            eqs.append(eq(sp_z, "=", in_a))
            layers = [m for m in net.layers if net.sigma(m) == act]
            if uniform:
                eqs.append(eq(_sigma_prime(act, generic("z", "j"), generic("alpha", "j")), "=",
                              act.derivative_in_a(generic("a", "j"))))
            else:
                eqs += [eq(d.sigma_prime[m - 1], "=", act.derivative_in_a(net.a(m)))
                        for m in layers]
        else:
            eqs.append(eq(sp_z, "=", act.derivative(z, alpha)))
            if act.kink:
                notes.append(act.kink)
    words = ("The activation's derivative is known in closed form; where it can be written "
             "with the unit's own output ", eq(generic("a", "j"), "=", _sigma_of(
                 net.sigma(L), generic("z", "j"), generic("alpha", "j"))),
             " the lecture does so")
    if notes:
        words += (". At the kink the derivative is a convention: " + "; ".join(notes),)
    if eqs:
        steps.append(Step("concrete", words + (":",), tuple(eqs)))
    # the cost's ∂C/∂a_L, and δ_L where σ_L' cancels against it
    dCda = net.cost.derivative(net.a(L), net.y)
    eqs = [eq(d.dC_da, "=", dCda)]
    cancels = _output_cancels(d, dCda)
    words = (f"For the {net.cost.name} cost:",)
    if cancels:
        sp_a = net.sigma(L).derivative_in_a(net.a(L))
        eqs.append(eq(delta_symbol(L), "=", OrderedProduct(d.sigma_prime[-1], d.dC_da), "=",
                      OrderedProduct(sp_a, dCda), "=", d.output_delta))
        words += (" the activation's derivative cancels against the cost's, and the output "
                  "error is simply ", eq(delta_symbol(L), "=", d.output_delta), ":")
    steps.append(Step("concrete", words, tuple(eqs)))
    # the closed forms with both substituted
    eqs = tuple(eq(_lhs(p), "=", OrderedProduct(*_concrete_factors(d, p, cancels)))
                for p in d.parameter_names())
    words = ("With both substituted, the gradients read:",)
    steps.append(Step("concrete", words, eqs))
    return tuple(steps)


def _in_output_form(act: Activation, a: sp.Expr) -> sp.Expr | None:
    """σ' with the output a substituted, its factors kept in the table's order:
    σ(z) (1 - σ(z)), not SymPy's sorted (1 - σ(z)) σ(z)."""
    form = act.derivative_in_a_expression
    if form is None:
        return None
    base = act.derivative_in_a(sp.Symbol("a", real=True))
    if isinstance(base, sp.Mul):
        return OrderedProduct(*[f.xreplace({sp.Symbol("a", real=True): a})
                                for f in base.as_ordered_factors()])
    return act.derivative_in_a(a)


def _output_cancels(d: Derivation, dCda) -> bool:
    """σ_L'(z_L) ∂C/∂a_L simplifies to a polynomial although ∂C/∂a_L has a denominator
    (sigmoid with cross-entropy: δ_L = a_L - y)."""
    act = d.network.sigma(d.L)
    if act.derivative_in_a(d.network.a(d.L)) is None or act.is_linear:
        return False
    den = sp.fraction(sp.together(dCda))[1]
    return bool(den.free_symbols) and d.output_delta_cancels


def _concrete_factors(d: Derivation, parameter: str, cancels: bool) -> list:
    net = d.network
    factors = list(d.factors(parameter))
    if cancels and factors[-2:] == [d.sigma_prime[-1], d.dC_da]:
        factors[-2:] = [d.output_delta]
    out = []
    for f in factors:
        if f in d.sigma_prime:
            l = d.sigma_prime.index(f) + 1
            in_a = net.sigma(l).derivative_in_a(net.a(l))
            out.append(in_a if in_a is not None else f)  # ReLU'(z_l) stays as it is
        elif f == d.dC_da:
            out.append(net.cost.derivative(net.a(d.L), net.y))
        else:
            out.append(f)
    return out
