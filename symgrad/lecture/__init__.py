"""Lecture documents: the derivation step by step, as LaTeX and Markdown."""
from __future__ import annotations

from symgrad.lecture.documents import (  # noqa: F401
    lecture_latex, lecture_markdown, lecture, MARKERS, FORMATS, MAX_LECTURE_DEPTH,
    check_lecture_depth, DOCUMENTS, regenerate, command_line, title, main, network_of,
    derivation_of, is_dense, document_steps, proof_network, MAX_PROOF_COMPONENTS,
)
from symgrad.lecture.steps import (  # noqa: F401
    Equation, Step, Preactivation, GROUPS, derivation_steps, dense_steps, row_form,
    SquaredNorm, Norm, CostGradient_of, derivative_sup, generic, uniform_activation,
)

__all__ = [
    'lecture_latex', 'lecture_markdown', 'lecture', 'MARKERS', 'FORMATS',
    'MAX_LECTURE_DEPTH', 'check_lecture_depth', 'DOCUMENTS', 'regenerate', 'command_line',
    'title', 'main', 'network_of', 'derivation_of', 'is_dense', 'document_steps',
    'proof_network', 'MAX_PROOF_COMPONENTS', 'Equation', 'Step', 'Preactivation', 'GROUPS',
    'derivation_steps', 'dense_steps', 'row_form', 'SquaredNorm', 'Norm', 'CostGradient_of',
    'derivative_sup', 'generic', 'uniform_activation',
]
