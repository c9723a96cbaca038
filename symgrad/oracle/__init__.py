"""The oracle: certified reference gradients (Arb balls), tolerances and verdicts, test vectors over the hard regimes, and their verification."""
from __future__ import annotations

from symgrad.oracle.balls import (  # noqa: F401
    Undecided, ActivationForm, CostForm, activation_form, cost_form, compile_ball, KINKED,
    log_sum_exp,
)
from symgrad.oracle.compare import (  # noqa: F401
    VERDICTS, Entry, Comparison, judge, compare_gradients, assert_gradients_close,
    backprop_order, short, worst,
)
from symgrad.oracle.decimals import (  # noqa: F401
    exact, exact_or_none, to_ball, ball_matrix, split_decimal, decimal_string,
    float_decimal, ball_float,
)
from symgrad.oracle.description import (  # noqa: F401
    cost_formula, describe_network, network_from_description,
)
from symgrad.oracle.formats import (  # noqa: F401
    VECTORS_FORMAT, RESULTS_FORMAT, FORMATS, CSV_HEADER, vectors_text, csv_rows,
    read_vectors, read_results, file_format,
)
from symgrad.oracle.point import (  # noqa: F401
    Point, read_point, case_point, number,
)
from symgrad.oracle.recurrence import (  # noqa: F401
    AtKink, Trace, Evaluation, evaluate, exact_preactivation,
)
from symgrad.oracle.reference import (  # noqa: F401
    DEFAULT_DIGITS, MAX_DIGITS, KINKS, Reference, reference, certify, parse_digits,
    as_network, leaves, nested,
)
from symgrad.oracle.regimes import (  # noqa: F401
    REGIMES, SATURATED_BANDS, GELU_BANDS, GELU_TANH_BANDS, cycle, draw, check_regime,
    has_kink,
)
from symgrad.oracle.rounding import (  # noqa: F401
    Scales, scales, FIXES, custom_second,
)
from symgrad.oracle.dtypes import (  # noqa: F401
    DType, DTYPES, dtype_of, representable, exact_sum, exact_sums,
)
from symgrad.oracle.tolerances import (  # noqa: F401
    SAFETY, Bounds, error_bounds, tolerances, OPEN_REASONS,
)
from symgrad.oracle.vectors import (  # noqa: F401
    KINK_CONVENTIONS, make_vectors,
)
from symgrad.oracle.verify import (  # noqa: F401
    KINK_CHOICES, CaseResult, VerifyReport, verify_results,
)

__all__ = [
    'Undecided', 'ActivationForm', 'CostForm', 'activation_form', 'cost_form',
    'compile_ball', 'KINKED', 'log_sum_exp', 'VERDICTS', 'Entry', 'Comparison', 'judge',
    'compare_gradients', 'assert_gradients_close', 'backprop_order', 'short', 'worst',
    'exact', 'exact_or_none', 'to_ball', 'ball_matrix', 'split_decimal', 'decimal_string',
    'float_decimal', 'ball_float', 'cost_formula', 'describe_network',
    'network_from_description', 'VECTORS_FORMAT', 'RESULTS_FORMAT', 'FORMATS', 'CSV_HEADER',
    'vectors_text', 'csv_rows', 'read_vectors', 'read_results', 'file_format', 'Point',
    'read_point', 'case_point', 'number', 'AtKink', 'Trace', 'Evaluation', 'evaluate',
    'exact_preactivation', 'DEFAULT_DIGITS', 'MAX_DIGITS', 'KINKS', 'Reference',
    'reference', 'certify', 'parse_digits', 'as_network', 'leaves', 'nested', 'REGIMES',
    'SATURATED_BANDS', 'GELU_BANDS', 'GELU_TANH_BANDS', 'cycle', 'draw', 'check_regime',
    'has_kink', 'Scales',
    'scales', 'FIXES', 'custom_second', 'SAFETY', 'DType', 'DTYPES', 'dtype_of', 'exact_sum', 'exact_sums',
    'representable', 'Bounds', 'error_bounds', 'tolerances', 'OPEN_REASONS',
    'KINK_CONVENTIONS', 'make_vectors', 'KINK_CHOICES', 'CaseResult', 'VerifyReport',
    'verify_results',
]
