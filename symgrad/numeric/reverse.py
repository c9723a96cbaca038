"""A small reverse-mode automatic differentiation over MPFR numbers: the independent reference.

:class:`Var` records every elementary operation (+, −, ×, ÷, powers, exp, log, tanh, erf, ...)
with its local partial derivatives, each from the elementary function's own rule
(d exp u = exp u du, d tanh u = sech² u du, ...); :func:`gradient` sweeps the record backwards.
Applied to the composed forward pass written from the activations' and the cost's SymPy
*expressions*, it differentiates C(σ_L(W_L σ_{L-1}(...) + b_L)) without reading any
derivative formula of the activation table, the cost table or the derivation: a wrong σ',
a wrong ∂C/∂a or a wrong δ recurrence leaves it unchanged.  Its cost is a constant times the
forward pass's (linear in depth).

>>> import gmpy2
>>> with recording() as tape:
...     x = Var(gmpy2.mpfr(2))
...     y = TAPE_NAMESPACE["exp"](x * x) / x          # e^{x²}/x
...     gradient(y, tape)
>>> float(x.adjoint), float((2 - 1 / 4) * gmpy2.exp(4))       # (2 − 1/x²) e^{x²}
(95.54676255800241, 95.54676255800241)
"""
from __future__ import annotations

from contextlib import contextmanager

import gmpy2

from symgrad.numeric.highprec import NAMESPACE

__all__ = ["Var", "recording", "gradient", "value_of", "TAPE_NAMESPACE"]


class Var:
    """A number on the tape: its value, and (parent, ∂self/∂parent) for each operand."""

    __slots__ = ("value", "parents", "adjoint")
    #: the operations recorded since :func:`recording` began, in order
    tape: list | None = None

    def __init__(self, value, parents=()):
        self.value, self.parents, self.adjoint = value, parents, 0
        Var.tape.append(self)

    # -- arithmetic: value and local partials -------------------------------------------------
    def __add__(self, other):
        if isinstance(other, Var):
            return Var(self.value + other.value, ((self, 1), (other, 1)))
        return Var(self.value + other, ((self, 1),))

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, Var):
            return Var(self.value - other.value, ((self, 1), (other, -1)))
        return Var(self.value - other, ((self, 1),))

    def __rsub__(self, other):
        return Var(other - self.value, ((self, -1),))

    def __mul__(self, other):
        if isinstance(other, Var):
            return Var(self.value * other.value, ((self, other.value), (other, self.value)))
        return Var(self.value * other, ((self, other),))

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Var):
            q = self.value / other.value
            return Var(q, ((self, 1 / other.value), (other, -q / other.value)))
        return Var(self.value / other, ((self, 1 / other),))

    def __rtruediv__(self, other):
        q = other / self.value
        return Var(q, ((self, -q / self.value),))

    def __neg__(self):
        return Var(-self.value, ((self, -1),))

    def __pos__(self):
        return self

    def __pow__(self, other):
        if isinstance(other, Var):
            p = self.value ** other.value
            return Var(p, ((self, other.value * self.value ** (other.value - 1)),
                           (other, p * gmpy2.log(self.value))))
        if other == 2:
            return Var(self.value * self.value, ((self, 2 * self.value),))
        return Var(self.value ** other, ((self, other * self.value ** (other - 1)),))

    def __rpow__(self, other):
        p = gmpy2.mpfr(other) ** self.value
        return Var(p, ((self, p * gmpy2.log(gmpy2.mpfr(other))),))

    def __abs__(self):
        return self if self.value >= 0 else -self

    # -- comparisons by value (Piecewise branches, max, min) ----------------------------------
    def __lt__(self, other):
        return self.value < value_of(other)

    def __le__(self, other):
        return self.value <= value_of(other)

    def __gt__(self, other):
        return self.value > value_of(other)

    def __ge__(self, other):
        return self.value >= value_of(other)

    def __eq__(self, other):
        return self.value == value_of(other)

    __hash__ = object.__hash__


def value_of(x):
    """The number of a Var, or x itself."""
    return x.value if isinstance(x, Var) else x


@contextmanager
def recording():
    """Record the operations of the block; yields the tape (a list)."""
    outer, Var.tape = Var.tape, []
    try:
        yield Var.tape
    finally:
        Var.tape = outer


def gradient(output: Var, tape: list) -> None:
    """Sweep ``tape`` backwards from ``output``: afterwards every Var's ``adjoint`` holds
    ∂output/∂Var (0 where the output does not depend on it)."""
    output.adjoint = 1
    for node in reversed(tape):
        g = node.adjoint
        if g:
            for parent, partial in node.parents:
                parent.adjoint = parent.adjoint + g * partial


def _unary(f, derivative):
    """An elementary function on Vars (and plain numbers): f(u), f'(u) du."""
    def apply(u):
        if not isinstance(u, Var):
            return f(u)
        return Var(f(u.value), ((u, derivative(u.value)),))
    return apply


def _two_over_sqrt_pi():
    return 2 / gmpy2.sqrt(gmpy2.const_pi())


def _step(f):
    """A piecewise constant function (sign, Heaviside): no derivative flows through it."""
    def apply(*args):
        return f(*[value_of(a) for a in args])
    return apply


#: lambdify's names as functions on tape numbers, each with its own derivative rule
TAPE_NAMESPACE = dict(NAMESPACE)
TAPE_NAMESPACE.update({
    "exp": _unary(gmpy2.exp, gmpy2.exp),
    "log": _unary(gmpy2.log, lambda u: 1 / u),
    "log1p": _unary(gmpy2.log1p, lambda u: 1 / (1 + u)),
    "sqrt": _unary(gmpy2.sqrt, lambda u: 1 / (2 * gmpy2.sqrt(u))),
    "tanh": _unary(gmpy2.tanh, lambda u: 1 / gmpy2.cosh(u) ** 2),
    "sinh": _unary(gmpy2.sinh, gmpy2.cosh),
    "cosh": _unary(gmpy2.cosh, gmpy2.sinh),
    "sin": _unary(gmpy2.sin, gmpy2.cos),
    "cos": _unary(gmpy2.cos, lambda u: -gmpy2.sin(u)),
    "atan": _unary(gmpy2.atan, lambda u: 1 / (1 + u * u)),
    "erf": _unary(gmpy2.erf, lambda u: _two_over_sqrt_pi() * gmpy2.exp(-u * u)),
    "erfc": _unary(gmpy2.erfc, lambda u: -_two_over_sqrt_pi() * gmpy2.exp(-u * u)),
    "erfc_of_negative": _unary(lambda u: gmpy2.erfc(-u),
                               lambda u: _two_over_sqrt_pi() * gmpy2.exp(-u * u)),
    "Heaviside": _step(NAMESPACE["Heaviside"]),
    "sign": _step(NAMESPACE["sign"]),
})
