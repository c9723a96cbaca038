"""sup over the reals of |σ'| for every activation, certified.

σ' is split into its smooth branches (:mod:`symgrad.bounds.branches`); on each, the
supremum is the largest of the candidates of :mod:`symgrad.bounds.candidates` (critical
points, limits at the ends).  The decision compares their certified enclosures exactly (the
endpoints are rationals) and, where the top candidates are exact, their exact values.

>>> s = supremum("sigmoid")
>>> s.value, s.attained_at, s.certified
(1/4, 0, True)
>>> supremum("softplus").attained, supremum("softplus").how
(False, 'the limit z → ∞, never attained')
>>> print(supremum("silu").sup_string(20))
[1.0998393201288669169, 1.099839320128866917]
>>> print(supremum("silu").attained_string(20))
[2.3993572805154676678, 2.3993572805154676679]
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from symgrad.bounds.branches import branches, describe_interval
from symgrad.bounds.candidates import Candidate, branch_candidates
from symgrad.bounds.enclosure import Enclosure
from symgrad.bounds.interval import CERTIFY_BITS, NotCertified, constant_enclosure
from symgrad.model.activations import activation_names, get_activation

__all__ = ["Supremum", "supremum", "suprema", "clear_cache"]


@dataclass(frozen=True)
class Supremum:
    """sup over the reals of |σ'| for one activation, with the proof that gives it."""

    activation: str
    #: the exact supremum (may contain a layer's parameter, PReLU's alpha), or None
    value: sp.Expr | None
    #: a certified enclosure with exact endpoints; None when the value has a parameter
    enclosure: Enclosure | None
    attained: bool | None
    #: an exact point, an :class:`Enclosure` of the point, an interval (σ' constant on
    #: it), or None (never attained)
    attained_at: object
    #: one line: where the supremum is attained or approached
    how: str
    method: str
    steps: tuple
    certified: bool
    seconds: float
    kink: str | None = None

    def sup_string(self, digits: int = 20) -> str:
        """The exact value (SymPy's string form) or ``[low, high]`` rounded outward."""
        if not self.certified:
            return "could not certify"
        if self.value is not None:
            return sp.sstr(self.value)
        return self.enclosure.show(digits)

    @property
    def label(self) -> str:
        """A short display of the supremum: the exact value when it is short, else its
        decimal value (the exact value stays in :attr:`value`)."""
        if not self.certified:
            return "could not certify"
        if self.value is not None and len(sp.sstr(self.value)) <= 40:
            return sp.sstr(self.value)
        if self.value is not None:
            kind = f"{len(sp.sstr(self.value))}-character rational" if self.value.is_Rational \
                else "closed form"
            return f"{self.decimal(12)} (exact: {kind})"
        return f"{self.decimal(12)} (enclosure {self.sup_string(14)})"

    def decimal(self, digits: int = 20) -> str | None:
        """The supremum rounded to ``digits`` significant digits (fewer where the enclosure
        does not decide them); None when it depends on a parameter."""
        return None if self.enclosure is None else self.enclosure.rounded(digits)

    def attained_string(self, digits: int = 20) -> str | None:
        """Where the supremum is attained: the exact point, its enclosure rounded outward,
        the branch on which σ' is constant; None when it is never attained."""
        at = self.attained_at
        if at is None:
            return None
        if isinstance(at, Enclosure):
            return at.show(digits)
        if isinstance(at, sp.Interval):
            return describe_interval(at)
        return sp.sstr(at)


def _parametric(candidates: list[Candidate], steps: list):
    """A value with a parameter (PReLU's alpha): the supremum is a symbolic Max."""
    value = sp.Max(*[c.value for c in candidates])
    winners = [c for c in candidates if c.attained]
    how = "attained at " + ", ".join(f"{describe_interval(c.where)} where {sp.sstr(c.value)} "
                                     "is the largest" for c in winners)
    steps.append(f"sup |σ'| = max of the branch values = {sp.sstr(value)}")
    return value, None, True, None, how


def _decide(candidates: list[Candidate], steps: list):
    """The supremum of the candidates, its enclosure, and where it is attained or
    approached."""
    if any(c.enclosure is None for c in candidates):
        return _parametric(candidates, steps)
    best_lower = max(c.enclosure.lower for c in candidates)
    # the candidates that can be the maximum: their enclosures reach the best lower bound
    top = [c for c in candidates if c.enclosure.upper >= best_lower]
    value = None
    enclosure = top[0].enclosure
    if all(c.value is not None for c in top):
        values = list(dict.fromkeys(c.value for c in top))
        value = sp.Max(*values)
        if isinstance(value, sp.Max):
            raise NotCertified(f"cannot order the candidate values {values}")
        top = [c for c in top if sp.simplify(c.value - value) == 0]
        enclosure = constant_enclosure(value)
    elif len(top) > 1:
        raise NotCertified("two candidate values overlap in their enclosures")
    shown = sp.sstr(value) if value is not None else enclosure.show(20)
    attained = [c for c in top if c.attained]
    if not attained:
        how = f"the limit {top[0].where}, never attained"
        steps.append(f"the largest candidate is {how}: sup |σ'| = {shown}")
        return value, enclosure, False, None, how
    c = attained[0]
    if c.kind == "constant on":
        how = f"attained at every {describe_interval(c.where)}"
    elif isinstance(c.where, Enclosure):
        how = f"attained at the root z ≈ {c.where.rounded(8)} of σ''"
    else:
        how = f"attained at z = {sp.sstr(c.where)}"
    steps.append(f"the largest candidate is {how.split(' ', 1)[1]}: sup |σ'| = {shown}")
    return value, enclosure, True, c.where, how


def _method(pieces, candidates, z) -> str:
    if all(not expr.has(z) for expr, _ in pieces):
        method = "constant"
    elif any(isinstance(c.where, Enclosure) for c in candidates):
        method = (f"certified enclosure: critical points by ball arithmetic (python-flint "
                  f"arb, {CERTIFY_BITS} bits), limits")
    else:
        method = "exact: critical points (solveset), limits"
    return "per branch; " + method if len(pieces) > 1 else method


def _kink_notes(kinks, value, steps: list) -> None:
    for point, v in kinks:
        note = f"the convention σ'({sp.sstr(point)}) = {sp.sstr(v)} at the kink"
        if value is not None and not value.free_symbols:
            note += (" does not exceed it" if bool(sp.Abs(v) <= value) else
                     " EXCEEDS it (the convention, not a derivative)")
        steps.append(note)


@lru_cache(maxsize=None)
def _supremum(name: str) -> Supremum:
    act = get_activation(name)
    start = time.perf_counter()
    z, g = act.z, act.derivative_expression
    steps = [f"σ'(z) = {sp.sstr(g)}"]
    try:
        pieces, kinks = branches(g, z)
        if len(pieces) > 1:
            steps.append("σ' is piecewise: the supremum is the larger of the branch suprema "
                         "(the kink itself carries a convention, not a derivative)")
        candidates = []
        for expr, I in pieces:
            candidates += branch_candidates(expr, z, I, steps)
        value, enclosure, attained, at, how = _decide(candidates, steps)
        _kink_notes(kinks, value, steps)
        return Supremum(act.name, value, enclosure, attained, at, how,
                        _method(pieces, candidates, z), tuple(steps), True,
                        time.perf_counter() - start, act.kink)
    except (NotCertified, NotImplementedError) as exc:
        steps.append(f"could not certify: {exc}")
        return Supremum(act.name, None, None, None, None, f"could not certify: {exc}",
                        "none", tuple(steps), False, time.perf_counter() - start, act.kink)


def supremum(activation) -> Supremum:
    """sup over the reals of |σ'(z)|, certified (cached per activation).

    >>> supremum("tanh").value, supremum("relu").how
    (1, 'attained at every z > 0')
    >>> supremum("prelu").value
    Max(1, Abs(alpha))
    >>> supremum("selu").how
    'the limit z → 0⁻, never attained'
    >>> supremum("gelu").value, supremum("gelu").attained_at
    (exp(-1)/sqrt(pi) + erf(1)/2 + 1/2, sqrt(2))
    """
    return _supremum(get_activation(activation).name)


def suprema(names=None) -> list[Supremum]:
    """The suprema of ``names`` (default: every built-in activation), in table order."""
    return [supremum(n) for n in (names or activation_names())]


def clear_cache() -> None:
    """Forget every cached supremum (for timing them afresh)."""
    _supremum.cache_clear()
