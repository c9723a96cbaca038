"""Dense layers: vector layers of many neurons, and the four backpropagation equations.

Layers l = 0..L with widths n_0, ..., n_L; W_l is n_l × n_{l-1}, b_l has n_l entries::

    z_l = W_l a_{l-1} + b_l,      a_l = σ_l(z_l)  (elementwise; softmax at the output)
    z^l_j = Σ_k w^l_{jk} a^{l-1}_k + b^l_j,      a^l_j = σ_l(z^l_j)

Costs, each summed over the N samples of the loss (C = Σ_i C_i):

* ``quadratic``: C_i = ½‖a_L − y‖²
* ``squared-error``: C_i = ‖y − ŷ‖², the material's L(θ) = Σ_i ‖y_i − ŷ_i‖²
* ``cross-entropy`` (binary, per output) and any elementwise cost of :mod:`symgrad.model.costs`
* ``softmax-cross-entropy``: a_L = softmax(z_L), C_i = −Σ_j y_j ln a^L_j, with Σ_j y_j = 1

:func:`derive_dense` gives the four equations (matrix and component form)::

    δ_L = ∇_{a_L} C ⊙ σ_L'(z_L)                 δ^L_j = σ_L'(z^L_j) ∂C/∂a^L_j
    δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l)        δ^l_j = σ_l'(z^l_j) Σ_k w^{l+1}_{kj} δ^{l+1}_k
    ∂C/∂b_l = δ_l                               ∂C/∂b^l_j = δ^l_j
    ∂C/∂W_l = δ_l a_{l-1}ᵀ                      ∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j

and for softmax with cross-entropy δ_L = a_L − y.  With N samples each gradient is the
sum over i of the per-sample form (``∂C/∂W_l = Σ_i δ_{l,i} a_{l-1,i}ᵀ``); the second
subscript of a component symbol (``a^1_{2,3}``) is then the sample.

>>> net = Dense([2, 3, 2])
>>> net
Dense(widths=[2, 3, 2], activations='sigmoid', cost='quadratic', samples=1)
>>> net.forward_equations()[0]
Eq(z_1, W_1*a_0 + b_1)
>>> d = derive_dense(net)
>>> d.delta_matrix(1)
HadamardProduct(W_2.T*delta_2, Lambda(_z, Derivative(sigmoid(_z), _z)).(z_1))
>>> d.weight_gradient(2, 1, 3)
a^1_3*delta^2_1
>>> d.delta_component(1, 2)
Derivative(sigmoid(z^1_2), z^1_2)*(w^2_1,2*delta^2_1 + w^2_2,2*delta^2_2)
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixExpr

from symgrad.model.activations import Activation, get_activation
from symgrad.errors import UsageError
from symgrad.model.costs import Cost, get_cost
from symgrad.derivation.derivation import OrderedProduct
from symgrad.model.network import cost_function, layer_function

__all__ = [
    "Dense", "DenseDerivation", "derive_dense", "Softmax", "SOFTMAX", "SQUARED_ERROR",
    "CostGradient", "SampleSum", "SoftmaxOf", "check_widths", "dense_cost", "MAX_WIDTH", "MAX_SAMPLES",
    "SOFTMAX_CE",
]

#: a wider layer is refused as absurd for a symbolic tool (the numeric code has no limit of its own)
MAX_WIDTH = 100_000
#: more samples than this in the symbolic loss is refused (each sample has its own symbols)
MAX_SAMPLES = 100_000
#: the name of the softmax-with-cross-entropy cost
SOFTMAX_CE = "softmax-cross-entropy"

_SOFTMAX_ALIASES = {"softmax-cross-entropy", "softmax_cross_entropy", "softmax-ce", "softmax_ce",
                    "categorical-cross-entropy", "categorical_cross_entropy", "nll"}
_SSE_ALIASES = {"squared-error", "squared_error", "sse", "sum-of-squares", "sum_of_squares"}


@dataclass(frozen=True)
class Softmax:
    """The softmax output layer a^L_j = exp(z^L_j) / Σ_m exp(z^L_m): not elementwise, so it is
    not in the activation table; it comes with the cross-entropy cost."""

    name: str = "softmax"
    latex_name: str = r"\operatorname{softmax}"
    description: str = "softmax exp(z_j)/Σ_m exp(z_m), with the cross-entropy cost"


SOFTMAX = Softmax()


def _np_sse(a, y):
    return (a - y) ** 2


def _np_sse_prime(a, y):
    return 2.0 * (a - y)


_A, _Y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
#: the material's squared error per output, summed: ‖y − ŷ‖² (no ½), ∂/∂a = 2(a − y)
SQUARED_ERROR = Cost(
    name="squared-error", latex=r"\left\lVert y - \hat{y}\right\rVert_{2}^{2}",
    expression=(_Y - _A) ** 2, derivative_expression=2 * (_A - _Y),
    numpy=_np_sse, numpy_derivative=_np_sse_prime,
    description="squared error ‖y − ŷ‖² summed over outputs and samples (the material's L(θ))",
)


def dense_cost(name, *, argument: str = "cost"):
    """The cost of a dense network: :data:`SOFTMAX_CE`, :data:`SQUARED_ERROR` or an elementwise
    :class:`~symgrad.model.costs.Cost` (summed over the outputs).

    >>> dense_cost("sse").name, dense_cost("softmax-ce"), dense_cost("mse").name
    ('squared-error', 'softmax-cross-entropy', 'quadratic')
    """
    if isinstance(name, Cost):
        return name
    if isinstance(name, str):
        key = name.strip().lower()
        if key in _SOFTMAX_ALIASES:
            return SOFTMAX_CE
        if key in _SSE_ALIASES:
            return SQUARED_ERROR
    try:
        return get_cost(name, argument=argument)
    except UsageError:
        raise UsageError(f"{argument}={name!r}: unknown cost for a dense network; known: "
                         "quadratic, squared-error, cross-entropy, softmax-cross-entropy") from None


def check_widths(widths, argument: str = "widths") -> tuple[int, ...]:
    """The widths n_0, ..., n_L as a tuple of ints, or a one-line :class:`UsageError`.

    >>> check_widths("2,3,3,2")
    (2, 3, 3, 2)
    >>> check_widths([3])
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: widths=[3]: give at least two widths n_0,n_1 (the input and the output layer)
    >>> check_widths("2,0,2")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: widths='2,0,2': every width must be an integer >= 1; entry 2 is 0
    """
    shown = widths
    if isinstance(widths, str):
        parts = [p.strip() for p in widths.split(",")]
    else:
        try:
            parts = list(widths)
        except TypeError:
            raise UsageError(f"{argument}={shown!r}: must be a list of integers >= 1 "
                             "such as 2,3,3,2") from None
    out = []
    for pos, p in enumerate(parts, 1):
        value = p
        if isinstance(p, str) and p.lstrip("+-").isdigit():
            value = int(p)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise UsageError(f"{argument}={shown!r}: every width must be an integer >= 1; "
                             f"entry {pos} is {p!r}")
        if value < 1:
            raise UsageError(f"{argument}={shown!r}: every width must be an integer >= 1; "
                             f"entry {pos} is {value}")
        if value > MAX_WIDTH:
            raise UsageError(f"{argument}={shown!r}: every width must be at most {MAX_WIDTH}; "
                             f"entry {pos} is {value}")
        out.append(int(value))
    if len(out) < 2:
        raise UsageError(f"{argument}={shown!r}: give at least two widths n_0,n_1 "
                         "(the input and the output layer)")
    return tuple(out)


def _check_samples(samples, argument="samples") -> int:
    if isinstance(samples, str) and samples.strip().isdigit():
        samples = int(samples)
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) \
            or not 1 <= samples <= MAX_SAMPLES:
        raise UsageError(f"{argument}={samples!r}: must be an integer from 1 to {MAX_SAMPLES}")
    return int(samples)


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


class CostGradient(MatrixExpr):
    """∇_{a_L} C, the column of ∂C/∂a^L_j, as a matrix expression (printed ``\\nabla_{a_{L}} C``).

    >>> CostGradient(sp.MatrixSymbol("a_2", 3, 1)).shape
    (3, 1)
    """

    def __new__(cls, a):
        return sp.Basic.__new__(cls, a)

    @property
    def output(self):
        return self.args[0]

    @property
    def shape(self):
        return self.args[0].shape

    def _sympystr(self, printer):
        return f"nabla_{printer._print(self.output)} C"


class SoftmaxOf(MatrixExpr):
    """softmax(z_L) = exp(z_L) / Σ_m exp(z^L_m), the (not elementwise) softmax of a column."""

    def __new__(cls, z):
        return sp.Basic.__new__(cls, z)

    @property
    def shape(self):
        return self.args[0].shape

    def _sympystr(self, printer):
        return f"softmax({printer._print(self.args[0])})"


class SampleSum(MatrixExpr):
    """Σ_{i=1}^{N} of a per-sample matrix expression (the loss sums over samples)."""

    def __new__(cls, term, index, count):
        return sp.Basic.__new__(cls, term, sp.sympify(index), sp.sympify(count))

    @property
    def term(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]

    @property
    def count(self):
        return self.args[2]

    @property
    def shape(self):
        return self.args[0].shape

    def _sympystr(self, printer):
        return f"Sum_({printer._print(self.index)}=1..{printer._print(self.count)}) " \
               f"{printer._print(self.term)}"


@dataclass(frozen=True)
class Dense:
    """A network of dense layers with widths n_0 (input), ..., n_L (output).

    ``activations`` is one name for every layer or a list of L names, layer 1 first (a
    linear output layer: ``["sigmoid", "sigmoid", "linear"]``).  With the
    ``softmax-cross-entropy`` cost the output layer is softmax: a single name then sets the
    hidden layers, and a list must end in ``"softmax"``.  ``samples`` is the N of the loss
    Σ_{i=1}^{N} C_i.

    >>> Dense([2, 3, 2], activations=["tanh", "linear"], cost="sse").describe()["activations"]
    ['tanh', 'linear']
    >>> Dense([2, 3, 2], activations=["tanh"])
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: activations='tanh': 1 given, widths 2,3,2 have 2 layers and need 2
    """

    widths: tuple
    activations: object = "sigmoid"
    cost: object = "quadratic"
    samples: int = 1

    def __post_init__(self):
        widths = check_widths(self.widths)
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "samples", _check_samples(self.samples))
        cost = dense_cost(self.cost)
        object.__setattr__(self, "cost", cost)
        L = len(widths) - 1
        softmax = cost == SOFTMAX_CE
        acts = self.activations
        if isinstance(acts, (str, Activation)):
            if isinstance(acts, str) and acts.strip().lower() == "softmax":
                acts = [acts] * L if L == 1 else None
                if acts is None:
                    raise UsageError("activations='softmax': softmax is an output layer; give "
                                     "the hidden layers' activation (softmax follows with the "
                                     "softmax-cross-entropy cost)")
            else:
                acts = [acts] * (L - 1) + ["softmax" if softmax else acts]
        else:
            try:
                acts = list(acts)
            except TypeError:
                raise UsageError(f"activations={self.activations!r}: must be a name or a "
                                 f"list of {L} names") from None
            if len(acts) != L:
                raise UsageError(f"activations={','.join(map(_name, acts))!r}: {len(acts)} "
                                 f"given, widths {','.join(map(str, widths))} have {L} "
                                 f"layer{'s' if L > 1 else ''} and need {L}")
        resolved = []
        for l, act in enumerate(acts, 1):
            is_softmax = isinstance(act, Softmax) or (isinstance(act, str)
                                                      and act.strip().lower() == "softmax")
            if is_softmax and (l != L or not softmax):
                raise UsageError(f"activations={','.join(map(_name, acts))!r}: softmax is "
                                 "only allowed as the output layer with the cost "
                                 "softmax-cross-entropy")
            if softmax and l == L and not is_softmax:
                raise UsageError(f"activations={','.join(map(_name, acts))!r}: the cost "
                                 "softmax-cross-entropy needs a softmax output layer; end "
                                 "the list with softmax")
            resolved.append(SOFTMAX if is_softmax else get_activation(act, argument="activations"))
        object.__setattr__(self, "activations", tuple(resolved))

    # -- description ------------------------------------------------------------------------
    @property
    def L(self) -> int:
        """The number of the output layer."""
        return len(self.widths) - 1

    @property
    def depth(self) -> int:
        return self.L

    @property
    def layers(self) -> range:
        """1, ..., L."""
        return range(1, self.L + 1)

    def n(self, l: int) -> int:
        """n_l, the width of layer l (n_0 the input)."""
        return self.widths[l]

    def sigma(self, l: int):
        """The activation of layer l: an :class:`~symgrad.model.activations.Activation`, or
        :data:`SOFTMAX` for a softmax output."""
        return self.activations[l - 1]

    @property
    def softmax_output(self) -> bool:
        return self.cost == SOFTMAX_CE

    @property
    def cost_name(self) -> str:
        return SOFTMAX_CE if self.softmax_output else self.cost.name

    def has_slope(self, l: int) -> bool:
        """Layer l is PReLU: its slope α_l (one per layer, shared by its neurons) is learned."""
        act = self.sigma(l)
        return isinstance(act, Activation) and act.parameter is not None

    def describe(self) -> dict:
        """A JSON-ready description of the network."""
        return {"kind": "dense", "widths": list(self.widths), "depth": self.L,
                "activations": [a.name for a in self.activations], "cost": self.cost_name,
                "samples": self.samples,
                "parameter_count": self.parameter_count()}

    def __repr__(self) -> str:
        names = [a.name for a in self.activations]
        acts = names[0] if len(set(names)) == 1 else names
        return (f"Dense(widths={list(self.widths)}, activations={acts!r}, "
                f"cost={self.cost_name!r}, samples={self.samples})")

    # -- matrix symbols ---------------------------------------------------------------------
    def _sample(self, name: str, i) -> str:
        return name if i is None else f"{name},{i}"

    def W(self, l: int) -> sp.MatrixSymbol:
        """W_l, n_l × n_{l-1}."""
        return sp.MatrixSymbol(f"W_{l}", self.n(l), self.n(l - 1))

    def b(self, l: int) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(f"b_{l}", self.n(l), 1)

    def z(self, l: int, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self._sample(f"z_{l}", i), self.n(l), 1)

    def a(self, l: int, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self._sample(f"a_{l}", i), self.n(l), 1)

    def delta(self, l: int, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self._sample(f"delta_{l}", i), self.n(l), 1)

    def y(self, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(self._sample("y", i), self.n(self.L), 1)

    def alpha(self, l: int) -> sp.Symbol:
        """α_l, the learned slope of a PReLU layer."""
        return _sym(f"alpha_{l}")

    # -- component symbols (1-based j, k; the sample i only when N > 1) --------------------
    def _si(self, i) -> str:
        if self.samples == 1:
            return ""
        return f",{1 if i is None else i}"

    def w_(self, l: int, j: int, k: int) -> sp.Symbol:
        """w^l_{jk}: from neuron k of layer l-1 to neuron j of layer l."""
        return _sym(f"w^{l}_{j},{k}")

    def b_(self, l: int, j: int) -> sp.Symbol:
        return _sym(f"b^{l}_{j}")

    def z_(self, l: int, j: int, i=None) -> sp.Symbol:
        return _sym(f"z^{l}_{j}{self._si(i)}")

    def a_(self, l: int, j: int, i=None) -> sp.Symbol:
        return _sym(f"a^{l}_{j}{self._si(i)}")

    def delta_(self, l: int, j: int, i=None) -> sp.Symbol:
        return _sym(f"delta^{l}_{j}{self._si(i)}")

    def y_(self, j: int, i=None) -> sp.Symbol:
        return _sym(f"y_{j}{self._si(i)}")

    @property
    def sample_range(self) -> range:
        return range(1, self.samples + 1)

    # -- parameters -------------------------------------------------------------------------
    def parameter_names(self) -> list[str]:
        """The parameter arrays in the lecture's order: b_L..b_1, W_L..W_1, α_L..α_1."""
        L = self.L
        out = [f"b_{l}" for l in range(L, 0, -1)] + [f"W_{l}" for l in range(L, 0, -1)]
        out += [f"alpha_{l}" for l in range(L, 0, -1) if self.has_slope(l)]
        return out

    def parameter_shape(self, name: str) -> tuple:
        """(n_l, n_{l-1}) for W_l, (n_l,) for b_l, () for α_l."""
        kind, l = self.parameter(name)
        return {"W": (self.n(l), self.n(l - 1)), "b": (self.n(l),), "alpha": ()}[kind]

    def parameter_count(self) -> int:
        return sum(int(np.prod(self.parameter_shape(p))) for p in self.parameter_names())

    def parameter(self, name: str) -> tuple[str, int]:
        """Split ``"W_3"`` into ``("W", 3)``; a one-line error for anything else.

        >>> Dense([2, 3, 2]).parameter("w_3")
        Traceback (most recent call last):
        ...
        symgrad.errors.UsageError: parameter='w_3': not a parameter of this network; allowed: W_l, b_l for l = 1..2
        """
        kind, _, layer = str(name).partition("_")
        if kind in ("b", "W", "alpha") and layer.isdigit() and 1 <= int(layer) <= self.L:
            l = int(layer)
            if kind != "alpha" or self.has_slope(l):
                return kind, l
        raise UsageError(f"parameter={name!r}: not a parameter of this network; allowed: "
                         f"W_l, b_l for l = 1..{self.L}"
                         + (", alpha_l for the PReLU layers"
                            if any(map(self.has_slope, self.layers)) else ""))

    def components(self, name: str) -> list[tuple]:
        """The component symbols of one parameter array with their indices, row by row."""
        kind, l = self.parameter(name)
        if kind == "W":
            return [((j, k), self.w_(l, j, k)) for j in range(1, self.n(l) + 1)
                    for k in range(1, self.n(l - 1) + 1)]
        if kind == "b":
            return [((j,), self.b_(l, j)) for j in range(1, self.n(l) + 1)]
        return [((), self.alpha(l))]

    # -- forward equations ------------------------------------------------------------------
    def activation_display(self, l: int, i=None) -> sp.MatrixExpr:
        """σ_l(z_l) elementwise (softmax(z_L) for a softmax output)."""
        act = self.sigma(l)
        f = sp.Function(act.name, real=True)
        if self.has_slope(l):
            t = sp.Dummy("z", real=True)
            return ElementwiseApplyFunction(sp.Lambda(t, f(t, self.alpha(l))), self.z(l, i))
        if isinstance(act, Softmax):
            return SoftmaxOf(self.z(l, i))
        return ElementwiseApplyFunction(f, self.z(l, i))

    def forward_equations(self, i=None) -> list[sp.Eq]:
        """z_1, a_1, ..., z_L, a_L in matrix form, network order."""
        eqs = []
        for l in self.layers:
            eqs.append(sp.Eq(self.z(l, i), self.W(l) * self.a(l - 1, i) + self.b(l),
                             evaluate=False))
            eqs.append(sp.Eq(self.a(l, i), self.activation_display(l, i), evaluate=False))
        return eqs

    def forward_components(self, l: int, i=None) -> list[sp.Eq]:
        """z^l_j = Σ_k w^l_{jk} a^{l-1}_k + b^l_j and a^l_j = σ_l(z^l_j), j = 1..n_l."""
        eqs = []
        act = self.sigma(l)
        f = sp.Function(act.name, real=True)
        for j in range(1, self.n(l) + 1):
            z = sp.Add(*[self.w_(l, j, k) * self.a_(l - 1, k, i)
                         for k in range(1, self.n(l - 1) + 1)]) + self.b_(l, j)
            eqs.append(sp.Eq(self.z_(l, j, i), z, evaluate=False))
            if isinstance(act, Softmax):
                zs = [self.z_(l, m, i) for m in range(1, self.n(l) + 1)]
                rhs = sp.exp(self.z_(l, j, i)) / sp.Add(*map(sp.exp, zs))
            elif self.has_slope(l):
                rhs = f(self.z_(l, j, i), self.alpha(l))
            else:
                rhs = f(self.z_(l, j, i))
            eqs.append(sp.Eq(self.a_(l, j, i), rhs, evaluate=False))
        return eqs

    def composed_cost(self) -> sp.Expr:
        """C = Σ_i C_i as one explicit SymPy expression in the inputs a^0_{k}, the targets
        y_j and the parameters, every activation written out.  For proofs at small widths."""
        total = []
        for i in self.sample_range:
            a = [self.a_(0, k, i) for k in range(1, self.n(0) + 1)]
            for l in self.layers:
                act = self.sigma(l)
                z = [sp.Add(*[self.w_(l, j, k) * a[k - 1] for k in range(1, self.n(l - 1) + 1)])
                     + self.b_(l, j) for j in range(1, self.n(l) + 1)]
                if isinstance(act, Softmax):
                    # ln softmax_j(z) = z_j − ln Σ_m exp(z_m)
                    log_s = sp.log(sp.Add(*map(sp.exp, z)))
                    total += [-self.y_(j, i) * (z[j - 1] - log_s) for j in range(1, self.n(l) + 1)]
                    a = None
                    break
                a = [act(zj, self.alpha(l)) for zj in z]
            if a is not None:
                total += [self.cost(a[j - 1], self.y_(j, i)) for j in range(1, self.n(self.L) + 1)]
        return sp.Add(*total)


def _name(a) -> str:
    return a.name if isinstance(a, (Activation, Softmax)) else str(a)


# --- the derivation ---------------------------------------------------------------------------

def _sigma_prime_matrix(act, z, alpha=None):
    """σ'(z_l) applied elementwise: the display form."""
    f = layer_function(act)
    t = sp.Dummy("z", real=True)
    inner = f(t, alpha) if alpha is not None else f(t)
    return ElementwiseApplyFunction(sp.Lambda(t, sp.Derivative(inner, t)), z)


@dataclass(frozen=True)
class DenseDerivation:
    """The closed-form gradients of a :class:`Dense` network, in matrix and component form.

    Display factors are kept unevaluated: σ_l'(z^l_j) as ``Derivative(σ_l(z^l_j), z^l_j)``
    and ∂C/∂a^L_j as ``Derivative(C(a^L_j), a^L_j)``, exactly as :mod:`symgrad.derivation.derivation`
    writes them for a chain; :meth:`concrete` maps them to the activation's and cost's
    closed forms.
    """

    network: Dense
    #: per layer l (index l-1): the matrix form of δ_l
    deltas: tuple

    @property
    def L(self) -> int:
        return self.network.L

    def parameter_names(self) -> list[str]:
        return self.network.parameter_names()

    # -- matrix forms -----------------------------------------------------------------------
    def delta_matrix(self, l: int) -> sp.MatrixExpr:
        """δ_L = ∇_{a_L} C ⊙ σ_L'(z_L) (a_L − y for softmax with cross-entropy);
        δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l)."""
        self._check_layer(l)
        return self.deltas[l - 1]

    def _per_sample(self, term_of_i) -> sp.MatrixExpr:
        net = self.network
        if net.samples == 1:
            return term_of_i(None)
        i = sp.Symbol("i", integer=True, positive=True)
        return SampleSum(term_of_i(i), i, net.samples)

    def gradient_matrix(self, name: str) -> sp.MatrixExpr:
        """∂C/∂b_l = δ_l, ∂C/∂W_l = δ_l a_{l-1}ᵀ (each summed over the samples);
        ∂C/∂α_l = (∂a_l/∂α_l)ᵀ ∂C/∂a_l."""
        net = self.network
        kind, l = net.parameter(name)
        if kind == "b":
            return self._per_sample(lambda i: net.delta(l, i))
        if kind == "W":
            return self._per_sample(lambda i: sp.MatMul(net.delta(l, i),
                                                        sp.Transpose(net.a(l - 1, i))))
        return self._per_sample(lambda i: sp.MatMul(sp.Transpose(self._slope_matrix(l, i)),
                                                    self._dC_da_matrix(l, i)))

    def _slope_matrix(self, l, i):
        net = self.network
        f = layer_function(net.sigma(l))
        t = sp.Dummy("z", real=True)
        return ElementwiseApplyFunction(
            sp.Lambda(t, sp.Derivative(f(t, net.alpha(l)), net.alpha(l))), net.z(l, i))

    def _dC_da_matrix(self, l, i):
        net = self.network
        if l == net.L:
            return CostGradient(net.a(l, i))
        return sp.MatMul(sp.Transpose(net.W(l + 1)), net.delta(l + 1, i))

    # -- component forms --------------------------------------------------------------------
    def sigma_prime(self, l: int, j: int, i=None) -> sp.Expr:
        """σ_l'(z^l_j) as an unevaluated derivative; 1 for a linear layer."""
        net = self.network
        act = net.sigma(l)
        if isinstance(act, Softmax):
            raise UsageError(f"layer={l}: a softmax layer has no elementwise derivative")
        if act.is_linear:
            return sp.Integer(1)  # id'(z) = 1 drops out of every product
        f, z = layer_function(act), net.z_(l, j, i)
        return sp.Derivative(f(z, net.alpha(l)) if net.has_slope(l) else f(z), z)

    def slope_factor(self, l: int, j: int, i=None) -> sp.Expr:
        """∂a^l_j/∂α_l, the learned slope's local factor (PReLU layers)."""
        net = self.network
        f, z = layer_function(net.sigma(l)), net.z_(l, j, i)
        return sp.Derivative(f(z, net.alpha(l)), net.alpha(l))

    def dC_da(self, j: int, i=None) -> sp.Expr:
        """∂C/∂a^L_j of an elementwise cost, unevaluated."""
        a = self.network.a_(self.L, j, i)
        return sp.Derivative(cost_function(a), a)

    def dC_da_component(self, l: int, j: int, i=None) -> sp.Expr:
        """∂C/∂a^l_j = Σ_k w^{l+1}_{kj} δ^{l+1}_k (l < L), ∂C/∂a^L_j at the output."""
        net = self.network
        if l == self.L:
            return self.dC_da(j, i)
        return sp.Add(*[OrderedProduct(net.w_(l + 1, k, j), net.delta_(l + 1, k, i))
                        for k in range(1, net.n(l + 1) + 1)])

    def delta_component(self, l: int, j: int, i=None) -> sp.Expr:
        """δ^l_j in terms of the next layer's δ^{l+1}_k (the recurrence):
        δ^L_j = σ_L'(z^L_j) ∂C/∂a^L_j (a^L_j − y_j for softmax with cross-entropy),
        δ^l_j = σ_l'(z^l_j) Σ_k w^{l+1}_{kj} δ^{l+1}_k."""
        net = self.network
        self._check_layer(l)
        if l == self.L and net.softmax_output:
            return net.a_(l, j, i) - net.y_(j, i)
        sp_ = self.sigma_prime(l, j, i)
        rest = self.dC_da_component(l, j, i)
        return rest if sp_ == 1 else OrderedProduct(sp_, rest)

    def _samples(self):
        return [None] if self.network.samples == 1 else list(self.network.sample_range)

    def weight_gradient(self, l: int, j: int, k: int) -> sp.Expr:
        """∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j, summed over the samples."""
        net = self.network
        return sp.Add(*[OrderedProduct(net.a_(l - 1, k, i), net.delta_(l, j, i))
                        for i in self._samples()])

    def bias_gradient(self, l: int, j: int) -> sp.Expr:
        """∂C/∂b^l_j = δ^l_j, summed over the samples."""
        return sp.Add(*[self.network.delta_(l, j, i) for i in self._samples()])

    def slope_gradient(self, l: int) -> sp.Expr:
        """∂C/∂α_l = Σ_i Σ_j ∂a^l_j/∂α_l ∂C/∂a^l_j."""
        net = self.network
        return sp.Add(*[OrderedProduct(self.slope_factor(l, j, i), self.dC_da_component(l, j, i))
                        for i in self._samples() for j in range(1, net.n(l) + 1)])

    def component_gradients(self, name: str) -> list[tuple]:
        """[(index, parameter symbol, closed form)] for every component of one array."""
        kind, l = self.network.parameter(name)
        out = []
        for idx, sym in self.network.components(name):
            if kind == "W":
                g = self.weight_gradient(l, *idx)
            elif kind == "b":
                g = self.bias_gradient(l, *idx)
            else:
                g = self.slope_gradient(l)
            out.append((idx, sym, g))
        return out

    # -- concrete forms ---------------------------------------------------------------------
    def concrete(self, expr: sp.Expr) -> sp.Expr:
        """Replace every display σ_l'(z^l_j), ∂a^l_j/∂α_l and ∂C/∂a^L_j in ``expr`` by the
        activation's and cost's closed forms (an evaluated expression)."""
        net = self.network

        def closed(d: sp.Derivative):
            inner, (var,) = d.expr, d.variables
            if inner.func == cost_function:
                a = inner.args[0]
                j, i = self._indices(a)
                return net.cost.derivative(a, net.y_(j, i))
            act = next(s for s in net.activations if isinstance(s, Activation)
                       and s.name == inner.func.__name__)
            z = inner.args[0]
            alpha = inner.args[1] if len(inner.args) > 1 else None
            if var == z:
                return act.derivative(z, alpha)
            return act.parameter_derivative(z, alpha)

        expr = expr.doit(deep=False) if isinstance(expr, OrderedProduct) else expr
        expr = expr.replace(lambda e: isinstance(e, OrderedProduct), lambda e: e.doit(deep=False))
        return expr.replace(lambda e: isinstance(e, sp.Derivative), closed)

    def _indices(self, a: sp.Symbol) -> tuple:
        # a^L_j or a^L_j,i
        rest = a.name.split("_", 1)[1].split(",")
        return int(rest[0]), (int(rest[1]) if len(rest) > 1 else None)

    @cached_property
    def _expanded(self) -> dict:
        return {}

    def delta_expanded(self, l: int, j: int, i=None) -> sp.Expr:
        """δ^l_j with every δ^{l+1} substituted: an evaluated expression in the display
        factors (σ', ∂C/∂a^L), the weights and the outputs a^L (small widths only: its size
        grows as the product of the later widths)."""
        key = (l, j, i)
        if key not in self._expanded:
            net = self.network
            e = self.delta_component(l, j, i)
            if l < self.L:
                e = e.xreplace({net.delta_(l + 1, k, i): self.delta_expanded(l + 1, k, i)
                                for k in range(1, net.n(l + 1) + 1)})
            self._expanded[key] = e.doit(deep=False) if isinstance(e, OrderedProduct) else e
        return self._expanded[key]

    def _check_layer(self, l):
        if not (isinstance(l, int) and 1 <= l <= self.L):
            raise UsageError(f"layer={l!r}: must be 1..{self.L}")


def derive_dense(network: Dense) -> DenseDerivation:
    """The four backpropagation equations of a dense network (one pure function).

    >>> d = derive_dense(Dense([3, 2, 2, 1], activations=["tanh", "tanh", "linear"], cost="sse"))
    >>> d.delta_matrix(3)
    nabla_a_3 C
    >>> d.delta_component(3, 1)
    Derivative(C(a^3_1), a^3_1)
    >>> d.concrete(d.delta_component(3, 1))
    2*a^3_1 - 2*y_1
    """
    if not isinstance(network, Dense):
        raise UsageError(f"network={network!r}: must be a Dense network")
    net = network
    L = net.L
    deltas = [None] * L
    for l in range(L, 0, -1):
        act = net.sigma(l)
        alpha = net.alpha(l) if net.has_slope(l) else None
        if l == L:
            if net.softmax_output:
                deltas[l - 1] = sp.MatAdd(net.a(L), -net.y())  # δ_L = a_L − y
                continue
            rest = CostGradient(net.a(L))                          # ∇_{a_L} C
        else:
            rest = sp.MatMul(sp.Transpose(net.W(l + 1)), net.delta(l + 1))  # W_{l+1}ᵀ δ_{l+1}
        # δ_l = rest ⊙ σ_l'(z_l); a linear layer's σ' = 1 drops out
        deltas[l - 1] = rest if act.is_linear else \
            sp.HadamardProduct(rest, _sigma_prime_matrix(act, net.z(l), alpha))
    return DenseDerivation(network=net, deltas=tuple(deltas))
