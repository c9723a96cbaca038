"""What a lecture may say about its network, computed: the facts behind every sentence.

Every claim a lecture's prose makes (a supremum, where it is attained, the convention at a
kink, how many σ' factors a gradient carries, whether the output's σ' cancels against the
cost) is a field here, computed from the network, its derivation and the certified bounds of
:mod:`symgrad.bounds`; :mod:`symgrad.lecture.prose` only turns these values into words.

>>> from symgrad import Chain, derive
>>> f = facts_of(derive(Chain(depth=4, activation=["tanh", "relu", "sigmoid", "linear"])))
>>> f.layer(3).sup, f.layer(3).attained_at, f.layer(2).kinks[0].value
(1/4, 0, 0)
>>> f.sigma_layers(1), f.output_cancels
((1, 2, 3), False)
>>> facts_of(derive(Chain(depth=3, cost="cross-entropy"))).sigma_layers(1)
(1, 2)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import sympy as sp

from symgrad.bounds import supremum
from symgrad.bounds.branches import branches
from symgrad.bounds.enclosure import Enclosure, decimal_nearest, decimal_up
from symgrad.model.activations import SELU_ALPHA, SELU_LAMBDA, Activation, Softmax

__all__ = ["WORDS", "Kink", "ActivationFacts", "Facts", "activation_facts", "facts_of",
           "short_decimal", "DIGITS", "NAMED", "named", "named_values"]

#: significant digits of every decimal a lecture prints
DIGITS = 6
#: the activations' names in running text (the table's names are identifiers)
WORDS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU",
         "prelu": "PReLU", "linear": "linear", "softplus": "softplus", "elu": "ELU",
         "selu": "SELU", "silu": "SiLU", "gelu": "GELU",
         "gelu_tanh": "tanh GELU", "softmax": "softmax"}
#: an exact value is printed as such while SymPy's string of it is at most this long
SHORT = 40


#: exact numbers a formula shows by name (SELU's constants, as PyTorch and the paper state them)
NAMED = ((SELU_LAMBDA * SELU_ALPHA, sp.Symbol("lambda", positive=True)
          * sp.Symbol("alpha", positive=True)),
         (SELU_LAMBDA, sp.Symbol("lambda", positive=True)),
         (SELU_ALPHA, sp.Symbol("alpha", positive=True)))


def named(expr):
    """``expr`` with every named constant of :data:`NAMED` shown by its name.

    >>> from symgrad.model.activations import get_activation
    >>> named(get_activation("selu").derivative_expression)
    Piecewise((alpha*lambda*exp(z), z <= 0), (lambda, True))
    """
    expr = sp.sympify(expr)
    mapping = {}
    for value, name in NAMED:
        mapping[value], mapping[-value] = name, -name
    return expr.xreplace(mapping)


def named_values(expr) -> list:
    """The named constants that stand in ``expr`` once :func:`named` is applied: (name, value)."""
    expr = sp.sympify(expr)
    atoms = expr.atoms(sp.Rational)
    out = []
    for value, name in NAMED[1:]:
        if any(v in atoms or -v in atoms for v, n in NAMED if name in
               (n.args if isinstance(n, sp.Mul) else (n,))):
            out.append((name, value))
    return out


def short_decimal(value, digits: int = DIGITS, mode: str = "nearest") -> sp.Float:
    """``value`` as a Float of ``digits`` significant digits (``mode`` "up" rounds up, so a
    printed upper bound stays an upper bound); exact short decimals keep their digits.

    >>> short_decimal(sp.Rational(1, 3)), short_decimal(sp.Rational(9, 10)), short_decimal(2)
    (0.333333, 0.9, 2)
    """
    q = sp.nsimplify(value) if isinstance(value, float) else sp.sympify(value)
    if q.is_Integer:
        return q
    if q.is_Rational or q.is_Float:
        q = sp.Rational(q)
    text = (decimal_up if mode == "up" else decimal_nearest)(_fraction(q), digits)
    mantissa = text.split("e")[0].replace("-", "").replace(".", "").lstrip("0").rstrip("0")
    return sp.Float(text, max(1, len(mantissa)))


def _fraction(q):
    from fractions import Fraction
    if q.is_Rational:
        return Fraction(int(q.p), int(q.q))
    return Fraction(str(sp.N(q, 40)))


@dataclass(frozen=True)
class Kink:
    """A point where σ' changes branch: the convention's value there and the branches' limits."""

    point: sp.Expr
    value: sp.Expr
    left: sp.Expr
    right: sp.Expr

    @property
    def side(self) -> str:
        """Which branch the convention takes: ``left``, ``right`` or ``both`` (σ' is
        continuous there, no convention is needed)."""
        left, right = sp.simplify(self.value - self.left) == 0, sp.simplify(self.value - self.right) == 0
        return "both" if left and right else "left" if left else "right" if right else "neither"


@dataclass(frozen=True)
class ActivationFacts:
    """One activation's facts: its sup |σ'|, where it is attained, its kinks, where σ' is
    constant, σ' in terms of the output a."""

    activation: Activation
    #: the exact supremum (a number, or PReLU's Max(1, |α|)); None where only an enclosure is known
    sup: sp.Expr | None
    #: what the formulas bound |σ'| by: the exact value while short, else the decimal rounded up
    bound: sp.Expr | None
    #: attained: True, False (approached only), None (could not be certified)
    attained: bool | None
    #: an exact point, a decimal of a certified point (``approximate``), an interval, or None
    attained_at: object
    approximate_point: bool
    #: the end z tends to where the supremum is approached but never attained
    approached_at: object
    kinks: tuple
    #: (value, interval) where σ' is constant
    constant: tuple
    #: σ' written with the unit's output a, verified numerically; None where it cannot be
    in_output: sp.Expr | None

    @property
    def name(self) -> str:
        return self.activation.name

    @property
    def words(self) -> str | None:
        """The activation's name in running text; None for a custom one (shown as a formula)."""
        return WORDS.get(self.name)

    @property
    def linear(self) -> bool:
        return self.activation.is_linear

    @property
    def slope(self) -> bool:
        return self.activation.parameter is not None

    @property
    def exact(self) -> bool:
        """The bound the formulas use is the exact supremum."""
        return self.sup is not None and self.bound == self.sup

    @property
    def shrinks(self) -> bool | None:
        """sup |σ'| < 1: every σ' factor shrinks the bound (None: depends on a slope)."""
        if self.bound is None or self.bound.free_symbols:
            return None
        return bool(self.bound < 1)

    def where(self, value) -> sp.Interval | None:
        """The open interval on which σ' is the constant ``value`` (None if nowhere)."""
        for v, interval in self.constant:
            if v == value:
                return interval
        return None


def _kinks(act: Activation, pieces, raw) -> tuple:
    """Each kink with the limits of the branches that meet there."""
    z = act.z
    out = []
    for point, value in raw:
        left = next(e.subs(z, point) for e, I in pieces if I.end == point)
        right = next(e.subs(z, point) for e, I in pieces if I.start == point)
        out.append(Kink(point, sp.simplify(value), sp.simplify(left), sp.simplify(right)))
    return tuple(out)


def _in_output(act: Activation, pieces) -> sp.Expr | None:
    """σ' as a function of a = σ(z): the table's form, or (piecewise σ') each branch's
    constant or inverse, with the condition on z carried over to a; verified numerically at
    points on either side of every kink and at the kinks themselves."""
    a, z = sp.Symbol("a", real=True), act.z
    if act.derivative_in_a_expression is not None:
        return act.derivative_in_a(a)
    g = act.derivative_expression
    if act.parameter is not None or not isinstance(g, sp.Piecewise):
        return None
    branches_a = []
    for expr, cond in g.args:
        if expr.has(z):
            inverse = [s for s in sp.solve(sp.Eq(a, _branch(act.expression, expr, cond, z)), z)]
            if len(inverse) != 1:
                return None
            expr = sp.simplify(expr.subs(z, inverse[0]))
        if cond is sp.true:
            branches_a.append((expr, True))
            continue
        if not (isinstance(cond, (sp.Le, sp.Lt, sp.Ge, sp.Gt)) and cond.lhs == z and cond.rhs.is_number):
            return None
        at = act.expression.subs(z, cond.rhs)
        branches_a.append((expr, cond.func(a, at)))
    form = sp.Piecewise(*branches_a)
    return form if _agrees(act, form, a) else None


def _branch(expression, derivative, cond, z):
    """σ on the branch where σ' is ``derivative`` (the matching piece of a piecewise σ)."""
    if not isinstance(expression, sp.Piecewise):
        return expression
    for expr, c in expression.args:
        if c == cond or sp.simplify(sp.diff(expr, z) - derivative) == 0:
            return expr
    return expression


def _agrees(act: Activation, form: sp.Expr, a: sp.Symbol) -> bool:
    zs = np.concatenate([np.linspace(-4, 4, 81), [0.0, 1e-9, -1e-9]])
    f = sp.lambdify(a, form, "numpy")
    with np.errstate(all="ignore"):
        outputs = act.numpy(zs)
        want = act.numpy_derivative(zs)
        got = np.array([float(f(float(v))) for v in outputs])
    return bool(np.allclose(got, want, rtol=1e-9, atol=1e-12))


@lru_cache(maxsize=None)
def activation_facts(act: Activation) -> ActivationFacts:
    """The facts of one activation (cached: the certified supremum takes a moment)."""
    if act.is_linear:
        every = sp.Interval.open(-sp.oo, sp.oo)
        return ActivationFacts(act, sp.Integer(1), sp.Integer(1), True, every, False, None, (),
                               ((sp.Integer(1), every),), sp.Integer(1))
    s = supremum(act)
    try:
        pieces, raw = branches(act.derivative_expression, act.z)
    except Exception:   # a custom σ' the splitter cannot take apart: no kink facts
        pieces, raw = [], []
    constant = tuple((sp.simplify(e), I) for e, I in pieces if not e.has(act.z)
                     and not e.free_symbols)
    sup, bound = _sup_and_bound(s)
    at, approximate, approached = s.attained_at, False, None
    if isinstance(at, Enclosure):
        at, approximate = short_decimal(at.lower), True
    if s.attained is False:
        approached = _approached(s.how)
    return ActivationFacts(act, sup, bound, s.attained if s.certified else None, at,
                           approximate, approached, _kinks(act, pieces, raw), constant,
                           _in_output(act, pieces))


def _sup_and_bound(s):
    if not s.certified:
        return None, None
    if s.value is not None and (s.value.free_symbols or s.value.is_Rational
                                and (len(sp.sstr(s.value)) <= SHORT or named(s.value) != s.value)):
        return s.value, s.value
    upper = s.enclosure.upper if s.enclosure is not None else None
    exact = s.value if s.value is not None and len(sp.sstr(s.value)) <= SHORT else None
    return exact, short_decimal(sp.Rational(upper.numerator, upper.denominator), mode="up")


def _approached(how: str):
    """The end z tends to, read off the certified supremum's description ``the limit z → …``."""
    end = how.split("→", 1)[1].split(",", 1)[0].strip() if "→" in how else None
    return {"∞": sp.oo, "−∞": -sp.oo, "-∞": -sp.oo, "0⁻": (0, "-"), "0⁺": (0, "+")}.get(end, end)


@dataclass(frozen=True)
class Facts:
    """The facts of one network and its derivation."""

    derivation: object

    @property
    def network(self):
        return self.derivation.network

    @property
    def L(self) -> int:
        return self.network.L

    @property
    def chain(self) -> bool:
        return self.network.is_chain

    def layer(self, l: int) -> ActivationFacts | None:
        """The facts of layer l's activation (None for a softmax output)."""
        act = self.network.sigma(l)
        return None if isinstance(act, Softmax) else activation_facts(act)

    @cached_property
    def activations(self) -> tuple:
        """The distinct activations in layer order, softmax left out."""
        seen = []
        for l in self.network.layers:
            f = self.layer(l)
            if f is not None and f.activation not in [s.activation for s in seen]:
                seen.append(f)
        return tuple(seen)

    def layers_of(self, f: ActivationFacts) -> tuple:
        return tuple(l for l in self.network.layers if self.network.sigma(l) == f.activation)

    @property
    def uniform(self) -> ActivationFacts | None:
        """The one activation of every layer, or None."""
        acts = set(self.network.activations)
        return self.layer(1) if len(acts) == 1 else None

    @cached_property
    def output_cancels(self) -> bool:
        """σ_L'(z_L) cancels against ∂C/∂a_L: δ_L = a_L − y (sigmoid with cross-entropy,
        softmax with its cross-entropy)."""
        net = self.network
        if net.softmax_output:
            return True
        act = net.sigma(self.L)
        if act.is_linear or act.derivative_in_a(sp.Symbol("a", real=True)) is None:
            return False
        a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
        dC = net.cost.derivative(a, y)
        if not sp.fraction(sp.together(dC))[1].free_symbols:
            return False
        product = sp.cancel(act.derivative_in_a(a) * dC)
        return not sp.fraction(sp.together(product))[1].free_symbols

    @cached_property
    def output_delta(self) -> sp.Expr:
        """δ^L_j in terms of the output, where σ_L' cancels (a_L − y); else None."""
        if not self.output_cancels:
            return None
        a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
        if self.network.softmax_output:
            return a - y
        return sp.factor(sp.cancel(self.network.sigma(self.L).derivative_in_a(a)
                                   * self.network.cost.derivative(a, y)))

    def sigma_layers(self, l: int) -> tuple:
        """The layers j = l..L whose σ_j'(z_j) stands in ∂C/∂b_l once the output is written
        out: no linear layer (id' = 1), no output layer whose σ' cancels."""
        out = []
        for j in range(l, self.L + 1):
            f = self.layer(j)
            if f is None or f.linear or (j == self.L and self.output_cancels):
                continue
            out.append(j)
        return tuple(out)

    @property
    def bounded(self) -> bool:
        """Every σ' that enters a bound has a certified bound."""
        return all(self.layer(j).bound is not None for j in self.sigma_layers(1))

    def coefficient(self, l: int) -> list:
        """The bounds of the σ' factors of ∂C/∂b_l, layer by layer (PReLU's α as α_j)."""
        out = []
        for j in self.sigma_layers(l):
            f = self.layer(j)
            bound = f.bound
            if f.slope:
                bound = bound.xreplace({f.activation.parameter: self.network.alpha(j)})
            out.append(bound)
        return out

    @property
    def linear_runs(self) -> list:
        """Runs of two or more consecutive linear layers (they compose to one)."""
        runs, current = [], []
        for l in self.network.layers:
            f = self.layer(l)
            if f is not None and f.linear:
                current.append(l)
            else:
                current = []
            if len(current) >= 2 and (not runs or runs[-1][0] != current[0]):
                runs.append(current)
            elif len(current) >= 2:
                runs[-1] = list(current)
        return [tuple(r) for r in runs]


def facts_of(d) -> Facts:
    """The facts of a derivation."""
    return Facts(d)
