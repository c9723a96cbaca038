"""A dense network's derivation step by step, in the row convention and the tilde notation of
the lecture material (print with :class:`~symgrad.printing.MatrixLatexPrinter`).

Every sample is a row: h̃_{l,i} = h_{l-1,i} W_l + b_l, h_{l,i} = σ_l(h̃_{l,i}), ŷ_i = h_{L,i};
so the row convention's W_l is n_{l-1} × n_l, the transpose of the derivation's column-form
W_l.  The four equations are the :class:`~symgrad.derivation.Derivation`'s own, transposed
mechanically by :func:`row_form`; the words come from :mod:`symgrad.lecture.dense_prose`.

>>> from symgrad.model.network import Dense
>>> from symgrad.derivation import derive
>>> net = Dense([3, 4, 4, 2], ["sigmoid", "sigmoid", "linear"], "squared-error", samples=4)
>>> [s.group for s in dense_steps(derive(net))]
['forward', 'chain rule', 'local derivatives', 'backpropagation', 'backpropagation', 'closed forms', 'bounds', 'concrete']
>>> row_form(derive(net).delta_matrix(1), net)
HadamardProduct(delta_2*W_2.T, Lambda(_z, Derivative(sigmoid(_z), _z)).(z_1))
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from symgrad.derivation import OrderedProduct, sigma_prime_matrix
from symgrad.derivation.nodes import CostGradient, SampleSum
from symgrad.errors import UsageError
from symgrad.lecture import dense_prose as words
from symgrad.lecture.chain import coefficient, in_output_form
from symgrad.lecture.facts import facts_of, named
from symgrad.lecture.prose import bound_headline
from symgrad.lecture.nodes import Norm, SquaredNorm, Step, cost_symbol, eq, gradient_of, sigma_prime_of

__all__ = ["dense_steps", "row_form", "proof_network", "prove_dense_lecture",
           "MAX_PROOF_COMPONENTS", "MAX_UNROLLED_DENSE", "Rows"]

#: a dense lecture proves its network as given up to this many parameter components
#: (summed over the samples of the loss); a larger one is proven at narrower widths
MAX_PROOF_COMPONENTS = 500
#: the dense lecture writes ∂𝓛/∂W_1 with every δ substituted up to this many layers
MAX_UNROLLED_DENSE = 3
_N = sp.Symbol("N", integer=True, positive=True)


def row_form(expr, net, N=_N):
    """A column-convention matrix form of the Derivation transposed into the row convention:
    every column v (z_l, a_l, δ_l, y) becomes the row vᵀ of the same name, W_l becomes the
    row convention's W_l (its transpose), the input a_0 the row x_iᵀ, the sample count N.
    (W_{l+1}ᵀ δ_{l+1})ᵀ = δ_{l+1} W_{l+1}ᵀ and (δ_l a_{l-1}ᵀ)ᵀ = a_{l-1} δ_lᵀ."""
    R = lambda e: row_form(e, net, N)   # noqa: E731
    if isinstance(expr, sp.MatrixSymbol):
        n, m = expr.shape
        kind, _, rest = expr.name.partition("_")
        if kind == "a" and rest.split(",")[0] == "0":   # h_{0,i} = x_iᵀ
            sample = rest.partition(",")[2]
            return sp.Transpose(sp.MatrixSymbol("x" + (f",{sample}" if sample else ""), n, 1))
        return sp.MatrixSymbol(expr.name, m, n)
    if isinstance(expr, sp.Transpose):
        inner = R(expr.arg)
        return inner.arg if isinstance(inner, sp.Transpose) else sp.Transpose(inner)
    if isinstance(expr, sp.MatMul):   # (c A B)ᵀ = c Bᵀ Aᵀ: a scalar stays in front
        scalars = [a for a in expr.args if not getattr(a, "is_Matrix", False)]
        return sp.MatMul(*scalars, *[R(a) for a in reversed(expr.args) if a not in scalars])
    if isinstance(expr, (sp.HadamardProduct, sp.MatAdd)):
        return type(expr)(*[R(a) for a in expr.args])
    if isinstance(expr, ElementwiseApplyFunction):
        return ElementwiseApplyFunction(expr.function, R(expr.expr))
    if isinstance(expr, CostGradient):
        return CostGradient(R(expr.output))
    if isinstance(expr, SampleSum):
        return SampleSum(R(expr.term), expr.index, N)
    if expr.is_number:
        return expr
    raise TypeError(f"no row form for {type(expr).__name__}")


class Rows:
    """The row convention's symbols of one network: h̃_{l,i}, h_{l,i}, x_i, y_i, W_l, and the
    scalar display symbols of the chain rule."""

    def __init__(self, net):
        self.net, self.L = net, net.L
        self.many = net.samples > 1
        self.i = sp.Symbol("i", integer=True, positive=True)
        self.softmax = net.softmax_output
        self.linear_out = not self.softmax and net.sigma(net.L).is_linear

    def row(self, kind: str, l=None, sample: bool = True) -> sp.MatrixSymbol:
        name = kind if l is None else f"{kind}_{l}"
        width = self.net.n(self.L if kind == "y" else l) if isinstance(l, int) or kind == "y" \
            else sp.Symbol(f"n_{l}", integer=True, positive=True)
        if kind == "a" and l == "l-1":   # the input width of layer l
            width = sp.Symbol("n_l-1", integer=True, positive=True)
        return sp.MatrixSymbol(name + (",i" if sample and self.many else ""), 1, width)

    def generic(self, kind: str) -> sp.MatrixSymbol:
        """W_l (n_{l-1} × n_l) or b_l (1 × n_l) of a general layer l."""
        n = sp.Symbol("n_l", integer=True, positive=True)
        m = sp.Symbol("n_l-1", integer=True, positive=True) if kind == "W" else 1
        return sp.MatrixSymbol(f"{kind}_l", m, n)

    def W(self, l: int) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(f"W_{l}", self.net.n(l - 1), self.net.n(l))

    def x(self, sample: bool = True) -> sp.Expr:
        return sp.Transpose(sp.MatrixSymbol("x" + (",i" if sample and self.many else ""),
                                            self.net.n(0), 1))

    def h_prev(self, l: int, sample: bool = True) -> sp.Expr:
        return self.x(sample) if l == 1 else self.row("a", l - 1, sample)

    @staticmethod
    def s(kind: str, l) -> sp.Symbol:
        """The scalar display symbol of the chain rule: z_l (h̃_l), a_l (h_l), w_l (W_l)."""
        return sp.Symbol(f"{kind}_{l}", real=True)

    def lin(self, l: int) -> sp.Symbol:
        """Layer l's linear part: h̃_l, or ŷ for a linear output."""
        return self.s("a", self.L) if l == self.L and self.linear_out else self.s("z", l)

    def sigma_prime(self, l: int, z) -> sp.MatrixExpr:
        return sigma_prime_matrix(self.net.sigma(l), z)

    def per_sample(self, term):
        return SampleSum(term, self.i, _N) if self.many else term


def _check(net) -> None:
    slopes = [l for l in net.layers if net.has_slope(l)]
    if slopes:
        names = ",".join(a.name for a in net.activations)
        raise UsageError(f"activations={names!r}: the matrix lecture has no learned slopes "
                         f"(layer {slopes[0]}); use 'symgrad lecture --depth' for a PReLU chain "
                         "or 'symgrad derive --widths' for the dense forms")


def dense_steps(d) -> tuple[Step, ...]:
    """The derivation of a dense network step by step (see the module's docstring)."""
    _check(d.network)
    r, f = Rows(d.network), facts_of(d)
    steps = [_forward(r, f), _chain_rule(r, f), _local(r, f), *_four_equations(r, f, d)]
    if r.L <= MAX_UNROLLED_DENSE:
        steps.append(_unrolled(r, f, d))
    return tuple(steps) + _bounds(r, f) + (_concrete(r, f),)


def _forward(r: Rows, f) -> Step:
    net, L = r.net, r.L
    eqs = []
    for l in net.layers:
        lin = sp.MatAdd(sp.MatMul(r.h_prev(l), r.W(l)), sp.MatrixSymbol(f"b_{l}", 1, net.n(l)))
        if l == L and r.linear_out:
            eqs.append(eq(r.row("a", L), "=", lin))
            continue
        eqs.append(eq(r.row("z", l), "=", lin))
        if l < L or not r.softmax:
            eqs.append(eq(r.row("a", l), "=",
                          ElementwiseApplyFunction(sp.Function(net.sigma(l).name, real=True),
                                                   r.row("z", l))))
    if net.cost_name in ("squared-error", "quadratic"):
        per = SquaredNorm(sp.MatAdd(r.row("y"), sp.MatMul(-1, r.row("a", L))))
        loss = per if net.cost_name == "squared-error" else OrderedProduct(sp.Rational(1, 2), per)
        eqs.append(eq(cost_symbol(), "=", r.per_sample(loss)))
    return Step("forward", words.forward_rule(f, r), tuple(eqs))


def _path(r: Rows, l: int) -> list:
    """∂𝓛/∂ŷ ∂ŷ/∂h̃_L ... ∂h_l/∂h̃_l, one factor per edge (from ∂𝓛/∂h̃_L for a softmax)."""
    s, L = r.s, r.L
    if r.softmax:
        out = [sp.Derivative(cost_symbol(), s("z", L))]
        if L > l:
            out.append(sp.Derivative(s("z", L), s("a", L - 1)))
    else:
        out = [sp.Derivative(cost_symbol(), s("a", L))]
        if not r.linear_out:
            out.append(sp.Derivative(s("a", L), s("z", L)))
            if L > l:
                out.append(sp.Derivative(s("z", L), s("a", L - 1)))
        elif L > l:
            out.append(sp.Derivative(s("a", L), s("a", L - 1)))
    for j in range(L - 1, l - 1, -1):
        out.append(sp.Derivative(s("a", j), s("z", j)))
        if j > l:
            out.append(sp.Derivative(s("z", j), s("a", j - 1)))
    return out


def _chain_rule(r: Rows, f) -> Step:
    eqs = []
    for l in range(r.L, 0, -1):
        p = _path(r, l)
        if l == r.L and r.linear_out:
            p = p[:1]
        if l == r.L and r.softmax:
            p = p[:1]
        eqs.append(eq(gradient_of(f"w_{l}"), "=",
                      OrderedProduct(*p, sp.Derivative(r.lin(l), r.s("w", l)))))
    return Step("chain rule", words.chain_rule_rule(f, r), tuple(eqs))


def _local(r: Rows, f) -> Step:
    net, L = r.net, r.L
    eqs = []
    if r.softmax:
        eqs.append(eq(sp.Derivative(cost_symbol(), r.s("z", L)), "=",
                      sp.MatAdd(r.row("a", L, False), sp.MatMul(-1, r.row("y", sample=False)))))
    for l in range(L, 0, -1):
        if (l < L or not r.linear_out) and not (l == L and r.softmax):
            act = net.sigma(l)
            jac = sp.Identity(net.n(l)) if act.is_linear else \
                DiagMatrix(r.sigma_prime(l, r.row("z", l, False)))
            eqs.append(eq(sp.Derivative(r.s("a", l), r.s("z", l)), "=", jac))
        if l > 1:
            eqs.append(eq(sp.Derivative(r.lin(l), r.s("a", l - 1)), "=", sp.Transpose(r.W(l))))
    eqs.append(eq(gradient_of("w_1"), "=", OrderedProduct(sp.MatrixSymbol("x", net.n(0), 1),
                                                          sp.Derivative(cost_symbol(), r.lin(1)))))
    return Step("local derivatives", words.local_rule(f, r), tuple(eqs))


def _four_equations(r: Rows, f, d) -> tuple[Step, Step]:
    net, L = r.net, r.L
    eqs = [eq(r.row("delta", l, False), "=", row_form(d.delta_matrix(l), net))
           for l in range(L, 0, -1)]
    first = Step("backpropagation", words.error_rule(f, r), tuple(eqs))
    eqs = []
    for l in range(L, 0, -1):
        eqs.append(eq(gradient_of(f"b_{l}"), "=", row_form(d.gradient_matrix(f"b_{l}"), net)))
        eqs.append(eq(gradient_of(f"w_{l}"), "=", row_form(d.gradient_matrix(f"W_{l}"), net)))
    return first, Step("backpropagation", words.gradient_rule(f, r), tuple(eqs))


def _unrolled(r: Rows, f, d) -> Step:
    """∂𝓛/∂W_1 = Σ_i x_i (((∇_{ŷ_i} 𝓛) W_3ᵀ ⊙ σ'(h̃_{2,i})) W_2ᵀ ⊙ σ'(h̃_{1,i})): the row forms
    of the Derivation's δ_l substituted into each other."""
    net = r.net
    unrolled = r.row("delta", 1, False)
    for l in range(1, net.L + 1):
        unrolled = unrolled.xreplace({r.row("delta", l, False): row_form(d.delta_matrix(l), net)})
    if r.many:
        per = {r.row(k, l, False): r.row(k, l) for k in ("z", "a") for l in net.layers}
        per[r.row("y", sample=False)] = r.row("y")
        unrolled = unrolled.xreplace(per)
    first = sp.MatMul(sp.MatrixSymbol("x,i" if r.many else "x", net.n(0), 1), unrolled)
    return Step("closed forms", words.unrolled_rule(f, r),
                (eq(gradient_of("w_1"), "=", r.per_sample(first)),))


def _bounds(r: Rows, f) -> tuple:
    net, L = r.net, r.L
    layers = f.sigma_layers(1)
    if not layers or not f.bounded:
        return ()
    eqs, seen = [], []
    for l in layers:
        a = f.layer(l)
        if a not in seen:
            seen.append(a)
            eqs.append(eq(sp.Abs(sigma_prime_of(a.activation, a.activation.z)), "<=", named(a.bound)))
    for l in layers:
        eqs.append(eq(Norm(sp.Derivative(r.s("a", l), r.s("z", l))), "<=", named(f.layer(l).bound)))
    if f.output_cancels:   # δ_L = ŷ − y stays one factor, not bounded by sup|σ'|
        factors = [Norm(row_form(f.derivation.delta_matrix(L), net))]
    else:
        factors = [Norm(sp.Derivative(cost_symbol(), r.s("a", L)))]
    factors += [Norm(r.W(j)) for j in range(L, 1, -1)]
    coeff = coefficient(f.coefficient(1))
    bound = OrderedProduct(*([coeff] if coeff != 1 else []), *factors,
                           Norm(sp.MatrixSymbol("x", net.n(0), 1)))
    eqs.append(eq(Norm(gradient_of("w_1")), "<=", bound))
    return (Step("bounds", words.bound_rule(f, r, seen), tuple(eqs),
                 bound_headline(f, gradient_of("w_1"))),)


def _concrete(r: Rows, f) -> Step:
    net, L = r.net, r.L
    eqs, seen = [], []
    for l in f.sigma_layers(1):
        a = f.layer(l)
        if a in seen:
            continue
        seen.append(a)
        act = a.activation
        form = in_output_form(act, sp.Function(act.name, real=True)(act.z))
        eqs.append(eq(sigma_prime_of(act, act.z), "=",
                      form if form is not None else named(act.derivative(act.z))))
    yhat, target = r.row("a", L, False), r.row("y", sample=False)
    diff = sp.MatAdd(yhat, sp.MatMul(-1, target))
    if f.output_cancels:
        eqs.append(eq(r.row("delta", L, False), "=", diff))
    else:
        a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
        coeff = sp.cancel(net.cost.derivative(a, y) / (a - y))   # 2 for ‖y − ŷ‖², 1 for ½‖·‖²
        if coeff.is_number:
            eqs.append(eq(CostGradient(yhat), "=", diff if coeff == 1 else OrderedProduct(coeff, diff)))
        else:   # a cost whose derivative is not a multiple of ŷ − y: one component
            aL = sp.Symbol(f"a_{L}", real=True)
            eqs.append(eq(sp.Derivative(cost_symbol(), aL), "=", net.cost.derivative(aL, y)))
    return Step("concrete", words.concrete_rule(f, r), tuple(eqs))


# -- the proof before printing ----------------------------------------------------------------

def proof_network(net):
    """The network a dense lecture proves before printing: ``net`` itself while it is small;
    otherwise the same layers, activations and cost at widths of at most 3 and at most 2
    samples (the matrix forms printed do not mention the widths; the proof is component by
    component, so its cost grows with every width).

    >>> from symgrad.model.network import Dense
    >>> proof_network(Dense([784, 30, 30, 10], samples=100))
    Dense(widths=[3, 3, 3, 3], activations='sigmoid', cost='quadratic', samples=2)
    """
    if net.parameter_count() * net.samples <= MAX_PROOF_COMPONENTS:
        return net
    from symgrad.model.network import Dense
    widths = [min(n, 3) for n in net.widths]
    if net.softmax_output:
        widths[-1] = max(widths[-1], 2)
    return Dense(widths, [a.name for a in net.activations], net.cost_name,
                 samples=min(net.samples, 2))


def prove_dense_lecture(d) -> None:
    """Prove the matrix forms (at :func:`proof_network`'s widths) or raise."""
    from symgrad.derivation import derive
    from symgrad.prove import prove_all
    proven = proof_network(d.network)
    proofs = prove_all(d if proven == d.network else derive(proven))
    failed = [k for k, p in proofs.items() if not p.verified]
    if failed:   # never print a formula that failed its proof
        raise RuntimeError(f"the matrix forms of {proven!r} failed their proof: {', '.join(failed)}")
