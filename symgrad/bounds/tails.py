"""Enclosures over a ray [R, ∞) or (−∞, −R]: interval arithmetic with infinite endpoints.

A ball m ± r cannot stand for a half-line (an infinite radius is the whole line), so the
tails of a search are evaluated on extended intervals [lo, hi] ⊂ ℝ ∪ {±∞}.  Every endpoint is
an exact arb number (or ±∞) rounded outward: a lower endpoint by ``.lower()``, an upper one by
``.upper()``.  The rules are those of interval arithmetic:

* [a, b] + [c, d] = [a + c, b + d];  [a, b]·[c, d] = [min, max] of the four endpoint
  products, with 0·(±∞) = 0 (the endpoint ∞ is a limit, never a value);
* 1/[a, b] = [1/b, 1/a] when 0 ∉ [a, b], with 1/(±∞) = 0, else the whole line;
* an increasing f gives [f(a), f(b)] with f(±∞) its limit (e^∞ = ∞, e^−∞ = 0, tanh(±∞) = ±1,
  erf(±∞) = ±1, atan(±∞) = ±π/2, log ∞ = ∞); erfc is decreasing; cosh and even powers are
  increasing in |x|; sin and cos lie in [−1, 1] on an unbounded interval.

>>> z = sp.Symbol("z", real=True)
>>> with working_precision(64):
...     print(ray_interval(z * sp.tanh(z / 2) - 2, z, 4, +1).show(6))
[1.85611, inf]
>>> sign_on_ray(z * sp.tanh(z / 2) - 2, z, 4, -1)
1
"""
from __future__ import annotations

from typing import NamedTuple

import sympy as sp
from flint import arb

from symgrad.bounds.enclosure import decimal_down, decimal_up, exact_rational
from symgrad.bounds.interval import (CERTIFY_BITS, NotCertified, ball, enclosure, interval,
                                     to_arb, working_precision)

__all__ = ["Extended", "ray_interval", "sign_on_ray"]

_INF, _NEG_INF = arb.pos_inf(), arb.neg_inf()


def _finite(x: arb) -> bool:
    return x.is_finite()


class Extended(NamedTuple):
    """[lo, hi] with lo, hi exact arb numbers or ±∞ (lo ≤ hi)."""

    lo: arb
    hi: arb

    @property
    def bounded(self) -> bool:
        return _finite(self.lo) and _finite(self.hi)

    def ball(self) -> arb:
        return ball(self.lo, self.hi)

    def sign(self) -> int:
        """+1 or −1 where the interval excludes 0, else 0."""
        return 1 if self.lo > 0 else -1 if self.hi < 0 else 0

    def show(self, digits: int = 20) -> str:
        def text(x, rounding):
            if not _finite(x):
                return "inf" if x > 0 else "-inf"
            return rounding(enclosure(x).lower, digits)  # x is exact: lower = upper = x
        return f"[{text(self.lo, decimal_down)}, {text(self.hi, decimal_up)}]"


_LINE = Extended(_NEG_INF, _INF)


def _from_ball(Y: arb) -> Extended:
    if Y.is_nan() or not Y.is_finite():
        return _LINE
    return Extended(Y.lower(), Y.upper())


def _add(X: Extended, Y: Extended) -> Extended:
    lo = (X.lo + Y.lo).lower() if _finite(X.lo) and _finite(Y.lo) else _NEG_INF
    hi = (X.hi + Y.hi).upper() if _finite(X.hi) and _finite(Y.hi) else _INF
    return Extended(lo, hi)


def _times(a: arb, b: arb) -> tuple[arb, arb]:
    """a·b as (rounded down, rounded up), with 0·(±∞) = 0."""
    if a == 0 or b == 0:
        return arb(0), arb(0)
    if _finite(a) and _finite(b):
        p = a * b
        return p.lower(), p.upper()
    inf = _INF if (a > 0) == (b > 0) else _NEG_INF
    return inf, inf


def _mul(X: Extended, Y: Extended) -> Extended:
    products = [_times(a, b) for a in X for b in Y]
    return Extended(min(p[0] for p in products), max(p[1] for p in products))


def _reciprocal(X: Extended) -> Extended:
    if not (X.lo > 0 or X.hi < 0):
        return _LINE  # 0 ∈ X: 1/X is unbounded on both sides

    def inv(x: arb, lower: bool) -> arb:
        if not _finite(x):
            return arb(0)
        q = 1 / x
        return q.lower() if lower else q.upper()
    return Extended(inv(X.hi, True), inv(X.lo, False))


#: f(−∞), f(∞) of the increasing functions
_INCREASING = {
    sp.exp: (arb.exp, lambda: arb(0), lambda: _INF),
    sp.log: (arb.log, None, lambda: _INF),
    sp.tanh: (arb.tanh, lambda: arb(-1), lambda: arb(1)),
    sp.sinh: (arb.sinh, lambda: _NEG_INF, lambda: _INF),
    sp.atan: (arb.atan, lambda: -arb.pi() / 2, lambda: arb.pi() / 2),
    sp.erf: (arb.erf, lambda: arb(-1), lambda: arb(1)),
}


#: sin and cos: a ball for a bounded interval, [−1, 1] for an unbounded one
_PERIODIC = {sp.sin: arb.sin, sp.cos: arb.cos}


def _increasing(f, at_minus_inf, at_inf, X: Extended) -> Extended:
    def value(x: arb, lower: bool) -> arb:
        if _finite(x):
            y = f(x)
        elif x > 0:
            y = at_inf()
        elif at_minus_inf is None:
            raise NotCertified("log of an interval reaching −∞")
        else:
            y = at_minus_inf()
        if y.is_nan():
            raise NotCertified(f"{f.__name__} outside its domain on {X}")
        return y.lower() if lower else y.upper()
    return Extended(value(X.lo, True), value(X.hi, False))


def _abs(X: Extended) -> Extended:
    if X.lo >= 0:
        return X
    if X.hi <= 0:
        return Extended(-X.hi, -X.lo)
    return Extended(arb(0), max(-X.lo, X.hi))


def _power(X: Extended, n: int) -> Extended:
    if n == 0:
        return Extended(arb(1), arb(1))
    if n < 0:
        return _reciprocal(_power(X, -n))
    if n % 2 == 0:
        X = _abs(X)  # x^n = |x|^n, increasing on [0, ∞)
    return _increasing(lambda x: x ** n, lambda: _NEG_INF, lambda: _INF, X)


def _function(func, X: Extended) -> Extended:
    if func in _INCREASING:
        return _increasing(*_INCREASING[func], X)
    if func is sp.erfc:  # erfc = 1 − erf, decreasing
        return _add(Extended(arb(1), arb(1)), _mul(Extended(arb(-1), arb(-1)),
                                                   _function(sp.erf, X)))
    if func is sp.cosh:  # even, increasing in |x|
        return _increasing(arb.cosh, None, lambda: _INF, _abs(X))
    if func is sp.Abs:
        return _abs(X)
    if func in _PERIODIC:
        return _from_ball(_PERIODIC[func](X.ball())) if X.bounded else Extended(arb(-1), arb(1))
    raise NotCertified(f"no interval form for {func.__name__} on a ray")


def _evaluate(expr: sp.Expr, z: sp.Symbol, X: Extended) -> Extended:
    if expr == z:
        return X
    if not expr.has(z):
        return _from_ball(interval(expr, z, arb(0)))
    if expr.is_Add or expr.is_Mul:
        combine = _add if expr.is_Add else _mul
        out = _evaluate(expr.args[0], z, X)
        for term in expr.args[1:]:
            out = combine(out, _evaluate(term, z, X))
        return out
    if expr.is_Pow:
        base, exponent = expr.args
        B = _evaluate(base, z, X)
        if exponent.is_Integer:
            return _power(B, int(exponent))
        if exponent == sp.Rational(1, 2) and B.lo >= 0:
            return _increasing(arb.sqrt, None, lambda: _INF, B)
        # b^e = exp(e log b), b > 0
        return _function(sp.exp, _mul(_evaluate(exponent, z, X), _function(sp.log, B)))
    if len(expr.args) == 1:
        return _function(expr.func, _evaluate(expr.args[0], z, X))
    raise NotCertified(f"no interval form for {expr.func.__name__} on a ray")


def ray_interval(expr: sp.Expr, z: sp.Symbol, R, side: int) -> Extended:
    """An enclosure of ``expr`` over z ≥ R (side +1) or z ≤ −R (side −1), R ≥ 0 exact."""
    start = to_arb(exact_rational(R))
    X = Extended(start, _INF) if side > 0 else Extended(_NEG_INF, -start)
    return _evaluate(expr, z, X)


def sign_on_ray(expr: sp.Expr, z: sp.Symbol, R, side: int, bits: int = CERTIFY_BITS) -> int:
    """+1 or −1 where ``expr`` keeps that sign for all z ≥ R (side +1) or z ≤ −R (side
    −1), shown by :func:`ray_interval`; 0 where the enclosure does not decide."""
    with working_precision(bits):
        try:
            return ray_interval(expr, z, R, side).sign()
        except NotCertified:
            return 0
