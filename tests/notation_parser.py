"""A small parser of symgrad's own LaTeX notation, for the parse-back tests.

SymPy's ``parse_latex`` needs antlr4 4.11 exactly (4.13 is installed here) and, where it
runs, reads ``a_{3}(1 - a_{3})`` as a function call and drops ``\\frac{d}{dz}`` factors
(shared/DESIGN.md).  This parser knows the notation: a symbol followed by a parenthesis is
a product unless the symbol is an activation, ``\\frac{\\partial X}{\\partial Y}`` is a
partial derivative, and the ``matrix`` notation's h̃_l, h_l, x, ŷ, W_l, 𝓛 map back to
z_l, a_l, a_0, a_L, w_l, C.  It is written independently of the printers, so a printer
that loses a backslash or doubles a factor produces a formula that parses to something
else (or not at all).

:func:`normal_form` brings a derivation's display expressions (ordered products,
unevaluated powers, ∂C/∂a_L as the derivative of the function C) to what the parser
returns, so the two compare with ``==``.
"""
from __future__ import annotations

import re

import sympy as sp

from symgrad.model.activations import ACTIVATIONS
from symgrad.derivation import OrderedProduct
from symgrad.model.network import layer_function

__all__ = ["ParseError", "NotationParser", "normal_form", "split_block", "display_blocks",
           "check_document", "DenseNotationParser", "dense_normal_form"]


class ParseError(ValueError):
    pass


_TOKEN = re.compile(r"\\[a-zA-Z]+|\\\\|\\[,;:!| ]|\d+|[A-Za-z]|\S")
_HEADS = {a.latex_name: name for name, a in ACTIVATIONS.items()}
_GREEK = {r"\alpha": "alpha", r"\delta": "delta"}


def _real(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


class NotationParser:
    """Parse one formula of the ``nielsen`` or ``matrix`` notation into SymPy."""

    def __init__(self, notation: str = "nielsen", depth: int | None = None):
        self.notation = notation
        self.depth = depth

    # -- tokens -------------------------------------------------------------------------------
    def parse(self, tex: str) -> sp.Expr:
        self.toks = [t for t in _TOKEN.findall(tex) if t not in (r"\,", r"\;", r"\:", r"\ ")]
        self.i = 0
        out = self.expr()
        if self.i != len(self.toks):
            raise ParseError(f"unexpected {self.toks[self.i]!r} at token {self.i} in {tex!r}")
        return out

    def peek(self, k: int = 0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        t = self.peek()
        if t is None or (expected is not None and t != expected):
            raise ParseError(f"expected {expected!r}, found {t!r} at token {self.i}")
        self.i += 1
        return t

    def raw_group(self) -> str:
        """The text of a braced group, unparsed (subscripts)."""
        self.take("{")
        depth, parts = 1, []
        while True:
            t = self.take()
            depth += {"{": 1, "}": -1}.get(t, 0)
            if depth == 0:
                return "".join(parts)
            parts.append(t)

    def group(self) -> sp.Expr:
        self.take("{")
        e = self.expr()
        self.take("}")
        return e

    # -- grammar ------------------------------------------------------------------------------
    _STOP = {"+", "-", ")", "}", "&", "=", "<", ">", r"\leq", r"\geq", r"\right", r"\\",
             r"\end", ",", None}

    def expr(self) -> sp.Expr:
        sign = 1
        if self.peek() == "-":
            self.take()
            sign = -1
        out = sign * self.summand()
        while self.peek() in ("+", "-"):
            op = self.take()
            t = self.summand()
            out = out + t if op == "+" else out - t
        return out

    def summand(self) -> sp.Expr:
        """What a sum adds up: a product here, a Hadamard product in the matrix notation."""
        return self.term()

    def term(self) -> sp.Expr:
        factors = [self.power()]
        while self.peek() not in self._STOP:
            if self.peek() == r"\cdot":
                self.take()
            factors.append(self.power())
        return sp.Mul(*factors)

    def power(self) -> sp.Expr:
        base = self.primary()
        if self.peek() == "^":
            self.take()
            exp = self.group() if self.peek() == "{" else sp.Integer(self.take())
            return base ** exp
        return base

    def primary(self) -> sp.Expr:
        t = self.peek()
        if t == r"\frac":
            return self.fraction()
        if t == r"\left":
            self.take()
            d = self.take()
            inner = self.expr()
            self.take(r"\right")
            self.take(")" if d == "(" else "|")
            return inner if d == "(" else sp.Abs(inner)
        if t == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        if t == "{":
            return self.group()
        if t is not None and t.isdigit():
            return sp.Integer(self.take())
        if t == "e" and self.peek(1) == "^":  # e^{x}
            self.take()
            self.take("^")
            return sp.exp(self.group())
        if t == r"\prod":
            return self.product()
        if t in (r"\max", r"\min"):
            return self.extremum()
        if t == r"\ln":
            self.take()
            return sp.log(self.group())
        if t == r"\begin":
            return self.cases()
        if t in _HEADS or t == r"\operatorname" or t == r"\tanh":
            return self.activation()
        return self.symbol()

    def fraction(self) -> sp.Expr:
        self.take(r"\frac")
        if self.peek(1) == r"\partial":
            self.take("{")
            self.take(r"\partial")
            num = self.symbol()
            self.take("}")
            self.take("{")
            self.take(r"\partial")
            den = self.symbol()
            self.take("}")
            return sp.Derivative(num, den)
        num = self.group()
        den = self.group()
        return num / den

    def product(self) -> sp.Expr:
        self.take(r"\prod")
        self.take("_")
        self.take("{")
        var = self.symbol()
        self.take("=")
        lo = self.expr()
        self.take("}")
        self.take("^")
        hi = self.group() if self.peek() == "{" else sp.Integer(self.take())
        body = self.power()
        return sp.Product(body, (var, lo, hi))

    def extremum(self) -> sp.Expr:
        """``\\max(a, b)`` or ``\\max\\left(a, b\\right)`` (and ``\\min``)."""
        f = sp.Max if self.take() == r"\max" else sp.Min
        sized = self.peek() == r"\left"
        if sized:
            self.take()
        self.take("(")
        args = [self.expr()]
        while self.peek() == ",":
            self.take()
            args.append(self.expr())
        if sized:
            self.take(r"\right")
        self.take(")")
        return f(*args)

    def cases(self) -> sp.Expr:
        self.take(r"\begin")
        if self.raw_group() != "cases":
            raise ParseError("only the cases environment is part of the notation")
        pieces = []
        while self.peek() != r"\end":
            value = self.expr()
            self.take("&")
            self.take(r"\text")
            word = self.raw_group()
            if word == "for":
                cond = self.condition()
            elif word == "otherwise":
                cond = sp.true
            else:
                raise ParseError(f"unexpected case text {word!r}")
            pieces.append((value, cond))
            if self.peek() == r"\\":
                self.take()
        self.take(r"\end")
        self.raw_group()
        return sp.Piecewise(*pieces)

    def condition(self):
        lhs = self.expr()
        op = self.take()
        rhs = self.expr()
        return {r"\leq": sp.Le, "<": sp.Lt, ">": sp.Gt, r"\geq": sp.Ge}[op](lhs, rhs)

    def operator_head(self) -> str:
        """\\operatorname{NAME}, with a subscript where the table's name has one
        (\\operatorname{GELU}_{\\tanh})."""
        head = r"\operatorname{%s}" % self.raw_group()
        if self.peek() == "_" and any(h.startswith(head + "_{") for h in _HEADS):
            self.take()
            head += "_{%s}" % self.raw_group()
        return head

    def activation(self) -> sp.Expr:
        t = self.take()
        head = t
        if t == r"\operatorname":
            head = self.operator_head()
        if head not in _HEADS:
            raise ParseError(f"unknown function {head!r}")
        f = layer_function(ACTIVATIONS[_HEADS[head]])
        exp = None
        if self.peek() == "^":
            self.take()
            exp = self.group()
        prime = False
        if self.peek() == "'":
            self.take()
            prime = True
        self.take("(")
        args = [self.expr()]
        while self.peek() == ",":
            self.take()
            args.append(self.expr())
        self.take(")")
        if ACTIVATIONS[_HEADS[head]].parameter is not None and len(args) == 1:
            # the notation writes PReLU'(z_l) for ∂σ(z_l, α_l)/∂z_l: the slope of layer l
            if not isinstance(args[0], sp.Symbol):
                raise ParseError(f"{head}: cannot tell the layer of {args[0]}")
            index = args[0].name.partition("_")[2]
            args.append(_real(f"alpha_{index}" if index else "alpha"))
        out = sp.Derivative(f(*args), args[0]) if prime else f(*args)
        return out ** exp if exp is not None else out

    def symbol(self) -> sp.Expr:
        t = self.take()
        if self.notation == "matrix":
            return self.matrix_symbol(t)
        if t in _GREEK:
            base = _GREEK[t]
        elif re.fullmatch(r"[A-Za-z]", t):
            base = t
        else:
            raise ParseError(f"not a symbol: {t!r}")
        if self.peek() == "_":
            self.take()
            index = self.raw_group() if self.peek() == "{" else self.take()
            return _real(f"{base}_{index}")
        return _real(base)

    def matrix_symbol(self, t: str) -> sp.Expr:
        if t == r"\mathcal":
            if self.raw_group() != "L":
                raise ParseError("only \\mathcal{L}")
            return _real("C")
        if t == r"\hat":
            if self.raw_group() != "y":
                raise ParseError("only \\hat{y}")
            return _real(f"a_{self.depth}")
        if t == "x":
            return _real("a_0")
        kind = None
        if t == r"\tilde":
            if self.raw_group() != "h":
                raise ParseError("only \\tilde{h}")
            kind = "z"
        elif t in ("h", "W", "b"):
            kind = {"h": "a", "W": "w", "b": "b"}[t]
        elif t in _GREEK:
            kind = _GREEK[t]
            if self.peek() != "_":
                return _real(kind)
        elif re.fullmatch(r"[A-Za-z]", t):
            if self.peek() == "_":
                raise ParseError(f"{t}_... is not a symbol of the matrix notation")
            return _real(t)
        else:
            raise ParseError(f"not a symbol: {t!r}")
        self.take("_")
        index = self.raw_group() if self.peek() == "{" else self.take()
        return _real(f"{kind}_{index}")


def normal_form(expr) -> sp.Expr:
    """A display expression rebuilt the way the parser builds it: ordered products as
    products, z_l = w_l a_{l-1} + b_l evaluated, unevaluated powers evaluated, ∂C/∂a as the
    derivative of the symbol C, the slope factor ∂σ(z_l, α_l)/∂α_l as ∂a_l/∂α_l."""
    if isinstance(expr, OrderedProduct):
        return sp.Mul(*[normal_form(a) for a in expr.args])
    if type(expr).__name__ == "Preactivation":
        w, a, b = (normal_form(x) for x in expr.args)
        return w * a + b
    if isinstance(expr, sp.Derivative):
        inner, (var,) = expr.expr, expr.variables
        if isinstance(inner, sp.core.function.AppliedUndef):
            if inner.func.__name__ == "C":
                return sp.Derivative(_real("C"), var)
            if var != inner.args[0]:  # ∂a_l/∂α_l
                return sp.Derivative(_real("a" + inner.args[0].name[1:]), var)
        return sp.Derivative(normal_form(inner), var)
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*[(normal_form(e), c) for e, c in expr.args])
    if isinstance(expr, sp.Product):
        return sp.Product(normal_form(expr.function), *expr.limits)
    if expr.args and not isinstance(expr, (sp.core.function.AppliedUndef, sp.Symbol)):
        return expr.func(*[normal_form(a) for a in expr.args])
    return expr


def split_block(block: str) -> list[list[str]]:
    """The rows of an aligned block grouped into equations, each a list of term strings,
    the relation kept in front of every term after the first (``["lhs", "= rhs", ...]``)."""
    # a cases environment breaks its own rows: keep those inside the formula
    block = re.sub(r"\\begin\{cases\}.*?\\end\{cases\}",
                   lambda m: m.group(0).replace("\\\\", "\0"), block, flags=re.S)
    equations = []
    for row in (r.strip().replace("\0", "\\\\") for r in block.split("\\\\")):
        if not row:
            continue
        lhs, amp, rest = row.partition("&")
        if not amp:
            raise ParseError(f"row without alignment: {row!r}")
        if rest.startswith(r"\qquad"):
            cont = rest[len(r"\qquad"):]
            equations[-1][-1] += " " + cont
        elif lhs.strip():
            equations.append([lhs.strip(), rest.strip()])
        else:
            equations[-1].append(rest.strip())
    return equations


def display_blocks(document: str, fmt: str) -> list[str]:
    """The aligned blocks of a lecture document, in order."""
    if fmt == "tex":
        pattern = r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}"
    else:
        pattern = r"\$\$\n\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}\n\$\$"
    return re.findall(pattern, document, re.S)


_RELATION = re.compile(r"(=|\\leq|<)\s*(.*)$", re.S)
_RELATION_NAMES = {"=": "=", r"\leq": "<=", "<": "<"}


def check_document(text: str, fmt: str, d, notation: str = "nielsen") -> list[str]:
    """Every aligned formula of a lecture document parsed back and compared, whole, with the
    derivation's step it was printed from; returns the problems (empty when all agree)."""
    from symgrad.lecture.steps import dense_steps, derivation_steps
    dense = not d.network.is_chain
    steps = dense_steps(d) if dense else derivation_steps(d)
    blocks = display_blocks(text, fmt)
    if len(blocks) != len(steps):
        return [f"{len(blocks)} formula blocks for {len(steps)} steps"]
    parser = DenseNotationParser(d.L) if dense else NotationParser(notation, d.L)
    normal = dense_normal_form if dense else normal_form
    scalar_parser = NotationParser(notation, d.L)
    problems = []
    for k, (step, block) in enumerate(zip(steps, blocks)):
        try:
            printed = split_block(block)
        except ParseError as exc:
            problems.append(f"step {k}: {exc}")
            continue
        if len(printed) != len(step.equations):
            problems.append(f"step {k} ({step.group}): {len(printed)} equations printed, "
                            f"{len(step.equations)} derived")
            continue
        for e, terms in zip(step.equations, printed):
            if len(terms) != len(e.terms):
                problems.append(f"step {k}: {len(terms)} terms printed, {len(e.terms)} derived")
                continue
            for n, (want, got) in enumerate(zip(e.terms, terms)):
                if n:
                    m = _RELATION.match(got)
                    if m is None or _RELATION_NAMES[m.group(1)] != e.relations[n - 1]:
                        problems.append(f"step {k}: relation of {got!r}, derived "
                                        f"{e.relations[n - 1]!r}")
                        continue
                    got = m.group(2)
                # a dense lecture's scalar lines (σ'(z) and its bound) are the chain notation's
                scalar = (dense and not isinstance(want, sp.MatrixExpr)
                          and {x.name for x in getattr(want, "free_symbols", ())} <= {"z"})
                use, norm = (scalar_parser, normal_form) if scalar else (parser, normal)
                try:
                    value = use.parse(got)
                except (ParseError, KeyError, TypeError, ValueError) as exc:
                    problems.append(f"step {k}: cannot parse {got!r}: {exc}")
                    continue
                if value != norm(want):
                    problems.append(f"step {k}: {got!r} reads {value}, derived {norm(want)}")
    return problems


# -- the matrix notation of a dense network (row convention, shared/REFERENCE.md §2) -------------
#
# Matrices do not commute, so the dense parser builds non-commutative symbols named as
# symgrad.derivation names them (h̃_{2,i} -> z_2,i, ŷ -> a_L, x_i -> x,i, W_3 -> W_3, 𝓛 -> C), and
# each operation as an undefined function: T(X) for Xᵀ, odot(A, B) for A ⊙ B, D(A, B) for
# ∂A/∂B, nabla(v) for ∇_v 𝓛, diag, norm, sqnorm, Sum(body, i, N), sigmoid(X), sigmoid_prime(X).
# A product keeps its order, so a factor moved, lost or doubled reads differently.

def _nc(name: str) -> sp.Symbol:
    return sp.Symbol(name, commutative=False)


def _op(name: str):
    return sp.Function(name, commutative=False)


class DenseNotationParser(NotationParser):
    """Parse one formula of a dense network's matrix lecture."""

    def __init__(self, depth: int):
        super().__init__("matrix", depth)

    _STOP = NotationParser._STOP | {r"\odot", r"\right"}

    def summand(self) -> sp.Expr:
        return self.hadamard()

    def hadamard(self) -> sp.Expr:
        out = self.term()
        while self.peek() == r"\odot":
            self.take()
            out = _op("odot")(out, self.term())
        return out

    def power(self) -> sp.Expr:
        base = self.primary()
        while self.peek() == "^":
            self.take()
            if self.peek() == "{" and self.peek(1) == "T" and self.peek(2) == "}":
                self.i += 3
                base = _op("T")(base)
            else:
                exp = self.group() if self.peek() == "{" else sp.Integer(self.take())
                base = base ** exp
        return base

    def primary(self) -> sp.Expr:
        t = self.peek()
        if t == r"\left" and self.peek(1) == r"\lVert":
            self.i += 2
            inner = self.expr()
            self.take(r"\right")
            self.take(r"\rVert")
            if self.peek() == "_":
                self.take()
                if self.raw_group() != "2":
                    raise ParseError("only the 2-norm")
                self.take("^")
                if self.raw_group() != "2":
                    raise ParseError("only the squared 2-norm")
                return _op("sqnorm")(inner)
            return _op("norm")(inner)
        if t == r"\nabla":
            self.take()
            self.take("_")
            self.take("{")
            v = self.symbol()
            self.take("}")
            if self.symbol() != _nc("C"):
                raise ParseError("only the gradient of the loss")
            return _op("nabla")(v)
        if t == r"\sum":
            self.take()
            self.take("_")
            self.take("{")
            var = self.symbol()
            self.take("=")
            if self.take() != "1":
                raise ParseError("sums start at 1")
            self.take("}")
            self.take("^")
            hi = self.group()
            return _op("Sum")(self.hadamard(), var, hi)
        if t == r"\operatorname" and [self.peek(k) for k in range(1, 7)] == list("{diag}"):
            self.i += 7
            self.take(r"\left")
            self.take("(")
            inner = self.expr()
            self.take(r"\right")
            self.take(")")
            return _op("diag")(inner)
        return super().primary()

    def fraction(self) -> sp.Expr:
        if self.peek(2) == r"\partial":
            self.take(r"\frac")
            self.take("{")
            self.take(r"\partial")
            num = self.symbol()
            self.take("}")
            self.take("{")
            self.take(r"\partial")
            den = self.symbol()
            self.take("}")
            return _op("D")(num, den)
        return super().fraction()

    def activation(self) -> sp.Expr:
        head = self.take()
        if head == r"\operatorname":
            head = self.operator_head()
        if head not in _HEADS:
            raise ParseError(f"unknown function {head!r}")
        name = _HEADS[head]
        exp = None
        if self.peek() == "^":                             # tanh^{2}(z)
            self.take()
            exp = self.group()
        if self.peek() == "'":
            self.take()
            name += "_prime"
        self.take("(")
        arg = self.expr()
        self.take(")")
        out = _op(name)(arg)
        return out ** exp if exp is not None else out

    def symbol(self) -> sp.Expr:
        t = self.take()
        L = self.depth
        if t == r"\mathcal":
            if self.raw_group() != "L":
                raise ParseError("only \\mathcal{L}")
            return _nc("C")
        if t in (r"\hat", r"\tilde"):
            what = self.raw_group()
            if (t, what) not in ((r"\hat", "y"), (r"\tilde", "h")):
                raise ParseError(f"not a symbol: {t}{{{what}}}")
            kind = "z" if t == r"\tilde" else None
        elif t in ("h", "W", "b", r"\delta"):
            kind = {"h": "a", r"\delta": "delta"}.get(t, t)
        elif t == r"\mathbb":                               # the identity matrix
            if self.raw_group() != "I":
                raise ParseError("only \\mathbb{I}")
            return _nc("I")
        elif t in ("x", "y", "I", "z", "i", "N"):
            if self.peek() == "_":
                if t not in ("x", "y"):
                    raise ParseError(f"{t}_... is not a symbol of the matrix notation")
                self.take()
                return _nc(f"{t},{self.raw_group() if self.peek() == '{' else self.take()}")
            return _nc(t)
        else:
            raise ParseError(f"not a symbol: {t!r}")
        if kind is None:                                   # ŷ or ŷ_i
            if self.peek() == "_":
                self.take()
                return _nc(f"a_{L},{self.raw_group()}")
            return _nc(f"a_{L}")
        self.take("_")
        index = self.raw_group() if self.peek() == "{" else self.take()
        return _nc(f"{kind}_{index}")


def dense_normal_form(expr) -> sp.Expr:
    """A dense lecture step's display expression rebuilt the way :class:`DenseNotationParser`
    builds it (see the comment above)."""
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
    from sympy.matrices.expressions.diagonal import DiagMatrix
    f = dense_normal_form
    name = type(expr).__name__
    if isinstance(expr, (sp.MatrixSymbol, sp.Symbol)):
        n = expr.name
        return _nc("W" + n[1:] if n.startswith("w_") else n)
    if isinstance(expr, (OrderedProduct, sp.MatMul)):
        return sp.Mul(*[f(a) for a in expr.args])
    if isinstance(expr, sp.MatAdd):
        return sp.Add(*[f(a) for a in expr.args])
    if isinstance(expr, sp.Transpose):
        return _op("T")(f(expr.arg))
    if isinstance(expr, sp.HadamardProduct):
        out = f(expr.args[0])
        for a in expr.args[1:]:
            out = _op("odot")(out, f(a))
        return out
    if isinstance(expr, sp.Identity):
        return _nc("I")
    if isinstance(expr, DiagMatrix):
        return _op("diag")(f(expr.args[0]))
    if isinstance(expr, ElementwiseApplyFunction):
        fn = expr.function
        body = fn.expr if isinstance(fn, sp.Lambda) else None
        if isinstance(body, sp.Derivative):                # σ'(z) elementwise
            return _op(body.expr.func.__name__ + "_prime")(f(expr.expr))
        head = body.func.__name__ if body is not None else fn.__name__
        return _op(head)(f(expr.expr))                     # σ(z) elementwise
    if isinstance(expr, sp.Derivative):
        inner, (var,) = expr.expr, expr.variables
        if isinstance(inner, sp.core.function.AppliedUndef):   # σ'(z), scalar
            return _op(inner.func.__name__ + "_prime")(f(var))
        return _op("D")(f(inner), f(var))
    if isinstance(expr, sp.core.function.AppliedUndef):
        return _op(expr.func.__name__)(*[f(a) for a in expr.args])
    if name == "CostGradient":
        return _op("nabla")(f(expr.output))
    if name == "SampleSum":
        return _op("Sum")(f(expr.term), f(expr.index), f(expr.count))
    if name == "SquaredNorm":
        return _op("sqnorm")(f(expr.args[0]))
    if name == "Norm":
        return _op("norm")(f(expr.args[0]))
    if expr.is_Number:
        return expr
    if expr.args:
        return expr.func(*[f(a) for a in expr.args])
    return expr
