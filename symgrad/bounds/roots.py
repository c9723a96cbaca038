"""Every zero of F on an open interval, each isolated and enclosed by ball arithmetic.

For F continuously differentiable on I:

* **tails**: where I is unbounded, an enclosure of F on z ≥ R (or z ≤ −R) that excludes 0
  shows F has no zero there (:mod:`symgrad.bounds.tails`); R doubles until it does;
* **bisection** of the rest: a box X where the ball F(X) excludes 0 holds no zero; where
  F'(X) excludes 0, F is monotone on X, so F has exactly one zero in X if F changes sign
  between its ends and none if it does not;
* **interval Newton** shrinks a box with exactly one zero c: c ∈ X ∩ (m − F(m)/F'(X)) for
  m the midpoint (mean value theorem), until the box stops shrinking.

Box ends are exact binary numbers; the enclosures leave as exact rationals.

>>> z = sp.Symbol("z", real=True)
>>> roots, R, boxes = isolate_roots(z**2 - 2, z, sp.Interval.open(0, sp.oo))
>>> [r.show(25) for r in roots], R
(['[1.414213562373095048801688, 1.414213562373095048801689]'], 4)
"""
from __future__ import annotations

import sympy as sp
from flint import arb

from symgrad.bounds.branches import continuous
from symgrad.bounds.enclosure import Enclosure
from symgrad.bounds.interval import (CERTIFY_BITS, NotCertified, ball, ball_function,
                                     constant_enclosure, enclosure, sign, working_precision)
from symgrad.bounds.tails import sign_on_ray

__all__ = ["isolate_roots", "newton", "WINDOWS"]

#: radii R of the windows [−R, R]: R doubles until F has no zero beyond it
WINDOWS = (4, 8, 16, 32, 64)
#: a box narrower than this that still cannot be decided stops the certification
_MIN_BOX = arb(2) ** -40
#: most boxes a bisection may visit before giving up
_MAX_BOXES = 20000
#: bisect a little off centre, so a root at a round number never lands on a box edge
_SPLIT = arb(4873) / 10000


def _window(F, z, I: sp.Interval) -> tuple[int | None, Enclosure | None, Enclosure | None]:
    """The smallest R of :data:`WINDOWS` with no zero of F on the unbounded ends of I beyond
    ±R (None when I is bounded), and the finite ends of I as enclosures."""
    low = None if I.start == -sp.oo else constant_enclosure(I.start)
    high = None if I.end == sp.oo else constant_enclosure(I.end)
    if low is not None and high is not None:
        return None, low, high
    for R in WINDOWS:
        if (low is not None or sign_on_ray(F, z, R, -1)) and \
                (high is not None or sign_on_ray(F, z, R, +1)):
            return R, low, high
    raise NotCertified(f"F = {sp.sstr(F)} keeps an undecided sign beyond |z| = {WINDOWS[-1]}")


def newton(F, dF, a: arb, b: arb, left_sign: int, bits: int = CERTIFY_BITS) -> arb:
    """Interval Newton on [a, b], where F is monotone with exactly one zero c and has the
    sign ``left_sign`` left of c: [a, b] ← [a, b] ∩ (m − F(m)/F'([a, b])) for m the
    midpoint; where that shrinks the box by less than a quarter, the sign of F(m) halves it
    instead.  Stops when the sign of F(m) is no longer decided (the precision is spent)."""
    for _ in range(4 * bits):
        X = ball(a, b)
        m = X.mid()
        if not a < m < b:
            break
        Fm = F(m)
        N = m - Fm / dF(X)
        try:
            Y = X.intersection(N)  # holds c, by the mean value theorem
        except ValueError:
            raise NotCertified("interval Newton lost a zero a sign change certified") from None
        lo, hi = max(a, Y.lower()), min(b, Y.upper())
        if hi - lo < (b - a) * 3 / 4:
            a, b = lo, hi
            continue
        s = sign(Fm)
        if s == 0:
            break
        a, b = (m, b) if s == left_sign else (a, m)
    return ball(a, b)


def _bisect(F, dF, x0: arb, x1: arb, bits: int) -> tuple[list[arb], int]:
    """Balls holding the zeros of F on [x0, x1], one zero each (Newton-shrunk)."""
    roots, stack, visited = [], [(x0, x1)], 0
    while stack:
        a, b = stack.pop()
        visited += 1
        if visited > _MAX_BOXES:
            raise NotCertified(f"more than {_MAX_BOXES} boxes")
        X = ball(a, b)
        if sign(F(X)) != 0:
            continue  # F(X) excludes 0: no zero in X
        if sign(dF(X)) != 0:  # F monotone on X
            s0, s1 = sign(F(a)), sign(F(b))
            if s0 and s1 and s0 == s1:
                continue  # monotone, no sign change: no zero
            if s0 and s1:
                roots.append(newton(F, dF, a, b, s0, bits))  # monotone, sign change: one zero
                continue
        if not b - a > _MIN_BOX:
            raise NotCertified(f"a zero of F near z = {a.str(15, radius=False)} could not be "
                               "isolated")
        m = (a + (b - a) * _SPLIT).mid()  # an exact point strictly inside
        stack += [(m, b), (a, m)]
    return roots, visited


def isolate_roots(F: sp.Expr, z: sp.Symbol, I: sp.Interval, bits: int = CERTIFY_BITS):
    """Enclosures of every zero of F on the open interval I (sorted), the window radius R
    beyond which F was shown to have no zero (None for a bounded I), and the number of
    boxes the bisection visited."""
    dF = sp.diff(F, z)
    if not (continuous(F, z, I) and continuous(dF, z, I)):
        raise NotCertified(f"F = {sp.sstr(F)} is not shown continuously differentiable")
    f, df = ball_function(F, z), ball_function(dF, z)
    R, low, high = _window(F, z, I)
    with working_precision(bits):
        x0 = arb(-R) if low is None else ball(low.lower)
        x1 = arb(R) if high is None else ball(high.upper)
        balls, visited = _bisect(f, df, x0.lower(), x1.upper(), bits) if x0 < x1 else ([], 0)
        roots = sorted((enclosure(B) for B in balls), key=lambda r: r.lower)
    inside = []
    for r in roots:
        if (low is None or r.lower > low.upper) and (high is None or r.upper < high.lower):
            inside.append(r)
        elif (low is not None and r.lower <= low.upper and r.upper >= low.lower) or \
                (high is not None and r.lower <= high.upper and r.upper >= high.lower):
            raise NotCertified("a zero of F lies at an end of the branch")
    return inside, R, visited
