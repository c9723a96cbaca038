r"""The correct forms of a claim, written with the quantities the document uses.

For ∂C/∂b_l the chain rule follows the path C ← a_L ← z_L ← a_{L-1} ← ... ← z_l ← b_l, one
partial derivative per edge; substituting the local derivatives ∂a_j/∂z_j = σ'(z_j),
∂z_j/∂a_{j-1} = w_j, ∂z_l/∂b_l = 1 and ∂z_l/∂w_l = a_{l-1} gives the closed form

    ∂C/∂b_l = σ'(z_l) w_{l+1} σ'(z_{l+1}) ... w_L σ'(z_L) ∂C/∂a_L,

with δ_l = ∂C/∂z_l the recurrence δ_l = σ'(z_l) w_{l+1} δ_{l+1} and BP3/BP4
(∂C/∂b_l = δ_l, ∂C/∂w_l = a_{l-1} δ_l).  For vector layers the same equations in matrix
form: row convention δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(h̃_l), ∂𝓛/∂W_l = Σ_i h_{l-1,i}ᵀ δ_{l,i};
column convention (Nielsen) δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), ∂C/∂w^l = δ^l (a^{l-1})ᵀ.
The explanation picks the form closest to what the document wrote.

>>> from .network import NetworkSpec
>>> from .printer import Style, text
>>> from .notation import NIELSEN
>>> t = Templates(NetworkSpec(4, (1,) * 5, ("sigmoid",) * 4))
>>> lhs = Partial(Qty("cost"), Qty("bias", Idx(None, 3)))
>>> [text(f, Style(NIELSEN)) for f in dict(t.forms(lhs))["closed form"].factors]
["σ'(z_3)", 'w_4', "σ'(z_4)", '∂C/∂a_4']
"""
from __future__ import annotations

from fractions import Fraction

from .sir import (key as _key)
from .sir import (Apply, BigProd, BigSum, Diag, Div, Grad, Had, Idx, Num, Partial, Pow, Prod,
                  Qty, S, Sum, Transpose, Var)

__all__ = ["Templates"]


def _q(kind, layer, sample=None) -> Qty:
    return Qty(kind, layer if isinstance(layer, Idx) or layer is None else Idx(None, layer),
               sample)


def _one() -> Num:
    return Num(Fraction(1))


class Templates:
    """Correct forms for the claims about one network."""

    def __init__(self, spec, notation_name: str = "nielsen"):
        self.spec = spec
        self.L = spec.depth
        self.matrix = notation_name == "matrix"

    # -- helpers --------------------------------------------------------------------------
    def fn(self, k: int) -> str:
        return self.spec.activations[k - 1]

    def sigma(self, k, sample=None) -> S:
        idx = k if isinstance(k, Idx) else Idx(None, k)
        fn = self.fn(k) if isinstance(k, int) else self._generic_fn()
        return Apply(fn, _q("pre", idx, sample), deriv=1)

    def _generic_fn(self) -> str:
        fns = set(self.spec.activations[:-1] or self.spec.activations)
        return fns.pop() if len(fns) == 1 else self.spec.activations[0]

    def out(self, sample=None) -> Qty:
        return _q("act", Idx(None, self.L), sample)

    def dC_da(self, sample=None) -> S:
        return Partial(Qty("cost"), self.out(sample))

    def layer_input(self, k: int | Idx, sample=None) -> S:
        idx = k.shift(-1) if isinstance(k, Idx) else Idx(None, k - 1)
        return _q("act", idx, sample)

    def linear(self, k: int) -> bool:
        return self.fn(k) == "linear"

    # -- the path and the chain rule --------------------------------------------------------
    def path(self, target: Qty) -> list | None:
        """Nodes from the output down to ``target`` (concrete layers only)."""
        if target.layer is None or target.layer.var not in (None, "L"):
            return None
        k = target.layer.value({}, self.L)
        nodes = []
        for j in range(self.L, 0, -1):
            nodes.append(_q("act", j))
            if target.kind == "act" and j == k:
                return nodes
            if j not in self.spec.unnamed_pre or j != self.L:
                nodes.append(_q("pre", j))
            if j == k and target.kind in ("pre", "weight", "bias"):
                if target.kind != "pre":
                    nodes.append(_q(target.kind, j))
                return nodes
        if target.kind == "act" and k == 0:
            return nodes + [_q("act", 0)]
        return None

    def chain_rule(self, target: Qty, top: Qty | None = None) -> list | None:
        """∂top/∂target as one partial derivative per edge of the path (top: the cost
        unless given)."""
        nodes = self.path(target)
        if nodes is None:
            return None
        if top is None or top.kind == "cost":
            nodes = [Qty("cost")] + nodes
        else:
            keys = [_key(n) for n in nodes]
            if _key(top) not in keys:
                return None
            nodes = nodes[keys.index(_key(top)):]
        return [Partial(a, b) for a, b in zip(nodes, nodes[1:])]

    # -- forms of ∂C/∂p ---------------------------------------------------------------------
    def forms(self, lhs: S) -> list[tuple[str, S]]:
        """(name, correct right-hand side) for a left-hand side."""
        if isinstance(lhs, Grad):
            lhs = Partial(Qty("cost"), lhs.var)
        if isinstance(lhs, Partial) and isinstance(lhs.num, Qty) and lhs.num.kind == "cost" \
                and isinstance(lhs.den, Qty):
            if lhs.den.kind == "act" and lhs.den.layer == Idx(None, self.L):
                d = self.cost_derivative(lhs.den.sample, with_ce=True)
                return [("the cost's derivative", d)] if d is not None else []
            return self._gradient_forms(lhs.den)
        if isinstance(lhs, Qty) and lhs.kind == "error" and lhs.layer is not None:
            return self._delta_forms(lhs)
        if isinstance(lhs, Partial) and isinstance(lhs.num, Qty) and isinstance(lhs.den, Qty):
            return self._local_forms(lhs.num, lhs.den)
        return []

    def _gradient_forms(self, p: Qty) -> list:
        out = []
        if self.spec.dense:
            return self._dense_gradient_forms(p)
        chain = self.chain_rule(p)
        if chain:
            out.append(("chain rule", Prod(chain)))
            out.append(("chain rule, parameter first", Prod(chain[::-1])))
        if p.kind not in ("weight", "bias") or p.layer is None:
            return out
        lead = [self.layer_input(p.layer.value({}, self.L) if p.layer.var in (None, "L")
                                 else p.layer)] if p.kind == "weight" else []
        if p.layer.var in (None, "L"):
            k = p.layer.value({}, self.L)
            closed = lead + self._closed(k)
            out.append(("closed form", Prod(closed)))
            out.append(("closed form, reversed", Prod(closed[::-1])))
            concrete = self._concrete(lead, k)
            if concrete:
                out.append(("closed form, concrete", Prod(concrete)))
            if k < self.L:
                rec = lead + ([] if self.linear(k) else [self.sigma(k)]) + \
                    [_q("weight", k + 1), _q("error", k + 1)]
                out.append(("recurrence", Prod(rec)))
            out.append(("δ form (BP3/BP4)", Prod(lead + [_q("error", k)])))
        else:
            l = p.layer
            rec = lead + [self.sigma(l), _q("weight", l.shift(1)), _q("error", l.shift(1))]
            out.append(("recurrence", Prod(rec)))
            out.append(("δ form (BP3/BP4)", Prod(lead + [_q("error", l)]) if lead
                        else _q("error", l)))
            j = Idx("j")
            body = Prod([_q("weight", j), self.sigma(j)])
            out.append(("product form", Prod(lead + [self.sigma(l), BigProd(
                "j", Sum([Var(l.var), _one()], ["+", "+"]) if l.off == 0 else Num(Fraction(1)),
                Num(Fraction(self.L)), body), self.dC_da()])))
        return [(n, f.factors[0] if isinstance(f, Prod) and len(f.factors) == 1 else f)
                for n, f in out]

    def _closed(self, k: int) -> list:
        out = [] if self.linear(k) else [self.sigma(k)]
        for j in range(k + 1, self.L + 1):
            out.append(_q("weight", j))
            if not self.linear(j):
                out.append(self.sigma(j))
        return out + [self.dC_da()]

    def a_form(self, j: int) -> list | None:
        """σ'(z_j) written with the unit's output: a_j(1 - a_j), 1 - a_j²."""
        a = _q("act", j)
        fn = self.fn(j)
        if fn == "sigmoid":
            return [a, Sum([_one(), a], ["+", "-"])]
        if fn == "tanh":
            return [Sum([_one(), Pow(a, Num(Fraction(2)))], ["+", "-"])]
        if fn == "linear":
            return []
        return [self.sigma(j)]

    def standard_cost(self) -> str | None:
        """quadratic, squared-error or cross-entropy when the cost is one of them."""
        if self.spec.cost is not None and not getattr(self.spec, "cost_standard", False):
            return None
        return self.spec.cost_name

    def cost_derivative(self, sample=None, with_ce: bool = False) -> S | None:
        """∂C/∂a_L of a standard cost: a_L - y, 2 (a_L - y), (a_L - y)/(a_L (1 - a_L))."""
        y, a = Qty("target", None, sample), self.out(sample)
        diff = Sum([a, y], ["+", "-"])
        name = self.standard_cost()
        if name == "quadratic":
            return diff
        if name == "squared-error":
            return Prod([Num(Fraction(2)), diff])
        if name == "cross-entropy" and with_ce:
            return Div(diff, Prod([a, Sum([_one(), a], ["+", "-"])]))
        return None

    def _concrete(self, lead, k: int) -> list | None:
        dC = self.cost_derivative()
        ce = self.standard_cost() == "cross-entropy" and self.fn(self.L) == "sigmoid"
        if dC is None and not ce:
            return None
        out = list(lead)
        for j in range(k, self.L + 1):
            if j > k:
                out.append(_q("weight", j))
            if ce and j == self.L:
                continue
            out += self.a_form(j)
        return out + [Sum([self.out(), Qty("target")], ["+", "-"]) if ce else dC]

    # -- δ ---------------------------------------------------------------------------------
    def _delta_forms(self, d: Qty) -> list:
        l, s = d.layer, d.sample
        out = [("definition", Partial(Qty("cost"), _q("pre", l, s)))]
        top = l.var in (None, "L") and l.value({}, self.L) == self.L or \
            (l.var == "L" and l.off == 0)
        if self.spec.dense:
            return out + self._dense_delta_forms(l, s, top)
        if top:
            k = self.L
            f = [self.dC_da()] if self.linear(k) else [self.sigma(k), self.dC_da()]
            out.append(("BP1", Prod(f) if len(f) > 1 else f[0]))
            out.append(("BP1, reversed", Prod(f[::-1]) if len(f) > 1 else f[0]))
            concrete = self._concrete([], k)
            if concrete:
                out.append(("BP1, concrete", Prod(concrete) if len(concrete) > 1 else
                            concrete[0]))
        else:
            nxt = l.shift(1)
            sig = [] if (l.var is None and self.linear(l.off)) else [self.sigma(
                l.off if l.var is None else l)]
            out.append(("BP2", Prod(sig + [_q("weight", nxt), _q("error", nxt)])))
        return out

    # -- local derivatives ------------------------------------------------------------------
    def _local_forms(self, num: Qty, den: Qty) -> list:
        out = []
        same = num.layer == den.layer
        if num.kind == "act" and den.kind == "pre" and same:
            sig = self.sigma(num.layer.off if num.layer.var is None else num.layer)
            out.append(("activation derivative", Diag(sig) if self.spec.dense else sig))
        if num.kind == "pre" and den.kind == "act" and num.layer == den.layer.shift(1):
            w = _q("weight", num.layer)
            out.append(("weight", Transpose(w) if self.spec.convention == "row" and
                        self.spec.dense else w))
        if num.kind == "pre" and den.kind == "bias" and same:
            out.append(("bias", _one()))
        if num.kind == "pre" and den.kind == "weight" and same and not self.spec.dense:
            out.append(("input", self.layer_input(num.layer)))
        if num.kind == "act" and den.kind == "act" and num.layer == den.layer.shift(1):
            z = _q("pre", num.layer)
            out.append(("chain rule", Prod([Partial(z, den), Partial(num, z)])))
            k = num.layer.off if num.layer.var is None else num.layer
            out.append(("local factor", Prod([_q("weight", num.layer), self.sigma(k)])))
        return out

    # -- vector layers ----------------------------------------------------------------------
    def _row(self) -> bool:
        return self.spec.convention == "row"

    def _input_t(self, l: Idx, sample):
        """The layer input as the column that multiplies a row error (h_{l-1}ᵀ, or x)."""
        if l.var is None and l.off == 1 and self.spec.input_column:
            return Qty("input", None, sample)
        return Transpose(_q("act", l.shift(-1), sample))

    def _dense_gradient_forms(self, p: Qty) -> list:
        if p.kind not in ("weight", "bias") or p.layer is None:
            return []
        l, out = p.layer, []
        chain = self.chain_rule(p) if self._row() else None
        if chain:
            out.append(("chain rule", Prod(chain)))
        for summed in (True, False):
            s = "i" if summed else None
            err = _q("error", l, s)
            if self._row():
                body = err if p.kind == "bias" else Prod([self._input_t(l, s), err])
            else:
                inp = Transpose(_q("act", l.shift(-1), s))
                body = err if p.kind == "bias" else Prod([err, inp])
            form = BigSum("i", _one(), Var("N"), body) if summed else body
            out.append(("BP3/BP4" + (", summed over the samples" if summed else ""), form))
            if l.var is None and self._row():
                err = self._dense_error(l.off, s)
                body = err if p.kind == "bias" else Prod([self._input_t(l, s), err])
                out.append(("the errors substituted", BigSum("i", _one(), Var("N"), body)
                            if summed else body))
        return out

    def _dense_error(self, k: int, s):
        """δ_k written out: BP1 at the output, then BP2 down to layer k (row convention)."""
        g = Grad(_q("act", Idx(None, self.L), s))
        err = g if self.linear(self.L) else Had(g, self.sigma(self.L, s))
        for j in range(self.L - 1, k - 1, -1):
            err = Had(Prod([err, Transpose(_q("weight", j + 1))]), self.sigma(j, s))
        return err

    def _dense_delta_forms(self, l: Idx, s, top: bool) -> list:
        if top:
            g = Grad(_q("act", Idx(None, self.L) if l.var is None else Idx("L"), s))
            d = self.cost_derivative(s)
            if self.linear(self.L):
                return [("BP1", g)] + ([("BP1, concrete", d)] if d is not None else [])
            sig = self.sigma(l.off if l.var is None else l, s)
            return [("BP1", Had(g, sig))] + ([("BP1, concrete", Had(d, sig))]
                                             if d is not None else [])
        nxt = l.shift(1)
        k = l.off if l.var is None else l
        if self._row():
            back = Prod([_q("error", nxt, s), Transpose(_q("weight", nxt))])
        else:
            back = Prod([Transpose(_q("weight", nxt)), _q("error", nxt, s)])
        out = [("BP2", Had(back, self.sigma(k, s)))]
        fn = self.fn(k) if isinstance(k, int) else self._generic_fn()
        a = _q("act", l, s)
        if fn == "tanh":
            out.append(("BP2, concrete", Had(back, Sum([_one(), Pow(a, Num(Fraction(2)))],
                                                       ["+", "-"]))))
        elif fn == "sigmoid":
            out.append(("BP2, concrete", Had(back, Had(a, Sum([_one(), a], ["+", "-"])))))
        return out
