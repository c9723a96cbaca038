"""Lecture documents: the derivation step by step, with prose made from computed facts, slides, figures, a worked example and exercises."""
from __future__ import annotations

from symgrad.lecture.bound_exercise import (  # noqa: F401
    bound_exercise, extreme_point,
)
from symgrad.lecture.chain import (  # noqa: F401
    derivation_steps, in_output_form, coefficient,
)
from symgrad.lecture.dense import (  # noqa: F401
    dense_steps, row_form, proof_network, prove_dense_lecture, MAX_PROOF_COMPONENTS,
    MAX_UNROLLED_DENSE, Rows,
)
from symgrad.lecture.dense_prose import (  # noqa: F401
    dense_introduction, error_rule,
    gradient_rule, bound_rule, concrete_rule,
)
from symgrad.lecture.document import (  # noqa: F401
    SECTIONS, DEFAULT_SECTIONS, SLIDE_SECTIONS, MAX_LECTURE_DEPTH, MAX_EXERCISES, Document,
    build, check_sections, check_lecture_depth, document_steps, title,
)
from symgrad.lecture.documents import (  # noqa: F401
    FORMATS, MARKERS, Output, command_line, produce, render, lecture, network_of,
    figure_paths,
)
from symgrad.lecture.example import (  # noqa: F401
    Point, point, shown, MAX_EXAMPLE_NUMBERS, WORKING_DIGITS,
)
from symgrad.lecture.example_blocks import (  # noqa: F401
    example_blocks, chain_blocks, dense_blocks, point_words, check_words,
)
from symgrad.lecture.exercises import (  # noqa: F401
    KINDS, KIND_WORDS, exercise_sections, wrong_formula,
)
from symgrad.lecture.facts import (  # noqa: F401
    WORDS, Kink, ActivationFacts, Facts, activation_facts, facts_of, short_decimal, DIGITS,
    NAMED, named, named_values,
)
from symgrad.lecture.figures import (  # noqa: F401
    figures, network_figure, activation_figure, curves, and_shapes, PLOT_RANGE,
    FIGURE_MARKER, MAX_DRAWN_UNITS, DRAWN_SLOPE,
)
from symgrad.lecture.nodes import (  # noqa: F401
    GROUPS, Equation, eq, Step, Paragraph, Table, Formula, Figure, Section, Preactivation,
    SquaredNorm, Norm, generic, cost_symbol, gradient_of, partial, sigma_prime_of,
    sigma_prime_at, sigma_of, flat_words,
)
from symgrad.lecture.prose import (  # noqa: F401
    and_list, capitalized, layers_words, activation_name, layer_list, cost_words,
    kink_words, sup_where, introduction, slope_chain_rule, repeated_factor_rule,
    recurrence_rule, closed_rule, sup_rule, bound_sentence, bound_headline, constants,
    sentences, count_sentence, consequence, layer_bound_rule, concrete_activation_rule,
    cost_rule, substituted_rule,
)
from symgrad.lecture.regenerate import (  # noqa: F401
    DOCUMENTS, THREE_LAYER, WORKED_SECTIONS, Entry, regenerate, main,
)
from symgrad.lecture.render import (  # noqa: F401
    ROW_WIDTH, tex_words, inline, words, display_rows, article, markdown, section_marker,
    tex_block, md_block, PREAMBLE, FIGURE_PACKAGES,
)
from symgrad.lecture.slides import (  # noqa: F401
    Frame, frames, first_sentence, beamer, marp, ROWS_PER_FRAME,
)
from symgrad.lecture.story import (  # noqa: F401
    story, active_paragraph, dead_paragraph, slope_paragraph, linear_paragraph,
    output_paragraph,
)

__all__ = [
    'bound_exercise', 'extreme_point', 'derivation_steps', 'in_output_form', 'coefficient',
    'dense_steps', 'row_form', 'proof_network', 'prove_dense_lecture',
    'MAX_PROOF_COMPONENTS', 'MAX_UNROLLED_DENSE', 'Rows', 'dense_introduction',
    'error_rule', 'gradient_rule',
    'bound_rule', 'concrete_rule', 'SECTIONS', 'DEFAULT_SECTIONS',
    'SLIDE_SECTIONS', 'MAX_LECTURE_DEPTH', 'MAX_EXERCISES', 'Document', 'build',
    'check_sections', 'check_lecture_depth', 'document_steps', 'title', 'FORMATS',
    'MARKERS', 'Output', 'command_line', 'produce', 'render', 'lecture', 'network_of',
    'figure_paths', 'Point', 'point', 'shown', 'MAX_EXAMPLE_NUMBERS', 'WORKING_DIGITS',
    'example_blocks', 'chain_blocks', 'dense_blocks', 'point_words', 'check_words', 'KINDS',
    'KIND_WORDS', 'exercise_sections', 'wrong_formula', 'WORDS', 'Kink', 'ActivationFacts',
    'Facts', 'activation_facts', 'facts_of', 'short_decimal', 'DIGITS', 'NAMED', 'named',
    'named_values', 'figures', 'network_figure', 'activation_figure', 'curves',
    'and_shapes', 'PLOT_RANGE', 'FIGURE_MARKER', 'MAX_DRAWN_UNITS', 'DRAWN_SLOPE', 'GROUPS',
    'Equation', 'eq', 'Step', 'Paragraph', 'Table', 'Formula', 'Figure', 'Section',
    'Preactivation', 'SquaredNorm', 'Norm', 'generic', 'cost_symbol', 'gradient_of',
    'partial', 'sigma_prime_of', 'sigma_prime_at', 'sigma_of', 'flat_words', 'and_list',
    'capitalized', 'layers_words', 'activation_name', 'layer_list', 'cost_words',
    'kink_words', 'sup_where', 'introduction', 'slope_chain_rule', 'repeated_factor_rule',
    'recurrence_rule', 'closed_rule', 'sup_rule', 'bound_sentence', 'bound_headline',
    'constants', 'sentences', 'count_sentence', 'consequence', 'layer_bound_rule',
    'concrete_activation_rule', 'cost_rule', 'substituted_rule', 'DOCUMENTS', 'THREE_LAYER',
    'WORKED_SECTIONS', 'Entry', 'regenerate', 'main', 'ROW_WIDTH', 'tex_words', 'inline',
    'words', 'display_rows', 'article', 'markdown', 'section_marker', 'tex_block',
    'md_block', 'PREAMBLE', 'FIGURE_PACKAGES', 'Frame', 'frames', 'first_sentence',
    'beamer', 'marp', 'ROWS_PER_FRAME', 'story', 'active_paragraph', 'dead_paragraph',
    'slope_paragraph', 'linear_paragraph', 'output_paragraph',
]
