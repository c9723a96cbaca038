"""The values sup |σ'| is taken from, on one smooth branch: critical points and limits.

For g = σ' continuous on an open interval I, sup_I |g| is the largest of

* |g(c)| at the critical points c (g'(c) = σ''(c) = 0) inside I, where a maximum of |g| is
  attained (a maximum of |g| inside I is an extremum of g);
* |lim g| at the ends of I (z → ±∞, or z → a kink from one side), where it is approached
  (a supremum that is not attained is approached along a sequence leaving every compact
  part of I).

The critical points are solved exactly by SymPy's ``solveset`` where it can (sigmoid, tanh,
softplus, GELU); where they are roots of a transcendental equation (SiLU, GELU-tanh) they
are isolated and enclosed by ball arithmetic (:mod:`symgrad.bounds.roots`), and |g| there is
enclosed over the root's enclosure.  The search needs a form of σ''s zero set whose enclosure
on the tails z ≥ R, z ≤ −R excludes 0: σ'' over its positive factors, written with tanh
(SiLU: z tanh(z/2) − 2), or with sech² split off and the polynomial coefficients divided by a
positive factor of theirs (GELU-tanh: √π z tanh u − c₁/(1 + 3kz²) + c₂/(1 + 3kz²)²).

>>> z = sp.Symbol("z", real=True)
>>> steps = []
>>> [(c.value, c.where, c.kind) for c in branch_candidates(
...     sp.exp(-z) / (1 + sp.exp(-z))**2, z, sp.Interval.open(-sp.oo, sp.oo), steps)]
[(1/4, 0, 'critical point'), (0, 'z → −∞', 'limit'), (0, 'z → ∞', 'limit')]
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from symgrad.bounds.branches import continuous, describe_interval, show_point
from symgrad.bounds.enclosure import Enclosure
from symgrad.bounds.interval import (CERTIFY_BITS, NotCertified, ball, constant_enclosure,
                                     enclosure, interval, working_precision)
from symgrad.bounds.roots import isolate_roots

__all__ = ["Candidate", "branch_candidates"]


@dataclass(frozen=True)
class Candidate:
    """A value |σ'| takes (at a critical point) or approaches (at an end of a branch)."""

    #: exact |σ'| there, or None where only an enclosure is known
    value: sp.Expr | None
    #: a certified enclosure of |σ'| there; None for a value with a parameter (alpha)
    enclosure: Enclosure | None
    #: attained at a point of the branch (True) or only approached (False)
    attained: bool
    #: the point (exact), its enclosure, the branch (a constant σ') or the limit's label
    where: object
    #: how to read ``where``: "critical point", "constant on", "limit"
    kind: str


def _exact(value: sp.Expr) -> Enclosure | None:
    return None if value.free_symbols else constant_enclosure(value)


def branch_candidates(g: sp.Expr, z: sp.Symbol, I: sp.Interval, steps: list) -> list[Candidate]:
    """The candidates for sup_I |g|, with one proof step per fact used."""
    where = describe_interval(I)
    if not g.has(z):
        steps.append(f"σ'(z) = {sp.sstr(g)} is constant for {where}")
        return [Candidate(sp.Abs(g), _exact(sp.Abs(g)), True, I, "constant on")]
    if not continuous(g, z, I):
        raise NotCertified(f"σ'(z) = {sp.sstr(g)} is not shown continuous for {where}")
    h = sp.factor(sp.diff(g, z))  # σ''(z)
    solved = sp.solveset(h, z, I)
    if isinstance(solved, sp.FiniteSet) or solved is sp.S.EmptySet:
        out = _exact_critical_points(g, h, z, solved, where, steps)
    else:
        out = _certified_critical_points(g, h, z, I, steps)
    for end, direction in ((I.start, "+"), (I.end, "-")):
        value = sp.Abs(_limit(g, z, end, direction, steps))
        side = "" if end.is_infinite else ("⁺" if direction == "+" else "⁻")
        label = f"z → {show_point(end)}{side}"
        steps.append(f"lim |σ'(z)| as {label} = {sp.sstr(value)}")
        out.append(Candidate(value, _exact(value), False, label, "limit"))
    return out


def _exact_critical_points(g, h, z, solved, where: str, steps: list) -> list[Candidate]:
    points = sorted(solved, key=lambda c: constant_enclosure(c).lower)
    if points:
        steps.append(f"σ''(z) = {sp.sstr(h)} = 0 for {where} exactly at z ∈ "
                     f"{{{', '.join(map(sp.sstr, points))}}} (solveset)")
    else:
        steps.append(f"σ''(z) = {sp.sstr(h)} has no zero for {where} (solveset): "
                     "no critical point")
    out = []
    for c in points:
        value = sp.simplify(sp.Abs(g.subs(z, c)))
        steps.append(f"|σ'({sp.sstr(c)})| = {sp.sstr(value)}")
        out.append(Candidate(value, _exact(value), True, c, "critical point"))
    return out


def _sign_factors(h: sp.Expr, z: sp.Symbol):
    """Split σ'' (factored) into P · q with P of one sign (SymPy proves it) and q the rest,
    so q has the zeros of σ''; also the bases of P that SymPy proves positive."""
    definite, rest, positive_bases = [], [], []
    for f in sp.Mul.make_args(h):
        base = f.base if f.is_Pow else f
        if not f.has(z) or f.is_positive or f.is_negative:
            definite.append(f)
            if base.has(z) and base.is_positive:
                positive_bases.append(base)
        else:
            rest.append(f)
    return sp.Mul(*definite), sp.Mul(*rest), positive_bases


def _tanh_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every e^u written as (1 + tanh(u/2))/(1 − tanh(u/2)), cancelled."""
    half = lambda u: sp.tanh(u / 2)  # noqa: E731
    return sp.cancel(expr.replace(sp.exp, lambda u: (1 + half(u)) / (1 - half(u))))


def _sech_form(g, z: sp.Symbol) -> sp.Expr:
    """σ'' with every 1 − tanh²(u) written as sech²(u) before factoring, so that the factor
    sech²(u) > 0 splits off (factored as it is, (tanh u − 1)(tanh u + 1) has no sign SymPy
    proves)."""
    u = sp.Wild("u")
    return sp.factor(sp.diff(g, z).replace(1 - sp.tanh(u) ** 2, sp.sech(u) ** 2))


def _in_powers(N: sp.Expr, B: sp.Expr, m: int, z: sp.Symbol) -> sp.Expr:
    """N/B^m = Q + Σ_j r_j/B^(m−j) (deg r_j < deg B), by m divisions N = N'B + r_j: a
    polynomial over a power of B, as terms each bounded on a ray where N is even like B."""
    terms = []
    for j in range(m):
        N, r = sp.div(N, B, z)
        terms.append(r / B ** (m - j))
    return sp.Add(N, *terms)


def _divided_forms(q: sp.Expr, z: sp.Symbol) -> list:
    """(F, D) with F = q/D for D = B^m > 0 a factor of a coefficient of q as a polynomial in
    its functions of z (frozen), each coefficient over D written by :func:`_in_powers`:
    q = c(1 + 6kz²) − c²z(1 + 3kz²)² tanh u (GELU-tanh) becomes
    z tanh u − (bounded)/(1 + 3kz²)^j, whose sign the tails decide."""
    funcs = sorted((f for f in q.atoms(sp.Function) if f.has(z)), key=sp.default_sort_key)
    frozen_symbols = [sp.Dummy(f"f{i}") for i in range(len(funcs))]
    back = dict(zip(frozen_symbols, funcs))
    num, den = sp.fraction(sp.cancel(sp.together(q.xreplace(dict(zip(funcs, frozen_symbols))))))
    if den.has(z) or not frozen_symbols or not num.is_polynomial(z, *frozen_symbols):
        return []
    terms = sp.Poly(num, *frozen_symbols).terms()
    bases = {}
    for _, coeff in terms:
        for B, m in sp.factor_list(coeff, z)[1]:
            if sp.degree(B, z) > 0 and B.is_positive:
                bases[B] = max(bases.get(B, 0), m)
    out = []
    for B, m in bases.items():
        F = sp.Add(*[_in_powers(sp.expand(c), B, m, z) / den *
                     sp.Mul(*[f ** e for f, e in zip(frozen_symbols, monom)])
                     for monom, c in terms])
        out.append((F.xreplace(back), B ** m))
    return out


def _certified_critical_points(g, h, z, I, steps: list) -> list[Candidate]:
    P, q, bases = _sign_factors(h, z)
    steps.append(f"σ''(z) = {sp.sstr(h)}; solveset gives no closed form, so the zeros of "
                 f"q(z) = {sp.sstr(q)} are certified by ball arithmetic "
                 f"({sp.sstr(P)} has one sign, SymPy's assumptions)")
    # q/D for a positive D has the zeros of q; the tanh form keeps the enclosures of the
    # infinite tails finite (z (e^z − 1)/(e^z + 1) = z tanh(z/2))
    forms = [(q, None, "tanh")] + [(_tanh_form(q / D), D, "tanh") for D in dict.fromkeys(bases)]
    if g.has(sp.tanh):  # 1 − tanh² as sech², then q over a positive factor of its coefficients
        _, q2, _ = _sign_factors(_sech_form(g, z), z)
        forms += [(F, D, "division") for F, D in _divided_forms(q2, z)]
    failure = None
    for F, D, how in forms:
        try:
            roots, R, boxes = isolate_roots(F, z, I)
        except NotCertified as exc:
            failure = exc
            continue
        if D is not None and how == "tanh":
            steps.append(f"q has the zeros of F(z) = q(z)/({sp.sstr(D)}) = {sp.sstr(F)} "
                         f"(e^u = (1 + tanh(u/2))/(1 − tanh(u/2))), since {sp.sstr(D)} > 0")
        elif D is not None:
            steps.append(f"σ'' has the zeros of F(z) = {sp.sstr(F)}, the factor of σ'' "
                         f"without sech² (> 0) over {sp.sstr(D)} > 0, each coefficient "
                         "divided out (polynomial division)")
        tails = "" if R is None else (f"F has no zero for |z| ≥ {R} (its interval enclosure "
                                      f"on both tails excludes 0); on [−{R}, {R}] ")
        steps.append(f"ball arithmetic (python-flint arb, {CERTIFY_BITS} bits): {tails}"
                     f"bisection ({boxes} boxes), a sign change with F' ≠ 0 (exactly one "
                     f"root per box) and interval Newton give {len(roots)} root(s)")
        out = []
        for r in roots:
            with working_precision():  # |σ'| over the root's enclosure
                value = enclosure(interval(sp.Abs(g), z, ball(r.lower, r.upper)))
            steps.append(f"critical point z ∈ {r.show(20)}: |σ'(z)| ∈ {value.show(20)}")
            out.append(Candidate(None, value, True, r, "critical point"))
        return out
    raise NotCertified(f"the zeros of σ'' could not be isolated ({failure})")


def _numeric_near(g, z, point, direction: str):
    """g at 60 digits close to ``point``: at z = ±10^6 for an infinite end, 10^-30 beside a
    finite one (a plausibility check of a symbolic limit, not part of the proof)."""
    f = sp.lambdify(z, g, modules="mpmath")
    with mpmath.workdps(60):
        if point.is_infinite:
            x = mpmath.mpf(10) ** 6 * (1 if point == sp.oo else -1)
        else:
            offset = mpmath.mpf("1e-30") if direction == "+" else -mpmath.mpf("1e-30")
            x = mpmath.mpf(sp.N(point, 60)) + offset
        return f(x)


def _limit(g, z, point, direction: str, steps: list):
    """lim g as z → point, by sympy.limit on the given form, on ``together(g)`` and on its
    ``cancel``; a value that a 60-digit evaluation close to the point contradicts is rejected
    (sympy.limit returns 0 for silu' = σ(z)(1 + z(1 − σ(z))) at +∞, where the limit is 1)."""
    label = f"z → {show_point(point)}{'' if point.is_infinite else direction}"
    near = _numeric_near(g, z, point, direction)
    tried = []
    for form in (g, sp.together(g), sp.cancel(sp.together(g))):
        value = sp.limit(form, z, point, direction)
        if value.has(sp.AccumBounds, sp.Limit) or not value.is_finite:
            tried.append(sp.sstr(value))
            continue
        with mpmath.workdps(60):
            gap = abs(near - mpmath.mpf(sp.N(value, 60)))
            consistent = gap <= mpmath.mpf("1e-6") * max(1, abs(near))
        if consistent:
            if tried:
                steps.append(f"sympy.limit gave {', '.join(tried)} as {label} for the form "
                             f"{sp.sstr(g)}, contradicted by σ' at 60 digits near the point; "
                             f"the form {sp.sstr(form)} gives {sp.sstr(value)}, consistent")
            return value
        tried.append(sp.sstr(value))
    raise NotCertified(f"no limit of σ' as {label} (sympy.limit: {', '.join(tried)}; "
                       f"60 digits near it: {mpmath.nstr(near, 10)})")
