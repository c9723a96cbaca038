"""The correctness oracle: reference gradients for any implementation, and test vectors.

Three things, all asking the :class:`~symgrad.derivation.derivation.Derivation` (through
:mod:`symgrad.numeric.chain`'s mpmath recurrence), never re-deriving anything:

* :func:`reference` -- the cost and every ∂C/∂θ of a network at given parameters and
  inputs, to ``digits`` significant digits (default 50) at any depth; magnitudes far below
  1e-308 stay exact decimals.
* :func:`assert_gradients_close` -- judges another implementation's gradients (a dict by
  parameter name, or ``{"w": [...], "b": [...]}`` in layer order; NumPy, Python floats,
  torch tensors, decimal strings) against the reference with tolerances that are

  - *relative*: a 1e-30 gradient is checked as strictly as a 1e-1 one;
  - *condition-aware*: rounding in a correct float implementation is amplified where units
    saturate (``1 - tanh²`` cancels), so each gradient gets ``c · Σ ρ`` over the factors of
    its closed form, ρ the relative error that factor carries in the dtype's arithmetic
    (see :func:`tolerances`), floored at 1e-12 for float64 and scaled by the dtype's eps;
  - *exact about zeros*: a gradient that is exactly 0 (a dead ReLU) must be exactly 0.

* test vectors (:func:`make_vectors`, :func:`read_vectors`, :func:`verify_results`): JSON
  files other languages read, every number a decimal string with D significant digits, every
  gradient correct to D digits for the inputs exactly as written.

>>> from symgrad.model.network import Chain
>>> net = Chain(depth=3)
>>> point = {"b_3": "0.5", "b_2": "-1", "b_1": "0.25", "w_3": "2", "w_2": "-0.5", "w_1": "1.5"}
>>> ref = reference(net, point, {"a_0": "1", "y": "0"}, digits=30)
>>> ref.decimal("b_1")
'-2.88297568686723479789167117584e-3'
>>> good = {name: float(value) for name, value in ref.gradients.items()}
>>> assert_gradients_close(good, ref).passed
True
>>> bad = dict(good, b_1=good["b_1"] * 1.001)
>>> assert_gradients_close(bad, ref)
Traceback (most recent call last):
...
AssertionError: gradients differ from the reference at 1 of 6 (Chain(depth=3, activation='sigmoid', cost='quadratic')); in backpropagation order, the first is
  dC/db_1 (layer 1): expected -2.882975686867235e-3, actual -2.885858662554102e-3, relative error 1.0e-3 > tolerance 1.0e-12 (condition-aware, float64)
"""
from __future__ import annotations

import json
import math
import numbers
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp
from mpmath import libmp

from symgrad.model.activations import Activation
from symgrad.errors import UsageError
from symgrad.model.costs import Cost
from symgrad.model.network import Dense, Network
from symgrad.model.activations import Softmax
from symgrad.derivation import Derivation, derive
from symgrad.numeric.dense import gradients_mp_decimal, random_batch, random_parameters
from symgrad.model.network import Chain
from symgrad.numeric.chain import MAX_DIGITS, check_digits, mp_forward, mp_gradients, mp_point, random_point

__all__ = [
    "DEFAULT_DIGITS",
    "SAFETY",
    "FLOOR_FLOAT64",
    "DENSE_RTOL",
    "VECTORS_FORMAT",
    "RESULTS_FORMAT",
    "Reference",
    "reference",
    "tolerances",
    "Entry",
    "Comparison",
    "compare_gradients",
    "assert_gradients_close",
    "decimal_string",
    "network_from_description",
    "describe_network",
    "make_vectors",
    "vectors_text",
    "read_json",
    "read_vectors",
    "read_results",
    "Disagreement",
    "VerifyReport",
    "verify_results",
]

#: digits of a reference when none are asked for
DEFAULT_DIGITS = 50
#: c in c · Σ ρ: how many times the first-order rounding estimate a gradient may be off
SAFETY = 8.0
#: the least relative tolerance for float64; other dtypes scale it by their eps
FLOOR_FLOAT64 = 1e-12
VECTORS_FORMAT = "symgrad-vectors/1"
RESULTS_FORMAT = "symgrad-results/1"

_EPS64 = float(np.finfo(np.float64).eps)

#: the default tolerance of ``verify`` for dense networks, per dtype of the implementation:
#: |got − expected| relative to the largest |expected| entry of the same array (the scale
#: dense_numeric.compare_gradients uses; a float64 backprop stays below 1e-12 there)
DENSE_RTOL = {"float64": 1e-10, "float32": 1e-4, "float16": 5e-2, "bfloat16": 5e-2}


# --- decimals --------------------------------------------------------------------------------

def decimal_string(x, digits: int) -> str:
    """``x`` in scientific notation with exactly ``digits`` significant digits; an exact
    zero is ``"0"``.  The exponent has no bound (1e-1000 is fine).

    >>> decimal_string(mpmath.mpf(1) / 3, 5), decimal_string(0, 5), decimal_string(-2.5, 3)
    ('3.3333e-1', '0', '-2.50e+0')
    >>> with mpmath.workdps(30):
    ...     decimal_string(mpmath.mpf(10) ** -1000 * 7, 4)
    '7.000e-1000'
    """
    if not hasattr(x, "_mpf_"):
        with mpmath.workdps(max(int(digits), 17) + 10):  # floats convert exactly
            x = mpmath.mpf(x)
    if x == 0:
        return "0"
    if not mpmath.isfinite(x):
        raise ValueError(f"x={x}: not a finite number")
    return libmp.to_str(x._mpf_, int(digits), strip_zeros=False, min_fixed=1, max_fixed=0,
                        show_zero_exponent=True)


_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _parse_number(value, place: str) -> mpmath.mpf:
    """A JSON number or a decimal string, read at the current precision; anything else
    (NaN, inf, text, booleans, null) is a one-line UsageError naming the place."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return mpmath.mpf(value.strip())
    raise UsageError(f"{place}={value!r}: must be a finite decimal number such as 1.25e-3 "
                     "(NaN, infinity, text, true/false and null are not numbers)")


# --- the reference ------------------------------------------------------------------------

def _derivation(network) -> Derivation:
    if isinstance(network, Derivation):
        return network
    if (isinstance(network, Network) and network.is_chain):
        return derive(network)
    raise UsageError(f"network={network!r}: must be a Chain or a Derivation")


@dataclass(frozen=True)
class Reference:
    """The exact side of a comparison: forward pass, cost and gradients as mpmath numbers.

    ``z[l]``, ``a[l]`` for l = 0..L (``z[0]`` is None); ``gradients`` in the lecture's order
    (b_L..b_1, w_L..w_1, α_L..α_1), each correct to ``digits`` significant digits.
    """

    derivation: Derivation
    digits: int
    cost: mpmath.mpf
    gradients: dict
    #: the parameters and inputs as given (numbers or decimal strings)
    point: tuple = field(repr=False)
    #: the forward pass and tolerances, computed when first asked for
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def network(self) -> Chain:
        return self.derivation.network

    def _values(self) -> dict:
        if "point" not in self.cache:
            with mpmath.workdps(self.digits + 10):
                self.cache["point"] = mp_point(self.derivation, *self.point)
        return self.cache["point"]

    @property
    def parameters(self) -> dict:
        """Every parameter as an mpf, read exactly as given."""
        values = self._values()
        return {n: values[n] for n in self.derivation.parameter_names()}

    @property
    def inputs(self) -> dict:
        """a_0 and y as mpf."""
        values = self._values()
        return {n: values[n] for n in ("a_0", "y")}

    def _forward(self) -> tuple:
        if "forward" not in self.cache:
            z, a = mp_forward(self.derivation, *self.point, digits=self.digits)
            self.cache["forward"] = (tuple(z), tuple(a))
        return self.cache["forward"]

    @property
    def z(self) -> tuple:
        """z_0..z_L (z_0 is None), the pre-activations of the forward pass."""
        return self._forward()[0]

    @property
    def a(self) -> tuple:
        """a_0..a_L, the activations of the forward pass."""
        return self._forward()[1]

    def __getitem__(self, name: str) -> mpmath.mpf:
        return self.gradients[name]

    def decimal(self, name: str, digits: int | None = None) -> str:
        """One gradient (or ``"cost"``) as a decimal string of ``digits`` significant
        digits (default: all the reference has)."""
        value = self.cost if name == "cost" else self.gradients[name]
        return decimal_string(value, digits or self.digits)

    def as_dict(self, digits: int | None = None) -> dict:
        """``{"cost": "...", "gradients": {name: "...", ...}}`` as decimal strings."""
        return {"cost": self.decimal("cost", digits),
                "gradients": {n: self.decimal(n, digits) for n in self.gradients}}


def reference(network, parameters: Mapping, inputs: Mapping, *,
              digits: int = DEFAULT_DIGITS) -> Reference:
    """The cost and every gradient of ``network`` (a Chain or its Derivation) at
    ``parameters`` and ``inputs`` (``{"a_0": ..., "y": ...}``), from the Derivation's
    recurrence in mpmath at ``digits`` + guard digits.  Values may be ints, floats,
    Fractions, mpf or decimal strings (read as written).

    >>> ref = reference(Chain(depth=1), {"w_1": 2, "b_1": -1}, {"a_0": "0.5", "y": 1})
    >>> ref.cost, ref["b_1"], ref["w_1"]             # σ'(0) = 1/4, a_1 - y = -1/2
    (mpf('0.125'), mpf('-0.125'), mpf('-0.0625'))
    >>> deep = reference(Chain(depth=1000), {**{f"w_{l}": "0.1" for l in range(1, 1001)},
    ...                  **{f"b_{l}": 0 for l in range(1, 1001)}}, {"a_0": 1, "y": 0}, digits=10)
    >>> deep.decimal("b_1")                          # far below float64's 1e-308
    '2.310255821e-1602'
    """
    d = _derivation(network)
    digits = check_digits(digits)
    grads = mp_gradients(d, parameters, inputs, digits=digits)
    return Reference(derivation=d, digits=digits, cost=grads["cost"],
                     gradients={n: grads[n] for n in d.parameter_names()},
                     point=(dict(parameters), dict(inputs)))


# --- condition-aware tolerances ------------------------------------------------------------

def _eps(dtype) -> float:
    """The unit roundoff of a dtype given as a name, NumPy dtype or torch dtype."""
    name = str(getattr(dtype, "name", dtype)).replace("torch.", "")
    aliases = {"double": "float64", "float": "float32", "half": "float16", "single": "float32"}
    name = aliases.get(name, name)
    if name in ("float64", "float32", "float16", "longdouble"):
        return float(np.finfo(getattr(np, name)).eps)
    if name == "bfloat16":
        return 2.0 ** -7
    raise UsageError(f"dtype={dtype!r}: must be float64, float32, float16 or bfloat16")


# Running error bounds (Higham, "Accuracy and Stability of Numerical Algorithms", §3.3):
# evaluating an expression tree in floating point with unit roundoff u, the absolute error
# of each node is at most u·E(node) to first order, with
#     E(leaf z) = 0 (its error is carried separately), E(constant c) = |c|,
#     E(x + y) = E(x) + E(y) + |x| + |y|,     E(x·y) = |xy| (E(x)/|x| + E(y)/|y| + 1),
#     E(x^n) = |x^n| (|n| E(x)/|x| + 1),      E(f(x)) = |f'(x)| E(x) + |f(x)|.
# E/|value| is the condition of the expression *as written*: 1 - tanh(z)² at large z,
# (1 + erf(z/√2))/2 at very negative z, s(1 + z(1 - s)) near silu's zero all cancel.

def _heaviside(x, at_zero=mpmath.mpf(1) / 2):
    return mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else mpmath.mpf(at_zero))


_ONE_ARGUMENT = {   # f, f'
    sp.exp: (mpmath.exp, mpmath.exp),
    sp.log: (mpmath.log, lambda x: 1 / x),
    sp.tanh: (mpmath.tanh, lambda x: mpmath.sech(x) ** 2),
    sp.sinh: (mpmath.sinh, mpmath.cosh),
    sp.cosh: (mpmath.cosh, mpmath.sinh),
    sp.sin: (mpmath.sin, mpmath.cos),
    sp.cos: (mpmath.cos, lambda x: -mpmath.sin(x)),
    sp.atan: (mpmath.atan, lambda x: 1 / (1 + x * x)),
    sp.erf: (mpmath.erf, lambda x: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)),
    sp.erfc: (mpmath.erfc, lambda x: -2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)),
    sp.Abs: (abs, mpmath.sign),
    sp.sign: (mpmath.sign, lambda x: 0),
}


def _running_error(expr: sp.Expr):
    """A function ``env -> (value, E)`` for ``expr`` (see the rules above), ``env``
    mapping symbols to mpf; values where E is undefined give E = inf."""
    if expr.is_Symbol:
        return lambda env: (env[expr], mpmath.mpf(0))
    if expr.is_Integer:     # exact in any float format (small enough)
        return lambda env: (mpmath.mpf(int(expr)), mpmath.mpf(0))
    if expr.is_Number or expr.is_NumberSymbol:
        def constant(env):  # rounded once when stored
            value = mpmath.mpf(sp.Float(expr, mpmath.mp.dps + 5))
            return value, abs(value)
        return constant
    if isinstance(expr, sp.Piecewise):
        branches = [(_running_error(e), _condition(c)) for e, c in expr.args]

        def piecewise(env):
            for value, holds in branches:
                if holds(env):
                    return value(env)
            return mpmath.mpf("nan"), mpmath.inf
        return piecewise
    args = [_running_error(a) for a in expr.args]
    if expr.is_Add:
        def add(env):
            value = error = 0
            for f in args:
                v, e = f(env)
                value += v
                error += e + abs(v)
            return value, error
        return add
    if expr.is_Mul:
        def mul(env):
            vals = [f(env) for f in args]
            value = 1
            for v, _ in vals:
                value *= v
            if value == 0:
                return value, mpmath.fsum(e * abs(mpmath.fprod(w for j, (w, _) in enumerate(vals)
                                                                  if j != i))
                                          for i, (v, e) in enumerate(vals))
            relative = 1
            for v, e in vals:
                if e:
                    relative += e / abs(v)
            return value, abs(value) * relative
        return mul
    if expr.is_Pow:
        base, exponent = args
        n = expr.args[1]

        n_int = int(n) if n.is_Integer else None

        def power(env):
            b, eb = base(env)
            if n_int is not None:
                x, ex, value = n_int, 0, b ** n_int
            elif n == sp.Rational(1, 2):
                x, ex, value = mpmath.mpf(1) / 2, 0, mpmath.sqrt(b)
            else:
                x, ex = exponent(env)
                value = b ** x
            if b == 0:
                return value, (mpmath.inf if eb else mpmath.mpf(0))
            # x^n: relative error |n| E(b)/|b|, plus the exponent's error |ln b| E(x)
            rel = abs(x) * eb / abs(b) + (abs(mpmath.log(abs(b))) * ex if not n.is_Number else 0)
            return value, abs(value) * (rel + 1)
        return power
    if isinstance(expr, (sp.Max, sp.Min)):
        pick = max if isinstance(expr, sp.Max) else min

        def extreme(env):
            return pick((f(env) for f in args), key=lambda ve: ve[0])
        return extreme
    if isinstance(expr, sp.Heaviside):
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return lambda env: (_heaviside(args[0](env)[0], mpmath.mpf(sp.Float(at_zero))),
                            mpmath.mpf(0))
    if expr.func in _ONE_ARGUMENT and len(args) == 1:
        f, df = _ONE_ARGUMENT[expr.func]

        def function(env):
            x, ex = args[0](env)
            value = f(x)
            return value, abs(df(x)) * ex + abs(value)
        return function
    # anything else: its value by mpmath, with one rounding
    compiled = sp.lambdify(sorted(expr.free_symbols, key=str), expr, modules="mpmath")
    names = sorted(expr.free_symbols, key=str)
    return lambda env: (lambda v: (v, abs(v)))(compiled(*[env[n] for n in names]))


def _condition(cond):
    """A Piecewise condition as ``env -> bool``."""
    if cond is sp.true or cond == True:  # noqa: E712 - SymPy's true
        return lambda env: True
    f = sp.lambdify(sorted(cond.free_symbols, key=str), cond, modules="mpmath")
    names = sorted(cond.free_symbols, key=str)
    return lambda env: bool(f(*[env[n] for n in names]))


@lru_cache(maxsize=None)
def _activation_forms(act: Activation):
    """Running-error evaluators of σ and σ' as the table writes them, σ'' (the sensitivity
    of σ' to an error in z) and, where the lecture writes σ' in terms of a = σ(z), the
    condition |a dσ'/da / σ'| of that form: sigmoid |1 - 2a|/(1 - a), tanh 2a²/(1 - a²)."""
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    second = sp.lambdify(args, sp.diff(act.derivative_expression, act.z), modules="mpmath")
    a = sp.Symbol("a", real=True)
    in_a = act.derivative_in_a(a)
    cond_a = None
    if in_a is not None and in_a.has(a):
        cond_a = sp.lambdify([a], a * sp.diff(in_a, a) / in_a, modules="mpmath")
    return (_running_error(act.expression), _running_error(act.derivative_expression),
            second, cond_a)


@lru_cache(maxsize=None)
def _cost_forms(cost: Cost):
    """Running-error evaluators of C and ∂C/∂a, and C'' as an mpmath function."""
    return (_running_error(cost.expression), _running_error(cost.derivative_expression),
            sp.lambdify([cost.a, cost.y], sp.diff(cost.derivative_expression, cost.a),
                        modules="mpmath"))


def _ratio(num, den) -> float:
    """|num/den| as a float, inf for a zero denominator (and 0 for 0/0)."""
    num, den = abs(mpmath.mpf(num)), abs(mpmath.mpf(den))
    if den == 0:
        return 0.0 if num == 0 else math.inf
    return float(num / den)


def _layer_terms(act: Activation, z, alpha) -> tuple:
    """For layer l: |σ'(z)|, E(σ)(z) (absolute, in units of u), the relative rounding
    error of σ'(z) in units of u (its running error, or the a-form's κ if larger) and
    |σ''(z)/σ'(z)|; evaluated with enough digits that the tails' cancellations resolve."""
    sigma, dsigma, second, cond_a = _activation_forms(act)
    env = {act.z: z}
    if act.parameter is not None:
        env[act.parameter] = alpha
    args = (z,) if act.parameter is None else (z, alpha)
    with mpmath.workdps(20 + min(int(abs(z)), 3000)):
        a, e_sigma = sigma(env)
        dsig, e_dsig = dsigma(env)
        if dsig == 0:
            return 0.0, float(e_sigma), 0.0, 0.0   # an exact zero: compared exactly
        kappa = _ratio(e_dsig, dsig)
        if cond_a is not None:
            try:
                kappa = max(kappa, abs(float(cond_a(a))))
            except ZeroDivisionError:
                kappa = math.inf
        return abs(float(dsig)), float(e_sigma), kappa, _ratio(second(*args), dsig)


def _cost_terms(cost: Cost, a_L, y, e_a_L: float, u: float, dps: int):
    """The relative error of ∂C/∂a_L and of C: rounding (u E/|value|) and the error e_a_L
    of a_L carried through (|C''/C'| e_a_L, |C'/C| e_a_L)."""
    C, dC, d2C = _cost_forms(cost)
    env = {cost.a: a_L, cost.y: y}
    with mpmath.workdps(dps):
        try:
            value, e_value = C(env)
            slope, e_slope = dC(env)
            rho_C = u * (1 + _ratio(e_slope, slope)) + _ratio(d2C(a_L, y), slope) * e_a_L
            cost_rho = u * (1 + _ratio(e_value, value)) + _ratio(slope, value) * e_a_L
        except ZeroDivisionError:
            return math.inf, math.inf
    return rho_C, cost_rho


def tolerances(ref: Reference, dtype="float64", *, safety: float = SAFETY) -> dict:
    """The relative tolerance of every gradient (and ``"cost"``) for an implementation
    working in ``dtype``: ``max(floor, c · Σ ρ)`` over the factors of its closed form.

    With u the dtype's unit roundoff and E(f) the running error bound of f as the
    activation table writes it (so E(σ)/|σ| and E(σ')/|σ'| are the conditions of those
    formulas), the forward errors of a correct implementation are, to first order::

        e_z[l] = |w_l| e_a[l-1] + 2u (|w_l a_{l-1}| + |b_l|)
        e_a[l] = |σ_l'(z_l)| e_z[l] + u E(σ_l)(z_l),          e_a[0] = u |a_0|

    and the relative error of each factor of ∂C/∂θ = a_{l-1} σ'(z_l) w_{l+1} … ∂C/∂a_L::

        σ_l'(z_l):  ρ_l = u (3 + κ_l) + |σ_l''/σ_l'|(z_l) e_z[l]
                    κ_l = E(σ')/|σ'|, or the condition |a dσ'/da / σ'| of the a-form where
                          larger: a/(1 - a) for sigmoid, 2a²/(1 - a²) for tanh
        w_j:        2u
        a_{l-1}:    e_a[l-1]/|a_{l-1}| + 2u
        ∂C/∂a_L:    u (1 + E(C')/|C'|) + |C''/C'| e_a[L]

    The floor is 1e-12 · u/u_float64 (1e-12 for float64, 5.4e-4 for float32).  A gradient
    whose magnitude is below the dtype's smallest normal number gets the underflow term
    ``c · smallest_subnormal/|g|``; one beyond its largest number, or one whose path passes
    through a kink within rounding distance of z_l = 0, cannot be judged in that dtype and
    gets ``inf``.

    >>> ref = reference(Chain(depth=2, activation="tanh"), {"w_2": 1, "w_1": 1, "b_2": 0,
    ...                 "b_1": 12}, {"a_0": 0, "y": 0}, digits=20)
    >>> tol = tolerances(ref)
    >>> tol["b_2"]                                      # no saturated unit on this path
    1e-12
    >>> 1e-6 < tol["b_1"] < 1e-4                        # tanh(12): 1 - a² cancels
    True
    >>> tolerances(ref, "float32")["b_2"]               # the floor scaled by eps
    0.000536870912
    """
    key = (_eps(dtype), float(safety))
    if key in ref.cache:
        return dict(ref.cache[key])
    u, c = key
    floor = FLOOR_FLOAT64 * u / _EPS64
    info = np.finfo({2.0 ** -52: np.float64, 2.0 ** -23: np.float32,
                     2.0 ** -10: np.float16}.get(u, np.float64))
    tiny_sub, huge = float(info.smallest_subnormal), float(info.max)
    d, net, L = ref.derivation, ref.network, ref.network.depth
    params = ref.parameters
    af = [abs(float(x)) for x in ref.a]
    e_a = [u * af[0]] + [0.0] * L
    e_z = [0.0] * (L + 1)
    rho = [0.0] * (L + 1)
    slope_rho = {}
    ambiguous_upto = 0         # layers ≤ this pass through a kink within rounding
    for l in range(1, L + 1):
        act = net.sigma(l)
        w = abs(float(params[f"w_{l}"]))
        b = abs(float(params[f"b_{l}"]))
        z = ref.z[l]
        # e_z[l] = |w_l| e_a[l-1] + 2u(|w_l a_{l-1}| + |b_l|)
        e_z[l] = w * e_a[l - 1] + 2 * u * (w * af[l - 1] + b)
        dsig, e_sigma, kappa, log_slope = _layer_terms(act, z, params.get(f"alpha_{l}"))
        # e_a[l] = |σ'(z_l)| e_z[l] + u E(σ_l)
        e_a[l] = dsig * e_z[l] + u * e_sigma
        # ρ_l = u(3 + κ_l) + |σ''/σ'| e_z[l]
        rho[l] = u * (3 + kappa) + log_slope * e_z[l]
        if act.parameter is not None:   # ∂a_l/∂α_l = z_l (PReLU): relative error e_z/|z|
            slope_rho[l] = 3 * u + _ratio(e_z[l], z)
        if act.kink is not None and abs(float(z)) <= c * e_z[l]:
            ambiguous_upto = l
    rho_C, cost_rho = _cost_terms(net.cost, ref.a[L], ref.inputs["y"], e_a[L], u,
                                  ref.digits + 10)
    # suffix sums: Σ_{j ≥ l} (ρ_j + 2u), the factors σ'(z_j) and w_{j+1} of δ_l
    below = [0.0] * (L + 2)
    for l in range(L, 0, -1):
        below[l] = below[l + 1] + rho[l] + (2 * u if l < L else 0.0)
    out = {}
    for name in d.parameter_names():
        kind, l = net.parameter(name)
        magnitude = abs(ref.gradients[name])
        if kind == "b":
            total = rho_C + below[l]
        elif kind == "W":
            total = rho_C + below[l] + 2 * u + _ratio(e_a[l - 1], af[l - 1])
            magnitude = min(magnitude, abs(ref.gradients[f"b_{l}"]))
        else:
            total = rho_C + below[l + 1] + 2 * u + slope_rho[l]
        tol = max(floor, c * total)
        if 0 < magnitude < info.tiny:   # float underflow: absolute error ~ smallest_subnormal
            tol += c * _ratio(tiny_sub, magnitude)
        if magnitude > huge or l <= ambiguous_upto or math.isnan(tol):
            tol = math.inf
        out[name] = tol
    out["cost"] = max(floor, c * cost_rho)
    ref.cache[key] = dict(out)
    return out


# --- comparing ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One gradient compared: expected (exact), actual, relative error and tolerance."""

    name: str
    layer: int | None
    expected: mpmath.mpf
    actual: mpmath.mpf | None
    error: float
    tolerance: float
    ok: bool
    note: str = ""

    def line(self) -> str:
        what = "cost C" if self.name == "cost" else f"dC/d{self.name} (layer {self.layer})"
        got = "missing" if self.actual is None else (
            decimal_string(self.actual, 16) if mpmath.isfinite(self.actual) else str(self.actual))
        text = (f"{what}: expected {decimal_string(self.expected, 16)}, actual {got}, "
                f"relative error {_short(self.error)} "
                f"{'<=' if self.ok else '>'} tolerance {_short(self.tolerance)}")
        return text + (f" ({self.note})" if self.note else "")


def _short(x: float) -> str:
    if math.isinf(x) or math.isnan(x):
        return str(x)
    return f"{x:.1e}".replace("e-0", "e-").replace("e+0", "e+")


@dataclass(frozen=True)
class Comparison:
    """The verdict on one implementation's gradients at one point."""

    reference: Reference
    entries: tuple
    how: str

    @property
    def passed(self) -> bool:
        return all(e.ok for e in self.entries)

    @property
    def failures(self) -> list:
        return [e for e in self.entries if not e.ok]

    def message(self, limit: int = 10) -> str:
        bad = self.failures
        if not bad:
            return (f"all {len(self.entries)} gradients agree with the reference "
                    f"({self.reference.network!r}; {self.how})")
        lines = [f"gradients differ from the reference at {len(bad)} of {len(self.entries)} "
                 f"({self.reference.network!r}); in backpropagation order, the first is",
                 "  " + bad[0].line() + f" ({self.how})"]
        if len(bad) > 1:
            lines.append("then:")
            lines += ["  " + e.line() for e in bad[1:limit]]
            if len(bad) > limit:
                lines.append(f"  ... and {len(bad) - limit} more")
        return "\n".join(lines)


def _backprop_order(net: Chain) -> list:
    """Parameter names layer by layer from the output: b_L, w_L, α_L, b_{L-1}, ... so the
    first disagreement names the layer where an error enters the backward pass."""
    out = []
    for l in range(net.depth, 0, -1):
        out += [f"b_{l}", f"w_{l}"] + ([f"alpha_{l}"] if net.has_slope(l) else [])
    return out


def _dtype_of(value) -> str | None:
    """'float32' and the like for arrays and tensors, 'float64' for Python floats, None for
    exact values (ints, strings, Fractions, mpf)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        name = str(dtype).replace("torch.", "")
        return name if "float" in name else "float64"
    if isinstance(value, float):
        return "float64"
    return None


def _scalar(value, place: str) -> mpmath.mpf:
    """One actual gradient as an exact mpf (a float is taken as the number it is)."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise UsageError(f"{place}: has shape {value.shape}, expected one number")
        value = value.reshape(()).item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return _parse_number(value, place)
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)) \
            and not hasattr(value, "_mpf_"):
        raise UsageError(f"{place}={value!r}: must be a number")
    if isinstance(value, numbers.Rational) and not isinstance(value, numbers.Integral):
        return mpmath.mpf(value.numerator) / value.denominator
    if isinstance(value, Decimal):
        return mpmath.mpf(str(value)) if value.is_finite() else mpmath.mpf("nan")
    return mpmath.mpf(value)


def _flatten_actual(actual, net: Chain) -> tuple[dict, list]:
    """Name -> value from a dict by name, or from ``{"w": [...], "b": [...], "alpha": [...]}``
    with one entry per layer, layer 1 first (alpha: one per PReLU layer, or one per layer)."""
    if hasattr(actual, "items") and not isinstance(actual, Mapping):
        actual = dict(actual.items())
    if not isinstance(actual, Mapping):
        raise UsageError(f"actual={type(actual).__name__}: must be a dict of gradients by "
                         "parameter name, or {'w': [...], 'b': [...]} in layer order")
    dtypes = []
    keys = set(actual)
    if keys and keys <= {"w", "b", "alpha", "cost"}:
        out = {}
        slopes = [l for l in net.layers if net.has_slope(l)]
        for kind in ("b", "w", "alpha"):
            if kind not in actual:
                continue
            values = actual[kind]
            if hasattr(values, "detach"):
                values = values.detach().cpu().numpy()
            dtypes.append(_dtype_of(values))
            seq = list(np.asarray(values).reshape(-1)) if isinstance(values, np.ndarray) \
                else list(values)
            layers = list(net.layers) if kind != "alpha" or len(seq) == net.depth else slopes
            if len(seq) != len(layers):
                raise UsageError(f"actual[{kind!r}]: {len(seq)} values, the network needs "
                                 f"{len(layers)} (layer order, layer 1 first)")
            for l, v in zip(layers, seq):
                if kind != "alpha" or net.has_slope(l):
                    out[f"{kind}_{l}"] = v
        if "cost" in actual:
            out["cost"] = actual["cost"]
            dtypes.append(_dtype_of(actual["cost"]))
        return out, dtypes
    names = set(net.parameter_names()) | {"cost"}
    for name in actual:
        if name not in names:
            raise UsageError(f"actual[{name!r}]: not a parameter of {net!r}; expected "
                             f"{', '.join(net.parameter_names()[:4])}, ...")
    return dict(actual), [_dtype_of(v) for v in actual.values()]


def compare_gradients(actual, network, parameters: Mapping | None = None,
                      inputs: Mapping | None = None, *, rtol: float | None = None,
                      dtype=None, digits: int = DEFAULT_DIGITS,
                      safety: float = SAFETY) -> Comparison:
    """Compare ``actual`` with the reference; see :func:`assert_gradients_close`."""
    if isinstance(network, Reference):
        if parameters is not None or inputs is not None:
            raise UsageError("parameters: give either a Reference or a network with "
                             "parameters and inputs, not both")
        ref = network
    else:
        if parameters is None or inputs is None:
            raise UsageError("parameters: a network needs the parameters and inputs the "
                             "gradients were computed at")
        ref = reference(network, parameters, inputs, digits=digits)
    net = ref.network
    values, dtypes = _flatten_actual(actual, net)
    if dtype is None:
        found = [t for t in dtypes if t is not None]
        dtype = max(found, key=_eps) if found else "float64"
    if rtol is not None:
        if not (isinstance(rtol, numbers.Real) and rtol >= 0 and math.isfinite(rtol)):
            raise UsageError(f"rtol={rtol!r}: must be a finite number >= 0")
        tol = {n: float(rtol) for n in net.parameter_names() + ["cost"]}
        how = f"rtol {_short(float(rtol))}, fixed"
    else:
        tol = tolerances(ref, dtype, safety=safety)
        how = f"condition-aware, {str(getattr(dtype, 'name', dtype)).replace('torch.', '')}"
    order = _backprop_order(net) + (["cost"] if "cost" in values else [])
    entries = []
    with mpmath.workdps(ref.digits + 10):
        for name in order:
            expected = ref.cost if name == "cost" else ref.gradients[name]
            layer = None if name == "cost" else net.parameter(name)[1]
            if name not in values:
                entries.append(Entry(name, layer, expected, None, math.inf, tol[name], False,
                                     "no value given"))
                continue
            got = _scalar(values[name], f"actual[{name!r}]")
            note = ""
            if not mpmath.isfinite(got):
                err, ok, note = math.inf, False, "not a finite number"
            elif math.isinf(tol[name]):
                err, ok = float(abs(got - expected) / abs(expected)) if expected else 0.0, True
                note = "not judged: beyond the dtype's range or at a kink within rounding"
            elif expected == 0:
                # an exact zero (a dead unit) must come out exactly zero
                err = 0.0 if got == 0 else math.inf
                ok = got == 0
                note = "" if ok else "expected exactly 0: the path passes through σ'(z) = 0"
            else:
                err = float(abs(got - expected) / abs(expected))
                ok = err <= tol[name]
            entries.append(Entry(name, layer, expected, got, err, tol[name], ok, note))
    return Comparison(reference=ref, entries=tuple(entries), how=how)


def assert_gradients_close(actual, network, parameters: Mapping | None = None,
                           inputs: Mapping | None = None, *, rtol: float | None = None,
                           dtype=None, digits: int = DEFAULT_DIGITS,
                           safety: float = SAFETY) -> Comparison:
    """Raise an AssertionError unless ``actual`` agrees with the reference gradients.

    ``network`` is a :class:`Reference`, or a Chain / Derivation with the ``parameters``
    and ``inputs`` the gradients were computed at.  ``actual`` is a dict of gradients by
    parameter name (``"w_3"``), or ``{"w": [...], "b": [...], "alpha": [...]}`` in layer
    order (layer 1 first); the values may be floats, NumPy scalars or arrays, torch tensors,
    ints, Fractions, mpf or decimal strings; a ``"cost"`` entry is checked too.

    The tolerance of each gradient is :func:`tolerances` for ``dtype`` (default: the
    coarsest float dtype among the values, float64 for Python floats), or a fixed relative
    ``rtol``.  The message names the first disagreement in backpropagation order (layer L
    first, so it points at the layer where an error enters), expected and actual values,
    the relative error and the tolerance.  Returns the :class:`Comparison` on success.

    >>> net = Chain(depth=2, activation="relu")
    >>> point, inputs = {"w_2": 1, "w_1": 1, "b_2": 0.5, "b_1": -1}, {"a_0": 0.5, "y": 1}
    >>> assert_gradients_close({"w": [0.0, 0.0], "b": [0.0, -0.5]}, net, point, inputs).passed
    True
    >>> assert_gradients_close({"w": [1e-300, 0.0], "b": [0.0, -0.5]}, net, point, inputs)
    Traceback (most recent call last):
    ...
    AssertionError: gradients differ from the reference at 1 of 4 (Chain(depth=2, activation='relu', cost='quadratic')); in backpropagation order, the first is
      dC/dw_1 (layer 1): expected 0, actual 1.000000000000000e-300, relative error inf > tolerance 1.0e-12 (expected exactly 0: the path passes through σ'(z) = 0) (condition-aware, float64)
    """
    result = compare_gradients(actual, network, parameters, inputs, rtol=rtol, dtype=dtype,
                               digits=digits, safety=safety)
    if not result.passed:
        raise AssertionError(result.message())
    return result


# --- networks in files -----------------------------------------------------------------------

def describe_network(net) -> dict:
    """The network as a vector file records it: :meth:`Chain.describe` (or
    :meth:`Dense.describe <symgrad.derivation.Dense.describe>`) plus the expression of every
    activation and of the cost (custom ones are named by their expression text; a softmax
    output with its cross-entropy has no elementwise expression and is named only).

    >>> describe_network(Chain(depth=2))["expressions"]
    {'sigmoid': '1/(1 + exp(-z))', 'quadratic': '(a - y)**2/2'}
    >>> desc = describe_network(Dense([2, 3, 2], "tanh", cost="squared-error", samples=2))
    >>> desc["kind"], desc["widths"], desc["samples"], desc["expressions"]
    ('dense', [2, 3, 2], 2, {'tanh': 'tanh(z)', 'squared-error': '(-a + y)**2'})
    """
    out = dict(net.describe())
    expressions = {}
    for act in net.activations:
        if not isinstance(act, Softmax):
            expressions.setdefault(act.name, sp.sstr(act.expression))
    if isinstance(net.cost, Cost):
        expressions.setdefault(net.cost.name, sp.sstr(net.cost.expression))
    out["expressions"] = expressions
    return out


def network_from_description(desc, place: str = "network"):
    """The Chain (or Dense network) a vector file's ``"network"`` object describes
    (one-line errors naming the place).

    >>> network_from_description({"kind": "chain", "depth": 2, "activations": ["tanh", "linear"],
    ...                           "cost": "quadratic"})
    Chain(depth=2, activation=['tanh', 'linear'], cost='quadratic')
    >>> network_from_description({"kind": "dense", "widths": [2, 3, 2], "samples": 2,
    ...                           "activations": ["tanh", "softmax"],
    ...                           "cost": "softmax-cross-entropy"})
    Dense(widths=[2, 3, 2], activations=['tanh', 'softmax'], cost='softmax-cross-entropy', samples=2)
    """
    if not isinstance(desc, Mapping):
        raise UsageError(f"{place}: must be an object with kind, depth, activations, cost")
    if desc.get("kind", "chain") == "dense":
        return _dense_from_description(desc, place)
    if desc.get("kind", "chain") != "chain":
        raise UsageError(f"{place}.kind={desc.get('kind')!r}: must be 'chain' or 'dense'")
    for key in ("depth", "activations", "cost"):
        if key not in desc:
            raise UsageError(f"{place}: missing {key!r}")
    depth = desc["depth"]
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise UsageError(f"{place}.depth={depth!r}: must be an integer >= 1")
    acts = desc["activations"]
    if not isinstance(acts, list) or not all(isinstance(x, str) for x in acts):
        raise UsageError(f"{place}.activations: must be a list of activation names")
    if len(acts) != depth:
        raise UsageError(f"{place}.activations: {len(acts)} given, depth {depth} needs {depth}")
    if not isinstance(desc["cost"], str):
        raise UsageError(f"{place}.cost={desc['cost']!r}: must be a cost name")
    try:
        return Chain(depth=depth, activation=acts if len(set(acts)) > 1 else acts[0],
                     cost=desc["cost"])
    except UsageError as exc:
        raise UsageError(f"{place}: {exc}") from None


# --- test vectors -------------------------------------------------------------------------

def _until_digits_agree(compute, values, digits: int):
    """``compute(working_digits)`` at two working precisions, raised until every value
    (``values(result)`` lists them) agrees to ``digits`` + 2 digits: the result is then
    correct to ``digits`` for the decimal inputs as written."""
    extra = 5
    low = compute(min(digits + extra, MAX_DIGITS))
    while True:
        extra = 2 * extra + 20
        high = compute(min(digits + extra, MAX_DIGITS))
        with mpmath.workdps(digits + extra):
            bound = mpmath.mpf(10) ** -(digits + 2)
            agree = all(h == lo if h == 0 or lo == 0 else abs(h - lo) <= bound * abs(h)
                        for h, lo in zip(values(high), values(low)))
        if agree or digits + extra >= MAX_DIGITS:
            if not agree:
                raise UsageError(f"digits={digits}: the gradients at this point are too "
                                 f"ill-conditioned to fix {digits} digits within "
                                 f"{MAX_DIGITS} working digits")
            return high
        low = high


def _exact_gradients(d: Derivation, parameters: Mapping, inputs: Mapping, digits: int) -> dict:
    """Cost and gradients correct to ``digits`` for the decimal inputs as written."""
    return _until_digits_agree(
        lambda dps: mp_gradients(d, parameters, inputs, digits=dps),
        lambda g: [g[n] for n in sorted(g)], digits)


def make_vectors(network, *, count: int = 10, seed: int = 0, digits: int = DEFAULT_DIGITS,
                 scale: float = 1.0, saturate: float = 0.0) -> dict:
    """A test-vector document: ``count`` random points (seeded), each parameter and input
    rounded to a ``digits``-digit decimal string *first*, then the cost and gradients
    computed from those strings, correct to ``digits`` significant digits.  ``network`` is
    a Chain, its Derivation or a :class:`~symgrad.derivation.Dense` network (nested lists, see
    :func:`_make_dense_vectors`).

    >>> doc = make_vectors(Chain(depth=2), count=1, digits=8)
    >>> doc["format"], doc["digits"], sorted(doc["cases"][0])
    ('symgrad-vectors/1', 8, ['cost', 'gradients', 'inputs', 'parameters'])
    >>> doc["cases"][0]["parameters"]["w_1"]
    '1.2573022e-1'
    """
    digits = check_digits(digits)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UsageError(f"count={count!r}: must be an integer >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed={seed!r}: must be an integer >= 0")
    if (isinstance(network, Network) and not network.is_chain):
        return _make_dense_vectors(network, count, seed, digits)
    d = _derivation(network)
    net = d.network
    rng = np.random.default_rng(seed)
    cases = []
    with mpmath.workdps(max(digits, 17) + 10):
        for k in range(count):
            params, inputs = random_point(d, rng, scale=scale, saturate=saturate)
            # round to D-digit decimals first: the file's numbers are the point
            p = {n: decimal_string(mpmath.mpf(v), digits) for n, v in params.items()}
            x = {n: decimal_string(mpmath.mpf(v), digits) for n, v in inputs.items()}
            g = _exact_gradients(d, p, x, digits)
            for n in ["cost"] + d.parameter_names():
                if not mpmath.isfinite(g[n]) or isinstance(g[n], mpmath.mpc):
                    raise UsageError(f"network={net!r}: case {k} gives {n} = {g[n]}; the cost "
                                     f"{net.cost.name!r} is not defined at a_L = "
                                     f"{mpmath.nstr(mp_forward(d, p, x, digits=15)[1][-1], 5)}")
            cases.append({"inputs": x, "parameters": p,
                          "cost": decimal_string(g["cost"], digits),
                          "gradients": {n: decimal_string(g[n], digits)
                                        for n in d.parameter_names()}})
    from symgrad import __version__ as version
    return {"format": VECTORS_FORMAT, "generator": f"symgrad {version}", "seed": seed,
            "network": describe_network(net), "digits": digits, "cases": cases}


def vectors_text(doc: dict) -> str:
    """The JSON text of a vector document: the format on the first line (the marker
    :func:`symgrad.cli.common.write_output` recognises), one case per line."""
    head = {k: doc[k] for k in doc if k not in ("network", "digits", "cases")}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ",",
             f' "network": {json.dumps(doc["network"], ensure_ascii=False)},',
             f' "digits": {json.dumps(doc["digits"])},',
             ' "cases": [']
    cases = doc["cases"]
    lines += [f"  {json.dumps(c, ensure_ascii=False)}{',' if i < len(cases) - 1 else ''}"
              for i, c in enumerate(cases)]
    lines.append(" ]}")
    return "\n".join(lines) + "\n"


class _Number(str):
    """A JSON number kept as its text, so no digit is lost to a float."""


class _Constant(str):
    """NaN, Infinity or -Infinity where JSON text has them: reported with their place."""

    def __repr__(self) -> str:
        return str(self)


def read_json(text: str, what: str):
    """Parse JSON text; malformed JSON, NaN and Infinity are one-line UsageErrors naming
    ``what`` and the line and column."""
    try:
        return json.loads(text, parse_float=_Number, parse_constant=_Constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what}: malformed JSON at line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}") from None
    except RecursionError:
        raise UsageError(f"{what}: JSON nested too deeply") from None


def _object(value, place: str) -> dict:
    if not isinstance(value, dict):
        raise UsageError(f"{place}: must be a JSON object")
    return value


def _numbers(obj, names: Sequence[str], place: str) -> dict:
    """Every name present once, nothing else, each a finite decimal (string or number)."""
    obj = _object(obj, place)
    for name in names:
        if name not in obj:
            raise UsageError(f"{place}: missing {name!r}")
    for name in obj:
        if name not in names:
            raise UsageError(f"{place}: unknown {name!r}; this network has "
                             f"{', '.join(names[:6])}{', ...' if len(names) > 6 else ''}")
    for name in names:
        value = obj[name]
        if isinstance(value, int) and not isinstance(value, bool):
            value = obj[name] = str(value)
        if not isinstance(value, str) or isinstance(value, _Constant) \
                or not _DECIMAL.fullmatch(value.strip()):
            raise UsageError(f"{place}.{name}={value!r}: must be a finite decimal number")
    return {name: str(obj[name]).strip() for name in names}


def read_vectors(text: str, what: str = "vectors") -> tuple:
    """Parse and check a vector document; returns the network and the document with every
    number as a string.  Unusable documents are one-line UsageErrors naming the place."""
    doc = _object(read_json(text, what), what)
    if doc.get("format") != VECTORS_FORMAT:
        raise UsageError(f"{what}.format={doc.get('format')!r}: must be {VECTORS_FORMAT!r}")
    net = network_from_description(doc.get("network"), f"{what}.network")
    digits = doc.get("digits")
    digits = check_digits(digits, f"{what}.digits")
    cases = doc.get("cases")
    if not isinstance(cases, list) or not cases:
        raise UsageError(f"{what}.cases: must be a non-empty list")
    names = net.parameter_names()
    clean = []
    for k, case in enumerate(cases):
        place = f"{what}.cases[{k}]"
        case = _object(case, place)
        for key in ("inputs", "parameters", "cost", "gradients"):
            if key not in case:
                raise UsageError(f"{place}: missing {key!r}")
        if (isinstance(net, Network) and not net.is_chain):
            clean.append(_read_dense_case(net, case, place))
            continue
        clean.append({
            "inputs": _numbers(case["inputs"], ["a_0", "y"], f"{place}.inputs"),
            "parameters": _numbers(case["parameters"], names, f"{place}.parameters"),
            "cost": _numbers({"cost": case["cost"]}, ["cost"], place)["cost"],
            "gradients": _numbers(case["gradients"], names, f"{place}.gradients"),
        })
    return net, {"format": VECTORS_FORMAT, "network": doc["network"], "digits": digits,
                 "cases": clean}


def read_results(text: str, net, count: int, what: str = "results") -> list:
    """Parse another implementation's results, ``{"cases": [{"gradients": {...}}, ...]}``
    with ``count`` cases in the vector file's order; returns one dict of decimal strings
    (and ``"cost"`` where given) per case."""
    doc = _object(read_json(text, what), what)
    fmt = doc.get("format", RESULTS_FORMAT)
    if fmt != RESULTS_FORMAT:
        raise UsageError(f"{what}.format={fmt!r}: must be {RESULTS_FORMAT!r} (or absent)")
    cases = doc.get("cases")
    if not isinstance(cases, list):
        raise UsageError(f"{what}: missing the list 'cases'")
    if len(cases) != count:
        raise UsageError(f"{what}.cases: {len(cases)} cases, the vector file has {count}")
    names = net.parameter_names()
    out = []
    for k, case in enumerate(cases):
        place = f"{what}.cases[{k}]"
        case = _object(case, place)
        if "gradients" not in case:
            raise UsageError(f"{place}: missing 'gradients'")
        if (isinstance(net, Network) and not net.is_chain):
            row = _arrays(case["gradients"], net, f"{place}.gradients")
        else:
            row = _numbers(case["gradients"], names, f"{place}.gradients")
        if "cost" in case:
            row["cost"] = _numbers({"cost": case["cost"]}, ["cost"], place)["cost"]
        out.append(row)
    return out


@dataclass(frozen=True)
class Disagreement:
    case: int
    parameter: str
    expected: str
    got: str
    error: float
    tolerance: float

    def line(self) -> str:
        return (f"case {self.case}, {self.parameter}: expected {self.expected}, got {self.got}, "
                f"relative error {_short(self.error)} > tolerance {_short(self.tolerance)}")


@dataclass(frozen=True)
class VerifyReport:
    network: Chain
    cases: int
    checked: int
    disagreements: tuple
    how: str

    @property
    def passed(self) -> bool:
        return not self.disagreements

    def text(self) -> str:
        head = (f"{self.checked} values in {self.cases} cases of {self.network!r} "
                f"({self.how}): ")
        if self.passed:
            return head + "all agree\n"
        lines = [head + f"{len(self.disagreements)} disagree (in file order):"]
        lines += [d.line() for d in self.disagreements]
        return "\n".join(lines) + "\n"


def verify_results(vectors_text_: str, results_text: str, *, rtol: float | None = None,
                   dtype="float64", vectors_name: str = "vectors",
                   results_name: str = "results") -> VerifyReport:
    """Check another implementation's results against a vector file.

    Each gradient must agree with the file's value within ``rtol`` if given, else within
    the condition-aware tolerance for ``dtype`` at that case (:func:`tolerances`), never
    tighter than the file's own rounding 10^(1-D).  Unusable files raise UsageError.

    For a dense network every component of every array is checked, its error measured
    relative to the largest |entry| of that array in the vector file, against ``rtol`` if
    given, else :data:`DENSE_RTOL` for ``dtype`` (1e-10 for float64); a disagreement names
    the component as ``W_2[1][0]`` (row 1, column 0, counted from 0 as in the JSON).
    """
    net, doc = read_vectors(vectors_text_, vectors_name)
    rows = read_results(results_text, net, len(doc["cases"]), results_name)
    if rtol is not None and not (isinstance(rtol, numbers.Real) and math.isfinite(rtol)
                                 and rtol >= 0):
        raise UsageError(f"rtol={rtol!r}: must be a finite number >= 0")
    if (isinstance(net, Network) and not net.is_chain):
        return _verify_dense(net, doc, rows, rtol, dtype)
    d = derive(net)
    digits = doc["digits"]
    rounding = 10.0 ** (1 - digits)
    how = (f"rtol {_short(rtol)}, fixed" if rtol is not None
           else f"condition-aware, {dtype}, from {digits}-digit vectors")
    bad, checked = [], 0
    order = _backprop_order(net)
    with mpmath.workdps(digits + 10):
        for k, (case, row) in enumerate(zip(doc["cases"], rows)):
            if rtol is None:
                # the file's values are the reference; the forward pass sets the tolerances
                ref = Reference(d, min(digits, 20), mpmath.mpf(case["cost"]),
                                {n: mpmath.mpf(case["gradients"][n]) for n in d.parameter_names()},
                                point=(case["parameters"], case["inputs"]))
                tol = tolerances(ref, dtype)
            else:
                tol = {n: float(rtol) for n in order + ["cost"]}
            for name in order + (["cost"] if "cost" in row else []):
                expected_text = case["cost"] if name == "cost" else case["gradients"][name]
                expected = mpmath.mpf(expected_text)
                got = mpmath.mpf(row[name])
                checked += 1
                if expected == 0:
                    err = 0.0 if got == 0 else math.inf
                else:
                    err = float(abs(got - expected) / abs(expected))
                limit = max(tol[name], rounding)
                if err > limit:
                    bad.append(Disagreement(k, name, expected_text, row[name], err, limit))
    return VerifyReport(network=net, cases=len(rows), checked=checked,
                        disagreements=tuple(bad), how=how)


# --- dense networks: nested lists in layer order ------------------------------------------------
#
# A dense case holds x (N rows of n_0 numbers, N the network's samples, one row for one
# sample) and y (N rows of n_L), every parameter in its shape: W_l as n_l rows of n_{l-1}
# numbers (row j holds w^l_{j1} .. w^l_{j n_{l-1}}), b_l as n_l numbers, α_l as one number;
# the gradients ∂C/∂W_l, ∂C/∂b_l, ∂C/∂α_l in the same shapes, C = Σ_i C_i over the N rows.

def _dense_from_description(desc: Mapping, place: str) -> Dense:
    for key in ("widths", "activations", "cost"):
        if key not in desc:
            raise UsageError(f"{place}: missing {key!r}")
    widths = desc["widths"]
    if not isinstance(widths, list) or len(widths) < 2 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in widths):
        raise UsageError(f"{place}.widths={widths!r}: must be a list of at least two "
                         "integers >= 1 (n_0 .. n_L)")
    acts = desc["activations"]
    if not isinstance(acts, list) or not all(isinstance(x, str) for x in acts):
        raise UsageError(f"{place}.activations: must be a list of activation names")
    if not isinstance(desc["cost"], str):
        raise UsageError(f"{place}.cost={desc['cost']!r}: must be a cost name")
    samples = desc.get("samples", 1)
    if isinstance(samples, bool) or not isinstance(samples, int):
        raise UsageError(f"{place}.samples={samples!r}: must be an integer >= 1")
    try:
        return Dense(widths, acts, desc["cost"], samples=samples)
    except UsageError as exc:
        raise UsageError(f"{place}: {exc}") from None


def _show(value, limit: int = 40) -> str:
    """A value of a JSON file as its text reads (numbers as written), shortened."""
    if isinstance(value, (_Number, _Constant)):
        text = str(value)
    elif isinstance(value, list):
        text = "[" + ", ".join(_show(v, limit) for v in value[:8]) + \
               (", ...]" if len(value) > 8 else "]")
    elif isinstance(value, dict):
        text = "an object"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _shaped(value, shape: tuple, place: str):
    """``value`` as nested lists of decimal strings of ``shape`` (() a number), or a
    one-line UsageError naming the first place where it is not."""
    if not shape:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or isinstance(value, _Constant) \
                or not _DECIMAL.fullmatch(value.strip()):
            raise UsageError(f"{place}={_show(value)}: must be a finite decimal number")
        return str(value).strip()
    n = shape[0]
    what = "numbers" if len(shape) == 1 else f"lists of {shape[1]} numbers"
    if not isinstance(value, list):
        raise UsageError(f"{place}: expected a list of {n} {what}, got {_show(value)}")
    if len(value) != n:
        raise UsageError(f"{place}: expected {n} entries, got {len(value)}")
    return [_shaped(v, shape[1:], f"{place}[{i}]") for i, v in enumerate(value)]


def _arrays(obj, net: Dense, place: str) -> dict:
    """Every parameter array of ``net`` present once, nothing else, each of its shape."""
    obj = _object(obj, place)
    names = net.parameter_names()
    for name in names:
        if name not in obj:
            raise UsageError(f"{place}: missing {name!r}")
    for name in obj:
        if name not in names:
            raise UsageError(f"{place}: unknown {name!r}; this network has {', '.join(names)}")
    return {name: _shaped(obj[name], net.parameter_shape(name), f"{place}.{name}")
            for name in names}


def _read_dense_case(net: Dense, case: dict, place: str) -> dict:
    inputs = _object(case["inputs"], f"{place}.inputs")
    for key in inputs:
        if key not in ("x", "y"):
            raise UsageError(f"{place}.inputs: unknown {key!r}; a dense case has x and y")
    for key in ("x", "y"):
        if key not in inputs:
            raise UsageError(f"{place}.inputs: missing {key!r}")
    N = net.samples
    return {"inputs": {"x": _shaped(inputs["x"], (N, net.n(0)), f"{place}.inputs.x"),
                       "y": _shaped(inputs["y"], (N, net.n(net.L)), f"{place}.inputs.y")},
            "parameters": _arrays(case["parameters"], net, f"{place}.parameters"),
            "cost": _shaped(case["cost"], (), f"{place}.cost"),
            "gradients": _arrays(case["gradients"], net, f"{place}.gradients")}


def _leaves(value, index=()):
    """(index tuple, leaf) of nested lists, row-major."""
    if isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, index + (i,))
    else:
        yield index, value


def _nested(value, f):
    return [_nested(v, f) for v in value] if isinstance(value, list) else f(value)


def _exact_dense(net: Dense, params: dict, x: list, y: list, digits: int) -> dict:
    """Cost and gradients of a dense network correct to ``digits`` for the decimals as
    written, as in :func:`_exact_gradients`."""
    return _until_digits_agree(
        lambda dps: gradients_mp_decimal(net, params, x, y, dps=dps),
        lambda g: [v for n in ["cost"] + net.parameter_names() for _, v in _leaves(g[n])],
        digits)


def _make_dense_vectors(net: Dense, count: int, seed: int, digits: int) -> dict:
    """Vectors for a dense network: per case, parameters by
    :func:`~symgrad.numeric.dense.random_parameters` (W_l ~ N(0, 1/n_{l-1}), b_l ~ N(0, 1),
    α_l = 0.25) and a batch of the network's samples by
    :func:`~symgrad.numeric.dense.random_batch`, seeded from ``seed``; rounded to
    ``digits``-digit decimals first, the cost and gradients computed from those.

    >>> doc = make_vectors(Dense([2, 3, 1], "tanh"), count=1, digits=6)
    >>> case = doc["cases"][0]
    >>> doc["network"]["kind"], sorted(case["parameters"]), case["inputs"]["x"]
    ('dense', ['W_1', 'W_2', 'b_1', 'b_2'], [['-7.87958e-1', '1.38081e+0']])
    >>> case["parameters"]["W_2"], case["gradients"]["W_2"]         # 1 × 3, row-major
    ([['9.03814e-2', '4.04611e-1', '1.35043e+0']], [['-2.34083e-2', '1.95621e-1', '-8.00412e-2']])
    """
    rng = np.random.default_rng(seed)
    names = net.parameter_names()
    cases = []
    with mpmath.workdps(max(digits, 17) + 10):
        for k in range(count):
            params = random_parameters(net, seed=int(rng.integers(2 ** 63)))
            x, y = random_batch(net, net.samples, seed=int(rng.integers(2 ** 63)))

            def dec(arr):   # round the float64 draws to D digits: the file's numbers are the point
                return _nested(np.asarray(arr).tolist(), lambda v: decimal_string(v, digits))
            p = {n: dec(params[n]) for n in names}
            inputs = {"x": dec(x), "y": dec(y)}
            g = _exact_dense(net, p, inputs["x"], inputs["y"], digits)
            for n in ["cost"] + names:
                for index, v in _leaves(g[n]):
                    if not mpmath.isfinite(v) or isinstance(v, mpmath.mpc):
                        raise UsageError(f"network={net!r}: case {k} gives {n}"
                                         f"{''.join(f'[{i}]' for i in index)} = {v}; the cost "
                                         f"{net.cost_name!r} is not defined there")
            cases.append({"inputs": inputs, "parameters": p,
                          "cost": decimal_string(g["cost"], digits),
                          "gradients": {n: _nested(g[n], lambda v: decimal_string(v, digits))
                                        for n in names}})
    from symgrad import __version__ as version
    return {"format": VECTORS_FORMAT, "generator": f"symgrad {version}", "seed": seed,
            "network": describe_network(net), "digits": digits, "cases": cases}


def _dense_backprop_order(net: Dense) -> list:
    """b_L, W_L, α_L, b_{L-1}, ...: the first disagreement names where an error enters."""
    out = []
    for l in range(net.L, 0, -1):
        out += [f"b_{l}", f"{net.weight_name}_{l}"] + ([f"alpha_{l}"] if net.has_slope(l) else [])
    return out


def _verify_dense(net: Dense, doc: dict, rows: list, rtol, dtype) -> VerifyReport:
    _eps(dtype)     # a one-line error for an unknown dtype
    name = str(getattr(dtype, "name", dtype)).replace("torch.", "")
    tol = float(rtol) if rtol is not None else DENSE_RTOL.get(name, DENSE_RTOL["float64"])
    digits = doc["digits"]
    limit = max(tol, 10.0 ** (1 - digits))
    how = (f"rtol {_short(limit)} relative to each array's largest entry, "
           + ("fixed" if rtol is not None else f"{name} default, from {digits}-digit vectors"))
    bad, checked = [], 0
    with mpmath.workdps(digits + 10):
        for k, (case, row) in enumerate(zip(doc["cases"], rows)):
            names = _dense_backprop_order(net) + (["cost"] if "cost" in row else [])
            for n in names:
                expected_tree = case["cost"] if n == "cost" else case["gradients"][n]
                expected = list(_leaves(expected_tree))
                got = dict(_leaves(row[n]))
                # the scale: the largest |expected| entry of this array
                scale = max(abs(mpmath.mpf(v)) for _, v in expected)
                for index, text in expected:
                    e, g = mpmath.mpf(text), mpmath.mpf(got[index])
                    checked += 1
                    if scale == 0:
                        err = 0.0 if g == 0 else math.inf
                    else:
                        err = float(abs(g - e) / scale)
                    if err > limit:
                        bad.append(Disagreement(k, n + "".join(f"[{i}]" for i in index),
                                                text, got[index], err, limit))
    return VerifyReport(network=net, cases=len(rows), checked=checked,
                        disagreements=tuple(bad), how=how)
