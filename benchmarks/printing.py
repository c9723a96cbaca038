"""Printing and proving what ``symgrad derive`` writes, against the way it was done before.

    python benchmarks/printing.py            # the full table (about a minute)
    python benchmarks/printing.py --quick    # smaller sizes
    python benchmarks/printing.py --full     # also the old composed proof of 100,100 (~1 min)

Every time is CPU seconds (``time.process_time``) of the work alone, best of three; the
ratio is old / new.  Rows:

  chain JSON, depth L    :func:`symgrad.printing.json_derivation` (each kind of factor printed
                         once per printer, the layer index put in its place) against every
                         gradient printed four ways by SymPy's printer, each concrete form
                         substituted and printed one by one (what derive did)
  chain text, expanded   :func:`symgrad.printing.text_derivation` against ``text_gradient``
                         per gradient (L² factors)
  chain proof, depth L   :func:`symgrad.prove.prove` by induction (the lemma once per kind of
                         layer, then each recurrence form checked) against the composed proof
                         (SymEngine differentiates the whole cost; only where it finishes)
  dense proof 100,100    the matrix forms proven at widths 3,3 against every one of the 10100
                         components by the composed proof on the full network (the old
                         path; ``--full`` only)
  command                ``symgrad derive --depth 1000 -f json`` and ``--widths 100,100 -f
                         json`` end to end (wall and CPU), beside the start-up alone
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

from symgrad import Chain, Dense, derive
from symgrad.printing import (json_derivation, latex_gradient, text_derivation,
                              text_gradient)
from symgrad.prove import prove, prove_all
from symgrad.prove.composed import prove_composed
from symgrad.prove.engine import engine_module


def cpu(fn, *args, repeat: int = 3, **kwargs) -> float:
    """The best of ``repeat`` CPU times of ``fn(*args)`` (SymPy's caches warm after the
    first)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn(*args, **kwargs)
        best = min(best, time.process_time() - start)
    return best


def old_json(d, form: str) -> list:
    """Every gradient four ways, each form substituted and printed by SymPy's printer."""
    return [(latex_gradient(d, p, form=form), text_gradient(d, p, form=form),
             latex_gradient(d, p, concrete="a", form=form),
             text_gradient(d, p, concrete="a", form=form)) for p in d.parameter_names()]


def row(label: str, new: float, old: float | None, note: str = "") -> None:
    ratio = f"{old / new:8.1f}x" if old is not None and new > 0 else f"{'':>9}"
    # (a ratio over a new time of a few milliseconds is only as good as the clock)
    shown = f"{old:9.3f}" if old is not None else f"{'—':>9}"
    print(f"{label:<34} {new:9.3f} {shown} {ratio}  {note}", flush=True)


def command(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``python -m symgrad ARGV`` (its children's CPU time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    depths = [100, 300] if args.quick else [100, 300, 1000]

    print(f"{'CPU seconds':<34} {'new':>9} {'old':>9} {'old/new':>9}")
    for L in depths:
        d = derive(Chain(depth=L))
        proofs = prove_all(d, form="recurrence")
        row(f"chain JSON, depth {L}", cpu(json_derivation, d, proofs, "recurrence"),
            cpu(old_json, d, "recurrence", repeat=1), f"{2 * L} gradients x 4 forms")
    for L in ([32] if args.quick else [32, 64]):
        d = derive(Chain(depth=L))
        row(f"chain text, expanded, depth {L}", cpu(text_derivation, d),
            cpu(lambda: [text_gradient(d, p) for p in d.parameter_names()], repeat=1),
            f"{L * L + 2 * L} factors")
    for L in ([16, 32] if args.quick else [16, 32, 64]):
        d = derive(Chain(depth=L))
        row(f"chain proof, depth {L}", cpu(prove, d, method="inductive"),
            cpu(prove, d, method="composed", repeat=1), "inductive vs composed")
    d = derive(Chain(depth=depths[-1]))
    row(f"chain proof, depth {depths[-1]}", cpu(prove, d, form="recurrence"), None,
        "inductive (composed is O(L³): not run)")
    wide = derive(Dense([100, 100]))
    old = cpu(prove_composed, wide, engine_module("symengine"), repeat=1) if args.full else None
    row("dense proof, widths 100,100", cpu(prove, wide), old,
        "at widths 3,3" + ("" if args.full else "; the old full proof with --full (54 s)"))
    row("dense JSON, widths 100,100", cpu(json_derivation, wide, prove_all(wide)), None,
        "matrix and generic forms (10100 > 5000 parameters)")
    mid = derive(Dense([40, 40, 40]))
    row("dense JSON, widths 40,40,40", cpu(json_derivation, mid, prove_all(mid), repeat=1),
        None, "every one of 3280 components written")

    print()
    print(f"{'command (seconds)':<46} {'wall':>8} {'CPU':>8}")
    for argv in (["-c", "import symgrad.prove, symgrad.printing, symgrad.cli.derive"],
                 ["-m", "symgrad", "derive", "--depth", "1000", "-f", "json"],
                 ["-m", "symgrad", "derive", "--widths", "100,100", "-f", "json"]):
        wall, used = min((command(argv) for _ in range(3)), key=lambda t: t[1])
        shown = "start-up (imports)" if argv[0] == "-c" else " ".join(argv[2:])
        print(f"{shown:<46} {wall:8.2f} {used:8.2f}", flush=True)


if __name__ == "__main__":
    main()
