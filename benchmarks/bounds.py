"""Time symgrad's certified suprema beside the uncertified floor, in one process.

    python benchmarks/bounds.py

For every built-in activation, sup |σ'| is computed

* by ``symgrad.bounds.supremum`` (cache cleared): branches, SymPy's solveset and limits,
  and where needed critical points isolated and enclosed by ball arithmetic (python-flint
  arb, 200 bits) with exact-rational enclosures;
* by the floor: plain mpmath at the same precision (60 digits), with no certificate: the
  sign changes of σ'' (numerical differentiation) on a grid over [−12, 12], each polished
  by ``mpmath.findroot``, σ' there and near the ends.

A second table times the step the ball arithmetic replaces, for SiLU's critical points
(the zeros of F(z) = z tanh(z/2) − 2): certified isolation (tails, bisection, interval
Newton) against ``mpmath.findroot`` from the two grid brackets, both at 200 bits.
"""
from __future__ import annotations

import time

import mpmath
import sympy as sp

from symgrad.bounds.roots import isolate_roots
from symgrad.bounds.supremum import clear_cache, supremum
from symgrad.model.activations import activation_names, get_activation

__all__ = ["main", "floor_supremum"]

DIGITS = 60
GRID = [-12 + k / 8 + 1 / 97 for k in range(193)]


def floor_supremum(name: str, alpha=None):
    """sup |σ'| by plain mpmath at ``DIGITS`` digits (no certificate)."""
    act = get_activation(name)
    g = act.mp_derivative if act.parameter is None else \
        (lambda x: act.mp_derivative(x, mpmath.mpf(alpha)))
    with mpmath.workdps(DIGITS):
        def g2(x):
            return mpmath.diff(g, x)
        xs = [mpmath.mpf(x) for x in GRID]
        signs = [mpmath.sign(g2(x)) for x in xs]
        points = [mpmath.findroot(g2, (a, b), solver="anderson")
                  for a, b, s, t in zip(xs, xs[1:], signs, signs[1:]) if s * t < 0]
        points += [mpmath.mpf(-1000), mpmath.mpf(1000), mpmath.mpf("-1e-50"),
                   mpmath.mpf("1e-50")] + xs
        return max(abs(g(x)) for x in points)


def _timed(f, *args):
    start = time.perf_counter()
    out = f(*args)
    return out, time.perf_counter() - start


def suprema_table() -> None:
    print(f"{'activation':<11} {'certified s':>11} {'floor s':>8} {'ratio':>6}  "
          f"certified sup | floor (uncertified)")
    total_ours = total_floor = 0.0
    for name in activation_names():
        clear_cache()
        s, t_ours = _timed(supremum, name)
        floor, t_floor = _timed(floor_supremum, name, 0.25 if name == "prelu" else None)
        total_ours, total_floor = total_ours + t_ours, total_floor + t_floor
        print(f"{name:<11} {t_ours:11.3f} {t_floor:8.3f} {t_ours / t_floor:6.1f}  "
              f"{s.label} | {mpmath.nstr(floor, 20)}{' at alpha = 1/4' if name == 'prelu' else ''}")
    print(f"{'all':<11} {total_ours:11.3f} {total_floor:8.3f} {total_ours / total_floor:6.1f}")


def roots_table(repeat: int = 20) -> None:
    z = sp.Symbol("z", real=True)
    F = z * sp.tanh(z / 2) - 2
    line = sp.Interval.open(-sp.oo, sp.oo)
    isolate_roots(F, z, line)  # compile the ball functions once
    start = time.perf_counter()
    for _ in range(repeat):
        roots, _, boxes = isolate_roots(F, z, line)
    t_ball = (time.perf_counter() - start) / repeat
    f = sp.lambdify(z, F, modules="mpmath")
    start = time.perf_counter()
    with mpmath.workprec(200):
        for _ in range(repeat):
            found = [mpmath.findroot(f, (a, b), solver="anderson") for a, b in ((-3, -2), (2, 3))]
    t_floor = (time.perf_counter() - start) / repeat
    print(f"\nSiLU's critical points, zeros of {F}, 200 bits ({repeat} runs each):")
    print(f"  certified (tails, bisection over {boxes} boxes, interval Newton): "
          f"{1e3 * t_ball:7.2f} ms, widths {float(max(r.width for r in roots)):.1e}")
    print(f"  mpmath.findroot from known brackets (no certificate):       "
          f"{1e3 * t_floor:7.2f} ms, roots {mpmath.nstr(found[1], 20)}")
    print(f"  ratio certified / findroot: {t_ball / t_floor:.1f}")


def main() -> None:
    suprema_table()
    roots_table()


if __name__ == "__main__":
    main()
