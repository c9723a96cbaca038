"""The derivation's printed closed forms, evaluated at high precision: what ``symgrad check``
calls ``closed_form`` is exactly what ``symgrad derive`` prints.

* **A chain**: every closed form is a product of the factors in :attr:`Derivation.tail`
  (w_1, σ'(z_1), ..., w_L, σ'(z_L), ∂C/∂a_L) and :meth:`Derivation.factors` gives each one's
  factors.  Each display factor goes through :meth:`Derivation.concrete` and is compiled once
  per shape (σ'(z_3) and σ'(z_7) share one function: the form with its symbols as
  placeholders), then evaluated at the forward pass's values of *its own* symbols.  Suffix
  products of the tail give all 2L gradients in time linear in depth; a closed form that is
  not a suffix of the tail (a factor dropped, doubled or taken from another layer) is
  multiplied out factor by factor.
* **Any other network**: the matrix forms :meth:`Derivation.delta_matrix` and
  :meth:`Derivation.gradient_matrix` are evaluated by walking their SymPy trees (MatMul,
  Transpose, HadamardProduct, ElementwiseApplyFunction, CostGradient, SampleSum, MatAdd) with
  the matrix symbols bound to arrays of MPFR numbers, sample by sample: a missing transpose or
  a wrong factor changes the numbers (or the shapes, which is an error).

>>> import mpmath
>>> from symgrad.model.network import Chain
>>> d = derive(Chain(depth=2))
>>> g = mp_gradients(d, {"w_1": "0.5", "b_1": "-0.25", "w_2": "1.5", "b_2": "0.125"},
...                  {"a_0": "1", "y": "0"}, digits=30)
>>> mpmath.nstr(g["b_1"], 20)
'0.053377456713818993627'
"""
from __future__ import annotations

import operator
from fractions import Fraction
from functools import lru_cache
from typing import Mapping

import gmpy2
import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symgrad.derivation import CostGradient, Derivation, SampleSum, derive
from symgrad.errors import UsageError
from symgrad.numeric.highprec import (compile_mpfr, cost_value, elementwise, forward_values,
                                      mpf_nested, mpfr_array, to_mpf, to_mpfr, working)
from symgrad.numeric.points import (DEFAULT_DIGITS, GUARD_DIGITS, Point, network_of,
                                    parse_digits, read_point)

__all__ = ["closed_form_gradients", "mp_gradients", "mp_forward", "gradients_mp",
           "gradients_mp_decimal"]


def derivation_of(network_or_derivation) -> Derivation:
    if isinstance(network_or_derivation, Derivation):
        return network_or_derivation
    return derive(network_of(network_or_derivation))


class _Forms:
    """Closed forms compiled to MPFR once per shape: a form with its own symbols (sorted by
    name) replaced by placeholders is the key, so σ'(z_3) and σ'(z_7) share one function."""

    def __init__(self, d: Derivation):
        self.d, self.compiled = d, {}
        self.slots = sp.symbols("t0:64", real=True)

    def _template(self, expr: sp.Expr, first) -> tuple:
        own = list(first) + sorted(expr.free_symbols - set(first), key=lambda s: s.name)
        return expr.xreplace(dict(zip(own, self.slots))), own

    def display(self, factor: sp.Expr, first=()) -> tuple:
        """(function, symbols) of a display factor (σ'(z_3), ∂C/∂a_L, ...): its closed form
        by :meth:`Derivation.concrete` as a function of the values of ``symbols``."""
        template, own = self._template(factor, first)
        if template not in self.compiled:
            concrete = self.d.concrete(template)
            extra = sorted(concrete.free_symbols - set(self.slots[:len(own)]),
                           key=lambda s: s.name)
            self.compiled[template] = (_compiled(tuple(self.slots[:len(own)]) + tuple(extra),
                                                 concrete), extra)
        f, extra = self.compiled[template]
        return f, own + extra

    def expression(self, expr: sp.Expr, first=()) -> tuple:
        """(function, symbols) of an expression already concrete."""
        template, own = self._template(expr, first)
        if template not in self.compiled:
            self.compiled[template] = (_compiled(tuple(self.slots[:len(own)]), template), [])
        return self.compiled[template][0], own


@lru_cache(maxsize=1024)
def _compiled(args: tuple, expr: sp.Expr):
    return compile_mpfr(args, expr)


def _number(e: sp.Expr):
    return to_mpfr(Fraction(int(e.p), int(e.q))) if e.is_Rational else to_mpfr(str(e.evalf(60)))


# --- a chain: the ordered products ---------------------------------------------------------

class _Factors:
    """The value of each display factor of a chain at one forward pass."""

    def __init__(self, d: Derivation, values: dict, forms: _Forms):
        self.d, self.values, self.forms, self.cache = d, values, forms, {}

    def __call__(self, factor: sp.Expr):
        if factor in self.cache:
            return self.cache[factor]
        if factor.is_Symbol:
            value = self.values[factor]
        elif factor.is_Number:
            value = _number(factor)
        else:
            f, symbols = self.forms.display(factor)
            missing = [s for s in symbols if s not in self.values]
            if missing:
                raise UsageError(f"factor={factor}: its closed form refers to {missing[0]}, "
                                 "which is not a symbol of the forward pass")
            value = f(*[self.values[s] for s in symbols])
        self.cache[factor] = value
        return value


def _chain_sample(d: Derivation, point: Point, s: int, z, a, names, forms: _Forms) -> dict:
    net, row = d.network, (s, 0)
    p = point.parameters
    values = {net.a_(0): a[0][row], net.y_(): to_mpfr(point.inputs["y"][row])}
    for l in net.layers:
        values[net.w_(l)] = to_mpfr(p[f"w_{l}"][0, 0])
        values[net.b_(l)] = to_mpfr(p[f"b_{l}"][0])
        values[net.z_(l)], values[net.a_(l)] = z[l][row], a[l][row]
        if net.has_slope(l):
            values[net.alpha(l)] = to_mpfr(p[f"alpha_{l}"][()])
    value = _Factors(d, values, forms)
    tail = [f for f in d.tail if f is not sp.S.One]
    suffix = [gmpy2.mpfr(1)] * (len(tail) + 1)
    for k in range(len(tail) - 1, -1, -1):   # suffix[k] = Π tail[k:]
        suffix[k] = value(tail[k]) * suffix[k + 1]
    out = {}
    for name in names:
        factors = d.factors(name)
        out[name] = _product(factors, tail, suffix, value)
    return out


def _product(factors: tuple, tail: list, suffix: list, value):
    """Π factors: a head of at most two factors times a suffix of the tail where the factors
    end with one (the same objects), else factor by factor."""
    for h in range(min(len(factors), 2) + 1):
        rest, k = factors[h:], len(tail) - (len(factors) - h)
        if k >= 0 and all(map(operator.is_, rest, tail[k:])):
            out = suffix[k]
            for f in reversed(factors[:h]):
                out = value(f) * out
            return out
    out = gmpy2.mpfr(1)
    for f in factors:
        out = out * value(f)
    return out


# --- any network: the matrix forms ---------------------------------------------------------

class _Tree:
    """The matrix forms of one derivation evaluated at one forward pass, sample by sample."""

    def __init__(self, d: Derivation, point: Point, z, a, forms: _Forms):
        net = self.net = d.network
        self.d, self.point, self.forms, self.z, self.a = d, point, forms, z, a
        p = point.parameters
        self.W = [None] + [mpfr_array(p[f"W_{l}"]) for l in net.layers]
        self.b = [None] + [mpfr_array(p[f"b_{l}"]).reshape(-1, 1) for l in net.layers]
        self.scalars = {net.alpha(l): to_mpfr(p[f"alpha_{l}"][()])
                        for l in net.layers if net.has_slope(l)}
        self.y = mpfr_array(point.inputs["y"])
        self.names: dict = {}
        self.deltas: dict = {}
        self.dC_da: dict = {}
        self._name(None)

    def _name(self, tag) -> None:
        net = self.net
        self.names[net.y(tag).name] = ("y", 0)
        self.names[net.a(0, tag).name] = ("a", 0)
        for l in net.layers:
            for kind, symbol in (("W", net.W(l)), ("b", net.b(l)), ("z", net.z(l, tag)),
                                 ("a", net.a(l, tag)), ("delta", net.delta(l, tag))):
                self.names[symbol.name] = (kind, l)

    def symbol(self, name: str, s: int):
        kind, l = self.names[name]
        if kind in ("W", "b"):
            return getattr(self, kind)[l]
        if kind == "delta":
            if (l, s) not in self.deltas:
                self.deltas[l, s] = self.evaluate(self.d.delta_matrix(l), s)
            return self.deltas[l, s]
        rows = self.y if kind == "y" else getattr(self, kind)[l]
        return rows[s].reshape(-1, 1)

    def evaluate(self, e, s: int):
        """The value of a matrix expression for sample s (0-based)."""
        if isinstance(e, sp.MatrixSymbol):
            return self.symbol(e.name, s)
        if isinstance(e, sp.Transpose):
            return self.evaluate(e.arg, s).T
        if isinstance(e, (sp.MatMul, sp.HadamardProduct, sp.MatAdd)):
            values = [self.evaluate(f, s) for f in e.args]
            out = values[0]
            for v in values[1:]:
                if isinstance(e, sp.MatAdd):
                    out = out + v
                elif isinstance(e, sp.HadamardProduct) or not (
                        isinstance(out, np.ndarray) and isinstance(v, np.ndarray)):
                    out = _same_shape(out, v, e) * v
                else:
                    out = out @ v
            return out
        if isinstance(e, ElementwiseApplyFunction):
            return self.apply(e.function, self.evaluate(e.expr, s))
        if isinstance(e, CostGradient):
            return self.cost_gradient(self.evaluate(e.output, s), s)
        if isinstance(e, SampleSum):
            if e.index.name not in {k.split(",")[-1] for k in self.names}:
                self._name(e.index)
            return sum(self.evaluate(e.term, i) for i in range(int(e.count)))
        if isinstance(e, sp.Expr) and e.is_Number:
            return _number(e)
        raise UsageError(f"closed form: cannot evaluate {type(e).__name__} {e}")

    def apply(self, function: sp.Lambda, X):
        """σ'(z) (or ∂a/∂α) entry by entry: the Lambda's body through concrete."""
        (t,) = function.variables
        f, symbols = self.forms.display(function.expr, first=[t])
        extra = [self._scalar(sym, function) for sym in symbols[1:]]
        return elementwise(lambda x: f(x, *extra), X)

    def _scalar(self, sym, where):
        if sym not in self.scalars:
            raise UsageError(f"closed form {where}: refers to {sym}, which has no value here")
        return self.scalars[sym]

    def cost_gradient(self, A, s: int):
        """∇_{a_L} C: ∂C/∂a^L_j through concrete, at the entries of A and y."""
        net, L, out = self.net, self.net.L, np.empty(A.shape, dtype=object)
        for j in range(A.shape[0]):
            a_sym, y_sym = net.a_(L, j + 1), net.y_(j + 1)
            if j not in self.dC_da:  # ∂C/∂a^L_j names its own y_j: concrete before the template
                self.dC_da[j] = self.d.concrete(self.d.dC_da(j + 1))
            f, symbols = self.forms.expression(self.dC_da[j], first=[a_sym, y_sym])
            extra = [self._scalar(sym, "dC/da") for sym in symbols[2:]]
            out[j, 0] = f(A[j, 0], self.y[s, j], *extra)
        return out

    def gradients(self, names) -> dict:
        net, out = self.net, {}
        per_sample = self.net.samples == 1   # one sample's forms, summed over the rows
        rows = range(self.point.samples) if per_sample else [0]
        for name in names:
            value = sum(self.evaluate(self.d.gradient_matrix(name), s) for s in rows)
            out[name] = value.reshape(net.parameter_shape(name))
        return out


def _same_shape(x, v, e):
    if isinstance(x, np.ndarray) and isinstance(v, np.ndarray) and x.shape != v.shape:
        raise UsageError(f"closed form {e}: shapes {x.shape} and {v.shape} do not match")
    return x


# --- the public functions ------------------------------------------------------------------

def closed_form_gradients(d: Derivation, point: Point, digits: int, names=None) -> dict:
    """``{"cost": C, name: value}`` from the printed closed forms at ``digits`` working digits,
    every value an object array of MPFR numbers in its parameter's shape."""
    net = d.network
    names = list(net.parameter_names() if names is None else names)
    forms = _Forms(d)
    with working(digits):
        z, a = forward_values(point)
        out = {"cost": cost_value(point, a[-1])}
        if net.is_chain:
            for s in range(point.samples):
                g = _chain_sample(d, point, s, z, a, names, forms)
                out.update({n: out.get(n, 0) + np.full(net.parameter_shape(n), v, dtype=object)
                            for n, v in g.items()})
        else:
            if net.samples > 1 and point.samples != net.samples:
                raise UsageError(f"a_0: {point.samples} rows given; the loss of {net!r} sums "
                                 f"over {net.samples} samples")
            out.update(_Tree(d, point, z, a, forms).gradients(names))
    return out


def mp_gradients(d, parameters: Mapping, inputs: Mapping, *,
                 digits: int = DEFAULT_DIGITS) -> dict:
    """The cost and every ∂C/∂θ from the closed forms, at ``digits`` + 10 guard digits, as
    mpf: numbers for a chain, nested lists in the parameters' shapes otherwise.  Decimal
    strings are read exactly at that precision.

    >>> from symgrad.model.network import Chain
    >>> g = mp_gradients(derive(Chain(depth=1)), {"w_1": 2, "b_1": "-1"}, {"a_0": "0.5", "y": 1})
    >>> g["cost"], g["b_1"], g["w_1"]          # σ'(0) = 1/4, a_1 − y = −1/2
    (mpf('0.125'), mpf('-0.125'), mpf('-0.0625'))
    """
    d = derivation_of(d)
    digits = parse_digits(digits)
    point = read_point(d.network, parameters, inputs)
    g = closed_form_gradients(d, point, digits + GUARD_DIGITS)
    if d.network.is_chain:
        return {n: to_mpf(np.ravel(v)[0]) for n, v in g.items()}
    return {n: mpf_nested(v) for n, v in g.items()}


def mp_forward(d, parameters: Mapping, inputs: Mapping, *, digits: int = DEFAULT_DIGITS):
    """z_l and a_l for l = 0..L (``z[0]`` is None) at ``digits`` + 10 guard digits: mpf for a
    chain, N rows of mpf otherwise.

    >>> from symgrad.model.network import Chain
    >>> z, a = mp_forward(derive(Chain(depth=1)), {"w_1": 2, "b_1": "-1"}, {"a_0": "0.5", "y": 0})
    >>> z[1], a[1]
    (mpf('0.0'), mpf('0.5'))
    """
    net = network_of(d)
    point = read_point(net, parameters, inputs)
    with working(parse_digits(digits) + GUARD_DIGITS):
        z, a = forward_values(point)
    if net.is_chain and point.samples == 1:
        return [None] + [to_mpf(v[0, 0]) for v in z[1:]], [to_mpf(v[0, 0]) for v in a]
    return [None] + [mpf_nested(v) for v in z[1:]], [mpf_nested(v) for v in a]


def gradients_mp(network, params: Mapping, x, y, *, dps: int = 50) -> dict:
    """Every gradient from the closed forms at ``dps`` digits, the loss summed over the rows of
    ``x`` and ``y``, as nested lists of mpf in the parameters' shapes."""
    d = derivation_of(network)
    g = closed_form_gradients(d, read_point(d.network, params, {"a_0": x, "y": y}),
                              parse_digits(dps, "dps"))
    return {n: mpf_nested(v) for n, v in g.items() if n != "cost"}


def gradients_mp_decimal(network, params: Mapping, x, y, *, dps: int = 50) -> dict:
    """Like :func:`gradients_mp` with the cost (``"cost"``), every value read exactly as
    given (decimal strings, ints, Fractions, mpf), never through a float: test vectors are
    computed from this.

    >>> import mpmath
    >>> from symgrad.model.network import Dense
    >>> g = gradients_mp_decimal(Dense([1, 1], "linear"), {"w_1": [["0.1"]], "b_1": ["0"]},
    ...                          [["3"]], [["0"]], dps=30)
    >>> # z = 0.3 exactly as written, C = z²/2: ∂C/∂w = z a_0 = 0.9, ∂C/∂b = z, C = 0.045
    >>> [mpmath.nstr(v, 25) for v in (g["w_1"][0][0], g["b_1"][0], g["cost"])]
    ['0.9', '0.3', '0.045']
    """
    d = derivation_of(network)
    g = closed_form_gradients(d, read_point(d.network, params, {"a_0": x, "y": y}),
                              parse_digits(dps, "dps"))
    return {n: mpf_nested(v) for n, v in g.items()}
