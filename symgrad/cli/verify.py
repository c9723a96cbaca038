"""``symgrad verify VECTORS RESULTS``: judge another implementation's gradients against a
vector file: exit 0 when all agree, 1 with every disagreement listed (first first), 2 when
a file is unusable (the place named).

Both files are read with bounds (:mod:`symgrad.inputs`): at most 256 MiB, text only, a
key given twice in one object refused (JSON readers keep the last one, so a wrong ``b_1``
followed by a right one would pass), every number bounded in length and exponent before it
is converted.
"""
from __future__ import annotations

import argparse

from symgrad.cli import limits, names
from symgrad.cli.common import add_run_options, choice, number
from symgrad.inputs import read_text
from symgrad.cli.output import write_stdout
from symgrad.cli.progress import progress

__all__ = ["register", "run", "DTYPES", "work_of"]

DTYPES = ["float64", "float32", "float16", "bfloat16"]


def register(sub) -> None:
    p = sub.add_parser(
        "verify", help=names.COMMANDS["verify"],
        description="Read a vector file written by 'symgrad vectors' (json, jsonl or csv) "
                    "and a results file written by another implementation: JSON "
                    '{"cases": [{"gradients": {"w_1": ..., "b_1": ...}}, ...]} with the cases '
                    "in the same order, JSON lines (a case a line) or CSV rows "
                    "case,gradient,name,index,value (an optional cost per case is checked "
                    "too). For dense vectors each gradient is a nested list in the "
                    "parameter's shape. Each value gets a verdict: pass (within what a "
                    "correct implementation in --dtype attains with stable forms), unstable "
                    "(outside that, but within the rounding of the textbook formulas PyTorch "
                    "and JAX use, such as s(1 - s); the stable form is named) or fail (a bug; "
                    "a NaN or infinity is a fail for that value). Prints a summary first, then "
                    "every fail and unstable value. Exit 0 when nothing fails (unstable "
                    "allowed unless --strict), 1 otherwise, 2 when a file is unusable.",
        epilog="Limits: each file at most 256 MiB; a key given twice in one object, a number "
               "of more than 2100 characters or beyond 1e10000 is refused; work estimated "
               f"above {limits.duration(limits.MAX_SECONDS)} is refused (--force runs it "
               "anyway).")
    p.add_argument("vectors", metavar="VECTORS", help="the vector file ('-': standard input)")
    p.add_argument("results", metavar="RESULTS", help="the implementation's results")
    p.add_argument("--rtol", type=number("rtol", 0.0, 1e300, low_open=False), default=None,
                   help="a fixed relative tolerance in place of the per-value ones (never "
                        "below the vectors' own rounding)")
    p.add_argument("--dtype", type=choice("dtype", DTYPES), default="float64",
                   help="the arithmetic of the implementation: " + ", ".join(DTYPES)
                        + "; default float64")
    p.add_argument("--kink", type=choice("kink", ("left", "right", "either")), default="left",
                   help="the branch the implementation takes at z = 0 exactly: left "
                        "(relu'(0) = 0, PyTorch and JAX), right, or either; default left")
    p.add_argument("--strict", action="store_true",
                   help="an unstable value fails too (exit 1)")
    p.add_argument("--tolerances", action="store_true",
                   help="print the relative tolerances of every case, layer by layer, "
                        "after the summary")
    add_run_options(p)
    p.set_defaults(run=run)


def work_of(doc, what: str, force: bool) -> argparse.Namespace:
    """The options of the 'vectors' run that wrote ``doc`` (as far as the document says),
    for estimating the work of checking it."""
    network = doc.get("network") if isinstance(doc, dict) else None
    network = network if isinstance(network, dict) else {}
    widths = network.get("widths")
    cases = doc.get("cases") if isinstance(doc, dict) else None
    count = len(cases) if isinstance(cases, list) else 0
    digits = doc.get("digits") if isinstance(doc, dict) else None
    shape = (f"widths {','.join(map(str, widths))}" if isinstance(widths, list)
             else f"depth {network.get('depth')}")
    return argparse.Namespace(
        command="verify", force=force, count=count,
        digits=digits if isinstance(digits, int) and 0 < digits <= names.MAX_DIGITS else 50,
        depth=network.get("depth") if widths is None else None,
        widths=",".join(map(str, widths)) if isinstance(widths, list) else None,
        samples_in_loss=network.get("samples") if isinstance(network.get("samples"), int) else 1,
        described=f"{what}: {count} cases of {shape}")


def run(args) -> int:
    texts = {role: read_text(path, role) for role, path in (("vectors", args.vectors),
                                                            ("results", args.results))}
    # every format is read strictly (a repeated key, an unbounded number: one line)
    from symgrad.oracle import read_vectors, verify_results
    read = read_vectors(texts["vectors"], args.vectors)
    limits.require_feasible(work_of(read[1], args.vectors, args.force))
    with progress(None, "verifying", quiet=args.quiet):
        report = verify_results(texts["vectors"], texts["results"], rtol=args.rtol,
                                dtype=args.dtype, kink=args.kink, strict=args.strict,
                                show_tolerances=args.tolerances, vectors_name=args.vectors,
                                results_name=args.results, vectors_read=read)
    write_stdout(report.text())
    return 0 if report.passed else 1
