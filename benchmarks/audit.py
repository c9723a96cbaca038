"""``symgrad audit``: time per formula and per document, and the mutation score.

    python benchmarks/audit.py            # everything (about a minute)
    python benchmarks/audit.py --quick    # fewer mutants

1. Every committed derivation (derivations/*.tex, *.md) audited: formulas, time for the
   document, time per formula (target: under 20 ms a formula).
2. A generated document of 500 formulas (a chain of 6 sigmoid units in Nielsen's notation:
   closed forms, chain rules, recurrences, local derivatives, bounds; every tenth formula
   with a mistake written in), audited whole.
3. The mutation score: every correct claim of every committed derivation (the .md copies;
   the .tex ones hold the same formulas) and of the test documents in the other notations,
   with each kind of mistake written in (symgrad.audit.mutate, at most two of a kind per
   formula), audited in its document's context: flagged (wrong or defect) / total, and how
   many with the reason the mistake calls for.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from symgrad.audit import KINDS, audit_text, score  # noqa: E402
from symgrad.audit.mutate import mutants  # noqa: E402

DOCS = ROOT / "tests" / "audit_docs"


def read(path: Path) -> str:
    return open(path, encoding="utf-8", newline="").read()


def committed() -> None:
    print("1. committed derivations")
    print(f"   {'document':34s} {'formulas':>8s} {'document':>10s} {'per formula':>12s}  verdicts")
    total_f = total_t = 0.0
    for path in sorted((ROOT / "derivations").glob("*")):
        if path.suffix not in (".md", ".tex"):
            continue
        t = time.perf_counter()
        report = audit_text(read(path), filename=path.name)
        dt = time.perf_counter() - t
        n = len(report.formulas)
        c = report.counts()
        total_f += n
        total_t += dt
        per = f"{1000 * dt / n:9.2f} ms" if n else "          -"
        print(f"   {path.name:34s} {n:8d} {1000 * dt:8.0f} ms {per}  "
              f"{c['correct']} correct, {c['definition']} definitions, {c['wrong']} wrong, "
              f"{c['defect']} defect, {c['not understood']} not understood")
    print(f"   {'all':34s} {int(total_f):8d} {1000 * total_t:8.0f} ms "
          f"{1000 * total_t / total_f:9.2f} ms")


_FORWARD = r"""$$
\begin{aligned}
z_{l} &= w_{l} a_{l-1} + b_{l} \\
a_{l} &= \sigma(z_{l}) \\
z_{6} &= w_{6} a_{5} + b_{6}, \quad a_{6} = \sigma(z_{6}) \\
C &= \frac{\left(a_{6} - y\right)^{2}}{2}
\end{aligned}
$$
"""


def _closed(p: str, k: int, L: int = 6) -> str:
    factors = ([f"a_{{{k - 1}}}"] if p == "w" else []) + [rf"\sigma'(z_{{{k}}})"]
    for j in range(k + 1, L + 1):
        factors += [f"w_{{{j}}}", rf"\sigma'(z_{{{j}}})"]
    factors.append(r"\frac{\partial C}{\partial a_{6}}")
    return rf"\frac{{\partial C}}{{\partial {p}_{{{k}}}}} = " + r" \, ".join(factors)


def _chain(p: str, k: int, L: int = 6) -> str:
    nodes = ["C"] + [x for j in range(L, k - 1, -1) for x in (f"a_{{{j}}}", f"z_{{{j}}}")]
    nodes.append(f"{p}_{{{k}}}")
    parts = [rf"\frac{{\partial {a}}}{{\partial {b}}}" for a, b in zip(nodes, nodes[1:])]
    return rf"\frac{{\partial C}}{{\partial {p}_{{{k}}}}} = " + r" \, ".join(parts)


def generated_document(n: int = 500, seed: int = 13) -> str:
    """n formulas about a chain of 6 sigmoid units; every tenth one with a mistake."""
    rng = random.Random(seed)
    forms = []
    for k in range(1, 7):
        for p in ("b", "w"):
            forms.append(_closed(p, k))
            forms.append(_chain(p, k))
        if k < 6:
            forms.append(rf"\delta_{{{k}}} = \sigma'(z_{{{k}}}) \, w_{{{k + 1}}} \, "
                         rf"\delta_{{{k + 1}}}")
        forms.append(rf"\frac{{\partial a_{{{k}}}}}{{\partial z_{{{k}}}}} = \sigma'(z_{{{k}}})")
        forms.append(rf"\left|\frac{{\partial C}}{{\partial b_{{{k}}}}}\right| \leq "
                     rf"\left(\frac{{1}}{{4}}\right)^{{{7 - k}}} " +
                     " ".join(rf"\left|w_{{{j}}}\right|" for j in range(k + 1, 7)) +
                     r" \left|\frac{\partial C}{\partial a_{6}}\right|")
    body = [_FORWARD]
    for i in range(n):
        body.append(f"$${forms[i % len(forms)]}$$\n")
    text = "\n".join(body)
    # every tenth formula: one realistic mistake, written by the mutation generator
    ms = mutants(text, fmt="markdown", per_kind=1)
    rng.shuffle(ms)
    chosen, used = [], set()
    for m in ms:
        if len(chosen) >= n // 10:
            break
        if m.start in used:
            continue
        used.add(m.start)
        chosen.append(m)
    for m in sorted(chosen, key=lambda m: -m.start):
        text = text[:m.start] + m.new + text[m.end:]
    return text


def generated() -> None:
    text = generated_document()
    t = time.perf_counter()
    report = audit_text(text, filename="generated.md")
    dt = time.perf_counter() - t
    c = report.counts()
    n = len(report.formulas)
    print("\n2. a generated document (chain of 6 sigmoid units, Nielsen's notation)")
    print(f"   {n} formulas ({c['correct']} correct, {c['definition']} definitions, "
          f"{c['wrong']} wrong, {c['defect']} defect, {c['not understood']} not understood)")
    print(f"   {1000 * dt:.0f} ms for the document, {1000 * dt / n:.2f} ms a formula "
          f"(target: under 20 ms)")


def mutation_score(quick: bool) -> None:
    paths = sorted((ROOT / "derivations").glob("*.md"))
    paths = [p for p in paths if p.name != "README.md"]
    paths += [DOCS / "nielsen-four-equations.tex", DOCS / "matrix-notes.md",
              DOCS / "ng-style.md"]
    if quick:
        paths = paths[::3]
    table = {k: [0, 0, 0] for k in KINDS}
    misses = []
    t = time.perf_counter()
    for path in paths:
        result = score(read(path), filename=path.name, per_kind=1 if quick else 2)
        for kind, row in result["kinds"].items():
            table[kind][0] += row["total"]
            table[kind][1] += row["flagged"]
            table[kind][2] += row["right_reason"]
        misses += [(path.name, m, v, r) for m, v, r in result["misses"]]
    dt = time.perf_counter() - t
    print(f"\n3. mutation score ({len(paths)} documents, {dt:.1f} s)")
    print(f"   {'kind':22s} {'mutants':>8s} {'flagged':>8s} {'score':>7s} {'right reason':>13s}")
    tot = [0, 0, 0]
    for kind, (n, f, r) in table.items():
        tot = [tot[0] + n, tot[1] + f, tot[2] + r]
        s = f"{100 * f / n:6.1f}%" if n else "     -"
        rr = f"{100 * r / n:6.1f}%" if n else "     -"
        print(f"   {kind:22s} {n:8d} {f:8d} {s:>7s} {r:7d} {rr:>6s}")
    print(f"   {'all':22s} {tot[0]:8d} {tot[1]:8d} {100 * tot[1] / tot[0]:6.1f}% "
          f"{tot[2]:7d} {100 * tot[2] / tot[0]:5.1f}%")
    print(f"   per mutant: {1000 * dt / max(tot[0], 1):.1f} ms")
    for name, m, verdict, reason in misses[:10]:
        print(f"   missed: {name}:{m.line} {m.kind}: {verdict}: {reason[:100]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer mutants")
    args = parser.parse_args(argv)
    committed()
    generated()
    mutation_score(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
