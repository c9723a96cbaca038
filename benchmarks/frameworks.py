"""Benchmark: the framework adapters at sizes the unit tests leave out.

In one process, printed as Markdown tables (nothing here asserts a time):

* ``check_module`` on PyTorch MLPs: depths 2-30, widths 4-64 and 784,30,30,10, sigmoid,
  tanh, relu and gelu, in float64, float32 and bfloat16: the verdict, the values judged and
  the seconds, split into the model's own backward, the certified reference and the
  comparison;
* the false-alarm sweep: PyTorch's own autograd at one point of every regime of the
  oracle's vectors (ordinary, saturated, kink, vanishing, exploding) for every activation
  module; a correct implementation must never get ``fail`` (``unstable`` is the textbook
  σ' that PyTorch differentiates);
* the mutation sweep: every mutant of tests/test_torch.py (the oracle's mutation suite as
  hooks), on the tests' model over ``--seeds`` seeded inputs and targets: how often the check catches it and names the
  module where the error enters;
* ``check_params`` on JAX (jax.grad of symgrad's forward pass) for a few of the same sizes.

Run ``python benchmarks/frameworks.py [--quick] [--seeds N] [--no-jax]``.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from symgrad.arraycheck import judge  # noqa: E402
from symgrad.oracle.regimes import draw  # noqa: E402
from symgrad.torch import check_module, map_module  # noqa: E402

ACTS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU}
MODULES = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
           "prelu": nn.PReLU, "elu": nn.ELU, "selu": nn.SELU, "softplus": nn.Softplus,
           "silu": nn.SiLU, "gelu": nn.GELU, "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
           "linear": nn.Identity}


def mlp(widths, act, dtype, seed=0):
    torch.manual_seed(seed)
    mods = []
    for l, (a, b) in enumerate(zip(widths, widths[1:]), 1):
        mods.append(nn.Linear(a, b))
        if l < len(widths) - 1:
            mods.append(act())
    return nn.Sequential(*mods).to(dtype)


def timed_check(model, x, y, loss):
    """(report, seconds of the model's backward, of the reference and comparison)."""
    start = time.perf_counter()
    mapped = map_module(model, x, y, loss)
    grads = mapped.gradients()
    backward = time.perf_counter() - start
    start = time.perf_counter()
    report = judge(mapped.network, mapped.loss, mapped.params, mapped.x, mapped.y, grads,
                   dtype=mapped.dtype, where=mapped.where, layers=mapped.labels(),
                   skip=mapped.skip)
    return report, backward, time.perf_counter() - start


def sizes(quick: bool):
    out = [([4, 8, 2], 4), ([4] + [8] * 4 + [2], 4), ([16] + [16] * 9 + [4], 8),
           ([4] + [6] * 29 + [2], 4), ([64, 64, 64, 10], 8)]
    return out[:3] if quick else out + [([784, 30, 30, 10], 2)]


def torch_table(quick: bool):
    print("## check_module on PyTorch MLPs\n")
    print("| widths | N | activation | dtype | verdict | values | backward s | reference + "
          "compare s |\n|---|---|---|---|---|---|---|---|")
    for widths, N in sizes(quick):
        for name, act in ACTS.items():
            for dtype in (torch.float64, torch.float32, torch.bfloat16):
                if quick and dtype == torch.bfloat16:
                    continue
                g = torch.Generator().manual_seed(1)
                x = torch.randn(N, widths[0], generator=g)
                y = torch.rand(N, widths[-1], generator=g)
                report, back, check = timed_check(mlp(widths, act, dtype), x, y, nn.MSELoss())
                shown = ",".join(map(str, widths)) if len(widths) < 8 else \
                    f"{widths[0]},{widths[1]}×{len(widths) - 2},{widths[-1]}"
                print(f"| {shown} | {N} | {name} | {str(dtype)[6:]} | {report.verdict} | "
                      f"{report.count} | {back:.3f} | {check:.2f} |")
    print()


def _regime_rows(title: str, variant: str, variants, points: int, verdict_of):
    """One table row per activation and variant (dtype, x64): ``points`` drawn cases cycling
    through the regimes of widths 3,5,4,2 (N = 2), each judged by
    ``verdict_of(name, variant, params, inputs)``; no fail may appear."""
    from symgrad.arraycheck import declared_loss, network_for
    print(f"## False alarms: {title} over the regimes (widths 3,5,4,2, N = 2)\n")
    print(f"| activation | {variant} | regimes | points | pass | unstable | fail | fail in |\n"
          "|---|---|---|---|---|---|---|---|")
    for name in MODULES:
        for v in variants:
            counts, where = Counter(), Counter()
            net = network_for((3, 5, 4, 2), [name, name, "linear"], declared_loss("quadratic"), 2)
            kinked = any(getattr(a, "kink", None) for a in net.activations)
            regimes = [r for r in ("ordinary", "saturated", "kink", "vanishing", "exploding")
                       if r != "kink" or kinked]
            rng = np.random.default_rng(0)
            for k in range(points):
                params, inputs = draw(net, regimes[k % len(regimes)], rng, 17)
                verdict = verdict_of(name, v, params, inputs)
                counts[verdict] += 1
                where[regimes[k % len(regimes)]] += verdict == "fail"
            fails = ", ".join(f"{r} {n}" for r, n in where.items() if n)
            shown = str(v).replace("torch.", "")
            print(f"| {name} | {shown} | {', '.join(regimes)} | {points} | {counts['pass']} | "
                  f"{counts['unstable']} | {counts['fail']} | {fails} |")
    print()


def false_alarm_sweep(points: int):
    """PyTorch's autograd at every regime: no fail may appear."""
    def verdict_of(name, dtype, params, inputs):
        model = mlp((3, 5, 4, 2), MODULES[name], dtype)
        with torch.no_grad():
            for l, lin in enumerate(model[::2], 1):
                lin.weight.copy_(torch.tensor(np.array(params[f"W_{l}"], dtype=float)))
                lin.bias.copy_(torch.tensor(np.array(params[f"b_{l}"], dtype=float)))
                if name == "prelu" and l < 3:
                    model[2 * l - 1].weight.fill_(float(params[f"alpha_{l}"]))
        x = torch.tensor(np.array(inputs["x"], dtype=float), dtype=dtype)
        y = torch.tensor(np.array(inputs["y"], dtype=float), dtype=dtype)
        return check_module(model, x, y, "quadratic", raise_on_failure=False).verdict
    _regime_rows("PyTorch's own autograd", "dtype", (torch.float64, torch.float32), points,
                 verdict_of)


def jax_false_alarm_sweep(points: int):
    """JAX's own autograd (jax.grad of the jax.nn activations) at every regime: no fail."""
    import jax
    from symgrad.jax import check_params

    def verdict_of(name, x64, params, inputs):
        arrays = {n: np.array(v, dtype=float) for n, v in params.items()}
        with jax.enable_x64(x64):              # kinks judged on JAX's own branches
            return check_params(arrays, [name, name, "linear"],
                                np.array(inputs["x"], dtype=float),
                                np.array(inputs["y"], dtype=float), "quadratic",
                                raise_on_failure=False).verdict
    _regime_rows("JAX's own autograd", "x64", (True, False), points, verdict_of)


def mutation_sweep(seeds: int):
    from tests import test_torch as T
    print(f"## Mutants as hooks on nn.Sequential(Linear(3, 3), Sigmoid) × 4, {seeds} seeds\n")
    print("| mutant | caught | the right module named first |\n|---|---|---|")
    for name, (inject, first) in T.MUTANTS.items():
        caught = named = 0
        for seed in range(seeds):            # the model of the tests, new data each seed
            model, tap = T.mutated(name)
            x, y = T.data(T.WIDTH, T.WIDTH, N=2, seed=seed)
            report = check_module(model, x, y, "quadratic", raise_on_failure=False)
            if report.passed:
                continue
            caught += 1
            expected = first
            if expected is None:
                l = max(l for l in tap.z if (tap.z[l] < 0).any())
                expected = f"model[{2 * l - 2}].bias"
            named += report.failures[0].where.rsplit("[", 1)[0] == expected
        print(f"| `{name}` | {caught}/{seeds} | {named}/{caught} |")
    print()


def jax_table(quick: bool):
    import jax
    from symgrad.jax import check_params
    print("## check_params on JAX (jax.grad of symgrad's forward pass)\n")
    print("| widths | N | activation | x64 | verdict | values | seconds |\n"
          "|---|---|---|---|---|---|---|")
    for widths, N in sizes(quick)[:4] + ([([784, 30, 30, 10], 2)] if not quick else []):
        rng = np.random.default_rng(0)
        params = {}
        for l, (a, b) in enumerate(zip(widths, widths[1:]), 1):
            params[f"W_{l}"] = rng.normal(0, 1 / np.sqrt(a), (b, a))
            params[f"b_{l}"] = rng.normal(0, 1, b)
        x, y = rng.normal(size=(N, widths[0])), rng.uniform(size=(N, widths[-1]))
        for name in ("tanh", "gelu"):
            for x64 in (False, True):
                with jax.enable_x64(x64):
                    start = time.perf_counter()
                    report = check_params(params, [name] * (len(widths) - 2) + ["linear"], x,
                                          y, "mse", raise_on_failure=False)
                    took = time.perf_counter() - start
                print(f"| {','.join(map(str, widths[:4]))}{'...' if len(widths) > 4 else ''} "
                      f"| {N} | {name} | {x64} | {report.verdict} | {report.count} | "
                      f"{took:.2f} |")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the mutation sweep")
    parser.add_argument("--points", type=int, default=10, help="points of the false-alarm sweep")
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out")
    args = parser.parse_args(argv)
    torch_table(args.quick)
    false_alarm_sweep(args.points)
    mutation_sweep(args.seeds)
    if not args.no_jax:
        jax_false_alarm_sweep(args.points)
        jax_table(args.quick)


if __name__ == "__main__":
    main()
