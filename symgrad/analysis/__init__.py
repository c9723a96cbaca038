"""Gradient sizes per layer over random draws: vanishing and exploding, as numbers and plots."""
from __future__ import annotations

from symgrad.analysis.core import (  # noqa: F401
    INITS, DENSE_INITS, LayerStats, Analysis, draw_parameters, analyze, dense_network,
    draw_dense_parameters, dense_gradient_norms, analyze_dense, plot_analyses,
    VANISHING_RATE, EXPLODING_RATE, PLOT_MARKER, MP_BUDGET, OUTPUTS, PRECISIONS,
)

__all__ = [
    'INITS', 'DENSE_INITS', 'LayerStats', 'Analysis', 'draw_parameters', 'analyze',
    'dense_network', 'draw_dense_parameters', 'dense_gradient_norms', 'analyze_dense',
    'plot_analyses', 'VANISHING_RATE', 'EXPLODING_RATE', 'PLOT_MARKER', 'MP_BUDGET',
    'OUTPUTS', 'PRECISIONS',
]
