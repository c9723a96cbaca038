"""Every certified supremum recomputed by an independent method, and the check shown to fail
on corrupted enclosures.

The independent truth: σ'' by mpmath's numerical differentiation of the activation's own
mpmath σ', its sign changes found on a grid, each root polished by ``mpmath.findroot`` at 120
digits (twice the about 60 digits of the 200-bit certificate), σ' evaluated there; the ends
of every branch are approached numerically (z = ±10^3, 10^-100 beside a kink).  sup |σ'| is
the largest of those values.  No part of it uses symgrad's ball arithmetic, SymPy's σ'' or
its solveset.
"""
from __future__ import annotations

import json
from fractions import Fraction
from functools import lru_cache

import mpmath
import pytest
import sympy as sp

from symgrad.bounds import Enclosure, supremum
from symgrad.bounds.enclosure import exact_rational
from symgrad.cli.main import main
from symgrad.model.activations import activation_names, get_activation

#: digits of the independent recomputation
DIGITS = 120
#: how close an exact (zero-width) value must be to the recomputed one
EXACT_TOLERANCE = Fraction(1, 10**90)
#: the scan for sign changes of σ'': z = −12 + k/8 + 1/97 (off the kink at 0)
GRID = [mpmath.mpf(-12) + mpmath.mpf(k) / 8 + mpmath.mpf(1) / 97 for k in range(193)]
#: the built-in activations (other tests register custom ones, named "custom:...")
BUILTINS = [n for n in activation_names() if not n.startswith("custom:")]
#: PReLU's slope, for the activation whose supremum depends on it
ALPHAS = (sp.Rational(1, 4), sp.Integer(-3), sp.Integer(2))


def _sigma_prime(name: str, alpha=None):
    act = get_activation(name)
    if act.parameter is None:
        return act.mp_derivative
    a = mpmath.mpf(sp.Rational(alpha).p) / sp.Rational(alpha).q
    return lambda x: act.mp_derivative(x, a)


@lru_cache(maxsize=None)
def truth(name: str, alpha=None):
    """(sup |σ'|, the point where it is attained or approached), recomputed independently."""
    g = _sigma_prime(name, alpha)
    with mpmath.workdps(DIGITS):
        def g2(x):
            return mpmath.diff(g, x)  # σ'' by numerical differentiation
        points = []
        with mpmath.workdps(30):  # the scan needs signs only
            signs = [mpmath.sign(g2(x)) for x in GRID]
        for x0, x1, s0, s1 in zip(GRID, GRID[1:], signs, signs[1:]):
            if s0 * s1 < 0:
                root = mpmath.findroot(g2, (x0, x1), solver="anderson")
                assert abs(g2(root)) < mpmath.mpf(10) ** -(DIGITS - 20)
                points.append(root)
        tiny, huge = mpmath.mpf(10) ** -100, mpmath.mpf(10) ** 3
        points += [-huge, huge, -tiny, tiny] + GRID  # the ends, approached; and the grid
        values = [(abs(g(x)), x) for x in points]
    return max(values)


def contains_truth(enclosure: Enclosure, value) -> bool:
    """The certificate holds the recomputed value: inside a proper enclosure, within
    10^-90 of an exact (zero-width) one."""
    if enclosure.width == 0:
        return abs(enclosure.lower - exact_rational(value)) <= EXACT_TOLERANCE
    return enclosure.contains(value)


def _point_near(at, x) -> bool:
    """The certificate's attained_at holds the recomputed point x."""
    if isinstance(at, Enclosure):
        return at.contains(x)
    if isinstance(at, sp.Interval):
        return bool(at.contains(sp.Float(x, 30)))
    return abs(exact_rational(sp.N(at, DIGITS)) - exact_rational(x)) <= EXACT_TOLERANCE


@pytest.mark.parametrize("name", [n for n in BUILTINS if n != "prelu"])
def test_certified_supremum_contains_the_recomputed_value(name):
    s = supremum(name)
    value, where = truth(name)
    with mpmath.workdps(DIGITS):
        assert contains_truth(s.enclosure, value), (name, s.sup_string(40), value)
        if s.attained:
            assert _point_near(s.attained_at, where), (name, s.attained_string(40), where)
        else:  # approached: at an end, where the recomputation's largest value sits too
            assert abs(where) in (mpmath.mpf(10) ** 3, mpmath.mpf(10) ** -100)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_prelu_supremum_in_alpha_matches_recomputed(alpha):
    act = get_activation("prelu")
    exact = supremum("prelu").value.subs(act.parameter, alpha)
    value, _ = truth("prelu", alpha)
    with mpmath.workdps(DIGITS):
        assert contains_truth(Enclosure(exact_rational(exact), exact_rational(exact)), value)


def test_silu_enclosures_contain_the_findroot_truth():
    """The finding: the supremum of SiLU is 1.09983932012886691695818… at the zero
    2.39935728051546766783… of σ''."""
    s = supremum("silu")
    value, where = truth("silu")
    assert mpmath.nstr(value, 24) == "1.09983932012886691695818"
    assert mpmath.nstr(where, 21) == "2.39935728051546766783"
    assert s.enclosure.contains(value) and s.attained_at.contains(where)
    assert s.enclosure.width < Fraction(1, 10**55) and s.attained_at.width < Fraction(1, 10**55)


def test_gelu_tanh_enclosures_contain_the_findroot_truth():
    """GELU's tanh approximation: σ'' written out here by hand (not the table's, not SymPy's)
    and its zero found by mpmath.findroot at 40 digits; sup |σ'| = σ' there, about
    1.12899306865877 at z ≈ 1.4185, and the certificate holds both."""
    s = supremum("gelu_tanh")
    with mpmath.workdps(40):
        c, k = mpmath.sqrt(2 / mpmath.pi), mpmath.mpf(44715) / 10**6

        def parts(z):
            u, du, ddu = c * (z + k * z**3), c * (1 + 3 * k * z**2), 6 * c * k * z
            return mpmath.tanh(u), du, ddu

        def g(z):       # σ' = (1 + t)/2 + z (1 − t²) u'/2
            t, du, _ = parts(z)
            return (1 + t) / 2 + z * (1 - t**2) * du / 2

        def g2(z):      # σ'' = (1 − t²)(u' + z u''/2 − z t u'²)
            t, du, ddu = parts(z)
            return (1 - t**2) * (du + z * ddu / 2 - z * t * du**2)
        where = mpmath.findroot(g2, mpmath.mpf("1.4"))
        value = g(where)
        assert abs(g2(where)) < mpmath.mpf(10) ** -35
        assert g(where + mpmath.mpf("0.01")) < value and g(where - mpmath.mpf("0.01")) < value
        assert mpmath.nstr(value, 14) == "1.1289930686588"     # the brief's 1.12899306865877…
        assert s.certified and s.attained and s.value is None
        # 40 digits against a certificate 10^-55 wide: the truth lies within 10^-38 of it
        # (containment at 120 digits: test_certified_supremum_contains_the_recomputed_value)
        tol = Fraction(1, 10**38)
        for e, x in ((s.enclosure, value), (s.attained_at, where)):
            x = Fraction(mpmath.nstr(x, 40))
            assert e.lower - tol < x < e.upper + tol, (e.show(45), x)
            assert x <= e.lower + 2 * tol         # and within 2·10^-38 of its lower end
    assert s.enclosure.width < Fraction(1, 10**55) and s.attained_at.width < Fraction(1, 10**55)
    assert s.decimal(12) == "1.12899306866"
    # the inverse branch: σ'(−1.4185) = 1 − sup, the smallest value, is a critical point too
    assert any("|σ'(z)| ∈ [0.128993068658771765" in step for step in s.steps)


def test_json_enclosures_of_every_builtin_contain_the_truth(capsys):
    for name in BUILTINS:
        assert main(["bounds", "--activation", name, "--format", "json"]) == 0
        e, = json.loads(capsys.readouterr().out)
        if e["enclosure"] is None:
            assert name == "prelu"
            continue
        low, high = map(Fraction, e["enclosure"])
        value, where = truth(name)
        assert contains_truth(Enclosure(low, high), value), (name, e["enclosure"])
        if e["attained_at"] and "enclosure" in e["attained_at"]:
            at_low, at_high = map(Fraction, e["attained_at"]["enclosure"])
            assert Enclosure(at_low, at_high).contains(where)


# --- the check must fail on corrupted enclosures -----------------------------------------

def test_an_enclosure_shifted_by_its_width_is_caught():
    s = supremum("silu")
    value, where = truth("silu")
    for e, x in ((s.enclosure, value), (s.attained_at, where)):
        for shift in (e.width, -e.width):
            moved = Enclosure(e.lower + shift, e.upper + shift)
            assert not contains_truth(moved, x)
        # shifted by its width and one unit of the 40th digit: the truth is outside as well
        ulp = Fraction(1, 10**39)
        assert not contains_truth(Enclosure(e.lower + e.width + ulp, e.upper + e.width + ulp), x)


def test_the_old_float_rounded_endpoints_are_caught():
    """The endpoints as the mpmath.iv version handed them out: rounded to 53 bits when they
    left the interval context; and the strings its JSON printed."""
    s = supremum("silu")
    value, where = truth("silu")
    with mpmath.workprec(53):
        def to_53_bits(q):
            return exact_rational(mpmath.mpf(q.numerator) / q.denominator)
        old = Enclosure(to_53_bits(s.enclosure.lower), to_53_bits(s.enclosure.upper))
        old_at = Enclosure(to_53_bits(s.attained_at.lower), to_53_bits(s.attained_at.upper))
    assert not contains_truth(old, value)
    assert not contains_truth(old_at, where)
    printed = Enclosure(Fraction("1.0998393201288669818"), Fraction("1.0998393201288669819"))
    printed_at = Enclosure(Fraction("2.3993572805154674831"), Fraction("2.3993572805154674832"))
    assert not contains_truth(printed, value) and not contains_truth(printed_at, where)


def test_an_exact_value_off_by_a_little_is_caught():
    value, _ = truth("gelu")
    exact = supremum("gelu").enclosure
    assert contains_truth(exact, value)
    nudged = Enclosure(exact.lower + Fraction(1, 10**58), exact.upper + Fraction(1, 10**58))
    assert not contains_truth(nudged, value)
    one_quarter = Enclosure(Fraction(1, 4), Fraction(1, 4))
    assert contains_truth(one_quarter, truth("sigmoid")[0])
    assert not contains_truth(Enclosure(Fraction(1, 4) + Fraction(1, 10**80),
                                        Fraction(1, 4) + Fraction(1, 10**80)),
                              truth("sigmoid")[0])
