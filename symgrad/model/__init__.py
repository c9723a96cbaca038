"""The network model: activations, costs, the catalog of names and safe expressions, the network."""
from __future__ import annotations

from symgrad.model.activations import (  # noqa: F401
    Activation, ACTIVATIONS, ALIASES, activation_names, get_activation, register_activation,
    SELU_LAMBDA, SELU_ALPHA, without_cancellation, MP_MODULES,
)
from symgrad.model.catalog import (  # noqa: F401
    FUNCTIONS, MAX_LENGTH, MAX_DEPTH, MAX_HEIGHT, MAX_LITERAL_DIGITS, MAX_EXPONENT,
    MAX_NUMBER_DIGITS, parse_expression, looks_like_expression, custom_activation,
    custom_cost,
)
from symgrad.model.costs import (  # noqa: F401
    Cost, COSTS, cost_names, get_cost, register_cost,
)
from symgrad.model.network import (  # noqa: F401
    Chain, check_depth, layer_function, cost_function,
)

__all__ = [
    'Activation', 'ACTIVATIONS', 'ALIASES', 'activation_names', 'get_activation',
    'register_activation', 'SELU_LAMBDA', 'SELU_ALPHA', 'without_cancellation',
    'MP_MODULES', 'FUNCTIONS', 'MAX_LENGTH', 'MAX_DEPTH', 'MAX_HEIGHT',
    'MAX_LITERAL_DIGITS', 'MAX_EXPONENT', 'MAX_NUMBER_DIGITS', 'parse_expression',
    'looks_like_expression', 'custom_activation', 'custom_cost', 'Cost', 'COSTS',
    'cost_names', 'get_cost', 'register_cost', 'Chain', 'check_depth', 'layer_function',
    'cost_function',
]
