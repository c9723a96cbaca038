r"""Align a claim's factors with a correct form's: an edit distance over factor lists.

Two factors match when they mean the same quantity (δ_l and ∂C/∂z_l, ∇_v C and ∂C/∂v are
the same by definition).  A substitution costs less when the two are alike: the same
factor of another layer (0.4), the transpose (0.3), a sum with a sign flipped (0.3), an
activation derivative written with the unit's output (σ'(h̃_l) against 1 - h_l², 0.35), a
chain-rule factor with one end right (0.6); anything else 1.1, and inserting or deleting a
factor 1.  The cheapest alignment names the mistake (:func:`describe`).

>>> from .sir import Qty, Idx, Apply, Partial, key
>>> z3, z2 = Qty("pre", Idx(None, 3)), Qty("pre", Idx(None, 2))
>>> describe_sub(Apply("sigmoid", z2, 1), Apply("sigmoid", z3, 1), key)
"sigmoid'(pre[2]) is of the wrong layer: sigmoid'(pre[3]) belongs"
>>> a2 = Qty("act", Idx(None, 2))
>>> describe_sub(Partial(a2, a2), Partial(a2, z2), key)
'the identity factor d(act[2])/d(act[2]) stands where d(act[2])/d(pre[2]) belongs'
>>> cost, ops = align([z3, z2], [z2])
>>> cost, [op for op, _, _ in ops]
(1.0, ['del', 'match'])
"""
from __future__ import annotations

import re
from collections import Counter

from .sir import (Apply, BigProd, BigSum, Div, Grad, Had, Num, Partial, Pow, Prod, Qty, S, Sum,
                  Var, key, walk)

__all__ = ["leaves", "align", "describe", "describe_sub", "norm_key", "is_one",
           "is_identity"]

_LAYER_IN_KEY = re.compile(r"\[[^\]]*\]")
_OVER = Var("÷")  # the fraction bar, between a numerator's and a denominator's factors


def leaves(n: S) -> list:
    """The factors of a product, in order, looking through nested products, ⊙ and sums over
    the samples (a matrix formula's atoms in reading order)."""
    if isinstance(n, Prod):
        return [x for f in n.factors for x in leaves(f)]
    if isinstance(n, Had):
        return leaves(n.a) + leaves(n.b)
    if isinstance(n, BigSum):
        return leaves(n.body)
    if isinstance(n, BigProd):
        return leaves(n.body)
    if isinstance(n, Div):
        return leaves(n.num) + [_OVER] + leaves(n.den)
    if isinstance(n, Sum) and len(n.terms) == 1 and n.signs == ["+"]:
        return leaves(n.terms[0])
    return [n]


def norm_key(n: S) -> str:
    """The key, with ∂C/∂z_l written δ_l and ∇_v C written ∂C/∂v (the same quantities)."""
    if isinstance(n, Grad):
        n = Partial(Qty("cost"), n.var)
    if isinstance(n, Partial) and isinstance(n.num, Qty) and n.num.kind == "cost" and \
            isinstance(n.den, Qty) and n.den.kind == "pre":
        return key(Qty("error", n.den.layer, n.den.sample, n.den.comps))
    return key(n)


def _shape_key(n: S) -> str:
    """The key without layer indices: σ'(z_2) and σ'(z_3) look alike."""
    return _LAYER_IN_KEY.sub("[]", key(n))


def is_one(n: S) -> bool:
    """The factor 1 (an empty product: 1 · ∂C/∂a_4 is ∂C/∂a_4)."""
    return isinstance(n, Num) and n.value == 1


def is_identity(n: S) -> bool:
    return isinstance(n, Partial) and key(n.num) == key(n.den)


class _Desc:
    """The keys of one factor, computed once for an alignment."""

    __slots__ = ("node", "norm", "shape", "plain", "ends", "terms", "slope")

    def __init__(self, node: S):
        self.node = node
        self.norm, self.shape, self.plain = norm_key(node), _shape_key(node), key(node)
        self.ends = (key(node.num), key(node.den)) if isinstance(node, Partial) else None
        self.terms = [key(x) for x in node.terms] if isinstance(node, Sum) else None
        self.slope = _slope_layer(node)


def _slope_layer(n: S):
    """The layer whose activation derivative ``n`` is: σ'(z_k), or σ'(z_k) written with
    the unit's output (1 - a_k², a_k (1 - a_k)); else None."""
    if isinstance(n, Apply) and n.deriv == 1 and isinstance(n.arg, Qty) and n.arg.kind == "pre":
        return str(n.arg.layer), n.arg.sample
    if isinstance(n, (Sum, Pow, Prod, Had)):
        qs = [q for q in walk(n) if isinstance(q, Qty)]
        if qs and all(q.kind == "act" and q.layer is not None for q in qs) and \
                len({(str(q.layer), q.sample) for q in qs}) == 1:
            return str(qs[0].layer), qs[0].sample
    return None


def _cost(c: _Desc, t: _Desc) -> float:
    if c.norm == t.norm:
        return 0.0
    if c.slope is not None and c.slope == t.slope and \
            isinstance(c.node, Apply) != isinstance(t.node, Apply):
        return 0.35  # σ'(h̃_1) and 1 - h_1²: the same factor, written two ways
    if c.shape == t.shape:
        return 0.4
    if c.plain == f"T({t.plain})" or t.plain == f"T({c.plain})":
        return 0.3
    if c.terms is not None and c.terms == t.terms:
        return 0.3
    if c.ends and t.ends and (c.ends[0] == t.ends[0] != "cost" or c.ends[1] == t.ends[1]):
        return 0.6   # one end right: a chain-rule factor with the other end wrong
    return 1.1


def _sub_cost(c: S, t: S) -> float:
    return _cost(_Desc(c), _Desc(t))


def align(claim: list, template: list) -> tuple[float, list]:
    """Edit distance between two factor lists and the edits: ('match'|'sub', c, t),
    ('del', c, None), ('ins', None, t)."""
    cl = [_Desc(f) for f in claim if not is_one(f)]
    tl = [_Desc(f) for f in template if not is_one(f)]
    n, m = len(cl), len(tl)
    sub = [[_cost(c, t) for t in tl] for c in cl]
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = float(i)
    for j in range(1, m + 1):
        d[0][j] = float(j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + sub[i - 1][j - 1])
    ops, i, j = [], n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + sub[i - 1][j - 1]:
            c, t = cl[i - 1], tl[j - 1]
            ops.append(("match" if c.norm == t.norm else "sub", c.node, t.node))
            i, j = i - 1, j - 1
        elif i and d[i][j] == d[i - 1][j] + 1:
            ops.append(("del", cl[i - 1].node, None))
            i -= 1
        else:
            ops.append(("ins", None, tl[j - 1].node))
            j -= 1
    return d[n][m], ops[::-1]


def describe_sub(c: S, t: S, show) -> str:
    """One substituted factor, in words."""
    if is_identity(c):
        return f"the identity factor {show(c)} stands where {show(t)} belongs"
    if _shape_key(c) == _shape_key(t):
        return f"{show(c)} is of the wrong layer: {show(t)} belongs"
    kc, kt = key(c), key(t)
    if kt == f"T({kc})":
        return f"{show(c)} should be transposed: {show(t)} belongs"
    if kc == f"T({kt})":
        return f"{show(c)} is transposed: {show(t)} belongs"
    if isinstance(c, Sum) and isinstance(t, Sum):
        return f"{show(c)} has a term of the wrong sign: {show(t)} belongs"
    return f"{show(c)} stands where {show(t)} belongs"


def describe(ops: list, claim: list, show, scalar: bool = False) -> list[str]:
    """The differences an alignment found, in words (``scalar``: the factors commute, so an
    order is a matter of the chain linking up, not of the value)."""
    counts = Counter(norm_key(f) for f in claim)
    out = []
    if Counter(norm_key(c) for k, c, t in ops if c is not None) == \
            Counter(norm_key(t) for k, c, t in ops if t is not None) and \
            any(k != "match" for k, _, _ in ops):
        wrong = [(c, t) for k, c, t in _pairs(ops) if k != "match"]
        if wrong:
            a, b = wrong[0]
            why = "(the chain does not link: each denominator should be the next " \
                "numerator)" if scalar else "(the product does not multiply in this order)"
            return [f"the factors are out of order: {show(a)} stands where {show(b)} belongs "
                    + why]
    for kind, c, t in ops:
        if kind == "sub":
            out.append(describe_sub(c, t, show))
        elif kind == "del":
            out.append(f"{show(c)} is doubled" if counts[norm_key(c)] > 1 else
                       f"{show(c)} does not belong in the product")
        elif kind == "ins":
            extra = " (the cost's derivative, where every gradient ends)" \
                if isinstance(t, Partial) and isinstance(t.num, Qty) and t.num.kind == "cost" \
                else ""
            out.append(f"{show(t)} is missing{extra}")
    return out


def _pairs(ops):
    """Claim and template factors side by side (for the order check)."""
    cl = [c for k, c, t in ops if c is not None]
    tl = [t for k, c, t in ops if t is not None]
    return [("match" if norm_key(a) == norm_key(b) else "sub", a, b) for a, b in zip(cl, tl)]
