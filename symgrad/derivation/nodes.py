"""The expression nodes the derivation's forms are made of, beside SymPy's own.

* :class:`OrderedProduct`: a product kept in network order (SymPy sorts a ``Mul``);
* :class:`CostGradient`: ∇_{a_L} C, the column of ∂C/∂a^L_j;
* :class:`SampleSum`: Σ_{i=1}^{N} of a per-sample matrix expression;
* :func:`delta_symbol`: δ_l = ∂C/∂z_l of a chain, a symbol.

>>> x, y = sp.symbols("x y")
>>> OrderedProduct(y, x).args, OrderedProduct(y, x).doit()
((y, x), x*y)
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

__all__ = ["OrderedProduct", "CostGradient", "SampleSum", "delta_symbol"]


class OrderedProduct(sp.Expr):
    """A product kept in the order its factors stand in the network.

    SymPy sorts the factors of a ``Mul``; the lecture keeps network order.  This is the
    display form; :meth:`doit` gives the evaluated ``Mul`` for numerics and proofs.
    """

    is_commutative = True

    def __new__(cls, *factors):
        return sp.Basic.__new__(cls, *[sp.sympify(f) for f in factors])

    @property
    def factors(self) -> tuple:
        return self.args

    def doit(self, **hints):
        deep = hints.get("deep", True)
        return sp.Mul(*[f.doit(**hints) if deep else f for f in self.args])

    def _eval_subs(self, old, new):  # keep order under substitution
        return None

    def _sympystr(self, printer):
        return "*".join(printer.parenthesize(f, sp.printing.precedence.PRECEDENCE["Mul"])
                        for f in self.args)


class CostGradient(MatrixExpr):
    """∇_{a_L} C, the column of ∂C/∂a^L_j, as a matrix expression (printed ``\\nabla_{a_{L}} C``).

    >>> CostGradient(sp.MatrixSymbol("a_2", 3, 1)).shape
    (3, 1)
    """

    def __new__(cls, a):
        return sp.Basic.__new__(cls, a)

    @property
    def output(self):
        return self.args[0]

    @property
    def shape(self):
        return self.args[0].shape

    def _sympystr(self, printer):
        return f"nabla_{printer._print(self.output)} C"


class SampleSum(MatrixExpr):
    """Σ_{i=1}^{N} of a per-sample matrix expression (the loss sums over samples)."""

    def __new__(cls, term, index, count):
        return sp.Basic.__new__(cls, term, sp.sympify(index), sp.sympify(count))

    @property
    def term(self):
        return self.args[0]

    @property
    def index(self):
        return self.args[1]

    @property
    def count(self):
        return self.args[2]

    @property
    def shape(self):
        return self.args[0].shape

    def _sympystr(self, printer):
        return f"Sum_({printer._print(self.index)}=1..{printer._print(self.count)}) " \
               f"{printer._print(self.term)}"


def delta_symbol(l: int) -> sp.Symbol:
    """δ_l = ∂C/∂z_l of a chain as a symbol (printed ``\\delta_{l}``)."""
    return sp.Symbol(f"delta_{l}", real=True)
