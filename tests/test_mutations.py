"""Real implementations against the oracle on its default vectors, and the mutation suite.

The points are the default test vectors (``make_vectors``: the cases cycle through ordinary,
saturated, vanishing and exploding regimes; kink too for a ReLU chain), :data:`CASES` per
depth.  Every mutant in :data:`tests.implementations.MUTANTS` gets a ``fail`` at depths 5,
30 and 100; the stable NumPy backprop passes in float64 and float32; the textbook σ' (s(1 − s),
1 − tanh²) is ``unstable`` at saturated units and passes elsewhere; PyTorch's and JAX's
autograd get no ``fail``.  Beside it, ``torch.autograd.gradcheck`` with its default tolerances
(eps 1e-6, atol 1e-5, rtol 1e-3) judges each mutant run as the backward of a
``torch.autograd.Function``; ``python -m tests.test_mutations`` prints the table (and what
gradcheck caught, :data:`GRADCHECK_OBSERVED`); the unit suite asserts gradcheck at depth 5.
The 1000-point false-alarm sweep is ``python benchmarks/oracle.py --sweep``.
"""
from __future__ import annotations

import math
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symgrad.model.network import Chain  # noqa: E402
from symgrad.oracle import compare_gradients, make_vectors, reference  # noqa: E402
from tests.implementations import (MUTANTS, Backprop, StableBackprop, chain_batch,  # noqa: E402
                                   jax_autograd, torch_autograd)

#: the depths of the mutation table
DEPTHS = (5, 30, 100)
#: default vector cases per depth
CASES = 5
#: digits of the vectors in these tests
DIGITS = 20
#: the mutants whose bug lives in another activation: judged on that activation's chain
ACTIVATION_OF = {"relu_prime_1_at_0": "relu"}

#: how many of the CASES cases torch.autograd.gradcheck (default tolerances) flagged, per
#: mutant and depth, as observed by running mutation_table() (seeded, deterministic)
GRADCHECK_OBSERVED = {
    "correct": (1, 1, 1), "missing_sigma_prime": (3, 3, 3), "a_l_for_a_l-1": (4, 4, 4),
    "off_by_one_layer": (3, 3, 3), "sign_error": (4, 4, 4), "w_l_for_w_l+1": (3, 3, 3),
    "dropped_dC_da_L": (4, 4, 4), "float32_round_trip": (1, 1, 1),
    "0.1%_in_one_layer": (1, 1, 1), "bug_only_z<0": (4, 2, 3), "db_equals_a_delta": (4, 4, 4),
    "sigma_prime_of_a": (5, 5, 5), "sigma_prime_without_bias": (5, 5, 5),
    "doubled_cost_derivative": (4, 4, 4), "loop_stops_one_short": (2, 1, 1),
    "first_layer_doubled": (1, 1, 1), "sigma_prime_overflows": (2, 2, 2),
    "relu_prime_1_at_0": (2, 2, 2), "float32_delta_one_layer": (1, 1, 1),
}


def _torch():
    """torch, or a skip; under CI (the variable CI set) a missing torch is a failure."""
    if os.environ.get("CI"):
        import torch  # noqa: F401 - must be installed: pip install -e .[test,torch]
        return torch
    return pytest.importorskip("torch")


@lru_cache(maxsize=None)
def vectors(depth: int, activation: str = "sigmoid"):
    """The default vectors of one depth with their references and the batch."""
    net = Chain(depth=depth, activation=activation)
    doc = make_vectors(net, count=CASES, seed=depth, digits=DIGITS)
    refs = [reference(net, c["parameters"], c["inputs"], digits=DIGITS) for c in doc["cases"]]
    return net, doc, refs, chain_batch(doc)


def verdicts(grads: dict, depth: int, activation: str = "sigmoid", **options) -> list:
    """The verdict of every case on an implementation's batch of gradients."""
    net, _, refs, _ = vectors(depth, activation)
    return [compare_gradients({n: grads[n][k] for n in net.parameter_names()}, ref,
                              **options).verdict for k, ref in enumerate(refs)]


def implementation(name: str, net):
    return Backprop(net) if name == "correct" else MUTANTS[name](net)


def symgrad_catches(name: str, depth: int) -> int:
    """At how many cases the oracle says ``fail``."""
    activation = ACTIVATION_OF.get(name, "sigmoid")
    net, _, _, batch = vectors(depth, activation)
    return verdicts(implementation(name, net)(*batch), depth, activation).count("fail")


def _mutant_function(torch, impl, net, inputs: dict):
    """C(w, b) as a torch.autograd.Function: the forward is the true cost, the backward is
    ``impl``'s gradients."""
    L = net.depth
    x = {n: np.array([v]) for n, v in inputs.items()}

    def cost(w, b):
        a = inputs["a_0"]
        for w_l, b_l in zip(w.tolist(), b.tolist()):
            z = w_l * a + b_l
            if net.sigma(1).name == "relu":
                a = max(z, 0.0)
            else:
                a = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
        try:
            return 0.5 * (a - inputs["y"]) ** 2
        except OverflowError:            # an exploding ReLU chain's a_L beyond float64
            return math.inf

    class Mutant(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, b):
            ctx.save_for_backward(w, b)
            return torch.tensor(cost(w.detach(), b.detach()), dtype=torch.float64)

        @staticmethod
        def backward(ctx, grad_cost):
            w, b = ctx.saved_tensors
            params = {f"w_{l}": np.array([float(w[l - 1])]) for l in range(1, L + 1)}
            params.update({f"b_{l}": np.array([float(b[l - 1])]) for l in range(1, L + 1)})
            g = impl(params, x)
            dw = torch.tensor([g[f"w_{l}"][0] for l in range(1, L + 1)], dtype=torch.float64)
            db = torch.tensor([g[f"b_{l}"][0] for l in range(1, L + 1)], dtype=torch.float64)
            return grad_cost * dw, grad_cost * db
    return Mutant.apply


def gradcheck_catches(name: str, depth: int) -> int:
    """At how many cases torch.autograd.gradcheck with its defaults rejects ``name``."""
    torch = _torch()
    activation = ACTIVATION_OF.get(name, "sigmoid")
    net, doc, _, _ = vectors(depth, activation)
    impl, caught = implementation(name, net), 0
    for case in doc["cases"]:
        p = {n: float(v) for n, v in case["parameters"].items()}
        inputs = {n: float(v) for n, v in case["inputs"].items()}
        w = torch.tensor([p[f"w_{l}"] for l in net.layers], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([p[f"b_{l}"] for l in net.layers], dtype=torch.float64,
                         requires_grad=True)
        caught += not torch.autograd.gradcheck(_mutant_function(torch, impl, net, inputs),
                                               (w, b), raise_exception=False)
    return caught


def mutation_table() -> dict:
    """{implementation: [(symgrad caught, gradcheck caught) per depth]}: observed now."""
    return {name: [(symgrad_catches(name, d), gradcheck_catches(name, d)) for d in DEPTHS]
            for name in ["correct"] + list(MUTANTS)}


def markdown(table: dict) -> str:
    """The mutation table as Markdown: caught at k of CASES cases."""
    def cell(k):
        return f"yes ({k}/{CASES})" if k else f"no (0/{CASES})"
    head = "| implementation | bug | " + " | ".join(
        f"symgrad L={d} | gradcheck L={d}" for d in DEPTHS) + " |"
    rows = [head, "|" + "---|" * (2 + 2 * len(DEPTHS))]
    for name, per_depth in table.items():
        bug = "none: the textbook recurrence (σ' = a(1 − a))" if name == "correct" \
            else MUTANTS[name].bug
        if name in ACTIVATION_OF:
            bug += f" ({ACTIVATION_OF[name]} chain)"
        rows.append(f"| `{name}` | {bug} | " + " | ".join(
            f"{cell(s)} | {cell(g)}" for s, g in per_depth) + " |")
    return "\n".join(rows)


# --- the suite --------------------------------------------------------------------------------

def test_there_are_named_mutants_for_every_bug_of_the_issue():
    assert len(MUTANTS) >= 18
    assert {"sigma_prime_overflows", "relu_prime_1_at_0", "float32_delta_one_layer",
            "0.1%_in_one_layer"} <= set(MUTANTS)


@pytest.mark.parametrize("depth", DEPTHS)
def test_stable_float64_and_float32_pass_every_case(depth):
    net, _, _, batch = vectors(depth)
    assert set(verdicts(StableBackprop(net)(*batch), depth, strict=True)) == {"pass"}
    g32 = StableBackprop(net, np.float32)(*batch)
    assert set(verdicts({n: v.astype(np.float32) for n, v in g32.items()}, depth)) == {"pass"}


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_textbook_is_unstable_at_saturated_units_and_passes_elsewhere(depth, activation):
    """s(1 − s) and 1 − tanh²: never a fail, a pass on every case without saturated units,
    and unstable on saturated ones at depth 5 (deeper, the drawn saturated units may sit
    where the gradients have vanished below float64, or below |z| = 19: a pass too)."""
    net, doc, _, batch = vectors(depth, activation)
    found = verdicts(Backprop(net)(*batch), depth, activation)
    regimes = [c["regime"] for c in doc["cases"]]
    assert "fail" not in found
    assert all(v == "pass" for v, r in zip(found, regimes) if r != "saturated")
    if depth == DEPTHS[0]:
        assert "unstable" in [v for v, r in zip(found, regimes) if r == "saturated"]


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("name", list(MUTANTS))
def test_every_mutant_fails(name, depth):
    assert symgrad_catches(name, depth) >= 1


@pytest.mark.parametrize("depth", DEPTHS)
def test_pytorch_autograd_gives_no_fail(depth):
    _torch()
    net, _, _, batch = vectors(depth)
    assert "fail" not in verdicts(torch_autograd(net, *batch), depth)


@pytest.mark.parametrize("depth", DEPTHS)
def test_jax_autograd_gives_no_fail(depth):
    if not os.environ.get("CI"):
        pytest.importorskip("jax")
    net, _, _, batch = vectors(depth)
    assert "fail" not in verdicts(jax_autograd(net, *batch), depth)


@pytest.mark.parametrize("name", list(GRADCHECK_OBSERVED))
def test_gradcheck_at_depth_5_catches_what_was_observed(name):
    assert gradcheck_catches(name, DEPTHS[0]) == GRADCHECK_OBSERVED[name][0]


if __name__ == "__main__":  # pragma: no cover - prints the table for the README
    table = mutation_table()
    print(markdown(table))
    print()
    print("GRADCHECK_OBSERVED = {")
    for name, per_depth in table.items():
        print(f"    {name!r}: {tuple(g for _, g in per_depth)},")
    print("}")
