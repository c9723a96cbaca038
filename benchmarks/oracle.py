"""Benchmark: what a certified reference costs, beside the floor and the alternative.

In one process, for a depth-L sigmoid chain (default L = 100) at seeded ordinary points:

* ``certified reference``: all 2L gradients and the cost as Arb balls narrower than half a
  unit in the D-th digit (:func:`symgrad.oracle.reference`, D = 30);
* ``floor, python-flint``: a bare Python loop over the same ball arithmetic (forward pass,
  σ and σ' from one e^z, backward pass), nothing else;
* ``floor, gmpy2``: the same loop on gmpy2 mpfr numbers at the same bits (no radius: no
  certificate);
* ``full check``: reference + stable tolerances + the comparison of a float64 implementation
  (:func:`symgrad.oracle.compare_gradients`);
* ``torch.autograd.gradcheck``: its defaults on torch's autograd of the same chain;
* ``vectors --widths 784,30,30,10 --count 10 --digits 30``: the whole file, made and written.

``--sweep`` adds the false-alarm sweep: 1000 points over every built-in activation and the
regimes, the stable NumPy backprop in float64 and float32 and PyTorch's and JAX's autograd in
float64 and float32, each judged (no ``fail`` may appear; JAX's leaky_relu is judged with
the right branch at a kink, as ``jnp.where(x >= 0, ...)`` takes it).  Run ``python benchmarks/oracle.py [--depth L] [--points N]
[--sweep]``; nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flint import arb, ctx  # noqa: E402

from symgrad.model.activations import activation_names  # noqa: E402
from symgrad.model.network import Chain, Dense  # noqa: E402
from symgrad.oracle import compare_gradients, make_vectors, reference, vectors_text  # noqa: E402
from symgrad.oracle.regimes import draw  # noqa: E402
from tests.implementations import StableBackprop, jax_autograd, torch_autograd  # noqa: E402


def _per_item(fn, items, repeat: int = 3) -> float:
    """Seconds per item, the best of ``repeat`` passes."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, (time.perf_counter() - start) / len(items))
    return best


def _floor_flint(point, L: int, bits: int):
    params, inputs = point
    with ctx.workprec(bits):
        w = [arb(params[f"w_{l}"]) for l in range(1, L + 1)]
        b = [arb(params[f"b_{l}"]) for l in range(1, L + 1)]
        a, A, D = arb(inputs["a_0"]), [], []
        for l in range(L):
            A.append(a)
            E = (w[l] * a + b[l]).exp()
            t = 1 / (1 + E)
            a = E * t
            D.append(a * t)
        delta, out = (a - arb(inputs["y"])) * D[-1], []
        for l in range(L - 1, -1, -1):
            if l < L - 1:
                delta = D[l] * w[l + 1] * delta
            out += [delta, A[l] * delta]
        return out


def _floor_gmpy2(point, L: int, bits: int):
    import gmpy2
    params, inputs = point
    with gmpy2.context(precision=bits):
        mpfr = gmpy2.mpfr
        w = [mpfr(params[f"w_{l}"]) for l in range(1, L + 1)]
        b = [mpfr(params[f"b_{l}"]) for l in range(1, L + 1)]
        a, A, D = mpfr(inputs["a_0"]), [], []
        for l in range(L):
            A.append(a)
            E = gmpy2.exp(w[l] * a + b[l])
            t = 1 / (1 + E)
            a = E * t
            D.append(a * t)
        delta, out = (a - mpfr(inputs["y"])) * D[-1], []
        for l in range(L - 1, -1, -1):
            if l < L - 1:
                delta = D[l] * w[l + 1] * delta
            out += [delta, A[l] * delta]
        return out


def _gradcheck(net):
    try:
        import torch
    except ImportError:
        return None

    def run(point):
        params, inputs = point
        w = torch.tensor([params[f"w_{l}"] for l in net.layers], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([params[f"b_{l}"] for l in net.layers], dtype=torch.float64,
                         requires_grad=True)

        def cost(w, b):
            a = torch.tensor(inputs["a_0"], dtype=torch.float64)
            for l in range(net.L):
                a = torch.sigmoid(w[l] * a + b[l])
            return 0.5 * (a - inputs["y"]) ** 2
        torch.autograd.gradcheck(cost, (w, b), raise_exception=False)
    return run


def chain_rows(depth: int, points: int, digits: int) -> list:
    net = Chain(depth=depth)
    rng = np.random.default_rng(0)
    pts = []
    for _ in range(points):
        p, x = draw(net, "ordinary", rng, 17)
        pts.append(({n: float(v) for n, v in p.items()}, {n: float(v) for n, v in x.items()}))
    ref0 = reference(net, *pts[0], digits=digits)
    bits = ref0.bits
    impl = StableBackprop(net)
    grads = [impl({n: np.array([v]) for n, v in p.items()},
                  {n: np.array([v]) for n, v in x.items()}) for p, x in pts]

    def full(k):
        g = {n: float(grads[k][n][0]) for n in net.parameter_names()}
        compare_gradients(g, net, *pts[k], digits=digits)
    rows = [(f"certified reference ({digits} digits, {bits} bits)",
             _per_item(lambda p: reference(net, *p, digits=digits), pts)),
            (f"floor: bare loop, python-flint balls at {bits} bits",
             _per_item(lambda p: _floor_flint(p, depth, bits), pts)),
            (f"floor: bare loop, gmpy2 mpfr at {bits} bits (no radius)",
             _per_item(lambda p: _floor_gmpy2(p, depth, bits), pts)),
            ("full check: reference + tolerances + comparison",
             _per_item(full, range(len(pts)), repeat=2))]
    gradcheck = _gradcheck(net)
    if gradcheck is not None:
        rows.append(("torch.autograd.gradcheck (defaults, float64)",
                     _per_item(gradcheck, pts[: max(3, points // 4)], repeat=1)))
    return rows


def dense_vectors_seconds() -> float:
    start = time.perf_counter()
    doc = make_vectors(Dense([784, 30, 30, 10]), count=10, digits=30)
    vectors_text(doc)
    return time.perf_counter() - start


def sweep(total: int = 1000) -> str:
    """The false-alarm sweep: ``total`` points over every activation and regime."""
    acts, regimes = activation_names(), ["ordinary", "saturated", "vanishing", "exploding",
                                         "kink"]
    rng, counts, failures = np.random.default_rng(2024), {}, []
    for k in range(total):
        act = acts[k % len(acts)]
        net = Chain(depth=2 + k % 5, activation=act)
        regime = regimes[(k // len(acts)) % len(regimes)]
        p, x = draw(net, regime, rng, 20)
        ref = reference(net, p, x, digits=20)
        fp = {n: np.array([float(v)]) for n, v in p.items()}
        fx = {n: np.array([float(v)]) for n, v in x.items()}
        for label, fn, dtype in [
                ("numpy float64", StableBackprop(net), "float64"),
                ("numpy float32", StableBackprop(net, np.float32), "float32"),
                ("torch float64", lambda a, b: torch_autograd(net, a, b), "float64"),
                ("torch float32", lambda a, b: torch_autograd(net, a, b, "float32"), "float32"),
                ("jax float64", lambda a, b: jax_autograd(net, a, b), "float64"),
                ("jax float32", lambda a, b: jax_autograd(net, a, b, "float32"), "float32")]:
            try:
                g = fn(fp, fx)
            except (ImportError, ValueError, KeyError):   # not installed, or no such form
                counts.setdefault(label, {}).setdefault("skipped", 0)
                counts[label]["skipped"] += 1
                continue
            judged = ref
            if label.startswith("jax") and act == "leaky_relu":   # jnp.where(x >= 0, ...)
                judged = reference(net, p, x, digits=20, kink="right")
            result = compare_gradients({n: g[n][0] for n in net.parameter_names()}, judged,
                                       dtype=dtype)
            counts.setdefault(label, {}).setdefault(result.verdict, 0)
            counts[label][result.verdict] += 1
            if result.verdict == "fail" and len(failures) < 8:
                failures.append(f"  {label}, {act}, {regime}, depth {net.L}: "
                                f"{result.failures[0].line()}")
    return json.dumps(counts) + "".join("\n" + f for f in failures)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--points", type=int, default=40)
    parser.add_argument("--digits", type=int, default=30)
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args(argv)
    rows = chain_rows(args.depth, args.points, args.digits)
    print(f"depth {args.depth} sigmoid chain, {2 * args.depth} gradients a point, "
          f"{args.points} points, one process")
    print()
    print("| what | ms / point | points / s | floor (flint) time / this time |")
    print("|---|---:|---:|---:|")
    floor = rows[1][1]
    for label, seconds in rows:
        print(f"| {label} | {seconds * 1e3:.2f} | {1 / seconds:.0f} | {floor / seconds:.2f} |")
    ref_rate, full_rate = 1 / rows[0][1], 1 / rows[3][1]
    dense = dense_vectors_seconds()
    print()
    print(f"targets: >= 2500 certified points/s: {ref_rate:.0f} "
          f"({'met' if ref_rate >= 2500 else 'not met'}); full check >= 500 points/s: "
          f"{full_rate:.0f} ({'met' if full_rate >= 500 else 'not met'}); vectors --widths "
          f"784,30,30,10 --count 10 --digits 30 < 5 s: {dense:.2f} s "
          f"({'met' if dense < 5 else 'not met'})")
    if args.sweep:
        print()
        print("false-alarm sweep, 1000 points (verdicts per implementation):", sweep())
    return 0


if __name__ == "__main__":
    sys.exit(main())
