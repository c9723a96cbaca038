"""Time symgrad's proven suprema against sympy.calculus.util.maximum, in one process.

    python3 benchmarks/bounds.py

Each activation's sup |σ'| is computed by symgrad.bounds.core.supremum (cache cleared) and by
SymPy's ``maximum`` over the reals (of σ', and of −σ' for the other side), which either
returns a value or raises; the table gives both times, their ratio and the values.
"""
from __future__ import annotations

import time

import sympy as sp
from sympy.calculus.util import maximum, minimum

from symgrad.model.activations import activation_names, get_activation
from symgrad import bounds

__all__ = ["main"]


def _sympy_sup(g, z):
    # sup |g| = max(max g, −min g)
    return sp.Max(maximum(g, z, sp.S.Reals), -minimum(g, z, sp.S.Reals))


def main() -> None:
    print(f"{'activation':<11} {'symgrad s':>9} {'sympy s':>8} {'ratio':>6}  symgrad sup / sympy maximum")
    total = 0.0
    for name in activation_names():
        act = get_activation(name)
        bounds._supremum.cache_clear()
        t0 = time.perf_counter()
        s = bounds.supremum(name)
        t_ours = time.perf_counter() - t0
        total += t_ours
        t0 = time.perf_counter()
        try:
            theirs = sp.sstr(_sympy_sup(act.derivative_expression, act.z))
        except Exception as exc:  # SymPy's failures are the point of the comparison
            theirs = f"fails: {type(exc).__name__}"
        t_sympy = time.perf_counter() - t0
        print(f"{name:<11} {t_ours:9.3f} {t_sympy:8.3f} {t_sympy / t_ours:6.2f}  "
              f"{s.label} / {theirs[:60]}")
    print(f"all built-ins proven by symgrad in {total:.2f} s")


if __name__ == "__main__":
    main()
