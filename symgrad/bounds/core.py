"""Certified bounds: sup |σ'| for every activation, and the per-layer gradient bound.

**Suprema.**  For a derivative g = σ' that is continuous on an open interval I (the whole
line, or one branch of a piecewise activation with its kink removed), sup_I |g| is the
largest of

* |g(c)| at the critical points c (g'(c) = 0) inside I, where a maximum of |g| is attained,
* |lim g| at the ends of I (z → ±∞, or z → 0 from one side), where it is approached.

A maximum of |g| inside I is an extremum of g, so it sits at a critical point; a supremum
that is not attained is approached along a sequence leaving every compact part of I, so it
is a limit at an end.  The critical points are solved exactly by SymPy's ``solveset``
where it can (sigmoid, tanh, softplus, GELU); where they are roots of a transcendental
equation (SiLU) they are isolated and enclosed by interval arithmetic (``mpmath.iv``):
bisection that discards boxes where the enclosure of g' excludes 0, a sign change with a
monotone g' for existence and uniqueness, interval Newton to shrink the enclosure, and an
interval check that g' has no zero on the two infinite tails.

>>> s = supremum("sigmoid")
>>> s.value, s.attained_at, s.certified
(1/4, 0, True)
>>> supremum("softplus").attained, supremum("softplus").how
(False, 'the limit z → ∞, never attained')
>>> print(supremum("silu").sup_string(12))
[1.09983932012, 1.09983932013]

**The layer bound.**  The closed form ∂C/∂b_l = σ'(z_l) w_{l+1} σ'(z_{l+1}) ⋯ w_L σ'(z_L) ∂C/∂a_L
has L − l + 1 factors σ', each at most sup|σ'| in size, so

    |∂C/∂b_l| ≤ |∂C/∂a_L| · Π_{j=l+1}^{L} |w_j| · (sup|σ'|)^{L−l+1}

>>> from symgrad import Chain, derive
>>> from symgrad.printing.printers import latex
>>> print(latex(layer_bound(derive(Chain(depth=4)), 2).display))
\\left|{\\frac{\\partial C}{\\partial b_{2}}}\\right| \\leq \\left|{w_{3}}\\right| \\left|{w_{4}}\\right| \\left|{\\frac{\\partial C}{\\partial a_{4}}}\\right| \\left(\\frac{1}{4}\\right)^{3}
>>> three_sigmoid_layers()
Eq((1/4)**3, 1/64)
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import mpmath
import sympy as sp
from mpmath import iv

from symgrad.model.activations import Activation, activation_names, get_activation
from symgrad.errors import UsageError
from symgrad.derivation.derivation import Derivation, OrderedProduct

__all__ = [
    "Candidate",
    "Supremum",
    "NotCertified",
    "supremum",
    "suprema",
    "interval",
    "LayerBound",
    "layer_bound",
    "general_layer_bound",
    "sup_symbol",
    "three_sigmoid_layers",
    "CERTIFY_BITS",
]

#: working precision of the interval arithmetic, in bits (about 60 decimal digits)
CERTIFY_BITS = 200
#: interval Newton stops when the root's enclosure is this narrow
_ROOT_WIDTH = mpmath.mpf("1e-45")
#: the window [-R, R] is searched by bisection; R doubles until both tails are certified
_WINDOWS = (4, 8, 16, 32, 64)
#: a box narrower than this that still cannot be decided stops the certification
_MIN_BOX = mpmath.mpf("1e-12")
#: most boxes a bisection may visit before giving up
_MAX_BOXES = 20000
#: bisect a little off centre, so a root at a round number never lands on a box edge
_SPLIT = mpmath.mpf("0.4873")

_Z = sp.Symbol("z", real=True)


class NotCertified(Exception):
    """The supremum could not be certified; the message says which step failed."""


@contextmanager
def _iv_precision(bits: int = CERTIFY_BITS):
    """Interval and point arithmetic at ``bits``: the endpoints of an interval convert to
    mpf exactly (mpf() rounds to mpmath's working precision)."""
    old = iv.prec
    iv.prec = bits
    try:
        with mpmath.workprec(bits):
            yield
    finally:
        iv.prec = old


# --- interval evaluation of a SymPy expression ---------------------------------------------

def _tanh_point(x):
    # tanh(x) = 1 − 2/(e^{2x} + 1), an enclosure from iv.exp
    if x == mpmath.inf:
        return iv.mpf(1)
    if x == -mpmath.inf:
        return iv.mpf(-1)
    return 1 - 2 / (iv.exp(2 * iv.mpf(x)) + 1)


def _iv_tanh(X):
    # tanh is increasing: tanh([a, b]) = [tanh(a), tanh(b)]
    lo, hi = _tanh_point(mpmath.mpf(X.a)), _tanh_point(mpmath.mpf(X.b))
    return iv.mpf([lo.a, hi.b])


def _iv_abs(X):
    a, b = mpmath.mpf(X.a), mpmath.mpf(X.b)
    if a >= 0:
        return X
    if b <= 0:
        return -X
    return iv.mpf([0, max(-a, b)])


_UNARY = {
    sp.exp: iv.exp,
    sp.log: iv.log,
    sp.tanh: _iv_tanh,
    sp.sinh: lambda X: (iv.exp(X) - iv.exp(-X)) / 2,  # sinh = (e^x − e^{−x})/2
    sp.cosh: lambda X: (iv.exp(X) + iv.exp(-X)) / 2,  # cosh = (e^x + e^{−x})/2
    sp.sin: iv.sin,
    sp.cos: iv.cos,
    sp.Abs: _iv_abs,
}


def interval(expr: sp.Expr, z: sp.Symbol, X) -> "iv.mpf":
    """A rigorous enclosure of ``expr`` over the interval ``X`` of ``z`` (``mpmath.iv``).

    Numbers enter exactly (rationals as quotients of integers, π and e as intervals), so the
    result contains every value of ``expr`` on ``X``.  Functions without an interval form
    here (erf, atan, Heaviside, ...) raise :class:`NotCertified`.

    >>> z = sp.Symbol("z", real=True)
    >>> with _iv_precision(53):
    ...     print(interval(z * sp.tanh(z / 2) - 2, z, iv.mpf([3, "inf"])))
    [0.71544476093459907773, +inf]
    """
    if expr == z:
        return X
    if expr.is_Integer:
        return iv.mpf(int(expr))
    if expr.is_Rational:
        return iv.mpf(int(expr.p)) / iv.mpf(int(expr.q))
    if expr is sp.pi:
        return iv.pi
    if expr is sp.E:
        return iv.e
    if expr.is_Float:
        return iv.mpf(mpmath.mpf(expr))
    if expr.is_Add:
        total = iv.mpf(0)
        for term in expr.args:
            total = total + interval(term, z, X)
        return total
    if expr.is_Mul:
        total = iv.mpf(1)
        for factor in expr.args:
            total = total * interval(factor, z, X)
        return total
    if expr.is_Pow:
        base, exponent = expr.args
        B = interval(base, z, X)
        if exponent.is_Integer:
            return B ** int(exponent)
        if exponent == sp.Rational(1, 2):
            return iv.sqrt(B)
        if exponent == -sp.Rational(1, 2):
            return 1 / iv.sqrt(B)
        # b^e = exp(e log b), b > 0
        return iv.exp(interval(exponent, z, X) * iv.log(B))
    if expr.func is sp.exp:  # SymPy's exp is not a plain Function subclass in every version
        return iv.exp(interval(expr.args[0], z, X))
    fn = _UNARY.get(expr.func)
    if fn is not None and len(expr.args) == 1:
        return fn(interval(expr.args[0], z, X))
    raise NotCertified(f"no interval form for {expr.func.__name__}")


def _sign(Y) -> int:
    """+1 or −1 where the enclosure excludes 0, else 0 (undecided)."""
    a, b = mpmath.mpf(Y.a), mpmath.mpf(Y.b)
    if mpmath.isnan(a) or mpmath.isnan(b):
        return 0
    return 1 if a > 0 else -1 if b < 0 else 0


def _point(x):
    return iv.mpf([x, x])


# --- candidates and the supremum ------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A value |σ'| takes (at a critical point) or approaches (at an end of a branch)."""

    #: exact |σ'| there, or None where only an enclosure is known
    value: sp.Expr | None
    #: (low, high), a rigorous enclosure of |σ'| there; None for values with parameters
    enclosure: tuple | None
    #: attained at a point of the branch (True) or only approached (False)
    attained: bool
    #: the point (exact), its enclosure (low, high), a set (a constant branch) or a limit
    where: object
    #: how to read ``where``: "critical point", "constant on", "limit"
    kind: str


@dataclass(frozen=True)
class Supremum:
    """sup over the reals of |σ'| for one activation, with the proof that gives it."""

    activation: str
    #: the exact supremum (may contain a layer's parameter, PReLU's alpha), or None
    value: sp.Expr | None
    #: (low, high), a rigorous enclosure, None when the value has a free parameter
    enclosure: tuple | None
    attained: bool | None
    #: an exact point, a (low, high) enclosure of the point, a set, or None
    attained_at: object
    #: one line: where the supremum is attained or approached
    how: str
    method: str
    steps: tuple
    certified: bool
    seconds: float
    kink: str | None = None

    def sup_string(self, digits: int = 20) -> str:
        """The exact value (SymPy's string form) or ``[low, high]`` with outward rounding."""
        if not self.certified:
            return "could not certify"
        if self.value is not None:
            return sp.sstr(self.value)
        return _enclosure_string(self.enclosure, digits)

    @property
    def label(self) -> str:
        """A short display of the supremum: the exact value when it is short, else its
        decimal value (the exact value stays in :attr:`value`)."""
        if not self.certified:
            return "could not certify"
        if self.value is not None and len(sp.sstr(self.value)) <= 40:
            return sp.sstr(self.value)
        if self.value is not None:
            return f"{self.decimal(12)} (exact: {len(sp.sstr(self.value))}-character rational)" \
                if self.value.is_Rational else f"{self.decimal(12)} (exact)"
        return f"{self.decimal(12)} (enclosure {self.sup_string(14)})"

    def decimal(self, digits: int = 20) -> str | None:
        """The supremum as a decimal (rounded), None when it depends on a parameter."""
        if self.enclosure is None:
            return None
        lo, hi = self.enclosure
        return mpmath.nstr((lo + hi) / 2, digits)

    def attained_string(self, digits: int = 20) -> str | None:
        at = self.attained_at
        if at is None:
            return None
        if isinstance(at, tuple):
            return _enclosure_string(at, digits)
        if isinstance(at, sp.Interval):
            return _describe_interval(at)
        return sp.sstr(at)

    def as_dict(self) -> dict:
        return {"activation": self.activation, "sup": self.sup_string(),
                "sup_decimal": self.decimal(), "exact": self.value is not None,
                "enclosure": None if self.enclosure is None else
                [_rounded(self.enclosure[0], 30, "down"), _rounded(self.enclosure[1], 30, "up")],
                "attained": self.attained, "attained_at": self.attained_string(),
                "how": self.how, "method": self.method, "certified": self.certified,
                "kink": self.kink, "steps": list(self.steps), "seconds": round(self.seconds, 4)}


def _rounded(x, digits: int, direction: str) -> str:
    """``x`` to ``digits`` significant digits, rounded down or up (so enclosures stay valid)."""
    x = mpmath.mpf(x)
    if x == 0 or not mpmath.isfinite(x):
        return mpmath.nstr(x, digits)
    with mpmath.workprec(max(mpmath.mp.prec, 400)):
        e = int(mpmath.floor(mpmath.log10(abs(x))))
        scaled = x * mpmath.mpf(10) ** (digits - 1 - e)
        n = int(mpmath.floor(scaled) if direction == "down" else mpmath.ceil(scaled))
    return str(Decimal(n).scaleb(e - digits + 1).normalize())


def _enclosure_string(enclosure, digits: int) -> str:
    lo, hi = enclosure
    return f"[{_rounded(lo, digits, 'down')}, {_rounded(hi, digits, 'up')}]"


def _exact_enclosure(value: sp.Expr) -> tuple:
    """An enclosure of a constant: interval arithmetic where every function has an interval
    form, else a 60-digit evaluation widened by 10^-50 (relative)."""
    try:
        with _iv_precision():
            Y = interval(value, _Z, iv.mpf(0))
        return mpmath.mpf(Y.a), mpmath.mpf(Y.b)
    except NotCertified:
        with mpmath.workdps(60):
            v = mpmath.mpf(sp.N(value, 60))
            eps = abs(v) * mpmath.mpf("1e-50") + mpmath.mpf("1e-60")
            return v - eps, v + eps


def _branches(g: sp.Expr, z: sp.Symbol):
    """The smooth pieces of σ': (expression, open interval) pairs, and the kink points with
    the value the convention gives σ' there."""
    if g.has(sp.Heaviside, sp.sign, sp.Max, sp.Min, sp.Abs) and not isinstance(g, sp.Piecewise):
        g = g.rewrite(sp.Piecewise)
        g = sp.piecewise_fold(g)
    if not isinstance(g, sp.Piecewise):
        return [(g, sp.Interval.open(-sp.oo, sp.oo))], []
    pieces, kinks = [], []
    covered = sp.S.EmptySet
    for expr, cond in g.args:
        where = (sp.S.Reals if cond is sp.true else cond.as_set()) - covered
        covered = covered | where
        parts = where.args if isinstance(where, sp.Union) else (where,)
        for part in parts:
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


_ENTIRE = (sp.exp, sp.erf, sp.erfc, sp.tanh, sp.sinh, sp.cosh, sp.sin, sp.cos, sp.atan)


def _continuous(g: sp.Expr, z: sp.Symbol, I: sp.Interval) -> bool:
    """True when g is continuous on I: built from functions continuous on the line, and
    powers that are polynomial or have a base SymPy proves positive there; else SymPy's
    ``continuous_domain`` decides."""
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
        domain = sp.calculus.util.continuous_domain(g, z, I)
    except (NotImplementedError, ValueError, TypeError):
        return False
    return I.is_subset(domain) is True


def _show(point) -> str:
    return {sp.oo: "∞", -sp.oo: "−∞"}.get(point, sp.sstr(point))


def _describe_interval(I: sp.Interval) -> str:
    if I.start == -sp.oo and I.end == sp.oo:
        return "z ∈ ℝ"
    if I.start == -sp.oo:
        return f"z < {I.end}"
    if I.end == sp.oo:
        return f"z > {I.start}"
    return f"{I.start} < z < {I.end}"


def _numeric_near(g, z, point, direction: str):
    """g at 60 digits close to ``point``: at z = ±1e6 for an infinite end, 1e-30 beside a
    finite one."""
    f = sp.lambdify(z, g, modules="mpmath")
    with mpmath.workdps(60):
        if point.is_infinite:
            x = mpmath.mpf(10) ** 6 * (1 if point == sp.oo else -1)
        else:
            x = mpmath.mpf(sp.N(point, 60)) + (mpmath.mpf("1e-30") if direction == "+"
                                               else -mpmath.mpf("1e-30"))
        return f(x)


def _limit(g, z, point, direction: str, steps: list):
    """lim g as z → point, by sympy.limit on the given form and on ``together(g)``; a value
    that a 60-digit evaluation close to the point contradicts is rejected (sympy.limit
    returns 0 for silu' = σ(z)(1 + z(1 − σ(z))) at +∞, where the limit is 1)."""
    label = f"z → {_show(point)}{'' if point.is_infinite else direction}"
    near = _numeric_near(g, z, point, direction)
    tried = []
    for form in (g, sp.together(g), sp.cancel(sp.together(g))):
        value = sp.limit(form, z, point, direction)
        if value.has(sp.AccumBounds, sp.Limit) or not value.is_finite:
            tried.append(sp.sstr(value))
            continue
        with mpmath.workdps(60):
            consistent = abs(near - mpmath.mpf(sp.N(value, 60))) <= mpmath.mpf("1e-6") * max(1, abs(near))
        if consistent:
            if tried:
                steps.append(f"sympy.limit gave {', '.join(tried)} as {label} for the form "
                             f"{sp.sstr(g)}, contradicted by σ' at 60 digits near the point; "
                             f"the form {sp.sstr(form)} gives {sp.sstr(value)}, consistent")
            return value
        tried.append(sp.sstr(value))
    raise NotCertified(f"no limit of σ' as {label} (sympy.limit: {', '.join(tried)}; "
                       f"60 digits near it: {mpmath.nstr(near, 10)})")


def _branch_candidates(g: sp.Expr, z: sp.Symbol, I: sp.Interval, steps: list) -> list[Candidate]:
    """The values sup_I |g| is taken from, with one proof step per fact used."""
    where = _describe_interval(I)
    if not g.has(z):
        steps.append(f"σ'(z) = {sp.sstr(g)} is constant for {where}")
        return [Candidate(sp.Abs(g), None if g.free_symbols else _exact_enclosure(sp.Abs(g)),
                          True, I, "constant on")]
    if not _continuous(g, z, I):
        raise NotCertified(f"σ'(z) = {sp.sstr(g)} is not shown continuous for {where}")
    out = []
    h = sp.factor(sp.diff(g, z))  # σ''(z)
    solved = sp.solveset(h, z, I)
    if isinstance(solved, sp.FiniteSet) or solved is sp.S.EmptySet:
        points = sorted(solved, key=lambda c: float(c)) if solved is not sp.S.EmptySet else []
        if points:
            steps.append(f"σ''(z) = {sp.sstr(h)} = 0 for {where} exactly at z ∈ "
                         f"{{{', '.join(map(sp.sstr, points))}}} (solveset)")
        else:
            steps.append(f"σ''(z) = {sp.sstr(h)} has no zero for {where} (solveset): "
                         "no critical point")
        for c in points:
            value = sp.simplify(sp.Abs(g.subs(z, c)))
            steps.append(f"|σ'({sp.sstr(c)})| = {sp.sstr(value)}")
            out.append(Candidate(value, _exact_enclosure(value), True, c, "critical point"))
    else:
        out += _certified_critical_points(g, h, z, I, steps)
    for end, direction in ((I.start, "+"), (I.end, "-")):
        value = sp.Abs(_limit(g, z, end, direction, steps))
        side = "" if end.is_infinite else ("⁺" if direction == "+" else "⁻")
        label = f"z → {_show(end)}{side}"
        steps.append(f"lim |σ'(z)| as {label} = {sp.sstr(value)}")
        out.append(Candidate(value, _exact_enclosure(value) if not value.free_symbols else None,
                             False, label, "limit"))
    return out


def _sign_factors(h: sp.Expr, z: sp.Symbol):
    """Split σ'' (factored) into P · q with P of one sign (SymPy proves it) and q the rest:
    q has the same zeros as σ''."""
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


def _certified_critical_points(g, h, z, I, steps) -> list[Candidate]:
    P, q, bases = _sign_factors(h, z)
    steps.append(f"σ''(z) = {sp.sstr(h)}; solveset gives no closed form, so the zeros of "
                 f"q(z) = {sp.sstr(q)} are certified by interval arithmetic "
                 f"({sp.sstr(P)} has one sign, SymPy's assumptions)")
    # q/D for a positive D has the zeros of q; the tanh form keeps interval enclosures
    # of the infinite tails finite (z (e^z − 1)/(e^z + 1) = z tanh(z/2))
    forms = [(q, None)] + [(sp.simplify((q / D).rewrite(sp.tanh)), D)
                           for D in dict.fromkeys(bases)]
    failure = None
    for F, D in forms:
        try:
            roots, R = _isolate_roots(F, z, I)
        except NotCertified as exc:
            failure = exc
            continue
        if D is not None:
            steps.append(f"q has the zeros of F(z) = q(z)/({sp.sstr(D)}) = {sp.sstr(F)} "
                         f"(rewritten with tanh), since {sp.sstr(D)} > 0")
        steps.append(f"interval arithmetic ({CERTIFY_BITS} bits): F has no zero for |z| ≥ {R} "
                     f"(its enclosure on both tails excludes 0); on [−{R}, {R}] bisection, "
                     f"a sign change with F' ≠ 0 (exactly one root per box) and interval "
                     f"Newton give {len(roots)} root(s)")
        out = []
        with _iv_precision():
            for lo, hi in roots:
                Y = _iv_abs(interval(g, z, iv.mpf([lo, hi])))
                enclosure = (mpmath.mpf(Y.a), mpmath.mpf(Y.b))
                steps.append(f"critical point z ∈ {_enclosure_string((lo, hi), 20)}: "
                             f"|σ'(z)| ∈ {_enclosure_string(enclosure, 20)}")
                out.append(Candidate(None, enclosure, True, (lo, hi), "critical point"))
        return out
    raise NotCertified(f"the zeros of σ'' could not be isolated ({failure})")


def _isolate_roots(F, z, I):
    """Enclosures of every zero of F on the open interval I (a list of (low, high)), and the
    window radius R beyond which F was shown to have no zero."""
    dF = sp.diff(F, z)
    a = -mpmath.inf if I.start == -sp.oo else mpmath.mpf(sp.N(I.start, 60))
    b = mpmath.inf if I.end == sp.oo else mpmath.mpf(sp.N(I.end, 60))
    with _iv_precision():
        for R in _WINDOWS:
            tails_ok = True
            if a == -mpmath.inf:
                tails_ok &= _sign(interval(F, z, iv.mpf(["-inf", -R]))) != 0
            if b == mpmath.inf:
                tails_ok &= _sign(interval(F, z, iv.mpf([R, "inf"]))) != 0
            if tails_ok:
                break
        else:
            raise NotCertified(f"F = {sp.sstr(F)} keeps an undecided sign beyond |z| = "
                               f"{_WINDOWS[-1]}")
        lo, hi = max(a, mpmath.mpf(-R)), min(b, mpmath.mpf(R))
        roots, stack, visited = [], [(lo, hi)], 0
        while stack:
            x0, x1 = stack.pop()
            visited += 1
            if visited > _MAX_BOXES:
                raise NotCertified(f"more than {_MAX_BOXES} boxes")
            X = iv.mpf([x0, x1])
            if _sign(interval(F, z, X)) != 0:
                continue  # no zero in X
            monotone = _sign(interval(dF, z, X)) != 0
            if monotone:
                s0, s1 = _sign(interval(F, z, _point(x0))), _sign(interval(F, z, _point(x1)))
                if s0 and s1 and s0 == s1:
                    continue  # monotone without a sign change: no zero
                if s0 and s1:
                    roots.append(_newton(F, dF, z, x0, x1))
                    continue
            if x1 - x0 < _MIN_BOX:
                raise NotCertified(f"a zero of F near z = {mpmath.nstr(x0, 15)} could not be "
                                   "isolated")
            m = x0 + (x1 - x0) * _SPLIT
            stack += [(m, x1), (x0, m)]
    return sorted(roots), R


def _newton(F, dF, z, x0, x1):
    """Interval Newton on a box holding exactly one zero: X ← X ∩ (m − F(m)/F'(X))."""
    X = iv.mpf([x0, x1])
    for _ in range(200):
        m = mpmath.mpf(X.mid)
        N = _point(m) - interval(F, z, _point(m)) / interval(dF, z, X)
        a, b = max(mpmath.mpf(X.a), mpmath.mpf(N.a)), min(mpmath.mpf(X.b), mpmath.mpf(N.b))
        if a > b:
            raise NotCertified("interval Newton found no zero where a sign change was certified")
        done = b - a < _ROOT_WIDTH or (b - a) >= mpmath.mpf(X.b) - mpmath.mpf(X.a)
        X = iv.mpf([a, b])
        if done:
            break
    return mpmath.mpf(X.a), mpmath.mpf(X.b)


def _decide(candidates: list[Candidate], steps: list):
    """The supremum of the candidates and where it is attained or approached."""
    if any(c.enclosure is None for c in candidates):
        # a value with a parameter (PReLU's alpha): the supremum is a symbolic Max
        value = sp.Max(*[c.value for c in candidates])
        winners = [c for c in candidates if c.attained]
        how = "attained at " + ", ".join(f"{_describe_interval(c.where)} where {sp.sstr(c.value)} "
                                         "is the largest" for c in winners)
        steps.append(f"sup |σ'| = max of the branch values = {sp.sstr(value)}")
        return value, None, True, None, how
    lo = max(c.enclosure[0] for c in candidates)
    hi = max(c.enclosure[1] for c in candidates)
    # the candidates that can be the maximum: their enclosures reach the best lower bound
    top = [c for c in candidates if c.enclosure[1] >= lo]
    exact = all(c.value is not None for c in top)
    value = None
    if exact:
        values = list(dict.fromkeys(sp.nsimplify(c.value) if c.value.is_Rational else c.value
                                    for c in top))
        value = sp.Max(*values)
        if isinstance(value, sp.Max):
            raise NotCertified(f"cannot order the candidate values {values}")
        top = [c for c in top if sp.simplify(c.value - value) == 0]
        lo, hi = _exact_enclosure(value)
    elif len(top) > 1:
        raise NotCertified("two candidate values overlap in their enclosures")
    attained = [c for c in top if c.attained]
    if attained:
        c = attained[0]
        if c.kind == "constant on":
            where = _describe_interval(c.where)
            at, how = c.where, f"attained at every {where}"
        elif isinstance(c.where, tuple):
            at, how = c.where, f"attained at the root z ≈ {mpmath.nstr((c.where[0] + c.where[1]) / 2, 8)} of σ''"
        else:
            at, how = c.where, f"attained at z = {sp.sstr(c.where)}"
        steps.append(f"the largest candidate is {how.split(' ', 1)[1]}: sup |σ'| = "
                     + (sp.sstr(value) if value is not None else _enclosure_string((lo, hi), 20)))
        return value, (lo, hi), True, at, how
    c = top[0]
    how = f"the limit {c.where}, never attained"
    steps.append(f"the largest candidate is {how}: sup |σ'| = {sp.sstr(value)}")
    return value, (lo, hi), False, None, how


@lru_cache(maxsize=None)
def _supremum(name: str) -> Supremum:
    act = get_activation(name)
    start = time.perf_counter()
    z = act.z
    g = act.derivative_expression
    steps = [f"σ'(z) = {sp.sstr(g)}"]
    try:
        pieces, kinks = _branches(g, z)
        if len(pieces) > 1:
            steps.append("σ' is piecewise: the supremum is the larger of the branch suprema "
                         "(the kink itself carries a convention, not a derivative)")
        candidates = []
        for expr, I in pieces:
            candidates += _branch_candidates(expr, z, I, steps)
        value, enclosure, attained, at, how = _decide(candidates, steps)
        for point, v in kinks:
            note = (f"the convention σ'({sp.sstr(point)}) = {sp.sstr(v)} at the kink")
            if value is not None and not value.free_symbols:
                note += (" does not exceed it" if bool(sp.Abs(v) <= value) else
                         " EXCEEDS it (the convention, not a derivative)")
            steps.append(note)
        exact_solve = not any(isinstance(c.where, tuple) for c in candidates)
        method = ("exact: critical points (solveset), limits" if exact_solve else
                  "certified enclosure: critical points by interval arithmetic "
                  "(mpmath.iv), limits")
        if all(not expr.has(z) for expr, _ in pieces):
            method = "constant"
        if len(pieces) > 1:
            method = "per branch; " + method
        return Supremum(act.name, value, enclosure, attained, at, how, method, tuple(steps),
                        True, time.perf_counter() - start, act.kink)
    except (NotCertified, NotImplementedError) as exc:
        steps.append(f"could not certify: {exc}")
        return Supremum(act.name, None, None, None, None, f"could not certify: {exc}",
                        "none", tuple(steps), False, time.perf_counter() - start, act.kink)


def supremum(activation) -> Supremum:
    """sup over the reals of |σ'(z)|, proven (cached per activation).

    >>> supremum("tanh").value, supremum("relu").how
    (1, 'attained at every z > 0')
    >>> supremum("prelu").value
    Max(1, Abs(alpha))
    >>> supremum("selu").how
    'the limit z → 0⁻, never attained'
    """
    return _supremum(get_activation(activation).name)


def suprema(names=None) -> list[Supremum]:
    """The suprema of ``names`` (default: every built-in activation), in table order."""
    return [supremum(n) for n in (names or activation_names())]


# --- the layer bound ------------------------------------------------------------------------

def sup_symbol(activation: Activation, l: int | None = None) -> sp.Expr:
    """sup |σ_l'| for layer l as an exact expression; PReLU's alpha becomes alpha_l."""
    s = supremum(activation)
    if not s.certified or s.value is None:
        raise UsageError(f"activation={activation.name!r}: sup|σ'| "
                         f"{'is only known as an enclosure' if s.certified else 'could not be certified'}"
                         f"; no exact layer bound is stated")
    if activation.parameter is not None and l is not None:
        return s.value.xreplace({activation.parameter: sp.Symbol(f"alpha_{l}", real=True)})
    return s.value


@dataclass(frozen=True)
class LayerBound:
    """|∂C/∂b_l| ≤ |∂C/∂a_L| · Π_{j=l+1}^{L} |w_j| · Π_{j=l}^{L} sup|σ_j'| for one layer."""

    layer: int
    #: |∂C/∂b_l|
    lhs: sp.Expr
    #: the bound as factors in network order: |w_{l+1}| … |w_L| |∂C/∂a_L| and the sup factor
    rhs: OrderedProduct
    #: Π_{j=l}^{L} sup|σ_j'|, (sup|σ'|)^{L−l+1} for one activation
    sup_factor: sp.Expr
    steps: tuple = field(default=())

    @property
    def relation(self) -> sp.Le:
        """The bound as an evaluated SymPy relation (for numerics)."""
        return sp.Le(self.lhs, self.rhs.doit(), evaluate=False)

    @property
    def display(self) -> sp.Le:
        """The bound with the right side in network order (for printing)."""
        return sp.Le(self.lhs, self.rhs, evaluate=False)


def layer_bound(d: Derivation, l: int) -> LayerBound:
    """The bound on |∂C/∂b_l| read off the closed form: every σ' factor of
    ``d.factors("b_l")`` replaced by its supremum, every other factor by its size.

    >>> from symgrad import Chain, derive
    >>> b = layer_bound(derive(Chain(depth=4, activation="tanh")), 1)
    >>> b.sup_factor, b.rhs.args
    (1, (Abs(w_2), Abs(w_3), Abs(w_4), Abs(Derivative(C(a_4), a_4))))
    >>> layer_bound(derive(Chain(depth=4)), 2).sup_factor
    1/64
    """
    net = d.network
    if not 1 <= l <= d.L:
        raise UsageError(f"layer={l}: must be 1..{d.L}")
    factors = d.factors(f"b_{l}")
    sigma_primes = {d.sigma_prime[j - 1]: j for j in range(1, d.L + 1)}
    kept, sups = [], []
    for f in factors:
        j = sigma_primes.get(f)
        if j is None:
            kept.append(sp.Abs(f))  # w_j or ∂C/∂a_L: its size
        else:
            sups.append(sup_symbol(net.sigma(j), j))  # |σ_j'(z_j)| ≤ sup|σ_j'|
    # a linear layer's σ' = 1 is not among the factors: its sup is 1 as well
    sup_factor = sp.Mul(*sups)
    shown = sp.Pow(sups[0], len(sups), evaluate=False) \
        if len(set(sups)) == 1 and len(sups) > 1 else sup_factor
    rhs = OrderedProduct(*kept, shown) if sup_factor != 1 else OrderedProduct(*kept)
    steps = (f"∂C/∂b_{l} = " + " ".join(map(sp.sstr, factors)),
             "|xy| = |x||y| and |σ_j'(z_j)| ≤ sup|σ_j'| for every σ' factor")
    lhs = sp.Abs(sp.Derivative(sp.Symbol("C", real=True), net.b(l)))
    return LayerBound(l, lhs, rhs, sup_factor, steps)


def general_layer_bound(activation="sigmoid") -> sp.Le:
    """The bound for every depth L and layer l, with Π and the exact sup; the right side is
    an :class:`OrderedProduct` (``.doit()`` evaluates it).

    >>> from symgrad.printing.printers import latex
    >>> print(latex(general_layer_bound("sigmoid")))
    \\left|{\\frac{\\partial C}{\\partial b_{l}}}\\right| \\leq \\left|{\\frac{\\partial C}{\\partial a_{L}}}\\right| \\prod_{j=l + 1}^{L} \\left|{{w}_{j}}\\right| \\left(\\frac{1}{4}\\right)^{L - l + 1}
    """
    act = get_activation(activation)
    l, L, j = sp.symbols("l L j", integer=True, positive=True)
    w = sp.IndexedBase("w", real=True)
    S = sup_symbol(act)
    if act.name == "selu":  # the exact rational λα, shown as λα
        S = sp.Mul(sp.Symbol("lambda", positive=True), sp.Symbol("alpha", positive=True),
                   evaluate=False)
    C = sp.Symbol("C", real=True)
    lhs = sp.Abs(sp.Derivative(C, sp.Symbol("b_l", real=True)))
    # |∂C/∂a_L| · Π_{j=l+1}^{L} |w_j| · (sup|σ'|)^{L−l+1}
    rhs = OrderedProduct(sp.Abs(sp.Derivative(C, sp.Symbol("a_L", real=True))),
                         sp.Product(sp.Abs(w[j]), (j, l + 1, L)),
                         sp.Pow(S, L - l + 1, evaluate=False))
    return sp.Le(lhs, rhs, evaluate=False)


def three_sigmoid_layers() -> sp.Eq:
    """The material's statement: three sigmoid layers multiply at most (1/4)^3 = 1/64 into
    the gradient (the factors σ'(z_{L−2}) σ'(z_{L−1}) σ'(z_L) of ∂C/∂b_{L−2})."""
    s = sup_symbol(get_activation("sigmoid"))
    return sp.Eq(sp.Pow(s, 3, evaluate=False), s ** 3, evaluate=False)
