r"""Check bounds: σ' ≤ 1/4, tanh' ≤ 1, |∂C/∂b_l| ≤ (1/4)^k |w_{l+1}| ... |∂C/∂a_L|.

A bound is proven, not sampled.  The bounded quantity is written as a product of factors
(for a gradient, its closed form: one σ'(z_j) for every layer from l to L, one weight for
every layer above l, ∂C/∂a_L and, for a weight, the layer's input).  Every activation factor
is at most sup|f'| of its layer's activation, attained at z = 0 for sigmoid (1/4) and tanh
(1); every other factor stays as it is.  So

    |∂C/∂b_l| ≤ ∏_j sup|f_j'| · ∏_{j>l} |w_j| · |∂C/∂a_L|

holds, with equality where every z_j = 0, and a claimed bound c · ∏|factors| is right
exactly when it has the same factors and c ≥ ∏_j sup|f_j'|.  A strict ``<`` where ``≤``
holds is a defect: it fails where the bound is attained (tanh'(0) = 1), or, for a looser
constant, states less than ``≤`` with the same number.

>>> from fractions import Fraction
>>> from .sir import Apply, Var, Num
>>> check_bound(Apply("sigmoid", Var("z"), 1), "<=", Num(Fraction(1, 4)), None).verdict
'correct'
>>> check_bound(Apply("tanh", Var("z"), 1), "<", Num(Fraction(1)), None).verdict
'defect'
>>> check_bound(Apply("sigmoid", Var("z"), 1), "<=", Num(Fraction(1, 8)), None).verdict
'wrong'
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from .notation import SUPREMA
from .sir import (Abs, Apply, Diag, Div, Norm, Num, Partial, Pow, Prod, Qty, S, Sum, Transpose,
                  key)

__all__ = ["BoundResult", "check_bound", "constant", "sup_of"]


@dataclass
class BoundResult:
    """``verdict`` (correct, wrong, defect, not understood), the reason and the relation
    and bound that would be right (``fix_op``, ``fix_rhs`` as meaning trees or None)."""

    verdict: str
    reason: str = ""
    fix_op: str | None = None
    fix_rhs: S | None = None


def constant(n: S) -> Fraction | None:
    """The exact value of a term made of numbers only, else None."""
    if isinstance(n, Num):
        return n.value
    if isinstance(n, Pow):
        b, e = constant(n.base), constant(n.exp)
        if b is not None and e is not None and e.denominator == 1:
            return b ** int(e)
        return None
    if isinstance(n, Div):
        a, b = constant(n.num), constant(n.den)
        return a / b if a is not None and b not in (None, 0) else None
    if isinstance(n, Prod):
        out = Fraction(1)
        for f in n.factors:
            v = constant(f)
            if v is None:
                return None
            out *= v
        return out
    if isinstance(n, Sum):
        out = Fraction(0)
        for s, t in zip(n.signs, n.terms):
            v = constant(t)
            if v is None:
                return None
            out += v if s == "+" else -v
        return out
    if isinstance(n, Abs):
        v = constant(n.x)
        return abs(v) if v is not None else None
    return None


def sup_of(fn: str) -> tuple[Fraction, bool] | None:
    """sup |f'| of an activation and whether some z attains it."""
    if fn not in SUPREMA:
        return None
    value, attained = SUPREMA[fn]
    return Fraction(value), attained


def _strip(n: S) -> S:
    while isinstance(n, (Abs, Norm)):
        n = n.x
    return n


def _factors(n: S) -> list:
    n = _strip(n)
    if isinstance(n, Prod):
        out = []
        for f in n.factors:
            out += _factors(f)
        return out
    if isinstance(n, Pow) and constant(n.exp) is not None and constant(n.exp).denominator == 1 \
            and constant(n.base) is None:
        return _factors(n.base) * int(constant(n.exp))
    return [n]


def _activation_factor(f: S, spec) -> tuple[Fraction, bool] | None:
    """sup of |f| when f is an activation derivative: σ'(x), ∂a_l/∂z_l, diag(σ'(x))."""
    f = _strip(f)
    if isinstance(f, Diag):
        f = f.x
    if isinstance(f, Apply) and f.deriv == 1:
        return sup_of(f.fn)
    if isinstance(f, Partial) and isinstance(f.num, Qty) and isinstance(f.den, Qty) and \
            f.num.kind == "act" and f.den.kind == "pre" and f.num.layer == f.den.layer and \
            spec is not None:
        fns = _layer_functions(f.den, spec)
        sups = [sup_of(fn) for fn in fns]
        if not sups or None in sups:
            return None
        top = max(s[0] for s in sups)
        return top, any(s[1] for s in sups if s[0] == top)
    return None


def _layer_functions(q: Qty, spec) -> list:
    if q.layer.var is None:
        return [spec.activations[q.layer.off - 1]] if 1 <= q.layer.off <= spec.depth else []
    if q.layer.var == "L":
        return [spec.activations[spec.depth - 1 + q.layer.off]]
    return list(spec.activations)


def _split(factors, spec):
    """(product of sups, all attained, the other factors by key, the other factors)."""
    c, attained, rest = Fraction(1), True, []
    for f in factors:
        k = constant(f)
        if k is not None:
            c *= abs(k)
            continue
        s = _activation_factor(f, spec)
        if s is not None:
            c *= s[0]
            attained &= s[1]
            continue
        rest.append(f)
    return c, attained, rest


def _norm_key(f: S) -> str:
    f = _strip(f)
    if isinstance(f, Transpose):
        f = f.x   # ‖Wᵀ‖ = ‖W‖
    return key(f)


def check_bound(lhs: S, op: str, rhs: S, spec, expand=None, show=key) -> BoundResult:
    """Whether ``lhs op rhs`` holds for the network; ``expand(lhs)`` gives the factors of a
    gradient (its closed form) when lhs is not already a product."""
    if op in (">=", ">"):
        return BoundResult("not understood", "lower bounds are not checked")
    factors = _factors(lhs)
    if expand is not None and len(factors) == 1 and constant(factors[0]) is None and \
            _activation_factor(factors[0], spec) is None:
        more = expand(factors[0])
        if more is None:
            return BoundResult("not understood", "a bound on a quantity the audit cannot write "
                                                 "as a product of factors")
        factors = more
    tight, attained, rest = _split(factors, spec)
    odd = [f for f in rest if not isinstance(_strip(f), (Qty, Partial, Transpose)) and
           not (isinstance(_strip(f), Apply) and not _strip(f).deriv)]
    if odd:
        return BoundResult("not understood", f"a bound on {show(_strip(odd[0]))}: only "
                           "products of activation derivatives, weights, inputs and "
                           "derivatives are bounded")
    claimed = _factors(rhs)
    c, _, rhs_rest = _split(claimed, None)
    if [f for f in rhs_rest if _activation_factor(f, spec)]:
        return BoundResult("not understood", "a bound with an activation derivative on the "
                                             "right-hand side")
    want, have = Counter(map(_norm_key, rest)), Counter(map(_norm_key, rhs_rest))
    if want != have:
        miss, more = want - have, have - want
        missing = [show(_strip(f)) for f in _pick(rest, miss)]
        extra = [(show(_strip(f)), _norm_key(f) in want) for f in _pick(rhs_rest, more)]
        return BoundResult("wrong", _factor_reason(missing, extra),
                           "<=", _right_bound(tight, rest, lhs))
    if c < tight:
        twice = _doubled_constant(claimed, c, tight)
        if twice is not None:
            return BoundResult("wrong", f"{show(twice)} is doubled in the bound (it is "
                               f"{_frac(c)}, the supremum {_frac(tight)})", "<=",
                               _right_bound(tight, rest, lhs))
        return BoundResult("wrong", f"the bound {_frac(c)} is below the supremum "
                           f"{_frac(tight)}" + (", which is attained" if attained else ""),
                           "<=", _right_bound(tight, rest, lhs))
    if op == "<" and (c > tight or attained):
        why = (f"equality holds where the bound is attained ({_frac(tight)})" if c == tight and
               attained else f"≤ {_frac(c)} holds and is the statement that carries over to "
               "activations that reach it (tanh'(0) = 1)" if c == 1 else
               f"≤ {_frac(c)} holds (the supremum is {_frac(tight)})")
        return BoundResult("defect", f"strict < where ≤ holds: {why}", "<=", None)
    note = "" if c == tight else f" (not tight: the supremum is {_frac(tight)})"
    return BoundResult("correct", note.strip())


def _right_bound(c: Fraction, rest: list, lhs: S) -> S:
    """c · |f_1| · |f_2| ... (‖·‖ when the bounded quantity is a norm); c as (1/4)^k."""
    wrap = Norm if isinstance(lhs, Norm) else Abs
    const: S = Num(c)
    for base in (Fraction(1, 4), Fraction(1, 2)):
        k, v = 0, c
        while v < 1 and v.denominator % base.denominator == 0:
            v, k = v / base, k + 1
        if v == 1 and k > 1:
            const = Pow(Num(base), Num(Fraction(k)))
            break
    from .explain import order_position
    rest = sorted(rest, key=lambda f: (order_position(f) or ("", -1.0))[1])
    factors = ([] if c == 1 else [const]) + [wrap(_strip(f)) for f in rest]
    if not factors:
        return Num(Fraction(1))
    return factors[0] if len(factors) == 1 else Prod(factors)


def _frac(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def _doubled_constant(claimed, c: Fraction, tight: Fraction):
    """A constant factor written twice, without which the bound would be right."""
    seen = Counter(key(f) for f in claimed if constant(f) is not None)
    for f in claimed:
        v = constant(f)
        if v is not None and seen[key(f)] > 1 and v != 0 and c / abs(v) >= tight:
            return f
    return None


def _pick(nodes, counts: Counter) -> list:
    out, left = [], Counter(counts)
    for f in nodes:
        k = _norm_key(f)
        if left[k] > 0:
            out.append(f)
            left[k] -= 1
    return out


def _factor_reason(missing, extra) -> str:
    parts = []
    if missing:
        parts.append("the bound lacks " + ", ".join(f"|{m}|" for m in missing)
                     + " (the quantity grows with it)")
    doubled = [e for e, twice in extra if twice]
    other = [e for e, twice in extra if not twice]
    if doubled:
        parts.append(", ".join(f"|{e}|" for e in doubled) + " is doubled in the bound")
    if other:
        parts.append("the bound has " + ", ".join(f"|{e}|" for e in other)
                     + ", which the quantity does not depend on (it can be 0)")
    return "; ".join(parts)
