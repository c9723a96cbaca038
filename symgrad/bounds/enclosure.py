"""Exact enclosures: the form in which a certified number leaves the ball arithmetic.

An :class:`Enclosure` is a closed interval [lower, upper] whose endpoints are exact
rationals (:class:`fractions.Fraction`).  A ball m ± r of the arithmetic has a dyadic
midpoint m = M·2^e and radius r = R·2^f, so [m − r, m + r] is read off it without rounding
(:func:`symgrad.bounds.interval.enclosure`).  Decimal strings are made from the exact
endpoints by rounding OUTWARD: the lower endpoint down, the upper endpoint up, so the printed
interval still contains everything the exact one does.  Nothing here passes through a float.

>>> e = Enclosure(Fraction(1, 3), Fraction(1, 3))
>>> e.strings(5)
('0.33333', '0.33334')
>>> e.show(5), e.rounded(5)
('[0.33333, 0.33334]', '0.33333')
>>> e.contains(Fraction(1, 3)), e.contains("0.3333333333")
(True, False)
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

import mpmath
import sympy as sp

__all__ = ["Enclosure", "exact_rational", "decimal_down", "decimal_up", "decimal_nearest"]


def exact_rational(x) -> Fraction:
    """``x`` as an exact rational: int, Fraction, SymPy Rational or Float, mpmath mpf,
    float, Decimal or a decimal string, each converted without rounding.

    >>> exact_rational(mpmath.mpf(0.1))
    Fraction(3602879701896397, 36028797018963968)
    >>> exact_rational("1.25"), exact_rational(sp.Rational(-2, 6))
    (Fraction(5, 4), Fraction(-1, 3))
    """
    if isinstance(x, (int, Fraction)):
        return Fraction(x)
    if isinstance(x, sp.Rational):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, (sp.Float, mpmath.mpf)):
        sign, man, exp, _ = x._mpf_  # (−1)^sign · man · 2^exp exactly
        if not man and (exp or sign):
            raise ValueError(f"x={x!r}: must be a finite number")
        value = Fraction(man) * Fraction(2) ** exp
        return -value if sign else value
    if isinstance(x, (float, Decimal, str)):
        return Fraction(x)
    raise TypeError(f"x={x!r}: must be an exact or binary number, not {type(x).__name__}")


def _decade(q: Fraction) -> int:
    """e with 10^e ≤ q < 10^(e+1), for q > 0."""
    e = len(str(q.numerator)) - len(str(q.denominator))
    while Fraction(10) ** e > q:
        e -= 1
    while Fraction(10) ** (e + 1) <= q:
        e += 1
    return e


def _digits(n: int, exponent: int) -> str:
    """n · 10^exponent as a decimal string, trailing zeros dropped; scientific notation
    outside 10^-7 .. 10^21."""
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    n = abs(n)
    while n % 10 == 0:
        n //= 10
        exponent += 1
    s = str(n)
    adjusted = len(s) - 1 + exponent  # the power of ten of the leading digit
    if not -7 <= adjusted <= 21:
        return f"{sign}{s[0]}{'.' + s[1:] if len(s) > 1 else ''}e{adjusted}"
    if exponent >= 0:
        return sign + s + "0" * exponent
    if len(s) > -exponent:
        return f"{sign}{s[:exponent]}.{s[exponent:]}"
    return f"{sign}0.{'0' * (-exponent - len(s))}{s}"


def _round(q: Fraction, digits: int, mode: str) -> str:
    """q to ``digits`` significant digits: mode "down" (floor), "up" (ceiling) or
    "nearest" (half away from zero)."""
    if digits < 1:
        raise ValueError(f"digits={digits}: must be >= 1")
    if q == 0:
        return "0"
    shift = digits - 1 - _decade(abs(q))  # q · 10^shift has `digits` digits before the point
    scaled = q * Fraction(10) ** shift
    if mode == "down":
        n = scaled.numerator // scaled.denominator
    elif mode == "up":
        n = -((-scaled.numerator) // scaled.denominator)
    else:
        n = int((abs(scaled) * 2 + 1) // 2) * (1 if scaled > 0 else -1)
    return _digits(n, -shift)


def decimal_down(q, digits: int) -> str:
    """The largest ``digits``-significant-digit decimal ≤ q.

    >>> decimal_down(Fraction(-2, 3), 3)
    '-0.667'
    """
    return _round(exact_rational(q), digits, "down")


def decimal_up(q, digits: int) -> str:
    """The smallest ``digits``-significant-digit decimal ≥ q.

    >>> decimal_up(Fraction(2, 3), 3), decimal_up(Fraction(999999, 10**6), 3)
    ('0.667', '1')
    """
    return _round(exact_rational(q), digits, "up")


def decimal_nearest(q, digits: int) -> str:
    """q rounded to ``digits`` significant digits (half away from zero).

    >>> decimal_nearest(Fraction(1, 8), 2)
    '0.13'
    """
    return _round(exact_rational(q), digits, "nearest")


class Enclosure(NamedTuple):
    """[lower, upper] with exact rational endpoints: a certified number lies in it."""

    lower: Fraction
    upper: Fraction

    @property
    def width(self) -> Fraction:
        """upper − lower, exactly."""
        return self.upper - self.lower

    def contains(self, x) -> bool:
        """lower ≤ x ≤ upper, compared exactly (x converted by :func:`exact_rational`)."""
        q = exact_rational(x)
        return self.lower <= q <= self.upper

    def strings(self, digits: int = 20) -> tuple[str, str]:
        """The endpoints as decimals rounded outward: lower down, upper up."""
        return decimal_down(self.lower, digits), decimal_up(self.upper, digits)

    def show(self, digits: int = 20) -> str:
        """``[low, high]`` rounded outward."""
        low, high = self.strings(digits)
        return f"[{low}, {high}]"

    def rounded(self, digits: int = 20) -> str:
        """The number the enclosure holds, rounded to nearest: ``digits`` significant
        digits where both endpoints round to the same decimal (so every point inside does),
        else as many as they share."""
        for n in range(digits, 0, -1):
            low, high = decimal_nearest(self.lower, n), decimal_nearest(self.upper, n)
            if low == high:
                return low
        return self.show(2)
