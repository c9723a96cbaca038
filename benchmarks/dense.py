"""Time symgrad's dense backprop against a hand-written NumPy backprop, in one process.

    python3 benchmarks/dense.py

1. Gradients of all parameters of Nielsen's MNIST network, widths [784, 30, 30, 10],
   sigmoid and the quadratic cost, on a batch of 100 samples: ``symgrad.numeric.gradients``
   (its plan read from the Derivation, the stable activation forms) against a hand-written
   vectorized NumPy backprop (Nielsen's formulas, plain 1/(1 + e^{-z})).  Both are checked to
   agree, then timed (best of several repeats of many calls).  Target: within 1.5×.
2. Deriving and proving widths [4, 8, 8, 4] symbolically: ``derive_dense`` and
   ``prove_dense_all`` (SymEngine differentiates the composed cost, every component), plus
   the concrete spot check.
"""
from __future__ import annotations

import os

# one BLAS thread for both sides (set before NumPy loads): on this shared 2-core machine a
# threaded BLAS makes the timings of both implementations swing by 2x from run to run;
# SYMGRAD_BENCH_THREADS=0 keeps the library's own threading
if os.environ.get("SYMGRAD_BENCH_THREADS", "1") != "0":
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, os.environ.get("SYMGRAD_BENCH_THREADS", "1"))

import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

from symgrad.model.network import Dense
from symgrad.derivation import derive
from symgrad.numeric import gradients, random_batch, random_parameters  # noqa: E402
from symgrad.prove import prove_all as prove_dense_all, spot_check  # noqa: E402

__all__ = ["main", "hand_written_backprop"]


def hand_written_backprop(Ws, bs, x, y):
    """Nielsen's backprop, vectorized over the rows of x: sigmoid layers, C = Σ ½‖a − y‖²."""
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    a, zs, acts = x, [], [x]
    for W, b in zip(Ws, bs):
        z = a @ W.T + b
        a = sigmoid(z)
        zs.append(z)
        acts.append(a)
    s = acts[-1]
    delta = (s - y) * s * (1 - s)
    dW, db = [None] * len(Ws), [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        dW[l] = delta.T @ acts[l]
        db[l] = delta.sum(axis=0)
        if l:
            s = acts[l]
            delta = (delta @ Ws[l]) * s * (1 - s)
    return dW, db


def _best_interleaved(fns, number: int = 50, repeat: int = 21) -> list[float]:
    """Best time per call of each function, the repeats interleaved (a, b, a, b, ...) so
    that load from other processes on the machine hits both alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], timeit.timeit(fn, number=number) / number)
    return best


def main() -> None:
    net = Dense([784, 30, 30, 10], "sigmoid", "quadratic")
    params = random_parameters(net, seed=0)
    x, y = random_batch(net, 100, seed=1)
    Ws = [params[f"W_{l}"] for l in net.layers]
    bs = [params[f"b_{l}"] for l in net.layers]
    ours = gradients(net, params, x, y)
    dW, db = hand_written_backprop(Ws, bs, x, y)
    worst = max(max(np.abs(ours[f"W_{l}"] - dW[l - 1]).max(), np.abs(ours[f"b_{l}"] - db[l - 1]).max())
                for l in net.layers)
    t_hand, t_ours = _best_interleaved([lambda: hand_written_backprop(Ws, bs, x, y),
                                        lambda: gradients(net, params, x, y)])
    print("gradients of all parameters, widths [784, 30, 30, 10], sigmoid, quadratic, batch 100, "
          f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'library default')}")
    print(f"{'implementation':<34} {'ms/call':>9} {'ratio':>6}")
    print(f"{'hand-written NumPy backprop':<34} {t_hand * 1e3:9.3f} {1.0:6.2f}")
    print(f"{'symgrad.numeric.gradients':<34} {t_ours * 1e3:9.3f} {t_ours / t_hand:6.2f}")
    print(f"largest difference between the two: {worst:.2e} (target ratio: within 1.5x)")
    print()
    t0 = time.perf_counter()
    d = derive(Dense([4, 8, 8, 4], "sigmoid"))
    t_derive = time.perf_counter() - t0
    t0 = time.perf_counter()
    proofs = prove_dense_all(d)
    t_prove = time.perf_counter() - t0
    t0 = time.perf_counter()
    spot = spot_check(d)
    t_spot = time.perf_counter() - t0
    n = len(proofs["dense"].parameters)
    print(f"widths [4, 8, 8, 4], sigmoid, quadratic: {n} gradient components")
    print(f"{'step':<52} {'seconds':>8}  verified")
    print(f"{'derive_dense':<52} {t_derive:8.3f}")
    print(f"{'prove_dense_all (SymEngine, composed cost, all comps)':<52} {t_prove:8.3f}  "
          f"{all(p.verified for p in proofs.values())}")
    print(f"{'  of which the structural identity':<52} {proofs['dense'].seconds:8.3f}")
    print(f"{'spot_check (concrete sigmoid, 30 digits)':<52} {t_spot:8.3f}  {spot.verified}")


if __name__ == "__main__":
    main()
