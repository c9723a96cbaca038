"""Test vectors: seeded cases over the hard regimes, every number a D-digit decimal string,
every gradient certified to D digits for the decimals as written.

>>> from symgrad.model.network import Chain
>>> doc = make_vectors(Chain(depth=2), count=1, digits=8, regime="ordinary")
>>> doc["format"], doc["certified"], doc["cases"][0]["regime"], sorted(doc["cases"][0])
('symgrad-vectors/1', True, 'ordinary', ['cost', 'gradients', 'inputs', 'parameters', 'regime'])
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from symgrad.errors import UsageError
from symgrad.oracle.description import describe_network
from symgrad.oracle.formats import VECTORS_FORMAT
from symgrad.oracle.point import case_point
from symgrad.oracle.reference import DEFAULT_DIGITS, KINKS, as_network, certify, parse_digits
from symgrad.oracle.regimes import REGIMES, check_regime, cycle, draw

__all__ = ["KINK_CONVENTIONS", "make_vectors"]

#: what a vector file says of the branch its gradients take at a kink
KINK_CONVENTIONS = {
    "left": "at z = 0 exactly, σ'(0) is the derivative of the branch z ≤ 0 (relu'(0) = 0), "
            "as PyTorch takes it (and JAX for relu, elu and selu; JAX's leaky_relu takes the "
            "right: verify --kink right or either)",
    "right": "at z = 0 exactly, σ'(0) is the derivative of the branch z > 0 (relu'(0) = 1)",
}


def _check(count, seed, scale, saturate):
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UsageError(f"count={count!r}: must be an integer >= 1")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed={seed!r}: must be an integer >= 0")
    if not (isinstance(scale, numbers.Real) and math.isfinite(scale) and scale > 0):
        raise UsageError(f"scale={scale!r}: must be a finite number > 0")
    if saturate is not None and not (isinstance(saturate, numbers.Real) and
                                     0 <= saturate <= 1):
        raise UsageError(f"saturate={saturate!r}: must be a probability from 0 to 1")


def make_vectors(network, *, count: int = 10, seed: int = 0, digits: int = DEFAULT_DIGITS,
                 regime: str = "mixed", scale: float = 1.0, saturate: float | None = None,
                 kink: str = "left", progress=None) -> dict:
    """A vector document of ``count`` seeded cases of ``network`` (chain or dense).

    Each case is drawn in its regime (:data:`~symgrad.oracle.regimes.REGIMES`; ``mixed``
    cycles through them), every parameter and input rounded to a ``digits``-digit decimal
    first; then the cost and gradients are certified balls narrower than half a unit in
    their D-th digit (:func:`~symgrad.oracle.reference.reference`) and written as D-digit
    decimals.  ``"certified"`` is false only where a custom function has no ball form;
    ``"kink"`` is the convention the gradients take at a kink.
    """
    net = as_network(network)
    digits = parse_digits(digits)
    check_regime(regime)
    _check(count, seed, scale, saturate)
    if kink not in KINKS:
        raise UsageError(f"kink={kink!r}: must be one of {', '.join(KINKS)}")
    rng = np.random.default_rng(seed)
    cases, reasons = [], set()
    for k, name in enumerate(cycle(net, regime, count)):
        params, inputs = draw(net, name, rng, digits, scale=scale, saturate=saturate)
        ref = certify(case_point(net, params, inputs), digits, kink)
        if not ref.evaluation.cost.is_finite():
            raise UsageError(f"network={net!r}: case {k} ({name}) leaves the cost "
                             f"{net.cost_name!r} undefined; use --regime ordinary")
        reasons.update(ref.reasons)
        cases.append({"regime": name, "inputs": inputs, "parameters": params,
                      "cost": ref.decimal("cost"),
                      "gradients": {n: ref.decimal(n) for n in net.parameter_names()}})
        if progress is not None:  # a callback counting cases done (the command line's bar)
            progress(1)
    from symgrad import __version__ as version
    used = list(dict.fromkeys(c["regime"] for c in cases))
    doc = {"format": VECTORS_FORMAT, "generator": f"symgrad {version}", "seed": seed,
           "network": describe_network(net), "digits": digits, "certified": not reasons}
    if reasons:
        doc["not_certified"] = sorted(reasons)
    doc.update({"kink": kink, "conventions": {"kink": KINK_CONVENTIONS[kink]},
                "regimes": {r: REGIMES[r] for r in used}, "cases": cases})
    return doc
