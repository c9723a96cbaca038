"""The former home of the dense printers, kept while code still imports from it: every name
is the one family of :mod:`symgrad.printing` (import from there; this module goes once
nothing imports it)."""
from __future__ import annotations

from symgrad.printing.documents import (  # noqa: F401
    json_derivation as dense_derivation_json, latex_derivation as latex_dense_derivation,
    markdown_derivation as markdown_dense_derivation, text_derivation as text_dense_derivation,
)
from symgrad.printing.forms import matrix_equations as dense_equations  # noqa: F401
from symgrad.printing.printers import (  # noqa: F401
    MatrixLatexPrinter as DenseMatrixLatexPrinter, NielsenLatexPrinter as DenseLatexPrinter,
    NielsenTextPrinter as DenseTextPrinter, latex, text,
)

__all__ = ["DenseLatexPrinter", "DenseMatrixLatexPrinter", "DenseTextPrinter", "latex", "text",
           "dense_equations", "latex_dense_derivation", "text_dense_derivation",
           "markdown_dense_derivation", "dense_derivation_json"]
