"""A spot check of a concrete network: not a proof for all inputs, a check at one point.

:func:`spot_check` has SymEngine differentiate the composed cost with the *real*
activations and cost (built in SymPy), and compares it with the derivation's concrete
closed forms at one exact rational point, to any number of digits, component by component.
"""
from __future__ import annotations

import random
import time

import sympy as sp

from symgrad.derivation import Derivation
from symgrad.model.activations import Softmax
from symgrad.model.network import Network
from symgrad.prove.proof import Proof

__all__ = ["spot_check"]


def _local_branch(expr: sp.Expr, z: sp.Symbol, value) -> sp.Expr:
    """The branch of a piecewise σ that is active at z = value (the expression itself
    when it is not piecewise)."""
    if not isinstance(expr, sp.Piecewise):
        return expr
    for e, cond in expr.args:
        if cond == sp.true or bool(cond.xreplace({z: value})):
            return e
    raise ValueError(f"no branch of {expr} holds at {value}")


def _point(symbols, rng: random.Random, low=-2, high=2, denominator=64) -> dict:
    """Exact rationals k/64 in [low, high], none of them 0."""
    out = {}
    for s in symbols:
        q = 0
        while q == 0:
            q = sp.Rational(rng.randint(low * denominator, high * denominator), denominator)
        out[s] = q
    return out


def _composed_concrete(net: Network, point: dict, prec: int):
    """The composed cost with the real activations and cost as a SymEngine expression in
    the inputs, targets and parameters, and the forward values z^l_j, a^l_j at ``point``
    (``prec`` digits).  A piecewise activation is written as its branch active at the point
    (its derivative there is that branch's: the point is not at a kink)."""
    import symengine as se                 # 0.14 s to import: only when a check runs
    samples = [None] if net.samples == 1 else list(net.sample_range)
    values, terms = dict(point), []
    for i in samples:
        a = [net.a_(0, k, i) for k in range(1, net.n(0) + 1)]
        for l in net.layers:
            act = net.sigma(l)
            z = [sp.Add(*[net.w_(l, j, k) * a[k - 1] for k in range(1, net.n(l - 1) + 1)])
                 + net.b_(l, j) for j in range(1, net.n(l) + 1)]
            # the forward pass at the point, layer by layer: z^l_j = Σ_k w^l_jk a^(l-1)_k + b^l_j
            zv = [(sp.Add(*[values[net.w_(l, j, k)] * values[net.a_(l - 1, k, i)]
                            for k in range(1, net.n(l - 1) + 1)]) + values[net.b_(l, j)])
                  .evalf(prec) for j in range(1, net.n(l) + 1)]
            for j, v in enumerate(zv, 1):
                values[net.z_(l, j, i)] = v
            if isinstance(act, Softmax):
                log_s = sp.log(sp.Add(*map(sp.exp, z)))
                # C_i = −Σ_j y_j (z_j − ln Σ_m e^{z_m})
                terms += [-net.y_(j, i) * (z[j - 1] - log_s) for j in range(1, net.n(l) + 1)]
                total = sum(sp.exp(v) for v in zv)
                for j, v in enumerate(zv, 1):
                    values[net.a_(l, j, i)] = (sp.exp(v) / total).evalf(prec)
                a = None
                break
            alpha = net.alpha(l) if net.has_slope(l) else None
            t, branches = act.z, {}
            for j, (zj, v) in enumerate(zip(z, zv), 1):
                e = _local_branch(act.expression, t, v)
                sub = {act.parameter: alpha} if alpha is not None else {}
                branches[j] = e.xreplace({t: zj, **sub})
                values[net.a_(l, j, i)] = e.xreplace(
                    {t: v, **({act.parameter: values[alpha]} if alpha is not None else {})}).evalf(prec)
            a = [branches[j] for j in range(1, net.n(l) + 1)]
        if a is not None:
            # C(a, y) with a placeholder output, the composed a put in by SymEngine: SymPy's
            # (a − y)**2 asks whether the nested a is zero or finite (24 s for gelu_tanh)
            for j in range(1, net.n(net.L) + 1):
                out = sp.Symbol(f"output_{j}_{i}", real=True)
                terms.append(se.sympify(net.cost(out, net.y_(j, i))).subs(
                    {se.Symbol(out.name): se.sympify(a[j - 1])}))
    return sum((se.sympify(t) for t in terms), se.Integer(0)), values


def spot_check(d: Derivation, *, seed: int = 0, digits: int = 30, scale=1) -> Proof:
    """SymEngine's derivative of the concrete composed cost (real activations and cost, built
    in SymPy) against the Derivation's concrete closed form, both evaluated at one exact
    point (rationals k/64, evaluated with ``digits`` + 15 digits) for every component.  Not a proof for all inputs: a check at one
    point, with a softmax output's targets one-hot.  ``scale`` multiplies the closed forms
    (``scale=1.001`` must fail).

    >>> from symgrad.model.network import Dense
    >>> from symgrad.derivation import derive
    >>> spot_check(derive(Dense([2, 2, 1], activations="tanh"))).verified
    True
    """
    net = d.network
    rng = random.Random(seed)
    prec = digits + 15
    start = time.perf_counter()
    samples = [None] if net.samples == 1 else list(net.sample_range)
    inputs = [net.a_(0, k, i) for i in samples for k in range(1, net.n(0) + 1)]
    params = [sym for name in net.parameter_names() for _, sym in net.components(name)]
    point = _point(inputs + params, rng)
    for i in samples:
        ys = [net.y_(j, i) for j in range(1, net.n(net.L) + 1)]
        if net.softmax_output:
            hot = rng.randrange(len(ys))
            point.update({y: sp.Integer(int(j == hot)) for j, y in enumerate(ys)})
        else:
            point.update({y: sp.Rational(rng.randint(1, 63), 64) for y in ys})
    for s in params:
        if s.name.startswith("alpha_"):
            point[s] = abs(point[s]) / 4  # a PReLU slope in (0, 1/2]
    import symengine as se
    se_cost, values = _composed_concrete(net, point, prec)
    # SymEngine differentiates the concrete composed cost (SymPy's own diff and evalf of
    # nested erf or exp expressions take minutes at these sizes); MPFR evaluates it
    se_point = {se.Symbol(k.name): se.Rational(int(v.p), int(v.q)) for k, v in point.items()}
    bits = int(prec * 3.33) + 8
    # the closed forms' δ^l_j from the Derivation's recurrence, at the point
    for l in range(net.L, 0, -1):
        for i in samples:
            for j in range(1, net.n(l) + 1):
                values[net.delta_(l, j, i)] = \
                    d.concrete(d.delta_component(l, j, i)).xreplace(values).evalf(prec)
    failures, names = [], []
    tol = sp.Float(10, prec) ** (-digits)
    for name in net.parameter_names():
        for idx, sym, closed in d.component_gradients(name):
            names.append(sym.name)
            truth = se_cost.diff(se.Symbol(sym.name)).subs(se_point).n(bits, real=True)
            truth = sp.Float(str(truth), prec)
            ours = (scale * d.concrete(closed).xreplace(values)).evalf(prec)
            if not abs(truth - ours) <= tol * (1 + abs(truth)):
                failures.append(sym.name)
    return Proof(claim=f"concrete closed forms of {len(names)} components equal SymEngine's "
                       "derivative of the concrete composed cost at one point",
                 verified=not failures, method="spot check",
                 seconds=time.perf_counter() - start, parameters=tuple(names),
                 failures=tuple(failures),
                 detail=f"seed {seed}, {digits} digits, inputs and parameters k/64 in [-2, 2]; "
                        "piecewise activations differentiated on their active branch")
