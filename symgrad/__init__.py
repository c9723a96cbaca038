"""symgrad: backpropagation gradients of layered networks, derived symbolically,
proven, printed as lecture formulas, and evaluated as an exact reference."""
from .activations import ACTIVATIONS, Activation, UsageError, activation_names, get_activation
from .costs import COSTS, Cost, cost_names, get_cost
from .derive import Derivation, OrderedProduct, derive
from .network import Chain

__all__ = ["ACTIVATIONS", "Activation", "UsageError", "activation_names", "get_activation",
           "COSTS", "Cost", "cost_names", "get_cost", "Derivation", "OrderedProduct", "derive",
           "Chain"]
__version__ = "0.1.0"
