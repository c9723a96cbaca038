"""What a document of a derivation prints, as SymPy expressions for the printers.

* :func:`gradient_form` -- ∂C/∂p of one parameter: a chain's ordered product (written out or
  in terms of the next δ, symbolic or concrete), a dense network's matrix form;
* :func:`matrix_equations` -- a dense layer's four equations in matrix form;
* :func:`generic_components` -- the same with generic indices j, k (and the sample i):
  δ^l_j = σ_l'(z^l_j) Σ_k w^{l+1}_{kj} δ^{l+1}_k, ∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j, ...;
* :class:`FactorPrinter` -- the factors of a chain's products printed once per kind of
  factor: σ'(z_l), w_l, a_l, δ_l (symbolic or concrete) are printed for a placeholder layer
  ``★`` and the printed layer index put in its place, so printing all 2L closed forms costs
  time in proportion to the text written, not to SymPy's printer per factor.

>>> from symgrad import Dense, derive
>>> from symgrad.printing.printers import latex
>>> lhs, rhs = generic_components(derive(Dense([2, 3, 2])), 1)["delta"]
>>> print(latex(lhs), "=", latex(rhs))
\\delta^{1}_{j} = \\sigma_{1}'(z^{1}_{j}) \\sum_{k} w^{2}_{kj} \\delta^{2}_{k}
"""
from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp

from symgrad.derivation import Derivation, OrderedProduct
from symgrad.errors import UsageError
from symgrad.model.activations import Softmax
from symgrad.model.network import cost_function
from symgrad.printing.printers import layer_activation

__all__ = ["FORMS", "PLACEHOLDER", "IndexSum", "gradient_lhs", "gradient_form",
           "matrix_equations", "generic_components", "FactorPrinter"]

#: the two forms a chain's gradient is printed in: every factor written out, or in terms of
#: the next layer's δ
FORMS = ("expanded", "recurrence")
#: the layer index of a template, replaced by the printed index of each layer
PLACEHOLDER = "★"
#: a chain's layer symbol: kind and layer (``w_12``, ``delta_3``)
_CHAIN_SYMBOL = re.compile(r"^(z|a|w|b|alpha|delta)_(\d+)$")
_COST = sp.Symbol("C", real=True)


class IndexSum(sp.Expr):
    """Σ over every value of an index (Σ_k over a layer's units), or Σ_{i=1}^{N} over the
    samples when ``count`` is given: the sums of the generic component forms."""

    is_commutative = True

    def __new__(cls, term, index, count=None):
        args = (term, index) if count is None else (term, index, sp.sympify(count))
        return sp.Basic.__new__(cls, *args)

    @property
    def term(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]

    @property
    def count(self):
        return self.args[2] if len(self.args) > 2 else None


def gradient_lhs(parameter: str) -> sp.Derivative:
    """∂C/∂parameter as an unevaluated derivative of the cost symbol C."""
    return sp.Derivative(_COST, sp.Symbol(parameter, real=True))


def gradient_form(d: Derivation, parameter: str, concrete: bool | str = False,
                  form: str = "expanded") -> sp.Expr:
    """∂C/∂parameter as printed: a chain's ordered product (``concrete`` substitutes σ' and
    ∂C/∂a_L, ``"a"`` writes σ' with the outputs a_l), a dense network's matrix form."""
    if form not in FORMS:
        raise UsageError(f"form={form!r}: must be one of {', '.join(FORMS)}")
    if not d.network.is_chain:
        if concrete:
            raise UsageError(f"concrete={concrete!r}: a dense network's matrix forms keep "
                             "σ' and ∇C symbolic; concrete forms are printed for chains")
        return d.gradient_matrix(parameter)
    factors = d.factors(parameter) if form == "expanded" else \
        tuple(f for f in d.recurrence_form(parameter).args if f is not sp.S.One)
    if concrete:
        factors = [d.concrete(f, in_a=(concrete == "a")) for f in factors]
    return OrderedProduct(*factors)


def matrix_equations(d: Derivation, l: int) -> list[tuple]:
    """Layer l's equations as (label, lhs, rhs): δ_l, ∂C/∂b_l, ∂C/∂W_l (and ∂C/∂α_l) in
    matrix form."""
    net = d.network
    rows = [("delta", net.delta(l), d.delta_matrix(l))]
    names = [("b", f"b_{l}"), ("W", f"W_{l}")] + \
        ([("alpha", f"alpha_{l}")] if net.has_slope(l) else [])
    return rows + [(label, gradient_lhs(name), d.gradient_matrix(name)) for label, name in names]


def generic_components(d: Derivation, l: int) -> dict:
    """Layer l's component forms with generic indices, as {label: (lhs, rhs)}::

        δ^L_j = σ_L'(z^L_j) ∂C/∂a^L_j  (a^L_j − y_j for softmax with cross-entropy)
        δ^l_j = σ_l'(z^l_j) Σ_k w^{l+1}_{kj} δ^{l+1}_k
        ∂C/∂b^l_j = Σ_i δ^l_{j,i},     ∂C/∂w^l_{jk} = Σ_i a^{l-1}_{k,i} δ^l_{j,i}

    (the sums over the samples i only when the loss has N > 1; σ_l' = 1 drops out on a
    linear layer)."""
    net = d.network
    act = net.sigma(l)
    i = ",i" if net.samples > 1 else ""

    def sym(name):
        return sp.Symbol(name, real=True)

    def over_samples(term):
        return IndexSum(term, sym("i"), sym("N")) if net.samples > 1 else term

    delta = sym(f"delta^{l}_j{i}")
    if l == net.L and net.softmax_output:
        rhs = sym(f"a^{l}_j{i}") - sym(f"y_j{i}")
    else:
        if l == net.L:
            a = sym(f"a^{l}_j{i}")
            rest = sp.Derivative(cost_function(a), a)
        else:
            rest = IndexSum(OrderedProduct(sym(f"w^{l + 1}_kj"), sym(f"delta^{l + 1}_k{i}")),
                            sym("k"))
        z = sym(f"z^{l}_j{i}")
        linear = not isinstance(act, Softmax) and act.is_linear
        rhs = rest if linear else \
            OrderedProduct(sp.Derivative(layer_activation(l)(z), z), rest)
    return {
        "delta": (delta, rhs),
        "b": (gradient_lhs(f"b^{l}_j"), over_samples(delta)),
        "W": (gradient_lhs(f"w^{l}_jk"),
              over_samples(OrderedProduct(sym(f"a^{l - 1}_k{i}"), delta))),
    }


class FactorPrinter:
    """A printer's output for the factors of a chain's closed forms, each kind printed once.

    σ'(z_l), ∂a_l/∂α_l, w_l, a_l, δ_l and ∂C/∂p_l of a layer 0 < l < L are printed once
    for the placeholder layer ★ (symbolic, or concrete through ``d.concrete``) and the
    layer's index put in the placeholder's place: the printer wrote ``z_{★}`` where it
    writes ``z_{l}``.  The input and output layers (x and ŷ in the matrix notation) and
    every other expression are printed as they stand, each once.

    >>> from symgrad import Chain, derive
    >>> from symgrad.printing.printers import NielsenTextPrinter
    >>> d = derive(Chain(depth=4))
    >>> FactorPrinter(NielsenTextPrinter(), d, concrete="a").product(d.closed_form("b_2"))
    'a_2 (1 - a_2) w_3 a_3 (1 - a_3) w_4 a_4 (1 - a_4) (a_4 - y)'
    """

    def __init__(self, printer, d: Derivation, concrete: bool | str = False):
        self.printer, self.d, self.concrete = printer, d, concrete
        self._templates: dict = {}
        self._printed: dict = {}

    @staticmethod
    @lru_cache(maxsize=1 << 16)
    def _shape(e):
        """(kind of expression, layer) of a one-layer factor; None for anything else."""
        if isinstance(e, sp.Symbol):
            m = _CHAIN_SYMBOL.match(e.name)
            return (("symbol", m.group(1)), int(m.group(2))) if m else None
        if not isinstance(e, sp.Derivative) or len(e.args) != 2 or e.args[1][1] != 1:
            return None
        inner, var = e.expr, e.args[1][0]
        m = _CHAIN_SYMBOL.match(getattr(var, "name", ""))
        if m is None:
            return None
        kind, layer = m.groups()
        if isinstance(inner, sp.Symbol) and inner.name == "C":     # ∂C/∂p_l
            return ("gradient", kind), int(layer)
        names = [getattr(a, "name", None) for a in inner.args]
        if not isinstance(inner, sp.core.function.AppliedUndef) or \
                names not in ([f"z_{layer}"], [f"z_{layer}", f"alpha_{layer}"]):
            return None
        return ("derivative", inner.func.__name__, kind, len(names)), int(layer)  # σ'(z_l)

    @staticmethod
    def _twin(key) -> sp.Expr:
        """The expression of a kind at the placeholder layer."""
        def sym(kind):
            return sp.Symbol(f"{kind}_{PLACEHOLDER}", real=True)
        if key[0] == "symbol":
            return sym(key[1])
        if key[0] == "gradient":
            return sp.Derivative(_COST, sym(key[1]))
        _, function, kind, arity = key
        args = (sym("z"), sym("alpha"))[:arity]
        return sp.Derivative(sp.Function(function, real=True)(*args), sym(kind))

    def _value(self, e, concrete) -> sp.Expr:
        return self.d.concrete(e, in_a=(concrete == "a")) if concrete else e

    def _print(self, e, as_factor: bool, concrete) -> str:
        write = self.printer.print_factor if as_factor else self.printer.doprint
        shape = self._shape(e)
        if shape is None or not 0 < shape[1] < self.d.L:
            key = (as_factor, concrete, e)
            if key not in self._printed:
                self._printed[key] = write(self._value(e, concrete))
            return self._printed[key]
        key, layer = (as_factor, concrete, shape[0]), shape[1]
        parts = self._templates.get(key)
        if parts is None:
            twin = self._value(self._twin(shape[0]), concrete)
            parts = self._templates[key] = write(twin).split(PLACEHOLDER)
        return str(layer).join(parts)

    def expression(self, e) -> str:
        """``e`` printed whole and as it stands (the left-hand side ∂C/∂b_l of an
        equation)."""
        return self._print(e, as_factor=False, concrete=False)

    def product(self, expr: OrderedProduct) -> str:
        """An ordered product, factor by factor, concrete where the printer is (a single
        factor as the printer writes it)."""
        if len(expr.args) == 1:
            return self.printer.doprint(OrderedProduct(self._value(expr.args[0], self.concrete)))
        return self.printer.separator.join(self._print(f, True, self.concrete)
                                           for f in expr.args)
