"""The one-neuron-a-layer chain network and its symbols.

Layers l = 0..L, layer 0 the input, one neuron each::

    z_l = w_l a_{l-1} + b_l,    a_l = σ_l(z_l),    C = C(a_L, y)

>>> net = Chain(depth=2)
>>> net.forward_equations()
[Eq(z_1, a_0*w_1 + b_1), Eq(a_1, sigmoid(z_1)), Eq(z_2, a_1*w_2 + b_2), Eq(a_2, sigmoid(z_2))]
>>> net.parameter_names()
['b_2', 'b_1', 'w_2', 'w_1']
"""
from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from symgrad.model.activations import Activation, get_activation
from symgrad.errors import UsageError
from symgrad.model.costs import get_cost

__all__ = ["Chain", "MAX_DEPTH", "check_depth", "layer_function", "cost_function"]

#: deeper than this is refused as absurd: a derivation's printed form grows as L²
MAX_DEPTH = 100_000


def check_depth(depth, argument: str = "depth") -> int:
    """The depth as an int, or a one-line :class:`UsageError`.

    >>> check_depth(0)
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: depth=0: depth must be an integer >= 1
    """
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral):
        if isinstance(depth, str) and re.fullmatch(r"[+-]?\d{1,12}", depth.strip()):
            depth = int(depth)
        else:
            raise UsageError(f"{argument}={depth!r}: depth must be an integer >= 1")
    if depth < 1:
        raise UsageError(f"{argument}={depth}: depth must be an integer >= 1")
    if depth > MAX_DEPTH:
        raise UsageError(f"{argument}={depth}: depth must be at most {MAX_DEPTH}")
    return int(depth)


def layer_function(activation: Activation) -> sp.FunctionClass:
    """The undefined SymPy function that stands for an activation in displayed formulas
    (printed as its LaTeX name: ``\\sigma``, ``\\tanh``, ...)."""
    return sp.Function(activation.name, real=True)


#: C as a function of the output, printed as C
cost_function = sp.Function("C", real=True)


def _sym(name: str, l: int | None = None) -> sp.Symbol:
    return sp.Symbol(name if l is None else f"{name}_{l}", real=True)


@dataclass(frozen=True)
class Chain:
    """A chain of ``depth`` one-neuron layers.

    ``activation`` is one name (or :class:`~symgrad.model.activations.Activation`) for every
    layer, or a sequence of ``depth`` of them, layer 1 first (for example a linear
    output layer: ``["sigmoid", "sigmoid", "linear"]``).
    """

    depth: int = 4
    activation: object = "sigmoid"
    cost: object = "quadratic"

    def __post_init__(self):
        depth = check_depth(self.depth)
        object.__setattr__(self, "depth", depth)
        acts = self.activation
        if isinstance(acts, (str, Activation)):
            acts = (get_activation(acts),) * depth
        else:
            try:
                acts = tuple(acts)
            except TypeError:
                raise UsageError(f"activation={self.activation!r}: must be a name or a list "
                                 f"of {depth} names") from None
            if len(acts) != depth:
                raise UsageError(f"activations={','.join(map(_name, acts))!r}: {len(acts)} "
                                 f"given, the network has depth {depth} and needs {depth}")
            acts = tuple(get_activation(a, argument="activations") for a in acts)
        object.__setattr__(self, "activation", acts if len(set(acts)) > 1 else acts[0])
        object.__setattr__(self, "_activations", acts)
        object.__setattr__(self, "cost", get_cost(self.cost))

    # -- description ------------------------------------------------------------------------
    @property
    def L(self) -> int:
        """The number of the output layer."""
        return self.depth

    @property
    def activations(self) -> tuple[Activation, ...]:
        """σ_1, ..., σ_L."""
        return self._activations

    def sigma(self, l: int) -> Activation:
        """The activation of layer l (1-based)."""
        return self._activations[l - 1]

    @property
    def mixed(self) -> bool:
        return len(set(self._activations)) > 1

    @property
    def layers(self) -> range:
        """1, ..., L."""
        return range(1, self.depth + 1)

    def describe(self) -> dict:
        """A JSON-ready description of the network."""
        return {"kind": "chain", "depth": self.depth,
                "activations": [a.name for a in self._activations],
                "cost": self.cost.name}

    def __repr__(self) -> str:
        act = self.activation.name if isinstance(self.activation, Activation) else \
            [a.name for a in self._activations]
        return f"Chain(depth={self.depth}, activation={act!r}, cost={self.cost.name!r})"

    # -- symbols ----------------------------------------------------------------------------
    def w(self, l: int) -> sp.Symbol:
        return _sym("w", l)

    def b(self, l: int) -> sp.Symbol:
        return _sym("b", l)

    def z(self, l: int) -> sp.Symbol:
        return _sym("z", l)

    def a(self, l: int) -> sp.Symbol:
        return _sym("a", l)

    def alpha(self, l: int) -> sp.Symbol:
        """α_l, the learned slope of a PReLU layer."""
        return _sym("alpha", l)

    @property
    def y(self) -> sp.Symbol:
        return _sym("y")

    def has_slope(self, l: int) -> bool:
        return self.sigma(l).parameter is not None

    @cached_property
    def _parameters(self) -> tuple:
        L = self.depth
        out = [self.b(l) for l in range(L, 0, -1)] + [self.w(l) for l in range(L, 0, -1)]
        out += [self.alpha(l) for l in range(L, 0, -1) if self.has_slope(l)]
        return tuple(out)

    @cached_property
    def _parameter_names(self) -> tuple:
        return tuple(p.name for p in self._parameters)

    def parameters(self) -> list[sp.Symbol]:
        """Every trainable parameter, in the order the lecture lists the gradients:
        b_L..b_1, then w_L..w_1, then the PReLU slopes α_L..α_1."""
        return list(self._parameters)

    def parameter_names(self) -> list[str]:
        """The names of :meth:`parameters` ("b_4", ..., "w_1", "alpha_...")."""
        return list(self._parameter_names)

    def parameter(self, name: str) -> tuple[str, int]:
        """Split ``"b_3"`` into ``("b", 3)``; a one-line error for anything else."""
        kind, _, layer = str(name).partition("_")
        if kind in ("b", "w", "alpha") and layer.isdigit() and 1 <= int(layer) <= self.depth:
            l = int(layer)
            if kind != "alpha" or self.has_slope(l):
                return kind, l
        raise UsageError(f"parameter={name!r}: not a parameter of this network; allowed: "
                         f"b_l, w_l for l = 1..{self.depth}"
                         + (", alpha_l for the PReLU layers" if any(map(self.has_slope, self.layers)) else ""))

    # -- forward equations ------------------------------------------------------------------
    def preactivation(self, l: int) -> sp.Expr:
        """z_l = w_l a_{l-1} + b_l in terms of the symbols."""
        return self.w(l) * self.a(l - 1) + self.b(l)

    def activation_display(self, l: int) -> sp.Expr:
        """σ_l(z_l) with σ_l an undefined function named after the activation."""
        act = self.sigma(l)
        f = layer_function(act)
        return f(self.z(l), self.alpha(l)) if act.parameter is not None else f(self.z(l))

    def forward_equations(self) -> list[sp.Eq]:
        """z_1, a_1, ..., z_L, a_L as equations, in network order."""
        eqs = []
        for l in self.layers:
            eqs.append(sp.Eq(self.z(l), self.preactivation(l), evaluate=False))
            eqs.append(sp.Eq(self.a(l), self.activation_display(l), evaluate=False))
        return eqs

    def composed_cost(self) -> sp.Expr:
        """C as one explicit expression in a_0, y and the parameters (every activation
        written out).  Its size grows with depth: meant for proofs at small depth."""
        a = self.a(0)
        for l in self.layers:
            act = self.sigma(l)
            a = act(self.w(l) * a + self.b(l), self.alpha(l))
        return self.cost(a, self.y)


def _name(a) -> str:
    return a.name if isinstance(a, Activation) else str(a)

