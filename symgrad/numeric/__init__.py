"""Numbers: points, high precision, the float64 backprop, the printed closed forms evaluated,
the independent reference and the float witnesses, and the check that compares them.

* :mod:`~symgrad.numeric.points`: reading, checking and drawing points (any network);
* :mod:`~symgrad.numeric.forward`: the forward pass z_l = W_l a_{l-1} + b_l, written once;
* :mod:`~symgrad.numeric.highprec`: MPFR numbers and the forward pass at high precision;
* :mod:`~symgrad.numeric.closed_forms`: the derivation's printed forms as numbers;
* :mod:`~symgrad.numeric.float64`: the generated float64 / float32 backprop;
* :mod:`~symgrad.numeric.reverse` and :mod:`~symgrad.numeric.reference`: the independent
  reference (reverse-mode AD of the composed forward pass);
* :mod:`~symgrad.numeric.witnesses`: finite differences and the complex step;
* :mod:`~symgrad.numeric.checks`: the check and its report.
"""
from __future__ import annotations

from symgrad.numeric.checks import (  # noqa: F401
    CLOSED_FORM_RTOL, DEFAULT_POINTS, DEFAULT_SATURATE, FLOAT64_RTOL, WITNESS_SAFETY,
    CheckReport, GradientCheck, check, check_point, relative_error, witness_status,
)
from symgrad.numeric.closed_forms import (  # noqa: F401
    closed_form_gradients, gradients_mp, gradients_mp_decimal, mp_forward, mp_gradients,
)
from symgrad.numeric.float64 import NumpyGradients, compile_numpy, gradients  # noqa: F401
from symgrad.numeric.points import (  # noqa: F401
    DEFAULT_DIGITS, EPS, GUARD_DIGITS, INPUT_NAMES, MAX_DIGITS, Point, component_values,
    components, mp_point, parse_batch, parse_digits, parse_parameters, random_batch,
    random_parameters, random_point, read_point,
)
from symgrad.numeric.reference import condition_estimates, reference_gradients  # noqa: F401
from symgrad.numeric.witnesses import (  # noqa: F401
    Estimate, complex_step, finite_differences, has_kink,
)

__all__ = [
    "CLOSED_FORM_RTOL", "DEFAULT_POINTS", "DEFAULT_SATURATE", "FLOAT64_RTOL", "WITNESS_SAFETY",
    "CheckReport", "GradientCheck", "check", "check_point", "relative_error", "witness_status",
    "closed_form_gradients", "gradients_mp", "gradients_mp_decimal", "mp_forward",
    "mp_gradients", "NumpyGradients", "compile_numpy", "gradients", "DEFAULT_DIGITS", "EPS",
    "GUARD_DIGITS", "INPUT_NAMES", "MAX_DIGITS", "Point", "component_values", "components",
    "mp_point", "parse_batch", "parse_digits", "parse_parameters", "random_batch",
    "random_parameters", "random_point", "read_point", "condition_estimates",
    "reference_gradients", "Estimate", "complex_step", "finite_differences", "has_kink",
]
