"""``symgrad vectors``: test vectors (JSON) that implementations in any language can check
themselves against: random points, each number a decimal string with D significant digits,
each gradient correct to D digits for the numbers exactly as written."""
from __future__ import annotations


from symgrad.numeric.chain import MAX_DIGITS
from symgrad.oracle.core import VECTORS_FORMAT, make_vectors, vectors_text
from symgrad.cli.common import seed, add_network_options, network_from_args, positive_int, write_output

__all__ = ["register", "run", "MAX_COUNT"]

#: the most cases one file may hold
MAX_COUNT = 100_000


def register(sub) -> None:
    p = sub.add_parser(
        "vectors", help="write test vectors (JSON) for checking other implementations",
        description="Write random test cases for a network as JSON (format "
                    f"{VECTORS_FORMAT}, described by schemas/symgrad-vectors-1.schema.json): "
                    "inputs, parameters, cost and every gradient as decimal strings with "
                    "--digits significant digits. The parameters are rounded to those digits "
                    "first and the gradients computed from the rounded values, so they are "
                    "exact to the last digit for the numbers as written. With --widths the "
                    "network is dense: x (samples x n_0 rows), y, W_l (n_l rows of n_(l-1)), "
                    "b_l and their gradients are nested lists in layer order. Check an "
                    "implementation's results with 'symgrad verify'.")
    add_network_options(p)
    p.add_argument("--count", "-n", type=positive_int("count", MAX_COUNT), default=10,
                   help=f"number of cases, 1..{MAX_COUNT}; default 10")
    p.add_argument("--seed", "-s", type=seed, default=0,
                   help="seed of the random points (an integer >= 0); default 0")
    p.add_argument("--digits", "-d", type=positive_int("digits", MAX_DIGITS), default=50,
                   help=f"significant digits of every number, 1..{MAX_DIGITS}; default 50")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write to FILE (whole or not at all) instead of standard output")
    p.add_argument("--force", action="store_true",
                   help="replace FILE even if symgrad did not write it")
    p.set_defaults(run=run)


def run(args) -> int:
    net = network_from_args(args, dense=True)     # --widths: a Dense network, nested lists
    doc = make_vectors(net, count=args.count, seed=args.seed, digits=args.digits)
    write_output(vectors_text(doc), args.output, force=args.force,
                 marker=f'"format": "{VECTORS_FORMAT}"')
    return 0
