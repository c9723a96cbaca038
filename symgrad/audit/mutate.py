r"""Realistic errors in correct gradient formulas, for testing the audit and for exercises.

:func:`mutants` takes a document, finds its correct claims and writes each error people make
into one of them, as a text edit in the document's own notation:

=======================  ==================================================================
``dropped-dC/da``        the cost's derivative ∂C/∂a_L (or ∇, or a_L − y) left out
``missing-weight``       a weight w_l / W_lᵀ left out of a product
``a_l-for-a_l-1``        the layer's output a_l (h_l, x → h_1) where its input a_{l-1} belongs
``wrong-layer-sigma'``   σ'(z_k) written for the wrong layer
``doubled-factor``       a factor written twice
``swapped-order``        two neighbouring factors exchanged (where the order matters: a
                         chain rule, a matrix product, a product in network order)
``W-for-W^T``            a transposed weight written without the transpose
``sign-flip``            a term (or the whole right-hand side) with the wrong sign
``delta_l-for-delta_L``  δ of the wrong layer (δ^l where δ^L, or δ_{l+1}, belongs)
``strict-<``             ≤ written <
``identity-factor``      a chain-rule factor ∂X/∂Y written ∂X/∂X
``wrong-shape``          the rows and columns of a stated shape exchanged (ℝ^{m×n} for ℝ^{n×m})
=======================  ==================================================================

Each :class:`Mutant` knows the reason the audit must give (``expect``: words of it);
:func:`score` audits every mutant in the context of its document and counts, per kind,
how many were flagged wrong or defect with that reason.

>>> from .core import audit_text
>>> doc = ("$$z_{1} = w_{1} a_{0} + b_{1}, \\quad a_{1} = \\sigma(z_{1})$$\n"
...        "$$\\frac{\\partial C}{\\partial w_{1}} = "
...        "a_{0} \\, \\sigma'(z_{1}) \\, \\frac{\\partial C}{\\partial a_{1}}$$\n")
>>> ms = mutants(doc, fmt="markdown")
>>> sorted({m.kind for m in ms})[:4]
['a_l-for-a_l-1', 'doubled-factor', 'dropped-dC/da', 'sign-flip']
>>> [m.mutated for m in ms if m.kind == "dropped-dC/da"]
["\\frac{\\partial C}{\\partial w_{1}} = a_{0} \\, \\sigma'(z_{1})"]
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .core import Auditor
from .explain import out_of_order
from .printer import keep_parens, latex
from .sir import (Apply, BigProd, BigSum, Grad, Num, Partial, Prod, Qty, S, Sum, Transpose, key,
                  walk)

__all__ = ["Mutant", "KINDS", "EXPECT", "mutants", "score", "apply_mutant"]

#: the kinds of error, and the words the audit's reason must contain for each
EXPECT = {
    "dropped-dC/da": ("missing",),
    "missing-weight": ("missing",),
    "a_l-for-a_l-1": ("wrong layer", "transpos", "stands where"),
    "wrong-layer-sigma'": ("wrong layer",),
    "doubled-factor": ("doubled",),
    "swapped-order": ("order", "swapped"),
    "W-for-W^T": ("transpos",),
    "sign-flip": ("sign",),
    "delta_l-for-delta_L": ("wrong layer", "left-hand side"),
    "strict-<": ("strict",),
    "identity-factor": ("identity",),
    "wrong-shape": ("here",),
}
KINDS = tuple(EXPECT)


@dataclass
class Mutant:
    """One error written into one formula: the ``kind``, the formula's ``line``, its text
    before and after, the edit in the repaired document (``start``, ``end``, ``new``)."""

    kind: str
    line: int
    original: str
    mutated: str
    start: int = 0
    end: int = 0
    new: str = ""
    expect: tuple = field(default_factory=tuple)


def _products(node: S):
    for n in walk(node):
        if isinstance(n, Prod):
            yield n


def _is_cost_derivative(f: S, depth: int) -> bool:
    if isinstance(f, Partial) and isinstance(f.num, Qty) and f.num.kind == "cost":
        return isinstance(f.den, Qty) and f.den.kind == "act" and f.den.layer is not None \
            and f.den.layer.off == depth
    if isinstance(f, Grad):
        return True
    return isinstance(f, Sum) and any(isinstance(q, Qty) and q.kind == "target"
                                      for q in walk(f))


class _Writer:
    """Text edits of one formula, in the document's notation."""

    def __init__(self, auditor, formula, text: str):
        self.a, self.f, self.text = auditor, formula, text
        self.style = auditor.assessor.style

    def piece(self, edits) -> str:
        start, out = self.f.start, self.text[self.f.start:self.f.end]
        for s, e, new in sorted(edits, reverse=True):
            out = out[:s - start] + new + out[e - start:]
        return out

    def show(self, node: S) -> str:
        return latex(node, self.style)

    def delete(self, prod: Prod, i: int) -> tuple:
        fs = prod.factors
        if i > 0:
            return (fs[i - 1].span[1], fs[i].span[1], "")
        return (fs[0].span[0], fs[1].span[0], "")

    def swap(self, prod: Prod, i: int) -> list:
        a, b = prod.factors[i], prod.factors[i + 1]
        ta, tb = self.text[a.span[0]:a.span[1]], self.text[b.span[0]:b.span[1]]
        return [(a.span[0], a.span[1], tb), (b.span[0], b.span[1], ta)]

    def double(self, prod: Prod, i: int) -> tuple:
        f = prod.factors[i]
        sep = self.style.sep
        return (f.span[1], f.span[1], sep + self.text[f.span[0]:f.span[1]])

    def replace_node(self, node: S, new: S) -> tuple:
        return (node.span[0], node.span[1],
                keep_parens(self.text[node.span[0]:node.span[1]], self.show(new)))


def _shift(idx, depth: int, lo: int = 1):
    """A neighbouring layer index (one lower, else one higher)."""
    if idx.var is None:
        if idx.off - 1 >= lo:
            return idx.shift(-1)
        return idx.shift(1) if idx.off + 1 <= depth else None
    return idx.shift(-1)


def _chain_rule(prod: Prod) -> bool:
    return sum(isinstance(f, Partial) for f in prod.factors) >= 2


def _swap_matters(prod: Prod, i: int, dense: bool, scalar=None) -> bool:
    """Whether exchanging factors i and i+1 changes what the product says: a matrix product
    (unless one factor is a number), a chain rule, a product in network order."""
    fs = prod.factors
    a, b = fs[i], fs[i + 1]
    if isinstance(a, Num) or isinstance(b, Num) or key(a) == key(b):
        return False
    if dense:
        return scalar is None or not (scalar(a) or scalar(b))
    if all(isinstance(f, Partial) for f in fs):
        return len(fs) >= 3
    swapped = list(fs)
    swapped[i], swapped[i + 1] = b, a
    return out_of_order(swapped) is not None


def _scalar_test(auditor, sir):
    """A test whether a factor of this formula is a single number (it then commutes)."""
    envs = auditor.assessor.judge.bindings(*sir.terms) or [{}]

    def scalar(node: S) -> bool:
        for env in envs:
            try:
                return auditor.assessor.judge.value(node, env).size == 1
            except Exception:   # noqa: BLE001 - a binding where the factor does not exist
                continue
        return False
    return scalar


def _layer_input(lhs: S):
    """k when the claim is about w_k (its input a_{k-1} appears on the right)."""
    if isinstance(lhs, Partial) and isinstance(lhs.den, Qty) and lhs.den.kind == "weight":
        return lhs.den.layer
    return None


def _is_zero(term: S) -> bool:
    return isinstance(term, Num) and term.value == 0


def _sign_edit(w: _Writer, sir, term: S):
    """Flip the last sign of a sum (the whole term, or a factor such as a_4 - y), else
    negate the whole right-hand side."""
    limits = {id(x) for n in walk(term) if isinstance(n, (BigSum, BigProd))
              for lim in (n.lo, n.hi) if lim is not None for x in walk(lim)}
    sums = [n for n in walk(term) if isinstance(n, Sum) and len(n.terms) >= 2 and
            id(n) not in limits]
    if sums:
        s = sums[0]
        pos = w.text.rfind("-" if s.signs[-1] == "-" else "+", s.span[0], s.terms[-1].span[0])
        if pos >= 0:
            return [(pos, pos + 1, "+" if s.signs[-1] == "-" else "-")]
    return [(term.span[0], term.span[0], "- ")]


def _candidates(auditor, f, sir, text: str) -> list:
    """(kind, edits) for one correct claim."""
    w, spec = _Writer(auditor, f, text), auditor.spec
    depth, dense = spec.depth, spec.dense
    out = []
    if "in" in sir.ops:
        space = sir.terms[-1]
        dims = getattr(space, "dims", [])
        if len(dims) == 2 and key(dims[0]) != key(dims[1]) and all(d.span for d in dims):
            out.append(("wrong-shape", [(dims[0].span[0], dims[0].span[1],
                                         text[dims[1].span[0]:dims[1].span[1]]),
                                        (dims[1].span[0], dims[1].span[1],
                                         text[dims[0].span[0]:dims[0].span[1]])]))
        return out
    lhs, rhs_terms = sir.terms[0], sir.terms[1:]
    k_in = _layer_input(lhs) or (lhs.den.layer if isinstance(lhs, Partial) and
                                 isinstance(lhs.den, Qty) and lhs.den.kind == "weight" else None)
    for term in rhs_terms:
        if term.span is None:
            continue
        for prod in _products(term):
            fs = prod.factors
            if any(x.span is None for x in fs):
                continue
            for i, fct in enumerate(fs):
                if _is_cost_derivative(fct, depth):
                    out.append(("dropped-dC/da", [w.delete(prod, i)]))
                inner = fct.x if isinstance(fct, Transpose) else fct
                if isinstance(inner, Qty) and inner.kind == "weight":
                    out.append(("missing-weight", [w.delete(prod, i)]))
                if not isinstance(fct, Num) and not (isinstance(fct, Apply) and
                                                     fct.fn == "linear"):
                    out.append(("doubled-factor", [w.double(prod, i)]))
            network = any(isinstance(q, Qty) for q in walk(prod))
            bound = any(op in ("<", "<=") for op in sir.ops)
            for i in range(len(fs) - 1):
                if network and not bound and _swap_matters(prod, i, dense,
                                                           _scalar_test(auditor, sir)):
                    out.append(("swapped-order", w.swap(prod, i)))
            if _chain_rule(prod):
                for fct in fs[1:-1] or fs:
                    if isinstance(fct, Partial) and fct.num.kind != "cost":
                        out.append(("identity-factor",
                                    [w.replace_node(fct, Partial(fct.num, fct.num))]))
        out += _node_candidates(w, term, k_in, depth)
    if "=" in sir.ops and not any(op in ("<", "<=") for op in sir.ops) and \
            not _is_zero(rhs_terms[-1]):  # −0 = 0: flipping a zero changes nothing
        out.append(("sign-flip", _sign_edit(w, sir, rhs_terms[-1])))
    if not any(k == "delta_l-for-delta_L" for k, _ in out) and isinstance(lhs, Qty) and \
            lhs.kind == "error" and lhs.layer is not None:
        new = _shift(lhs.layer, depth)
        if new is not None:
            out.append(("delta_l-for-delta_L", [w.replace_node(
                lhs, Qty("error", new, lhs.sample, lhs.comps))]))
    for k, op in enumerate(sir.ops):
        if op == "<=" and k < len(sir.op_spans):
            s, e = sir.op_spans[k]
            out.append(("strict-<", [(s, e, "<")]))
    return out


def _node_candidates(w: _Writer, term: S, k_in, depth: int) -> list:
    out = []
    for n in walk(term):
        if n.span is None:
            continue
        if isinstance(n, Apply) and n.deriv == 1 and isinstance(n.arg, Qty) and \
                n.arg.layer is not None:
            new = _shift(n.arg.layer, depth)
            if new is not None:
                arg = Qty("pre", new, n.arg.sample, n.arg.comps)
                out.append(("wrong-layer-sigma'", [w.replace_node(n, Apply(n.fn, arg, 1))]))
        if isinstance(n, Transpose) and isinstance(n.x, Qty) and n.x.kind == "weight":
            out.append(("W-for-W^T", [w.replace_node(n, n.x)]))
        if isinstance(n, Qty) and n.kind == "error" and n.layer is not None:
            new = _shift(n.layer, depth)
            if new is not None:
                out.append(("delta_l-for-delta_L", [w.replace_node(
                    n, Qty("error", new, n.sample, n.comps))]))
        if k_in is not None:
            inner = n.x if isinstance(n, Transpose) else n
            prev = k_in.shift(-1)
            is_input = isinstance(inner, Qty) and (
                inner.kind == "act" and inner.layer == prev or
                inner.kind == "input" and prev.var is None and prev.off == 0)
            if is_input and (n is inner or isinstance(n, Transpose)):
                new = Qty("act", k_in, inner.sample, inner.comps)
                target = Transpose(new) if (isinstance(n, Transpose) or inner.kind == "input") \
                    and w.a.spec.dense else new
                out.append(("a_l-for-a_l-1", [w.replace_node(n, target)]))
    return out


def mutants(text: str, *, fmt: str | None = None, filename: str = "-", kinds=None,
            per_kind: int = 2, **options) -> list[Mutant]:
    """The mutants of every correct claim of a document (at most ``per_kind`` of each kind
    per formula); ``options`` as for :func:`symgrad.audit.audit_text`."""
    auditor = Auditor(text, fmt=fmt, filename=filename, **options)
    report = auditor.run()
    _ = report
    return _mutants_of(auditor, kinds, per_kind)


def _mutants_of(auditor, kinds, per_kind: int) -> list[Mutant]:
    out = []
    for f, sir, res in auditor.items:
        if res.verdict != "correct" or isinstance(sir, Exception):
            continue
        seen: dict = {}
        for kind, edits in _candidates(auditor, f, sir, auditor.repaired):
            if kinds is not None and kind not in kinds:
                continue
            w = _Writer(auditor, f, auditor.repaired)
            mutated = w.piece(edits)
            original = auditor.repaired[f.start:f.end]
            if mutated == original or seen.get(kind, 0) >= per_kind or \
                    mutated in seen.get("_texts", set()):
                continue
            seen[kind] = seen.get(kind, 0) + 1
            seen.setdefault("_texts", set()).add(mutated)
            out.append(Mutant(kind, res.line, original, mutated, f.start, f.end,
                              mutated, EXPECT[kind]))
    return out


def apply_mutant(auditor_or_text, mutant: Mutant) -> str:
    """The whole document with the mutant written in (the repaired text)."""
    text = auditor_or_text if isinstance(auditor_or_text, str) else auditor_or_text.repaired
    return text[:mutant.start] + mutant.new + text[mutant.end:]


def score(text: str, *, fmt: str | None = None, filename: str = "-", kinds=None,
          per_kind: int = 2, **options) -> dict:
    """Audit every mutant of a document in its context: per kind, how many there were,
    how many were flagged wrong or defect, and how many with the expected reason; plus
    the misses (mutant, verdict, reason)."""
    auditor = Auditor(text, fmt=fmt, filename=filename, **options)
    auditor.run()
    table = {k: {"total": 0, "flagged": 0, "right_reason": 0} for k in KINDS}
    misses = []
    for m in _mutants_of(auditor, kinds, per_kind):
        a = auditor.assess_snippet(m.mutated)
        row = table[m.kind]
        row["total"] += 1
        flagged = a.verdict in ("wrong", "defect")
        right = flagged and any(word in a.reason.lower() for word in m.expect)
        row["flagged"] += flagged
        row["right_reason"] += right
        if not right:
            misses.append((m, a.verdict, a.reason))
    return {"kinds": table, "misses": misses}
