"""Deriving and proving at depth: symgrad's recurrence against SymPy's direct diff.

    python benchmarks/derive.py            # the full table (about two minutes)
    python benchmarks/derive.py --quick    # small depths only

Columns:
  derive       derive(Chain(L)): the recurrence, every closed form available (linear)
  expand all   materialising the ordered factor tuple of all 2L closed forms (O(L^2))
  prove        symgrad.prove.prove: composed (L <= 32) or inductive, with SymEngine
  sympy diff   SymPy's sympy.diff of the fully composed concrete sigmoid cost with
               respect to b_1 (one parameter of the 2L), for depths where it finishes
               within a minute; the ratio is sympy diff / derive.

Printing (templates against SymPy's printer per form) is timed by benchmarks/printing.py.
"""
from __future__ import annotations

import argparse
import sys
import time

import sympy as sp

from symgrad import Chain, derive
from symgrad.prove import prove


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def expand_all(d):
    return sum(len(d.factors(p)) for p in d.parameter_names())


def sympy_diff_b1(L: int) -> float:
    net = Chain(depth=L)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 50 * L + 1000))  # SymPy recurses once per nesting level
    try:
        C = net.composed_cost()
        _, t = timed(sp.diff, C, net.b(1))
    finally:
        sys.setrecursionlimit(old)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    depths = [10, 100] if args.quick else [10, 100, 1000, 10000]
    sympy_depths = [8, 16, 32] if args.quick else [8, 16, 32, 64, 128]

    print(f"{'depth':>6} {'derive s':>10} {'expand all s':>13} {'factors':>10} "
          f"{'prove s':>9} {'method':>10}")
    derive_times = {}
    for L in depths:
        d, t_derive = timed(derive, Chain(depth=L))
        derive_times[L] = t_derive
        if L <= 1000:
            n, t_expand = timed(expand_all, d)
            expand = f"{t_expand:13.3f} {n:10d}"
        else:
            expand = f"{'(skipped)':>13} {'':>10}"
        if L <= 1000:
            proof, t_prove = timed(prove, d)
            assert proof.verified
            proved = f"{t_prove:9.3f} {proof.method:>10}"
        else:
            proved = f"{'(skipped)':>9} {'':>10}"
        print(f"{L:6d} {t_derive:10.4f} {expand} {proved}", flush=True)

    print()
    print(f"{'depth':>6} {'sympy diff s':>13} {'derive s':>10} {'ratio':>10}")
    previous = 0.0
    for L in sympy_depths:
        if previous > 15.0:  # the next one would take more than a minute
            print(f"{L:6d} {'> 60 (not run)':>13}")
            continue
        t_sympy = sympy_diff_b1(L)
        _, t_derive = timed(derive, Chain(depth=L))
        previous = t_sympy
        print(f"{L:6d} {t_sympy:13.3f} {t_derive:10.5f} {t_sympy / t_derive:9.0f}x", flush=True)


if __name__ == "__main__":
    main()
