"""Proofs that the four backpropagation equations of a dense network are right.

:func:`prove_dense` -- component by component, every closed form of a
:class:`~symgrad.derivation.Derivation` equals the derivative a computer-algebra engine
(SymEngine, or SymPy) takes of the *fully composed* cost C = Σ_i Σ_j c(a^L_{j,i}, y_{j,i}),
with every layer's activation an undefined function σ_l (applied to each neuron) and the
elementwise cost an undefined function c.  The identity then holds for every
differentiable activation and elementwise cost; together with
:func:`~symgrad.prove.chain.prove_activation` and :func:`~symgrad.prove.chain.prove_cost` it proves the
concrete network.  A linear layer is written out (a = z), a softmax output with
cross-entropy too (C_i = −Σ_j y_j (z^L_j − ln Σ_m exp z^L_m), and Σ_j y_j = 1 by
substituting y_{n_L} = 1 − Σ_{j<n_L} y_j): there the claim δ_L = a_L − y is proven as stated.

The closed forms are read from the Derivation (its recurrence δ^l_j in terms of δ^{l+1}_k,
and ∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j), converted term by term into the engine's objects: they
are never re-derived here.

>>> from symgrad.model.network import Dense
>>> from symgrad.derivation import derive
>>> p = prove_dense(derive(Dense([2, 3, 2])))
>>> p.verified, p.method, len(p.parameters)
(True, 'composed', 17)

:func:`spot_check` is the concrete companion: SymEngine differentiates the composed cost
with the real activations and cost, and both sides are evaluated at an exact rational point
to ``digits`` digits.
"""
from __future__ import annotations

import random
import time

import sympy as sp

from symgrad.model.activations import Activation
from symgrad.errors import UsageError
from symgrad.model.network import Dense
from symgrad.derivation import Derivation
from symgrad.model.activations import Softmax
from symgrad.derivation import OrderedProduct
from symgrad.prove.chain import Proof, _engine, _recursion_limit, prove_activation, prove_cost

__all__ = ["prove_dense", "prove_dense_all", "spot_check", "DENSE_COMPOSED_LIMIT"]

#: above this many parameters the composed cost's derivatives get expensive; the
#: proof is then by layer (each layer's step against an undefined rest of the network)
DENSE_COMPOSED_LIMIT = 1200


def _to_engine(expr, atoms: dict, se):
    """A SymPy expression of the Derivation rebuilt from the engine's objects: each atom
    (symbol, display derivative) is looked up in ``atoms``; sums, products and powers are
    rebuilt as they stand."""
    hit = atoms.get(expr)
    if hit is not None:
        return hit
    if isinstance(expr, sp.Add):
        out = se.Integer(0)
        for t in expr.args:
            out = out + _to_engine(t, atoms, se)
        return out
    if isinstance(expr, (sp.Mul, OrderedProduct)):
        out = se.Integer(1)
        for t in expr.args:
            out = out * _to_engine(t, atoms, se)
        return out
    if isinstance(expr, sp.Pow):
        return _to_engine(expr.base, atoms, se) ** _to_engine(expr.exp, atoms, se)
    if isinstance(expr, sp.Integer):
        return se.Integer(int(expr))
    if isinstance(expr, sp.Rational):
        return se.Rational(int(expr.p), int(expr.q))
    raise KeyError(f"no engine object for {expr!r}")


def _other_factor(product, known, se):
    """``product`` is known·x (the engine's chain rule): return x."""
    if known == 1:
        return product
    if product == known:
        return se.Integer(1)
    args = list(product.args) if isinstance(product, se.Mul) else [product]
    rest = [f for f in args if f != known]
    if len(rest) != len(args) - 1:
        raise ValueError(f"cannot split {product} by {known}")
    out = se.Integer(1)
    for f in rest:
        out = out * f
    return out


class _Composed:
    """The composed network in the engine's objects, for one derivation."""

    def __init__(self, d: Derivation, se):
        self.d, self.se = d, se
        net = d.network
        S = se.Symbol
        self.atoms: dict = {}
        self.params: dict = {}
        for name in net.parameter_names():
            for idx, sym in net.components(name):
                self.atoms[sym] = self.params[sym] = S(sym.name)
        samples = [None] if net.samples == 1 else list(net.sample_range)
        L = net.L
        c = se.Function("c")
        cost_terms = []
        for i in samples:
            a = []
            for k in range(1, net.n(0) + 1):
                x = net.a_(0, k, i)
                a.append(S(x.name))
                self.atoms[x] = a[-1]
            y = [S(net.y_(j, i).name) for j in range(1, net.n(L) + 1)]
            if net.softmax_output:
                y[-1] = 1 - sum(y[:-1], se.Integer(0))  # Σ_j y_j = 1
            for j, yj in enumerate(y, 1):
                self.atoms[net.y_(j, i)] = yj
            for l in net.layers:
                act = net.sigma(l)
                sigma = se.Function(f"sigma_{l}")
                alpha = self.atoms.get(net.alpha(l)) if net.has_slope(l) else None
                z = []
                for j in range(1, net.n(l) + 1):
                    # z^l_j = Σ_k w^l_{jk} a^{l-1}_k + b^l_j
                    zj = self.atoms[net.b_(l, j)]
                    for k in range(1, net.n(l - 1) + 1):
                        zj = zj + self.atoms[net.w_(l, j, k)] * a[k - 1]
                    z.append(zj)
                if isinstance(act, Softmax):
                    total = sum((se.exp(zj) for zj in z), se.Integer(0))
                    a = [se.exp(zj) / total for zj in z]
                    # C_i = −Σ_j y_j ln softmax_j(z) = −Σ_j y_j (z_j − ln Σ_m e^{z_m})
                    cost_terms += [-yj * (zj - se.log(total)) for yj, zj in zip(y, z)]
                elif act.is_linear:
                    a = z
                else:
                    a = [sigma(zj, alpha) if alpha is not None else sigma(zj) for zj in z]
                for j in range(1, net.n(l) + 1):
                    self.atoms[net.a_(l, j, i)] = a[j - 1]
                    if not isinstance(act, Softmax):
                        self._local_factors(l, j, i, a[j - 1])
            if not net.softmax_output:
                for j in range(1, net.n(L) + 1):
                    term = c(a[j - 1], y[j - 1])
                    cost_terms.append(term)
                    # ∂C/∂a^L_j as the engine writes it: c(σ_L(z), y) differentiated by b^L_j
                    # is σ_L'(z^L_j) times it
                    sp_ = self.atoms.get(d.sigma_prime(L, j, i), se.Integer(1))
                    self.atoms[d.dC_da(j, i)] = _other_factor(
                        term.diff(self.atoms[net.b_(L, j)]), sp_, se)
        self.cost = sum(cost_terms, se.Integer(0))

    def _local_factors(self, l, j, i, a_lj):
        """σ_l'(z^l_j) (and ∂a^l_j/∂α_l) as the engine writes them: by differentiating a^l_j
        by b^l_j (and α_l)."""
        d, net = self.d, self.d.network
        sp_ = d.sigma_prime(l, j, i)
        if sp_ != 1:
            self.atoms[sp_] = a_lj.diff(self.atoms[net.b_(l, j)])
        if net.has_slope(l):
            self.atoms[d.slope_factor(l, j, i)] = a_lj.diff(self.atoms[net.alpha(l)])

    def deltas(self):
        """δ^l_{j,i} from the Derivation's recurrence, layer L first, in engine objects."""
        d, net = self.d, self.d.network
        samples = [None] if net.samples == 1 else list(net.sample_range)
        for l in range(net.L, 0, -1):
            for i in samples:
                for j in range(1, net.n(l) + 1):
                    self.atoms[net.delta_(l, j, i)] = _to_engine(d.delta_component(l, j, i),
                                                                 self.atoms, self.se)


def _same(x, y, se) -> bool:
    return x == y or se.expand(x - y) == 0


def prove_dense(d: Derivation, *, engine: str = "symengine", scale: float = 1) -> Proof:
    """Prove every component of every closed form of ``d`` equal to the engine's derivative
    of the composed cost, for arbitrary differentiable activations and elementwise cost.

    ``scale`` multiplies each closed form before the comparison: with ``scale != 1`` the proof
    must fail (the tests use it to show that the proof can fail).
    """
    if not isinstance(d, Derivation):
        raise UsageError(f"derivation={d!r}: must be a Derivation")
    se = _engine(engine)
    net = d.network
    start = time.perf_counter()
    failures, names = [], []
    with _recursion_limit(10 * net.L + 2000):
        comp = _Composed(d, se)
        comp.deltas()
        factor = se.Integer(1) if scale == 1 else se.sympify(sp.nsimplify(scale))
        for name in net.parameter_names():
            for idx, sym, closed in d.component_gradients(name):
                names.append(sym.name)
                engine_derivative = comp.cost.diff(comp.params[sym])
                if not _same(engine_derivative, factor * _to_engine(closed, comp.atoms, se), se):
                    failures.append(sym.name)
    seconds = time.perf_counter() - start
    out = ("softmax(z_L) with cross-entropy written out (Σ_j y_j = 1)" if net.softmax_output
           else "an undefined elementwise cost c(a^L_j, y_j)")
    return Proof(
        claim=f"closed forms of all {len(names)} gradient components equal the derivative of "
              "the composed cost, for every differentiable activation"
              + ("" if net.softmax_output else " and elementwise cost"),
        verified=not failures, method="composed", seconds=seconds, parameters=tuple(names),
        failures=tuple(failures),
        detail=f"differentiated the composed cost of widths {list(net.widths)} with undefined "
               f"σ_l per layer and {out} using {engine}, compared component by component with "
               "δ^l_j = σ_l'(z^l_j) Σ_k w^(l+1)_kj δ^(l+1)_k and ∂C/∂w^l_jk = a^(l-1)_k δ^l_j")


def prove_dense_all(d: Derivation, **kwargs) -> dict[str, Proof]:
    """Every proof a dense derivation rests on: the structural identity, each activation
    it uses, its elementwise cost."""
    out = {"dense": prove_dense(d, **kwargs)}
    for act in dict.fromkeys(d.network.activations):
        if isinstance(act, Activation):
            out[f"activation:{act.name}"] = prove_activation(act)
    if not d.network.softmax_output:
        out[f"cost:{d.network.cost.name}"] = prove_cost(d.network.cost)
    return out


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


def _composed_concrete(net: Dense, point: dict, prec: int):
    """The composed cost with the real activations and cost as a SymPy expression in the
    inputs, targets and parameters, and the forward values z^l_j, a^l_j at ``point``
    (``prec`` digits).  A piecewise activation is written as its branch active at the point
    (its derivative there is that branch's: the point is not at a kink)."""
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
            terms += [net.cost(a[j - 1], net.y_(j, i)) for j in range(1, net.n(net.L) + 1)]
    return sp.Add(*terms), values


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
    cost, values = _composed_concrete(net, point, prec)
    # SymEngine differentiates the concrete composed cost (SymPy's own diff and evalf of
    # nested erf or exp expressions take minutes at these sizes); MPFR evaluates it
    import symengine as se
    se_cost = se.sympify(cost)
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
