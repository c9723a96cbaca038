"""Ball forms of the activations and costs: σ, σ' and C, ∂C/∂a on python-flint ``arb`` balls.

Each operation of FLINT's Arb returns a ball that contains every value the operation takes on
its input balls, so a recurrence evaluated with these forms encloses the true value.  The
built-in activations have hand-written forms, each the table's closed form written without
cancellation (checked against the SymPy derivative by the tests)::

    sigmoid   E = e^z,  t = 1/(1 + E):   σ = E t,   σ' = σ t          (= e^{-z}/(1 + e^{-z})²)
    tanh      σ = tanh z,                σ' = sech² z                (= 1 − tanh² z)
    softplus  σ = log1p(e^z),            σ' = E t                    (= 1/(1 + e^{-z}))
    silu      σ = z E t,                 σ' = E t (1 + z t)          (= σ(z)(1 + z(1 − σ(z))))
    gelu      Φ = erfc(−z/√2)/2,         σ = z Φ,  σ' = Φ + z e^{−z²/2}/√(2π)
    gelu_tanh x = 2u = 2√(2/π)(z + 0.044715 z³), (s, t) = (σ(x), σ(−x)) as for the sigmoid:
              σ = z s,  σ' = s + z s t x'       (= (1 + tanh u)/2 + z(1 − tanh² u)u'/2)
    relu, leaky_relu, prelu, elu, selu   by the side of the kink z = 0 the ball lies on

A ball has no overflow (e^{1000} is a ball like any other).  A custom activation or cost is
compiled from its SymPy expression (written without cancellation by
:func:`~symgrad.model.activations.without_cancellation`); Heaviside and sign are decided by
the side of 0 their argument's ball lies on, like a kink.  Every function of the expression
grammar has a ball form; one registered from Python with a function Arb has no ball form for
is evaluated with mpmath instead and marked *not certified* (``certified`` is False): mpmath
stays only there, and for the decimal output of the mpmath fallback.

At a kink (z exactly 0, decided exactly: see :mod:`symgrad.oracle.reference`) the
``convention`` picks the branch: ``"left"`` (σ'(0) of the branch z ≤ 0, as PyTorch takes
it, and JAX but for ``jax.nn.leaky_relu``) or ``"right"``.

>>> with ctx.workprec(64):
...     a, d = activation_form(get_activation("sigmoid")).pair(arb(0))
...     right = activation_form(get_activation("relu")).pair(arb(0), convention="right")[1]
>>> a.str(5), d.str(5), right.str(5)
('0.50000', '0.25000', '1.0000')
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import mpmath
import sympy as sp
from flint import arb, ctx, fmpq

from symgrad.model.activations import GELU_TANH_CUBIC, SELU_ALPHA, SELU_LAMBDA, Activation, \
    get_activation, without_cancellation
from symgrad.bounds.interval import constant_ball
from symgrad.model.costs import Cost

__all__ = ["Undecided", "ActivationForm", "CostForm", "activation_form", "cost_form",
           "compile_ball", "KINKED", "log_sum_exp"]

#: the built-in activations with a kink at z = 0
KINKED = ("relu", "leaky_relu", "prelu", "elu", "selu")


class Undecided(Exception):
    """A ball contains the point where a piecewise form changes branch: more precision (or
    the exact value) is needed.  ``args[0]`` says where."""


def _side(z: arb, convention: str) -> bool:
    """True for the right branch (z > 0), False for the left (z ≤ 0); an exact 0 takes the
    convention, a ball around 0 is :class:`Undecided`."""
    if z > 0:
        return True
    if z < 0:
        return False
    if z.is_exact() and z.is_zero():
        return convention == "right"
    raise Undecided("a ball around a kink")


def _q(r: sp.Rational) -> arb:
    return arb(fmpq(int(r.p), int(r.q)))


def _sigmoid(z: arb):
    E = z.exp()
    t = 1 / (1 + E)           # t = 1 − σ(z) = σ(−z)
    s = E * t
    return s, t


def _relu(z, alpha, convention):
    return (z, arb(1)) if _side(z, convention) else (arb(0), arb(0))


def _leaky(z, alpha, convention):
    if _side(z, convention):
        return z, arb(1)
    slope = arb(fmpq(1, 100))
    return slope * z, slope


def _prelu(z, alpha, convention):
    return (z, arb(1)) if _side(z, convention) else (alpha * z, alpha)


def _elu(z, alpha, convention):
    return (z, arb(1)) if _side(z, convention) else (z.expm1(), z.exp())


def _selu(z, alpha, convention):
    lam = _q(SELU_LAMBDA)
    if _side(z, convention):
        return lam * z, lam
    la = lam * _q(SELU_ALPHA)
    return la * z.expm1(), la * z.exp()


def _sig(z, alpha, convention):
    s, t = _sigmoid(z)
    return s, s * t


def _tanh(z, alpha, convention):
    return z.tanh(), z.sech() ** 2


def _softplus(z, alpha, convention):
    s, _ = _sigmoid(z)
    return z.exp().log1p(), s


def _silu(z, alpha, convention):
    s, t = _sigmoid(z)
    return z * s, s * (1 + z * t)


def _gelu(z, alpha, convention):
    Phi = (-z / arb(2).sqrt()).erfc() / 2
    phi = (-(z * z) / 2).exp() / (2 * arb.pi()).sqrt()
    return z * Phi, Phi + z * phi


def _gelu_tanh(z, alpha, convention):
    # (1 + tanh u)/2 = σ(2u) and (1 − tanh² u)/4 = σ(2u)σ(−2u): no 1 + tanh u to cancel,
    # and e^{2u} is a ball like any other for large |z|
    k = _q(GELU_TANH_CUBIC)
    c = 2 * (2 / arb.pi()).sqrt()
    s, t = _sigmoid(c * (z + k * z ** 3))
    return z * s, s + z * s * t * c * (1 + 3 * k * z * z)


def _linear(z, alpha, convention):
    return z, arb(1)


#: name → (z, α, convention) ↦ (σ(z), σ'(z)) on balls
_BUILTIN = {"sigmoid": _sig, "tanh": _tanh, "relu": _relu, "leaky_relu": _leaky,
            "prelu": _prelu, "linear": _linear, "softplus": _softplus, "elu": _elu,
            "selu": _selu, "silu": _silu, "gelu": _gelu, "gelu_tanh": _gelu_tanh}


@dataclass(frozen=True, eq=False)
class ActivationForm:
    """σ and σ' of one activation on balls; ``certified`` False for the mpmath fallback,
    with ``reason`` saying why."""

    name: str
    evaluate: Callable
    kinked: bool
    certified: bool = True
    reason: str = ""

    def pair(self, z: arb, alpha: arb | None = None, convention: str = "left"):
        """(σ(z), σ'(z)) as balls."""
        return self.evaluate(z, alpha, convention)

    def slope(self, z: arb, convention: str = "left") -> arb:
        """∂σ/∂α of PReLU: z on the left branch, 0 on the right."""
        return arb(0) if _side(z, convention) else z


# --- SymPy expressions compiled into ball functions ------------------------------------------

_FUNCTIONS = {sp.exp: arb.exp, sp.log: arb.log, sp.tanh: arb.tanh, sp.sinh: arb.sinh,
              sp.cosh: arb.cosh, sp.sin: arb.sin, sp.cos: arb.cos, sp.atan: arb.atan,
              sp.erf: arb.erf, sp.erfc: arb.erfc, sp.sech: arb.sech, sp.Abs: abs,
              sp.sqrt: arb.sqrt}
_NAMED = {"log1p": arb.log1p, "erfc_of_negative": lambda u: (-u).erfc(), "expm1": arb.expm1}


class _NoBallForm(Exception):
    pass


def _compile(expr: sp.Expr, names: dict) -> Callable:
    """``expr`` as env ↦ ball, env mapping each symbol's name to its ball."""
    if expr.is_Symbol:
        key = names[expr]
        return lambda env: env[key]
    number = constant_ball(expr)
    if number is not None:
        return number
    if isinstance(expr, sp.Piecewise):
        branches = [(_compile(e, names), _condition(c, names)) for e, c in expr.args]

        def piecewise(env):
            for value, holds in branches:
                if holds(env):
                    return value(env)
            raise Undecided("no branch of a piecewise form holds")
        return piecewise
    if isinstance(expr, (sp.Heaviside, sp.sign)):
        return _step(expr, _compile(expr.args[0], names))
    args = [_compile(a, names) for a in expr.args]
    if expr.is_Add or expr.is_Mul:
        add = expr.is_Add

        def fold(env):
            out = args[0](env)
            for f in args[1:]:
                out = out + f(env) if add else out * f(env)
            return out
        return fold
    if expr.is_Pow:
        base, power = args
        e = expr.args[1]
        if e.is_Integer:
            n = int(e)
            return lambda env: base(env) ** n
        return lambda env: (power(env) * base(env).log()).exp()   # b^e = exp(e log b)
    if isinstance(expr, (sp.Max, sp.Min)):
        pick = arb.max if isinstance(expr, sp.Max) else arb.min

        def extreme(env):
            out = args[0](env)
            for f in args[1:]:
                out = pick(out, f(env))
            return out
        return extreme
    f = _FUNCTIONS.get(expr.func) or _NAMED.get(type(expr).__name__)
    if f is not None and len(args) == 1:
        inner = args[0]
        return lambda env: f(inner(env))
    raise _NoBallForm(type(expr).__name__)


def _step(expr, inner: Callable) -> Callable:
    """Heaviside(u) (H(0) its own value, ½ by default) and sign(u) on a ball u: decided by
    the side of 0 the ball lies on, an exact 0 exactly, :class:`Undecided` around 0."""
    heaviside = isinstance(expr, sp.Heaviside)
    low, high = (arb(0), arb(1)) if heaviside else (arb(-1), arb(1))
    at_zero = constant_ball(sp.Rational(expr.args[1]) if heaviside and len(expr.args) > 1
                        else sp.S.Half if heaviside else sp.S.Zero)

    def step(env):
        u = inner(env)
        if u > 0:
            return high
        if u < 0:
            return low
        if u.is_exact() and u.is_zero():
            return at_zero(env)
        raise Undecided("a ball around the jump of a step function")
    return step


def _condition(cond, names: dict) -> Callable:
    """A Piecewise condition ``lhs rel rhs`` as env ↦ bool, :class:`Undecided` where the
    ball of lhs − rhs contains 0 (an exact 0 is decided exactly)."""
    if cond in (sp.true, True):
        return lambda env: True
    if not isinstance(cond, sp.core.relational.Relational):
        raise _NoBallForm(type(cond).__name__)
    diff = _compile(cond.lhs - cond.rhs, names)
    rel = cond.rel_op

    def holds(env):
        d = diff(env)
        if d.is_exact() and d.is_zero():
            return rel in ("<=", ">=", "==")
        if d > 0:
            return rel in (">", ">=", "!=")
        if d < 0:
            return rel in ("<", "<=", "!=")
        raise Undecided("a ball around the boundary of a piecewise form")
    return holds


def compile_ball(expr: sp.Expr, symbols: list) -> Callable | None:
    """``expr`` (written without cancellation) as a function of one ball per symbol, or
    None when it uses a function without a ball form.

    >>> a, y = sp.symbols("a y", real=True)
    >>> compile_ball((a - y) ** 4 / 4, [a, y])(arb(3), arb(1)).str(5)
    '4.0000'
    """
    names = {s: s.name for s in symbols}
    try:
        f = _compile(without_cancellation(expr), names)
    except _NoBallForm:
        return None
    keys = [s.name for s in symbols]
    return lambda *balls: f(dict(zip(keys, balls)))


def _mpmath_ball(f: Callable, *balls: arb) -> arb:
    """The mpmath fallback: f at the midpoints at the working precision, as a ball of
    radius 2^(8 − prec) |value| (an estimate, not a certificate)."""
    with mpmath.workprec(ctx.prec + 16):
        args = [mpmath.mpf(b.mid().str(ctx.prec // 3 + 10, radius=False)) for b in balls]
        value = f(*args)
    mid = arb(mpmath.nstr(value, ctx.prec // 3 + 10, strip_zeros=False))
    return mid + arb(0, abs(mid).upper() * arb(2) ** (8 - ctx.prec))


@lru_cache(maxsize=None)
def activation_form(act: Activation) -> ActivationForm:
    """The ball form of ``act``: the hand-written one of a built-in, else compiled from its
    SymPy expression and derivative, else the mpmath fallback (not certified)."""
    if act.name in _BUILTIN and get_activation(act.name) is act:
        return ActivationForm(act.name, _BUILTIN[act.name], act.name in KINKED)
    symbols = [act.z] + ([act.parameter] if act.parameter is not None else [])
    f, df = (compile_ball(e, symbols) for e in (act.expression, act.derivative_expression))
    if f is not None and df is not None:
        def evaluate(z, alpha, convention):
            args = (z,) if act.parameter is None else (z, alpha)
            return f(*args), df(*args)
        return ActivationForm(act.name, evaluate, False)

    def fallback(z, alpha, convention):
        args = (z,) if act.parameter is None else (z, alpha)
        return _mpmath_ball(act.mp, *args), _mpmath_ball(act.mp_derivative, *args)
    return ActivationForm(act.name, fallback, False, certified=False,
                          reason=f"activation {act.name!r} uses a function without a ball "
                                 "form; evaluated with mpmath")


@dataclass(frozen=True, eq=False)
class CostForm:
    """C(a, y) and ∂C/∂a on balls."""

    name: str
    value: Callable
    slope: Callable
    certified: bool = True
    reason: str = ""


@lru_cache(maxsize=None)
def cost_form(cost: Cost) -> CostForm:
    """The ball form of an elementwise cost: quadratic ½(a − y)² and a − y, cross-entropy
    −[y ln a + (1 − y) log1p(−a)] and (a − y)/(a(1 − a)), squared error (a − y)² and
    2(a − y); a custom cost compiled from SymPy (or the mpmath fallback, not certified)."""
    if cost.name == "quadratic":
        return CostForm(cost.name, lambda a, y: (a - y) ** 2 / 2, lambda a, y: a - y)
    if cost.name == "squared-error":
        return CostForm(cost.name, lambda a, y: (a - y) ** 2, lambda a, y: 2 * (a - y))
    if cost.name == "cross-entropy":
        return CostForm(cost.name, lambda a, y: -(y * a.log() + (1 - y) * (-a).log1p()),
                        lambda a, y: (a - y) / (a * (1 - a)))
    f = compile_ball(cost.expression, [cost.a, cost.y])
    df = compile_ball(cost.derivative_expression, [cost.a, cost.y])
    if f is not None and df is not None:
        return CostForm(cost.name, f, df)
    return CostForm(cost.name, lambda a, y: _mpmath_ball(cost.mp, a, y),
                    lambda a, y: _mpmath_ball(cost.mp_derivative, a, y), certified=False,
                    reason=f"cost {cost.name!r} uses a function without a ball form; "
                           "evaluated with mpmath")


def log_sum_exp(zs: list) -> arb:
    """ln Σ_m e^{z_m}, as m* + ln Σ_m e^{z_m − m*} with m* the largest midpoint (balls have
    no overflow; the shift keeps the sum's relative radius small)."""
    top = max(zs, key=lambda z: z.mid())
    return top + sum(((z - top).exp() for z in zs), arb(0)).log()
