"""The arithmetic under the certificates: exact enclosures and outward decimals, balls over
a box, intervals on a ray, and the isolated roots; each against exact or 100-digit truth."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from flint import arb

from symgrad.bounds.enclosure import (Enclosure, decimal_down, decimal_nearest, decimal_up,
                                      exact_rational)
from symgrad.bounds.interval import (NotCertified, ball, constant_enclosure, enclosure,
                                     interval, power, sign, working_precision)
from symgrad.bounds.roots import isolate_roots
from symgrad.bounds.tails import ray_interval, sign_on_ray

Z = sp.Symbol("z", real=True)
REALS = sp.Interval.open(-sp.oo, sp.oo)


def mp100(expr) -> Fraction:
    """A SymPy constant at 100 digits, as an exact rational."""
    return exact_rational(sp.N(expr, 100))


# --- exact enclosures and outward decimals --------------------------------------------------

def test_outward_and_nearest_decimals():
    third = Fraction(1, 3)
    assert (decimal_down(third, 5), decimal_up(third, 5)) == ("0.33333", "0.33334")
    assert (decimal_down(-2 * third, 5), decimal_up(-2 * third, 5)) == ("-0.66667", "-0.66666")
    assert decimal_up(Fraction(99999999, 10**8), 3) == "1"  # the carry: 0.99999999 ↑ 1.00
    assert decimal_down(Fraction(99999999, 10**8), 3) == "0.999"
    assert decimal_down(Fraction(1, 3 * 10**30), 3) == "3.33e-31"
    assert decimal_up(Fraction(10**25, 3), 4) == "3.334e24"
    assert decimal_down(Fraction(12345, 1), 3) == "12300"
    assert decimal_nearest(Fraction(5, 8), 2) == "0.63" and decimal_nearest(0, 3) == "0"
    assert decimal_down(Fraction(7, 2), 20) == "3.5"
    with pytest.raises(ValueError, match="digits=0"):
        decimal_down(third, 0)


def test_outward_strings_enclose_their_number():
    for q in (Fraction(2, 7), Fraction(-22, 7), Fraction(10**40 + 1, 10**20), Fraction(1, 10**9)):
        for digits in (1, 5, 17, 40):
            assert Fraction(decimal_down(q, digits)) <= q <= Fraction(decimal_up(q, digits))


def test_exact_rational_never_rounds():
    assert exact_rational(mpmath.mpf("0.1")) == Fraction(3602879701896397, 2**55)
    assert exact_rational(sp.Float("0.5", 30)) == Fraction(1, 2)
    assert exact_rational(sp.Rational(-4, 6)) == Fraction(-2, 3)
    assert exact_rational("2.5e-3") == Fraction(1, 400)
    with pytest.raises(ValueError, match="must be a finite number"):
        exact_rational(mpmath.inf)
    with pytest.raises(TypeError, match="must be an exact or binary number"):
        exact_rational([1])


def test_enclosure_rounded_keeps_only_the_digits_it_decides():
    e = Enclosure(Fraction("0.12345"), Fraction("0.12355"))
    assert e.rounded(5) == "0.12"
    assert Enclosure(Fraction(1, 3), Fraction(1, 3)).rounded(6) == "0.333333"
    assert e.show(3) == "[0.123, 0.124]" and e.width == Fraction(1, 10**4)


# --- balls over a box -------------------------------------------------------------------------

def test_ball_endpoints_leave_exactly():
    with working_precision(200):
        e = enclosure(ball(Fraction(1, 3)))
    assert e.contains(Fraction(1, 3)) and 0 < e.width < Fraction(1, 2**190)
    # dyadic endpoints: denominators are powers of two
    assert all(q.denominator & (q.denominator - 1) == 0 for q in e)
    with pytest.raises(NotCertified, match="not finite"):
        enclosure(arb(1) / arb(0))


@pytest.mark.parametrize("expr, point", [
    (sp.erf(Z) + sp.atan(Z), sp.Rational(7, 5)),
    (sp.log(Z) * sp.sqrt(Z) - sp.tanh(Z) ** 3, sp.Rational(9, 4)),
    (sp.exp(-Z ** 2 / 2) / sp.sqrt(2 * sp.pi) + sp.erfc(Z), -sp.Rational(1, 3)),
    (Z ** sp.Rational(3, 2) + sp.cosh(Z) / sp.sinh(Z) + sp.cos(Z) * sp.sin(Z), sp.pi / 5),
])
def test_ball_values_contain_100_digit_truth(expr, point):
    with working_precision(200):
        e = enclosure(interval(expr, Z, ball(constant_enclosure(point).lower,
                                             constant_enclosure(point).upper)))
    assert e.contains(mp100(expr.subs(Z, point)))
    assert e.width < Fraction(1, 10**50)


def test_box_enclosure_contains_the_range():
    with working_precision(100):
        e = enclosure(interval(sp.exp(Z) - Z, Z, ball(1, 2)))  # increasing on [1, 2]
    assert e.contains(mp100(sp.E - 1)) and e.contains(mp100(sp.E ** 2 - 2))


def test_even_power_of_a_ball_around_zero():
    with working_precision(64):
        X = ball(-1, 2)
        square = enclosure(power(X, 2))
        assert square.lower == 0 and 4 <= square.upper < 4 + Fraction(1, 2**20)
        assert enclosure(power(X, 3)).contains(-1) and enclosure(power(X, 3)).contains(8)
        # FLINT's own: x^2 reaches −3.5 on this ball, NaN on one centred at 0; hence power()
        assert (X ** 2).lower() < -3 and (ball(-1, 1) ** 2).is_nan()
        assert sign(power(ball(2, 3), -2)) == 1


def test_no_ball_form_is_not_certified():
    with pytest.raises(NotCertified, match="no ball form for Heaviside"):
        interval(sp.Heaviside(Z), Z, ball(1))
    with pytest.raises(NotCertified, match="no ball form for EulerGamma"):
        constant_enclosure(sp.EulerGamma + 1)


def test_constant_enclosures():
    assert constant_enclosure(sp.Rational(7, 3)) == Enclosure(Fraction(7, 3), Fraction(7, 3))
    gelu = (1 + sp.erf(1)) / 2 + 1 / (sp.E * sp.sqrt(sp.pi))
    e = constant_enclosure(gelu)
    assert e.contains(mp100(gelu)) and e.width < Fraction(1, 10**55)
    assert not e.contains(mp100(gelu) + Fraction(1, 10**55))


# --- intervals on a ray -----------------------------------------------------------------------

def test_ray_enclosure_of_the_silu_form():
    with working_precision(200):
        X = ray_interval(Z * sp.tanh(Z / 2) - 2, Z, 4, +1)
        low = enclosure(X.lo).lower
    exact_low = mp100(4 * sp.tanh(2) - 2)  # z tanh(z/2) − 2 is increasing: its value at 4
    assert low <= exact_low and exact_low - low < Fraction(1, 10**50)
    assert not X.hi.is_finite()
    assert sign_on_ray(Z * sp.tanh(Z / 2) - 2, Z, 4, -1) == 1


def test_ray_rules():
    with working_precision(100):
        assert ray_interval(1 / Z, Z, 4, +1).show(5) == "[0, 0.25]"
        assert ray_interval(sp.erfc(Z), Z, 1, +1).show(5) == "[0, 0.1573]"
        assert ray_interval(sp.sin(Z), Z, 1, +1).show(5) == "[-1, 1]"
        assert ray_interval(sp.exp(Z) + Z, Z, 2, -1).show(5) == "[-inf, -1.8646]"
        # z e^z on z ≤ −2 lies in [−2/e², 0); interval arithmetic loses the dependence
        assert ray_interval(sp.exp(Z) * Z, Z, 2, -1).show(5) == "[-inf, 0]"
        assert ray_interval(Z ** 2, Z, 3, -1).show(5) == "[9, inf]"
    assert sign_on_ray(sp.exp(Z) - Z ** 3, Z, 4, +1) == 0  # ∞ − ∞: undecided, not a sign
    assert sign_on_ray(sp.exp(-Z) + sp.atan(Z), Z, 4, +1) == 1
    assert sign_on_ray(sp.log(Z), Z, 4, -1) == 0  # log of negatives: no enclosure


# --- roots ------------------------------------------------------------------------------------

def test_roots_of_a_polynomial():
    roots, R, _ = isolate_roots(Z ** 2 - 2, Z, REALS)
    assert R == 4 and len(roots) == 2
    assert roots[0].contains(-mp100(sp.sqrt(2))) and roots[1].contains(mp100(sp.sqrt(2)))
    assert all(r.width < Fraction(1, 10**55) for r in roots)


def test_roots_on_a_bounded_branch_beyond_the_window():
    # (z + 50)(z − 1) on (−100, 0): the root −50 lies outside [−4, 4] but inside the branch
    roots, R, _ = isolate_roots((Z + 50) * (Z - 1), Z, sp.Interval.open(-100, 0))
    assert R is None and len(roots) == 1 and roots[0].contains(-50)
    roots, _, _ = isolate_roots((Z + 50) * (Z - 1), Z, sp.Interval.open(-sp.oo, 0))
    assert len(roots) == 1 and roots[0].contains(-50)  # the window grows to R = 64


def test_roots_outside_the_branch_are_dropped():
    roots, _, _ = isolate_roots(Z ** 2 - 2, Z, sp.Interval.open(-sp.Rational(1, 2), 5))
    assert len(roots) == 1 and roots[0].contains(mp100(sp.sqrt(2)))


def test_roots_not_certified_honestly():
    with pytest.raises(NotCertified, match="keeps an undecided sign beyond"):
        isolate_roots(sp.cos(Z), Z, REALS)  # infinitely many zeros
    with pytest.raises(NotCertified, match="could not be isolated"):
        isolate_roots(Z * (Z - 1), Z, sp.Interval.open(0, 3))  # a zero at the branch's end
    with pytest.raises(NotCertified, match="could not be isolated"):
        isolate_roots((Z - 1) ** 2, Z, REALS)  # a double zero: no sign change to certify
    with pytest.raises(NotCertified, match="not shown continuously differentiable"):
        isolate_roots(1 / Z - 1, Z, REALS)
