"""Cost functions C(a_L, y) of a one-output network, in the same shape as the activations.

>>> quadratic = get_cost("quadratic")
>>> a, y = quadratic.a, quadratic.y
>>> quadratic(a, y)
(a - y)**2/2
>>> quadratic.derivative(a, y)
a - y
>>> get_cost("cross-entropy").derivative(a, y)
(a - y)/(a*(1 - a))
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from symgrad.model.activations import MP_MODULES, without_cancellation
from symgrad.errors import UsageError
from symgrad.model.catalog import cost_fields, looks_like_expression

__all__ = ["custom_cost", "mean_squared_error", "MSE", "Cost", "COSTS", "SOFTMAX_CE", "cost_names", "get_cost", "register_cost"]

_A = sp.Symbol("a", real=True)
_Y = sp.Symbol("y", real=True)


@dataclass(frozen=True, eq=False)
class Cost:
    """A cost C(a, y) with its closed-form derivative ∂C/∂a (proven by
    :func:`symgrad.prove.prove_cost`) and NumPy / mpmath forms."""

    name: str
    latex: str
    expression: sp.Expr
    derivative_expression: sp.Expr
    numpy: Callable[[np.ndarray, np.ndarray], np.ndarray]
    numpy_derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]
    description: str = ""
    a: sp.Symbol = field(default=_A)
    y: sp.Symbol = field(default=_Y)
    _mp: dict = field(default_factory=dict, repr=False, compare=False)

    def __call__(self, a: sp.Expr, y: sp.Expr) -> sp.Expr:
        """C(a, y) as an explicit SymPy expression."""
        return self.expression.xreplace({self.a: a, self.y: y})

    def derivative(self, a: sp.Expr, y: sp.Expr) -> sp.Expr:
        """∂C/∂a, the closed form."""
        return self.derivative_expression.xreplace({self.a: a, self.y: y})

    def _mp_function(self, which: str):
        if which not in self._mp:
            expr = self.expression if which == "f" else self.derivative_expression
            self._mp[which] = sp.lambdify([self.a, self.y], without_cancellation(expr),
                                          modules=MP_MODULES)
        return self._mp[which]

    def mp(self, a, y):
        """C(a, y) at mpmath's working precision."""
        return self._mp_function("f")(a, y)

    def mp_derivative(self, a, y):
        """∂C/∂a at mpmath's working precision."""
        return self._mp_function("df")(a, y)


def _build() -> dict[str, Cost]:
    a, y = _A, _Y
    table = {}
    table["quadratic"] = Cost(
        name="quadratic", latex=r"\frac{1}{2}\left(a_L - y\right)^{2}",
        # C = ½(a − y)²,  ∂C/∂a = a − y
        expression=(a - y) ** 2 / 2,
        derivative_expression=a - y,
        numpy=lambda a_, y_: 0.5 * (a_ - y_) ** 2,
        numpy_derivative=lambda a_, y_: a_ - y_,
        description="quadratic cost ½(a_L − y)²",
    )

    def _np_ce(a_, y_):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -(y_ * np.log(a_) + (1 - y_) * np.log1p(-a_))

    def _np_ce_prime(a_, y_):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (a_ - y_) / (a_ * (1 - a_))

    table["cross-entropy"] = Cost(
        name="cross-entropy",
        latex=r"-\left[y \ln a_L + \left(1 - y\right) \ln\left(1 - a_L\right)\right]",
        # C = −[y ln a + (1 − y) ln(1 − a)],  ∂C/∂a = (a − y)/(a(1 − a))
        expression=-(y * sp.log(a) + (1 - y) * sp.log(1 - a)),
        derivative_expression=(a - y) / (a * (1 - a)),
        numpy=_np_ce, numpy_derivative=_np_ce_prime,
        description="binary cross-entropy −[y ln a_L + (1 − y) ln(1 − a_L)]; needs 0 < a_L < 1",
    )
    table["squared-error"] = Cost(
        name="squared-error", latex=r"\left\lVert y - \hat{y}\right\rVert_{2}^{2}",
        # the material's squared error, no ½:  C = (y − a)²,  ∂C/∂a = 2(a − y)
        expression=(y - a) ** 2, derivative_expression=2 * (a - y),
        numpy=lambda a_, y_: (a_ - y_) ** 2,
        numpy_derivative=lambda a_, y_: 2.0 * (a_ - y_),
        description="squared error ‖y − ŷ‖² summed over outputs and samples (the material's L(θ))",
    )
    return table


COSTS: dict[str, Cost] = _build()
#: the softmax output layer with the cross-entropy −Σ_j y_j ln a^L_j (δ_L = a_L − y): not an
#: elementwise cost, so it is a name the network resolves, not a :class:`Cost`
SOFTMAX_CE = "softmax-cross-entropy"
#: PyTorch's ``nn.MSELoss()``: the mean of (a − y)² over the N samples and n_L outputs, a name
#: the network resolves to :func:`mean_squared_error` of its own N·n_L
MSE = "mse"
_ALIASES = {"squared": "quadratic", "cross_entropy": "cross-entropy",
            "crossentropy": "cross-entropy", "bce": "cross-entropy", "ce": "cross-entropy",
            "squared_error": "squared-error", "sse": "squared-error",
            "sum-of-squares": "squared-error", "sum_of_squares": "squared-error",
            "softmax_cross_entropy": SOFTMAX_CE, "softmax-ce": SOFTMAX_CE,
            "softmax_ce": SOFTMAX_CE, "categorical-cross-entropy": SOFTMAX_CE,
            "categorical_cross_entropy": SOFTMAX_CE, "nll": SOFTMAX_CE}


def cost_names() -> list[str]:
    """The built-in cost names.

    >>> cost_names()
    ['quadratic', 'cross-entropy', 'squared-error']
    """
    return [n for n in COSTS if not n.startswith("custom:")]


def register_cost(cost: Cost) -> Cost:
    """Add a cost (for example a parsed custom one) under its name."""
    COSTS.setdefault(cost.name, cost)
    return COSTS[cost.name]


def get_cost(name, *, argument: str = "cost") -> Cost:
    """Look a cost up by name; a :class:`Cost` passes through.

    >>> get_cost("sse").name, get_cost("mse")
    ('squared-error', 'mse')
    >>> get_cost("hinge")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: cost='hinge': unknown cost; known: quadratic, cross-entropy, squared-error, mse, softmax-cross-entropy
    """
    if isinstance(name, Cost):
        return name
    if not isinstance(name, str):
        raise UsageError(f"{argument}={name!r}: must be a cost name; known: {', '.join(cost_names())}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in (SOFTMAX_CE, MSE):
        return key
    if key in COSTS:
        return COSTS[key]
    if looks_like_expression(name):  # a custom expression in a and y, such as "(a - y)**4/4"
        return custom_cost(name, argument=argument)
    near = difflib.get_close_matches(key, cost_names() + list(_ALIASES), n=1, cutoff=0.6)
    hint = f"did you mean {_ALIASES.get(near[0], near[0])!r}? " if near else ""
    raise UsageError(f"{argument}={name!r}: unknown cost; {hint}known: {', '.join(cost_names() + [MSE, SOFTMAX_CE])}")


def custom_cost(text: str, *, argument: str = "cost"):
    """The registered cost of an expression in a and y.

    >>> custom_cost("(a - y)**4/4").derivative(_A, _Y)
    (a - y)**3
    """
    return register_cost(Cost(**cost_fields(text, argument=argument)))


@lru_cache(maxsize=None)
def mean_squared_error(count: int) -> Cost:
    """(a − y)²/count per output: ``nn.MSELoss()``'s mean over count = N·n_L values.

    >>> c = mean_squared_error(4)
    >>> c(c.a, c.y), c.derivative(c.a, c.y)
    ((a - y)**2/4, a/2 - y/2)
    """
    a, y, k = _A, _Y, sp.Integer(count)
    return Cost(name="mse", latex=r"\frac{1}{N n_L}\left(a_L - y\right)^{2}",
                # C = (a − y)²/(N n_L),  ∂C/∂a = 2(a − y)/(N n_L)
                expression=(a - y) ** 2 / k, derivative_expression=2 * (a - y) / k,
                numpy=lambda a_, y_: (a_ - y_) ** 2 / count,
                numpy_derivative=lambda a_, y_: 2.0 * (a_ - y_) / count,
                description=f"mean squared error (1/(N·n_L)) Σ (a − y)², N·n_L = {count} "
                            "(PyTorch's MSELoss())")
