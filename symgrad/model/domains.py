"""Where a custom activation or cost can be evaluated: real and finite on what a command draws.

A symbolic command (``derive``, ``lecture``) takes any expression the parser accepts:
``log(x)`` has a derivative whatever x is.  A numeric command (``check``, ``vectors``,
``analyze``) evaluates the expression at drawn points, and there ``log(x)`` at z < 0 is not a
real number and ``exp(1000*x)`` at z = 1 is not a float64.  :func:`require_real_on` refuses
such an expression before any work, with one sentence that says where it fails and what the
command draws::

    activation='log(x)': log(x) is not real for x < 0 (at x = -0.007264), and check draws
    z from -40 to 40

The test is exact about *why* and sampled about *where*: every log, root and power with a
non-integer or variable exponent (innermost first) must have a positive (or non-negative)
argument, and the expression and its derivative must be finite float64 numbers, at 2001
points spread over the open domain (none exactly at 0, so a pole such as 1/x, which a
random draw never hits, is no reason to refuse).  Built-in activations and costs are
trusted: their NumPy forms are written to be stable.

>>> from symgrad.model.activations import custom_activation
>>> from symgrad.model.costs import custom_cost
>>> require_real_on(custom_activation("x*tanh(log(1+exp(x)))"), command="check")
>>> require_real_on(custom_activation("sqrt(x)"), command="check")
Traceback (most recent call last):
...
symgrad.errors.UsageError: activation='sqrt(x)': sqrt(x) is not real for x < 0 (at x = -0.007264), and check draws z from -40 to 40
>>> require_real_on(custom_cost("log(a - y)"), a=(0.0, 1.0), command="vectors")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symgrad.errors.UsageError: cost='log(a - y)': log(a - y) is not real for a - y < 0 (at a = ..., y = ...), and vectors draws a from 0 to 1 and y from 0 to 1
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from symgrad.errors import UsageError
from symgrad.model.activations import Activation
from symgrad.model.costs import Cost

__all__ = ["Z_DRAWN", "Z_TYPICAL", "Y_DRAWN", "FLOAT_MAX", "MAX_COST_DEGREE", "require_real_on",
           "activation_image"]

#: the pre-activations z the numeric commands draw: b_l ~ N(0, 1), or ±U(30, 40) in a
#: saturated layer, plus w_l a_{l-1} with w_l ~ N(0, 1) and |a_{l-1}| mostly below 1
Z_DRAWN = (-40.0, 40.0)
#: a typical |z| of a layer (b_l and w_l are standard normal): where one layer's output
#: feeds the next in :func:`require_real_on`'s test of composition
Z_TYPICAL = 3.0
#: the targets y the numeric commands draw: U(0, 1), U(0.05, 0.95) or one-hot rows
Y_DRAWN = (0.0, 1.0)
FLOAT_MAX = float(np.finfo(np.float64).max)
#: the highest power of a polynomial cost a numeric command takes: it cancels
#: δ_L = σ'(z_L) ∂C/∂a_L symbolically, which took 8 s at degree 128 and 100 s at degree
#: 1000 here (SymPy's factor grows with the square of the degree)
MAX_COST_DEGREE = 100
_POINTS = 2001
_COST_POINTS = (201, 21)


def _grid(low: float, high: float, count: int) -> np.ndarray:
    """``count`` points inside (low, high), offset by 1/π of a step so that none is 0 or a
    round number."""
    return low + (high - low) * (np.arange(count) + 1 / np.pi) / count


def _cut(text: str) -> str:
    """A value as a message shows it: repr, cut to about 60 characters."""
    return repr(text[:57] + "...") if len(text) > 60 else repr(text)


def _shown(expr: sp.Expr, names: dict) -> str:
    text = sp.sstr(expr.xreplace(names))
    return text[:57] + "..." if len(text) > 60 else text


def _number(value: float) -> str:
    return f"{value:.4g}"


def _at(names: list[str], point) -> str:
    return ", ".join(f"{n} = {_number(v)}" for n, v in zip(names, point))


#: erf and erfc for the arguments of logs and roots (NumPy has neither)
_MODULES = [{"erf": np.vectorize(math.erf, otypes=[float]),
             "erfc": np.vectorize(math.erfc, otypes=[float])}, "numpy"]


def _evaluate(function, grids: list) -> np.ndarray:
    """``function`` at every grid point in float64; a value it cannot give is nan."""
    with np.errstate(all="ignore"):
        values = np.asarray(function(*grids), dtype=float)
    return np.broadcast_to(values, grids[0].shape)


def _conditions(expr: sp.Expr):
    """(sub-expression, argument, rule) for every log, root and power whose argument must be
    positive ("> 0") or non-negative (">= 0") to be real, the innermost first."""
    for node in sp.postorder_traversal(expr):
        if isinstance(node, sp.log):
            yield node, node.args[0], "> 0"
        elif node.is_Pow and not node.exp.is_integer:
            base, exponent = node.args
            strict = bool(exponent.free_symbols) or exponent.is_negative
            yield node, base, "> 0" if strict else ">= 0"


def _large_number(expr: sp.Expr) -> sp.Expr | None:
    """A number in ``expr`` beyond the float64 range, if there is one."""
    for number in expr.atoms(sp.Number):
        if number.is_finite and abs(number) > FLOAT_MAX:
            return number
    return None


def _degree(expr: sp.Expr, symbol: sp.Symbol) -> int:
    """The largest integer power of a sub-expression that holds ``symbol``."""
    return max((abs(int(p.exp)) for p in expr.atoms(sp.Pow)
                if p.exp.is_Integer and p.base.has(symbol)), default=1)


def _nearest_origin(bad: np.ndarray, grids: list) -> int:
    """Of the failing grid points, the one nearest the origin: the plainest example."""
    return int(bad[np.argmin(sum(np.abs(g[bad]) for g in grids))])


def _problem(item, symbols: list, grids: list, names: dict) -> str | None:
    """Why the activation or cost ``item`` is not real and finite on the grids, if it is
    not: a number beyond float64, a log or root of a negative number, or a value (of the
    function or of its derivative, as the numeric commands evaluate them) that is not finite."""
    labels = [names.get(s, s).name for s in symbols]
    expr = item.expression
    large = _large_number(expr)
    if large is not None:
        return (f"the number {sp.Float(large, 3)} in it is beyond the float64 range (about "
                f"{FLOAT_MAX:.3g})")
    try:
        for node, argument, rule in _conditions(expr):
            values = _evaluate(sp.lambdify(symbols, argument, modules=_MODULES), grids)
            bad = np.flatnonzero(values < 0) if rule == ">= 0" else np.flatnonzero(values <= 0)
            if bad.size:
                k = _nearest_origin(bad, grids)
                sign = "<" if values[k] < 0 else "="
                return (f"{_shown(node, names)} is not real for {_shown(argument, names)} "
                        f"{sign} 0 (at {_at(labels, [g[k] for g in grids])})")
        for what, function in (("", item.numpy), ("the derivative of ", item.numpy_derivative)):
            values = _evaluate(function, grids)
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                k = _nearest_origin(bad, grids)
                at = _at(labels, [g[k] for g in grids])
                shown = what + _shown(expr, names)
                if np.isinf(values[k]):
                    return f"{shown} evaluates to inf in float64 (beyond {FLOAT_MAX:.3g}) at {at}"
                return f"{shown} evaluates to nan in float64 (inf - inf, 0/0 or inf/inf) at {at}"
    except (ArithmeticError, ValueError, TypeError) as error:
        return f"it cannot be evaluated in float64 ({type(error).__name__})"
    return None


def _composition_problem(activation: Activation) -> str | None:
    """Why ``activation`` applied to a typical output of itself (the next layer's
    z = w a + b) is not finite in float64, if it is not: exp(30*x) gives e^90 at z = 3,
    and exp of that overflows (an mpmath reference would build a number with 10^39 digits)."""
    grid = _grid(-Z_TYPICAL, Z_TYPICAL, _POINTS)
    values = np.abs(_evaluate(activation.numpy, [grid]))
    if not np.all(np.isfinite(values)):
        return None   # the single-layer test has reported it
    k = int(np.argmax(values))
    reach = Z_TYPICAL + values[k]
    following = _evaluate(activation.numpy, [_grid(-reach, reach, _POINTS)])
    if np.all(np.isfinite(following)):
        return None
    shown = _shown(activation.expression, {activation.z: sp.Symbol("x", real=True)})
    return (f"{shown} of a layer's output overflows in the next layer: at z = "
            f"{_number(grid[k])} it gives {_number(values[k])}, so the next z = w a + b "
            f"reaches about {_number(reach)}, where {shown} evaluates to inf in float64")


def activation_image(activation, z: tuple = Z_DRAWN) -> tuple[float, float]:
    """The smallest and largest value of ``activation`` on the drawn z (softmax: 0 to 1).

    >>> from symgrad.model.activations import get_activation
    >>> [round(v, 6) for v in activation_image(get_activation("tanh"))]
    [-1.0, 1.0]
    """
    if not isinstance(activation, Activation):   # the softmax output layer
        return 0.0, 1.0
    grid = _grid(*z, _POINTS)
    with np.errstate(all="ignore"):
        values = activation.numpy(grid) if activation.parameter is None else \
            activation.numpy(grid, 0.3)   # PReLU's slope is drawn from U(0, 0.3)
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)


def require_real_on(item, *, command: str, z: tuple = Z_DRAWN, a: tuple | None = None,
                    y: tuple = Y_DRAWN, compose: bool = False,
                    argument: str | None = None) -> None:
    """Refuse, with one UsageError line, a custom activation that is not real and finite
    (with its derivative) for z in ``z`` (and, with ``compose``, on a typical output of
    itself: a network of more than one layer), or a custom cost that is not for a in ``a``
    (the output layer's range, see :func:`activation_image`) and y in ``y``; ``command``
    names what draws them.  Built-in activations and costs pass."""
    if not getattr(item, "name", "").startswith("custom:"):
        return
    text = item.name[len("custom:"):]
    if isinstance(item, Activation):
        argument = argument or "activation"
        names = {item.z: sp.Symbol("x", real=True)}
        problem = _problem(item, [item.z], [_grid(*z, _POINTS)], names) or \
            (_composition_problem(item) if compose else None)
        drawn = f"{command} draws z from {z[0]:g} to {z[1]:g}"
    elif isinstance(item, Cost):
        argument = argument or "cost"
        a = a if a is not None else (0.0, 1.0)
        degree = _degree(item.expression, item.a)
        if degree > MAX_COST_DEGREE:
            raise UsageError(f"{argument}={_cut(text)}: a power of degree {degree} in a; {command} "
                             f"takes degrees up to {MAX_COST_DEGREE} (it cancels δ_L = "
                             "σ'(z_L) ∂C/∂a_L symbolically); 'symgrad derive' takes any")
        grid_a, grid_y = np.meshgrid(_grid(*a, _COST_POINTS[0]), _grid(*y, _COST_POINTS[1]))
        problem = _problem(item, [item.a, item.y], [grid_a.ravel(), grid_y.ravel()], {})
        drawn = (f"{command} draws a from {_number(a[0])} to {_number(a[1])} and y from "
                 f"{y[0]:g} to {y[1]:g}")
    else:
        return
    if problem:
        raise UsageError(f"{argument}={_cut(text)}: {problem}, and {drawn}")
