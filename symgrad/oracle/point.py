"""A point of a network: its parameters and inputs as the exact numbers they denote.

One shape for every network (a chain is the network whose widths are all 1): W_l as n_l rows
of n_{l-1} numbers, b_l as n_l numbers, α_l (PReLU) as one number, x as N rows of n_0 numbers
and y as N rows of n_L (N the samples of the loss).  A chain's parameters may be given as
scalars (``w_3``, ``b_3``, ``alpha_3``; ``W_3`` is accepted too) and its inputs as
``{"a_0": ..., "y": ...}``.  Every number is read exactly (:func:`~symgrad.oracle.decimals.exact`):
a float is the binary number it is and is kept as that float (arb reads it exactly), a
decimal string is the rational it denotes (kept as its checked text: a ball of it is rounded
outward, :func:`~symgrad.oracle.decimals.exact` gives the rational).

>>> from symgrad.model.network import Chain, Dense
>>> p = read_point(Chain(depth=1), {"w_1": "0.5", "b_1": 2}, {"a_0": 1.5, "y": 0})
>>> p.parameters["W_1"], p.x, p.y
([['0.5']], [[1.5]], [[0]])
>>> read_point(Dense([2, 1]), {"W_1": [[1, 2, 3]], "b_1": [0]}, {"x": [[1, 2]], "y": [[0]]})
Traceback (most recent call last):
...
symgrad.errors.UsageError: parameters['W_1'][0]: expected 2 entries, got 3
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from symgrad.inputs import check_decimal
from symgrad.errors import UsageError
from symgrad.model.network import Network
from symgrad.oracle.decimals import exact

__all__ = ["Point", "read_point", "case_point", "number"]


@dataclass(frozen=True)
class Point:
    """Exact parameters by canonical name (``W_l`` in every network, matrices as rows) and
    inputs x, y as N rows."""

    network: Network
    parameters: dict
    x: list
    y: list

    def scalar(self, kind: str, l: int):
        """A chain's parameter (kind ``"W"``, ``"b"`` or ``"alpha"`` of layer l) as one
        number."""
        value = self.parameters[f"{kind}_{l}"]
        return value if kind == "alpha" else (value[0][0] if kind == "W" else value[0])


@lru_cache(maxsize=64)
@lru_cache(maxsize=64)
def _names(net: Network) -> dict:
    """Every spelling of a parameter's name → (canonical name W_l/b_l/alpha_l, shape)."""
    out = {}
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        entry = (f"{kind}_{l}", net.parameter_shape(name))
        out[name] = out[f"{kind}_{l}"] = entry
    return out


def number(value, place: str):
    """One exact number: a finite float stays itself (arb reads it exactly), a decimal
    string stays its checked text (read exactly where needed), anything else becomes an
    fmpq."""
    if type(value) is float and value - value == 0:
        return value
    if isinstance(value, str):
        return check_decimal(value, place)
    if hasattr(value, "item") and getattr(value, "size", 1) == 1 and not isinstance(value, str):
        value = value.item()         # a NumPy scalar or 0-d array
        if type(value) is float and value - value == 0:
            return value
    return exact(value, place)


def _listed(value):
    if hasattr(value, "detach"):     # a torch tensor
        value = value.detach().cpu().numpy()
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    return value


def _shaped(value, shape: tuple, place: str):
    """``value`` as nested lists of exact numbers in ``shape``; one-line errors naming the
    first place that does not fit."""
    value = _listed(value)
    if not shape:
        if isinstance(value, (list, tuple)) and len(value) == 1:
            return _shaped(value[0], shape, place)
        return number(value, place)
    if not isinstance(value, (list, tuple)):
        if all(n == 1 for n in shape):
            return _shaped([value], shape, place)
        raise UsageError(f"{place}: expected a list of {shape[0]} entries, got {value!r}")
    if len(value) != shape[0]:
        raise UsageError(f"{place}: expected {shape[0]} entries, got {len(value)}")
    return [_shaped(v, shape[1:], f"{place}[{i}]") for i, v in enumerate(value)]


def _rows(value, n: int, N: int, place: str) -> list:
    """x or y: N rows of n numbers (one row may be given flat when N = 1)."""
    value = _listed(value)
    if N == 1 and (not isinstance(value, (list, tuple)) or
                   (len(value) == n and not isinstance(value[0], (list, tuple)))):
        return [_shaped(value, (n,), place)]
    return _shaped(value, (N, n), place)


def read_point(net: Network, parameters: Mapping, inputs: Mapping) -> Point:
    """The exact point of ``net`` from parameters and inputs as given (see the module)."""
    if not isinstance(parameters, Mapping):
        raise UsageError(f"parameters={type(parameters).__name__}: must be a dict by "
                         "parameter name")
    if not isinstance(inputs, Mapping):
        raise UsageError(f"inputs={type(inputs).__name__}: must be a dict with x and y "
                         "(a_0 and y for a chain)")
    names, out = _names(net), {}
    for given, value in parameters.items():
        if given not in names:
            net.parameter(given)                  # the one-line error naming what is allowed
        name, shape = names[given]
        if name in out:
            raise UsageError(f"parameters[{given!r}]: given twice (as {name} too)")
        if not shape and type(value) is float and value - value == 0:
            out[name] = value                     # the common case, fast
        elif shape == (1,) * len(shape) and type(value) is float and value - value == 0:
            out[name] = [value] if len(shape) == 1 else [[value]]
        else:
            out[name] = _shaped(value, shape, f"parameters[{given!r}]")
    if len(out) < len(net.parameter_names()):
        missing = next(n for n in net.parameter_names() if names[n][0] not in out)
        raise UsageError(f"parameters: missing {missing!r}")
    keys = set(inputs)
    if net.is_chain and "a_0" in keys:
        allowed, x_key = {"a_0", "y"}, "a_0"
    else:
        allowed, x_key = {"x", "y"}, "x"
    for key in keys - allowed:
        raise UsageError(f"inputs: unknown {key!r}; expected {' and '.join(sorted(allowed))}")
    for key in allowed - keys:
        raise UsageError(f"inputs: missing {key!r}")
    N = net.samples
    x = _rows(inputs[x_key], net.n(0), N, f"inputs[{x_key!r}]")
    y = _rows(inputs["y"], net.n(net.L), N, "inputs['y']")
    return Point(net, out, x, y)


def case_point(net: Network, params: dict, inputs: dict) -> Point:
    """The Point of a vector case whose numbers were checked already (decimal strings in
    shape: scalars by lecture name for a chain, nested lists otherwise), not read again."""
    if not net.is_chain:
        return Point(net, {"{}_{}".format(*net.parameter(n)): v for n, v in params.items()},
                     inputs["x"], inputs["y"])
    shaped = {}
    for name, value in params.items():
        kind, l = net.parameter(name)
        shaped[f"{kind}_{l}"] = value if kind == "alpha" else ([[value]] if kind == "W"
                                                               else [value])
    return Point(net, shaped, [[inputs["a_0"]]], [[inputs["y"]]])
