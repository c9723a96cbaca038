"""Benchmark: symgrad's generated NumPy gradients against a hand-written vectorized NumPy
backprop loop, the time to build the generated code, the printed closed forms at 50 digits,
and ``check`` (every gradient at one point) against depth, beside its independent reference.

    python3 benchmarks/numeric.py [--batch 10000] [--repeat 5] [--check-depths 100,400,1000]

Sigmoid chain, quadratic cost, w_l ~ N(0, 1), b_l ~ N(0, 1), one process, best of --repeat
(the two float64 implementations interleaved, so that load on the machine hits both alike).
Targets: generated within 1.2x of the hand-written loop at every depth; ``check`` of a chain
of depth 1000 at one point in seconds, its reference linear in depth.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from symgrad import Chain, derive
from symgrad.numeric import check, compile_numpy, mp_gradients, random_point, reference_gradients


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


def best_interleaved(fns, repeat):
    """Best time of each function, the repeats interleaved (a, b, a, b, ...)."""
    best, outs = [float("inf")] * len(fns), [None] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            outs[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best, outs


def seconds(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--depths", default="10,100,1000")
    ap.add_argument("--mp-points", type=int, default=20)
    ap.add_argument("--check-depths", default="100,400,1000")
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
        (t_hand, t_gen), ((c_h, gb, gw), (c_g, G)) = best_interleaved(
            [lambda: handwritten(W, B, a0, y), lambda: f.packed(params, inputs)], args.repeat)
        # the same numbers: b_l is column L - l, w_l column 2L - l
        diff = max(np.max(np.abs(G[:, L - l] - gb[l - 1])) for l in (1, L))
        rows.append((L, t_derive, t_build, t_hand, t_gen, t_gen / t_hand, diff))
    print(f"batch {N}, sigmoid chain, quadratic cost; best of {args.repeat}")
    print(f"{'depth':>6} {'derive s':>9} {'build s':>9} {'hand-written s':>15} "
          f"{'generated s':>12} {'ratio':>6} {'max |diff|':>10}")
    for L, td, tb, th, tg, ratio, diff in rows:
        print(f"{L:>6} {td:>9.4f} {tb:>9.4f} {th:>15.4f} {tg:>12.4f} {ratio:>6.2f} {diff:>10.1e}")
    # the printed closed forms at 50 digits, depth 100
    d = derive(Chain(depth=100))
    points = [random_point(d.network, rng) for _ in range(args.mp_points)]
    mp_gradients(d, *points[0])
    t = time.perf_counter()
    for params, inputs in points:
        mp_gradients(d, params, inputs, digits=50)
    rate = len(points) / (time.perf_counter() - t)
    print(f"\nclosed forms (mp_gradients), depth 100, 50 digits: {rate:.0f} points/s")
    # check at one point: every gradient against the reference, with the witnesses
    print("\ncheck, one point, every gradient (seconds; the reference alone beside it)")
    print(f"{'depth':>6} {'check s':>9} {'reference s':>12} {'closed forms s':>15} {'passed':>7}")
    for L in map(int, args.check_depths.split(",")):
        d = derive(Chain(depth=L))
        params, inputs = random_point(d.network, 0, saturate=0.1)
        t_check, report = seconds(lambda: check(d, points=0, extra_points=[(params, inputs)]))
        t_ref, _ = seconds(lambda: reference_gradients(d.network, params, inputs))
        t_closed, _ = seconds(lambda: mp_gradients(d, params, inputs))
        print(f"{L:>6} {t_check:>9.2f} {t_ref:>12.2f} {t_closed:>15.2f} {str(report.passed):>7}")


if __name__ == "__main__":
    main()
