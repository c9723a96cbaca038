"""Printing a Derivation: one SymPy printer subclass per notation.

The notation lives in the printers; every sub-part of a formula is printed by the
printer itself (``self._print``), so a factor is never glued in by hand.  Two
notations:

* ``nielsen`` (:class:`NielsenLatexPrinter`): z_l, a_l, w_l, b_l, σ, C, as in Nielsen's
  chapter 5;
* ``matrix`` (:class:`MatrixLatexPrinter`): the tilde style of the row-vector lecture
  notes, h̃_l for the linear part, h_l for the activation, x = h_0, W_l, ŷ = h_L and the
  loss 𝓛; products are written with ``\\cdot``.

>>> from symgrad import Chain, derive
>>> d = derive(Chain(depth=4))
>>> print(latex_gradient(d, "b_3"))
\\frac{\\partial C}{\\partial b_{3}} = \\sigma'(z_{3}) w_{4} \\sigma'(z_{4}) \\frac{\\partial C}{\\partial a_{4}}
>>> print(text_gradient(d, "w_1"))
∂C/∂w_1 = a_0 σ'(z_1) w_2 σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4
>>> print(text_gradient(d, "b_3", concrete="a"))
∂C/∂b_3 = a_3 (1 - a_3) w_4 a_4 (1 - a_4) (a_4 - y)
>>> print(get_printer("matrix", depth=4).doprint(d.closed_form("w_2")))
h_{1} \\cdot \\sigma'(\\tilde{h}_{2}) \\cdot W_{3} \\cdot \\sigma'(\\tilde{h}_{3}) \\cdot W_{4} \\cdot \\sigma'(\\tilde{h}_{4}) \\cdot \\frac{\\partial \\mathcal{L}}{\\partial \\hat{y}}
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symgrad.model.activations import ACTIVATIONS
from symgrad.errors import UsageError
from symgrad.derivation import Derivation, OrderedProduct
from symgrad.model.network import layer_function

__all__ = [
    "NielsenLatexPrinter",
    "NielsenTextPrinter",
    "MatrixLatexPrinter",
    "NOTATIONS",
    "get_printer",
    "gradient_lhs",
    "latex",
    "text",
    "latex_gradient",
    "text_gradient",
    "markdown_derivation",
    "text_derivation",
    "latex_derivation",
    "latex_relation",
    "latex_rows",
    "estimate_width",
    "repr_latex",
    "repr_markdown",
]

_CAMEL = re.compile(r"\\operatorname\{([^}]*)\}")
#: the lecture's symbol names: kind, an underscore, a layer index (``z_3``, ``a_j-1``)
_LAYER_SYMBOL = re.compile(r"^(z|a|w|b|alpha|delta)_(.+)$")
#: the relations an equation may chain, as LaTeX
RELATIONS = {"=": "=", "<=": r"\leq", "<": "<"}


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
    an :class:`OrderedProduct` in network order with a space between factors.

    >>> z = sp.Symbol("z_3", real=True)
    >>> print(NielsenLatexPrinter().doprint(sp.Derivative(sp.Function("sigmoid")(z), z)))
    \\sigma'(z_{3})
    """

    printmethod = "_nielsen_latex"
    notation = "nielsen"
    #: what stands between two factors of an ordered product
    product_separator = " "
    _default_settings = {**LatexPrinter._default_settings, "depth": None, "factor_space": ""}

    def __init__(self, settings=None):
        settings = dict(settings or {})
        settings.setdefault("mul_symbol", None)
        settings.setdefault("ln_notation", True)
        super().__init__(settings)

    def _activation_latex(self, name: str) -> str:
        return ACTIVATIONS[name].latex_name

    def _print_Function(self, expr, exp=None):
        name = _activation_of(expr)
        if name is not None:
            head = self._activation_latex(name)
            if exp is not None:
                head = f"{head}^{{{exp}}}"
            args = ", ".join(self._print(a) for a in expr.args)
            return f"{head}({args})"
        if isinstance(expr, AppliedUndef) and expr.func.__name__ == "C":
            return self._print(sp.Symbol("C"))
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

    def _factor(self, f) -> str:
        tex = self._print(f)
        if isinstance(f, sp.Add) or (isinstance(f, sp.Number) and f < 0) or \
                (isinstance(f, sp.Mul) and f.could_extract_minus_sign()):
            tex = r"\left(%s\right)" % tex
        return tex

    @property
    def separator(self) -> str:
        """Between two factors: the notation's separator, widened by the ``factor_space``
        setting (the lecture documents use ``\\,`` so a_3 (1 - a_3) w_4 reads as three
        factors)."""
        space = self._settings.get("factor_space") or ""
        if not space or self.product_separator.strip():
            return self.product_separator
        return f" {space} "

    def _print_OrderedProduct(self, expr):
        if len(expr.args) == 1:
            return self._print(expr.args[0])
        return self.separator.join(self._factor(f) for f in expr.args)

    def _print_Preactivation(self, expr):
        # z_l = w_l a_{l-1} + b_l (column convention: the weight acts from the left)
        w, a, b = expr.args
        return f"{self._print(w)} {self._print(a)} + {self._print(b)}"

    def _print_Product(self, expr):
        # ∏_{j=l+1}^{L} (w_j σ'(z_j)): the body in parentheses, its factors in order
        (var, lo, hi), = expr.limits
        body = self._print(expr.function)
        if isinstance(expr.function, (OrderedProduct, sp.Mul, sp.Add)):
            body = r"\left(%s\right)" % body
        return r"\prod_{%s=%s}^{%s} %s" % (self._print(var), self._print(lo),
                                           self._print(hi), body)

    def _print_Min(self, expr, exp=None):
        args = ", ".join(self._print(a) for a in expr.args)
        return r"\min(%s)" % args

    def _print_NumberSymbol(self, expr):
        # π, e, γ carry their own ``_latex`` (not reached through this printmethod)
        return expr._latex(self) if hasattr(expr, "_latex") else super()._print_Basic(expr)


class MatrixLatexPrinter(NielsenLatexPrinter):
    """The tilde notation of the row-vector lecture notes (shared/REFERENCE.md §2).

    z_l prints as h̃_l (``\\tilde{h}_{l}``), a_l as h_l, the input a_0 as x, the output
    a_L as ŷ (pass ``depth=L``), w_l as W_l, C as 𝓛 (``\\mathcal{L}``); products take
    ``\\cdot`` and the linear part is written in the row convention h_{l-1} W_l + b_l.

    >>> p = MatrixLatexPrinter({"depth": 3})
    >>> print(p.doprint(sp.Symbol("z_2")), p.doprint(sp.Symbol("a_0")), p.doprint(sp.Symbol("a_3")))
    \\tilde{h}_{2} x \\hat{y}
    """

    notation = "matrix"
    product_separator = r" \cdot "

    def _print_Symbol(self, expr, style="plain"):
        name = expr.name
        if name == "C":
            return r"\mathcal{L}"
        m = _LAYER_SYMBOL.match(name)
        if m is None:
            return super()._print_Symbol(expr, style)
        kind, index = m.groups()
        depth = self._settings.get("depth")
        if kind == "a" and index == "0":
            return "x"
        if kind == "a" and (index == "L" or (depth is not None and index == str(depth))):
            return r"\hat{y}"
        head = {"z": r"\tilde{h}", "a": "h", "w": "W", "b": "b",
                "alpha": r"\alpha", "delta": r"\delta"}[kind]
        return f"{head}_{{{index}}}"

    def _print_Preactivation(self, expr):
        # h̃_l = h_{l-1} W_l + b_l (row convention: the weight acts from the right)
        w, a, b = expr.args
        return f"{self._print(a)} {self._print(w)} + {self._print(b)}"


#: the notations and the printer class that owns each
NOTATIONS = {"nielsen": NielsenLatexPrinter, "matrix": MatrixLatexPrinter}


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
    return NOTATIONS[notation]({"depth": depth, "factor_space": factor_space})


class NielsenTextPrinter(StrPrinter):
    """Plain text in the same notation: ``σ'(z_3)``, ``∂C/∂a_4``, factors in order,
    products by juxtaposition (``a_3 (1 - a_3)``)."""

    printmethod = "_nielsen_text"

    def _name(self, name: str) -> str:
        tex = ACTIVATIONS[name].latex_name
        return {r"\sigma": "σ", r"\tanh": "tanh", r"\varphi": "φ"}.get(tex, _CAMEL.sub(r"\1", tex))

    _RELATIONS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "=", "!=": "≠"}

    def _print_Relational(self, expr):
        return f"{self._print(expr.lhs)} {self._RELATIONS[expr.rel_op]} {self._print(expr.rhs)}"

    def _print_Piecewise(self, expr):
        # {α_l for z_l ≤ 0; 1 otherwise}
        parts = [f"{self._print(e)} otherwise" if c == sp.true else
                 f"{self._print(e)} for {self._print(c)}" for e, c in expr.args]
        return "{" + "; ".join(parts) + "}"

    def _print_Function(self, expr):
        name = _activation_of(expr)
        if name is not None:
            return f"{self._name(name)}({', '.join(self._print(a) for a in expr.args)})"
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

    def _print_Mul(self, expr):
        # a_3 (1 - a_3), (a_4 - y)/(a_4 (1 - a_4)): juxtaposition, '/' for a denominator
        coeff, rest = expr.as_coeff_Mul()
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

    def _print_Symbol(self, expr):
        # alpha_2 -> α_2, delta_3 -> δ_3
        m = _LAYER_SYMBOL.match(expr.name)
        if m is not None and m.group(1) in ("alpha", "delta"):
            return {"alpha": "α", "delta": "δ"}[m.group(1)] + "_" + m.group(2)
        return super()._print_Symbol(expr)

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Integer and expr.exp > 0:
            return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'])}^{expr.exp}"
        return super()._print_Pow(expr, rational)

    def _print_OrderedProduct(self, expr):
        # a fraction among the factors is bracketed: (a_4 - y)/(a_4 (1 - a_4)) as one factor
        def factor(f):
            if isinstance(f, sp.Mul) and sp.fraction(f, exact=True)[1] != 1:
                return f"({self._print(f)})"
            return self.parenthesize(f, PRECEDENCE["Mul"], strict=True)
        return " ".join(factor(f) for f in expr.args)


def latex(expr, **settings) -> str:
    """LaTeX of any expression in the Nielsen notation."""
    return NielsenLatexPrinter(settings).doprint(expr)


def text(expr, **settings) -> str:
    """Plain text of any expression in the Nielsen notation."""
    return NielsenTextPrinter(settings).doprint(expr)


def _equation(printer, lhs, rhs, sep: str) -> str:
    return f"{printer.doprint(lhs)}{sep}{printer.doprint(rhs)}"


#: the two forms a gradient is printed in: every factor written out, or in terms of δ_{l+1}
FORMS = ("expanded", "recurrence")


def latex_gradient(d: Derivation, parameter: str, concrete: bool | str = False,
                   form: str = "expanded") -> str:
    """``\\frac{\\partial C}{\\partial p} = ...``, factors in network order."""
    return _equation(NielsenLatexPrinter(), gradient_lhs(parameter),
                     _display(d, parameter, concrete, form), " = ")


def text_gradient(d: Derivation, parameter: str, concrete: bool | str = False,
                  form: str = "expanded") -> str:
    """``∂C/∂p = ...`` in plain text, factors in network order.

    >>> from symgrad import Chain, derive
    >>> text_gradient(derive(Chain(depth=4)), "w_2", form="recurrence")
    "∂C/∂w_2 = a_1 σ'(z_2) w_3 δ_3"
    """
    return _equation(NielsenTextPrinter(), gradient_lhs(parameter),
                     _display(d, parameter, concrete, form), " = ")


def _display(d: Derivation, parameter: str, concrete, form: str = "expanded") -> sp.Expr:
    if form not in FORMS:
        raise UsageError(f"form={form!r}: must be one of {', '.join(FORMS)}")
    factors = d.factors(parameter) if form == "expanded" else \
        tuple(f for f in d.recurrence_form(parameter).args if f is not sp.S.One)
    if concrete:
        factors = [d.concrete(f, in_a=(concrete == "a")) for f in factors]
    return OrderedProduct(*factors)


def _delta_definition():
    """δ_l = ∂C/∂z_l, the name the recurrence form uses."""
    return (sp.Symbol("delta_l", real=True),
            sp.Derivative(sp.Symbol("C", real=True), sp.Symbol("z_l", real=True)))


def text_derivation(d: Derivation, form: str = "expanded") -> str:
    """The closed forms as plain text, one per line, then ∂C/∂a_L concretely."""
    net = d.network
    printer = NielsenTextPrinter()
    lines = [f"{net!r}", ""]
    if form == "recurrence":
        lines += [_equation(printer, *_delta_definition(), " = ")
                  + "   (each gradient in terms of the next layer's δ)", ""]
    lines += [text_gradient(d, p, form=form) for p in d.parameter_names()]
    lines.append("")
    lines.append(_equation(printer, d.dC_da(), d.concrete(d.dC_da()), " = ")
                 + f"   ({net.cost.description})")
    # each activation's local factors, written for a generic layer l
    z_l, a_l, alpha_l = (sp.Symbol(f"{s}_l", real=True) for s in ("z", "a", "alpha"))
    for act in dict.fromkeys(net.activations):
        if act.is_linear:
            continue
        f = layer_function(act)
        args = (z_l, alpha_l) if act.parameter is not None else (z_l,)
        local = act.derivative_in_a(a_l)
        if local is None:
            local = act.derivative(z_l, alpha_l)
        lines.append(_equation(printer, sp.Derivative(f(*args), z_l), local, " = "))
        if act.parameter is not None:
            lines.append(_equation(printer, sp.Derivative(f(*args), alpha_l),
                                   act.parameter_derivative(z_l, alpha_l), " = "))
        if act.kink:
            lines.append(f"  at the kink: {act.kink}")
    return "\n".join(lines) + "\n"


def latex_derivation(d: Derivation, form: str = "expanded") -> str:
    """The closed forms as one LaTeX ``align*`` block."""
    p = NielsenLatexPrinter()
    rows = [_equation(p, *_delta_definition(), " &= ")] if form == "recurrence" else []
    rows += [_equation(p, gradient_lhs(q), _display(d, q, False, form), " &= ")
             for q in d.parameter_names()]
    rows.append(_equation(p, d.dC_da(), d.concrete(d.dC_da()), " &= "))
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def markdown_derivation(d: Derivation, form: str = "expanded") -> str:
    """The closed forms as Markdown with ``$$`` display math (KaTeX and MathJax)."""
    p = NielsenLatexPrinter()
    net = d.network
    out = [f"# Gradients of `{net!r}`", ""]
    if form == "recurrence":
        out += ["$$", _equation(p, *_delta_definition(), " = "), "$$", ""]
    for q in d.parameter_names():
        out += ["$$", _equation(p, gradient_lhs(q), _display(d, q, False, form), " = "), "$$", ""]
    out += ["$$", _equation(p, d.dC_da(), d.concrete(d.dC_da()), " = "), "$$", ""]
    return "\n".join(out)


# -- equations broken into aligned rows ------------------------------------------------------

_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|.", re.S)
#: widths in units of an average italic letter; what is not listed counts 1
_COMMAND_WIDTH = {r"\left": 0, r"\right": 0, r"\,": 0.3, r"\:": 0.4, r"\;": 0.5,
                  r"\quad": 2, r"\qquad": 4, r"\cdot": 1.4, r"\leq": 2, r"\partial": 1,
                  r"\tanh": 3.2, r"\ln": 1.6, r"\log": 2.4, r"\min": 2.8, r"\prod": 2,
                  r"\hat": 0, r"\tilde": 0, r"\mathcal": 0, r"\\": 0}
_CHAR_WIDTH = {"'": 0.3, "(": 0.8, ")": 0.8, "|": 1.0, "+": 2, "-": 2, "=": 2, "<": 2,
               ",": 0.6, " ": 0, "&": 0, "{": 0, "}": 0}


def _group(tokens: list, i: int) -> tuple[list, int]:
    """The tokens of the braced group (or single token) at ``tokens[i]``."""
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, j = 0, i
    while True:
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        if depth == 0:
            return tokens[i + 1:j], j + 1
        j += 1


def _measure(tokens: list) -> float:
    width, i = 0.0, 0
    while i < len(tokens):
        t = tokens[i]
        if t == r"\frac":
            num, i = _group(tokens, i + 1)
            den, i = _group(tokens, i)
            width += max(_measure(num), _measure(den)) + 0.4
        elif t in ("_", "^"):
            script, i = _group(tokens, i + 1)
            width += 0.7 * _measure(script)
        elif t in (r"\operatorname", r"\text", r"\mathrm"):
            word, i = _group(tokens, i + 1)
            width += 1.15 * len([c for c in word if c not in "{} "])
        elif t.startswith("\\"):
            width += _COMMAND_WIDTH.get(t, 1)
            i += 1
        else:
            width += _CHAR_WIDTH.get(t, 1)
            i += 1
    return width


def estimate_width(tex: str) -> float:
    r"""A rough width of a LaTeX formula in units of an italic letter: a fraction counts its
    wider line, sub- and superscripts 0.7, spacing commands and ``\left`` little or
    nothing.  Used only to decide where a long product is broken across lines.

    >>> estimate_width(r"\frac{\partial C}{\partial a_{4}}") < estimate_width(r"w_{2} w_{3} w_{4}")
    True
    """
    return _measure(_TOKEN.findall(tex))


def latex_relation(printer, relation: str) -> str:
    """``=``, ``<=`` and ``<`` as LaTeX."""
    return RELATIONS[relation]


def _pieces(printer, term, budget: float) -> list[str]:
    """A term as one or more lines: an ordered product wider than ``budget`` is broken
    between factors, never inside one."""
    tex = printer.doprint(term)
    if not isinstance(term, OrderedProduct) or estimate_width(tex) <= budget:
        return [tex]
    lines, current, width = [], [], 0.0
    for f in term.args:
        ft = printer._factor(f)
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
    sep = printer.product_separator.strip()
    cont = r"&\qquad " + (sep + " " if sep else "")
    rows = []
    for i, (rel, term) in enumerate(zip(relations, terms[1:])):
        pieces = _pieces(printer, term, budget)
        rows.append(f"{lhs if i == 0 else ''} &{RELATIONS[rel]} {pieces[0]}".lstrip())
        rows += [cont + p for p in pieces[1:]]
    return rows


# -- Jupyter --------------------------------------------------------------------------------

def _closed_form_rows(d: Derivation, printer) -> list[str]:
    rows = []
    for q in d.parameter_names():
        rows += latex_rows(printer, (gradient_lhs(q), d.closed_form(q)), ("=",), width=80)
    rows += latex_rows(printer, (d.dC_da(), d.concrete(d.dC_da())), ("=",), width=80)
    return rows


def repr_latex(d: Derivation) -> str:
    """What Jupyter shows for a Derivation: its closed forms in one ``aligned`` block.

    >>> from symgrad import Chain, derive
    >>> print(repr_latex(derive(Chain(depth=1))))
    $$\\begin{aligned}
    \\frac{\\partial C}{\\partial b_{1}} &= \\sigma'(z_{1}) \\frac{\\partial C}{\\partial a_{1}} \\\\
    \\frac{\\partial C}{\\partial w_{1}} &= a_{0} \\sigma'(z_{1}) \\frac{\\partial C}{\\partial a_{1}} \\\\
    \\frac{\\partial C}{\\partial a_{1}} &= a_{1} - y
    \\end{aligned}$$
    """
    rows = _closed_form_rows(d, NielsenLatexPrinter())
    return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"


def repr_markdown(d: Derivation) -> str:
    """What Jupyter's Markdown view shows: a heading naming the network, then the
    closed forms as one ``$$`` block (KaTeX and MathJax)."""
    return f"**Gradients of** `{d.network!r}`\n\n" + repr_latex(d) + "\n"
