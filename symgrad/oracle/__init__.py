"""The oracle: reference gradients, tolerances, comparison, test vectors and their verification."""
from __future__ import annotations

from symgrad.oracle.core import (  # noqa: F401
    DEFAULT_DIGITS, SAFETY, FLOOR_FLOAT64, DENSE_RTOL, VECTORS_FORMAT, RESULTS_FORMAT,
    Reference, reference, tolerances, Entry, Comparison, compare_gradients,
    assert_gradients_close, decimal_string, network_from_description, describe_network,
    make_vectors, vectors_text, read_json, read_vectors, read_results, Disagreement,
    VerifyReport, verify_results,
)

__all__ = [
    'DEFAULT_DIGITS', 'SAFETY', 'FLOOR_FLOAT64', 'DENSE_RTOL', 'VECTORS_FORMAT',
    'RESULTS_FORMAT', 'Reference', 'reference', 'tolerances', 'Entry', 'Comparison',
    'compare_gradients', 'assert_gradients_close', 'decimal_string',
    'network_from_description', 'describe_network', 'make_vectors', 'vectors_text',
    'read_json', 'read_vectors', 'read_results', 'Disagreement', 'VerifyReport',
    'verify_results',
]
