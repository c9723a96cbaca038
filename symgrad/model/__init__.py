"""The network model: activations, costs, the catalog of names and safe expressions, the network."""
from __future__ import annotations

from symgrad.model.activations import (  # noqa: F401
    custom_activation, Softmax, SOFTMAX, SoftmaxOf, Activation, ACTIVATIONS, ALIASES,
    activation_names, get_activation, register_activation, SELU_LAMBDA, SELU_ALPHA,
    GELU_TANH_CUBIC, without_cancellation, MP_MODULES,
)
from symgrad.model.catalog import (  # noqa: F401
    FUNCTIONS, MAX_LENGTH, MAX_DEPTH, MAX_HEIGHT, MAX_LITERAL_DIGITS, MAX_EXPONENT,
    MAX_NUMBER_DIGITS, parse_expression, looks_like_expression, activation_fields,
    cost_fields,
)
from symgrad.model.costs import (  # noqa: F401
    custom_cost, Cost, COSTS, SOFTMAX_CE, cost_names, get_cost, register_cost,
)
from symgrad.model.domains import (  # noqa: F401
    Z_DRAWN, Z_TYPICAL, Y_DRAWN, FLOAT_MAX, MAX_COST_DEGREE, require_real_on,
    activation_image,
)
from symgrad.model.expressions import (  # noqa: F401
    CONSTANTS, ACTIVATION_VARIABLES, COST_VARIABLES, quoted,
)
from symgrad.model.network import (  # noqa: F401
    Network, Chain, Dense, layer_function, cost_function,
)
from symgrad.model.sizes import (  # noqa: F401
    MAX_WIDTH, MAX_SAMPLES, check_depth, check_widths, check_samples,
)
from symgrad.model.stable import (  # noqa: F401
    floating, logistic_derivative, sigmoid, sigmoid_prime, sigmoid_with_prime, tanh,
    tanh_prime, tanh_with_prime, relu, relu_prime, piecewise_linear, prelu, prelu_prime,
    linear, linear_prime, softplus, elu, silu, silu_prime, gelu, gelu_prime, gelu_tanh,
    gelu_tanh_prime, stable_float,
    STABLE_NUMPY, ERF_NUMPY,
)

__all__ = [
    'custom_activation', 'Softmax', 'SOFTMAX', 'SoftmaxOf', 'Activation', 'ACTIVATIONS',
    'ALIASES', 'activation_names', 'get_activation', 'register_activation', 'SELU_LAMBDA',
    'SELU_ALPHA', 'GELU_TANH_CUBIC', 'without_cancellation', 'MP_MODULES', 'FUNCTIONS', 'MAX_LENGTH',
    'MAX_DEPTH', 'MAX_HEIGHT', 'MAX_LITERAL_DIGITS', 'MAX_EXPONENT', 'MAX_NUMBER_DIGITS',
    'parse_expression', 'looks_like_expression', 'activation_fields', 'cost_fields',
    'custom_cost', 'Cost', 'COSTS', 'SOFTMAX_CE', 'cost_names', 'get_cost', 'register_cost',
    'Z_DRAWN', 'Z_TYPICAL', 'Y_DRAWN', 'FLOAT_MAX', 'MAX_COST_DEGREE', 'require_real_on',
    'activation_image', 'CONSTANTS', 'ACTIVATION_VARIABLES', 'COST_VARIABLES', 'quoted',
    'Network', 'Chain', 'Dense', 'MAX_WIDTH', 'MAX_SAMPLES', 'check_depth', 'check_widths',
    'check_samples', 'layer_function', 'cost_function', 'floating', 'logistic_derivative',
    'sigmoid', 'sigmoid_prime', 'sigmoid_with_prime', 'tanh', 'tanh_prime',
    'tanh_with_prime', 'relu', 'relu_prime', 'piecewise_linear', 'prelu', 'prelu_prime',
    'linear', 'linear_prime', 'softplus', 'elu', 'silu', 'silu_prime', 'gelu', 'gelu_prime',
    'gelu_tanh', 'gelu_tanh_prime', 'stable_float', 'STABLE_NUMPY', 'ERF_NUMPY',
]
