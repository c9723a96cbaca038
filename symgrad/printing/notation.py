"""The notations: one table each, read by the printers of :mod:`symgrad.printing.printers`.

A symbol's name says what it is: a kind, a layer and a sample (``z_3``, ``a_0,i``,
``delta_2``, ``W_2``); the table says how the notation writes it.

* ``nielsen`` -- Nielsen's chapter 5: z_l, a_l, w_l (W_l), b_l, δ_l, α_l, C, σ'(z_l), a
  layer's activation σ_l when it is not named, products by juxtaposition, the linear part
  w_l a_{l-1} + b_l;
* ``matrix`` -- the tilde style of the row-vector lecture notes: h̃_l for the linear part,
  h_l for the activation, x = h_0, ŷ = h_L, W_l, b_l, the loss 𝓛, products with ``\\cdot``,
  the linear part in the row convention h_{l-1} W_l + b_l, and ∇ℒ bracketed inside a
  matrix product.

Plain text is written in the ``nielsen`` notation only: its table carries the text forms
(δ, α, σ, ᵀ, ⊙, −).

>>> NIELSEN.latex_symbol("z_3"), MATRIX.latex_symbol("z_3"), MATRIX.latex_symbol("a_0,i")
('z_{3}', '\\\\tilde{h}_{3}', 'x_{i}')
>>> MATRIX.latex_symbol("a_4", depth=4), NIELSEN.latex_symbol("w^2_1,3") is None
('\\\\hat{y}', True)
>>> NIELSEN.text_symbol("delta_2,i"), NIELSEN.text_symbol("alpha^1")
('δ_2,i', 'α^1')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping

__all__ = ["Notation", "NIELSEN", "MATRIX", "NOTATIONS", "LAYER_NAME", "SAMPLE_NAME"]

#: a layer symbol's name: kind, layer, and the sample after a comma (``z_3``, ``a_0,i``)
LAYER_NAME = re.compile(r"^(z|a|w|W|b|alpha|delta)_([^,]+)(?:,(.+))?$")
#: the input or target of one sample (``x,i``, ``y,2``) or of the only one (``y``)
SAMPLE_NAME = re.compile(r"^(x|y)(?:,(.+))?$")
#: a text head written as a Greek letter, with what follows it kept (``delta^2_1`` -> δ^2_1)
_GREEK_HEAD = re.compile(r"^(alpha|delta)(?=$|[_^,])")


@dataclass(frozen=True)
class Notation:
    """How one notation writes the symbols and operations of a derivation."""

    name: str
    #: LaTeX head of each kind of symbol that carries a layer (and of x, y where listed)
    heads: Mapping[str, str]
    #: the cost C (Nielsen) or the loss 𝓛
    cost: str = "C"
    #: a_0 written as the input (x), or None to write it a_0
    input: str | None = None
    #: a_L written as the output (ŷ), or None to write it a_L
    output: str | None = None
    #: between two factors of an ordered product
    product: str = " "
    #: the linear part as h_{l-1} W_l + b_l (the weight on the right of a row)
    row_convention: bool = False
    #: ∇ℒ in parentheses inside a matrix product (the row convention reads ``(∇ℒ) Wᵀ``)
    bracket_gradient: bool = False
    #: σ_l, the activation of layer l where a formula holds for every activation
    layer_activation: str = r"\sigma"
    #: plain text: Greek heads, activation names, and the operations
    text_greek: Mapping[str, str] = field(default_factory=lambda: {"alpha": "α", "delta": "δ"})
    text_activations: Mapping[str, str] = field(default_factory=lambda: {
        r"\sigma": "σ", r"\tanh": "tanh", r"\varphi": "φ",
        r"\operatorname{GELU}_{\tanh}": "GELU_tanh"})
    text_relations: Mapping[str, str] = field(default_factory=lambda: {
        "<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "=", "!=": "≠"})
    text_transpose: str = "ᵀ"
    text_hadamard: str = " ⊙ "
    text_minus: str = " − "
    text_layer_activation: str = "σ"

    def latex_symbol(self, name: str, depth: int | None = None) -> str | None:
        """The LaTeX of a symbol named ``name``, or None where the table has no rule (the
        printer then writes the name as SymPy does)."""
        m = LAYER_NAME.match(name)
        if m is not None and m.group(1) in self.heads:
            kind, layer, sample = m.groups()
            if kind == "a" and layer == "0" and self.input is not None:
                return self.input + (f"_{{{sample}}}" if sample else "")       # x, x_i
            if kind == "a" and self.output is not None and \
                    (layer == "L" or (depth is not None and layer == str(depth))):
                return self.output + (f"_{{{sample}}}" if sample else "")      # ŷ, ŷ_i
            return f"{self.heads[kind]}_{{{layer}{',' + sample if sample else ''}}}"
        m = SAMPLE_NAME.match(name)
        if m is not None and m.group(1) in self.heads:
            kind, sample = m.groups()
            return self.heads[kind] + (f"_{{{sample}}}" if sample else "")
        return self.cost if name == "C" else None

    def text_symbol(self, name: str) -> str | None:
        """The plain text of a symbol named ``name`` where it differs from the name:
        ``delta_3`` -> δ_3, ``alpha_2`` -> α_2."""
        m = _GREEK_HEAD.match(name)
        if m is None:
            return None
        return self.text_greek[m.group(1)] + name[m.end():]

    def text_activation(self, latex_name: str) -> str:
        """An activation's name in plain text: σ, tanh, φ, or the word of its
        ``\\operatorname{...}`` (ReLU, PReLU, ...)."""
        if latex_name in self.text_activations:
            return self.text_activations[latex_name]
        return re.sub(r"\\operatorname\{([^}]*)\}", r"\1", latex_name)


NIELSEN = Notation(
    name="nielsen",
    heads={"z": "z", "a": "a", "w": "w", "W": "W", "b": "b", "alpha": r"\alpha",
           "delta": r"\delta"},
)

MATRIX = replace(
    NIELSEN,
    name="matrix",
    heads={"z": r"\tilde{h}", "a": "h", "w": "W", "W": "W", "b": "b", "alpha": r"\alpha",
           "delta": r"\delta", "x": "x", "y": "y"},
    cost=r"\mathcal{L}",
    input="x",
    output=r"\hat{y}",
    product=r" \cdot ",
    row_convention=True,
    bracket_gradient=True,
)

#: every notation by its name
NOTATIONS = {n.name: n for n in (NIELSEN, MATRIX)}
