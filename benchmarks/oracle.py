"""Benchmark: what an exact reference costs against what torch.autograd.gradcheck costs.

For a depth-L sigmoid chain (default L = 100) at random points (w, b ~ N(0, 1)):

* ``symgrad reference``: all 2L gradients and the cost at 30 digits
  (:func:`symgrad.oracle.core.reference`, the Derivation's recurrence in mpmath);
* ``symgrad full check``: reference + condition-aware tolerances + comparison of a float64
  implementation (:func:`symgrad.oracle.core.compare_gradients`);
* ``torch gradcheck``: ``torch.autograd.gradcheck`` with its defaults on torch's own
  autograd of the same chain (2·2L forward evaluations for the finite differences).

Run ``python benchmarks/oracle.py [--depth L] [--points N]``; prints one table, times in one
process, ratios against gradcheck.  Not a test: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import mpmath
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symgrad.derivation import derive  # noqa: E402
from symgrad.model.network import Chain  # noqa: E402
from symgrad.numeric.chain import compile_numpy, random_point  # noqa: E402
from symgrad.oracle.core import compare_gradients, reference  # noqa: E402


def _time(fn, items, repeat: int = 3) -> float:
    """Seconds per item, the best of ``repeat`` passes over ``items``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, (time.perf_counter() - start) / len(items))
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--digits", type=int, default=30)
    args = parser.parse_args(argv)
    net = Chain(depth=args.depth)
    d = derive(net)
    rng = np.random.default_rng(0)
    points = [random_point(d, rng) for _ in range(args.points)]
    f = compile_numpy(d)
    reference(d, *points[0], digits=args.digits)            # warm the lambdified forms

    rows = []
    t_ref = _time(lambda p: reference(d, *p, digits=args.digits), points)
    rows.append((f"symgrad reference ({args.digits} digits)", t_ref))

    def full(p):
        g = f(*p)
        compare_gradients({n: float(g[n]) for n in d.parameter_names()}, d, *p,
                          digits=args.digits)
    few = points[: max(3, args.points // 4)]
    t_full = _time(full, few, repeat=1)
    rows.append(("symgrad full check (reference + tolerances + compare)", t_full))

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        def chain_cost(w, b, a0, y):
            a = a0
            for l in range(net.depth):
                a = torch.sigmoid(w[l] * a + b[l])
            return 0.5 * (a - y) ** 2

        def gradcheck(p):
            params, inputs = p
            w = torch.tensor([params[f"w_{l}"] for l in net.layers], dtype=torch.float64,
                             requires_grad=True)
            b = torch.tensor([params[f"b_{l}"] for l in net.layers], dtype=torch.float64,
                             requires_grad=True)
            a0 = torch.tensor(inputs["a_0"], dtype=torch.float64)
            y = torch.tensor(inputs["y"], dtype=torch.float64)
            torch.autograd.gradcheck(lambda w, b: chain_cost(w, b, a0, y), (w, b),
                                     raise_exception=False)
        t_gc = _time(gradcheck, few, repeat=1)
        rows.append(("torch.autograd.gradcheck (defaults)", t_gc))
    else:
        t_gc = None

    backend = mpmath.libmp.BACKEND
    print(f"depth {net.depth} sigmoid chain, {2 * net.depth} gradients a point, "
          f"{args.points} points, mpmath backend: {backend}")
    print()
    print("| what | ms / point | points / s | gradcheck time / this time |")
    print("|---|---:|---:|---:|")
    for label, seconds in rows:
        ratio = f"{t_gc / seconds:.1f}" if t_gc else "n/a (no torch)"
        print(f"| {label} | {seconds * 1e3:.1f} | {1 / seconds:.0f} | {ratio} |")
    target = 500
    print()
    print(f"target: {target} reference points/s; measured {1 / t_ref:.0f} "
          f"({'met' if 1 / t_ref >= target else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
