"""The proofs the closed forms rest on beside the network's: each activation's and each
cost's derivative.

* :func:`prove_activation` -- an activation's closed-form derivative equals SymPy's
  derivative of its expression (branch by branch on the open intervals of a piecewise
  one, the convention at the kink stated), and its form in terms of a = σ(z) agrees too;
* :func:`prove_cost` -- likewise for ∂C/∂a.

>>> prove_activation("sigmoid").verified, prove_cost("quadratic").verified
(True, True)
"""
from __future__ import annotations

import time

import sympy as sp

from symgrad.model.activations import Activation, get_activation
from symgrad.model.costs import Cost, get_cost
from symgrad.prove.proof import Proof

__all__ = ["prove_activation", "prove_cost"]


def _pieces(expr):
    if isinstance(expr, sp.Piecewise):
        return [(e, c) for e, c in expr.args]
    return [(expr, sp.true)]


def _zero(expr) -> bool:
    """``expr`` is identically 0: it cancels as a rational function of its atoms (at once,
    the common case), or SymPy's simplify finds it."""
    return expr == 0 or sp.cancel(sp.together(expr)) == 0 or sp.simplify(expr) == 0


def prove_activation(activation) -> Proof:
    """σ' (the closed form) equals SymPy's derivative of σ, branch by branch on the open
    intervals of a piecewise activation; the form in terms of a = σ(z) agrees with it.

    >>> prove_activation("relu").detail
    "branch z < 0: d/dz 0 = 0; branch z > 0: d/dz z = 1; at the kink: relu'(0) = 0 (the left branch, as PyTorch and JAX take it)"
    """
    act: Activation = get_activation(activation)
    start = time.perf_counter()
    z = act.z
    f_pieces, d_pieces = _pieces(act.expression), _pieces(act.derivative_expression)
    notes, ok = [], len(f_pieces) == len(d_pieces)
    if len(f_pieces) == 1:
        ok = ok and _zero(sp.diff(act.expression, z) - act.derivative_expression)
        notes.append(f"d/dz {sp.sstr(act.expression)} = {sp.sstr(act.derivative_expression)}")
    else:
        # the branches of the built-in piecewise activations split at z = 0
        neg, pos = sp.Symbol("z", negative=True), sp.Symbol("z", positive=True)
        for (fe, fc), (de, dc) in zip(f_pieces, d_pieces):
            side = neg if fc != sp.true else pos
            label = "z < 0" if side is neg else "z > 0"
            same = _zero((sp.diff(fe, z) - de).subs(z, side))
            ok = ok and same and fc == dc
            notes.append(f"branch {label}: d/dz {sp.sstr(fe)} = {sp.sstr(de)}")
        notes.append(f"at the kink: {act.kink}")
    if act.derivative_in_a_expression is not None:
        in_a = act.derivative_in_a(act(z))
        ok = ok and _zero(in_a - act.derivative_expression)
        a = sp.Symbol("a")
        notes.append(f"in terms of a = σ(z): σ' = {sp.sstr(act.derivative_in_a_expression.subs(sp.Symbol('a', real=True), a))}")
    return Proof(claim=f"{act.name}'s closed-form derivative equals SymPy's derivative",
                 verified=bool(ok), method="sympy.diff and simplify",
                 seconds=time.perf_counter() - start, detail="; ".join(notes))


def prove_cost(cost) -> Proof:
    """∂C/∂a (the closed form) equals SymPy's derivative of C.

    >>> prove_cost("cross-entropy").verified
    True
    """
    c: Cost = get_cost(cost)
    start = time.perf_counter()
    ok = _zero(sp.diff(c.expression, c.a) - c.derivative_expression)
    return Proof(claim=f"{c.name}: ∂C/∂a equals SymPy's derivative", verified=bool(ok),
                 method="sympy.diff and simplify", seconds=time.perf_counter() - start,
                 detail=f"d/da {sp.sstr(c.expression)} = {sp.sstr(c.derivative_expression)}")
