"""Numbers in and out of the oracle: every input read as the exact rational it denotes, every
output written as a decimal string of exactly D significant digits.

* :func:`exact` reads an int, float (an exact binary number), Fraction, Decimal, mpmath
  mpf, NumPy scalar, SymPy Rational or Float, python-flint fmpq, or a decimal string
  (``"0.1"`` is one tenth, not the float nearest it) as a python-flint ``fmpq``; a decimal
  string's length and exponent are bounded *before* any conversion
  (:func:`symgrad.inputs.check_decimal`), so ``"1e999999"`` or a 100,000-digit string is
  one clear line, never a spin.
* :func:`decimal_string` writes an arb ball's midpoint (or any exact number) with exactly D
  significant digits, correctly rounded from the exact binary midpoint, in integer
  arithmetic: no float and no 53-bit number is ever on the way.

>>> exact("0.1"), exact(0.5), exact(-3)
(1/10, 1/2, -3)
>>> decimal_string(arb(fmpq(1, 3)), 5), decimal_string(0, 5), decimal_string(-2.5, 3)
('3.3333e-1', '0', '-2.50e+0')
>>> decimal_string(fmpq(7, 10 ** 1000), 4)
'7.000e-1000'
"""
from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

from functools import lru_cache

from flint import arb, arb_mat, fmpq, fmpz, fmpz_mat

from symgrad.inputs import check_decimal
from symgrad.errors import UsageError

__all__ = ["exact", "exact_or_none", "to_ball", "ball_matrix", "split_decimal",
           "decimal_string", "float_decimal", "ball_float"]

_LOG10_2 = math.log10(2)


def split_decimal(text: str) -> tuple[int, int]:
    """(m, e) with a checked decimal string equal to m · 10^e exactly.

    >>> split_decimal("-1.250e-3")
    (-1250, -6)
    """
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    sign = -1 if whole.startswith("-") else 1
    digits = int((whole.lstrip("+-") + fraction) or "0")
    return sign * digits, (int(exponent) if exponent else 0) - len(fraction)


def _from_decimal_text(text: str) -> fmpq:
    """A checked decimal string as the rational it denotes."""
    m, e = split_decimal(text)
    return fmpq(m * 10 ** e) if e >= 0 else fmpq(m, 10 ** -e)


def exact_or_none(value):
    """``value`` as an exact fmpq, or None when it is not a finite real number (a NaN, an
    infinity, text that is no number, a bool, None)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, fmpq):
        return value
    if isinstance(value, float) or type(value).__module__ == "numpy":
        value = float(value) if not isinstance(value, numbers.Integral) else int(value)
        if isinstance(value, float):
            return fmpq(*value.as_integer_ratio()) if math.isfinite(value) else None
    if isinstance(value, numbers.Integral):
        return fmpq(int(value))
    if isinstance(value, Fraction):
        return fmpq(value.numerator, value.denominator)
    if isinstance(value, Decimal):
        return fmpq(*value.as_integer_ratio()) if value.is_finite() else None
    if hasattr(value, "_mpf_"):          # mpmath mpf, SymPy Float: (−1)^s m 2^e exactly
        sign, man, exp, _ = value._mpf_
        if not man:
            return fmpq(0) if not exp else None
        q = fmpq(int(man)) * (fmpq(2) ** int(exp))
        return -q if sign else q
    if hasattr(value, "p") and hasattr(value, "q"):   # SymPy Rational
        return fmpq(int(value.p), int(value.q))
    if isinstance(value, fmpz):
        return fmpq(value)
    return None


def exact(value, place: str = "value") -> fmpq:
    """``value`` as the exact rational it denotes; a decimal string is read as written
    (its length and exponent bounded first), anything that is not a finite real number is
    one UsageError line naming ``place``.

    >>> exact("1e999999", "x")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: x='1e999999': the exponent 999999 is above 10000; symgrad reads numbers from 1e-1000000 to 1e10000
    >>> exact(float("nan"), "actual['b_1']")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: actual['b_1']=nan: must be a finite real number (int, float, Fraction, Decimal, mpf or a decimal string such as '0.1')
    """
    if isinstance(value, str):
        return _from_decimal_text(check_decimal(value, place))
    q = exact_or_none(value)
    if q is None:
        raise UsageError(f"{place}={value!r}: must be a finite real number (int, float, "
                         "Fraction, Decimal, mpf or a decimal string such as '0.1')")
    return q


def to_ball(v) -> arb:
    """The ball of an exact number at the working precision: a float or a dyadic fmpq
    exactly (radius 0), a decimal string or another rational rounded outward."""
    return arb(v)


def ball_matrix(rows: list) -> arb_mat:
    """The arb matrix of rows of exact numbers; rows of decimal strings go through one
    integer matrix M and one ball 10^−K (W = M · 10^−K), FLINT's fast path, and the entries
    that are binary numbers (50, 0.5, 0) are then set exactly: an exact cancellation
    z = 50 · 0.5 − 25 stays the exact 0 a ball never leaves.

    >>> W = ball_matrix([["5.000e+1", "3.3333333333e+1"], ["0", "-2.5e-1"]])
    >>> [W[i, j].is_exact() for i in range(2) for j in range(2)]
    [True, False, True, True]
    """
    if rows and rows[0] and all(isinstance(v, str) for row in rows for v in row):
        parts = [[split_decimal(v) for v in row] for row in rows]
        K = -min(min(e for _, e in row) for row in parts)
        ints = fmpz_mat([[m * _pow10(e + K) for m, e in row] for row in parts])
        if K <= 0:
            return arb_mat(ints)
        W = arb_mat(ints) * (arb(10) ** -K)
        fives = {e: 5 ** -e for e in {e for row in parts for _, e in row} if e < 0}
        binary = [(i, j, m, e) for i, row in enumerate(parts) for j, (m, e) in enumerate(row)
                  if m and (e >= 0 or not m % fives[e])]   # m · 10^e = (m / 5^−e) 2^e
        for i, j, m, e in binary:
            W[i, j] = arb(m * _pow10(e)) if e >= 0 else arb(m // fives[e]) * arb(2) ** e
        return W
    return arb_mat([[v if isinstance(v, (float, arb)) else arb(v) for v in row]
                    for row in rows])



@lru_cache(maxsize=4096)
def _pow10(k: int) -> int:
    return 10 ** k


def _digits_of(man: int, exp: int, digits: int) -> tuple[int, int]:
    """(q, E) with q of exactly ``digits`` digits, |man| 2^exp ≈ q · 10^(E − digits + 1),
    q the nearest such integer (ties to even), all in integers."""
    man = abs(man)
    E = math.floor((man.bit_length() - 1 + exp) * _LOG10_2)
    low, high = _pow10(digits - 1), _pow10(digits)
    shift = digits - 1 - E
    if exp < 0 and shift >= 0:               # a ball's midpoint, the common case: shifts
        num, k = man * _pow10(shift), -exp   # q = round(num / 2^k), ties to even
        q = num >> k
        r = num - (q << k)
        half = 1 << (k - 1)
        if r > half or (r == half and q & 1):
            q += 1
        if low <= q < high:
            return q, E
    while True:
        shift = digits - 1 - E               # q = round(man 2^exp 10^shift)
        num = (man << exp if exp > 0 else man) * (_pow10(shift) if shift > 0 else 1)
        den = (1 << -exp if exp < 0 else 1) * (_pow10(-shift) if shift < 0 else 1)
        q, r = divmod(num, den)
        if 2 * r > den or (2 * r == den and q & 1):
            q += 1
        if q >= high:
            E += 1
        elif q < low:
            E -= 1
        else:
            return q, E


def decimal_string(x, digits: int) -> str:
    """``x`` (an arb ball: its midpoint; or any exact number) in scientific notation with
    exactly ``digits`` significant digits, correctly rounded; an exact zero is ``"0"``.

    >>> decimal_string(arb("1e-400") * 7, 4), decimal_string(0.1, 20)
    ('7.000e-400', '1.0000000000000000555e-1')
    """
    if isinstance(x, arb):
        if not x.is_finite():
            raise ValueError(f"x={x}: not a finite number")
        man, exp = x.mid().man_exp()
        man, exp = int(man), int(exp)
    else:
        q = exact_or_none(x)
        if q is None:
            raise ValueError(f"x={x!r}: not a finite number")
        if q == 0:
            return "0"
        p, d = int(q.p), int(q.q)
        if d & (d - 1) == 0:                 # dyadic: exact as man · 2^exp
            man, exp = p, -(d.bit_length() - 1)
        else:                                 # scale the quotient far beyond the digits
            extra = digits * 4 + d.bit_length() + 64
            man, exp = (p << extra) // d, -extra
    if man == 0:
        return "0"
    q, E = _digits_of(man, exp, int(digits))
    text = str(q)
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{'-' if man < 0 else ''}{mantissa}e{'+' if E >= 0 else '-'}{abs(E)}"


def float_decimal(x: float, digits: int) -> str:
    """A float (a random draw) rounded to ``digits`` significant digits, in the format of
    :func:`decimal_string` (Python's own correctly rounded formatting: fast).

    >>> float_decimal(0.125730221, 8), float_decimal(-2.5, 3), float_decimal(0.0, 3)
    ('1.2573022e-1', '-2.50e+0', '0')
    """
    if x == 0:
        return "0"
    # Python writes the exponent with two digits at least: e+05 → e+5, e+00 → e+0
    return format(x, f".{int(digits) - 1}e").replace("e+0", "e+").replace("e-0", "e-")


def ball_float(x: arb) -> float:
    """The float nearest a ball's midpoint (0.0 or ±inf beyond float64's range, as FLINT
    rounds it): for the magnitudes the tolerance model needs, never for a certified value.

    >>> ball_float(arb("1e-400")), ball_float(arb("-1e400")), ball_float(arb(0.25))
    (0.0, -inf, 0.25)
    """
    return float(x)
