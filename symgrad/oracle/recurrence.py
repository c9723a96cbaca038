"""The backpropagation recurrence on balls: the equations :func:`~symgrad.derivation.derive`
prints, evaluated with python-flint's Arb at one working precision::

    z_l = W_l a_{l-1} + b_l,        a_l = σ_l(z_l)
    δ_L = ∇_{a_L} C ⊙ σ_L'(z_L)     (a_L − y for a softmax output with cross-entropy)
    δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ_l'(z_l)
    ∂C/∂b_l = Σ_i δ_{l,i},   ∂C/∂W_l = Σ_i δ_{l,i} a_{l-1,i}ᵀ,
    ∂C/∂α_l = Σ_i Σ_j ∂a^l_{j,i}/∂α_l · (∂C/∂a_l)_{j,i}

Every vector is held as rows of units by columns of samples (``[j][i]``), every matrix
product is one ``arb_mat`` product (FLINT's, in C); a network whose widths are all 1 (a chain)
takes a scalar loop of the same equations, three times faster (the tests check the two
agree).  A ball that contains a kink raises :class:`AtKink` naming the unit: the caller
decides it exactly (:mod:`symgrad.oracle.reference`).

>>> from flint import ctx
>>> from symgrad.model.network import Chain
>>> from symgrad.oracle.point import read_point
>>> p = read_point(Chain(depth=1), {"w_1": 2, "b_1": -1}, {"a_0": "0.5", "y": 1})
>>> with ctx.workprec(64):
...     out = evaluate(p, "left", frozenset())
>>> out.gradients["b_1"].str(5), out.cost.str(5)             # σ'(0) (a_1 − y) = −1/8
('-0.12500', '0.12500')
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flint import arb, arb_mat, fmpq, fmpq_mat

from symgrad.model.activations import Softmax
from symgrad.oracle.balls import Undecided, activation_form, cost_form, log_sum_exp
from symgrad.oracle.decimals import ball_matrix, exact
from symgrad.oracle.point import Point

__all__ = ["AtKink", "Trace", "Evaluation", "evaluate", "exact_preactivation", "layer_kinks"]


class AtKink(Exception):
    """The ball of z^l_{j,i} contains a kink: ``args`` = (l, j, i), 0-based j and i."""


@dataclass(frozen=True)
class Trace:
    """The forward and backward pass, per layer l (index 0 unused where undefined), each a
    list of rows ``[j][i]`` of balls: z, a (a[0] is x), σ'(z) as ``d``, ∂C/∂a_l as ``r``
    (None for a softmax output) and δ."""

    z: list
    a: list
    d: list
    r: list
    delta: list
    #: a chain's trace: one ball per layer in place of rows [j][i]
    scalar: bool = False

    def rows(self, part: str, l: int) -> list:
        """Layer l of ``part`` (z, a, d, r or delta) as rows [j][i], for any network."""
        value = getattr(self, part)[l]
        return [[value]] if self.scalar and value is not None else value


@dataclass(frozen=True)
class Evaluation:
    """Gradients by canonical name, in the parameters' shapes (W_l rows, b_l a list, α_l
    one ball; a chain's as single balls), the cost and the trace."""

    gradients: dict
    cost: arb
    trace: Trace
    certified: bool
    reasons: tuple


def layer_kinks(convention, L: int) -> list:
    """The branch each layer takes at a kink, index l = 1..L: one convention for every layer
    (``"left"`` or ``"right"``) or one per layer, layer 1 first.

    >>> layer_kinks("left", 2), layer_kinks(("left", "right"), 2)
    ([None, 'left', 'left'], [None, 'left', 'right'])
    """
    return [None] + ([convention] * L if isinstance(convention, str) else list(convention))


def _column_sums(rows: list) -> list:
    return [sum(row[1:], row[0]) for row in rows]


def _output(net, zL, aL, dL, y, L):
    """(cost, ∂C/∂a_L, δ_L, a_L) at the output layer; softmax with cross-entropy:
    a_j = e^{z_j − lse}, C = Σ_i Σ_j y_j (lse − z_j), δ = a − y."""
    n, N = net.n(L), net.samples
    yb = [[arb(y[i][j]) for i in range(N)] for j in range(n)]
    if isinstance(net.sigma(L), Softmax):
        cost = arb(0)
        aL = [[None] * N for _ in range(n)]
        for i in range(N):
            col = [zL[j][i] for j in range(n)]
            lse = log_sum_exp(col)
            for j in range(n):
                aL[j][i] = (col[j] - lse).exp()
                cost += yb[j][i] * (lse - col[j])
        delta = [[aL[j][i] - yb[j][i] for i in range(N)] for j in range(n)]
        return cost, None, delta, aL
    form = cost_form(net.cost)
    cost = arb(0)
    r = [[None] * N for _ in range(n)]
    for j in range(n):
        for i in range(N):
            cost += form.value(aL[j][i], yb[j][i])
            r[j][i] = form.slope(aL[j][i], yb[j][i])
    delta = [[r[j][i] * dL[j][i] for i in range(N)] for j in range(n)]
    return cost, r, delta, aL


def _layer(net, l, Z, b, alpha, convention, zeros):
    """z, a, σ' of layer l from the product Z = W_l a_{l-1} (an arb_mat)."""
    n, N = net.n(l), net.samples
    act = net.sigma(l)
    z = [[Z[j, i] + b[j] for i in range(N)] for j in range(n)]
    if isinstance(act, Softmax):
        return z, None, None
    form = activation_form(act)
    a = [[None] * N for _ in range(n)]
    d = [[None] * N for _ in range(n)]
    for j in range(n):
        for i in range(N):
            if (l, j, i) in zeros:
                z[j][i] = arb(0)
            try:
                a[j][i], d[j][i] = form.pair(z[j][i], alpha, convention)
            except Undecided:
                raise AtKink(l, j, i) from None
    return z, a, d


def _dense(p: Point, convention, zeros) -> Evaluation:
    net, L, N = p.network, p.network.L, p.network.samples
    kinks = layer_kinks(convention, L)
    P = p.parameters
    W = [None] + [ball_matrix(P[f"W_{l}"]) for l in net.layers]
    b = [None] + [[arb(v) for v in P[f"b_{l}"]] for l in net.layers]
    alpha = [None] + [arb(P[f"alpha_{l}"]) if net.has_slope(l) else None for l in net.layers]
    a = [[[arb(p.x[i][k]) for i in range(N)] for k in range(net.n(0))]]
    z, d = [None], [None]
    for l in net.layers:
        zl, al, dl = _layer(net, l, W[l] * arb_mat(a[l - 1]), b[l], alpha[l], kinks[l], zeros)
        z.append(zl), a.append(al), d.append(dl)
    cost, rL, delta_L, a[L] = _output(net, z[L], a[L], d[L], p.y, L)
    r, delta = [None] * (L + 1), [None] * (L + 1)
    r[L], delta[L] = rL, delta_L
    grads = {}
    for l in range(L, 0, -1):
        D = arb_mat(delta[l])
        grads[f"b_{l}"] = _column_sums(delta[l])
        G = D * arb_mat(a[l - 1]).transpose()
        grads[f"W_{l}"] = [[G[j, k] for k in range(net.n(l - 1))] for j in range(net.n(l))]
        if net.has_slope(l):
            form = activation_form(net.sigma(l))
            grads[f"alpha_{l}"] = sum((form.slope(z[l][j][i], kinks[l]) * r[l][j][i]
                                       for j in range(net.n(l)) for i in range(N)), arb(0))
        if l > 1:
            R = W[l].transpose() * D
            r[l - 1] = [[R[j, i] for i in range(N)] for j in range(net.n(l - 1))]
            delta[l - 1] = [[r[l - 1][j][i] * d[l - 1][j][i] for i in range(N)]
                            for j in range(net.n(l - 1))]
    return Evaluation(grads, cost, Trace(z, a, d, r, delta), *_certifiable(net))


def _chain(p: Point, convention, zeros) -> Evaluation:
    """The same equations for widths 1, on scalars: the trace and the gradients hold one
    ball where the dense form holds rows (``Trace.scalar``)."""
    net, L = p.network, p.network.L
    kinks = layer_kinks(convention, L)
    forms, names = _chain_layout(net)
    P = p.parameters
    w = [None] + [arb(P[n][0][0]) for n in names["W"]]
    b = [None] + [arb(P[n][0]) for n in names["b"]]
    alpha = [None] + [arb(P[f"alpha_{l}"]) if act.parameter is not None else None
                      for l, act in enumerate(net.activations, 1)]
    a, z, d = [arb(p.x[0][0])], [None], [None]
    for l in range(1, L + 1):
        zl = w[l] * a[l - 1] + b[l]                   # z_l = w_l a_{l-1} + b_l
        if zeros and (l, 0, 0) in zeros:
            zl = arb(0)
        try:
            al, dl = forms[l](zl, alpha[l], kinks[l])
        except Undecided:
            raise AtKink(l, 0, 0) from None
        z.append(zl), a.append(al), d.append(dl)
    form = cost_form(net.cost)
    y = arb(p.y[0][0])
    r, delta, grads = [None] * (L + 1), [None] * (L + 1), {}
    r[L] = form.slope(a[L], y)                        # ∂C/∂a_L
    delta[L] = r[L] * d[L]                            # δ_L = σ_L'(z_L) ∂C/∂a_L
    for l in range(L, 0, -1):
        if l < L:
            r[l] = w[l + 1] * delta[l + 1]            # ∂C/∂a_l = w_{l+1} δ_{l+1}
            delta[l] = r[l] * d[l]                    # δ_l = σ_l'(z_l) w_{l+1} δ_{l+1}
        grads[names["b"][l - 1]] = delta[l]
        grads[names["W"][l - 1]] = a[l - 1] * delta[l]   # ∂C/∂w_l = a_{l-1} δ_l
        if alpha[l] is not None:
            grads[f"alpha_{l}"] = activation_form(net.sigma(l)).slope(z[l], kinks[l]) * r[l]
    return Evaluation(grads, form.value(a[L], y), Trace(z, a, d, r, delta, scalar=True),
                      *_certifiable(net))


@lru_cache(maxsize=64)
def _chain_layout(net) -> tuple:
    """Each layer's (z, α, convention) ↦ (σ, σ') on balls (index l), and the names
    W_l, b_l in layer order: looked up once per network, not per point."""
    forms = [None] + [activation_form(a).evaluate for a in net.activations]
    return forms, {kind: [f"{kind}_{l}" for l in net.layers] for kind in ("W", "b")}


@lru_cache(maxsize=64)
def _certifiable(net) -> tuple:
    reasons = [f.reason for f in {activation_form(a) for a in net.activations
                                  if not isinstance(a, Softmax)} if not f.certified]
    if not net.softmax_output and not cost_form(net.cost).certified:
        reasons.append(cost_form(net.cost).reason)
    return not reasons, tuple(sorted(reasons))


def evaluate(p: Point, convention, zeros) -> Evaluation:
    """Gradients, cost and trace at the working precision (``flint.ctx.prec``); ``zeros``
    holds the units (l, j, i) whose z is exactly 0 (decided before); ``convention`` the
    branch at a kink, for every layer or per layer (:func:`layer_kinks`)."""
    net = p.network
    return _chain(p, convention, zeros) if net.is_chain else _dense(p, convention, zeros)


#: the activations whose outputs stay rational: the kink's side is decided exactly
_RATIONAL = ("relu", "leaky_relu", "prelu", "linear")


def _exact(v) -> fmpq:
    if isinstance(v, float):
        return fmpq(*v.as_integer_ratio())
    return exact(v) if isinstance(v, str) else v


def exact_preactivation(p: Point, l: int, convention):
    """z_l as exact rationals (rows [j][i]), or None when a layer below l is not piecewise
    linear with rational slopes (its outputs are then not rational)."""
    net = p.network
    if any(net.sigma(m).name not in _RATIONAL for m in range(1, l)):
        return None
    A = fmpq_mat([[_exact(v) for v in row] for row in p.x]).transpose()
    kinks = layer_kinks(convention, net.L)
    for m in range(1, l + 1):
        P = p.parameters
        Z = fmpq_mat([[_exact(v) for v in row] for row in P[f"W_{m}"]]) * A
        z = [[Z[j, i] + _exact(P[f"b_{m}"][j]) for i in range(Z.ncols())]
             for j in range(Z.nrows())]
        if m == l:
            return z
        name = net.sigma(m).name
        slope = {"relu": fmpq(0), "leaky_relu": fmpq(1, 100), "linear": fmpq(1),
                 "prelu": _exact(P.get(f"alpha_{m}", 0))}[name]
        right = lambda v: v > 0 or (v == 0 and kinks[m] == "right")  # noqa: E731
        A = fmpq_mat([[v if name == "linear" or right(v) else slope * v for v in row]
                      for row in z])
    return None
