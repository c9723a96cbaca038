"""The proof by induction on the layer: each layer's chain-rule step against an undefined
rest of the network, and each closed form the statement's.

*Lemma* (:func:`lemma_holds`).  For a layer with inputs x_{k,i}, z_{j,i} = Σ_k w_{jk} x_{k,i}
+ b_j, outputs a_{j,i} = σ(z_{j,i}) and an undefined function G of all its outputs (the
rest of the network), the engine's derivatives are the statement's equations of the layer,
read with ∂C/∂a_{j,i} as G's derivative by its (j, i)-th argument and δ_{j,i} as ∂G/∂z_{j,i}::

    δ_{j,i} = σ'(z_{j,i}) ∂G/∂a_{j,i},        ∂G/∂b_j = Σ_i δ_{j,i},
    ∂G/∂w_{jk} = Σ_i x_{k,i} δ_{j,i},         ∂G/∂x_{k,i} = Σ_j w_{jk} δ_{j,i},
    ∂G/∂α = Σ_i Σ_j ∂a_{j,i}/∂α ∂G/∂a_{j,i}   (a PReLU layer)

(a softmax output with its cross-entropy written out: δ_{j,i} = a_{j,i} − y_{j,i}).  It is
proven once for each kind of layer (linear, σ, σ with a learned slope, softmax output) on
a representative layer of at most 2 units, 2 inputs and 2 samples: every other unit, input
and sample enters a layer the same way as one of those.

*Induction*, from the output down: ∂C/∂a^L is the cost's derivative; where the statement's
∂C/∂a^l is right, the lemma makes the layer's δ^l, ∂C/∂b^l, ∂C/∂W^l, ∂C/∂α_l and the next
∂C/∂a^{l-1} = Σ_j w^l_{jk} δ^l_j right.  What is left is to check that the derivation states
the statement: every component (a dense network, as polynomials in their atoms), or every
ordered product factor by factor in network order (a chain).

>>> from symgrad import Chain, derive
>>> from symgrad.prove.engine import engine_module
>>> failures, names = prove_inductive(derive(Chain(depth=300)), engine_module("symengine"))
>>> failures, len(names)
([], 600)
"""
from __future__ import annotations

import sympy as sp

from symgrad.derivation import Derivation
from symgrad.model.activations import Softmax
from symgrad.model.network import Network
from symgrad.prove.engine import Reader, same
from symgrad.prove.statement import Statement, claims, flat_factors

__all__ = ["signature", "representative_layer", "lemma_holds", "prove_inductive"]


def signature(net: Network, l: int) -> tuple:
    """What the lemma of layer l depends on: the kind of layer and its representative
    widths (units, inputs, samples, each at most 2)."""
    act = net.sigma(l)
    kind = "softmax" if isinstance(act, Softmax) else "linear" if act.is_linear else \
        "slope" if net.has_slope(l) else "unit"
    return kind, min(net.n(l), 2), min(net.n(l - 1), 2), min(net.samples, 2)


def representative_layer(net: Network, l: int) -> Network:
    """A network whose layer 1 is of layer l's kind at the representative widths (a softmax
    output with its cost; any other layer followed by one more, whose δ the lemma leaves
    undefined)."""
    kind, n, m, samples = signature(net, l)
    if kind == "softmax":
        return Network((m, n), "softmax", net.cost, samples)
    return Network((m, n, 1), [net.sigma(l), "linear"], "quadratic", samples)


def lemma_holds(rep: Network, se) -> bool:
    """The statement's equations of layer 1 of ``rep`` hold, by the engine, for an
    undefined rest of the network (see the module)."""
    s, S = Statement(rep), se.Symbol
    samples = [None] if rep.samples == 1 else list(rep.sample_range)
    units, inputs = range(1, rep.n(1) + 1), range(1, rep.n(0) + 1)
    act, softmax = rep.sigma(1), rep.softmax_output
    atoms = {sym: S(sym.name) for name in rep.parameter_names() if rep.parameter(name)[1] == 1
             for _, sym in rep.components(name)}
    atoms.update({rep.a_(0, k, i): S(rep.a_(0, k, i).name) for k in inputs for i in samples})
    # shifts: the derivatives by s_{j,i} and t_{j,i} (at 0) are ∂/∂z_{j,i} and ∂/∂a_{j,i}
    shift = {(j, i): (S(f"s{j}_{i}_"), S(f"t{j}_{i}_")) for j in units for i in samples}
    z = {(j, i): se.Add(atoms[rep.b_(1, j)], shift[j, i][0],
                        *[atoms[rep.w_(1, j, k)] * atoms[rep.a_(0, k, i)] for k in inputs])
         for j in units for i in samples}
    if softmax:
        y = {}
        for i in samples:
            ys = [S(rep.y_(j, i).name) for j in units]
            ys[-1] = 1 - se.Add(*ys[:-1])                            # Σ_j y_j = 1
            total = se.Add(*[se.exp(z[j, i]) for j in units])
            y.update({(j, i): ys[j - 1] for j in units})
            atoms.update({rep.a_(1, j, i): se.exp(z[j, i]) / total for j in units})
            atoms.update({rep.y_(j, i): ys[j - 1] for j in units})
        # C = Σ_i −Σ_j y_j (z_j − ln Σ_m e^{z_m})
        top = se.Add(*[-y[j, i] * (z[j, i] - se.log(se.Add(*[se.exp(z[m, i]) for m in units])))
                       for j in units for i in samples])
    else:
        sigma, alpha = se.Function("sigma"), atoms.get(rep.alpha(1))
        a = {key: (zz if act.is_linear else sigma(zz, alpha) if alpha is not None
                   else sigma(zz)) + shift[key][1] for key, zz in z.items()}
        top = se.Function("G")(*a.values())
        for j, i in a:
            atoms[s.dC_da(1, j, i)] = top.diff(shift[j, i][1])
            if not act.is_linear:
                atoms[s.sigma_prime(1, j, i)] = a[j, i].diff(atoms[rep.b_(1, j)])
            if alpha is not None:
                atoms[s.slope_factor(1, j, i)] = a[j, i].diff(alpha)
    atoms.update({rep.delta_(1, j, i): top.diff(shift[j, i][0]) for j in units for i in samples})
    read = Reader(se, atoms)
    checks = [(top.diff(shift[j, i][0]), s.delta(1, j, i)) for j in units for i in samples]
    checks += [(top.diff(atoms[rep.b_(1, j)]), s.bias(1, j)) for j in units]
    checks += [(top.diff(atoms[rep.w_(1, j, k)]), s.weight(1, j, k)) for j in units
               for k in inputs]
    checks += [(top.diff(atoms[rep.a_(0, k, i)]), s.dC_da(0, k, i)) for k in inputs
               for i in samples]
    if rep.has_slope(1):
        checks.append((top.diff(atoms[rep.alpha(1)]), s.slope(1)))
    return all(same(engine, read(stated), se) for engine, stated in checks)


def _dense_failures(d: Derivation, se, scale) -> tuple[list, list]:
    """Every component of ``d`` (and every δ it rests on) against the statement, equal as
    they stand or as polynomials in their atoms."""
    net, s = d.network, Statement(d.network)
    read = Reader(se, opaque=True)
    factor = sp.nsimplify(scale)

    def agree(ours, stated) -> bool:
        ours = ours if factor == 1 else factor * ours
        return ours == stated or same(read(ours), read(stated), se)

    samples = [None] if net.samples == 1 else list(net.sample_range)
    wrong_delta = {(l, j) for l in net.layers for j in range(1, net.n(l) + 1)
                   if not all(agree(d.delta_component(l, j, i), s.delta(l, j, i))
                              for i in samples)}
    failures, names = [], []
    for c in claims(d):
        names.append(c.name)
        kind, l = net.parameter(c.of)
        # ∂C/∂b^l_j and ∂C/∂w^l_{jk} rest on δ^l_j as the derivation writes it
        if (kind != "alpha" and (l, c.index[0]) in wrong_delta) or \
                not agree(c.closed, s.component(c.of, c.index)):
            failures.append(c.name)
    return failures, names


def _chain_failures(d: Derivation, form: str, scale) -> tuple[list, list]:
    """Every ordered product of a chain against the statement, factor by factor: δ_l is
    σ_l'(z_l) ∂C/∂a_l, written out as σ_l'(z_l) w_{l+1} followed by δ_{l+1}'s own product
    (itself checked), or ending in δ_{l+1}; ∂C/∂w_l is a_{l-1} δ_l, ∂C/∂α_l is
    ∂a_l/∂α_l ∂C/∂a_l."""
    net, s = d.network, Statement(d.network)
    stated = {c.name: flat_factors(c.closed) for c in claims(d, form)}
    ok = {}
    for l in range(net.L, 0, -1):
        # ∂C/∂a_l: w_{l+1} and δ_{l+1} written out (checked one layer up), or as stated
        if form == "expanded" and l < net.L:
            after, after_ok = (net.w_(l + 1),) + stated[f"b_{l + 1}"], ok[f"b_{l + 1}"]
        else:
            after, after_ok = flat_factors(s.dC_da(l)), True
        b, w, alpha = f"b_{l}", net.canonical(f"W_{l}"), f"alpha_{l}"
        ok[b] = after_ok and stated[b] == flat_factors(s.sigma_prime(l)) + after
        ok[w] = ok[b] and stated[w] == (net.a_(l - 1),) + stated[b]
        if net.has_slope(l):
            ok[alpha] = after_ok and stated[alpha] == (s.slope_factor(l),) + after
    return [n for n in stated if scale != 1 or not ok[n]], list(stated)


def prove_inductive(d: Derivation, se, form: str = "expanded", scale=1) -> tuple[list, list]:
    """(failures, names): the lemma of every kind of layer ``d``'s network has, then every
    claim of ``d`` against the statement; ``scale`` multiplies each closed form first (a
    proof that must fail)."""
    net = d.network
    kinds = {signature(net, l): l for l in net.layers}
    lemmas = all(lemma_holds(representative_layer(net, l), se) for l in kinds.values())
    failures, names = _chain_failures(d, form, scale) if net.is_chain else \
        _dense_failures(d, se, scale)
    return (failures if lemmas else names), names
