"""The command line's own cost: start-up, help, and a few commands beside the import floor.

    python benchmarks/cli.py                # the table (about a minute)
    python benchmarks/cli.py --runs 5       # more runs per command (the median is shown)
    python benchmarks/cli.py --calibrate    # measure the constants of symgrad/cli/limits.py

Every command runs as ``python -m symgrad ...`` in a fresh process, as a user runs it; the
floor is ``python -c "import sympy"``, the least any command that derives anything pays.
Columns: the median wall time, its ratio to the floor, and the CPU time (user + system)
of the child, which a busy machine disturbs less than the wall time.  ``--help`` should stay
under 0.3 s: it imports neither SymPy nor NumPy nor mpmath.

``--calibrate`` runs two commands per model of :data:`symgrad.cli.limits.MODEL` (a small
and a large size, and for points and cases one at a tiny size for the overhead c0), takes
their CPU time less the start-up (``derive --depth 1``) per unit of work (point, case,
draw), fits c0 + c·size^k and prints the table to paste into limits.py, the old constants
beside the new.
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FLOOR = [sys.executable, "-c", "import sympy"]
COMMANDS = {
    "python -c 'import sympy' (floor)": FLOOR,
    "symgrad --help": ["--help"],
    "symgrad derive (depth 4)": ["derive"],
    "symgrad derive --depth 1000 --format json": ["derive", "--depth", "1000", "--format",
                                                  "json"],
    "symgrad check --widths 16,32,32,8": ["check", "--widths", "16,32,32,8"],
}

def _dense(widths: str, samples: int = 1) -> int:
    """P: the weights and biases of dense layers of these widths."""
    n = [int(w) for w in widths.split(",")]
    return sum(a * b + b for a, b in zip(n, n[1:]))


def _layers(widths: str) -> int:
    return widths.count(",")


#: per model of symgrad.cli.limits.MODEL: two runs (command, units of work, size of a unit),
#: the smaller first; the size follows the model's definition
CALIBRATION = {
    **{f"derive expanded {f}": ((["derive", "--depth", str(a), "--form", "expanded", "-f", f],
                                 1, a),
                                (["derive", "--depth", str(b), "--form", "expanded", "-f", f],
                                 1, b))
       for f, a, b in (("text", 512, 1536), ("latex", 512, 1536), ("markdown", 512, 1536),
                       ("json", 384, 768))},
    **{f"derive recurrence {f}": ((["derive", "--depth", "4000", "--form", "recurrence", "-f",
                                    f], 1, 4000),
                                  (["derive", "--depth", "16000", "--form", "recurrence", "-f",
                                    f], 1, 16000)) for f in ("text", "latex", "markdown", "json")},
    "derive dense text": ((["derive", "--widths", "1000,1000"], 1, _dense("1000,1000")),
                          (["derive", "--widths", "100000,100000,100000"], 1,
                           _dense("100000,100000,100000") * 2)),
    "derive dense json": ((["derive", "--widths", "30,30", "-f", "json"], 1, _dense("30,30")),
                          (["derive", "--widths", "300,300,300", "-f", "json"], 1,
                           _dense("300,300,300") * 2)),
    "check chain": ((["check", "--depth", "256", "--points", "2"], 2, 256),
                    (["check", "--depth", "2048", "--points", "2"], 2, 2048)),
    "check dense": ((["check", "--widths", "32,32", "--points", "1"], 1, _dense("32,32")),
                    (["check", "--widths", "64,64,64", "--points", "1"], 1,
                     _dense("64,64,64") * 2)),
    "vectors chain": ((["vectors", "--depth", "300", "--count", "3"], 3, 300),
                      (["vectors", "--depth", "1000", "--count", "3"], 3, 1000)),
    "vectors dense": ((["vectors", "--widths", "16,32,32,8", "--count", "10"], 10,
                       _dense("16,32,32,8")),
                      (["vectors", "--widths", "64,64,64", "--count", "10"], 10,
                       _dense("64,64,64"))),
    "vectors digits": ((["vectors", "--depth", "4", "--count", "2000"], 1, 1),
                       (["vectors", "--depth", "4", "--count", "2000", "--digits", "1000"], 1,
                        20)),
    "analyze chain": ((["analyze", "--depth", "10", "--samples", "2000"], 2000, 10),
                      (["analyze", "--depth", "100", "--samples", "500"], 500, 100)),
    "analyze dense float64": ((["analyze", "--widths", "100,100", "--samples", "2000"], 2000,
                               _dense("100,100")),
                              (["analyze", "--widths", "784,30,10", "--samples", "2000"], 2000,
                               _dense("784,30,10"))),
    "analyze dense mp": ((["analyze", "--widths", "10,10", "--samples", "100", "--precision",
                           "mp"], 100, _dense("10,10")),
                         (["analyze", "--widths", "30,30,30", "--samples", "50", "--precision",
                           "mp"], 50, _dense("30,30,30"))),
    "lecture": ((["lecture", "--depth", "20"], 1, 20), (["lecture", "--depth", "80"], 1, 80)),
}
#: less work than this (CPU seconds) in the larger run: the model is a constant
NOISE = 0.5
#: per model of a unit smaller than a whole run: a run at a tiny size, whose cost per unit
#: is the constant c0 (the overhead of a point, a case, a draw)
OVERHEAD = {
    "check chain": (["check", "--depth", "2", "--points", "400"], 400),
    "check dense": (["check", "--widths", "2,2", "--points", "400"], 400),
    "vectors chain": (["vectors", "--depth", "2", "--count", "2000"], 2000),
    "vectors dense": (["vectors", "--widths", "2,2", "--count", "2000"], 2000),
}


def run(argv: list[str]) -> tuple[float, float, int]:
    """(wall seconds, child CPU seconds, exit code) of one fresh process."""
    command = argv if argv[0] == sys.executable else \
        [sys.executable, "-m", "symgrad", *argv, "--force"] if argv[0] not in ("--help",) \
        else [sys.executable, "-m", "symgrad", *argv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          cwd=ROOT, env={**os.environ, "SYMGRAD_PROGRESS_DELAY": "1e9"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return wall, cpu, proc.returncode


def table(runs: int) -> None:
    rows = []
    for label, argv in COMMANDS.items():
        samples = [run(argv) for _ in range(runs)]
        rows.append((label, statistics.median(s[0] for s in samples),
                     statistics.median(s[1] for s in samples)))
    floor = rows[0][1]
    width = max(len(r[0]) for r in rows)
    print(f"{'command':<{width}}  {'wall s':>7}  {'/ floor':>7}  {'cpu s':>6}")
    for label, wall, cpu in rows:
        print(f"{label:<{width}}  {wall:7.3f}  {wall / floor:7.2f}  {cpu:6.2f}")
    print(f"\nmedian of {runs} runs each; floor = {floor:.3f} s")


def calibrate() -> None:
    """Fit c0 + c·size^k for each model and print MODEL to paste into limits.py."""
    sys.path.insert(0, ROOT)
    from symgrad.cli.limits import MODEL
    startup = statistics.median(run(["derive", "--depth", "1"])[1] for _ in range(3))
    print(f"# start-up (derive --depth 1): {startup:.2f} s CPU")
    print("MODEL = {")
    for key, ((small, n1, s1), (large, n2, s2)) in CALIBRATION.items():
        c0 = 0.0
        if key in OVERHEAD:
            argv, units = OVERHEAD[key]
            c0 = max(run(argv)[1] - startup, 0.0) / units
        t1 = max(run(small)[1] - startup, 1e-3) / n1 - c0
        t2 = max(run(large)[1] - startup, 1e-3) / n2 - c0
        if key == "vectors digits":   # a factor: the ratio of the two, c = 1
            c, k = 1.0, math.log(t2 / t1) / math.log(s2 / s1)
        elif (t2 + c0) * n2 < NOISE or t1 <= 0 or t2 <= t1:   # no measurable growth
            c0, c, k = max(t1, t2) + c0, 0.0, 0.0
        else:
            k = math.log(t2 / t1) / math.log(s2 / s1)
            c = t2 / s2 ** k
        old = "(%.2g, %.2g, %.2g)" % MODEL[key]
        print(f'    "{key}": ({c0:.2g}, {c:.2g}, {k:.2f}),   # was {old}; '
              f"{(t2 + c0) * n2:.1f} s at symgrad {' '.join(large)}")
    print("}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="runs per command (default 3)")
    p.add_argument("--calibrate", action="store_true",
                   help="measure the constants of symgrad/cli/limits.py instead")
    args = p.parse_args()
    calibrate() if args.calibrate else table(args.runs)


if __name__ == "__main__":
    main()
