"""Ball arithmetic: enclosures of a SymPy expression over a finite box, with FLINT's arb.

A ball m ± r (python-flint's :class:`flint.arb`) stands for every real in [m − r, m + r];
each operation of FLINT returns a ball that contains every value the operation takes on its
input balls, so evaluating an expression node by node over the ball X of a box encloses the
expression's range on the box.  Numbers enter as balls around their exact values (a rational
p/q, π, e, a binary Float exactly), and an enclosure leaves as exact rationals
(:func:`enclosure`), never through a float or a 53-bit number.

>>> z = sp.Symbol("z", real=True)
>>> with working_precision(64):
...     Y = interval(z * sp.tanh(z / 2) - 2, z, ball(3, 4))
...     print(enclosure(Y).show(6))
[0.686005, 1.85612]
"""
from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction
from functools import lru_cache
from typing import Callable

import sympy as sp
from flint import arb, ctx, fmpq

from symgrad.bounds.enclosure import Enclosure, exact_rational

__all__ = ["CERTIFY_BITS", "NotCertified", "working_precision", "ball", "enclosure",
           "interval", "ball_function", "constant_enclosure", "constant_ball", "sign", "to_arb",
           "power"]

#: working precision of the ball arithmetic, in bits (about 60 decimal digits)
CERTIFY_BITS = 200


class NotCertified(Exception):
    """A bound could not be certified; the message says which step failed."""


@contextmanager
def working_precision(bits: int = CERTIFY_BITS):
    """Ball arithmetic at ``bits`` bits inside the block (FLINT's ``ctx.prec``), restored
    after it."""
    with ctx.workprec(bits):
        yield


def to_arb(x) -> arb:
    """A ball containing the number ``x`` (exact for integers and dyadic rationals, rounded
    outward at the working precision otherwise); an arb passes through."""
    if isinstance(x, arb):
        return x
    q = exact_rational(x)
    return arb(fmpq(q.numerator, q.denominator))


def ball(lower, upper=None) -> arb:
    """The ball (rounded outward) containing [lower, upper]; one argument: a point."""
    low = to_arb(lower)
    return low if upper is None else low.union(to_arb(upper))


def _dyadic(x: arb) -> Fraction:
    mantissa, exponent = x.man_exp()  # x = mantissa · 2^exponent, exactly
    return Fraction(int(mantissa)) * Fraction(2) ** int(exponent)


def enclosure(Y: arb) -> Enclosure:
    """[m − r, m + r] of the ball Y = m ± r, read off exactly.

    >>> with working_precision(64):
    ...     third = enclosure(ball(Fraction(1, 3)))
    >>> third.contains(Fraction(1, 3)), third.width < Fraction(1, 2**60)
    (True, True)
    """
    if Y.is_nan() or not Y.is_finite():
        raise NotCertified("an enclosure is not finite")
    m, r = _dyadic(Y.mid()), _dyadic(Y.rad())
    return Enclosure(m - r, m + r)


def sign(Y: arb) -> int:
    """+1 or −1 where the ball excludes 0, else 0 (undecided)."""
    if Y.is_nan():
        return 0
    return 1 if Y > 0 else -1 if Y < 0 else 0


def power(B: arb, n: int) -> arb:
    """B^n for an integer n, tight where B contains 0: x^n is increasing for odd n and
    increasing in |x| for even n, which keeps it off the negatives (FLINT's pow gives NaN
    for a ball around 0)."""
    if n == 0:
        return arb(1)
    if n < 0:
        return 1 / power(B, -n)
    if n % 2:
        return ball((B.lower() ** n).lower(), (B.upper() ** n).upper())
    low, high = B.abs_lower(), B.abs_upper()  # |x| ∈ [low, high]
    return ball((low ** n).lower(), (high ** n).upper()).nonnegative_part()


def _abs(B: arb) -> arb:
    # |x| ∈ [min |x|, max |x|], kept off the negatives (a ball [0, M] is [M/2 ± M/2])
    return ball(B.abs_lower(), B.abs_upper()).nonnegative_part()


#: SymPy function → its arb form (each encloses the function on a ball)
_FUNCTIONS = {
    sp.exp: arb.exp, sp.log: arb.log, sp.tanh: arb.tanh, sp.sinh: arb.sinh,
    sp.cosh: arb.cosh, sp.sin: arb.sin, sp.cos: arb.cos, sp.atan: arb.atan,
    sp.erf: arb.erf, sp.erfc: arb.erfc, sp.Abs: _abs, sp.LambertW: arb.lambertw,
}


def constant_ball(expr: sp.Expr) -> Callable[[object], arb] | None:
    """The ball of a SymPy number (rational, float, π, e) as a function of one ignored
    argument, built at the precision in force when it is called; None for anything else.

    >>> constant_ball(sp.Rational(1, 4))(None), constant_ball(sp.Symbol("x"))
    (0.250000000000000, None)
    """
    if expr.is_Rational:
        p, q = int(expr.p), int(expr.q)
        return lambda X: arb(fmpq(p, q))
    if expr.is_Float:
        q = exact_rational(expr)
        return lambda X: to_arb(q)
    if expr is sp.pi:
        return lambda X: arb.pi()
    if expr is sp.E:
        return lambda X: arb.const_e()
    return None


@lru_cache(maxsize=512)
def ball_function(expr: sp.Expr, z: sp.Symbol) -> Callable[[arb], arb]:
    """``expr`` compiled once into X ↦ an enclosure of ``expr`` over the ball X of ``z``;
    a function without a ball form raises :class:`NotCertified`."""
    if expr == z:
        return lambda X: X
    number = constant_ball(expr)
    if number is not None:
        return number
    args = [ball_function(a, z) for a in expr.args]
    if expr.is_Add:
        def total(X):
            out = args[0](X)
            for f in args[1:]:
                out = out + f(X)
            return out
        return total
    if expr.is_Mul:
        def product(X):
            out = args[0](X)
            for f in args[1:]:
                out = out * f(X)
            return out
        return product
    if expr.is_Pow:
        base, exponent = args
        e = expr.args[1]
        if e.is_Integer:
            return lambda X: power(base(X), int(e))
        if e == sp.Rational(1, 2):
            return lambda X: base(X).sqrt()
        if e == -sp.Rational(1, 2):
            return lambda X: base(X).rsqrt()
        return lambda X: (exponent(X) * base(X).log()).exp()  # b^e = exp(e log b), b > 0
    fn = _FUNCTIONS.get(expr.func)
    if fn is not None and len(args) == 1:
        inner = args[0]
        return lambda X: fn(inner(X))
    raise NotCertified(f"no ball form for {expr.func.__name__}")


def interval(expr: sp.Expr, z: sp.Symbol, X: arb) -> arb:
    """A rigorous enclosure (an arb ball) of ``expr`` over the ball ``X`` of ``z``.

    Functions without a ball form here (Heaviside, sign, ...) raise :class:`NotCertified`.

    >>> z = sp.Symbol("z", real=True)
    >>> with working_precision(64):
    ...     print(enclosure(interval(sp.erf(z), z, ball(1))).show(12))
    [0.842700792949, 0.84270079295]
    """
    return ball_function(expr, z)(X)


def constant_enclosure(value: sp.Expr, bits: int = CERTIFY_BITS) -> Enclosure:
    """An exact-endpoint enclosure of a constant expression: [q, q] for a rational q, else
    ball arithmetic at ``bits``.

    >>> constant_enclosure((1 + sp.erf(1)) / 2 + 1 / (sp.E * sp.sqrt(sp.pi))).show(15)
    '[1.12890414518515, 1.12890414518516]'
    """
    if value.is_Rational:  # exact already: [q, q]
        q = exact_rational(value)
        return Enclosure(q, q)
    z = sp.Dummy("z")
    with working_precision(bits):
        return enclosure(interval(value, z, arb(0)))
