"""The network as a vector file states it, and back: layers, activations and the cost
stated exactly (what is summed over what), so a reader in any language computes the same C.

>>> describe_network(Chain(depth=2))["cost_formula"]
'C = ½(a_L − y)²'
>>> describe_network(Dense([2, 3, 2], "tanh", cost="squared-error", samples=2))["cost_formula"]
'C = sum over samples i and outputs j of (a_L,ij − y_ij)²'
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from symgrad.errors import UsageError
from symgrad.model.activations import Softmax
from symgrad.model.costs import Cost
from symgrad.model.network import Chain, Dense, Network

__all__ = ["cost_formula", "describe_network", "network_from_description"]

_SUMS = {
    "quadratic": "sum over samples i of ½‖a_L,i − y_i‖²",
    "squared-error": "sum over samples i and outputs j of (a_L,ij − y_ij)²",
    "cross-entropy": "sum over samples i and outputs j of −[y_ij ln a_L,ij + (1 − y_ij) "
                     "ln(1 − a_L,ij)]",
    "softmax-cross-entropy": "sum over samples i of −Σ_j y_ij ln softmax(z_L,i)_j",
}
_CHAIN = {"quadratic": "½(a_L − y)²", "squared-error": "(a_L − y)²",
          "cross-entropy": "−[y ln a_L + (1 − y) ln(1 − a_L)]"}


def cost_formula(net: Network) -> str:
    """The cost exactly as computed, in words a reader can implement."""
    name = net.cost_name
    if net.is_chain and name in _CHAIN:
        return f"C = {_CHAIN[name]}"
    if name in _SUMS:
        return f"C = {_SUMS[name]}"
    expr = sp.sstr(net.cost.expression)
    if net.is_chain:
        return f"C = {expr} with a = a_L"
    return f"C = sum over samples i and outputs j of {expr} with a = a_L,ij, y = y_ij"


def describe_network(net: Network) -> dict:
    """:meth:`Network.describe` with every activation's and the cost's expression (custom
    ones are named by their expression) and the cost stated exactly."""
    out = dict(net.describe())
    expressions = {}
    for act in net.activations:
        if not isinstance(act, Softmax):
            expressions.setdefault(act.name, sp.sstr(act.expression))
    if isinstance(net.cost, Cost):
        expressions.setdefault(net.cost.name, sp.sstr(net.cost.expression))
    out["expressions"] = expressions
    out["cost_formula"] = cost_formula(net)
    return out


def _names(desc: Mapping, key: str, place: str) -> list:
    value = desc.get(key)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise UsageError(f"{place}.{key}: must be a list of names")
    return value


def network_from_description(desc, place: str = "network") -> Network:
    """The network a vector file's ``"network"`` object describes (one-line errors naming
    the place).

    >>> network_from_description({"kind": "chain", "depth": 2, "activations": ["tanh",
    ...                           "linear"], "cost": "quadratic"})
    Chain(depth=2, activation=['tanh', 'linear'], cost='quadratic')
    """
    if not isinstance(desc, Mapping):
        raise UsageError(f"{place}: must be an object with kind, depth, activations, cost")
    kind = desc.get("kind", "chain")
    if kind not in ("chain", "dense"):
        raise UsageError(f"{place}.kind={kind!r}: must be 'chain' or 'dense'")
    for key in (("depth",) if kind == "chain" else ("widths",)) + ("activations", "cost"):
        if key not in desc:
            raise UsageError(f"{place}: missing {key!r}")
    acts = _names(desc, "activations", place)
    if not isinstance(desc["cost"], str):
        raise UsageError(f"{place}.cost={desc['cost']!r}: must be a cost name")
    try:
        if kind == "chain":
            depth = desc["depth"]
            if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
                raise UsageError(f"{place}.depth={depth!r}: must be an integer >= 1")
            if len(acts) != depth:
                raise UsageError(f"{place}.activations: {len(acts)} given, depth {depth} "
                                 f"needs {depth}")
            return Chain(depth, acts if len(set(acts)) > 1 else acts[0], desc["cost"])
        widths, samples = desc["widths"], desc.get("samples", 1)
        if not isinstance(widths, list) or len(widths) < 2 or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in widths):
            raise UsageError(f"{place}.widths={widths!r}: must be a list of at least two "
                             "integers >= 1 (n_0 .. n_L)")
        if isinstance(samples, bool) or not isinstance(samples, int):
            raise UsageError(f"{place}.samples={samples!r}: must be an integer >= 1")
        return Dense(widths, acts, desc["cost"], samples=samples)
    except UsageError as exc:
        if str(exc).startswith(place):
            raise
        raise UsageError(f"{place}: {exc}") from None
