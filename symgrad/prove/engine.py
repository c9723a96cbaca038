"""The computer-algebra engine a proof runs on (SymEngine, or SymPy itself), and the reading
of a derivation's display expressions into its objects.

A display expression is made of *atoms* -- symbols such as w_3 or δ^2_1, and display
derivatives such as σ'(z_3) or ∂C/∂a_4 -- joined by sums, products (ordered or not) and
powers.  :class:`Reader` rebuilds it from the engine objects its table gives each atom;
an opaque reader gives an atom it does not know a fresh engine symbol of its own, so two
expressions compare as polynomials in their atoms.

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> read = Reader(engine_module("sympy"), opaque=True)
>>> same(read(x * (y + 1)), read(x * y + x), engine_module("sympy"))
True
"""
from __future__ import annotations

import sys
from contextlib import contextmanager

import sympy as sp

from symgrad.derivation import OrderedProduct
from symgrad.errors import UsageError

__all__ = ["ENGINES", "engine_module", "recursion_limit", "Reader", "same", "other_factor"]

#: the engines a proof can run on
ENGINES = ("symengine", "sympy")


def engine_module(name: str):
    """The engine's module: ``symengine`` (SymPy's C++ core, fast at depth) or ``sympy``."""
    if name == "symengine":
        import symengine
        return symengine
    if name == "sympy":
        return sp
    raise UsageError(f"engine={name!r}: must be one of {', '.join(ENGINES)}")


@contextmanager
def recursion_limit(limit: int):
    """SymPy recurses once per nesting level: raise the limit around a deep proof only."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


class Reader:
    """Display expressions read into engine objects: each atom from :attr:`atoms`, sums,
    products and powers rebuilt as they stand; an atom not in the table is a KeyError, or
    (``opaque``) a fresh engine symbol kept for the next time it is read."""

    def __init__(self, se, atoms: dict | None = None, *, opaque: bool = False):
        self.se, self.opaque = se, opaque
        self.atoms = {} if atoms is None else atoms

    def __call__(self, expr):
        hit = self.atoms.get(expr)
        if hit is not None:
            return hit
        se = self.se
        if isinstance(expr, sp.Add):
            return se.Add(*[self(t) for t in expr.args])
        if isinstance(expr, (sp.Mul, OrderedProduct)):
            return se.Mul(*[self(t) for t in expr.args])
        if isinstance(expr, sp.Pow):
            return self(expr.base) ** self(expr.exp)
        if isinstance(expr, sp.Integer):
            return se.Integer(int(expr))
        if isinstance(expr, sp.Rational):
            return se.Rational(int(expr.p), int(expr.q))
        if not self.opaque:
            raise KeyError(f"no engine object for {expr!r}")
        out = self.atoms[expr] = se.Symbol(f"atom{len(self.atoms)}_")
        return out


def same(x, y, se) -> bool:
    """x and y are the same expression: identical, or their difference expands to 0."""
    return x == y or se.expand(x - y) == 0


def other_factor(product, known, se):
    """``product`` is known·x (the engine's chain rule): x."""
    if known == 1:
        return product
    if product == known:
        return se.Integer(1)
    args = list(product.args) if isinstance(product, se.Mul) else [product]
    rest = [f for f in args if f != known]
    if len(rest) != len(args) - 1:
        raise ValueError(f"cannot split {product} by {known}")
    return se.Mul(*rest)
