"""The smooth pieces of σ': open intervals on which it is one continuous expression.

A piecewise σ' (ReLU, ELU, SELU, PReLU, anything written with |x|, max, Heaviside or sign)
is split at its kinks; sup |σ'| over the line is then the largest of the branch suprema,
and the value the convention gives σ' at a kink is reported beside it.

>>> z = sp.Symbol("z", real=True)
>>> pieces, kinks = branches(sp.Piecewise((sp.exp(z), z <= 0), (1, True)), z)
>>> [(e, describe_interval(I)) for e, I in pieces], kinks
([(exp(z), 'z < 0'), (1, 'z > 0')], [(0, 1)])
"""
from __future__ import annotations

import sympy as sp
from sympy.calculus.util import continuous_domain

from symgrad.bounds.interval import NotCertified

__all__ = ["branches", "continuous", "describe_interval", "show_point"]


def branches(g: sp.Expr, z: sp.Symbol):
    """The smooth pieces of σ': (expression, open interval) pairs, and the kinks as
    (point, the value the convention gives σ' there)."""
    if g.has(sp.Heaviside, sp.sign, sp.Max, sp.Min, sp.Abs) and not isinstance(g, sp.Piecewise):
        g = sp.piecewise_fold(g.rewrite(sp.Piecewise))
    if not isinstance(g, sp.Piecewise):
        return [(g, sp.Interval.open(-sp.oo, sp.oo))], []
    pieces, kinks = [], []
    covered = sp.S.EmptySet
    for expr, cond in g.args:
        where = (sp.S.Reals if cond is sp.true else cond.as_set()) - covered
        covered = covered | where
        for part in (where.args if isinstance(where, sp.Union) else (where,)):
            if isinstance(part, sp.FiniteSet):
                kinks += [(p, expr.subs(z, p)) for p in part]
            elif isinstance(part, sp.Interval):
                if part.measure > 0:
                    pieces.append((expr, sp.Interval.open(part.start, part.end)))
                for end, is_open in ((part.start, part.left_open), (part.end, part.right_open)):
                    if end.is_finite and not is_open:
                        kinks.append((end, expr.subs(z, end)))
            elif part is not sp.S.EmptySet:
                raise NotCertified(f"cannot split the branch {where} into intervals")
    return pieces, kinks


#: functions continuous on the whole line
_ENTIRE = (sp.exp, sp.erf, sp.erfc, sp.tanh, sp.sinh, sp.cosh, sp.sin, sp.cos, sp.atan)


def continuous(g: sp.Expr, z: sp.Symbol, I: sp.Interval) -> bool:
    """True when g is continuous on I: built from functions continuous on the line, and
    powers that are polynomial or have a base SymPy proves positive; else SymPy's
    ``continuous_domain`` decides.

    >>> z = sp.Symbol("z", real=True)
    >>> continuous(z * sp.tanh(z / 2) - 2, z, sp.Interval.open(-sp.oo, sp.oo))
    True
    >>> continuous(1 / z, z, sp.Interval.open(-1, 1))
    False
    """
    def ok(e) -> bool:
        if not e.has(z):
            return True
        if e.is_Symbol or e.is_Add or e.is_Mul:
            return all(ok(a) for a in e.args)
        if e.is_Pow:
            base, exponent = e.args
            if exponent.has(z):
                return False
            if exponent.is_Integer and exponent >= 0:
                return ok(base)
            return ok(base) and bool(base.is_positive)
        if isinstance(e, _ENTIRE) or e.func is sp.exp:
            return all(ok(a) for a in e.args)
        return False
    if ok(g):
        return True
    try:
        domain = continuous_domain(g, z, I)
    except (NotImplementedError, ValueError, TypeError):
        return False
    return I.is_subset(domain) is True


def show_point(point) -> str:
    """∞, −∞ or the point as SymPy prints it."""
    return {sp.oo: "∞", -sp.oo: "−∞"}.get(point, sp.sstr(point))


def describe_interval(I: sp.Interval) -> str:
    """The open interval I as a condition on z: ``z ∈ ℝ``, ``z < 0``, ``0 < z < 1``."""
    if I.start == -sp.oo and I.end == sp.oo:
        return "z ∈ ℝ"
    if I.start == -sp.oo:
        return f"z < {I.end}"
    if I.end == sp.oo:
        return f"z > {I.start}"
    return f"{I.start} < z < {I.end}"
