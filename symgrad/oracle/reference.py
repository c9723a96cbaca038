"""Certified reference gradients: the cost and every ∂C/∂θ of any network as Arb balls that
provably contain the true values for the inputs exactly as given.

:func:`reference` reads the point exactly (:mod:`symgrad.oracle.point`), evaluates the
derivation's recurrence on balls (:mod:`symgrad.oracle.recurrence`) and raises the working
precision until every ball is narrower than half a unit in the D-th significant digit::

    radius(g) < ½ · 10^{−D} · |g|      (so the D-digit decimal of the midpoint is within one
                                        unit in its last digit of the truth)

A value that is exactly 0 comes out as the exact ball 0 (a dead unit: σ' = 0 exactly).  A
unit whose z lies at a kink (ReLU family, ELU, SELU) is decided exactly: where the layers
below are piecewise linear the point's z is computed in rationals, and an exact 0 takes the
``kink`` convention (``"left"``: the branch z ≤ 0, as PyTorch takes it, and JAX but for
``jax.nn.leaky_relu``; ``"right"``).
Nothing here passes through a float: the balls' endpoints are exact binary numbers.

Where mpmath stays: :meth:`Reference.value` hands out the midpoints as mpmath numbers (a
convenience for callers, never used for a verdict), and a custom activation or cost
registered from Python with a function Arb has no ball form for is evaluated with mpmath and
the reference says it is not certified (:mod:`symgrad.oracle.balls`; every function of the
expression grammar, Heaviside and sign included, has a ball form).  Arb has every function of
the built-in table (exp, log1p, expm1, tanh, sech, erfc, ...); gmpy2 is not needed here.

>>> from symgrad.model.network import Chain
>>> ref = reference(Chain(depth=1), {"w_1": 2, "b_1": -1}, {"a_0": "0.5", "y": 1})
>>> ref.cost, ref["b_1"], ref["w_1"]             # σ'(0) = 1/4, a_1 - y = -1/2: exact balls
(mpf('0.125'), mpf('-0.125'), mpf('-0.0625'))
>>> ref.certified, ref.radius("w_1")
(True, mpf('0.0'))
>>> deep = reference(Chain(depth=1000), {**{f"w_{l}": "0.1" for l in range(1, 1001)},
...                  **{f"b_{l}": 0 for l in range(1, 1001)}}, {"a_0": 1, "y": 0}, digits=10)
>>> deep.decimal("b_1"), deep.radius("b_1") < mpmath.mpf("1e-1610")   # far below float64's 1e-308
('2.310255821e-1602', True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping

import mpmath
from flint import arb, ctx

from symgrad.derivation import Derivation
from symgrad.errors import UsageError
from symgrad.numeric.points import DEFAULT_DIGITS, MAX_DIGITS, parse_digits
from symgrad.model.network import Network
from symgrad.oracle.decimals import decimal_string
from symgrad.oracle.point import Point, read_point
from symgrad.oracle.recurrence import AtKink, Evaluation, evaluate, exact_preactivation

__all__ = ["KINKS", "Reference", "reference", "certify",
           "parse_digits", "as_network", "leaves", "nested"]

#: the conventions at a kink: the branch z ≤ 0 or z > 0
KINKS = ("left", "right")
_BITS_PER_DIGIT = math.log2(10)


def as_network(network) -> Network:
    """A Network from a Network or its Derivation; one line for anything else."""
    if isinstance(network, Derivation):
        return network.network
    if isinstance(network, Network):
        return network
    raise UsageError(f"network={network!r}: must be a Network (Chain(...), Dense(...)) or "
                     "its Derivation")


def leaves(value, index=()):
    """(index, leaf) of a scalar or nested lists, row-major (``()`` for a scalar)."""
    if isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, index + (i,))
    else:
        yield index, value


def nested(value, f):
    """``f`` applied to every leaf of a scalar or nested lists, the shape kept."""
    return [nested(v, f) for v in value] if isinstance(value, list) else f(value)


@lru_cache(maxsize=64)
def _canonical(net: Network) -> dict:
    """Every spelling of a parameter name (w_l and W_l in a chain) → W_l, b_l, alpha_l."""
    out = {}
    for name in net.parameter_names():
        kind, l = net.parameter(name)
        out[name] = out[f"{kind}_{l}"] = f"{kind}_{l}"
    return out


def _to_mpf(x: arb):
    man, exp = x.mid().man_exp()
    return mpmath.mp.make_mpf(mpmath.libmp.from_man_exp(int(man), int(exp)))


def _bits_short(x: arb, need: int) -> float:
    """How many bits the ball ``x`` lacks of a relative radius 2^−need (0 for an exact ball,
    inf for a ball around 0)."""
    if x.is_exact():
        return 0.0
    if x.contains(0):
        return math.inf
    return max(0.0, need - x.rel_accuracy_bits())


@dataclass(frozen=True)
class Reference:
    """The exact side of a comparison.  ``ball(name)`` is the arb ball (nested lists of
    balls in the parameter's shape for a dense network) that contains ∂C/∂name, or C for
    ``"cost"``; ``radius(name)`` its largest radius; ``certified`` says whether every ball
    is a proof (False only for a custom function without a ball form, or a value whose
    ball still contains 0 at the precision cap: ``reasons`` says which)."""

    network: Network
    digits: int
    kink: str
    bits: int
    point: Point = field(repr=False)
    evaluation: Evaluation = field(repr=False)
    certified: bool = True
    reasons: tuple = ()
    #: the units (l, j, i) whose z is exactly 0 though no ball of it was (decided in
    #: rationals); an exact ball 0 at a kink takes the convention directly
    kinks: tuple = ()
    #: mpmath copies, made when first asked for
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def names(self) -> list:
        """The parameter names in the lecture's order (w_l in a chain, W_l otherwise)."""
        return self.network.parameter_names()

    def ball(self, name: str):
        if name == "cost":
            return self.evaluation.cost
        key = _canonical(self.network).get(name)
        if key is None:
            self.network.parameter(name)          # the one-line error naming what is allowed
        return self.evaluation.gradients[key]

    def radius(self, name: str):
        """The largest radius of the ball(s) of ``name`` (or ``"cost"``), exactly, as an
        mpmath number (radii of deep gradients lie far below float64's range)."""
        return max(_to_mpf(b.rad()) for _, b in leaves(self.ball(name)))

    def value(self, name: str):
        """The midpoint(s) as exact mpmath numbers (nested lists for a dense network)."""
        if name not in self.cache:
            self.cache[name] = nested(self.ball(name), _to_mpf)
        return self.cache[name]

    def __getitem__(self, name: str):
        return self.value(name)

    @property
    def cost(self):
        return self.value("cost")

    @property
    def gradients(self) -> dict:
        """Every gradient's midpoint(s) by parameter name, in the lecture's order."""
        return {n: self.value(n) for n in self.names()}

    def decimal(self, name: str, digits: int | None = None):
        """``name`` (or ``"cost"``) as decimal strings of ``digits`` significant digits
        (default: the reference's), nested for a dense network's arrays."""
        d = digits or self.digits
        return nested(self.ball(name), lambda b: decimal_string(b, d))

    def as_dict(self, digits: int | None = None) -> dict:
        """``{"cost": ..., "gradients": {name: ...}}`` as decimal strings."""
        return {"cost": self.decimal("cost", digits),
                "gradients": {n: self.decimal(n, digits) for n in self.names()}}

    @property
    def z(self) -> tuple:
        """A chain's z_0..z_L as mpf (z_0 is None)."""
        return (None,) + tuple(_to_mpf(v) for v in self.evaluation.trace.z[1:])

    @property
    def a(self) -> tuple:
        """A chain's a_0..a_L as mpf."""
        return tuple(_to_mpf(v) for v in self.evaluation.trace.a)

    @property
    def how(self) -> str:
        if self.certified:
            return f"certified: Arb balls at {self.bits} bits"
        return "not certified: " + "; ".join(self.reasons)


def _start_bits(net: Network, need: int) -> int:
    """The first working precision: the digits asked for, and room for the radius to grow
    about once per operation along the longest path."""
    return need + 24 + 4 * math.ceil(math.log2(net.L + 1) + math.log2(max(net.widths) + 1))


def _evaluate_at(point: Point, kink: str, bits: int, zeros: set) -> Evaluation:
    """The evaluation at ``bits``, every unit at a kink decided exactly first."""
    while True:
        with ctx.workprec(bits):
            try:
                return evaluate(point, kink, frozenset(zeros))
            except AtKink as at:
                l, j, i = at.args
        exact = exact_preactivation(point, l, kink)
        if exact is None or exact[j][i] != 0:
            # z is not 0, or not rational: more precision separates it from the kink
            if bits >= _max_bits(point.network, 0):
                raise UsageError(f"point: z of layer {l}, unit {j + 1}, sample {i + 1} lies "
                                 f"within 2^-{bits} of the kink; its side cannot be decided "
                                 "(give the point as exact decimals)")
            bits = min(2 * bits, _max_bits(point.network, 0))
            continue
        zeros.add((l, j, i))


def _max_bits(net: Network, need: int) -> int:
    return max(4 * need, MAX_DIGITS * 4) + 8192


def reference(network, parameters: Mapping, inputs: Mapping, *, digits: int = DEFAULT_DIGITS,
              kink="left") -> Reference:
    """The cost and every gradient of ``network`` (a Network or its Derivation, chain or
    dense) at ``parameters`` and ``inputs`` as certified balls, each narrower than half a
    unit in the ``digits``-th significant digit (see the module).

    Parameters by name (``w_3``/``W_3``, ``b_3``, ``alpha_3``): scalars for a chain, nested
    lists or arrays in the parameter's shape otherwise; inputs ``{"a_0": ..., "y": ...}``
    for a chain or ``{"x": N rows of n_0, "y": N rows of n_L}``.  Values may be ints,
    floats, Fractions, Decimals, mpf, NumPy numbers or decimal strings (read as written).
    ``kink`` is the branch at z = 0 exactly, for every layer or one per layer (layer 1
    first: JAX's leaky_relu takes the right branch where its relu takes the left).
    """
    net = as_network(network)
    digits = parse_digits(digits)
    per_layer = isinstance(kink, (tuple, list)) and len(kink) == net.L
    if not (kink in KINKS if isinstance(kink, str) else
            per_layer and all(isinstance(k, str) and k in KINKS for k in kink)):
        raise UsageError(f"kink={kink!r}: must be one of {', '.join(KINKS)}, or one of them "
                         f"for each of the {net.L} layers")
    kink = tuple(kink) if per_layer else kink
    return certify(read_point(net, parameters, inputs), digits, kink)


def certify(point: Point, digits: int, kink: str = "left") -> Reference:
    """:func:`reference` of a point already read (:func:`~symgrad.oracle.point.read_point`,
    or made by the vector generator from its own decimals)."""
    net = point.network
    need = math.ceil(digits * _BITS_PER_DIGIT) + 3
    bits, zeros = _start_bits(net, need), set()
    zero_cap = 2 * bits + 256            # a ball around 0 past this is left as it is
    while True:
        result = _evaluate_at(point, kink, bits, zeros)
        # rel_accuracy_bits is huge for an exact ball, ≤ 0 for one around 0
        short = [_bits_short(b, need) for b in _all_balls(result)
                 if b.rel_accuracy_bits() < need]
        missing = [s for s in short if s > 0 and (s < math.inf or bits < zero_cap)]
        if not missing or bits >= _max_bits(net, need):
            break
        grow = max((s for s in missing if s < math.inf), default=bits)
        bits = min(_max_bits(net, need), bits + int(grow) + 32 + bits // 4)
    reasons = list(result.reasons)
    if any(s > 0 for s in short):
        reasons.append(f"{sum(s > 0 for s in short)} value(s) not narrowed to {digits} "
                       f"digits at {bits} bits (a ball still around 0)")
    return Reference(net, digits, kink, bits, point, result, certified=not reasons,
                     reasons=tuple(reasons), kinks=tuple(sorted(zeros)))


def _all_balls(result: Evaluation) -> list:
    """The cost and every gradient ball, flat (W_l rows, b_l lists, α_l and a chain's
    scalars single balls)."""
    out = [result.cost]
    for value in result.gradients.values():
        if isinstance(value, arb):
            out.append(value)
        elif value and isinstance(value[0], list):
            for row in value:
                out += row
        else:
            out += value
    return out
