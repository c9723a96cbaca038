"""``symgrad vectors``: test vectors (JSON, JSON lines or CSV) that implementations in any
language can check themselves against: seeded points over the hard regimes (ordinary,
saturated, kink, vanishing, exploding), each number a decimal string with D significant
digits, each gradient certified to D digits for the numbers exactly as written."""
from __future__ import annotations

from symgrad.cli import limits, names
from symgrad.cli.common import (add_network_options, add_run_options, choice,
                                network_from_args, number, positive_int, require_numeric, seed)
from symgrad.cli.output import check_target, write_output
from symgrad.cli.progress import progress

__all__ = ["register", "run", "MAX_COUNT", "DRAWN_Z", "REGIMES", "FORMATS"]

#: the most cases one file may hold
MAX_COUNT = 100_000
#: the pre-activations the cases reach: saturated units go to |z| < 1000
#: (symgrad.oracle.regimes.SATURATED_BANDS), ordinary ones stay within five deviations
DRAWN_Z = (-1000.0, 1000.0)
#: symgrad.oracle.regimes.REGIMES and symgrad.oracle.formats.FORMATS (kept here so that
#: --help loads no core module)
REGIMES = ("mixed", "ordinary", "saturated", "kink", "vanishing", "exploding")
FORMATS = ("json", "jsonl", "csv")


def register(sub) -> None:
    count = limits.reach("vectors", "--count", MAX_COUNT)
    deep = limits.reach("vectors", "--depth", names.MAX_DEPTH, count=10)
    p = sub.add_parser(
        "vectors", help=names.COMMANDS["vectors"],
        description="Write seeded test cases for a network (format "
                    f"{names.VECTORS_FORMAT}, described by schemas/symgrad-vectors-1.schema.json): "
                    "inputs, parameters, cost and every gradient as decimal strings with "
                    "--digits significant digits. The parameters are rounded to those digits "
                    "first and the gradients computed from the rounded values as Arb balls "
                    "narrower than half a unit in the last digit (\"certified\": true). By "
                    "default the cases cycle through the regimes an implementation gets "
                    "wrong: ordinary points, saturated units (|z| beyond 20, 40, 355 and 709, "
                    "both signs), units within 1e-8 of a kink (the gradients take the left "
                    "branch there, as PyTorch does, and JAX but for its leaky_relu; --kink "
                    "right for the other), "
                    "vanishing gradients below 1e-300 and exploding ones (w = 100, z = 0). "
                    "With --widths the network is dense: x (samples x n_0 rows), y, W_l (n_l "
                    "rows of n_(l-1)), b_l and their gradients are nested lists in layer "
                    "order. --format csv writes one row per number (case,kind,name,index,"
                    "value). Check an implementation's results with 'symgrad verify'.",
        epilog=f"Limits: work estimated above {limits.duration(limits.MAX_SECONDS)}, or a file "
               f"above {limits.MAX_VECTOR_BYTES // 2 ** 20} MiB (what 'symgrad verify' reads), "
               f"is refused (--force writes it anyway): on the machine the estimates were "
               f"measured on, about --count {count} at depth 4 and 50 digits, or --depth {deep} "
               "with 10 cases.")
    add_network_options(p)
    p.add_argument("--count", "-n", type=positive_int("count", MAX_COUNT), default=10,
                   help=f"number of cases, 1..{MAX_COUNT}; default 10")
    p.add_argument("--seed", "-s", type=seed, default=0,
                   help="seed of the random points (an integer >= 0); default 0")
    p.add_argument("--digits", "-d", type=positive_int("digits", names.MAX_DIGITS), default=50,
                   help=f"significant digits of every number, 1..{names.MAX_DIGITS}; default 50")
    p.add_argument("--regime", type=choice("regime", REGIMES), default="mixed",
                   help="the points: " + ", ".join(REGIMES) + "; default mixed (the cases "
                        "cycle through the others)")
    p.add_argument("--scale", type=number("scale", 0.0, 1e6), default=1.0,
                   help="multiplies the standard deviation of the weights (ordinary and "
                        "saturated cases); default 1")
    p.add_argument("--saturate", type=number("saturate", 0.0, 1.0, low_open=False),
                   default=None, metavar="P",
                   help="in saturated cases, the probability that a unit is driven into the "
                        "tails; default 0.5 (at least one unit a case)")
    p.add_argument("--kink", type=choice("kink", ("left", "right")), default="left",
                   help="the branch the gradients take at z = 0 exactly: left (relu'(0) = 0, "
                        "as PyTorch; JAX's leaky_relu takes the right) or right; default left")
    p.add_argument("--format", "-f", type=choice("format", FORMATS), default="json",
                   help="json (one object, a case a line), jsonl (the header, then a case a "
                        "line) or csv (a row per number); default json")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write to FILE (whole or not at all) instead of standard output")
    add_run_options(p, writes=True)
    p.set_defaults(run=run)


def run(args) -> int:
    if args.output not in (None, "-"):
        check_target(args.output, "output", force=args.force)
    net = network_from_args(args)     # --widths: a dense network, nested lists
    limits.require_feasible(args)
    require_numeric(net, "vectors", z=DRAWN_Z if args.regime in ("mixed", "saturated")
                    else (-100.0, 100.0))
    from symgrad.oracle import make_vectors, vectors_text
    with progress(args.count, "computing cases", quiet=args.quiet, unit="case") as step:
        doc = make_vectors(net, count=args.count, seed=args.seed, digits=args.digits,
                           regime=args.regime, scale=args.scale, saturate=args.saturate,
                           kink=args.kink, progress=step)
    write_output(vectors_text(doc, args.format), args.output, force=args.force)
    return 0
