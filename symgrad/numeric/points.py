"""Points: the values a gradient is evaluated at, read, checked and drawn, for every network.

A point is ``(parameters, inputs)``: ``parameters`` maps each name of
:meth:`~symgrad.model.network.Network.parameter_names` to a value of the parameter's shape
(W_l: n_l × n_{l-1} as nested lists or an array, b_l: n_l entries, α_l: a number; in a chain
every w_l and b_l may be a plain number), ``inputs`` maps ``a_0`` to the inputs (N rows of n_0,
one row or, in a chain, a number) and ``y`` to the targets (N rows of n_L).  Each value is an
int, a float, a Fraction, an mpf or a decimal string such as ``"0.1"``, read exactly at the
working precision, never through a float.

Components are labelled one-based, as the lecture writes w^l_{jk}: ``W_2[1,3]`` is the weight
from neuron 3 of layer 1 to neuron 1 of layer 2, ``b_2[3]`` the bias of neuron 3; a chain's
scalars keep their names (``w_2``, ``b_2``), and so does α_l.

>>> from symgrad.model.network import Chain, Dense
>>> p = read_point(Dense([2, 3, 1]), {"W_1": [[1, 0], [0, 1], [1, 1]], "b_1": [0, 0, "0.5"],
...                                   "W_2": [[1, 2, 3]], "b_2": [0]}, {"a_0": [1, 2], "y": [0]})
>>> p.parameters["b_1"].shape, p.inputs["a_0"].shape, p.samples
((3,), (1, 2), 1)
>>> [label for label, _, _ in components(Dense([2, 2]), ["W_1"])]
['W_1[1,1]', 'W_1[1,2]', 'W_1[2,1]', 'W_1[2,2]']
>>> random_point(Chain(depth=2), 0)[0]
{'b_2': 0.10490011715303971, 'b_1': 0.6404226504432821, 'w_2': -0.1321048632913019, 'w_1': 0.1257302210933933}
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Mapping

import numpy as np
import sympy as sp

from symgrad.errors import UsageError
from symgrad.model.network import Network

__all__ = ["DEFAULT_DIGITS", "GUARD_DIGITS", "MAX_DIGITS", "INPUT_NAMES", "EPS", "parse_digits",
           "network_of", "Point", "read_point", "mp_point", "components", "component_values",
           "random_point", "random_parameters", "random_batch", "parse_parameters",
           "parse_batch"]

#: the precision when none is asked for, in decimal digits
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
_REAL = "must be a real number (int, float, Fraction, mpf or a decimal string such as '0.1')"


def parse_digits(digits, argument: str = "digits") -> int:
    """The precision as an int from 1 to :data:`MAX_DIGITS`, or a one-line UsageError.

    >>> parse_digits(0)
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: digits=0: must be an integer from 1 to 2000
    """
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) \
            or not 1 <= digits <= MAX_DIGITS:
        raise UsageError(f"{argument}={digits!r}: must be an integer from 1 to {MAX_DIGITS}")
    return int(digits)


def network_of(network_or_derivation) -> Network:
    """The network of a Network or of its Derivation (a one-line error for anything else)."""
    net = getattr(network_or_derivation, "network", network_or_derivation)
    if not isinstance(net, Network):
        raise UsageError(f"network={network_or_derivation!r}: must be a Network (Chain(...) or "
                         "Dense(...)) or its Derivation")
    return net


# --- reading values exactly ----------------------------------------------------------------

def _exact(name: str, value):
    """One value, checked: a float, an int, a Fraction, a validated decimal string or an mpf
    (each exact; the working precision rounds it later)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if type(value) is float or isinstance(value, np.floating):
        if math.isfinite(value):
            return float(value)
        raise UsageError(f"{name}={float(value)!r}: must be finite")
    if isinstance(value, (bool, np.bool_)):
        raise UsageError(f"{name}={value!r}: {_REAL}")
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return value.strip()
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if hasattr(value, "_mpf_"):  # mpmath.mpf, sympy.Float
        import mpmath
        x = mpmath.mpf(value)
        if mpmath.isfinite(x):
            return x
        raise UsageError(f"{name}={value!r}: must be finite")
    raise UsageError(f"{name}={value!r}: {_REAL}")


def _array(name: str, value, shape: tuple, what: str) -> np.ndarray:
    """``value`` as an object array of checked exact values in ``shape``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if type(value) in (float, int, str) and int(np.prod(shape)) == 1:  # a chain's number
        out = np.empty(shape, dtype=object)
        out.reshape(-1)[0] = _exact(name, value)
        return out
    if isinstance(value, (str, bytes)) or np.ndim(value) == 0:
        arr = np.empty((), dtype=object)
        arr[()] = value
    else:
        try:
            arr = np.array(value, dtype=object)
        except ValueError:
            raise UsageError(f"{name}: ragged nested lists; expected shape {shape} = {what}") \
                from None
    if arr.shape != shape:
        if arr.ndim == 0 and int(np.prod(shape)) == 1:
            arr = arr.reshape(shape)  # a number for a one-component parameter
        else:
            raise UsageError(f"{name}: shape {arr.shape} given, expected {shape} = {what}")
    out = np.empty(shape, dtype=object)
    for index, v in np.ndenumerate(arr):
        out[index] = _exact(name, v)
    return out


@dataclass(frozen=True)
class Point:
    """A checked point: every parameter and input as an object array of exact values in its
    shape (``a_0`` and ``y`` as N rows)."""

    network: Network
    parameters: dict
    inputs: dict

    @property
    def samples(self) -> int:
        return self.inputs["a_0"].shape[0]


def _shape_rule(net: Network, name: str) -> str:
    kind, l = net.parameter(name)
    return {"W": f"(n_{l}, n_{l - 1})", "b": f"(n_{l},)", "alpha": "() (a number)"}[kind]


@lru_cache(maxsize=64)
def _names(net: Network) -> dict:
    """Every name a parameter may be given by (``W_l`` for a chain's ``w_l`` too) → its own
    name, shape and shape rule: read once per network."""
    out = {}
    for name in net.parameter_names():
        entry = (name, net.parameter_shape(name), _shape_rule(net, name))
        out[name] = entry
        kind, l = net.parameter(name)
        if kind == "W":
            out[f"W_{l}"] = out[f"w_{l}"] = entry
    return out


def _check_names(net: Network, parameters, inputs) -> None:
    if not isinstance(parameters, Mapping):
        raise UsageError(f"parameters={parameters!r}: must map parameter names to values")
    if not isinstance(inputs, Mapping):
        raise UsageError(f"inputs={inputs!r}: must map 'a_0' and 'y' to values")
    names, known = net.parameter_names(), _names(net)
    for name in parameters:
        if name not in known:
            net.parameter(name)  # one line naming an unknown parameter
    given = {known[n][0] for n in parameters}
    for name in names:
        if name not in given:
            raise UsageError(f"parameter={name!r}: missing; every one of "
                             f"{', '.join(names[:4])}{', ...' if len(names) > 4 else ''} "
                             "needs a value")
    for name in inputs:
        if name not in INPUT_NAMES:
            raise UsageError(f"input={name!r}: not an input; allowed: a_0, y")
    for name in INPUT_NAMES:
        if name not in inputs:
            raise UsageError(f"input={name!r}: missing; the inputs are a_0 and y")


def _rows(name: str, value, width: int, samples: int | None) -> np.ndarray:
    """Inputs as N rows of ``width``: a number (width 1), one row, or N rows."""
    ndim = 0 if isinstance(value, (str, bytes)) else np.ndim(value)
    if ndim == 0 and width == 1:
        value = [[value]]
    elif ndim == 1:
        value = [value]
    n = samples if samples is not None else (len(value) if ndim == 2 else 1)
    return _array(name, value, (n, width), f"(samples, {width})")


def read_point(network, parameters: Mapping, inputs: Mapping) -> Point:
    """``(parameters, inputs)`` checked and read exactly: one line naming what is wrong.
    A :class:`Point` given as ``parameters`` passes through (``inputs`` is then ignored).

    >>> from symgrad.model.network import Chain
    >>> read_point(Chain(depth=1), {"w_1": 1, "b_1": 0}, {"a_0": "0.1"})
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: input='y': missing; the inputs are a_0 and y
    """
    net = network_of(network)
    if isinstance(parameters, Point):
        return parameters
    _check_names(net, parameters, inputs)
    params = {}
    for key, value in parameters.items():
        name, shape, rule = _names(net)[key]
        params[name] = _array(name, value, shape, rule)
    a0 = _rows("a_0", inputs["a_0"], net.n(0), None)
    y = _rows("y", inputs["y"], net.n(net.L), a0.shape[0])
    return Point(net, {n: params[n] for n in net.parameter_names()}, {"a_0": a0, "y": y})


def mp_point(network, parameters: Mapping, inputs: Mapping) -> dict:
    """Every parameter and input as an mpf at the current mpmath precision, decimal strings
    read exactly: numbers in a chain, nested lists in the values' shapes otherwise.

    >>> from symgrad.model.network import Chain
    >>> mp_point(Chain(depth=1), {"w_1": "0.5", "b_1": Fraction(1, 4)}, {"a_0": 2, "y": 0})
    {'b_1': mpf('0.25'), 'w_1': mpf('0.5'), 'a_0': mpf('2.0'), 'y': mpf('0.0')}
    """
    import mpmath
    point = read_point(network, parameters, inputs)

    def mp(value):
        if isinstance(value, np.ndarray):
            return [mp(v) for v in value] if value.ndim else mp(value[()])
        if isinstance(value, Fraction):
            return mpmath.mpf(value.numerator) / value.denominator
        return mpmath.mpf(value)

    values = {**point.parameters, **point.inputs}
    if point.network.is_chain and point.samples == 1:
        return {n: mp(v.reshape(-1)[0]) for n, v in values.items()}
    return {n: mp(v) for n, v in values.items()}


# --- components ----------------------------------------------------------------------------

def components(net: Network, names=None) -> list[tuple]:
    """``(label, name, index)`` for every component of the parameters ``names`` (default: all,
    in the lecture's order), ``index`` zero-based into the parameter's array, the label
    one-based (module description)."""
    out, known = [], _names(net)
    for name in (net.parameter_names() if names is None else names):
        name, shape, _ = known[name] if name in known else (net.canonical(name), None, None)
        if net.is_chain or not shape:
            out.append((name, name, (0,) * len(shape)))
            continue
        for index in np.ndindex(*shape):
            out.append((f"{name}[{','.join(str(i + 1) for i in index)}]", name, index))
    return out


def component_values(net: Network, gradients: Mapping, names=None) -> dict:
    """``{label: value}`` from gradients held as arrays (or nested lists) in the parameters'
    shapes, or as numbers in a chain."""
    out = {}
    for label, name, index in components(net, names):
        value = gradients[name]
        for i in index if np.ndim(value) else ():   # a chain's number stands for itself
            value = value[i]
        out[label] = value
    return out


# --- drawn points ---------------------------------------------------------------------------

def _check_regime(scale, saturate) -> tuple[float, float]:
    scale = float(scale)
    if not (math.isfinite(scale) and scale > 0):
        raise UsageError(f"scale={scale!r}: must be a finite number > 0")
    if not 0.0 <= float(saturate) <= 1.0:
        raise UsageError(f"saturate={saturate!r}: must be a probability from 0 to 1")
    return scale, float(saturate)


def random_point(network, rng, *, scale: float = 1.0, saturate: float = 0.0):
    """A random ``(parameters, inputs)`` pair for any network.

    The distribution: w^l_jk ~ N(0, scale²/n_{l-1}) (N(0, scale²) in a chain), b^l_j ~ N(0, 1),
    α_l ~ U(0, 0.3) (PReLU), every entry of a_0 ~ U(0, 1) and of y ~ U(0, 1) (a one-hot row,
    uniform among the outputs, for a softmax output), N rows for the network's N samples.
    With ``saturate`` = p > 0, each unit independently with probability p gets
    b^l_j = ±U(30, 40) instead (random sign): z^l_j far in the flat tails, a saturated unit.
    A chain's values are floats, a dense network's float arrays.  ``rng`` is a
    ``numpy.random.Generator`` or a seed.
    """
    rng = np.random.default_rng(rng)
    scale, saturate = _check_regime(scale, saturate)
    net = network_of(network)
    if net.is_chain:
        return _random_chain_point(net, rng, scale, saturate)
    params = {}
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        shape = net.parameter_shape(name)
        if kind == "W":
            params[name] = rng.normal(0.0, scale / math.sqrt(net.n(l - 1)), shape)
        elif kind == "b":
            b = rng.normal(0.0, 1.0, shape)
            if saturate > 0:
                hit = rng.uniform(size=shape) < saturate
                b = np.where(hit, rng.uniform(30.0, 40.0, shape) * rng.choice([-1.0, 1.0], shape), b)
            params[name] = b
        else:
            params[name] = float(rng.uniform(0.0, 0.3))
    N, nL = net.samples, net.n(net.L)
    a0 = rng.uniform(0.0, 1.0, (N, net.n(0)))
    y = np.eye(nL)[rng.integers(0, nL, N)] if net.softmax_output else rng.uniform(0.0, 1.0, (N, nL))
    return params, {"a_0": a0, "y": y}


def _random_chain_point(net: Network, rng, scale: float, saturate: float):
    # the chain's draws, in this order, are what the seeds of the tests and the README mean
    L = net.L
    w = rng.normal(0.0, scale, L)
    b = rng.normal(0.0, 1.0, L)
    alpha = rng.uniform(0.0, 0.3, L)
    a0, y = rng.uniform(0.0, 1.0, 2)
    if saturate > 0:
        hit = rng.uniform(size=L) < saturate
        push = rng.uniform(30.0, 40.0, L) * rng.choice([-1.0, 1.0], L)
        b = np.where(hit, push, b)
    params = {f"b_{l}": float(b[l - 1]) for l in range(L, 0, -1)}
    params.update({f"w_{l}": float(w[l - 1]) for l in range(L, 0, -1)})
    params.update({f"alpha_{l}": float(alpha[l - 1]) for l in range(L, 0, -1) if net.has_slope(l)})
    return params, {"a_0": float(a0), "y": float(y)}


def random_parameters(net: Network, seed: int = 0, scale: str | float = "fan-in") -> dict:
    """Seeded N(0, s²) weights (s = 1/√n_{l-1} for ``"fan-in"``), N(0, 1) biases, α_l = 0.25,
    as float arrays of the parameters' shapes."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        shape = net.parameter_shape(name)
        if kind == "alpha":
            out[name] = np.array(0.25)
        elif kind == "W":
            s = 1 / math.sqrt(net.n(l - 1)) if scale == "fan-in" else float(scale)
            out[name] = rng.normal(0.0, s, shape)
        else:
            out[name] = rng.normal(0.0, 1.0, shape)
    return out


def random_batch(net: Network, samples: int, seed: int = 0):
    """Seeded inputs x ~ N(0, 1) (``samples`` rows) and targets: one-hot rows for a softmax
    output, uniform in (0.05, 0.95) otherwise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, net.n(0)))
    nL = net.n(net.L)
    if net.softmax_output:
        y = np.eye(nL)[rng.integers(0, nL, samples)]
    else:
        y = rng.uniform(0.05, 0.95, (samples, nL))
    return x, y


# --- float arrays ----------------------------------------------------------------------------

def parse_parameters(net: Network, params, dtype=np.float64) -> dict:
    """``params`` as float arrays of the network's shapes (``W_l`` accepted for a chain's
    ``w_l``), or a one-line :class:`UsageError` naming the array, the shape given and the
    shape expected."""
    if not isinstance(params, Mapping):
        raise UsageError(f"params={type(params).__name__}: must be a dict with keys "
                         f"{', '.join(net.parameter_names())}")
    known, given = _names(net), {}
    for key, value in params.items():
        name = known[key][0] if key in known else key
        if name in given:
            raise UsageError(f"params: {name} given twice (as {key!r} too)")
        given[name] = value
    names = net.parameter_names()
    if len(given) != len(names) or any(n not in given for n in names):
        raise UsageError(f"params: keys {sorted(given)!r} given; expected exactly "
                         f"{', '.join(names)}")
    out = {}
    for name in names:
        _, want, rule = known[name]
        arr = np.asarray(given[name], dtype=dtype)
        if arr.shape != want and not (arr.size == 1 == int(np.prod(want))):
            raise UsageError(f"{name}: shape {arr.shape} given, expected {want} = {rule}")
        if not np.isfinite(arr.sum()) and not np.all(np.isfinite(arr)):
            raise UsageError(f"{name}: must be finite (found inf or nan)")
        out[name] = arr if arr.shape == want else arr.reshape(want)
    return out


def parse_batch(net: Network, x, y, dtype=np.float64):
    """``x`` as N × n_0 and ``y`` as N × n_L float arrays (a single sample may be given as a
    vector), or a one-line :class:`UsageError`."""
    x = np.asarray(x, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    x = x.reshape(1, -1) if x.ndim < 2 else x
    y = y.reshape(1, -1) if y.ndim < 2 else y
    n0, nL = net.n(0), net.n(net.L)
    if x.ndim != 2 or x.shape[1] != n0:
        raise UsageError(f"x: shape {x.shape} given, expected (N, {n0}) = (samples, n_0)")
    if y.ndim != 2 or y.shape != (x.shape[0], nL):
        raise UsageError(f"y: shape {y.shape} given, expected ({x.shape[0]}, {nL}) = "
                         "(samples of x, n_L)")
    if not np.isfinite(x.sum() + y.sum()) and not (np.all(np.isfinite(x))
                                                   and np.all(np.isfinite(y))):
        raise UsageError("x, y: must be finite (found inf or nan)")
    return x, y
