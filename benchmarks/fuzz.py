"""The long fuzz run: many generated command lines over every sub-command.

    python benchmarks/fuzz.py                   # 200 examples (several minutes)
    python benchmarks/fuzz.py --examples 2000   # a night's run
    python benchmarks/fuzz.py --seed 7          # another random stream

Each example runs ``python -m symgrad`` in a fresh folder with the limits of
``tests/test_fuzz.py`` (time, memory) and must keep its four promises (exit 0, 1 or 2; no
traceback; nothing executed; no file left behind but the outputs asked for).  At the end it
prints how many examples ran, how many per command, the slowest command lines found, and
the first broken promise (shrunk by Hypothesis to a small command line) if there was one.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from hypothesis import HealthCheck, given, seed as hypothesis_seed, settings  # noqa: E402

import test_fuzz  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=200, help="how many (default 200)")
    p.add_argument("--seed", type=int, default=0, help="the random stream (default 0)")
    p.add_argument("--slowest", type=int, default=5, help="how many slow lines to show")
    args = p.parse_args()
    os.chdir(ROOT)
    times: list[tuple[float, list[str]]] = []

    @hypothesis_seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(argv=test_fuzz.command_lines())
    def fuzz(argv):
        times.append((test_fuzz.check_answer(argv), argv))

    failure = None
    try:
        fuzz()
    except Exception as exc:   # a broken promise: shown after the statistics
        failure = exc
    per_command = collections.Counter(argv[0] for _, argv in times)
    counts = ", ".join(f"{c} {n}" for c, n in sorted(per_command.items()))
    print(f"examples run: {len(times)} ({counts})")
    print(f"limits per command: {test_fuzz.SECONDS} s of CPU, {test_fuzz.MEMORY // 2 ** 20} MiB")
    print("slowest command lines:")
    for seconds, argv in sorted(times, key=lambda t: -t[0])[:args.slowest]:
        shown = " ".join(a if len(a) < 60 else a[:57] + "..." for a in argv)
        print(f"  {seconds:6.2f} s  symgrad {shown}")
    if failure is not None:
        print(f"\nbroken promise: {failure}")
        return 1
    print("\nevery example kept its promises")
    return 0


if __name__ == "__main__":
    sys.exit(main())
