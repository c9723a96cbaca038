"""Printing: SymPy printer subclasses driven by one notation table per notation, and the
documents of a derivation in plain text, LaTeX, Markdown and JSON."""
from __future__ import annotations

from symgrad.printing.notation import MATRIX, NIELSEN, NOTATIONS, Notation  # noqa: F401
from symgrad.printing.layout import estimate_width  # noqa: F401
from symgrad.printing.printers import (  # noqa: F401
    MatrixLatexPrinter, NielsenLatexPrinter, NielsenTextPrinter, PRINTERS, RELATIONS,
    get_printer, latex, latex_rows, layer_activation, text,
)
from symgrad.printing.forms import (  # noqa: F401
    FORMS, FactorPrinter, IndexSum, generic_components, gradient_form, gradient_lhs,
    matrix_equations,
)
from symgrad.printing.documents import (  # noqa: F401
    EXPLICIT_LIMIT, NOT_PROVEN, json_derivation, latex_derivation, latex_gradient,
    markdown_derivation, repr_latex, repr_markdown, text_derivation, text_gradient, unproven,
)

#: the former names of the dense printers: the same classes (one family for every width)
DenseLatexPrinter = NielsenLatexPrinter
DenseMatrixLatexPrinter = MatrixLatexPrinter
DenseTextPrinter = NielsenTextPrinter

__all__ = [
    "Notation", "NIELSEN", "MATRIX", "NOTATIONS", "estimate_width",
    "NielsenLatexPrinter", "MatrixLatexPrinter", "NielsenTextPrinter", "PRINTERS", "RELATIONS",
    "get_printer", "latex", "text", "latex_rows", "layer_activation",
    "FORMS", "FactorPrinter", "IndexSum", "generic_components", "gradient_form", "gradient_lhs",
    "matrix_equations",
    "EXPLICIT_LIMIT", "NOT_PROVEN", "json_derivation", "latex_derivation", "latex_gradient",
    "markdown_derivation", "repr_latex", "repr_markdown", "text_derivation", "text_gradient",
    "unproven",
    "DenseLatexPrinter", "DenseMatrixLatexPrinter", "DenseTextPrinter",
]
