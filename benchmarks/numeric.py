"""Benchmark: symgrad's generated NumPy gradients against a hand-written vectorized NumPy
backprop loop, the time to build the generated code, and the mpmath reference's speed.

    python3 benchmarks/numeric.py [--batch 10000] [--repeat 3]

Sigmoid chain, quadratic cost, w_l ~ N(0, 1), b_l ~ N(0, 1), one run, best of --repeat.
Targets (issue 3): generated within 1.5x of the hand-written loop at every depth, built in
under 1 s at depth 1000; mpmath at 50 digits, depth 100: 200 points/s or more.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from symgrad import Chain, derive
from symgrad.numeric.chain import compile_numpy, mp_gradients, random_point


def handwritten(W, B, a0, y):
    """Vectorized backprop of a sigmoid chain, written by hand: W, B are (L, N)."""
    L, N = W.shape
    A = np.empty((L + 1, N))
    S = np.empty((L, N))
    A[0] = a0
    for l in range(L):
        z = W[l] * A[l] + B[l]
        e = np.exp(-np.abs(z))                 # stable: σ = 1/(1+e) or e/(1+e)
        r = 1.0 / (1.0 + e)
        A[l + 1] = np.where(z >= 0, r, e * r)
        S[l] = e * r * r                       # σ'(z) = e/(1+e)²
    gb, gw = np.empty((L, N)), np.empty((L, N))
    delta = S[L - 1] * (A[L] - y)
    for l in range(L - 1, -1, -1):
        if l < L - 1:
            delta = S[l] * (W[l + 1] * delta)
        gb[l] = delta
        gw[l] = A[l] * delta
    return 0.5 * (A[L] - y) ** 2, gb, gw


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--depths", default="10,100,1000")
    ap.add_argument("--mp-points", type=int, default=100)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    N = args.batch
    rows = []
    for L in map(int, args.depths.split(",")):
        t = time.perf_counter()
        d = derive(Chain(depth=L))
        t_derive = time.perf_counter() - t
        t = time.perf_counter()
        f = compile_numpy(d)
        t_build = time.perf_counter() - t
        W, B = rng.normal(size=(L, N)), rng.normal(size=(L, N))
        a0, y = rng.uniform(size=N), rng.uniform(size=N)
        params = {**{f"w_{l}": W[l - 1] for l in range(1, L + 1)},
                  **{f"b_{l}": B[l - 1] for l in range(1, L + 1)}}
        inputs = {"a_0": a0, "y": y}
        t_hand, (c_h, gb, gw) = best(lambda: handwritten(W, B, a0, y), args.repeat)
        t_gen, (c_g, G) = best(lambda: f.packed(params, inputs), args.repeat)
        # the same numbers: b_l is column L - l, w_l column 2L - l
        diff = max(np.max(np.abs(G[:, L - l] - gb[l - 1])) for l in (1, L))
        rows.append((L, t_derive, t_build, t_hand, t_gen, t_gen / t_hand, diff))
    print(f"batch {N}, sigmoid chain, quadratic cost; best of {args.repeat}")
    print(f"{'depth':>6} {'derive s':>9} {'build s':>9} {'hand-written s':>15} "
          f"{'generated s':>12} {'ratio':>6} {'max |diff|':>10}")
    for L, td, tb, th, tg, ratio, diff in rows:
        print(f"{L:>6} {td:>9.4f} {tb:>9.4f} {th:>15.4f} {tg:>12.4f} {ratio:>6.2f} {diff:>10.1e}")
    # the mpmath recurrence at 50 digits, depth 100
    d = derive(Chain(depth=100))
    points = [random_point(d, rng) for _ in range(args.mp_points)]
    mp_gradients(d, *points[0])
    t = time.perf_counter()
    for params, inputs in points:
        mp_gradients(d, params, inputs, digits=50)
    rate = len(points) / (time.perf_counter() - t)
    print(f"\nmpmath recurrence, depth 100, 50 digits: {rate:.0f} points/s "
          f"(target 200; ratio {rate / 200:.2f})")


if __name__ == "__main__":
    main()
