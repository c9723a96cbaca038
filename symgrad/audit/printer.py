r"""Print meaning trees in the document's own notation: LaTeX for fixes, Unicode for reasons.

Both printers are SymPy printer subclasses (:class:`~sympy.printing.latex.LatexPrinter`,
:class:`~sympy.printing.str.StrPrinter`) driven by one :class:`Style`: the notation table
(which symbol each kind of quantity has), where the layer index goes, the separator between
factors, and the depth (so a_L prints as ŷ in the matrix notation).  Numbers go through
SymPy's own printing (``\frac{1}{4}``); nothing is glued from the source text.

>>> from .notation import MATRIX, NIELSEN
>>> from .sir import Qty, Idx, Partial, Apply, Prod, Transpose
>>> z3 = Qty("pre", Idx(None, 3))
>>> latex(Prod([Apply("sigmoid", z3, 1), Qty("weight", Idx(None, 4))]), Style(NIELSEN))
"\\sigma'(z_{3}) \\, w_{4}"
>>> text(Partial(Qty("cost"), Qty("act", Idx("L"))), Style(MATRIX, depth=3))
'∂𝓛/∂ŷ'
>>> latex(Transpose(Qty("weight", Idx("l", 1))), Style(NIELSEN, index="sup"))
'\\left(w^{l+1}\\right)^{T}'
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from .lexer import UNICODE
from .notation import ACTIVATION_HEADS, Notation
from .sir import (Abs, Apply, BigProd, BigSum, Div, Had, Idx, Norm, Num, Prod, Qty, Rel, S, Sum,
                  Transpose)

__all__ = ["Style", "AuditLatexPrinter", "AuditTextPrinter", "latex", "text", "REL_LATEX",
           "latex_relation", "keep_parens"]

REL_LATEX = {"=": "=", "<=": r"\leq", "<": "<", ">=": r"\geq", ">": ">", "!=": r"\neq",
             "~": r"\approx", "in": r"\in", ":=": ":="}
_REL_TEXT = {"=": "=", "<=": "≤", "<": "<", ">=": "≥", ">": ">", "!=": "≠", "~": "≈",
             "in": "∈", ":=": ":="}
_FN_LATEX = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}",
             "linear": r"\operatorname{id}", "leaky_relu": r"\operatorname{LReLU}",
             "softplus": r"\operatorname{softplus}", "elu": r"\operatorname{ELU}",
             "silu": r"\operatorname{SiLU}", "gelu": r"\operatorname{GELU}",
             "selu": r"\operatorname{SELU}", "ln": r"\ln", "exp": r"\exp"}
_FN_TEXT = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "linear": "id", "ln": "ln",
            "exp": "exp", "leaky_relu": "LReLU", "softplus": "softplus", "elu": "ELU",
            "silu": "SiLU"}
#: \theta -> θ and the other Greek letters the lexer reads
_GREEK_TEXT = {v: k for k, v in UNICODE.items() if v.startswith("\\") and len(k) == 1}
_KIND_TEXT = {r"\tilde{h}": "h̃", r"\hat{y}": "ŷ", r"\mathcal{L}": "𝓛", r"\delta": "δ"}


@dataclass
class Style:
    """How a document writes things: its notation, layer-index position (``sub``/``sup``),
    factor separator, depth, and whether x is the input column (x^T the row fed in)."""

    notation: Notation
    index: str = "sub"
    separator: str | None = None
    depth: int | None = None
    input_column: bool = False
    #: the document names the last layer L (its depth is not stated): print layer depth as L
    depth_letter: bool = False

    @property
    def sep(self) -> str:
        return self.separator if self.separator is not None else self.notation.separator

    def fn_latex(self, fn: str) -> str:
        for head, name in self.notation.heads.items():
            if name == fn and head not in ACTIVATION_HEADS:
                return head if head.startswith("\\") or len(head) == 1 else \
                    rf"\operatorname{{{head}}}"
        return _FN_LATEX.get(fn, rf"\operatorname{{{fn}}}")


def _is_output(q: Qty, style: Style) -> bool:
    return q.kind == "act" and q.layer is not None and (
        q.layer.var == "L" and q.layer.off == 0 or
        (style.depth is not None and q.layer.var is None and q.layer.off == style.depth))


class _Common:
    """What both printers share: which symbol, index and parentheses a node gets."""

    style: Style
    ell = "ℓ"

    def is_input_row(self, q: Qty) -> bool:
        """a_0 of the matrix notation is written with x (x^T when x is the input column)."""
        return q.kind == "act" and q.layer is not None and q.layer.var is None and \
            q.layer.off == 0 and self.style.notation.name == "matrix"

    def head(self, q: Qty) -> tuple[str, str | None, bool]:
        """(symbol, layer text or None, whether the layer is part of the symbol)."""
        n = self.style.notation
        if _is_output(q, self.style) and "output" in n.latex:
            return n.latex["output"], None, True
        layer = q.layer
        if layer is not None and self.style.depth_letter and layer.var is None and \
                self.style.depth is not None and layer.off >= self.style.depth - 1:
            layer = Idx("L", layer.off - self.style.depth)
        layer = str(layer).replace("ℓ", self.ell) if layer is not None else None
        return n.latex.get(q.kind, q.kind), layer, False

    def needs_parens(self, f: S, inside: str) -> bool:
        if isinstance(f, Sum) and (len(f.terms) > 1 or f.signs[0] == "-"):
            return True
        if isinstance(f, Had):
            return inside in ("prod", "had")
        if isinstance(f, (Prod, Div)) and inside in ("had", "pow"):
            return True
        if isinstance(f, Num) and inside == "pow" and (f.value.denominator != 1
                                                        or f.value < 0):
            return True
        if isinstance(f, Num) and f.value < 0 and inside == "prod":
            return True
        if isinstance(f, (BigSum, BigProd)) and inside == "prod":
            return True
        return False


class AuditLatexPrinter(_Common, LatexPrinter):
    """LaTeX of meaning trees in a :class:`Style` (a SymPy LatexPrinter: numbers print as
    SymPy prints them)."""

    ell = r"\ell"

    def __init__(self, style: Style):
        LatexPrinter.__init__(self, {"mul_symbol": None})
        self.style = style

    def wrap(self, f: S, inside: str) -> str:
        t = self._print(f)
        return rf"\left({t}\right)" if self.needs_parens(f, inside) else t

    def _print_Qty(self, q: Qty) -> str:
        if self.is_input_row(q):
            x = self._print(Qty("input", None, q.sample))
            return x + "^{T}" if self.style.input_column else x
        sym, layer, _ = self.head(q)
        style = self.style.index
        sub = []
        sup = None
        if layer is not None:
            if style == "sup":
                sup = layer
            elif style == "bracket":
                sup = f"[{layer}]"
            else:
                sub.append(layer)
        if q.sample:
            sub.append(q.sample)
        if q.comps:
            sub.append("".join(q.comps))
        out = sym
        if style == "sup" and sup is not None:
            out += f"^{{{sup}}}"
            if sub:
                out += "_{" + ",".join(sub) + "}"
        else:
            if sub:
                out += "_{" + ",".join(sub) + "}"
            if sup is not None:
                out += f"^{{{sup}}}"
        return out

    def _print_Partial(self, p) -> str:
        return r"\frac{\partial %s}{\partial %s}" % (self._print(p.num), self._print(p.den))

    def _print_ActFn(self, f) -> str:
        return self.style.fn_latex(f.name)

    def _print_Apply(self, a: Apply) -> str:
        head = self.style.fn_latex(a.fn)
        if a.power is not None:
            head += "^{%s}" % self._print(a.power)
        if a.fn == "ln":
            return r"%s{\left(%s \right)}" % (head, self._print(a.arg))
        return head + "'" * a.deriv + f"({self._print(a.arg)})"

    def _print_Grad(self, g) -> str:
        v = g.var
        if self.style.notation.name == "nielsen" and isinstance(v, Qty) and \
                _is_output(v, self.style) and not v.sample:
            var = "a"
        else:
            var = self._print(v)
        return r"\nabla_{%s} %s" % (var, self.style.notation.latex.get("cost", "C"))

    def _print_Transpose(self, t: Transpose) -> str:
        inner = self._print(t.x)
        if not isinstance(t.x, Qty) or "^" in inner:
            inner = rf"\left({inner}\right)"        # (w^{l+1})^{T}, never a double ^
        return inner + "^{T}"

    def _print_Had(self, h: Had) -> str:
        return rf"{self.wrap(h.a, 'had')} \odot {self.wrap(h.b, 'had')}"

    def _print_Prod(self, p: Prod) -> str:
        return self.style.sep.join(self.wrap(f, "prod") for f in p.factors)

    def _print_Sum(self, s: Sum) -> str:
        out = ""
        for i, (sign, t) in enumerate(zip(s.signs, s.terms)):
            body = self.wrap(t, "sum")
            if i == 0:
                out = ("- " if sign == "-" else "") + body
            else:
                out += f" {sign} {body}"
        return out

    def _print_Div(self, d: Div) -> str:
        return r"\frac{%s}{%s}" % (self._print(d.num), self._print(d.den))

    def _print_Pow(self, p) -> str:
        if isinstance(p.base, Apply) and p.base.power is None and not p.base.deriv:
            return self._print(Apply(p.base.fn, p.base.arg, 0, p.exp))   # \tanh^{2}(z)
        base = self.wrap(p.base, "pow")
        if isinstance(p.base, Qty) and "^" in base:
            base = rf"\left({base}\right)"                       # (a^{l})^{2}
        return "%s^{%s}" % (base, self._print(p.exp))

    def _print_Abs(self, a: Abs) -> str:
        return r"\left|%s\right|" % self._print(a.x)

    def _print_Norm(self, n: Norm) -> str:
        out = r"\left\lVert %s\right\rVert" % self._print(n.x)
        return out + (f"_{{{n.p}}}" if n.p else "")

    def _print_Diag(self, d) -> str:
        return r"\operatorname{diag}\left(%s\right)" % self._print(d.x)

    def _print_BigSum(self, b: BigSum) -> str:
        if b.lo is None:
            return r"\sum_{%s} %s" % (self._var(b.var), self._print(b.body))
        return r"\sum_{%s=%s}^{%s} %s" % (self._var(b.var), self._print(b.lo), self._print(b.hi),
                                          self._print(b.body))

    def _print_BigProd(self, b: BigProd) -> str:
        body = self._print(b.body)
        if isinstance(b.body, (Prod, Sum, Had)):
            body = rf"\left({body}\right)"
        return r"\prod_{%s=%s}^{%s} %s" % (self._var(b.var), self._print(b.lo),
                                           self._print(b.hi), body)

    def _var(self, name: str) -> str:
        return r"\ell" if name == "ℓ" else name

    def _print_Num(self, n: Num) -> str:
        return LatexPrinter._print(self, sp.Rational(n.value.numerator, n.value.denominator))

    def _print_Var(self, v) -> str:
        name = v.name
        if name == "ℓ":
            return r"\ell"
        if "_" in name:
            base, idx = name.split("_", 1)
            return f"{base}_{{{idx}}}"
        return name if len(name) == 1 else "\\" + name

    def _print_Cases(self, c) -> str:
        rows = [f"{self._print(v)} & " + (r"\text{otherwise}" if cond is None else
                                          r"\text{for}\: " + self._print(cond))
                for v, cond in c.rows]
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_Rel(self, r: Rel) -> str:
        out = self._print(r.terms[0])
        for op, t in zip(r.ops, r.terms[1:]):
            out += f" {REL_LATEX[op]} {self._print(t)}"
        return out

    def _print_RealSpace(self, r) -> str:
        dims = r" \times ".join(self._print(d) for d in r.dims)
        return r"\mathbb{R}^{%s}" % dims if dims else r"\mathbb{R}"


def _uni(latex_symbol: str) -> str:
    if latex_symbol in _KIND_TEXT:
        return _KIND_TEXT[latex_symbol]
    return _GREEK_TEXT.get(latex_symbol, latex_symbol.lstrip("\\"))


class AuditTextPrinter(_Common, StrPrinter):
    """Unicode text of meaning trees in a :class:`Style`, for reasons: σ'(z_3), ∂𝓛/∂ŷ,
    W_3ᵀ, h̃_{2,i}."""

    def __init__(self, style: Style):
        StrPrinter.__init__(self)
        self.style = style

    def wrap(self, f: S, inside: str) -> str:
        t = self._print(f)
        return f"({t})" if self.needs_parens(f, inside) else t

    def _print_Qty(self, q: Qty) -> str:
        if self.is_input_row(q):
            x = self._print(Qty("input", None, q.sample))
            return x + "ᵀ" if self.style.input_column else x
        sym, layer, _ = self.head(q)
        out = _uni(sym)
        idx = [layer] if layer is not None else []
        if q.sample:
            idx.append(q.sample)
        if self.style.index in ("sup", "bracket") and layer is not None:
            shown = f"[{layer}]" if self.style.index == "bracket" else layer
            out += "^" + (shown if len(shown) == 1 else f"{{{shown}}}")
            idx = idx[1:]
        if q.comps:
            idx.append("".join(q.comps))
        if idx:
            body = ",".join(idx)
            out += "_" + (body if len(body) == 1 else "{" + body + "}")
        return out

    def _print_Partial(self, p) -> str:
        return f"∂{self._print(p.num)}/∂{self._print(p.den)}"

    def _print_ActFn(self, f) -> str:
        return _FN_TEXT.get(f.name, f.name)

    def _print_Apply(self, a: Apply) -> str:
        custom = self.style.fn_latex(a.fn)
        head = _FN_TEXT.get(a.fn, a.fn) if custom in _FN_LATEX.values() else _uni(custom)
        if a.power is not None:
            head += "^" + self._print(a.power)
        return head + "'" * a.deriv + f"({self._print(a.arg)})"

    def _print_Grad(self, g) -> str:
        v = g.var
        var = "a" if self.style.notation.name == "nielsen" and isinstance(v, Qty) and \
            _is_output(v, self.style) and not v.sample else self._print(v)
        return f"∇_{var} {_uni(self.style.notation.latex.get('cost', 'C'))}"

    def _print_Transpose(self, t: Transpose) -> str:
        inner = self._print(t.x)
        if not isinstance(t.x, Qty):
            inner = f"({inner})"
        return inner + "ᵀ"

    def _print_Had(self, h: Had) -> str:
        return f"{self.wrap(h.a, 'had')} ⊙ {self.wrap(h.b, 'had')}"

    def _print_Prod(self, p: Prod) -> str:
        return " ".join(self.wrap(f, "prod") for f in p.factors)

    def _print_Sum(self, s: Sum) -> str:
        out = ""
        for i, (sign, t) in enumerate(zip(s.signs, s.terms)):
            body = self.wrap(t, "sum")
            minus = "−" if sign == "-" else ""
            out = minus + body if i == 0 else f"{out} {minus or '+'} {body}"
        return out

    def _print_Div(self, d: Div) -> str:
        return f"{self.wrap(d.num, 'pow')}/{self.wrap(d.den, 'pow')}"

    def _print_Pow(self, p) -> str:
        return f"{self.wrap(p.base, 'pow')}^{self._print(p.exp)}"

    def _print_Abs(self, a: Abs) -> str:
        return f"|{self._print(a.x)}|"

    def _print_Norm(self, n: Norm) -> str:
        return f"‖{self._print(n.x)}‖" + (f"_{n.p}" if n.p else "")

    def _print_Diag(self, d) -> str:
        return f"diag({self._print(d.x)})"

    def _print_BigSum(self, b: BigSum) -> str:
        if b.lo is None:
            return f"Σ_{b.var} {self._print(b.body)}"
        return f"Σ_{{{b.var}={self._print(b.lo)}}}^{self._print(b.hi)} {self._print(b.body)}"

    def _print_BigProd(self, b: BigProd) -> str:
        return f"∏_{{{b.var}={self._print(b.lo)}}}^{self._print(b.hi)} ({self._print(b.body)})"

    def _print_Num(self, n: Num) -> str:
        v = n.value
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"

    def _print_Var(self, v) -> str:
        return v.name

    def _print_Cases(self, c) -> str:
        return "{" + "; ".join(f"{self._print(v)} " + ("otherwise" if cond is None else
                                                        f"for {self._print(cond)}")
                               for v, cond in c.rows) + "}"

    def _print_Rel(self, r: Rel) -> str:
        out = self._print(r.terms[0])
        for op, t in zip(r.ops, r.terms[1:]):
            out += f" {_REL_TEXT[op]} {self._print(t)}"
        return out

    def _print_RealSpace(self, r) -> str:
        return "ℝ^" + "×".join(self._print(d) for d in r.dims)


def latex(node: S, style: Style) -> str:
    """LaTeX of a meaning tree in ``style``."""
    return AuditLatexPrinter(style).doprint(node)


def text(node: S, style: Style) -> str:
    """Unicode text of a meaning tree in ``style`` (for reasons)."""
    return AuditTextPrinter(style).doprint(node)


def latex_relation(op: str) -> str:
    return REL_LATEX[op]




def keep_parens(old: str, new: str) -> str:
    """``new`` in the parentheses ``old`` stood in (a term replaced inside its brackets)."""
    o = old.strip()
    for left, right in ((r"\left(", r"\right)"), ("(", ")")):
        if o.startswith(left) and o.endswith(right) and not new.strip().startswith(left):
            return f"{left}{new}{right}"
    return new
