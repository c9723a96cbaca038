"""Symbolic proofs that the closed forms are right.

1. :func:`prove_chain` -- for every parameter, the closed form of a
   :class:`~symgrad.derivation.derivation.Derivation` equals the derivative a computer-algebra engine
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

from symgrad.model.activations import Activation, get_activation
from symgrad.errors import UsageError
from symgrad.model.costs import Cost, get_cost
from symgrad.derivation import Derivation, delta_symbol
from symgrad.model.network import Chain, cost_function

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
    raise UsageError(f"engine={name!r}: must be 'symengine' or 'sympy'")


def prove_chain(d: Derivation, *, engine: str = "symengine", method: str = "auto",
                composed_limit: int = COMPOSED_LIMIT) -> Proof:
    """Prove every closed form of ``d`` equal to the engine's derivative of the composed
    cost, for arbitrary differentiable activations σ_l (identity on linear layers) and an
    arbitrary cost C.  Each display factor is read for what it says (σ'(z_3) is layer 3's
    derivative), so a factor of the wrong layer, a missing or a doubled one fails."""
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
           "the recurrence δ_l = σ'(z_l) w_(l+1) δ_(l+1) follows, and each closed form is "
           "checked to be the recurrence unrolled")
    return Proof(claim=f"closed forms of all {len(params)} gradients equal the derivative "
                       "of the composed cost, for every differentiable activation and cost",
                 verified=not failures, method=method, seconds=seconds,
                 parameters=tuple(params), failures=tuple(failures), detail=how)


class _Engine:
    """The network in a computer-algebra engine's own objects: undefined σ_l (the
    identity on linear layers, two arguments on PReLU layers), nested z_l and a_l, and an
    undefined cost C; plus a reader that turns each display factor of a Derivation into
    the engine object it stands for."""

    def __init__(self, net: Chain, se):
        self.net, self.se = net, se
        L = net.depth
        sym = lambda s: se.Symbol(s.name)  # noqa: E731
        self.w = [None] + [sym(net.w_(l)) for l in net.layers]
        self.b = [None] + [sym(net.b_(l)) for l in net.layers]
        self.alpha = [None] + [sym(net.alpha(l)) if net.has_slope(l) else None
                               for l in net.layers]
        self.a = [sym(net.a_(0))]
        self.z = [None]
        for l in range(1, L + 1):
            self.z.append(self.w[l] * self.a[l - 1] + self.b[l])  # z_l = w_l a_{l-1} + b_l
            sigma = se.Function(f"sigma_{l}")
            if net.sigma(l).is_linear:
                self.a.append(self.z[l])                           # a_l = z_l
            elif self.alpha[l] is not None:
                self.a.append(sigma(self.z[l], self.alpha[l]))     # a_l = σ_l(z_l, α_l)
            else:
                self.a.append(sigma(self.z[l]))                    # a_l = σ_l(z_l)
        self.C = se.Function("C")(self.a[L])
        # σ_l'(z_l), ∂a_l/∂α_l and ∂C/∂a_L exactly as the engine writes them
        self.sigma_prime = [None] + [self.a[l].diff(self.b[l]) for l in range(1, L + 1)]
        self.dC_da = _other_factor(self.C.diff(self.b[L]), self.sigma_prime[L]) \
            if not net.sigma(L).is_linear else self.C.diff(self.b[L])

    def parameter(self, name: str):
        kind, l = self.net.parameter(name)
        return {"b": self.b, "W": self.w, "alpha": self.alpha}[kind][l]

    def factor(self, f):
        """The engine object a display factor stands for; None if it is not one."""
        try:
            return self._read[f]
        except KeyError:
            out = self._read[f] = self._factor(f)
            return out
        except AttributeError:
            self._read = {}
            return self.factor(f)

    def _factor(self, f):
        net, se = self.net, self.se
        if f == 1:
            return se.Integer(1)
        if isinstance(f, sp.Symbol):
            kind, _, layer = f.name.partition("_")
            if layer.isdigit() and kind in ("w", "a") and int(layer) <= net.depth:
                l = int(layer)
                if kind == "w" and l >= 1:
                    return self.w[l]
                if kind == "a":
                    return self.a[l]
            return None
        if isinstance(f, sp.Derivative) and len(f.variables) == 1:
            inner, var = f.expr, f.variables[0]
            if inner == cost_function(net.a_(net.depth)) and var == net.a_(net.depth):
                return self.dC_da
            l = _layer_of(inner.args[0]) if inner.args else None
            if l is not None and 1 <= l <= net.depth and inner.args[0] == net.z_(l) and \
                    inner.func.__name__ == net.sigma(l).name:
                if var == net.z_(l) and not net.sigma(l).is_linear:
                    return self.sigma_prime[l]
                if net.has_slope(l) and var == net.alpha(l):
                    return self.a[l].diff(self.alpha[l])
        return None

    def product(self, factors):
        """The engine's product of the factors' engine objects (None if one is unreadable)."""
        objects = [self.factor(f) for f in factors]
        if any(e is None for e in objects):
            return None
        return self.se.Mul(*objects)


def _prove_composed(d: Derivation, se):
    net = d.network
    eng = _Engine(net, se)
    failures, params = [], []
    for name in net.parameter_names():
        factors = d.factors(name)
        closed = eng.product(factors)
        params.append(name)
        if closed is None or not _in_network_order(factors, net.depth) or \
                not _same(eng.C.diff(eng.parameter(name)), closed, se):
            failures.append(name)
    return failures, params


def _layer_of(s) -> int | None:
    """3 for z_3, w_3, a_3, alpha_3; None otherwise."""
    if not isinstance(s, sp.Symbol):
        return None
    _, _, layer = s.name.rpartition("_")
    return int(layer) if layer.isdigit() else None


def _position(f, L: int) -> float:
    """Where a factor stands in the network: a_{l-1} before w_l before σ_l'(z_l), and
    ∂C/∂a_L last."""
    if isinstance(f, sp.Symbol):
        l = _layer_of(f)
        return l + 0.5 if f.name.startswith("a_") else l - 0.25
    if isinstance(f, sp.Derivative):
        if f.expr.func.__name__ == "C":
            return L + 1
        return _layer_of(f.expr.args[0])
    return -1.0


def _in_network_order(factors, L: int) -> bool:
    positions = [_position(f, L) for f in factors]
    return all(p <= q for p, q in zip(positions, positions[1:]))


def _other_factor(product, known):
    return [f for f in product.args if f != known][0]


def _same(x, y, se) -> bool:
    if x == y:
        return True
    return se.expand(x - y) == 0


def _prove_inductive(d: Derivation, se):
    """Each layer: with G the rest of the network (an undefined function of a_l),
    ∂/∂b_l, ∂/∂w_l, ∂/∂a_{l-1} (and ∂/∂α_l) of G(σ_l(w_l a_{l-1} + b_l)) are the
    recurrence's factors times G'(a_l); and each closed form is the recurrence unrolled."""
    net = d.network
    L = net.depth
    failures, params = [], []
    G = se.Function("G")
    for l in range(L, 0, -1):
        w, b, prev = se.Symbol(f"w_{l}"), se.Symbol(f"b_{l}"), se.Symbol(f"a_{l - 1}")
        sigma = se.Function(f"sigma_{l}")
        alpha = se.Symbol(f"alpha_{l}") if net.has_slope(l) else None
        z = w * prev + b
        linear = net.sigma(l).is_linear
        a_l = z if linear else (sigma(z, alpha) if alpha is not None else sigma(z))
        outer = G(a_l)
        sigma_prime = a_l.diff(b)                            # σ_l'(z_l)
        dG = outer.diff(b) if linear else _other_factor(outer.diff(b), sigma_prime)
        # δ_l = σ_l'(z_l) ∂C/∂a_l, ∂C/∂w_l = a_{l-1} δ_l, ∂C/∂a_{l-1} = w_l δ_l
        checks = [(outer.diff(b), sigma_prime * dG), (outer.diff(w), prev * sigma_prime * dG),
                  (outer.diff(prev), w * sigma_prime * dG)]
        if alpha is not None:
            checks.append((outer.diff(alpha), a_l.diff(alpha) * dG))
        # the Derivation's step says the same: δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}
        # (∂C/∂a_L at the output), with σ_l'(z_l) layer l's own derivative
        sp_l = d.sigma_primes[l - 1]
        rest = (net.w_(l + 1), delta_symbol(l + 1)) if l < L else (d.dC_da(),)
        step_ok = d.recurrence[l - 1] == (sp_l,) + rest and _is_sigma_prime(net, l, sp_l)
        # and the closed forms are the recurrence unrolled
        b_factors = d.factors(f"b_{l}")
        unrolled = tuple(f for f in (sp_l,) + (rest[:1] + d.factors(f"b_{l + 1}")
                                              if l < L else rest) if f is not sp.S.One)
        forms_ok = b_factors == unrolled and d.factors(f"w_{l}") == (net.a_(l - 1),) + b_factors
        if alpha is not None:
            forms_ok = forms_ok and d.factors(f"alpha_{l}") == \
                (d.slope_factor(l),) + tuple(f for f in d.dC_da_layer(l) if f is not sp.S.One)
        ok = step_ok and forms_ok and all(_same(x, y, se) for x, y in checks)
        names = [f"b_{l}", f"w_{l}"] + ([f"alpha_{l}"] if alpha is not None else [])
        params += names
        if not ok:
            failures += names
    return failures, params


def _is_sigma_prime(net: Chain, l: int, f) -> bool:
    """f is σ_l'(z_l): layer l's activation differentiated at z_l (1 for a linear layer)."""
    if net.sigma(l).is_linear:
        return f == 1
    return isinstance(f, sp.Derivative) and f.variables == (net.z_(l),) and \
        f.expr.func.__name__ == net.sigma(l).name and f.expr.args[0] == net.z_(l)


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



