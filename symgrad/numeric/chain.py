"""Numbers from a Derivation: float64 NumPy code, mpmath values and finite differences.

Everything here follows the Derivation's backpropagation recurrence, layer by layer, so
the cost of one evaluation is linear in depth::

    forward:   z_l = w_l a_{l-1} + b_l,   a_l = σ_l(z_l)
    backward:  δ_L = σ_L'(z_L) ∂C/∂a_L,   δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}
               ∂C/∂b_l = δ_l,   ∂C/∂w_l = a_{l-1} δ_l,   ∂C/∂α_l = (∂σ_l/∂α_l)(z_l) ∂C/∂a_l

* :func:`mp_gradients` evaluates it with mpmath (50 digits by default, any depth; values
  far below 1e-308 stay representable);
* :func:`compile_numpy` builds float64 NumPy code vectorized over a batch of points;
* three independent witnesses: :func:`finite_differences` (central differences on a ladder
  of steps per parameter with Richardson extrapolation, the error estimate from the
  extrapolation), :func:`complex_step` (analytic activations) and :func:`reference_gradients`
  (mpmath's own differentiation of the composed forward pass, not of the closed form, at
  twice the digits, its error estimated from two working precisions).

>>> from symgrad.model.network import Chain
>>> from symgrad.derivation import derive
>>> d = derive(Chain(depth=2))
>>> point = {"w_1": "0.5", "b_1": "-0.25", "w_2": "1.5", "b_2": "0.125"}
>>> inputs = {"a_0": "1", "y": "0"}
>>> g = mp_gradients(d, point, inputs, digits=30)
>>> mpmath.nstr(g["b_1"], 20)
'0.053377456713818993627'
>>> f = compile_numpy(d)
>>> float(f(point, inputs)["b_1"])    # doctest: +ELLIPSIS
0.0533774567138189...
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Mapping

import mpmath
import numpy as np

try:  # MPFR through gmpy2: the fast kernel of the high-precision recurrence
    import gmpy2
except ImportError:  # pragma: no cover - mpmath alone is slower but complete
    gmpy2 = None
import sympy as sp

from symgrad.model.activations import MP_MODULES as _MP_MODULES
from symgrad.model.activations import Activation
from symgrad.errors import UsageError
from symgrad.model.activations import without_cancellation as _without_cancellation
from symgrad.derivation import Derivation

__all__ = [
    "DEFAULT_DIGITS",
    "GUARD_DIGITS",
    "MAX_DIGITS",
    "INPUT_NAMES",
    "check_digits",
    "mp_point",
    "mp_forward",
    "mp_gradients",
    "compile_numpy",
    "NumpyGradients",
    "random_point",
    "EPS",
    "Estimate",
    "has_kink",
    "finite_differences",
    "complex_step",
    "reference_gradients",
    "condition_estimates",
]

#: the reference precision when none is asked for, in decimal digits
DEFAULT_DIGITS = 50
#: extra working digits on top of the requested ones
GUARD_DIGITS = 10
#: the most digits a user may ask for
MAX_DIGITS = 2000
#: the two inputs besides the parameters
INPUT_NAMES = ("a_0", "y")
#: float64 unit roundoff
EPS = float(np.finfo(float).eps)

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def check_digits(digits, argument: str = "digits") -> int:
    """The precision as an int from 1 to :data:`MAX_DIGITS`, or a one-line UsageError.

    >>> check_digits(0)
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: digits=0: must be an integer from 1 to 2000
    """
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) \
            or not 1 <= digits <= MAX_DIGITS:
        raise UsageError(f"{argument}={digits!r}: must be an integer from 1 to {MAX_DIGITS}")
    return int(digits)


# --- points --------------------------------------------------------------------------------

def _to_mpf(name: str, value) -> mpmath.mpf:
    """One value at the current mpmath precision; decimal strings are read exactly."""
    if type(value) is float:  # the common case, exact
        if math.isfinite(value):
            return mpmath.mpf(value)
        raise UsageError(f"{name}={value!r}: must be finite")
    elif isinstance(value, bool):
        x = None
    elif isinstance(value, str):
        text = value.strip()
        x = mpmath.mpf(text) if _DECIMAL.fullmatch(text) else None
    elif isinstance(value, Fraction) or isinstance(value, sp.Rational):
        num, den = (value.numerator, value.denominator) if isinstance(value, Fraction) \
            else (int(value.p), int(value.q))
        x = mpmath.mpf(num) / den
    elif isinstance(value, numbers.Integral):
        x = mpmath.mpf(int(value))
    elif isinstance(value, Decimal):
        x = mpmath.mpf(str(value)) if value.is_finite() else mpmath.mpf("nan")
    elif isinstance(value, (float, np.floating)):
        x = mpmath.mpf(float(value))
    elif hasattr(value, "_mpf_"):  # mpmath.mpf, sympy.Float
        x = mpmath.mpf(value)
    else:
        x = None
    if x is None:
        raise UsageError(f"{name}={value!r}: must be a real number (int, float, Fraction, "
                         "mpf or a decimal string such as '0.1')")
    if not mpmath.isfinite(x):
        raise UsageError(f"{name}={value!r}: must be finite")
    return x


@lru_cache(maxsize=64)
def _names(net) -> tuple[tuple, frozenset]:
    """The parameter names of a network (in order) and as a set, built once per network."""
    names = tuple(net.parameter_names())
    return names, frozenset(names)


@lru_cache(maxsize=64)
def _layer_names(net) -> tuple:
    """(l, σ_l, "w_l", "b_l", "alpha_l" or None, "w_{l+1}" or None) for l = 1..L."""
    L = net.depth
    return tuple((l, net.sigma(l), f"w_{l}", f"b_{l}", f"alpha_{l}" if net.has_slope(l) else None,
                  f"w_{l + 1}" if l < L else None) for l in net.layers)


def _check_names(d: Derivation, parameters: Mapping, inputs: Mapping) -> None:
    if not isinstance(parameters, Mapping):
        raise UsageError(f"parameters={parameters!r}: must map parameter names to numbers")
    if not isinstance(inputs, Mapping):
        raise UsageError(f"inputs={inputs!r}: must map 'a_0' and 'y' to numbers")
    names, known = _names(d.network)
    if len(parameters) == len(names) and all(name in known for name in parameters) \
            and len(inputs) == 2 and all(name in inputs for name in INPUT_NAMES):
        return
    for name in parameters:
        if name not in known:
            d.network.parameter(name)  # raises the one-line error naming it
            raise UsageError(f"parameter={name!r}: not a parameter of this network")
    for name in names:
        if name not in parameters:
            raise UsageError(f"parameter={name!r}: missing; every one of "
                             f"{', '.join(names[:4])}{', ...' if len(names) > 4 else ''} "
                             "needs a value")
    for name in inputs:
        if name not in INPUT_NAMES:
            raise UsageError(f"input={name!r}: not an input; allowed: a_0, y")
    for name in INPUT_NAMES:
        if name not in inputs:
            raise UsageError(f"input={name!r}: missing; the inputs are a_0 and y")


def mp_point(d: Derivation, parameters: Mapping, inputs: Mapping) -> dict:
    """Every parameter and input as an mpf at the current mpmath precision.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> mp_point(derive(Chain(depth=1)), {"w_1": 1, "b_1": 0}, {"a_0": "0.1"})
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: input='y': missing; the inputs are a_0 and y
    """
    _check_names(d, parameters, inputs)
    out = {name: _to_mpf(name, parameters[name]) for name in _names(d.network)[0]}
    out.update({name: _to_mpf(name, inputs[name]) for name in INPUT_NAMES})
    return out


def _mp_stable(act: Activation) -> Callable:
    """σ, σ' (and ∂σ/∂α) of one activation as one mpmath function (shared subexpressions
    computed once), from the activation's own expressions rewritten by
    :func:`_without_cancellation`."""
    return _MPMATH.stable(act)


_OUTPUT_DELTA: dict = {}


def _output_delta(d: Derivation, module: str, modules=None) -> Callable | None:
    """δ_L(a_L, y) as the Derivation cancels it (sigmoid with cross-entropy: a_L − y) when
    the cancelled form removes the division in ∂C/∂a_L, else None.  It depends only on
    σ_L and the cost, so it is cached on those."""
    net = d.network
    key = (net.sigma(d.L), net.cost, module)
    if key not in _OUTPUT_DELTA:
        _, den = sp.fraction(sp.together(d.concrete(d.dC_da())))
        use = d.output_delta_cancels and bool(den.free_symbols)
        _OUTPUT_DELTA[key] = sp.lambdify([net.a_(d.L), net.y_()], d.output_delta,
                                         modules=modules or module) if use else None
    return _OUTPUT_DELTA[key]


class _Kernel:
    """The arithmetic the recurrence runs in: mpmath (any activation), or MPFR through gmpy2
    (built-in activations and costs; correctly rounded, about 20 times faster).  Both give
    σ, σ' (and ∂σ/∂α) of an activation from the same rewritten expressions."""

    def __init__(self, modules, number_type, convert_in, convert_out, cancelled: str):
        self.modules, self.type = modules, number_type
        self.convert_in, self.convert_out = convert_in, convert_out
        self._cancelled = cancelled
        self._cache: dict = {}

    def stable(self, act: Activation) -> Callable:
        key = ("act", act)
        if key not in self._cache:
            args = [act.z] + ([act.parameter] if act.parameter is not None else [])
            exprs = [_without_cancellation(act.expression),
                     _without_cancellation(act.derivative_expression)]
            if act.parameter is not None:  # ∂σ/∂α, the slope's local factor
                exprs.append(sp.diff(act.expression, act.parameter))
            self._cache[key] = sp.lambdify(args, exprs, modules=self.modules, cse=True)
        return self._cache[key]

    def cost(self, cost) -> tuple[Callable, Callable]:
        """C(a, y) and ∂C/∂a."""
        key = ("cost", cost)
        if key not in self._cache:
            self._cache[key] = tuple(
                sp.lambdify([cost.a, cost.y], _without_cancellation(e), modules=self.modules)
                for e in (cost.expression, cost.derivative_expression))
        return self._cache[key]

    def output_delta(self, d: Derivation) -> Callable | None:
        return _output_delta(d, self._cancelled, self.modules)


_MPMATH = _Kernel(_MP_MODULES, mpmath.mpf, mpmath.mpf, lambda x: x, "mpmath")


def _mpfr_kernel(bits: int) -> _Kernel | None:
    """An MPFR kernel at ``bits`` of precision, or None without gmpy2."""
    if gmpy2 is None:
        return None
    if bits not in _MPFR_KERNELS:
        ctx = gmpy2.context(precision=bits, emax=gmpy2.get_emax_max(),
                            emin=gmpy2.get_emin_min())
        names = {"mpf": lambda v: gmpy2.mpfr(v, bits), "exp": gmpy2.exp, "sqrt": gmpy2.sqrt,
                 "log": gmpy2.log, "log1p": gmpy2.log1p, "tanh": gmpy2.tanh,
                 "cosh": gmpy2.cosh, "erf": gmpy2.erf, "erfc": gmpy2.erfc,
                 "erfc_of_negative": lambda u: gmpy2.erfc(-u),
                 "pi": gmpy2.const_pi(bits)}
        kernel = _Kernel([names, "mpmath"], _MPFR, lambda x: _to_mpfr(x, bits), _from_mpfr,
                         "mpfr")
        kernel.context = ctx
        _MPFR_KERNELS[bits] = kernel
    return _MPFR_KERNELS[bits]


_MPFR_KERNELS: dict = {}
_MPFR = type(gmpy2.mpfr(0)) if gmpy2 is not None else None
_MPFR_ZERO = gmpy2.mpfr(0) if gmpy2 is not None else None


def _to_mpfr(x, bits: int):
    """A value as an MPFR number, exactly (the precision is at least the value's): MPFR
    numbers pass through, Python ints and floats convert exactly, mpf by its bits.  Call it
    inside the kernel's context."""
    if type(x) is _MPFR:
        return x
    if type(x) in (int, float):
        return _MPFR_ZERO + x  # exact for a float (53 bits), and ten times faster than mpfr(x)
    sign, man, exp, _ = x._mpf_
    if not man:
        return gmpy2.mpfr(0, bits)
    return gmpy2.mul_2exp(gmpy2.mpfr(-man if sign else man, bits), exp)


def _from_mpfr(x) -> mpmath.mpf:
    """An MPFR number as an mpf, exactly (NaN and infinities as mpmath's)."""
    if type(x) is not _MPFR:
        return mpmath.mpf(x)
    if not gmpy2.is_finite(x):
        return mpmath.mpf(str(x))
    man, exp = x.as_mantissa_exp()
    return _make_mpf(_from_man_exp(_MPZ(man), int(exp)))


_make_mpf = mpmath.mp.make_mpf
_from_man_exp = mpmath.libmp.from_man_exp
_MPZ = mpmath.libmp.MPZ


def _kernel_for(d: Derivation) -> _Kernel:
    """MPFR where every activation and the cost are built-ins (their expressions use only
    functions MPFR has), mpmath otherwise."""
    from symgrad.model.activations import ACTIVATIONS
    from symgrad.model.costs import COSTS
    net = d.network
    builtin = all(ACTIVATIONS.get(a.name) is a and not a.name.startswith("custom:")
                  for a in set(net.activations)) and COSTS.get(net.cost.name) is net.cost \
        and not net.cost.name.startswith("custom:")
    kernel = _mpfr_kernel(mpmath.mp.prec) if builtin else None
    return kernel or _MPMATH


def _mp_layers(d: Derivation, p: dict, a0, *, with_derivatives: bool = True,
               kernel: _Kernel = _MPMATH):
    """The forward pass at the current precision: z, a (index 0..L) and σ_l'(z_l),
    (∂σ_l/∂α_l)(z_l) per layer."""
    z, a, ds, dalpha = [None], [a0], [None], {}
    al = a0
    for l, act, w, b, alpha, _ in _layer_names(d.network):
        zl = p[w] * al + p[b]                              # z_l = w_l a_{l-1} + b_l
        if alpha is None:
            al, dl = kernel.stable(act)(zl)                # a_l = σ_l(z_l), σ_l'(z_l)
        else:
            al, dl, dalpha[l] = kernel.stable(act)(zl, p[alpha])
        if type(al) is not kernel.type:                    # a Piecewise branch's 0 or 1
            al = kernel.convert_in(al)
        z.append(zl)
        a.append(al)
        ds.append(dl)
    return z, a, ds, dalpha


def mp_forward(d: Derivation, parameters: Mapping, inputs: Mapping, *,
               digits: int = DEFAULT_DIGITS):
    """z_l and a_l for l = 0..L (``z[0]`` is None) at ``digits`` + 10 guard digits.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> z, a = mp_forward(derive(Chain(depth=1)), {"w_1": 2, "b_1": "-1"}, {"a_0": "0.5", "y": 0})
    >>> z[1], a[1]
    (mpf('0.0'), mpf('0.5'))
    """
    digits = check_digits(digits)
    with mpmath.workdps(digits + GUARD_DIGITS):
        p = mp_point(d, parameters, inputs)
        z, a, _, _ = _mp_layers(d, p, p["a_0"])
    return z, a


def _mp_backward(d: Derivation, p: dict, z, a, ds, dalpha, *,
                 kernel: _Kernel = _MPMATH) -> dict:
    """The recurrence at the current precision: cost and every ∂C/∂θ."""
    net, L = d.network, d.L
    y = p["y"]
    cost, cost_derivative = kernel.cost(net.cost)
    grads = {"cost": cost(a[L], y)}
    cancelled = kernel.output_delta(d)
    dC_da = None if cancelled is not None else cost_derivative(a[L], y)
    # δ_L = σ_L'(z_L) ∂C/∂a_L  (or its cancelled form, a_L − y)
    delta = cancelled(a[L], y) if cancelled is not None else ds[L] * dC_da
    for l, _, w, b, alpha, w_next in reversed(_layer_names(net)):
        if l < L:
            dC_da = p[w_next] * delta                # ∂C/∂a_l = w_{l+1} δ_{l+1}
            delta = ds[l] * dC_da                    # δ_l = σ_l'(z_l) ∂C/∂a_l
        grads[b] = delta                             # ∂C/∂b_l = δ_l
        grads[w] = a[l - 1] * delta                  # ∂C/∂w_l = a_{l-1} δ_l
        if alpha is not None:
            if dC_da is None:
                dC_da = cost_derivative(a[L], y)
            grads[alpha] = dalpha[l] * dC_da         # ∂C/∂α_l = ∂a_l/∂α_l ∂C/∂a_l
    mpf, convert = mpmath.mpf, kernel.convert_out
    out = {}
    for n in ("cost",) + _names(net)[0]:
        g = convert(grads[n])
        out[n] = g if type(g) is mpf else mpf(g)
    return out


def _all_values(parameters: Mapping, inputs: Mapping):
    yield from parameters.items()
    yield from inputs.items()


def mp_gradients(d: Derivation, parameters: Mapping, inputs: Mapping, *,
                 digits: int = DEFAULT_DIGITS) -> dict:
    """The cost and every ∂C/∂θ from the Derivation's recurrence, with mpmath at
    ``digits`` + 10 guard digits.  Decimal strings are read exactly at that precision.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> g = mp_gradients(derive(Chain(depth=1)), {"w_1": 2, "b_1": "-1"}, {"a_0": "0.5", "y": 1})
    >>> g["cost"], g["b_1"], g["w_1"]          # σ'(0) = 1/4, a_1 − y = −1/2
    (mpf('0.125'), mpf('-0.125'), mpf('-0.0625'))
    >>> mp_gradients(derive(Chain(depth=1)), {"w_1": "nan", "b_1": 0}, {"a_0": 0, "y": 0})
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: w_1='nan': must be a real number (int, float, Fraction, mpf or a decimal string such as '0.1')
    """
    digits = check_digits(digits)
    with mpmath.workdps(digits + GUARD_DIGITS):
        kernel = _kernel_for(d)
        if kernel is _MPMATH:
            p = mp_point(d, parameters, inputs)
            return _mp_backward(d, p, *_mp_layers(d, p, p["a_0"]))
        _check_names(d, parameters, inputs)
        with gmpy2.context(kernel.context):  # (mul_2exp rounds to the context's precision)
            # floats straight to MPFR (exact); decimal strings and the rest as mp_point reads them
            q = {name: kernel.convert_in(v) if type(v) is float and math.isfinite(v)
                 else kernel.convert_in(_to_mpf(name, v))
                 for name, v in _all_values(parameters, inputs)}
            return _mp_backward(d, q, *_mp_layers(d, q, q["a_0"], kernel=kernel),
                                kernel=kernel)


# --- float64 -------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _np_slope_derivative(act: Activation) -> Callable:
    """(∂σ/∂α)(z, α) as a NumPy function (PReLU: z for z ≤ 0, else 0)."""
    expr = sp.diff(act.expression, act.parameter)
    f = sp.lambdify([act.z, act.parameter], expr, modules="numpy")
    return lambda z, alpha: np.broadcast_to(f(z, alpha), np.shape(z)) * 1.0


def _np_sigmoid_fused(z):
    # σ and σ' from one e = e^{-|z|}: σ = 1/(1+e) (z ≥ 0) or e/(1+e), σ' = e/(1+e)²
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r), e * r * r


def _np_tanh_fused(z):
    # tanh and tanh' = 4e/(1+e)², e = e^{-2|z|}: no 1 − tanh² cancellation
    e = np.exp(-2.0 * np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.tanh(z), 4.0 * e * r * r


#: σ and σ' in one pass for the built-ins where that saves an exp (same stable formulas
#: as the activation table's NumPy forms)
_NUMPY_FUSED = {"sigmoid": _np_sigmoid_fused, "tanh": _np_tanh_fused}


def _np_value_and_derivative(act: Activation) -> Callable:
    from symgrad.model.activations import ACTIVATIONS
    if ACTIVATIONS.get(act.name) is act and act.name in _NUMPY_FUSED:
        return _NUMPY_FUSED[act.name]
    f, df = act.numpy, act.numpy_derivative
    return lambda z: (f(z), df(z))


class NumpyGradients:
    """float64 gradients of a Derivation, vectorized over a batch of points.

    ``f(parameters, inputs)`` takes a float or an array (all broadcastable to one batch
    shape) per name and returns ``{"cost": ..., "b_L": ..., ...}`` as float64 arrays of the
    batch shape; :meth:`packed` returns the same numbers as one ``(batch, parameters)``
    array, columns in ``parameter_names`` order.  The loop runs over layers with each
    activation's stable NumPy forms; sigmoid with cross-entropy uses δ_L = a_L − y.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> f = compile_numpy(derive(Chain(depth=3)))
    >>> point = {n: np.array([0.5, -2.0]) for n in f.parameter_names}
    >>> cost, G = f.packed(point, {"a_0": 1.0, "y": 0.0})
    >>> G.shape, f.parameter_names[:2]
    ((2, 6), ['b_3', 'b_2'])
    >>> bool(np.all(G[:, 0] == f(point, {"a_0": 1.0, "y": 0.0})["b_3"]))
    True
    """

    def __init__(self, d: Derivation):
        net = d.network
        self.derivation = d
        self.L = d.L
        self.parameter_names = list(_names(net)[0])
        index = {name: k for k, name in enumerate(self.parameter_names)}
        self._activations = [None] + [net.sigma(l) for l in net.layers]
        self._w = [None] + [f"w_{l}" for l in net.layers]
        self._b = [None] + [f"b_{l}" for l in net.layers]
        self._alpha = [None] + [f"alpha_{l}" if net.has_slope(l) else None for l in net.layers]
        self._iw = [None] + [index[f"w_{l}"] for l in net.layers]
        self._ib = [None] + [index[f"b_{l}"] for l in net.layers]
        self._ia = [None] + [index.get(f"alpha_{l}") for l in net.layers]
        self._fused = [None] + [_np_value_and_derivative(net.sigma(l)) for l in net.layers]
        self._dalpha = [None] + [_np_slope_derivative(net.sigma(l)) if net.has_slope(l) else None
                                 for l in net.layers]
        self.cost_function = net.cost
        self._cancelled = _output_delta(d, "numpy")

    def __repr__(self) -> str:
        return f"NumpyGradients({self.derivation.network!r})"

    # -- input ------------------------------------------------------------------------------
    def _values(self, parameters: Mapping, inputs: Mapping) -> tuple[dict, tuple]:
        _check_names(self.derivation, parameters, inputs)
        vals = {}
        for source in (parameters, inputs):
            for name, value in source.items():
                try:
                    v = np.asarray(value, dtype=float)
                except (TypeError, ValueError):
                    raise UsageError(f"{name}={value!r}: must be a float or an array of "
                                     "floats") from None
                if not np.all(np.isfinite(v)):
                    raise UsageError(f"{name}: must be finite (found inf or nan)")
                vals[name] = v if v.ndim else float(v)
        try:
            shape = np.broadcast_shapes(*(np.shape(v) for v in vals.values()))
        except ValueError:
            shapes = ", ".join(f"{n}{np.shape(v)}" for n, v in vals.items() if np.ndim(v))
            raise UsageError(f"shapes={shapes}: must broadcast to one batch shape") from None
        return vals, shape

    # -- the recurrence ---------------------------------------------------------------------
    def _forward(self, v: dict):
        """a_{l-1}, σ_l'(z_l), z_l (kept for slope layers) for every layer, and a_L."""
        a_prev, dsig, zs = [None], [None], {}
        a = v["a_0"]
        acts = self._activations
        for l in range(1, self.L + 1):
            act = acts[l]
            z = v[self._w[l]] * a + v[self._b[l]]        # z_l = w_l a_{l-1} + b_l
            a_prev.append(a)
            if self._alpha[l] is None:
                a, ds = self._fused[l](z)                     # a_l = σ_l(z_l), σ_l'(z_l)
            else:
                alpha = v[self._alpha[l]]
                a, ds = act.numpy(z, alpha), act.numpy_derivative(z, alpha)
                zs[l] = z
            dsig.append(ds)
        return a_prev, dsig, zs, a

    def _backward(self, v: dict, shape: tuple):
        a_prev, dsig, zs, aL = self._forward(v)
        L, y = self.L, v["y"]
        out = np.empty((len(self.parameter_names),) + tuple(shape))
        cost = np.broadcast_to(self.cost_function.numpy(aL, y), shape).astype(float)
        dC_da = None
        if self._cancelled is not None:
            delta = self._cancelled(aL, y)                    # δ_L = a_L − y
        else:
            dC_da = self.cost_function.numpy_derivative(aL, y)
            delta = dsig[L] * dC_da                           # δ_L = σ_L'(z_L) ∂C/∂a_L
        for l in range(L, 0, -1):
            if l < L:
                dC_da = v[self._w[l + 1]] * delta             # ∂C/∂a_l = w_{l+1} δ_{l+1}
                delta = dsig[l] * dC_da                       # δ_l = σ_l'(z_l) ∂C/∂a_l
            out[self._ib[l]] = delta                          # ∂C/∂b_l = δ_l
            out[self._iw[l]] = a_prev[l] * delta              # ∂C/∂w_l = a_{l-1} δ_l
            if self._ia[l] is not None:
                if dC_da is None:
                    dC_da = self.cost_function.numpy_derivative(aL, y)
                # ∂C/∂α_l = (∂σ_l/∂α_l)(z_l) ∂C/∂a_l
                out[self._ia[l]] = self._dalpha[l](zs[l], v[self._alpha[l]]) * dC_da
        return cost, out

    def __call__(self, parameters: Mapping, inputs: Mapping) -> dict:
        """``{"cost": C, name: ∂C/∂name, ...}`` as float64 arrays of the batch shape."""
        v, shape = self._values(parameters, inputs)
        if shape == ():  # evaluate as a batch of one (some NumPy forms need an array)
            cost, out = self._backward({n: np.reshape(x, (1,)) for n, x in v.items()}, (1,))
            cost, out = cost.reshape(()), out.reshape(out.shape[:1])
        else:
            cost, out = self._backward(v, shape)
        result = {"cost": cost}
        result.update(zip(self.parameter_names, out))
        return result

    def packed(self, parameters: Mapping, inputs: Mapping) -> tuple[np.ndarray, np.ndarray]:
        """``(cost, G)``: the cost as a ``(batch,)`` array and the gradients as a
        ``(batch, parameters)`` array (a batch of any shape is flattened)."""
        v, shape = self._values(parameters, inputs)
        flat = (int(np.prod(shape)),)
        v = {n: (np.broadcast_to(x, shape).reshape(flat) if np.ndim(x) else x)
             for n, x in v.items()}
        cost, out = self._backward(v, flat)
        return cost, out.T

    def forward(self, parameters: Mapping, inputs: Mapping) -> tuple[list, list]:
        """z_l and a_l (index 0..L, ``z[0]`` None) as float64 arrays."""
        v, shape = self._values(parameters, inputs)
        shape = shape or (1,)
        v = {n: np.broadcast_to(x, shape) for n, x in v.items()}
        z, a = [None], [np.broadcast_to(v["a_0"], shape) * 1.0]
        for l in range(1, self.L + 1):
            zl = v[self._w[l]] * a[-1] + v[self._b[l]]
            al = self._activations[l].numpy(zl) if self._alpha[l] is None else \
                self._activations[l].numpy(zl, v[self._alpha[l]])
            z.append(np.broadcast_to(zl, shape) * 1.0)
            a.append(np.broadcast_to(al, shape) * 1.0)
        return z, a

    # -- rows of perturbed points (the finite-difference and complex-step stencils) -------
    def stencil_cost(self, center: Mapping, rows_parameter: np.ndarray, rows_step: np.ndarray,
                     *, complex_forms: list | None = None, kinks: Mapping | None = None):
        """The cost at ``center`` with parameter number ``rows_parameter[r]`` moved by
        ``rows_step[r]``, one row each, layer by layer in O(rows) memory.

        ``complex_forms`` (σ_l for complex z, index 1..L) evaluates a complex stencil.
        ``kinks`` maps kinked layers to the sign of z_l at the center; the second result
        flags the rows whose z_l there has another sign or is 0 (the stencil crosses a
        kink)."""
        rows_parameter = np.asarray(rows_parameter)
        step = np.asarray(rows_step)
        n = rows_parameter.shape[0]
        crossed = np.zeros(n, dtype=bool)

        def column(name, k):
            value = center[name]
            hit = rows_parameter == k
            if not hit.any():
                return value
            col = np.full(n, value, dtype=step.dtype)
            col[hit] += step[hit]
            return col

        a = np.full(n, center["a_0"], dtype=step.dtype)
        for l in range(1, self.L + 1):
            z = column(self._w[l], self._iw[l]) * a + column(self._b[l], self._ib[l])
            alpha = None if self._alpha[l] is None else column(self._alpha[l], self._ia[l])
            if complex_forms is not None:
                a = complex_forms[l](z) if alpha is None else complex_forms[l](z, alpha)
            else:
                act = self._activations[l]
                a = act.numpy(z) if alpha is None else act.numpy(z, alpha)
            if kinks and l in kinks:
                crossed |= np.broadcast_to(np.sign(z) != kinks[l], (n,))
        return np.broadcast_to(self.cost_function.numpy(a, center["y"]), (n,)), crossed


def compile_numpy(d: Derivation) -> NumpyGradients:
    """Float64 NumPy gradients of ``d``, generated from its recurrence (a loop over
    layers: building them is linear in depth).  See :class:`NumpyGradients`.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> f = compile_numpy(derive(Chain(depth=2, cost="cross-entropy")))
    >>> g = f({"w_1": 1.0, "b_1": 0.0, "w_2": 1.0, "b_2": 1e4}, {"a_0": 0.0, "y": 0.25})
    >>> float(g["b_2"])                 # δ_L = a_L − y: finite although a_L rounds to 1
    0.75
    """
    if not isinstance(d, Derivation):
        raise UsageError(f"derivation={d!r}: must be a Derivation (symgrad.derivation.derivation)")
    return NumpyGradients(d)


# --- random points -------------------------------------------------------------------------

def random_point(d: Derivation, rng, *, scale: float = 1.0, saturate: float = 0.0):
    """A random ``(parameters, inputs)`` pair of float dicts for ``d``.

    The distribution: w_l ~ N(0, scale²), b_l ~ N(0, 1), α_l ~ U(0, 0.3) (PReLU),
    a_0 ~ U(0, 1), y ~ U(0, 1).  With ``saturate`` = p > 0, each layer independently with
    probability p gets b_l = ±U(30, 40) instead (random sign), which drives z_l far into
    the flat tails (|z_l| > 30 unless the weights are large): saturated units.
    ``rng`` is a ``numpy.random.Generator`` or a seed.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> params, inputs = random_point(derive(Chain(depth=2)), 0)
    >>> sorted(params), sorted(inputs)
    (['b_1', 'b_2', 'w_1', 'w_2'], ['a_0', 'y'])
    """
    rng = np.random.default_rng(rng)
    scale = float(scale)
    if not (math.isfinite(scale) and scale > 0):
        raise UsageError(f"scale={scale!r}: must be a finite number > 0")
    if not 0.0 <= float(saturate) <= 1.0:
        raise UsageError(f"saturate={saturate!r}: must be a probability from 0 to 1")
    net = d.network
    L = net.depth
    w = rng.normal(0.0, scale, L)
    b = rng.normal(0.0, 1.0, L)
    alpha = rng.uniform(0.0, 0.3, L)
    a0, y = rng.uniform(0.0, 1.0, 2)
    if saturate > 0:
        hit = rng.uniform(size=L) < saturate
        push = rng.uniform(30.0, 40.0, L) * rng.choice([-1.0, 1.0], L)
        b = np.where(hit, push, b)
    params = {}
    for l in range(L, 0, -1):
        params[f"b_{l}"] = float(b[l - 1])
    for l in range(L, 0, -1):
        params[f"w_{l}"] = float(w[l - 1])
    for l in range(L, 0, -1):
        if net.has_slope(l):
            params[f"alpha_{l}"] = float(alpha[l - 1])
    return params, {"a_0": float(a0), "y": float(y)}


# --- witnesses -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    """A witness's value of one gradient with its estimated absolute error.

    ``kink`` is set when the witness's stencil crossed a kink of a kinked activation (a
    z_l changed sign or sat at 0): the gradient does not exist there as a two-sided limit.
    """

    value: object
    error: float
    kink: bool = False

    @property
    def resolved(self) -> bool:
        """The estimate means something: finite, no kink, error below the magnitude."""
        v, e = float(abs(self.value)), float(self.error)
        return not self.kink and math.isfinite(v) and math.isfinite(e) and e < v


def has_kink(act: Activation, alpha=None) -> bool:
    """True when σ' jumps at 0 (relu, leaky_relu, prelu with α ≠ 1, selu), so C is not
    differentiable where a z_l is 0; elu (α = 1) is C¹ and has none.

    >>> from symgrad.model.activations import get_activation
    >>> [has_kink(get_activation(n)) for n in ("relu", "elu", "selu", "sigmoid")]
    [True, False, True, False]
    """
    if act.kink is None:
        return False
    side = np.array([-1e-300, 1e-300])
    left, right = (act.numpy_derivative(side) if act.parameter is None
                   else act.numpy_derivative(side, 0.25 if alpha is None else float(alpha)))
    return bool(left != right)


def _kinked_layers(d: Derivation, alphas: Mapping) -> list[int]:
    net = d.network
    return [l for l in net.layers if has_kink(net.sigma(l), alphas.get(f"alpha_{l}"))]


def _float_center(f: NumpyGradients, parameters: Mapping, inputs: Mapping) -> dict:
    v, shape = f._values(parameters, inputs)
    if shape != ():
        raise UsageError(f"parameters: one point is needed here, got a batch of shape {shape}")
    return {n: float(x) for n, x in v.items()}


#: the finite-difference step ladder: h_k = 2^-(3+k) max(|θ|, 1), k = 0..20
_FD_LADDER = 2.0 ** -np.arange(3, 24)


def finite_differences(f: NumpyGradients, parameters: Mapping, inputs: Mapping, *,
                       names=None, condition: Mapping | None = None) -> dict:
    """Central differences of the float64 cost on a ladder of steps per parameter, with
    Richardson extrapolation; returns ``{name: Estimate}``.

    For each step h: D(h) = (C(θ + h) − C(θ − h))/(2h) = C' + c h² + …, extrapolated as
    R(h) = (4 D(h/2) − D(h))/3.  The error of R(h) is estimated as |R(h) − R(h/2)| plus
    the rounding of the float64 cost (:func:`_cost_rounding`) amplified by 3/h; each
    parameter takes the
    step with the smallest estimate among those whose stencils cross no kink.  The float64
    cost is itself the exact cost of a nearby problem, so no step does better than the
    gradient's condition allows: 8 (L + κ) ε |R| is added, κ from ``condition`` where given.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> f = compile_numpy(derive(Chain(depth=2)))
    >>> point, inputs = {"w_1": 0.5, "b_1": -0.25, "w_2": 1.5, "b_2": 0.125}, {"a_0": 1.0, "y": 0.0}
    >>> e = finite_differences(f, point, inputs)["b_1"]
    >>> abs(e.value - 0.0533774567138189) <= 10 * e.error < 1e-9
    True
    """
    center = _float_center(f, parameters, inputs)
    names = list(f.parameter_names if names is None else names)
    index = {n: k for k, n in enumerate(f.parameter_names)}
    K = len(_FD_LADDER)
    kinks = {l: np.sign(z) for l, z in _center_z(f, center).items()
             if l in _kinked_layers(f.derivation, center)}
    scale = np.array([max(abs(center[n]), 1.0) for n in names])
    h = scale[:, None] * _FD_LADDER[None, :]                          # (P, K)
    rows_parameter = np.repeat([index[n] for n in names], 2 * K)
    rows_step = np.stack([h, -h], axis=-1).reshape(-1)                # (P·K·2,)
    with np.errstate(all="ignore"):
        C, crossed = f.stencil_cost(center, rows_parameter, rows_step, kinks=kinks)
        C, crossed = C.reshape(len(names), K, 2), crossed.reshape(len(names), K, 2)
        D = (C[..., 0] - C[..., 1]) / (2 * h)                         # D(h_k)
        R = (4 * D[:, 1:] - D[:, :-1]) / 3                            # R(h_k), k = 0..K-2
        noise = _cost_rounding(f, center)
        err = np.abs(R[:, :-1] - R[:, 1:]) + 3 * noise / h[:, :K - 2]  # for R(h_k), k ≤ K-3
    cross = crossed.any(axis=-1)
    bad = cross[:, :-2] | cross[:, 1:-1] | cross[:, 2:] | ~np.isfinite(err) \
        | ~np.isfinite(R[:, :-1])
    err = np.where(bad, np.inf, err)
    out = {}
    for i, name in enumerate(names):
        k = int(np.argmin(err[i]))
        if np.isfinite(err[i, k]):
            kappa = float(condition.get(name, 0.0)) if condition else 0.0
            value = float(R[i, k])
            out[name] = Estimate(value, float(err[i, k]) + 8 * (f.L + kappa) * EPS * abs(value))
        else:
            out[name] = Estimate(float("nan"), float("inf"), kink=bool(cross[i, -1]))
    return out


def _cost_rounding(f: NumpyGradients, center: dict) -> float:
    """A first-order bound on the rounding error of the float64 cost at ``center``: every
    operation of the forward pass errs by one ε relative, and an error in z_l reaches C as
    δ_l = ∂C/∂z_l, one in a_l as ∂C/∂a_l::

        4 ε (|C| + Σ_l |δ_l| (|w_l a_{l-1}| + |b_l| + |z_l|) + Σ_l |∂C/∂a_l| |a_l|)
    """
    params = {n: center[n] for n in f.parameter_names}
    inputs = {"a_0": center["a_0"], "y": center["y"]}
    with np.errstate(all="ignore"):
        g = f(params, inputs)
        z, a = f.forward(params, inputs)
        dC_da = f.cost_function.numpy_derivative(a[f.L], center["y"])
    total = abs(float(g["cost"])) + abs(float(np.ravel(dC_da)[0]) * float(a[f.L][0]))
    for l in range(1, f.L + 1):
        delta = abs(float(g[f"b_{l}"]))
        total += delta * (abs(center[f"w_{l}"] * float(a[l - 1][0])) + abs(center[f"b_{l}"])
                          + abs(float(z[l][0])))
        if l < f.L:
            total += abs(center[f"w_{l + 1}"] * float(g[f"b_{l + 1}"]) * float(a[l][0]))
    return 4 * EPS * total if math.isfinite(total) else math.inf


def _center_z(f: NumpyGradients, center: dict) -> dict:
    """z_l at the center point, l = 1..L."""
    params = {n: center[n] for n in f.parameter_names}
    z, _ = f.forward(params, {"a_0": center["a_0"], "y": center["y"]})
    return {l: float(z[l][0]) for l in range(1, f.L + 1)}


# complex forms of the analytic built-ins, stable for |Re z| up to 1e4
def _c_sigmoid(z):
    neg = z.real < 0
    e = np.exp(np.where(neg, z, -z))          # e^{-|Re z|}-sized, never overflows
    return np.where(neg, e / (1 + e), 1 / (1 + e))


def _c_log1p(e):
    # log(1 + e) to first order in Im e (all the complex step needs): NumPy's complex
    # log1p loses the relative accuracy of the real part for small |e|
    return np.log1p(e.real) + 1j * (e.imag / (1 + e.real))


def _c_softplus(z):
    neg = z.real < 0
    e = np.exp(np.where(neg, z, -z))
    return np.where(neg, _c_log1p(e), z + _c_log1p(e))


_COMPLEX_FORMS = {"sigmoid": _c_sigmoid, "tanh": np.tanh, "linear": lambda z: z * 1,
                  "softplus": _c_softplus, "silu": lambda z: z * _c_sigmoid(z)}


@lru_cache(maxsize=None)
def _complex_form(act: Activation) -> Callable:
    if act.name in _COMPLEX_FORMS:
        return _COMPLEX_FORMS[act.name]
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    return sp.lambdify(args, act.expression, modules="numpy")


#: the complex step: h = 2^-40 max(|θ|, 1), checked against 2h
_CS_STEP = 2.0 ** -40


def complex_step(f: NumpyGradients, parameters: Mapping, inputs: Mapping, *, names=None,
                 condition: Mapping | None = None) -> dict | None:
    """Complex-step derivatives C'(θ) ≈ Im C(θ + ih)/h (no cancellation), or None when an
    activation of the network is not analytic.  ``{name: Estimate}``; the error estimate is
    |D(h) − D(2h)|/3 (the h² term) plus 8 (L + κ) ε |D| for rounding, κ the gradient's
    condition estimate where given.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> f = compile_numpy(derive(Chain(depth=2)))
    >>> point, inputs = {"w_1": 0.5, "b_1": -0.25, "w_2": 1.5, "b_2": 0.125}, {"a_0": 1.0, "y": 0.0}
    >>> e = complex_step(f, point, inputs)["b_1"]
    >>> abs(e.value - 0.0533774567138189) <= e.error < 1e-15
    True
    """
    net = f.derivation.network
    if not all(act.analytic for act in net.activations):
        return None
    center = _float_center(f, parameters, inputs)
    names = list(f.parameter_names if names is None else names)
    index = {n: k for k, n in enumerate(f.parameter_names)}
    forms = [None] + [_complex_form(act) for act in net.activations]
    h = np.array([max(abs(center[n]), 1.0) * _CS_STEP for n in names])
    rows_parameter = np.repeat([index[n] for n in names], 2)
    rows_step = 1j * np.stack([h, 2 * h], axis=-1).reshape(-1)
    with np.errstate(all="ignore"):
        C, _ = f.stencil_cost(center, rows_parameter, rows_step, complex_forms=forms)
        D = (C.imag.reshape(len(names), 2) / np.stack([h, 2 * h], axis=-1))
    out = {}
    for i, name in enumerate(names):
        d1, d2 = float(D[i, 0]), float(D[i, 1])
        kappa = float(condition.get(name, 0.0)) if condition else 0.0
        err = abs(d1 - d2) / 3 + 8 * (f.L + max(kappa, 1.0)) * EPS * abs(d1)
        if abs(d1) * h[i] < 1e-290 or not math.isfinite(d1):  # Im C underflowed
            err = float("inf")
        out[name] = Estimate(d1, err)
    return out


@lru_cache(maxsize=None)
def _mp_value(act: Activation) -> Callable:
    """σ alone (the reference needs no derivative), rewritten as in :func:`_mp_stable`."""
    args = [act.z] + ([act.parameter] if act.parameter is not None else [])
    return sp.lambdify(args, _without_cancellation(act.expression), modules=_MP_MODULES)


def _mp_sign(x) -> int:
    return 0 if x == 0 else (1 if x > 0 else -1)


def _reference_once(d: Derivation, parameters: Mapping, inputs: Mapping, dps: int,
                    names: list) -> dict:
    """mpmath.diff of the composed cost in each parameter, at ``dps`` digits (mpmath.diff
    itself works at about twice that)."""
    net = d.network
    out = {}
    with mpmath.workdps(dps):
        p = mp_point(d, parameters, inputs)
        z, a, _, _ = _mp_layers(d, p, p["a_0"])
        kinks = {l: _mp_sign(z[l]) for l in _kinked_layers(d, p)}
        layers = _layer_names(net)
        y = p["y"]
        for name in names:
            first = net.parameter(name)[1]
            crossed = []

            def cost_of(x, name=name, first=first, crossed=crossed):
                # C as the composed forward pass from layer `first` on, θ = x
                q = dict(p)
                q[name] = x
                al = a[first - 1]
                for l, act, w, b, alpha, _ in layers[first - 1:]:
                    zl = q[w] * al + q[b]
                    al = _mp_value(act)(zl) if alpha is None else _mp_value(act)(zl, q[alpha])
                    if l in kinks and _mp_sign(zl) != kinks[l]:
                        crossed.append(l)
                return net.cost.mp(al, y)

            value = mpmath.diff(cost_of, p[name])
            out[name] = (value, bool(crossed))
    return out


def reference_gradients(d: Derivation, parameters: Mapping, inputs: Mapping, *,
                        digits: int = DEFAULT_DIGITS, names=None,
                        magnitudes: Mapping | None = None) -> dict:
    """The independent reference: mpmath's differentiation (:func:`mpmath.diff`, a central
    difference at raised precision) of the composed forward pass, not of the closed form.
    It is called at digits + 20 and at 1.5·digits + 30 decimal digits, and mpmath.diff works
    at about twice that (a step of 2^-(prec+10) at 2(prec+20) bits): the reference is
    computed at twice the digits; the error estimate is the difference of the two.  A gradient far smaller than the cost loses about
    log10(|C|/|∂C/∂θ|) digits to cancellation: ``magnitudes`` (rough sizes of the
    gradients, for example the closed form's values) adds those digits up front, and where
    the two precisions still do not agree to ``digits`` + 2 digits the precision doubles,
    up to five times.  Returns ``{name: Estimate}`` with mpf values.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> d = derive(Chain(depth=2))
    >>> point, inputs = {"w_1": 0.5, "b_1": -0.25, "w_2": 1.5, "b_2": 0.125}, {"a_0": 1, "y": 0}
    >>> ref = reference_gradients(d, point, inputs, digits=30)["b_1"]
    >>> mpmath.nstr(ref.value, 20), ref.error < 1e-40
    ('0.053377456713818993627', True)
    """
    digits = check_digits(digits)
    names = list(d.parameter_names() if names is None else names)
    tolerance = mpmath.mpf(10) ** -max(digits + 2, 17)
    base = digits + 2 * GUARD_DIGITS
    groups: dict[int, list] = {}
    if magnitudes:
        with mpmath.workdps(30):
            p = mp_point(d, parameters, inputs)
            _, a, _, _ = _mp_layers(d, p, p["a_0"])
            size = abs(d.network.cost.mp(a[-1], p["y"])) + abs(a[-1]) + abs(p["y"])
        for name in names:
            hint = abs(mpmath.mpf(magnitudes.get(name, 0) or 0))
            lost = max(0, int(mpmath.ceil(mpmath.log10(size / hint)))) if hint and size else 0
            groups.setdefault(base + 10 * -(-lost // 10), []).append(name)
    else:
        groups[base] = names
    out = {}
    for dps, group in sorted(groups.items()):
        for _ in range(5):
            low = _reference_once(d, parameters, inputs, dps, group)
            high = _reference_once(d, parameters, inputs, dps + digits // 2 + 10, group)
            pending = []
            for name in group:
                (v1, k1), (v2, k2) = low[name], high[name]
                error = abs(v2 - v1)
                out[name] = Estimate(v2, float(error) if error else 0.0, kink=k1 or k2)
                if not out[name].kink and error > tolerance * abs(v2):
                    pending.append(name)
            if not pending:
                break
            group, dps = pending, 2 * dps
    return {name: out[name] for name in names}


def condition_estimates(d: Derivation, parameters: Mapping, inputs: Mapping, *,
                        trials: int = 3, seed: int = 0) -> dict:
    """A statistical estimate of each gradient's relative condition number: the largest
    relative change of ∂C/∂θ, over ``trials`` random sign patterns, when every parameter
    and input moves by one float64 rounding (relative 2⁻⁵³), divided by 2⁻⁵³.  A float64
    evaluation can be expected to reach about κ ε relative accuracy, no better.

    >>> from symgrad.model.network import Chain
    >>> from symgrad.derivation import derive
    >>> d = derive(Chain(depth=3))
    >>> point = {"w_1": 100.0, "b_1": -50.0, "w_2": 100.0, "b_2": -50.0, "w_3": 100.0, "b_3": -50.0}
    >>> kappa = condition_estimates(d, point, {"a_0": 0.5, "y": 0.0})
    >>> kappa["b_1"] > 1e4      # the classic exploding case: w_l σ'(z_l) = 25 per layer
    True
    """
    rng = np.random.default_rng(seed)
    u = mpmath.mpf(2) ** -53
    with mpmath.workdps(30 + GUARD_DIGITS):
        p = mp_point(d, parameters, inputs)
        base = _mp_backward(d, p, *_mp_layers(d, p, p["a_0"]))
        kappa = {n: 0.0 for n in _names(d.network)[0]}
        for _ in range(trials):
            signs = rng.choice([-1, 1], len(p))
            q = {n: x * (1 + int(s) * u) for (n, x), s in zip(p.items(), signs)}
            g = _mp_backward(d, q, *_mp_layers(d, q, q["a_0"]))
            for n in kappa:
                if base[n] != 0:
                    kappa[n] = max(kappa[n], float(abs(g[n] - base[n]) / (u * abs(base[n]))))
    return kappa
