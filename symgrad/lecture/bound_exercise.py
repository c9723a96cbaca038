"""The chain's "which bound holds" exercise: the bound of the lecture beside a plausible wrong
one, and a point, computed and checked with :func:`symgrad.oracle.reference`, where the wrong
one fails.

The wrong bound is the mistake people make: one activation derivative too many (with the
cross-entropy, forgetting that the output's σ' cancelled; otherwise counting the output layer
twice) where the bound is below 1, and a weight left out where it is not.  The point puts every
unit where its activation derivative reaches its bound (or comes within a hair of it), with
weights of size 2 or 3, so the true gradient reaches or nearly reaches the right bound and
exceeds the wrong one.

>>> from symgrad import Chain, derive
>>> from symgrad.lecture.facts import facts_of
>>> statement, solution = bound_exercise(facts_of(derive(Chain(depth=3))))
>>> [type(b).__name__ for b in statement + solution]
['Step', 'Paragraph', 'Paragraph']
"""
from __future__ import annotations

import mpmath
import sympy as sp

from symgrad.derivation import OrderedProduct
from symgrad.lecture.chain import coefficient
from symgrad.lecture.example import shown
from symgrad.lecture.facts import Facts
from symgrad.lecture.nodes import Paragraph, Step, eq, generic, gradient_of
from symgrad.lecture.prose import count_sentence

__all__ = ["bound_exercise", "extreme_point"]

_DIGITS = 40


def _where(a) -> float:
    """A z at which |σ'| reaches its bound, or comes close: the attained point, a point of the
    interval where it is attained, or far along the limit it is approached in."""
    at = a.attained_at
    if a.attained and isinstance(at, sp.Interval):
        return float(at.start) + 1 if at.start.is_finite else float(at.end) - 1
    if a.attained and at is not None:
        return float(at)
    end = a.approached_at
    if isinstance(end, tuple):
        return float(end[0]) + (-1e-6 if end[1] == "-" else 1e-6)
    return 8.0 if end == sp.oo else -8.0


def extreme_point(f: Facts, weight: int) -> tuple[dict, dict]:
    """Parameters and inputs (decimal strings) with every w_l = ``weight`` and b_l chosen so
    that z_l sits where |σ_l'| reaches its bound; a_0 = 1, y = 0."""
    net = f.network
    params, a_prev = {}, mpmath.mpf(1)
    with mpmath.workdps(_DIGITS + 10):
        for l in net.layers:
            z = mpmath.mpf(_where(f.layer(l)))
            params[f"w_{l}"] = str(weight)
            params[f"b_{l}"] = mpmath.nstr(z - weight * a_prev, _DIGITS)
            alpha = None
            if net.has_slope(l):
                params[f"alpha_{l}"] = "0.25"
                alpha = mpmath.mpf("0.25")
            a_prev = net.sigma(l).mp(z, alpha)
    return params, {"a_0": "1", "y": "0"}


def _product(*factors) -> OrderedProduct:
    """The factors in order, a coefficient 1 left out."""
    return OrderedProduct(*[x for x in factors if x != 1])


def _value(expr, values: dict) -> mpmath.mpf:
    return mpmath.mpf(sp.N(expr.doit().xreplace(values), _DIGITS)._mpf_)


def bound_exercise(f: Facts):
    """(statement blocks, solution blocks), or None where no wrong bound fails at a point."""
    from symgrad.oracle import reference
    net, L, d = f.network, f.L, f.derivation
    bounds = f.coefficient(1)
    shrink = len(set(bounds)) == 1 and f.layer(f.sigma_layers(1)[0]).shrinks
    if not shrink and L < 2:
        return None
    # with a cancelling cost σ_L'(z_L) ∂C/∂a_L = a_L − y stays one factor, not bounded by sup|σ'|
    last = sp.Abs(OrderedProduct(d.sigma_primes[-1], d.dC_da())) if f.output_cancels \
        else sp.Abs(d.dC_da())
    weights = [sp.Abs(net.w_(j)) for j in range(2, L + 1)]
    right = _product(coefficient(bounds), *weights, last)
    if shrink:
        wrong = _product(coefficient(bounds + [bounds[0]]), *weights, last)
        mistake = "one activation derivative too many" + (
            ": the output's cancelled against the cross-entropy" if f.output_cancels else "")
    else:
        wrong = _product(coefficient(bounds), *weights[1:], last)
        mistake = "a weight left out"
    params, inputs = extreme_point(f, 2 if shrink else 3)
    with mpmath.workdps(_DIGITS + 10):
        ref = reference(net, params, inputs, digits=_DIGITS)
        values = {net.w_(l): sp.Rational(params[f"w_{l}"]) for l in net.layers}
        values[net.a_(L)] = sp.Float(ref.a[L], _DIGITS)
        values[d.sigma_primes[-1]] = sp.Float(net.sigma(L).mp_derivative(ref.z[L]), _DIGITS)
        values[net.y_()] = sp.Integer(0)
        values[d.dC_da()] = sp.Float(net.cost.mp_derivative(ref.a[L], 0), _DIGITS)
        for l in net.layers:
            if net.has_slope(l):
                values[net.alpha(l)] = sp.Rational(1, 4)
        g = abs(ref["b_1"])
        right_value, wrong_value = _value(right, values), _value(wrong, values)
    if not (g <= right_value * (1 + mpmath.mpf(10) ** -30) and g > wrong_value):
        return None
    lhs = sp.Abs(gradient_of("b_1"))
    statement = [Step("exercises", ("Which of these two bounds holds at every point?",),
                      (eq(lhs, "<=", right), eq(lhs, "<=", wrong)))]
    point = [eq(generic("w", "l"), "=", sp.Integer(params["w_1"]))]
    solution = [Paragraph(("The first. ",) + count_sentence(f, 1) + (
        ", each at most its bound, and the weights and the last factor enter with their sizes. "
        "The second has ", mistake, ".",)),
        Paragraph(("It fails where every unit sits where its activation derivative reaches its "
                   "bound: with ", *point, " in every layer and the biases chosen so, ",
                   eq(net.a_(0), "=", 1), " and ", eq(net.y_(), "=", 0),
                   ", symgrad's reference gives ",
                   eq(lhs, "=", shown(sp.Float(g, _DIGITS))), ", while the second bound is only ",
                   shown(sp.Float(wrong_value, _DIGITS)), " and the first is ",
                   shown(sp.Float(right_value, _DIGITS)), "."))]
    return statement, solution
