"""Numbers: high precision, float64, witnesses, and the check of the printed closed forms."""
from __future__ import annotations

from symgrad.numeric.chain import (  # noqa: F401
    DEFAULT_DIGITS, GUARD_DIGITS, MAX_DIGITS, INPUT_NAMES, check_digits, mp_point,
    mp_forward, mp_gradients, compile_numpy, NumpyGradients, random_point, EPS, Estimate,
    has_kink, finite_differences, complex_step, reference_gradients, condition_estimates,
)
from symgrad.numeric.checks import (  # noqa: F401
    CLOSED_FORM_RTOL, FLOAT64_RTOL, WITNESS_SAFETY, DEFAULT_POINTS, DEFAULT_SATURATE,
    GradientCheck, CheckReport, check_point, check, relative_error, witness_status,
)
from symgrad.numeric.dense import (  # noqa: F401
    random_parameters, random_batch, check_parameters, check_batch, forward, cost,
    gradients, gradients_mp, gradients_mp_decimal, cost_mp, compare_gradients, TOLERANCES,
    Plan, plan, DenseCheck, check_dense,
)

__all__ = [
    'DEFAULT_DIGITS', 'GUARD_DIGITS', 'MAX_DIGITS', 'INPUT_NAMES', 'check_digits',
    'mp_point', 'mp_forward', 'mp_gradients', 'compile_numpy', 'NumpyGradients',
    'random_point', 'EPS', 'Estimate', 'has_kink', 'finite_differences', 'complex_step',
    'reference_gradients', 'condition_estimates', 'CLOSED_FORM_RTOL', 'FLOAT64_RTOL',
    'WITNESS_SAFETY', 'DEFAULT_POINTS', 'DEFAULT_SATURATE', 'GradientCheck', 'CheckReport',
    'check_point', 'check', 'relative_error', 'witness_status', 'random_parameters',
    'random_batch', 'check_parameters', 'check_batch', 'forward', 'cost', 'gradients',
    'gradients_mp', 'gradients_mp_decimal', 'cost_mp', 'compare_gradients', 'TOLERANCES',
    'Plan', 'plan', 'DenseCheck', 'check_dense',
]
