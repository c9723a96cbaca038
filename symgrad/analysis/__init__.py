"""Gradient sizes per layer: over random draws and over training, as numbers and plots."""
from __future__ import annotations

from symgrad.analysis.draws import (  # noqa: F401
    INITS, PRELU_ALPHA, Draw, draw,
)
from symgrad.analysis.plot import (  # noqa: F401
    PLOT_MARKER, SMOOTH, matplotlib_pyplot, plot_analyses, plot_training, save,
)
from symgrad.analysis.sizes import (  # noqa: F401
    PRECISIONS, UNDERFLOW, VANISHING_RATE, EXPLODING_RATE, DEAD_FRACTION, LayerStats,
    Analysis, gradient_norms, analyze, dense_network, OUTPUTS,
)
from symgrad.analysis.training import (  # noqa: F401
    DEFAULT_WIDTHS, POINTS, NOISE, MAX_STEPS, TrainingRun, spirals, training_network, train,
    training_json,
)

__all__ = [
    'INITS', 'PRELU_ALPHA', 'Draw', 'draw', 'PLOT_MARKER', 'SMOOTH', 'matplotlib_pyplot',
    'plot_analyses', 'plot_training', 'save', 'PRECISIONS', 'UNDERFLOW', 'VANISHING_RATE',
    'EXPLODING_RATE', 'DEAD_FRACTION', 'LayerStats', 'Analysis', 'gradient_norms',
    'analyze', 'dense_network', 'OUTPUTS', 'DEFAULT_WIDTHS', 'POINTS', 'NOISE', 'MAX_STEPS',
    'TrainingRun', 'spirals', 'training_network', 'train', 'training_json',
]
