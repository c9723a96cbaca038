"""Proving a derivation: one engine for every network, chain or dense.

:func:`prove` proves every closed form of a derivation equal to the derivative of the
composed cost, for every differentiable activation σ_l and cost:

* ``composed`` (small networks: at most :data:`COMPOSED_DEPTH` layers and
  :data:`COMPOSED_COMPONENTS` parameter components, counted once per sample) --
  SymEngine differentiates the fully composed cost (:mod:`symgrad.prove.composed`);
* ``inductive`` (beyond) -- each kind of layer's chain-rule step against an undefined rest
  of the network, and each closed form the statement's (:mod:`symgrad.prove.inductive`).

The claims are what the derivation states: a chain's ordered products (written out, or in
terms of the next δ with ``form="recurrence"``), a dense network's components.  A dense
network of more than :data:`COMPONENT_LIMIT` parameters prints its matrix forms and generic
component forms only, which do not depend on the widths: it is proven at widths of at most
3 and 2 samples (:func:`proof_network`).  :func:`prove_all` adds the proofs of each
activation's and the cost's own derivative.

>>> from symgrad import Chain, Dense, derive
>>> p = prove(derive(Chain(depth=4)))
>>> p.verified, p.method, len(p.parameters)
(True, 'composed', 8)
>>> p = prove(derive(Dense([2, 3, 2])))
>>> p.verified, p.method, len(p.parameters)
(True, 'composed', 17)
>>> prove(derive(Chain(depth=100))).method
'inductive'
"""
from __future__ import annotations

import dataclasses
import time

from symgrad.derivation import Derivation
from symgrad.errors import UsageError
from symgrad.model.activations import Activation
from symgrad.model.network import Network
from symgrad.prove.composed import prove_composed
from symgrad.prove.engine import engine_module, recursion_limit
from symgrad.prove.inductive import prove_inductive
from symgrad.prove.local import prove_activation, prove_cost
from symgrad.prove.proof import Proof

__all__ = ["COMPOSED_DEPTH", "COMPOSED_COMPONENTS", "COMPONENT_LIMIT", "METHODS",
           "proof_network", "choose_method", "prove", "prove_all", "network_key"]

#: the composed proof's nested differentiation grows as L³ (0.2 s at L = 32, 1 s at 64)
COMPOSED_DEPTH = 32
#: ... and with every component it differentiates by (0.6 s for the 220 of 10,10,10)
COMPOSED_COMPONENTS = 250
#: beyond this many parameters a dense network is proven at narrow widths (what is printed
#: component by component, symgrad.printing.EXPLICIT_LIMIT, is proven component by component)
COMPONENT_LIMIT = 5000
METHODS = ("auto", "composed", "inductive")


def network_key(net: Network) -> str:
    """The key of the network's proof in :func:`prove_all`'s result."""
    return "chain" if net.is_chain else "dense"


def proof_network(net: Network) -> Network:
    """The network a proof runs on: ``net`` itself, or a dense network of more than
    :data:`COMPONENT_LIMIT` parameters at widths of at most 3 (2 for a softmax output at
    least) and at most 2 samples.

    >>> from symgrad import Dense
    >>> proof_network(Dense([784, 30, 30, 10], samples=100))
    Dense(widths=[3, 3, 3, 3], activations='sigmoid', cost='quadratic', samples=2)
    """
    if net.is_chain or net.parameter_count() <= COMPONENT_LIMIT:
        return net
    widths = [min(n, 3) for n in net.widths]
    return Network(tuple(widths), net.activations, net.cost, min(net.samples, 2))


def choose_method(net: Network) -> str:
    """``composed`` for a small network, ``inductive`` beyond."""
    components = net.parameter_count() * net.samples
    small = net.L <= COMPOSED_DEPTH and (net.is_chain or components <= COMPOSED_COMPONENTS)
    return "composed" if small else "inductive"


def _wording(net: Network, proven: Network, method: str, engine: str, count: int) -> tuple:
    """(claim, detail) of the network's proof."""
    if net.is_chain:
        claim = (f"closed forms of all {count} gradients equal the derivative of the composed "
                 "cost, for every differentiable activation and cost")
        if method == "composed":
            return claim, ("differentiated the fully composed cost C(σ_L(w_L σ_{L-1}(…) + b_L)) "
                           f"with undefined σ_l and C using {engine}, compared with each "
                           "closed form")
        return claim, ("induction on the layer: for an undefined rest-of-network G, "
                       "∂G(σ_l(w_l a_(l-1) + b_l))/∂(b_l, w_l, a_(l-1), α_l) checked with "
                       f"{engine} once for each kind of layer; the recurrence δ_l = σ'(z_l) "
                       "w_(l+1) δ_(l+1) follows, and each closed form is checked to be the "
                       "recurrence unrolled, factor by factor in network order")
    cost = ("softmax(z_L) with cross-entropy written out (Σ_j y_j = 1)" if net.softmax_output
            else "an undefined elementwise cost c(a^L_j, y_j)")
    claim = (f"closed forms of all {count} gradient components equal the derivative of the "
             "composed cost, for every differentiable activation"
             + ("" if net.softmax_output else " and elementwise cost"))
    if method == "composed":
        detail = (f"differentiated the composed cost of widths {list(proven.widths)} with "
                  f"undefined σ_l per layer and {cost} using {engine}, compared component by "
                  "component with δ^l_j = σ_l'(z^l_j) Σ_k w^(l+1)_kj δ^(l+1)_k and "
                  "∂C/∂w^l_jk = a^(l-1)_k δ^l_j")
    else:
        detail = ("induction on the layer: for an undefined rest-of-network G of a layer's "
                  f"outputs ({cost} at a softmax output), ∂G/∂(b^l_j, w^l_jk, a^(l-1)_k, α_l) "
                  f"checked with {engine} once for each kind of layer on at most 2 units, 2 "
                  "inputs and 2 samples; every component of widths "
                  f"{list(proven.widths)} checked to be δ^l_j = σ_l'(z^l_j) Σ_k w^(l+1)_kj "
                  "δ^(l+1)_k, ∂C/∂w^l_jk = Σ_i a^(l-1)_k,i δ^l_j,i")
    if proven != net:
        detail += (f" (at widths {list(proven.widths)} and N = {proven.samples}: the matrix and "
                   "generic forms printed do not depend on the widths)")
    return claim, detail


def prove(d: Derivation, *, method: str = "auto", engine: str = "symengine",
          form: str = "expanded", scale=1) -> Proof:
    """Prove every closed form of ``d`` (for a chain in ``form``: ``expanded`` or
    ``recurrence``) equal to the derivative of the composed cost, for every differentiable
    activation and cost.  ``scale`` multiplies every closed form first: with ``scale != 1``
    the proof must fail (the tests show that it can)."""
    if not isinstance(d, Derivation):
        raise UsageError(f"derivation={d!r}: must be a Derivation")
    if method not in METHODS:
        raise UsageError(f"method={method!r}: must be one of {', '.join(METHODS)}")
    net = d.network
    proven = proof_network(net)
    # the same derivation (its class included) of the narrower network
    target = d if proven == net else dataclasses.replace(d, network=proven)
    method = choose_method(proven) if method == "auto" else method
    se = engine_module(engine)
    start = time.perf_counter()
    with recursion_limit(10 * net.L + 2000):
        run = prove_composed if method == "composed" else prove_inductive
        failures, names = run(target, se, form, scale)
    claim, detail = _wording(net, proven, method, engine, len(names))
    return Proof(claim=claim, verified=not failures, method=method,
                 seconds=time.perf_counter() - start, parameters=tuple(names),
                 failures=tuple(failures), detail=detail)


def prove_all(d: Derivation, **kwargs) -> dict[str, Proof]:
    """Every proof a derivation rests on: the network's (``chain`` or ``dense``), each
    activation's derivative (``activation:NAME``), the cost's (``cost:NAME``; a softmax
    output's cross-entropy is part of the network's proof)."""
    net = d.network
    out = {network_key(net): prove(d, **kwargs)}
    for act in dict.fromkeys(net.activations):
        if isinstance(act, Activation):
            out[f"activation:{act.name}"] = prove_activation(act)
    if not net.softmax_output:
        out[f"cost:{net.cost.name}"] = prove_cost(net.cost)
    return out
