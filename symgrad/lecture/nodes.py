"""The building blocks of a lecture, as data: equations, steps, paragraphs, tables, figures,
sections, and the display nodes the printers know (z_l = w_l a_{l-1} + b_l kept in parts, ‖v‖).

A step's ``rule`` and a paragraph's ``words`` are tuples of strings (running text) and SymPy
expressions or :class:`Equation` objects (inline formulas), printed in order.

>>> w, a, b = sp.symbols("w_1 a_0 b_1")
>>> Preactivation(w, a, b).doit()
a_0*w_1 + b_1
>>> eq(sp.Symbol("x"), "=", 1, "<=", 2).relations
('=', '<=')
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symgrad.model.network import layer_function

__all__ = ["GROUPS", "Equation", "eq", "Step", "Paragraph", "Table", "Formula", "Figure", "Section",
           "Preactivation", "SquaredNorm", "Norm", "generic", "cost_symbol", "gradient_of",
           "partial", "sigma_prime_of", "sigma_prime_at", "sigma_of", "flat_words"]

#: the groups of the derivation's steps, in the order a lecture presents them; then the
#: steps of the worked example, the exercises and their solutions
GROUPS = ("forward", "chain rule", "local derivatives", "backpropagation", "closed forms",
          "bounds", "concrete", "story", "example", "exercises", "solutions")


@dataclass(frozen=True)
class Equation:
    """``terms[0] relations[0] terms[1] relations[1] ...``; relations are ``=``, ``<=``, ``<``."""

    terms: tuple
    relations: tuple

    def __post_init__(self):
        if len(self.relations) != len(self.terms) - 1 or len(self.terms) < 2:
            raise ValueError("an equation needs one relation between each two terms")


def eq(*items) -> Equation:
    """``eq(lhs, "=", rhs, "<=", bound)`` -> an :class:`Equation`."""
    return Equation(terms=tuple(sp.sympify(t) if isinstance(t, int) else t for t in items[0::2]),
                    relations=tuple(items[1::2]))


def flat_words(words) -> tuple:
    """Words given as one string, or with nested groups, as one flat tuple."""
    flat, todo = [], [words]
    while todo:
        item = todo.pop(0)
        if isinstance(item, (tuple, list)):
            todo[:0] = list(item)
        elif item is not None and item != "":
            flat.append(item)
    return tuple(flat)


@dataclass(frozen=True)
class Step:
    """One step of a derivation: the rule that justifies it (words) and its equations."""

    group: str
    rule: tuple
    equations: tuple
    #: the step's point in one sentence, where the rule's first sentence is not it (slides)
    headline: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "rule", flat_words(self.rule))
        object.__setattr__(self, "headline", flat_words(self.headline))
        if self.group not in GROUPS:
            raise ValueError(f"group={self.group!r}: must be one of {', '.join(GROUPS)}")


@dataclass(frozen=True)
class Paragraph:
    """Running text with inline formulas and no display block."""

    words: tuple

    def __post_init__(self):
        object.__setattr__(self, "words", flat_words(self.words))


@dataclass(frozen=True)
class Table:
    """A table: a header row and rows, every cell words (a tuple as a paragraph's)."""

    header: tuple
    rows: tuple
    caption: tuple = ()


@dataclass(frozen=True)
class Formula:
    """Display rows given as LaTeX, each ``lhs &= rhs``: only for formulas another part of
    symgrad wrote in the document's notation (the audit's realistic errors, for exercises)."""

    rows: tuple
    words: tuple = ()


@dataclass(frozen=True)
class Figure:
    """A figure: ``tikz`` is the LaTeX picture, ``png`` draws the Markdown version into a file
    (a function of the path), ``name`` is the file's stem."""

    name: str
    caption: tuple
    tikz: str
    png: object = field(default=None, compare=False)
    #: what a slide showing only this figure is called
    title: str = ""


@dataclass(frozen=True)
class Section:
    """A section of a document: its key (``--sections`` name), title and blocks."""

    key: str
    title: str
    blocks: tuple


class Preactivation(sp.Expr):
    """z_l = w_l a_{l-1} + b_l kept as its three parts, so each notation writes it its own
    way (``w_{l} a_{l-1} + b_{l}`` or, in the row convention, ``h_{l-1} W_{l} + b_{l}``)."""

    is_commutative = True

    def __new__(cls, w, a, b):
        return sp.Basic.__new__(cls, sp.sympify(w), sp.sympify(a), sp.sympify(b))

    def doit(self, **hints):
        w, a, b = self.args
        return w * a + b

    def _sympystr(self, printer):
        w, a, b = self.args
        return f"{printer._print(w)}*{printer._print(a)} + {printer._print(b)}"


class SquaredNorm(sp.Expr):
    """‖v‖₂², kept as a display node (the loss of one sample, ‖y_i − ŷ_i‖₂²)."""

    is_commutative = True

    def __new__(cls, v):
        return sp.Basic.__new__(cls, v)


class Norm(sp.Expr):
    """‖M‖, the spectral norm of a vector or matrix (a display node for the bound)."""

    is_commutative = True

    def __new__(cls, v):
        return sp.Basic.__new__(cls, sp.sympify(v))


def generic(kind: str, index: str) -> sp.Symbol:
    """A layer symbol with a symbolic index: ``generic("a", "j-1")`` is a_{j-1}."""
    return sp.Symbol(f"{kind}_{index}", real=True)


def cost_symbol() -> sp.Symbol:
    """C (𝓛 in the matrix notation)."""
    return sp.Symbol("C", real=True)


def gradient_of(name: str) -> sp.Derivative:
    """∂C/∂name."""
    return sp.Derivative(cost_symbol(), sp.Symbol(name, real=True))


def partial(num, den) -> sp.Derivative:
    """∂num/∂den, unevaluated."""
    return sp.Derivative(num, den)


def sigma_of(act, z, alpha=None) -> sp.Expr:
    """σ(z) with σ the undefined function named after the activation."""
    f = layer_function(act)
    if act.parameter is None:
        return f(z)
    return f(z, act.parameter if alpha is None else alpha)


def sigma_prime_of(act, z, alpha=None) -> sp.Derivative:
    """σ'(z) as the unevaluated display derivative (also for the linear layer's id')."""
    return sp.Derivative(sigma_of(act, z, alpha), z)


def sigma_prime_at(act, point) -> sp.Derivative:
    """σ'(0): the derivative at a number, displayed as the printers display σ'(z) (SymPy
    cannot differentiate with respect to a number, so the point stands as a symbol named
    after it; this is a display form, never evaluated)."""
    return sigma_prime_of(act, sp.Symbol(sp.sstr(point), real=True))
