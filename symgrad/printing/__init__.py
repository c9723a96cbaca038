"""Printing: SymPy printer subclasses driven by one notation table (LaTeX, text, Markdown, JSON)."""
from __future__ import annotations

from symgrad.printing.printers import (  # noqa: F401
    NielsenLatexPrinter, NielsenTextPrinter, MatrixLatexPrinter, NOTATIONS, get_printer,
    gradient_lhs, latex_gradient, text_gradient, markdown_derivation, text_derivation,
    latex_derivation, latex_relation, latex_rows, estimate_width, repr_latex, repr_markdown,
)
from symgrad.printing.dense import (  # noqa: F401
    DenseLatexPrinter, DenseMatrixLatexPrinter, DenseTextPrinter,
    dense_equations, latex_dense_derivation, text_dense_derivation,
    markdown_dense_derivation, dense_derivation_json,
)

__all__ = [
    'DenseLatexPrinter', 'DenseMatrixLatexPrinter', 'DenseTextPrinter',
    'dense_equations', 'latex_dense_derivation', 'text_dense_derivation',
    'markdown_dense_derivation', 'dense_derivation_json', 'NielsenLatexPrinter', 'latex', 'text',
    'NielsenTextPrinter', 'MatrixLatexPrinter', 'NOTATIONS', 'get_printer', 'gradient_lhs',
    'latex_gradient', 'text_gradient', 'markdown_derivation', 'text_derivation',
    'latex_derivation', 'latex_relation', 'latex_rows', 'estimate_width', 'repr_latex',
    'repr_markdown',
]
