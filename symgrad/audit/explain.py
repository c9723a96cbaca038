r"""Say what is wrong with a claim, in the document's notation, and what would be right.

A wrong right-hand side is aligned, factor by factor (an edit distance over the factors of
its products), with each correct form of the same left-hand side
(:class:`~symgrad.audit.templates.Templates`); the nearest one that the judge confirms is
the fix, and the alignment names the difference: a factor missing, extra or doubled, of the
wrong layer, transposed, of the wrong sign, or out of order.  Where no correct form is near,
single edits of the claim itself (a layer index moved, a transpose toggled, a factor
dropped, two swapped, a sign flipped; on either side) are tried, each checked by the judge.

True claims are checked for defects: identity factors (∂h_2/∂h_2), a chain rule whose
factors do not link up (each denominator the next numerator), and scalar factors written
out of network order.

>>> from .sir import Qty, Idx, Apply
>>> w2, w3 = Qty("weight", Idx(None, 2)), Qty("weight", Idx(None, 3))
>>> out_of_order([Apply("sigmoid", Qty("pre", Idx(None, 3)), 1), w2, w3])
(0, 1)
"""
from __future__ import annotations

from collections import Counter

from .align import align, describe, is_identity, is_one, leaves, norm_key
from .sir import (Apply, Grad, Had, Idx, Num, Partial, Pow, Prod, Qty, S, Sum, Transpose, key,
                  replace, walk)

__all__ = ["Explainer", "Finding", "order_position", "out_of_order", "leaves"]

class Finding:
    """What the explainer found: reasons (list of lines), a corrected right-hand side and/or
    left-hand side (meaning trees), and the verdict it supports."""

    def __init__(self, reasons, rhs=None, lhs=None, verdict="wrong"):
        self.reasons, self.rhs, self.lhs, self.verdict = list(reasons), rhs, lhs, verdict
        self.cost = 0.0


# -- order of scalar factors --------------------------------------------------------------

def _layer_pos(idx: Idx | None):
    if idx is None:
        return None
    return (idx.var or "", idx.off)


def order_position(f: S, nxt: S | None = None):
    """Where a factor stands in network order: (layer letter, position); a_k sits after layer
    k's activation, σ'(z_k) and w_k at k, ∂C/∂a_L and (a_L - y) last; None: no position."""
    if isinstance(f, Qty):
        p = _layer_pos(f.layer)
        if p is None:
            return ("", float("inf")) if f.kind == "target" else None
        if f.kind == "act":
            if nxt is not None and any(isinstance(q, Qty) and q.kind == "act" and
                                       q.layer == f.layer for q in walk(nxt)) and \
                    isinstance(nxt, Sum):
                return (p[0], p[1])
            return (p[0], p[1] + 0.5)
        return p
    if isinstance(f, Apply) and isinstance(f.arg, Qty):
        return _layer_pos(f.arg.layer)
    if isinstance(f, Partial) and isinstance(f.num, Qty) and f.num.kind == "cost" and \
            isinstance(f.den, Qty):
        p = _layer_pos(f.den.layer)
        return (p[0], p[1] + 0.5) if p else None
    if isinstance(f, (Sum, Pow)):
        acts = [q for q in walk(f) if isinstance(q, Qty) and q.kind == "act" and q.layer]
        if any(isinstance(q, Qty) and q.kind == "target" for q in walk(f)) and acts:
            p = _layer_pos(acts[0].layer)
            return (p[0], p[1] + 0.5)
        if acts and len({key(a) for a in acts}) == 1:
            return _layer_pos(acts[0].layer)
    return None


def out_of_order(factors: list) -> tuple[int, int] | None:
    """The first two factors whose order breaks the network order (read either way), or
    None when the factors follow it from the input to the cost or from the cost back."""
    pos = [order_position(f, factors[i + 1] if i + 1 < len(factors) else None)
           for i, f in enumerate(factors)]
    breaks = []
    for direction in (1, -1):
        last, bad = {}, None
        for i, p in enumerate(pos):
            if p is None:
                continue
            var, v = p
            if var in last and (v - pos[last[var]][1]) * direction < 0:
                bad = (last[var], i)
                break
            last[var] = i
        if bad is None:
            return None
        breaks.append(bad)
    return breaks[0]


def _linked(factors: list, lhs: Partial | None) -> bool:
    """Whether partial derivatives chain: each denominator is the next numerator (cost
    first) or each numerator the next denominator (parameter first), from the lhs's
    numerator to its denominator."""
    if not factors or not all(isinstance(f, Partial) for f in factors):
        return True
    fwd = all(key(a.den) == key(b.num) for a, b in zip(factors, factors[1:]))
    back = all(key(a.num) == key(b.den) for a, b in zip(factors, factors[1:]))
    if lhs is not None and isinstance(lhs, Partial):
        fwd = fwd and key(factors[0].num) == key(lhs.num) and \
            key(factors[-1].den) == key(lhs.den)
        back = back and key(factors[-1].num) == key(lhs.num) and \
            key(factors[0].den) == key(lhs.den)
    return fwd or back


class Explainer:
    """Reasons and fixes for one document: ``judge`` decides truth, ``templates`` gives the
    correct forms, ``show`` prints a meaning tree in the document's notation."""

    def __init__(self, judge, templates, show, dense: bool):
        self.judge, self.templates, self.show, self.dense = judge, templates, show, dense

    def true(self, lhs: S, rhs: S) -> bool:
        return self.judge.equal(lhs, rhs).status == "true"

    # -- wrong claims ---------------------------------------------------------------------
    def wrong(self, lhs: S, rhs: S) -> Finding:
        neg = _negate(rhs)
        if self.true(lhs, neg):
            return Finding([f"the sign is wrong: {self.show(rhs)} is the negative of "
                            f"{self.show(lhs)}"], rhs=neg)
        found = self._by_template(lhs, rhs)
        if found is not None and found.cost <= 1.0:
            return found
        # an author of ∂C/∂p = ... usually got the right side wrong; of δ_l = ... or
        # ∂a/∂z = ..., as often the left: try that side first, then the nearest correct form
        num = lhs.num if isinstance(lhs, Partial) else Qty("cost")
        rhs_first = isinstance(lhs, (Partial, Grad)) and isinstance(num, Qty) and \
            num.kind == "cost" and found is None
        for side in (("rhs", "lhs") if rhs_first else ("lhs", "rhs")):
            hit = self._single_edit(lhs, rhs, side)
            if hit is not None:
                return hit
            if found is not None:
                return found
        forms = [f for _, f in self.templates.forms(lhs)]
        for f in forms:
            if self.true(lhs, f):
                return Finding([f"the right-hand side does not equal {self.show(lhs)}, which is "
                                f"{self.show(f)}"], rhs=f)
        return Finding([f"the right-hand side does not equal {self.show(lhs)}"])

    def _single_edit(self, lhs: S, rhs: S, side: str) -> Finding | None:
        """One edit of one side that makes the claim true, with its description."""
        if side == "lhs":
            for new, _ in self._edits(lhs, rhs, side="left"):
                if self.true(new, rhs):
                    return Finding([f"the left-hand side should be {self.show(new)}: "
                                    f"{self.show(lhs)} is not what the right-hand side is"],
                                   lhs=new)
            return None
        for new, why in self._edits(rhs, lhs):
            if self.true(lhs, new):
                return Finding([why], rhs=new)
        return None

    def _by_template(self, lhs: S, rhs: S) -> Finding | None:
        claim = leaves(rhs)
        scored = []
        mine = Counter(norm_key(f) for f in claim if not is_one(f))
        for name, form in self.templates.forms(lhs):
            theirs = leaves(form)
            cost, ops = align(claim, theirs)
            if cost and Counter(norm_key(f) for f in theirs if not is_one(f)) == mine:
                cost = min(cost, 0.9)   # the same factors in another order: a swap
            scored.append((cost, name, form, ops))
        scored.sort(key=lambda x: x[0])
        for cost, name, form, ops in scored[:3]:
            if cost > max(2.5, 0.5 * len(claim)):
                break
            if not self.true(lhs, form):
                continue
            reasons = describe(ops, claim, self.show, not self.dense)
            if not reasons:
                reasons = [f"the grouping differs from {name}: {self.show(form)}"]
            edited = _edited_claim(rhs, ops)
            if edited is not None and self.true(lhs, edited):
                form = edited   # the claim with the differences fixed, in its own shape
            out = Finding(reasons, rhs=form)
            out.cost = cost
            return out
        return None

    def _edits(self, tree: S, other: S, side: str = "right", limit: int = 160):
        """Single edits of a tree, each with its description."""
        layers = sorted({q.layer for n in (tree, other) for q in walk(n)
                         if isinstance(q, Qty) and q.layer is not None},
                        key=lambda i: (i.var or "", i.off))
        count = 0
        inside = {id(c) for n in walk(tree) if isinstance(n, (Partial, Grad)) for c in walk(n)
                  if c is not n}
        for n in walk(tree):
            if count > limit:
                return
            if isinstance(n, Qty) and n.layer is not None:
                for new in _layer_options(n.layer, layers, self.judge.spec.depth):
                    q = Qty(n.kind, new, n.sample, n.comps, n.span)
                    count += 1
                    yield replace(tree, n, q), self._say(side, n, q, "of the wrong layer")
            if isinstance(n, Partial) and isinstance(n.num, Qty):
                for kind in ("pre", "act"):
                    for node in ("num", "den"):
                        old = getattr(n, node)
                        if not isinstance(old, Qty) or old.kind not in ("pre", "act"):
                            continue
                        for lay in _layer_options(old.layer, layers, self.judge.spec.depth,
                                                  keep=True):
                            q = Qty(kind, lay, old.sample, old.comps)
                            if key(q) == key(old):
                                continue
                            new = Partial(q, n.den) if node == "num" else Partial(n.num, q)
                            count += 1
                            yield replace(tree, n, new), self._say(side, n, new, "")
            if isinstance(n, Qty) and n.kind in ("weight", "act", "input", "error") and \
                    id(n) not in inside:
                yield replace(tree, n, Transpose(n)), self._say(side, n, Transpose(n),
                                                                "should be transposed")
            if isinstance(n, Transpose):
                yield replace(tree, n, n.x), self._say(side, n, n.x, "is transposed")
            if isinstance(n, Qty) and len(n.comps) == 2:
                q = Qty(n.kind, n.layer, n.sample, n.comps[::-1], n.span)
                yield replace(tree, n, q), self._say(
                    side, n, q, "has its two indices exchanged (the transposed matrix)")
            if isinstance(n, Prod):
                yield from self._product_edits(tree, n)
            if isinstance(n, Sum):
                for i in range(len(n.terms)):
                    signs = list(n.signs)
                    signs[i] = "-" if signs[i] == "+" else "+"
                    new = Sum(list(n.terms), signs)
                    yield replace(tree, n, new), (f"{self.show(n)} has a term of the wrong "
                                                  f"sign: {self.show(new)} belongs")

    def _product_edits(self, tree, n: Prod):
        keys = [key(f) for f in n.factors]
        for i, f in enumerate(n.factors):
            rest = n.factors[:i] + n.factors[i + 1:]
            new = Prod(rest) if len(rest) > 1 else rest[0]
            why = f"{self.show(f)} is doubled" if keys.count(keys[i]) > 1 else \
                f"{self.show(f)} does not belong in the product"
            yield replace(tree, n, new), why
        for i in range(len(n.factors) - 1):
            if keys[i] == keys[i + 1]:
                continue
            f = list(n.factors)
            f[i], f[i + 1] = f[i + 1], f[i]
            yield replace(tree, n, Prod(f)), (
                f"the factors are out of order: {self.show(n.factors[i])} and "
                f"{self.show(n.factors[i + 1])} are swapped")

    def _say(self, side, old, new, what) -> str:
        if side == "left":
            return (f"the left-hand side should be {self.show(new)}: "
                    f"{self.show(old)} is not what the right-hand side is")
        if what == "of the wrong layer":
            return f"{self.show(old)} is of the wrong layer: {self.show(new)} belongs"
        if what:
            return f"{self.show(old)} {what}: {self.show(new)} belongs"
        if is_identity(old):
            return f"the identity factor {self.show(old)} stands where {self.show(new)} belongs"
        return f"{self.show(old)} stands where {self.show(new)} belongs"

    # -- defects of true claims -------------------------------------------------------------
    def _misnamed(self, rhs: S) -> list:
        """σ'(z_k) written with another activation than layer k's (true only by accident,
        as id'(z_3) = 1 where layer 3 is a sigmoid)."""
        return [f"{self.show(n)} is of the wrong layer or names the wrong activation: "
                f"layer {n.arg.layer.off} uses {fn}" for n, fn in
                _misnamed_in(rhs, self.judge.spec)]

    def defects(self, lhs: S, rhs: S) -> Finding | None:
        factors = leaves(rhs)
        ident = [f for f in factors if is_identity(f)]
        partials = [f for f in factors if isinstance(f, Partial)]
        reasons, fix = [], None
        if ident:
            reasons += [f"the identity factor {self.show(f)} contributes nothing (it is 1, "
                        "or the identity matrix)"
                        for f in ident]
            rest = [f for f in factors if not is_identity(f)]
            fix = Prod(rest) if len(rest) > 1 else (rest[0] if rest else Num(1))
        if len(partials) >= 2 and len(partials) == len(factors) and not _linked(
                [f for f in factors if not is_identity(f)], lhs):
            chain = self.templates.chain_rule(lhs.den, lhs.num) if isinstance(
                lhs, Partial) and isinstance(lhs.den, Qty) and isinstance(lhs.num, Qty) else None
            if chain:
                (cost, ops), chain = min(((align(factors, c), c) for c in (chain, chain[::-1])),
                                         key=lambda x: x[0][0])
                reasons += describe(ops, factors, self.show, not self.dense) or [
                    "the factors do not link up into a chain"]
                fix = Prod(chain)
            else:
                reasons.append("the factors do not link up into a chain (each denominator "
                               "should be the next numerator)")
        elif not self.dense and isinstance(rhs, Prod) and not ident:
            bad = out_of_order(rhs.factors)
            if bad is not None:
                i, j = bad
                reasons.append(f"the factors are out of order: {self.show(rhs.factors[i])} "
                               f"and {self.show(rhs.factors[j])} (network order reads from "
                               "the input to the cost)")
                fix = _sorted_product(rhs)
        reasons += self._misnamed(rhs)
        if not reasons:
            return None
        if fix is not None and not self.true(lhs, fix):
            fix = None
        return Finding(reasons, rhs=fix, verdict="defect")


def _edited_claim(rhs: S, ops: list) -> S | None:
    """The claim with an alignment's substitutions and deletions applied (None when a
    factor must be inserted: then the correct form itself is the fix)."""
    out = rhs
    for kind, c, t in ops:
        if kind == "ins":
            return None
        if kind == "sub":
            out = replace(out, c, t)
        elif kind == "del":
            parent = next((p for p in walk(out) if isinstance(p, Prod) and
                           any(f is c for f in p.factors)), None)
            if parent is None:
                return None
            rest = [f for f in parent.factors if f is not c]
            out = replace(out, parent, Prod(rest) if len(rest) > 1 else rest[0])
    return out


def _misnamed_in(node: S, spec) -> list:
    out = []
    for n in walk(node):
        if isinstance(n, Apply) and n.deriv and isinstance(n.arg, Qty) and \
                n.arg.kind == "pre" and n.arg.layer is not None and n.arg.layer.var is None:
            k = n.arg.layer.off
            if 1 <= k <= spec.depth and spec.activations[k - 1] != n.fn:
                out.append((n, spec.activations[k - 1]))
    return out


def _sorted_product(p: Prod) -> Prod:
    keyed = []
    for i, f in enumerate(p.factors):
        pos = order_position(f, p.factors[i + 1] if i + 1 < len(p.factors) else None)
        keyed.append(((pos[1] if pos else -1.0), i, f))
    return Prod([f for _, _, f in sorted(keyed, key=lambda x: (x[0], x[1]))])


def _layer_options(idx: Idx, layers: list, depth: int, keep: bool = False):
    out = [idx.shift(-1), idx.shift(1)] + [l for l in layers if l != idx]
    out += [Idx(None, k) for k in range(0, depth + 1)] if idx.var is None else []
    if keep:
        out = [idx] + out
    seen = set()
    for o in out:
        if (o.var is None and o.off < 0) or o in seen:
            continue
        seen.add(o)
        yield o


def _negate(rhs: S) -> S:
    """-rhs, written the way a person would fix it: y - a as a - y, 2 (y - a) as 2 (a - y)."""
    if isinstance(rhs, Sum) and len(rhs.terms) == 1:
        return rhs.terms[0] if rhs.signs[0] == "-" else Sum(rhs.terms, ["-"])
    if isinstance(rhs, Sum) and len(rhs.terms) == 2 and rhs.signs == ["+", "-"]:
        return Sum(rhs.terms[::-1], ["+", "-"])
    if isinstance(rhs, Prod):
        sums = [i for i, f in enumerate(rhs.factors) if _flippable(f)]
        if len(sums) == 1:
            f = list(rhs.factors)
            f[sums[0]] = _negate(f[sums[0]])
            return Prod(f, list(rhs.ops))
    if isinstance(rhs, Had) and (_flippable(rhs.a) or _flippable(rhs.b)):
        return Had(_negate(rhs.a), rhs.b) if _flippable(rhs.a) else Had(rhs.a, _negate(rhs.b))
    return Sum([rhs], ["-"])


def _flippable(f: S) -> bool:
    return isinstance(f, Sum) and len(f.terms) == 2 and f.signs == ["+", "-"]
