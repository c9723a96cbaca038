"""Custom activations and costs: the fields of an Activation or a Cost from an expression.

The expression is parsed by :mod:`symgrad.model.expressions` (never evaluated as Python);
this module differentiates it with SymPy, read as a real function, and generates its
elementwise NumPy forms from our own SymPy objects.  :func:`looks_like_expression` tells an
expression from a (misspelled) name, so ``--activation sigmod`` gets a suggestion instead of
a parse error.

>>> fields = activation_fields("x*tanh(softplus(x))")
>>> fields["name"]
'custom:x*tanh(log(exp(x) + 1))'
>>> fields["derivative_expression"] == sp.diff(fields["expression"], fields["z"])
True
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from symgrad.errors import UsageError
from symgrad.model.stable import ERF_ANALYTIC, ERF_NUMPY
from symgrad.model.expressions import (ACTIVATION_VARIABLES, CONSTANTS, COST_VARIABLES,
                                       FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_HEIGHT,
                                       MAX_LENGTH, MAX_LITERAL_DIGITS, MAX_NUMBER_DIGITS,
                                       parse_expression, quoted)

__all__ = ["FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH", "MAX_HEIGHT", "MAX_LITERAL_DIGITS",
           "MAX_EXPONENT", "MAX_NUMBER_DIGITS", "parse_expression", "looks_like_expression",
           "activation_fields", "cost_fields", "real_derivative"]

#: the symbols of activations (z) and costs (a, y): equal to the tables' own, since SymPy
#: symbols of one name and the same assumptions are one symbol
_Z = sp.Symbol("z", real=True)
_A = sp.Symbol("a", real=True)
_Y = sp.Symbol("y", real=True)
#: functions whose derivative jumps (or does not exist) somewhere: a kink or a step
_KINKED = (sp.Abs, sp.Max, sp.Min, sp.Heaviside, sp.sign, sp.Piecewise)


# --- telling an expression from a (misspelled) name ----------------------------------------

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_KNOWN_WORDS = set(ACTIVATION_VARIABLES + COST_VARIABLES) | set(CONSTANTS)


def looks_like_expression(text) -> bool:
    """True when ``text`` is meant as an expression rather than a (misspelled) name.

    It is an expression when it holds an operator, a parenthesis or any other character a
    name cannot have (``x.real`` goes to the parser, which says why it is refused), is a
    number, or is exactly a variable (``x``, ``z``, ``a``, ``y``).  A plain word such as
    ``sigmod`` is a name, and so is a hyphenated word such as ``leaky-rel`` whose parts are
    not all variables, constants or numbers.

    >>> [looks_like_expression(t) for t in ("x*tanh(x)", "x", "2", "x.real", "x-1")]
    [True, True, True, True, True]
    >>> [looks_like_expression(t) for t in ("sigmod", "leaky-rel", "cross entropy", "")]
    [False, False, False, False]
    """
    if not isinstance(text, str):
        return False
    text = text.strip()
    if text.startswith("custom:"):
        return True
    if text in _KNOWN_WORDS or _NUMBER.fullmatch(text):
        return True
    compact = re.sub(r"\s*-\s*", "-", text)
    if re.fullmatch(r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*", compact, re.ASCII):
        # words joined by hyphens: an expression only if every part is a variable,
        # a constant or a number ("a - y", "x-1"), else a name ("cross-entrop")
        parts = compact.split("-")
        return len(parts) > 1 and all(p in _KNOWN_WORDS or _NUMBER.fullmatch(p) for p in parts)
    # anything but letters, digits, "_", "-" and spaces cannot be part of a name
    return re.fullmatch(r"[A-Za-z0-9_\- ]*", text, re.ASCII) is None


# --- custom activations and costs ---------------------------------------------------------

def _without_prefix(text: str) -> str:
    """``custom:<expression>``, the name a custom activation is stored under, parses back."""
    stripped = text.strip()
    return stripped[len("custom:"):] if stripped.startswith("custom:") else text


def real_derivative(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """d expr / d variable by :func:`sympy.diff`, read as a real function.

    * ``|u|`` with ``u`` that SymPy cannot prove real (``abs(sqrt(log(x)))``) is differentiated
      as ``sqrt(u**2)``, giving ``u u'/|u|``; SymPy's own rule splits u into re and im parts
      and grew a 10-function derivative to 7489 operations in 11 s here.
    * d/du Heaviside(u) = DiracDelta(u) and d/du sign(u) are 0 away from the jump; the jump
      itself is the kink convention, so the Dirac deltas are dropped.
    * Not simplified: ``sp.simplify`` took 420 s on the 27-operation derivative of
      ``tanh(x)**3*sin(x) + cosh(x)/(1 + x**2)`` here, so no size guard makes it safe, and its
      rewrites (``cosh(x/2)**2`` in swish') overflow sooner in float64.
    """
    restore = {}

    def real_abs(term: sp.Abs) -> sp.Expr:
        u = term.args[0]
        restore[sp.sqrt(u ** 2)] = term
        restore[1 / sp.sqrt(u ** 2)] = 1 / term
        return sp.sqrt(u ** 2)

    prepared = expr.replace(lambda e: isinstance(e, sp.Abs) and not e.args[0].is_extended_real,
                            real_abs)
    derivative = sp.diff(prepared, variable).xreplace(restore)
    return derivative.replace(
        lambda e: isinstance(e, sp.DiracDelta)
        or (isinstance(e, sp.Derivative) and isinstance(e.expr, sp.sign)),
        lambda e: sp.Integer(0))


def _checked_derivative(expr: sp.Expr, variable: sp.Symbol, text: str,
                        argument: str) -> sp.Expr:
    try:
        derivative = real_derivative(expr, variable)
    except (RecursionError, ArithmeticError, TypeError, NotImplementedError) as error:
        raise UsageError(f"{argument}={quoted(text)}: SymPy cannot differentiate it "
                         f"({type(error).__name__})") from None
    if derivative.has(sp.Derivative):
        raise UsageError(f"{argument}={quoted(text)}: SymPy leaves d/d{variable} of it "
                         f"unevaluated: {quoted(sp.sstr(derivative))}")
    return derivative


#: lambdify's modules: erf and erfc that take complex arguments where SciPy is installed, so
#: erf-based activations stay analytic (SciPy is imported on first use, not here)
_NUMPY_MODULES: list = [ERF_NUMPY, "numpy"]
_ERF_ANALYTIC = ERF_ANALYTIC


def _numpy_function(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> Callable:
    """An elementwise NumPy function generated from our own SymPy object (never from the
    user's text), quiet about overflow, returning an array of the broadcast shape.

    Where float64 overflows inside the formula as written (``exp(x)`` for x > 709) the
    result is inf or nan, without a warning: a user's formula has no hand-made stable form.
    (An mpmath re-evaluation there was tried and dropped: an exp tower such as
    ``exp(exp(exp(x)))`` makes mpmath build exponents with billions of digits.)
    """
    compiled = sp.lambdify(list(variables), expr, modules=_NUMPY_MODULES)

    def evaluate(*values):
        arrays = np.broadcast_arrays(*(np.asarray(v) for v in values))
        with np.errstate(all="ignore"):
            result = np.asarray(compiled(*arrays))
        dtype = np.result_type(result, *arrays, float)
        result = np.broadcast_to(result.astype(dtype, copy=False), arrays[0].shape).copy()
        return result

    evaluate.__doc__ = f"elementwise {sp.sstr(expr)}"
    return evaluate


@functools.lru_cache(maxsize=512)
def activation_fields(text: str, *, argument: str = "activation") -> dict:
    """The fields of the :class:`~symgrad.model.activations.Activation` σ(z) that an
    expression in ``x`` (or ``z``) defines, with σ' from SymPy (keyword arguments of the
    class; :func:`symgrad.model.activations.get_activation` builds and registers it).

    With ``abs``, ``max``, ``min``, ``Heaviside`` or ``sign`` the activation has a kink, and
    σ' there is SymPy's convention (stated in the ``kink`` field).

    >>> swish = activation_fields("x*sigmoid(x)")
    >>> swish["name"], swish["analytic"]
    ('custom:x/(1 + exp(-x))', True)
    >>> swish["derivative_expression"]
    z*exp(-z)/(1 + exp(-z))**2 + 1/(1 + exp(-z))
    >>> float(swish["numpy_derivative"](np.array([0.0]))[0])
    0.5
    >>> relu = activation_fields("max(0, x)")
    >>> relu["derivative_expression"], relu["analytic"]
    (Heaviside(z), False)
    >>> activation_fields("foo(x)")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: activation='foo(x)': unknown function 'foo' at position 0; allowed: numbers, the variables x and z, pi, e, + - * / ** ^, parentheses and the functions exp, log, ln, sqrt, tanh, sinh, cosh, sin, cos, atan, sigmoid, softplus, erf, erfc, abs, max, min, Heaviside, sign
    """
    parsed = parse_expression(_without_prefix(text), ACTIVATION_VARIABLES, argument=argument)
    x, z_alias = (sp.Symbol(v, real=True) for v in ACTIVATION_VARIABLES)
    if {x, z_alias} <= parsed.free_symbols:
        raise UsageError(f"{argument}={quoted(text)}: use one variable, x or z, not both")
    z = _Z
    # σ(z): the parsed expression with its variable renamed to the pre-activation z
    expression = parsed.xreplace({x: z, z_alias: z})
    derivative = _checked_derivative(expression, z, text, argument)
    kinked = expression.has(*_KINKED)
    kink = None
    if kinked:
        kink = (f"φ' at a kink of φ(z) = {sp.sstr(expression)} follows SymPy's convention: "
                f"d|u|/du = sign(u) (0 at 0), d max(u, v)/du = Heaviside(u - v) with "
                f"Heaviside(0) = 1/2, and Dirac deltas at jumps are dropped")
    return dict(
        name="custom:" + sp.sstr(parsed.xreplace({z_alias: x})),
        latex_name=r"\varphi",
        expression=expression,
        derivative_expression=derivative,
        numpy=_numpy_function(expression, [z]),
        numpy_derivative=_numpy_function(derivative, [z]),
        kink=kink,
        analytic=not kinked and (_ERF_ANALYTIC or not expression.has(sp.erf, sp.erfc)),
        description=f"custom activation φ(z) = {sp.sstr(expression)}",
        z=z,
    )


@functools.lru_cache(maxsize=512)
def cost_fields(text: str, *, argument: str = "cost") -> dict:
    """The fields of the :class:`~symgrad.model.costs.Cost` C(a, y) that an expression in
    ``a`` and ``y`` defines, with ∂C/∂a from SymPy (keyword arguments of the class).

    >>> cost = cost_fields("(a - y)**4/4")
    >>> cost["name"], cost["derivative_expression"]
    ('custom:(a - y)**4/4', (a - y)**3)
    >>> print(cost["latex"])
    \\frac{\\left(a - y\\right)^{4}}{4}
    >>> float(cost["numpy_derivative"](np.array([3.0]), np.array([1.0]))[0])
    8.0
    """
    expression = parse_expression(_without_prefix(text), COST_VARIABLES, argument=argument)
    a, y = _A, _Y
    # ∂C/∂a
    derivative = _checked_derivative(expression, a, text, argument)
    return dict(
        name="custom:" + sp.sstr(expression),
        latex=sp.latex(expression),
        expression=expression,
        derivative_expression=derivative,
        numpy=_numpy_function(expression, [a, y]),
        numpy_derivative=_numpy_function(derivative, [a, y]),
        description=f"custom cost C(a, y) = {sp.sstr(expression)}",
        a=a,
        y=y,
    )
