"""Documents of a derivation: plain text, LaTeX, Markdown and JSON, one function per format
for every network.

A derivation is first laid out as blocks of equations (:func:`blocks`): for a chain the
closed forms of every gradient and ∂C/∂a_L; for a dense network the forward pass, each
layer's four equations in matrix form and with generic indices.  Each format then writes
the blocks its way; given the ``proofs`` of :func:`symgrad.prove.prove_all`, a gradient
whose proof failed is marked ``(not proven)``.

>>> from symgrad import Chain, derive
>>> print(text_gradient(derive(Chain(depth=4)), "w_1"))
∂C/∂w_1 = a_0 σ'(z_1) w_2 σ'(z_2) w_3 σ'(z_3) w_4 σ'(z_4) ∂C/∂a_4
>>> print(latex_gradient(derive(Chain(depth=4)), "b_3"))
\\frac{\\partial C}{\\partial b_{3}} = \\sigma'(z_{3}) w_{4} \\sigma'(z_{4}) \\frac{\\partial C}{\\partial a_{4}}
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from symgrad.derivation import Derivation, OrderedProduct
from symgrad.model.network import layer_function
from symgrad.printing.forms import (FactorPrinter, gradient_form, gradient_lhs,
                                    generic_components, matrix_equations)
from symgrad.printing.printers import NielsenLatexPrinter, NielsenTextPrinter, latex_rows

__all__ = ["Row", "Block", "EXPLICIT_LIMIT", "NOT_PROVEN", "blocks", "unproven",
           "latex_gradient", "text_gradient", "text_derivation", "latex_derivation",
           "markdown_derivation", "json_derivation", "repr_latex", "repr_markdown"]

#: a dense network's JSON writes every component out up to this many parameters
EXPLICIT_LIMIT = 5000
#: what stands beside a gradient whose proof failed
NOT_PROVEN = "not proven"
#: a proof's failure (``b_2``, ``w^1_1,2``, ``alpha_3``): the kind and the layer
_FAILURE = re.compile(r"^(b|w|W|alpha)(?:\^(\d+)_|_(\d+))")


@dataclass(frozen=True)
class Row:
    """One line of a document: an equation ``lhs = rhs`` (or words, ``line``), the words
    that follow it in plain text, and the parameters whose gradient it states."""

    lhs: object = None
    rhs: object = None
    note: str = ""
    parameters: tuple = ()
    text_only: bool = False
    line: str | None = None


@dataclass(frozen=True)
class Block:
    """Rows that belong together: plain text lists the blocks of one ``kind`` together,
    Markdown opens a section at a ``heading``, LaTeX writes the blocks marked ``latex``."""

    kind: str
    rows: tuple
    heading: str | None = None
    latex: bool = True


def _chain_blocks(d: Derivation, form: str) -> list[Block]:
    net = d.network
    out = []
    if form == "recurrence":
        # δ_l = ∂C/∂z_l, the name the recurrence form uses
        delta = (sp.Symbol("delta_l", real=True),
                 sp.Derivative(sp.Symbol("C", real=True), sp.Symbol("z_l", real=True)))
        out.append(Block("definition", (Row(*delta, "   (each gradient in terms of the next "
                                                    "layer's δ)"),)))
    out.append(Block("gradients", tuple(Row(gradient_lhs(p), gradient_form(d, p, form=form),
                                            parameters=(p,)) for p in d.parameter_names())))
    rows = [Row(d.dC_da(), d.concrete(d.dC_da()), f"   ({net.cost.description})")]
    # each activation's local factors, written for a generic layer l
    z, a, alpha = (sp.Symbol(f"{s}_l", real=True) for s in ("z", "a", "alpha"))
    for act in dict.fromkeys(net.activations):
        if act.is_linear:
            continue
        unit = layer_function(act)(*((z, alpha) if act.parameter is not None else (z,)))
        local = act.derivative_in_a(a)
        rows.append(Row(sp.Derivative(unit, z), local if local is not None else
                        act.derivative(z, alpha), text_only=True))
        if act.parameter is not None:
            rows.append(Row(sp.Derivative(unit, alpha), act.parameter_derivative(z, alpha),
                            text_only=True))
        if act.kink:
            rows.append(Row(line=f"  at the kink: {act.kink}", text_only=True))
    return out + [Block("cost", tuple(rows))]


def _dense_blocks(d: Derivation) -> list[Block]:
    net = d.network
    out = [Block("forward", tuple(Row(e.lhs, e.rhs) for e in net.forward_equations()),
                 heading="Forward pass", latex=False)]
    for l in range(net.L, 0, -1):
        # δ_l is proven with ∂C/∂b_l = δ_l
        of = {"delta": f"b_{l}", "b": f"b_{l}", "W": f"W_{l}", "alpha": f"alpha_{l}"}
        matrix = tuple(Row(lhs, rhs, parameters=(of[label],))
                       for label, lhs, rhs in matrix_equations(d, l))
        generic = tuple(Row(lhs, rhs, parameters=(of[label],))
                        for label, (lhs, rhs) in generic_components(d, l).items())
        out += [Block("matrix", matrix, heading=f"Layer {l} ({net.sigma(l).name}, width "
                                                f"{net.n(l)})"),
                Block("components", generic, latex=False)]
    return out


def blocks(d: Derivation, form: str = "expanded") -> list[Block]:
    """The blocks of equations a document of ``d`` writes (``form`` for a chain's
    gradients: every factor written out, or in terms of the next δ)."""
    return _chain_blocks(d, form) if d.network.is_chain else _dense_blocks(d)


def unproven(d: Derivation, proofs: dict | None) -> set[str]:
    """The parameters whose gradient was not proven: those the network's proof failed on,
    or all of them when a proof it rests on (an activation's σ', the cost's ∂C/∂a) failed
    or was not made.  Without ``proofs`` nothing is claimed, and nothing is marked."""
    if proofs is None:
        return set()
    net = d.network
    everything = set(net.parameter_names())
    network = proofs.get("chain" if net.is_chain else "dense")
    if network is None or not all(p.verified for k, p in proofs.items()
                                  if k not in ("chain", "dense")):
        return everything
    out = set()
    for failure in network.failures:
        m = _FAILURE.match(failure)
        if m is None:
            return everything
        kind = "W" if m.group(1) in ("w", "W") else m.group(1)
        out.add(net.canonical(f"{kind}_{m.group(2) or m.group(3)}"))
    return out


class _Writer:
    """Rows in one printer's notation: LaTeX or plain text, a mark where not proven."""

    def __init__(self, printer, d: Derivation, proofs, concrete=False):
        self.printer, self.marks = printer, unproven(d, proofs)
        self.factors = FactorPrinter(printer, d, concrete)
        self.latex = isinstance(printer, NielsenLatexPrinter)

    def expr(self, e) -> str:
        if isinstance(e, OrderedProduct):
            return self.factors.product(e)
        return self.factors.expression(e)

    def mark(self, row: Row) -> str:
        if not self.marks.intersection(row.parameters):
            return ""
        return r" \quad \text{(%s)}" % NOT_PROVEN if self.latex else f"   ({NOT_PROVEN})"

    def equation(self, row: Row, relation: str = " = ") -> str:
        return f"{self.expr(row.lhs)}{relation}{self.expr(row.rhs)}{self.mark(row)}"

    def text(self, row: Row) -> str:
        return row.line if row.line is not None else self.equation(row) + row.note


def _shown(blocks_, fmt: str):
    """The rows a format writes, block by block."""
    for b in blocks_:
        rows = [r for r in b.rows if not r.text_only]
        if fmt == "markdown" or b.latex:
            yield b, rows


def text_derivation(d: Derivation, form: str = "expanded", proofs: dict | None = None) -> str:
    """Plain text: the network, then the rows of each kind of block, one equation a line."""
    w = _Writer(NielsenTextPrinter(), d, proofs)
    kinds: dict = {}
    for b in blocks(d, form):
        kinds.setdefault(b.kind, []).extend(b.rows)
    lines = [repr(d.network)]
    for rows in kinds.values():
        lines += [""] + [w.text(r) for r in rows]
    return "\n".join(lines) + "\n"


def latex_derivation(d: Derivation, form: str = "expanded", proofs: dict | None = None) -> str:
    """One LaTeX ``align*`` block: a chain's closed forms and ∂C/∂a_L, a dense network's
    matrix forms."""
    w = _Writer(NielsenLatexPrinter(), d, proofs)
    rows = [w.equation(r, " &= ") for _, rows in _shown(blocks(d, form), "latex") for r in rows]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def markdown_derivation(d: Derivation, form: str = "expanded",
                        proofs: dict | None = None) -> str:
    """Markdown with ``$$`` display math (KaTeX and MathJax), a section per heading."""
    w = _Writer(NielsenLatexPrinter(), d, proofs)
    out = [f"# Gradients of `{d.network!r}`", ""]
    for b, rows in _shown(blocks(d, form), "markdown"):
        out += [f"## {b.heading}", ""] if b.heading else []
        for r in rows:
            out += ["$$", w.equation(r), "$$", ""]
    return "\n".join(out)


def _both(latex_writer: _Writer, text_writer: _Writer, lhs, rhs) -> dict:
    return {"latex": f"{latex_writer.expr(lhs)} = {latex_writer.expr(rhs)}",
            "text": f"{text_writer.expr(lhs)} = {text_writer.expr(rhs)}"}


def _chain_json(d: Derivation, proofs: dict, form: str) -> dict:
    marks = unproven(d, proofs)
    lw, tw = (_Writer(p(), d, proofs) for p in (NielsenLatexPrinter, NielsenTextPrinter))
    cl, ct = (_Writer(p(), d, proofs, "a") for p in (NielsenLatexPrinter, NielsenTextPrinter))
    dC_da = d.concrete(d.dC_da())
    gradients = []
    for name in d.parameter_names():
        lhs, rhs = gradient_lhs(name), gradient_form(d, name, form=form)
        gradients.append({"parameter": name,
                          "latex": f"{lw.expr(lhs)} = {lw.expr(rhs)}",
                          "text": f"{tw.expr(lhs)} = {tw.expr(rhs)}",
                          "concrete_latex": f"{cl.expr(lhs)} = {cl.expr(rhs)}",
                          "concrete_text": f"{ct.expr(lhs)} = {ct.expr(rhs)}",
                          "verified": name not in marks})
    return {"network": d.network.describe(), "form": form,
            "dC_da_L": {"latex": lw.expr(d.dC_da()), "concrete_latex": lw.expr(dC_da),
                        "text": tw.expr(dC_da)},
            "gradients": gradients,
            "proofs": {k: p.as_dict() for k, p in proofs.items()}}


def _component_rows(d: Derivation, l: int) -> list[tuple]:
    """(symbol, closed form) for δ^l_j and every parameter component of layer l."""
    net = d.network
    samples = [None] if net.samples == 1 else list(net.sample_range)
    rows = [(net.delta_(l, j, i), d.delta_component(l, j, i))
            for i in samples for j in range(1, net.n(l) + 1)]
    for name in (f"b_{l}", f"W_{l}") + ((f"alpha_{l}",) if net.has_slope(l) else ()):
        rows += [(gradient_lhs(sym.name), g) for _, sym, g in d.component_gradients(name)]
    return rows


def _dense_json(d: Derivation, proofs: dict, explicit_limit: int) -> dict:
    net = d.network
    lw, tw = (_Writer(p(), d, proofs) for p in (NielsenLatexPrinter, NielsenTextPrinter))
    explicit = net.parameter_count() <= explicit_limit
    layers = []
    for l in range(net.L, 0, -1):
        components = {label: _both(lw, tw, lhs, rhs)
                      for label, (lhs, rhs) in generic_components(d, l).items()}
        if explicit:
            components["explicit"] = [_both(lw, tw, lhs, rhs) for lhs, rhs in _component_rows(d, l)]
        else:
            components["explicit_omitted"] = (
                f"{net.parameter_count()} parameters > {explicit_limit}: the generic forms above "
                "hold for every j, k")
        layers.append({"layer": l, "width": net.n(l), "activation": net.sigma(l).name,
                       "matrix": {label: _both(lw, tw, lhs, rhs)
                                  for label, lhs, rhs in matrix_equations(d, l)},
                       "components": components})
    return {"network": net.describe(),
            "forward": [_both(lw, tw, e.lhs, e.rhs) for e in net.forward_equations()],
            "layers": layers,
            "verified": bool(proofs) and all(p.verified for p in proofs.values()),
            "proofs": {k: p.as_dict() for k, p in proofs.items()}}


def json_derivation(d: Derivation, proofs: dict | None = None, form: str = "expanded", *,
                    explicit_limit: int = EXPLICIT_LIMIT) -> dict:
    """The JSON object of ``symgrad derive --format json``: a chain's gradients (symbolic and
    concrete, each ``verified`` or not), or a dense network's forward pass and per layer the
    matrix forms and the component forms (generic, and every component written out while
    the network has at most ``explicit_limit`` parameters), with the proofs."""
    proofs = proofs or {}
    return _chain_json(d, proofs, form) if d.network.is_chain else \
        _dense_json(d, proofs, explicit_limit)


def latex_gradient(d: Derivation, parameter: str, concrete: bool | str = False,
                   form: str = "expanded") -> str:
    """``\\frac{\\partial C}{\\partial p} = ...``: factors in network order (a chain), the
    matrix form (a dense network)."""
    p = NielsenLatexPrinter()
    return f"{p.doprint(gradient_lhs(parameter))} = " \
           f"{p.doprint(gradient_form(d, parameter, concrete, form))}"


def text_gradient(d: Derivation, parameter: str, concrete: bool | str = False,
                  form: str = "expanded") -> str:
    """``∂C/∂p = ...`` in plain text.

    >>> from symgrad import Chain, derive
    >>> text_gradient(derive(Chain(depth=4)), "w_2", form="recurrence")
    "∂C/∂w_2 = a_1 σ'(z_2) w_3 δ_3"
    """
    p = NielsenTextPrinter()
    return f"{p.doprint(gradient_lhs(parameter))} = " \
           f"{p.doprint(gradient_form(d, parameter, concrete, form))}"


def repr_latex(d: Derivation) -> str:
    """A derivation's closed forms (a dense network's matrix forms) in one ``aligned`` block,
    what a notebook shows.

    >>> from symgrad import Chain, derive
    >>> print(repr_latex(derive(Chain(depth=1))))
    $$\\begin{aligned}
    \\frac{\\partial C}{\\partial b_{1}} &= \\sigma'(z_{1}) \\frac{\\partial C}{\\partial a_{1}} \\\\
    \\frac{\\partial C}{\\partial w_{1}} &= a_{0} \\sigma'(z_{1}) \\frac{\\partial C}{\\partial a_{1}} \\\\
    \\frac{\\partial C}{\\partial a_{1}} &= a_{1} - y
    \\end{aligned}$$
    """
    printer = NielsenLatexPrinter()
    rows = []
    for _, shown in _shown(blocks(d), "latex"):
        for r in shown:
            rows += latex_rows(printer, (r.lhs, r.rhs), ("=",), width=80)
    return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"


def repr_markdown(d: Derivation) -> str:
    """A heading naming the network, then :func:`repr_latex` (KaTeX and MathJax)."""
    return f"**Gradients of** `{d.network!r}`\n\n" + repr_latex(d) + "\n"
