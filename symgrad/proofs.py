"""Symbolic proofs that the closed forms are right.

1. :func:`prove_chain` -- for every parameter, the closed form of a
   :class:`~symgrad.derive.Derivation` equals the derivative a computer-algebra engine
   takes of the *fully composed* cost, with every activation an undefined function σ_l
   and the cost an undefined function C.  The identity then holds for every
   differentiable activation and cost, mixed layers included.  Engines: SymEngine
   (SymPy's C++ core, fast at depth) or SymPy itself.  Beyond ``composed_limit`` layers
   the engine's own nested differentiation costs O(L^3), so the proof is by induction on
   the layer instead: each step is the chain rule for an arbitrary rest-of-network
   function, checked by the engine.
2. :func:`prove_activation` -- an activation's closed-form derivative equals SymPy's
   derivative of its expression (branch by branch for piecewise ones), and its form in
   terms of a = σ(z) agrees too.
3. :func:`prove_cost` -- likewise for ∂C/∂a.

>>> from symgrad import Chain, derive
>>> p = prove_chain(derive(Chain(depth=4)))
>>> p.verified, p.method, len(p.parameters)
(True, 'composed', 8)
>>> prove_activation("sigmoid").verified
True
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

import sympy as sp

from .activations import Activation, get_activation
from .costs import Cost, get_cost
from .derive import Derivation, delta_symbol, derive
from .network import Chain

__all__ = ["Proof", "prove_chain", "prove_activation", "prove_cost", "prove_all",
           "COMPOSED_LIMIT"]

#: above this depth prove_chain proves by induction (the composed derivative costs O(L^3))
COMPOSED_LIMIT = 150


@dataclass(frozen=True)
class Proof:
    """What was proven, how, and how long it took."""

    claim: str
    verified: bool
    method: str
    seconds: float
    parameters: tuple = ()
    failures: tuple = ()
    detail: str = ""

    def as_dict(self) -> dict:
        return {"claim": self.claim, "verified": self.verified, "method": self.method,
                "seconds": round(self.seconds, 6), "failures": list(self.failures),
                "detail": self.detail}


@contextmanager
def _recursion_limit(limit: int):
    """SymPy recurses once per nesting level: raise the limit around a deep proof only."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _engine(name: str):
    if name == "symengine":
        import symengine
        return symengine
    if name == "sympy":
        return sp
    raise ValueError(f"engine={name!r}: must be 'symengine' or 'sympy'")


def _generic_shape(net: Chain) -> Derivation:
    """The derivation of a chain of the same depth whose every layer has a genuine σ'
    factor (a PReLU layer keeps its learned slope): the structure the proof checks."""
    acts = ["prelu" if net.has_slope(l) else "sigmoid" for l in net.layers]
    return derive(Chain(depth=net.depth, activation=acts, cost="quadratic"))


def prove_chain(d: Derivation, *, engine: str = "symengine", method: str = "auto",
                composed_limit: int = COMPOSED_LIMIT) -> Proof:
    """Prove every closed form of ``d`` equal to the engine's derivative of the composed
    cost, for arbitrary differentiable activations σ_1..σ_L and cost C."""
    net = d.network
    if method == "auto":
        method = "composed" if net.depth <= composed_limit else "inductive"
    if method not in ("composed", "inductive"):
        raise ValueError(f"method={method!r}: must be 'auto', 'composed' or 'inductive'")
    se = _engine(engine)
    start = time.perf_counter()
    with _recursion_limit(10 * net.depth + 1000):
        if method == "composed":
            failures, params = _prove_composed(d, se)
        else:
            failures, params = _prove_inductive(d, se)
    seconds = time.perf_counter() - start
    how = ("differentiated the fully composed cost C(σ_L(w_L σ_{L-1}(…) + b_L)) with "
           f"undefined σ_l and C using {engine}, compared with each closed form"
           if method == "composed" else
           "induction on the layer: for an undefined rest-of-network G, "
           f"∂G(σ_l(w_l a_(l-1) + b_l))/∂(b_l, w_l, a_(l-1), α_l) checked with {engine}; "
           "the recurrence δ_l = σ'(z_l) w_(l+1) δ_(l+1) follows")
    return Proof(claim=f"closed forms of all {len(params)} gradients equal the derivative "
                       "of the composed cost, for every differentiable activation and cost",
                 verified=not failures, method=method, seconds=seconds,
                 parameters=tuple(params), failures=tuple(failures), detail=how)


def _engine_layers(net: Chain, se):
    """Symbols, undefined σ_l, nested z_l and a_l in the engine's own objects."""
    L = net.depth
    sym = lambda s: se.Symbol(s.name)  # noqa: E731
    w = [None] + [sym(net.w(l)) for l in net.layers]
    b = [None] + [sym(net.b(l)) for l in net.layers]
    alpha = [None] + [sym(net.alpha(l)) if net.has_slope(l) else None for l in net.layers]
    sigma = [None] + [se.Function(f"sigma_{l}") for l in net.layers]
    a = [sym(net.a(0))]
    z = [None]
    for l in range(1, L + 1):
        z.append(w[l] * a[l - 1] + b[l])  # z_l = w_l a_{l-1} + b_l
        a.append(sigma[l](z[l], alpha[l]) if alpha[l] is not None else sigma[l](z[l]))
    return w, b, alpha, sigma, z, a


def _prove_composed(d: Derivation, se):
    net = d.network
    L = net.depth
    g = _generic_shape(net)
    w, b, alpha, sigma, z, a = _engine_layers(net, se)
    C = se.Function("C")(a[L])
    # σ_l'(z_l) and ∂C/∂a_L exactly as the engine writes them (Subs objects)
    sigma_prime = [None] + [a[l].diff(b[l]) for l in range(1, L + 1)]
    dC_da = [f for f in se.Mul.make_args(C.diff(b[L])) if f != sigma_prime[L]][0] \
        if hasattr(se.Mul, "make_args") else _other_factor(C.diff(b[L]), sigma_prime[L])
    mapping = {g.dC_da: dC_da}
    for l in range(1, L + 1):
        mapping[g.sigma_prime[l - 1]] = sigma_prime[l]
        mapping[net.w(l)] = w[l]
        mapping[net.a(l - 1)] = a[l - 1]
        if l in g.slope_factor:
            mapping[g.slope_factor[l]] = a[l].diff(alpha[l])
    targets = {p.name: e for p, e in zip(net.parameters(),
                                           _engine_parameters(net, w, b, alpha))}
    failures, params = [], []
    for name in net.parameter_names():
        closed = se.Integer(1)
        for f in g.factors(name):
            closed = closed * mapping[f]
        engine_derivative = C.diff(targets[name])
        params.append(name)
        if not _same(engine_derivative, closed, se):
            failures.append(name)
    return failures, params


def _other_factor(product, known):
    return [f for f in product.args if f != known][0]


def _engine_parameters(net, w, b, alpha):
    out = []
    L = net.depth
    out += [b[l] for l in range(L, 0, -1)] + [w[l] for l in range(L, 0, -1)]
    out += [alpha[l] for l in range(L, 0, -1) if alpha[l] is not None]
    return out


def _same(x, y, se) -> bool:
    if x == y:
        return True
    return se.expand(x - y) == 0


def _prove_inductive(d: Derivation, se):
    """Each layer: with G the rest of the network (an undefined function of a_l),
    ∂/∂b_l, ∂/∂w_l, ∂/∂a_{l-1} (and ∂/∂α_l) of G(σ_l(w_l a_{l-1} + b_l)) are the
    recurrence's factors times G'(a_l)."""
    net = d.network
    g = _generic_shape(net)
    failures, params = [], []
    G = se.Function("G")
    for l in net.layers:
        w, b, prev = se.Symbol(f"w_{l}"), se.Symbol(f"b_{l}"), se.Symbol(f"a_{l - 1}")
        sigma = se.Function(f"sigma_{l}")
        alpha = se.Symbol(f"alpha_{l}") if net.has_slope(l) else None
        a_l = sigma(w * prev + b, alpha) if alpha is not None else sigma(w * prev + b)
        outer = G(a_l)
        sigma_prime = a_l.diff(b)                            # σ_l'(z_l)
        dG = _other_factor(outer.diff(b), sigma_prime)       # ∂C/∂a_l
        # δ_l = σ_l'(z_l) ∂C/∂a_l, ∂C/∂w_l = a_{l-1} δ_l, ∂C/∂a_{l-1} = w_l δ_l
        checks = [(outer.diff(b), sigma_prime * dG), (outer.diff(w), prev * sigma_prime * dG),
                  (outer.diff(prev), w * sigma_prime * dG)]
        if alpha is not None:
            checks.append((outer.diff(alpha), a_l.diff(alpha) * dG))
        # the Derivation's own step has the same shape: δ_l = σ_l'(z_l) ∂C/∂a_l with
        # ∂C/∂a_l = w_{l+1} δ_{l+1} (or ∂C/∂a_L at the output)
        expected = (g.sigma_prime[l - 1],) + ((net.w(l + 1), delta_symbol(l + 1))
                                              if l < net.depth else (g.dC_da,))
        shape_ok = g.recurrence[l - 1] == expected
        ok = shape_ok and all(_same(x, y, se) for x, y in checks)
        names = [f"b_{l}", f"w_{l}"] + ([f"alpha_{l}"] if alpha is not None else [])
        params += names
        if not ok:
            failures += names
    return failures, params


# --- activations and costs -------------------------------------------------------------------

def _pieces(expr):
    if isinstance(expr, sp.Piecewise):
        return [(e, c) for e, c in expr.args]
    return [(expr, sp.true)]


def _zero(expr) -> bool:
    return sp.simplify(expr) == 0


def prove_activation(activation) -> Proof:
    """σ' (the closed form) equals SymPy's derivative of σ, branch by branch on the open
    intervals of a piecewise activation; the form in terms of a = σ(z) agrees with it.

    >>> prove_activation("relu").detail
    "branch z < 0: d/dz 0 = 0; branch z > 0: d/dz z = 1; at the kink: relu'(0) = 0 (the left branch, as PyTorch and JAX take it)"
    """
    act: Activation = get_activation(activation)
    start = time.perf_counter()
    z = act.z
    f_pieces, d_pieces = _pieces(act.expression), _pieces(act.derivative_expression)
    notes, ok = [], len(f_pieces) == len(d_pieces)
    if len(f_pieces) == 1:
        ok = ok and _zero(sp.diff(act.expression, z) - act.derivative_expression)
        notes.append(f"d/dz {sp.sstr(act.expression)} = {sp.sstr(act.derivative_expression)}")
    else:
        # the branches of the built-in piecewise activations split at z = 0
        neg, pos = sp.Symbol("z", negative=True), sp.Symbol("z", positive=True)
        for (fe, fc), (de, dc) in zip(f_pieces, d_pieces):
            side = neg if fc != sp.true else pos
            label = "z < 0" if side is neg else "z > 0"
            same = _zero((sp.diff(fe, z) - de).subs(z, side))
            ok = ok and same and fc == dc
            notes.append(f"branch {label}: d/dz {sp.sstr(fe)} = {sp.sstr(de)}")
        notes.append(f"at the kink: {act.kink}")
    if act.derivative_in_a_expression is not None:
        in_a = act.derivative_in_a(act(z))
        ok = ok and _zero(in_a - act.derivative_expression)
        a = sp.Symbol("a")
        notes.append(f"in terms of a = σ(z): σ' = {sp.sstr(act.derivative_in_a_expression.subs(sp.Symbol('a', real=True), a))}")
    return Proof(claim=f"{act.name}'s closed-form derivative equals SymPy's derivative",
                 verified=bool(ok), method="sympy.diff and simplify",
                 seconds=time.perf_counter() - start, detail="; ".join(notes))


def prove_cost(cost) -> Proof:
    """∂C/∂a (the closed form) equals SymPy's derivative of C.

    >>> prove_cost("cross-entropy").verified
    True
    """
    c: Cost = get_cost(cost)
    start = time.perf_counter()
    ok = _zero(sp.diff(c.expression, c.a) - c.derivative_expression)
    return Proof(claim=f"{c.name}: ∂C/∂a equals SymPy's derivative", verified=bool(ok),
                 method="sympy.diff and simplify", seconds=time.perf_counter() - start,
                 detail=f"d/da {sp.sstr(c.expression)} = {sp.sstr(c.derivative_expression)}")


def prove_all(d: Derivation, **kwargs) -> dict[str, Proof]:
    """Every proof a derivation rests on: the chain identity, each activation it uses,
    its cost."""
    out = {"chain": prove_chain(d, **kwargs)}
    for act in dict.fromkeys(d.network.activations):
        out[f"activation:{act.name}"] = prove_activation(act)
    out[f"cost:{d.network.cost.name}"] = prove_cost(d.network.cost)
    return out



