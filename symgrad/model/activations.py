"""The activation table: one entry per activation, each a single source of truth.

Every :class:`Activation` carries

* its SymPy expression ``σ(z)`` and the closed form of its derivative ``σ'(z)``
  (proven equal to SymPy's own derivative by :func:`symgrad.prove.prove_activation`),
* ``σ'`` written in terms of the unit's output ``a = σ(z)`` where the lecture does so
  (sigmoid: ``σ' = a(1 - a)``),
* its LaTeX name and the convention it takes at a kink,
* stable NumPy forms of ``σ`` and ``σ'`` from :mod:`symgrad.model.stable` (finite and free
  of overflow warnings for ``|z|`` up to ``1e4``, within sup |σ'| at every float) and
  arbitrary-precision mpmath forms generated from the SymPy expression itself.

>>> sigmoid = get_activation("sigmoid")
>>> z = sigmoid.z
>>> sigmoid.derivative(z)
exp(-z)/(1 + exp(-z))**2
>>> a = sp.Symbol("a", real=True)
>>> sigmoid.derivative_in_a(a)
a*(1 - a)
>>> float(sigmoid.numpy_derivative(np.array([0.0]))[0])
0.25
>>> print(get_activation("relu").kink)
relu'(0) = 0 (the left branch, as PyTorch and JAX take it)
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable, Mapping

import mpmath
import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from symgrad.errors import UsageError
from symgrad.model.catalog import activation_fields, looks_like_expression
from symgrad.model import stable
from sympy.codegen.cfunctions import log1p

__all__ = [
    "custom_activation",
    "Softmax",
    "SOFTMAX",
    "SoftmaxOf",
    "Activation",
    "ACTIVATIONS",
    "ALIASES",
    "activation_names",
    "get_activation",
    "register_activation",
    "SELU_LAMBDA",
    "SELU_ALPHA",
    "GELU_TANH_CUBIC",
    "without_cancellation",
    "MP_MODULES",
]


#: the SELU constants as PyTorch and the SELU paper state them, kept exact as rationals
SELU_LAMBDA = sp.Rational("1.0507009873554804934193349852946")
SELU_ALPHA = sp.Rational("1.6732632423543772848170429916717")
#: the cubic coefficient 0.044715 of GELU's tanh approximation, exact
GELU_TANH_CUBIC = sp.Rational(44715, 1000000)

_Z = sp.Symbol("z", real=True)
_ALPHA = sp.Symbol("alpha", real=True)

NumpyFn = Callable[..., np.ndarray]


@dataclass(frozen=True, eq=False)
class Activation:
    """One activation function σ and everything the rest of symgrad needs of it.

    ``expression`` and ``derivative`` are SymPy expressions in :attr:`z` (and
    :attr:`parameter` for PReLU's learned slope).  ``numpy`` and
    ``numpy_derivative`` evaluate the stable forms elementwise;
    ``mp`` and ``mp_derivative`` evaluate at mpmath's working precision.
    """

    name: str
    latex_name: str
    expression: sp.Expr
    derivative_expression: sp.Expr
    numpy: NumpyFn
    numpy_derivative: NumpyFn
    derivative_in_a_expression: sp.Expr | None = None
    kink: str | None = None
    #: the learned slope of PReLU: ∂a/∂α is derived beside ∂a/∂z
    parameter: sp.Symbol | None = None
    #: complex-step differentiation applies (the NumPy form is analytic and takes complex input)
    analytic: bool = False
    description: str = ""
    z: sp.Symbol = field(default=_Z)
    #: cache of lambdified mpmath forms
    _mp: dict = field(default_factory=dict, repr=False, compare=False)

    # -- symbolic ---------------------------------------------------------------------------
    def __call__(self, z: sp.Expr, alpha: sp.Expr | None = None) -> sp.Expr:
        """σ(z) as an explicit SymPy expression."""
        return self._subs(self.expression, z, alpha)

    def derivative(self, z: sp.Expr, alpha: sp.Expr | None = None) -> sp.Expr:
        """σ'(z), the closed form of the derivative."""
        return self._subs(self.derivative_expression, z, alpha)

    def parameter_derivative(self, z: sp.Expr, alpha: sp.Expr | None = None) -> sp.Expr:
        """∂σ/∂α (only for activations with a learned parameter)."""
        if self.parameter is None:
            raise TypeError(f"{self.name} has no learned parameter")
        return self._subs(sp.diff(self.expression, self.parameter), z, alpha)

    def derivative_in_a(self, a: sp.Expr) -> sp.Expr | None:
        """σ' written with the unit's output a = σ(z), where the lecture writes it so."""
        if self.derivative_in_a_expression is None:
            return None
        return self.derivative_in_a_expression.subs(_A, a)

    def _subs(self, expr: sp.Expr, z: sp.Expr, alpha: sp.Expr | None) -> sp.Expr:
        mapping = {self.z: z}
        if self.parameter is not None and alpha is not None:
            mapping[self.parameter] = alpha
        return expr.xreplace(mapping)

    @property
    def is_linear(self) -> bool:
        """σ(z) = z: its derivative is exactly 1 and drops out of every product."""
        return self.derivative_expression == 1

    # -- arbitrary precision ----------------------------------------------------------------
    def _mp_function(self, which: str) -> Callable:
        if which not in self._mp:
            expr = self.expression if which == "f" else self.derivative_expression
            args = [self.z] + ([self.parameter] if self.parameter is not None else [])
            self._mp[which] = sp.lambdify(args, without_cancellation(expr), modules=MP_MODULES)
        return self._mp[which]

    def mp(self, z, alpha=None):
        """σ(z) at mpmath's working precision."""
        f = self._mp_function("f")
        return f(z) if self.parameter is None else f(z, alpha)

    def mp_derivative(self, z, alpha=None):
        """σ'(z) at mpmath's working precision."""
        f = self._mp_function("df")
        return f(z) if self.parameter is None else f(z, alpha)


_A = sp.Symbol("a", real=True)


# --- forms without cancellation, for arbitrary precision -------------------------------------

def without_cancellation(expr: sp.Expr) -> sp.Expr:
    """The same function, rewritten where a sum cancels in the tails (for evaluation at
    high precision, where the table's own forms lose every digit): ``1 - tanh(u)²`` as
    ``sech(u)²``, ``c + c erf(u)`` as ``c erfc(-u)``, ``c + c tanh(u)`` as
    ``2c/(1 + e^{-2u})``, ``log(1 + e^u)`` as ``log1p(e^u)``.  Without this, 60 digits give
    0 for tanh'(80), gelu'(-40) and gelu_tanh(-21)."""
    u = sp.Wild("u")
    expr = expr.replace(1 - sp.tanh(u) ** 2, 1 / sp.cosh(u) ** 2)
    expr = expr.replace(lambda e: e.is_Add, _erfc_in_sum)
    return expr.replace(sp.log(sp.exp(u) + 1), log1p(sp.exp(u)))


#: erfc(-u), kept as one function so that SymPy does not rewrite it as 2 - erfc(u)
_erfc_of_negative = sp.Function("erfc_of_negative")
MP_MODULES = [{"erfc_of_negative": lambda u: mpmath.erfc(-u)}, "mpmath"]


def _erfc_in_sum(total: sp.Add) -> sp.Expr:
    """c + c·erf(u) + rest  →  c·erfc(-u) + rest, and c + c·tanh(u) + rest  →
    2c/(1 + e^{-2u}) + rest, inside a sum of any length."""
    terms = list(total.args)
    for k, term in enumerate(terms):
        coeff, rest = term.as_coeff_Mul()
        if isinstance(rest, (sp.erf, sp.tanh)) and coeff in terms:
            terms.remove(coeff)
            u = rest.args[0]
            # 1 + tanh(u) = 2/(1 + e^{-2u}): no cancellation for u ≪ 0
            terms[terms.index(term)] = coeff * _erfc_of_negative(u) if isinstance(rest, sp.erf) \
                else 2 * coeff / (1 + sp.exp(-2 * u))
            return sp.Add(*terms)
    return total



# --- the table ------------------------------------------------------------------------------

def _sigmoid_expr(z):
    return 1 / (1 + sp.exp(-z))


def _build_table() -> dict[str, Activation]:
    z, alpha, a = _Z, _ALPHA, _A
    table: dict[str, Activation] = {}

    def add(act: Activation) -> None:
        table[act.name] = act

    s = _sigmoid_expr(z)
    add(Activation(
        name="sigmoid", latex_name=r"\sigma",
        expression=s,
        # σ'(z) = e^{-z}/(1 + e^{-z})² = σ(z)(1 - σ(z))
        derivative_expression=sp.exp(-z) / (1 + sp.exp(-z)) ** 2,
        derivative_in_a_expression=a * (1 - a),
        numpy=stable.sigmoid, numpy_derivative=stable.sigmoid_prime, analytic=True,
        description="logistic sigmoid 1/(1 + e^{-z})",
    ))
    add(Activation(
        name="tanh", latex_name=r"\tanh",
        expression=sp.tanh(z),
        # tanh'(z) = 1 - tanh²(z)
        derivative_expression=1 - sp.tanh(z) ** 2,
        derivative_in_a_expression=1 - a ** 2,
        numpy=stable.tanh, numpy_derivative=stable.tanh_prime, analytic=True,
        description="hyperbolic tangent",
    ))
    add(Activation(
        name="relu", latex_name=r"\operatorname{ReLU}",
        expression=sp.Piecewise((0, z <= 0), (z, True)),
        derivative_expression=sp.Piecewise((0, z <= 0), (1, True)),
        kink="relu'(0) = 0 (the left branch, as PyTorch and JAX take it)",
        numpy=stable.relu, numpy_derivative=stable.relu_prime,
        description="rectified linear unit max(0, z)",
    ))
    slope = sp.Rational(1, 100)
    f, df = stable.piecewise_linear(float(slope))
    add(Activation(
        name="leaky_relu", latex_name=r"\operatorname{LReLU}",
        expression=sp.Piecewise((slope * z, z <= 0), (z, True)),
        derivative_expression=sp.Piecewise((slope, z <= 0), (1, True)),
        kink="leaky_relu'(0) = 0.01 (the left branch, as PyTorch takes it; "
             "jax.nn.leaky_relu takes the right, 1)",
        numpy=f, numpy_derivative=df,
        description="leaky ReLU with fixed slope 0.01 for z < 0",
    ))
    add(Activation(
        name="prelu", latex_name=r"\operatorname{PReLU}",
        expression=sp.Piecewise((alpha * z, z <= 0), (z, True)),
        derivative_expression=sp.Piecewise((alpha, z <= 0), (1, True)),
        kink="prelu'(0) = alpha_l (the left branch)",
        parameter=alpha,
        numpy=stable.prelu, numpy_derivative=stable.prelu_prime,
        description="parametric ReLU: the slope alpha_l for z < 0 is learned per layer",
    ))
    add(Activation(
        name="linear", latex_name=r"\operatorname{id}",
        expression=z,
        derivative_expression=sp.Integer(1),
        derivative_in_a_expression=sp.Integer(1),
        numpy=stable.linear, numpy_derivative=stable.linear_prime, analytic=True,
        description="identity (the usual output layer of a regression network)",
    ))
    add(Activation(
        name="softplus", latex_name=r"\operatorname{softplus}",
        expression=sp.log(1 + sp.exp(z)),
        # softplus'(z) = σ(z)
        derivative_expression=1 / (1 + sp.exp(-z)),
        derivative_in_a_expression=1 - sp.exp(-a),
        numpy=stable.softplus, numpy_derivative=stable.sigmoid, analytic=True,
        description="softplus log(1 + e^z)",
    ))
    f, df = stable.elu(1.0)
    add(Activation(
        name="elu", latex_name=r"\operatorname{ELU}",
        expression=sp.Piecewise((sp.exp(z) - 1, z <= 0), (z, True)),
        derivative_expression=sp.Piecewise((sp.exp(z), z <= 0), (1, True)),
        kink="elu'(0) = 1 (both branches agree for alpha = 1)",
        numpy=f, numpy_derivative=df,
        description="exponential linear unit with alpha = 1",
    ))
    lam, al = SELU_LAMBDA, SELU_ALPHA
    f, df = stable.elu(float(al), float(lam))
    add(Activation(
        name="selu", latex_name=r"\operatorname{SELU}",
        expression=sp.Piecewise((lam * al * (sp.exp(z) - 1), z <= 0), (lam * z, True)),
        derivative_expression=sp.Piecewise((lam * al * sp.exp(z), z <= 0), (lam, True)),
        kink="selu'(0) = lambda*alpha ≈ 1.7581 (the left branch)",
        numpy=f, numpy_derivative=df,
        description="scaled ELU (lambda ≈ 1.0507, alpha ≈ 1.6733)",
    ))
    add(Activation(
        name="silu", latex_name=r"\operatorname{SiLU}",
        expression=z * s,
        # silu'(z) = σ(z) (1 + z (1 - σ(z)))
        derivative_expression=s * (1 + z * (1 - s)),
        numpy=stable.silu, numpy_derivative=stable.silu_prime, analytic=True,
        description="sigmoid-weighted linear unit (swish) z σ(z)",
    ))
    Phi = (1 + sp.erf(z / sp.sqrt(2))) / 2
    add(Activation(
        name="gelu", latex_name=r"\operatorname{GELU}",
        expression=z * Phi,
        # gelu'(z) = Φ(z) + z φ(z)
        derivative_expression=Phi + z * sp.exp(-z ** 2 / 2) / sp.sqrt(2 * sp.pi),
        numpy=stable.gelu, numpy_derivative=stable.gelu_prime,
        description="Gaussian error linear unit z Φ(z), the erf form",
    ))
    # gelu_tanh(z) = z (1 + tanh u)/2, u = √(2/π)(z + 0.044715 z³) (0.044715 kept exact)
    u = sp.sqrt(2 / sp.pi) * (z + GELU_TANH_CUBIC * z ** 3)
    add(Activation(
        name="gelu_tanh", latex_name=r"\operatorname{GELU}_{\tanh}",
        expression=z * (1 + sp.tanh(u)) / 2,
        # gelu_tanh'(z) = (1 + tanh u)/2 + z (1 − tanh² u) u'/2, u' = √(2/π)(1 + 3·0.044715 z²)
        derivative_expression=(1 + sp.tanh(u)) / 2 + z * (1 - sp.tanh(u) ** 2) * sp.diff(u, z) / 2,
        numpy=stable.gelu_tanh, numpy_derivative=stable.gelu_tanh_prime, analytic=True,
        description="GELU's tanh approximation z(1 + tanh(√(2/π)(z + 0.044715 z³)))/2, as "
                    "nn.GELU(approximate=\"tanh\") and jax.nn.gelu compute it",
    ))
    return table


ACTIVATIONS: dict[str, Activation] = _build_table()
#: other names users type for the same activation
ALIASES: Mapping[str, str] = {"swish": "silu", "logistic": "sigmoid", "identity": "linear",
                              "leakyrelu": "leaky_relu", "leaky-relu": "leaky_relu",
                              "gelu-tanh": "gelu_tanh"}


@dataclass(frozen=True)
class Softmax:
    """The softmax output layer a^L_j = exp(z^L_j) / Σ_m exp(z^L_m): not elementwise, so it is
    not in the activation table; it comes with the softmax-cross-entropy cost."""

    name: str = "softmax"
    latex_name: str = r"\operatorname{softmax}"
    description: str = "softmax exp(z_j)/Σ_m exp(z_m), with the cross-entropy cost"


#: the one softmax output layer
SOFTMAX = Softmax()


class SoftmaxOf(MatrixExpr):
    """softmax(z_L) = exp(z_L) / Σ_m exp(z^L_m), the (not elementwise) softmax of a column."""

    def __new__(cls, z):
        return sp.Basic.__new__(cls, z)

    @property
    def shape(self):
        return self.args[0].shape

    def _sympystr(self, printer):
        return f"softmax({printer._print(self.args[0])})"


def activation_names() -> list[str]:
    """The built-in activation names, in table order.

    >>> activation_names()[:3]
    ['sigmoid', 'tanh', 'relu']
    """
    return _builtin_names()


def register_activation(activation: Activation) -> Activation:
    """Add an activation (for example a parsed custom one) under its name."""
    ACTIVATIONS.setdefault(activation.name, activation)
    return ACTIVATIONS[activation.name]


def get_activation(name, *, argument: str = "activation") -> Activation:
    """Look an activation up by name (or alias); an :class:`Activation` passes through.

    >>> get_activation("swish").name
    'silu'
    >>> get_activation("sigmod")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: activation='sigmod': unknown activation; did you mean 'sigmoid'? known: sigmoid, tanh, relu, leaky_relu, prelu, linear, softplus, elu, selu, silu, gelu, gelu_tanh
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise UsageError(f"{argument}={name!r}: must be an activation name; known: "
                         f"{', '.join(_builtin_names())}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key in ACTIVATIONS:
        return ACTIVATIONS[key]
    if looks_like_expression(name):  # a custom expression such as "x*tanh(log(1+exp(x)))"
        return custom_activation(name, argument=argument)
    known = _builtin_names()
    near = difflib.get_close_matches(key, known + list(ALIASES), n=1, cutoff=0.5)
    hint = f"did you mean {ALIASES.get(near[0], near[0])!r}? " if near else ""
    raise UsageError(f"{argument}={name!r}: unknown activation; {hint}known: {', '.join(known)}")


def _builtin_names() -> list[str]:
    return [n for n, act in ACTIVATIONS.items() if not n.startswith("custom:")]


def custom_activation(text: str, *, argument: str = "activation"):
    """The registered activation of an expression (the same text, or its canonical name,
    gives the same object).

    >>> mish = custom_activation("x*tanh(softplus(x))")
    >>> mish.name
    'custom:x*tanh(log(exp(x) + 1))'
    >>> mish.derivative(mish.z) == sp.diff(mish(mish.z), mish.z)
    True
    >>> custom_activation("x*tanh(log(exp(x) + 1))") is mish
    True
    """
    return register_activation(Activation(**activation_fields(text, argument=argument)))
