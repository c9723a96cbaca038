"""Printing a dense network's derivation: the four equations in matrix and component form.

The printers extend :class:`~symgrad.printing.printers.NielsenLatexPrinter` and
:class:`~symgrad.printing.printers.NielsenTextPrinter` with the matrix objects of
:mod:`symgrad.derivation`: the Hadamard product ⊙ (``\\odot``), σ'(z_l) applied elementwise,
∇_{a_L} C, softmax and the sum over samples.  Every sub-part is printed by the printer.

>>> from symgrad.model.network import Dense
>>> from symgrad.derivation import derive
>>> d = derive(Dense([2, 3, 2]))
>>> print(latex(d.delta_matrix(1)))
\\left(W_{2}^{T} \\delta_{2}\\right) \\odot \\sigma'(z_{1})
>>> print(text(d.delta_matrix(2)))
∇_{a_2} C ⊙ σ'(z_2)
>>> print(latex(d.weight_gradient(2, 1, 3)))
a^{1}_{3} \\delta^{2}_{1}
"""
from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.precedence import PRECEDENCE

from symgrad.derivation.nodes import CostGradient
from symgrad.derivation import Derivation
from symgrad.model.activations import Softmax
from symgrad.printing.printers import NielsenLatexPrinter, NielsenTextPrinter, gradient_lhs

__all__ = ["DenseLatexPrinter", "DenseMatrixLatexPrinter", "DenseTextPrinter", "latex", "text", "dense_equations",
           "latex_dense_derivation", "text_dense_derivation", "markdown_dense_derivation",
           "dense_derivation_json"]


def _elementwise_parts(expr: ElementwiseApplyFunction):
    """(activation name, 'value' | 'prime' | 'slope', z) of σ(z), σ'(z) or ∂a/∂α applied
    elementwise."""
    f, z = expr.function, expr.expr
    if isinstance(f, sp.Lambda):
        body, (t,) = f.expr, f.variables
        if isinstance(body, sp.Derivative) and isinstance(body.expr, AppliedUndef):
            kind = "prime" if body.variables == (t,) else "slope"
            return body.expr.func.__name__, kind, z
        if isinstance(body, AppliedUndef):
            return body.func.__name__, "value", z
    elif isinstance(f, sp.FunctionClass):
        return f.__name__, "value", z
    return None


def _wrap(printed: str, arg, pattern: str) -> str:
    """A product or sum inside a Hadamard product is parenthesized: (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l)."""
    return pattern % printed if isinstance(arg, (sp.MatMul, sp.MatAdd)) else printed


def _output_of(z) -> sp.Symbol:
    """z_l (or z_l,i) -> a_l: the layer output that belongs to a pre-activation."""
    return sp.MatrixSymbol("a" + z.name[1:], *z.shape)


class DenseLatexPrinter(NielsenLatexPrinter):
    """LaTeX of the matrix forms: ``\\left(W_{2}^{T} \\delta_{2}\\right) \\odot \\sigma'(z_{1})``."""

    printmethod = "_dense_latex"

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(_wrap(self._print(a), a, r"\left(%s\right)") for a in expr.args)

    def _print_ElementwiseApplyFunction(self, expr):
        parts = _elementwise_parts(expr)
        if parts is None:
            return super()._print_ElementwiseApplyFunction(expr)
        name, kind, z = parts
        head = self._activation_latex(name)
        if kind == "value":
            return f"{head}({self._print(z)})"
        if kind == "prime":
            return f"{head}'({self._print(z)})"
        return self._partial(_output_of(z), expr.function.expr.variables[0])

    def _activation_latex(self, name):
        from symgrad.model.activations import ACTIVATIONS
        return ACTIVATIONS[name].latex_name if name in ACTIVATIONS else Softmax.latex_name

    def _print_CostGradient(self, expr):
        return r"\nabla_{%s} C" % self._print(expr.output)

    def _print_SoftmaxOf(self, expr):
        return r"%s(%s)" % (Softmax.latex_name, self._print(expr.args[0]))

    def _print_SampleSum(self, expr):
        return r"\sum_{%s=1}^{%s} %s" % (self._print(expr.index), self._print(expr.count),
                                         self._print(expr.term))


class DenseTextPrinter(NielsenTextPrinter):
    """Plain text of the matrix forms: ``(W_2ᵀ delta_2) ⊙ σ'(z_1)``."""

    printmethod = "_dense_text"

    def _print_HadamardProduct(self, expr):
        return " ⊙ ".join(_wrap(self._print(a), a, "(%s)") for a in expr.args)

    def _print_MatAdd(self, expr):
        out = []
        for t in expr.args:
            if isinstance(t, sp.MatMul) and t.args[0] == -1:
                out.append(" − " + self._print(sp.MatMul(*t.args[1:])))
            else:
                out.append((" + " if out else "") + self._print(t))
        return "".join(out)

    def _print_MatMul(self, expr):
        return " ".join(self.parenthesize(a, PRECEDENCE["Mul"], strict=False) for a in expr.args)

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        return (inner if isinstance(expr.arg, sp.MatrixSymbol) else f"({inner})") + "ᵀ"

    def _print_MatrixSymbol(self, expr):
        name = expr.name
        return "δ" + name[5:] if name.startswith("delta_") else name

    def _print_Symbol(self, expr):
        name = expr.name
        if name.startswith("delta"):
            return "δ" + name[5:]
        if name.startswith("alpha"):
            return "α" + name[5:]
        return super()._print_Symbol(expr)

    def _print_ElementwiseApplyFunction(self, expr):
        parts = _elementwise_parts(expr)
        if parts is None:
            return super()._print_ElementwiseApplyFunction(expr)
        name, kind, z = parts
        head = self._name(name) if name != "softmax" else "softmax"
        if kind == "value":
            return f"{head}({self._print(z)})"
        if kind == "prime":
            return f"{head}'({self._print(z)})"
        return f"∂{self._print(_output_of(z))}/∂{self._print(expr.function.expr.variables[0])}"

    def _print_CostGradient(self, expr):
        return f"∇_{{{self._print(expr.output)}}} C"

    def _print_SoftmaxOf(self, expr):
        return f"softmax({self._print(expr.args[0])})"

    def _print_SampleSum(self, expr):
        return f"Σ_{{{self._print(expr.index)}=1..{self._print(expr.count)}}} " \
               f"{self._print(expr.term)}"


def latex(expr, **settings) -> str:
    """LaTeX of a dense expression (matrix or component form)."""
    return DenseLatexPrinter(settings).doprint(expr)


def text(expr, **settings) -> str:
    """Plain text of a dense expression."""
    return DenseTextPrinter(settings).doprint(expr)


def _lhs_matrix(name: str):
    return gradient_lhs(name)


def dense_equations(d: Derivation, l: int) -> list[tuple]:
    """Layer l's equations as (label, lhs, rhs) in display objects: the matrix forms of δ_l,
    ∂C/∂b_l, ∂C/∂W_l (and ∂C/∂α_l), then the component forms with generic indices."""
    net = d.network
    delta = net.delta(l)
    rows = [("delta", delta, d.delta_matrix(l)),
            ("b", _lhs_matrix(f"b_{l}"), d.gradient_matrix(f"b_{l}")),
            ("W", _lhs_matrix(f"W_{l}"), d.gradient_matrix(f"W_{l}"))]
    if net.has_slope(l):
        rows.append(("alpha", _lhs_matrix(f"alpha_{l}"), d.gradient_matrix(f"alpha_{l}")))
    return rows


def _component_rows(d: Derivation, l: int) -> list[tuple]:
    """(symbol, closed form) for δ^l_j and every parameter component of layer l."""
    net = d.network
    samples = [None] if net.samples == 1 else list(net.sample_range)
    rows = [(net.delta_(l, j, i), d.delta_component(l, j, i))
            for i in samples for j in range(1, net.n(l) + 1)]
    for name in (f"b_{l}", f"W_{l}") + ((f"alpha_{l}",) if net.has_slope(l) else ()):
        rows += [(gradient_lhs(sym.name), g) for _, sym, g in d.component_gradients(name)]
    return rows


def _generic(l: int, L: int, softmax: bool, linear: bool, samples: int) -> dict:
    """The component forms with generic indices j, k (and the sample i when N > 1), as
    LaTeX and text."""
    i, it = (",i", ",i") if samples > 1 else ("", "")
    s = r"\sum_{i=1}^{N} " if samples > 1 else ""
    st = "Σ_i " if samples > 1 else ""
    sig = "" if linear else r"\sigma_{%d}'(z^{%d}_{j%s}) " % (l, l, i)
    sigt = "" if linear else f"σ_{l}'(z^{l}_j{it}) "
    if l == L:
        delta = (r"\delta^{%d}_{j%s} = a^{%d}_{j%s} - y_{j%s}" % (l, i, l, i, i) if softmax else
                 r"\delta^{%d}_{j%s} = %s\frac{\partial C}{\partial a^{%d}_{j%s}}" % (l, i, sig, l, i))
        delta_t = (f"δ^{l}_j{it} = a^{l}_j{it} − y_j{it}" if softmax
                   else f"δ^{l}_j{it} = {sigt}∂C/∂a^{l}_j{it}")
    else:
        delta = r"\delta^{%d}_{j%s} = %s\sum_{k} w^{%d}_{kj} \delta^{%d}_{k%s}" % (
            l, i, sig, l + 1, l + 1, i)
        delta_t = f"δ^{l}_j{it} = {sigt}Σ_k w^{l + 1}_kj δ^{l + 1}_k{it}"
    return {
        "delta": {"latex": delta, "text": delta_t},
        "b": {"latex": r"\frac{\partial C}{\partial b^{%d}_{j}} = %s\delta^{%d}_{j%s}" % (l, s, l, i),
              "text": f"∂C/∂b^{l}_j = {st}δ^{l}_j{it}"},
        "W": {"latex": r"\frac{\partial C}{\partial w^{%d}_{jk}} = %sa^{%d}_{k%s} \delta^{%d}_{j%s}"
                       % (l, s, l - 1, i, l, i),
              "text": f"∂C/∂w^{l}_jk = {st}a^{l - 1}_k{it} δ^{l}_j{it}"},
    }


def dense_derivation_json(d: Derivation, proofs: dict | None = None, *,
                          explicit_limit: int = 5000) -> dict:
    """The JSON object of ``symgrad derive --widths ... --format json``: per layer the matrix
    forms and the component forms (generic, and every component written out while the
    network has at most ``explicit_limit`` parameters)."""
    net = d.network
    proofs = proofs or {}
    verified = bool(proofs) and all(p.verified for p in proofs.values())
    explicit = net.parameter_count() <= explicit_limit
    layers = []
    for l in range(net.L, 0, -1):
        act = net.sigma(l)
        linear = not isinstance(act, Softmax) and act.is_linear
        entry = {
            "layer": l, "width": net.n(l), "activation": act.name,
            "matrix": {label: {"latex": f"{latex(lhs)} = {latex(rhs)}",
                               "text": f"{text(lhs)} = {text(rhs)}"}
                       for label, lhs, rhs in dense_equations(d, l)},
            "components": _generic(l, net.L, net.softmax_output and l == net.L, linear,
                                   net.samples),
        }
        if explicit:
            entry["components"]["explicit"] = [
                {"latex": f"{latex(lhs)} = {latex(rhs)}", "text": f"{text(lhs)} = {text(rhs)}"}
                for lhs, rhs in _component_rows(d, l)]
        else:
            entry["components"]["explicit_omitted"] = (
                f"{net.parameter_count()} parameters > {explicit_limit}: the generic forms above "
                "hold for every j, k")
        layers.append(entry)
    return {
        "network": net.describe(),
        "forward": [{"latex": f"{latex(e.lhs)} = {latex(e.rhs)}", "text": f"{text(e.lhs)} = {text(e.rhs)}"}
                    for e in net.forward_equations()],
        "layers": layers,
        "verified": verified,
        "proofs": {k: p.as_dict() for k, p in proofs.items()},
    }


def _rows(d: Derivation, printer) -> list[str]:
    out = []
    for l in range(d.L, 0, -1):
        for _, lhs, rhs in dense_equations(d, l):
            out.append(f"{printer(lhs)} = {printer(rhs)}")
    return out


def text_dense_derivation(d: Derivation) -> str:
    """The forward pass, the four equations per layer and the generic component forms."""
    net = d.network
    lines = [repr(net), ""]
    lines += [f"{text(e.lhs)} = {text(e.rhs)}" for e in net.forward_equations()]
    lines.append("")
    lines += _rows(d, text)
    lines.append("")
    for l in range(net.L, 0, -1):
        act = net.sigma(l)
        g = _generic(l, net.L, net.softmax_output and l == net.L,
                     not isinstance(act, Softmax) and act.is_linear, net.samples)
        lines += [g["delta"]["text"], g["b"]["text"], g["W"]["text"]]
    return "\n".join(lines) + "\n"


def latex_dense_derivation(d: Derivation) -> str:
    """The matrix forms as one LaTeX ``align*`` block."""
    rows = []
    for l in range(d.L, 0, -1):
        for _, lhs, rhs in dense_equations(d, l):
            rows.append(f"{latex(lhs)} &= {latex(rhs)}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def markdown_dense_derivation(d: Derivation) -> str:
    """Markdown with ``$$`` display math: forward pass, matrix forms, component forms."""
    net = d.network
    out = [f"# Gradients of `{net!r}`", "", "## Forward pass", ""]
    for e in net.forward_equations():
        out += ["$$", f"{latex(e.lhs)} = {latex(e.rhs)}", "$$", ""]
    for l in range(net.L, 0, -1):
        act = net.sigma(l)
        out += [f"## Layer {l} ({act.name}, width {net.n(l)})", ""]
        for _, lhs, rhs in dense_equations(d, l):
            out += ["$$", f"{latex(lhs)} = {latex(rhs)}", "$$", ""]
        g = _generic(l, net.L, net.softmax_output and l == net.L,
                     not isinstance(act, Softmax) and act.is_linear, net.samples)
        for key in ("delta", "b", "W"):
            out += ["$$", g[key]["latex"], "$$", ""]
    return "\n".join(out)


# -- the tilde notation of the row-vector lecture (shared/REFERENCE.md §2) ----------------------

import re as _re  # noqa: E402

from symgrad.printing.printers import MatrixLatexPrinter  # noqa: E402

#: a dense symbol's name: kind, layer, and the sample after a comma (``z_1,i``, ``x,i``, ``y``)
_DENSE_NAME = _re.compile(r"^(z|a|delta|W|b)_(\d+|[a-zA-Z](?:[+-]1)?)(?:,(\w+))?$|^(x|y)(?:,(\w+))?$")


class DenseMatrixLatexPrinter(DenseLatexPrinter, MatrixLatexPrinter):
    """The matrix forms of a dense network in the tilde notation of the row-vector lecture:
    h̃_{l,i}, h_{l,i}, the input x_i, the output ŷ_i (pass ``depth=L``), W_l, δ_l, the loss 𝓛,
    ⊙ for the elementwise product, diag(·) for a diagonal Jacobian, ‖·‖ for a norm.

    >>> p = DenseMatrixLatexPrinter({"depth": 3})
    >>> row = lambda name, n: sp.MatrixSymbol(name, 1, n)
    >>> print(p.doprint(sp.MatMul(row("a_1,i", 4), sp.MatrixSymbol("W_2", 4, 4))))
    h_{1,i} W_{2}
    >>> print(p.doprint(sp.Transpose(sp.MatrixSymbol("x,i", 3, 1))), p.doprint(row("a_3,i", 2)))
    x_{i}^{T} \\hat{y}_{i}
    """

    printmethod = "_dense_matrix_latex"
    notation = "matrix"
    product_separator = r" \cdot "

    def _print_MatrixSymbol(self, expr):
        m = _DENSE_NAME.match(expr.name)
        if m is None:
            return super()._print_MatrixSymbol(expr)
        kind, layer, sample, plain, plain_sample = m.groups()
        if plain is not None:                       # x_i, y_i
            return plain + (f"_{{{plain_sample}}}" if plain_sample else "")
        depth = self._settings.get("depth")
        tail = f",{sample}" if sample else ""
        if kind == "a" and layer == "0":
            return "x" + (f"_{{{sample}}}" if sample else "")
        if kind == "a" and depth is not None and layer == str(depth):
            return r"\hat{y}" + (f"_{{{sample}}}" if sample else "")
        head = {"z": r"\tilde{h}", "a": "h", "delta": r"\delta", "W": "W", "b": "b"}[kind]
        return f"{head}_{{{layer}{tail}}}"

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        if not isinstance(expr.arg, sp.MatrixSymbol):
            inner = r"\left(%s\right)" % inner
        return f"{inner}^{{T}}"

    def _print_MatMul(self, expr):
        # h_{1,i} W_{2}: juxtaposition, a sum inside in parentheses
        return " ".join(r"\left(%s\right)" % self._print(a)
                        if isinstance(a, (sp.MatAdd, sp.HadamardProduct, CostGradient))
                        else self._print(a) for a in expr.args)

    def _print_MatAdd(self, expr):
        # the linear part in the row convention, product first: h_{1,i} W_{2} + b_{2}
        out = []
        def negated(t):
            return isinstance(t, sp.MatMul) and t.args[0] == -1
        for t in sorted(expr.args, key=lambda t: (negated(t), not isinstance(t, sp.MatMul))):
            if negated(t):
                out.append(" - " + self._print(sp.MatMul(*t.args[1:])))
            else:
                out.append((" + " if out else "") + self._print(t))
        return "".join(out)

    def _print_DiagMatrix(self, expr):
        return r"\operatorname{diag}\left(%s\right)" % self._print(expr.args[0])

    def _print_CostGradient(self, expr):
        return r"\nabla_{%s} \mathcal{L}" % self._print(expr.output)

    def _print_SquaredNorm(self, expr):
        return r"\left\lVert %s\right\rVert_{2}^{2}" % self._print(expr.args[0])

    def _print_Norm(self, expr):
        return r"\left\lVert %s\right\rVert" % self._print(expr.args[0])
