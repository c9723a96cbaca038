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
templates of :mod:`symgrad.lecture.documents` decide how it looks.  The closed forms are the
Derivation's own (:meth:`~symgrad.derivation.derivation.Derivation.closed_form`), never re-derived.

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

from symgrad.model.activations import Activation
from symgrad.errors import UsageError
from symgrad.derivation import Derivation, OrderedProduct, delta_symbol
from symgrad.model.network import layer_function

__all__ = ["Equation", "Step", "Preactivation", "GROUPS", "derivation_steps", "dense_steps",
           "row_form", "SquaredNorm", "Norm", "CostGradient_of",
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

    >>> from symgrad.model.activations import get_activation
    >>> derivative_sup(get_activation("sigmoid"))
    (1/4, 0)
    >>> derivative_sup(get_activation("relu"))
    (1, None)
    """
    from symgrad.bounds import supremum
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
        eqs.append(eq(net.z_(l), "=", Preactivation(net.w_(l), net.a_(l - 1), net.b_(l))))
        eqs.append(eq(net.a_(l), "=", net.unit(l)))
    eqs.append(eq(_C(), "=", net.cost(net.a_(L), net.y_())))
    zl, al = generic("z", "l"), generic("a", "l")
    rule = ("The input ", net.a_(0), f" passes through {L} layer{'s' if L > 1 else ''} of one "
            "neuron each. Layer ", sp.Symbol("l"), " forms the weighted input ",
            eq(zl, "=", Preactivation(generic("w", "l"), generic("a", "l-1"), generic("b", "l"))),
            " and the activation ", al, "; the cost ", _C(), " compares the output ",
            net.a_(L), " with the target ", net.y_(), ".")
    return (Step("forward", rule, tuple(eqs)),)


def _path(d: Derivation, l: int) -> list:
    """∂C/∂a_L ∂a_L/∂z_L ∂z_L/∂a_{L-1} ... ∂a_l/∂z_l: from the cost back to z_l."""
    net = d.network
    out = [d.dC_da()]
    for j in range(net.depth, l - 1, -1):
        out.append(_partial(net.a_(j), net.z_(j)))
        if j > l:
            out.append(_partial(net.z_(j), net.a_(j - 1)))
    return out


def _chain_rule(d: Derivation) -> tuple[Step, ...]:
    net = d.network
    L = net.depth
    steps = []
    for kind in ("b", "w"):
        eqs = tuple(eq(_lhs(f"{kind}_{l}"), "=",
                       OrderedProduct(*_path(d, l), _partial(net.z_(l), getattr(net, kind + "_")(l))))
                    for l in range(L, 0, -1))
        what = "bias" if kind == "b" else "weight"
        p = generic(kind, "l")
        rule = (f"The {what} ", p, " reaches the cost only through ", generic("z", "l"), ", ",
                generic("a", "l"), ", ", generic("z", "l+1"), ", ..., ", net.a_(L),
                ". The chain rule multiplies the derivatives along this path, from the cost "
                "back to the parameter:")
        steps.append(Step("chain rule", rule, eqs))
    slopes = [l for l in range(L, 0, -1) if net.has_slope(l)]
    if slopes:
        eqs = []
        for l in slopes:
            path = [d.dC_da()]
            for j in range(L, l, -1):
                path += [_partial(net.a_(j), net.z_(j)), _partial(net.z_(j), net.a_(j - 1))]
            path.append(_partial(net.a_(l), net.alpha(l)))
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
            row = [_partial(net.a_(l), net.z_(l)), "=", _sigma_prime(s, net.z_(l), net.alpha(l))]
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
        eqs = tuple(eq(_partial(net.a_(j), net.a_(j - 1)), "=",
                       OrderedProduct(_partial(net.z_(j), net.a_(j - 1)), _partial(net.a_(j), net.z_(j))),
                       "=", OrderedProduct(*[f for f in d.repeated_factor(j) if f != 1])
                       if d.sigma_primes[j - 1] != 1 else net.w_(j))
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
                              sp.Product(body, (j, l + 1, L)), d.dC_da())
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
        factors = ([coeff] if coeff != 1 else []) + [sp.Abs(net.w_(j)) for j in range(l + 1, L + 1)]
        eqs.append(eq(sp.Abs(_lhs(f"b_{l}")), "<=", OrderedProduct(*factors, sp.Abs(d.dC_da()))))
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
                eqs += [eq(d.sigma_primes[m - 1], "=", act.derivative_in_a(net.a_(m)))
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
    dCda = net.cost.derivative(net.a_(L), net.y_())
    eqs = [eq(d.dC_da(), "=", dCda)]
    cancels = _output_cancels(d, dCda)
    words = (f"For the {net.cost.name} cost:",)
    if cancels:
        sp_a = net.sigma(L).derivative_in_a(net.a_(L))
        eqs.append(eq(delta_symbol(L), "=", OrderedProduct(d.sigma_primes[-1], d.dC_da()), "=",
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
    if act.derivative_in_a(d.network.a_(d.L)) is None or act.is_linear:
        return False
    den = sp.fraction(sp.together(dCda))[1]
    return bool(den.free_symbols) and d.output_delta_cancels


def _concrete_factors(d: Derivation, parameter: str, cancels: bool) -> list:
    net = d.network
    factors = list(d.factors(parameter))
    if cancels and factors[-2:] == [d.sigma_primes[-1], d.dC_da()]:
        factors[-2:] = [d.output_delta]
    out = []
    for f in factors:
        if f in d.sigma_primes:
            l = d.sigma_primes.index(f) + 1
            in_a = net.sigma(l).derivative_in_a(net.a_(l))
            out.append(in_a if in_a is not None else f)  # ReLU'(z_l) stays as it is
        elif f == d.dC_da():
            out.append(net.cost.derivative(net.a_(d.L), net.y_()))
        else:
            out.append(f)
    return out


# -- a dense network in the row convention of the lecture (shared/REFERENCE.md §2) ----------------

class SquaredNorm(sp.Expr):
    """‖v‖₂², kept as a display node (the loss of one sample, ‖y_i − ŷ_i‖₂²)."""

    is_commutative = True

    def __new__(cls, v):
        return sp.Basic.__new__(cls, v)


class Norm(sp.Expr):
    """‖M‖, the spectral norm of a vector or matrix (a display node for the bound)."""

    is_commutative = True

    def __new__(cls, v):
        return sp.Basic.__new__(cls, sp.sympify(v))


def row_form(expr, net, N=sp.Symbol("N", integer=True, positive=True)):
    """A column-convention matrix form of :class:`~symgrad.derivation.Derivation` transposed
    into the row convention: every column vector v (z_l, a_l, δ_l, y) becomes the row vᵀ of
    the same name, W_l (n_l × n_{l-1}) becomes Wᵀ, the row convention's W_l (n_{l-1} × n_l),
    the input a_0 the row x_iᵀ, and the sample count the symbol N.  Mechanical, so the four
    equations stay the Derivation's: (W_{l+1}ᵀ δ_{l+1})ᵀ = δ_{l+1} W_{l+1}ᵀ (row), and
    (δ_l a_{l-1}ᵀ)ᵀ = h_{l-1}ᵀ δ_l.

    >>> from symgrad.model.network import Dense
    >>> from symgrad.derivation import derive
    >>> net = Dense([3, 4, 2])
    >>> row_form(derive(net).delta_matrix(1), net)
    HadamardProduct(delta_2*W_2.T, Lambda(_z, Derivative(sigmoid(_z), _z)).(z_1))
    """
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    from symgrad.derivation.nodes import CostGradient, SampleSum

    def R(e):
        # R(e) = eᵀ written with the row convention's symbols
        if isinstance(e, sp.MatrixSymbol):
            n, m = e.shape
            if e.name.startswith("W_"):
                return sp.MatrixSymbol(e.name, m, n)
            kind, _, rest = e.name.partition("_")
            if kind == "a" and rest.split(",")[0] == "0":   # h_{0,i} = x_iᵀ
                sample = rest.partition(",")[2]
                return sp.Transpose(sp.MatrixSymbol("x" + (f",{sample}" if sample else ""), n, 1))
            return sp.MatrixSymbol(e.name, m, n)
        if isinstance(e, sp.Transpose):
            inner = R(e.arg)
            return inner.arg if isinstance(inner, sp.Transpose) else sp.Transpose(inner)
        if isinstance(e, sp.MatMul):
            return sp.MatMul(*[R(a) for a in reversed(e.args)])
        if isinstance(e, sp.HadamardProduct):
            return sp.HadamardProduct(*[R(a) for a in e.args])
        if isinstance(e, sp.MatAdd):
            return sp.MatAdd(*[R(a) for a in e.args])
        if isinstance(e, ElementwiseApplyFunction):
            return ElementwiseApplyFunction(e.function, R(e.expr))
        if isinstance(e, CostGradient):
            return CostGradient(R(e.output))
        if isinstance(e, SampleSum):
            return SampleSum(R(e.term), e.index, N)
        if e.is_number:
            return e
        raise TypeError(f"no row form for {type(e).__name__}")
    return R(expr)


def dense_steps(d) -> tuple[Step, ...]:
    """The derivation of a :class:`~symgrad.derivation.Derivation` step by step, in the row
    convention and the tilde notation of the lecture (print with
    :class:`~symgrad.printing.dense.DenseMatrixLatexPrinter`).

    >>> from symgrad.model.network import Dense
    >>> from symgrad.derivation import derive
    >>> net = Dense([3, 4, 4, 2], ["sigmoid", "sigmoid", "linear"], "squared-error", samples=4)
    >>> steps = dense_steps(derive(net))
    >>> [s.group for s in steps]
    ['forward', 'chain rule', 'local derivatives', 'backpropagation', 'backpropagation', 'closed forms', 'bounds', 'concrete']
    >>> steps[1].equations[-1].terms[1].args        # ∂𝓛/∂W_1, no ∂h_2/∂h_2
    (Derivative(C, a_3), Derivative(a_3, a_2), Derivative(a_2, z_2), Derivative(z_2, a_1), Derivative(a_1, z_1), Derivative(z_1, w_1))
    """
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    from sympy.matrices.expressions.diagonal import DiagMatrix
    from symgrad.model.costs import COSTS
    from symgrad.derivation.nodes import SampleSum

    net = d.network
    L = net.L
    many = net.samples > 1
    i = sp.Symbol("i", integer=True, positive=True)
    N = sp.Symbol("N", integer=True, positive=True)
    if net.softmax_output:
        raise UsageError("cost='softmax-cross-entropy': the matrix lecture covers elementwise "
                         "output layers; use squared-error or quadratic")
    slopes = [l for l in net.layers if net.has_slope(l)]
    if slopes:
        names = ",".join(a.name for a in net.activations)
        raise UsageError(f"activations={names!r}: the matrix lecture has no learned slopes "
                         f"(layer {slopes[0]}); use 'symgrad derive --widths' for PReLU layers")
    if net.cost is not COSTS["squared-error"] and net.cost.name != "quadratic":
        raise UsageError(f"cost={net.cost.name!r}: the matrix lecture is written for the "
                         "squared-error loss (or quadratic); use 'symgrad derive --widths' "
                         "for other costs")

    def row(kind, l=None, sample=True):
        name = kind if l is None else f"{kind}_{l}"
        width = net.n(L if kind == "y" else l)
        return sp.MatrixSymbol(name + (",i" if sample and many else ""), 1, width)

    def W(l):
        return sp.MatrixSymbol(f"W_{l}", net.n(l - 1), net.n(l))

    def x_row(sample=True):
        return sp.Transpose(sp.MatrixSymbol("x" + (",i" if sample and many else ""), net.n(0), 1))

    def h_prev(l, sample=True):
        return x_row(sample) if l == 1 else row("a", l - 1, sample)

    def act_of(l, z):
        f = sp.Function(net.sigma(l).name, real=True)
        return ElementwiseApplyFunction(f, z)

    def sigma_prime(l, z):
        from symgrad.derivation import sigma_prime_matrix
        return sigma_prime_matrix(net.sigma(l), z)

    def s(kind, l):   # the scalar display symbols of the chain rule
        return sp.Symbol(f"{kind}_{l}", real=True)

    C = _C()
    linear_out = net.sigma(L).is_linear
    steps = []

    # forward pass: h̃_{l,i} = h_{l-1,i} W_l + b_l, h_{l,i} = σ(h̃_{l,i}), ŷ_i, 𝓛
    eqs = []
    for l in net.layers:
        lin = sp.MatAdd(sp.MatMul(h_prev(l), W(l)), sp.MatrixSymbol(f"b_{l}", 1, net.n(l)))
        if l == L and linear_out:
            eqs.append(eq(row("a", L), "=", lin))
            continue
        eqs.append(eq(row("z", l), "=", lin))
        eqs.append(eq(row("a", l), "=", act_of(l, row("z", l))))
    per = SquaredNorm(sp.MatAdd(row("y"), sp.MatMul(-1, row("a", L))))
    loss = per if net.cost is COSTS["squared-error"] else OrderedProduct(sp.Rational(1, 2), per)
    eqs.append(eq(C, "=", SampleSum(loss, i, N) if many else loss))
    words = (f"The network has {L} layers of widths ", ", ".join(map(str, net.widths)),
             ". Every sample is a row: the input ", x_row(), ", the target ", row("y"),
             " and the output ", row("a", L), ". Each layer forms a linear part ",
             row("z", 1) if L > 1 else row("a", L), " (the tilde) and passes it through its "
             "activation elementwise; in this row convention ", W(1), " has ", str(net.n(0)),
             " rows and ", str(net.n(1)), " columns",
             (", and the output layer is linear" if linear_out else ""),
             ". The loss sums the squared error over the " + ("N samples" if many else "sample")
             + ":")
    steps.append(Step("forward", words, tuple(eqs)))

    # chain rule: ∂𝓛/∂W_l = ∂𝓛/∂ŷ ∂ŷ/∂h_{L-1} ... ∂h_l/∂h̃_l ∂h̃_l/∂W_l (one factor per edge)
    def path(l):
        out = [sp.Derivative(C, s("a", L))]
        if not linear_out:
            out.append(sp.Derivative(s("a", L), s("z", L)))
            if L > l:
                out.append(sp.Derivative(s("z", L), s("a", L - 1)))
        elif L > l:
            out.append(sp.Derivative(s("a", L), s("a", L - 1)))
        for j in range(L - 1, l - 1, -1):
            out.append(sp.Derivative(s("a", j), s("z", j)))
            if j > l:
                out.append(sp.Derivative(s("z", j), s("a", j - 1)))
        return out

    def lin_of(l):   # the symbol of layer l's linear part: h̃_l, or ŷ for a linear output
        return s("a", L) if l == L and linear_out else s("z", l)

    eqs = []
    for l in range(L, 0, -1):
        p = path(l)
        if l == L and linear_out:
            p = p[:1]
        eqs.append(eq(_lhs(f"w_{l}"), "=", OrderedProduct(*p, sp.Derivative(lin_of(l), s("w", l)))))
    words = ("The weights ", W(1), " reach the loss only through ", s("z", 1), ", ", s("a", 1),
             ", ..., ", s("a", L), ". The chain rule multiplies one derivative for every edge "
             "of that path, each factor once" + (", here for one sample's term of the loss "
                                                 "(the gradient of the sum is the sum over i)"
                                                 if many else "") + ":")
    steps.append(Step("chain rule", words, tuple(eqs)))

    # local factors, Jacobians read left to right (rows: the numerator's components)
    eqs = []
    for l in range(L, 0, -1):
        if l < L or not linear_out:
            act = net.sigma(l)
            jac = sp.Identity(net.n(l)) if act.is_linear else DiagMatrix(sigma_prime(l, row("z", l, False)))
            eqs.append(eq(sp.Derivative(s("a", l), s("z", l)), "=", jac))
        if l > 1:
            eqs.append(eq(sp.Derivative(lin_of(l), s("a", l - 1)), "=", sp.Transpose(W(l))))
    eqs.append(eq(_lhs("w_1"), "=", OrderedProduct(sp.MatrixSymbol("x", net.n(0), 1),
                                                    sp.Derivative(C, lin_of(1)))))
    words = ("Each factor is the derivative of one forward equation, a Jacobian whose rows are "
             "the components of the numerator, so the product reads left to right as written. "
             "A linear part ", row("z", 2, False) if L > 2 else s("a", L), " depends on ",
             s("a", 1), " through the transposed weights (the material writes ",
             sp.Derivative(s("a", L), s("a", L - 1)), " as ", W(L),
             ", the same matrix in the other layout); an activation acts elementwise, so its "
             "Jacobian is diagonal. The last factor, ", sp.Derivative(s("z", 1), s("w", 1)),
             ", turns the row ", sp.Derivative(C, lin_of(1)), " into a matrix of the shape of ",
             W(1), " (the input column times that row):")
    steps.append(Step("local derivatives", words, tuple(eqs)))

    # the four equations, transposed from the Derivation's column forms
    eqs = [eq(row("delta", l, False), "=", row_form(d.delta_matrix(l), net, N))
           for l in range(L, 0, -1)]
    words = ("With the error ", eq(row("delta", 1, False), "=", sp.Derivative(C, s("z", 1))),
             " of a layer (the row ", sp.Derivative(C, lin_of(L)), " at the output), the diagonal "
             "Jacobians become elementwise products, and every layer's error follows from the "
             "next one's; for each sample (index dropped):")
    steps.append(Step("backpropagation", words, tuple(eqs)))
    eqs = []
    for l in range(L, 0, -1):
        eqs.append(eq(_lhs(f"b_{l}"), "=", row_form(d.gradient_matrix(f"b_{l}"), net, N)))
        eqs.append(eq(_lhs(f"w_{l}"), "=", row_form(d.gradient_matrix(f"W_{l}"), net, N)))
    words = ("The gradients of the biases and weights are the errors, "
             + ("summed over the samples" if many else "") + ", the weights' with the layer's "
             "input in front:",)
    steps.append(Step("backpropagation", words, tuple(eqs)))

    # the closed form of ∂𝓛/∂W_1: every δ substituted, per sample (one line up to three
    # layers; deeper, the nested parentheses stop being a formula anyone reads)
    if L <= MAX_UNROLLED_DENSE:
        steps.append(_dense_unrolled(d, row, N, i, many))


    # bounds: every hidden σ' at most sup|σ'|, so ∂𝓛/∂W_1 carries L-1 such factors
    hidden = [l for l in range(1, L + 1) if not net.sigma(l).is_linear and (l < L or not linear_out)]
    sups = {l: derivative_sup(net.sigma(l)) for l in hidden}
    if hidden and all(v is not None for v in sups.values()):
        eqs, seen = [], []
        for l in hidden:
            act = net.sigma(l)
            if act in seen:
                continue
            seen.append(act)
            eqs.append(eq(sp.Abs(_sigma_prime(act, act.z, act.parameter)), "<=", sups[l][0]))
        for l in hidden:
            eqs.append(eq(Norm(sp.Derivative(s("a", l), s("z", l))), "<=", sups[l][0]))
        factors = [Norm(sp.Derivative(C, s("a", L)))]
        for j in range(L, 1, -1):
            factors.append(Norm(W(j)))
        coeff = _coefficient([sups[l][0] for l in hidden])
        bound = OrderedProduct(*([coeff] if coeff != 1 else []), *factors,
                               Norm(sp.MatrixSymbol("x", net.n(0), 1)))
        eqs.append(eq(Norm(_lhs("w_1")), "<=", bound))
        words = ("The activation's derivative is bounded over all real ", sp.Symbol("z"),
                 " (proven by symgrad bounds), so each diagonal Jacobian has (spectral) norm at "
                 "most that bound, and the gradient of the first layer's weights carries "
                 f"{len(hidden)} such factor{'s' if len(hidden) != 1 else ''}, one for every "
                 "hidden layer between it and the output" + (" (for one sample's term)" if many else "")
                 + ":")
        steps.append(Step("bounds", words, tuple(eqs)))

    # concrete: σ'(z) in its output, ∇_ŷ 𝓛 of the loss
    eqs, seen = [], []
    for l in hidden:
        act = net.sigma(l)
        if act in seen:
            continue
        seen.append(act)
        in_a = _in_output_form(act, _sigma_of(act, act.z, act.parameter))
        eqs.append(eq(_sigma_prime(act, act.z, act.parameter), "=",
                      in_a if in_a is not None else act.derivative(act.z, act.parameter)))
    a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
    coeff = sp.cancel(net.cost.derivative(a, y) / (a - y))   # 2 for ‖y − ŷ‖², 1 for ½‖·‖²
    if not coeff.is_number:
        raise ValueError(f"the derivative of the cost {net.cost.name} is not a multiple of a - y")
    yhat, target = row("a", L, False), row("y", sample=False)
    diff = sp.MatAdd(yhat, sp.MatMul(-1, target))
    grad = diff if coeff == 1 else OrderedProduct(coeff, diff)
    eqs.append(eq(CostGradient_of(yhat), "=", grad))
    words = ("For the concrete activation and loss (per sample):",)
    steps.append(Step("concrete", words, tuple(eqs)))
    return tuple(steps)


#: the dense lecture writes ∂𝓛/∂W_1 with every δ substituted up to this many layers
MAX_UNROLLED_DENSE = 3


def _dense_unrolled(d, row, N, i, many) -> Step:
    """∂𝓛/∂W_1 = Σ_i x_i (((∇_{ŷ_i} 𝓛) W_3ᵀ ⊙ σ'(h̃_{2,i})) W_2ᵀ ⊙ σ'(h̃_{1,i})): the row forms
    of the Derivation's δ_l substituted into each other."""
    from symgrad.derivation.nodes import SampleSum
    net = d.network
    unrolled = row("delta", 1, False)
    for l in range(1, net.L + 1):
        unrolled = unrolled.xreplace({row("delta", l, False): row_form(d.delta_matrix(l), net, N)})
    if many:
        unrolled = unrolled.xreplace({row(k, l, False): row(k, l) for k in ("z", "a")
                                      for l in net.layers})
    first = sp.MatMul(sp.MatrixSymbol("x,i" if many else "x", net.n(0), 1), unrolled)
    words = ("Substituting the errors into each other gives the gradient of the first layer's "
             "weights in one formula; each activation derivative appears once, in network order:",)
    return Step("closed forms", words,
                (eq(_lhs("w_1"), "=", SampleSum(first, i, N) if many else first),))


def CostGradient_of(v):
    """∇_v 𝓛 as the Derivation writes it (:class:`symgrad.derivation.CostGradient`)."""
    from symgrad.derivation.nodes import CostGradient
    return CostGradient(v)
