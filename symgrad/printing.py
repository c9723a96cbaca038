"""Printing a Derivation: one SymPy printer subclass per notation.

The notation lives in the printers; every sub-part of a formula is printed by the
printer itself (``self._print``), so a factor is never glued in by hand.

>>> from symgrad import Chain, derive
>>> d = derive(Chain(depth=4))
>>> print(latex_gradient(d, "b_3"))
\\frac{\\partial C}{\\partial b_{3}} = \\sigma'(z_{3}) w_{4} \\sigma'(z_{4}) \\frac{\\partial C}{\\partial a_{4}}
>>> print(text_gradient(d, "w_1"))
∂C/∂w_1 = a_0 σ'(z_1) w_2 σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from .activations import ACTIVATIONS
from .derive import Derivation, OrderedProduct

__all__ = [
    "NielsenLatexPrinter",
    "NielsenTextPrinter",
    "gradient_lhs",
    "latex",
    "text",
    "latex_gradient",
    "text_gradient",
    "markdown_derivation",
    "text_derivation",
    "latex_derivation",
]

_CAMEL = re.compile(r"\\operatorname\{([^}]*)\}")


def _activation_of(f) -> str | None:
    """The activation name an undefined function stands for, if any."""
    if isinstance(f, AppliedUndef) and f.func.__name__ in ACTIVATIONS:
        return f.func.__name__
    return None


def _output_symbol(z: sp.Symbol) -> sp.Symbol:
    """z_l -> a_l: the unit's output that belongs to a pre-activation."""
    return sp.Symbol("a" + z.name[1:], real=True)


def gradient_lhs(parameter: str) -> sp.Derivative:
    """∂C/∂parameter as an unevaluated derivative of the cost symbol C."""
    return sp.Derivative(sp.Symbol("C", real=True), sp.Symbol(parameter, real=True))


class NielsenLatexPrinter(LatexPrinter):
    """LaTeX in the notation of Nielsen's chapter 5: z_l, a_l, w_l, b_l, σ, C.

    σ_l'(z_l) prints as ``\\sigma'(z_{l})``, ∂C/∂a_L as a partial-derivative fraction,
    an :class:`OrderedProduct` in network order with a thin space between factors.
    """

    printmethod = "_nielsen_latex"

    def __init__(self, settings=None):
        settings = dict(settings or {})
        settings.setdefault("mul_symbol", None)
        super().__init__(settings)

    def _activation_latex(self, name: str) -> str:
        return ACTIVATIONS[name].latex_name

    def _print_Function(self, expr, exp=None):
        name = _activation_of(expr)
        if name is not None:
            head = self._activation_latex(name)
            if exp is not None:
                head = f"{head}^{{{exp}}}"
            return f"{head}({self._print(expr.args[0])})"
        if isinstance(expr, AppliedUndef) and expr.func.__name__ == "C":
            return "C"
        return super()._print_Function(expr, exp)

    def _print_Derivative(self, expr):
        inner, variables = expr.expr, expr.variables
        name = _activation_of(inner)
        if name is not None and len(variables) == 1:
            var = variables[0]
            if var == inner.args[0]:
                # σ'(z_l)
                return f"{self._activation_latex(name)}'({self._print(var)})"
            # ∂a_l/∂α_l, the learned slope's factor
            return self._partial(_output_symbol(inner.args[0]), var)
        if isinstance(inner, AppliedUndef) and inner.func.__name__ == "C" and len(variables) == 1:
            return self._partial(sp.Symbol("C"), variables[0])
        if isinstance(inner, sp.Symbol) and len(variables) == 1:
            return self._partial(inner, variables[0])
        return super()._print_Derivative(expr)

    def _partial(self, num, den) -> str:
        return r"\frac{\partial %s}{\partial %s}" % (self._print(num), self._print(den))

    def _print_OrderedProduct(self, expr):
        parts = []
        for f in expr.args:
            tex = self._print(f)
            if isinstance(f, sp.Add) or (isinstance(f, sp.Number) and f < 0):
                tex = r"\left(%s\right)" % tex
            parts.append(tex)
        return " ".join(parts)

    def _print_Min(self, expr, exp=None):
        args = ", ".join(self._print(a) for a in expr.args)
        return r"\min(%s)" % args


class NielsenTextPrinter(StrPrinter):
    """Plain text in the same notation: ``σ'(z_3)``, ``∂C/∂a_4``, factors in order."""

    printmethod = "_nielsen_text"

    def _name(self, name: str) -> str:
        tex = ACTIVATIONS[name].latex_name
        return {r"\sigma": "σ", r"\tanh": "tanh"}.get(tex, _CAMEL.sub(r"\1", tex))

    def _print_Function(self, expr):
        name = _activation_of(expr)
        if name is not None:
            return f"{self._name(name)}({self._print(expr.args[0])})"
        if isinstance(expr, AppliedUndef) and expr.func.__name__ == "C":
            return "C"
        return super()._print_Function(expr)

    def _print_Derivative(self, expr):
        inner, variables = expr.expr, expr.variables
        name = _activation_of(inner)
        if name is not None and len(variables) == 1:
            var = variables[0]
            if var == inner.args[0]:
                return f"{self._name(name)}'({self._print(var)})"
            return f"∂{self._print(_output_symbol(inner.args[0]))}/∂{self._print(var)}"
        if isinstance(inner, AppliedUndef) and inner.func.__name__ == "C" and len(variables) == 1:
            return f"∂C/∂{self._print(variables[0])}"
        if isinstance(inner, sp.Symbol) and len(variables) == 1:
            return f"∂{self._print(inner)}/∂{self._print(variables[0])}"
        return super()._print_Derivative(expr)

    def _print_OrderedProduct(self, expr):
        return " ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in expr.args)


def latex(expr, **settings) -> str:
    """LaTeX of any expression in the Nielsen notation."""
    return NielsenLatexPrinter(settings).doprint(expr)


def text(expr, **settings) -> str:
    """Plain text of any expression in the Nielsen notation."""
    return NielsenTextPrinter(settings).doprint(expr)


def _equation(printer, lhs, rhs, sep: str) -> str:
    return f"{printer.doprint(lhs)}{sep}{printer.doprint(rhs)}"


def latex_gradient(d: Derivation, parameter: str, concrete: bool | str = False) -> str:
    """``\\frac{\\partial C}{\\partial p} = ...``, factors in network order."""
    return _equation(NielsenLatexPrinter(), gradient_lhs(parameter),
                     _display(d, parameter, concrete), " = ")


def text_gradient(d: Derivation, parameter: str, concrete: bool | str = False) -> str:
    """``∂C/∂p = ...`` in plain text, factors in network order."""
    return _equation(NielsenTextPrinter(), gradient_lhs(parameter),
                     _display(d, parameter, concrete), " = ")


def _display(d: Derivation, parameter: str, concrete) -> sp.Expr:
    factors = d.factors(parameter)
    if concrete:
        factors = [d.concrete(f, in_a=(concrete == "a")) for f in factors]
    return OrderedProduct(*factors)


def text_derivation(d: Derivation) -> str:
    """The closed forms as plain text, one per line, then ∂C/∂a_L concretely."""
    net = d.network
    lines = [f"{net!r}", ""]
    lines += [text_gradient(d, p) for p in d.parameter_names()]
    lines.append("")
    lines.append(_equation(NielsenTextPrinter(), d.dC_da, d.concrete(d.dC_da), " = ")
                 + f"   ({net.cost.description})")
    return "\n".join(lines) + "\n"


def latex_derivation(d: Derivation) -> str:
    """The closed forms as one LaTeX ``align*`` block."""
    p = NielsenLatexPrinter()
    rows = [_equation(p, gradient_lhs(q), d.closed_form(q), " &= ") for q in d.parameter_names()]
    rows.append(_equation(p, d.dC_da, d.concrete(d.dC_da), " &= "))
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def markdown_derivation(d: Derivation) -> str:
    """The closed forms as Markdown with ``$$`` display math (KaTeX and MathJax)."""
    p = NielsenLatexPrinter()
    net = d.network
    out = [f"# Gradients of `{net!r}`", ""]
    for q in d.parameter_names():
        out += ["$$", _equation(p, gradient_lhs(q), d.closed_form(q), " = "), "$$", ""]
    out += ["$$", _equation(p, d.dC_da, d.concrete(d.dC_da), " = "), "$$", ""]
    return "\n".join(out)
