"""The printers: one SymPy LaTeX printer and one plain-text printer, both driven by a
notation table (:mod:`symgrad.printing.notation`).

Every sub-part of a formula is printed by the printer itself (``self._print``), so a factor
is never glued in by hand.  The same printer writes a chain's ordered products and a dense
network's matrix and component forms: the Hadamard product ⊙, transposes, σ'(z_l) applied
elementwise, ∇_{a_L} C, softmax, the sum over samples and the components w^l_{jk}.

* :class:`NielsenLatexPrinter` -- LaTeX in the ``nielsen`` notation (z_l, a_l, w_l, C);
* :class:`MatrixLatexPrinter` -- the same printer reading the ``matrix`` table (h̃_l, h_l,
  x, ŷ, W_l, 𝓛, the row convention);
* :class:`NielsenTextPrinter` -- plain text in the ``nielsen`` notation.

>>> from symgrad import Chain, Dense, derive
>>> d = derive(Chain(depth=4))
>>> print(latex(d.closed_form("b_3")))
\\sigma'(z_{3}) w_{4} \\sigma'(z_{4}) \\frac{\\partial C}{\\partial a_{4}}
>>> print(get_printer("matrix", depth=4).doprint(d.closed_form("w_2")))
h_{1} \\cdot \\sigma'(\\tilde{h}_{2}) \\cdot W_{3} \\cdot \\sigma'(\\tilde{h}_{3}) \\cdot W_{4} \\cdot \\sigma'(\\tilde{h}_{4}) \\cdot \\frac{\\partial \\mathcal{L}}{\\partial \\hat{y}}
>>> dense = derive(Dense([2, 3, 2]))
>>> print(latex(dense.delta_matrix(1)), "|", text(dense.delta_matrix(2)))
\\left(W_{2}^{T} \\delta_{2}\\right) \\odot \\sigma'(z_{1}) | ∇_{a_2} C ⊙ σ'(z_2)
>>> print(latex(dense.weight_gradient(2, 1, 3)))
a^{1}_{3} \\delta^{2}_{1}
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symgrad.derivation import CostGradient, OrderedProduct
from symgrad.errors import UsageError
from symgrad.model.activations import ACTIVATIONS, Softmax
from symgrad.printing.layout import estimate_width
from symgrad.printing.notation import MATRIX, NIELSEN, NOTATIONS

__all__ = ["NielsenLatexPrinter", "MatrixLatexPrinter", "NielsenTextPrinter", "PRINTERS",
           "get_printer", "latex", "text", "latex_rows", "layer_activation", "RELATIONS"]

#: the relations an equation may chain, as LaTeX
RELATIONS = {"=": "=", "<=": r"\leq", "<": "<"}
#: σ_l, the activation of layer l in a formula that holds for every activation
_LAYER_ACTIVATION = re.compile(r"^sigma_(\w+)$")


def layer_activation(layer) -> sp.FunctionClass:
    """σ_l as an undefined function, printed ``\\sigma_{l}`` (the notation's σ with the layer
    as subscript).

    >>> print(latex(sp.Derivative(layer_activation(2)(sp.Symbol("z")), sp.Symbol("z"))))
    \\sigma_{2}'(z)
    """
    return sp.Function(f"sigma_{layer}", real=True)


def _is_cost(f) -> bool:
    return isinstance(f, AppliedUndef) and f.func.__name__ == "C"


def _output_of(z):
    """z_l -> a_l (z^l_j -> a^l_j, the column z_l,i -> a_l,i): the output of a pre-activation."""
    if isinstance(z, sp.MatrixSymbol):
        return sp.MatrixSymbol("a" + z.name[1:], *z.shape)
    return sp.Symbol("a" + z.name[1:], real=True)


def _elementwise_parts(expr: ElementwiseApplyFunction):
    """(function applied, variable of the derivative or None, z) of σ(z), σ'(z) or ∂a/∂α
    applied elementwise; None for any other function."""
    f, z = expr.function, expr.expr
    if isinstance(f, sp.Lambda):
        body, (t,) = f.expr, f.variables
        if isinstance(body, sp.Derivative) and isinstance(body.expr, AppliedUndef):
            return body.expr, body.variables[0], t, z
        if isinstance(body, AppliedUndef):
            return body, None, t, z
    elif isinstance(f, sp.FunctionClass):
        return f(sp.Dummy()), None, None, z
    return None


class NielsenLatexPrinter(LatexPrinter):
    """LaTeX in the notation of :attr:`notation` (Nielsen's chapter 5 here): σ_l'(z_l) as
    ``\\sigma'(z_{l})``, ∂C/∂a_L as a partial-derivative fraction, an
    :class:`~symgrad.derivation.OrderedProduct` in network order.

    Settings beyond SymPy's: ``depth`` names the output layer (ŷ in the matrix notation),
    ``factor_space`` widens the space between factors (``\\,`` in the lecture documents).

    >>> z = sp.Symbol("z_3", real=True)
    >>> print(NielsenLatexPrinter().doprint(sp.Derivative(sp.Function("sigmoid")(z), z)))
    \\sigma'(z_{3})
    """

    printmethod = "_symgrad_latex"
    notation = NIELSEN
    _default_settings = {**LatexPrinter._default_settings, "depth": None, "factor_space": ""}

    def __init__(self, settings=None):
        settings = dict(settings or {})
        settings.setdefault("mul_symbol", None)
        settings.setdefault("ln_notation", True)
        super().__init__(settings)

    # -- symbols and functions --------------------------------------------------------------
    def _print_Symbol(self, expr, style="plain"):
        tex = self.notation.latex_symbol(expr.name, self._settings.get("depth"))
        return tex if tex is not None else super()._print_Symbol(expr, style)

    def _head(self, f) -> str | None:
        """The LaTeX head of an activation (``\\sigma``, ``\\tanh``, ...) or of σ_l."""
        if not isinstance(f, AppliedUndef):
            return None
        name = f.func.__name__
        if name in ACTIVATIONS:
            return ACTIVATIONS[name].latex_name
        if name == Softmax.name:
            return Softmax.latex_name
        m = _LAYER_ACTIVATION.match(name)
        return f"{self.notation.layer_activation}_{{{m.group(1)}}}" if m else None

    def _print_Function(self, expr, exp=None):
        head = self._head(expr)
        if head is not None:
            if exp is not None:
                head = f"{head}^{{{exp}}}"
            return f"{head}({', '.join(self._print(a) for a in expr.args)})"
        if _is_cost(expr):
            return self._print(sp.Symbol("C"))
        return super()._print_Function(expr, exp)

    def _print_Derivative(self, expr):
        inner, variables = expr.expr, expr.variables
        if len(variables) == 1:
            var, head = variables[0], self._head(inner)
            if head is not None and var == inner.args[0]:
                return f"{head}'({self._print(var)})"                 # σ'(z_l)
            if head is not None:
                return self._partial(_output_of(inner.args[0]), var)  # ∂a_l/∂α_l
            if _is_cost(inner):
                return self._partial(sp.Symbol("C"), var)             # ∂C/∂a_L
            if isinstance(inner, sp.Symbol):
                return self._partial(inner, var)
        return super()._print_Derivative(expr)

    def _partial(self, num, den) -> str:
        return r"\frac{\partial %s}{\partial %s}" % (self._print(num), self._print(den))

    def _print_NumberSymbol(self, expr):
        # π, e, γ carry their own ``_latex`` (not reached through this printmethod)
        return expr._latex(self) if hasattr(expr, "_latex") else super()._print_Basic(expr)

    def _print_Min(self, expr, exp=None):
        return r"\min(%s)" % ", ".join(self._print(a) for a in expr.args)

    # -- products in network order ----------------------------------------------------------
    @property
    def separator(self) -> str:
        """Between two factors: the notation's, widened by the ``factor_space`` setting (so
        a_3 (1 - a_3) w_4 reads as three factors)."""
        space = self._settings.get("factor_space") or ""
        if not space or self.notation.product.strip():
            return self.notation.product
        return f" {space} "

    def print_factor(self, f) -> str:
        """One factor as it stands in an ordered product: a sum or a negative in
        parentheses."""
        tex = self._print(f)
        if isinstance(f, sp.Add) or (isinstance(f, sp.Number) and f < 0) or \
                (isinstance(f, sp.Mul) and f.could_extract_minus_sign()):
            tex = r"\left(%s\right)" % tex
        return tex

    def _print_OrderedProduct(self, expr):
        if len(expr.args) == 1:
            return self._print(expr.args[0])
        return self.separator.join(self.print_factor(f) for f in expr.args)

    def _print_Preactivation(self, expr):
        # z_l = w_l a_{l-1} + b_l; the row convention puts the weight on the right
        w, a, b = (self._print(x) for x in expr.args)
        return f"{a} {w} + {b}" if self.notation.row_convention else f"{w} {a} + {b}"

    def _print_Product(self, expr):
        # ∏_{j=l+1}^{L} (w_j σ'(z_j)): the body in parentheses, its factors in order
        (var, lo, hi), = expr.limits
        body = self._print(expr.function)
        if isinstance(expr.function, (OrderedProduct, sp.Mul, sp.Add)):
            body = r"\left(%s\right)" % body
        return r"\prod_{%s=%s}^{%s} %s" % (self._print(var), self._print(lo),
                                           self._print(hi), body)

    def _print_IndexSum(self, expr):
        # Σ_k over every unit of a layer; Σ_{i=1}^{N} over the samples
        index, term = self._print(expr.index), self._print(expr.term)
        if expr.count is None:
            return r"\sum_{%s} %s" % (index, term)
        return r"\sum_{%s=1}^{%s} %s" % (index, self._print(expr.count), term)

    # -- matrix forms -----------------------------------------------------------------------
    def _print_HadamardProduct(self, expr):
        # (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l): a product or a sum inside is parenthesized
        return r" \odot ".join(r"\left(%s\right)" % self._print(a)
                               if isinstance(a, (sp.MatMul, sp.MatAdd)) else self._print(a)
                               for a in expr.args)

    def _print_MatMul(self, expr):
        # juxtaposition; a sum, an elementwise or nested product (and the bracketed ∇ℒ of
        # the matrix notation) in parentheses
        bracket = (sp.MatAdd, sp.HadamardProduct, sp.MatMul) + \
            ((CostGradient,) if self.notation.bracket_gradient else ())
        args = list(expr.args)
        sign = ""
        if args[0] == -1:
            sign, args = "- ", args[1:]
        return sign + " ".join(r"\left(%s\right)" % self._print(a) if isinstance(a, bracket)
                               else self._print(a) for a in args)

    def _print_MatAdd(self, expr):
        # the product first, a subtracted term last: W_1 a_0 + b_1, h_{1,i} W_{2} + b_{2}, a_2 - y
        def negated(t):
            return isinstance(t, sp.MatMul) and t.args[0] == -1
        out = []
        for t in sorted(expr.args, key=lambda t: (negated(t), not isinstance(t, sp.MatMul))):
            if negated(t):
                out.append(" - " + self._print(sp.MatMul(*t.args[1:])))
            else:
                out.append((" + " if out else "") + self._print(t))
        return "".join(out)

    def _print_ElementwiseApplyFunction(self, expr):
        parts = _elementwise_parts(expr)
        if parts is None:
            return super()._print_ElementwiseApplyFunction(expr)
        unit, var, t, z = parts
        head = self._head(unit)
        if var is None:
            return f"{head}({self._print(z)})"                        # σ(z_l)
        if var == t:
            return f"{head}'({self._print(z)})"                       # σ'(z_l)
        return self._partial(_output_of(z), var)                      # ∂a_l/∂α_l

    def _print_CostGradient(self, expr):
        return r"\nabla_{%s} %s" % (self._print(expr.output), self._print(sp.Symbol("C")))

    def _print_SoftmaxOf(self, expr):
        return r"%s(%s)" % (Softmax.latex_name, self._print(expr.args[0]))

    def _print_SampleSum(self, expr):
        return r"\sum_{%s=1}^{%s} %s" % (self._print(expr.index), self._print(expr.count),
                                         self._print(expr.term))

    def _print_DiagMatrix(self, expr):
        return r"\operatorname{diag}\left(%s\right)" % self._print(expr.args[0])

    def _print_SquaredNorm(self, expr):
        return r"\left\lVert %s\right\rVert_{2}^{2}" % self._print(expr.args[0])

    def _print_Norm(self, expr):
        return r"\left\lVert %s\right\rVert" % self._print(expr.args[0])


class MatrixLatexPrinter(NielsenLatexPrinter):
    """The printer reading the ``matrix`` table: z_l as h̃_l, a_l as h_l, a_0 as x, a_L as ŷ
    (pass ``depth=L``), C as 𝓛, ``\\cdot`` between factors, the row convention.

    >>> p = MatrixLatexPrinter({"depth": 3})
    >>> print(p.doprint(sp.Symbol("z_2")), p.doprint(sp.Symbol("a_0")), p.doprint(sp.Symbol("a_3")))
    \\tilde{h}_{2} x \\hat{y}
    >>> print(p.doprint(sp.Transpose(sp.MatrixSymbol("x,i", 3, 1))))
    x_{i}^{T}
    """

    notation = MATRIX


#: the LaTeX printer of each notation
PRINTERS = {NIELSEN.name: NielsenLatexPrinter, MATRIX.name: MatrixLatexPrinter}


def get_printer(notation: str = "nielsen", depth: int | None = None,
                factor_space: str = "") -> NielsenLatexPrinter:
    """The LaTeX printer of a notation; ``depth`` names the output layer (ŷ in ``matrix``).

    >>> get_printer("tilde")
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: notation='tilde': must be one of nielsen, matrix
    """
    if notation not in NOTATIONS:
        raise UsageError(f"notation={notation!r}: must be one of {', '.join(NOTATIONS)}")
    return PRINTERS[notation]({"depth": depth, "factor_space": factor_space})


class NielsenTextPrinter(StrPrinter):
    """Plain text in the ``nielsen`` notation: ``σ'(z_3)``, ``∂C/∂a_4``, factors in order,
    products by juxtaposition (``a_3 (1 - a_3)``), ``(W_2ᵀ δ_2) ⊙ σ'(z_1)``."""

    printmethod = "_symgrad_text"
    notation = NIELSEN
    #: between two factors of an ordered product: juxtaposition
    separator = " "

    def _print_Symbol(self, expr):
        # alpha_2 -> α_2, delta^3_1 -> δ^3_1
        out = self.notation.text_symbol(expr.name)
        return out if out is not None else super()._print_Symbol(expr)

    _print_MatrixSymbol = _print_Symbol

    def _head(self, f) -> str | None:
        """σ, tanh, ReLU, ... of an activation; σ_l of layer l's."""
        if not isinstance(f, AppliedUndef):
            return None
        name = f.func.__name__
        if name in ACTIVATIONS:
            return self.notation.text_activation(ACTIVATIONS[name].latex_name)
        if name == Softmax.name:
            return Softmax.name
        m = _LAYER_ACTIVATION.match(name)
        return f"{self.notation.text_layer_activation}_{m.group(1)}" if m else None

    def _print_Relational(self, expr):
        return f"{self._print(expr.lhs)} {self.notation.text_relations[expr.rel_op]} " \
               f"{self._print(expr.rhs)}"

    def _print_Piecewise(self, expr):
        # {α_l for z_l ≤ 0; 1 otherwise}
        parts = [f"{self._print(e)} otherwise" if c == sp.true else
                 f"{self._print(e)} for {self._print(c)}" for e, c in expr.args]
        return "{" + "; ".join(parts) + "}"

    def _print_Function(self, expr):
        head = self._head(expr)
        if head is not None:
            return f"{head}({', '.join(self._print(a) for a in expr.args)})"
        if _is_cost(expr):
            return "C"
        return super()._print_Function(expr)

    def _print_Derivative(self, expr):
        inner, variables = expr.expr, expr.variables
        if len(variables) == 1:
            var, head = variables[0], self._head(inner)
            if head is not None and var == inner.args[0]:
                return f"{head}'({self._print(var)})"
            if head is not None:
                return f"∂{self._print(_output_of(inner.args[0]))}/∂{self._print(var)}"
            if _is_cost(inner):
                return f"∂C/∂{self._print(var)}"
            if isinstance(inner, sp.Symbol):
                return f"∂{self._print(inner)}/∂{self._print(var)}"
        return super()._print_Derivative(expr)

    def _print_Mul(self, expr):
        # a_3 (1 - a_3), (a_4 - y)/(a_4 (1 - a_4)): juxtaposition, '/' for a denominator
        coeff, _ = expr.as_coeff_Mul()
        sign = ""
        if coeff < 0:
            sign, expr = "-", -expr
        num, den = sp.fraction(expr, exact=True)

        def juxtapose(e):
            factors = e.as_ordered_factors() if isinstance(e, sp.Mul) else [e]
            return " ".join(self.parenthesize(f, PRECEDENCE["Mul"], strict=True)
                            if not isinstance(f, sp.Pow) else self._print(f) for f in factors)

        out = juxtapose(num)
        if den != 1:
            n = f"({out})" if isinstance(num, sp.Mul) else out
            d = juxtapose(den)
            d = f"({d})" if isinstance(den, sp.Mul) else d
            out = f"{n}/{d}"
        return sign + out

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Integer and expr.exp > 0:
            return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'])}^{expr.exp}"
        return super()._print_Pow(expr, rational)

    def print_factor(self, f) -> str:
        """One factor as it stands in an ordered product: a fraction in parentheses, so
        (a_4 - y)/(a_4 (1 - a_4)) reads as one factor."""
        if isinstance(f, sp.Mul) and sp.fraction(f, exact=True)[1] != 1:
            return f"({self._print(f)})"
        return self.parenthesize(f, PRECEDENCE["Mul"], strict=True)

    def _print_OrderedProduct(self, expr):
        return self.separator.join(self.print_factor(f) for f in expr.args)

    def _print_IndexSum(self, expr):
        return f"Σ_{self._print(expr.index)} {self._print(expr.term)}"

    # -- matrix forms -----------------------------------------------------------------------
    def _print_HadamardProduct(self, expr):
        return self.notation.text_hadamard.join(
            f"({self._print(a)})" if isinstance(a, (sp.MatMul, sp.MatAdd)) else self._print(a)
            for a in expr.args)

    def _print_MatAdd(self, expr):
        out = []
        for t in expr.args:
            if isinstance(t, sp.MatMul) and t.args[0] == -1:
                out.append(self.notation.text_minus + self._print(sp.MatMul(*t.args[1:])))
            else:
                out.append((" + " if out else "") + self._print(t))
        return "".join(out)

    def _print_MatMul(self, expr):
        return " ".join(self.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in expr.args)

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        inner = inner if isinstance(expr.arg, sp.MatrixSymbol) else f"({inner})"
        return inner + self.notation.text_transpose

    def _print_ElementwiseApplyFunction(self, expr):
        parts = _elementwise_parts(expr)
        if parts is None:
            return super()._print_ElementwiseApplyFunction(expr)
        unit, var, t, z = parts
        head = self._head(unit)
        if var is None:
            return f"{head}({self._print(z)})"
        if var == t:
            return f"{head}'({self._print(z)})"
        return f"∂{self._print(_output_of(z))}/∂{self._print(var)}"

    def _print_CostGradient(self, expr):
        return f"∇_{{{self._print(expr.output)}}} C"

    def _print_SoftmaxOf(self, expr):
        return f"{Softmax.name}({self._print(expr.args[0])})"

    def _print_SampleSum(self, expr):
        return f"Σ_{{{self._print(expr.index)}=1..{self._print(expr.count)}}} " \
               f"{self._print(expr.term)}"


def latex(expr, **settings) -> str:
    """LaTeX of any expression in the ``nielsen`` notation."""
    return NielsenLatexPrinter(settings).doprint(expr)


def text(expr, **settings) -> str:
    """Plain text of any expression in the ``nielsen`` notation."""
    return NielsenTextPrinter(settings).doprint(expr)


# -- equations broken into aligned rows ------------------------------------------------------

def _pieces(printer, term, budget: float) -> list[str]:
    """A term as one or more lines: an ordered product wider than ``budget`` is broken
    between factors, never inside one."""
    tex = printer.doprint(term)
    if not isinstance(term, OrderedProduct) or estimate_width(tex) <= budget:
        return [tex]
    lines, current, width = [], [], 0.0
    for f in term.args:
        ft = printer.print_factor(f)
        fw = estimate_width(ft) + estimate_width(printer.separator)
        if current and width + fw > budget:
            lines.append(printer.separator.join(current))
            current, width = [], 0.0
        current.append(ft)
        width += fw
    lines.append(printer.separator.join(current))
    return lines


def latex_rows(printer, terms, relations, width: float = 64) -> list[str]:
    """The rows of one equation ``terms[0] rel terms[1] rel ...`` for an ``align*`` (or
    ``aligned``) block: the relation after ``&``, every further term on its own row, and a
    long product continued on ``&\\qquad`` rows so no row is wider than ``width``.

    >>> x, y = sp.symbols("x y")
    >>> latex_rows(NielsenLatexPrinter(), (x, OrderedProduct(y, x)), ("=",))
    ['x &= y x']
    """
    lhs = printer.doprint(terms[0])
    budget = max(20.0, width - estimate_width(lhs) - 3)
    sep = printer.notation.product.strip()
    cont = r"&\qquad " + (sep + " " if sep else "")
    rows = []
    for i, (rel, term) in enumerate(zip(relations, terms[1:])):
        pieces = _pieces(printer, term, budget)
        rows.append(f"{lhs if i == 0 else ''} &{RELATIONS[rel]} {pieces[0]}".lstrip())
        rows += [cont + p for p in pieces[1:]]
    return rows
