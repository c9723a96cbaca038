"""The network: one type for every layered network, a chain being the one whose widths are all 1.

Layers l = 0..L with widths n_0 (the input), ..., n_L (the output); W_l is n_l × n_{l-1}::

    z_l = W_l a_{l-1} + b_l,      a_l = σ_l(z_l)  (elementwise; softmax at the output)
    z^l_j = Σ_k w^l_{jk} a^{l-1}_k + b^l_j,      a^l_j = σ_l(z^l_j)

and the cost C = Σ_i C(a_{L,i}, y_i) summed over the N samples of the loss.  Where every
width is 1 and N = 1 (a *chain*) the component symbols are the lecture's scalars z_l, a_l,
w_l, b_l, y, and the parameters are named ``w_l``; otherwise ``W_l`` and w^l_{jk}.

>>> net = Chain(depth=2)
>>> net.forward_components(1)
[Eq(z_1, a_0*w_1 + b_1), Eq(a_1, sigmoid(z_1))]
>>> net.parameter_names()
['b_2', 'b_1', 'w_2', 'w_1']
>>> Dense([2, 3, 2]).forward_equations()[0]
Eq(z_1, W_1*a_0 + b_1)
>>> Dense([2, 3, 2]).w_(2, 1, 3), Chain(depth=3).w_(2)
(w^2_1,3, w_2)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from symgrad.errors import UsageError
from symgrad.model.activations import SOFTMAX, Activation, Softmax, SoftmaxOf, get_activation
from symgrad.model.costs import MSE, SOFTMAX_CE, get_cost, mean_squared_error
from symgrad.model.sizes import check_depth, check_samples, check_widths

__all__ = ["Network", "Chain", "Dense", "layer_function", "cost_function"]

#: C as a function of the output, printed as C
cost_function = sp.Function("C", real=True)


def layer_function(activation) -> sp.FunctionClass:
    """The undefined SymPy function that stands for an activation in displayed formulas
    (printed as its LaTeX name: ``\\sigma``, ``\\tanh``, ...)."""
    return sp.Function(activation.name, real=True)


def _name(a) -> str:
    return a.name if isinstance(a, (Activation, Softmax)) else str(a)


@lru_cache(maxsize=None)
def _symbol(name: str) -> sp.Symbol:
    """The real symbol of that name, made once (SymPy symbols cost 50-190 µs to create)."""
    return sp.Symbol(name, real=True)


def _resolve_activations(acts, L: int, widths: tuple, softmax: bool) -> tuple:
    """σ_1, ..., σ_L from one name (every layer; softmax at the output with that cost) or a
    list of L names, layer 1 first."""
    single = isinstance(acts, (str, Activation, Softmax))
    if single:
        if _name(acts).strip().lower() == "softmax":
            if L != 1:
                raise UsageError("activations='softmax': softmax is an output layer; give the "
                                 "hidden layers' activation (softmax follows with the "
                                 "softmax-cross-entropy cost)")
            acts = [acts]
        else:
            acts = [acts] * (L - 1) + ["softmax" if softmax else acts]
    else:
        try:
            acts = list(acts)
        except TypeError:
            raise UsageError(f"activations={acts!r}: must be a name or a list of {L} "
                             "names") from None
        if len(acts) != L:
            raise UsageError(f"activations={','.join(map(_name, acts))!r}: {len(acts)} given, "
                             f"widths {','.join(map(str, widths))} have {L} "
                             f"layer{'s' if L > 1 else ''} and need {L}")
    out, resolved = [], {}           # each distinct name resolved once (depth 100000)
    for l, act in enumerate(acts, 1):
        key = act if isinstance(act, str) else id(act)
        if key not in resolved:
            is_softmax = _name(act).strip().lower() == "softmax"
            resolved[key] = SOFTMAX if is_softmax else \
                get_activation(act, argument="activation" if single else "activations")
        sigma = resolved[key]
        if (sigma is SOFTMAX) != (softmax and l == L):
            shown = ",".join(map(_name, acts))
            if sigma is SOFTMAX:
                raise UsageError(f"activations={shown!r}: softmax is only allowed as the "
                                 "output layer with the cost softmax-cross-entropy")
            raise UsageError(f"activations={shown!r}: the cost softmax-cross-entropy needs a "
                             "softmax output layer; end the list with softmax")
        out.append(sigma)
    return tuple(out)


@dataclass(frozen=True)
class Network:
    """A layered network of widths n_0 (input), ..., n_L (output).

    ``activations`` is one name for every layer or a list of L names, layer 1 first (a
    linear output layer: ``["sigmoid", "sigmoid", "linear"]``).  With the
    ``softmax-cross-entropy`` cost the output layer is softmax.  ``samples`` is the N of
    the loss Σ_{i=1}^{N} C_i.

    >>> Network((1, 1, 1), "tanh").is_chain, Network((2, 3, 1)).is_chain
    (True, False)
    >>> Dense([2, 3, 2], activations=["tanh"])
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: activations='tanh': 1 given, widths 2,3,2 have 2 layers and need 2
    """

    widths: tuple
    activations: object = "sigmoid"
    cost: object = "quadratic"
    samples: int = 1

    def __post_init__(self):
        widths = check_widths(self.widths)
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "samples", check_samples(self.samples))
        cost = get_cost(self.cost)
        if cost == MSE:  # the mean over the N samples and n_L outputs of this network
            cost = mean_squared_error(self.samples * widths[-1])
        object.__setattr__(self, "cost", cost)
        softmax = cost == SOFTMAX_CE
        if softmax and widths[-1] < 2:
            raise UsageError(f"cost={SOFTMAX_CE!r}: softmax needs an output width of at least "
                             f"2 (softmax of one output is the constant 1); widths="
                             f"{','.join(map(str, widths))}")
        acts = _resolve_activations(self.activations, len(widths) - 1, widths, softmax)
        object.__setattr__(self, "activations", acts)

    def __hash__(self) -> int:
        """The fields' hash, computed once (every cache keyed by the network asks for it)."""
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = self.__dict__["_hash"] = hash((self.widths, self.activations, self.cost,
                                                    self.samples))
        return cached

    # -- description ------------------------------------------------------------------------
    @property
    def L(self) -> int:
        """The number of the output layer."""
        return len(self.widths) - 1

    @property
    def depth(self) -> int:
        return self.L

    @property
    def layers(self) -> range:
        """1, ..., L."""
        return range(1, self.L + 1)

    @cached_property
    def is_chain(self) -> bool:
        """One neuron a layer and one sample: the network the Nielsen notation prints as
        scalars and ordered products."""
        return self.samples == 1 and all(n == 1 for n in self.widths)

    def n(self, l: int) -> int:
        """n_l, the width of layer l (n_0 the input)."""
        return self.widths[l]

    def sigma(self, l: int):
        """The activation of layer l: an :class:`~symgrad.model.activations.Activation`, or
        :data:`~symgrad.model.activations.SOFTMAX` for a softmax output."""
        return self.activations[l - 1]

    @property
    def activation(self):
        """The one activation of every layer, or the tuple of them where they differ."""
        return self.activations[0] if not self.mixed else self.activations

    @property
    def mixed(self) -> bool:
        return len(set(self.activations)) > 1

    @property
    def softmax_output(self) -> bool:
        return self.cost == SOFTMAX_CE

    @property
    def cost_name(self) -> str:
        return SOFTMAX_CE if self.softmax_output else self.cost.name

    def has_slope(self, l: int) -> bool:
        """Layer l is PReLU: its slope α_l (one per layer, shared by its neurons) is learned."""
        act = self.sigma(l)
        return isinstance(act, Activation) and act.parameter is not None

    def describe(self) -> dict:
        """A JSON-ready description of the network."""
        acts = [a.name for a in self.activations]
        if self.is_chain:
            return {"kind": "chain", "depth": self.L, "activations": acts,
                    "cost": self.cost_name}
        return {"kind": "dense", "widths": list(self.widths), "depth": self.L,
                "activations": acts, "cost": self.cost_name, "samples": self.samples,
                "parameter_count": self.parameter_count()}

    def __repr__(self) -> str:
        names = [a.name for a in self.activations]
        acts = names[0] if len(set(names)) == 1 else names
        if self.is_chain:
            return f"Chain(depth={self.L}, activation={acts!r}, cost={self.cost_name!r})"
        return (f"Dense(widths={list(self.widths)}, activations={acts!r}, "
                f"cost={self.cost_name!r}, samples={self.samples})")

    # -- matrix symbols ---------------------------------------------------------------------
    def W(self, l: int) -> sp.MatrixSymbol:
        """W_l, n_l × n_{l-1}."""
        return sp.MatrixSymbol(f"W_{l}", self.n(l), self.n(l - 1))

    def b(self, l: int) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(f"b_{l}", self.n(l), 1)

    def z(self, l: int, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(_sampled(f"z_{l}", i), self.n(l), 1)

    def a(self, l: int, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(_sampled(f"a_{l}", i), self.n(l), 1)

    def delta(self, l: int, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(_sampled(f"delta_{l}", i), self.n(l), 1)

    def y(self, i=None) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(_sampled("y", i), self.n(self.L), 1)

    def alpha(self, l: int) -> sp.Symbol:
        """α_l, the learned slope of a PReLU layer."""
        return _symbol(f"alpha_{l}")

    # -- component symbols (1-based j, k; the sample i only when N > 1) --------------------
    def _component(self, name: str, l, j: int, i=None, k=None, *, sampled: bool = True):
        if self.is_chain:  # the lecture's scalars: z_3, w_3, y
            return _symbol(name if l is None else f"{name}_{l}")
        # the sample index only on what depends on the sample (z, a, δ, y), and only for N > 1
        sample = "" if self.samples == 1 or not sampled else f",{1 if i is None else i}"
        index = f"{j}" if k is None else f"{j},{k}"
        head = name if l is None else f"{name}^{l}"
        return _symbol(f"{head}_{index}{sample}")

    def w_(self, l: int, j: int = 1, k: int = 1) -> sp.Symbol:
        """w^l_{jk}: from neuron k of layer l-1 to neuron j of layer l (w_l in a chain)."""
        return self._component("w", l, j, k=k, sampled=False)

    def b_(self, l: int, j: int = 1) -> sp.Symbol:
        return self._component("b", l, j, sampled=False)

    def z_(self, l: int, j: int = 1, i=None) -> sp.Symbol:
        return self._component("z", l, j, i)

    def a_(self, l: int, j: int = 1, i=None) -> sp.Symbol:
        return self._component("a", l, j, i)

    def delta_(self, l: int, j: int = 1, i=None) -> sp.Symbol:
        return self._component("delta", l, j, i)

    def y_(self, j: int = 1, i=None) -> sp.Symbol:
        return self._component("y", None, j, i)

    @property
    def sample_range(self) -> range:
        return range(1, self.samples + 1)

    # -- parameters -------------------------------------------------------------------------
    @property
    def weight_name(self) -> str:
        """``w`` in a chain (the scalar w_l), ``W`` otherwise (the matrix W_l)."""
        return "w" if self.is_chain else "W"

    @cached_property
    def _parameter_names(self) -> tuple:
        L, w = self.L, self.weight_name
        out = [f"b_{l}" for l in range(L, 0, -1)] + [f"{w}_{l}" for l in range(L, 0, -1)]
        out += [f"alpha_{l}" for l in range(L, 0, -1) if self.has_slope(l)]
        return tuple(out)

    def parameter_names(self) -> list[str]:
        """The parameters in the lecture's order: b_L..b_1, W_L..W_1 (w_l in a chain),
        α_L..α_1 for the PReLU layers."""
        return list(self._parameter_names)

    def parameter_shape(self, name: str) -> tuple:
        """(n_l, n_{l-1}) for W_l, (n_l,) for b_l, () for α_l."""
        kind, l = self.parameter(name)
        return {"W": (self.n(l), self.n(l - 1)), "b": (self.n(l),), "alpha": ()}[kind]

    def parameter_count(self) -> int:
        return sum(self.n(l) * self.n(l - 1) + self.n(l) for l in self.layers) \
            + sum(map(self.has_slope, self.layers))

    def parameter(self, name: str) -> tuple[str, int]:
        """Split ``"W_3"`` (``"w_3"`` in a chain, where ``W_3`` is accepted too) into
        ``("W", 3)``; a one-line error for anything else.

        >>> Dense([2, 3, 2]).parameter("w_3")
        Traceback (most recent call last):
        ...
        symgrad.errors.UsageError: parameter='w_3': not a parameter of this network; allowed: W_l, b_l for l = 1..2
        >>> Chain(depth=3).parameter("w_2"), Chain(depth=3).parameter("W_2")
        (('W', 2), ('W', 2))
        """
        kind, _, layer = str(name).partition("_")
        if kind == "w" and self.is_chain:
            kind = "W"
        if kind in ("b", "W", "alpha") and layer.isdigit() and 1 <= int(layer) <= self.L:
            l = int(layer)
            if kind != "alpha" or self.has_slope(l):
                return kind, l
        raise UsageError(f"parameter={name!r}: not a parameter of this network; allowed: "
                         f"{self.weight_name}_l, b_l for l = 1..{self.L}"
                         + (", alpha_l for the PReLU layers"
                            if any(map(self.has_slope, self.layers)) else ""))

    def canonical(self, name: str) -> str:
        """The parameter's own name: ``w_3`` for ``W_3`` in a chain, else ``name`` itself.

        >>> Chain(depth=3).canonical("W_2"), Dense([2, 2]).canonical("W_1")
        ('w_2', 'W_1')
        """
        kind, l = self.parameter(name)
        return f"{self.weight_name if kind == 'W' else kind}_{l}"

    def components(self, name: str) -> list[tuple]:
        """The component symbols of one parameter with their indices (1-based), row by row."""
        kind, l = self.parameter(name)
        if kind == "W":
            return [((j, k), self.w_(l, j, k)) for j in range(1, self.n(l) + 1)
                    for k in range(1, self.n(l - 1) + 1)]
        if kind == "b":
            return [((j,), self.b_(l, j)) for j in range(1, self.n(l) + 1)]
        return [((), self.alpha(l))]

    # -- forward equations ------------------------------------------------------------------
    def activation_display(self, l: int, i=None) -> sp.MatrixExpr:
        """σ_l(z_l) elementwise (softmax(z_L) for a softmax output)."""
        act = self.sigma(l)
        f = layer_function(act)
        if self.has_slope(l):
            t = sp.Dummy("z", real=True)
            return ElementwiseApplyFunction(sp.Lambda(t, f(t, self.alpha(l))), self.z(l, i))
        if isinstance(act, Softmax):
            return SoftmaxOf(self.z(l, i))
        return ElementwiseApplyFunction(f, self.z(l, i))

    def forward_equations(self, i=None) -> list[sp.Eq]:
        """z_1, a_1, ..., z_L, a_L in matrix form, network order."""
        eqs = []
        for l in self.layers:
            eqs.append(sp.Eq(self.z(l, i), self.W(l) * self.a(l - 1, i) + self.b(l),
                             evaluate=False))
            eqs.append(sp.Eq(self.a(l, i), self.activation_display(l, i), evaluate=False))
        return eqs

    def unit(self, l: int, j: int = 1, i=None) -> sp.Expr:
        """σ_l(z^l_j) with σ_l an undefined function named after the activation (the
        display form of a^l_j)."""
        f, z = layer_function(self.sigma(l)), self.z_(l, j, i)
        return f(z, self.alpha(l)) if self.has_slope(l) else f(z)

    def preactivation(self, l: int, j: int = 1, i=None) -> sp.Expr:
        """z^l_j = Σ_k w^l_{jk} a^{l-1}_k + b^l_j (z_l = w_l a_{l-1} + b_l in a chain)."""
        return sp.Add(*[self.w_(l, j, k) * self.a_(l - 1, k, i)
                        for k in range(1, self.n(l - 1) + 1)]) + self.b_(l, j)

    def forward_components(self, l: int, i=None) -> list[sp.Eq]:
        """z^l_j = Σ_k w^l_{jk} a^{l-1}_k + b^l_j and a^l_j = σ_l(z^l_j), j = 1..n_l."""
        eqs = []
        for j in range(1, self.n(l) + 1):
            eqs.append(sp.Eq(self.z_(l, j, i), self.preactivation(l, j, i), evaluate=False))
            if isinstance(self.sigma(l), Softmax):
                zs = [self.z_(l, m, i) for m in range(1, self.n(l) + 1)]
                rhs = sp.exp(self.z_(l, j, i)) / sp.Add(*map(sp.exp, zs))
            else:
                rhs = self.unit(l, j, i)
            eqs.append(sp.Eq(self.a_(l, j, i), rhs, evaluate=False))
        return eqs

    def composed_cost(self) -> sp.Expr:
        """C = Σ_i C_i as one explicit SymPy expression in the inputs a^0_k, the targets y_j
        and the parameters, every activation written out.  Its size grows with depth and
        width: meant for proofs of small networks."""
        total = []
        for i in self.sample_range:
            a = [self.a_(0, k, i) for k in range(1, self.n(0) + 1)]
            for l in self.layers:
                act = self.sigma(l)
                z = [sp.Add(*[self.w_(l, j, k) * a[k - 1] for k in range(1, self.n(l - 1) + 1)])
                     + self.b_(l, j) for j in range(1, self.n(l) + 1)]
                if isinstance(act, Softmax):
                    # −Σ_j y_j ln softmax_j(z), with ln softmax_j(z) = z_j − ln Σ_m exp(z_m)
                    log_s = sp.log(sp.Add(*map(sp.exp, z)))
                    total += [-self.y_(j, i) * (z[j - 1] - log_s) for j in range(1, self.n(l) + 1)]
                    a = None
                    break
                a = [act(zj, self.alpha(l)) for zj in z]
            if a is not None:
                total += [self.cost(a[j - 1], self.y_(j, i)) for j in range(1, self.n(self.L) + 1)]
        return sp.Add(*total)


def _sampled(name: str, i) -> str:
    return name if i is None else f"{name},{i}"


def Chain(depth: int = 4, activation="sigmoid", cost="quadratic") -> Network:
    """A chain of ``depth`` one-neuron layers: the :class:`Network` of widths 1, ..., 1.

    ``activation`` is one name for every layer, or a list of ``depth`` names, layer 1
    first (for example a linear output: ``["sigmoid", "sigmoid", "linear"]``).

    >>> Chain(depth=3, activation="tanh")
    Chain(depth=3, activation='tanh', cost='quadratic')
    >>> Chain(depth=3, activation=["tanh", "relu"])
    Traceback (most recent call last):
    ...
    symgrad.errors.UsageError: activations='tanh,relu': 2 given, the network has depth 3 and needs 3
    """
    depth = check_depth(depth)
    if not isinstance(activation, (str, Activation)):
        try:
            acts = list(activation)
        except TypeError:
            raise UsageError(f"activation={activation!r}: must be a name or a list of "
                             f"{depth} names") from None
        if len(acts) != depth:
            raise UsageError(f"activations={','.join(map(_name, acts))!r}: {len(acts)} given, "
                             f"the network has depth {depth} and needs {depth}")
        activation = acts
    return Network((1,) * (depth + 1), activation, cost)


def Dense(widths, activations="sigmoid", cost="quadratic", samples: int = 1, *,
          activation=None) -> Network:
    """A network of dense layers: the :class:`Network` of the given widths
    (``activation=`` is accepted as another spelling of ``activations=``).

    >>> Dense([2, 3, 2], activations=["tanh", "linear"], cost="sse").describe()["activations"]
    ['tanh', 'linear']
    """
    return Network(widths, activations if activation is None else activation, cost, samples)
