"""Real implementations against the oracle, and the mutation suite.

* PyTorch autograd (float64) and the hand-written NumPy backprop agree with the oracle for
  every built-in activation at depths 2 to 100, and raise no false alarm over 1000 random
  points, saturated units included.
* Every mutant in :data:`tests.implementations.MUTANTS` is caught by the oracle at depths
  5, 30 and 100.  Beside it, ``torch.autograd.gradcheck`` with its default tolerances
  (eps 1e-6, atol 1e-5, rtol 1e-3) judges the same mutant, run as the backward of a
  ``torch.autograd.Function``; what it catches is asserted as observed
  (:data:`GRADCHECK_OBSERVED`, written from a run of :func:`mutation_table`).

``python -m tests.test_mutations`` prints the mutation table as Markdown.
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

from symgrad.model.activations import activation_names  # noqa: E402
from symgrad.derivation import derive  # noqa: E402
from symgrad.model.network import Chain  # noqa: E402
from symgrad.numeric.chain import random_point  # noqa: E402
from symgrad.oracle.core import compare_gradients, reference  # noqa: E402
from tests.implementations import MUTANTS, Backprop, torch_autograd  # noqa: E402

#: the depths of the mutation table
DEPTHS = (5, 30, 100)
#: random points per depth (w, b ~ N(0, 1), a_0, y ~ U(0, 1); sigmoid, quadratic cost)
POINTS = 4
#: digits of the reference in these tests
DIGITS = 30

#: how many of the POINTS points torch.autograd.gradcheck (default tolerances) flagged,
#: per mutant and depth, as observed by running mutation_table() (seeded, deterministic)
GRADCHECK_OBSERVED = {
    "correct": (0, 0, 0),
    "missing_sigma_prime": (4, 4, 4),
    "a_l_for_a_l-1": (4, 4, 4),
    "off_by_one_layer": (4, 3, 4),
    "sign_error": (4, 4, 4),
    "w_l_for_w_l+1": (4, 4, 4),
    "dropped_dC_da_L": (4, 4, 4),
    "float32_round_trip": (0, 0, 0),
    "0.1%_in_one_layer": (0, 0, 0),
    "bug_only_z<0": (4, 3, 4),
    "db_equals_a_delta": (4, 4, 4),
    "sigma_prime_of_a": (4, 4, 4),
    "sigma_prime_without_bias": (4, 4, 4),
    "doubled_cost_derivative": (4, 4, 4),
    "loop_stops_one_short": (4, 0, 0),
    "first_layer_doubled": (2, 0, 0),
}


def _torch():
    """torch, or a skip; under CI (the variable CI set) a missing torch is a failure."""
    if os.environ.get("CI"):
        import torch  # noqa: F401 - must be installed: pip install -e .[test,torch]
        return torch
    return pytest.importorskip("torch")


# --- points -----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _chain_points(depth: int):
    """The POINTS points of one depth, each with its reference, and the batch as arrays."""
    net = Chain(depth=depth)
    d = derive(net)
    rng = np.random.default_rng(1000 + depth)
    points = [random_point(d, rng) for _ in range(POINTS)]
    refs = [reference(d, p, x, digits=DIGITS) for p, x in points]
    batch = ({n: np.array([p[n] for p, _ in points]) for n in points[0][0]},
             {n: np.array([x[n] for _, x in points]) for n in points[0][1]})
    return net, points, refs, batch


def _row(grads: dict, k: int, net: Chain) -> dict:
    return {n: grads[n][k] for n in net.parameter_names()}


def symgrad_catches(name: str, depth: int) -> int:
    """At how many points the oracle rejects the implementation ``name``."""
    net, points, refs, batch = _chain_points(depth)
    impl = Backprop(net) if name == "correct" else MUTANTS[name](net)
    grads = impl(*batch)
    return sum(not compare_gradients(_row(grads, k, net), refs[k]).passed
               for k in range(POINTS))


def _mutant_function(torch, impl: Backprop, net: Chain, inputs: dict):
    """C(w, b) as a torch.autograd.Function: the forward is the true cost, the backward is
    ``impl``'s gradients (a mutant's, for the table)."""
    L = net.depth

    def as_params(w, b):
        out = {f"b_{l}": np.array([float(b[l - 1])]) for l in range(1, L + 1)}
        out.update({f"w_{l}": np.array([float(w[l - 1])]) for l in range(1, L + 1)})
        return out

    x = {n: np.array([v]) for n, v in inputs.items()}
    assert all(act.name == "sigmoid" for act in net.activations) and net.cost.name == "quadratic"

    def cost(w, b):
        # the true C = ½(a_L - y)² with z_l = w_l a_{l-1} + b_l, a_l = σ(z_l), in floats
        a = inputs["a_0"]
        for w_l, b_l in zip(w.tolist(), b.tolist()):
            z = w_l * a + b_l
            a = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
        return 0.5 * (a - inputs["y"]) ** 2

    class Mutant(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, b):
            ctx.save_for_backward(w, b)
            return torch.tensor(cost(w.detach(), b.detach()), dtype=torch.float64)

        @staticmethod
        def backward(ctx, grad_cost):
            w, b = ctx.saved_tensors
            g = impl(as_params(w.detach().numpy(), b.detach().numpy()), x)
            dw = torch.tensor([g[f"w_{l}"][0] for l in range(1, L + 1)], dtype=torch.float64)
            db = torch.tensor([g[f"b_{l}"][0] for l in range(1, L + 1)], dtype=torch.float64)
            return grad_cost * dw, grad_cost * db

    return Mutant.apply


def gradcheck_catches(name: str, depth: int) -> int:
    """At how many points torch.autograd.gradcheck with its default tolerances rejects the
    implementation ``name`` (run as the backward of a torch.autograd.Function)."""
    torch = _torch()
    net, points, _, _ = _chain_points(depth)
    impl = Backprop(net) if name == "correct" else MUTANTS[name](net)
    caught = 0
    for params, inputs in points:
        w = torch.tensor([params[f"w_{l}"] for l in net.layers], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([params[f"b_{l}"] for l in net.layers], dtype=torch.float64,
                         requires_grad=True)
        ok = torch.autograd.gradcheck(_mutant_function(torch, impl, net, inputs), (w, b),
                                      raise_exception=False)
        caught += not ok
    return caught


def mutation_table() -> dict:
    """{implementation: [(symgrad caught, gradcheck caught) per depth]}: observed now."""
    names = ["correct"] + list(MUTANTS)
    return {name: [(symgrad_catches(name, d), gradcheck_catches(name, d)) for d in DEPTHS]
            for name in names}


def markdown(table: dict) -> str:
    """The mutation table as Markdown: caught at k of POINTS points."""
    def cell(k):
        return f"yes ({k}/{POINTS})" if k else f"no (0/{POINTS})"
    head = "| implementation | bug | " + " | ".join(
        f"symgrad L={d} | gradcheck L={d}" for d in DEPTHS) + " |"
    rule = "|" + "---|" * (2 + 2 * len(DEPTHS))
    rows = []
    for name, per_depth in table.items():
        bug = Backprop.bug if name == "correct" else MUTANTS[name].bug
        cells = " | ".join(f"{cell(s)} | {cell(g)}" for s, g in per_depth)
        rows.append(f"| `{name}` | {bug} | {cells} |")
    return "\n".join([head, rule, *rows])


# --- the mutation suite -----------------------------------------------------------------------

def test_there_are_at_least_ten_named_mutants():
    assert len(MUTANTS) >= 10
    assert all(cls.bug and cls.bug != Backprop.bug for cls in MUTANTS.values())


@pytest.mark.parametrize("depth", DEPTHS)
def test_the_correct_backprop_passes(depth):
    assert symgrad_catches("correct", depth) == 0


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("name", list(MUTANTS))
def test_the_oracle_catches_every_mutant(name, depth):
    assert symgrad_catches(name, depth) >= 1


@pytest.mark.parametrize("name", list(GRADCHECK_OBSERVED))
def test_gradcheck_catches_what_was_observed(name):
    observed = tuple(gradcheck_catches(name, d) for d in DEPTHS)
    assert observed == GRADCHECK_OBSERVED[name]


# --- correct implementations ------------------------------------------------------------------

BUILTIN = activation_names()


def _implementation(label: str):
    """The correct implementation ``label`` as ``(net, params, inputs) -> gradients``."""
    if label == "numpy":
        return lambda net, params, inputs: Backprop(net)(params, inputs)
    _torch()
    return torch_autograd


@pytest.mark.parametrize("label", ["numpy", "torch"])
@pytest.mark.parametrize("activation", BUILTIN)
def test_correct_implementations_agree_with_the_oracle_at_depths_2_to_100(activation, label):
    implementation = _implementation(label)
    for depth in (2, 10, 30, 100):
        net = Chain(depth=depth, activation=activation)
        d = derive(net)
        params, inputs = random_point(d, depth)
        ref = reference(d, params, inputs, digits=DIGITS)
        grads = implementation(net, {n: np.array([v]) for n, v in params.items()},
                               {n: np.array([v]) for n, v in inputs.items()})
        result = compare_gradients(_row(grads, 0, net), ref)
        assert result.passed, f"{label}, depth {depth}:\n{result.message()}"


@lru_cache(maxsize=None)
def _false_alarm_points():
    """1000 points with their references: every built-in activation, depths 2 to 6, a
    third with w ~ N(0, 9), a third with saturated units (b_l = ±U(30, 40) with
    probability 0.3)."""
    groups = []
    rng = np.random.default_rng(2024)
    per_group = 1000 // (len(BUILTIN) * 3)
    total = 0
    for i, activation in enumerate(BUILTIN):
        for j, (scale, saturate) in enumerate([(1.0, 0.0), (3.0, 0.0), (1.0, 0.3)]):
            depth = 2 + (i + j) % 5
            net = Chain(depth=depth, activation=activation)
            count = per_group if (i, j) != (len(BUILTIN) - 1, 2) else 1000 - total
            pts = [random_point(derive(net), rng, scale=scale, saturate=saturate)
                   for _ in range(count)]
            refs = [reference(net, p, x, digits=20) for p, x in pts]
            total += count
            groups.append((net, pts, refs))
    assert total == 1000
    return groups


@pytest.mark.parametrize("label", ["numpy", "torch"])
def test_no_false_alarm_over_1000_points_with_saturated_units(label):
    implementation = _implementation(label)
    alarms, checked, saturated, worst = [], 0, 0, 0.0
    for net, pts, refs in _false_alarm_points():
        grads = implementation(net, {n: np.array([p[n] for p, _ in pts]) for n in pts[0][0]},
                               {n: np.array([x[n] for _, x in pts]) for n in pts[0][1]})
        for k, ref in enumerate(refs):
            saturated += any(abs(float(z)) > 15 for z in ref.z[1:])
            result = compare_gradients(_row(grads, k, net), ref)
            checked += 1
            if not result.passed:
                alarms.append(f"{net!r} point {k}:\n{result.message()}")
            worst = max([worst] + [e.error / e.tolerance for e in result.entries
                                   if e.tolerance > 0 and math.isfinite(e.tolerance)
                                   and math.isfinite(e.error)])
    assert checked == 1000
    assert saturated >= 200            # the saturated units are really there
    assert not alarms, "\n".join(alarms[:5])
    assert worst < 0.5                 # the closest call stays well inside the tolerance


if __name__ == "__main__":  # pragma: no cover - prints the table for the README
    table = mutation_table()
    print(markdown(table))
    print()
    print("GRADCHECK_OBSERVED = {")
    for name, per_depth in table.items():
        print(f"    {name!r}: {tuple(g for _, g in per_depth)},")
    print("}")
